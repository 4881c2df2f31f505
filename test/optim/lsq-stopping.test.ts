// leastSquares' stopping tests (MINPACK lmder's, scale-invariant) and its statistics.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { matrix, randn, scalar, vector, type Tensor } from "../../src/index.js";
import { leastSquares, type LeastSquaresMethod } from "../../src/optim/index.js";

const ts = Array.from({ length: 40 }, (_, i) => (3 * i) / 39);
const t = vector(ts);
const noise = randn([ts.length], { seed: 3 }).mul(0.02);
const y = vector(ts.map((ti) => 2 * Math.exp(-1.3 * ti) + 0.5)).add(noise);
const model = (p: Tensor) => mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1]).neg()).exp()).add(mc.slice(p, [2], [1]));
const VARIANTS: { method: LeastSquaresMethod; matrixFree: boolean }[] = [
  { method: "lm", matrixFree: false }, { method: "gauss-newton", matrixFree: false },
  { method: "lm", matrixFree: true }, { method: "gauss-newton", matrixFree: true },
];

describe("scale invariance", () => {
  it.each(VARIANTS)("$method (matrixFree $matrixFree): scaling r by 1e8 or 1e-8 changes neither the path nor the stop", ({ method, matrixFree }) => {
    const runs = [1, 1e8, 1e-8].map((c) => leastSquares((p: Tensor) => model(p).sub(y).mul(c), vector([1, 1, 0]), { method, matrixFree }));
    for (const r of runs) {
      expect(r.converged, r.message).toBe(true);
      expect(r.status).toBe(runs[0]!.status);
      ((r.x as Tensor).toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(((runs[0]!.x as Tensor).toArray() as number[])[i]!, 8));
    }
    // The old absolute ‖Jᵀr‖∞ ≤ 1e-5 test stopped the 1e8 run never and the 1e-8 run at x0.
    expect(runs[2]!.iterations).toBeGreaterThan(2);
    expect(Math.abs(runs[0]!.iterations - runs[1]!.iterations)).toBeLessThanOrEqual(1);
  });

  it("a huge gradient at the optimum in absolute terms is still optimal (gradTol is a cosine)", () => {
    const r = leastSquares((p: Tensor) => model(p).sub(y).mul(1e10), vector([1, 1, 0]));
    expect(r.converged).toBe(true);
    expect(r.gradNorm).toBeGreaterThan(1e-5);
  });
});

describe("honest statuses", () => {
  it.each(VARIANTS)("$method (matrixFree $matrixFree): every tolerance 0 → 'stalled', not converged, at the optimum", ({ method, matrixFree }) => {
    const ref = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]));
    const r = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), { method, matrixFree, gradTol: 0, stepTol: 0, valueTol: 0, maxIterations: 500 });
    expect(["stalled", "lineSearchFailed"]).toContain(r.status);
    expect(r.converged).toBe(false);
    expect(r.cost).toBeCloseTo(ref.cost, 12);
  });

  it("maxIterations → not converged", () => {
    const r = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), { maxIterations: 1 });
    expect([r.status, r.converged]).toEqual(["maxIterations", false]);
  });

  it("a zero-residual problem converging only linearly stops when ‖r‖ ≤ ε‖r(x0)‖", () => {
    // r = (x², y²): singular at the solution, the steps halve x each time (no lmder test fires).
    const r = leastSquares((p: Tensor) => p.square(), vector([1, 2]));
    expect([r.status, r.converged]).toEqual(["valueTol", true]);
    expect(Math.sqrt(2 * r.cost)).toBeLessThanOrEqual(Number.EPSILON * Math.sqrt(17));
    expect(r.iterations).toBeLessThan(100);
  });
});

describe("statistics", () => {
  // Linear regression y = a + b·t: the covariance is s²(XᵀX)⁻¹ in closed form.
  const X = ts.map((ti) => [1, ti]);
  const lin = (p: Tensor) => matrix(X).matmul(p).sub(y);

  it("covariance, standard errors, correlation, dof and residualStd match the closed form", () => {
    const r = leastSquares(lin, vector([0, 0]));
    const m = ts.length, sx = ts.reduce((a, b) => a + b, 0), sxx = ts.reduce((a, b) => a + b * b, 0);
    const det = m * sxx - sx * sx;
    const s2 = (2 * r.cost) / (m - 2);
    const want = [sxx / det, -sx / det, -sx / det, m / det].map((v) => v * s2);
    Array.from(r.covariance().data).forEach((v, i) => expect(v / want[i]!).toBeCloseTo(1, 12));
    const se = (r.standardErrors() as Tensor).data;
    expect(se[0]! / Math.sqrt(want[0]!)).toBeCloseTo(1, 12);
    expect(r.correlation().data[1]! / (want[1]! / Math.sqrt(want[0]! * want[3]!))).toBeCloseTo(1, 12);
    expect(r.correlation().data[0]).toBeCloseTo(1, 14);
    expect([r.dof, r.rank()]).toEqual([m - 2, 2]);
    expect(r.residualStd).toBeCloseTo(Math.sqrt(s2), 14);
    // absoluteSigma: (XᵀX)⁻¹ itself.
    const abs = leastSquares(lin, vector([0, 0]), { absoluteSigma: true });
    expect(abs.covariance().data[3]! / (m / det)).toBeCloseTo(1, 12);
  });

  it("rank-deficient J: the pseudo-inverse, and rank() says so", () => {
    // a and b enter only as a + b: J has two equal columns.
    const r = leastSquares((p: { a: Tensor; b: Tensor }) => p.a.add(p.b).add(t.mul(0)).sub(y), { a: scalar(0), b: scalar(0) });
    expect(r.rank()).toBe(1);
    const C = r.covariance().data;
    // pinv of [[m, m], [m, m]]·s² = s²/(4m)·ones.
    const s2 = (2 * r.cost) / (ts.length - 2);
    for (const v of C) expect(v / (s2 / (4 * ts.length))).toBeCloseTo(1, 10);
    expect(r.parameterNames).toEqual(["a", "b"]);
    expect(Object.keys(r.standardErrors())).toEqual(["a", "b"]);
  });

  it("pytree parameter names follow the key order and the column-major entries", () => {
    const r = leastSquares((p: { w: Tensor; c: Tensor }) => matrix(X).matmul(mc.reshape(p.w, [2])).add(p.c).sub(y), { w: matrix([[0], [0]]), c: scalar(0) }, { maxIterations: 3 });
    // In the flat order of x (the pytree module's key order), entries column-major.
    expect(r.parameterNames).toEqual(Object.keys(r.x).flatMap((k) => (k === "w" ? ["w[0,0]", "w[1,0]"] : ["c"])));
  });
});
