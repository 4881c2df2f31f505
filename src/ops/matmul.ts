// Matrix products. `matmul_p` is the GEMM primitive with transpose flags, so every rule
// (JVP and both transposes) is again one GEMM call with flags and never materialises Aᵀ.
import { bind1, primitive, untraced, type Primitive } from "../core/primitive.js";
import { allocTensor, asTensor, checkSize, ptrOf, topLevelCall, withShape, zeros, type Tensor, type TensorLike } from "../core/tensor.js";
import { ShapeError } from "../errors.js";
import type { Shape } from "../core/shape.js";
import { add, mul } from "./elementwise.js";
import { concat, reshape, slice, transpose, vec } from "./structure.js";
import { permute } from "./permute.js";
import { stack } from "./batched.js";
import { broadcastTo, sum } from "./reduce.js";
import { basisScale, basisStart, markLowRank } from "../core/basis.js";
import { mapFactor, swapFactors } from "./lowrank.js";
import { binaryK, gemmsK, GRAM_MIN_COLUMNS, gramUpperK, isRowScaledOf, kernels } from "../core/exec.js";
import { BinaryOp } from "../wasm/kernels.js";
import { taping } from "../wasm/tape.js";

export interface MatmulParams {
  /** 1: use Aᵀ. */
  ta: 0 | 1;
  /** 1: use Bᵀ. */
  tb: 0 | 1;
}

function dims(a: readonly number[], ta: number): [number, number] {
  return ta ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
}

/**
 * op(A)·op(B) on concrete matrices whose shapes agree (the caller checked), in the arena; `sa`,
 * `sb`: the shapes to read a and b in (a vector as a 1×k or k×1 matrix: same entries).
 */
function product(a: Tensor, b: Tensor, ta: 0 | 1, tb: 0 | 1, sa: Shape = a.shape, sb: Shape = b.shape): Tensor {
  const m = ta ? sa[1]! : sa[0]!, k = ta ? sa[0]! : sa[1]!;
  const n = tb ? sb[0]! : sb[1]!;
  // One inner index: an outer product, entry by entry a product (GEMM would pack both
  // operands to add them to zero). op(A) and op(B) are contiguous vectors either way; reverse
  // mode makes one per use of a weight matrix on a row vector (an RNN's every step).
  if (k === 1 && m * n > 0) return binaryK(BinaryOp.Mul, withShape(a, [m, 1]), withShape(b, [1, n]), [m, n], "matmul");
  const out = allocTensor([m, n], "matmul");
  const pa = ptrOf(a);
  const pb = ptrOf(b);
  const lda = Math.max(1, sa[0]!);
  const ldb = Math.max(1, sb[0]!);
  if (m * n === 0) return out;
  if (k === 0) kernels().fill(m * n, 0, out._ptr);
  // Matrix·vector products are memory-bound: GEMV streams the matrix once. A vector
  // operand (k×1, or 1×k transposed) is contiguous either way, so its increment is 1.
  else if (n === 1) kernels().gemv(ta, sa[0]!, sa[1]!, 1, pa, lda, pb, 1, 0, out._ptr, 1);
  else if (m === 1) kernels().gemv(tb ? 0 : 1, sb[0]!, sb[1]!, 1, pb, ldb, pa, 1, 0, out._ptr, 1);
  // Aᵀ·diag(w)·A is symmetric.
  else if (ta === 1 && tb === 0 && m === n && n >= GRAM_MIN_COLUMNS && isRowScaledOf(b, a)) gramUpperK(n, k, pa, lda, pb, ldb, out._ptr);
  else kernels().gemm(ta, tb, m, n, k, 1, pa, lda, pb, ldb, 0, out._ptr, Math.max(1, m));
  return out;
}

/**
 * A·B of matrices or vectors by NumPy's rules (matmul() checked the shapes), for
 * {@link topLevelCall}: the kernels and entries of reshaping the vectors to matrices, binding
 * matmul_p and reshaping the product back, as matmul() does otherwise.
 */
function productOf(a: Tensor, b: Tensor | undefined): Tensor {
  const c = product(a, b!, 0, 0, a.rank === 1 ? [1, a.size] : a.shape, b!.rank === 1 ? [b!.size, 1] : b!.shape);
  return a.rank === 2 && b!.rank === 2 ? c : withShape(c, a.rank === 1 && b!.rank === 1 ? [] : [c.size]);
}

export const matmul_p: Primitive<MatmulParams> = primitive<MatmulParams>({
  name: "matmul",
  shape: ([a, b], { ta, tb }) => {
    if (a!.length !== 2 || b!.length !== 2) throw new ShapeError("matmul", "expects matrices", [a!, b!]);
    const [m, k] = dims(a!, ta);
    const [k2, n] = dims(b!, tb);
    if (k !== k2) {
      throw new ShapeError("matmul", `inner dimensions differ (${k} vs ${k2})`, [a!, b!]);
    }
    return [[m, n]];
  },
  impl: ([a, b], { ta, tb }) => [product(a!, b!, ta, tb)],
  jvp: ([ta_, tb_], [a, b], _o, p) => {
    const da = ta_ === null ? null : mm(ta_, b!, p.ta, p.tb);
    const db = tb_ === null ? null : mm(a!, tb_, p.ta, p.tb);
    return [da === null ? db : db === null ? da : add(da, db)];
  },
  // C = op(A)·op(B): ct_op(A) = ct·op(B)ᵀ and ct_op(B) = op(A)ᵀ·ct, then undo op.
  transpose: ([ct], [a, b], [la, lb], { ta, tb }) => {
    if (la && lb) throw new Error("matcalc: internal: matmul of two linear values is not linear");
    const ca = !la ? null : ta === 0 ? mm(ct!, b!, 0, tb ? 0 : 1) : mm(b!, ct!, tb, 1);
    const cb = !lb ? null : tb === 0 ? mm(a!, ct!, ta ? 0 : 1, 0) : mm(ct!, a!, 1, ta);
    return [ca, cb];
  },
  // A row vector times B (an RNN's input or state times a weight): B's cotangent aᵀ·ct is an
  // outer product, added into the pass's own sum for B (K×N, as B) entry by entry as `add`
  // would (each product rounded, then the sum; product() makes the same products).
  transposeAddInto: (ct, [a], i, { ta, tb }, into) => {
    if (i !== 1 || ta !== 0 || tb !== 0 || a!.shape[0] !== 1 || a!._trace !== null || taping()) return false;
    const [K, N] = into.shape as [number, number];
    if (K * N > 0) kernels().addOuter(K, N, ptrOf(a!), ptrOf(ct), ptrOf(into), K);
    return true;
  },
  batch: ([a, b], [ba, bb], { ta, tb }, size) => [batchedMatmul(a!, b!, ba!, bb!, ta, tb, size)],
  // Low-rank batches (src/core/basis.ts), one operand shared: op(A)·PQᵀ = (op(A)P)Qᵀ and
  // PQᵀ·op(B) = P(op(B)ᵀQ)ᵀ, one GEMM with r·c columns instead of n·c.
  lowRank: ([a, b], [la, lb], [ba, bb], { ta, tb }) => {
    if (bb && !ba && lb !== undefined) {
      const { u: P, v: Q } = tb ? swapFactors(lb) : lb;
      return { u: mapFactor(P, (cols) => mm(a!, cols, ta, 0)), v: Q };
    }
    if (ba && !bb && la !== undefined) {
      const { u: P, v: Q } = ta ? swapFactors(la) : la;
      return { u: P, v: mapFactor(Q, (cols) => mm(b!, cols, tb ? 0 : 1, 0)) };
    }
    return undefined;
  },
});

interface BmmParams {
  /** 1: use Bᵀ. */
  tb: 0 | 1;
}

/**
 * A batch (trailing axis) of products Aᵦ·op(B) with one shared B, as one GEMM per member on
 * the member's contiguous block: matmul's batch rule uses it for a batched left operand with
 * members large enough that the per-call cost is small next to the permutes (two copies of
 * the batch) that stacking the members into one GEMM needs. Bilinear like matmul; its B
 * cotangent sums over the members (one GEMM on the stacked members).
 */
export const bmmLeft_p: Primitive<BmmParams> = primitive<BmmParams>({
  name: "bmmLeft",
  shape: ([a, b], { tb }) => {
    if (a!.length !== 3 || b!.length !== 2) throw new ShapeError("matmul", "batched product expects [m, k, s] and a matrix", [a!, b!]);
    const [k2, n] = dims(b!, tb);
    if (a![1] !== k2) throw new ShapeError("matmul", `inner dimensions differ (${a![1]} vs ${k2})`, [a!, b!]);
    return [[a![0]!, n, a![2]!]];
  },
  impl: ([a, b], { tb }) => {
    const [m, k, s] = a!.shape as [number, number, number];
    const n = dims(b!.shape, tb)[1];
    const out = allocTensor([m, n, s], "matmul");
    if (m * n * s === 0) return [out];
    if (k === 0) {
      kernels().fill(m * n * s, 0, out._ptr);
      return [out];
    }
    // One inner index: every member is an outer product aᵦ·op(B), entry by entry a product
    // (the GEMM path would pack and add it to zero). jit's entrywise chains read it so too.
    if (k === 1) return [binaryK(BinaryOp.Mul, a!, withShape(b!, [1, n, 1]), [m, n, s], "matmul")];
    const pa = ptrOf(a!), pb = ptrOf(b!);
    const ldb = Math.max(1, b!.shape[0]!);
    // One independent product per member (with one column, gemm's matrix-vector product:
    // op(B) is then a contiguous vector whether or not it is transposed), issued together so
    // that with threads the members run on different workers.
    const calls: number[][] = [];
    for (let i = 0; i < s; i++) calls.push([0, tb, m, n, k, 1, pa + i * m * k * 8, m, pb, ldb, 0, out._ptr + i * m * n * 8, m]);
    gemmsK(calls);
    return [out];
  },
  jvp: ([ta_, tb_], [a, b], _o, p) => {
    const da = ta_ === null ? null : bind1(bmmLeft_p, [ta_, b!], p);
    const db = tb_ === null ? null : bind1(bmmLeft_p, [a!, tb_], p);
    return [da === null ? db : db === null ? da : add(da, db)];
  },
  // Nested vmap with only A batched again: the two batch axes are one longer batch of
  // members. B batched: one bmmLeft per member of the outer batch (each still one call for
  // the whole inner batch).
  batch: ([a, b], [ba, bb], p, size) => {
    const [m, k, s] = a!.shape as [number, number, number];
    if (ba && !bb) {
      const n = p.tb ? b!.shape[0]! : b!.shape[1]!;
      return [reshape(bind1(bmmLeft_p, [reshape(a!, [m, k, s * size]), b!], p), [m, n, s, size])];
    }
    return [stack(Array.from({ length: size }, (_, i) => bind1(bmmLeft_p, [ba ? memberOf(a!, i) : a!, memberOf(b!, i)], p)))];
  },
  // Cᵦ = Aᵦ·op(B): ct_Aᵦ = ctᵦ·op(B)ᵀ; ct_op(B) = Σᵦ Aᵦᵀ·ctᵦ = Â ᵀĈ with the members stacked.
  transpose: ([ct], [a, b], [la, lb], { tb }) => {
    if (la && lb) throw new Error("matcalc: internal: bmmLeft of two linear values is not linear");
    const ca = la ? bind1(bmmLeft_p, [ct!, b!], { tb: tb ? 0 : 1 }) : null;
    let cb: Tensor | null = null;
    if (lb) {
      const [m, k, s] = a!.shape as [number, number, number];
      const n = ct!.shape[1]!;
      const A2 = reshape(permute(a!, [0, 2, 1]), [m * s, k]);
      const C2 = reshape(permute(ct!, [0, 2, 1]), [m * s, n]);
      cb = tb ? mm(C2, A2, 1, 0) : mm(A2, C2, 1, 0);
    }
    return [ca, cb];
  },
});

/** Both operands batched: the broadcast product's size over the members' sizes, at most. */
const PRODUCT_MAX_RATIO = 8;

/** Members whose input and output blocks hold at least this many entries take bmmLeft. */
const BMM_MIN_MEMBER = 512;

/**
 * A batch of products as ONE GEMM where the layout allows (batch axis last):
 * - only B batched: [op(B)₁ … op(B)ₛ] side by side is a k × (n·s) matrix, so C = op(A)·that;
 * - only A batched: stack the op(A)ᵦ vertically into an (m·s) × k matrix.
 * Both batched: one GEMM per member.
 */
function batchedMatmul(a: Tensor, b: Tensor, ba: boolean, bb: boolean, ta: 0 | 1, tb: 0 | 1, size: number): Tensor {
  if (ba && bb) {
    const m = ta ? a.shape[1]! : a.shape[0]!, k = ta ? a.shape[0]! : a.shape[1]!;
    const n = tb ? b.shape[0]! : b.shape[1]!;
    // Small members (dot, 3×3 products): every member at once as Σₖ Aᵢₖ·Bₖⱼ, one broadcast
    // product [m, k, n, s] and one reduction, instead of a bind, a kernel call and a copy per
    // member. The product is kept to a few times the operands' and result's size, so memory
    // stays proportional to the batch; past that the per-member GEMMs do less work.
    if (m * k * n <= PRODUCT_MAX_RATIO * (m * k + k * n + m * n)) {
      const A = ta ? permute(a, [1, 0, 2]) : a;
      const B = tb ? permute(b, [1, 0, 2]) : b;
      return sum(mul(reshape(A, [m, k, 1, size]), reshape(B, [1, k, n, size])), 1);
    }
    const cs: Tensor[] = [];
    for (let i = 0; i < size; i++) cs.push(mm(memberOf(a, i), memberOf(b, i), ta, tb));
    return stack(cs);
  }
  if (bb && tb === 0) {
    const s = basisStart(b);
    if (s !== undefined) return timesBasis(a, ta, s, b.shape as [number, number, number], basisScale(b));
  }
  if (ba && ta === 0) {
    const s = basisStart(a);
    if (s !== undefined) return basisTimes(b, tb, s, a.shape as [number, number, number], basisScale(a));
  }
  if (bb) {
    const B = tb ? permute(b, [1, 0, 2]) : b; // each member k × n
    const [k, n] = B.shape as [number, number, number];
    const m = ta ? a.shape[1]! : a.shape[0]!;
    return reshape(mm(a, reshape(B, [k, n * size]), ta, 0), [m, n, size]);
  }
  // The stacked GEMM copies the batch in and out (m·(k + n) entries per member): past a few
  // hundred, one GEMM call per member is cheaper.
  if (ta === 0 && a.shape[0]! * (a.shape[1]! + (tb ? b.shape[0]! : b.shape[1]!)) >= BMM_MIN_MEMBER) {
    return bind1(bmmLeft_p, [a, b], { tb });
  }
  // A batched, small members: rows of (m·s) × k, member-major within each row block.
  const n = tb ? b.shape[0]! : b.shape[1]!;
  const m = ta ? a.shape[1]! : a.shape[0]!;
  const k = ta ? a.shape[0]! : a.shape[1]!;
  // ta = 1: members are k × m blocks side by side, i.e. a k × (m·s) matrix whose transpose
  // stacks the op(A)ᵦ with member index slowest; ta = 0: permute to m × s × k first.
  const rows = ta ? mm(reshape(a, [k, m * size]), b, 1, tb) : mm(reshape(permute(a, [0, 2, 1]), [m * size, k]), b, 0, tb);
  // ta = 1 gives rows ordered (m fastest, then s); ta = 0 gives (m fastest, then s) as well.
  return permute(reshape(rows, [m, size, n]), [0, 2, 1]);
}

/**
 * op(A)·E for the basis chunk E (members k × n, member t one-hot at vec index q = s + t, i.e.
 * at row q mod k, column ⌊q/k⌋): member t is column (q mod k) of op(A) placed in column ⌊q/k⌋.
 * Gathered by slicing runs of consecutive columns, then spread by a 0/1 mask: O(m·n·c) instead
 * of the GEMM's O(m·k·n·c).
 */
function timesBasis(a: Tensor, ta: 0 | 1, s: number, [k, n, c]: [number, number, number], scale?: Tensor): Tensor {
  const m = ta ? a.shape[1]! : a.shape[0]!;
  const pieces: Tensor[] = [];
  for (let t = 0; t < c; ) {
    const r = (s + t) % k;
    const len = Math.min(k - r, c - t);
    pieces.push(ta ? transpose(slice(a, [r, 0], [len, m])) : slice(a, [0, r], [m, len]));
    t += len;
  }
  const G = scaledBy(reshape(pieces.length === 1 ? pieces[0]! : concat(pieces, 1), [m, 1, c]), scale, s, c);
  if (n === 1) return G;
  const mask = zeros([1, n, c]);
  for (let t = 0; t < c; t++) mask._buf![Math.floor((s + t) / k) + n * t] = 1;
  // Member t is G_t·e_jᵀ: rank one, which later products and solves can use.
  return markLowRank(mul(G, mask), G, reshape(mask, [n, 1, c]));
}

/**
 * E·op(B) for the basis chunk E (members m × k, member t one-hot at row q mod m, column ⌊q/m⌋,
 * q = s + t): member t is row ⌊q/m⌋ of op(B) placed in row q mod m. See {@link timesBasis}.
 */
function basisTimes(b: Tensor, tb: 0 | 1, s: number, [m, , c]: [number, number, number], scale?: Tensor): Tensor {
  const n = tb ? b.shape[0]! : b.shape[1]!;
  const pieces: Tensor[] = [];
  for (let t = 0; t < c; ) {
    const row = Math.floor((s + t) / m);
    const len = Math.min(m - ((s + t) % m), c - t);
    const r = tb ? slice(b, [0, row], [n, 1]) : reshape(slice(b, [row, 0], [1, n]), [n, 1]);
    pieces.push(len === 1 ? r : broadcastTo(r, [n, len]));
    t += len;
  }
  const G = scaledBy(reshape(pieces.length === 1 ? pieces[0]! : concat(pieces, 1), [1, n, c]), scale, s, c);
  if (m === 1) return G;
  const mask = zeros([m, 1, c]);
  for (let t = 0; t < c; t++) mask._buf![((s + t) % m) + m * t] = 1;
  // Member t is e_i·G_tᵀ: rank one.
  return markLowRank(mul(mask, G), mask, reshape(G, [n, 1, c]));
}

/**
 * The gathered members G (batch axis last) of a scaled basis chunk's product: member t times
 * scale[s + t], the one product of the dense GEMM's sum that is not a product with zero.
 */
function scaledBy(G: Tensor, scale: Tensor | undefined, s: number, c: number): Tensor {
  if (scale === undefined) return G;
  return mul(G, reshape(slice(scale, [s], [c]), [1, 1, c]));
}

function memberOf(v: Tensor, i: number): Tensor {
  const base = v.shape.slice(0, -1);
  return reshape(slice(v, [...base.map(() => 0), i], [...base, 1]), base);
}

function mm(a: Tensor, b: Tensor, ta: 0 | 1, tb: 0 | 1): Tensor {
  return bind1(matmul_p, [a, b], { ta, tb });
}

/**
 * Matrix product with NumPy's rules for vectors: matrix·matrix, matrix·vector,
 * vector·matrix, and vector·vector (the dot product, a scalar).
 * @example
 * ```ts
 * matmul([[1, 2], [3, 4]], [1, 1]).toArray(); // [3, 7]
 * matmul([1, 1], [[1, 2], [3, 4]]).toArray(); // [4, 6]  (vector·matrix)
 * matmul([1, 2], [3, 4]).item();              // 11      (vector·vector)
 * ```
 * @category Products
 */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  const A = asTensor(a, "matmul");
  const B = asTensor(b, "matmul");
  if (A.rank === 0 || B.rank === 0 || A.rank > 2 || B.rank > 2) {
    throw new ShapeError("matmul", "expects vectors or matrices (use mul for scalars)", [A.shape, B.shape]);
  }
  const ka = A.rank === 1 ? A.size : A.shape[1]!, kb = B.rank === 1 ? B.size : B.shape[0]!;
  if (ka !== kb) throw new ShapeError("matmul", `inner dimensions differ (${ka} vs ${kb})`, [A.shape, B.shape]);
  // An eager top-level call (nothing traces or records it): the product runs here, in a scope
  // of its own, without bind's dispatch, its shape rule (checked just above), the reshapes'
  // binds or the [out] arrays; the kernels and the result are those of the primitive.
  if (untraced(A, B)) {
    const out = topLevelCall(productOf, A, B, undefined);
    if (out !== null) return out;
  }
  if (A.rank === 2 && B.rank === 2) return mm(A, B, 0, 0);
  const C = mm(A.rank === 1 ? reshape(A, [1, A.size]) : A, B.rank === 1 ? reshape(B, [B.size, 1]) : B, 0, 0);
  if (A.rank === 1 && B.rank === 1) return reshape(C, []);
  return vec(C);
}

/**
 * Inner product of two vectors (or Frobenius inner product ⟨A, B⟩ of equal-shape tensors).
 * @example
 * ```ts
 * dot([1, 2, 3], [4, 5, 6]).item();                  // 32
 * dot([[1, 2], [3, 4]], [[1, 0], [0, 1]]).item();    // 5  (= tr(AᵀB))
 * ```
 * @category Products
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  const A = asTensor(a, "dot");
  const B = asTensor(b, "dot");
  if (A.size !== B.size || A.rank !== B.rank || A.shape.some((d, i) => d !== B.shape[i])) {
    throw new ShapeError("dot", "operands must have the same shape", [A.shape, B.shape]);
  }
  return matmul(vec(A), vec(B));
}

/**
 * Outer product x·yᵀ of two vectors.
 * @example
 * ```ts
 * outer([1, 2], [3, 4, 5]).toArray();   // [[3, 4, 5], [6, 8, 10]]
 * ```
 * @category Products
 */
export function outer(x: TensorLike, y: TensorLike): Tensor {
  const X = asTensor(x, "outer");
  const Y = asTensor(y, "outer");
  if (X.rank !== 1 || Y.rank !== 1) throw new ShapeError("outer", "expects two vectors", [X.shape, Y.shape]);
  checkSize("outer", [X.size, Y.size]);
  return mm(reshape(X, [X.size, 1]), reshape(Y, [1, Y.size]), 0, 0);
}

// ---- Kronecker products ----

export const kron_p = primitive<Record<string, never>>({
  name: "kron",
  shape: ([a, b]) => {
    if (a!.length !== 2 || b!.length !== 2) throw new ShapeError("kron", "expects matrices", [a!, b!]);
    return [[a![0]! * b![0]!, a![1]! * b![1]!]];
  },
  impl: ([a, b]) => {
    const [ma, na] = a!.shape as [number, number];
    const [mb, nb] = b!.shape as [number, number];
    const out = allocTensor([ma * mb, na * nb], "kron");
    const pa = ptrOf(a!);
    const pb = ptrOf(b!);
    kernels().kron(ma, na, pa, mb, nb, pb, out._ptr);
    return [out];
  },
  jvp: ([ta, tb], [a, b]) => {
    const da = ta === null ? null : kron(ta, b!);
    const db = tb === null ? null : kron(a!, tb);
    return [da === null ? db : db === null ? da : add(da, db)];
  },
  // In column-major storage A ⊗ B is the 4-d array K[ib, ia, jb, ja] = B[ib, jb]·A[ia, ja],
  // so each cotangent is a broadcast product summed over the other factor's axes.
  transpose: ([ct], [a, b], [la, lb]) => {
    const [ma, na] = a!.shape as [number, number];
    const [mb, nb] = b!.shape as [number, number];
    const c4 = reshape(ct!, [mb, ma, nb, na]);
    const ca = la ? sum(mul(c4, reshape(b!, [mb, 1, nb, 1])), [0, 2]) : null;
    const cb = lb ? sum(mul(c4, reshape(a!, [1, ma, 1, na])), [1, 3]) : null;
    return [ca, cb];
  },
  // The same 4-d view with the batch axis appended: every member's product in one broadcast
  // multiply (an unbatched factor broadcasts along the batch), the entries kron's own.
  batch: ([a, b], [ba, bb], _p, size) => {
    const [ma, na] = a!.shape as [number, number];
    const [mb, nb] = b!.shape as [number, number];
    const A = reshape(a!, [1, ma, 1, na, ba ? size : 1]);
    const B = reshape(b!, [mb, 1, nb, 1, bb ? size : 1]);
    return [reshape(mul(B, A), [mb * ma, nb * na, size])];
  },
});

/**
 * The Kronecker product A ⊗ B (vectors are taken as columns).
 * @example
 * ```ts
 * kron(eye(2), [[1, 2]]).toArray();   // [[1, 2, 0, 0], [0, 0, 1, 2]]
 * ```
 * @category Products
 */
export function kron(a: TensorLike, b: TensorLike): Tensor {
  const A = asTensor(a, "kron");
  const B = asTensor(b, "kron");
  const as2 = A.rank === 1 ? reshape(A, [A.size, 1]) : A;
  const bs2 = B.rank === 1 ? reshape(B, [B.size, 1]) : B;
  return bind1(kron_p, [as2, bs2], {});
}

/**
 * (A ⊗ B)·x without forming A ⊗ B: vec(B · unvec(x) · Aᵀ), two GEMMs instead of one huge
 * GEMV. For A p×q and B r×s, x has q·s entries and the result p·r.
 * @example
 * ```ts
 * const y = kronMatVec(A, B, x); // equals matmul(kron(A, B), x)
 * kronMatVec([[1, 2], [3, 4]], [[0, 1], [1, 0]], [1, 2, 3, 4]).toArray(); // [10, 7, 22, 15]
 * ```
 * @category Products
 */
export function kronMatVec(a: TensorLike, b: TensorLike, x: TensorLike): Tensor {
  const A = asTensor(a, "kronMatVec");
  const B = asTensor(b, "kronMatVec");
  const X = asTensor(x, "kronMatVec");
  if (A.rank !== 2 || B.rank !== 2 || X.rank !== 1 || X.size !== A.shape[1]! * B.shape[1]!) {
    throw new ShapeError("kronMatVec", "expects matrices A (p×q), B (r×s) and a vector of q·s entries", [A.shape, B.shape, X.shape]);
  }
  const Xm = reshape(X, [B.shape[1]!, A.shape[1]!]);
  return vec(mm(mm(B, Xm, 0, 0), A, 0, 1));
}
