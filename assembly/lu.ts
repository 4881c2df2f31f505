// LU factorization with partial pivoting (LAPACK dgetrf) and the solve that uses it (dgetrs),
// column-major, 0-based pivot indices.
//
// getrf is the right-looking blocked algorithm (Golub & Van Loan, "Matrix Computations",
// 4th ed., Alg. 3.4.2 with §3.4.4 pivoting; LAPACK dgetrf): for each panel of NB columns,
//   1. factor the tall panel A[j:m, j:j+NB] with partial pivoting,
//   2. apply its row swaps to the columns left and right of the panel,
//   3. U12 ← L11⁻¹·A12 (trsm), 4. A22 ← A22 − L21·U12 (gemm: 1 − O(NB/n) of all flops).
// The panel itself is factored recursively (Toledo, "Locality of reference in LU
// decomposition with partial pivoting", SIAM J. Matrix Anal. Appl. 18(4), 1997; LAPACK
// dgetrf2): split its columns in half, factor the left half, update the right half with one
// trsm and one gemm, factor the right half. That moves most of the panel's flops into gemm
// too; only panels of at most LEAF_W columns are factored column by column.
// The loop is arranged with a look-ahead of one panel (Kurzak & Dongarra, "Implementing
// linear algebra routines on multi-core processors with pipelining and a look-ahead",
// PARA 2006): step j applies panel j to every other column and then factors panel j + 1,
// whose columns it has just brought up to date. Alone that is the same work in the same
// order per column; in the thread pool (luStepLarge) one thread does the next panel while the
// others update the rest, which takes the panel factorizations off the critical path.
import { gemm } from "./gemm";
import { gemmLarge, luStepLarge } from "./hook";
import { trsm } from "./trsm";
import { SFMIN, axpyv, divv, iamax, scalv } from "./linalg/vec";

/** Panel width of the blocked algorithm. */
const NB: i32 = 64;
/** Panels at most this wide are factored column by column (right-looking, unblocked). */
const LEAF_W: i32 = 8;

/**
 * Applies the row interchanges ipiv[k1..k2) in order (k2 < k1: ipiv[k1-1 .. k2] in reverse
 * order, which undoes them) to the ncols columns at a: row i ↔ row ipiv[i].
 * Column by column, so every swap stays within one column's cache lines (LAPACK dlaswp).
 */
function laswp(ncols: i32, a: usize, lda: i32, k1: i32, k2: i32, ipiv: usize): void {
  const ldaB = <usize>lda << 3;
  const fwd = k2 >= k1;
  for (let c = 0; c < ncols; c++) {
    const col = a + <usize>c * ldaB;
    if (fwd) {
      for (let i = k1; i < k2; i++) {
        const p = load<i32>(ipiv + (<usize>i << 2));
        if (p != i) {
          const x = col + (<usize>i << 3), y = col + (<usize>p << 3);
          const t = load<f64>(x);
          store<f64>(x, load<f64>(y));
          store<f64>(y, t);
        }
      }
    } else {
      for (let i = k1 - 1; i >= k2; i--) {
        const p = load<i32>(ipiv + (<usize>i << 2));
        if (p != i) {
          const x = col + (<usize>i << 3), y = col + (<usize>p << 3);
          const t = load<f64>(x);
          store<f64>(x, load<f64>(y));
          store<f64>(y, t);
        }
      }
    }
  }
}

/**
 * Unblocked right-looking LU of an m×n panel, m ≥ n (LAPACK dgetf2). Pivots are local
 * (0-based within the panel). A column whose pivot is exactly zero is left unscaled and
 * factoring goes on, as in LAPACK (getrf finds it on the diagonal).
 */
function getf2(m: i32, n: i32, a: usize, lda: i32, ipiv: usize): void {
  const ldaB = <usize>lda << 3;
  for (let j = 0; j < n; j++) {
    const col = a + <usize>j * ldaB;
    const jo = <usize>j << 3;
    const p = j + iamax(m - j, col + jo);
    store<i32>(ipiv + (<usize>j << 2), p);
    const below = m - j - 1;
    if (load<f64>(col + (<usize>p << 3)) != 0) {
      if (p != j) {
        const po = <usize>p << 3;
        for (let c = 0; c < n; c++) {
          const cc = a + <usize>c * ldaB;
          const t = load<f64>(cc + jo);
          store<f64>(cc + jo, load<f64>(cc + po));
          store<f64>(cc + po, t);
        }
      }
      const d = load<f64>(col + jo);
      // Multiplying by 1/d is one rounding off dividing; below SFMIN, 1/d would overflow.
      if (abs<f64>(d) >= SFMIN) scalv(below, 1.0 / d, col + jo + 8);
      else divv(below, d, col + jo + 8);
    }
    // Rank-1 update of the panel's trailing columns: A[j+1:, c] −= A[j, c]·L[j+1:, j].
    for (let c = j + 1; c < n; c++) {
      const cc = a + <usize>c * ldaB;
      axpyv(below, -load<f64>(cc + jo), col + jo + 8, cc + jo + 8);
    }
  }
}

/**
 * Recursive LU of an m×n panel, m ≥ n; local pivots as getf2. `pooled`: its
 * products may go out to the thread pool (gemmLarge); false inside a pool task, which must
 * not re-enter the pool (the same bits either way: the pool's gemm is the local gemm's).
 */
function getrf2(m: i32, n: i32, a: usize, lda: i32, ipiv: usize, pooled: bool): void {
  if (n <= LEAF_W) {
    getf2(m, n, a, lda, ipiv);
    return;
  }
  const ldaB = <usize>lda << 3;
  const n1 = n >> 1, n2 = n - n1;
  const a12 = a + <usize>n1 * ldaB, a21 = a + (<usize>n1 << 3), a22 = a12 + (<usize>n1 << 3);
  getrf2(m, n1, a, lda, ipiv, pooled);
  laswp(n2, a12, lda, 0, n1, ipiv);
  trsm(0, 0, 0, 1, n1, n2, 1.0, a, lda, a12, lda);
  if (pooled) gemmLarge(0, 0, m - n1, n2, n1, -1.0, a21, lda, a12, lda, 1.0, a22, lda);
  else gemm(0, 0, m - n1, n2, n1, -1.0, a21, lda, a12, lda, 1.0, a22, lda);
  const ipiv2 = ipiv + (<usize>n1 << 2);
  getrf2(m - n1, n2, a22, lda, ipiv2, pooled);
  for (let i = 0; i < n2; i++) {
    const q = ipiv2 + (<usize>i << 2);
    store<i32>(q, load<i32>(q) + n1);
  }
  laswp(n1, a, lda, n1, n, ipiv);
}

/** Factors the panel A[j:m, j:j+jb] (getrf2) and makes its pivots global (row indices of A). */
function factorPanel(m: i32, j: i32, jb: i32, a: usize, lda: i32, ipiv: usize, pooled: bool): void {
  const pv = ipiv + (<usize>j << 2);
  getrf2(m - j, jb, a + (<usize>j << 3) + <usize>j * (<usize>lda << 3), lda, pv, pooled);
  for (let i = 0; i < jb; i++) {
    const q = pv + (<usize>i << 2);
    store<i32>(q, load<i32>(q) + j);
  }
}

/**
 * Brings the nc columns of A starting at column c0 (right of panel j, jb wide) up to date
 * with that panel: its row swaps, U12 ← L11⁻¹·A12 (trsm) and A22 ← A22 − L21·U12 (gemm).
 * Columns are independent here, and this is the whole update restricted to them: called on
 * column ranges that start 8k columns into the whole range (each but the last 8k wide, none
 * narrower than 8) it gives every entry the bits of the one call on the whole range (trsm and
 * gemm take the same path for each column; src/wasm/pool.ts splits by that rule).
 */
export function luUpdate(m: i32, j: i32, jb: i32, c0: i32, nc: i32, a: usize, lda: i32, ipiv: usize): void {
  const ldaB = <usize>lda << 3;
  const cols = a + <usize>c0 * ldaB;
  laswp(nc, cols, lda, j, j + jb, ipiv);
  const ajj = a + (<usize>j << 3) + <usize>j * ldaB;
  const a12 = cols + (<usize>j << 3);
  trsm(0, 0, 0, 1, jb, nc, 1.0, ajj, lda, a12, lda);
  const below = m - j - jb;
  if (below > 0) {
    gemm(0, 0, below, nc, jb, -1.0, ajj + (<usize>jb << 3), lda, a12, lda, 1.0, a12 + (<usize>jb << 3), lda);
  }
}

/**
 * The look-ahead task: luUpdate of the nc columns right of panel j, then the factorization
 * of the next panel (its first jbn columns), which needs no other column of this step.
 */
export function luNext(m: i32, j: i32, jb: i32, nc: i32, jbn: i32, a: usize, lda: i32, ipiv: usize): void {
  luUpdate(m, j, jb, j + jb, nc, a, lda, ipiv);
  factorPanel(m, j + jb, jbn, a, lda, ipiv, false);
}

/** Panel j's row swaps applied to the nc columns starting at column c0, left of the panel. */
export function luSwap(j: i32, jb: i32, c0: i32, nc: i32, a: usize, lda: i32, ipiv: usize): void {
  laswp(nc, a + <usize>c0 * (<usize>lda << 3), lda, j, j + jb, ipiv);
}

/**
 * One step of getrf after panel j (jb wide) is factored, on this thread: its row swaps on
 * the columns left of it, the update of every column right of it, and the factorization of
 * the next panel (jbn wide; none if 0). The pool's version (src/wasm/pool.ts) runs the same
 * calls on column ranges, with the next panel factored while the rest is updated.
 */
export function luStep(m: i32, n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32, ipiv: usize): void {
  const jn = j + jb;
  laswp(j, a, lda, j, jn, ipiv);
  if (n > jn) luUpdate(m, j, jb, jn, n - jn, a, lda, ipiv);
  if (jbn > 0) factorPanel(m, jn, jbn, a, lda, ipiv, false);
}

/**
 * In-place LU factorization with partial pivoting, P·A = L·U, of the m×n matrix A
 * (leading dimension lda): L is unit lower triangular (trapezoidal if m > n), stored below
 * the diagonal; U is upper triangular (trapezoidal if m < n), stored on and above it.
 * ipiv (i32, min(m, n) entries): row i was interchanged with row ipiv[i] (0-based), in
 * order i = 0, 1, … Returns 0, or k + 1 for the first k with U[k][k] exactly zero (LAPACK's
 * info; the factorization is completed, but U is singular).
 *
 * Each step factors the next panel right after updating its own columns (luStep), which in
 * the thread pool lets one thread factor it while the others update the rest; the order of
 * the operations on any one column is that of the textbook loop.
 */
export function getrf(m: i32, n: i32, a: usize, lda: i32, ipiv: usize): i32 {
  if (m <= 0 || n <= 0) return 0;
  const mn = min<i32>(m, n);
  factorPanel(m, 0, min<i32>(NB, mn), a, lda, ipiv, true);
  for (let j = 0; j < mn; j += NB) {
    const jb = min<i32>(NB, mn - j);
    const jbn = min<i32>(NB, mn - j - jb);
    if (!luStepLarge(m, n, j, jb, jbn, a, lda, ipiv)) luStep(m, n, j, jb, jbn, a, lda, ipiv);
  }
  // A zero pivot is the largest entry of its column, so it is exactly the zero U[k][k] that
  // getf2 leaves: the first one is LAPACK's info, wherever the panel was factored.
  const step = (<usize>lda + 1) << 3;
  for (let k = 0; k < mn; k++) {
    if (load<f64>(a + <usize>k * step) == 0) return k + 1;
  }
  return 0;
}

/**
 * Solves A·X = B (trans = 0) or Aᵀ·X = B (trans = 1) with the factors of getrf (n×n, lda,
 * ipiv), overwriting B (n×nrhs, ldb) with X. A singular U gives Inf/NaN, not an error.
 */
export function getrs(trans: i32, n: i32, nrhs: i32, a: usize, lda: i32, ipiv: usize,
  b: usize, ldb: i32): void {
  if (n <= 0 || nrhs <= 0) return;
  if (trans == 0) {
    // A = Pᵀ·L·U: X = U⁻¹·L⁻¹·P·B
    laswp(nrhs, b, ldb, 0, n, ipiv);
    trsm(0, 0, 0, 1, n, nrhs, 1.0, a, lda, b, ldb);
    trsm(0, 1, 0, 0, n, nrhs, 1.0, a, lda, b, ldb);
  } else {
    // Aᵀ = Uᵀ·Lᵀ·P: X = Pᵀ·L⁻ᵀ·U⁻ᵀ·B
    trsm(0, 1, 1, 0, n, nrhs, 1.0, a, lda, b, ldb);
    trsm(0, 0, 1, 1, n, nrhs, 1.0, a, lda, b, ldb);
    laswp(nrhs, b, ldb, n, 0, ipiv);
  }
}
