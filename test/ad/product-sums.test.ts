// jit's productSums pass (src/jit/passes/products.ts): a weight used at every step of a loop
// gets one product per step in reverse mode (an outer product for a row times it); the replay
// sums them in one GEMM instead of writing each. It must fire on such sums (rows times the
// weight, the weight times columns, one row or several, mixed with other terms), stay out of
// sums with fewer terms, of mixed layouts, whose partial sums are read elsewhere or whose
// operands are larger than the products, and give what the recorded adds give up to rounding
// (the GEMM's order).
import { afterEach, describe, expect, it, vi } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jit, tensor, type Tensor } from "../../src/index.js";
import { mulberry32 } from "../../src/random.js";
import { productSumStep, productSumTuning, productSums } from "../../src/jit/passes/products.js";
import { add_p } from "../../src/ops/elementwise.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { jitDebug } from "../../src/jit/pipeline.js";
import { readCounts, type Ref, type Step } from "../../src/jit/program.js";
import type { Primitive } from "../../src/core/primitive.js";
import type { Shape } from "../../src/core/shape.js";

jitDebug.verify = true;
afterEach(() => vi.restoreAllMocks());

function rand(rows: number, cols: number, seed: number, scale = 1): Tensor {
  const r = mulberry32(seed);
  return tensor(Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * (2 * r() - 1))));
}

/** max |a − b| over max |b|: rounding level (another order of ~100 terms' sum stays under 1e-14). */
function normwise(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let d = 0, m = 0;
  for (let i = 0; i < a.size; i++) {
    d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
    m = Math.max(m, Math.abs(b.data[i]!));
  }
  return d / m;
}

const n = 7, m = 5;
/** Σ_t Σ tanh(x_t·W) + 0.01·t·ΣW over T blocks x_t of `rows` rows: W's cotangent has T products x_tᵀ·δ_t and T other terms. */
function rowLoop(T: number, rows = 1) {
  const xs = Array.from({ length: T }, (_, t) => rand(rows, n, t + 1));
  const f = (W: Tensor): Tensor => {
    let s = mc.zeros([]);
    for (let t = 0; t < T; t++) s = s.add(mc.tanh(xs[t]!.matmul(W)).sum()).add(W.mul(0.01 * t).sum());
    return s;
  };
  // ∂/∂W = Σ_t x_tᵀ (1 − tanh²(x_t W)) + 0.01 Σ_t t.
  const closed = (W: Tensor): number[][] => {
    const Wr = W.toArray() as number[][];
    return Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => {
      let want = 0;
      for (let t = 0; t < T; t++) {
        const x = xs[t]!.toArray() as number[][];
        for (const row of x) {
          let z = 0;
          for (let k = 0; k < n; k++) z += row[k]! * Wr[k]![j]!;
          want += row[i]! * (1 - Math.tanh(z) ** 2);
        }
        want += 0.01 * t;
      }
      return want;
    }));
  };
  return { f, closed };
}

describe("productSums", () => {
  const W0 = rand(n, m, 99, 0.5);

  it.each([1, 2])("sums a loop's products x_tᵀ·δ_t (and its other terms) in one step, as the closed form: blocks of %i rows", (rows) => {
    const { f, closed } = rowLoop(40, rows);
    const spy = vi.spyOn(productSumStep, "impl");
    const jg = jit(grad(f));
    jg(W0);
    spy.mockClear();
    const got = jg(W0);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(normwise(got, grad(f)(W0))).toBeLessThan(1e-14);
    const want = closed(W0), G = got.toArray() as number[][];
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) expect(Math.abs(G[i]![j]! - want[i]![j]!)).toBeLessThan(1e-13 * Math.max(1, Math.abs(want[i]![j]!)));
    // Another point replays the same program.
    const W1 = rand(n, m, 98, 0.5);
    expect(normwise(jg(W1), grad(f)(W1))).toBeLessThan(1e-14);
  });

  it.each([1, 2])("the weight times blocks of %i columns (ct·Yᵀ), two weights per step, as central differences", (cols) => {
    const T = 12, ys = Array.from({ length: T }, (_, t) => rand(m, cols, 50 + t));
    const V0 = rand(n, m, 97, 0.5), U0 = rand(n, n, 96, 0.3);
    const f = (p: { V: Tensor; U: Tensor }): Tensor => {
      let h = mc.zeros([n, cols]);
      for (let t = 0; t < T; t++) h = mc.tanh(p.V.matmul(ys[t]!).add(p.U.matmul(h)));
      return h.square().sum();
    };
    const spy = vi.spyOn(productSumStep, "impl");
    const jg = jit(grad(f));
    jg({ V: V0, U: U0 });
    spy.mockClear();
    const got = jg({ V: V0, U: U0 }), want = grad(f)({ V: V0, U: U0 });
    // One sum for V (T terms) and one for U (T − 1: h starts at zero, but its product is recorded).
    expect(spy).toHaveBeenCalledTimes(2);
    expect(normwise(got.V, want.V)).toBeLessThan(1e-14);
    expect(normwise(got.U, want.U)).toBeLessThan(1e-14);
    // Central differences of f along a direction, against ⟨∇f, D⟩.
    const D = rand(n, m, 95), eps = 1e-6;
    const fd = (f({ V: V0.add(D.mul(eps)), U: U0 }).item() - f({ V: V0.sub(D.mul(eps)), U: U0 }).item()) / (2 * eps);
    expect(Math.abs(got.V.mul(D).sum().item() - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
  });

  it("leaves a vector weight's sums (operands as large as the products) as recorded", () => {
    const T = 10, xs = Array.from({ length: T }, (_, t) => rand(1, n, t + 1));
    const f = (w: Tensor): Tensor => {
      let s = mc.zeros([1, 1]);
      for (let t = 0; t < T; t++) s = s.add(mc.tanh(xs[t]!.matmul(w)));
      return s.sum();
    };
    const w0 = rand(n, 1, 3), spy = vi.spyOn(productSumStep, "impl");
    const got = jit(grad(f))(w0), want = grad(f)(w0);
    expect(spy).not.toHaveBeenCalled();
    expect(Array.from(got.data).every((v, i) => Object.is(v, want.data[i]))).toBe(true);
  });

  it("leaves sums of fewer than minTerms outer products as recorded: the un-jitted bits", () => {
    for (const T of [2, 3]) {
      const { f } = rowLoop(T);
      const spy = vi.spyOn(productSumStep, "impl");
      const got = jit(grad(f))(W0);
      expect(spy).not.toHaveBeenCalled();
      const want = grad(f)(W0);
      expect(Array.from(got.data).every((v, i) => Object.is(v, want.data[i]))).toBe(true);
      spy.mockRestore();
    }
    const spy = vi.spyOn(productSumStep, "impl");
    jit(grad(rowLoop(4).f))(W0);
    expect(spy).toHaveBeenCalledTimes(1);
    const was = productSumTuning.minTerms;
    productSumTuning.minTerms = 5;
    try {
      spy.mockClear();
      jit(grad(rowLoop(4).f))(W0);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      productSumTuning.minTerms = was;
    }
  });

  // The pass alone, on a synthetic program: outer products o_i = u_iᵀ·v_i (u_i 1×3, v_i 1×2).
  const P = (p: Primitive<never> | Primitive<any>) => p as Primitive<unknown>;
  const slot = (i: number): Ref => ({ kind: "slot", i });
  const input = (i: number): Ref => ({ kind: "in", i });
  const shapes: Shape[] = [[1, 3], [1, 2]];
  const shapeOf = (r: Ref): Shape => (r.kind === "in" ? shapes[r.i % 2]! : [3, 2]);
  const outerStep = (i: number): Step => ({ prim: P(matmul_p), params: { ta: 1, tb: 0 }, args: [input(2 * i), input(2 * i + 1)], out: i, nOut: 1, shapes: [[3, 2]] });
  const addStep = (a: number, b: number, out: number): Step => ({ prim: P(add_p), params: {}, args: [slot(a), slot(b)], out, nOut: 1, shapes: [[3, 2]] });
  /** o0…o4 in slots 0–4; s5 = o0 + o1, s6 = s5 + o2, s7 = s6 + o3, s8 = s7 + o4. */
  const chain = (): Step[] => [0, 1, 2, 3, 4].map(outerStep).concat([addStep(0, 1, 5), addStep(5, 2, 6), addStep(6, 3, 7), addStep(7, 4, 8)]);
  const reads = (steps: Step[], outs: number[]) => (): Int32Array => readCounts(steps, outs.map(slot));

  it("on a synthetic chain: the root's slot gets the sum of all five, its terms in recorded order", () => {
    const steps = chain();
    const { steps: out, slots } = productSums(steps, shapeOf, reads(steps, [8]), 9);
    const fused = out.filter((s) => s.prim === P(productSumStep));
    expect(fused).toHaveLength(1);
    expect(fused[0]!.out).toBe(8);
    expect(fused[0]!.args).toEqual([0, 2, 4, 6, 8].map(input).concat([1, 3, 5, 7, 9].map(input)));
    expect(fused[0]!.params).toEqual({ k: 3, n: 2, inner: [1, 1, 1, 1, 1], leftRows: false, rightRows: false });
    expect(slots).toBe(9);
  });

  it("leaves a sum whose products need both packings of one side", () => {
    // Four 6×5 products with two inner indices: o0 and o1 as Aᵀ·B (A 2×6), o2 and o3 as A·B (A 6×2).
    const prod = (i: number, ta: number): Step => ({ prim: P(matmul_p), params: { ta, tb: 0 }, args: [input(2 * i), input(2 * i + 1)], out: i, nOut: 1, shapes: [[6, 5]] });
    const sum = (ps: Step[]): Step[] => ps.concat([addStep(0, 1, 4), addStep(4, 2, 5), addStep(5, 3, 6)]).map((s) => ({ ...s, shapes: [[6, 5]] }));
    const mixed = sum([0, 1, 2, 3].map((i) => prod(i, i < 2 ? 1 : 0)));
    const sh = (r: Ref): Shape => (r.kind === "slot" ? [6, 5] : r.i % 2 === 1 ? [2, 5] : r.i < 4 ? [2, 6] : [6, 2]);
    expect(productSums(mixed, sh, reads(mixed, [6]), 7).steps).toBe(mixed);
    // The same four with one packing (all Aᵀ·B) are one sum.
    const same = sum([0, 1, 2, 3].map((i) => prod(i, 1)));
    const sh2 = (r: Ref): Shape => (r.kind === "slot" ? [6, 5] : r.i % 2 === 1 ? [2, 5] : [2, 6]);
    const fused = productSums(same, sh2, reads(same, [6]), 7).steps.filter((s) => s.prim === P(productSumStep));
    expect(fused.map((s) => s.params)).toEqual([{ k: 6, n: 5, inner: [2, 2, 2, 2], leftRows: true, rightRows: true }]);
  });

  it("stops at a partial sum read elsewhere: its terms are not taken into the later sum", () => {
    const steps = chain();
    // s6 (o0 + o1 + o2) is also a result: the tree at s8 has s6, o3 and o4 (two products), the
    // tree at s6 three; with minTerms 2 both are rewritten, s8's as a sum plus the add of s6.
    expect(productSums(steps, shapeOf, reads(steps, [8, 6]), 9).steps).toBe(steps);
    const was = productSumTuning.minTerms;
    productSumTuning.minTerms = 2;
    try {
      const { steps: out, slots } = productSums(steps, shapeOf, reads(steps, [8, 6]), 9);
      const fused = out.filter((s) => s.prim === P(productSumStep));
      expect(fused.map((s) => (s.params as { inner: number[] }).inner.length)).toEqual([3, 2]);
      expect(fused[1]!.out).toBe(9);
      const last = out[out.length - 1]!;
      expect(last.prim).toBe(P(add_p));
      expect(last.args).toEqual([slot(9), slot(6)]);
      expect(last.out).toBe(8);
      expect(slots).toBe(10);
    } finally {
      productSumTuning.minTerms = was;
    }
  });
});
