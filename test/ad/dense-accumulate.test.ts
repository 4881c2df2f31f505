// The reverse pass sums a variable's cotangent contributions in place once it holds a sum it
// made itself (core/primitive.ts addCotangent): a weight used at every step of a loop gets one
// accumulator, not a new tensor per step; a row vector times the weight adds its outer product
// straight into that sum (matmul_p.transposeAddInto, the addOuter kernel). The entries must be
// those of the out-of-place sums (jit records them as binds), in the same order, and nothing the
// caller passed is written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jit, tensor, type Tensor } from "../../src/index.js";
import { mulberry32 } from "../../src/random.js";
import { expectBitIdentical } from "../helpers/reference.js";
import { productSumTuning } from "../../src/jit/passes/products.js";

function rand(rows: number, cols: number, seed: number, scale = 1): Tensor {
  const r = mulberry32(seed);
  return tensor(Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * (2 * r() - 1))));
}

describe("dense cotangents of a variable used at every step accumulate in place", () => {
  // jit replays the recorded out-of-place sums here: its productSums pass (which sums the
  // outer products in one GEMM, in another order: test/ad/product-sums.test.ts) is off.
  const minTerms = productSumTuning.minTerms;
  beforeAll(() => void (productSumTuning.minTerms = Infinity));
  afterAll(() => void (productSumTuning.minTerms = minTerms));
  const T = 40, n = 7, m = 5;
  const xs = Array.from({ length: T }, (_, t) => rand(1, n, t + 1));
  const W0 = rand(n, m, 99, 0.5);
  // W at every step, through a product (its cotangent an outer product) and a sum.
  const f = (W: Tensor): Tensor => {
    let s = mc.zeros([]);
    for (let t = 0; t < T; t++) s = s.add(mc.tanh(xs[t]!.matmul(W)).sum()).add(W.mul(0.01 * t).sum());
    return s;
  };

  it("gives the out-of-place sums' bits (jit's recording) and the closed form", () => {
    const g = grad(f)(W0);
    expectBitIdentical(g, jit(grad(f))(W0));
    // ∂/∂W Σ_t [Σ tanh(x_t W) + 0.01 t ΣW] = Σ_t x_tᵀ (1 − tanh²(x_t W)) + 0.01 Σ_t t.
    const Wr = W0.toArray() as number[][], G = g.toArray() as number[][];
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let want = 0;
        for (let t = 0; t < T; t++) {
          const x = xs[t]!.toArray() as number[][];
          let z = 0;
          for (let k = 0; k < n; k++) z += x[0]![k]! * Wr[k]![j]!;
          want += x[0]![i]! * (1 - Math.tanh(z) ** 2) + 0.01 * t;
        }
        worst = Math.max(worst, Math.abs(G[i]![j]! - want) / Math.max(1, Math.abs(want)));
      }
    }
    expect(worst).toBeLessThan(1e-13);
  });

  it("a pullback called twice gives the same bits and never writes into the caller's cotangents", () => {
    const h = (W: Tensor): Tensor => {
      let s = mc.zeros([1, m]);
      for (let t = 0; t < T; t++) s = s.add(xs[t]!.matmul(W)).add(W.sum(0, true));
      return s;
    };
    const [out, back] = mc.vjp(h, W0);
    const c1 = rand(1, m, 7), c1Before = Float64Array.from(c1.data);
    const [g1] = back(c1), [g2] = back(c1);
    expect(Array.from(c1.data)).toEqual(Array.from(c1Before));
    expectBitIdentical(g1 as Tensor, g2 as Tensor);
    expectBitIdentical(g1 as Tensor, jit((W: Tensor, c: Tensor) => mc.vjp(h, W)[1](c)[0] as Tensor)(W0, c1));
    expect((out as Tensor).shape).toEqual([1, m]);
    // W's first contribution is the caller's cotangent itself (add passes it on), then W∘c
    // twice: the sum is made fresh, and c is left as it was.
    const q = (W: Tensor): Tensor => W.add(W.mul(W)).add(W.mul(W));
    const Wq = rand(1, m, 8), c2 = rand(1, m, 9), c2Before = Float64Array.from(c2.data);
    const [gq] = mc.vjp(q, Wq)[1](c2);
    expect(Array.from(c2.data)).toEqual(Array.from(c2Before));
    const w = Wq.data, c = c2.data, got = (gq as Tensor).data;
    for (let j = 0; j < m; j++) expect(got[j]).toBeCloseTo(c[j]! * (1 + 4 * w[j]!), 14);
  });

  it("a Hessian-vector product through the same loop (traced cotangents: out of place) matches forward differences of the gradient", () => {
    const v = rand(n, m, 5);
    const hv = mc.hvp(f)(W0, v);
    const eps = 1e-6;
    const gp = grad(f)(W0.add(v.mul(eps))), gm = grad(f)(W0.sub(v.mul(eps)));
    const fd = gp.sub(gm).div(2 * eps);
    const a = hv.data, b = fd.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(b[i]!)));
  });
});
