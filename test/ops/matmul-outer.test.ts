// matmul with one inner index (an outer product) takes an entrywise path instead of GEMM:
// its entries must be the exact products, in every transpose combination reverse mode makes.
import { describe, expect, it } from "vitest";
import { grad, jit, matmul, tensor, type Tensor } from "../../src/index.js";
import { fillRandom } from "../../bench/harness.js";

const rnd = (shape: number[], seed: number): Tensor => tensor(fillRandom(new Float64Array(shape[0]! * shape[1]!), seed), shape);

/** Entry (i, j) of a column-major m×n tensor. */
const at = (t: Tensor, i: number, j: number): number => t.data[i + j * t.shape[0]!]!;

describe("matmul, inner dimension 1", () => {
  it("a column times a row is the table of exact products", () => {
    for (const [m, n] of [[1, 1], [5, 1], [1, 7], [6, 9], [33, 65]] as const) {
      const u = rnd([m, 1], 1), v = rnd([1, n], 2);
      const P = matmul(u, v);
      expect(P.shape).toEqual([m, n]);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(at(P, i, j)).toBe(u.data[i]! * v.data[j]!);
    }
  });

  it("the transposed operands reverse mode makes: xᵀ·ct for x·W, ct·yᵀ for W·y", () => {
    const x = rnd([1, 6], 3), y = rnd([8, 1], 4), W = rnd([6, 8], 5);
    // d/dW Σ (x·W)² = xᵀ·2(x·W): matmul with A = x transposed (6×1) and k = 1.
    const gl = grad((w: Tensor) => x.matmul(w).square().sum())(W);
    const r = x.matmul(W);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) expect(at(gl, i, j)).toBe(x.data[i]! * (2 * r.data[j]!));
    // d/dW Σ (W·y)² = 2(W·y)·yᵀ: matmul with B = y transposed (1×8) and k = 1.
    const V = rnd([6, 8], 6);
    const gr = grad((w: Tensor) => w.matmul(y).square().sum())(V);
    const s = V.matmul(y);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) expect(at(gr, i, j)).toBe(2 * s.data[i]! * y.data[j]!);
    // The same through jit's replay.
    const jg = jit(grad((w: Tensor) => x.matmul(w).square().sum()))(W);
    expect(Array.from(jg.data)).toEqual(Array.from(gl.data));
  });

  it("empty outer products have the product's shape", () => {
    expect(matmul(rnd([0, 1], 7).reshape([0, 1]), rnd([1, 3], 8)).shape).toEqual([0, 3]);
  });
});
