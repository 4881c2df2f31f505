// Small dense linear algebra for the optimizers, in plain TypeScript on Float64Array.
//
// Isolated here on purpose: `newton` and `lm` need a Cholesky factorization that can fail
// softly (to add a shift) and triangular solves on matrices the optimizer owns. matcalc's
// differentiable kernels (`cholesky`, `triangularSolve`, `solve` in src/ops/linalg.ts) can
// replace these once exported; the interface below is what they would have to provide.
// The exception is bfgs's packed inverse Hessian: its O(n²) product and update run as wasm
// kernels when it lives in the run's workspace (see vec.ts), with the same bits.
//
// Storage: n×n symmetric matrices are dense Float64Arrays; since they are symmetric,
// row-major and column-major coincide. Cholesky factors L (lower) are stored row-major,
// L[i*n + j] for j ≤ i, so the inner products of the factorization run over contiguous rows.
import { ptr, wasm3 } from "./vec.js";

/**
 * Cholesky factorization A = L·Lᵀ of a symmetric n×n matrix (only A's lower triangle is
 * read) into `L` (row-major lower; the strict upper part is zeroed). Returns -1 on success,
 * or the 0-based index of the first pivot that is not positive (A is not positive definite).
 */
export function cholesky(A: Float64Array, n: number, L: Float64Array, shift = 0): number {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = A[ri + j]!;
      for (let k = 0; k < j; k++) s -= L[ri + k]! * L[rj + k]!;
      if (i === j) {
        s += shift;
        if (!(s > 0) || !Number.isFinite(s)) return i;
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) L[ri + j] = 0;
  }
  return -1;
}

/**
 * Cholesky with added multiple of the identity (Nocedal & Wright, Numerical Optimization,
 * 2nd ed., Algorithm 3.3): factors A + τI for the smallest τ in the sequence
 * τ₀, 2τ₀, 4τ₀, … (τ₀ = 0 when A's diagonal is positive) that succeeds.
 * Returns τ (0 when A itself is positive definite).
 */
export function shiftedCholesky(A: Float64Array, n: number, L: Float64Array): number {
  let minDiag = Infinity, maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = A[i * n + i]!;
    if (d < minDiag) minDiag = d;
    for (let j = 0; j <= i; j++) maxAbs = Math.max(maxAbs, Math.abs(A[i * n + j]!));
  }
  // β scales with the matrix so that the shift is meaningful in its units.
  const beta = 1e-3 * Math.max(maxAbs, 1e-12);
  let tau = minDiag > 0 ? 0 : beta - minDiag;
  for (let tries = 0; tries < 200; tries++) {
    if (cholesky(A, n, L, tau) < 0) return tau;
    tau = Math.max(2 * tau, beta);
  }
  throw new Error("shiftedCholesky: no shift made the matrix positive definite (non-finite entries?)");
}

/** Solves L·y = b (L row-major lower) into `out` (may alias b). */
export function forwardSolve(L: Float64Array, n: number, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[ri + k]! * out[k]!;
    out[i] = s / L[ri + i]!;
  }
}

/** Solves Lᵀ·x = y (L row-major lower) into `out` (may alias y). */
export function backSolveT(L: Float64Array, n: number, y: Float64Array, out: Float64Array): void {
  if (out !== y) out.set(y);
  // Column-oriented: after x_i is known, remove its contribution L[i][k]·x_i from rows k < i.
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n;
    const xi = out[i]! / L[ri + i]!;
    out[i] = xi;
    for (let k = 0; k < i; k++) out[k]! -= L[ri + k]! * xi;
  }
}

/** Solves (L·Lᵀ)·x = b into `out` (may alias b). */
export function choleskySolve(L: Float64Array, n: number, b: Float64Array, out: Float64Array): void {
  forwardSolve(L, n, b, out);
  backSolveT(L, n, out, out);
}

/** out = A·v for a dense symmetric (or row-major) n×n matrix. */
export function symv(A: Float64Array, n: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s0 = 0, s1 = 0;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      s0 += A[ri + j]! * v[j]!;
      s1 += A[ri + j + 1]! * v[j + 1]!;
    }
    if (j < n) s0 += A[ri + j]! * v[j]!;
    out[i] = s0 + s1;
  }
}

/**
 * out = A·v for a symmetric A in packed lower-triangular row-major storage (A[i][j], j ≤ i,
 * at i(i+1)/2 + j). One pass over the n(n+1)/2 stored entries does both the row dot product
 * and the column update, so the memory traffic is half that of a full matrix. Runs as the
 * `spmv` kernel when all three arrays are workspace vectors, with the same bits: row i's dot
 * product uses vec.ts's fixed order (eight partial sums).
 */
export function symvPacked(P: Float64Array, n: number, v: Float64Array, out: Float64Array): void {
  const k = wasm3(P, v, out, true);
  if (k) return k.spmv(n, ptr(P), ptr(v), ptr(out));
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const r = (i * (i + 1)) / 2;
    const vi = v[i]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    let j = 0;
    for (; j + 8 <= i; j += 8) {
      const e0 = P[r + j]!, e1 = P[r + j + 1]!, e2 = P[r + j + 2]!, e3 = P[r + j + 3]!;
      const e4 = P[r + j + 4]!, e5 = P[r + j + 5]!, e6 = P[r + j + 6]!, e7 = P[r + j + 7]!;
      s0 += e0 * v[j]!;
      s1 += e1 * v[j + 1]!;
      s2 += e2 * v[j + 2]!;
      s3 += e3 * v[j + 3]!;
      s4 += e4 * v[j + 4]!;
      s5 += e5 * v[j + 5]!;
      s6 += e6 * v[j + 6]!;
      s7 += e7 * v[j + 7]!;
      out[j]! += e0 * vi;
      out[j + 1]! += e1 * vi;
      out[j + 2]! += e2 * vi;
      out[j + 3]! += e3 * vi;
      out[j + 4]! += e4 * vi;
      out[j + 5]! += e5 * vi;
      out[j + 6]! += e6 * vi;
      out[j + 7]! += e7 * vi;
    }
    let s = s0 + s2 + (s4 + s6) + (s1 + s3 + (s5 + s7));
    for (; j < i; j++) {
      const a = P[r + j]!;
      s += a * v[j]!;
      out[j]! += a * vi;
    }
    out[i]! += s + P[r + i]! * vi;
  }
}

/**
 * P ← P + x·yᵀ + y·xᵀ for a symmetric P packed as in {@link symvPacked} (entry-wise
 * P[i][j] + (x_i·y_j + y_i·x_j)); the `spr2` kernel when all three are workspace vectors.
 */
export function syr2Packed(P: Float64Array, n: number, x: Float64Array, y: Float64Array): void {
  const k = wasm3(P, x, y, true);
  if (k) return k.spr2(n, ptr(x), ptr(y), ptr(P));
  for (let i = 0; i < n; i++) {
    const xi = x[i]!, yi = y[i]!;
    const r = (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) P[r + j]! += xi * y[j]! + yi * x[j]!;
  }
}

/**
 * Eigen-decomposition of a small symmetric k×k matrix by the cyclic Jacobi method (Golub &
 * Van Loan, Matrix Computations, §8.5). `A` (row-major) is overwritten. Returns eigenvalues
 * and eigenvectors as columns of V (row-major: V[i*k + j] is component i of vector j).
 */
export function jacobiEigen(A: Float64Array, k: number): { values: Float64Array; V: Float64Array } {
  const V = new Float64Array(k * k);
  for (let i = 0; i < k; i++) V[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const a = A[i * k + j]! * A[i * k + j]!;
        total += a;
        if (i !== j) off += a;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = A[p * k + q]!;
        if (apq === 0) continue;
        const app = A[p * k + p]!, aqq = A[q * k + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < k; r++) {
          // Columns p and q of A, then rows p and q: A ← Jᵀ A J.
          const arp = A[r * k + p]!, arq = A[r * k + q]!;
          A[r * k + p] = c * arp - s * arq;
          A[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = A[p * k + r]!, aqr = A[q * k + r]!;
          A[p * k + r] = c * apr - s * aqr;
          A[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = V[r * k + p]!, vrq = V[r * k + q]!;
          V[r * k + p] = c * vrp - s * vrq;
          V[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = A[i * k + i]!;
  return { values, V };
}

/** Inverts the dense k×k matrix A (row-major) in place by Gauss–Jordan with partial pivoting; false if singular. */
export function invertSmall(A: Float64Array, k: number): boolean {
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let p = c, best = Math.abs(A[c * k + c]!);
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r * k + c]!) > best) { best = Math.abs(A[r * k + c]!); p = r; }
    if (!(best > 0) || !Number.isFinite(best)) return false;
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        let t = A[c * k + j]!; A[c * k + j] = A[p * k + j]!; A[p * k + j] = t;
        t = inv[c * k + j]!; inv[c * k + j] = inv[p * k + j]!; inv[p * k + j] = t;
      }
    }
    const d = 1 / A[c * k + c]!;
    for (let j = 0; j < k; j++) { A[c * k + j]! *= d; inv[c * k + j]! *= d; }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r * k + c]!;
      if (f === 0) continue;
      for (let j = 0; j < k; j++) { A[r * k + j]! -= f * A[c * k + j]!; inv[r * k + j]! -= f * inv[c * k + j]!; }
    }
  }
  A.set(inv);
  return true;
}

/**
 * LU factorization with partial pivoting of the dense k×k row-major A, in place; false if
 * singular: a pivot at or below `minPivot` (0: only an exact zero or a non-finite one).
 */
export function luFactor(A: Float64Array, k: number, piv: Int32Array, minPivot = 0): boolean {
  for (let c = 0; c < k; c++) {
    let p = c, best = Math.abs(A[c * k + c]!);
    for (let r = c + 1; r < k; r++) {
      const v = Math.abs(A[r * k + c]!);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    piv[c] = p;
    if (!(best > minPivot) || !Number.isFinite(best)) return false;
    if (p !== c) {
      for (let j = 0; j < k; j++) {
        const t = A[c * k + j]!;
        A[c * k + j] = A[p * k + j]!;
        A[p * k + j] = t;
      }
    }
    const inv = 1 / A[c * k + c]!;
    for (let r = c + 1; r < k; r++) {
      const l = (A[r * k + c]! *= inv);
      if (l === 0) continue;
      for (let j = c + 1; j < k; j++) A[r * k + j]! -= l * A[c * k + j]!;
    }
  }
  return true;
}

/** out = A⁻¹ b from luFactor's factors (out may be b). */
export function luSolve(A: Float64Array, k: number, piv: Int32Array, b: ArrayLike<number>, out: Float64Array): void {
  if (out !== b) for (let i = 0; i < k; i++) out[i] = b[i]!;
  for (let i = 0; i < k; i++) {
    const p = piv[i]!;
    if (p !== i) {
      const t = out[i]!;
      out[i] = out[p]!;
      out[p] = t;
    }
  }
  for (let i = 1; i < k; i++) {
    let sum = out[i]!;
    for (let j = 0; j < i; j++) sum -= A[i * k + j]! * out[j]!;
    out[i] = sum;
  }
  for (let i = k - 1; i >= 0; i--) {
    let sum = out[i]!;
    for (let j = i + 1; j < k; j++) sum -= A[i * k + j]! * out[j]!;
    out[i] = sum / A[i * k + i]!;
  }
}
