// Weighting the residual by the data's uncertainties (`sigma`), shared by leastSquares and
// curveFit, as scipy's curve_fit: m standard deviations divide the residual entry by entry; an
// m × m covariance Σ = LLᵀ whitens it, r ↦ L⁻¹r, so that the weighted residual has unit
// covariance and ½‖L⁻¹r‖² is the negative log-likelihood of Gaussian errors. The weighting is
// applied inside the residual function, so the Jacobian, the stopping tests and the
// statistics all see the weighted residual.
import { DTypeError, ShapeError } from "../../errors.js";
import { Tensor, storage, tensor, type TensorLike } from "../../core/tensor.js";
import { flatten, unflatten, type PyTree } from "../../core/pytree.js";
import { concat, matmul, reshape, slice } from "../../ops/index.js";
import { cholesky } from "../dense.js";
import { tensorLeaves } from "./residual.js";

/** What `sigma` may be: m standard deviations, or an m × m covariance (rows as written). */
export type Sigma = Tensor | readonly number[] | readonly (readonly number[])[];

/**
 * The weighting for a residual of m entries (flat order: each leaf's vec, leaves in order):
 * a function from the residual's leaves to the weighted leaves, of the same shapes. Throws a
 * ShapeError when sigma has neither m entries nor shape m × m, a DTypeError when a standard
 * deviation is not positive and finite or the covariance is not positive definite.
 */
export function whitener(sigma: Sigma, m: number, op: string): (leaves: Tensor[]) => Tensor[] {
  const s = sigma instanceof Tensor ? sigma : tensor(sigma as TensorLike);
  // Read in place: `.data` is a fresh copy on every access.
  const sd = storage(s);
  if (s.size === m && s.shape.length <= 1) {
    const inv = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const v = sd[i]!;
      if (!(v > 0 && Number.isFinite(v))) throw new DTypeError(op, `sigma must be positive and finite, got ${v} at index ${i}`);
      inv[i] = 1 / v;
    }
    return (leaves) => {
      let off = 0;
      return leaves.map((l) => {
        const w = new Tensor(l.shape, inv.slice(off, off + l.size));
        off += l.size;
        return l.mul(w);
      });
    };
  }
  if (s.shape.length === 2 && s.shape[0] === m && s.shape[1] === m) {
    const A = new Float64Array(m * m), L = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const a = sd[i + j * m]!;
        if (!Number.isFinite(a) || a !== sd[j + i * m]) throw new DTypeError(op, "the covariance sigma must be symmetric positive definite");
        A[i * m + j] = a;
      }
    }
    if (cholesky(A, m, L) >= 0) throw new DTypeError(op, "the covariance sigma must be symmetric positive definite");
    // L⁻¹ by forward substitution on the identity (L row-major lower triangular; L⁻¹ column-major).
    const Linv = new Float64Array(m * m);
    for (let c = 0; c < m; c++) {
      for (let i = c; i < m; i++) {
        let v = i === c ? 1 : 0;
        for (let k = c; k < i; k++) v -= L[i * m + k]! * Linv[k + c * m]!;
        Linv[i + c * m] = v / L[i * m + i]!;
      }
    }
    const W = new Tensor([m, m], Linv);
    return (leaves) => {
      const flat = leaves.length === 1 && leaves[0]!.shape.length === 1 ? leaves[0]! : concat(leaves.map((l) => reshape(l, [l.size])));
      const w = matmul(W, flat);
      if (leaves.length === 1) return [leaves[0]!.shape.length === 1 ? w : reshape(w, leaves[0]!.shape)];
      let off = 0;
      return leaves.map((l) => {
        const part = reshape(slice(w, [off], [l.size]), l.shape);
        off += l.size;
        return part;
      });
    };
  }
  throw new ShapeError(op, `sigma must have ${m} entries (standard deviations) or be ${m} × ${m} (a covariance), got shape [${s.shape.join(", ")}]`, [s.shape]);
}

/**
 * The residual weighted by sigma: the weighting is built at the first call, when the
 * residual's size is known, and reused after.
 */
export function weightedResidual(r: (x: unknown) => PyTree, sigma: Sigma, op: string): (x: unknown) => PyTree {
  let weigh: ((leaves: Tensor[]) => Tensor[]) | null = null;
  return (x) => {
    const y = r(x);
    // Not tensors: returned as is, for the residual's own check to name.
    if (!tensorLeaves(y, op)) return y;
    const [leaves, def] = flatten(y, op);
    if (!weigh) weigh = whitener(sigma, leaves.reduce((a, l) => a + l.size, 0), op);
    return unflatten(def, weigh(leaves));
  };
}
