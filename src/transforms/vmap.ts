// vmap: the batching trace. A batched value carries its batch axis LAST: in column-major
// storage each batch member is then one contiguous block, so most rules are free reshapes and
// a batch of matrix-vector products becomes one matrix-matrix product.
import { checkFunction, checkOptions } from "../options.js";
import { DTypeError, ShapeError } from "../errors.js";
import { Tensor, releasedError, scoped } from "../core/tensor.js";
import { basisChunk, reshape } from "../ops/structure.js";
import { broadcastTo } from "../ops/reduce.js";
import { permute } from "../ops/permute.js";
import { Trace, Tracer, bind, withTrace, type Primitive } from "../core/primitive.js";
import { flatten, unflatten } from "../core/pytree.js";
import type { TensorsOf, TreeArgs } from "./types.js";
import { basisFactors, fitsLowRank, lowRankOf, type LowRank } from "../core/basis.js";
import { fromLowRank } from "../ops/lowrank.js";
import { member, stack } from "../ops/batched.js";

export class BatchTracer extends Tracer {
  private dense: Tensor | null;
  /**
   * A batched value: dense (`val`, batch axis last), or held as low-rank factors (see
   * basis.ts) with the dense value formed from them, or by `make`, only when a rule needs it.
   */
  constructor(trace: BatchTrace, val: Tensor | null, readonly lowRank?: LowRank, private make?: () => Tensor) {
    super(val ? val.shape.slice(0, -1) : [lowRank!.u.shape[0]!, lowRank!.v.shape[0]!], trace);
    this.dense = val;
  }
  /** The dense batched value (formed now if the batch was held as factors). */
  get val(): Tensor {
    if (this.dense === null) {
      this.dense = this.make ? this.make() : fromLowRank(this.lowRank!.u, this.lowRank!.v);
      this.make = undefined;
    }
    return this.dense;
  }
  /** The dense value if it exists already. */
  get denseVal(): Tensor | undefined {
    return this.dense ?? undefined;
  }
  /** Low-rank factors: held, or marked on the dense value. */
  factors(): LowRank | undefined {
    return this.lowRank ?? (this.dense ? lowRankOf(this.dense) : undefined);
  }
  /**
   * A batched value has no entries of its own to read. While its vmap runs, reading them is a
   * DTypeError (the value is a whole batch, not a tensor of its shape); once the vmap call has
   * returned, the value was released with it, as any tensor smuggled out of a transform.
   */
  override _concrete(): Tensor {
    if (!this._trace.alive) throw releasedError();
    throw new DTypeError("vmap", "cannot read the entries of a batched value inside vmap (it holds a whole batch)");
  }
}

export class BatchTrace extends Trace {
  constructor(readonly size: number) {
    super();
  }
  wrap(val: Tensor): BatchTracer {
    return new BatchTracer(this, val);
  }
  /**
   * The basis chunk e_start … e_{start+size−1} over vec of `shape` (see basis.ts), batched.
   * For matrices it is held as rank-one factors; the dense chunk is made only if a rule needs it.
   */
  wrapBasis(shape: readonly number[], start: number): BatchTracer {
    const lr = shape.length === 2 ? basisFactors([shape[0]!, shape[1]!, this.size], start) : undefined;
    if (lr === undefined) return this.wrap(basisChunk(shape, start, this.size));
    return new BatchTracer(this, null, lr, () => basisChunk(shape, start, this.size));
  }
  process<P>(prim: Primitive<P>, args: readonly Tensor[], params: P): Tensor[] {
    const batched = args.map((a) => a instanceof BatchTracer && a._trace === this);
    // Values that do not depend on the batch stay unbatched (and untraced).
    if (!batched.some((b) => b)) return bind(prim, args, params);
    const lr = this.lowRankApply(prim, args, batched, params);
    if (lr !== undefined) return [new BatchTracer(this, null, lr)];
    const vals = args.map((a, i) => (batched[i] ? (a as BatchTracer).val : a));
    const outs = prim.batch ? prim.batch(vals, batched, params, this.size) : loopBatch(prim, vals, batched, params, this.size);
    return outs.map((o) => this.wrap(o));
  }
  /**
   * The primitive's low-rank rule (its `lowRank` field) when some batched argument has factors: the
   * output's factors, if the rule has a case for these arguments and they fit the output.
   */
  private lowRankApply<P>(prim: Primitive<P>, args: readonly Tensor[], batched: readonly boolean[], params: P): LowRank | undefined {
    const rule = prim.lowRank;
    if (rule === undefined) return undefined;
    const lrs = args.map((a, i) => (batched[i] ? (a as BatchTracer).factors() : undefined));
    if (lrs.every((l) => l === undefined)) return undefined;
    const vals = args.map((a, i) => (batched[i] ? (a as BatchTracer).denseVal : a));
    const out = rule(vals, lrs, batched, params);
    if (out === undefined) return undefined;
    const [shape] = prim.shape(args.map((a) => a.shape), params);
    return shape!.length === 2 && fitsLowRank(out, shape![0]!, shape![1]!, this.size) ? out : undefined;
  }
  /** The batched value of a traced output (broadcasting outputs that ignore the batch). */
  unpack(x: Tensor): Tensor {
    if (x instanceof BatchTracer && x._trace === this) return x.val;
    return broadcastTo(reshape(x, [...x.shape, 1]), [...x.shape, this.size]);
  }
}

/** The fallback rule: apply the primitive member by member and stack the results. */
function loopBatch<P>(prim: Primitive<P>, vals: readonly Tensor[], batched: readonly boolean[], params: P, size: number): Tensor[] {
  const results: Tensor[][] = [];
  for (let b = 0; b < size; b++) results.push(bind(prim, vals.map((v, i) => (batched[i] ? member(v, b) : v)), params));
  return results[0]!.map((_, k) => stack(results.map((r) => r[k]!)));
}

/** Moves axis `from` of `x` to the end. */
function toLast(x: Tensor, from: number): Tensor {
  if (from === x.rank - 1) return x;
  const perm = [...Array(x.rank).keys()].filter((i) => i !== from);
  return permute(x, [...perm, from]);
}

/** Moves the last axis of `x` to position `to`. */
function fromLast(x: Tensor, to: number): Tensor {
  const r = x.rank;
  if (to === r - 1) return x;
  const perm: number[] = [];
  for (let i = 0; i < r - 1; i++) perm.push(i);
  perm.splice(to, 0, r - 1);
  return permute(x, perm);
}

const isAxis = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v);
const VMAP_OPTIONS = {
  inAxes: (v: unknown) =>
    isAxis(v) || (Array.isArray(v) && v.every((a) => a === null || isAxis(a)))
      ? undefined
      : "an integer or an array of integers and nulls",
  outAxes: (v: unknown) => (isAxis(v) ? undefined : "an integer"),
};

/**
 * Options of {@link vmap}.
 * @category Transforms
 */
export interface VmapOptions {
  /** Mapped axis of each argument (null: not mapped, passed whole); default 0 for all. */
  inAxes?: number | readonly (number | null)[];
  /** Where the batch axis goes in every output (default 0). */
  outAxes?: number;
}

/**
 * Vectorizing map: `vmap(f)(xs)` applies f to every slice of xs along the mapped axis, in
 * one pass whose primitives see the whole batch (a batch of matrix-vector products runs as
 * one GEMM).
 * @example
 * ```ts
 * const f = (x: Tensor) => A.matmul(x).tanh();
 * vmap(f, { inAxes: 1, outAxes: 1 })(X);   // tanh(A·X), one column per x
 * vmap((x: Tensor) => x.dot(x))(matrix([[1, 2], [3, 4]])).toArray();        // [5, 25]  (one per row)
 * vmap(grad((x: Tensor) => x.square().sum()))(matrix([[1, 2], [3, 4]]));    // [[2, 4], [6, 8]]
 * // null: an argument passed whole to every call
 * vmap((x: Tensor, w: Tensor) => x.dot(w), { inAxes: [0, null] })(matrix([[1, 2], [3, 4]]), vector([1, 1])); // [3, 7]
 * ```
 * @category Transforms
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function vmap<P extends any[], R>(f: (...args: P) => R, opts?: VmapOptions): (...args: TreeArgs<P>) => TensorsOf<R>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function vmap(f: (...args: any[]) => any, opts: VmapOptions = {}): (...args: any[]) => any {
  checkFunction("vmap", f);
  checkOptions("vmap", opts, VMAP_OPTIONS);
  return (...args: unknown[]) =>
    scoped(() => {
      const axes = args.map((_, i) => (typeof opts.inAxes === "number" || opts.inAxes === undefined ? (opts.inAxes ?? 0) : opts.inAxes[i] ?? null));
      let size = -1;
      const flat = args.map((a, i) => {
        const [leaves, def] = flatten(a, "vmap");
        const ax = axes[i];
        if (ax !== null && ax !== undefined) {
          for (const l of leaves) {
            const k = ax < 0 ? ax + l.rank : ax;
            if (k < 0 || k >= l.rank) throw new ShapeError("vmap", `in axis ${ax} is out of range for argument ${i}`, [l.shape]);
            const n = l.shape[k]!;
            if (size >= 0 && n !== size) throw new ShapeError("vmap", `mapped axes have different sizes (${size} vs ${n})`, [l.shape]);
            size = n;
          }
        }
        return { leaves, def, ax };
      });
      if (size < 0) throw new ShapeError("vmap", "no argument is mapped (inAxes are all null)");
      const trace = new BatchTrace(size);
      return withTrace(trace, () => {
        const wrapped = flat.map(({ leaves, def, ax }) =>
          ax === null || ax === undefined
            ? unflatten(def, leaves)
            : unflatten(def, leaves.map((l) => trace.wrap(toLast(l, ax < 0 ? ax + l.rank : ax)))),
        );
        const [outs, outDef] = flatten(f(...wrapped), "vmap");
        const out = opts.outAxes ?? 0;
        return unflatten(outDef, outs.map((o) => {
          const v = trace.unpack(o);
          const to = out < 0 ? out + v.rank : out;
          if (to < 0 || to >= v.rank) throw new ShapeError("vmap", `out axis ${out} is out of range`, [v.shape]);
          return fromLast(v, to);
        }));
      });
    });
}

/**
 * Runs `fn` with the given batched values wrapped as tracers of a fresh batch trace;
 * `basis(shape, start)` wraps the basis chunk e_start … e_{start+size−1} over vec of `shape`
 * (formed only if needed, see {@link BatchTrace.wrapBasis}). @internal
 */
export function withBatch<R>(
  size: number,
  fn: (wrap: (v: Tensor) => Tensor, unpack: (x: Tensor) => Tensor, basis: (shape: readonly number[], start: number) => Tensor) => R,
): R {
  const trace = new BatchTrace(size);
  return withTrace(trace, () => fn((v) => trace.wrap(v), (x) => trace.unpack(x), (shape, start) => trace.wrapBasis(shape, start)));
}
