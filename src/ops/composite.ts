// Composite ops: no rules of their own. Their derivatives come from the primitives they
// are built of, to any order. A fused primitive is used instead only where composition would
// be unstable (norm2 below: sqrt(Σx²) overflows for entries near 1e200).
import { bind1, primitive } from "../core/primitive.js";
import { allocTensor, asTensor, ptrOf, type NormOrd, type Tensor, type TensorLike } from "../core/tensor.js";
import { DTypeError, ShapeError } from "../errors.js";
import { normAxes } from "../core/shape.js";
import { abs, add, div, eq, exp, log, lt, mul, pow, stopGradient, sub, where } from "./elementwise.js";
import { max, sum } from "./reduce.js";
import { diag } from "./structure.js";
import { dot } from "./matmul.js";
import { kernels } from "../core/exec.js";

/**
 * tr(X): the sum of a square matrix's diagonal.
 * @example
 * ```ts
 * trace([[1, 2], [3, 4]]).item();                                    // 5
 * grad((X: Tensor) => trace(X))(matrix([[1, 2], [3, 4]])).toArray(); // [[1, 0], [0, 1]]  (I)
 * ```
 * @category Softmax, norms and trace
 */
export function trace(x: TensorLike): Tensor {
  const t = asTensor(x, "trace");
  if (t.rank !== 2 || t.shape[0] !== t.shape[1]) throw new ShapeError("trace", "expects a square matrix", [t.shape]);
  return sum(diag(t));
}

/**
 * log Σ exp(x) along `axis` (all entries by default), shifted by the max for stability.
 * The shift carries no derivative, so the gradient is exactly softmax(x).
 * @example
 * ```ts
 * logsumexp([0, 0]).item();                            // 0.6931471805599453  (log 2)
 * logsumexp([[0, 0], [1000, 1000]], 1).toArray();      // [0.6931471805599453, 1000.6931471805599]
 * grad((x: Tensor) => logsumexp(x))(vector([0, 0])).toArray(); // [0.5, 0.5]  (softmax)
 * ```
 * @category Softmax, norms and trace
 */
export function logsumexp(x: TensorLike, axis?: number | readonly number[], keepdims = false): Tensor {
  return lse("logsumexp", asTensor(x, "logsumexp"), axis, keepdims);
}

function lse(op: string, t: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const [m, axes, logSum] = shiftedLogSum(op, t, axis);
  const s = add(logSum, m);
  return keepdims ? s : sum(s, axes); // summing size-1 axes drops them
}

/**
 * The max m along the axes (kept as size-1 axes, a constant to every derivative) and
 * log Σ exp(x − m). The shift cancels exactly in every result, so it needs no derivative.
 */
function shiftedLogSum(op: string, t: Tensor, axis: number | readonly number[] | undefined): [Tensor, number[], Tensor] {
  const axes = normAxes(op, axis, t.rank, t.shape);
  for (const a of axes) if (t.shape[a] === 0) throw new ShapeError(op, `cannot normalize over an empty axis ${a}`, [t.shape]);
  // Shift by the max only where it is finite: an all −∞ (or a +∞) slice must give ∓∞, not NaN.
  const mx = max(t, axes, true);
  const m = stopGradient(where(lt(abs(mx), Infinity), mx, 0));
  return [m, axes, log(sum(exp(sub(t, m)), axes, true))];
}

/**
 * log softmax as (x − m) − log Σ exp(x − m): x − m is exact (Sterbenz) near the max, so no
 * digit of x's magnitude is lost; x − logsumexp(x) would round m + log Σ first (at logits
 * near 1e10 softmax([1e10, 1e10]) came out 0.4999997606, at 1e15 summing to 0.945).
 */
function logSoftmaxOf(op: string, t: Tensor, axis: number): Tensor {
  const [m, , logSum] = shiftedLogSum(op, t, t.rank === 0 ? [] : axis);
  return sub(sub(t, m), logSum);
}

/**
 * softmax along `axis` (default: the last). Its Jacobian is diag(p) − ppᵀ.
 * @example
 * ```ts
 * softmax([0, Math.log(3)]).toArray();             // [0.25, 0.75]  (to rounding)
 * softmax([[0, 0], [1000, 1000]]).toArray();       // [[0.5, 0.5], [0.5, 0.5]]  (each row)
 * jacobian((s: Tensor) => softmax(s))(vector([0, 0])).toArray(); // [[0.25, -0.25], [-0.25, 0.25]]
 * ```
 * @category Softmax, norms and trace
 */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, "softmax");
  return exp(logSoftmaxOf("softmax", t, axis));
}

/**
 * log softmax along `axis` (default: the last), computed stably as x − logsumexp(x).
 * @example
 * ```ts
 * logSoftmax([0, 0]).toArray();          // [-0.6931471805599453, -0.6931471805599453]  (−log 2)
 * logSoftmax([0, 1000]).toArray();       // [-1000, 0]  (no overflow)
 * ```
 * @category Softmax, norms and trace
 */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, "logSoftmax");
  return logSoftmaxOf("logSoftmax", t, axis);
}

export const norm2_p = primitive<Record<string, never>>({
  name: "norm",
  shape: () => [[]],
  impl: ([x]) => {
    const px = ptrOf(x!);
    const out = allocTensor([], "norm");
    kernels().fill(1, kernels().nrm2(x!.size, px), out._ptr);
    return [out];
  },
  // d‖x‖ = ⟨x / ‖x‖, dx⟩: the unit vector first, so subnormal x ([3e-310, 4e-310]) does not
  // meet 1/‖x‖ = Inf. At x = 0 the norm has no derivative; we return the minimum-norm
  // subgradient 0 (JAX gives NaN).
  jvp: ([t], [x], [y]) => [dot(where(eq(y!, 0), 0, div(x!, y!)), t!)],
});

/**
 * Vector p-norms (p = 2 default, 1, Infinity, any p ≥ 1) and the Frobenius norm of a matrix
 * (`'fro'`, the default for matrices). Every p-norm is scaled, so it neither overflows nor
 * underflows for entries near 1e±200, and the 2-norm's gradient x/‖x‖ stays finite for
 * subnormal x. At x = 0, where the 2-norm has no derivative, its gradient is the minimum-norm
 * subgradient 0 (JAX gives NaN).
 * @example
 * ```ts
 * norm([3, 4]).item();                 // 5
 * norm([3, -4], 1).item();             // 7
 * norm([3, -4], Infinity).item();      // 4
 * norm([[1, 2], [2, 4]]).item();       // 5  (Frobenius)
 * norm([3e200, 4e200]).item();         // ≈ 5e200  (no overflow)
 * grad((x: Tensor) => norm(x))(vector([0, 0])).toArray();   // [0, 0]  (subgradient at 0)
 * ```
 * @category Softmax, norms and trace
 */
export function norm(x: TensorLike, ord?: NormOrd): Tensor {
  const t = asTensor(x, "norm");
  if (ord !== undefined && typeof ord !== "number" && ord !== "fro") {
    throw new DTypeError("norm", `ord must be a number ≥ 1, 'fro' or Infinity, got ${ord === null ? "null" : typeof ord === "string" ? JSON.stringify(ord) : typeof ord}`);
  }
  const o = ord ?? (t.rank === 2 ? "fro" : 2);
  if (o === "fro" || o === 2) {
    if (o === 2 && t.rank === 2) {
      throw new ShapeError("norm", "the matrix 2-norm (spectral) is not available yet; use 'fro'", [t.shape]);
    }
    return bind1(norm2_p, [t], {});
  }
  if (t.rank === 2) throw new ShapeError("norm", `matrix norm ord=${o} is not supported; use 'fro'`, [t.shape]);
  if (o === 1) return sum(abs(t));
  if (o === Infinity) return max(abs(t));
  if (typeof o !== "number" || !(o >= 1)) throw new ShapeError("norm", `ord must be ≥ 1, 'fro' or Infinity (got ${String(o)})`, [t.shape]);
  // Scaled by the largest |xᵢ| (a constant: ‖x‖ₚ = s‖x/s‖ₚ for every s > 0, so the derivative
  // is unchanged), so |xᵢ|ᵖ neither overflows nor underflows for entries near 1e±200.
  const a = abs(t);
  const mx = max(a);
  const s = stopGradient(where(mul(lt(0, mx), lt(mx, Infinity)), mx, 1));
  return mul(pow(sum(pow(div(a, s), o)), 1 / o), s);
}

/**
 * ½‖x‖² style helper used in tests and examples: Σ x².
 * @example
 * ```ts
 * sumSquares([1, 2, 3]).item();                                        // 14
 * grad((x: Tensor) => sumSquares(x))(vector([1, 2, 3])).toArray();     // [2, 4, 6]
 * ```
 * @category Softmax, norms and trace
 */
export function sumSquares(x: TensorLike): Tensor {
  const t = asTensor(x, "sumSquares");
  return sum(mul(t, t));
}
