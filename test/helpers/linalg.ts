// Inputs and comparisons shared by the linear-algebra tests.
import { expect } from "vitest";
import * as mc from "../../src/index.js";
import { randn, type Tensor } from "../../src/index.js";

/** Asserts a and b have one shape and agree to `tol` relative to max(1, max|b|). */
export function close(a: Tensor, b: Tensor, tol: number): void {
  expect(a.shape).toEqual(b.shape);
  let scale = 1;
  for (const v of b.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  const bd = b.data;
  a.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - bd[i]!))));
  expect(worst / scale).toBeLessThanOrEqual(tol);
}

/** Well-conditioned general matrix: I·n + noise. */
export function general(n: number, seed: number): Tensor {
  return randn([n, n], { seed }).add(mc.eye(n).mul(n));
}

/** SPD: BBᵀ + I. */
export function spd(n: number, seed: number): Tensor {
  const B = randn([n, n], { seed });
  return B.matmul(B.T).add(mc.eye(n));
}
