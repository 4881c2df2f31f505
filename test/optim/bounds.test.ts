// Bound-constrained minimization: lbfgsb (L-BFGS-B) and tron (projected trust-region
// Newton-CG) on problems whose solutions are known in closed form, checked against the KKT
// conditions of the box, plus options, errors and run control.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, OptionError, ShapeError, grad, scalar, vector, zeros, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { extendedRosenbrockObjective } from "./problems.js";

const rosen = (v: Tensor) => {
  const x = mc.slice(v, [0], [1]), y = mc.slice(v, [1], [1]);
  return y.sub(x.square()).square().mul(100).add(mc.sub(1, x).square()).sum();
};
const arr = (t: unknown) => (t as Tensor).toArray() as number[];
const METHODS = ["lbfgsb", "tron"] as const;

/** ‖P(x − ∇f(x)) − x‖∞ computed independently of the optimizers. */
function projectedGradNorm(f: (x: Tensor) => Tensor, x: number[], lo: number[], hi: number[]): number {
  const g = arr(grad(f)(vector(x)));
  return Math.max(...x.map((xi, i) => Math.abs(Math.min(Math.max(xi - g[i]!, lo[i]!), hi[i]!) - xi)));
}

describe.each(METHODS)("%s", (method) => {
  it("Rosenbrock in a box: the minimum on the face x₁ = 0.5 is (0.5, 0.25), f = 0.25", () => {
    const res = minimize(rosen, vector([-1.2, 1]), { method, bounds: { lower: [-2, -2], upper: [0.5, 2] } });
    expect(res.converged, res.message).toBe(true);
    expect(res.status).toBe("gradTol");
    const [a, b] = arr(res.x);
    expect(a).toBe(0.5); // exactly on the bound
    expect(b).toBeCloseTo(0.25, 6);
    expect(res.value).toBeCloseTo(0.25, 10);
    expect(res.constraintViolation).toBe(0);
    // gradNorm is the projected gradient; ∇f itself is not small (the bound is active).
    expect(res.gradNorm).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(arr(res.grad)[0]!)).toBeGreaterThan(0.5);
  });

  it("a one-sided bound and a start outside the box (projected first): (1.5, 2.25)", () => {
    const res = minimize(rosen, vector([-1.2, 1]), { method, bounds: { lower: [1.5, -Infinity] } });
    expect(res.converged, res.message).toBe(true);
    expect(arr(res.x)[0]).toBe(1.5);
    expect(arr(res.x)[1]).toBeCloseTo(2.25, 6);
    expect(res.value).toBeCloseTo(0.25, 10);
  });

  it("no bounds at all: the unconstrained minimum (1, 1)", () => {
    const res = minimize(rosen, vector([-1.2, 1]), { method, gradTol: 1e-8 });
    expect(res.converged, res.message).toBe(true);
    expect(arr(res.x)[0]).toBeCloseTo(1, 6);
    expect(arr(res.x)[1]).toBeCloseTo(1, 6);
  });

  it("a separable quadratic Σ dᵢ(xᵢ − cᵢ)²: x* = clip(c, lower, upper) exactly", () => {
    const c = [3, -2, 0.5, 7, -9, 1], d = [1, 10, 100, 0.1, 2, 5];
    const lo = [0, -1, -Infinity, -Infinity, -10, 1], hi = [1, Infinity, 0, 5, 0, 1];
    const cv = vector(c), dv = vector(d);
    const f = (x: Tensor) => x.sub(cv).square().mul(dv).sum();
    const res = minimize(f, zeros([6]), { method, bounds: { lower: lo, upper: hi }, gradTol: 1e-9 });
    expect(res.converged, res.message).toBe(true);
    const want = c.map((ci, i) => Math.min(Math.max(ci, lo[i]!), hi[i]!));
    arr(res.x).forEach((xi, i) => expect(xi).toBeCloseTo(want[i]!, 8));
  });

  it("a coupled convex quadratic in a box: the KKT conditions hold at the result", () => {
    // f = ½xᵀAx − bᵀx, A tridiagonal (2, −1) + I: strictly convex, so the box KKT point is the minimizer.
    const n = 30;
    const A = mc.tensor(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 3 : Math.abs(i - j) === 1 ? -1 : 0))));
    const b = vector(Array.from({ length: n }, (_, i) => 5 * Math.sin(i)));
    const f = (x: Tensor) => mc.dot(x, A.matmul(x)).mul(0.5).sub(mc.dot(b, x));
    const lo = Array.from({ length: n }, () => -0.5), hi = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.3 : 1));
    // gradTol 1e-7: f ≈ −46.5, so its rounding (≈ 1e-14) bounds how far a line search can
    // resolve steps; lbfgsb stalls (stepTol, not converged) near 1.6e-8 when asked for less.
    const res = minimize(f, zeros([n]), { method, bounds: { lower: lo, upper: hi }, gradTol: 1e-7 });
    expect(res.converged, res.message).toBe(true);
    const x = arr(res.x);
    x.forEach((xi, i) => { expect(xi).toBeGreaterThanOrEqual(lo[i]!); expect(xi).toBeLessThanOrEqual(hi[i]!); });
    expect(projectedGradNorm(f, x, lo, hi)).toBeLessThan(1e-7);
    // Some bounds are active and some not, so the test exercises both parts of the method.
    const active = x.filter((xi, i) => xi === lo[i] || xi === hi[i]).length;
    expect(active).toBeGreaterThan(3);
    expect(active).toBeLessThan(n - 3);
  });

  it("extended Rosenbrock n = 1000 with x ≤ 0.8: feasible, KKT residual ≤ gradTol, same f from both methods", () => {
    const n = 1000;
    const f = extendedRosenbrockObjective(n);
    const x0 = vector(Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1.2)));
    const res = minimize(f, x0, { method, bounds: { upper: 0.8 } });
    expect(res.converged, res.message).toBe(true);
    const x = arr(res.x);
    expect(Math.max(...x)).toBeLessThanOrEqual(0.8);
    // Each pair (a, b) with a, b ≤ 0.8: b = a² and a = 0.8 gives (1 − 0.8)² = 0.04; 500 pairs → 20.
    expect(res.value).toBeCloseTo(20, 6);
    expect(projectedGradNorm(f, x, x.map(() => -Infinity), x.map(() => 0.8))).toBeLessThanOrEqual(1e-5);
  });

  it("pytree x0 with bounds given per leaf (numbers broadcast over a leaf)", () => {
    const f = (p: { w: Tensor; b: Tensor }) => p.w.sub(vector([2, -3, 0.5])).square().sum().add(p.b.sub(4).square());
    const res = minimize(f, { w: zeros([3]), b: scalar(0) }, { method, bounds: { lower: { w: -1, b: 0 }, upper: { w: [1, 1, 1], b: 3 } } });
    expect(res.converged, res.message).toBe(true);
    arr(res.x.w).forEach((v, i) => expect(v).toBeCloseTo([1, -1, 0.5][i]!, 8));
    expect((res.x.b as Tensor).item()).toBeCloseTo(3, 10);
  });

  it("callback, maxEvaluations and the AbortSignal work as for the other methods", () => {
    let calls = 0;
    const res = minimize(rosen, vector([-1.2, 1]), {
      method, bounds: { lower: -2, upper: 2 },
      callback: (s) => { calls++; expect(s.gradNorm).toBeGreaterThanOrEqual(0); return s.iteration < 3; },
    });
    expect(res.status).toBe("callback");
    expect(res.iterations).toBe(3);
    expect(calls).toBe(3);
    expect(res.converged).toBe(false);
    const b = minimize(rosen, vector([-1.2, 1]), { method, bounds: { lower: -2, upper: 2 }, maxEvaluations: 5 });
    expect(b.status).toBe("maxEvaluations");
    expect(b.evaluations.f).toBeLessThanOrEqual(5);
    const ctrl = new AbortController();
    const c = minimize(rosen, vector([-1.2, 1]), { method, bounds: { lower: -2, upper: 2 }, signal: ctrl.signal, callback: (s) => { if (s.iteration === 2) ctrl.abort(); } });
    expect(c.status).toBe("aborted");
    expect(c.iterations).toBe(2);
  });
});

it("tron uses exact HVPs; lbfgsb only gradients", () => {
  const t = minimize(rosen, vector([-1.2, 1]), { method: "tron", bounds: { lower: -2, upper: 0.5 } });
  expect(t.evaluations.hvp).toBeGreaterThan(0);
  const l = minimize(rosen, vector([-1.2, 1]), { method: "lbfgsb", bounds: { lower: -2, upper: 0.5 } });
  expect(l.evaluations.hvp).toBe(0);
  expect(l.evaluations.f).toBe(l.evaluations.grad);
});

it("with bounds and no method, minimize uses lbfgsb", () => {
  const res = minimize(rosen, vector([-1.2, 1]), { bounds: { upper: 0.5 } });
  expect(res.message).toMatch(/^lbfgsb:/);
  expect(arr(res.x)[0]).toBe(0.5);
});

describe("errors", () => {
  const err = (fn: () => unknown): Error => {
    try { fn(); } catch (e) { return e as Error; }
    throw new Error("expected an error");
  };
  it("methods without bound support refuse bounds with an OptionError naming the bound-constrained methods", () => {
    for (const method of ["newton-cg", "trust-ncg", "lbfgs", "bfgs", "newton", "gd"] as const) {
      const e = err(() => minimize(rosen, vector([0, 0]), { method, bounds: { lower: 0 } }));
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).key).toBe("bounds");
      expect(e.message).toMatch(/'lbfgsb'.*'tron'/);
    }
  });
  it("unknown options are OptionErrors", () => {
    const e = err(() => minimize(rosen, vector([0, 0]), { method: "lbfgsb", bound: { lower: 0 } } as never));
    expect(e).toBeInstanceOf(OptionError);
    expect(e.message).toMatch(/unknown option "bound"/);
    expect(err(() => minimize(rosen, vector([0, 0]), { subproblemMethod: "bfgs" } as never))).toBeInstanceOf(OptionError);
  });
  it("bad bounds: lower > upper, NaN, wrong sizes, unknown keys", () => {
    expect(err(() => minimize(rosen, vector([0, 0]), { bounds: { lower: [1, 0], upper: [0, 1] } }))).toBeInstanceOf(DTypeError);
    expect(err(() => minimize(rosen, vector([0, 0]), { bounds: { lower: NaN } }))).toBeInstanceOf(DTypeError);
    const s = err(() => minimize(rosen, vector([0, 0]), { bounds: { lower: [0, 0, 0] } }));
    expect(s).toBeInstanceOf(ShapeError);
    expect(s.message).toMatch(/3 entries/);
    expect(err(() => minimize(rosen, vector([0, 0]), { bounds: { lo: 0 } as never }))).toBeInstanceOf(DTypeError);
    expect(err(() => minimize(rosen, vector([0, 0]), { bounds: { lower: Infinity } }))).toBeInstanceOf(DTypeError);
  });
});

describe.each(METHODS)("%s: edge cases", (method) => {
  it("fixed variables (lower = upper) stay fixed; the others are optimized", () => {
    const f = (x: Tensor) => x.sub(vector([3, 3, 3])).square().sum();
    const res = minimize(f, zeros([3]), { method, bounds: { lower: [1, -5, 2], upper: [1, 5, 2] } });
    expect(res.converged, res.message).toBe(true);
    const [a, b, c] = arr(res.x);
    expect(a).toBe(1);
    expect(b).toBeCloseTo(3, 8);
    expect(c).toBe(2);
  });
  it("a linear objective on a box ends at the vertex it points to", () => {
    const res = minimize((x: Tensor) => mc.dot(x, vector([1, -2, 0.5])), zeros([3]), { method, bounds: { lower: -1, upper: 2 } });
    expect(res.converged, res.message).toBe(true);
    expect(arr(res.x)).toEqual([-1, 2, -1]);
    expect(res.value).toBe(-5.5);
  });
  it("a start already optimal on the boundary stops at once", () => {
    const res = minimize((x: Tensor) => x.sum(), vector([0, 0]), { method, bounds: { lower: 0 } });
    expect(res.status).toBe("gradTol");
    expect(res.iterations).toBe(0);
    expect(res.evaluations.f).toBe(1);
  });
});

it("method 'auglag' without constraints solves the bound-constrained problem", () => {
  const res = minimize(rosen, vector([-1.2, 1]), { method: "auglag", bounds: { lower: -2, upper: [0.5, 2] } });
  expect(res.converged, res.message).toBe(true);
  expect(arr(res.x)[0]).toBe(0.5);
  expect(res.multipliers).toEqual([]);
  expect(res.constraintViolation).toBe(0);
});
