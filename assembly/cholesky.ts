// Cholesky factorization A = L·Lᵀ of a symmetric positive definite matrix (LAPACK dpotrf,
// uplo = L), column-major, in place in the lower triangle.
//
// Right-looking blocked algorithm (Golub & Van Loan, "Matrix Computations", 4th ed.,
// Alg. 4.2.3 / §4.2.9; LAPACK dpotrf): for each block column of NB,
//   1. factor the diagonal block L11·L11ᵀ = A11,
//   2. L21 ← A21·L11⁻ᵀ (trsm),
//   3. A22 ← A22 − L21·L21ᵀ on the lower triangle (syrk → gemm).
// The diagonal block is factored recursively the same way (LAPACK dpotrf2), down to
// LEAF-sized blocks done column by column. The strict upper triangle is never touched.
import { trsm } from "./trsm";
import { syrkLower } from "./linalg/syrk";
import { syrkLarge, trsmLarge } from "./hook";
import { axpyv, scalv } from "./linalg/vec";

/** Block width of the outer blocked loop. */
const NB: i32 = 64;
/** Diagonal blocks at most this large are factored column by column. */
const LEAF: i32 = 16;

/**
 * Unblocked right-looking Cholesky of the lower triangle (LAPACK dpotf2 order of updates).
 * Returns 0 or 1 + the first column whose pivot is not positive (or NaN); that diagonal entry
 * then holds the failed pivot, as in LAPACK.
 */
function potf2(n: i32, a: usize, lda: i32): i32 {
  const ldaB = <usize>lda << 3;
  for (let j = 0; j < n; j++) {
    const col = a + <usize>j * ldaB + (<usize>j << 3);
    const d = load<f64>(col);
    // '!(d > 0)' also catches NaN.
    if (!(d > 0)) return j + 1;
    const l = Math.sqrt(d);
    store<f64>(col, l);
    const below = n - j - 1;
    scalv(below, 1.0 / l, col + 8);
    // A[c:n, c] −= L[c, j]·L[c:n, j] for the trailing columns, lower part only.
    for (let c = j + 1; c < n; c++) {
      const off = <usize>(c - j) << 3;
      axpyv(n - c, -load<f64>(col + off), col + off, a + <usize>c * ldaB + (<usize>c << 3));
    }
  }
  return 0;
}

/** Recursive Cholesky of a diagonal block (LAPACK dpotrf2); info as potf2. */
function potrf2(n: i32, a: usize, lda: i32): i32 {
  if (n <= LEAF) return potf2(n, a, lda);
  const ldaB = <usize>lda << 3;
  const n1 = n >> 1, n2 = n - n1;
  const a21 = a + (<usize>n1 << 3), a22 = a21 + <usize>n1 * ldaB;
  const info = potrf2(n1, a, lda);
  if (info != 0) return info;
  trsm(1, 0, 1, 0, n2, n1, 1.0, a, lda, a21, lda);
  syrkLower(n2, n1, -1.0, a21, lda, 1.0, a22, lda);
  const info2 = potrf2(n2, a22, lda);
  return info2 != 0 ? info2 + n1 : 0;
}

/**
 * In-place Cholesky factorization A = L·Lᵀ of the n×n symmetric positive definite matrix
 * whose lower triangle is stored at a (leading dimension lda): L overwrites the lower
 * triangle; the strict upper triangle is neither read nor written. Returns 0, or k (1-based)
 * when the leading minor of order k is not positive definite (LAPACK's info); the
 * factorization stops there and the lower triangle holds partial results.
 */
export function potrf(n: i32, a: usize, lda: i32): i32 {
  if (n <= 0) return 0;
  const ldaB = <usize>lda << 3;
  for (let j = 0; j < n; j += NB) {
    const jb = min<i32>(NB, n - j);
    const ajj = a + (<usize>j << 3) + <usize>j * ldaB;
    const info = potrf2(jb, ajj, lda);
    if (info != 0) return info + j;
    const rest = n - j - jb;
    if (rest > 0) {
      const a21 = ajj + (<usize>jb << 3);
      trsmLarge(1, 0, 1, 0, rest, jb, 1.0, ajj, lda, a21, lda);
      syrkLarge(rest, jb, -1.0, a21, lda, 1.0, a21 + <usize>jb * ldaB, lda);
    }
  }
  return 0;
}
