// What a run spends: newton-cg's line search evaluates each trial by a linearization, so the
// accepted point never needs a second one for its HVPs; and an evaluation's input, written
// into the run's arena, reads back the numbers the optimizer asked for on every path (jitted,
// un-jitted, and f reading its input's values, which jit cannot replay).
import { beforeAll, describe, expect, it } from "vitest";
import { init, vector, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { extendedRosenbrockObjective as extendedRosenbrock } from "./problems.js";

beforeAll(() => init());

const start = (n: number) => vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));

describe("newton-cg evaluations", () => {
  it.each([100, 1000])("ext. Rosenbrock n=%i: one f/∇f/linearization per line-search trial, none again for the HVPs", (n) => {
    const r = minimize(extendedRosenbrock(n), start(n), { method: "newton-cg" });
    expect(r.status).toBe("gradTol");
    expect(r.value).toBeLessThan(1e-10);
    for (const v of r.x.toArray() as number[]) expect(v).toBeCloseTo(1, 5);
    const e = r.evaluations;
    expect(e.grad).toBe(e.f);
    // Measured: n = 100 takes 37 iterations, 60 evaluations (72 when an accepted point after
    // a rejected first trial was linearized again); n = 1000: 47 and 77 (88 before).
    expect(e.f).toBeLessThanOrEqual(n === 100 ? 60 : 77);
    expect(e.hvp).toBeLessThanOrEqual(n === 100 ? 58 : 77);
  });

  it("counts the same steps with jit off (the un-jitted path makes the same evaluations)", () => {
    const f = extendedRosenbrock(20);
    const a = minimize(f, start(20), { method: "newton-cg" });
    const b = minimize(f, start(20), { method: "newton-cg", jit: false });
    expect(b.iterations).toBe(a.iterations);
    expect(b.evaluations).toEqual(a.evaluations);
    expect(b.value).toBe(a.value);
  });
});

describe("evaluation inputs in the run's arena", () => {
  // f reads its input's numbers (x.toArray()), so jit cannot replay it and f runs on every
  // evaluation, reading the arena-backed input each time: a stale or shared input would
  // change the path and the answer.
  const target = [3, -1, 2];
  const seen: number[][] = [];
  const f = (x: Tensor) => {
    seen.push(x.toArray() as number[]);
    return x.sub(vector(target)).square().sum().mul(0.5).add(x.square().square().sum().mul(1e-3));
  };

  it.each(["lbfgs", "bfgs", "newton-cg", "trust-ncg", "newton"] as const)("%s: f sees every point the method evaluates, and the run converges", (method) => {
    seen.length = 0;
    const r = minimize(f, vector([0, 0, 0]), { method, gradTol: 1e-10 });
    expect(r.converged).toBe(true);
    // Stationarity of ½‖x − t‖² + 1e-3 Σx⁴: x − t + 4e-3 x³ = 0, checked entry by entry.
    const x = r.x.toArray() as number[];
    x.forEach((xi, i) => expect(Math.abs(xi - target[i]! + 4e-3 * xi ** 3)).toBeLessThan(1e-9));
    expect(seen.length).toBeGreaterThanOrEqual(r.evaluations.f);
    // The final point is one f was evaluated at.
    expect(seen.some((s) => s.every((v, i) => v === x[i]))).toBe(true);
  });

  it("a pytree x0: each leaf reads its own part of the flat vector", () => {
    const g = (p: { a: Tensor; b: Tensor }) => p.a.sub(vector([1, 2])).square().sum().add(p.b.sub(vector([5])).square().sum());
    for (const method of ["lbfgs", "newton-cg", "trust-ncg"] as const) {
      const r = minimize(g, { a: vector([0, 0]), b: vector([0]) }, { method, gradTol: 1e-10 });
      expect(r.converged).toBe(true);
      (r.x.a.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo([1, 2][i]!, 9));
      expect(r.x.b.toArray()[0]).toBeCloseTo(5, 9);
    }
  });
});
