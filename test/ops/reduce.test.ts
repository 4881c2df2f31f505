// Reductions (sum, mean, max) over all entries, single axes, negative axes, several axes and
// with keepdims, against plain-JS references, on both builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { ShapeError, Tensor, matrix, tensor, vector, zeros } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { expectClose, maxRef, meanRef, randNested, sumRef, type Nested } from "../helpers/reference.js";

type Reduce = (x: mc.TensorLike, axis?: number | readonly number[], keepdims?: boolean) => Tensor;

const OPS: [string, Reduce, (a: Nested, axes?: number | readonly number[], keep?: boolean) => Nested][] = [
  ["sum", mc.sum, sumRef],
  ["mean", mc.mean, meanRef],
  ["max", mc.max, maxRef],
];

const CASES: [number[], (number | number[] | undefined)[]][] = [
  [[7], [undefined, 0, -1, [0]]],
  [[1000], [undefined, 0]],
  [[3, 4], [undefined, 0, 1, -1, -2, [0, 1], [1, 0], [-1, 0]]],
  [[17, 33], [undefined, 0, 1]],
  [[1, 5], [0, 1]],
  [[5, 1], [0, 1]],
  [[3, 4, 5], [undefined, 0, 1, 2, -1, -3, [0, 1], [1, 2], [0, 2], [2, 0], [-1, -3], [0, 1, 2]]],
  [[2, 3, 4, 5], [[0, 2], [1, 3], [0, 1, 3], 3]],
];

describe.each(BUILDS)("reductions ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.used).toBe(0);
  });

  for (const [name, op, ref] of OPS) {
    it(`${name}: all entries, every axis, negative axes, several axes, keepdims`, () => {
      CASES.forEach(([shape, axesList], k) => {
        const x = randNested(shape, 31 * k + 7, -3, 3);
        const t = tensor(x as number);
        for (const axes of axesList) {
          for (const keep of [false, true]) {
            const got = op(t, axes, keep);
            const want = ref(x, axes, keep);
            const label = `${name}(${JSON.stringify(shape)}, ${JSON.stringify(axes)}, keepdims=${keep})`;
            if (typeof want === "number") {
              expect(got.shape, label).toEqual(keep ? shape.map(() => 1) : []);
              if (keep) expectClose(got.toArray(), [want].flat() as Nested, 1e-13, 1e-13, label);
              else expectClose(got.item(), want, 1e-13, 1e-13, label);
            } else {
              expectClose(got.toArray(), want, 1e-13, 1e-13, label);
            }
          }
        }
      });
    });
  }

  it("keepdims keeps size-1 axes so the result broadcasts back", () => {
    const X = matrix([[1, 2, 3], [4, 5, 6]]);
    expect(X.sum(0, true).shape).toEqual([1, 3]);
    expect(X.sum(1, true).shape).toEqual([2, 1]);
    expect(X.sum(undefined, true).shape).toEqual([1, 1]);
    expect(X.sub(X.mean(1, true)).toArray()).toEqual([[-1, 0, 1], [-1, 0, 1]]);
    expect(X.sub(X.mean(0, true)).toArray()).toEqual([[-1.5, -1.5, -1.5], [1.5, 1.5, 1.5]]);
    expect(X.div(X.max(1, true)).toArray()).toEqual([[1 / 3, 2 / 3, 1], [4 / 6, 5 / 6, 1]]);
    const Y = tensor(randNested([2, 3, 4], 1) as number[][][]);
    expect(Y.sum([0, 2], true).shape).toEqual([1, 3, 1]);
    expect(Y.max([-1], true).shape).toEqual([2, 3, 1]);
  });

  it("methods agree with the functions and hand-computed values", () => {
    const X = matrix([[1, 2, 3], [4, 5, 6]]);
    expect(X.sum().item()).toBe(21);
    expect(X.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(X.sum(1).toArray()).toEqual([6, 15]);
    expect(X.sum(-1).toArray()).toEqual([6, 15]);
    expect(X.mean().item()).toBe(3.5);
    expect(X.mean(0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(X.mean(1).toArray()).toEqual([2, 5]);
    expect(X.max().item()).toBe(6);
    expect(X.max(0).toArray()).toEqual([4, 5, 6]);
    expect(X.max(1).toArray()).toEqual([3, 6]);
    expect(mc.sum([[1, 2], [3, 4]], [0, 1]).item()).toBe(10);
    expect(mc.max([-5, -2, -9]).item()).toBe(-2);
    expect(mc.sum(3).item()).toBe(3);
    expect(mc.mean(3).item()).toBe(3);
  });

  it("duplicate axes count once; an empty axis list reduces nothing", () => {
    const X = tensor(randNested([3, 4], 3) as number[][]);
    expectClose(mc.sum(X, [1, 1, -1]).toArray(), sumRef(X.toArray(), 1), 1e-14, 1e-14);
    expect(mc.sum(X, []).toArray()).toEqual(X.toArray());
    expect(mc.mean(X, []).toArray()).toEqual(X.toArray());
    expect(mc.max(X, []).toArray()).toEqual(X.toArray());
  });

  it("max propagates NaN and handles ±Infinity", () => {
    expect(mc.max([1, NaN, 3]).item()).toBeNaN();
    expect(mc.max([-Infinity, -Infinity]).item()).toBe(-Infinity);
    expect(mc.max([1, Infinity]).item()).toBe(Infinity);
    const m = mc.max([[1, NaN], [3, 4]], 0).toArray() as number[];
    expect(m[0]).toBe(3);
    expect(m[1]).toBeNaN();
    const r = mc.max([[1, NaN], [3, 4]], 1).toArray() as number[];
    expect(r[0]).toBeNaN();
    expect(r[1]).toBe(4);
    expect(mc.sum([1, NaN]).item()).toBeNaN();
  });

  it("sum is accurate on long vectors (error well below n·ε)", () => {
    const n = 1_000_003;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = 0.1 + (i % 7) * 1e-3;
    // exact-ish reference: Neumaier summation
    let s = 0, c = 0;
    for (const v of x) {
      const t = s + v;
      c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
      s = t;
    }
    const ref = s + c;
    expectClose(mc.sum(vector(x)).item(), ref, 1e-13, 0);
    expectClose(mc.mean(vector(x)).item(), ref / n, 1e-13, 0);
    // and along an axis of a long-thin matrix
    const M = tensor(x.subarray(0, 1_000_000), [1000, 1000], { order: "col" });
    const cols = mc.sum(M, 0).toArray() as number[];
    for (let j = 0; j < 1000; j += 97) {
      let cs = 0;
      for (let i = 0; i < 1000; i++) cs += x[i + 1000 * j]!;
      expectClose(cols[j], cs, 1e-13, 0, `column ${j}`);
    }
  });

  it("zero-size reductions: sum 0, mean NaN, max over an empty axis is a ShapeError", () => {
    expect(mc.sum(zeros([0])).item()).toBe(0);
    expect(mc.sum(zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    expect(mc.sum(zeros([3, 0]), 1).toArray()).toEqual([0, 0, 0]);
    expect(mc.mean(zeros([0])).item()).toBeNaN();
    expect(() => mc.max(zeros([0]))).toThrow(ShapeError);
    expect(() => mc.max(zeros([0, 3]), 0)).toThrow(ShapeError);
    expect(mc.max(zeros([0, 3]), 1).shape).toEqual([0]);
  });

  describe("bad axes are ShapeErrors naming the op and the shape", () => {
    const X = tensor(randNested([2, 3], 1) as number[][]);
    for (const [name, op] of [...OPS.map(([n, o]) => [n, o] as const), ["logsumexp", mc.logsumexp] as const]) {
      it(name, () => {
        for (const axis of [2, -3, 0.5, [0, 5], NaN]) {
          let err: unknown;
          try {
            op(X, axis as number);
          } catch (e) {
            err = e;
          }
          expect(err, `${name} axis ${String(axis)}`).toBeInstanceOf(ShapeError);
          expect((err as ShapeError).op).toBe(name);
          expect((err as Error).message).toContain(name);
          expect((err as Error).message).toContain("[2, 3]");
          expect(rt().arena.used).toBe(0);
        }
        // and the next call works
        expectClose(op(X, 0).toArray(), name === "logsumexp" ? (X.toArray() as number[][])[0]!.map((_, j) =>
          Math.log((X.toArray() as number[][]).reduce((s, r) => s + Math.exp(r[j]!), 0))) : OPS.find(([n]) => n === name)![2](X.toArray(), 0), 1e-14, 1e-14);
      });
    }
  });
});
