// The reverse pass adds a slice's cotangent into its argument's accumulator in place
// (slice_p.transposeInto) instead of padding it to full size per contribution: a loop that
// takes one row per step of a precomputed matrix (an RNN's input projection) must run at
// T = 1024 and give exactly the entries the padded path gives.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hvp, jit, jvp, matmul, slice, tanh, tensor, zeros, type Tensor } from "../../src/index.js";
import { slice_p } from "../../src/ops/structure.js";
import { mulberry32 } from "../../src/random.js";
import { expectBitIdentical } from "../helpers/reference.js";

/** Runs `fn` with the slice transpose as it was before: pad, then an out-of-place add. */
function padded<R>(fn: () => R): R {
  const p = slice_p as { transposeInto?: unknown };
  const saved = p.transposeInto;
  p.transposeInto = undefined;
  try {
    return fn();
  } finally {
    p.transposeInto = saved;
  }
}

function randn(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => 2 * r() - 1);
}

/** h_t = tanh(P[t, :] + 0.5 h_{t-1}), h_0 = 0; loss Σ h_T. */
function rnn(T: number, H: number) {
  return (P: Tensor): Tensor => {
    let h: Tensor = zeros([1, H]);
    for (let t = 0; t < T; t++) h = tanh(slice(P, [t, 0], [1, H]).add(h.mul(0.5)));
    return h.sum();
  };
}

/** Closed form of rnn's gradient: δ_T = 1 − h_T², δ_t = 0.5 δ_{t+1} (1 − h_t²), ∂L/∂P[t, :] = δ_t. */
function rnnGrad(P: number[][], T: number, H: number): number[][] {
  const hs: number[][] = [];
  let h = new Array<number>(H).fill(0);
  for (let t = 0; t < T; t++) {
    h = h.map((v, j) => Math.tanh(P[t]![j]! + 0.5 * v));
    hs.push(h);
  }
  const g: number[][] = new Array(T);
  let up = new Array<number>(H).fill(1);
  for (let t = T - 1; t >= 0; t--) {
    const d = hs[t]!.map((v, j) => up[j]! * (1 - v * v));
    g[t] = d;
    up = d.map((v) => 0.5 * v);
  }
  return g;
}

function rows(T: number, H: number, seed: number): number[][] {
  const v = randn(T * H, seed);
  return Array.from({ length: T }, (_, t) => v.slice(t * H, (t + 1) * H));
}

describe("slice cotangents accumulate in place", () => {
  it("a 1024-step loop over the rows of a 1024×256 matrix: grad runs and matches the closed form", () => {
    const T = 1024, H = 256;
    const Pr = rows(T, H, 7);
    const P = tensor(Pr);
    const g = grad(rnn(T, H))(P);
    expect(g.shape).toEqual([T, H]);
    const want = rnnGrad(Pr, T, H);
    const got = g.toArray() as number[][];
    let worst = 0;
    for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) worst = Math.max(worst, Math.abs(got[t]![j]! - want[t]![j]!));
    expect(worst).toBeLessThan(1e-14);
    // Early rows' gradients are 0.5^t-small but not all zero: the accumulator kept them.
    expect(got[1000]![0]).not.toBe(0);
  });

  it("with the projection computed inside (P = X·W): ∂/∂W = Xᵀ δ", () => {
    const T = 1024, H = 256, D = 4;
    const X = tensor(rows(T, D, 3));
    const W = tensor(rows(D, H, 4));
    const f = (w: Tensor) => rnn(T, H)(matmul(X, w));
    const g = grad(f)(W).toArray() as number[][];
    const Pr = matmul(X, W).toArray() as number[][];
    const d = rnnGrad(Pr, T, H);
    const Xr = X.toArray() as number[][];
    let worst = 0;
    for (let k = 0; k < D; k++) {
      for (let j = 0; j < H; j++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += Xr[t]![k]! * d[t]![j]!;
        worst = Math.max(worst, Math.abs(g[k]![j]! - s));
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  // Contributions of every kind to one accumulator, in both orders: a dense use of P after
  // the loop (its cotangent arrives first: the accumulator starts as a copy of it), a dense use
  // before (arrives last: added in place), overlapping boxes, a slice of a slice (an owned
  // accumulator consumed, then transposed again) and a whole-tensor slice.
  const T = 6, H = 4;
  const mixed = (P: Tensor): Tensor => {
    const pre = P.mul(P).sum().mul(0.1);
    let h: Tensor = zeros([1, H]);
    for (let t = 0; t < T; t++) h = tanh(slice(P, [t, 0], [1, H]).add(h.mul(0.5)));
    const block = slice(P, [1, 1], [3, 2]);
    const corner = slice(block, [1, 0], [2, 1]);
    const whole = slice(P, [0, 0]);
    return h.sum().add(pre).add(block.mul(block).sum()).add(corner.exp().sum()).add(whole.sin().sum()).add(P.cos().sum());
  };
  const P0 = tensor(rows(T, H, 11));

  it("gives bit-identical entries to the padded path", () => {
    expectBitIdentical(grad(mixed)(P0), padded(() => grad(mixed)(P0)));
    expectBitIdentical(grad(rnn(T, H))(P0), padded(() => grad(rnn(T, H))(P0)));
  });

  it("matches central differences", () => {
    const g = grad(mixed)(P0).toArray() as number[][];
    const base = P0.toArray() as number[][];
    const eps = 1e-6;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const at = (d: number) => {
          const q = base.map((r) => r.slice());
          q[t]![j]! += d;
          return mixed(tensor(q)).item();
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        expect(Math.abs(g[t]![j]! - fd)).toBeLessThan(1e-7 * (1 + Math.abs(fd)));
      }
    }
  });

  it("nested: hvp and jvp-of-grad through slices (tracer cotangents take the padded path)", () => {
    const V = tensor(rows(T, H, 12));
    const hv = hvp(mixed)(P0, V);
    expectBitIdentical(hv, padded(() => hvp(mixed)(P0, V)));
    // Against central differences of the (in-place) gradient along V.
    const eps = 1e-5;
    const gp = grad(mixed)(P0.add(V.mul(eps))), gm = grad(mixed)(P0.sub(V.mul(eps)));
    const fd = gp.sub(gm).div(2 * eps).data, hd = hv.data;
    for (let i = 0; i < fd.length; i++) expect(Math.abs(hd[i]! - fd[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(fd[i]!)));
    const [, tan] = jvp((p: Tensor) => grad(mixed)(p), [P0], [V]);
    const td = (tan as Tensor).data;
    for (let i = 0; i < hd.length; i++) expect(Math.abs(td[i]! - hd[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(hd[i]!)));
    // grad of a function of grad: the outer pass differentiates the inner one.
    const gg = grad((p: Tensor) => grad(mixed)(p).mul(V).sum())(P0);
    expectBitIdentical(gg, padded(() => grad((p: Tensor) => grad(mixed)(p).mul(V).sum())(P0)));
    const gd = gg.data;
    for (let i = 0; i < hd.length; i++) expect(Math.abs(gd[i]! - hd[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(hd[i]!)));
  });

  it("a pass with both concrete and tracer cotangents for one variable (jvp over a closed-over weight)", () => {
    // Even rows' cotangents are concrete, odd rows' carry the outer tracer a: the accumulator
    // starts in place, then turns into a traced sum, in both orders.
    const P = P0;
    const g = (a: Tensor) =>
      grad((p: Tensor) => {
        let s: Tensor = tensor(0);
        for (let t = 0; t < T; t++) {
          const r = slice(p, [t, 0], [1, H]);
          s = s.add(r.mul(r).sum().mul(t % 2 === 1 ? a : tensor(1)));
        }
        const r0 = slice(p, [0, 0], [1, H]);
        return s.add(r0.mul(r0).sum().mul(a)).add(slice(p, [T - 1, 0], [1, H]).sum());
      })(P);
    const [val, tan] = jvp(g, [tensor(3)], [tensor(1)]);
    const [val0, tan0] = padded(() => jvp(g, [tensor(3)], [tensor(1)]));
    expectBitIdentical(val as Tensor, val0 as Tensor);
    expectBitIdentical(tan as Tensor, tan0 as Tensor);
    // Closed form: ∂/∂P = 2 w_t P[t] (+ 2a P[0] on row 0, + 1 on the last row); ∂/∂a of that.
    const Pr = P.toArray() as number[][], v = (val as Tensor).toArray() as number[][], d = (tan as Tensor).toArray() as number[][];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < H; j++) {
        const w = (t % 2 === 1 ? 3 : 1) + (t === 0 ? 3 : 0);
        expect(v[t]![j]).toBeCloseTo(2 * w * Pr[t]![j]! + (t === T - 1 ? 1 : 0), 14);
        expect(d[t]![j]).toBeCloseTo(t % 2 === 1 || t === 0 ? 2 * Pr[t]![j]! : 0, 14);
      }
    }
  });

  it("vjp: a pullback called twice makes a fresh accumulator per call and never writes into its cotangent", () => {
    const f = (P: Tensor) => {
      const rs = [slice(P, [0, 0], [2, H]), slice(P, [1, 0], [2, H]), slice(P, [T - 2, 1], [2, H - 1])];
      return mc.concat([rs[0]!.mul(rs[0]!), rs[1]!.sin(), rs[2]!.mul(2)], 1);
    };
    const [out, back] = mc.vjp(f, P0);
    const c1 = tensor(rows(2, (out as Tensor).shape[1]!, 21)), c2 = tensor(rows(2, (out as Tensor).shape[1]!, 22));
    const c1Before = Float64Array.from(c1.data);
    const [g1] = back(c1), [g2] = back(c2), [g1b] = back(c1);
    expect(Array.from(c1.data)).toEqual(Array.from(c1Before));
    expectBitIdentical(g1 as Tensor, g1b as Tensor);
    const [, backOld] = padded(() => mc.vjp(f, P0));
    expectBitIdentical(g1 as Tensor, padded(() => backOld(c1))[0] as Tensor);
    expectBitIdentical(g2 as Tensor, padded(() => backOld(c2))[0] as Tensor);
  });

  it("jit(grad) records the padded path and replays it without falling back", () => {
    const reasons: string[] = [];
    const g = jit(grad(mixed), { onFallback: (r) => reasons.push(r) });
    const want = grad(mixed)(P0);
    expectBitIdentical(g(P0), want); // recorded
    const P1 = tensor(rows(T, H, 13));
    expectBitIdentical(g(P1), grad(mixed)(P1)); // replayed at other values
    expectBitIdentical(g(P0), want);
    expect(reasons).toEqual([]);
  });

  // Rows scaled by number literals, negated or subtracted, some through mean: transforms hold
  // such factors instead of running products (held-factors.test.ts), in the forward trace or
  // in the backward pass (where a slice's cotangent may then arrive with a factor: summed in
  // place with others of that factor and scaled once, as accumulate does). Whichever holds
  // them, the in-place sum must give the padded path's bits, and jit's.
  const scaledRows = (factors: readonly number[]) => (P: Tensor): Tensor => {
    let s: Tensor = zeros([]);
    for (let t = 0; t < T; t++) {
      const row = slice(P, [t, 0], [1, H]);
      const k = factors[t % factors.length]!;
      const r = k < 0 ? (t % 2 === 0 ? zeros([1, H]).sub(row) : row.neg()) : row;
      s = s.add(t % 3 === 0 ? tanh(r.mul(Math.abs(k))).mean() : tanh(r.mul(Math.abs(k))).sum());
    }
    return s.add(P.mul(0.25).sum());
  };

  it("rows scaled by literals (held factors, one or several) give the padded path's and jit's bits", () => {
    for (const factors of [[0.5], [-0.5], [0.5, -2], [3, 3, -1]]) {
      const f = scaledRows(factors);
      const want = padded(() => grad(f)(P0));
      expectBitIdentical(grad(f)(P0), want);
      const reasons: string[] = [];
      const g = jit(grad(f), { onFallback: (r) => reasons.push(r) });
      expectBitIdentical(g(P0), want);
      expect(reasons).toEqual([]);
    }
  });

  it("a 1024-step loop over scaled rows of a 1024×256 matrix runs in place", () => {
    const TT = 1024, HH = 256;
    const P = tensor(rows(TT, HH, 17));
    const f = (Q: Tensor): Tensor => {
      let s: Tensor = zeros([]);
      for (let t = 0; t < TT; t++) s = s.add(tanh(slice(Q, [t, 0], [1, HH]).mul(-0.5)).mean());
      return s;
    };
    const g = grad(f)(P).toArray() as number[][];
    const Pr = P.toArray() as number[][];
    let worst = 0;
    for (let t = 0; t < TT; t++) {
      for (let j = 0; j < HH; j++) {
        const th = Math.tanh(-0.5 * Pr[t]![j]!);
        worst = Math.max(worst, Math.abs(g[t]![j]! + (0.5 / HH) * (1 - th * th)));
      }
    }
    expect(worst).toBeLessThan(1e-15);
  });

  it("vmap of grad (batched cotangents) is unchanged", () => {
    const P1 = P0.mul(0.5);
    const gs = mc.vmap(grad(mixed))(tensor([P0.toArray() as number[][], P1.toArray() as number[][]]));
    expect(gs.shape).toEqual([2, T, H]);
    for (const [k, p] of [P0, P1].entries()) {
      const want = padded(() => grad(mixed)(p)).data, got = slice(gs, [k, 0, 0], [1, T, H]).reshape([T, H]).data;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-13 * (1 + Math.abs(want[i]!)));
    }
  });
});
