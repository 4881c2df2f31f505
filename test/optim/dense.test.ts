// The optimizer's own numerical kernels: dense Cholesky (plain and shifted), triangular
// solves, Jacobi eigenvalues, the Lanczos curvature probe, the O(n²) BFGS update, and the
// strong Wolfe line search.
import { describe, expect, it } from "vitest";
import { vector } from "../../src/index.js";
import { backSolveT, cholesky, choleskySolve, forwardSolve, jacobiEigen, shiftedCholesky, symv, symvPacked } from "../../src/optim/dense.js";
import { lanczosSmallest } from "../../src/optim/curvature.js";
import { bfgsInverseUpdate } from "../../src/optim/bfgs.js";
import { LineEvaluator, strongWolfe } from "../../src/optim/line-search.js";
import { Layout } from "../../src/optim/flat.js";
import { Guard, Objective } from "../../src/optim/objective.js";
import { Session } from "../../src/optim/session.js";
import { dot } from "../../src/optim/vec.js";
import { mulberry32 } from "../../src/random.js";
import { rosenbrock, sumOfSquares } from "./problems.js";

function randSym(n: number, seed: number, shift: number): Float64Array {
  const r = mulberry32(seed);
  const B = Array.from({ length: n * n }, () => 2 * r() - 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += B[k * n + i]! * B[k * n + j]!;
      A[i * n + j] = s + (i === j ? shift : 0);
    }
  }
  return A;
}

describe("dense linear algebra", () => {
  it("cholesky reconstructs A = LLᵀ and solves A x = b", () => {
    const n = 9;
    const A = randSym(n, 1, 0.5);
    const L = new Float64Array(n * n);
    expect(cholesky(A, n, L)).toBe(-1);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += L[i * n + k]! * L[j * n + k]!;
        expect(s).toBeCloseTo(A[i * n + j]!, 12);
      }
    }
    const b = Float64Array.from({ length: n }, (_, i) => i - 3);
    const x = new Float64Array(n);
    choleskySolve(L, n, b, x);
    const Ax = new Float64Array(n);
    symv(A, n, x, Ax);
    for (let i = 0; i < n; i++) expect(Ax[i]).toBeCloseTo(b[i]!, 10);
    // The two triangular solves separately.
    const y = new Float64Array(n), z = new Float64Array(n);
    forwardSolve(L, n, b, y);
    backSolveT(L, n, y, z);
    for (let i = 0; i < n; i++) expect(z[i]).toBeCloseTo(x[i]!, 12);
  });

  it("cholesky reports the failing pivot; shiftedCholesky (N&W Alg. 3.3) adds the smallest working shift", () => {
    const A = Float64Array.from([2, 0, 0, 0, -1, 0, 0, 0, 3]); // eigenvalues 2, −1, 3
    const L = new Float64Array(9);
    expect(cholesky(A, 3, L)).toBe(1);
    const tau = shiftedCholesky(A, 3, L);
    expect(tau).toBeGreaterThan(1);
    expect(tau).toBeLessThan(3);
    expect(cholesky(A, 3, new Float64Array(9), tau)).toBe(-1);
    expect(shiftedCholesky(randSym(5, 2, 1), 5, new Float64Array(25))).toBe(0);
  });

  it("jacobiEigen diagonalizes a symmetric matrix", () => {
    const n = 6;
    const A = randSym(n, 3, -2);
    const { values, V } = jacobiEigen(A.slice(), n);
    for (let j = 0; j < n; j++) {
      const v = Float64Array.from({ length: n }, (_, i) => V[i * n + j]!);
      const Av = new Float64Array(n);
      symv(A, n, v, Av);
      for (let i = 0; i < n; i++) expect(Av[i]).toBeCloseTo(values[j]! * v[i]!, 10);
      expect(dot(v, v)).toBeCloseTo(1, 12);
    }
  });

  it("Lanczos finds the smallest eigenvalue exactly when k ≥ n, and its eigenvector", () => {
    const n = 7;
    const A = randSym(n, 4, -3);
    const { values } = jacobiEigen(A.slice(), n);
    const probe = lanczosSmallest((v, out) => symv(A, n, v, out), n, n)!;
    expect(probe.lambda).toBeCloseTo(Math.min(...values), 9);
    const Ad = new Float64Array(n);
    symv(A, n, probe.d, Ad);
    for (let i = 0; i < n; i++) expect(Ad[i]).toBeCloseTo(probe.lambda * probe.d[i]!, 7);
  });
});

it("the in-place O(n²) BFGS update equals (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ", () => {
  const n = 8;
  const H = randSym(n, 5, 1);
  const r = mulberry32(6);
  const s = Float64Array.from({ length: n }, () => 2 * r() - 1);
  const y = Float64Array.from({ length: n }, (_, i) => s[i]! * 2 + 0.3 * (2 * r() - 1));
  const rho = 1 / dot(s, y);
  // Reference with explicit matrix products.
  const E = (a: Float64Array, b: Float64Array) => {
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M[i * n + j] = (i === j ? 1 : 0) - rho * a[i]! * b[j]!;
    return M;
  };
  const mm = (P: Float64Array, Q: Float64Array) => {
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let t = 0;
      for (let k = 0; k < n; k++) t += P[i * n + k]! * Q[k * n + j]!;
      M[i * n + j] = t;
    }
    return M;
  };
  const ref = mm(mm(E(s, y), H), E(y, s));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ref[i * n + j]! += rho * s[i]! * s[j]!;
  // Packed lower triangle.
  const pack = (M: Float64Array) => {
    const P = new Float64Array((n * (n + 1)) / 2);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) P[(i * (i + 1)) / 2 + j] = M[i * n + j]!;
    return P;
  };
  const P = pack(H);
  const u = new Float64Array(n), u2 = new Float64Array(n);
  symvPacked(P, n, y, u);
  symv(H, n, y, u2);
  for (let i = 0; i < n; i++) expect(u[i]).toBeCloseTo(u2[i]!, 12);
  bfgsInverseUpdate(P, n, s, y, u);
  const Pref = pack(ref);
  for (let i = 0; i < P.length; i++) expect(P[i]).toBeCloseTo(Pref[i]!, 12);
  // Secant equation H⁺y = s.
  const Hy = new Float64Array(n);
  symvPacked(P, n, y, Hy);
  for (let i = 0; i < n; i++) expect(Hy[i]).toBeCloseTo(s[i]!, 12);
});

it("the line search returns a point satisfying the strong Wolfe conditions", () => {
  const { layout, vec: x } = Layout.of(vector([-1.2, 1]), "test");
  const obj = new Objective(sumOfSquares(rosenbrock.residual), layout, new Guard(Infinity, Infinity, undefined), new Session());
  const g = new Float64Array(2);
  const f0 = obj.valueGrad(x, g);
  const p = Float64Array.from(g, (v) => -v);
  const d0 = dot(g, p);
  for (const [c2, a1] of [[0.9, 1], [0.1, 1], [0.9, 1e-6], [0.5, 10]] as const) {
    const ev = new LineEvaluator(2, (xx, gg) => obj.valueGrad(xx, gg));
    ev.reset(x, p);
    const ls = strongWolfe(ev, f0, d0, a1, { c1: 1e-4, c2, alphaMax: 1e10, maxEvals: 30 });
    expect(ls.ok && ls.wolfe).toBe(true);
    const pt = ev.pointAt(ls.alpha);
    expect(pt.f).toBeLessThanOrEqual(f0 + 1e-4 * ls.alpha * d0);
    expect(Math.abs(dot(pt.g, p))).toBeLessThanOrEqual(-c2 * d0);
  }
});
