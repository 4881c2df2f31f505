// softmax, logSoftmax, logsumexp (stability, axes, keepdims) and method chaining, on both
// builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { matrix, tensor, vector } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { expectClose, matmulRef, randMat, randNested, type Mat } from "../helpers/reference.js";

/** log Σ exp along the last axis of each row, shifted by the max (reference). */
function lseRow(r: readonly number[]): number {
  const m = Math.max(...r);
  return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
}

describe.each(BUILDS)("softmax family and chaining ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.used).toBe(0);
  });

  describe("logsumexp", () => {
    it("over all entries, each axis, negative axes and keepdims", () => {
      const X = randMat(4, 6, 1).map((r) => r.map((v) => 5 * v));
      const all = lseRow(X.flat());
      expectClose(mc.logsumexp(X).item(), all, 1e-14, 0);
      expect(mc.logsumexp(X).shape).toEqual([]);
      expectClose(mc.logsumexp(X, 1).toArray(), X.map(lseRow), 1e-14, 0);
      expectClose(mc.logsumexp(X, -1).toArray(), X.map(lseRow), 1e-14, 0);
      const cols = X[0]!.map((_, j) => lseRow(X.map((r) => r[j]!)));
      expectClose(mc.logsumexp(X, 0).toArray(), cols, 1e-14, 0);
      expectClose(mc.logsumexp(X, 0, true).toArray(), [cols], 1e-14, 0);
      expectClose(mc.logsumexp(X, 1, true).toArray(), X.map((r) => [lseRow(r)]), 1e-14, 0);
      expectClose(tensor(X).logsumexp([0, 1], true).toArray(), [[all]], 1e-14, 0);
      const Y = randNested([2, 3, 4], 2) as number[][][];
      const y02 = [0, 1, 2].map((j) => lseRow(Y.flatMap((a) => a[j]!)));
      expectClose(mc.logsumexp(Y, [0, 2]).toArray(), y02, 1e-14, 0);
    });

    it("is stable for inputs near ±1000 and exact for shifted copies", () => {
      expectClose(mc.logsumexp([1000, 1000]).item(), 1000 + Math.LN2, 1e-15, 0);
      expectClose(mc.logsumexp([-1000, -1000]).item(), -1000 + Math.LN2, 1e-15, 0);
      expectClose(mc.logsumexp([1000, 999, 998]).item(), lseRow([1000, 999, 998]), 1e-15, 0);
      expectClose(mc.logsumexp([1e308, 0]).item(), 1e308, 1e-15, 0);
      const x = randNested([50], 3, -3, 3) as number[];
      expectClose(mc.logsumexp(x.map((v) => v + 1000)).item(), lseRow(x) + 1000, 1e-14, 0);
    });

    it("fully masked entries (−∞) are ignored", () => {
      expectClose(mc.logsumexp([0, -Infinity]).item(), 0, 0, 0);
      expectClose(mc.logsumexp([[1, -Infinity], [2, 3]], 1).toArray(), [1, lseRow([2, 3])], 1e-15, 0);
    });
  });

  describe("softmax and logSoftmax", () => {
    it("rows sum to 1 and match the reference (default axis: the last)", () => {
      const X = randMat(5, 7, 4).map((r) => r.map((v) => 4 * v));
      const P = mc.softmax(X);
      expect(P.shape).toEqual([5, 7]);
      const ref = X.map((r) => r.map((v) => Math.exp(v - lseRow(r))));
      expectClose(P.toArray(), ref, 1e-14, 1e-16);
      for (const s of mc.sum(P, 1).toArray() as number[]) expect(s).toBeCloseTo(1, 14);
      expectClose(mc.logSoftmax(X).toArray(), X.map((r) => r.map((v) => v - lseRow(r))), 1e-14, 1e-14);
      expectClose(tensor(X).softmax().toArray(), ref, 1e-14, 1e-16);
      expectClose(tensor(X).logSoftmax(1).toArray(), X.map((r) => r.map((v) => v - lseRow(r))), 1e-14, 1e-14);
    });

    it("axis 0 makes columns sum to 1", () => {
      const X = randMat(6, 3, 5);
      const P = mc.softmax(X, 0);
      for (const s of mc.sum(P, 0).toArray() as number[]) expect(s).toBeCloseTo(1, 14);
      const colLse = X[0]!.map((_, j) => lseRow(X.map((r) => r[j]!)));
      expectClose(P.toArray(), X.map((r) => r.map((v, j) => Math.exp(v - colLse[j]!))), 1e-14, 1e-16);
      expectClose(mc.logSoftmax(X, 0).toArray(), X.map((r) => r.map((v, j) => v - colLse[j]!)), 1e-14, 1e-14);
    });

    it("is stable for logits around 1000 (no NaN or Inf)", () => {
      // exp(x − lse) at |x| ≈ 1000 carries lse's rounding (ulp(1000) ≈ 1e-13): allow 1e-12
      const p = mc.softmax([1000, 1001, 1002]).toArray() as number[];
      const ref = [1000, 1001, 1002].map((v) => Math.exp(v - lseRow([1000, 1001, 1002])));
      expectClose(p, ref, 1e-12, 0);
      expectClose(mc.softmax([-1000, -1001, -1002]).toArray(), ref.slice().reverse(), 1e-12, 0);
      const ls = mc.logSoftmax([1000, 0]).toArray() as number[];
      expect(ls[0]).toBeCloseTo(0, 15);
      expect(ls[1]).toBeCloseTo(-1000, 12);
      const big = matrix([[1000, 1000, 1000], [-1000, 0, 1000]]);
      const P = big.softmax().toArray() as number[][];
      expectClose(P[0]!, [1 / 3, 1 / 3, 1 / 3], 1e-12, 0);
      expectClose(P[1]!, [0, 0, 1], 0, 1e-300);
      for (const v of P.flat()) expect(Number.isFinite(v)).toBe(true);
    });

    it("vectors, rank 3, masks, and a scalar", () => {
      expectClose(mc.softmax([0, 0, 0, 0]).toArray(), [0.25, 0.25, 0.25, 0.25], 1e-15, 0);
      expectClose(mc.softmax([0, -Infinity, 0]).toArray(), [0.5, 0, 0.5], 1e-15, 0);
      const Y = randNested([2, 3, 4], 6) as number[][][];
      const P = mc.softmax(Y).toArray() as number[][][];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
        expectClose(P[i]![j]!, Y[i]![j]!.map((v) => Math.exp(v - lseRow(Y[i]![j]!))), 1e-14, 1e-16);
      }
      expect(mc.softmax(3).item()).toBe(1);
      expect(mc.logSoftmax(3).item()).toBe(0);
    });
  });

  describe("method chaining and plain inputs", () => {
    it("A.matmul(x).add(b).tanh().sum() equals the reference", () => {
      const A = randMat(7, 5, 1), x = randNested([5], 2) as number[], b = randNested([7], 3) as number[];
      const got = tensor(A).matmul(x).add(b).tanh().sum();
      const ref = matmulRef(A, x.map((v) => [v])).reduce((s, r, i) => s + Math.tanh(r[0]! + b[i]!), 0);
      expect(got.shape).toEqual([]);
      expectClose(got.item(), ref, 1e-14, 1e-15);
    });

    it("a two-layer network forward pass (batch rows + bias broadcast)", () => {
      const X = randMat(8, 4, 10), W1 = randMat(4, 6, 11), b1 = randNested([6], 12) as number[];
      const W2 = randMat(6, 3, 13), b2 = randNested([3], 14) as number[];
      const out = tensor(X).matmul(W1).add(b1).relu().matmul(W2).add(b2).logSoftmax().mean();
      const H = matmulRef(X, W1).map((r) => r.map((v, j) => Math.max(v + b1[j]!, 0)));
      const Z = matmulRef(H, W2).map((r) => r.map((v, j) => v + b2[j]!));
      const ref = Z.flatMap((r) => r.map((v) => v - lseRow(r))).reduce((s, v) => s + v, 0) / 24;
      expectClose(out.item(), ref, 1e-13, 1e-15);
    });

    it("long chains of methods on one tensor", () => {
      const v = vector([0.5, 1, 1.5, 2]);
      const got = v.square().sqrt().exp().log().sin().cos().atan().sigmoid().softplus().neg().abs().sum().item();
      const ref = [0.5, 1, 1.5, 2].reduce((s, a) => {
        const t = Math.atan(Math.cos(Math.sin(Math.log(Math.exp(Math.sqrt(a * a))))));
        const sg = 1 / (1 + Math.exp(-t));
        return s + Math.abs(-Math.log1p(Math.exp(sg)));
      }, 0);
      expectClose(got, ref, 1e-14, 0);
      const M = matrix([[1, 2], [3, 4]]);
      expect(M.T.matmul(M).trace().item()).toBe(30);
      expect(M.sub(M.T).abs().max().item()).toBe(1);
      expect(M.reshape([4]).vec().dot([1, 1, 1, 1]).item()).toBe(10);
      expect(M.diag().outer([1, 2]).toArray()).toEqual([[1, 2], [4, 8]]);
      expect(M.mul(2).div([[2]]).pow(2).toArray()).toEqual([[1, 4], [9, 16]]);
    });

    it("every op takes nested arrays / numbers in place of tensors", () => {
      expect(mc.matmul([[1, 2], [3, 4]], [1, 1]).toArray()).toEqual([3, 7]);
      expect(mc.trace([[1, 2], [3, 4]]).item()).toBe(5);
      expect(mc.kron([[1]], [[2]]).toArray()).toEqual([[2]]);
      expect(mc.outer([1], [2]).toArray()).toEqual([[2]]);
      expect(mc.concat([[1], 2 as unknown as number[]].map((x) => (typeof x === "number" ? [x] : x))).toArray()).toEqual([1, 2]);
      expect(mc.where(1, 2, 3).item()).toBe(2);
      expect(mc.norm([3, 4]).item()).toBe(5);
      expect(mc.softmax([0, 0]).toArray()).toEqual([0.5, 0.5]);
      expect(mc.sum(new Float64Array([1, 2, 3])).item()).toBe(6);
      expect(mc.exp(0).item()).toBe(1);
    });
  });
});
