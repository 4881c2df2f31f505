// mc.matmul of two matrices in an eager top-level call runs its kernels without bind's dispatch
// (ops/matmul.ts: `untraced`, `topLevelCall`): its entries must be the kernels' own, bit for bit, its
// errors those of the primitive, and every traced use (grad, jvp, vmap, jit) must still go
// through the primitive.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { MemoryLimitError, ShapeError, type Tensor } from "../../src/index.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { thrown } from "../helpers/thrown.js";

/** C = A·B by the runtime's own kernel on fresh copies of the operands (column-major m×n). */
function kernelProduct(A: Tensor, B: Tensor): Float64Array {
  const arena = rt().arena;
  const [m, k] = A.shape as [number, number];
  const n = B.shape[1]!;
  const pa = arena.put(A.data), pb = arena.put(B.data), pc = arena.alloc(m * n);
  rt().kernels.gemm(0, 0, m, n, k, 1, pa, Math.max(1, m), pb, Math.max(1, k), 0, pc, Math.max(1, m));
  const c = arena.view(pc, m * n).slice();
  arena.release();
  return c;
}

/** Counts calls of matmul_p's impl (the primitive's path) while `fn` runs. */
function implCalls(fn: () => unknown): number {
  const prim = matmul_p as { impl: typeof matmul_p.impl };
  const impl = prim.impl;
  let calls = 0;
  prim.impl = (args, params) => {
    calls++;
    return impl(args, params);
  };
  try {
    fn();
  } finally {
    prim.impl = impl;
  }
  return calls;
}

describe.each(BUILDS)("eager mc.matmul of two matrices ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.used).toBe(0);
  });

  it("is the GEMM kernel's result bit for bit, operands resident or not", () => {
    for (const [m, k, n] of [[32, 32, 32], [64, 64, 64], [7, 13, 5], [3, 2, 4], [40, 9, 17]] as const) {
      const A = mc.randn([m, k], { seed: m + k }), B = mc.randn([k, n], { seed: k + n + 1 });
      const ref = kernelProduct(A, B);
      // The third call on on the same operands reads them from the arena's resident cache
      // (from 256 entries on); the first copies them in.
      for (let i = 0; i < 3; i++) {
        const C = mc.matmul(A, B);
        expect(C.shape).toEqual([m, n]);
        expect(Array.from(C.data)).toEqual(Array.from(ref));
      }
      expect(Array.from(A.matmul(B).data)).toEqual(Array.from(ref));
    }
  });

  it("takes the primitive's other kernels as before: gemv, outer products, k = 0, empty", () => {
    const A = mc.randn([6, 4], { seed: 1 }), x = mc.randn([4, 1], { seed: 2 }), r = mc.randn([1, 6], { seed: 3 });
    const ax = mc.matmul(A, x), ra = mc.matmul(r, A);
    for (let i = 0; i < 6; i++) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += A.get(i, j) * x.get(j, 0);
      expect(ax.get(i, 0)).toBeCloseTo(s, 14);
    }
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let i = 0; i < 6; i++) s += r.get(0, i) * A.get(i, j);
      expect(ra.get(0, j)).toBeCloseTo(s, 14);
    }
    const u = mc.randn([5, 1], { seed: 4 }), v = mc.randn([1, 3], { seed: 5 });
    const P = mc.matmul(u, v);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(P.get(i, j)).toBe(u.get(i, 0) * v.get(0, j));
    expect(mc.matmul(mc.zeros([3, 0]), mc.zeros([0, 2])).toArray()).toEqual([[0, 0], [0, 0], [0, 0]]);
    expect(mc.matmul(mc.zeros([0, 4]), mc.ones([4, 2])).shape).toEqual([0, 2]);
  });

  it("skips bind at top level; traced, recorded and nested calls go through the primitive", () => {
    const A = mc.randn([5, 4], { seed: 6 }), B = mc.randn([4, 3], { seed: 7 });
    expect(implCalls(() => mc.matmul(A, B))).toBe(0);
    // Vectors too (the lean path reads them as 1×k or k×1 matrices; test/ops/eager-lean.test.ts).
    expect(implCalls(() => mc.matmul(A, [1, 2, 3, 4]))).toBe(0);
    // Constants inside a transform: the product stays in the running call's arena.
    expect(implCalls(() => mc.grad((x: Tensor) => mc.matmul(A, B).sum().mul(x.sum()))(mc.vector([1, 2])))).toBeGreaterThan(0);
    expect(implCalls(() => mc.grad((X: Tensor) => mc.matmul(X, B).sum())(A))).toBeGreaterThan(0);
  });

  it("keeps grad, jvp, vmap and jit through matmul right", () => {
    const A = mc.randn([5, 4], { seed: 8 }), B = mc.randn([4, 3], { seed: 9 });
    const C = mc.matmul(A, B);
    // d/dA Σ (A·B) = 1·Bᵀ and d/dB Σ (A·B) = Aᵀ·1.
    const [gA, gB] = mc.grad((X: Tensor, Y: Tensor) => mc.matmul(X, Y).sum(), { argnums: [0, 1] })(A, B) as Tensor[];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 4; j++) expect(gA!.get(i, j)).toBeCloseTo(B.get(j, 0) + B.get(j, 1) + B.get(j, 2), 14);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let r = 0; r < 5; r++) s += A.get(r, i);
      expect(gB!.get(i, j)).toBeCloseTo(s, 14);
    }
    // jvp: the tangent of A·B along (dA, 0) is dA·B.
    const dA = mc.randn([5, 4], { seed: 10 });
    const [y, t] = mc.jvp((X: Tensor) => mc.matmul(X, B), [A], [dA]);
    expect(Array.from(y.data)).toEqual(Array.from(C.data));
    expect(Array.from(t.data)).toEqual(Array.from(mc.matmul(dA, B).data));
    // vmap over a batch of right operands: member i is A·Bᵢ.
    const Bs = mc.randn([4, 3, 2], { seed: 11 });
    const Cs = mc.vmap((Y: Tensor) => mc.matmul(A, Y), { inAxes: 2, outAxes: 2 })(Bs) as Tensor;
    for (let s = 0; s < 2; s++) {
      const Bi = mc.tensor(Bs.data.slice(12 * s, 12 * (s + 1)), [4, 3], { order: "col" });
      const Ci = mc.matmul(A, Bi);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(Cs.data[i + 5 * j + 15 * s]).toBeCloseTo(Ci.get(i, j), 14);
    }
    // jit records the product as a step: a replay at other inputs computes their product.
    const f = mc.jit((X: Tensor, Y: Tensor) => mc.matmul(X, Y));
    expect(Array.from(f(A, B).data)).toEqual(Array.from(C.data));
    const A2 = mc.randn([5, 4], { seed: 12 }), B2 = mc.randn([4, 3], { seed: 13 });
    expect(Array.from(f(A2, B2).data)).toEqual(Array.from(mc.matmul(A2, B2).data));
    // A product of two constants the jitted function closes over, beside a traced input.
    const g = mc.jit((x: Tensor) => mc.matmul(A, B).sum().mul(x));
    expect(g(mc.scalar(2)).item()).toBeCloseTo(2 * C.sum().item(), 12);
  });

  it("raises the primitive's typed errors, and the next call works", () => {
    const e1 = thrown(() => mc.matmul([[1, 2, 3]], [[1, 2]]));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.message).toBe("matmul: inner dimensions differ (3 vs 1) (shapes [1, 3], [1, 2])");
    const e2 = thrown(() => mc.matmul(mc.zeros([2, 2, 2]), mc.zeros([2, 2])));
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2.message).toBe("matmul: expects vectors or matrices (use mul for scalars) (shapes [2, 2, 2], [2, 2])");
    // 70000² entries do not fit in 4 GiB: the result's allocation fails before any kernel.
    const e3 = thrown(() => mc.matmul(mc.zeros([70000, 2]), mc.zeros([2, 70000])));
    expect(e3).toBeInstanceOf(MemoryLimitError);
    expect(e3.message).toBe(`matmul: needs ${70000 * 70000 * 8} bytes of kernel memory, more than 32-bit WebAssembly can address (4 GiB)`);
    expect(rt().arena.active).toBe(false);
    expect(mc.matmul([[1, 2]], [[3], [4]]).item()).toBe(11);
  });

  it("repeated calls do not grow memory", () => {
    const A = mc.randn([48, 48], { seed: 14 }), B = mc.randn([48, 48], { seed: 15 });
    for (let i = 0; i < 20; i++) mc.matmul(A, B);
    const high = rt().arena.memoryBytes;
    for (let i = 0; i < 200; i++) mc.matmul(A, B);
    expect(rt().arena.memoryBytes).toBe(high);
  });
});
