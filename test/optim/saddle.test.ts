// Second-order methods must not report convergence at a saddle point or a maximum (scipy's
// Newton-CG does: scipy issue 20213, a run started on a local maximum ends "successfully"
// after one iteration). A zero gradient is not enough: before they stop, newton, newton-cg
// and trust-ncg probe the Hessian for negative curvature and step along it.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { vector, type Tensor } from "../../src/index.js";
import { minimize, type MinimizeMethod } from "../../src/optim/index.js";

const x_ = (v: Tensor) => mc.slice(v, [0], [1]);
const y_ = (v: Tensor) => mc.slice(v, [1], [1]);

/** x² − y²: a saddle at the origin, unbounded below along y. */
const saddle = (v: Tensor) => x_(v).square().sub(y_(v).square()).sum();
/** x⁴/4 − x²/2 + y²: a saddle at the origin, minima f = −1/4 at (±1, 0). */
const doubleWell = (v: Tensor) => x_(v).pow(4).mul(0.25).sub(x_(v).square().mul(0.5)).add(y_(v).square()).sum();
/** cos x + cos y: a maximum at the origin (f = 2), minima f = −2 at (±π, ±π). */
const cosines = (v: Tensor) => x_(v).cos().add(y_(v).cos()).sum();

const SECOND_ORDER: MinimizeMethod[] = ["newton-cg", "trust-ncg", "newton"];

describe.each(SECOND_ORDER)("%s", (method) => {
  it("does not report convergence at the saddle of x² − y² (started at the saddle)", () => {
    const res = minimize(saddle, vector([0, 0]), { method, maxIterations: 30 });
    expect(res.converged).toBe(false);
    expect(res.value).toBeLessThan(-1); // it left the saddle downhill
    expect(["maxIterations", "unbounded", "lineSearchFailed", "trustRegionCollapsed"]).toContain(res.status);
  });

  it("does not report convergence at the saddle of x² − y² (started on the ridge y = 0)", () => {
    // From (1, 0) the Newton step lands exactly on the saddle (0, 0), where ∇f = 0.
    const res = minimize(saddle, vector([1, 0]), { method, maxIterations: 30 });
    expect(res.converged).toBe(false);
    expect(res.value).toBeLessThan(-1);
  });

  it("leaves the saddle of a double well and finds a minimum", () => {
    const res = minimize(doubleWell, vector([0, 0]), { method, gradTol: 1e-9 });
    expect(res.converged, res.message).toBe(true);
    expect(res.value).toBeCloseTo(-0.25, 10);
    const [a, b] = (res.x as Tensor).toArray() as number[];
    expect(Math.abs(a!)).toBeCloseTo(1, 6);
    expect(b).toBeCloseTo(0, 6);
  });

  it("leaves a maximum (scipy issue 20213's situation) and finds a minimum", () => {
    const res = minimize(cosines, vector([0, 0]), { method, gradTol: 1e-9 });
    expect(res.converged, res.message).toBe(true);
    expect(res.value).toBeCloseTo(-2, 10);
    // Minima are at odd multiples of π (the line search may extrapolate past the nearest one).
    for (const v of (res.x as Tensor).toArray() as number[]) expect(Math.cos(v)).toBeCloseTo(-1, 9);
  });

  it("still converges immediately at a true minimum (the probe finds no negative curvature)", () => {
    const res = minimize(doubleWell, vector([1, 0]), { method });
    expect(res.converged).toBe(true);
    expect(res.iterations).toBe(0);
    expect(res.status).toBe("gradTol");
  });

  it("with curvatureCheck: false, reports the first-order stationary point (as scipy does)", () => {
    const res = minimize(cosines, vector([0, 0]), { method, curvatureCheck: false });
    expect(res.converged).toBe(true);
    expect(res.value).toBe(2);
  });
});

it("newton-cg's CG detects negative curvature and moves along it (never reports success on a ridge)", () => {
  // Started off the saddle, not on a symmetry line: the iterates must go downhill in y.
  const res = minimize(doubleWell, vector([0.3, 0.2]), { method: "newton-cg", gradTol: 1e-10 });
  expect(res.converged).toBe(true);
  expect(res.value).toBeCloseTo(-0.25, 12);
});
