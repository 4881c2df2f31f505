// leastSquares' `sigma` (the residual weighted by standard deviations or whitened by a
// covariance) against scipy's curve_fit (data/scipy/curve_fit_ref.py) and against the
// weighting written by hand; curveFit and leastSquares agree.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { matrix, vector, type Tensor } from "../../src/index.js";
import { DTypeError, ShapeError } from "../../src/errors.js";
import { curveFit, leastSquares } from "../../src/optim/index.js";

interface Ref { t: number[]; y: number[]; sigma: number[]; cov: number[][]; p0: number[]; cases: Record<string, { popt: number[]; pcov: number[][] }> }
const ref = JSON.parse(readFileSync(fileURLToPath(new URL("./data/scipy/curve_fit_ref.json", import.meta.url)), "utf8")) as Ref;

const tt = vector(ref.t), yy = vector(ref.y);
const model = (p: Tensor) => mc.slice(p, [0], [1]).mul(tt.mul(mc.slice(p, [1], [1])).neg().exp()).add(mc.slice(p, [2], [1]));
const r = (p: Tensor) => model(p).sub(yy);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]`).toBeLessThanOrEqual(rel * Math.abs(want[i]!) + 1e-300);
}

describe("leastSquares with sigma", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["sigma", { sigma: ref.sigma }],
    ["sigma_absolute", { sigma: ref.sigma, absoluteSigma: true }],
    ["cov_absolute", { sigma: ref.cov, absoluteSigma: true }],
  ];
  it.each(cases)("%s: scipy's curve_fit parameters to 1e-7, covariance to 1e-6", (name, opts) => {
    const fit = leastSquares(r, vector(ref.p0), opts);
    expect(fit.converged, fit.message).toBe(true);
    const want = ref.cases[name]!;
    expectClose((fit.x as Tensor).data, want.popt, 1e-7, "popt");
    expectClose(fit.covariance().data, want.pcov.flat(), 1e-6, "pcov");
    const se = (fit.standardErrors() as Tensor).data;
    want.pcov.forEach((row, i) => expect(se[i]! / Math.sqrt(row[i]!)).toBeCloseTo(1, 6));
  });

  it("is the residual divided by σ, and curveFit's fit", () => {
    const s = vector(ref.sigma);
    const byHand = leastSquares((p: Tensor) => r(p).div(s), vector(ref.p0));
    const fit = leastSquares(r, vector(ref.p0), { sigma: ref.sigma });
    const cf = curveFit((p: Tensor, x: Tensor) => mc.slice(p, [0], [1]).mul(x.mul(mc.slice(p, [1], [1])).neg().exp()).add(mc.slice(p, [2], [1])), ref.t, ref.y, vector(ref.p0), { sigma: ref.sigma });
    for (const other of [byHand, cf]) {
      expectClose((fit.x as Tensor).data, (other.x as Tensor).data, 1e-12, "x");
      expectClose(fit.covariance().data, other.covariance().data, 1e-10, "cov");
      expect(fit.cost / other.cost).toBeCloseTo(1, 12);
      expectClose((fit.residual as Tensor).data, (other.residual as Tensor).data, 1e-9, "weighted residual");
    }
    expect(fit.residualStd).toBeCloseTo(Math.sqrt((2 * fit.cost) / (ref.t.length - 3)), 14);
  });

  it("a pytree residual with a covariance: whitened in the flat order, leaves keep their shapes", () => {
    // Split the residual into two leaves { head: first 3 entries, tail: the rest as a column }.
    const m = ref.t.length;
    const split = (p: Tensor) => {
      const d = r(p);
      return { head: mc.slice(d, [0], [3]), tail: mc.reshape(mc.slice(d, [3], [m - 3]), [m - 3, 1]) };
    };
    const tree = leastSquares(split, vector(ref.p0), { sigma: matrix(ref.cov) });
    const flat = leastSquares(r, vector(ref.p0), { sigma: ref.cov });
    expectClose((tree.x as Tensor).data, (flat.x as Tensor).data, 1e-10, "x");
    expectClose(tree.covariance().data, flat.covariance().data, 1e-8, "cov");
    const res = tree.residual as { head: Tensor; tail: Tensor };
    expect(res.head.shape).toEqual([3]);
    expect(res.tail.shape).toEqual([m - 3, 1]);
    expectClose([...res.head.data, ...res.tail.data], (flat.residual as Tensor).data, 1e-8, "residual");
    // Pytree parameters: standard errors keyed by name, as the vector fit's.
    const named = leastSquares(
      (p: { a: Tensor; k: Tensor; c: Tensor }) => p.a.mul(tt.mul(p.k).neg().exp()).add(p.c).sub(yy),
      { a: mc.scalar(ref.p0[0]!), k: mc.scalar(ref.p0[1]!), c: mc.scalar(ref.p0[2]!) },
      { sigma: ref.sigma },
    );
    const seV = (leastSquares(r, vector(ref.p0), { sigma: ref.sigma }).standardErrors() as Tensor).data;
    const se = named.standardErrors();
    expect(named.parameterNames).toEqual(["a", "k", "c"]);
    (["a", "k", "c"] as const).forEach((k, i) => expect(se[k].item() / seV[i]!).toBeCloseTo(1, 8));
  });

  it("bad sigma: wrong size (ShapeError), not positive or not positive definite (DTypeError)", () => {
    expect(() => leastSquares(r, vector(ref.p0), { sigma: [1, 2] })).toThrow(ShapeError);
    expect(() => leastSquares(r, vector(ref.p0), { sigma: ref.sigma.map((s, i) => (i === 2 ? -s : s)) })).toThrow(/sigma must be positive/);
    expect(() => leastSquares(r, vector(ref.p0), { sigma: ref.cov.map((row) => row.map((v) => -v)) })).toThrow(DTypeError);
    // After an error the next call works.
    expect(leastSquares(r, vector(ref.p0), { sigma: ref.sigma }).converged).toBe(true);
  });
});
