// jit: record the kernels a function runs once, then replay them for later calls with the
// same argument structure and shapes (JAX's `jax.jit`, minus the compiler).
//
// Everything a transform does in JavaScript — tracers, linear staging, transposition, shape
// rules, pytree bookkeeping — ends in eager primitive applications on concrete tensors
// (`bind` with no tracer among the arguments). Recording keeps exactly that list: each
// step's primitive, params and where its arguments come from (an input leaf, an earlier
// step's output, or a JS-owned constant). Replaying runs the primitives' implementations
// in order and nothing else, so `jit(grad(f))` costs about what its kernels cost.
//
// A recording is only valid if the computation cannot take another path for other input
// values. It is refused (and f simply runs un-jitted for that signature) when, while it
// records, f reads the entries of a value that depends on the inputs (data-dependent control
// flow) or uses an arena value it did not compute (a tensor leaked from another call). What
// the recorder cannot see is plain JavaScript state: like `jax.jit`, a jitted function must be a pure function of its tensor
// arguments; side effects in it run once, when it is recorded.
import { DTypeError } from "../errors.js";
import { Tensor, readHook, scoped, withShape } from "../tensor.js";
import { Tracer, recording, type Primitive, type Recorder } from "./core.js";
import { flatten, unflatten, type TreeDef } from "./pytree.js";

/** Where a step's argument or a result comes from. */
type Ref =
  | { kind: "in"; i: number }
  | { kind: "slot"; i: number }
  | { kind: "const"; t: Tensor };

interface Step {
  prim: Primitive<unknown>;
  params: unknown;
  args: Ref[];
  /** Slot index of the first output; outputs occupy consecutive slots. */
  out: number;
  nOut: number;
}

interface Program {
  steps: Step[];
  slots: number;
  outs: Ref[];
  outDef: TreeDef;
}

class Recording implements Recorder {
  inImpl = 0;
  failed: string | null = null;
  readonly steps: Step[] = [];
  private readonly where = new Map<Tensor, Ref>();
  private slots = 0;

  constructor(inputs: readonly Tensor[]) {
    this.addInputs(inputs, 0);
  }

  /** Registers input leaves as inputs `first, first+1, …`. */
  addInputs(inputs: readonly Tensor[], first: number): void {
    inputs.forEach((t, i) => this.where.set(t, { kind: "in", i: first + i }));
  }

  get slotCount(): number {
    return this.slots;
  }

  fail(why: string): void {
    this.failed ??= why;
  }

  /** Reading an input-dependent value from JavaScript means the path may depend on it. */
  onRead = (t: Tensor): void => {
    if (this.inImpl > 0) return;
    const r = this.where.get(t);
    if (r !== undefined) this.fail("f reads the entries of a value computed from its inputs");
  };

  ref(t: Tensor): Ref | null {
    const r = this.where.get(t);
    if (r !== undefined) return r;
    // A JS-owned tensor that no step produced is a constant (captured data, zeros a rule
    // made, a number the user wrote): its entries never change.
    if (t._buf !== null) return { kind: "const", t };
    return null;
  }

  step(prim: Primitive<unknown>, args: readonly Tensor[], params: unknown, outs: readonly Tensor[]): void {
    if (this.failed) return;
    const refs: Ref[] = [];
    for (const a of args) {
      const r = this.ref(a);
      if (r === null) {
        this.fail(`${prim.name} uses an arena value that this call did not compute`);
        return;
      }
      refs.push(r);
    }
    const out = this.slots;
    outs.forEach((o, j) => {
      // An output that is an input (or an earlier value) under the same object stays what it was.
      if (!this.where.has(o)) this.where.set(o, { kind: "slot", i: out + j });
    });
    this.slots += outs.length;
    this.steps.push({ prim, params, args: refs, out, nOut: outs.length });
  }

  program(results: readonly Tensor[], outDef: TreeDef): Program | null {
    if (this.failed) return null;
    const outs: Ref[] = [];
    for (const t of results) {
      const r = this.ref(t._concrete());
      if (r === null) return null;
      outs.push(r);
    }
    return { steps: this.steps, slots: this.slots, outs, outDef };
  }

  /** Runs `fn` with this recording active (and the read hook set). */
  during<T>(fn: () => T): T {
    const prevHook = readHook.onRead;
    recording.current = this;
    readHook.onRead = this.onRead;
    try {
      return fn();
    } finally {
      recording.current = null;
      readHook.onRead = prevHook;
    }
  }
}

function replay(p: Program, inputs: readonly Tensor[]): Tensor[] {
  const vals: Tensor[] = new Array<Tensor>(p.slots);
  runSteps(p.steps, 0, p.steps.length, vals, inputs);
  return p.outs.map((r) => deref(r, vals, inputs));
}

function deref(r: Ref, vals: readonly Tensor[], inputs: readonly Tensor[]): Tensor {
  return r.kind === "slot" ? vals[r.i]! : r.kind === "in" ? inputs[r.i]! : r.t;
}

function runSteps(steps: readonly Step[], from: number, to: number, vals: Tensor[], inputs: readonly Tensor[]): void {
  for (let k = from; k < to; k++) {
    const s = steps[k]!;
    const args = s.args.map((r) => deref(r, vals, inputs));
    const outs = s.prim.impl(args, s.params);
    for (let j = 0; j < s.nOut; j++) vals[s.out + j] = outs[j]!;
  }
}

/** Cache key: the argument structure and every leaf's shape. */
function signature(def: TreeDef): string {
  return JSON.stringify(def);
}

/** Recordings kept per jitted function (distinct argument signatures). */
const MAX_SIGNATURES = 16;

/** Options of {@link jit}. */
export interface JitOptions {
  /**
   * Called with the reason when a signature cannot be recorded (f then runs un-jitted for
   * it, which is always correct, only slower).
   */
  onFallback?: (reason: string) => void;
}

/**
 * Compiles `f` for repeated calls: the first call with a given argument structure and shapes
 * runs `f` and records the kernels it executes; later calls with the same signature replay
 * them directly, skipping all tracing. Use it on transformed functions that are called many
 * times, e.g. inside an optimization loop.
 *
 * As with `jax.jit`, `f` must be a pure function of its tensor arguments: JavaScript side
 * effects run only when a signature is first recorded. Code whose control flow reads input
 * values (`.data`, `.toArray()`, `.item()` of a traced value) cannot be replayed; matcalc
 * detects this and runs `f` normally for that signature.
 *
 * @example
 * ```ts
 * const A = matrix([[2, 1], [1, 3]]);
 * const g = jit(grad((x: Tensor) => x.dot(A.matmul(x))));
 * g(vector([1.2, 0.8])).toArray();   // [6.4, 7.2]  (recorded)
 * g(vector([1, 0])).toArray();       // [4, 2]      (replayed)
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): F {
  const cache = new Map<string, Program | string>();
  /** The same programs under quickKey's cheaper key (tensor-only trees). */
  const fast = new Map<string, Program>();
  const jitted = (...args: unknown[]): unknown => {
    // Nested jit or a call from inside a transform: the outer trace decides.
    if (recording.current !== null || args.some(isTracedLeaf)) return f(...args);
    // Fast path for the replay of trees made only of tensors.
    const quick: Tensor[] = [];
    const qkey = quickKey(args, quick);
    if (qkey !== null) {
      const hit = fast.get(qkey);
      if (hit !== undefined) return scoped(() => unflatten(hit.outDef, replay(hit, quick)));
    }
    // Each argument is a tree of its own (an argument list of numbers is not one tensor).
    const parts = args.map((a) => flatten(a, "jit"));
    const leaves = parts.flatMap(([l]) => l);
    const defs = parts.map(([, d]) => d);
    const key = signature({ kind: "array", children: defs });
    const cached = cache.get(key);
    if (qkey !== null && cached !== undefined && typeof cached !== "string") {
      if (fast.size >= MAX_SIGNATURES) fast.clear();
      fast.set(qkey, cached);
    }
    if (typeof cached === "string") return f(...args);
    if (cached !== undefined) {
      return scoped(() => unflatten(cached.outDef, replay(cached, leaves)));
    }
    return scoped(() => {
      // Fresh objects stand for the arguments, so a tensor that f also captures (or that is
      // passed twice) is told apart from the argument by identity.
      const inputs = leaves.map((t) => withShape(t, t.shape));
      const rec = new Recording(inputs);
      let at = 0;
      const fresh = defs.map((d, i) => {
        const n = parts[i]![0].length;
        at += n;
        return unflatten(d, inputs.slice(at - n, at));
      });
      const result = rec.during(() => f(...fresh));
      let outLeaves: Tensor[], outDef: TreeDef;
      try {
        [outLeaves, outDef] = flatten(result, "jit");
      } catch (e) {
        if (e instanceof DTypeError) {
          remember(cache, key, "f returns values other than tensors");
          return result;
        }
        throw e;
      }
      const prog = rec.program(outLeaves, outDef);
      if (prog === null) {
        const why = rec.failed ?? "a result is not computed by this call";
        remember(cache, key, why);
        opts.onFallback?.(why);
      } else {
        remember(cache, key, prog);
      }
      return result;
    });
  };
  return jitted as F;
}

function remember(cache: Map<string, Program | string>, key: string, v: Program | string): void {
  if (cache.size >= MAX_SIGNATURES) cache.delete(cache.keys().next().value!);
  cache.set(key, v);
}

/**
 * A key for argument trees made only of Tensors (the common case), collecting the leaves in
 * flatten's order (object keys sorted); null when some leaf is not a Tensor.
 */
function quickKey(x: unknown, leaves: Tensor[]): string | null {
  if (x instanceof Tensor) {
    if (x instanceof Tracer) return null;
    leaves.push(x);
    return `[${x.shape.join(",")}]`;
  }
  if (Array.isArray(x)) {
    let k = "(";
    for (const v of x) {
      if (typeof v === "number") return null;
      const sub = quickKey(v, leaves);
      if (sub === null) return null;
      k += sub + ";";
    }
    return k + ")";
  }
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    let k = "{";
    for (const name of Object.keys(x).sort()) {
      const sub = quickKey((x as Record<string, unknown>)[name], leaves);
      if (sub === null) return null;
      k += `${name}:${sub};`;
    }
    return k + "}";
  }
  return null;
}

function isTracedLeaf(x: unknown): boolean {
  if (x instanceof Tensor) return x instanceof Tracer;
  if (Array.isArray(x)) return x.some(isTracedLeaf);
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.values(x).some(isTracedLeaf);
  }
  return false;
}

/** A recorded linearization: the steps up to `split` compute f(x) and the residuals; the rest, J·t. */
interface LinearizedProgram {
  steps: Step[];
  split: number;
  slots: number;
  outs: Ref[];
  outDef: TreeDef;
  tangentOuts: Ref[];
  tangentDef: TreeDef;
  nIn: number;
}

/**
 * `linearize` of a one-argument `f`, recorded (as {@link jit} records): a later call with the
 * same signature replays the kernels that evaluate f and its residuals at x, and each J·t
 * replays only the tangent kernels. Must run inside an open arena scope (an optimizer's
 * session): the residuals live in it. Falls back to plain `linearize` when f cannot be
 * recorded. @internal
 */
export function jitLinearize(
  f: (x: unknown) => unknown,
  linearize: (f: (x: unknown) => unknown, x: unknown) => [unknown, (t: unknown) => unknown],
): (x: unknown) => [unknown, (t: unknown) => unknown] {
  const cache = new Map<string, LinearizedProgram | string>();
  return (x) => {
    const [leaves, def] = flatten(x, "linearize");
    const key = signature(def);
    const cached = cache.get(key);
    if (typeof cached === "string" || recording.current !== null) return linearize(f, x);
    if (cached !== undefined) {
      const p = cached;
      const vals: Tensor[] = new Array<Tensor>(p.slots);
      runSteps(p.steps, 0, p.split, vals, leaves);
      const out = unflatten(p.outDef, p.outs.map((r) => deref(r, vals, leaves)));
      const jvpFn = (t: unknown): unknown => {
        const [tl, td] = flatten(t, "linearize");
        if (signature(td) !== key) return linearize(f, x)[1](t);
        const inputs = [...leaves, ...tl];
        runSteps(p.steps, p.split, p.steps.length, vals, inputs);
        return unflatten(p.tangentDef, p.tangentOuts.map((r) => deref(r, vals, inputs)));
      };
      return [out, jvpFn];
    }
    // Record: the linearization now, the tangent part at the first J·t.
    const inputs = leaves.map((t) => withShape(t, t.shape));
    const rec = new Recording(inputs);
    const [out, lin] = rec.during(() => linearize(f, unflatten(def, inputs)));
    const split = rec.steps.length;
    let outLeaves: Tensor[] = [], outDef: TreeDef | null = null;
    try {
      [outLeaves, outDef] = flatten(out, "linearize");
    } catch {
      rec.fail("f returns values other than tensors");
    }
    let done = false;
    const jvpFn = (t: unknown): unknown => {
      if (done) return lin(t);
      done = true;
      const [tl, td] = flatten(t, "linearize");
      if (signature(td) !== key || outDef === null) {
        cache.set(key, "tangent of another structure");
        return lin(t);
      }
      const tin = tl.map((v) => withShape(v, v.shape));
      rec.addInputs(tin, leaves.length);
      const tres = rec.during(() => lin(unflatten(td, tin)));
      let tLeaves: Tensor[], tDef: TreeDef;
      try {
        [tLeaves, tDef] = flatten(tres, "linearize");
      } catch {
        cache.set(key, "tangent outputs are not tensors");
        return tres;
      }
      const outsP = rec.program(outLeaves, outDef);
      const tanP = rec.program(tLeaves, tDef);
      if (outsP === null || tanP === null) {
        cache.set(key, rec.failed ?? "a result is not computed by this call");
      } else {
        if (cache.size >= MAX_SIGNATURES) cache.delete(cache.keys().next().value!);
        cache.set(key, {
          steps: rec.steps, split, slots: rec.slotCount, outs: outsP.outs, outDef,
          tangentOuts: tanP.outs, tangentDef: tDef, nIn: leaves.length,
        });
      }
      return tres;
    };
    return [out, jvpFn];
  };
}
