// Tensor construction, reading back (toArray, get, item, .data) and .T, on both builds.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  DTypeError, OptionError, ShapeError, Tensor, eye, full, matrix, ones, randn, scalar, tensor, vector, zeros,
} from "../../src/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { colMajor, expectClose, fromCol, randNested, shapeOf, transposeRef, type Mat, type Nested } from "../helpers/reference.js";

describe.each(BUILDS)("constructors ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  describe("numbers and nested arrays", () => {
    it("a number is a rank-0 tensor", () => {
      const s = tensor(2.5);
      expect(s.shape).toEqual([]);
      expect(s.rank).toBe(0);
      expect(s.size).toBe(1);
      expect(s.item()).toBe(2.5);
      expect(s.toArray()).toBe(2.5);
      expect(Array.from(s.data)).toEqual([2.5]);
      expect(scalar(-3).toArray()).toBe(-3);
      expect(scalar(-3).shape).toEqual([]);
    });

    it("a flat array is a vector", () => {
      const v = tensor([1, 2, 3]);
      expect(v.shape).toEqual([3]);
      expect(v.rank).toBe(1);
      expect(v.size).toBe(3);
      expect(v.toArray()).toEqual([1, 2, 3]);
      expect(Array.from(v.data)).toEqual([1, 2, 3]);
      expect(vector([4, 5]).toArray()).toEqual([4, 5]);
      expect(vector(new Float64Array([4, 5, 6])).shape).toEqual([3]);
    });

    it("nested arrays are read row by row and stored column-major", () => {
      const A = tensor([[1, 2, 3], [4, 5, 6]]);
      expect(A.shape).toEqual([2, 3]);
      expect(A.rank).toBe(2);
      expect(A.size).toBe(6);
      expect(Array.from(A.data)).toEqual([1, 4, 2, 5, 3, 6]);
      expect(A.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      const M = matrix([[1, 2], [3, 4], [5, 6]]);
      expect(M.shape).toEqual([3, 2]);
      expect(Array.from(M.data)).toEqual([1, 3, 5, 2, 4, 6]);
    });

    it("a rank-3 nested array: first index fastest in .data", () => {
      // X[i][j][k] = 100 i + 10 j + k, shape [2, 3, 4]
      const X = [0, 1].map((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => 100 * i + 10 * j + k)));
      const t = tensor(X);
      expect(t.shape).toEqual([2, 3, 4]);
      expect(t.rank).toBe(3);
      const d = t.data;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
        expect(d[i + 2 * j + 6 * k]).toBe(100 * i + 10 * j + k);
        expect(t.get(i, j, k)).toBe(100 * i + 10 * j + k);
      }
      expect(t.toArray()).toEqual(X);
    });

    it("empty arrays give zero-size tensors", () => {
      expect(tensor([]).shape).toEqual([0]);
      expect(tensor([]).size).toBe(0);
      expect(tensor([]).toArray()).toEqual([]);
      expect(tensor([[], []]).shape).toEqual([2, 0]);
      expect(tensor([[], []]).toArray()).toEqual([[], []]);
      expect(zeros([0, 3]).toArray()).toEqual([]);
      expect(zeros([3, 0]).toArray()).toEqual([[], [], []]);
    });

    it("special values survive", () => {
      const t = tensor([NaN, Infinity, -Infinity, -0, 1e-310, 1.7976931348623157e308]);
      const a = t.toArray() as number[];
      expect(a[0]).toBeNaN();
      expect(a[1]).toBe(Infinity);
      expect(a[2]).toBe(-Infinity);
      expect(Object.is(a[3], -0)).toBe(true);
      expect(a[4]).toBe(1e-310);
      expect(a[5]).toBe(1.7976931348623157e308);
    });
  });

  describe("typed arrays with a shape", () => {
    it("are read row-major (row by row, last index fastest) by default, as NumPy reads them", () => {
      const t = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
      expect(t.shape).toEqual([2, 3]);
      expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(Array.from(t.data)).toEqual([1, 4, 2, 5, 3, 6]);
      expect(tensor([1, 2, 3, 4, 5, 6], [2, 3]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      // { order: "row" } says the same thing explicitly
      expect(tensor([1, 2, 3, 4, 5, 6], [2, 3], { order: "row" }).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      // rank 3: last index fastest
      const flat = Array.from({ length: 24 }, (_, i) => i);
      const r = tensor(flat, [2, 3, 4]);
      expect(r.toArray()).toEqual([0, 1].map((i) => [0, 1, 2].map((j) => [0, 1, 2, 3].map((k) => 12 * i + 4 * j + k))));
      expect(r.get(1, 2, 3)).toBe(23);
      // a vector is the same either way
      expect(tensor([1, 2, 3], [3]).toArray()).toEqual([1, 2, 3]);
      expect(tensor([1, 2, 3], [3], { order: "col" }).toArray()).toEqual([1, 2, 3]);
    });

    it("are taken as column-major storage with { order: 'col' }, a Float64Array without a copy", () => {
      const src = new Float64Array([1, 4, 2, 5, 3, 6]);
      const t = tensor(src, [2, 3], { order: "col" });
      expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      // zero copy: the array is the tensor's storage (which is why it must not be written to)
      src[0] = 99;
      expect(t.get(0, 0)).toBe(99);
      const r = tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4], { order: "col" });
      expect(r.get(1, 2, 3)).toBe(1 + 2 * 2 + 3 * 6); // first index fastest
      // a plain array (or another typed array) is converted, hence copied
      expect(tensor([1, 4, 2, 5, 3, 6], [2, 3], { order: "col" }).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    });

    it("match NumPy's reading of the same flat data (np.arange(6).reshape(2, 3))", () => {
      // np.arange(6).reshape(2, 3) == [[0, 1, 2], [3, 4, 5]] (NumPy's default order 'C').
      expect(tensor([0, 1, 2, 3, 4, 5], [2, 3]).toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
      // np.arange(6).reshape(2, 3, order='F') == [[0, 2, 4], [1, 3, 5]]
      expect(tensor([0, 1, 2, 3, 4, 5], [2, 3], { order: "col" }).toArray()).toEqual([[0, 2, 4], [1, 3, 5]]);
    });

    it("an unknown order or option is an OptionError", () => {
      expect(() => tensor([1, 2, 3, 4], [2, 2], { order: "C" } as never)).toThrow(OptionError);
      expect(() => tensor([1, 2, 3, 4], [2, 2], { order: "row", copy: false } as never)).toThrow(/unknown option "copy"/);
    });

    it("accept other array-likes (Float32Array, Int32Array, plain arrays, {length})", () => {
      expect(tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
      expect(tensor(new Int32Array([1, 2, 3, 4]), [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
      expect(tensor(new Int32Array([1, 2, 3, 4]), [2, 2], { order: "col" }).toArray()).toEqual([[1, 3], [2, 4]]);
      expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
      expect(tensor({ length: 2, 0: 7, 1: 8 } as ArrayLike<number>, [2]).toArray()).toEqual([7, 8]);
      expect(tensor(new Float64Array([1, 2, 3])).shape).toEqual([3]);
    });

    it("copy their input by default (later writes to the source do not leak in)", () => {
      const src = new Float64Array([1, 2, 3, 4]);
      const t = tensor(src, [2, 2]);
      const v = tensor(src, [4]);
      src[0] = 99;
      expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
      expect(v.toArray()).toEqual([1, 2, 3, 4]);
    });

    it("a size mismatch is a ShapeError", () => {
      expect(() => tensor(new Float64Array(5), [2, 3])).toThrow(ShapeError);
      expect(() => tensor(new Float64Array(6), [2, -3])).toThrow(ShapeError);
      expect(() => tensor(new Float64Array(6), [2, 3.5])).toThrow(ShapeError);
    });

    it("a shape on a number makes a size-1 tensor of that shape", () => {
      const t = tensor(5, [1, 1]);
      expect(t.shape).toEqual([1, 1]);
      expect(t.toArray()).toEqual([[5]]);
      expect(() => tensor(5, [2])).toThrow(ShapeError);
    });
  });

  describe("from other Tensors", () => {
    it("keeps the values (and reshapes column-major when given a shape)", () => {
      const A = matrix([[1, 2, 3], [4, 5, 6]]);
      const B = tensor(A);
      expect(B).toBeInstanceOf(Tensor);
      expect(B.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      const C = tensor(A, [3, 2]);
      expect(C.toArray()).toEqual([[1, 5], [4, 3], [2, 6]]);
      expect(A.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]); // source untouched
    });

    it("a nested array with a shape is reshaped column-major", () => {
      expect(tensor([[1, 2], [3, 4]], [4]).toArray()).toEqual([1, 3, 2, 4]);
    });
  });

  describe("filled constructors", () => {
    it("zeros, ones, full", () => {
      expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
      expect(ones([3]).toArray()).toEqual([1, 1, 1]);
      expect(full([2, 2], -1.5).toArray()).toEqual([[-1.5, -1.5], [-1.5, -1.5]]);
      expect(full([], 7).toArray()).toBe(7);
      expect(zeros([2, 1, 2]).shape).toEqual([2, 1, 2]);
      expect(ones([2, 1, 2]).toArray()).toEqual([[[1, 1]], [[1, 1]]]);
      expect(() => zeros([-1])).toThrow(ShapeError);
      expect(() => ones([1.5])).toThrow(ShapeError);
    });

    it("eye, square and non-square", () => {
      expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
      expect(eye(2, 4).toArray()).toEqual([[1, 0, 0, 0], [0, 1, 0, 0]]);
      expect(eye(4, 2).toArray()).toEqual([[1, 0], [0, 1], [0, 0], [0, 0]]);
      expect(Array.from(eye(3, 2).data)).toEqual([1, 0, 0, 0, 1, 0]);
      expect(eye(0).shape).toEqual([0, 0]);
    });

    it("randn is reproducible from its seed and differs between seeds", () => {
      const a = randn([4, 5], { seed: 42 });
      const b = randn([4, 5], { seed: 42 });
      const c = randn([4, 5], { seed: 43 });
      expect(a.shape).toEqual([4, 5]);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
      for (const v of a.data) expect(Number.isFinite(v)).toBe(true);
      // odd sizes work (Box–Muller makes pairs)
      const odd = randn([7], { seed: 1 });
      expect(odd.size).toBe(7);
      for (const v of odd.data) expect(Number.isFinite(v)).toBe(true);
      expect(new Set(odd.data).size).toBe(7);
      // unseeded calls differ
      expect(Array.from(randn([8]).data)).not.toEqual(Array.from(randn([8]).data));
    });

    it("randn has mean ≈ 0, variance ≈ 1 and normal tails on 1e5 samples", () => {
      const n = 100_000;
      const x = randn([n], { seed: 12345 }).data;
      let s = 0, s2 = 0, within1 = 0, within2 = 0;
      for (const v of x) {
        s += v;
        s2 += v * v;
        if (Math.abs(v) < 1) within1++;
        if (Math.abs(v) < 2) within2++;
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      // standard errors: mean 1/√n ≈ 0.0032, variance √(2/n) ≈ 0.0045; allow ~5σ
      expect(Math.abs(mean)).toBeLessThan(0.016);
      expect(Math.abs(variance - 1)).toBeLessThan(0.023);
      expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
      expect(Math.abs(within2 / n - 0.9545)).toBeLessThan(0.007);
      // the op-level mean agrees with the JS one
      expect(mc.mean(randn([n], { seed: 12345 })).item()).toBeCloseTo(mean, 12);
      // a matrix of samples: the same stream, column-major
      const M = randn([100, 1000], { seed: 7 });
      const cm = M.mean(0).toArray() as number[];
      expect(cm.length).toBe(1000);
      expect(Math.abs(cm.reduce((p, q) => p + q, 0) / 1000)).toBeLessThan(0.016);
    });
  });

  describe("reading back", () => {
    it("toArray round-trips ranks 0 to 3", () => {
      const cases: Nested[] = [
        3.25,
        [1.5, -2, 3],
        [[1, 2, 3], [4, 5, 6]],
        randNested([3, 1], 1),
        randNested([1, 4], 2),
        randNested([2, 3, 4], 3),
        randNested([1, 1, 1], 4),
        randNested([3, 1, 2], 5),
      ];
      for (const x of cases) {
        const t = tensor(x as number);
        expect(t.shape).toEqual(shapeOf(x));
        expect(t.toArray()).toEqual(x);
        expect(Array.from(t.data)).toEqual(colMajor(x));
        // and back in through .data + shape
        expect(tensor(t.data, t.shape, { order: "col" }).toArray()).toEqual(x);
      }
    });

    it("get(i, j) reads row i, column j, with negative indices from the end", () => {
      const A = matrix([[1, 2, 3], [4, 5, 6]]);
      expect(A.get(0, 0)).toBe(1);
      expect(A.get(0, 2)).toBe(3);
      expect(A.get(1, 0)).toBe(4);
      expect(A.get(1, 2)).toBe(6);
      expect(A.get(-1, -1)).toBe(6);
      expect(A.get(-2, -3)).toBe(1);
      expect(A.get(-1, 0)).toBe(4);
      expect(A.get(0, -2)).toBe(2);
      expect(vector([7, 8, 9]).get(-1)).toBe(9);
      expect(scalar(4).get()).toBe(4);
      expect(() => A.get(2, 0)).toThrow(ShapeError);
      expect(() => A.get(0, 3)).toThrow(ShapeError);
      expect(() => A.get(-3, 0)).toThrow(ShapeError);
      expect(() => A.get(0)).toThrow(ShapeError);
      expect(() => A.get(0.5, 0)).toThrow(ShapeError);
      try {
        A.get(5, 0);
        expect.fail("should have thrown");
      } catch (e) {
        expect((e as ShapeError).op).toBe("get");
        expect((e as Error).message).toContain("[2, 3]");
      }
    });

    it("item() needs exactly one entry", () => {
      expect(tensor([[4]]).item()).toBe(4);
      expect(tensor([9]).item()).toBe(9);
      expect(() => tensor([1, 2]).item()).toThrow(ShapeError);
      expect(() => zeros([0]).item()).toThrow(ShapeError);
    });

    it("toString shows the shape and the rows", () => {
      expect(String(matrix([[1, 2], [3, 4]]))).toBe("Tensor [2, 2]\n[[1, 2],\n [3, 4]]"); // more in test/node/format.test.ts
    });
  });

  describe(".T", () => {
    it("transposes matrices (square, wide, tall, row and column vectors)", () => {
      for (const [m, n] of [[2, 2], [2, 3], [5, 3], [1, 4], [4, 1], [17, 33], [64, 65]] as const) {
        const A = randNested([m, n], m * 100 + n) as Mat;
        const T = tensor(A).T;
        expect(T.shape).toEqual([n, m]);
        expect(T.toArray()).toEqual(transposeRef(A));
        expect(T.T.toArray()).toEqual(A);
        expect(Array.from(T.data)).toEqual(colMajor(transposeRef(A)));
      }
    });

    it("returns vectors and scalars unchanged", () => {
      expect(vector([1, 2, 3]).T.toArray()).toEqual([1, 2, 3]);
      expect(vector([1, 2, 3]).T.shape).toEqual([3]);
      expect(scalar(2).T.toArray()).toBe(2);
    });

    it("of a zero-size matrix", () => {
      expect(zeros([0, 3]).T.shape).toEqual([3, 0]);
      expect(zeros([2, 0]).T.toArray()).toEqual([]);
    });
  });

  describe("bad values are typed errors", () => {
    const bad: [string, unknown][] = [
      ["a string", "abc"],
      ["null", null],
      ["undefined", undefined],
      ["a boolean", true],
      ["an object", { a: 1 }],
      ["strings in an array", ["1", "2"]],
      ["null in an array", [1, null]],
      ["an object in an array", [1, {}]],
      ["ragged rows", [[1, 2], [3]]],
      ["ragged depth", [[1, 2], 3]],
      ["a number where a row belongs", [1, [2, 3]]],
      ["ragged rank 3", [[[1], [2]], [[3]]]],
      ["a string in a typed-with-shape array", Object.assign(["1", 2], {})],
    ];
    for (const [what, value] of bad) {
      it(`tensor(${what}) throws DTypeError`, () => {
        let err: unknown;
        try {
          if (what.includes("typed-with-shape")) tensor(value as number[], [2]);
          else tensor(value as number);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DTypeError);
        expect(err).toBeInstanceOf(TypeError);
        expect((err as DTypeError).op).toBe("tensor");
        expect((err as Error).message).toMatch(/^tensor: /);
      });
    }

    it("ragged arrays name the depth and shape", () => {
      expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
      expect(() => tensor([[1, 2], [3]])).toThrow(/\[2, 2\]/);
    });

    it("matrix() refuses non-matrices", () => {
      expect(() => matrix([1, 2] as unknown as number[][])).toThrow(ShapeError);
    });
  });

  it("round-trips .data through fromCol", () => {
    const t = randn([3, 4, 2], { seed: 9 });
    expectClose(t.toArray(), fromCol(t.data, [3, 4, 2]), 0, 0);
  });
});
