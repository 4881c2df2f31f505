// The Hock–Schittkowski problems (data/hs.json: 94 problems of the 1981 collection, from
// Schittkowski's PROB.FOR, with published x*, f*) from their standard starting points with
// default options, against scipy's SLSQP (finite-difference and exact gradients) and L-BFGS-B,
// whose results data/hs_reference.py computed once and committed.
import { beforeAll, describe, expect, it } from "vitest";
import { grad, jacobian, vector, type Tensor } from "../../src/index.js";
import { minimize, type MinimizeResult } from "../../src/optim/index.js";
import { HS, evalAt, hsFunctions, reached, violation, type HsProblem } from "./hs.js";

const arr = (t: unknown) => (t as Tensor).toArray() as number[];

/**
 * Problems where the default run does not reach the published f* (each checked by hand):
 * HS58: PROB.FOR's x* violates a constraint by 2e-6; at a feasible point (ours, and scipy's
 * SLSQP's, equal to 1e-9) f = 3.1903367, 1.0e-6 above the published f*; HS114: a process
 * model with variables from 1 to 1e4, where the augmented Lagrangian stalls at f = −1666.2;
 * HS2, HS33, HS59: a local minimum (HS2: (−1.2210, 1.5), f = 4.9412, where scipy's L-BFGS-B
 * stops too; HS59: f = −6.7546, the second minimum PROB.FOR lists); HS13: x* is not a KKT
 * point (the constraint qualification fails), the augmented Lagrangian approaches it only
 * slowly; HS55: a vertex with f = 6.667; HS54, HS84, HS106: variables and constraints scaled
 * over 6–8 orders of magnitude (the method uses no scaling).
 */
const EXPECTED_MISSES = ["HS2", "HS13", "HS33", "HS54", "HS55", "HS58", "HS59", "HS84", "HS106", "HS114"];
/**
 * Solved but not certified: HS75 ends at f* (to 1e-10 of scipy's SLSQP, feasible to 1e-10) with
 * status maxIterations, its KKT residual not below tolerance (constraints of size 1e3 with
 * multipliers of size 1e3: the residual is a difference of 1e6-sized terms).
 */
const UNCERTIFIED = ["HS75"];

interface Run {
  p: HsProblem;
  res: MinimizeResult<Tensor>;
  x: number[];
  viol: number;
  ok: boolean;
}

function solve(p: HsProblem): Run {
  const fn = hsFunctions(p);
  const constraints = [
    ...(fn.ineq ? [{ type: "ineq" as const, fun: fn.ineq }] : []),
    ...(fn.eq ? [{ type: "eq" as const, fun: fn.eq }] : []),
  ];
  const hasBounds = fn.lower.some((v) => v > -Infinity) || fn.upper.some((v) => v < Infinity);
  const res = minimize(fn.f, vector(p.x0), {
    ...(constraints.length ? { constraints } : {}),
    ...(hasBounds ? { bounds: { lower: fn.lower, upper: fn.upper } } : {}),
  }) as MinimizeResult<Tensor>;
  const x = arr(res.x);
  const viol = violation(p, x);
  return { p, res, x, viol, ok: reached(p, res.value, viol) };
}

it("the transcription: f(x*) is the published f*, and x* is feasible, for every problem", () => {
  expect(HS.problems.length).toBeGreaterThanOrEqual(90);
  for (const p of HS.problems) {
    const f = evalAt(p.f, p.xstar);
    expect(Math.abs(f - p.fstar), p.name).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(p.fstar)));
    expect(reached(p, f, violation(p, p.xstar)), p.name).toBe(true);
  }
  // Every kind of problem is there.
  const kinds = { bounds: 0, eq: 0, ineq: 0, mixed: 0 };
  for (const p of HS.problems) {
    if (p.eq.length && p.ineq.length) kinds.mixed++;
    else if (p.eq.length) kinds.eq++;
    else if (p.ineq.length) kinds.ineq++;
    else kinds.bounds++;
  }
  expect(kinds.bounds).toBeGreaterThanOrEqual(8);
  expect(kinds.eq).toBeGreaterThanOrEqual(20);
  expect(kinds.ineq).toBeGreaterThanOrEqual(20);
  expect(kinds.mixed).toBeGreaterThanOrEqual(7);
});

describe("from the standard starting points with default options", () => {
  const runs: Run[] = [];
  beforeAll(() => {
    for (const p of HS.problems) runs.push(solve(p));
  }, 600_000);

  it("reaches f* feasibly on more problems than scipy's SLSQP, and misses only known hard ones", () => {
    const scipyOk = (key: "slsqpFD" | "slsqpExact") =>
      HS.problems.filter((p) => {
        const r = HS.results[p.name]?.[key];
        return r !== undefined && r.error === undefined && reached(p, r.f, violation(p, r.x));
      }).length;
    const ours = runs.filter((r) => r.ok).length;
    const fd = scipyOk("slsqpFD"), exact = scipyOk("slsqpExact");
    console.log(`HS set: matcalc ${ours}/${runs.length}, scipy ${HS.scipy.version} SLSQP (finite differences) ${fd}, SLSQP (exact gradients) ${exact}`);
    // Every miss is one of the known ones (the hard cases can go either way with rounding: a
    // run that gets past one is not a failure).
    const misses = runs.filter((r) => !r.ok).map((r) => r.p.name);
    console.log(`misses: ${misses.join(", ")}`);
    for (const name of misses) expect(EXPECTED_MISSES, `unexpected miss ${name}`).toContain(name);
    expect(ours).toBeGreaterThanOrEqual(84);
    expect(ours).toBeGreaterThan(fd);
    expect(ours).toBeGreaterThan(exact);
  });

  it("every solved run reports converged, its violation, and (status gradTol) a KKT residual ≤ 1e-8", () => {
    for (const r of runs.filter((q) => q.ok)) {
      const constrained = r.p.eq.length + r.p.ineq.length > 0;
      if (!UNCERTIFIED.includes(r.p.name)) expect(r.res.converged, `${r.p.name}: ${r.res.message}`).toBe(true);
      // Iterates stay inside the bounds exactly; the reported violation is the constraints'.
      r.x.forEach((xi, i) => {
        if (r.p.lower[i] != null) expect(xi).toBeGreaterThanOrEqual(r.p.lower[i]!);
        if (r.p.upper[i] != null) expect(xi).toBeLessThanOrEqual(r.p.upper[i]!);
      });
      expect(Math.abs(r.res.constraintViolation! - r.viol), r.p.name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(r.res.value)));
      // gradTol: the KKT test held; stepTol: the last subproblem stalled at a feasible point
      // (HS 75, 99, 113 end so, at f*), and the residual says how far from KKT it is.
      // (Relative to |f| for HS 99, f = −8.3e8, certified by its least-squares multipliers.)
      if (constrained && r.res.status === "gradTol") expect(r.res.kktResidual!, r.p.name).toBeLessThanOrEqual(1e-8 * Math.max(1, Math.abs(r.res.value)));
      if (constrained) expect(Number.isFinite(r.res.kktResidual!)).toBe(true);
    }
  });

  it("the multipliers satisfy ∇f = Σ λᵢ∇cᵢ with λ ≥ 0 and complementary on the inequalities (KKT-converged runs without bounds)", () => {
    let checked = 0;
    for (const r of runs.filter((q) => q.ok && q.res.status === "gradTol" && q.p.eq.length + q.p.ineq.length > 0)) {
      const fn = hsFunctions(r.p);
      if (fn.lower.some((v) => v > -Infinity) || fn.upper.some((v) => v < Infinity)) continue;
      const x = vector(r.x);
      const g = arr(grad(fn.f)(x));
      const mults = r.res.multipliers!.map(arr);
      const parts: [((x: Tensor) => Tensor) | null, number[] | undefined][] = [];
      let k = 0;
      if (fn.ineq) parts.push([fn.ineq, mults[k++]]);
      if (fn.eq) parts.push([fn.eq, mults[k++]]);
      const res = g.slice();
      for (const [c, lam] of parts) {
        const J = jacobian(c!)(x).toArray() as number[][];
        J.forEach((row, i) => row.forEach((v, j) => (res[j]! -= lam![i]! * v)));
      }
      const scale = Math.max(1, ...g.map(Math.abs));
      expect(Math.max(...res.map(Math.abs)), r.p.name).toBeLessThanOrEqual(1e-6 * scale);
      if (fn.ineq) {
        const c = arr(fn.ineq(x)), lam = mults[0]!;
        lam.forEach((l, i) => {
          expect(l).toBeGreaterThanOrEqual(0);
          expect(Math.abs(l * c[i]!), r.p.name).toBeLessThanOrEqual(1e-6 * Math.max(1, l));
        });
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it("L-BFGS-B on the bound-constrained problems: the same minimizers as scipy's L-BFGS-B, evaluations side by side", () => {
    const rows: string[] = ["| problem | n | matcalc it. | matcalc f evals | scipy it. | scipy f evals | max |x − x_scipy| |", "|---|---|---|---|---|---|---|"];
    for (const r of runs.filter((q) => HS.results[q.p.name]?.lbfgsb)) {
      const s = HS.results[r.p.name]!.lbfgsb!;
      expect(r.res.message).toMatch(/^lbfgsb:/);
      const dx = Math.max(...r.x.map((v, i) => Math.abs(v - s.x[i]!)));
      rows.push(`| ${r.p.name} | ${r.p.n} | ${r.res.iterations} | ${r.res.evaluations.f} | ${s.nit} | ${s.nfev} | ${dx.toExponential(1)} |`);
      // The same minimizer (HS2: the same local one) and comparable work.
      expect(dx, r.p.name).toBeLessThanOrEqual(1e-4 * Math.max(1, ...s.x.map(Math.abs)));
      expect(Math.abs(r.res.value - s.f), r.p.name).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(s.f)));
      expect(r.res.evaluations.f, r.p.name).toBeLessThanOrEqual(2.5 * s.nfev + 2);
    }
    console.log(rows.join("\n"));
    expect(rows.length - 2).toBe(8);
  });
});
