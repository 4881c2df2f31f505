// Symmetric rank-k update on the lower triangle only (BLAS dsyrk, uplo = L, trans = N):
// C ← α·A·Aᵀ + β·C for C n×n, A n×k. The strict upper triangle of C is never read or written,
// which is what lets potrf promise to leave it untouched.
//
// Recursive on C (Elmroth et al., SIAM Review 46(1), 2004, §3.2): C11 and C22 recurse and the
// off-diagonal block C21 = α·A2·A1ᵀ + β·C21 is one gemm, so all but O(LEAF/n) of the flops
// run in gemm. A diagonal leaf is computed whole into scratch by gemm (twice its useful flops,
// on a small fraction of the total) and only its lower triangle is merged into C.
import { gemm } from "../gemm";
import { gemmLarge } from "../hook";

/** Diagonal blocks at most this large are computed whole in scratch. */
const LEAF: i32 = 32;
let W_AT: usize = memory.data(LEAF * LEAF * 8, 16);

export function syrkLower(n: i32, k: i32, alpha: f64, a: usize, lda: i32, beta: f64,
  c: usize, ldc: i32): void {
  const W = W_AT;
  if (n <= 0) return;
  const ldcB = <usize>ldc << 3;
  if (n <= LEAF) {
    // W = α·A·Aᵀ (β = 0: not read), then C_lower ← W_lower + β·C_lower.
    gemm(0, 1, n, n, k, alpha, a, lda, a, lda, 0.0, W, n);
    for (let j = 0; j < n; j++) {
      const cj = c + <usize>j * ldcB, wj = W + (<usize>(j * n) << 3);
      for (let i = j; i < n; i++) {
        const o = <usize>i << 3;
        const v = load<f64>(wj + o);
        store<f64>(cj + o, beta == 0 ? v : v + beta * load<f64>(cj + o));
      }
    }
    return;
  }
  // A multiple of 8 keeps the gemm blocks on whole 4×4 tiles.
  const n1 = ((n >> 1) + 7) & ~7, n2 = n - n1;
  const a2 = a + (<usize>n1 << 3);
  syrkLower(n1, k, alpha, a, lda, beta, c, ldc);
  gemmLarge(0, 1, n2, n1, k, alpha, a2, lda, a, lda, beta, c + (<usize>n1 << 3), ldc);
  syrkLower(n2, k, alpha, a2, lda, beta, c + (<usize>n1 << 3) + <usize>n1 * ldcB, ldc);
}

/**
 * Symmetric rank-2k update on the lower triangle only (BLAS dsyr2k, uplo = L, trans = N):
 * C ← α·(A·Bᵀ + B·Aᵀ) + β·C for C n×n, A and B n×k. Recursive like syrkLower; the strict
 * upper triangle of C is never read or written.
 */
export function syr2kLower(n: i32, k: i32, alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32): void {
  const W = W_AT;
  if (n <= 0) return;
  const ldcB = <usize>ldc << 3;
  if (n <= LEAF) {
    gemm(0, 1, n, n, k, alpha, a, lda, b, ldb, 0.0, W, n);
    gemm(0, 1, n, n, k, alpha, b, ldb, a, lda, 1.0, W, n);
    for (let j = 0; j < n; j++) {
      const cj = c + <usize>j * ldcB, wj = W + (<usize>(j * n) << 3);
      for (let i = j; i < n; i++) {
        const o = <usize>i << 3;
        const v = load<f64>(wj + o);
        store<f64>(cj + o, beta == 0 ? v : v + beta * load<f64>(cj + o));
      }
    }
    return;
  }
  const n1 = ((n >> 1) + 7) & ~7, n2 = n - n1;
  const a2 = a + (<usize>n1 << 3), b2 = b + (<usize>n1 << 3);
  const c21 = c + (<usize>n1 << 3);
  syr2kLower(n1, k, alpha, a, lda, b, ldb, beta, c, ldc);
  gemm(0, 1, n2, n1, k, alpha, a2, lda, b, ldb, beta, c21, ldc);
  gemm(0, 1, n2, n1, k, alpha, b2, ldb, a, lda, 1.0, c21, ldc);
  syr2kLower(n2, k, alpha, a2, lda, b2, ldb, beta, c21 + <usize>n1 * ldcB, ldc);
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeSyrkScratch(base: usize, set: bool): usize {
  if (set) W_AT = base;
  base += (<usize>(LEAF * LEAF * 8) + 15) & ~<usize>15;
  return base;
}
