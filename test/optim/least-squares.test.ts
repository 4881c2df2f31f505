// leastSquares(): MGH problems as residuals, an exponential-decay fit with known parameters,
// both methods, the matrix-free path, pytrees, and the Jacobian on request.
//
// Expected pairs:
// - 'lm' solves every problem below (Freudenstein–Roth: its local minimum, as MGH note).
// - 'gauss-newton' solves all but Freudenstein–Roth. There, from the standard start, JᵀJ is
//   nearly singular along the valley toward the local minimum and the full Gauss–Newton
//   steps are poor; the line search stalls, and the run must say so (not converged).
// - The matrix-free path (CG on JᵀJ with J·v by forward mode and Jᵀu by reverse mode) must
//   reach the same solutions as the dense path.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { jacobian, randn, scalar, tensor, vector, type Tensor } from "../../src/index.js";
import { leastSquares, type LeastSquaresMethod } from "../../src/optim/index.js";
import {
  beale, box3d, extendedRosenbrock, freudensteinRoth, helicalValley, matchMinimum, powellBadlyScaled, powellSingular,
  rosenbrock, wood, type Expect, type Problem,
} from "./problems.js";

const EXACT: Expect = { fTol: 1e-12, xTol: 1e-5 };
const cases: { problem: Problem; methods: LeastSquaresMethod[]; expect: Expect }[] = [
  { problem: rosenbrock, methods: ["lm", "gauss-newton"], expect: EXACT },
  { problem: freudensteinRoth, methods: ["lm"], expect: { fTol: 1e-8, xTol: 1e-5 } },
  { problem: powellBadlyScaled, methods: ["lm", "gauss-newton"], expect: EXACT },
  { problem: beale, methods: ["lm", "gauss-newton"], expect: EXACT },
  { problem: helicalValley, methods: ["lm", "gauss-newton"], expect: EXACT },
  { problem: powellSingular, methods: ["lm", "gauss-newton"], expect: { fTol: 1e-12, xTol: 1e-2 } },
  { problem: wood, methods: ["lm", "gauss-newton"], expect: EXACT },
  { problem: box3d, methods: ["lm", "gauss-newton"], expect: EXACT },
];

describe.each(cases)("$problem.name", ({ problem, methods, expect: e }) => {
  it.each(methods)("%s reaches a published minimum", (method) => {
    const res = leastSquares(problem.residual, vector(problem.x0), { method, gradTol: 1e-10 });
    expect(res.converged, res.message).toBe(true);
    const x = (res.x as Tensor).toArray() as number[];
    // MGH's f is Σ rᵢ² = 2·cost.
    expect(matchMinimum(problem, x, 2 * res.cost, e)).toBeNull();
    expect(res.cost).toBe(res.value);
    // The residual returned is r at x.
    const r = problem.residual(res.x as Tensor).data;
    expect(Array.from((res.residual as Tensor).data)).toEqual(Array.from(r));
    expect(res.evaluations.jacobian).toBeGreaterThan(0);
  });
});

it("gauss-newton on Freudenstein–Roth does not claim convergence where it stalls", () => {
  const res = leastSquares(freudensteinRoth.residual, vector(freudensteinRoth.x0), { method: "gauss-newton", gradTol: 1e-10 });
  if (res.converged) {
    expect(matchMinimum(freudensteinRoth, (res.x as Tensor).toArray() as number[], 2 * res.cost, { fTol: 1e-8, xTol: 1e-5 })).toBeNull();
  } else {
    expect(res.status).toBe("lineSearchFailed");
  }
});

describe("exponential decay y = a·exp(−k·t) + c", () => {
  const [a, k, c] = [2.5, 1.3, 0.5];
  const ts = Array.from({ length: 60 }, (_, i) => (4 * i) / 59);
  const t = vector(ts);
  const model = (p: Tensor) => mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1]).neg()).exp()).add(mc.slice(p, [2], [1]));
  const yExact = vector(ts.map((ti) => a * Math.exp(-k * ti) + c));
  const noise = randn([ts.length], { seed: 5 }).mul(0.01);
  const yNoisy = yExact.add(noise);

  const variants: { method: LeastSquaresMethod; matrixFree: boolean }[] = [
    { method: "lm", matrixFree: false },
    { method: "gauss-newton", matrixFree: false },
    { method: "lm", matrixFree: true },
    { method: "gauss-newton", matrixFree: true },
  ];

  it.each(variants)("recovers the parameters from exact data ($method, matrixFree: $matrixFree)", ({ method, matrixFree }) => {
    const res = leastSquares((p: Tensor) => model(p).sub(yExact), vector([1, 0.5, 0]), { method, matrixFree, gradTol: 1e-12 });
    expect(res.converged, res.message).toBe(true);
    const [pa, pk, pc] = (res.x as Tensor).toArray() as number[];
    expect(pa).toBeCloseTo(a, 8);
    expect(pk).toBeCloseTo(k, 8);
    expect(pc).toBeCloseTo(c, 8);
    expect(res.cost).toBeLessThan(1e-20);
    if (matrixFree) {
      expect(res.evaluations.jacobian).toBe(0);
      expect(res.evaluations.jvp).toBeGreaterThan(0);
      expect(res.evaluations.vjp).toBeGreaterThan(0);
    } else {
      expect(res.evaluations.jvp + res.evaluations.vjp).toBe(0);
    }
  });

  it("all four variants agree on noisy data, at a point where Jᵀr = 0", () => {
    const sols = variants.map(({ method, matrixFree }) =>
      leastSquares((p: Tensor) => model(p).sub(yNoisy), vector([1, 0.5, 0]), { method, matrixFree, gradTol: 1e-11, returnJacobian: true }),
    );
    const ref = (sols[0]!.x as Tensor).toArray() as number[];
    for (const s of sols) {
      expect(s.converged, s.message).toBe(true);
      ((s.x as Tensor).toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 7));
      expect(s.cost).toBeCloseTo(sols[0]!.cost, 14);
      // Optimality: Jᵀr = 0, with J returned on request and r the returned residual.
      const J = s.jacobian!;
      expect(J.shape).toEqual([ts.length, 3]);
      const g = J.T.matmul(s.residual as Tensor).data;
      for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-9);
    }
    // The fitted parameters are near the true ones (noise σ = 0.01).
    expect(ref[0]).toBeCloseTo(a, 1);
    expect(ref[1]).toBeCloseTo(k, 1);
    expect(ref[2]).toBeCloseTo(c, 1);
  });

  it("returnJacobian gives the Jacobian at the solution (checked against matcalc's jacobian)", () => {
    const r = (p: Tensor) => model(p).sub(yExact);
    const res = leastSquares(r, vector([1, 0.5, 0]), { returnJacobian: true });
    const J = jacobian(r)(res.x as Tensor).data;
    const Jr = res.jacobian!.data;
    for (let i = 0; i < J.length; i++) expect(Jr[i]).toBeCloseTo(J[i]!, 10);
  });

  it("pytree parameters and a pytree residual", () => {
    const r = (p: { amp: Tensor; rate: Tensor; offset: Tensor }) => {
      const fit = t.mul(p.rate.neg()).exp().mul(p.amp).add(p.offset).sub(yExact);
      return [mc.slice(fit, [0], [30]), { tail: mc.slice(fit, [30], [30]) }];
    };
    const res = leastSquares(r, { amp: scalar(1), rate: scalar(0.5), offset: scalar(0) }, { gradTol: 1e-12 });
    expect(res.converged, res.message).toBe(true);
    expect(res.x.amp.item()).toBeCloseTo(a, 8);
    expect(res.x.rate.item()).toBeCloseTo(k, 8);
    expect(res.x.offset.item()).toBeCloseTo(c, 8);
    const rt = res.residual as [Tensor, { tail: Tensor }];
    expect(rt[0].shape).toEqual([30]);
    expect(rt[1].tail.shape).toEqual([30]);
  });

  // Regression: evaluations.grad stayed 0 although every method forms Jᵀr (from the dense
  // Jacobian, or by a VJP on the matrix-free path) and the docs say it counts those. With
  // jit off, the residual's JavaScript runs once per evaluation of r, once per dense Jacobian,
  // and twice per matrix-free operator build (vjp and linearize each trace r), which pins the
  // counts down exactly.
  describe("evaluation counts are what the algorithm did", () => {
    const counted = (method: LeastSquaresMethod, matrixFree: boolean, extra: Record<string, unknown> = {}) => {
      let calls = 0;
      const r = (p: Tensor) => {
        calls++;
        return model(p).sub(yExact);
      };
      const res = leastSquares(r, vector([1, 0.5, 0]), { method, matrixFree, gradTol: 1e-12, jit: false, ...extra });
      expect(res.converged, res.message).toBe(true);
      return { res, ev: res.evaluations, calls };
    };

    it.each(["lm", "gauss-newton"] as const)("dense %s: one Jᵀr per Jacobian, at x0 and every accepted step", (method) => {
      const { res, ev, calls } = counted(method, false);
      expect(res.iterations).toBeGreaterThan(1);
      expect(ev.grad).toBe(res.iterations + 1);
      expect(ev.jacobian).toBe(ev.grad);
      expect(ev.f).toBeGreaterThan(res.iterations); // x0 and at least one trial per step
      expect(calls).toBe(ev.f + ev.jacobian);
      expect([ev.jvp, ev.vjp, ev.hvp, ev.hessian]).toEqual([0, 0, 0, 0]);
    });

    it.each(["lm", "gauss-newton"] as const)("matrix-free %s: a VJP per gradient and a JVP + VJP per JᵀJ·v", (method) => {
      const { res, ev, calls } = counted(method, true);
      expect(res.iterations).toBeGreaterThan(1);
      expect(ev.grad).toBe(res.iterations + 1);
      expect(ev.hvp).toBeGreaterThanOrEqual(res.iterations); // at least one CG step per iteration
      // Plus one J·v per parameter at x0: the exact column norms that scale the variables (n ≤ 100);
      // formed again at x where ftol or xtol stops the run (the plateau check), and by
      // gauss-newton each time its step test holds, to check it at x.
      const extra = ev.jvp - ev.hvp;
      if (method === "lm") expect(extra).toBe(3 * (res.status === "valueTol" || res.status === "stepTol" ? 2 : 1));
      else expect([extra % 3, extra >= 3]).toEqual([0, true]);
      expect(ev.vjp).toBe(ev.grad + ev.hvp);
      expect([ev.jacobian, ev.hessian]).toEqual([0, 0]);
      // r at x0, then per operator build (one per gradient) and per trial point.
      expect(calls).toBe(ev.f + ev.grad);
      // returnJacobian forms one Jacobian at the end.
      expect(counted(method, true, { returnJacobian: true }).ev.jacobian).toBe(1);
    });

    it("matrix-free: an operator rebuilt after the callback released the session counts in f", () => {
      const plain = counted("lm", true);
      const withCb = counted("lm", true, { callback: () => {} });
      // Same iterates, same products; each rebuild evaluates r again (and traces it twice).
      expect(withCb.res.iterations).toBe(plain.res.iterations);
      for (const k of ["grad", "hvp", "jvp", "vjp", "jacobian"] as const) expect(withCb.ev[k]).toBe(plain.ev[k]);
      const rebuilds = withCb.ev.f - plain.ev.f;
      expect(rebuilds).toBeGreaterThan(0);
      expect(withCb.calls - plain.calls).toBe(2 * rebuilds);
    });

    // Regression: the final Jacobian of returnJacobian (matrix-free path) was formed after the
    // counts were copied (so it was not counted) and under the run's budgets, so a run stopped
    // by its AbortSignal or time limit threw the internal StopRun object instead of returning.
    it("returnJacobian after an abort or a time limit (matrix-free): returned and counted", () => {
      const ac = new AbortController();
      const r = (p: Tensor) => model(p).sub(yExact);
      const aborted = leastSquares(r, vector([1, 0.5, 0]), {
        matrixFree: true, returnJacobian: true, signal: ac.signal, callback: (st) => void (st.iteration === 2 && ac.abort()),
      });
      const timed = leastSquares(r, vector([1, 0.5, 0]), { matrixFree: true, returnJacobian: true, timeLimit: 0 });
      expect(aborted.status).toBe("aborted");
      expect(timed.status).toBe("timeLimit");
      for (const res of [aborted, timed]) {
        expect(res.evaluations.jacobian).toBe(1);
        const J = jacobian(r)(res.x as Tensor).data;
        res.jacobian!.data.forEach((v, i) => expect(v).toBeCloseTo(J[i]!, 12));
      }
    });

    it("jit does not change the counts", () => {
      for (const [method, matrixFree] of [["lm", false], ["gauss-newton", true]] as const) {
        const off = counted(method, matrixFree).ev;
        const on = leastSquares((p: Tensor) => model(p).sub(yExact), vector([1, 0.5, 0]), { method, matrixFree, gradTol: 1e-12 }).evaluations;
        expect(on).toEqual(off);
      }
    });
  });
});

describe("matrix-free path", () => {
  it.each(["lm", "gauss-newton"] as const)("is chosen automatically for n = 2000 and solves extended Rosenbrock (%s)", (method) => {
    const p = extendedRosenbrock(2000);
    const res = leastSquares(p.residual, tensor(p.x0), { method, gradTol: 1e-9 });
    expect(res.converged, res.message).toBe(true);
    expect(res.message).toMatch(/matrix-free/);
    expect(res.evaluations.jacobian).toBe(0);
    expect(res.cost).toBeLessThan(1e-16);
    for (const v of (res.x as Tensor).data) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
  });

  it.each([rosenbrock, box3d, wood, helicalValley])("agrees with the dense path on $name", (problem) => {
    for (const method of ["lm", "gauss-newton"] as const) {
      const mf = leastSquares(problem.residual, vector(problem.x0), { method, matrixFree: true, gradTol: 1e-10, maxIterations: 3000 });
      expect(mf.converged, `${method}: ${mf.message}`).toBe(true);
      expect(matchMinimum(problem, (mf.x as Tensor).toArray() as number[], 2 * mf.cost, { fTol: 1e-12, xTol: 1e-5 })).toBeNull();
    }
  });
});
