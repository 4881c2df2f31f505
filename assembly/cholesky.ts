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
//
// Each step after a panel (cholStep) first brings the next panel's columns up to date and
// factors that panel (diagonal block and the trsm below it), then updates the other trailing
// columns in ranges of CH_RANGE. In the thread pool (src/wasm/pool.ts cholStepRows) the same
// calls are the step's tasks: one thread factors the next panel (look-ahead) while the others
// update the rest, so the panel's sequential work no longer stalls every thread, and a step is
// one job instead of a trsm job and a syrk job. The tasks are a function of the shape alone,
// so the bits are the same for any number of threads.
import { gemm } from "./gemm";
import { trsm } from "./trsm";
import { syrkLower } from "./linalg/syrk";
import { cholStepLarge } from "./hook";
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

/** Columns per trailing-update range of a step (src/wasm/pool.ts CH_RANGE is the same). */
const CH_RANGE: i32 = 64;

/**
 * The trailing columns [c0, c0 + nc) (c0 ≥ j + jb) brought up to date with panel j (jb wide,
 * L21 already solved): A[c0:n, c0:c0+nc] −= L21[c0:n, :]·L21[c0:c0+nc, :]ᵀ on and below the
 * diagonal, as syrkLower on the range's diagonal block and gemm below it.
 */
export function cholUpdate(n: i32, j: i32, jb: i32, c0: i32, nc: i32, a: usize, lda: i32): void {
  const ldaB = <usize>lda << 3;
  const lc = a + <usize>j * ldaB + (<usize>c0 << 3);
  const acc = a + <usize>c0 * ldaB + (<usize>c0 << 3);
  syrkLower(nc, jb, -1.0, lc, lda, 1.0, acc, lda);
  const below = n - c0 - nc;
  if (below > 0) gemm(0, 1, below, nc, jb, -1.0, lc + (<usize>nc << 3), lda, lc, lda, 1.0, acc + (<usize>nc << 3), lda);
}

/**
 * Factors panel p (pb wide, its columns up to date): the diagonal block by potrf2, then the
 * rows below it, L21 ← A21·L11⁻ᵀ (trsm). Returns 0 or info as potrf's.
 */
function cholPanel(n: i32, p: i32, pb: i32, a: usize, lda: i32): i32 {
  const ldaB = <usize>lda << 3;
  const app = a + (<usize>p << 3) + <usize>p * ldaB;
  const info = potrf2(pb, app, lda);
  if (info != 0) return info + p;
  const rest = n - p - pb;
  if (rest > 0) trsm(1, 0, 1, 0, rest, pb, 1.0, app, lda, app + (<usize>pb << 3), lda);
  return 0;
}

/**
 * The look-ahead task of the step after panel j: the next panel's nc columns brought up to
 * date, then that panel (its first jbn columns) factored. Returns 0 or info as potrf's.
 */
export function cholNext(n: i32, j: i32, jb: i32, nc: i32, jbn: i32, a: usize, lda: i32): i32 {
  cholUpdate(n, j, jb, j + jb, nc, a, lda);
  return cholPanel(n, j + jb, jbn, a, lda);
}

/**
 * One step after panel j (jb wide) on this thread: cholNext on the next panel (jbn wide),
 * then the other trailing columns in ranges of CH_RANGE: the calls of the pool's tasks, in
 * their order. Returns 0 or info as potrf's.
 */
export function cholStep(n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32): i32 {
  const jn = j + jb;
  const info = cholNext(n, j, jb, jbn, jbn, a, lda);
  for (let c0 = jn + jbn; c0 < n; c0 += CH_RANGE) cholUpdate(n, j, jb, c0, min<i32>(CH_RANGE, n - c0), a, lda);
  return info;
}

/**
 * potrf's info after a step the pool ran: potrf2 leaves the first pivot that is not positive
 * (or NaN) on the diagonal and the square roots before it positive, so the first diagonal
 * entry of the panel that is not positive is where it stopped.
 */
function panelInfo(p: i32, pb: i32, a: usize, lda: i32): i32 {
  const step = (<usize>lda + 1) << 3;
  for (let i = 0; i < pb; i++) {
    if (!(load<f64>(a + <usize>(p + i) * step) > 0)) return p + i + 1;
  }
  return 0;
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
  let info = cholPanel(n, 0, min<i32>(NB, n), a, lda);
  for (let j = 0; info == 0 && j + NB < n; j += NB) {
    const jbn = min<i32>(NB, n - j - NB);
    info = cholStepLarge(n, j, NB, jbn, a, lda) ? panelInfo(j + NB, jbn, a, lda) : cholStep(n, j, NB, jbn, a, lda);
  }
  return info;
}
