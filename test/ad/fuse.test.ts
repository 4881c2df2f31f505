// Row-block fusion in jit replays (src/jit/passes/fuse.ts): a chain X·v → entrywise steps → Xᵀ·r over
// a large X runs as one blocked pass. It must fire where it applies (the replay calls no
// matmul for X), stay out where it does not, and give what the unfused steps give: entrywise
// values and X·v bit for bit, Xᵀ·r to rounding.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hessian, hvp, jit, randn, valueAndGrad, type Tensor } from "../../src/index.js";
import { jitLinearize } from "../../src/jit/jit.js";
import { linearize } from "../../src/transforms/transforms.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { scoped } from "../../src/core/tensor.js";
import { jitDebug } from "../../src/jit/pipeline.js";

// Every pass's output is checked against the IR's invariants (verifyProgram).
jitDebug.verify = true;

const M = 3000;

/** max |a − b| / max(|b|, floor) over the entries. */
function relErr(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const scale = Math.max(...Array.from(b.data, Math.abs), 1e-300);
  const bd = b.data;
  return Math.max(...Array.from(a.data, (e, i) => Math.abs(e - bd[i]!))) / scale;
}

/** Products with a matrix of ≥ 200 rows (X, Z, Xs) that matmul's implementation runs while `fn` runs. */
function matmulCalls(fn: () => unknown): number {
  const spy = vi.spyOn(matmul_p, "impl");
  try {
    fn();
    return spy.mock.calls.filter(([args]) => args.some((a) => a.shape[0]! >= 200)).length;
  } finally {
    spy.mockRestore();
  }
}

describe("row-block fusion", () => {
  const N = 60; // X (M × N) is 1.4 MB: above the fusion threshold
  const X = randn([M, N], { seed: 1 });
  const t = randn([M], { seed: 3 });
  const v = randn([N], { seed: 5 });
  // Made by kernels, so after the browser project's beforeAll has loaded them.
  let y!: Tensor, w!: Tensor;
  beforeAll(() => {
    y = mc.sign(randn([M], { seed: 2 }));
    w = randn([N], { seed: 4 }).mul(0.2);
  });
  const logistic = (q: Tensor) => mc.softplus(y.mul(X.matmul(q)).neg()).mean().add(q.dot(q).mul(5e-4));
  const leastSquares = (q: Tensor) => X.matmul(q).sub(t).square().sum().mul(0.5);

  afterEach(() => vi.restoreAllMocks());

  it("logistic value and gradient: the replay runs no product with X, and equals the unfused call", () => {
    const vg = valueAndGrad(logistic), jvg = jit(vg);
    jvg(w); // records
    for (const q of [w, w.mul(-3), randn([N], { seed: 9 })]) {
      let out!: [Tensor, Tensor];
      const calls = matmulCalls(() => (out = jvg(q) as [Tensor, Tensor]));
      const [v0, g0] = vg(q);
      expect(out[0].item()).toBe(v0.item()); // f's value reads the fused intermediates: exact
      expect(relErr(out[1], g0)).toBeLessThan(1e-13);
      expect(calls).toBe(0);
      // Against the closed form ∇ = −Xᵀ(y ⊙ σ(−y ⊙ Xq))/m + 1e-3·q.
      const s = mc.sigmoid(y.mul(X.matmul(q)).neg());
      const ref = X.T.matmul(y.mul(s)).mul(-1 / M).add(q.mul(1e-3));
      expect(relErr(out[1], ref)).toBeLessThan(1e-12);
    }
    // Unfused, the gradient needs both products with X.
    expect(matmulCalls(() => vg(w))).toBe(2);
  });

  it("least squares: gradient Xᵀ(Xw − t), Hessian-vector product XᵀXv, and grad with X as an argument", () => {
    const g = jit(grad(leastSquares));
    g(w);
    let gw!: Tensor;
    expect(matmulCalls(() => (gw = g(w) as Tensor))).toBe(0);
    expect(relErr(gw, X.T.matmul(X.matmul(w).sub(t)))).toBeLessThan(1e-13);
    const hv = jit(hvp(leastSquares));
    hv(w, v);
    let hvw!: Tensor;
    expect(matmulCalls(() => (hvw = hv(w, v) as Tensor))).toBe(0);
    expect(relErr(hvw, X.T.matmul(X.matmul(v)))).toBeLessThan(1e-13);
    // X as an input leaf rather than a captured constant: the same chain, fused the same way.
    const gx = jit(grad((q: Tensor, A: Tensor) => A.matmul(q).sub(t).square().sum().mul(0.5)));
    gx(w, X);
    let g2!: Tensor;
    expect(matmulCalls(() => (g2 = gx(w.mul(2), X) as Tensor))).toBe(0);
    expect(relErr(g2, X.T.matmul(X.matmul(w.mul(2)).sub(t)))).toBeLessThan(1e-13);
  });

  it("jitLinearize (the optimizers' path): both parts fuse, values and H·v as unfused", () => {
    const vg = valueAndGrad(logistic);
    const lin = (fn: (x: unknown) => unknown, x: unknown) => linearize(fn, x) as [unknown, (t: unknown) => unknown];
    // As the optimizers call it: the tangent of f's value (leaf 0) is not wanted.
    const jl = jitLinearize(vg as (x: unknown) => unknown, lin, (leaf) => leaf > 0);
    const H = hessian(logistic)(w);
    scoped(() => {
      const [, first] = jl(w) as [unknown, (t: unknown) => [Tensor, Tensor]];
      first(v); // records the tangent part
    });
    for (const s of [6, 7]) {
      const q = randn([N], { seed: s }).mul(0.3);
      scoped(() => {
        let res!: [[Tensor, Tensor], (t: unknown) => [Tensor, Tensor]];
        expect(matmulCalls(() => (res = jl(q) as typeof res))).toBe(0);
        const [[val, gq], jv] = res;
        const [v0, g0] = vg(q);
        expect(val.item()).toBe(v0.item());
        expect(relErr(gq, g0)).toBeLessThan(1e-13);
        let hv!: Tensor, dv: Tensor | undefined;
        expect(matmulCalls(() => ([dv, hv] = jv(v)))).toBe(0);
        expect(dv).toBeUndefined();
        expect(relErr(hv, hessian(logistic)(q).matmul(v))).toBeLessThan(1e-12);
      });
    }
    expect(H.shape).toEqual([N, N]);
  });

  it("stays out where rows are not independent, and the replay is still right", () => {
    // r = z − mean(z) couples every row to all of z: no block can finish on its own.
    const centred = (q: Tensor) => {
      const z = X.matmul(q);
      return z.sub(z.mean()).square().sum();
    };
    const g = grad(centred), jg = jit(g);
    jg(w);
    let out!: Tensor;
    expect(matmulCalls(() => (out = jg(w.mul(0.5)) as Tensor))).toBe(2);
    expect(relErr(out, g(w.mul(0.5)))).toBe(0);
    // Another matrix on the way back (Zᵀ·r with Z ≠ X): not the pattern.
    const Z = randn([M, N], { seed: 11 });
    const two = (q: Tensor) => Z.matmul(q).mul(X.matmul(q)).sum();
    const g2 = grad(two), jg2 = jit(g2);
    jg2(w);
    expect(relErr(jg2(v) as Tensor, g2(v))).toBeLessThan(1e-13);
  });

  it("small X is left alone (fusion only pays when X outgrows the cache): replays stay bit for bit", () => {
    const Xs = randn([200, 10], { seed: 12 }), ys = randn([200], { seed: 13 });
    const f = (q: Tensor) => mc.softplus(ys.mul(Xs.matmul(q))).sum();
    const g = grad(f), jg = jit(g);
    const q = randn([10], { seed: 14 });
    jg(q);
    let out!: Tensor;
    expect(matmulCalls(() => (out = jg(q) as Tensor))).toBe(2);
    expect(Array.from(out.data)).toEqual(Array.from(g(q).data));
  });

  it("a batched chain (X·V with several columns) is not a row chain: no fusion, right values", () => {
    const f = (V: Tensor) => mc.tanh(X.matmul(V)).sum();
    const g = grad(f), jg = jit(g);
    const V = randn([N, 3], { seed: 15 });
    jg(V);
    expect(relErr(jg(V.mul(2)) as Tensor, g(V.mul(2)))).toBeLessThan(1e-13);
  });
});
