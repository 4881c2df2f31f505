// matmul's batch rule with a batched left operand and a shared right one: members of at least
// 512 entries take bmmLeft (one GEMM per member, no permutes), smaller ones the stacked GEMM.
// Both must equal the per-member products, and bmmLeft's JVP and transposes (it appears in the
// linear graphs of Jacobians and Hessians of batched code) must differentiate again.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { checkGrads, grad, hessian, randn, vmap, type Tensor } from "../../src/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  const bd = b.data;
  a.data.forEach((v, i) => (m = Math.max(m, Math.abs(v - bd[i]!))));
  return m;
}

describe.each(BUILDS)("batched left operand of matmul ($name build)", ({ simd }) => {
  beforeAll(() => useBuild(simd));

  for (const [m, k, n, s] of [[40, 20, 3, 5], [64, 16, 1, 4], [3, 4, 2, 6], [30, 20, 0, 2], [30, 0, 4, 3]]) {
    it(`vmap(A ↦ A·B) and A ↦ A·Bᵀ, members ${m}×${k}, n = ${n}, ${s} members`, () => {
      const As = randn([s, m, k], { seed: m + k });
      const B = randn([k, n], { seed: 7 }), Bt = B.T;
      const viaVmap = vmap((A: Tensor) => A.matmul(B))(As) as Tensor;
      const viaVmapT = vmap((A: Tensor) => A.matmul(Bt.T))(As) as Tensor;
      for (let i = 0; i < s; i++) {
        const Ai = mc.reshape(mc.slice(As, [i, 0, 0], [1, m, k]), [m, k]);
        const ref = Ai.matmul(B);
        const got = mc.reshape(mc.slice(viaVmap, [i, 0, 0], [1, m, n]), [m, n]);
        const gotT = mc.reshape(mc.slice(viaVmapT, [i, 0, 0], [1, m, n]), [m, n]);
        expect(maxDiff(got, ref)).toBeLessThan(1e-12);
        expect(maxDiff(gotT, ref)).toBeLessThan(1e-12);
      }
    });
  }

  it("checkGrads to order 2 in both modes through vmap(A ↦ tanh(A·B)), large and small members", () => {
    for (const [m, k, n, s] of [[40, 16, 3, 3], [3, 4, 2, 3]]) {
      const f = (As: Tensor, B: Tensor) => (vmap((A: Tensor) => A.matmul(B).tanh())(As) as Tensor).square().sum();
      const r = checkGrads(f, [randn([s, m, k], { seed: 1 }).mul(0.2), randn([k, n], { seed: 2 }).mul(0.2)], { order: 2 });
      expect(r.ok, r.message).toBe(true);
    }
  });

  it("an MLP Hessian (batched hidden layer through bmmLeft) equals the one built from HVPs", () => {
    const X = randn([64, 12], { seed: 3 }), Y = randn([64, 1], { seed: 4 });
    const f = (w: Tensor) => {
      const W1 = mc.reshape(mc.slice(w, [0], [144]), [12, 12]), W2 = mc.reshape(mc.slice(w, [144], [12]), [12, 1]);
      return X.matmul(W1).tanh().matmul(W2).sub(Y).square().mean();
    };
    const w = randn([156], { seed: 5 }).mul(0.3);
    const H = hessian(f)(w);
    const g = grad(f);
    for (const j of [0, 77, 150]) {
      const e = mc.tensor(Array.from({ length: 156 }, (_, i) => (i === j ? 1 : 0)));
      const col = mc.hvp(f)(w, e) as Tensor;
      col.data.forEach((v, i) => expect(H.get(i, j)).toBeCloseTo(v, 11));
    }
    expect(maxDiff(H, H.T)).toBeLessThan(1e-12);
    expect((g(w) as Tensor).shape).toEqual([156]);
  });
});
