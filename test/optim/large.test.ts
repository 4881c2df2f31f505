// Larger problems: extended Rosenbrock (MGH 21) with n = 100 and n = 1000, and L2-regularised
// logistic regression on seeded 10000 × 100 data, checked against its optimality condition
// ‖∇f‖ ≈ 0 with a gradient computed independently in plain JavaScript, and across methods.
import { describe, expect, it } from "vitest";
import { vector, zeros, type Tensor } from "../../src/index.js";
import { minimize, type MinimizeMethod } from "../../src/optim/index.js";
import { extendedRosenbrockObjective, logisticProblem } from "./problems.js";

describe.each([
  // newton forms the n×n Hessian (fine at n = 100); bfgs keeps an n×n inverse Hessian with
  // O(n²) updates (fine at n = 1000: 8 MB, ~2n² flops per iteration).
  { n: 100, methods: ["newton", "newton-cg", "trust-ncg", "bfgs", "lbfgs"] as MinimizeMethod[] },
  { n: 1000, methods: ["newton-cg", "trust-ncg", "bfgs", "lbfgs"] as MinimizeMethod[] },
])("extended Rosenbrock n = $n", ({ n, methods }) => {
  const f = extendedRosenbrockObjective(n);
  const x0 = vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));
  it.each(methods)("%s converges to x* = (1, …, 1), f* = 0", (method) => {
    const res = minimize(f, x0, { method, gradTol: 1e-7 });
    expect(res.converged, res.message).toBe(true);
    expect(res.value).toBeLessThan(1e-12);
    const x = (res.x as Tensor).data;
    expect(x.length).toBe(n);
    for (const v of x) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
    // The standard start makes every 2-D block identical, so the iteration counts are those of
    // 2-D Rosenbrock, independent of n.
    expect(res.iterations).toBeLessThan(100);
  });
});

describe("logistic regression 10000 × 100, λ = 1e-3", () => {
  const L = logisticProblem(10000, 100, 1e-3);
  const m = L.m, n = L.n;
  const X = L.X.data, y = L.y.data; // X column-major: X[i + j·m]

  /** ∇f(w) = −(1/m) Xᵀ(y ∘ σ(−y ∘ Xw)) + λw, in plain JS. */
  function gradJS(w: Float64Array): Float64Array {
    const z = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      const wj = w[j]!;
      for (let i = 0; i < m; i++) z[i]! += X[i + j * m]! * wj;
    }
    for (let i = 0; i < m; i++) {
      const t = -y[i]! * z[i]!;
      z[i] = (-y[i]! / (1 + Math.exp(-t))) / m;
    }
    const g = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += X[i + j * m]! * z[i]!;
      g[j] = s + L.lambda * w[j]!;
    }
    return g;
  }

  const methods: MinimizeMethod[] = ["newton", "newton-cg", "trust-ncg", "bfgs", "lbfgs", "gd"];
  const solutions = new Map<MinimizeMethod, { w: Float64Array; f: number }>();

  it.each(methods)("%s satisfies ‖∇f‖∞ ≤ 1e-7 (independent gradient)", (method) => {
    const res = minimize(L.f, zeros([n]), { method, gradTol: 1e-8 });
    expect(res.converged, res.message).toBe(true);
    const w = (res.x as Tensor).data;
    const g = gradJS(w);
    const gmax = Math.max(...Array.from(g, Math.abs));
    expect(gmax).toBeLessThan(1e-7);
    // AD's gradient agrees with the independent one.
    const gad = (res.grad as Tensor).data;
    for (let j = 0; j < n; j++) expect(Math.abs(gad[j]! - g[j]!)).toBeLessThan(1e-12);
    solutions.set(method, { w: w.slice(), f: res.value });
  });

  it("all methods agree on the minimizer (strictly convex: it is unique)", () => {
    const ref = solutions.get("newton")!;
    expect(solutions.size).toBe(methods.length);
    for (const [method, s] of solutions) {
      expect(Math.abs(s.f - ref.f), method).toBeLessThan(1e-12);
      // ‖w − w*‖ ≤ ‖∇f‖/μ with μ ≥ λ = 1e-3.
      for (let j = 0; j < n; j++) expect(Math.abs(s.w[j]! - ref.w[j]!), method).toBeLessThan(1e-4);
    }
  });
});
