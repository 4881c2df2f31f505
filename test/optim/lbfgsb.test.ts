// lbfgsb against scipy's L-BFGS-B (data/lbfgsb-scipy.json, written once by
// data/lbfgsb_reference.py) on the extended Rosenbrock function, n = 1000, from the standard
// start under three sets of bounds: the same minimizers, iteration and evaluation counts side
// by side. (The bound-constrained Hock–Schittkowski problems are compared in hs.test.ts.)
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { vector, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { extendedRosenbrockObjective } from "./problems.js";

interface Ref { f: number; nit: number; nfev: number; status: string; x: number[] }
const REF = JSON.parse(readFileSync(new URL("./data/lbfgsb-scipy.json", import.meta.url), "utf8")) as {
  scipy: string; n: number; results: Record<string, Ref>;
};

const n = REF.n;
const odd = (i: number) => i % 2 === 0; // x₁, x₃, … (0-based even)
const CASES: { name: string; lower: number[]; upper: number[]; f: number }[] = [
  // Each pair (a, b) with a, b ≤ 0.8: b = a², a = 0.8, (1 − a)² = 0.04; 500 pairs.
  { name: "upper 0.8", lower: Array(n).fill(-Infinity), upper: Array(n).fill(0.8), f: 20 },
  // a ≥ 1.5: a = 1.5, b = 2.25, (1 − a)² = 0.25 per pair.
  { name: "odd entries >= 1.5", lower: Array.from({ length: n }, (_, i) => (odd(i) ? 1.5 : -Infinity)), upper: Array(n).fill(Infinity), f: 125 },
  // The unconstrained minimizer (1, …, 1) is inside.
  { name: "box [-2, 2]", lower: Array(n).fill(-2), upper: Array(n).fill(2), f: 0 },
];

it("extended Rosenbrock n = 1000 with bounds: the minimizers scipy's L-BFGS-B finds, with comparable work", () => {
  const f = extendedRosenbrockObjective(n);
  const x0 = vector(Array.from({ length: n }, (_, i) => (odd(i) ? -1.2 : 1)));
  const rows = [`| bounds | matcalc it. | matcalc f evals | scipy ${REF.scipy} it. | scipy f evals | f | max |x − x_scipy| |`, "|---|---|---|---|---|---|---|"];
  for (const c of CASES) {
    const s = REF.results[c.name]!;
    const res = minimize(f, x0, { method: "lbfgsb", bounds: { lower: c.lower, upper: c.upper } });
    expect(res.converged, res.message).toBe(true);
    const x = (res.x as Tensor).toArray() as number[];
    const dx = Math.max(...x.map((v, i) => Math.abs(v - s.x[i]!)));
    rows.push(`| ${c.name} | ${res.iterations} | ${res.evaluations.f} | ${s.nit} | ${s.nfev} | ${res.value.toPrecision(8)} | ${dx.toExponential(1)} |`);
    expect(res.value).toBeCloseTo(c.f, 6);
    expect(s.f).toBeCloseTo(c.f, 6);
    expect(dx).toBeLessThanOrEqual(1e-4);
    x.forEach((v, i) => { expect(v).toBeGreaterThanOrEqual(c.lower[i]!); expect(v).toBeLessThanOrEqual(c.upper[i]!); });
    expect(res.evaluations.f).toBeLessThanOrEqual(2 * s.nfev + 2);
  }
  console.log(rows.join("\n"));
}, 120_000);
