// Statistics of a least-squares fit from the Jacobian at the solution: the covariance of the
// parameters s²(JᵀJ)⁻¹ (s² = RSS/(m − n), or 1 with absolute sigma), as scipy's curve_fit and
// ceres::Covariance compute it, from an SVD of J rather than from JᵀJ (which would square
// J's condition number: on the NIST StRD problems the certified standard deviations need the
// accuracy). The SVD is one-sided Jacobi (Hestenes; Demmel & Veselić, SIAM J. Matrix Anal.
// Appl. 13(4), 1992), accurate to high relative precision in the small singular values.
//
// Rank deficiency: singular values below max(m, n)·ε·σ₁ are dropped and the covariance is the
// pseudo-inverse on the rest (scipy's curve_fit); `rank` reports how many were kept.

import type { TreeDef } from "../../core/pytree.js";

/** The SVD J = U Σ Vᵀ of a column-major m × n J (m ≥ n): singular values (descending) and V (n × n, column-major). */
export function jacobiSvd(J: Float64Array, m: number, n: number): { s: Float64Array; V: Float64Array } {
  const U = J.slice();
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let a = 0, b = 0, c = 0;
        for (let i = 0; i < m; i++) {
          const up = U[p * m + i]!, uq = U[q * m + i]!;
          a += up * up;
          b += uq * uq;
          c += up * uq;
        }
        if (c === 0 || Math.abs(c) <= Number.EPSILON * Math.sqrt(a * b)) continue;
        rotated = true;
        // The rotation that makes columns p and q orthogonal (Golub & Van Loan, §8.6.3).
        const zeta = (b - a) / (2 * c);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t), sn = cs * t;
        for (let i = 0; i < m; i++) {
          const up = U[p * m + i]!, uq = U[q * m + i]!;
          U[p * m + i] = cs * up - sn * uq;
          U[q * m + i] = sn * up + cs * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = V[p * n + i]!, vq = V[q * n + i]!;
          V[p * n + i] = cs * vp - sn * vq;
          V[q * n + i] = sn * vp + cs * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += U[j * m + i]! ** 2;
    s[j] = Math.sqrt(t);
  }
  // Descending order.
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => s[y]! - s[x]!);
  const sOut = new Float64Array(n), VOut = new Float64Array(n * n);
  order.forEach((j, k) => {
    sOut[k] = s[j]!;
    VOut.set(V.subarray(j * n, (j + 1) * n), k * n);
  });
  return { s: sOut, V: VOut };
}

/**
 * (JᵀJ)⁺ (n × n, symmetric, row = column order) from the SVD of J, and the numerical rank.
 * J has m rows; m < n is handled by padding with zero rows (rank ≤ m).
 */
export function inverseNormal(J: Float64Array, m: number, n: number): { cov: Float64Array; rank: number; singularValues: Float64Array } {
  let Jp = J, mp = m;
  if (m < n) {
    Jp = new Float64Array(n * n);
    for (let j = 0; j < n; j++) Jp.set(J.subarray(j * m, (j + 1) * m), j * n);
    mp = n;
  }
  const { s, V } = jacobiSvd(Jp, mp, n);
  const threshold = Math.max(m, n) * Number.EPSILON * (s[0] ?? 0);
  let rank = 0;
  while (rank < n && s[rank]! > threshold) rank++;
  const cov = new Float64Array(n * n);
  for (let k = 0; k < rank; k++) {
    const w = 1 / (s[k]! * s[k]!);
    const v = V.subarray(k * n, (k + 1) * n);
    for (let a = 0; a < n; a++) {
      const va = v[a]! * w;
      for (let b = 0; b < n; b++) cov[a * n + b]! += va * v[b]!;
    }
  }
  return { cov, rank, singularValues: s };
}

/**
 * Names of the flat parameters of a pytree, in the flat order: the key path, then the index
 * of the entry in its leaf (`"amp"`, `"w[1]"`, `"layers[0].W[2,1]"`; `"[3]"` for a bare vector).
 */
export function parameterNames(def: TreeDef): string[] {
  const out: string[] = [];
  const walk = (d: TreeDef, path: string): void => {
    if (d.kind === "array") d.children.forEach((c, i) => walk(c, `${path}[${i}]`));
    else if (d.kind === "object") d.keys.forEach((k, i) => walk(d.children[i]!, path ? `${path}.${k}` : k));
    else {
      const shape = d.shape;
      const size = shape.reduce((a, b) => a * b, 1);
      for (let f = 0; f < size; f++) {
        if (shape.length === 0) out.push(path);
        else {
          // Flat (column-major) index → subscripts, first index fastest.
          const sub: number[] = [];
          let r = f;
          for (const dim of shape) {
            sub.push(r % dim);
            r = Math.floor(r / dim);
          }
          out.push(`${path}[${sub.join(",")}]`);
        }
      }
    }
  };
  walk(def, "");
  return out;
}
