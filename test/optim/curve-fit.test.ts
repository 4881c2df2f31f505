// curveFit against scipy.optimize.curve_fit (references generated once by
// data/scipy/curve_fit_ref.py, committed with its output) and in closed form.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { matrix, scalar, vector, type Tensor } from "../../src/index.js";
import { DTypeError, OptionError, ShapeError } from "../../src/errors.js";
import { curveFit, leastSquares } from "../../src/optim/index.js";
import { MODELS, loadNist, lre } from "./nist.js";

interface Ref { t: number[]; y: number[]; sigma: number[]; cov: number[][]; p0: number[]; cases: Record<string, { popt: number[]; pcov: number[][] }> }
const ref = JSON.parse(readFileSync(fileURLToPath(new URL("./data/scipy/curve_fit_ref.json", import.meta.url)), "utf8")) as Ref;

const model = (p: Tensor, x: Tensor) => mc.slice(p, [0], [1]).mul(x.mul(mc.slice(p, [1], [1])).neg().exp()).add(mc.slice(p, [2], [1]));

function expectClose(got: ArrayLike<number>, want: number[], rel: number, what: string) {
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]`).toBeLessThanOrEqual(rel * Math.abs(want[i]!) + 1e-300);
}

describe("against scipy's curve_fit", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["plain", {}],
    ["sigma", { sigma: ref.sigma }],
    ["sigma_absolute", { sigma: ref.sigma, absoluteSigma: true }],
    ["cov_absolute", { sigma: ref.cov, absoluteSigma: true }],
    ["soft_l1", { loss: "soft_l1", fScale: 0.05 }],
  ];
  // Default options here (stepTol √ε), scipy's run at tolerances 1e-15: 1e-7 on the parameters.
  it.each(cases)("%s: parameters to 1e-7, covariance to 1e-6", (name, opts) => {
    const fit = curveFit(model, ref.t, ref.y, vector(ref.p0), opts);
    expect(fit.converged, fit.message).toBe(true);
    const want = ref.cases[name]!;
    expectClose((fit.x as Tensor).data, want.popt, 1e-7, "popt");
    // pcov is symmetric; flat order is the same in row- and column-major.
    expectClose(fit.covariance().data, want.pcov.flat(), 1e-6, "pcov");
  });
});

describe("curveFit", () => {
  const t = ref.t, y = ref.y;

  it("is leastSquares on (model − y)/σ", () => {
    const fit = curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma });
    const tt = vector(t), yy = vector(y), s = vector(ref.sigma);
    const ls = leastSquares((p: Tensor) => model(p, tt).sub(yy).div(s), vector(ref.p0));
    expectClose((fit.x as Tensor).data, Array.from((ls.x as Tensor).data), 1e-12, "x");
    expectClose(fit.covariance().data, Array.from(ls.covariance().data), 1e-10, "cov");
  });

  it("a diagonal covariance equals the standard deviations; scaling σ changes pcov only with absoluteSigma", () => {
    const diag = ref.sigma.map((s, i) => ref.sigma.map((_, j) => (i === j ? s * s : 0)));
    const a = curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma });
    const b = curveFit(model, t, y, vector(ref.p0), { sigma: matrix(diag) });
    expectClose((b.x as Tensor).data, Array.from((a.x as Tensor).data), 1e-10, "x");
    expectClose(b.covariance().data, Array.from(a.covariance().data), 1e-8, "cov");
    const scaled = curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma.map((s) => 10 * s) });
    expectClose(scaled.covariance().data, Array.from(a.covariance().data), 1e-8, "relative sigma");
    const absA = curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma, absoluteSigma: true });
    const absS = curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma.map((s) => 10 * s), absoluteSigma: true });
    expectClose(absS.covariance().data, Array.from(absA.covariance().data, (v) => 100 * v), 1e-8, "absolute sigma");
  });

  it("pytree parameters: standard errors keyed by name", () => {
    const fit = curveFit((p: { a: Tensor; k: Tensor; c: Tensor }, x: Tensor) => p.a.mul(x.mul(p.k).neg().exp()).add(p.c), t, y, { a: scalar(1), k: scalar(1), c: scalar(0) });
    const vec = curveFit(model, t, y, vector(ref.p0));
    const se = fit.standardErrors();
    const seV = (vec.standardErrors() as Tensor).data;
    const idx = { a: 0, k: 1, c: 2 } as const;
    for (const k of ["a", "k", "c"] as const) {
      expect(se[k].item() / seV[idx[k]]!).toBeCloseTo(1, 8);
      expect(fit.parameterNames).toContain(k);
    }
  });

  it("several predictors as a pytree xdata: NIST Nelson to certified values and standard deviations", () => {
    const nelson = loadNist().find((q) => q.name === "Nelson")!;
    const fit = curveFit(
      (p: Tensor, x: { x1: Tensor; x2: Tensor }) => MODELS.Nelson!(p, [x.x1, x.x2]),
      { x1: vector(nelson.x[0]!), x2: vector(nelson.x[1]!) },
      nelson.y.map(Math.log),
      vector(nelson.start2),
    );
    const x = (fit.x as Tensor).data, se = (fit.standardErrors() as Tensor).data;
    nelson.certified.forEach((c, i) => expect(lre(x[i]!, c)).toBeGreaterThanOrEqual(6));
    nelson.certifiedSd.forEach((c, i) => expect(lre(se[i]!, c)).toBeGreaterThanOrEqual(5));
  });

  it("the TSDoc example runs", () => {
    const tt = [0, 0.5, 1, 1.5, 2, 2.5, 3], yy = [5.02, 3.04, 1.86, 1.11, 0.68, 0.41, 0.25];
    const fit = curveFit((p: { a: Tensor; k: Tensor }, x: Tensor) => p.a.mul(x.mul(p.k).neg().exp()),
      tt, yy, { a: mc.scalar(1), k: mc.scalar(1) }, { sigma: yy.map(() => 0.1), absoluteSigma: true });
    expect(fit.x.a.item()).toBeCloseTo(5.0, 1);
    expect(fit.standardErrors().k.item()).toBeGreaterThan(0);
    expect(fit.covariance().shape).toEqual([2, 2]);
  });

  it("bad input: sizes (ShapeError), sigma values (DTypeError), options (OptionError)", () => {
    expect(() => curveFit(model, t, y.slice(1), vector(ref.p0))).toThrow(ShapeError);
    expect(() => curveFit(model, t, y, vector(ref.p0), { sigma: [1, 2] })).toThrow(ShapeError);
    expect(() => curveFit(model, t, y, vector(ref.p0), { sigma: ref.sigma.map((s, i) => (i === 3 ? 0 : s)) })).toThrow(DTypeError);
    expect(() => curveFit(model, t, y, vector(ref.p0), { sigma: matrix(ref.cov.map((r) => r.map((v) => -v))) })).toThrow(DTypeError);
    expect(() => curveFit(model, t, y, vector(ref.p0), { p0: 1 } as never)).toThrow(OptionError);
  });
});
