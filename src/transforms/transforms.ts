// The transforms: functions in, functions out, named and shaped as in JAX. Each invocation is
// one top-level call: intermediates live in the arena and only the results leave it.
import { DTypeError, MemoryLimitError, ShapeError, fmtShape } from "../errors.js";
import { argnums as argnumsCheck, bool, checkFunction, checkOptions, oneOf, positiveInt } from "../options.js";
import { Tensor, asTensor, copyInto, jsStorage, materialize, prepareStorage, scoped, zeros } from "../core/tensor.js";
import { add, mul, mul_p } from "../ops/elementwise.js";
import { concat, reshape, reshape_p, slice } from "../ops/structure.js";
import { sum } from "../ops/reduce.js";
import { transpose } from "../ops/structure.js";
import { matmul_p, type MatmulParams } from "../ops/matmul.js";
import {
  JvpTrace, JvpTracer, LinearTrace, Tracer, backwardPass, bind1, forwardPass, pop, pruneDead, push, recording, stopHolding, traceDepth, withTrace, type Lin,
  type LinearVar,
} from "../core/primitive.js";
import { rt } from "../wasm/module.js";
import { abortTape, beginTape, postTape, settleTape, tapeTuning, worthTaping } from "../wasm/tape.js";
import { sameShape, sizeOf } from "../core/shape.js";
import { flatten, flattenLike, mapTensors, unflatten, type PyTree, type TreeDef } from "../core/pytree.js";
import { withBatch } from "./vmap.js";
import { demandRows_p, mirrorUpper_p } from "../ops/markers.js";
import type { AllGradsOf, Argnums, ArgsOf, GradsOf, TensorsOf, TreeArg, TreeArgs } from "./types.js";

/**
 * Which positional arguments to differentiate, and whether `f` returns `[output, aux]`.
 * @category Transforms
 */
export interface GradOptions<A extends Argnums = Argnums> {
  /** Index or indices of the differentiated arguments (default 0). */
  argnums?: A;
  /** `f` returns `[output, aux]`; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

// A function of pytrees; typed loosely because argument structures are the caller's.
/** A function of tensors and pytrees of tensors. @inline */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

/** A transform's implementation, called from inside this module with options only known at run time. */
type LooseTransform = (f: Fn, opts?: GradOptions) => Fn;

/**
 * The differentiated arguments: `list` as the user wrote them (an index may repeat: its
 * derivative is then given at each place), `unique` the distinct ones in first-seen order
 * (what is traced; an argument is traced once whatever argnums says).
 */
function argnumList(op: string, argnums: GradOptions["argnums"], nargs: number): { list: number[]; unique: number[]; single: boolean } {
  const single = argnums === undefined || typeof argnums === "number";
  const list = argnums === undefined ? [0] : typeof argnums === "number" ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) {
      throw new ShapeError(op, `argnums ${a} is out of range for ${nargs} argument(s)`);
    }
  }
  return { list, unique: list.length === 1 ? list : [...new Set(list)], single };
}

/** f traced once: its outputs, and its linearization as a staged linear function. */
interface Linearized {
  lin: LinearTrace;
  /** Input tangent variables, one list per differentiated argument. */
  vars: LinearVar[][];
  inDefs: TreeDef[];
  outPrimals: Tensor[];
  outTangents: Lin[];
  outDef: TreeDef;
  aux: unknown;
}

function linearizeCore(op: string, f: Fn, args: unknown[], argnums: number[], hasAux: boolean): Linearized {
  const inFlat = argnums.map((a) => flatten(args[a], op));
  const lin = new LinearTrace();
  // Products by number literals are held as factors (not staged) only where no transform
  // around this call traces them (see holdFactors), and those around it stop holding.
  const hold = holdFactors();
  if (!hold) stopHolding();
  const jt = new JvpTrace(hold ? scaleBy : null);
  push(lin);
  try {
    push(jt);
    try {
      const vars: LinearVar[][] = [];
      const traced = args.slice();
      for (let k = 0; k < argnums.length; k++) {
        const [leaves, def] = inFlat[k]!;
        const vs: LinearVar[] = [];
        const wrapped: JvpTracer[] = [];
        for (const l of leaves) {
          const v = lin.newVar(l.shape);
          vs.push(v);
          wrapped.push(new JvpTracer(jt, l, v));
        }
        vars.push(vs);
        traced[argnums[k]!] = unflatten(def, wrapped);
      }
      let res = traced.length === 1 ? f(traced[0]) : f(...traced);
      let aux: unknown;
      if (hasAux) {
        if (!Array.isArray(res) || res.length !== 2) throw new ShapeError(op, "with hasAux, f must return [output, aux]");
        aux = mapTensors(res[1], (t) => jt.unpack(t)[0], op);
        res = res[0];
      }
      const [outLeaves, outDef] = flatten(res, op);
      const outPrimals: Tensor[] = [];
      const outTangents: Lin[] = [];
      for (const x of outLeaves) {
        const [p, t] = jt.unpack(x);
        outPrimals.push(p);
        outTangents.push(t);
      }
      return { lin, vars, inDefs: inFlat.map(([, d]) => d), outDef, aux, outPrimals, outTangents };
    } finally {
      pop(jt);
    }
  } finally {
    pop(lin);
  }
}

/** The input variables in argnum order (a loop: `Array.prototype.flat` is slow in V8). */
function flatVarsOf(L: Linearized): LinearVar[] {
  if (L.vars.length === 1) return L.vars[0]!;
  const out: LinearVar[] = [];
  for (const vs of L.vars) for (const v of vs) out.push(v);
  return out;
}

/**
 * Whether products by number literals may be held as factors (JvpTrace.scale, backwardPass):
 * only where no transform around this call sees them. An outer linearization (a Hessian's)
 * would stage the deferred products in other places, where jit's passes over its chunks
 * (triangle.ts) no longer find their patterns.
 */
function holdFactors(): boolean {
  const rec = recording.current;
  return traceDepth() === (rec === null ? 0 : rec.depth);
}

/**
 * k·x for the held factors: a fresh scalar (not through `scalar`, whose checks showed in
 * profiles of nested transforms, nor the cache of numbers given to ops, whose few slots hold
 * the user's constants).
 */
const scaleBy = (x: Tensor, k: number): Tensor => mul(x, new Tensor(NO_AXES, Float64Array.of(k)));
const NO_AXES: number[] = [];

/** Cotangents of the inputs (zeros where none flowed), one tree per differentiated argument. */
function pullback(L: Linearized, cts: readonly Lin[]): PyTree[] {
  const flatVars = flatVarsOf(L);
  const g = backwardPass(L.lin, L.outTangents, cts, flatVars, add, holdFactors() && !L.lin.nested ? scaleBy : undefined);
  let i = 0;
  return L.vars.map((vs, k) => unflatten(L.inDefs[k]!, vs.map((v) => g[i++] ?? zeros(v.shape))));
}

/** Tangents of the outputs for given input tangents (flat, in argnum order). */
function pushforward(L: Linearized, tangents: readonly Lin[]): Tensor[] {
  return forwardPass(L.lin, flatVarsOf(L), tangents, L.outTangents).map((t, i) => t ?? zeros(L.outPrimals[i]!.shape));
}

/** Keeps a staged linear function usable after its top-level call returned. */
function keepResiduals(L: Linearized): void {
  for (const a of L.lin.args) if (!L.lin.isVar(a)) materialize(a._concrete());
}

function scalarOut(op: string, L: Linearized): Tensor {
  if (L.outPrimals.length !== 1 || L.outPrimals[0]!.size !== 1) {
    const shapes = L.outPrimals.map((p) => fmtShape(p.shape)).join(", ");
    throw new ShapeError(op, `f must return a scalar (one entry), got ${shapes || "nothing"}; use jacobian or vjp for non-scalar outputs`);
  }
  return L.outPrimals[0]!;
}

/**
 * The value of scalar `f` and its gradient with respect to argument(s) `argnums`.
 * @example
 * ```ts
 * const [v, g] = valueAndGrad((x: Tensor) => x.mul(x).sum())(vector([1, 2])); // 5, [2, 4]
 * // hasAux: f returns [output, aux]; the result is [[value, aux], grad].
 * const [[v2, y], g2] = valueAndGrad((x: Tensor) => {
 *   const y = x.mul(2);
 *   return [y.dot(x), y];
 * }, { hasAux: true })(vector([1, 2]));                   // 10, [2, 4], [4, 8]
 * ```
 * @category Transforms
 */
export function valueAndGrad<P extends any[], Aux, const A extends Argnums = 0>(
  f: (...args: P) => readonly [Tensor, Aux],
  opts: GradOptions<A> & { hasAux: true },
): (...args: ArgsOf<P, NoInfer<A>>) => [[Tensor, Aux], GradsOf<P, NoInfer<A>>];
// f declared apart returning `[out, aux]` is typed as an array, not a pair: aux is then typed
// as the array's element type.
export function valueAndGrad<P extends any[], Aux, const A extends Argnums = 0>(
  f: (...args: P) => readonly (Tensor | Aux)[],
  opts: GradOptions<A> & { hasAux: true },
): (...args: ArgsOf<P, NoInfer<A>>) => [[Tensor, Tensor | Aux], GradsOf<P, NoInfer<A>>];
export function valueAndGrad<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => Tensor,
  opts?: GradOptions<A> & { hasAux?: false },
): (...args: ArgsOf<P, NoInfer<A>>) => [Tensor, GradsOf<P, NoInfer<A>>];
export function valueAndGrad(f: Fn, opts: GradOptions = {}): (...args: any[]) => any {
  checkGradArgs("valueAndGrad", f, opts);
  return valueAndGradOf("valueAndGrad", f, opts);
}

const GRAD_OPTIONS = { argnums: argnumsCheck, hasAux: bool };

function checkGradArgs(op: string, f: unknown, opts: unknown): void {
  checkFunction(op, f);
  checkOptions(op, opts, GRAD_OPTIONS);
}

/** valueAndGrad, its errors naming `op` (the transform the user called). */
function valueAndGradOf(op: string, f: Fn, opts: GradOptions): (...args: any[]) => any {
  return (...args: unknown[]) =>
    scoped(() => {
      const { list, unique, single } = argnumList(op, opts.argnums, args.length);
      const L = linearizeCore(op, f, args, unique, opts.hasAux ?? false);
      const out = scalarOut(op, L);
      const one = asTensor(1);
      const g = pullback(L, [out.shape.length === 0 ? one : reshape(one, out.shape)]);
      const grads = single ? g[0] : list.map((a) => g[unique.indexOf(a)]);
      return opts.hasAux ? [[out, L.aux], grads] : [out, grads];
    });
}

/**
 * The gradient of a scalar function, shaped like the differentiated argument (a pytree for a
 * pytree). Nests: `grad(grad(f))`. Typed from f: the result takes f's parameters (any
 * {@link TensorLike} where a differentiated parameter is a Tensor) and returns the
 * gradient with that parameter's type ({@link TensorsOf}); `argnums: [i, j]` gives a tuple,
 * and with `hasAux` the result is `[gradient, aux]`.
 * @example
 * ```ts
 * const A = matrix([[2, 1], [1, 3]]);
 * const f = (x: Tensor) => x.dot(A.matmul(x));          // xᵀAx
 * grad(f)(vector([1, 0])).toArray();                    // [4, 2]  = (A + Aᵀ)x
 * grad(grad((x: Tensor) => x.pow(3)))(scalar(2)).item(); // 12  = 6x (nested)
 * grad((p: { w: Tensor; b: Tensor }) => p.w.mul(p.b).sum())({ w: vector([1, 2]), b: scalar(3) });
 * // { w: Tensor [3, 3], b: Tensor 3 }  (a pytree in, the same pytree of gradients out)
 * grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: 1 })(vector([1, 2]), vector([3, 4]));
 * // [1, 2]  (∂/∂b)
 * ```
 * @category Transforms
 */
export function grad<P extends any[], Aux, const A extends Argnums = 0>(
  f: (...args: P) => readonly [Tensor, Aux],
  opts: GradOptions<A> & { hasAux: true },
): (...args: ArgsOf<P, NoInfer<A>>) => [GradsOf<P, NoInfer<A>>, Aux];
// f declared apart returning `[out, aux]` is typed as an array, not a pair: aux is then typed
// as the array's element type.
export function grad<P extends any[], Aux, const A extends Argnums = 0>(
  f: (...args: P) => readonly (Tensor | Aux)[],
  opts: GradOptions<A> & { hasAux: true },
): (...args: ArgsOf<P, NoInfer<A>>) => [GradsOf<P, NoInfer<A>>, Tensor | Aux];
export function grad<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => Tensor,
  opts?: GradOptions<A> & { hasAux?: false },
): (...args: ArgsOf<P, NoInfer<A>>) => GradsOf<P, NoInfer<A>>;
export function grad(f: Fn, opts: GradOptions = {}): (...args: any[]) => any {
  checkGradArgs("grad", f, opts);
  return gradOf("grad", f, opts);
}

function gradOf(op: string, f: Fn, opts: GradOptions): (...args: any[]) => any {
  const vg = valueAndGradOf(op, f, opts);
  return (...args: unknown[]) => {
    const [v, g] = vg(...args) as [unknown, unknown];
    return opts.hasAux ? [g, (v as unknown[])[1]] : g;
  };
}

/**
 * Forward mode: f's output and its directional derivative along `tangents`.
 * @example
 * ```ts
 * const [y, dy] = jvp((x: Tensor) => x.sin(), [x], [v]); // dy = cos(x) ∘ v
 * jvp((x: Tensor) => x.sin(), [vector([0, Math.PI])], [vector([1, 1])])[1].toArray(); // [1, -1]
 * ```
 * @category Transforms
 */
export function jvp<P extends any[], R>(
  f: (...args: P) => R,
  primals: NoInfer<Readonly<TreeArgs<P>>>,
  tangents: NoInfer<Readonly<TreeArgs<P>>>,
): [TensorsOf<R>, TensorsOf<R>];
export function jvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  return jvpOf("jvp", f, primals, tangents);
}

function jvpOf(op: string, f: Fn, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  checkFunction(op, f);
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new DTypeError(op, "primals and tangents must be arrays (one entry per argument of f)");
  }
  return scoped(() => {
    if (primals.length !== tangents.length) {
      throw new ShapeError(op, `got ${primals.length} primals but ${tangents.length} tangents`);
    }
    const hold = holdFactors();
    if (!hold) stopHolding();
    const jt = new JvpTrace(hold ? scaleBy : null);
    return withTrace(jt, () => {
      const args = primals.map((p, i) => {
        const [pl, pd] = flatten(p, op);
        const tl = flattenLike(pd, tangents[i], op, "tangents");
        return unflatten(pd, pl.map((l, j) => new JvpTracer(jt, l, tl[j]!)));
      });
      const [outLeaves, outDef] = flatten(f(...args), op);
      const pairs = outLeaves.map((x) => jt.unpack(x));
      return [
        unflatten(outDef, pairs.map(([p]) => p)),
        unflatten(outDef, pairs.map(([p, t]) => t ?? zeros(p.shape))),
      ] as [PyTree, PyTree];
    });
  });
}

/**
 * Reverse mode: f's output and a function mapping an output cotangent to the cotangents of
 * every argument (an array, one per primal).
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]), x = vector([1, 2]);
 * const [y, back] = vjp((A: Tensor, x: Tensor) => A.matmul(x), A, x); // y = [5, 11]
 * const [ctA, ctx] = back(vector([1, 0]));   // u·xᵀ and Aᵀu for u = [1, 0]
 * ctA.toArray();   // [[1, 2], [0, 0]]
 * ctx.toArray();   // [1, 2]
 * ```
 * @category Transforms
 */
export function vjp<P extends any[], R>(
  f: (...args: P) => R,
  ...primals: NoInfer<TreeArgs<P>>
): [TensorsOf<R>, (cotangent: TreeArg<TensorsOf<R>>) => AllGradsOf<P>];
export function vjp(f: Fn, ...primals: unknown[]): [any, (cotangent: unknown) => any[]] {
  checkFunction("vjp", f);
  const argnums = primals.map((_, i) => i);
  let L!: Linearized;
  const out = scoped(
    () => {
      L = linearizeCore("vjp", f, primals, argnums, false);
      return unflatten(L.outDef, L.outPrimals);
    },
    () => keepResiduals(L),
  );
  const back = (ct: unknown): PyTree[] =>
    scoped(() => {
      return pullback(L, flattenLike(L.outDef, ct, "vjp", "the cotangent"));
    });
  return [out, back];
}

/**
 * f's output and its linearization at `primals`: a function from input tangents to the
 * output tangent, evaluated without re-running f's nonlinear parts.
 * @example
 * ```ts
 * const [y, f_jvp] = linearize((x: Tensor) => x.exp().sum(), vector([0, 0])); // y = 2
 * f_jvp(v);                          // ⟨exp(x), v⟩, for any v
 * f_jvp(vector([1, 2])).item();      // 3
 * ```
 * @category Transforms
 */
export function linearize<P extends any[], R>(
  f: (...args: P) => R,
  ...primals: NoInfer<TreeArgs<P>>
): [TensorsOf<R>, (...tangents: TreeArgs<P>) => TensorsOf<R>];
export function linearize(f: Fn, ...primals: unknown[]): [any, (...tangents: unknown[]) => any] {
  checkFunction("linearize", f);
  const argnums = primals.map((_, i) => i);
  let L!: Linearized;
  const out = scoped(
    () => {
      L = linearizeCore("linearize", f, primals, argnums, false);
      pruneDead(L.lin, L.outTangents);
      return unflatten(L.outDef, L.outPrimals);
    },
    () => keepResiduals(L),
  );
  const fn = (...tangents: unknown[]): PyTree =>
    scoped(() => {
      if (tangents.length !== primals.length) throw new ShapeError("linearize", `expected ${primals.length} tangents, got ${tangents.length}`);
      const flat: Tensor[] = [];
      tangents.forEach((t, i) => {
        flat.push(...flattenLike(L.inDefs[i]!, t, "linearize", "tangents"));
      });
      return unflatten(L.outDef, pushforward(L, flat));
    });
  return [out, fn];
}

/**
 * Options of {@link jacobian}.
 * @category Transforms
 */
export interface JacobianOptions<A extends Argnums = Argnums> {
  /** 'fwd' pushes input basis vectors, 'rev' pulls output basis vectors; 'auto' (default)
   * picks forward when there are fewer inputs than outputs, and otherwise the mode whose
   * estimated work (directions × values each creates) is smaller: forward for square
   * Jacobians, reverse once inputs clearly outnumber outputs. */
  mode?: "fwd" | "rev" | "auto";
  /** 'numerator' (default, JAX/PyTorch): m×n with J[i][j] = ∂fᵢ/∂xⱼ. 'denominator': n×m. */
  layout?: "numerator" | "denominator";
  /** Index or indices of the differentiated arguments (default 0); several give their columns side by side. */
  argnums?: A;
  /**
   * Basis directions pushed through together. Each chunk is one batched pass whose products
   * are matrix-matrix. The default takes as many as keep one chunk's seeds and block of the
   * Jacobian within 128 MiB (at least 128), and no more than keep the chunk's intermediate
   * values (estimated from the staged linear function) within 512 MiB; and when one
   * direction's values exceed 128 KiB, within 2 MiB (at least 4 directions), so that they stay
   * in cache. At top level, and in `jit` replays, the memory of each chunk is freed once its
   * block is copied out, so a large Jacobian or Hessian needs about its own bytes (three
   * times: the blocks, the joined matrix and the result) plus one chunk's working set.
   */
  chunkSize?: number;
  /**
   * Return the Jacobian as nested blocks keyed by the user's names instead of one matrix:
   * f's output tree, each leaf replaced by the argument's tree (the array of the arguments
   * for several argnums) of matrices, the block of output leaf i and input leaf j being
   * m_i × n_j over vec (n_j × m_i in the denominator layout). E.g. the Hessian of f over
   * `{ W, b }` as `{ W: { W, b }, b: { W, b } }`.
   */
  blocks?: boolean;
}

/** The checks of {@link JacobianOptions}. */
const JACOBIAN_OPTIONS = {
  mode: oneOf("fwd", "rev", "auto"),
  layout: oneOf("numerator", "denominator"),
  argnums: argnumsCheck,
  chunkSize: positiveInt(true),
  blocks: bool,
};

/** Bytes of seeds and Jacobian one default chunk holds at most (see JacobianOptions.chunkSize). */
const CHUNK_BYTES = 128 * 2 ** 20;

/** Bytes of intermediate values one default chunk may create (see JacobianOptions.chunkSize). */
const CHUNK_WORK_BYTES = 512 * 2 ** 20;

/**
 * When one direction's intermediate values take more than {@link CACHE_DIRECTION_BYTES}, a
 * default chunk holds about {@link CHUNK_CACHE_BYTES} of them (at least
 * {@link MIN_CACHE_CHUNK} directions): its values then stay in cache (a chunk's memory is
 * reused by the next, see regions.ts), and its elementwise passes run at cache speed, not
 * memory speed. Directions with smaller values are dominated by their products with the
 * data (GEMM, which wants wide chunks) and keep the wide default: the MLP 20-20-1 Hessian
 * (425 KB of values per direction by this estimate, an upper bound) takes chunks of ~37
 * directions (its values within a last-level cache, not a core's L2: one thread runs them
 * as fast as chunks of 4, and their entrywise calls and products are large enough for the
 * thread pool to split, which chunks of 4 are not), the logistic Hessian over A 1000×100
 * (74 KB per direction) one chunk (one symmetric GEMM, see gram.ts). Figures: bench/NOTES.md,
 * "Where the source comments' numbers went" and "Batched autodiff across workers".
 */
const CACHE_DIRECTION_BYTES = 128 * 2 ** 10;
const CHUNK_CACHE_BYTES = 16 * 2 ** 20;
const MIN_CACHE_CHUNK = 4;

/**
 * Default directions per chunk when each direction has `rows` entries of seed and result and
 * the staged linear function creates `work` entries per direction (an upper bound: rank-one
 * and symbolic-zero values take less).
 */
function defaultChunk(rows: number, work: number): number {
  const w = 8 * Math.max(1, work);
  const byResult = Math.max(128, Math.floor(CHUNK_BYTES / (8 * Math.max(1, rows))));
  const byWork = Math.max(1, Math.floor(CHUNK_WORK_BYTES / w));
  const byCache = w > CACHE_DIRECTION_BYTES ? Math.max(MIN_CACHE_CHUNK, Math.floor(CHUNK_CACHE_BYTES / w)) : Infinity;
  return Math.min(byResult, byWork, byCache);
}

/**
 * Entries one direction creates when pushed through L (forward) or pulled back (reverse).
 * `kernelsOnly`: without reshapes, which relabel the entries instead of making new ones.
 */
function workPerDirection(L: Linearized, mode: "fwd" | "rev", kernelsOnly = false): number {
  let w = 0;
  const lin = L.lin;
  for (let e = 0; e < lin.length; e++) {
    if (kernelsOnly && lin.prims[e] === reshape_p) continue;
    for (let i = lin.outAt[e]!; i < lin.outAt[e + 1]!; i++) w += lin.outs[i]!.size;
    if (mode === "rev") for (let i = lin.argAt[e]!; i < lin.argAt[e + 1]!; i++) if (lin.isVar(lin.args[i]!)) w += lin.args[i]!.size;
  }
  return w;
}

/**
 * Multiply-adds of the staged matrix products one direction runs (forward or reverse), those
 * taken straight from a basis direction excepted: a product of a matrix with an identity
 * column, or with one times a fixed factor, is a gather (basis.ts), forward on an input's
 * tangent, reverse on an output's cotangent (both seen through reshapes and products with a
 * fixed factor of their shape).
 */
function productsPerDirection(L: Linearized, mode: "fwd" | "rev"): number {
  const lin = L.lin;
  const seeds = new Set<Tensor>();
  /** Whether equation e keeps a seed a seed: a reshape, or a product with a fixed factor. */
  const keeps = (e: number): boolean => {
    const prim = lin.prims[e];
    if (prim === reshape_p) return true;
    if (prim !== mul_p || lin.argAt[e + 1]! - lin.argAt[e]! !== 2) return false;
    const a = lin.args[lin.argAt[e]!]!, b = lin.args[lin.argAt[e]! + 1]!;
    return lin.isVar(a) !== lin.isVar(b) && sameShape(a.shape, b.shape);
  };
  if (mode === "fwd") {
    for (const vs of L.vars) for (const v of vs) seeds.add(v);
    for (let e = 0; e < lin.length; e++) {
      const g = lin.argAt[e]!;
      if (keeps(e) && (seeds.has(lin.args[g]!) || seeds.has(lin.args[g + 1]!))) seeds.add(lin.outs[lin.outAt[e]!]!);
    }
  } else {
    for (const t of L.outTangents) if (t !== null) seeds.add(t);
    for (let e = lin.length - 1; e >= 0; e--) {
      if (!keeps(e) || !seeds.has(lin.outs[lin.outAt[e]!]!)) continue;
      for (let i = lin.argAt[e]!; i < lin.argAt[e + 1]!; i++) if (lin.isVar(lin.args[i]!)) seeds.add(lin.args[i]!);
    }
  }
  let macs = 0;
  for (let e = 0; e < lin.length; e++) {
    if (lin.prims[e] !== matmul_p) continue;
    const a = lin.args[lin.argAt[e]!]!, b = lin.args[lin.argAt[e]! + 1]!, out = lin.outs[lin.outAt[e]!]!;
    const gathered = mode === "fwd" ? seeds.has(a) || seeds.has(b) : seeds.has(out);
    if (!gathered) macs += out.size * ((lin.params[e] as MatmulParams).ta ? a.shape[0]! : a.shape[1]!);
  }
  return macs;
}

/**
 * What a multiply-add of a matrix product costs against an entry an elementwise step writes:
 * the products run at GEMM speed from cache, the entries at memory speed (bench/NOTES.md,
 * "jacobian 'auto' counts products").
 */
const MAC_COST = 1 / 8;

/**
 * The mode `jacobian` takes when asked for 'auto': forward when there are no more inputs than
 * outputs (as documented), else the one whose estimated work is smaller: directions × (the
 * entries one direction creates + MAC_COST × the multiply-adds of its matrix products).
 * Forward pushes n directions, each making the input tangent and every staged output, its
 * first product with the identity a gather; reverse pulls m, each making the output
 * cotangent and every staged output plus a cotangent for each linear argument (the
 * transposes' extra writes and accumulations), its first product with an output's cotangent
 * (scaled or not) a gather. Counting the products matters where one pass meets a matrix with
 * dense directions and the other gathers from it (A·tanh(Bx): forward multiplies by A, reverse
 * by Bᵀ). bench/suites/overhead.ts measures both modes against this choice.
 */
function autoMode(L: Linearized, n: number, m: number): "fwd" | "rev" {
  if (n <= m) return "fwd";
  const wF = workPerDirection(L, "fwd", true) + MAC_COST * productsPerDirection(L, "fwd");
  const wR = workPerDirection(L, "rev", true) + MAC_COST * productsPerDirection(L, "rev");
  return n * (n + wF) <= m * (m + wR) ? "fwd" : "rev";
}

/**
 * The mode `jacobian(f)` with `mode: 'auto'` takes at `args` (f differentiated in its first
 * argument). For tests and the benchmark; not part of the public API.
 * @internal
 */
export function jacobianAutoMode(f: Fn, ...args: unknown[]): "fwd" | "rev" {
  return scoped(() => {
    const L = linearizeCore("jacobian", f, args, [0], false);
    const n = L.vars.flat().reduce((a, v) => a + v.size, 0);
    return autoMode(L, n, L.outPrimals.reduce((a, p) => a + p.size, 0));
  });
}

/**
 * How jacobian cuts the identity: chunks of at most `chunk` directions that never straddle two
 * leaves (so every other leaf's tangent is a symbolic zero and each chunk is one run of identity
 * columns, see basis.ts), spread evenly within a leaf. In order, so the blocks concatenate.
 */
function chunkPlan(sizes: readonly number[], chunk: number): { leaf: number; start: number; count: number }[] {
  const plan: { leaf: number; start: number; count: number }[] = [];
  sizes.forEach((k, leaf) => {
    if (k === 0) return;
    const per = Math.ceil(k / Math.ceil(k / chunk));
    for (let start = 0; start < k; start += per) plan.push({ leaf, start, count: Math.min(per, k - start) });
  });
  return plan;
}

/** Batched leaves ([...shape, c] each) as one (Σ sizes) × c matrix. */
function stackRows(leaves: readonly Tensor[], c: number): Tensor {
  const rows = leaves.map((l) => reshape(l, [l.size / c, c]));
  return rows.length === 1 ? rows[0]! : concat(rows, 0);
}

/**
 * The Jacobian of f, with every input and output taken through vec (columns stacked) and
 * pytree leaves concatenated in order: for F: R^{m×n} → R^{p×q} the numerator layout is
 * pq × mn with vec(dF) = J·vec(dX). Basis directions go through in chunks as one batched
 * pass (see {@link vmap}), so the work is matrix-matrix.
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]), x = vector([1, 1]);
 * jacobian((x: Tensor) => A.matmul(x))(x);                          // A  = [[1, 2], [3, 4]]
 * jacobian((x: Tensor) => A.matmul(x), { layout: "denominator" })(x); // Aᵀ = [[1, 3], [2, 4]]
 * // Several arguments: their columns side by side, [∂f/∂a, ∂f/∂b].
 * jacobian((a: Tensor, b: Tensor) => a.mul(b), { argnums: [0, 1] })(vector([1, 2]), vector([3, 4]));
 * // [[3, 0, 1, 0], [0, 4, 0, 2]]
 * ```
 * @category Transforms
 */
export function jacobian<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => PyTree,
  opts: JacobianOptions<A> & { blocks: true },
): (...args: ArgsOf<P, NoInfer<A>>) => any;
export function jacobian<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => PyTree,
  opts?: JacobianOptions<A>,
): (...args: ArgsOf<P, NoInfer<A>>) => Tensor;
export function jacobian(f: Fn, opts: JacobianOptions = {}): (...args: any[]) => any {
  checkFunction("jacobian", f);
  checkOptions("jacobian", opts, JACOBIAN_OPTIONS);
  return jacobianOf("jacobian", f, opts, false);
}


/**
 * Refuses a Jacobian that cannot fit before any work: it is assembled in kernel memory, from
 * its blocks (copied back in) into the joined matrix, so it needs twice its bytes there
 * (once when it is one chunk).
 */
function checkResultSize(op: string, m: number, n: number, chunks: number): void {
  const bytes = 8 * m * n;
  if ((chunks > 1 ? 2 : 1) * bytes <= KERNEL_BYTES) return;
  const alt = op === "hessian"
    ? "use hvp(f)(x, v) for Hessian-vector products (matrix-free), or compute blocks of rows with jacobian(grad(f)) over slices of x"
    : "use jvp/vjp for Jacobian-vector products (matrix-free), or compute blocks of the Jacobian over slices of the input";
  throw new MemoryLimitError(op, bytes, `the ${m} × ${n} result takes ${bytes} bytes (${(bytes / 2 ** 30).toFixed(1)} GiB) and is assembled in 4 GiB of 32-bit WebAssembly memory; ${alt}`);
}

/** What 32-bit WebAssembly memory can address. */
const KERNEL_BYTES = 2 ** 32;

/**
 * {@link jacobian}; `symmetric` says the Jacobian is symmetric (a Hessian), so a jit recording
 * may compute each chunk's block below the diagonal only (see triangle.ts).
 */
function jacobianOf(op: string, f: Fn, opts: JacobianOptions, symmetric: boolean): (...args: any[]) => any {
  return (...args: unknown[]) =>
    scoped(() => {
      const { list, unique, single } = argnumList(op, opts.argnums, args.length);
      if (symmetric) {
        // A Hessian's size is known from its arguments alone: refuse it before tracing f.
        const n = list.reduce((a, k) => a + flatten(args[k], op)[0].reduce((b, l) => b + l.size, 0), 0);
        checkResultSize(op, n, n, 2);
      }
      const L = linearizeCore(op, f, args, unique, false);
      const inShapes = L.vars.flat().map((v) => v.shape);
      const outShapes = L.outPrimals.map((p) => p.shape);
      const n = inShapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
      const m = L.outPrimals.reduce((a, p) => a + p.size, 0);
      const mode = opts.mode === "fwd" || opts.mode === "rev" ? opts.mode : autoMode(L, n, m);
      if (mode === "fwd") pruneDead(L.lin, L.outTangents);
      const chunk = Math.max(1, Math.floor(opts.chunkSize ?? defaultChunk(m + n, workPerDirection(L, mode))));
      /** The shape of B, the Jacobian as the chunks make it: one column per direction. */
      const [rows, directions] = mode === "fwd" ? [m, n] : [n, m];
      checkResultSize(op, m, n, Math.ceil(directions / chunk));
      const done = (J: Tensor): Tensor | PyTree => (opts.blocks === true ? toBlocks(J, opts.layout === "denominator", L, list, unique, single) : J);
      if (m === 0 || n === 0) {
        const argSizes = L.vars.map((vs) => vs.reduce((a, v) => a + v.size, 0));
        const nList = list.reduce((a, x) => a + argSizes[unique.indexOf(x)]!, 0);
        return done(zeros(opts.layout === "denominator" ? [nList, m] : [m, nList]));
      }
      const blocks: Tensor[] = [];
      const seedShapes = mode === "fwd" ? inShapes : outShapes;
      const plan = chunkPlan(seedShapes.map(sizeOf), chunk);
      // At top level (no transform around this call could hold a chunk's values), each chunk's
      // memory is freed once its block is copied out: memory stays near the Jacobian's own.
      // While jit records, nothing is freed (the recording holds every value to its end; one
      // that runs out of memory makes jit run the call un-jitted, which frees), but each chunk
      // is marked as a region whose memory the replays free (regions.ts).
      const arena = rt().arena;
      const rec = recording.current;
      const rewind = plan.length > 1 && traceDepth() === 0 && rec === null;
      // Recorded at jit's own level, each chunk is a region whose memory the replay frees.
      const regions = plan.length > 1 && rec !== null && traceDepth() === rec.depth;
      // There a Hessian's chunk needs only its rows from its first column down (triangle.ts).
      const lower = regions && symmetric && mode === "fwd";
      const leafStart = seedShapes.map((_, l) => seedShapes.slice(0, l).reduce((a, s) => a + sizeOf(s), 0));
      let marked = 0;
      const mark = arena.mark();
      // With threads, a chunk may be taped and run by a worker (src/wasm/tape.ts) while the
      // chunks after it run here, above its memory (each copied out and given back as usual,
      // down to the top of the posted chunk's memory); once the worker is done its block is
      // copied out too, the memory of all of them given back, and the next chunk may be taped.
      // Chunks too small to pay for a worker's wake-up run here.
      const pool = rt().pool;
      const perDirection = workPerDirection(L, mode, true);
      const tapeWorth = pool !== null && rewind && chunk * perDirection >= tapeTuning.minEntries;
      /** Blocks of the posted chunks, oldest first, their first columns, and their directions. */
      const posted: Tensor[] = [];
      const postedAt: number[] = [];
      let queued = 0;
      let base = mark;
      let prefaulted = false;
      /** Directions of the chunks after each one. */
      const left = plan.map(() => 0);
      for (let k = plan.length - 2; k >= 0; k--) left[k] = left[k + 1]! + plan[k + 1]!.count;
      // At top level the chunks' blocks go straight into the result's JS storage: block k is
      // the columns leafStart + start … of B (rows × columns, column-major), one contiguous
      // range. No storage of its own per block, no concat in the arena, no second copy out.
      let out: Float64Array | null = null;
      const place = (b: Tensor, col: number): void => {
        if (b.rank !== 2 || b.shape[0] !== rows) throw new Error(`matcalc: internal: a ${op} chunk's block is ${fmtShape(b.shape)}, not ${rows} rows`);
        out ??= jsStorage(rows * directions);
        copyInto(b, out, rows * col);
      };
      const settle = (): void => {
        if (posted.length === 0) return;
        const bs = posted.splice(0), at = postedAt.splice(0);
        queued = 0;
        settleTape();
        bs.forEach((b, i) => place(b, at[i]!));
      };
      if (tapeWorth) pool!.tapesHot(true);
      try {
      plan.forEach(({ leaf, start, count: c }, k) => {
        if (regions) rec.openRegion();
        if (posted.length > 0 && !pool!.tapeRunning) {
          settle();
          arena.rewind(mark);
          base = mark;
        }
        // Taped while worker 1's queue ends before the caller's share would. At cost 1: the
        // caller runs a chunk's JavaScript (its tracing) whether it is taped or not, which
        // offsets the worker's slower tapes (bench/NOTES.md, "Session 27").
        const tape = tapeWorth && k < plan.length - 1 &&
          worthTaping(c * perDirection, queued * perDirection, left[k]! * perDirection, 1) && beginTape();
        if (tape && !prefaulted) {
          // The result's JS storage readied while the worker runs (see prepareStorage).
          prefaulted = true;
          prepareStorage(m * n);
        }
        let block = (
          withBatch(c, (_wrap, unpack, basis) => {
            // Columns start … start+c−1 of leaf `leaf`'s identity (basis.ts); zero for the others.
            const seeds = seedShapes.map((s, l) => (l === leaf ? basis(s, start) : null));
            if (mode === "fwd") {
              const outs = pushforward(L, seeds);
              return stackRows(outs.map(unpack), c); // m × c: columns of J
            }
            const g = pullback(L, seeds);
            const leaves = g.flatMap((tree) => flatten(tree, op)[0]);
            return stackRows(leaves.map(unpack), c); // n × c: columns of Jᵀ
          })
        );
        if (lower && !(block instanceof Tracer)) {
          const first = leafStart[leaf]! + start;
          block = bind1(demandRows_p, [block], { first });
          marked++;
        }
        if (regions) rec.closeRegion(block);
        const col = leafStart[leaf]! + start;
        if (tape && postTape()) {
          posted.push(block);
          postedAt.push(col);
          queued += c;
          base = arena.mark();
          return;
        }
        if (rewind) {
          place(block, col);
          if (k < plan.length - 1) arena.rewind(base);
          else settle();
          return;
        }
        settle();
        blocks.push(block);
      });
      } finally {
        if (tapeWorth) pool!.tapesHot(false);
        abortTape();
      }
      settle();
      let B = rewind ? new Tensor([rows, directions], out!) : blocks.length === 1 ? blocks[0]! : concat(blocks, 1);
      if (marked === plan.length) B = bind1(mirrorUpper_p, [B], {});
      const numerator = mode === "fwd";
      if (list.length !== unique.length) B = repeatArgs(B, numerator ? 1 : 0, L, list, unique);
      return done((opts.layout === "denominator") === numerator ? transpose(B) : B);
    });
}

/**
 * J cut into blocks nested as f's output tree of (argument tree of) matrices: the block of
 * output leaf i and input leaf j is m_i × n_j (n_j × m_i in the denominator layout), each
 * taken through vec. The argument tree is the argument's own for one argnum, the array of
 * the arguments for several.
 */
function toBlocks(J: Tensor, denominator: boolean, L: Linearized, list: readonly number[], unique: readonly number[], single: boolean): PyTree {
  const rows = L.outPrimals.map((p) => p.size);
  const ks = list.map((a) => unique.indexOf(a));
  const cols = ks.flatMap((k) => L.vars[k]!.map((v) => v.size));
  const inDef: TreeDef = single ? L.inDefs[ks[0]!]! : { kind: "array", children: ks.map((k) => L.inDefs[k]!) };
  const starts = (sizes: readonly number[]): number[] => sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const r0 = starts(rows), c0 = starts(cols);
  const perOut = rows.map((m, i) =>
    unflatten(inDef, cols.map((n, j) => (denominator ? slice(J, [c0[j]!, r0[i]!], [n, m]) : slice(J, [r0[i]!, c0[j]!], [m, n])))),
  );
  return unflatten(L.outDef, perOut);
}

/**
 * J's input axis (`axis` of B) laid out for argnums as written (`list`, with repeats) from its
 * layout for the distinct arguments (`unique`): each argument's block, in `list` order.
 */
function repeatArgs(B: Tensor, axis: 0 | 1, L: Linearized, list: readonly number[], unique: readonly number[]): Tensor {
  const sizes = L.vars.map((vs) => vs.reduce((a, v) => a + v.size, 0));
  const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const other = B.shape[1 - axis]!;
  const parts = list.map((a) => {
    const k = unique.indexOf(a);
    return axis === 1 ? slice(B, [0, starts[k]!], [other, sizes[k]!]) : slice(B, [starts[k]!, 0], [sizes[k]!, other]);
  });
  return concat(parts, axis);
}


/**
 * The Hessian of scalar f over vec of its argument (pytree leaves concatenated): n × n and
 * symmetric, computed forward-over-reverse. Under {@link jit}, a Hessian computed in several
 * chunks computes each chunk's rows from the diagonal down and mirrors the rest: exactly
 * symmetric, its lower triangle bit for bit the un-jitted one's.
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]);
 * hessian((x: Tensor) => x.dot(A.matmul(x)))(vector([0.3, 0.7]));   // A + Aᵀ = [[2, 5], [5, 8]]
 * hessian((X: Tensor) => X.square().sum())(eye(2));                // 2·I, 4 × 4 (over vec(X))
 * ```
 * @category Transforms
 */
export function hessian<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => Tensor,
  opts: HessianOptions<A> & { blocks: true },
): (...args: ArgsOf<P, NoInfer<A>>) => any;
export function hessian<P extends any[], const A extends Argnums = 0>(
  f: (...args: P) => Tensor,
  opts?: HessianOptions<A>,
): (...args: ArgsOf<P, NoInfer<A>>) => Tensor;
export function hessian(f: Fn, opts: HessianOptions = {}): (...args: any[]) => any {
  checkFunction("hessian", f);
  checkOptions("hessian", opts, HESSIAN_OPTIONS);
  const argnums = opts.argnums ?? 0;
  const jopts: JacobianOptions = { mode: "fwd", argnums };
  if (opts.chunkSize !== undefined) jopts.chunkSize = opts.chunkSize;
  if (opts.blocks !== undefined) jopts.blocks = opts.blocks;
  return jacobianOf("hessian", gradOf("hessian", f, { argnums }), jopts, true);
}

const HESSIAN_OPTIONS = { argnums: argnumsCheck, chunkSize: positiveInt(true), blocks: bool };

/**
 * Options of {@link hessian}: as {@link JacobianOptions}' `argnums`, `chunkSize` and `blocks`.
 * @category Transforms
 */
export interface HessianOptions<A extends Argnums = Argnums> {
  /** Index or indices of the differentiated arguments (default 0); several give one joint Hessian. */
  argnums?: A;
  /** Basis directions pushed through together (see {@link JacobianOptions.chunkSize}). */
  chunkSize?: number;
  /** Nested blocks keyed by the user's names (see {@link JacobianOptions.blocks}). */
  blocks?: boolean;
}

/**
 * Options of {@link hvp}.
 * @category Transforms
 */
export interface HvpOptions {
  /** 'fwd-rev' (default): jvp of grad, about the cost of two gradients. 'rev-rev': grad of ⟨grad, v⟩. */
  mode?: "fwd-rev" | "rev-rev";
}

/**
 * Hessian-vector product H(x)·v, shaped like x, without forming H.
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]);
 * const f = (x: Tensor) => x.dot(A.matmul(x));
 * hvp(f)(x, v);                                            // (A + Aᵀ)v
 * hvp(f)(vector([0.3, 0.7]), vector([1, 0])).toArray();    // [2, 5]
 * hvp(f, { mode: "rev-rev" })(vector([0.3, 0.7]), vector([1, 0])).toArray(); // [2, 5]
 * ```
 * @category Transforms
 */
export function hvp<X>(f: (x: X) => Tensor, opts?: HvpOptions): (x: TreeArg<X>, v: TreeArg<X>) => TensorsOf<X>;
export function hvp(f: Fn, opts: HvpOptions = {}): (x: unknown, v: unknown) => any {
  checkFunction("hvp", f);
  checkOptions("hvp", opts, { mode: oneOf("fwd-rev", "rev-rev") });
  const g = gradOf("hvp", f, {});
  // v must be shaped like x: checked here, so the error names hvp, not the jvp inside it.
  const checkV = (x: unknown, v: unknown): void => {
    flattenLike(flatten(x, "hvp")[1], v, "hvp", "v");
  };
  if (opts.mode === "rev-rev") {
    return (x, v) => {
      checkV(x, v);
      return gradOf("hvp", (y: unknown) => {
        const [gl, gd] = flatten(g(y), "hvp");
        const vl = flattenLike(gd, v, "hvp", "v");
        return gl.map((t, i) => sum(mul(t, vl[i]!))).reduce((a, b) => add(a, b));
      }, {})(x);
    };
  }
  return (x, v) => {
    checkV(x, v);
    return jvpOf("hvp", g, [x], [v])[1];
  };
}
