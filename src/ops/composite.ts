// Composite ops: no rules of their own. Their derivatives come from the primitives they
// are built of, to any order. A fused primitive is used instead only where composition would
// be unstable (norm2 below: sqrt(Σx²) overflows for entries near 1e200).
import { bind1, primitive } from "../ad/core.js";
import { allocTensor, asTensor, ptrOf, type NormOrd, type Tensor, type TensorLike } from "../tensor.js";
import { ShapeError } from "../errors.js";
import { normAxes } from "../shape.js";
import { abs, add, div, exp, log, lt, mul, pow, stopGradient, sub, where } from "./elementwise.js";
import { max, sum } from "./reduce.js";
import { diag } from "./structure.js";
import { dot } from "./matmul.js";
import { kernels } from "./exec.js";

/**
 * tr(X): the sum of a square matrix's diagonal.
 * @example
 * ```ts
 * trace([[1, 2], [3, 4]]).item();                                    // 5
 * grad((X: Tensor) => trace(X))(matrix([[1, 2], [3, 4]])).toArray(); // [[1, 0], [0, 1]]  (I)
 * ```
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
 */
export function logsumexp(x: TensorLike, axis?: number | readonly number[], keepdims = false): Tensor {
  return lse("logsumexp", asTensor(x, "logsumexp"), axis, keepdims);
}

function lse(op: string, t: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  const axes = normAxes(op, axis, t.rank, t.shape);
  // Shift by the max only where it is finite: an all −∞ (or a +∞) slice must give ∓∞, not NaN.
  const mx = max(t, axes, true);
  const m = stopGradient(where(lt(abs(mx), Infinity), mx, 0));
  const s = add(log(sum(exp(sub(t, m)), axes, true)), m);
  return keepdims ? s : sum(s, axes); // summing size-1 axes drops them
}

/**
 * softmax along `axis` (default: the last). Its Jacobian is diag(p) − ppᵀ.
 * @example
 * ```ts
 * softmax([0, Math.log(3)]).toArray();             // [0.25, 0.75]  (to rounding)
 * softmax([[0, 0], [1000, 1000]]).toArray();       // [[0.5, 0.5], [0.5, 0.5]]  (each row)
 * jacobian((s: Tensor) => softmax(s))(vector([0, 0])).toArray(); // [[0.25, -0.25], [-0.25, 0.25]]
 * ```
 */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, "softmax");
  return exp(sub(t, lse("softmax", t, t.rank === 0 ? [] : axis, true)));
}

/**
 * log softmax along `axis` (default: the last), computed stably as x − logsumexp(x).
 * @example
 * ```ts
 * logSoftmax([0, 0]).toArray();          // [-0.6931471805599453, -0.6931471805599453]  (−log 2)
 * logSoftmax([0, 1000]).toArray();       // [-1000, 0]  (no overflow)
 * ```
 */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, "logSoftmax");
  return sub(t, lse("logSoftmax", t, t.rank === 0 ? [] : axis, true));
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
  // d‖x‖ = ⟨x, dx⟩ / ‖x‖ (undefined at 0, where this gives NaN as JAX does).
  jvp: ([t], [x], [y]) => [div(dot(x!, t!), y!)],
});

/**
 * Vector p-norms (p = 2 default, 1, Infinity, any p ≥ 1) and the Frobenius norm of a matrix
 * (`'fro'`, the default for matrices). The 2-norm is scaled, so it neither overflows nor
 * underflows for entries near 1e±200.
 * @example
 * ```ts
 * norm([3, 4]).item();                 // 5
 * norm([3, -4], 1).item();             // 7
 * norm([3, -4], Infinity).item();      // 4
 * norm([[1, 2], [2, 4]]).item();       // 5  (Frobenius)
 * norm([3e200, 4e200]).item();         // ≈ 5e200  (no overflow)
 * ```
 */
export function norm(x: TensorLike, ord?: NormOrd): Tensor {
  const t = asTensor(x, "norm");
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
  return pow(sum(pow(abs(t), o)), 1 / o);
}

/**
 * ½‖x‖² style helper used in tests and examples: Σ x².
 * @example
 * ```ts
 * sumSquares([1, 2, 3]).item();                                        // 14
 * grad((x: Tensor) => sumSquares(x))(vector([1, 2, 3])).toArray();     // [2, 4, 6]
 * ```
 */
export function sumSquares(x: TensorLike): Tensor {
  const t = asTensor(x, "sumSquares");
  return sum(mul(t, t));
}
