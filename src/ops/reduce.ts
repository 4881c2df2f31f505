// Reductions and broadcasting, which are each other's transposes: sum ↔ broadcastTo.
// `unbroadcast` is the one place that undoes NumPy broadcasting for every binary rule.
import { apply1, bind1, primitive, type Primitive } from "../core/primitive.js";
import { alignBatched } from "./batched.js";
import { allocTensor, asTensor, ops, ptrOf, type Tensor, type TensorLike } from "../core/tensor.js";
import { broadcastShapes, checkShape, normAxes, sameShape, sizeOf, type Shape } from "../core/shape.js";
import { ShapeError, fmtShape } from "../errors.js";
import { BinaryOp } from "../wasm/kernels.js";
import { binaryK, kernels } from "../core/exec.js";
import { reshape } from "./structure.js";

interface AxesParams {
  axes: readonly number[];
}

function reducedShape(shape: Shape, axes: readonly number[], keep = false): number[] {
  return keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** Groups sorted axes into runs of adjacent axes, so each run is one kernel call. */
function runs(axes: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const a of axes) {
    const last = out[out.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else out.push([a, a + 1]);
  }
  return out;
}

function reduceImpl(x: Tensor, axes: readonly number[], kind: "sum" | "max"): Tensor {
  const k = kernels();
  if (axes.length === x.rank) {
    const px = ptrOf(x);
    const out = allocTensor([], kind);
    const v = kind === "sum" ? k.sum(x.size, px) : k.max(x.size, px);
    kernels().fill(1, v, out._ptr);
    return out;
  }
  let cur = x;
  let shape = [...x.shape];
  // Highest runs first so the remaining axis numbers stay valid.
  for (const [lo, hi] of runs(axes).reverse()) {
    const pre = sizeOf(shape.slice(0, lo));
    const len = sizeOf(shape.slice(lo, hi));
    const post = sizeOf(shape.slice(hi));
    const next = [...shape.slice(0, lo), ...shape.slice(hi)];
    const px = ptrOf(cur);
    const out = allocTensor(next, kind);
    if (kind === "sum") k.sumAxis(pre, len, post, px, out._ptr);
    else k.maxAxis(pre, len, post, px, out._ptr);
    cur = out;
    shape = next;
  }
  return cur;
}

export const sum_p: Primitive<AxesParams> = primitive<AxesParams>({
  name: "sum",
  shape: ([s], { axes }) => [reducedShape(s!, axes)],
  impl: ([x], { axes }) => [reduceImpl(x!, axes, "sum")],
  // Its shape rule raises nothing: sum() checked the axes.
  run1: (x, _b, { axes }) => reduceImpl(x, axes, "sum"),
  jvp: ([t], _p, _o, { axes }) => [sumAxes(t!, axes)],
  transpose: ([ct], [x], _l, { axes }) => [broadcastTo(reshape(ct!, reducedShape(x!.shape, axes, true)), x!.shape)],
  // The batch axis is last, so the reduced axes keep their numbers.
  batch: ([x], _b, params) => [bind1(sum_p, [x!], params)],
});

export const reduceMax_p: Primitive<AxesParams> = primitive<AxesParams>({
  name: "max",
  shape: ([s], { axes }) => {
    for (const a of axes) if (s![a] === 0) throw new ShapeError("max", `cannot take the max over an empty axis ${a}`, [s!]);
    return [reducedShape(s!, axes)];
  },
  impl: ([x], { axes }) => [reduceImpl(x!, axes, "max")],
  // The tangent at the maximum; ties share it equally (so the derivative stays symmetric).
  jvp: ([t], [x], [y], { axes }) => {
    const { div, eq, mul } = ops();
    const mask = eq(x!, reshape(y!, reducedShape(x!.shape, axes, true)));
    return [div(sumAxes(mul(t!, mask), axes), sumAxes(mask, axes))];
  },
  batch: ([x], _b, params) => [bind1(reduceMax_p, [x!], params)],
});

interface BroadcastParams {
  shape: Shape;
}

export const broadcastTo_p: Primitive<BroadcastParams> = primitive<BroadcastParams>({
  name: "broadcastTo",
  shape: ([s], { shape }) => {
    const b = broadcastShapes("broadcastTo", s!, shape);
    if (!sameShape(b, shape)) throw new ShapeError("broadcastTo", `cannot broadcast ${fmtShape(s!)} to ${fmtShape(shape)}`, [s!]);
    return [shape];
  },
  impl: ([x], { shape }) => [binaryK(BinaryOp.Mul, x!, asTensor(1), shape, "broadcastTo")],
  jvp: ([t], _p, _o, { shape }) => [broadcastTo(t!, shape)],
  transpose: ([ct], [x]) => [unbroadcast(ct!, x!.shape)],
  batch: ([x], _b, { shape }, size) => [broadcastTo(alignBatched(x!, true, shape.length), [...shape, size])],
});

function sumAxes(x: Tensor, axes: readonly number[]): Tensor {
  return axes.length === 0 ? x : bind1(sum_p, [x], { axes });
}

/**
 * `x` repeated along broadcast dims to `shape` (NumPy rules).
 * @example
 * ```ts
 * broadcastTo([1, 2], [3, 2]).toArray();   // [[1, 2], [1, 2], [1, 2]]
 * ```
 * @category Reductions
 */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, "broadcastTo");
  checkShape("broadcastTo", shape);
  return sameShape(t.shape, shape) ? t : bind1(broadcastTo_p, [t], { shape: [...shape] });
}

/** Sums `ct` over the dims that broadcasting added or stretched, giving it `shape` again. @internal */
export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  if (sameShape(ct.shape, shape)) return ct;
  const lead = ct.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < ct.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && ct.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sumAxes(ct, axes), shape);
}

/**
 * Sum of all entries, or along `axis` (one or several; negative counts from the end).
 * @example
 * ```ts
 * sum(matrix([[1, 2], [3, 4]])).item();          // 10
 * sum(matrix([[1, 2], [3, 4]]), 0).toArray();    // [4, 6]  (down each column)
 * ```
 * @category Reductions
 */
export function sum(x: TensorLike, axis?: number | readonly number[], keepdims = false): Tensor {
  const t = asTensor(x, "sum");
  const axes = normAxes("sum", axis, t.rank, t.shape);
  const s = axes.length === 0 ? t : apply1(sum_p, t, undefined, { axes });
  return keepdims ? reshape(s, reducedShape(t.shape, axes, true)) : s;
}

/**
 * Mean of all entries or along `axis` (one or several; negative counts from the end).
 * @example
 * ```ts
 * mean([1, 2, 3, 4]).item();                        // 2.5
 * mean(matrix([[1, 2], [3, 4]]), 1).toArray();      // [1.5, 3.5]  (across each row)
 * ```
 * @category Reductions
 */
export function mean(x: TensorLike, axis?: number | readonly number[], keepdims = false): Tensor {
  const t = asTensor(x, "mean");
  const axes = normAxes("mean", axis, t.rank, t.shape);
  const count = axes.reduce((n, a) => n * t.shape[a]!, 1);
  const { div, mul } = ops();
  if (count <= 1) return div(sum(t, axes, keepdims), count);
  // Σ (x / 2ᵏ) / (count / 2ᵏ) with 2ᵏ ≥ count: the sum cannot overflow (mean of [1e308, 1e308]
  // is 1e308), and scaling by a power of two is exact, so the result is s / count rounded
  // once, as before, bit for bit (entries below 2⁻¹⁰²²·2ᵏ, near the subnormals, excepted).
  const k = 2 ** Math.ceil(Math.log2(count));
  return div(sum(mul(t, 1 / k), axes, keepdims), count / k);
}

/**
 * Maximum of all entries or along `axis` (NaN-propagating). Tied maxima share the derivative.
 * @example
 * ```ts
 * max([[1, 5], [7, 2]]).item();              // 7
 * max([[1, 5], [7, 2]], 0).toArray();        // [7, 5]  (down each column)
 * max([[1, 5], [7, 2]], 1, true).shape;      // [2, 1]  (keepdims)
 * ```
 * @category Reductions
 */
export function max(x: TensorLike, axis?: number | readonly number[], keepdims = false): Tensor {
  const t = asTensor(x, "max");
  const axes = normAxes("max", axis, t.rank, t.shape);
  const m = axes.length === 0 ? t : bind1(reduceMax_p, [t], { axes });
  return keepdims ? reshape(m, reducedShape(t.shape, axes, true)) : m;
}
