// Issue 19's rules: jacobian's cost-based 'auto' mode, vmap of small batched products as one
// broadcast product, and permutes that are matrix transposes taking the transpose kernel.
import { describe, expect, it } from "vitest";
import { dot, grad, jacobian, jit, kron, matmul, matrix, randn, reshape, slice, vector, vmap, type Tensor } from "../../src/index.js";
import { permute } from "../../src/ops/permute.js";
import { stack } from "../../src/ops/batched.js";
import { jacobianAutoMode } from "../../src/transforms/transforms.js";

function close(a: Tensor, b: Tensor, tol = 1e-13): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.data, y = b.data;
  let scale = 1;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(tol * scale);
}

describe("jacobian mode 'auto'", () => {
  const tanhWx = (m: number, n: number) => {
    const W = randn([m, n], { seed: m + n });
    return (x: Tensor) => W.matmul(x).tanh();
  };
  it("goes forward for square Jacobians and whenever inputs are fewer than outputs", () => {
    for (const [m, n] of [[3, 3], [100, 100], [1000, 100], [1000, 10], [4, 3]]) {
      expect(jacobianAutoMode(tanhWx(m!, n!), randn([n!], { seed: 1 }))).toBe("fwd");
    }
    // Elementwise m = n, and fewer inputs than outputs of any kind.
    expect(jacobianAutoMode((x: Tensor) => x.exp().mul(x), randn([50], { seed: 2 }))).toBe("fwd");
    expect(jacobianAutoMode((x: Tensor) => x.reshape([2, 1]).matmul(x.reshape([1, 2])).sum(0), vector([1, 2]))).toBe("fwd");
  });
  it("goes reverse once inputs clearly outnumber outputs", () => {
    for (const [m, n] of [[100, 1000], [10, 1000], [30, 300], [1, 5]]) {
      expect(jacobianAutoMode(tanhWx(m!, n!), randn([n!], { seed: 1 }))).toBe("rev");
    }
    // A scalar of n inputs: one pullback instead of n pushes.
    expect(jacobianAutoMode((x: Tensor) => x.exp().sum(), randn([3], { seed: 3 }))).toBe("rev");
    expect(jacobianAutoMode((x: Tensor) => x.sum(), randn([100], { seed: 3 }))).toBe("rev");
    // Where reverse must write a cotangent per linear argument, the crossover sits above n = m:
    // tanh(Wx): forward gathers W's columns, n·(n + 2m); reverse scales its output seeds by
    // 1 − y² and then gathers W's rows (a scaled basis chunk), m·(m + 3m + n). Equal at
    // n = m(√17 − 1)/2 ≈ 1.56 m.
    expect(jacobianAutoMode(tanhWx(100, 150), randn([150], { seed: 1 }))).toBe("fwd");
    expect(jacobianAutoMode(tanhWx(100, 160), randn([160], { seed: 1 }))).toBe("rev");
    // A product with a dense direction counts its multiply-adds (an eighth of an entry each):
    // W·tanh(Bx)'s reverse pass meets B with dense cotangents, forward gathers B's columns.
    const A = randn([30, 300], { seed: 4 }), B = randn([300, 300], { seed: 5 });
    expect(jacobianAutoMode((x: Tensor) => A.matmul(B.matmul(x).tanh()), randn([300], { seed: 1 }))).toBe("rev");
  });
  it("reverse mode gathers rows of W after an elementwise step: tanh(W·x) and tanh(A·X) as forward mode's gathered columns", () => {
    // J = diag(1 − y²)·W: each entry one product of W's entry and the tanh derivative, which
    // the reverse pass's scaled basis gather and the forward pass's column gather both compute.
    const W = randn([7, 40], { seed: 8 }), x = randn([40], { seed: 9 });
    const f = (v: Tensor) => W.matmul(v).tanh();
    const J = jacobian(f, { mode: "rev" })(x), JF = jacobian(f, { mode: "fwd" })(x);
    expect(J.shape).toEqual([7, 40]);
    J.data.forEach((v, i) => expect(Object.is(v, JF.data[i]), `entry ${i}: ${v} vs ${JF.data[i]}`).toBe(true));
    // Against sech²(z)·W in plain JS (1 − tanh² cancels where |z| is large).
    const z = W.matmul(x).data;
    J.data.forEach((v, i) => {
      const w = W.data[i]! / Math.cosh(z[i % 7]!) ** 2;
      expect(Math.abs(v - w), `entry ${i}`).toBeLessThanOrEqual(2e-15 * Math.abs(w) + 1e-300);
    });
    // Matrix input: f(X) = tanh(A·X), J[(i,j),(k,l)] = δ_jl·(1 − Y_ij²)·A_ik over vec (column-major).
    const A = randn([5, 6], { seed: 10 }), X = randn([6, 3], { seed: 11 });
    const g = (M: Tensor) => A.matmul(M).tanh();
    const JX = jacobian(g, { mode: "rev" })(X), JXF = jacobian(g, { mode: "fwd" })(X);
    expect(JX.shape).toEqual([15, 18]);
    JX.data.forEach((v, i) => expect(Object.is(v, JXF.data[i]), `entry ${i}: ${v} vs ${JXF.data[i]}`).toBe(true));
    const Z = A.matmul(X).data;
    for (let j = 0; j < 3; j++) for (let i = 0; i < 5; i++) for (let l = 0; l < 3; l++) for (let k = 0; k < 6; k++) {
      const got = JX.data[(i + 5 * j) + 15 * (k + 6 * l)]!;
      const w = j === l ? A.data[i + 5 * k]! / Math.cosh(Z[i + 5 * j]!) ** 2 : 0;
      if (!(Math.abs(got - w) <= 2e-15 * Math.abs(w))) expect.fail(`J[(${i},${j}),(${k},${l})] = ${got}, want ${w}`);
    }
  });
  it("reverse mode gathers after two elementwise steps too (the scaled chunk's factors multiply)", () => {
    const W = randn([6, 30], { seed: 12 }), x = randn([30], { seed: 13 });
    const f = (v: Tensor) => W.matmul(v).tanh().tanh();
    close(jacobian(f, { mode: "rev" })(x), jacobian(f, { mode: "fwd" })(x), 1e-15);
    expect(jacobianAutoMode(f, x)).toBe("rev");
  });
  it("gives the same Jacobian as both explicit modes", () => {
    const A = randn([7, 20], { seed: 4 }), B = randn([20, 20], { seed: 5 });
    for (const f of [
      (x: Tensor) => A.matmul(B.matmul(x).tanh()),
      (x: Tensor) => x.exp().sum(),
      (x: Tensor) => x.square().mul(x.sin()),
    ]) {
      const x = randn([20], { seed: 6 });
      const J = jacobian(f)(x) as Tensor;
      close(J, jacobian(f, { mode: "fwd" })(x) as Tensor);
      close(J, jacobian(f, { mode: "rev" })(x) as Tensor);
    }
    // Closed form: d tanh(Wx)/dx = diag(1 − tanh²(Wx))·W.
    const W = matrix([[1, 2, 3], [0.5, -1, 0.25]]), x = vector([0.1, -0.2, 0.3]);
    const J = jacobian((v: Tensor) => W.matmul(v).tanh())(x) as Tensor;
    const y = [1 * 0.1 + 2 * -0.2 + 3 * 0.3, 0.5 * 0.1 + 1 * 0.2 + 0.25 * 0.3].map(Math.tanh);
    const expected = [[1, 2, 3], [0.5, -1, 0.25]].map((row, i) => row.map((w) => w * (1 - y[i]! ** 2)));
    close(J, matrix(expected), 1e-15);
  });
});

describe("vmap of products with both operands batched", () => {
  it("vmap(dot) over 30 000 pairs equals the row sums of a∘b", () => {
    const a = randn([30000, 3], { seed: 7 }), b = randn([30000, 3], { seed: 8 });
    const d = vmap((u: Tensor, v: Tensor) => dot(u, v))(a, b) as Tensor;
    expect(d.shape).toEqual([30000]);
    const A = a.data, B = b.data, D = d.data;
    for (const i of [0, 1, 12345, 29999]) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += A[i + 30000 * k]! * B[i + 30000 * k]!;
      expect(D[i]).toBeCloseTo(s, 14);
    }
    expect(vmap((u: Tensor, v: Tensor) => dot(u, v))(matrix([[1, 2, 3], [4, 5, 6]]), matrix([[1, 0, 1], [2, 2, 2]])).toArray()).toEqual([4, 30]);
  });
  it("matches member-by-member products for every transpose and size (small and large members)", () => {
    for (const [m, k, n] of [[1, 3, 1], [3, 3, 3], [2, 5, 4], [1, 40, 1], [24, 24, 24]]) {
      const s = 5;
      const As = randn([s, m!, k!], { seed: m! + 10 }), Bs = randn([s, k!, n!], { seed: n! + 20 });
      const member = (X: Tensor, i: number) => reshape(slice(X, [i, 0, 0], [1, X.shape[1]!, X.shape[2]!]), [X.shape[1]!, X.shape[2]!]);
      for (const [fa, fb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const Aa = fa ? permute(As, [0, 2, 1]) : As, Bb = fb ? permute(Bs, [0, 2, 1]) : Bs;
        const g = (A: Tensor, B: Tensor) => matmul(fa ? A.T : A, fb ? B.T : B);
        const batched = vmap(g)(Aa, Bb) as Tensor;
        const loop = permute(stack(Array.from({ length: s }, (_, i) => matmul(member(As, i), member(Bs, i)))), [2, 0, 1]);
        close(batched, loop, 1e-13);
      }
    }
  });
  it("records under jit and replays on new values", () => {
    let fell = "";
    const f = jit((u: Tensor, v: Tensor) => vmap((p: Tensor, q: Tensor) => dot(p, q))(u, v) as Tensor, { onFallback: (r) => (fell = r) });
    for (const seed of [20, 21, 22]) {
      const a = randn([1000, 3], { seed }), b = randn([1000, 3], { seed: seed + 10 });
      close(f(a, b), a.mul(b).sum(1), 1e-15);
    }
    expect(fell).toBe("");
  });
  it("differentiates: grad of Σᵢ (aᵢ·bᵢ)² is 2(aᵢ·bᵢ)bᵢ", () => {
    const a = randn([50, 3], { seed: 9 }), b = randn([50, 3], { seed: 10 });
    const f = (A: Tensor) => (vmap((u: Tensor, v: Tensor) => dot(u, v))(A, b) as Tensor).square().sum();
    const g = grad(f)(a) as Tensor;
    const d = a.mul(b).sum(1, true);
    close(g, d.mul(b).mul(2), 1e-14);
  });
});

describe("permute as a matrix transpose", () => {
  it("moves an axis of a rank-3 tensor entry for entry", () => {
    const x = randn([4, 5, 6], { seed: 11 });
    for (const perm of [[2, 0, 1], [1, 2, 0], [0, 2, 1], [1, 0, 2]]) {
      const y = permute(x, perm);
      const X = x.data, Y = y.data, ys = y.shape;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 6; k++) {
        const idx = [i, j, k];
        const o = idx[perm[0]!]! + ys[0]! * (idx[perm[1]!]! + ys[1]! * idx[perm[2]!]!);
        expect(Y[o]).toBe(X[i + 4 * (j + 5 * k)]);
      }
    }
    expect(permute(matrix([[1, 2, 3], [4, 5, 6]]), [1, 0]).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

describe("pow with a constant exponent of 2, 3 or −1", () => {
  const f64 = new Float64Array(1), i64 = new BigInt64Array(f64.buffer);
  const ordered = (x: number): bigint => {
    f64[0] = x;
    const b = i64[0]!;
    return b < 0n ? -(b & 0x7fffffffffffffffn) : b;
  };
  const ulps = (a: number, b: number): number =>
    Number.isNaN(a) || Number.isNaN(b) ? (Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity) : Math.abs(Number(ordered(a) - ordered(b)));
  it("is within 2 ulp of Math.pow from 1e-300 to 1e300, both signs, and exact at the special values", () => {
    const xs: number[] = [];
    let s = 12345;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    for (let e = -300; e <= 300; e += 0.37) xs.push(10 ** e * (1 + r()), -(10 ** e) * (1 + r()));
    for (let i = 0; i < 20000; i++) xs.push((r() - 0.5) * 200);
    xs.push(0, -0, Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MAX_VALUE, 5.64e102, -5.65e102);
    const x = vector(xs);
    for (const b of [2, 3, -1]) {
      const got = x.pow(b).data;
      let worst = 0;
      for (let i = 0; i < xs.length; i++) worst = Math.max(worst, ulps(got[i]!, Math.pow(xs[i]!, b)));
      expect(worst, `pow(x, ${b})`).toBeLessThanOrEqual(2);
      // x² and 1/x are one correctly rounded operation: exact. (Math.pow itself is not always
      // correctly rounded: Chromium's V8 is 1 ulp off 1/x for some x.)
      if (b !== 3) {
        let off = 0;
        for (let i = 0; i < xs.length; i++) off = Math.max(off, ulps(got[i]!, b === 2 ? xs[i]! * xs[i]! : 1 / xs[i]!));
        expect(off, `pow(x, ${b}) vs the correctly rounded ${b === 2 ? "x·x" : "1/x"}`).toBe(0);
      }
      for (const v of [0, -0, Infinity, -Infinity]) expect(Object.is(vector([v]).pow(b).data[0], Math.pow(v, b))).toBe(true);
    }
  });
  it("keeps the derivatives: 2x, 3x², −1/x² and their second derivatives", () => {
    const x = vector([-1.5, 0, 0.5, 2]);
    for (const [b, d1, d2] of [
      [2, (v: number) => 2 * v, () => 2],
      [3, (v: number) => 3 * v * v, (v: number) => 6 * v],
      [-1, (v: number) => -1 / (v * v), (v: number) => 2 / (v * v * v)],
    ] as const) {
      const g = grad((t: Tensor) => t.pow(b).sum())(x).data;
      const h = grad((t: Tensor) => (grad((u: Tensor) => u.pow(b).sum())(t) as Tensor).sum())(x).data;
      x.data.forEach((v, i) => {
        if (b === -1 && v === 0) return;
        expect(g[i]).toBeCloseTo(d1(v), 13);
        expect(h[i]).toBeCloseTo(d2(v), 12);
      });
    }
    // The general kernel's rule where the exponent is differentiated or not one of the three.
    expect(grad((t: Tensor) => t.pow(2.5).sum())(vector([4])).data[0]).toBeCloseTo(2.5 * 8, 12);
  });
});

describe("small results share JS storage", () => {
  it("results of the same size stay distinct and keep their values across many calls", () => {
    const A = randn([32, 32], { seed: 12 }), B = randn([32, 32], { seed: 13 });
    const kept: Tensor[] = [];
    for (let i = 0; i < 20; i++) kept.push(matmul(A.mul(i + 1), B));
    const one = matmul(A, B).data;
    kept.forEach((C, i) => {
      const c = C.data;
      for (const j of [0, 1, 500, 1023]) expect(c[j]).toBeCloseTo((i + 1) * one[j]!, 11);
    });
    // Scalars and 3-vectors, the loop-heavy case.
    const xs = Array.from({ length: 30 }, (_, i) => vector([i, i + 1, i + 2]).mul(2));
    xs.forEach((x, i) => expect(x.toArray()).toEqual([2 * i, 2 * i + 2, 2 * i + 4]));
    const ss = Array.from({ length: 30 }, (_, i) => vector([i, 1]).sum());
    ss.forEach((s, i) => expect(s.item()).toBe(i + 1));
    // A copy handed out is the caller's own: writing it changes no other result.
    const d = xs[0]!.data;
    d.fill(99);
    expect(xs[1]!.toArray()).toEqual([2, 4, 6]);
    expect(xs[0]!.toArray()).toEqual([0, 2, 4]);
  });
});

describe("batch rules without a loop: kron, nested batched products", () => {
  const member = (X: Tensor, i: number) => reshape(slice(X, [i, 0, 0], [1, X.shape[1]!, X.shape[2]!]), [X.shape[1]!, X.shape[2]!]);
  it("vmap(kron) equals kron member by member, for either or both factors batched", () => {
    const As = randn([4, 2, 3], { seed: 14 }), Bs = randn([4, 3, 2], { seed: 15 });
    const A0 = member(As, 0), B0 = member(Bs, 0);
    const cases: [Tensor, Tensor, (i: number) => Tensor][] = [];
    const both = vmap((a: Tensor, b: Tensor) => kron(a, b))(As, Bs) as Tensor;
    const left = vmap((a: Tensor) => kron(a, B0))(As) as Tensor;
    const right = vmap((b: Tensor) => kron(A0, b))(Bs) as Tensor;
    cases.push([both, both, (i) => kron(member(As, i), member(Bs, i))], [left, left, (i) => kron(member(As, i), B0)], [right, right, (i) => kron(A0, member(Bs, i))]);
    for (const [got, , want] of cases) {
      expect(got.shape).toEqual([4, 6, 6]);
      for (let i = 0; i < 4; i++) expect(member(got, i).toArray()).toEqual(want(i).toArray());
    }
    // Derivative through the batch rule: d/dA Σ kron(A, B) = (Σ B)·1.
    const g = grad((a: Tensor) => (vmap((x: Tensor) => kron(x, B0))(a) as Tensor).sum())(As) as Tensor;
    close(g, As.mul(0).add(B0.sum()), 1e-14);
  });
  it("nested vmap of a product with large members equals the member-by-member products", () => {
    const Xs = randn([3, 5, 32, 16], { seed: 16 }), B = randn([16, 8], { seed: 17 }), Bs = randn([3, 16, 8], { seed: 18 });
    const inner = (Bm: Tensor) => (Xb: Tensor) => vmap((x: Tensor) => x.matmul(Bm))(Xb) as Tensor;
    const shared = vmap(inner(B))(Xs) as Tensor;
    const perB = vmap((Xb: Tensor, Bm: Tensor) => inner(Bm)(Xb))(Xs, Bs) as Tensor;
    expect(shared.shape).toEqual([3, 5, 32, 8]);
    for (const [i, j] of [[0, 0], [1, 3], [2, 4]]) {
      const x = reshape(slice(Xs, [i!, j!, 0, 0], [1, 1, 32, 16]), [32, 16]);
      close(reshape(slice(shared, [i!, j!, 0, 0], [1, 1, 32, 8]), [32, 8]), x.matmul(B), 1e-13);
      close(reshape(slice(perB, [i!, j!, 0, 0], [1, 1, 32, 8]), [32, 8]), x.matmul(member(Bs, i!)), 1e-13);
    }
  });
});
