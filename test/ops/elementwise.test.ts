// Eager elementwise ops (unary, binary with NumPy broadcasting, comparisons, where) against
// plain-JS references, on both builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { Tensor, matrix, scalar, tensor, vector, zeros } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { broadcastShape, expectClose, map, randNested, shapeOf, zipWith, type Nested } from "../helpers/reference.js";

type Unary = (x: mc.TensorLike) => Tensor;
type Binary = (a: mc.TensorLike, b: mc.TensorLike) => Tensor;

const softplusRef = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoidRef = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** [name, op, reference, domain of the random inputs] */
const UNARY: [string, Unary, (x: number) => number, [number, number]][] = [
  ["neg", mc.neg, (x) => -x, [-5, 5]],
  ["abs", mc.abs, Math.abs, [-5, 5]],
  ["sign", mc.sign, Math.sign, [-5, 5]],
  ["square", mc.square, (x) => x * x, [-5, 5]],
  ["sqrt", mc.sqrt, Math.sqrt, [0, 50]],
  ["reciprocal", mc.reciprocal, (x) => 1 / x, [0.1, 5]],
  ["exp", mc.exp, Math.exp, [-20, 20]],
  ["log", mc.log, Math.log, [1e-3, 100]],
  ["log1p", mc.log1p, Math.log1p, [-0.9, 10]],
  ["expm1", mc.expm1, Math.expm1, [-5, 5]],
  ["sin", mc.sin, Math.sin, [-10, 10]],
  ["cos", mc.cos, Math.cos, [-10, 10]],
  ["atan", mc.atan, Math.atan, [-10, 10]],
  ["tanh", mc.tanh, Math.tanh, [-5, 5]],
  ["sigmoid", mc.sigmoid, sigmoidRef, [-20, 20]],
  ["relu", mc.relu, (x) => Math.max(x, 0), [-5, 5]],
  ["softplus", mc.softplus, softplusRef, [-20, 20]],
];

/** Special inputs and what each op must give (NaN must propagate everywhere). */
const SPECIAL: Record<string, [number, number][]> = {
  neg: [[0, -0], [Infinity, -Infinity], [NaN, NaN]],
  abs: [[-0, 0], [-Infinity, Infinity], [NaN, NaN]],
  sign: [[0, 0], [-3, -1], [2, 1], [-Infinity, -1], [Infinity, 1], [NaN, NaN]],
  square: [[1e200, Infinity], [-3, 9], [NaN, NaN]],
  sqrt: [[0, 0], [-1, NaN], [Infinity, Infinity], [4, 2], [NaN, NaN]],
  reciprocal: [[0, Infinity], [-0, -Infinity], [Infinity, 0], [4, 0.25], [NaN, NaN]],
  exp: [[0, 1], [710, Infinity], [-746, 0], [-Infinity, 0], [Infinity, Infinity], [1, Math.E], [NaN, NaN]],
  log: [[0, -Infinity], [-1, NaN], [1, 0], [Infinity, Infinity], [Math.E, 1], [1e-300, Math.log(1e-300)], [NaN, NaN]],
  log1p: [[0, 0], [-1, -Infinity], [-2, NaN], [1e-10, Math.log1p(1e-10)], [1e-300, 1e-300], [NaN, NaN]],
  expm1: [[0, 0], [1e-10, Math.expm1(1e-10)], [-1e-300, -1e-300], [-Infinity, -1], [800, Infinity], [NaN, NaN]],
  sin: [[0, 0], [Math.PI / 2, 1], [1e-300, 1e-300], [Infinity, NaN], [NaN, NaN]],
  cos: [[0, 1], [Math.PI, -1], [Infinity, NaN], [NaN, NaN]],
  atan: [[0, 0], [Infinity, Math.PI / 2], [-Infinity, -Math.PI / 2], [1, Math.PI / 4], [NaN, NaN]],
  tanh: [[0, 0], [30, 1], [-30, -1], [Infinity, 1], [-Infinity, -1], [1e-300, 1e-300], [NaN, NaN]],
  sigmoid: [[0, 0.5], [800, 1], [-800, 0], [Infinity, 1], [-Infinity, 0], [-40, sigmoidRef(-40)], [NaN, NaN]],
  relu: [[-1, 0], [0, 0], [3, 3], [Infinity, Infinity], [-Infinity, 0], [NaN, NaN]],
  softplus: [[0, Math.LN2], [800, 800], [-800, 0], [Infinity, Infinity], [-Infinity, 0], [-40, softplusRef(-40)], [40, 40], [NaN, NaN]],
};

const BINARY: [string, Binary, (a: number, b: number) => number][] = [
  ["add", mc.add, (a, b) => a + b],
  ["sub", mc.sub, (a, b) => a - b],
  ["mul", mc.mul, (a, b) => a * b],
  ["div", mc.div, (a, b) => a / b],
  ["maximum", mc.maximum, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))],
  ["minimum", mc.minimum, (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))],
  ["gt", mc.gt, (a, b) => +(a > b)],
  ["ge", mc.ge, (a, b) => +(a >= b)],
  ["lt", mc.lt, (a, b) => +(a < b)],
  ["le", mc.le, (a, b) => +(a <= b)],
  ["eq", mc.eq, (a, b) => +(a === b)],
  ["ne", mc.ne, (a, b) => +(a !== b)],
];

/** Broadcasting shape pairs: [a, b, expected output]. */
const BROADCAST_IN: [number[], number[]][] = [
  [[], []],
  [[], [3, 4]],
  [[3, 4], []],
  [[5], [5]],
  [[3, 4], [3, 4]],
  [[4], [3, 4]], // a row vector [n] adds to every row of [m, n]
  [[3, 4], [4]],
  [[1, 4], [3, 4]],
  [[3, 1], [3, 4]], // a column [m, 1] adds to every column
  [[3, 4], [3, 1]],
  [[3, 1], [1, 4]], // outer-style → [m, n]
  [[1, 4], [3, 1]],
  [[1, 1], [3, 4]],
  [[2, 3, 4], [3, 4]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [3, 1]],
  [[1, 3, 1], [2, 1, 4]],
  [[2, 3, 4], [2, 1, 1]],
  [[2, 3, 4], [2, 3, 4]],
  [[17, 33], [33]],
  [[33, 1], [1, 17]],
  [[0, 3], [3]],
  [[0, 3], [1, 3]],
];
const BROADCAST: [number[], number[], number[]][] = BROADCAST_IN.map(([a, b]) => [a, b, zipShape(a, b)]);

function zipShape(a: number[], b: number[]): number[] {
  return broadcastShape(a, b)!;
}

/** A nested array with some entries repeated from `other` so eq/ge/le see ties. */
function withTies(x: Nested, y: Nested): Nested {
  if (shapeOf(x).length === 0 || shapeOf(y).length === 0) return x;
  let k = 0;
  return map(x, (v) => (k++ % 3 === 0 ? Math.round(v * 2) / 2 : v));
}

describe.each(BUILDS)("elementwise ops ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    // every top-level call has returned: nothing may be left in the arena
    expect(rt().arena.used).toBe(0);
  });

  describe("unary", () => {
    for (const [name, op, ref, [lo, hi]] of UNARY) {
      it(`${name} matches Math on random inputs of several sizes and ranks`, () => {
        for (const shape of [[], [1], [2], [3], [17], [1000], [4, 5], [3, 2, 5]]) {
          const x = randNested(shape, shape.length * 1000 + (shape[0] ?? 1), lo, hi);
          const y = op(tensor(x as number));
          expect(y.shape).toEqual(shape);
          expectClose(y.toArray(), map(x, ref), 1e-13, 1e-15);
        }
      });

      it(`${name} on special values`, () => {
        const cases = SPECIAL[name]!;
        const y = op(vector(cases.map(([x]) => x))).toArray() as number[];
        cases.forEach(([x, e], i) => {
          if (Number.isNaN(e)) expect(y[i], `${name}(${x})`).toBeNaN();
          else if (!Number.isFinite(e) || e === 0) expect(y[i], `${name}(${x})`).toBe(e);
          else expectClose(y[i], e, 1e-14, 0, `${name}(${x})`);
        });
      });

      it(`${name} as a method agrees with the function, and accepts plain numbers/arrays`, () => {
        const x = randNested([3, 4], 99, lo, hi);
        const t = tensor(x as number);
        const method = (t as unknown as Record<string, () => Tensor>)[name];
        if (typeof method === "function") expect(method.call(t).toArray()).toEqual(op(t).toArray());
        expect(op(x as number[][]).toArray()).toEqual(op(t).toArray());
        const v = (lo + hi) / 2 + 0.25;
        expectClose(op(v).item(), ref(v), 1e-14, 1e-15);
        expect(op(v).shape).toEqual([]);
        // the input is not modified
        expect(t.toArray()).toEqual(x);
      });
    }

    it("expm1 and log1p are accurate for tiny arguments", () => {
      const xs = [1e-5, 1e-8, 1e-12, -1e-9, 3e-16];
      expectClose(mc.expm1(xs).toArray(), xs.map(Math.expm1), 1e-14, 0);
      expectClose(mc.log1p(xs).toArray(), xs.map(Math.log1p), 1e-14, 0);
    });

    it("sigmoid and softplus stay finite and monotone across the whole range", () => {
      const xs = Array.from({ length: 201 }, (_, i) => -1000 + 10 * i);
      const s = mc.sigmoid(xs).toArray() as number[];
      const p = mc.softplus(xs).toArray() as number[];
      for (let i = 0; i < xs.length; i++) {
        expect(Number.isFinite(s[i]!)).toBe(true);
        expect(Number.isFinite(p[i]!)).toBe(true);
        expect(s[i]).toBeGreaterThanOrEqual(0);
        expect(s[i]).toBeLessThanOrEqual(1);
        if (i > 0) expect(p[i]!).toBeGreaterThanOrEqual(p[i - 1]!);
        expectClose(s[i], sigmoidRef(xs[i]!), 1e-14, 1e-300);
        expectClose(p[i], softplusRef(xs[i]!), 1e-14, 1e-300);
      }
    });

    it("works on zero-size tensors", () => {
      expect(mc.exp(zeros([0, 3])).shape).toEqual([0, 3]);
      expect(mc.exp(tensor([])).toArray()).toEqual([]);
    });
  });

  describe("binary with broadcasting", () => {
    for (const [name, op, ref] of BINARY) {
      it(`${name} over ${BROADCAST.length} broadcasting cases`, () => {
        BROADCAST.forEach(([sa, sb, so], k) => {
          if (so.includes(0)) {
            // zero-size operands cannot be written as nested arrays: check the shape only
            expect(op(zeros(sa), zeros(sb)).shape).toEqual(so);
            return;
          }
          const b = randNested(sb, 2 * k + 1, -2, 2);
          const a = withTies(randNested(sa, 2 * k, -2, 2), b);
          const bb = name === "div" ? map(b, (v) => (Math.abs(v) < 0.1 ? v + 0.5 : v)) : b;
          const out = op(tensor(a as number), tensor(bb as number));
          expect(out.shape, `${JSON.stringify(sa)} ⊕ ${JSON.stringify(sb)}`).toEqual(so);
          expectClose(out.toArray(), zipWith([a, bb], ref), 1e-15, 0, `${name} ${JSON.stringify(sa)}⊕${JSON.stringify(sb)}`);
        });
      });
    }

    it("a row vector [n] adds to every row of [m, n] (the bias case)", () => {
      const X = matrix([[1, 2, 3], [10, 20, 30]]);
      expect(X.add([100, 200, 300]).toArray()).toEqual([[101, 202, 303], [110, 220, 330]]);
      expect(mc.add([100, 200, 300], X).toArray()).toEqual([[101, 202, 303], [110, 220, 330]]);
      expect(X.sub([[1], [10]]).toArray()).toEqual([[0, 1, 2], [0, 10, 20]]);
      expect(mc.mul([[1], [2]], [1, 10, 100]).toArray()).toEqual([[1, 10, 100], [2, 20, 200]]);
      expect(mc.div(X, 2).toArray()).toEqual([[0.5, 1, 1.5], [5, 10, 15]]);
      expect(mc.sub(1, X).toArray()).toEqual([[0, -1, -2], [-9, -19, -29]]);
    });

    it("pow matches Math.pow, including integer powers of negatives and 0⁰", () => {
      const a = randNested([4, 5], 11, 0.1, 3);
      const b = randNested([5], 12, -3, 3);
      expectClose(mc.pow(tensor(a as number), tensor(b as number)).toArray(), zipWith([a, b], Math.pow), 1e-13, 0);
      const bases = [-2, -2, 0, 0, 2, -8, 4, Infinity, 1, NaN, 1];
      const exps = [3, 2, 0, -1, 0.5, 1 / 3, -0.5, -1, Infinity, 0, NaN];
      const got = mc.pow(bases, exps).toArray() as number[];
      bases.forEach((x, i) => {
        const e = Math.pow(x, exps[i]!);
        if (Number.isNaN(e)) expect(got[i], `${x}^${exps[i]}`).toBeNaN();
        else expectClose(got[i], e, 1e-15, 0, `${x}^${exps[i]}`);
      });
      expect(mc.pow(tensor([1, 2, 3]), 2).toArray()).toEqual([1, 4, 9]);
      expect(tensor([4, 9]).pow(0.5).toArray()).toEqual([2, 3]);
    });

    it("maximum/minimum propagate NaN; comparisons with NaN follow IEEE", () => {
      const a = [NaN, 1, NaN, -Infinity];
      const b = [1, NaN, NaN, 0];
      const mx = mc.maximum(a, b).toArray() as number[];
      const mn = mc.minimum(a, b).toArray() as number[];
      expect(mx[0]).toBeNaN();
      expect(mx[1]).toBeNaN();
      expect(mx[2]).toBeNaN();
      expect(mx[3]).toBe(0);
      expect(mn[0]).toBeNaN();
      expect(mn[3]).toBe(-Infinity);
      expect(mc.gt(a, b).toArray()).toEqual([0, 0, 0, 0]);
      expect(mc.ge(a, b).toArray()).toEqual([0, 0, 0, 0]);
      expect(mc.lt(a, b).toArray()).toEqual([0, 0, 0, 1]);
      expect(mc.le(a, b).toArray()).toEqual([0, 0, 0, 1]);
      expect(mc.eq(a, b).toArray()).toEqual([0, 0, 0, 0]);
      expect(mc.ne(a, b).toArray()).toEqual([1, 1, 1, 1]); // IEEE: NaN ≠ anything is true
    });

    it("comparisons give exactly 0/1 and broadcast", () => {
      const x = matrix([[1, 2, 3], [3, 2, 1]]);
      expect(mc.gt(x, 2).toArray()).toEqual([[0, 0, 1], [1, 0, 0]]);
      expect(mc.ge(x, [1, 2, 3]).toArray()).toEqual([[1, 1, 1], [1, 1, 0]]);
      expect(mc.lt(x, [[2], [3]]).toArray()).toEqual([[1, 0, 0], [0, 1, 1]]);
      expect(mc.le(2, x).toArray()).toEqual([[0, 1, 1], [1, 1, 0]]);
      expect(mc.eq(x, x.T.T).toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
      expect(mc.ne(x, [3, 2, 1]).toArray()).toEqual([[1, 0, 1], [0, 0, 0]]);
      expect(mc.eq(0, -0).item()).toBe(1);
    });

    it("methods agree with the functions", () => {
      const A = tensor(randNested([3, 4], 5) as number[][]);
      const b = tensor(randNested([4], 6, 0.5, 2) as number[]);
      expect(A.add(b).toArray()).toEqual(mc.add(A, b).toArray());
      expect(A.sub(b).toArray()).toEqual(mc.sub(A, b).toArray());
      expect(A.mul(b).toArray()).toEqual(mc.mul(A, b).toArray());
      expect(A.div(b).toArray()).toEqual(mc.div(A, b).toArray());
      expect(b.pow(b).toArray()).toEqual(mc.pow(b, b).toArray());
      expect(A.maximum(b).toArray()).toEqual(mc.maximum(A, b).toArray());
      expect(A.minimum(b).toArray()).toEqual(mc.minimum(A, b).toArray());
    });

    it("ops accept plain numbers, nested arrays and Float64Arrays for either operand", () => {
      expect(mc.add(1, 2).shape).toEqual([]);
      expect(mc.add(1, 2).item()).toBe(3);
      expect(mc.mul([1, 2, 3], 2).toArray()).toEqual([2, 4, 6]);
      expect(mc.sub([[1, 2]], [[1], [2]]).toArray()).toEqual([[0, 1], [-1, 0]]);
      expect(mc.add(new Float64Array([1, 2]), [10, 20]).toArray()).toEqual([11, 22]);
      expect(vector([1, 2]).add(new Float64Array([1, 1])).toArray()).toEqual([2, 3]);
      expect(scalar(2).mul([[1, 2], [3, 4]]).toArray()).toEqual([[2, 4], [6, 8]]);
    });

    it("large broadcast results are exact (SIMD body and tails)", () => {
      for (const [m, n] of [[129, 131], [1, 1001], [1001, 1], [64, 64]] as const) {
        const col = randNested([m, 1], m, -1, 1);
        const row = randNested([n], n, -1, 1);
        const out = mc.add(tensor(col as number), tensor(row as number));
        expect(out.shape).toEqual([m, n]);
        expectClose(out.toArray(), zipWith([col, row], (a, b) => a + b), 0, 0);
        const prod = mc.mul(tensor(row as number), tensor(col as number));
        expectClose(prod.toArray(), zipWith([row, col], (a, b) => a * b), 0, 0);
      }
    });

    it("high ranks whose dims cannot be merged (alternating broadcast, ranks 9 and 12)", () => {
      for (const r of [9, 12]) {
        const sa = Array.from({ length: r }, (_, i) => (i % 2 ? 1 : 2));
        const sb = Array.from({ length: r }, (_, i) => (i % 2 ? 2 : 1));
        const a = randNested(sa, r), b = randNested(sb, r + 1);
        const out = mc.sub(tensor(a as number), tensor(b as number));
        expect(out.shape).toEqual(sa.map(() => 2));
        expectClose(out.toArray(), zipWith([a, b], (x, y) => x - y), 0, 0, `rank ${r}`);
      }
    });

    it("stopGradient and zerosLike (eager values)", () => {
      const x = tensor(randNested([3, 4], 8) as number[][]);
      expect(mc.stopGradient(x).toArray()).toEqual(x.toArray());
      expect(mc.zerosLike(x).toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
      expect(mc.zerosLike(x).shape).toEqual([3, 4]);
    });

    it("results are JS-owned and independent of the inputs", () => {
      const a = vector([1, 2, 3]);
      const b = a.add(1);
      const c = b.mul(2);
      expect(rt().arena.used).toBe(0);
      expect(a.toArray()).toEqual([1, 2, 3]);
      expect(b.toArray()).toEqual([2, 3, 4]);
      expect(c.toArray()).toEqual([4, 6, 8]);
      // many later calls do not disturb b
      for (let i = 0; i < 50; i++) mc.add(zeros([100]), i);
      expect(b.toArray()).toEqual([2, 3, 4]);
    });
  });

  describe("where", () => {
    it("selects with NumPy broadcasting of condition and both branches", () => {
      const cond = [[1], [0], [1]];
      const a = [10, 20, 30, 40];
      const b = -1;
      const out = mc.where(cond, a, b);
      expect(out.shape).toEqual([3, 4]);
      expect(out.toArray()).toEqual([[10, 20, 30, 40], [-1, -1, -1, -1], [10, 20, 30, 40]]);
      const c3 = randNested([2, 1, 4], 1);
      const a3 = randNested([3, 1], 2);
      const b3 = randNested([2, 3, 4], 3);
      const got = mc.where(mc.gt(tensor(c3 as number), 0), tensor(a3 as number), tensor(b3 as number));
      expect(got.shape).toEqual([2, 3, 4]);
      expectClose(got.toArray(), zipWith([c3, a3, b3], (c, x, y) => (c > 0 ? x : y)), 0, 0);
    });

    it("does not leak Inf/NaN from the branch not taken", () => {
      const out = mc.where([1, 0, 1, 0], [Infinity, NaN, 1, 2], [NaN, -Infinity, 3, 4]).toArray() as number[];
      expect(out[0]).toBe(Infinity);
      expect(out[1]).toBe(-Infinity);
      expect(out[2]).toBe(1);
      expect(out[3]).toBe(4);
    });

    it("any non-zero condition counts as true (including NaN and negatives)", () => {
      expect(mc.where([-2, 0, 0.5, NaN], 1, 0).toArray()).toEqual([1, 0, 1, 1]);
    });

    it("a masked division avoids NaN (the safe-log pattern)", () => {
      const x = vector([0, 1, Math.E, 4]);
      const safe = mc.where(mc.eq(x, 0), 0, mc.log(mc.where(mc.eq(x, 0), 1, x)));
      expectClose(safe.toArray(), [0, 0, 1, Math.log(4)], 1e-15, 0);
    });
  });
});
