// Low-rank batches (see src/core/basis.ts): the dense value from the factors, and the helpers
// the primitives' low-rank rules share.
import type { Tensor } from "../core/tensor.js";
import { markLowRank, type LowRank } from "../core/basis.js";
import { mul } from "./elementwise.js";
import { sum } from "./reduce.js";
import { reshape } from "./structure.js";

/**
 * The batch [m, n, c] whose member b is U_b·V_bᵀ (U [m, r, c], V [n, r, c]), marked with its
 * factors: one broadcast product for r = 1 (r products and a sum over them otherwise).
 */
export function fromLowRank(u: Tensor, v: Tensor): Tensor {
  const [m, r, c] = u.shape as [number, number, number];
  const n = v.shape[0]!;
  const dense = r === 1
    ? mul(reshape(u, [m, 1, c]), reshape(v, [1, n, c]))
    : sum(mul(reshape(u, [m, 1, r, c]), reshape(v, [1, n, r, c])), 2);
  return markLowRank(dense, u, v);
}

/**
 * A linear map applied to the columns of one factor: `f` gets the factor as a k × (r·c)
 * matrix (every member's r columns side by side) and returns an m × (r·c) matrix, so a batch
 * of products or solves against rank-r members is ONE call with r·c right-hand sides.
 */
export function mapFactor(f: Tensor, fn: (cols: Tensor) => Tensor): Tensor {
  const [k, r, c] = f.shape as [number, number, number];
  const out = fn(reshape(f, [k, r * c]));
  return reshape(out, [out.shape[0]!, r, c]);
}

/** Member b transposed: (U_b V_bᵀ)ᵀ = V_b U_bᵀ. */
export function swapFactors(lr: LowRank): LowRank {
  return { u: lr.v, v: lr.u };
}

