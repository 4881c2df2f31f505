// General constraints (method 'auglag'): closed-form solutions and multipliers, bounds together
// with constraints, infeasible problems, run control, errors, and the README's examples.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, OptionError, scalar, vector, zeros, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { thrown } from "../helpers/thrown.js";

const arr = (t: unknown) => (t as Tensor).toArray() as number[];
const err = thrown;

describe("README: bounds and constraints", () => {
  it("a bounded fit: the decay rate stops at its upper bound, the amplitude is the least-squares one there", () => {
    const t = vector([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = t.mul(-0.7).exp().mul(3); // the data's decay rate 0.7 is outside the box
    const fit = minimize(
      (p: { a: Tensor; k: Tensor }) => p.a.mul(t.mul(p.k.neg()).exp()).sub(y).square().sum(),
      { a: scalar(1), k: scalar(0.1) },
      { bounds: { lower: { a: 0, k: 0 }, upper: { a: Infinity, k: 0.5 } } },
    );
    expect(fit.converged, fit.message).toBe(true);
    expect(fit.message).toMatch(/^lbfgsb:/);
    expect(fit.x.k.item()).toBe(0.5);
    // With k = 0.5 fixed, a = Σ y e^{−kt} / Σ e^{−2kt}.
    const e = arr(t.mul(-0.5).exp()), yy = arr(y);
    const a = e.reduce((s, v, i) => s + v * yy[i]!, 0) / e.reduce((s, v) => s + v * v, 0);
    expect(fit.x.a.item()).toBeCloseTo(a, 7);
  });

  it("constraints: the point of the line x − 2y + 1 = 0 inside the ellipse x²/4 + y² ≤ 1 closest to (2, 1) (HS 14)", () => {
    const res = minimize((v: Tensor) => v.sub(vector([2, 1])).square().sum(), vector([2, 2]), {
      constraints: [
        { type: "ineq", fun: (v: Tensor) => mc.sub(1, v.square().mul(vector([0.25, 1])).sum()) },
        { type: "eq", fun: (v: Tensor) => mc.dot(v, vector([1, -2])).add(1) },
      ],
    });
    const w7 = Math.sqrt(7);
    expect(res.converged, res.message).toBe(true);
    expect(res.status).toBe("gradTol");
    const [x, y] = arr(res.x);
    expect(x).toBeCloseTo((w7 - 1) / 2, 7);
    expect(y).toBeCloseTo((w7 + 1) / 4, 7);
    expect(res.value).toBeCloseTo(9 - (23 * w7) / 8, 7);
    expect(res.constraintViolation).toBeLessThanOrEqual(1e-8);
    expect(res.kktResidual).toBeLessThanOrEqual(1e-8);
    // Multipliers from the KKT system at x*, solved by hand: ∇f = λ₁∇c₁ + λ₂∇c₂ with
    // ∇f = 2(x − 2, y − 1), ∇c₁ = (−x/2, −2y), ∇c₂ = (1, −2).
    const xs = (w7 - 1) / 2, ys = (w7 + 1) / 4;
    const g = [2 * (xs - 2), 2 * (ys - 1)], c1 = [-xs / 2, -2 * ys], c2 = [1, -2];
    const det = c1[0]! * c2[1]! - c2[0]! * c1[1]!;
    const l1 = (g[0]! * c2[1]! - c2[0]! * g[1]!) / det, l2 = (c1[0]! * g[1]! - g[0]! * c1[1]!) / det;
    expect(l1).toBeGreaterThan(0);
    expect(res.multipliers![0]!.data[0]).toBeCloseTo(l1, 6);
    expect(res.multipliers![1]!.data[0]).toBeCloseTo(l2, 6);
  });
});

it("min ‖x‖² subject to aᵀx = b (n = 40): x* = a·b/‖a‖², λ = 2b/‖a‖²", () => {
  const n = 40;
  const av = Array.from({ length: n }, (_, i) => Math.cos(i) + 0.1 * i);
  const a = vector(av), b = 3;
  const aa = av.reduce((s, v) => s + v * v, 0);
  const res = minimize((x: Tensor) => x.square().sum(), zeros([n]), { constraints: [{ type: "eq", fun: (x: Tensor) => mc.dot(a, x).sub(b) }] });
  expect(res.converged, res.message).toBe(true);
  arr(res.x).forEach((xi, i) => expect(xi).toBeCloseTo((av[i]! * b) / aa, 8));
  expect(res.multipliers![0]!.data[0]).toBeCloseTo((2 * b) / aa, 7);
  expect(res.constraintViolation).toBeLessThanOrEqual(1e-8);
});

it("an inactive inequality gets a zero multiplier; a pytree x0 reaches fun as the tree", () => {
  const f = (p: { u: Tensor; v: Tensor }) => p.u.sub(1).square().sum().add(p.v.add(2).square().sum());
  const res = minimize(f, { u: zeros([2]), v: scalar(0) }, {
    constraints: [
      { type: "ineq", fun: (p: { u: Tensor; v: Tensor }) => mc.sub(100, p.u.square().sum()) }, // inactive
      { type: "ineq", fun: (p: { u: Tensor; v: Tensor }) => p.v.add(1) }, // v ≥ −1: active
    ],
  });
  expect(res.converged, res.message).toBe(true);
  arr(res.x.u).forEach((ui) => expect(ui).toBeCloseTo(1, 7));
  expect((res.x.v as Tensor).item()).toBeCloseTo(-1, 7);
  expect(res.multipliers![0]!.data[0]).toBe(0);
  expect(res.multipliers![1]!.data[0]).toBeCloseTo(2, 6); // ∂f/∂v = 2(v + 2) = 2 at v = −1
});

it("bounds and constraints together: max x + y on the unit disc with x ≤ 0.5", () => {
  for (const subproblemMethod of ["tron", "lbfgsb"] as const) {
    const res = minimize((v: Tensor) => v.sum().neg(), vector([0, 0]), {
      bounds: { upper: [0.5, Infinity] },
      constraints: [{ type: "ineq", fun: (v: Tensor) => mc.sub(1, v.square().sum()) }],
      subproblemMethod,
    });
    expect(res.converged, res.message).toBe(true);
    expect(res.message).toMatch(new RegExp(`^auglag \\(${subproblemMethod}\\)`));
    const [x, y] = arr(res.x);
    expect(x).toBe(0.5);
    expect(y).toBeCloseTo(Math.sqrt(0.75), 7);
  }
});

it("an infeasible problem is reported as such: status 'infeasible', converged false, the violation of the least-violating point", () => {
  const res = minimize((v: Tensor) => v.square().sum(), vector([3]), {
    constraints: [
      { type: "ineq", fun: (v: Tensor) => v.sub(1) }, // x ≥ 1
      { type: "ineq", fun: (v: Tensor) => v.add(1).neg() }, // x ≤ −1
    ],
  });
  expect(res.status).toBe("infeasible");
  expect(res.converged).toBe(false);
  expect(res.message).toMatch(/infeasible/);
  expect(res.constraintViolation).toBeCloseTo(1, 3);
  expect(arr(res.x)[0]).toBeCloseTo(0, 3);
});

it("callback (once per outer iteration, may stop), maxEvaluations and the AbortSignal", () => {
  const f = (v: Tensor) => v.sub(vector([2, 1])).square().sum();
  const constraints = [{ type: "eq" as const, fun: (v: Tensor) => v.square().sum().sub(1) }];
  const seen: number[] = [];
  const a = minimize(f, vector([0, 0]), { constraints, callback: (s) => { seen.push(s.iteration); return s.iteration < 2; } });
  expect(a.status).toBe("callback");
  expect(seen).toEqual([1, 2]);
  expect(a.iterations).toBe(2);
  const b = minimize(f, vector([0, 0]), { constraints, maxEvaluations: 8 });
  expect(b.status).toBe("maxEvaluations");
  expect(b.converged).toBe(false);
  const ctrl = new AbortController();
  const c = minimize(f, vector([0, 0]), { constraints, signal: ctrl.signal, callback: () => ctrl.abort() });
  expect(c.status).toBe("aborted");
});

describe("errors", () => {
  const f = (v: Tensor) => v.square().sum();
  it("methods other than auglag refuse constraints (OptionError naming auglag)", () => {
    for (const method of ["lbfgs", "lbfgsb", "tron", "newton-cg"] as const) {
      const e = err(() => minimize(f, vector([1, 1]), { method, constraints: [{ type: "eq", fun: (v: Tensor) => v.sum() }] }));
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).key).toBe("constraints");
      expect(e.message).toMatch(/auglag/);
    }
  });
  it("bad constraint entries and values", () => {
    expect(err(() => minimize(f, vector([1]), { constraints: [{ type: "le", fun: (v: Tensor) => v }] as never }))).toBeInstanceOf(OptionError);
    expect(err(() => minimize(f, vector([1]), { constraints: [{ type: "eq", fun: (v: Tensor) => v, jac: 1 }] as never }))).toBeInstanceOf(OptionError);
    expect(err(() => minimize(f, vector([1]), { constraints: { type: "eq" } as never }))).toBeInstanceOf(OptionError);
    const d = err(() => minimize(f, vector([1]), { constraints: [{ type: "eq", fun: (() => 3) as never }] }));
    expect(d).toBeInstanceOf(DTypeError);
    expect(d.message).toMatch(/constraints\[0\]/);
    expect(err(() => minimize(f, vector([1]), { constraints: [{ type: "ineq", fun: (v: Tensor) => v.log().sub(1) }], bounds: { lower: -1 }, x0: 1 } as never))).toBeInstanceOf(OptionError);
    expect(err(() => minimize(f, vector([-1]), { constraints: [{ type: "ineq", fun: (v: Tensor) => v.log() }] }))).toBeInstanceOf(DTypeError);
    expect(err(() => minimize(f, vector([1]), { constraintTol: -1 }))).toBeInstanceOf(OptionError);
  });
});

it("minimize's TSDoc example: bounds and a disc constraint", () => {
  const rosen = (v: Tensor) => {
    const x = mc.slice(v, [0], [1]), y = mc.slice(v, [1], [1]);
    return y.sub(x.square()).square().mul(100).add(mc.sub(1, x).square()).sum();
  };
  const [a, b] = arr(minimize(rosen, vector([-1.2, 1]), { bounds: { lower: -2, upper: [0.5, 2] } }).x);
  expect(a).toBe(0.5);
  expect(b).toBeCloseTo(0.25, 6);
  const disc = minimize((v: Tensor) => v.sum().neg(), vector([0, 0]), {
    constraints: [{ type: "ineq", fun: (v: Tensor) => mc.sub(1, v.square().sum()) }],
  });
  arr(disc.x).forEach((v) => expect(v).toBeCloseTo(Math.SQRT1_2, 7));
  expect(disc.multipliers![0]!.data[0]).toBeCloseTo(Math.SQRT1_2, 6);
});

it("f returning a non-scalar or a plain number is a typed error with constraints too", () => {
  const constraints = [{ type: "eq" as const, fun: (v: Tensor) => v.sum().sub(1) }];
  expect(err(() => minimize((v: Tensor) => v.square(), vector([1, 2]), { constraints }))).toBeInstanceOf(mc.ShapeError);
  expect(err(() => minimize((() => 3) as unknown as (v: Tensor) => Tensor, vector([1, 2]), { constraints }))).toBeInstanceOf(DTypeError);
});
