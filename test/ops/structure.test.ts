// Structural ops: reshape (column-major), vec, transpose, slice, concat, diag, trace,
// broadcastTo, against plain-JS references, on both builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { ShapeError, matrix, scalar, tensor, vector, zeros } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import {
  at, build, colMajor, expectClose, randNested, reshapeCol, shapeOf, transposeRef, type Mat, type Nested,
} from "../helpers/reference.js";

/** Reference slice: the box [start, start + size) of a nested array. */
function sliceRef(x: Nested, start: number[], size: number[]): Nested {
  return build(size, (idx) => at(x, idx.map((v, d) => v + start[d]!)));
}

/** Reference concat along `axis`. */
function concatRef(xs: Nested[], axis: number): Nested {
  const shapes = xs.map(shapeOf);
  const out = [...shapes[0]!];
  out[axis] = shapes.reduce((n, s) => n + s[axis]!, 0);
  return build(out, (idx) => {
    let i = idx[axis]!;
    let k = 0;
    while (i >= shapes[k]![axis]!) i -= shapes[k++]![axis]!;
    const j = [...idx];
    j[axis] = i;
    return at(xs[k]!, j);
  });
}

function shapeErrorOf(fn: () => unknown): ShapeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ShapeError);
    return e as ShapeError;
  }
  return expect.fail("expected a ShapeError");
}

describe.each(BUILDS)("structural ops ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.used).toBe(0);
  });

  describe("reshape", () => {
    it("reads entries column-major (first index fastest)", () => {
      const A = matrix([[1, 2, 3], [4, 5, 6]]);
      expect(A.reshape([3, 2]).toArray()).toEqual([[1, 5], [4, 3], [2, 6]]);
      expect(A.reshape([6]).toArray()).toEqual([1, 4, 2, 5, 3, 6]);
      expect(A.reshape([1, 6]).toArray()).toEqual([[1, 4, 2, 5, 3, 6]]);
      expect(A.reshape([6, 1]).toArray()).toEqual([[1], [4], [2], [5], [3], [6]]);
      expect(vector([1, 2, 3, 4, 5, 6]).reshape([2, 3]).toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
      expect(A.reshape([2, 3]).toArray()).toEqual(A.toArray());
      expect(mc.reshape([[7]], []).toArray()).toBe(7);
      expect(scalar(7).reshape([1, 1, 1]).toArray()).toEqual([[[7]]]);
    });

    it("matches a column-major reference for ranks 1–4", () => {
      const x = randNested([2, 3, 4], 5);
      for (const s of [[24], [4, 6], [6, 4], [2, 12], [3, 2, 4], [4, 3, 2], [2, 2, 2, 3], [1, 24, 1]]) {
        const got = tensor(x as number).reshape(s);
        expect(got.shape).toEqual(s);
        expect(got.toArray()).toEqual(reshapeCol(x, s));
        expect(Array.from(got.data)).toEqual(colMajor(x)); // a reshape never moves entries
      }
    });

    it("infers one -1 extent", () => {
      const A = tensor(randNested([4, 6], 2) as number[][]);
      expect(A.reshape([-1]).shape).toEqual([24]);
      expect(A.reshape([3, -1]).shape).toEqual([3, 8]);
      expect(A.reshape([-1, 12]).shape).toEqual([2, 12]);
      expect(A.reshape([2, -1, 3]).shape).toEqual([2, 4, 3]);
      expect(A.reshape([-1, 4]).toArray()).toEqual(reshapeCol(A.toArray(), [6, 4]));
      expect(zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
    });

    it("bad reshapes are ShapeErrors naming reshape and the shape", () => {
      const A = zeros([2, 3]);
      for (const s of [[4], [7], [5, -1], [-1, -1], [2, 3, 2], [-2, -3], [0, -1], [2.5, 2]]) {
        const e = shapeErrorOf(() => A.reshape(s));
        expect(e.op, JSON.stringify(s)).toBe("reshape");
        expect(e.message).toMatch(/^reshape: /);
        expect(rt().arena.used).toBe(0);
      }
      expect(shapeErrorOf(() => A.reshape([4])).message).toContain("[2, 3]");
      expect(shapeErrorOf(() => A.reshape([4])).message).toContain("[4]");
      expect(A.reshape([3, 2]).shape).toEqual([3, 2]); // the next call works
    });
  });

  describe("vec", () => {
    it("stacks columns", () => {
      expect(mc.vec([[1, 2], [3, 4]]).toArray()).toEqual([1, 3, 2, 4]);
      expect(matrix([[1, 2, 3], [4, 5, 6]]).vec().toArray()).toEqual([1, 4, 2, 5, 3, 6]);
      const X = randNested([5, 7], 3) as Mat;
      expect(mc.vec(X).toArray()).toEqual(transposeRef(X).flat());
      expect(mc.vec(3).toArray()).toEqual([3]);
      expect(mc.vec([1, 2]).toArray()).toEqual([1, 2]);
      expect(mc.vec(randNested([2, 3, 4], 1) as number[][][]).shape).toEqual([24]);
    });
  });

  describe("transpose", () => {
    it("function form on all matrix shapes", () => {
      for (const [m, n] of [[1, 1], [3, 5], [5, 3], [1, 7], [7, 1], [33, 17], [128, 129]] as const) {
        const A = randNested([m, n], m + n) as Mat;
        expect(mc.transpose(A).toArray()).toEqual(transposeRef(A));
      }
      expect(mc.transpose([1, 2, 3]).toArray()).toEqual([1, 2, 3]);
      expect(mc.transpose(5).toArray()).toBe(5);
    });

    it("rank 3 is a ShapeError", () => {
      const e = shapeErrorOf(() => mc.transpose(zeros([2, 3, 4])));
      expect(e.op).toBe("transpose");
      expect(e.message).toContain("[2, 3, 4]");
    });
  });

  describe("slice", () => {
    it("takes a box (start, size) with -1 meaning to the end", () => {
      const A = matrix([[1, 2, 3], [4, 5, 6]]);
      expect(mc.slice(A, [0, 1], [2, 2]).toArray()).toEqual([[2, 3], [5, 6]]);
      expect(mc.slice(A, [1, 0], [1, 3]).toArray()).toEqual([[4, 5, 6]]);
      expect(mc.slice(A, [0, 2], [-1, 1]).toArray()).toEqual([[3], [6]]);
      expect(mc.slice(A, [1, 1]).toArray()).toEqual([[5, 6]]);
      expect(mc.slice(A, [0, 0], [-1, -1]).toArray()).toEqual(A.toArray());
      expect(mc.slice(A, [1, 1], [0, 2]).shape).toEqual([0, 2]);
      expect(mc.slice([1, 2, 3, 4, 5], [1], [3]).toArray()).toEqual([2, 3, 4]);
      expect(mc.slice([1, 2, 3, 4, 5], [5], [0]).toArray()).toEqual([]);
    });

    it("matches a reference on rank 3 and on larger matrices", () => {
      const x = randNested([4, 5, 6], 8);
      const boxes: [number[], number[]][] = [
        [[0, 0, 0], [4, 5, 6]], [[1, 2, 3], [2, 2, 2]], [[3, 0, 5], [1, 5, 1]], [[0, 4, 0], [4, 1, 6]], [[2, 1, 0], [2, 3, 6]],
      ];
      for (const [start, size] of boxes) {
        expect(mc.slice(tensor(x as number), start, size).toArray()).toEqual(sliceRef(x, start, size));
      }
      const M = randNested([67, 45], 9);
      expect(mc.slice(tensor(M as number), [13, 7], [40, 31]).toArray()).toEqual(sliceRef(M, [13, 7], [40, 31]));
    });

    // The copies move runs of entries contiguous in both tensors, merged across dimensions of
    // extent 1 and whole leading dimensions: every box of shapes built to merge (and not).
    it("every box of tensors with unit and whole dimensions, and its cotangent, match a reference", () => {
      const boxes = (shape: number[]): [number[], number[]][] => {
        let out: [number[], number[]][] = [[[], []]];
        for (const s of shape) {
          const next: [number[], number[]][] = [];
          for (const [st, sz] of out) for (let a = 0; a <= s; a++) for (let b = 0; a + b <= s; b++) next.push([[...st, a], [...sz, b]]);
          out = next;
        }
        return out;
      };
      for (const shape of [[1, 6], [5, 1], [3, 1, 4], [1, 2, 1, 3], [2, 3, 1], [4, 3]]) {
        const x = randNested(shape, shape.length * 10 + shape[0]!);
        const X = tensor(x as number);
        for (const [start, size] of boxes(shape)) {
          const got = mc.slice(X, start, size);
          expect(got.toArray(), `${shape} box ${start} ${size}`).toEqual(sliceRef(x, start, size));
          if (size.some((s) => s === 0)) continue;
          // d/dX Σ slice(X)∘W is W placed in the box (pad), zero elsewhere; two slices of the
          // same box add their cotangents into one accumulator.
          const w = randNested(size, 3);
          const W = tensor(w as number);
          const g = mc.grad((z: mc.Tensor) => mc.slice(z, start, size).mul(W).sum().add(mc.slice(z, start, size).mul(W).sum()))(X);
          const want = build(shape, (idx) => (idx.every((v, d) => v >= start[d]! && v < start[d]! + size[d]!) ? 2 * at(w, idx.map((v, d) => v - start[d]!)) : 0));
          expect(g.toArray(), `${shape} cotangent of box ${start} ${size}`).toEqual(want);
        }
      }
    });

    it("a bad box is a ShapeError naming slice and the shape", () => {
      const A = zeros([2, 3]);
      const bad: [number[], number[] | undefined][] = [
        [[0, 0], [3, 1]], [[0, 2], [1, 2]], [[-1, 0], [1, 1]], [[0, 0], [1, -2]], [[0], [1]], [[0, 0, 0], [1, 1, 1]], [[2, 4], undefined],
      ];
      for (const [start, size] of bad) {
        const e = shapeErrorOf(() => mc.slice(A, start, size));
        expect(e.op, `${JSON.stringify(start)} ${JSON.stringify(size)}`).toBe("slice");
        expect(e.message).toContain("[2, 3]");
        expect(rt().arena.used).toBe(0);
      }
      expect(mc.slice(matrix([[1, 2, 3], [4, 5, 6]]), [1, 2], [1, 1]).toArray()).toEqual([[6]]);
    });
  });

  describe("concat", () => {
    it("joins along axis 0 and axis 1", () => {
      const A = matrix([[1, 2], [3, 4]]);
      const B = matrix([[5, 6]]);
      const C = matrix([[7], [8]]);
      expect(mc.concat([A, B]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(mc.concat([A, B], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(mc.concat([A, C], 1).toArray()).toEqual([[1, 2, 7], [3, 4, 8]]);
      expect(mc.concat([C, A, C], 1).toArray()).toEqual([[7, 1, 2, 7], [8, 3, 4, 8]]);
      expect(mc.concat([A, C], -1).toArray()).toEqual([[1, 2, 7], [3, 4, 8]]);
      expect(mc.concat([[1, 2], [3], [4, 5, 6]]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(mc.concat([A]).toArray()).toEqual(A.toArray());
      expect(mc.concat([zeros([0, 2]), A], 0).toArray()).toEqual(A.toArray());
    });

    it("matches a reference for larger and rank-3 operands", () => {
      const parts0 = [randNested([3, 17], 1), randNested([20, 17], 2), randNested([1, 17], 3)];
      expect(mc.concat(parts0.map((p) => tensor(p as number)), 0).toArray()).toEqual(concatRef(parts0, 0));
      const parts1 = [randNested([9, 5], 4), randNested([9, 33], 5)];
      expect(mc.concat(parts1.map((p) => tensor(p as number)), 1).toArray()).toEqual(concatRef(parts1, 1));
      for (const axis of [0, 1, 2]) {
        const shapes = [[2, 3, 4], [2, 3, 4]].map((s, k) => s.map((d, i) => (i === axis ? d + k : d)));
        const parts = shapes.map((s, k) => randNested(s, 10 * axis + k));
        expect(mc.concat(parts.map((p) => tensor(p as number)), axis).toArray()).toEqual(concatRef(parts, axis));
      }
    });

    it("a mismatch is a ShapeError naming concat and the shapes", () => {
      const e = shapeErrorOf(() => mc.concat([zeros([2, 3]), zeros([2, 4])], 0));
      expect(e.op).toBe("concat");
      expect(e.message).toContain("[2, 3]");
      expect(e.message).toContain("[2, 4]");
      const e1 = shapeErrorOf(() => mc.concat([zeros([2, 3]), zeros([3, 3])], 1));
      expect(e1.op).toBe("concat");
      expect(e1.message).toContain("[3, 3]");
      expect(shapeErrorOf(() => mc.concat([zeros([2, 3]), zeros([6])])).op).toBe("concat");
      expect(shapeErrorOf(() => mc.concat([zeros([2, 3]), zeros([2, 3])], 2)).op).toBe("concat");
      expect(shapeErrorOf(() => mc.concat([zeros([2, 3]), zeros([2, 3])], -3)).op).toBe("concat");
      expect(shapeErrorOf(() => mc.concat([])).op).toBe("concat");
      expect(rt().arena.used).toBe(0);
      expect(mc.concat([[1], [2]]).toArray()).toEqual([1, 2]);
    });
  });

  describe("diag and trace", () => {
    it("diag of a vector is a diagonal matrix", () => {
      expect(mc.diag([1, 2, 3]).toArray()).toEqual([[1, 0, 0], [0, 2, 0], [0, 0, 3]]);
      expect(vector([5]).diag().toArray()).toEqual([[5]]);
      expect(mc.diag([]).shape).toEqual([0, 0]);
    });

    it("diag of a matrix is its diagonal (square and non-square)", () => {
      expect(mc.diag([[1, 2], [3, 4]]).toArray()).toEqual([1, 4]);
      expect(mc.diag([[1, 2, 3, 4], [5, 6, 7, 8]]).toArray()).toEqual([1, 6]);
      expect(mc.diag([[1, 2], [3, 4], [5, 6], [7, 8]]).toArray()).toEqual([1, 4]);
      expect(matrix([[1, 2, 3]]).diag().toArray()).toEqual([1]);
      const A = randNested([9, 13], 4) as Mat;
      expect(mc.diag(A).toArray()).toEqual(A.slice(0, 9).map((r, i) => r[i]!));
      // round trip
      const d = [3, -1, 2.5, 7];
      expect(mc.diag(mc.diag(d)).toArray()).toEqual(d);
    });

    it("diag of a scalar or rank 3 is a ShapeError", () => {
      expect(shapeErrorOf(() => mc.diag(3)).op).toBe("diag");
      expect(shapeErrorOf(() => mc.diag(zeros([2, 2, 2]))).op).toBe("diag");
    });

    it("trace", () => {
      expect(mc.trace([[1, 2], [3, 4]]).item()).toBe(5);
      expect(mc.trace([[1, 2], [3, 4]]).shape).toEqual([]);
      const A = randNested([31, 31], 6) as Mat;
      expectClose(tensor(A).trace().item(), A.reduce((s, r, i) => s + r[i]!, 0), 1e-14, 1e-14);
      const e = shapeErrorOf(() => mc.trace(zeros([2, 3])));
      expect(e.op).toBe("trace");
      expect(e.message).toContain("[2, 3]");
      expect(shapeErrorOf(() => mc.trace([1, 2])).op).toBe("trace");
    });
  });

  describe("broadcastTo", () => {
    it("repeats along broadcast dims and refuses to shrink", () => {
      expect(mc.broadcastTo([1, 2], [3, 2]).toArray()).toEqual([[1, 2], [1, 2], [1, 2]]);
      expect(mc.broadcastTo([[1], [2]], [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
      expect(mc.broadcastTo(4, [2, 2]).toArray()).toEqual([[4, 4], [4, 4]]);
      expect(shapeErrorOf(() => mc.broadcastTo([1, 2, 3], [3, 2])).op).toBe("broadcastTo");
      expect(shapeErrorOf(() => mc.broadcastTo(zeros([3, 2]), [2])).op).toBe("broadcastTo");
    });
  });
});
