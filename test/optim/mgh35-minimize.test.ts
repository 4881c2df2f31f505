// minimize() on the 39 Moré–Garbow–Hillstrom entries (mgh35.ts), f = Σ rᵢ², from the standard
// starts with default options, against scipy.optimize.minimize's analogs with their default
// options (data/scipy/mgh_minimize_ref.json, made by mgh_minimize_ref.py): bfgs ↔ 'BFGS',
// lbfgs ↔ 'L-BFGS-B', newton-cg ↔ 'Newton-CG', trust-ncg ↔ 'trust-ncg', newton ↔
// 'trust-exact'. An entry reaches f* as in mgh35.test.ts (1e-4 relative to a published
// minimum, or f ≤ 1e-10 where f* = 0): a strict test for default options, whose first-order
// tolerances stop both libraries short of it on the Penalty and Powell entries.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { vector } from "../../src/index.js";
import { minimize, type MinimizeMethod } from "../../src/optim/index.js";
import { MGH35 } from "./mgh35.js";
import { sumOfSquares } from "./problems.js";

interface Ref { entries: { name: string; fstar: number[]; runs: Record<string, { f: number | null; reached: boolean }> }[]; counts: Record<string, number> }
const ref = JSON.parse(readFileSync(fileURLToPath(new URL("./data/scipy/mgh_minimize_ref.json", import.meta.url)), "utf8")) as Ref;

const reached = (f: number, fstar: number[]): boolean => fstar.some((fs) => (fs === 0 ? f <= 1e-10 : Math.abs(f - fs) <= 1e-4 * fs));

describe.each(["bfgs", "lbfgs", "newton-cg", "trust-ncg", "newton"] as MinimizeMethod[])("minimize %s, default options", (method) => {
  const rows = MGH35.map((p, k) => {
    const res = minimize(sumOfSquares(p.residual), vector(p.x0), { method });
    const e = ref.entries[k]!;
    return { name: p.name, f: res.value, ok: reached(res.value, e.fstar), status: res.status, converged: res.converged, scipy: e.runs[method]! };
  });
  const ours = rows.filter((r) => r.ok).length;
  it("reaches f* on at least as many entries as its scipy analog", () => {
    console.log(`MGH, minimize ${method}: f* reached on ${ours}/${rows.length} (scipy ${ref.counts[method]}/${rows.length})\n` +
      rows.map((r) => `  ${r.name.padEnd(38)} ${r.ok ? "ok  " : "MISS"} f = ${r.f.toExponential(6)} (${r.status})   scipy ${r.scipy.reached ? "ok  " : "MISS"} f = ${r.scipy.f?.toExponential(6)}`).join("\n"));
    expect(ours).toBeGreaterThanOrEqual(ref.counts[method]!);
  });
});
