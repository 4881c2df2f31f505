// Products and norms: matmul (every vector/matrix combination, non-square, sizes 0, 1, 17,
// 129), dot, outer, kron, kronMatVec, norm; against plain-JS references, on both builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { ShapeError, matrix, tensor, vector, zeros, ones, eye } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { expectClose, kronRef, matmulRef, randMat, randNested, transposeRef, type Mat } from "../helpers/reference.js";

function shapeErrorOf(fn: () => unknown): ShapeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ShapeError);
    return e as ShapeError;
  }
  return expect.fail("expected a ShapeError");
}

/** Matrix [m, n] that also works for m = 0 or n = 0 (nested arrays cannot say [0, n]). */
function mat(A: Mat, m: number, n: number) {
  return m === 0 || n === 0 ? zeros([m, n]) : tensor(A);
}

/** Fills the arena's memory with junk so a kernel that forgets to write its output shows. */
function dirtyArena(): void {
  mc.add(mc.mul(ones([300, 300]), 123.456), 1);
}

describe.each(BUILDS)("products and norms ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.used).toBe(0);
  });

  describe("matmul", () => {
    it("hand-checked small cases in every vector/matrix combination", () => {
      const A = matrix([[1, 2, 3], [4, 5, 6]]);
      expect(A.matmul([1, 0, -1]).toArray()).toEqual([-2, -2]); // matrix · vector → [m]
      expect(A.matmul([1, 0, -1]).shape).toEqual([2]);
      expect(mc.matmul([1, -1], A).toArray()).toEqual([-3, -3, -3]); // vector · matrix → [n]
      expect(mc.matmul([1, 2, 3], [4, 5, 6]).item()).toBe(32); // vector · vector → scalar
      expect(mc.matmul([1, 2, 3], [4, 5, 6]).shape).toEqual([]);
      expect(A.matmul(A.T).toArray()).toEqual([[14, 32], [32, 77]]);
      expect(A.T.matmul(A).toArray()).toEqual([[17, 22, 27], [22, 29, 36], [27, 36, 45]]);
      expect(mc.matmul([[1, 2, 3]], [[4], [5], [6]]).toArray()).toEqual([[32]]); // 1×k · k×1
      expect(mc.matmul([[1], [2]], [[3, 4, 5]]).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]); // k×1 · 1×n
      expect(mc.matmul([[1, 2, 3]], [4, 5, 6]).toArray()).toEqual([32]); // [1,k] · [k] → [1]
      expect(mc.matmul([4, 5, 6], [[1], [2], [3]]).toArray()).toEqual([32]); // [k] · [k,1] → [1]
      expect(mc.matmul(eye(3), [7, 8, 9]).toArray()).toEqual([7, 8, 9]);
    });

    it("matches the reference for every (m, k, n) in {0, 1, 17, 129}³ and all four combos", () => {
      const sizes = [0, 1, 17, 129];
      let seed = 1;
      dirtyArena();
      for (const m of sizes) for (const k of sizes) for (const n of sizes) {
        const A = randMat(m, k, seed++);
        const B = randMat(k, n, seed++);
        const C = mc.matmul(mat(A, m, k), mat(B, k, n));
        const label = `${m}×${k} · ${k}×${n}`;
        expect(C.shape, label).toEqual([m, n]);
        const ref = matmulRef(A, B, n);
        if (m > 0 && n > 0) expectClose(C.toArray(), ref, 1e-12, 1e-13, label);
        else expect(C.size, label).toBe(0);
        if (k === 0) expect(Array.from(C.data).every((v) => v === 0), `${label} must be zeros`).toBe(true);
        // matrix · vector and vector · matrix with the same data
        if (n === 1) {
          const y = mc.matmul(mat(A, m, k), tensor(B.map((r) => r[0]!)));
          expect(y.shape, label).toEqual([m]);
          expectClose(y.toArray(), ref.map((r) => r[0]!), 1e-12, 1e-13, label);
        }
        if (m === 1) {
          const y = mc.matmul(tensor(A[0] ?? []), mat(B, k, n));
          expect(y.shape, label).toEqual([n]);
          if (n > 0) expectClose(y.toArray(), ref[0]!, 1e-12, 1e-13, label);
          else expect(y.size).toBe(0);
        }
      }
    });

    it("k = 0 gives exact zeros even when the arena held other data", () => {
      dirtyArena();
      const C = mc.matmul(zeros([3, 0]), zeros([0, 4]));
      expect(C.toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
      dirtyArena();
      expect(mc.matmul(tensor([]), tensor([])).item()).toBe(0);
      dirtyArena();
      expect(mc.matmul(zeros([5, 0]), tensor([])).toArray()).toEqual([0, 0, 0, 0, 0]);
    });

    it("non-square and odd shapes", () => {
      for (const [m, k, n] of [[3, 5, 2], [2, 7, 3], [1, 64, 1], [64, 1, 64], [5, 3, 31], [33, 65, 9], [2, 2, 130]] as const) {
        const A = randMat(m, k, m * k), B = randMat(k, n, k * n + 1);
        expectClose(mc.matmul(A, B).toArray(), matmulRef(A, B), 1e-12, 1e-13, `${m}×${k}·${k}×${n}`);
        // (AB)ᵀ = BᵀAᵀ
        expectClose(tensor(B).T.matmul(tensor(A).T).toArray(), transposeRef(matmulRef(A, B)), 1e-12, 1e-13);
      }
    });

    it("mismatched shapes are ShapeErrors naming matmul and both shapes", () => {
      const cases: [number[], number[]][] = [[[2, 3], [2, 3]], [[2, 3], [2]], [[3], [2, 3]], [[3], [4]], [[1, 5], [4, 1]]];
      for (const [sa, sb] of cases) {
        const e = shapeErrorOf(() => mc.matmul(zeros(sa), zeros(sb)));
        expect(e.op).toBe("matmul");
        expect(e.message).toMatch(/^matmul: /);
        expect(e.message).toContain(`[${sa.join(", ")}]`);
        expect(e.message).toContain(`[${sb.join(", ")}]`);
        expect(e.shapes).toEqual([sa, sb]);
        expect(rt().arena.used).toBe(0);
      }
      expect(shapeErrorOf(() => mc.matmul(2, [[1]])).op).toBe("matmul");
      expect(shapeErrorOf(() => mc.matmul(zeros([2, 2, 2]), zeros([2, 2]))).op).toBe("matmul");
      expect(mc.matmul([[1, 2]], [3, 4]).toArray()).toEqual([11]); // and the next call works
    });
  });

  describe("dot and outer", () => {
    it("dot of vectors and the Frobenius inner product of matrices", () => {
      expect(mc.dot([1, 2, 3], [4, 5, 6]).item()).toBe(32);
      expect(vector([1, 2]).dot([3, 4]).shape).toEqual([]);
      expect(mc.dot([[1, 2], [3, 4]], [[5, 6], [7, 8]]).item()).toBe(70);
      const x = randNested([1001], 3) as number[], y = randNested([1001], 4) as number[];
      expectClose(mc.dot(x, y).item(), x.reduce((s, v, i) => s + v * y[i]!, 0), 1e-12, 1e-13);
      expect(mc.dot([], []).item()).toBe(0);
      const e = shapeErrorOf(() => mc.dot([1, 2, 3], [1, 2]));
      expect(e.op).toBe("dot");
      expect(e.message).toContain("[3]");
      expect(e.message).toContain("[2]");
      expect(shapeErrorOf(() => mc.dot(zeros([2, 3]), zeros([3, 2]))).op).toBe("dot");
    });

    it("outer", () => {
      expect(mc.outer([1, 2], [3, 4, 5]).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
      const x = randNested([17], 1) as number[], y = randNested([33], 2) as number[];
      expectClose(vector(x).outer(y).toArray(), x.map((a) => y.map((b) => a * b)), 0, 0);
      expect(mc.outer([], [1, 2]).shape).toEqual([0, 2]);
      expect(shapeErrorOf(() => mc.outer([[1]], [1])).op).toBe("outer");
    });
  });

  describe("kron and kronMatVec", () => {
    it("kron matches the reference (matrices, non-square, vectors as columns)", () => {
      expect(mc.kron([[1, 2], [3, 4]], [[0, 1], [1, 0]]).toArray()).toEqual([
        [0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0],
      ]);
      for (const [ma, na, mb, nb] of [[2, 3, 4, 5], [1, 1, 3, 2], [3, 1, 1, 4], [5, 4, 3, 2], [7, 2, 2, 9]] as const) {
        const A = randMat(ma, na, ma + 10 * na), B = randMat(mb, nb, mb + 10 * nb + 100);
        const K = mc.kron(A, B);
        expect(K.shape).toEqual([ma * mb, na * nb]);
        expectClose(K.toArray(), kronRef(A, B), 0, 0, `${ma}×${na} ⊗ ${mb}×${nb}`);
      }
      // vectors are columns
      expect(mc.kron([1, 2], [3, 4]).toArray()).toEqual([[3], [4], [6], [8]]);
      expect(mc.kron([[1, 2]], [3, 4]).toArray()).toEqual([[3, 6], [4, 8]]);
    });

    it("vec(AXB) = (Bᵀ ⊗ A) vec(X)", () => {
      const A = randMat(3, 4, 1), X = randMat(4, 5, 2), B = randMat(5, 2, 3);
      const lhs = mc.vec(mc.matmul(mc.matmul(A, X), B));
      const rhs = mc.matmul(mc.kron(mc.transpose(B), A), mc.vec(X));
      expectClose(lhs.toArray(), rhs.toArray() as number[], 1e-13, 1e-14);
    });

    it("kronMatVec(A, B, x) equals matmul(kron(A, B), x)", () => {
      for (const [p, q, r, s] of [[2, 3, 4, 5], [3, 3, 3, 3], [1, 4, 5, 1], [6, 1, 1, 7], [9, 8, 7, 6], [1, 1, 1, 1]] as const) {
        const A = randMat(p, q, p * q), B = randMat(r, s, r * s + 7);
        const x = randNested([q * s], q + s) as number[];
        const y = mc.kronMatVec(A, B, x);
        expect(y.shape).toEqual([p * r]);
        expectClose(y.toArray(), mc.matmul(mc.kron(A, B), x).toArray() as number[], 1e-13, 1e-14, `${p}×${q} ⊗ ${r}×${s}`);
        const ref = matmulRef(kronRef(A, B), x.map((v) => [v])).map((row) => row[0]!);
        expectClose(y.toArray(), ref, 1e-13, 1e-14);
      }
    });

    it("kronMatVec with a wrong length is a ShapeError naming all shapes", () => {
      const e = shapeErrorOf(() => mc.kronMatVec(zeros([2, 3]), zeros([4, 5]), zeros([14])));
      expect(e.op).toBe("kronMatVec");
      expect(e.message).toContain("[2, 3]");
      expect(e.message).toContain("[4, 5]");
      expect(e.message).toContain("[14]");
      expect(shapeErrorOf(() => mc.kronMatVec(zeros([2, 3]), zeros([4, 5]), zeros([5, 3]))).op).toBe("kronMatVec");
      expect(shapeErrorOf(() => mc.kron(zeros([2, 2, 2]), zeros([2, 2]))).op).toBe("kron");
    });
  });

  describe("norm", () => {
    const x = [3, -4, 12, -0.5, 2];
    const absx = x.map(Math.abs);
    it("vector norms: 1, 2 (default), Infinity, p = 3, 'fro'", () => {
      expectClose(mc.norm(x, 1).item(), absx.reduce((s, v) => s + v, 0), 1e-15, 0);
      const two = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
      expectClose(mc.norm(x).item(), two, 1e-15, 0);
      expectClose(mc.norm(x, 2).item(), two, 1e-15, 0);
      expectClose(vector(x).norm().item(), two, 1e-15, 0);
      expect(mc.norm(x, Infinity).item()).toBe(12);
      expectClose(mc.norm(x, 3).item(), Math.cbrt(absx.reduce((s, v) => s + v ** 3, 0)), 1e-14, 0);
      expectClose(mc.norm(x, 2.5).item(), absx.reduce((s, v) => s + v ** 2.5, 0) ** (1 / 2.5), 1e-14, 0);
      expectClose(mc.norm(x, "fro").item(), two, 1e-15, 0);
      expect(mc.norm([3, 4]).item()).toBe(5);
      expect(mc.norm([0, 0, 0]).item()).toBe(0);
      expect(mc.norm(x).shape).toEqual([]);
    });

    it("the 2-norm is scaled: no overflow near 1e200, no underflow near 1e-200", () => {
      expectClose(mc.norm([3e200, 4e200]).item(), 5e200, 1e-15, 0);
      expectClose(mc.norm([3e-200, 4e-200]).item(), 5e-200, 1e-15, 0);
      expectClose(mc.norm([[3e200, 0], [0, 4e200]], "fro").item(), 5e200, 1e-15, 0);
      expectClose(mc.norm(new Float64Array(1000).fill(1e300)).item(), 1e300 * Math.sqrt(1000), 1e-14, 0);
      expectClose(mc.norm([1e300, 1e-300, 1]).item(), 1e300, 1e-15, 0);
    });

    it("the Frobenius norm is the default for matrices", () => {
      const A = randMat(17, 9, 5);
      const fro = Math.sqrt(A.flat().reduce((s, v) => s + v * v, 0));
      expectClose(mc.norm(A).item(), fro, 1e-14, 0);
      expectClose(mc.norm(A, "fro").item(), fro, 1e-14, 0);
      expectClose(tensor(A).norm("fro").item(), fro, 1e-14, 0);
    });

    it("a long vector matches the reference (SIMD body and tail)", () => {
      const v = randNested([1003], 9, -10, 10) as number[];
      expectClose(mc.norm(v).item(), Math.sqrt(v.reduce((s, a) => s + a * a, 0)), 1e-13, 0);
      expectClose(mc.norm(v, 1).item(), v.reduce((s, a) => s + Math.abs(a), 0), 1e-13, 0);
      expect(mc.norm(v, Infinity).item()).toBe(Math.max(...v.map(Math.abs)));
    });

    it("unsupported orders are ShapeErrors naming norm", () => {
      expect(shapeErrorOf(() => mc.norm(x, 0.5)).op).toBe("norm");
      expect(shapeErrorOf(() => mc.norm(x, -1)).op).toBe("norm");
      expect(shapeErrorOf(() => mc.norm([[1, 2], [3, 4]], 2)).op).toBe("norm");
      expect(shapeErrorOf(() => mc.norm([[1, 2], [3, 4]], 1)).op).toBe("norm");
    });
  });
});
