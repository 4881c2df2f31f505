// Run control: callback (sees every iteration, can stop the run), AbortSignal, budgets
// (maxIterations, maxEvaluations, timeLimit), tolerances, and pytree iterates.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { matrix, randn, scalar, vector, zeros, type Tensor } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { leastSquares, minimize, type IterationState, type MinimizeMethod } from "../../src/optim/index.js";
import { extendedRosenbrockObjective, rosenbrock, sumOfSquares } from "./problems.js";

const rosen = sumOfSquares(rosenbrock.residual);
const x0 = () => vector(rosenbrock.x0);
const METHODS: MinimizeMethod[] = ["newton", "newton-cg", "trust-ncg", "bfgs", "lbfgs", "gd"];

describe.each(METHODS)("%s", (method) => {
  it("calls the callback once per iteration, with the current state", () => {
    const seen: IterationState[] = [];
    const res = minimize(rosen, x0(), {
      method, maxIterations: 8,
      callback: (s) => {
        seen.push({ ...s, x: s.x, xFlat: s.xFlat.slice() });
      },
    });
    expect(seen.length).toBe(res.iterations);
    seen.forEach((s, i) => {
      expect(s.iteration).toBe(i + 1);
      expect(Number.isFinite(s.value)).toBe(true);
      expect(Array.from((s.x as Tensor).data)).toEqual(Array.from(s.xFlat));
    });
    // Monotone descent: every accepted step lowers f.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.value).toBeLessThan(seen[i - 1]!.value);
    const last = seen[seen.length - 1]!;
    expect(last.value).toBe(res.value);
    expect(Array.from(last.xFlat)).toEqual(Array.from((res.x as Tensor).data));
  });

  it("stops when the callback returns false or 'stop'", () => {
    for (const stop of [false, "stop"] as const) {
      const res = minimize(rosen, x0(), { method, callback: (s) => (s.iteration >= 3 ? stop : undefined) });
      expect(res.status).toBe("callback");
      expect(res.converged).toBe(false);
      expect(res.iterations).toBe(3);
    }
  });

  it("stops when the AbortSignal fires (from inside the callback, and before the start)", () => {
    const ctrl = new AbortController();
    const res = minimize(rosen, x0(), { method, signal: ctrl.signal, callback: (s) => { if (s.iteration === 2) ctrl.abort(); } });
    expect(res.status).toBe("aborted");
    expect(res.converged).toBe(false);
    expect(res.iterations).toBe(2);
    const pre = minimize(rosen, x0(), { method, signal: AbortSignal.abort() });
    expect(pre.status).toBe("aborted");
    expect(pre.iterations).toBe(0);
    expect(pre.value).toBeCloseTo(24.2, 12); // f(x0) is still evaluated and reported
  });

  it("honours maxIterations and maxEvaluations", () => {
    const a = minimize(rosen, x0(), { method, maxIterations: 4 });
    expect(a.status).toBe("maxIterations");
    expect(a.iterations).toBe(4);
    const b = minimize(rosen, x0(), { method, maxEvaluations: 6 });
    expect(b.status).toBe("maxEvaluations");
    expect(b.evaluations.f).toBeLessThanOrEqual(6);
    expect(b.converged).toBe(false);
    expect(b.value).toBeLessThan(24.2);
  });
});

it("an AbortSignal stops leastSquares too, and a timeLimit of 0 stops at the first check", () => {
  const ctrl = new AbortController();
  const res = leastSquares(rosenbrock.residual, x0(), { signal: ctrl.signal, callback: () => ctrl.abort() });
  expect(res.status).toBe("aborted");
  expect(res.iterations).toBe(1);
  const t = minimize(rosen, x0(), { method: "lbfgs", timeLimit: 0 });
  expect(t.status).toBe("timeLimit");
  expect(t.iterations).toBe(0);
});

it("an abort between evaluations is seen inside a line search (no further evaluation)", () => {
  const ctrl = new AbortController();
  let calls = 0;
  const f = (x: Tensor) => {
    if (++calls === 3) ctrl.abort();
    return rosen(x);
  };
  // f aborts from a JS side effect, so it must run at every evaluation: jit off (a jitted f
  // runs once per signature, see the next test).
  const res = minimize(f, x0(), { method: "bfgs", signal: ctrl.signal, jit: false });
  expect(res.status).toBe("aborted");
  expect(res.evaluations.f).toBe(3);
  expect(calls).toBe(3);
});

it("with jit (the default) f's JavaScript runs once per signature; the run and its counts are unchanged", () => {
  let calls = 0;
  const f = (x: Tensor) => {
    calls++;
    return rosen(x);
  };
  for (const method of ["lbfgs", "bfgs", "newton-cg", "trust-ncg", "newton"] as const) {
    calls = 0;
    const jitted = minimize(f, x0(), { method });
    const jsCalls = calls;
    calls = 0;
    const plain = minimize(f, x0(), { method, jit: false });
    expect(jitted.status).toBe(plain.status);
    expect(jitted.iterations).toBe(plain.iterations);
    expect(jitted.evaluations).toEqual(plain.evaluations);
    expect(jitted.value).toBe(plain.value);
    expect(Array.from(jitted.x.data)).toEqual(Array.from(plain.x.data));
    // Plain: f is traced at every evaluation. Jitted: once for value+gradient, once for the
    // linearization (HVP methods), once for the Hessian (newton).
    expect(calls).toBeGreaterThanOrEqual(plain.evaluations.f);
    expect(jsCalls).toBeLessThanOrEqual(3);
  }
});

// Only the first-order test is convergence: a run stopped by valueTol or stepTol says which
// weaker test stopped it and reports converged: false (it used to claim convergence with the
// gradient still large: trust-ncg on Misra1a stopped on stepTol with ‖∇f‖∞ = 3.9e5).
it("valueTol and stepTol stop early, name the test, and do not count as convergence", () => {
  const v = minimize(rosen, x0(), { method: "lbfgs", gradTol: 0, valueTol: 1e-3 });
  expect(v.status).toBe("valueTol");
  expect(v.converged).toBe(false);
  expect(v.message).toMatch(/not converged/);
  const s = minimize(rosen, x0(), { method: "bfgs", gradTol: 0, stepTol: 1e-3 });
  expect(s.status).toBe("stepTol");
  expect(s.converged).toBe(false);
});

describe("pytrees", () => {
  // Linear least squares in a { w, b } pytree: minimize ‖A w + b − y‖² / m.
  const A = randn([40, 3], { seed: 11 });
  const wTrue = vector([1, -2, 0.5]);
  const y = A.matmul(wTrue).add(0.75);
  const loss = (p: { w: Tensor; b: Tensor }) => A.matmul(p.w).add(p.b).sub(y).square().mean();

  it.each(METHODS.filter((m) => m !== "gd"))("%s returns x and grad with x0's structure", (method) => {
    const res = minimize(loss, { w: zeros([3]), b: scalar(0) }, { method, gradTol: 1e-10 });
    expect(res.converged).toBe(true);
    expect(Object.keys(res.x).sort()).toEqual(["b", "w"]);
    expect(res.x.w.shape).toEqual([3]);
    expect(res.x.b.shape).toEqual([]);
    expect(res.grad.w.shape).toEqual([3]);
    const w = res.x.w.toArray() as number[];
    [1, -2, 0.5].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 7));
    expect(res.x.b.item()).toBeCloseTo(0.75, 7);
  });

  it("arrays of matrices work too (leaves in order), and the callback sees the tree", () => {
    const B = matrix([[2, 0], [0, 3]]);
    const f = ([P, q]: [Tensor, Tensor]) => P.sub(B).square().sum().add(q.sub(1).square().sum());
    let sawTree = false;
    const res = minimize(f, [zeros([2, 2]), zeros([2])] as [Tensor, Tensor], {
      method: "newton",
      callback: (s) => {
        sawTree ||= Array.isArray(s.x) && s.x.length === 2;
      },
    });
    expect(sawTree).toBe(true);
    const P = res.x[0].toArray() as number[][];
    [[2, 0], [0, 3]].forEach((row, i) => row.forEach((v, j) => expect(P[i]![j]).toBeCloseTo(v, 12)));
    for (const v of res.x[1].toArray() as number[]) expect(v).toBeCloseTo(1, 12);
    expect(res.iterations).toBe(1); // a quadratic: one Newton step
  });
});

it("the callback may use matcalc and keep what it computes (results are not arena-backed)", () => {
  const kept: Tensor[] = [];
  const res = minimize(rosen, x0(), {
    method: "trust-ncg", maxIterations: 5,
    callback: (s) => {
      kept.push(mc.mul(s.x as Tensor, 2));
    },
  });
  expect(kept.length).toBe(res.iterations);
  // Still readable after the run (and after later runs).
  minimize(rosen, x0(), { method: "newton-cg", maxIterations: 3 });
  for (const t of kept) expect(t.data.every(Number.isFinite)).toBe(true);
});

it("operators held across iterations survive the arena release before each callback", () => {
  // With a callback the run's arena session is released before every call to it, so the HVP
  // operator (trust-ncg, newton-cg) and the J·v / Jᵀu operators (matrix-free leastSquares)
  // must rebuild themselves; the results must not change.
  for (const method of ["trust-ncg", "newton-cg"] as const) {
    let calls = 0;
    const a = minimize(rosen, x0(), { method, gradTol: 1e-9 });
    const b = minimize(rosen, x0(), { method, gradTol: 1e-9, callback: () => { calls++; } });
    expect(calls).toBe(b.iterations);
    expect(b.iterations).toBe(a.iterations);
    expect(Array.from((b.x as Tensor).data)).toEqual(Array.from((a.x as Tensor).data));
    expect(b.evaluations.hvp).toBe(a.evaluations.hvp);
  }
  let calls = 0;
  const c = leastSquares(rosenbrock.residual, x0(), { matrixFree: true, gradTol: 1e-10, callback: () => { calls++; } });
  expect(c.converged).toBe(true);
  expect(calls).toBe(c.iterations);
  const d = leastSquares(rosenbrock.residual, x0(), { matrixFree: true, gradTol: 1e-10 });
  expect(Array.from((c.x as Tensor).data)).toEqual(Array.from((d.x as Tensor).data));
});

it("long runs keep kernel memory bounded (the arena session is released when over budget)", () => {
  // Extended Rosenbrock, n = 20000: a few MB of intermediates per evaluation, so 60 gd
  // iterations overflow the 32 MB session budget several times. Memory must reach a
  // high-water mark and stay there, and everything is released after the run.
  const n = 20000;
  const f = extendedRosenbrockObjective(n);
  const x0 = vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));
  const opts = { method: "gd" as const, maxIterations: 60 };
  const a = minimize(f, x0, opts);
  const after1 = rt().arena.memoryBytes;
  const b = minimize(f, x0, opts);
  expect(a.iterations).toBe(60);
  expect(b.value).toBe(a.value);
  expect(rt().arena.memoryBytes).toBe(after1);
  expect(after1).toBeLessThan(128 * 2 ** 20);
  expect(rt().arena.active).toBe(false);
  expect(rt().arena.used).toBe(0);
});
