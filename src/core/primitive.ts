// The autodiff core, after JAX: every primitive is bound through `bind`, which hands it to
// the innermost active trace among its arguments. Two traces make all of reverse mode:
//
// - JvpTrace carries (primal, tangent) pairs and applies each primitive's JVP rule.
// - LinearTrace stages the tangent computations (which JVP rules keep linear in the tangents)
//   into a list of equations without running them.
//
// `vjp` = run f under a JvpTrace whose input tangents are LinearTrace variables, then walk
// the staged equations backwards applying transpose rules. Transpose rules are written with
// `bind` too, so the backward pass is itself differentiable by any outer trace: reverse mode
// nests to any order, and forward-over-reverse (HVP) falls out. Each transform invocation
// gets a fresh level, so nested derivatives never confuse their perturbations.
import { Tensor, inScope, scoped, topLevelCall, zeros } from "./tensor.js";
import { addBoxInto, copyBox, fillK, zerosOf } from "./exec.js";
import type { Shape } from "./shape.js";
import { sameShape } from "./shape.js";
import { fmtShape } from "../errors.js";

/** Tangent or cotangent; `null` is a symbolic zero (never materialised unless needed). */
export type Lin = Tensor | null;

/** Factors of a batch of low-rank matrices: member b = U_b·V_bᵀ, U [m, r, c], V [n, r, c]. */
export interface LowRank {
  u: Tensor;
  v: Tensor;
}

/**
 * A primitive's batch rule on low-rank batches (see basis.ts). `vals[i]` is argument i's
 * value when it is unbatched or already dense (undefined for a batch held only as factors),
 * `lrs[i]` the factors of a batched argument when known. Returns the output's factors, or
 * undefined when the case is not low-rank (the trace then forms dense values and uses the
 * ordinary rule). The trace checks that the factors fit the output's shape.
 */
export type LowRankRule<P> = (
  vals: readonly (Tensor | undefined)[],
  lrs: readonly (LowRank | undefined)[],
  batched: readonly boolean[],
  params: P,
) => LowRank | undefined;

/**
 * A primitive: the forward kernel binding, shape rule, JVP rule and (for primitives that
 * appear in linear graphs, i.e. are linear in at least one argument) the transpose rule.
 * Rules are written in terms of primitives so they can be differentiated again.
 */
export interface Primitive<P = unknown> {
  readonly name: string;
  /** Output shapes from input shapes; throws ShapeError naming the op on misuse. */
  shape(shapes: readonly Shape[], params: P): Shape[];
  /** Forward evaluation on concrete tensors, inside an arena scope. */
  impl(args: readonly Tensor[], params: P): Tensor[];
  /**
   * Output tangents from input tangents. Called only when some tangent is non-zero; must be
   * linear in `tangents` and give each tangent the shape of its output (or null).
   */
  jvp(tangents: readonly Lin[], primals: readonly Tensor[], outs: readonly Tensor[], params: P): Lin[];
  /**
   * Cotangents of the linear inputs (`linear[i]`) from the output cotangents; `null` for
   * constant inputs. Required when the primitive is linear in some argument.
   */
  transpose?(cts: readonly Lin[], args: readonly Tensor[], linear: readonly boolean[], params: P): Lin[];
  /**
   * `transpose` for one output of a primitive of one or two arguments, linear in exactly one
   * of them (`a` when `linearA`, else `b`), without arrays: that argument's cotangent for the
   * output cotangent `ct`, by the ops `transpose([ct], [a, b], …)` runs (so bit for bit its
   * entry). The backward pass takes it for such equations when the primitive has one.
   */
  transpose1?(ct: Tensor, a: Tensor, b: Tensor | undefined, linearA: boolean, params: P): Lin;
  /**
   * In-place transpose, for a primitive linear in its one argument whose cotangent is `ct`
   * placed in a box of that argument's shape, zeros elsewhere (slice): adds `ct` into its box
   * of `into`, a dense accumulator the backward pass allocated and owns (no other reference to
   * it exists); `fresh`: `into` is all zeros and this is its first contribution, so writing
   * equals adding. Only eager, concrete backward passes use it (see {@link backwardPass}): a
   * loop that slices one row per step would otherwise add a zero-padded full-size matrix per
   * step. Must give the entries `add(into, transpose(ct))` would, bit for bit, except that
   * an entry outside the box keeps its sign of zero (`add` turns −0 + 0 into +0).
   */
  readonly transposeInto?: (ct: Tensor, into: Tensor, params: P, fresh: boolean) => void;
  /**
   * For a primitive of several arguments with exactly one flagged linear (index `i`): adds that
   * argument's cotangent of `ct` into `into`, a dense accumulator the backward pass made and
   * owns, when the rule can do so giving the entries `add(into, transpose(ct)[i])` would, bit
   * for bit; returns false, writing nothing, when it cannot (the pass then transposes as
   * usual). matmul adds a row vector's outer product this way (an RNN's weights, every step).
   */
  readonly transposeAddInto?: (ct: Tensor, args: readonly Tensor[], i: number, params: P, into: Tensor) => boolean;
  /**
   * A number s such that, in its one argument flagged linear (`linearA` for `a`, `linearB`
   * for `b`; the other fixed), this primitive of one or two arguments is s·x plus a constant
   * and its output has x's shape; 0 when there is none (both flagged, too). mul
   * gives one only for a number literal (see `literalScalar`: s is read as a JavaScript
   * number), add and sub ±1. Forward mode then holds the tangent's factor instead of running a
   * rule (JvpTrace.scale), and the backward pass carries it instead of running the transpose
   * (staged equations are linear: no constant), applying the product of the factors once,
   * where a cotangent meets another or leaves.
   */
  linearScale?(a: Tensor, b: Tensor | undefined, linearA: boolean, linearB: boolean): number;
  /**
   * Forward mode on a concrete value in one call, for unary primitives whose tangent is t
   * times one kernel's output: the output and the tangent for the tangent `t` (x's shape), by
   * the kernels and products the `jvp` rule would run (so bit for bit its result; a traced `t`
   * takes the product through its trace: grad stages it). JvpTrace uses it when the argument
   * is a plain tensor and jit is not recording (which records steps).
   */
  valueAndTangent?(x: Tensor, t: Tensor): [Tensor, Tensor];
  /**
   * vmap rule: arguments with `batched[i]` carry a trailing batch axis of length `size`
   * (trailing, so each batch member is contiguous in column-major storage); every output must
   * carry one too. Without a rule, vmap loops over the batch (correct, not fast).
   */
  batch?(args: readonly Tensor[], batched: readonly boolean[], params: P, size: number): Tensor[];
  /**
   * Set for primitives linear in all their arguments jointly whose `jvp` rule reads only the
   * outputs' shapes (add, sub). A forward pass over a staged linear function then applies
   * that rule to symbolic zeros instead of adding materialized zeros: in a Jacobian chunk that
   * seeds one pytree leaf, every sum with another leaf's (zero) tangent is free.
   */
  readonly nullSafeJvp?: boolean;
  /**
   * Set for primitives whose implementation can raise an error for some argument values (a
   * singular or non-positive-definite matrix). `jit` keeps such a step even when nothing uses
   * its outputs, so a replay raises where the un-jitted call would.
   */
  readonly mayRaise?: boolean;
  /**
   * The elementwise kernel (a UnaryOp or BinaryOp code) that `impl` runs, for primitives whose
   * output entry i is a function of entry i of each argument (or of a single-entry argument).
   * `jit`'s row-block fusion runs such steps on blocks of entries (see fuse.ts).
   */
  readonly elementwise?: { readonly unary: number } | { readonly binary: number };
  /**
   * vmap rule on batches held as low-rank factors (single-output primitives): a basis chunk
   * over a matrix enters as rank-one factors, and rules that keep the factors keep Jacobian
   * and Hessian chunks from being formed densely.
   */
  readonly lowRank?: LowRankRule<P>;
  /**
   * Set when `impl` raises the shape rule's errors itself before it runs any kernel (the
   * elementwise factories: a unary rule cannot fail, a binary impl broadcasts its operands'
   * shapes first). Eager `bind` then skips the shape rule unless jit records (which needs
   * the shapes): one call and two arrays less on the path every kernel call takes.
   */
  readonly implChecksShapes?: boolean;
  /**
   * `impl` for one output without its arrays: `impl([a], p)` or `impl([a, b], p)` is
   * `[run1(a, b, p)]`, the same kernels (impl calls it). With it, {@link apply1} runs an
   * untraced top-level call of the primitive lean. It must raise the shape rule's errors
   * itself before any kernel runs, as `implChecksShapes` asks of impl.
   */
  readonly run1?: (a: Tensor, b: Tensor | undefined, params: P) => Tensor;
  /** Set for the steps jit's passes make ({@link replayPrimitive}): no shape rule to check. */
  readonly compiled?: boolean;
  /** Set for the markers transforms emit for jit (markers.ts): recorded, never differentiated. */
  readonly marker?: boolean;
  /**
   * Set for primitives whose params hold values of the call that binds them (a solver's
   * operator at one point, see custom.ts): a jit replay at other inputs would reuse them, so
   * binding one while jit records makes that call run un-jitted.
   */
  readonly opaque?: boolean;
}

const declared: Primitive<unknown>[] = [];

/** Declares a primitive; the type requires every rule a primitive must have. */
export function primitive<P>(def: Primitive<P>): Primitive<P> {
  declared.push(def as Primitive<unknown>);
  return def;
}

/**
 * Every primitive declared so far, in declaration order: the differentiable ones, the jit's
 * compiled steps (`compiled`) and markers (`marker`). See ops/primitives.ts. @internal
 */
export function declaredPrimitives(): readonly Primitive<unknown>[] {
  return declared;
}

/**
 * A primitive that only `jit` replays run: a step its compile passes make (a fused loop, a
 * symmetric product, a memory region's bound), never traced or differentiated. @internal
 */
export function replayPrimitive<P>(name: string, impl: Primitive<P>["impl"]): Primitive<P> {
  const never = (): never => {
    throw new Error(`matcalc: internal: ${name} is a compiled step, only replayed, never traced`);
  };
  return primitive<P>({ name, shape: never, impl, jvp: never, compiled: true });
}

// ---- traces ----

export abstract class Trace {
  level = 0;
  /** False once popped: its tracers must not be used any more. */
  alive = true;
  abstract process<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[];
  /**
   * `process(prim, [a] or [a, b], params)[0]` for a primitive with {@link Primitive.run1},
   * called by {@link apply1} when no jit records and bind would find this trace with nothing
   * to replace or capture. Traces override it with leaner paths (no arrays).
   */
  process1<P>(prim: Primitive<P>, a: Tensor, b: Tensor | undefined, params: P): Tensor {
    return this.process(prim, b === undefined ? [a] : [a, b], params)[0]!;
  }
}

/** A value flowing through a trace. Reading its entries gives the underlying primal's. */
export abstract class Tracer extends Tensor {
  // Declared and assigned, not parameter properties: see the note on Tensor's fields.
  declare readonly _trace: Trace;
  constructor(shape: Shape, trace: Trace) {
    super(shape, null);
    this._trace = trace;
  }
  override _alive(): boolean {
    return this._trace.alive;
  }
}

const stack: Trace[] = [];

/** Makes `trace` the innermost; pair with {@link pop} in a `finally` (or use {@link withTrace}). @internal */
export function push<T extends Trace>(trace: T): T {
  trace.level = stack.length + 1;
  stack.push(trace);
  return trace;
}

/** Removes `trace`, which must be the innermost, and retires its tracers. @internal */
export function pop(trace: Trace): void {
  const top = stack.pop();
  if (top !== trace) throw new Error("matcalc: internal: trace stack out of order");
  trace.alive = false;
}

/** Runs `fn` with `trace` pushed, popping it however `fn` ends. @internal */
export function withTrace<T extends Trace, R>(trace: T, fn: (trace: T) => R): R {
  push(trace);
  try {
    return fn(trace);
  } finally {
    pop(trace);
  }
}

/** What `jit` needs to see of eager evaluation while it records (see jit.ts). @internal */
export interface Recorder {
  /** Nonzero while a primitive's own implementation runs (its reads of entries are its own). */
  inImpl: number;
  /**
   * The trace depth when the recording began: a tracer of a trace at or below it belongs to a
   * transform around the jitted call (a value f closes over), which a replay could not follow.
   */
  depth: number;
  /**
   * Marks the recording as unusable: f runs un-jitted for this signature, or, when `retry`,
   * for this call only (a kernel error at these values: a call that raises none records).
   */
  fail(why: string, retry?: boolean): void;
  step(prim: Primitive<unknown>, args: readonly Tensor[], params: unknown, outs: readonly Tensor[]): void;
  /**
   * In a dry recording, the outputs (uninitialized) of a step that depends on the inputs: its
   * kernel is not run, since the recording is replayed for the result. Null: run the step.
   */
  skip(prim: Primitive<unknown>, args: readonly Tensor[], shapes: readonly Shape[]): Tensor[] | null;
  /**
   * Brackets a jacobian chunk: the replay frees what the steps in between allocated, except
   * `block` (their result, read by later steps), which it moves down (see regions.ts).
   */
  openRegion(): void;
  closeRegion(block: Tensor): void;
}

/**
 * Called by a transform that starts inside others: from now on the active traces hold no new
 * factors (JvpTrace.scale) and their linear functions are transposed without held factors.
 * The inner transform's backward pass would run under them and apply every held factor where
 * tangents meet right away: bookkeeping without a saved product. Factors already held stay
 * valid (they are still applied). @internal
 */
export function stopHolding(): void {
  for (const t of stack) {
    if (t instanceof JvpTrace) t.holding = false;
    else if (t instanceof LinearTrace) t.nested = true;
  }
}

/** How many traces are active now. @internal */
export function traceDepth(): number {
  return stack.length;
}

/** The active recorder, if `jit` is recording. @internal */
export const recording: { current: Recorder | null } = { current: null };

// ---- values a function closes over ----
//
// A solver (minimize) calls f many times on plain numbers, inside transforms of its own. To
// differentiate its result with respect to the values of an enclosing transform that f closes
// over, it must know which they are and run f with constants in their place: f is a closure,
// not a program, so both happen where every use of them passes, in bind.

let capture: { depth: number; found: Set<Tracer>; made: Set<Tensor>; read: boolean } | null = null;
let replacements: ReadonlyMap<Tensor, Tensor> | null = null;

/**
 * Runs `fn` and returns, with its result, every tracer of a trace at level ≤ `depth` (a
 * transform active when `fn` was called: a value fn closes over) that reached `bind` as an
 * argument, in first-use order; values fn computes from them are not reported. `readsEntries`
 * says whether fn read the entries of such a value (toArray, item): a use of its numbers,
 * which no derivative follows. @internal
 */
export function closedOverTracers<R>(depth: number, fn: () => R): { result: R; tracers: Tracer[]; readsEntries: boolean } {
  const prev = capture;
  const mine = { depth, found: new Set<Tracer>(), made: new Set<Tensor>(), read: false };
  capture = mine;
  try {
    const result = fn();
    return { result, tracers: [...mine.found], readsEntries: mine.read };
  } finally {
    capture = prev;
    if (prev !== null) for (const t of mine.found) if (t._trace.level <= prev.depth) prev.found.add(t);
  }
}

/**
 * Runs `fn` with `bind` reading `map.get(a)` in place of every argument `a` in `map`; the keys
 * are tracers (values a closure uses, from {@link closedOverTracers}). @internal
 */
export function withReplacements<R>(map: ReadonlyMap<Tensor, Tensor>, fn: () => R): R {
  const prev = replacements;
  replacements = prev === null ? map : new Map([...prev, ...map]);
  try {
    return fn();
  } finally {
    replacements = prev;
  }
}

/** Applies a primitive: to the innermost trace among the arguments, else eagerly. */
export function bind<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
  if (replacements !== null) {
    const map = replacements;
    args = args.map((a) => map.get(a) ?? a);
  }
  if (capture !== null) {
    for (const a of args) if (a instanceof Tracer && a._trace.level <= capture.depth && !capture.made.has(a)) capture.found.add(a);
  }
  let top: Trace | null = null;
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!._trace as Trace | null;
    if (t !== null && (top === null || t.level > top.level)) top = t;
  }
  if (top === null) return bindEager(prim, args, params);
  const rec = recording.current;
  if (rec !== null && top.level <= rec.depth) rec.fail("f uses a traced value of a transform around the jitted call (a tracer it closes over)");
  if (capture === null) return top.process(prim, args, params);
  // The binds a trace makes for its rules (a JVP rule on tangents) are not f's own uses.
  const probe = capture;
  capture = null;
  try {
    const outs = top.process(prim, args, params);
    for (const o of outs) probe.made.add(o); // computed inside fn, not closed over
    return outs;
  } finally {
    capture = probe;
  }
}

/** The shapes of `args`, for a shape rule. */
function shapesOf(args: readonly Tensor[]): Shape[] {
  const n = args.length;
  const out = new Array<Shape>(n);
  for (let i = 0; i < n; i++) out[i] = args[i]!.shape;
  return out;
}

/** `bind` with no tracer among the arguments: the primitive's kernels run now. */
function bindEager<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
  const rec = recording.current;
  if (rec === null && prim.implChecksShapes) return scopedImpl(prim, args, params);
  const shapes = prim.shape(shapesOf(args), params); // validates before any kernel runs
  // A primitive whose implementation binds others is replayed whole, not its parts.
  if (rec === null || rec.inImpl > 0) return scopedImpl(prim, args, params);
  if (prim.opaque) rec.fail(`${prim.name} holds values of this call (${prim.name}'s params), which a replay at other inputs would reuse`);
  rec.inImpl++;
  let outs: Tensor[];
  try {
    outs = rec.skip(prim as Primitive<unknown>, args, shapes) ?? scopedImpl(prim, args, params);
  } catch (e) {
    // A kernel error (singular matrix, …) depends on the values, and f may catch it and take
    // another path: a recording cannot stand for other inputs.
    rec.fail(`${prim.name} raised an error while f was recorded`, true);
    throw e;
  } finally {
    rec.inImpl--;
  }
  rec.step(prim as Primitive<unknown>, args, params, outs);
  return outs;
}

/** `run(a, b, params)` in an arena scope of its own (no call running). */
function scopedRun1<P>(run: (a: Tensor, b: Tensor | undefined, params: P) => Tensor, a: Tensor, b: Tensor | undefined, params: P): Tensor {
  return scoped(() => run(a, b, params));
}

/** `prim.impl` inside an arena scope; inside a running call (the traced case), directly. */
function scopedImpl<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
  return inScope() ? prim.impl(args, params) : scoped(() => prim.impl(args, params));
}

/**
 * Whether `bind(prim, [a, b], …)` would run `prim.impl` on these very operands with nothing
 * watching: no tracer among them, no jit recording to take the step, no closure replacement.
 * An op may then run its kernel itself ({@link topLevelCall}, which also needs no call to be
 * running), skipping bind's dispatch with nothing observable changed. @internal
 */
export function untraced(a: Tensor, b: Tensor | undefined): boolean {
  return replacements === null && recording.current === null && a._trace === null && (b === undefined || b._trace === null);
}

/**
 * `bind1(prim, [a], params)` or `bind1(prim, [a, b], params)`, lean when nothing watches: an
 * untraced top-level call (see {@link untraced}; no call running) of a primitive with
 * {@link Primitive.run1} runs it in a scope of its own and copies the result out, without
 * bind's dispatch, its arrays, the scope's closure or `materializeTree` — the kernels, result
 * and errors are the primitive's. Anything else (a tracer, a jit recording, a closure
 * replacement, a running call) binds as usual. @internal
 */
export function apply1<P>(prim: Primitive<P>, a: Tensor, b: Tensor | undefined, params: P): Tensor {
  const run = prim.run1;
  if (run !== undefined && replacements === null && recording.current === null) {
    const ta = a._trace as Trace | null, tb = b === undefined ? null : (b._trace as Trace | null);
    if (ta === null && tb === null) {
      // Inside a running call bind would run impl now (bindEager): run1, without the arrays.
      return topLevelCall(run, a, b, params) ?? run(a, b, params);
    }
    if (capture === null) {
      // bind's choice: the innermost trace among the arguments.
      const top = ta === null ? tb! : tb !== null && tb.level > ta.level ? tb : ta;
      return top.process1(prim, a, b, params);
    }
  }
  return bind(prim, b === undefined ? [a] : [a, b], params)[0]!;
}

/** `bind` for single-output primitives. */
export function bind1<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor {
  return bind(prim, args, params)[0]!;
}

// ---- forward mode ----

export class JvpTracer extends Tracer {
  declare readonly primal: Tensor;
  /** The tangent is `k`·`tangent` (see {@link JvpTrace.scale}); 1 for most. */
  declare readonly tangent: Lin;
  /**
   * The held factor, null for 1: a field that only ever held numbers, some not small integers,
   * would be stored as a double, boxed anew for every tracer made (most of them hold none).
   */
  declare readonly _k: number | null;
  constructor(trace: JvpTrace, primal: Tensor, tangent: Lin, k = 1) {
    super(primal.shape, trace);
    this.primal = primal;
    this.tangent = tangent;
    this._k = k === 1 ? null : k;
  }
  get k(): number {
    return this._k ?? 1;
  }
  override _concrete(): Tensor {
    if (capture !== null && this._trace.level <= capture.depth) capture.read = true;
    return this.primal._concrete();
  }
}

/** Products of a tangent by a number: held factors within bounds (see {@link JvpTrace.scale}). */
const inBounds = (k: number): boolean => Math.abs(k) >= 2 ** -32 && Math.abs(k) <= 2 ** 32;

export class JvpTrace extends Trace {
  /**
   * With `scale` (k·x for a number k), a product of a concrete tangent by a number literal
   * (x.mul(0.999), −x: {@link Primitive.linearScale}) runs no kernel: the tracer holds the
   * factor, which passes through every later JVP rule (they are linear in the tangents) and
   * is applied where tangents with different factors meet, or when the value leaves. Bounded
   * as in the backward pass (2⁻³²…2³²), so no overflow or underflow appears that the step-by-
   * step products would not have had.
   */
  constructor(readonly scale: ((x: Tensor, k: number) => Tensor) | null = null) {
    super();
  }
  /** False once a transform started inside this one (see {@link stopHolding}). */
  holding = true;
  lift(x: Tensor): JvpTracer {
    return x._trace === this ? (x as JvpTracer) : new JvpTracer(this, x, null);
  }
  process<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
    const n = args.length;
    const primals = new Array<Tensor>(n);
    const tangents = new Array<Lin>(n);
    let live = false;
    let traced = false;
    // The live tangents' common factor (0: none seen yet), and whether they disagree.
    let k = 0;
    let mixed = false;
    for (let i = 0; i < n; i++) {
      const a = args[i]!;
      let p: Tensor;
      // Only this trace's tracers carry it (a field test: see Tensor._trace).
      if (a._trace === this) {
        const j = a as JvpTracer;
        p = j.primal;
        const t = j.tangent;
        tangents[i] = t;
        if (t !== null) {
          live = true;
          if (k === 0) k = j.k;
          else if (k !== j.k) mixed = true;
        }
      } else {
        p = a;
        tangents[i] = null;
      }
      primals[i] = p;
      if (p._trace !== null) traced = true;
    }
    if (mixed) {
      this.applyFactors(args, tangents);
      k = 1;
    }
    if (live && n === 1 && !traced && prim.valueAndTangent !== undefined && recording.current === null) {
      return this.valueAndTangent(prim as Primitive<unknown>, primals[0]!, tangents[0]!, k);
    }
    // Primals that are no tracer (no outer transform) run eagerly; `bind` would find no trace,
    // no replacement (their keys are tracers) and nothing to capture.
    const outs = traced ? bind(prim, primals, params) : bindEager(prim, primals, params);
    const m = outs.length;
    const res = new Array<Tensor>(m);
    if (!live) {
      for (let i = 0; i < m; i++) res[i] = new JvpTracer(this, outs[i]!, null);
      return res;
    }
    if (this.scale !== null && this.holding && prim.linearScale !== undefined && m === 1 && n <= 2 && !traced) {
      const held = this.holdScale(prim as Primitive<unknown>, primals[0]!, primals[1], tangents[0]!, tangents[1] ?? null, outs[0]!, k);
      if (held !== null) {
        res[0] = held;
        return res;
      }
    }
    const tOut = prim.jvp(tangents, primals, outs, params);
    for (let i = 0; i < m; i++) {
      const o = outs[i]!;
      const t = tOut[i] ?? null;
      if (t !== null && !sameShape(t.shape, o.shape)) {
        throw new Error(`matcalc: internal: jvp of ${prim.name} gave tangent ${fmtShape(t.shape)} for output ${fmtShape(o.shape)}`);
      }
      res[i] = new JvpTracer(this, o, t, k);
    }
    return res;
  }
  /**
   * `process` for a primitive with {@link Primitive.run1} (one output; arguments `a` and `b`),
   * without its arrays on the common paths (concrete primals: no transform inside this one),
   * with the same steps; the other cases go to `process`. The caller checked that no jit
   * records and that bind would find this trace with nothing to replace or capture.
   */
  override process1<P>(prim: Primitive<P>, a: Tensor, b: Tensor | undefined, params: P): Tensor {
    let pa = a, ta: Lin = null, ka = 0;
    if (a._trace === this) {
      const j = a as JvpTracer;
      pa = j.primal;
      ta = j.tangent;
      if (ta !== null) ka = j.k;
    }
    let pb = b, tb: Lin = null, kb = 0;
    if (b !== undefined && b._trace === this) {
      const j = b as JvpTracer;
      pb = j.primal;
      tb = j.tangent;
      if (tb !== null) kb = j.k;
    }
    // Traced primals, or live tangents whose factors disagree (process applies them).
    if (pa._trace !== null || (pb !== undefined && pb._trace !== null) || (ka !== 0 && kb !== 0 && ka !== kb)) {
      return this.process(prim, b === undefined ? [a] : [a, b], params)[0]!;
    }
    const k = ka !== 0 ? ka : kb;
    const run = prim.run1!;
    if (k === 0) return new JvpTracer(this, inScope() ? run(pa, pb, params) : scopedRun1(run, pa, pb, params), null);
    if (b === undefined && prim.valueAndTangent !== undefined) return this.valueAndTangent1(prim as Primitive<unknown>, pa, ta, k);
    const out = inScope() ? run(pa, pb, params) : scopedRun1(run, pa, pb, params);
    if (this.scale !== null && this.holding && prim.linearScale !== undefined) {
      const held = this.holdScale(prim as Primitive<unknown>, pa, pb, ta, tb, out, k);
      if (held !== null) return held;
    }
    const t = prim.jvp(b === undefined ? [ta] : [ta, tb], b === undefined ? [pa] : [pa, pb!], [out], params)[0] ?? null;
    if (t !== null && !sameShape(t.shape, out.shape)) {
      throw new Error(`matcalc: internal: jvp of ${prim.name} gave tangent ${fmtShape(t.shape)} for output ${fmtShape(out.shape)}`);
    }
    return new JvpTracer(this, out, t, k);
  }
  // The rarer paths of `process`, apart so that its common path stays small.
  /** Applies the factors of tangents that disagree (`process` then holds none). */
  private applyFactors(args: readonly Tensor[], tangents: Lin[]): void {
    for (let i = 0; i < args.length; i++) {
      const k = (args[i] as JvpTracer).k;
      if (tangents[i] !== null && k !== 1) tangents[i] = this.scale!(tangents[i]!, k);
    }
  }
  /** {@link Primitive.valueAndTangent}, the tangent's factor `k` kept held. */
  private valueAndTangent(prim: Primitive<unknown>, x: Tensor, t: Lin, k: number): Tensor[] {
    return [this.valueAndTangent1(prim, x, t, k)];
  }
  private valueAndTangent1(prim: Primitive<unknown>, x: Tensor, t: Lin, k: number): JvpTracer {
    const [y, ty] = inScope() ? prim.valueAndTangent!(x, t!) : scoped(() => prim.valueAndTangent!(x, t!));
    return new JvpTracer(this, y, ty, k);
  }
  /**
   * The output with its tangent held as a factor (Primitive.linearScale), or null when none;
   * `a`, `b` the primals (one or two), `ta`, `tb` their tangents.
   */
  private holdScale(prim: Primitive<unknown>, a: Tensor, b: Tensor | undefined, ta: Lin, tb: Lin, out: Tensor, k: number): JvpTracer | null {
    const s = prim.linearScale!(a, b, ta !== null, tb !== null);
    return s !== 0 && inBounds(k * s) ? new JvpTracer(this, out, tb ?? ta, k * s) : null;
  }
  /** Splits a value returned from the traced function into primal and tangent. */
  unpack(x: Tensor): [Tensor, Lin] {
    if (x._trace !== this) return [x, null];
    const j = x as JvpTracer;
    const t = j.tangent;
    return [j.primal, t === null || j.k === 1 ? t : this.scale!(t, j.k)];
  }
}

// ---- staging linear functions ----

export class LinearVar extends Tracer {
  /** Index among its trace's variables, in creation order (the passes' tables are indexed by it). */
  declare readonly id: number;
  constructor(shape: Shape, trace: LinearTrace) {
    super(shape, trace);
    this.id = trace.vars++;
  }
  override _concrete(): Tensor {
    throw new Error("matcalc: a tangent/cotangent placeholder has no values (reading one inside a JVP rule is a bug)");
  }
}

/**
 * Staged equations, stored as columns rather than one object per equation: a long chain
 * stages thousands of them, and every one stays alive until its transform returns, so each
 * object would be copied by the young-generation collector and promoted. Equation e applies
 * `prims[e]` with `params[e]` to `args[argAt[e] … argAt[e+1])` (LinearVars of the trace — the
 * linear inputs — and constants, the residuals) and defines `outs[outAt[e] … outAt[e+1])`.
 */
export class LinearTrace extends Trace {
  readonly prims: Primitive<unknown>[] = [];
  readonly params: unknown[] = [];
  readonly args: Tensor[] = [];
  readonly argAt: number[] = [0];
  readonly outs: LinearVar[] = [];
  readonly outAt: number[] = [0];
  /** Variables made so far (the next variable's id). */
  vars = 0;
  /** Set when a transform started inside this one (see {@link stopHolding}). */
  nested = false;
  /** Number of staged equations. */
  get length(): number {
    return this.prims.length;
  }
  newVar(shape: Shape): LinearVar {
    return new LinearVar(shape, this);
  }
  isVar(x: Tensor | null): x is LinearVar {
    return x !== null && x._trace === this;
  }
  /** Equation e's arguments (a fresh array). */
  argsOf(e: number): Tensor[] {
    return this.args.slice(this.argAt[e]!, this.argAt[e + 1]!);
  }
  /** Equation e's outputs (a fresh array). */
  outsOf(e: number): LinearVar[] {
    return this.outs.slice(this.outAt[e]!, this.outAt[e + 1]!);
  }
  process<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
    // Elementwise primitives (implChecksShapes) of operands of one shape give that shape.
    const shapes = prim.implChecksShapes && args.length <= 2 && sameShape(args[0]!.shape, args[args.length - 1]!.shape)
      ? [args[0]!.shape]
      : prim.shape(shapesOf(args), params);
    const m = shapes.length;
    const res = new Array<LinearVar>(m);
    for (let i = 0; i < m; i++) {
      const v = new LinearVar(shapes[i]!, this);
      res[i] = v;
      this.outs.push(v);
    }
    for (let i = 0; i < args.length; i++) this.args.push(args[i]!);
    this.endEquation(prim, params);
    return res;
  }
  /** Closes the equation whose outputs and arguments were just pushed. */
  private endEquation<P>(prim: Primitive<P>, params: P): void {
    this.prims.push(prim as Primitive<unknown>);
    this.params.push(params);
    this.argAt.push(this.args.length);
    this.outAt.push(this.outs.length);
  }
  /**
   * `process` for a primitive with {@link Primitive.run1} (arguments `a` and `b`), without
   * its arrays when the output's shape is known without the shape rule (an elementwise one
   * whose operands share a shape); else `process`.
   */
  override process1<P>(prim: Primitive<P>, a: Tensor, b: Tensor | undefined, params: P): Tensor {
    if (!prim.implChecksShapes || (b !== undefined && !sameShape(a.shape, b.shape))) {
      return this.process(prim, b === undefined ? [a] : [a, b], params)[0]!;
    }
    const v = new LinearVar(a.shape, this);
    this.outs.push(v);
    this.args.push(a);
    if (b !== undefined) this.args.push(b);
    this.endEquation(prim, params);
    return v;
  }
  /** Keeps only the equations `kept` (ascending indices), in order. */
  retain(kept: readonly number[]): void {
    const prims = this.prims.slice(), params = this.params.slice(), args = this.args.slice(), outs = this.outs.slice();
    const argAt = this.argAt.slice(), outAt = this.outAt.slice();
    this.prims.length = this.params.length = this.args.length = this.outs.length = 0;
    this.argAt.length = this.outAt.length = 1;
    for (const e of kept) {
      this.prims.push(prims[e]!);
      this.params.push(params[e]);
      for (let i = argAt[e]!; i < argAt[e + 1]!; i++) this.args.push(args[i]!);
      for (let i = outAt[e]!; i < outAt[e + 1]!; i++) this.outs.push(outs[i]!);
      this.argAt.push(this.args.length);
      this.outAt.push(this.outs.length);
    }
  }
}

/** Adds two symbolic-zero-aware values. */
export function addLin(a: Lin, b: Lin, add: (x: Tensor, y: Tensor) => Tensor): Lin {
  return a === null ? b : b === null ? a : add(a, b);
}

/**
 * Transposes a staged linear function: from cotangents of `outs`, the cotangents of `ins`.
 * Runs with `bind`, so any trace active now differentiates it. With `scale` (k·x for a number
 * k), equations with a {@link Primitive.linearScale} run no kernel: a cotangent is held as a
 * tensor and a pending factor, applied where two cotangents are summed (unless their factors
 * agree), before a transpose of several outputs, and at the end. Every transpose rule is
 * linear in its cotangents, so a pending factor passes through them unchanged.
 */
export function backwardPass(
  trace: LinearTrace,
  outs: readonly Lin[],
  cts: readonly Lin[],
  ins: readonly LinearVar[],
  add: (x: Tensor, y: Tensor) => Tensor,
  scale?: (x: Tensor, k: number) => Tensor,
): Lin[] {
  // Cotangents so far, by variable id (undefined: none yet, a symbolic zero), and their
  // pending factors (0 stands for 1: a factor is never 0).
  const acc = new Array<Tensor | undefined>(trace.vars);
  const fac = scale === undefined ? null : new Float64Array(trace.vars);
  // In place only when the kernels run now: a jit recording must see every step as a bind,
  // and tracers have no entries.
  const rec = recording.current;
  const inPlace = (rec === null || rec.inImpl > 0) && inScope();
  const sum: Sum = { acc, fac, add, scale: scale ?? noScale, inPlace, owned: null };
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i]!;
    if (trace.isVar(o)) accumulate(sum, o.id, cts[i] ?? null, 1);
  }
  const { prims, outs: vars, outAt, argAt, args: eqArgs } = trace;
  for (let e = prims.length - 1; e >= 0; e--) {
    const o0 = outAt[e]!, o1 = outAt[e + 1]!;
    let cOuts: Lin[];
    let k = 1;
    if (o1 - o0 === 1) {
      const id = vars[o0]!.id;
      const c = acc[id];
      if (c === undefined) continue;
      acc[id] = undefined;
      if (fac !== null) {
        k = fac[id] || 1;
        fac[id] = 0;
      }
      const g0 = argAt[e]!, na = argAt[e + 1]! - g0;
      const prim = prims[e]!;
      if (na <= 2 && (prim.transpose1 !== undefined || (fac !== null && prim.linearScale !== undefined))) {
        // One output and at most two arguments: no arrays (linearScale, transpose1).
        const a = eqArgs[g0]!, b = na === 2 ? eqArgs[g0 + 1]! : undefined;
        const la = trace.isVar(a), lb = b !== undefined && trace.isVar(b);
        if (fac !== null && prim.linearScale !== undefined) {
          const s = prim.linearScale(a, b, la, lb);
          const ks = k * s;
          // Bounded, so a held cotangent never differs from the one computed step by step by
          // more than 2³² in magnitude (no overflow or underflow that the steps would not
          // have had); past the bound the transpose runs and the held factor stays as it was.
          if (s !== 0 && Math.abs(ks) >= 2 ** -32 && Math.abs(ks) <= 2 ** 32) {
            accumulate(sum, ((la ? a : b) as LinearVar).id, c, ks);
            continue;
          }
        }
        if (prim.transpose1 !== undefined && la !== lb && !(inPlace && prim.transposeInto !== undefined)) {
          addCotangent(sum, ((la ? a : b) as LinearVar).id, prim.transpose1(c, a, b, la, trace.params[e]), k);
          continue;
        }
      }
      cOuts = [c];
    } else {
      cOuts = new Array<Lin>(o1 - o0);
      let any = false;
      for (let i = o0; i < o1; i++) {
        const id = vars[i]!.id;
        const c = acc[id];
        // Several outputs may carry different factors: each is applied here.
        cOuts[i - o0] = c === undefined ? null : fac !== null && fac[id] ? scale!(c, fac[id]) : c;
        if (c !== undefined) any = true;
      }
      if (!any) continue;
      for (let i = o0; i < o1; i++) {
        acc[vars[i]!.id] = undefined;
        if (fac !== null) fac[vars[i]!.id] = 0;
      }
    }
    const prim = prims[e]!;
    const args = trace.argsOf(e);
    const linear = new Array<boolean>(args.length);
    for (let i = 0; i < args.length; i++) linear[i] = trace.isVar(args[i]!);
    if (!prim.transpose) throw new Error(`matcalc: internal: ${prim.name} has no transpose rule but was staged as linear`);
    if (inPlace && prim.transposeInto && args.length === 1 && linear[0]) {
      if (intoInPlace(sum, ownedOf(sum), args[0] as LinearVar, cOuts[0]!, k, prim, trace.params[e])) continue;
    }
    if (sum.owned !== null && prim.transposeAddInto !== undefined && cOuts.length === 1 && cOuts[0] !== null) {
      if (addIntoOwned(sum, prim, args, linear, cOuts[0]!, k, trace.params[e])) continue;
    }
    const cIns = prim.transpose(cOuts, args, linear, trace.params[e]);
    for (let i = 0; i < args.length; i++) {
      if (linear[i]) addCotangent(sum, (args[i] as LinearVar).id, cIns[i] ?? null, k);
    }
  }
  const res = new Array<Lin>(ins.length);
  for (let i = 0; i < ins.length; i++) {
    const id = ins[i]!.id;
    const c = acc[id];
    res[i] = c === undefined ? null : fac !== null && fac[id] ? scale!(c, fac[id]) : c;
  }
  return res;
}

/** A transpose's contribution k·`c` to the cotangent of variable `id` (see accumulate). */
function addCotangent(sum: Sum, id: number, c: Lin, k: number): void {
  if (c === null) return;
  const { acc, owned } = sum;
  const prev = acc[id];
  if (owned !== null && owned[id] === 1) {
    // A dense contribution to an owned accumulator goes in place too (entries as `add`'s)
    // when it carries the accumulator's held factor; another factor, a tracer or a
    // broadcast one is added as before, and the sum is no longer owned.
    if (holdsFactor(sum, id, k) && c._trace === null && sameShape(c.shape, prev!.shape)) {
      addBoxInto(c, prev!, zerosOf(c.shape.length));
      return;
    }
    owned[id] = 0;
  }
  accumulate(sum, id, c, k);
  // The sum of two terms is a tensor this pass just made, held by no one else: later terms go
  // into it in place (a weight's gradient summed over a loop's steps then costs no new tensor
  // a step).
  if (sum.inPlace && prev !== undefined) {
    const r = acc[id]!;
    if (r !== prev && r !== c && r._trace === null && r._buf === null && sameShape(r.shape, c.shape)) ownedOf(sum)[id] = 1;
  }
}

/**
 * A cotangent added by the primitive's {@link Primitive.transposeAddInto} into the sum the pass
 * owns for its one linear argument, when that sum holds the same factor and nothing is traced.
 */
function addIntoOwned(sum: Sum, prim: Primitive<unknown>, args: readonly Tensor[],
  linear: readonly boolean[], ct: Tensor, k: number, params: unknown): boolean {
  let li = -1;
  for (let i = 0; i < args.length; i++) {
    if (!linear[i]) continue;
    if (li >= 0) return false;
    li = i;
  }
  if (li < 0 || ct._trace !== null) return false;
  const id = (args[li] as LinearVar).id;
  if (sum.owned![id] !== 1 || !holdsFactor(sum, id, k)) return false;
  return prim.transposeAddInto!(ct, args, li, params, sum.acc[id]!);
}

/** Whether variable `id`'s sum holds factor k (every sum holds 1 when factors are not held). */
function holdsFactor(sum: Sum, id: number, k: number): boolean {
  return (sum.fac === null ? 1 : sum.fac[id] || 1) === k;
}

/** The pass's owned-accumulator marks (made at the first use). */
function ownedOf(sum: Sum): Uint8Array {
  return (sum.owned ??= new Uint8Array(sum.acc.length));
}

/**
 * Adds a concrete cotangent `ct` of a `transposeInto` primitive into the accumulator of its
 * argument `x`, in place, allocating the accumulator first if the pass does not own one yet.
 * False (nothing done) when a tracer, or a factor other than the one the sum holds, is
 * involved: the caller then transposes as usual.
 */
function intoInPlace(sum: Sum, owned: Uint8Array, x: LinearVar, ct: Tensor, k: number, prim: Primitive<unknown>, params: unknown): boolean {
  if (ct instanceof Tracer) return false;
  const { acc, fac } = sum;
  const id = x.id;
  const prev = acc[id];
  // As in accumulate: terms held with one factor k are summed as they are (k applied once when
  // the sum is used); a term with another factor takes accumulate's way.
  if (prev !== undefined && !holdsFactor(sum, id, k)) {
    owned[id] = 0;
    return false;
  }
  if (owned[id] === 1) {
    prim.transposeInto!(ct, prev!, params, false);
    return true;
  }
  if (prev instanceof Tracer || (prev !== undefined && !sameShape(prev.shape, x.shape))) return false;
  // Zeros and the box written (the first contribution), or a copy of what came before and
  // the box added: the entries `add(prev, pad(ct))` would give, in a tensor no one else holds.
  const into = fillK(x.shape, 0, prim.name);
  if (prev !== undefined) copyBox(prev, zerosOf(x.shape.length), x.shape, into, zerosOf(x.shape.length));
  prim.transposeInto!(ct, into, params, prev === undefined);
  acc[id] = into;
  if (prev === undefined && fac !== null) fac[id] = k === 1 ? 0 : k;
  owned[id] = 1;
  return true;
}

/** The backward pass's cotangents and how it sums and scales them. */
interface Sum {
  acc: (Tensor | undefined)[];
  fac: Float64Array | null;
  add: (x: Tensor, y: Tensor) => Tensor;
  scale: (x: Tensor, k: number) => Tensor;
  /** Whether the pass may add into accumulators it made (kernels run now, inside a scope). */
  inPlace: boolean;
  /** Accumulators this pass made (1 by variable id), which it adds into in place; null: none yet. */
  owned: Uint8Array | null;
}

const noScale = (x: Tensor): Tensor => x;

/**
 * Adds k·`ct` to the cotangent of variable `id` (a null `ct` is a zero: nothing to add). Two
 * terms with the same factor are summed as they are; otherwise both factors are applied.
 */
function accumulate(sum: Sum, id: number, ct: Lin, k: number): void {
  if (ct === null) return;
  const { acc, fac } = sum;
  const prev = acc[id];
  if (prev === undefined) {
    acc[id] = ct;
    if (fac !== null) fac[id] = k === 1 ? 0 : k;
    return;
  }
  const pk = fac === null ? 1 : fac[id] || 1;
  if (pk === k) {
    acc[id] = sum.add(prev, ct);
    return;
  }
  acc[id] = sum.add(pk === 1 ? prev : sum.scale(prev, pk), k === 1 ? ct : sum.scale(ct, k));
  fac![id] = 0;
}

/**
 * Evaluates a staged linear function forward on concrete (or traced) tangents. A null tangent
 * is a symbolic zero: an equation whose linear inputs are all zero is skipped (its outputs are
 * zero, the equations being linear), so a Jacobian chunk that seeds one pytree leaf never
 * computes with the other leaves' zeros.
 */
export function forwardPass(trace: LinearTrace, ins: readonly LinearVar[], tangents: readonly Lin[], outs: readonly Lin[]): Lin[] {
  // Tangents by variable id: undefined for a variable not yet bound, null for a zero.
  const env = new Array<Lin | undefined>(trace.vars);
  ins.forEach((v, i) => (env[v.id] = tangents[i] ?? null));
  for (let e = 0; e < trace.length; e++) {
    const prim = trace.prims[e]!, params = trace.params[e];
    const eargs = trace.argsOf(e);
    const o0 = trace.outAt[e]!, o1 = trace.outAt[e + 1]!;
    let live = false;
    const n = eargs.length;
    const args = new Array<Lin>(n);
    let someZero = false;
    for (let i = 0; i < n; i++) {
      const a = eargs[i]!;
      if (!trace.isVar(a)) {
        args[i] = a;
        continue;
      }
      const t = env[a.id];
      if (t === undefined) throw new Error(`matcalc: internal: unbound linear variable in ${prim.name}`);
      if (t !== null) live = true;
      else someZero = true;
      args[i] = t;
    }
    if (!live) {
      for (let i = o0; i < o1; i++) env[trace.outs[i]!.id] = null;
      continue;
    }
    if (someZero && prim.nullSafeJvp) {
      const res = prim.jvp(args, eargs, trace.outsOf(e), params);
      for (let i = o0; i < o1; i++) env[trace.outs[i]!.id] = res[i - o0] ?? null;
      continue;
    }
    if (someZero) for (let i = 0; i < n; i++) if (args[i] === null) args[i] = zeros(eargs[i]!.shape);
    const res = bind(prim, args as Tensor[], params);
    for (let i = o0; i < o1; i++) env[trace.outs[i]!.id] = res[i - o0]!;
  }
  return outs.map((o) => (o === null ? null : trace.isVar(o) ? (env[o.id] ?? null) : o));
}

/**
 * Drops the staged equations no output in `outs` depends on, before forward passes run them:
 * e.g. in hessian (jacobian of grad f) the tangent of f's own value, which grad stages but
 * never returns; jacobian would otherwise compute it for every chunk.
 */
export function pruneDead(trace: LinearTrace, outs: readonly Lin[]): void {
  const live = new Uint8Array(trace.vars);
  for (const t of outs) if (trace.isVar(t)) live[t.id] = 1;
  const kept: number[] = [];
  for (let e = trace.length - 1; e >= 0; e--) {
    let used = false;
    for (let i = trace.outAt[e]!; i < trace.outAt[e + 1]!; i++) if (live[trace.outs[i]!.id] === 1) used = true;
    if (!used) continue;
    kept.push(e);
    for (let i = trace.argAt[e]!; i < trace.argAt[e + 1]!; i++) {
      const a = trace.args[i]!;
      if (trace.isVar(a)) live[a.id] = 1;
    }
  }
  if (kept.length === trace.length) return;
  trace.retain(kept.reverse());
}
