// The README's section "Differentiating through a solve", run as written, against closed forms.
import { expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, matrix, scalar, vector, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";

it("README: grad through minimize (the [1, 1] example and a ridge hyperparameter)", () => {
  const g = grad((s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0])).x as Tensor).sum())(vector([1, 2]));
  expect(g.toArray()).toEqual([1, 1]);

  const A = matrix([[1, 0], [1, 1], [1, 2], [1, 3]]), b = vector([1, 2, 2, 4]);
  const Av = matrix([[1, 4]]), bv = vector([5]);
  const heldOut = (lam: Tensor) => {
    const w = minimize((x: Tensor) => A.matmul(x).sub(b).square().sum().add(lam.mul(x.square().sum())), vector([0, 0])).x as Tensor;
    return Av.matmul(w).sub(bv).square().sum();
  };
  const d = grad(heldOut)(scalar(0.1)).item();
  // Closed form: w*(λ) = (AᵀA + λI)⁻¹Aᵀb, dw*/dλ = −(AᵀA + λI)⁻¹w*.
  const M = mc.matmul(mc.transpose(A), A).add(mc.eye(2).mul(0.1));
  const w = mc.solve(M, mc.matmul(mc.transpose(A), b));
  const r = Av.matmul(w).sub(bv).item();
  const closed = -2 * r * mc.dot(mc.reshape(Av, [2]), mc.solve(M, w)).item();
  // minimize's default gradTol (1e-5) bounds the error of w*, hence of the slope, near 1e-5.
  expect(Math.abs(d - closed)).toBeLessThan(1e-4 * Math.abs(closed));
});

it("NotDifferentiableError's @example (src/errors.ts): a run stopped before ∇f = 0 has no derivative", () => {
  let e: unknown = null;
  try {
    grad((s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), mc.zeros([2]), { maxIterations: 0 }).x as Tensor).sum())(vector([1, 2]));
  } catch (err) {
    e = err;
  }
  expect(e).toBeInstanceOf(mc.NotDifferentiableError);
  expect((e as Error).message).toMatch(/^minimize: the run did not converge \(status 'maxIterations'\)/);
});
