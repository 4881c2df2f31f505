import { describe, expect, it } from "vitest";
import { checkGrad, checkGrads, checkHessian, checkJacobian, primitiveForTest, randn, type Tensor } from "./check-imports.js";

describe("gradient checkers", () => {
  it("pass on correct derivatives", () => {
    const x = randn([4], { seed: 1 });
    const f = (x: Tensor) => x.tanh().mul(x).sum();
    expect(checkGrad(f, x).ok).toBe(true);
    expect(checkHessian(f, x).ok).toBe(true);
    expect(checkJacobian((x: Tensor) => x.sin().mul(x.sum()), x).ok).toBe(true);
    const r = checkGrads((x: Tensor) => x.exp().softmax(), [x], { order: 2 });
    expect(r.ok, r.message).toBe(true);
  });
  it("fail on a wrong derivative rule, naming where", () => {
    // A primitive whose JVP is off by 10%: every checker must catch it.
    const bad = primitiveForTest((t, x) => t.mul(x.cos()).mul(1.1));
    const x = randn([3], { seed: 2 });
    const f = (x: Tensor) => bad(x).sum();
    const r = checkGrad(f, x);
    expect(r.ok).toBe(false);
    expect(r.maxError).toBeGreaterThan(0.05);
    expect(r.message).toMatch(/FAILED/);
    expect(checkGrads(f, [x], { order: 1 }).ok).toBe(false);
    expect(checkJacobian((x: Tensor) => bad(x), x).ok).toBe(false);
  });
});
