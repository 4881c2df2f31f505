// Jacobians and Hessians in many chunks: at top level each chunk's memory is freed once its
// block is copied out, so linear memory grows by about one chunk's working set, not by the sum
// over chunks (which for an MLP Hessian is directions × all intermediates). The results must
// not depend on the chunking, under jit, or inside other transforms (where nothing is freed).
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { MemoryLimitError, grad, hessian, jacobian, jit, randn, type Tensor } from "../../src/index.js";
import { recording } from "../../src/core/primitive.js";
import { rt } from "../../src/wasm/module.js";

const X = randn([200, 20], { seed: 1 }), Y = randn([200, 1], { seed: 2 });
const params = () => ({
  W1: randn([20, 20], { seed: 3 }).mul(0.3), b1: randn([20], { seed: 4 }).mul(0.1),
  W2: randn([20, 1], { seed: 5 }).mul(0.3), b2: randn([1], { seed: 6 }).mul(0.1),
});
type P = ReturnType<typeof params>;
const loss = (q: P) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  const bd = b.data;
  a.data.forEach((v, i) => (m = Math.max(m, Math.abs(v - bd[i]!))));
  return m;
}

describe("chunked Jacobians and Hessians free each chunk's memory", () => {
  it("an MLP Hessian in 8-direction chunks grows memory by far less than the chunks' sum", () => {
    const mem = () => rt().kernels.memory.buffer.byteLength;
    mc.zeros([1]).add(1); // instantiate the kernels
    const before = mem();
    const H8 = hessian(loss, { chunkSize: 8 })(params());
    const grown = mem() - before;
    // Without freeing, the 56 chunks' intermediates add up (140 MiB measured); one
    // 8-direction chunk plus three copies of the 1.5 MiB Hessian is a few MiB.
    expect(grown).toBeLessThan(64 * 2 ** 20);
    const H1 = hessian(loss, { chunkSize: 441 })(params());
    expect(maxDiff(H8, H1)).toBeLessThan(1e-12);
    expect(maxDiff(H8, H8.T)).toBeLessThan(1e-12);
  });

  it("jit of a many-chunk Hessian records it (no freeing while recording) and replays it exactly", () => {
    const reasons: string[] = [];
    const H = jit(hessian(loss, { chunkSize: 50 }), { onFallback: (r) => reasons.push(r) });
    const a = H(params()) as Tensor, b = H(params()) as Tensor;
    expect(reasons).toEqual([]);
    expect(maxDiff(a, b)).toBe(0);
    expect(maxDiff(a, hessian(loss)(params()))).toBeLessThan(1e-12);
  });

  it("a recording that runs out of memory makes jit run the call un-jitted (which may free as it goes)", () => {
    // Stands for a call whose values only fit when jacobian frees each chunk: it fails while
    // jit records (a recording keeps every value) and succeeds when run alone.
    let plain = 0;
    const f = (x: Tensor) => {
      if (recording.current !== null) throw new MemoryLimitError("mul", 2 ** 33);
      plain++;
      return x.mul(2);
    };
    const reasons: string[] = [];
    const j = jit(f, { onFallback: (r) => reasons.push(r) });
    expect((j(mc.vector([1, 2])) as Tensor).toArray()).toEqual([2, 4]);
    expect((j(mc.vector([3, 4])) as Tensor).toArray()).toEqual([6, 8]);
    expect(reasons).toEqual(["f needs more memory than a recording can hold"]);
    expect(plain).toBe(2);
    expect(rt().arena.active).toBe(false);
  });

  it("inside another transform nothing is freed, and the derivative is right", () => {
    const A = randn([6, 6], { seed: 7 });
    const g = (x: Tensor) => A.matmul(x).tanh();
    // d/dx Σ J(x) with J in 2-direction chunks (freeing would corrupt the outer trace).
    const f = (chunk: number) => grad((x: Tensor) => jacobian(g, { chunkSize: chunk })(x).sum());
    const x = randn([6], { seed: 8 });
    const a = f(2)(x) as Tensor, b = f(6)(x) as Tensor;
    expect(maxDiff(a, b)).toBeLessThan(1e-13);
    // and against central differences of the summed Jacobian
    const s = (v: Tensor) => jacobian(g)(v).sum().item();
    const h = 1e-6;
    const e = (i: number) => mc.tensor(Array.from({ length: 6 }, (_, j) => (j === i ? h : 0)));
    a.data.forEach((v, i) => expect(v).toBeCloseTo((s(x.add(e(i))) - s(x.sub(e(i)))) / (2 * h), 6));
  });

  it("both modes and both layouts agree across chunk sizes", () => {
    const W = randn([7, 5], { seed: 9 });
    const f = (x: Tensor) => W.matmul(x).tanh().mul(x.sum());
    const x = randn([5], { seed: 10 });
    for (const mode of ["fwd", "rev"] as const) {
      for (const layout of ["numerator", "denominator"] as const) {
        const ref = jacobian(f, { mode, layout, chunkSize: 100 })(x);
        for (const chunkSize of [1, 2, 3]) expect(maxDiff(jacobian(f, { mode, layout, chunkSize })(x), ref)).toBe(0);
      }
    }
  });
});
