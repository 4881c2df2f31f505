// Eager top-level calls of elementwise ops, full sums and matrix–vector products run lean
// (core/primitive.ts `apply1`, ops/matmul.ts `productOf`, core/tensor.ts `topLevelCall`): no
// bind dispatch, the primitive's `run1` in a scope of its own. Their entries must be the
// primitive path's bit for bit, their errors the same, and every traced, recorded, batched or
// nested use must still go through the primitive.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, MemoryLimitError, ShapeError, type Tensor } from "../../src/index.js";
import { bind1, type Primitive } from "../../src/core/primitive.js";
import { add_p, div_p, mul_p, neg_p, pow_p, softplus_p, square_p, sub_p, exp_p, max_p } from "../../src/ops/elementwise.js";
import { sum_p } from "../../src/ops/reduce.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { reshape } from "../../src/ops/structure.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { thrown } from "../helpers/thrown.js";

type AnyPrim = Primitive<never>;
const NONE = {} as never;

/** Bits of every entry (so −0 and NaN payloads count). */
function bits(t: Tensor): string {
  return Array.from(new BigUint64Array(t.data.buffer.slice(0))).join(",");
}

/** Calls of `prim.impl` and of `prim.run1` (through the property) while `fn` runs. */
function calls(prims: readonly AnyPrim[], fn: () => unknown): { impl: number; run1: number } {
  const n = { impl: 0, run1: 0 };
  const saved = prims.map((p) => [p.impl, p.run1] as const);
  prims.forEach((p, i) => {
    const q = p as { impl: AnyPrim["impl"]; run1?: AnyPrim["run1"] };
    const [impl, run1] = saved[i]!;
    q.impl = (args, params) => {
      n.impl++;
      return impl(args, params);
    };
    if (run1 !== undefined) {
      q.run1 = (a, b, params) => {
        n.run1++;
        return run1(a, b, params);
      };
    }
  });
  try {
    fn();
  } finally {
    prims.forEach((p, i) => {
      const q = p as { impl: AnyPrim["impl"]; run1?: AnyPrim["run1"] };
      q.impl = saved[i]![0];
      q.run1 = saved[i]![1];
    });
  }
  return n;
}

describe.each(BUILDS)("lean eager calls ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  afterEach(() => {
    expect(rt().arena.active).toBe(false);
    expect(rt().arena.used).toBe(0);
  });

  it("binary ops give the primitive path's bits: same shapes, broadcasting, scalars, empty", () => {
    const a = mc.randn([4, 3], { seed: 1 }), col = mc.randn([4, 1], { seed: 2 }), row = mc.randn([3], { seed: 3 });
    const pos = mc.randn([4, 3], { seed: 4 }).abs();
    const cases: [Tensor, Tensor][] = [
      [a, mc.randn([4, 3], { seed: 5 })], [a, col], [col, a], [a, row], [row, a], [a, mc.scalar(0.37)], [mc.scalar(-2), a],
      [mc.scalar(3), mc.scalar(-0)], [mc.zeros([0, 3]), row], [mc.vector([-0, 0, NaN]), mc.vector([0, -0, 1])],
    ];
    for (const [p, op] of [[add_p, mc.add], [sub_p, mc.sub], [mul_p, mc.mul], [div_p, mc.div], [max_p, mc.maximum]] as const) {
      for (const [x, y] of cases) {
        const lean = op(x, y), prim = bind1(p, [x, y], NONE);
        expect(lean.shape).toEqual(prim.shape);
        expect(bits(lean), `${p.name} ${x.shape} ${y.shape}`).toBe(bits(prim));
      }
    }
    expect(bits(mc.pow(pos, 0.7))).toBe(bits(bind1(pow_p, [pos, mc.scalar(0.7)], NONE)));
    expect(bits(mc.pow(a, 2))).toBe(bits(bind1(square_p, [a], NONE)));
    // And against numbers computed here (the kernels' IEEE operations).
    expect(Array.from(mc.add(a, col).data)).toEqual(Array.from(a.data, (v, i) => v + col.data[i % 4]!));
    expect(Array.from(mc.mul(mc.scalar(-2), a).data)).toEqual(Array.from(a.data, (v) => -2 * v));
  });

  it("unary ops, sum and mean give the primitive path's bits", () => {
    const x = mc.randn([5, 7], { seed: 6 }).mul(3);
    for (const [p, op] of [[neg_p, mc.neg], [exp_p, mc.exp], [softplus_p, mc.softplus], [square_p, mc.square]] as const) {
      for (const t of [x, mc.scalar(-0.5), mc.zeros([0]), mc.vector([-0, NaN, Infinity])]) {
        expect(bits(op(t)), p.name).toBe(bits(bind1(p, [t], NONE)));
      }
    }
    expect(Array.from(mc.neg(mc.vector([0, -1])).data).map((v) => Object.is(v, -0))).toEqual([true, false]);
    for (const t of [x, mc.scalar(4), mc.zeros([0, 3]), mc.randn([1000], { seed: 7 })]) {
      const s = mc.sum(t);
      expect(s.shape).toEqual([]);
      expect(bits(s)).toBe(bits(bind1(sum_p, [t], { axes: t.shape.map((_, i) => i) } as never)));
    }
    // Along an axis sum keeps the primitive (its lean form is only for what it covers alike).
    expect(bits(mc.sum(x, 0))).toBe(bits(bind1(sum_p, [x], { axes: [0] } as never)));
    const m = mc.mean(x);
    expect(m.item()).toBe(x.mul(1 / 64).sum().item() / (35 / 64));
  });

  it("matrix–vector, vector–matrix and dot products are the reshape-and-bind path's bits", () => {
    for (const [m, n] of [[1000, 100], [1000, 10], [7, 3], [5, 1], [1, 6], [0, 4], [3, 0]] as const) {
      const A = mc.randn([m, n], { seed: m + n }), x = mc.randn([n], { seed: 2 * n + 1 }), r = mc.randn([m], { seed: m + 3 });
      const ax = mc.matmul(A, x), ra = mc.matmul(r, A);
      const axp = reshape(bind1(matmul_p, [A, reshape(x, [n, 1])], { ta: 0, tb: 0 } as never), [m]);
      const rap = reshape(bind1(matmul_p, [reshape(r, [1, m]), A], { ta: 0, tb: 0 } as never), [n]);
      expect(ax.shape).toEqual([m]);
      expect(ra.shape).toEqual([n]);
      expect(bits(ax)).toBe(bits(axp));
      expect(bits(ra)).toBe(bits(rap));
      // The resident copy of A (from the second call on) gives the same.
      expect(bits(A.matmul(x))).toBe(bits(axp));
    }
    const d = mc.matmul([1, 2, 3], [4, 5, 6]);
    expect(d.shape).toEqual([]);
    expect(d.item()).toBe(32);
    expect(mc.matmul(mc.zeros([0]), mc.zeros([0])).item()).toBe(0);
    // Against a sum computed here, in the kernel's order for a few columns (rows in registers).
    const A = mc.randn([6, 4], { seed: 8 }), x = mc.randn([4], { seed: 9 }), y = mc.matmul(A, x);
    for (let i = 0; i < 6; i++) expect(y.get(i)).toBeCloseTo(A.get(i, 0) * x.get(0) + A.get(i, 1) * x.get(1) + A.get(i, 2) * x.get(2) + A.get(i, 3) * x.get(3), 14);
  });

  it("the logistic objective is the same bits lean and through the primitives", () => {
    const A = mc.randn([1000, 100], { seed: 1 }), y = mc.sign(mc.randn([1000], { seed: 2 })), x = mc.randn([100], { seed: 3 }).mul(0.1);
    const f = (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const z = reshape(bind1(matmul_p, [A, reshape(x, [100, 1])], { ta: 0, tb: 0 } as never), [1000]);
    const viaPrims = bind1(sum_p, [bind1(softplus_p, [bind1(neg_p, [bind1(mul_p, [y, z], NONE)], NONE)], NONE)], { axes: [0] } as never);
    expect(bits(f(x))).toBe(bits(viaPrims));
    // Under jit (recorded steps, replayed) the same value.
    expect(mc.jit(f)(x).item()).toBe(viaPrims.item());
  });

  it("skips impl at top level; grad, jvp, vmap, jit and nested calls go through the primitive", () => {
    const prims = [neg_p, mul_p, softplus_p, sum_p, matmul_p] as unknown as AnyPrim[];
    const A = mc.randn([20, 5], { seed: 10 }), y = mc.sign(mc.randn([20], { seed: 11 })), x = mc.randn([5], { seed: 12 });
    const f = (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const top = calls(prims, () => f(x));
    expect(top.impl).toBe(0);
    expect(top.run1).toBe(4); // mul, neg, softplus, sum (matmul's lean product is its own)
    // Traced operands: the primitive's rules (its trace's process1), its kernels through impl
    // or, for one-output primitives, run1 inside the transform's call.
    const both = (n: { impl: number; run1: number }): number => n.impl + n.run1;
    expect(both(calls(prims, () => mc.grad(f)(x)))).toBeGreaterThanOrEqual(5);
    expect(both(calls(prims, () => mc.jvp(f, [x], [x])))).toBeGreaterThanOrEqual(4);
    expect(calls(prims, () => mc.vmap((v: Tensor) => v.neg().mul(2), { inAxes: 1, outAxes: 1 })(mc.randn([3, 4], { seed: 13 }))).impl).toBe(2);
    // Constants inside a running call (nested): results stay in its arena.
    expect(both(calls(prims, () => mc.grad((t: Tensor) => y.neg().mul(y).sum().mul(t.sum()))(x)))).toBeGreaterThanOrEqual(3);
    // jit records every step (constants too), so it must see each one through bind.
    const g = mc.jit((t: Tensor) => y.neg().sum().mul(t.sum()));
    expect(calls(prims, () => g(x)).impl).toBeGreaterThanOrEqual(3);
    expect(g(mc.vector([1, 1, 1, 1, 1])).item()).toBe(-y.sum().item() * 5);
    expect(g(mc.vector([2, 0, 0, 0, 0])).item()).toBe(-y.sum().item() * 2);
  });

  it("derivatives through the lean ops are right (closed forms)", () => {
    const A = mc.randn([30, 4], { seed: 14 }), y = mc.sign(mc.randn([30], { seed: 15 })), x = mc.randn([4], { seed: 16 });
    const f = (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    // ∇f = −Aᵀ(y ∘ σ(−y ∘ Ax)).
    const z = A.matmul(x).data, g = mc.grad(f)(x);
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let i = 0; i < 30; i++) s -= A.get(i, j) * y.get(i) / (1 + Math.exp(y.get(i) * z[i]!));
      expect(g.get(j)).toBeCloseTo(s, 12);
    }
  });

  it("raises the primitive path's typed errors, and the arena is idle after them", () => {
    const e1 = thrown(() => mc.add([1, 2, 3], [1, 2]));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.message).toBe(thrown(() => bind1(add_p, [mc.vector([1, 2, 3]), mc.vector([1, 2])], NONE)).message);
    expect(e1.message).toMatch(/^add: .*\[3\], \[2\]/);
    const e2 = thrown(() => mc.matmul(mc.zeros([2, 3]), [1, 2]));
    expect(e2).toBeInstanceOf(ShapeError);
    expect(e2.message).toBe("matmul: inner dimensions differ (3 vs 2) (shapes [2, 3], [2])");
    const e3 = thrown(() => mc.matmul([1, 2], mc.zeros([3, 2])));
    expect(e3.message).toBe("matmul: inner dimensions differ (2 vs 3) (shapes [2], [3, 2])");
    // 70000² entries do not fit in 4 GiB: the result's allocation fails before any kernel.
    const e4 = thrown(() => mc.mul(mc.zeros([70000, 1]), mc.zeros([1, 70000])));
    expect(e4).toBeInstanceOf(MemoryLimitError);
    expect(e4.message).toBe(`mul: needs ${70000 * 70000 * 8} bytes of kernel memory, more than 32-bit WebAssembly can address (4 GiB)`);
    expect(rt().arena.active).toBe(false);
    expect(rt().arena.used).toBe(0);
    const e5 = thrown(() => mc.neg("x" as never));
    expect(e5).toBeInstanceOf(DTypeError);
    expect(e5.message).toBe("neg: expected a Tensor, number or array, got string");
    expect(mc.neg([1, -2]).toArray()).toEqual([-1, 2]);
    expect(mc.matmul([[1, 2]], [3, 4]).toArray()).toEqual([11]);
  });

  it("repeated calls do not grow memory", () => {
    const A = mc.randn([200, 30], { seed: 17 }), x = mc.randn([30], { seed: 18 }), y = mc.randn([200], { seed: 19 });
    const f = () => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    for (let i = 0; i < 20; i++) f();
    const high = rt().arena.memoryBytes;
    for (let i = 0; i < 200; i++) f();
    expect(rt().arena.memoryBytes).toBe(high);
  });
});
