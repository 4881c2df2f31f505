// Basis chunks. jacobian and hessian push columns s … s+c−1 of the identity through the
// linearized function as one batch. Their first product with a matrix needs no arithmetic
// (A·eⱼ is a column of A), yet as dense data it is a full GEMM: for tanh(Wx) or the first layer
// of a network that GEMM is most of the Jacobian's cost. So basisChunk marks the chunk here, and
// matmul's batch rule gathers columns instead of multiplying. The chunk stays dense, so every
// other rule simply sees its ones and zeros; a mark never changes a result, only its cost.
import type { Tensor } from "../tensor.js";

const marks = new WeakMap<Tensor, number>();

/**
 * Marks `t` (shape [...member, c]) as the basis chunk whose member b is e_{start+b} of the
 * member's vec, with start + c ≤ member size. Returns t.
 */
export function markBasis(t: Tensor, start: number): Tensor {
  marks.set(t, start);
  return t;
}

/** The chunk's first index if `t` is a marked basis chunk. */
export function basisStart(t: Tensor): number | undefined {
  return marks.get(t);
}
