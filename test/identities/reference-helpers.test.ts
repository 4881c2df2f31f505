// The reference side of the identity tests must itself be right, and the comparisons must be
// able to fail. Hand-computed values only here; no matcalc derivatives.
import { describe, expect, it } from "vitest";
import { matrix, type Tensor } from "../../src/index.js";
import * as mc from "../../src/index.js";
import {
  commutation, det, detLeibniz, expectClose, expectJacobian, gaussians, inv, invAdjugate, kron, matmul, solve,
  transpose, unvec, useKernels, vecOf,
} from "./helpers.js";

useKernels();

describe("reference helpers", () => {
  it("solve, inv, det on hand-checked 3×3 values", () => {
    const A = [[2, 1, 0], [1, 3, 1], [0, 1, 4]];
    expect(det(A)).toBeCloseTo(18, 13); // 2(12 − 1) − 1(4 − 0) = 18
    expectClose(solve(A, [3, 5, 5]), [1, 1, 1], { rtol: 1e-14 });
    expectClose(matmul(A, inv(A)), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], { atol: 1e-15 });
    expect(det([[0, 1], [1, 0]])).toBe(-1); // a pivot swap flips the sign
  });

  it("kron, vec, unvec and the commutation matrix on small hand values", () => {
    expect(kron([[1, 2]], [[0, 1], [1, 0]])).toEqual([[0, 1, 0, 2], [1, 0, 2, 0]]);
    expect(vecOf([[1, 2, 3], [4, 5, 6]])).toEqual([1, 4, 2, 5, 3, 6]);
    expect(unvec([1, 4, 2, 5, 3, 6], 2, 3)).toEqual([[1, 2, 3], [4, 5, 6]]);
    const K = commutation(2, 3);
    expect(K.map((r) => r.reduce((s, v, j) => s + v * vecOf([[1, 2, 3], [4, 5, 6]])[j]!, 0))).toEqual(vecOf(transpose([[1, 2, 3], [4, 5, 6]])));
  });

  it("the seeded generator is reproducible and roughly standard normal", () => {
    expect(gaussians(5, 7)).toEqual(gaussians(5, 7));
    const g = gaussians(4000, 1);
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    const varc = g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(varc - 1)).toBeLessThan(0.08);
  });

  it("primitive-built det and inverse agree with hand values", () => {
    const A = [[2, 1, 0], [1, 3, 1], [0, 1, 4]];
    expectClose(detLeibniz(matrix(A)), 18, { rtol: 1e-14 });
    expectClose(invAdjugate(matrix(A)), inv(A), { rtol: 1e-14 });
    expectClose(detLeibniz(matrix([[1, 2, 3, 4], [0, 1, 0, 0], [0, 0, 2, 0], [1, 0, 0, 1]])), det([[1, 2, 3, 4], [0, 1, 0, 0], [0, 0, 2, 0], [1, 0, 0, 1]]), { rtol: 1e-14 });
  });
});

describe("the comparisons can fail", () => {
  it("expectClose rejects a wrong shape, a relative error above rtol, and NaN", () => {
    expect(() => expectClose([1, 2, 3], [[1, 2, 3]])).toThrow();
    expect(() => expectClose(matrix([[1, 2]]) as Tensor, [1, 2])).toThrow();
    expect(() => expectClose([1, 2 + 1e-8], [1, 2])).toThrow();
    expect(() => expectClose([1, Number.NaN], [1, 2])).toThrow();
    expect(() => expectClose([0, 1e-9], [0, 0])).toThrow();
    expectClose([1, 2 + 1e-11], [1, 2]);
  });

  it("expectJacobian rejects the transposed (wrong-layout) Jacobian", () => {
    const A = [[1, 2, 3], [4, 5, 6]];
    const f = (x: Tensor) => mc.matmul(matrix(A), x);
    expectJacobian(f, [mc.vector([1, 1, 1])], A);
    expect(() => expectJacobian(f, [mc.vector([1, 1, 1])], transpose(A))).toThrow();
    const S = [[1, 2], [3, 4]]; // square: same shape, wrong entries
    expect(() => expectJacobian((x: Tensor) => mc.matmul(matrix(S), x), [mc.vector([1, 1])], transpose(S))).toThrow();
  });
});
