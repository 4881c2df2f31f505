// Robust losses in leastSquares: the formulas, the gradient at the robust optimum, and fits
// with outliers that recover the clean parameters where least squares does not.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, randn, vector, type Tensor } from "../../src/index.js";
import { OptionError } from "../../src/errors.js";
import { leastSquares, type LeastSquaresMethod, type Loss } from "../../src/optim/index.js";
import { LOSSES } from "../../src/optim/lsq/loss.js";

const NAMED = ["soft_l1", "huber", "cauchy", "arctan", "tukey"] as const;

describe("loss formulas", () => {
  it.each(["linear", ...NAMED] as const)("%s: ρ(0) = 0, ρ′(0) = 1, and ρ′, ρ″ match central differences", (name) => {
    const rho = LOSSES[name];
    expect(rho(0)[0]).toBe(0);
    expect(rho(0)[1]).toBe(1);
    const h = 1e-6;
    for (const z of [0.01, 0.3, 0.7, 1.5, 4, 30]) {
      const [, d1, d2] = rho(z);
      expect(d1).toBeCloseTo((rho(z + h)[0] - rho(z - h)[0]) / (2 * h), 6);
      expect(d2).toBeCloseTo((rho(z + h)[1] - rho(z - h)[1]) / (2 * h), 5);
    }
  });

  it("the documented values at z = 4", () => {
    expect(LOSSES.soft_l1(4)[0]).toBeCloseTo(2 * (Math.sqrt(5) - 1), 14);
    expect(LOSSES.huber(4)[0]).toBe(3);
    expect(LOSSES.cauchy(4)[0]).toBeCloseTo(Math.log(5), 14);
    expect(LOSSES.arctan(4)[0]).toBeCloseTo(Math.atan(4), 14);
    expect(LOSSES.tukey(4)[0]).toBeCloseTo(1 / 3, 14);
    expect(LOSSES.tukey(0.5)[0]).toBeCloseTo((1 - 0.125) / 3, 14);
  });
});

// A line y = 2 + 3t with small noise and gross outliers in every fifth point.
const N = 60;
const ts = Array.from({ length: N }, (_, i) => i / (N - 1));
const t = vector(ts);
const noise = randn([N], { seed: 7 }).mul(0.05).data;
const yv = ts.map((ti, i) => 2 + 3 * ti + noise[i]! + (i % 5 === 2 ? (i % 2 ? 30 : -20) : 0));
const y = vector(yv);
const line = (p: Tensor) => mc.slice(p, [0], [1]).add(t.mul(mc.slice(p, [1], [1]))).sub(y);

describe("fits with outliers", () => {
  // Robust fits start from the least-squares fit, as usual: from far away every residual is
  // an "outlier" of a redescending loss (cauchy, arctan, tukey), whose gradient then vanishes.
  const ls = leastSquares(line, vector([0, 0]));
  const x0 = ls.x as Tensor;

  it("least squares is pulled off by the outliers", () => {
    const [a, b] = x0.toArray() as number[];
    expect(Math.abs(a! - 2) + Math.abs(b! - 3)).toBeGreaterThan(1);
  });

  it.each(["soft_l1", "huber"] as const)("the convex losses converge from far away too: %s", (loss) => {
    const r = leastSquares(line, vector([0, 0]), { loss, fScale: 0.1 });
    expect(r.converged, r.message).toBe(true);
    const [a, b] = (r.x as Tensor).toArray() as number[];
    expect(Math.abs(a! - 2)).toBeLessThan(0.05);
    expect(Math.abs(b! - 3)).toBeLessThan(0.08);
  });

  const variants: { method: LeastSquaresMethod; matrixFree: boolean }[] = [
    { method: "lm", matrixFree: false }, { method: "gauss-newton", matrixFree: false }, { method: "lm", matrixFree: true },
  ];
  for (const v of variants) {
    // Tukey's biweight ignores every residual beyond fScale: it needs a scale that keeps the
    // inliers of the starting (least-squares) line inside it.
    it.each(NAMED)(`%s (${v.method}${v.matrixFree ? ", matrix-free" : ""}) recovers the clean line`, (loss) => {
      const r = leastSquares(line, x0, { loss, fScale: loss === "tukey" ? 3 : 0.1, ...v });
      expect(r.converged, r.message).toBe(true);
      const [a, b] = (r.x as Tensor).toArray() as number[];
      expect(Math.abs(a! - 2)).toBeLessThan(0.05);
      expect(Math.abs(b! - 3)).toBeLessThan(0.08);
    });
  }

  it("the cost is ½ Σ C²ρ(r²/C²), and the robust gradient vanishes at the solution (cauchy, by autodiff)", () => {
    const C = 0.1;
    const r = leastSquares(line, x0, { loss: "cauchy", fScale: C });
    const cost = (p: Tensor) => line(p).div(C).square().log1p().sum().mul(0.5 * C * C);
    expect(r.cost).toBeCloseTo(cost(r.x as Tensor).item(), 12);
    const g = grad(cost)(r.x as Tensor).data;
    const g0 = grad(cost)(x0).data;
    for (let i = 0; i < 2; i++) expect(Math.abs(g[i]!)).toBeLessThan(1e-6 * Math.max(...Array.from(g0, Math.abs)));
  });

  it("a user loss equal to cauchy gives the same fit", () => {
    const mine: Loss = (z) => [Math.log1p(z), 1 / (1 + z), -1 / ((1 + z) * (1 + z))];
    const a = leastSquares(line, x0, { loss: mine, fScale: 0.1 });
    const b = leastSquares(line, x0, { loss: "cauchy", fScale: 0.1 });
    expect(Array.from((a.x as Tensor).data)).toEqual(Array.from((b.x as Tensor).data));
    expect(a.iterations).toBe(b.iterations);
  });

  it("bad loss options are OptionErrors; a user loss returning junk is a TypeError", () => {
    expect(() => leastSquares(line, vector([0, 0]), { loss: "l1" as "huber" })).toThrow(OptionError);
    expect(() => leastSquares(line, vector([0, 0]), { loss: "huber", fScale: 0 })).toThrow(OptionError);
    expect(() => leastSquares(line, vector([0, 0]), { loss: (() => 3) as unknown as Loss })).toThrow(/must return \[ρ\(z\), ρ′\(z\), ρ″\(z\)\]/);
  });
});
