// The README's fitting example (section "Fitting models to data"), run as written.
import { expect, it } from "vitest";
import * as mc from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import { curveFit } from "../../src/optim/index.js";

it("README: curveFit with bounds, a robust loss and the covariance", () => {
  const t = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5];
  const y = [3.02, 2.34, 1.83, 1.45, 1.16, 4.9, 0.81, 0.71, 0.61, 0.55, -2.0, 0.49];
  const model = (p: { a: Tensor; k: Tensor; c: Tensor }, x: Tensor) => p.a.mul(x.mul(p.k).neg().exp()).add(p.c);
  const p0 = { a: mc.scalar(1), k: mc.scalar(1), c: mc.scalar(0) };
  const fit = curveFit(model, t, y, p0, {
    loss: "soft_l1", fScale: 0.1,
    bounds: { lower: { a: mc.scalar(0), k: mc.scalar(0), c: mc.scalar(0) }, upper: Infinity },
  });
  expect(fit.converged, fit.message).toBe(true);
  expect(fit.x.k.item()).toBeCloseTo(0.56, 2);
  expect(fit.x.a.item()).toBeCloseTo(2.5, 0);
  expect(fit.standardErrors().k.item()).toBeGreaterThan(0);
  expect(fit.covariance().shape).toEqual([3, 3]);
  expect(fit.correlation().shape).toEqual([3, 3]);
  expect(fit.dof).toBe(9);
  expect(fit.activeMask).toEqual([0, 0, 0]);
  expect([...fit.parameterNames].sort()).toEqual(["a", "c", "k"]);
  // Least squares without the loss is pulled off by the outliers.
  const ls = curveFit(model, t, y, p0);
  expect(ls.x.k.item()).toBeLessThan(1e-3);
});
