// Basis chunks. jacobian and hessian push columns s … s+c−1 of the identity through the
// linearized function as one batch. Their first product with a matrix needs no arithmetic
// (A·eⱼ is a column of A), yet as dense data it is a full GEMM: for tanh(Wx) or the first layer
// of a network that GEMM is most of the Jacobian's cost. So basisChunk (ops/structure.ts, which
// makes the chunk in the arena) marks it here, and matmul's batch rule gathers columns instead
// of multiplying. The chunk stays dense, so every other rule simply sees its ones and zeros; a
// mark never changes a result, only its cost.
//
// Low-rank batches carry the same idea one step further. A basis direction of a matrix
// argument is eᵢeⱼᵀ, and the products, solves, transposes and scalings that follow it in a
// linearized function keep every batch member of rank one: A·(uvᵀ)·B = (Au)(Bᵀv)ᵀ,
// op(A)⁻¹uvᵀ = (op(A)⁻¹u)vᵀ. The batching trace (batching.ts) keeps such a batch as factors
// U [m, r, c] and V [n, r, c], member b = U_b·V_bᵀ (U_b = U[:, :, b]), and applies the
// primitive's low-rank rule (registered here by the primitive's module) to the factors:
// matrix-matrix products with r·c columns instead of n·c, and no dense [m, n, c] value at all
// until some rule without a low-rank case needs one. So the Hessian of log|det X| costs O(n²)
// per direction instead of O(n³), and writes each direction's n² entries once.
import { zeros, type Tensor } from "./tensor.js";
import type { LowRank } from "./primitive.js";

export type { LowRank, LowRankRule } from "./primitive.js";

const marks = new WeakMap<Tensor, number>();
const scales = new WeakMap<Tensor, Tensor>();

/**
 * Marks `t` (shape [...member, c]) as the basis chunk whose member b is e_{start+b} of the
 * member's vec, with start + c ≤ member size; with `scale` (a vector over the member's vec),
 * member b is scale[start+b]·e_{start+b} (a basis chunk times a fixed factor: a reverse pass
 * meets its output's cotangent seeds this way after an elementwise step). Returns t.
 */
export function markBasis(t: Tensor, start: number, scale?: Tensor): Tensor {
  marks.set(t, start);
  if (scale !== undefined) scales.set(t, scale);
  return t;
}

/** The chunk's first index if `t` is a marked basis chunk (its scale, if any, still live). */
export function basisStart(t: Tensor): number | undefined {
  const s = marks.get(t);
  if (s === undefined) return undefined;
  const d = scales.get(t);
  return d === undefined || d._alive() ? s : undefined;
}

/** The factor of a scaled basis chunk (see {@link markBasis}); undefined for a plain one. */
export function basisScale(t: Tensor): Tensor | undefined {
  return scales.get(t);
}

const lowRanks = new WeakMap<Tensor, LowRank>();

/**
 * Largest rank worth keeping for m×n members: beyond it dense work is about as cheap, and
 * forming the dense value sums r outer products per member.
 */
export function maxRank(m: number, n: number): number {
  return Math.min(8, Math.floor(Math.min(m, n) / 2));
}

/** Whether U, V are factors of a batch of m×n members (c of them) worth keeping. */
export function fitsLowRank(lr: LowRank, m: number, n: number, c: number): boolean {
  const { u, v } = lr;
  const r = u.shape[1]!;
  return u.rank === 3 && v.rank === 3 && u.shape[0] === m && v.shape[0] === n && v.shape[1] === r
    && u.shape[2] === c && v.shape[2] === c && r >= 1 && r <= maxRank(m, n);
}

/**
 * Marks a dense batch `t` ([m, n, c]) as holding member b = U_b·V_bᵀ, for rules that produce
 * a dense value whose factors they know (matmul's basis gathers). A rank above
 * {@link maxRank} leaves t unmarked. Returns t.
 */
export function markLowRank(t: Tensor, u: Tensor, v: Tensor): Tensor {
  if (t.rank === 3 && fitsLowRank({ u, v }, t.shape[0]!, t.shape[1]!, t.shape[2]!)) lowRanks.set(t, { u, v });
  return t;
}

/** The factors of a dense batch [m, n, c], if marked (or a marked basis chunk of matrices). */
export function lowRankOf(t: Tensor): LowRank | undefined {
  const lr = lowRanks.get(t);
  // A dense value can outlive the call that marked it; its factors may not.
  if (lr !== undefined) return lr.u._alive() && lr.v._alive() ? lr : undefined;
  if (t.rank !== 3 || scales.has(t)) return undefined;
  const s = marks.get(t);
  if (s === undefined) return undefined;
  const made = basisFactors(t.shape as [number, number, number], s);
  if (made !== undefined) lowRanks.set(t, made);
  return made;
}

/**
 * Factors of the basis chunk of [m, n] members e_{s}, …, e_{s+c−1} (over vec): member b is
 * eᵢeⱼᵀ for q = s + b, i = q mod m, j = ⌊q/m⌋. Undefined for members too thin to gain.
 */
export function basisFactors([m, n, c]: readonly [number, number, number], s: number): LowRank | undefined {
  if (maxRank(m, n) < 1) return undefined;
  const u = zeros([m, 1, c]);
  const v = zeros([n, 1, c]);
  for (let b = 0; b < c; b++) {
    const q = s + b;
    u._buf![(q % m) + m * b] = 1;
    v._buf![Math.floor(q / m) + n * b] = 1;
  }
  return { u, v };
}
