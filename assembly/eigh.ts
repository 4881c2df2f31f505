// Symmetric eigendecomposition A = V·diag(w)·Vᵀ (LAPACK dsyev with jobz = V, uplo = L):
//   1. scale A by a power of two so its largest entry is in [1, 2),
//   2. blocked Householder tridiagonal reduction Qᵀ·A·Q = T (linalg/tridiag.ts),
//   3. form Q explicitly in A (blocked, compact WY),
//   4. implicit QL with Wilkinson shifts on T, rotating Q's columns into eigenvectors
//      (linalg/ql.ts),
//   5. sort ascending and undo the scaling.
// Orthogonality of V comes from construction (products of reflectors and rotations), so it
// holds for clustered and repeated eigenvalues too.
import { orgtrLower, orgtrScratch, sytrdLower, sytrdScratch } from "./linalg/tridiag";
import { steql, steqlMinScratch } from "./linalg/ql";
import { swapv } from "./linalg/vec";

/**
 * Scratch entries (f64) syev needs in `work` for order n: e and τ (2n), then one region
 * shared in turn by the blocked reduction, the blocked formation of Q, and the QL iteration
 * (a strip copy plus the rotation buffer, which takes the rest: bigger batches stream the
 * eigenvectors fewer times).
 */
export function syevWorkSize(n: i32): i32 {
  if (n <= 0) return 1;
  return 2 * n + max<i32>(sytrdScratch(n), max<i32>(orgtrScratch(n), steqlMinScratch(n)));
}

/**
 * Eigenvalues and orthonormal eigenvectors of the n×n symmetric matrix whose lower triangle
 * is at a (leading dimension lda; the strict upper triangle is not read). Eigenvalues go to
 * w[0..n) in ascending order; column j of A is overwritten with the unit eigenvector of w[j].
 * work: at least syevWorkSize(n) f64 of scratch. Returns 0; or > 0 if the QL iteration did
 * not converge (the number of unconverged off-diagonal entries; w and A then hold partial
 * results), which includes any NaN or ±Inf in the input (then w is all NaN).
 */
export function syev(n: i32, a: usize, lda: i32, w: usize, work: usize): i32 {
  if (n <= 0) return 0;
  const ldaB = <usize>lda << 3;
  let anrm = 0.0;
  for (let j = 0; j < n; j++) {
    const col = a + <usize>j * ldaB;
    for (let i = j; i < n; i++) anrm = max<f64>(anrm, abs<f64>(load<f64>(col + (<usize>i << 3))));
  }
  if (!(anrm <= f64.MAX_VALUE)) {
    // NaN or Inf: no iteration would converge; fail fast instead of running 30·n sweeps.
    for (let i = 0; i < n; i++) store<f64>(w + (<usize>i << 3), NaN);
    return n;
  }
  if (n == 1) {
    store<f64>(w, load<f64>(a));
    store<f64>(a, 1.0);
    return 0;
  }
  // Scale by a power of two so that max |a_ij| ∈ [1, 2): exact (no rounding), and it puts
  // T where the QL deflation test |e|² ≤ ε²·|d_m|·|d_m+1| + SFMIN is relative. (dsyev only
  // scales outside [√(SFMIN/ε), √(ε/SFMIN)] because dsteqr rescales each block; near the
  // ends of that range the SFMIN floor would deflate at |e|/|d| ≈ 1e-8 and cost eigenvector
  // accuracy.) The exponent is clamped so that σ and 1/σ are both representable.
  let sigma = 1.0;
  if (anrm > 0) {
    const k = <i32>Math.floor(Math.log2(anrm));
    const kc = min<i32>(max<i32>(k, -1022), 1023);
    sigma = Math.pow(2.0, <f64>-kc);
  }
  if (sigma != 1) {
    for (let j = 0; j < n; j++) {
      const col = a + <usize>j * ldaB;
      for (let i = j; i < n; i++) {
        const p = col + (<usize>i << 3);
        store<f64>(p, sigma * load<f64>(p));
      }
    }
  }

  const nB = <usize>n << 3;
  const e = work, tau = work + nB, scratch = work + 2 * nB;
  sytrdLower(n, a, lda, w, e, tau, scratch);
  orgtrLower(n, a, lda, tau, scratch);
  const info = steql(n, w, e, a, lda, scratch, syevWorkSize(n) - 2 * n);

  if (sigma != 1) {
    const inv = 1.0 / sigma;
    for (let i = 0; i < n; i++) store<f64>(w + (<usize>i << 3), inv * load<f64>(w + (<usize>i << 3)));
  }
  // Selection sort: O(n²) compares but at most n − 1 column swaps.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = load<f64>(w + (<usize>i << 3));
    for (let j = i + 1; j < n; j++) {
      const v = load<f64>(w + (<usize>j << 3));
      if (v < p) {
        k = j;
        p = v;
      }
    }
    if (k != i) {
      store<f64>(w + (<usize>k << 3), load<f64>(w + (<usize>i << 3)));
      store<f64>(w + (<usize>i << 3), p);
      swapv(n, a + <usize>i * ldaB, a + <usize>k * ldaB);
    }
  }
  return info;
}
