// Low-rank batches (src/core/basis.ts): jacobian and hessian hold the basis chunk of a matrix
// argument as rank-one factors, and transpose, matmul, solve, triangularSolve, neg, add, sub,
// mul and div by scalars work on the factors. Every result here is checked against a
// reference that never batches: one jvp (or HVP) per basis direction, stacked, and closed
// forms where they exist. Chunk sizes cut the identity mid-column; functions mix low-rank
// cases with ones that must fall back to dense values (Hadamard products, ranks above the cap,
// reshapes), in both modes.
import { close as closeTo, general, spd } from "../helpers/linalg.js";
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { Tensor, hessian, hvp, jacobian, jvp, randn, zeros } from "../../src/index.js";
import { withBatch } from "../../src/transforms/vmap.js";
import { maxRank } from "../../src/core/basis.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

const close = (a: Tensor, b: Tensor, tol = 1e-11) => closeTo(a, b, tol);
function unit(shape: number[], k: number): Tensor {
  const e = new Float64Array(shape.reduce((a, b) => a * b, 1));
  e[k] = 1;
  return mc.tensor(e, shape, { order: "col" });
}

/** The Jacobian over vec, one jvp per input direction (no batching anywhere). */
function jacobianByJvp(f: (x: Tensor) => Tensor, X: Tensor): Tensor {
  const cols: Tensor[] = [];
  for (let k = 0; k < X.size; k++) cols.push(mc.vec(jvp(f, [X], [unit([...X.shape], k)])[1] as Tensor).reshape([-1, 1]));
  return mc.concat(cols, 1);
}

/** The Hessian over vec, one HVP per direction. */
function hessianByHvp(f: (x: Tensor) => Tensor, X: Tensor): Tensor {
  const H = hvp(f);
  const cols: Tensor[] = [];
  for (let k = 0; k < X.size; k++) cols.push(mc.vec(H(X, unit([...X.shape], k)) as Tensor).reshape([-1, 1]));
  return mc.concat(cols, 1);
}

/** −K(X⁻ᵀ ⊗ X⁻¹) entrywise: ∂²log|det X|/∂Xᵢⱼ∂Xₖₗ = −(X⁻¹)ⱼₖ(X⁻¹)ₗᵢ. */
function logdetHessian(X: Tensor): Tensor {
  const n = X.shape[0]!, nn = n * n;
  const d = mc.inv(X).data;
  const out = new Float64Array(nn * nn);
  for (let l = 0; l < n; l++) for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) out[(k + l * n) * nn + i + j * n] = -d[j + k * n]! * d[l + i * n]!;
  }
  return mc.tensor(out, [nn, nn], { order: "col" });
}

const chunks = [undefined, 1, 3, 7, 16];

describe.each(BUILDS)("Hessians through low-rank batches ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });
  // Data is made inside the tests: a browser has no kernels before init.
  const A = () => randn([5, 5], { seed: 3 });
  const Y = () => randn([5, 8], { seed: 4 });
  const S = () => Y().matmul(Y().T).div(8);
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ["log|det X|", (x) => mc.logdet(x), () => general(5, 1)],
    ["tr(X⁻¹A)", (x) => mc.solve(x, A()).trace(), () => general(5, 2)],
    ["tr(X⁻ᵀ A X⁻¹)", (x) => mc.solve(x.T, A()).matmul(mc.inv(x)).trace(), () => general(5, 5)],
    ["Gaussian log-likelihood (solve)", (s) => mc.logdet(s).add(mc.solve(s, S()).trace()).mul(-0.5), () => spd(5, 6)],
    ["Gaussian log-likelihood (Cholesky)", (s) => {
      const L = mc.cholesky(s);
      const Z = mc.triangularSolve(L, Y(), { lower: true });
      return mc.logdet(s, { spd: true }).mul(-4).sub(Z.square().sum().mul(0.5));
    }, () => spd(5, 7)],
    ["tr(X A Xᵀ) + ‖X⁻¹‖²", (x) => x.matmul(A()).matmul(x.T).trace().add(mc.inv(x).square().sum()), () => general(5, 8)],
    ["log|det X|·tr(X)", (x) => mc.logdet(x).mul(x.trace()), () => general(5, 9)],
  ];
  for (const [name, f, makeX] of cases) {
    it(`${name}: equals the stacked HVPs for every chunk size`, () => {
      const X = makeX();
      const ref = hessianByHvp(f, X);
      for (const chunkSize of chunks) close(hessian(f, chunkSize === undefined ? {} : { chunkSize })(X), ref, 1e-10);
    });
  }

  it("log|det X| equals −K(X⁻ᵀ ⊗ X⁻¹), n = 1 … 9", () => {
    for (let n = 1; n <= 9; n++) {
      const X = general(n, 10 + n);
      close(hessian((x: Tensor) => mc.logdet(x))(X), logdetHessian(X), 1e-12);
      close(hessian((x: Tensor) => mc.logdet(x), { chunkSize: 5 })(X), logdetHessian(X), 1e-12);
    }
  });

  it("a vector argument reshaped to a matrix takes the same path", () => {
    const X = general(4, 17);
    const f = (x: Tensor) => mc.logdet(x.reshape([4, 4]));
    close(hessian(f, { chunkSize: 6 })(mc.vec(X)), logdetHessian(X), 1e-12);
  });

  it("the arena holds little more than the Hessian itself (n = 24)", () => {
    const n = 24;
    const X = general(n, 18);
    const H = hessian((x: Tensor) => mc.logdet(x));
    H(X);
    const arena = rt().arena;
    let peak = 0;
    const alloc = arena.allocBytes.bind(arena);
    arena.allocBytes = (bytes: number, op?: string) => {
      const p = alloc(bytes, op);
      peak = Math.max(peak, arena.used);
      return p;
    };
    try {
      close(H(X), logdetHessian(X), 1e-12);
    } finally {
      delete (arena as { allocBytes?: unknown }).allocBytes;
    }
    expect(peak).toBeLessThan(2 * 8 * n ** 4);
  });

  it("rectangular and pytree arguments", () => {
    const B = randn([4, 6], { seed: 11 });
    const W = randn([6, 3], { seed: 12 });
    const f = (w: Tensor) => mc.logdet(B.matmul(w).matmul(w.T).matmul(B.T).add(mc.eye(4)));
    close(hessian(f, { chunkSize: 5 })(W), hessianByHvp(f, W), 1e-10);
    // Two matrix leaves, chunks straddling neither: {P, Q} ↦ log|det(P Qᵀ + 3I)|.
    const P = randn([4, 2], { seed: 13 }), Q = randn([4, 2], { seed: 14 });
    const g = (p: { P: Tensor; Q: Tensor }) => mc.logdet(p.P.matmul(p.Q.T).add(mc.eye(4).mul(3)));
    const H = hessian(g, { chunkSize: 3 })({ P, Q });
    const v = { P: randn([4, 2], { seed: 15 }), Q: randn([4, 2], { seed: 16 }) };
    const hv = hvp(g)({ P, Q }, v) as { P: Tensor; Q: Tensor };
    close(H.matmul(mc.concat([mc.vec(v.P), mc.vec(v.Q)])), mc.concat([mc.vec(hv.P), mc.vec(hv.Q)]), 1e-10);
  });
});

describe.each(BUILDS)("Jacobians through low-rank batches ($name)", ({ simd }) => {
  let A: Tensor, B: Tensor, C: Tensor, M: Tensor, L: Tensor, U: Tensor, X: Tensor;
  beforeAll(async () => {
    await useBuild(simd);
    A = general(4, 20);
    B = randn([4, 4], { seed: 21 });
    C = randn([3, 4], { seed: 22 });
    M = randn([4, 4], { seed: 23 });
    L = mc.cholesky(spd(4, 24));
    U = L.T;
    X = randn([4, 4], { seed: 25 }).add(mc.eye(4).mul(4));
  });
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["Xᵀ", (x) => x.T],
    ["−X·2 / 3", (x) => x.neg().mul(2).div(3)],
    ["A X B", (x) => A.matmul(x).matmul(B)],
    ["C X Aᵀ (rectangular)", (x) => C.matmul(x).matmul(A.T)],
    ["Xᵀ A Xᵀ… linear parts", (x) => x.T.matmul(A).add(A.matmul(x.T))],
    ["X + Xᵀ (rank 2)", (x) => x.add(x.T)],
    ["A(X + Xᵀ)B − Xᵀ (rank 3 > cap: dense fallback)", (x) => A.matmul(x.add(x.T)).matmul(B).sub(x.T)],
    ["solve(A, X)", (x) => mc.solve(A, x)],
    ["solve(A, X − Xᵀ) (rank 2)", (x) => mc.solve(A, x.sub(x.T))],
    ["solve(X, B)", (x) => mc.solve(x, B)],
    ["inv(X)", (x) => mc.inv(x)],
    ["L⁻¹X, L⁻ᵀX, U⁻¹X", (x) => mc.triangularSolve(L, x, { lower: true })
      .add(mc.triangularSolve(L, x, { lower: true, transA: true }))
      .add(mc.triangularSolve(U, x, { lower: false }))],
    ["X L⁻¹, X L⁻ᵀ (right)", (x) => mc.triangularSolve(L, x, { lower: true, left: false })
      .sub(mc.triangularSolve(L, x.T, { lower: true, left: false, transA: true }))],
    ["(X ∘ M) L⁻¹ (dense right solve)", (x) => mc.triangularSolve(L, x.mul(M), { lower: true, left: false, unitDiagonal: true })],
    ["L⁻¹ X with X as the triangle", (x) => mc.triangularSolve(x, B, { lower: true })],
    ["tanh(A X) (elementwise: dense)", (x) => A.matmul(x).tanh()],
    ["vec(A Xᵀ) (reshape of a low-rank batch)", (x) => mc.vec(A.matmul(x.T)).reshape([8, 2])],
    ["A X diag-sum", (x) => mc.diag(A.matmul(x)).sum().mul(A)],
  ];
  for (const [name, f] of cases) {
    it(`${name}: fwd and rev equal the stacked jvps`, () => {
      const ref = jacobianByJvp(f, X);
      for (const chunkSize of [undefined, 1, 5, 16]) {
        const o = chunkSize === undefined ? {} : { chunkSize };
        close(jacobian(f, { ...o, mode: "fwd" })(X), ref);
        close(jacobian(f, { ...o, mode: "rev" })(X), ref);
      }
    });
  }

  it("a batched scalar per member scales the factors (mul and div)", () => {
    const c = 6;
    const s = randn([c], { seed: 30 }).add(3);
    const [out, ref] = withBatch(c, (wrap, unpack, basis) => {
      const E = basis([4, 4], 5);
      const S = wrap(s);
      const T = mc.div(mc.mul(S, mc.matmul(A, E)), S.mul(S));
      return [unpack(mc.matmul(T, B)), unpack(E)];
    });
    // Member b: A·e_{5+b}·B / s_b.
    const expectData = new Float64Array(16 * c);
    for (let b = 0; b < c; b++) {
      const Eb = mc.reshape(mc.slice(ref, [0, 0, b], [4, 4, 1]), [4, 4]);
      expectData.set(A.matmul(Eb).matmul(B).div(s.data[b]!).data, 16 * b);
    }
    close(out, mc.tensor(expectData, [4, 4, c], { order: "col" }));
  });

  it("keeps at most maxRank(m, n) factors", () => {
    expect(maxRank(4, 4)).toBe(2);
    expect(maxRank(1, 50)).toBe(0);
    expect(maxRank(100, 100)).toBe(8);
  });
});
