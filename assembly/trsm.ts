// Triangular solve with many right-hand sides, BLAS dtrsm semantics, column-major:
//
//   side 0 (left):  op(A)·X = α·B        side 1 (right): X·op(A) = α·B
//
// with A triangular (uplo 0 = lower, 1 = upper; diag 1 = unit, its diagonal not read),
// op(A) = A or Aᵀ, and B (m×n) overwritten by X.
//
// Structure: recursive halving of the triangle (Elmroth, Gustavson, Jonsson & Kågström,
// "Recursive blocked algorithms and hybrid data structures for dense matrix library
// software", SIAM Review 46(1), 2004, §2–3). Splitting op(A) into 2×2 blocks turns one solve
// into two half-size solves and one gemm update of the other half of B, so for large m, n
// almost all flops run in gemm; only triangles of at most LEAF rows reach the register kernel.
//
// One register kernel (`solveUpperRight`) serves all 16 (side, uplo, trans, diag) cases:
// - Right side: the rows of B are independent systems x·U = b. Eight rows ride in four
//   f64x2 accumulators while the columns are solved in order, so the inner loop only loads.
// - Left side: op(A)·X = α·B ⇔ Xᵀ·op(A)ᵀ = α·Bᵀ. A slab of ≤ LEAF rows of B is transposed
//   into scratch, solved as a right-side problem and transposed back (2 copies per element
//   against ≥ LEAF/2 multiply-adds).
// - A lower triangle L becomes the upper J·L·J (J the exchange matrix) by walking the columns
//   of B backwards, i.e. with a negative column stride.
// The triangle itself is copied into scratch in that canonical upper form with its
// reciprocal diagonal, so the kernel reads it contiguously whatever uplo and trans are.
// Multiplying by the reciprocal instead of dividing (as optimized BLAS kernels do) changes
// each result by at most one rounding and keeps divisions out of the kernel.
import { gemm } from "./gemm";
import { nmadd } from "./fma";
import { fewL1Sets } from "./l1";

/** Largest triangle solved by the register kernel; larger ones are split. */
const LEAF: i32 = 32;
/** Columns of B transposed per chunk on the left side: the slab is NCH·LEAF·8 = 64 KiB. */
const NCH: i32 = 256;

/** The canonical upper triangle U (ld LEAF): U[k + j·LEAF] for k < j. */
let TRI_AT: usize = memory.data(LEAF * LEAF * 8, 16);
/** 1 / U[j][j] (1 for a unit diagonal). */
let RDIAG_AT: usize = memory.data(LEAF * 8, 16);
/**
 * Left side: the transposed slab Bᵀ (chunk width × LEAF). Its leading dimension is padded to
 * an odd number of 64-byte lines: with ld = 256 every column would map to the same two L1
 * sets, and the kernel walks exactly those columns.
 */
let BT_AT: usize = memory.data((NCH + 8) * LEAF * 8, 16);
/** Rows of B a right-side leaf with a power-of-two ldb packs at a time (see rightLeaf). */
const STRIP_ROWS: i32 = 64;
/** Right side with a power-of-two ldb: a block of up to STRIP_ROWS rows of B, packed by column. */
let STRIP_AT: usize = memory.data(LEAF * STRIP_ROWS * 8, 16);

/**
 * X·U = α·B for B with m rows and t ≤ LEAF columns, U (t×t upper) in TRI/RDIAG.
 * Row i of column j is at b + 8·i + j·cs; cs is a byte stride and may be negative
 * (wrapping, as wasm32 addresses do), which is how reversed column order is expressed.
 */
function solveUpperRight(m: i32, t: i32, b: usize, cs: usize, alpha: f64): void {
  const TRI = TRI_AT, RDIAG = RDIAG_AT;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(alpha);
    for (; i + 8 <= m; i += 8) {
      const bi = b + (<usize>i << 3);
      let bj = bi, tj = TRI;
      for (let j = 0; j < t; j++) {
        let x0 = f64x2.mul(va, v128.load(bj)), x1 = f64x2.mul(va, v128.load(bj, 16));
        let x2 = f64x2.mul(va, v128.load(bj, 32)), x3 = f64x2.mul(va, v128.load(bj, 48));
        let bk = bi, tk = tj;
        const tend = tj + (<usize>j << 3);
        while (tk < tend) {
          const u = v128.load_splat<f64>(tk);
          x0 = nmadd(v128.load(bk), u, x0);
          x1 = nmadd(v128.load(bk, 16), u, x1);
          x2 = nmadd(v128.load(bk, 32), u, x2);
          x3 = nmadd(v128.load(bk, 48), u, x3);
          tk += 8;
          bk += cs;
        }
        const r = v128.load_splat<f64>(RDIAG + (<usize>j << 3));
        v128.store(bj, f64x2.mul(x0, r));
        v128.store(bj, f64x2.mul(x1, r), 16);
        v128.store(bj, f64x2.mul(x2, r), 32);
        v128.store(bj, f64x2.mul(x3, r), 48);
        bj += cs;
        tj += LEAF << 3;
      }
    }
    for (; i + 2 <= m; i += 2) {
      const bi = b + (<usize>i << 3);
      let bj = bi, tj = TRI;
      for (let j = 0; j < t; j++) {
        let x0 = f64x2.mul(va, v128.load(bj));
        let bk = bi, tk = tj;
        const tend = tj + (<usize>j << 3);
        while (tk < tend) {
          x0 = nmadd(v128.load(bk), v128.load_splat<f64>(tk), x0);
          tk += 8;
          bk += cs;
        }
        v128.store(bj, f64x2.mul(x0, v128.load_splat<f64>(RDIAG + (<usize>j << 3))));
        bj += cs;
        tj += LEAF << 3;
      }
    }
  } else {
    for (; i + 4 <= m; i += 4) {
      const bi = b + (<usize>i << 3);
      let bj = bi, tj = TRI;
      for (let j = 0; j < t; j++) {
        let x0 = alpha * load<f64>(bj), x1 = alpha * load<f64>(bj, 8);
        let x2 = alpha * load<f64>(bj, 16), x3 = alpha * load<f64>(bj, 24);
        let bk = bi, tk = tj;
        const tend = tj + (<usize>j << 3);
        while (tk < tend) {
          const u = load<f64>(tk);
          x0 -= load<f64>(bk) * u;
          x1 -= load<f64>(bk, 8) * u;
          x2 -= load<f64>(bk, 16) * u;
          x3 -= load<f64>(bk, 24) * u;
          tk += 8;
          bk += cs;
        }
        const r = load<f64>(RDIAG + (<usize>j << 3));
        store<f64>(bj, x0 * r);
        store<f64>(bj, x1 * r, 8);
        store<f64>(bj, x2 * r, 16);
        store<f64>(bj, x3 * r, 24);
        bj += cs;
        tj += LEAF << 3;
      }
    }
  }
  for (; i < m; i++) {
    const bi = b + (<usize>i << 3);
    let bj = bi, tj = TRI;
    for (let j = 0; j < t; j++) {
      let x = alpha * load<f64>(bj);
      let bk = bi, tk = tj;
      const tend = tj + (<usize>j << 3);
      while (tk < tend) {
        x -= load<f64>(bk) * load<f64>(tk);
        tk += 8;
        bk += cs;
      }
      store<f64>(bj, x * load<f64>(RDIAG + (<usize>j << 3)));
      bj += cs;
      tj += LEAF << 3;
    }
  }
}

/**
 * Fills TRI/RDIAG with the t×t upper triangle U(k, j) = S(r(k), r(j)), where
 * S(p, q) = A(q, p) if `swap` else A(p, q), and r is the identity or, if `rev`, the reversal
 * r(k) = t − 1 − k. The caller picks swap/rev so that U is upper triangular.
 */
function loadTriangle(a: usize, lda: i32, t: i32, swap: bool, rev: bool, unit: bool): void {
  const TRI = TRI_AT, RDIAG = RDIAG_AT;
  const ldaB = <usize>lda << 3;
  // Address steps of S along its row and column index.
  const sp: usize = swap ? ldaB : 8, sq: usize = swap ? 8 : ldaB;
  for (let j = 0; j < t; j++) {
    const q = rev ? t - 1 - j : j;
    const dst = TRI + (<usize>(j * LEAF) << 3);
    for (let k = 0; k < j; k++) {
      const p = rev ? t - 1 - k : k;
      store<f64>(dst + (<usize>k << 3), load<f64>(a + <usize>p * sp + <usize>q * sq));
    }
    store<f64>(RDIAG + (<usize>j << 3), unit ? 1.0 : 1.0 / load<f64>(a + <usize>q * sp + <usize>q * sq));
  }
}

/**
 * Copies `bytes` (a multiple of 64) front to back (inline: a bulk memory.copy this short costs
 * a runtime call in V8).
 */
// @ts-ignore: decorator
@inline function copyLines(dst: usize, src: usize, bytes: usize): void {
  for (let o: usize = 0; o < bytes; o += 64) {
    if (ASC_FEATURE_SIMD) {
      v128.store(dst + o, v128.load(src + o));
      v128.store(dst + o, v128.load(src + o, 16), 16);
      v128.store(dst + o, v128.load(src + o, 32), 32);
      v128.store(dst + o, v128.load(src + o, 48), 48);
    } else {
      for (let q: usize = 0; q < 64; q += 8) store<f64>(dst + o + q, load<f64>(src + o + q));
    }
  }
}

/** Right-side leaf: X·op(A) = α·B with op(A) t×t, t ≤ LEAF. */
function rightLeaf(opUpper: bool, trans: i32, unit: bool, m: i32, t: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32): void {
  const STRIP = STRIP_AT;
  const rev = !opUpper;
  loadTriangle(a, lda, t, trans != 0, rev, unit);
  const ldbB = <usize>ldb << 3;
  // Column j of the canonical problem is column first + j·step of B.
  const first = rev ? b + <usize>(t - 1) * ldbB : b;
  const step: usize = rev ? 0 - ldbB : ldbB;
  let i = 0;
  if (fewL1Sets(ldb)) {
    // The t ≤ 32 columns a strip walks land in at most two L1 sets (12 ways each): copy blocks
    // of up to STRIP_ROWS rows (a multiple of 8) out and back instead, each column's part a
    // contiguous run of lines read (and written) in one go, so that no line is needed again
    // after others of its set came in. Copying 8-row strips fetched each line twice (out, then
    // back after t others) and ran 1.35× slower than a stride off the power of two
    // (bench/NOTES.md, session 25). Same operations, same bits.
    while (i + 8 <= m) {
      const rows = min<i32>(STRIP_ROWS, (m - i) & ~7);
      const bytes = <usize>rows << 3;
      const src = first + (<usize>i << 3);
      for (let j = 0; j < t; j++) copyLines(STRIP + <usize>j * bytes, src + <usize>j * step, bytes);
      solveUpperRight(rows, t, STRIP, bytes, alpha);
      for (let j = 0; j < t; j++) copyLines(src + <usize>j * step, STRIP + <usize>j * bytes, bytes);
      i += rows;
    }
  }
  if (i < m) solveUpperRight(m - i, t, first + (<usize>i << 3), step, alpha);
}

/**
 * dst[c + r·ld] = src[r + c·lds] for r < rows, c < cols (strides in bytes): a rows×cols
 * block transposed, walking src column by column (src is the side with a possibly
 * power-of-two stride; each of its columns is read once, front to back). 2×2 blocks move as
 * two f64x2 loads, two shuffles and two stores.
 */
function transposeFrom(rows: i32, cols: i32, src: usize, ldsB: usize, dst: usize, ldB: usize): void {
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 2 <= cols; c += 2) {
      const s0 = src + <usize>c * ldsB, s1 = s0 + ldsB, d = dst + (<usize>c << 3);
      let r = 0;
      for (; r + 2 <= rows; r += 2) {
        const x0 = v128.load(s0 + (<usize>r << 3)), x1 = v128.load(s1 + (<usize>r << 3));
        const dr = d + <usize>r * ldB;
        v128.store(dr, v128.shuffle<f64>(x0, x1, 0, 2));
        v128.store(dr + ldB, v128.shuffle<f64>(x0, x1, 1, 3));
      }
      if (r < rows) {
        const dr = d + <usize>r * ldB;
        store<f64>(dr, load<f64>(s0 + (<usize>r << 3)));
        store<f64>(dr, load<f64>(s1 + (<usize>r << 3)), 8);
      }
    }
  }
  for (; c < cols; c++) {
    const sc = src + <usize>c * ldsB, d = dst + (<usize>c << 3);
    for (let r = 0; r < rows; r++) store<f64>(d + <usize>r * ldB, load<f64>(sc + (<usize>r << 3)));
  }
}

/**
 * The same transpose (dst[c + r·ld] = src[r + c·lds]) walking dst column by column, for when
 * dst is the side with a possibly power-of-two stride: writing 16 bytes into each of hundreds
 * of columns 4 KiB apart would evict every line before its next 16 bytes arrive.
 */
function transposeTo(rows: i32, cols: i32, src: usize, ldsB: usize, dst: usize, ldB: usize): void {
  // dst has `rows` columns of `cols` entries.
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    for (; r + 2 <= rows; r += 2) {
      const d0 = dst + <usize>r * ldB, d1 = d0 + ldB, s = src + (<usize>r << 3);
      let c = 0;
      for (; c + 2 <= cols; c += 2) {
        const sc = s + <usize>c * ldsB;
        const x0 = v128.load(sc), x1 = v128.load(sc + ldsB);
        v128.store(d0 + (<usize>c << 3), v128.shuffle<f64>(x0, x1, 0, 2));
        v128.store(d1 + (<usize>c << 3), v128.shuffle<f64>(x0, x1, 1, 3));
      }
      if (c < cols) {
        const sc = s + <usize>c * ldsB;
        store<f64>(d0 + (<usize>c << 3), load<f64>(sc));
        store<f64>(d1 + (<usize>c << 3), load<f64>(sc, 8));
      }
    }
  }
  for (; r < rows; r++) {
    const d = dst + <usize>r * ldB, s = src + (<usize>r << 3);
    for (let c = 0; c < cols; c++) store<f64>(d + (<usize>c << 3), load<f64>(s + <usize>c * ldsB));
  }
}

/** Left-side leaf: op(A)·X = α·B with op(A) t×t, t ≤ LEAF, solved as Xᵀ·op(A)ᵀ = α·Bᵀ. */
function leftLeaf(opLower: bool, trans: i32, unit: bool, t: i32, n: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32): void {
  const BT = BT_AT;
  // op(A)ᵀ is upper exactly when op(A) is lower; S(p, q) = op(A)(q, p) = A(p, q) if trans.
  const rev = !opLower;
  loadTriangle(a, lda, t, trans == 0, rev, unit);
  const ldbB = <usize>ldb << 3;
  for (let j0 = 0; j0 < n; j0 += NCH) {
    const nc = min<i32>(NCH, n - j0);
    const ncB = <usize>(((nc + 7) >> 3) | 1) << 6;
    const bc = b + <usize>j0 * ldbB;
    // BT (nc×t, ld ncB/8) = B[0:t, j0:j0+nc]ᵀ, solved, then transposed back.
    transposeFrom(t, nc, bc, ldbB, BT, ncB);
    if (rev) solveUpperRight(nc, t, BT + <usize>(t - 1) * ncB, 0 - ncB, alpha);
    else solveUpperRight(nc, t, BT, ncB, alpha);
    transposeTo(nc, t, BT, ncB, bc, ldbB);
  }
}

/** Split point of a triangle of order t > LEAF: about half, a multiple of 8 for gemm tiles. */
// @ts-ignore: decorator
@inline function half(t: i32): i32 {
  return ((t >> 1) + 7) & ~7;
}

function leftRec(opLower: bool, trans: i32, unit: bool, m: i32, n: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32): void {
  if (m <= LEAF) {
    leftLeaf(opLower, trans, unit, m, n, alpha, a, lda, b, ldb);
    return;
  }
  const m1 = half(m), m2 = m - m1;
  const ldaB = <usize>lda << 3;
  const a22 = a + (<usize>m1 << 3) + <usize>m1 * ldaB;
  const b2 = b + (<usize>m1 << 3);
  // Off-diagonal blocks of op(A): op(A)21 = A21 or A12ᵀ, op(A)12 = A12 or A21ᵀ.
  const a21 = a + (<usize>m1 << 3), a12 = a + <usize>m1 * ldaB;
  if (opLower) {
    // X1 = op(A)11⁻¹·α·B1; B2 ← α·B2 − op(A)21·X1; X2 = op(A)22⁻¹·B2
    leftRec(opLower, trans, unit, m1, n, alpha, a, lda, b, ldb);
    gemm(trans, 0, m2, n, m1, -1.0, trans ? a12 : a21, lda, b, ldb, alpha, b2, ldb);
    leftRec(opLower, trans, unit, m2, n, 1.0, a22, lda, b2, ldb);
  } else {
    leftRec(opLower, trans, unit, m2, n, alpha, a22, lda, b2, ldb);
    gemm(trans, 0, m1, n, m2, -1.0, trans ? a21 : a12, lda, b2, ldb, alpha, b, ldb);
    leftRec(opLower, trans, unit, m1, n, 1.0, a, lda, b, ldb);
  }
}

function rightRec(opUpper: bool, trans: i32, unit: bool, m: i32, n: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32): void {
  if (n <= LEAF) {
    rightLeaf(opUpper, trans, unit, m, n, alpha, a, lda, b, ldb);
    return;
  }
  const n1 = half(n), n2 = n - n1;
  const ldaB = <usize>lda << 3, ldbB = <usize>ldb << 3;
  const a22 = a + (<usize>n1 << 3) + <usize>n1 * ldaB;
  const b2 = b + <usize>n1 * ldbB;
  const a21 = a + (<usize>n1 << 3), a12 = a + <usize>n1 * ldaB;
  if (opUpper) {
    // X1 = α·B1·op(A)11⁻¹; B2 ← α·B2 − X1·op(A)12; X2 = B2·op(A)22⁻¹
    rightRec(opUpper, trans, unit, m, n1, alpha, a, lda, b, ldb);
    gemm(0, trans, m, n2, n1, -1.0, b, ldb, trans ? a21 : a12, lda, alpha, b2, ldb);
    rightRec(opUpper, trans, unit, m, n2, 1.0, a22, lda, b2, ldb);
  } else {
    rightRec(opUpper, trans, unit, m, n2, alpha, a22, lda, b2, ldb);
    gemm(0, trans, m, n1, n2, -1.0, b2, ldb, trans ? a12 : a21, lda, alpha, b, ldb);
    rightRec(opUpper, trans, unit, m, n1, 1.0, a, lda, b, ldb);
  }
}

/**
 * BLAS dtrsm: solves op(A)·X = α·B (side 0) or X·op(A) = α·B (side 1) for X, overwriting B
 * (m×n, leading dimension ldb). A is m×m (side 0) or n×n (side 1), leading dimension lda;
 * uplo 0 = lower, 1 = upper (only that triangle is read); trans 0 = A, 1 = Aᵀ; diag 0 =
 * non-unit, 1 = unit (diagonal not read). α = 0 sets B to zero without reading A or B.
 * B must not overlap A.
 */
export function trsm(side: i32, uplo: i32, trans: i32, diag: i32, m: i32, n: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldbB = <usize>ldb << 3;
  if (alpha == 0) {
    for (let j = 0; j < n; j++) memory.fill(b + <usize>j * ldbB, 0, <usize>m << 3);
    return;
  }
  // op(A) is lower exactly when A is lower and not transposed, or upper and transposed.
  const opLower = (uplo == 0) != (trans != 0);
  const unit = diag != 0;
  const tr = trans != 0 ? 1 : 0;
  if (side == 0) leftRec(opLower, tr, unit, m, n, alpha, a, lda, b, ldb);
  else rightRec(!opLower, tr, unit, m, n, alpha, a, lda, b, ldb);
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeTrsmScratch(base: usize, set: bool): usize {
  if (set) TRI_AT = base;
  base += (<usize>(LEAF * LEAF * 8) + 15) & ~<usize>15;
  if (set) RDIAG_AT = base;
  base += (<usize>(LEAF * 8) + 15) & ~<usize>15;
  if (set) BT_AT = base;
  base += (<usize>((NCH + 8) * LEAF * 8) + 15) & ~<usize>15;
  if (set) STRIP_AT = base;
  base += (<usize>(LEAF * STRIP_ROWS * 8) + 15) & ~<usize>15;
  return base;
}
