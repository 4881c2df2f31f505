// leastSquares on the 35 Moré–Garbow–Hillstrom problems, 39 entries (mgh35.ts), from the
// standard starts with default options, against MINPACK's lmder (scipy least_squares,
// method 'lm', exact Jacobian, default options: data/scipy/mgh_lm_ref.json, made by
// mgh_lm_ref.py). An entry reaches f* when f = Σ rᵢ² is at one of the paper's published
// minima: within 1e-4 relative (they are printed to 6 digits), or below 1e-10 where f* = 0.
//
// MINPACK's count is 39 in the committed run; an earlier run of the same script gave 38:
// Biggs EXP6's Jacobian at x0 is rank-deficient (x1 = x5 and x4 = x6 make two columns equal),
// and lmder's first step there depends on the rounding of numpy's and MINPACK's sums (which
// varies with memory alignment): it either stops at once (gtol, f = 0.647) or reaches 0.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { vector, type Tensor } from "../../src/index.js";
import { leastSquares, type LeastSquaresMethod } from "../../src/optim/index.js";
import { MGH35 } from "./mgh35.js";

interface Run { f: number; x: number[]; nfev: number; status: number; reached: boolean }
interface RefEntry { name: string; n: number; m: number; x0: number[]; fstar: number[]; f0: number; lm: Run; lmTight: Run }
const ref = JSON.parse(readFileSync(fileURLToPath(new URL("./data/scipy/mgh_lm_ref.json", import.meta.url)), "utf8")) as { entries: RefEntry[] };

export function reached(f: number, fstar: number[]): boolean {
  return fstar.some((fs) => (fs === 0 ? f <= 1e-10 : Math.abs(f - fs) <= 1e-4 * fs));
}

const sumsq = (r: Tensor): number => r.data.reduce((a, v) => a + v * v, 0);

describe("the 39 entries", () => {
  it("are scipy's: same names and starts, f(x0) to 1e-12, f at scipy's tight solution to 1e-8", () => {
    expect(MGH35.map((p) => p.name)).toEqual(ref.entries.map((e) => e.name));
    MGH35.forEach((p, k) => {
      const e = ref.entries[k]!;
      // Starts computed from formulas (discrete problems) may differ in the last bit.
      p.x0.forEach((v, i) => expect(Math.abs(v - e.x0[i]!), p.name).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(e.x0[i]!))));
      const r0 = p.residual(vector(p.x0));
      expect(r0.size, p.name).toBe(e.m);
      expect(Math.abs(sumsq(r0) - e.f0), p.name).toBeLessThanOrEqual(1e-12 * e.f0);
      const fx = sumsq(p.residual(vector(e.lmTight.x)));
      expect(Math.abs(fx - e.lmTight.f), p.name).toBeLessThanOrEqual(1e-8 * e.lmTight.f + 1e-25);
    });
  });

  it("the published f* hold on these definitions (MINPACK at tolerances 1e-15 reaches every one)", () => {
    for (const e of ref.entries) expect(e.lmTight.reached, e.name).toBe(true);
  });
});

function runAll(method: LeastSquaresMethod, matrixFree = false) {
  return MGH35.map((p) => {
    const res = leastSquares(p.residual, vector(p.x0), { method, matrixFree });
    const f = 2 * res.cost;
    const e = ref.entries.find((q) => q.name === p.name)!;
    return { name: p.name, f, ok: reached(f, e.fstar), status: res.status, converged: res.converged, minpack: e.lm };
  });
}

describe("lm, default options", () => {
  const rows = runAll("lm");
  const ours = rows.filter((r) => r.ok).length;
  const minpack = ref.entries.filter((e) => e.lm.reached).length;

  it("reaches f* on at least as many entries as MINPACK", () => {
    console.log(`MGH, lm, default options: f* reached on ${ours}/${rows.length} (MINPACK lmder, scipy defaults: ${minpack}/${rows.length})\n` +
      rows.map((r) => `  ${r.name.padEnd(38)} ${r.ok ? "ok  " : "MISS"} f = ${r.f.toExponential(6)} (${r.status})   MINPACK ${r.minpack.reached ? "ok  " : "MISS"} f = ${r.minpack.f.toExponential(6)}`).join("\n"));
    expect(ours).toBeGreaterThanOrEqual(minpack);
  });

  it("never says converged away from a minimum it could not reach (only a published f* or a stall)", () => {
    for (const r of rows) if (!r.ok) expect(r.converged, `${r.name}: ${r.status}, f = ${r.f}`).toBe(false);
  });
});

// No scipy analog (scipy's trf is a different method): counts printed; the honesty holds.
describe.each([["gauss-newton", false], ["lm", true], ["gauss-newton", true]] as const)("%s (matrixFree %s), default options", (method, matrixFree) => {
  const rows = runAll(method, matrixFree);
  it("never says converged away from the published minima", () => {
    console.log(`MGH, ${method}${matrixFree ? " matrix-free" : ""}: f* reached on ${rows.filter((r) => r.ok).length}/${rows.length}\n` +
      rows.filter((r) => !r.ok).map((r) => `  ${r.name.padEnd(38)} MISS f = ${r.f.toExponential(6)} (${r.status})`).join("\n"));
    // A converged miss is allowed only as lmder's gradTol on an ill-conditioned problem, within
    // 1e-3 of f* (matrix-free gauss-newton on Watson n = 12: cosine 1e-8, f 4.5e-4 above f*).
    for (const r of rows) {
      if (r.ok || !r.converged) continue;
      const e = ref.entries.find((q) => q.name === r.name)!;
      expect(r.status, r.name).toBe("gradTol");
      expect(Math.min(...e.fstar.map((fs) => Math.abs(r.f - fs) / Math.max(fs, 1e-300))), r.name).toBeLessThanOrEqual(1e-3);
    }
  });
});
