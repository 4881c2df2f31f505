// jit: a recorded kernel sequence must give bit-identical results to running f, re-record for
// a new signature, refuse value-dependent code, and keep errors and memory behaviour intact.
import { describe, expect, it, vi } from "vitest";
import * as mc from "../../src/index.js";
import { lowerMirrored } from "../helpers/hessian.js";
import {
  NotPositiveDefiniteError, SingularMatrixError, grad, hessian, hvp, jacobian, jit, matrix, randn, scalar, valueAndGrad, vector, vmap,
  type Tensor,
} from "../../src/index.js";
import { jitLinearize } from "../../src/jit/jit.js";
import { linearize } from "../../src/transforms/transforms.js";
import { rt } from "../../src/wasm/module.js";
import { scoped } from "../../src/core/tensor.js";
import { softplus_p } from "../../src/ops/elementwise.js";
import { jitDebug } from "../../src/jit/pipeline.js";

// Every pass's output is checked against the IR's invariants (verifyProgram).
jitDebug.verify = true;

const same = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
};

/** f with a JS counter, to tell a recording (f runs) from a replay (it does not). */
function counted<F extends (...a: any[]) => any>(f: F): { f: F; calls: () => number } {
  let n = 0;
  return { f: ((...a: any[]) => (n++, f(...a))) as F, calls: () => n };
}

describe("jit", () => {
  const A = matrix([[2, 1, 0.5], [1, 3, -1], [0.5, -1, 4]]);

  it("replays grad of xᵀAx bit for bit and does not run f again", () => {
    const { f, calls } = counted((x: Tensor) => x.dot(A.matmul(x)));
    const g = jit(grad(f));
    const xs = [vector([1.2, 0.8, -0.3]), vector([1, 0, 0]), vector([-2, 5, 0.25])];
    const first = g(xs[0]!) as Tensor;
    expect(calls()).toBe(1);
    for (const x of xs) {
      const r = g(x) as Tensor;
      same(r, grad((x: Tensor) => x.dot(A.matmul(x)))(x) as Tensor);
      // closed form (A + Aᵀ)x
      const cf = A.add(A.T).matmul(x).data;
      Array.from(r.data).forEach((v, i) => expect(v).toBeCloseTo(cf[i]!, 12));
    }
    expect(calls()).toBe(1);
    same(first, g(xs[0]!) as Tensor);
  });

  it("records again for a new shape, and each signature replays its own program", () => {
    const { f, calls } = counted((x: Tensor) => x.square().sum().mul(0.5));
    const g = jit(grad(f));
    same(g(vector([1, 2])) as Tensor, vector([1, 2]));
    same(g(vector([1, 2, 3])) as Tensor, vector([1, 2, 3]));
    same(g(matrix([[1, 2], [3, 4]])) as Tensor, matrix([[1, 2], [3, 4]]));
    expect(calls()).toBe(3);
    same(g(vector([5, 6])) as Tensor, vector([5, 6]));
    same(g(vector([7, 8, 9])) as Tensor, vector([7, 8, 9]));
    expect(calls()).toBe(3);
  });

  it("value-dependent control flow is detected: f runs every time and both branches are right", () => {
    const reasons: string[] = [];
    const f = (x: Tensor) => (x.sum().item() > 0 ? x.square().sum() : x.mul(3).sum());
    const g = jit(grad(f), { onFallback: (r) => reasons.push(r) });
    same(g(vector([1, 2])) as Tensor, vector([2, 4]));
    same(g(vector([-1, -2])) as Tensor, vector([3, 3]));
    same(g(vector([3, 1])) as Tensor, vector([6, 2]));
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/reads the entries/);
  });

  it("an argument that f also captures is told apart from the capture", () => {
    const B = vector([10, 20]);
    const j = jit((x: Tensor) => x.mul(B).add(x));
    same(j(B) as Tensor, vector([110, 420]));
    same(j(vector([1, 2])) as Tensor, vector([11, 42]));
    // and the same tensor in two places
    const k = jit((x: Tensor, y: Tensor) => x.mul(2).add(y));
    same(k(B, B) as Tensor, vector([30, 60]));
    same(k(vector([1, 2]), vector([5, 5])) as Tensor, vector([7, 9]));
  });

  it("pytrees in and out: MLP value and gradient, hessian and hvp equal the un-jitted transforms", () => {
    const X = randn([32, 4], { seed: 1 }), Y = randn([32, 1], { seed: 2 });
    const loss = (p: { W1: Tensor; b1: Tensor; W2: Tensor }) =>
      X.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).sub(Y).square().mean();
    const params = (s: number) => ({ W1: randn([4, 5], { seed: s }), b1: randn([5], { seed: s + 1 }), W2: randn([5, 1], { seed: s + 2 }) });
    const vg = valueAndGrad(loss), jvg = jit(vg);
    const H = hessian(loss), jH = jit(H);
    const hv = hvp(loss), jhv = jit(hv);
    for (const s of [10, 20, 30]) {
      const p = params(s), v = params(s + 100);
      const [a, ga] = vg(p) as [Tensor, Record<string, Tensor>];
      const [b, gb] = jvg(p) as [Tensor, Record<string, Tensor>];
      same(a, b);
      for (const k of ["W1", "b1", "W2"]) same(ga[k]!, gb[k]!);
      same(lowerMirrored(H(p)), jH(p) as Tensor); // in chunks: see triangle.ts
      const ha = hv(p, v) as Record<string, Tensor>, hb = jhv(p, v) as Record<string, Tensor>;
      for (const k of ["W1", "b1", "W2"]) same(ha[k]!, hb[k]!);
    }
  });

  it("jacobian (both modes, chunked), vmap and linear algebra replay exactly", () => {
    const W = randn([7, 5], { seed: 3 });
    const f = (x: Tensor) => W.matmul(x).tanh();
    for (const mode of ["fwd", "rev"] as const) {
      const J = jacobian(f, { mode, chunkSize: 3 }), jJ = jit(J);
      for (const s of [4, 5]) {
        const x = randn([5], { seed: s });
        same(J(x), jJ(x) as Tensor);
      }
    }
    const spd = (s: number) => { const M = randn([4, 4], { seed: s }); return M.matmul(M.T).add(mc.eye(4)); };
    const lg = grad((X: Tensor) => mc.logdet(X)), jlg = jit(lg);
    for (const s of [6, 7]) same(lg(spd(s)) as Tensor, jlg(spd(s)) as Tensor);
    const batched = vmap((x: Tensor) => x.dot(x)), jb = jit(batched);
    same(batched(randn([3, 4], { seed: 8 })), jb(randn([3, 4], { seed: 8 })) as Tensor);
  });

  it("an error in a replay is the same typed error, and the next call works", () => {
    const inv = jit((X: Tensor) => mc.inv(X));
    same(inv(matrix([[2, 0], [0, 4]])) as Tensor, matrix([[0.5, 0], [0, 0.25]]));
    expect(() => inv(matrix([[1, 2], [2, 4]]))).toThrow(SingularMatrixError);
    same(inv(matrix([[4, 0], [0, 2]])) as Tensor, matrix([[0.25, 0], [0, 0.5]]));
    expect(rt().arena.active).toBe(false);
  });

  it("a replay skips what no result needs (grad drops f's value), but keeps steps that can raise", () => {
    const y = vector([1, -1, 1]);
    const f = (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const g = grad(f), jg = jit(g);
    const x0 = vector([0.1, -0.2, 0.3]), x1 = vector([-0.4, 0.5, 0.2]);
    same(jg(x0) as Tensor, g(x0));
    // softplus only makes f's value, which grad discards: the recording ran it, replays do not.
    // Its kernel runs through impl (bind, replays) or run1 (un-jitted forward mode).
    const spy = vi.spyOn(softplus_p, "impl");
    const spy1 = vi.spyOn(softplus_p as { run1: NonNullable<typeof softplus_p.run1> }, "run1");
    const runs = (): number => spy.mock.calls.length + spy1.mock.calls.length;
    try {
      same(jg(x1) as Tensor, g(x1));
      // g(x1) ran it once; the replay added nothing.
      expect(runs()).toBe(1);
      const jvg = jit(valueAndGrad(f));
      jvg(x0);
      spy.mockClear();
      spy1.mockClear();
      const [v, gv] = jvg(x1) as [Tensor, Tensor];
      expect(runs()).toBe(1);
      same(v, f(x1));
      same(gv, g(x1));
    } finally {
      spy.mockRestore();
      spy1.mockRestore();
    }
    // An unused Cholesky still decides whether the call fails, as it does without jit.
    const h = jit((x: Tensor) => {
      mc.cholesky(mc.outer(x, x).add(mc.eye(3).mul(x.sum())));
      return x.mul(2);
    });
    same(h(vector([1, 2, 3])) as Tensor, vector([2, 4, 6]));
    expect(() => h(vector([1, 2, -9]))).toThrow(NotPositiveDefiniteError);
    same(h(vector([3, 2, 1])) as Tensor, vector([6, 4, 2]));
  });

  it("a first call records dry: kernels of values computed from x run only in the replay", () => {
    const y = vector([1, -1, 1]);
    const c = counted((x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum());
    const jg = jit(grad(c.f)), jvg = jit(valueAndGrad(c.f));
    const spy = vi.spyOn(softplus_p, "impl");
    try {
      const x = vector([0.3, -0.1, 0.2]);
      // grad drops f's value: recorded dry and replayed, softplus never runs.
      const g = jg(x) as Tensor;
      expect(spy).toHaveBeenCalledTimes(0);
      const [v, g1] = jvg(x) as [Tensor, Tensor];
      expect(spy).toHaveBeenCalledTimes(1);
      expect(c.calls()).toBe(2);
      const [v0, g0] = valueAndGrad(c.f)(x);
      same(v, v0);
      same(g, g0);
      same(g1, g0);
    } finally {
      spy.mockRestore();
    }
  });

  it("repeated replays reach a memory high-water mark", () => {
    const g = jit(grad((x: Tensor) => mc.softplus(x).sum()));
    const x = randn([5000], { seed: 9 });
    g(x);
    g(x);
    const bytes = rt().kernels.memory.buffer.byteLength;
    for (let i = 0; i < 300; i++) g(x);
    expect(rt().kernels.memory.buffer.byteLength).toBe(bytes);
  });

  it("numbers and nested arrays as arguments, scalar outputs", () => {
    const j = jit((a: Tensor, b: Tensor) => mc.mul(a, b).sum());
    expect((j(scalar(3), [1, 2, 3]) as Tensor).item()).toBe(18);
    expect((j(scalar(2), [1, 2, 3]) as Tensor).item()).toBe(12);
  });

  it("jitLinearize (the optimizers' HVP path) replays the tangent part at a new point", () => {
    const f = (x: Tensor) => x.dot(A.matmul(x)).mul(x.sum());
    const vg = valueAndGrad(f);
    const lin = (fn: (x: unknown) => unknown, x: unknown) => linearize(fn, x) as [unknown, (t: unknown) => unknown];
    const jl = jitLinearize(vg as (x: unknown) => unknown, lin);
    const H = hessian(f);
    for (const s of [1, 2, 3]) {
      const x = randn([3], { seed: s }), v = randn([3], { seed: s + 10 });
      scoped(() => {
        const [[val, g], jv] = jl(x) as [[Tensor, Tensor], (t: unknown) => [Tensor, Tensor]];
        const [val0, g0] = vg(x) as [Tensor, Tensor];
        expect(val.item()).toBe(val0.item());
        same(g, g0);
        const hv = jv(v)[1], ref = H(x).matmul(v);
        const rd = ref.data;
        Array.from(hv.data).forEach((e, i) => expect(e).toBeCloseTo(rd[i]!, 11));
        const hv2 = jv(vector([1, 0, 0]))[1];
        const hd = H(x).data;
        Array.from(hv2.data).forEach((e, i) => expect(e).toBeCloseTo(hd[i]!, 11));
      });
    }
  });
});
