// The memory model: every top-level call releases its arena, so a program repeating the same
// calls reaches a high-water mark and linear memory stops growing; results the user keeps are
// JS-owned and stay correct. Both builds, in Node and Chromium.
//
// Budget: the large phase makes 10³ calls on 256×256 operands: every 8th is a 256×256·256×256
// matmul, every 16th a grad through one (forward + backward GEMM), the rest cheaper 256×256
// elementwise / reduction / transpose calls. Running 10³ matmuls *and* 10³ grads costs ~7.6 +
// 14 ms each on the SIMD build and ~14.5 + 26 ms on the scalar one, i.e. ~60 s for the file,
// far over the ~20 s budget; this mix keeps every kind of large call in the run and the whole
// file at ~10 s of CPU in Node. The same counts run in the browser project.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { ShapeError, Tensor, grad, hessian, jvp, randn, tensor, valueAndGrad, vector } from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

const SMALL_CALLS = 100_000;
const LARGE_CALLS = 1_000;
const N = 256;

/** C = A·B for column-major n×n arrays (plain JS, i-k-j order for speed). */
function gemmRef(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < n; p++) {
      const bpj = b[p + j * n]!;
      const ac = p * n, cc = j * n;
      for (let i = 0; i < n; i++) c[cc + i] += a[ac + i]! * bpj;
    }
  }
  return c;
}

function maxRelErr(got: Float64Array, want: Float64Array): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
  return worst;
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe.each(BUILDS)("memory model ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it(`${SMALL_CALLS} small calls and ${LARGE_CALLS} large ones: memory stops growing, arena empties, results stay correct`, () => {
    const arena = rt().arena;

    // ---- small operands and their known results ----
    const a = vector([1, 2, 3]);
    const b = vector([0.5, -1, 2]);
    const sumAB = [1.5, 1, 5];
    const gSmall = grad((x: Tensor) => x.mul(x).sum()); // 2x
    const vgSmall = valueAndGrad((x: Tensor) => x.dot(b).tanh()); // tanh(x·b), (1 − tanh²)·b
    const xb = 1 * 0.5 + 2 * -1 + 3 * 2;
    const dtanh = 1 - Math.tanh(xb) ** 2;

    // ---- large operands, checked once against a plain-JS reference ----
    const A = randn([N, N], { seed: 1 });
    const B = randn([N, N], { seed: 2 });
    const Cref = gemmRef(A.data, B.data, N);
    const C0 = A.matmul(B);
    expect(maxRelErr(C0.data, Cref)).toBeLessThan(1e-13);
    const lossGrad = grad((X: Tensor) => X.matmul(B).tanh().sum()); // (1 − tanh²(XB))·Bᵀ
    const G0 = lossGrad(A) as Tensor;
    const Bt = B.T.data;
    const sech2 = Cref.map((v) => 1 - Math.tanh(v) ** 2);
    expect(maxRelErr(G0.data, gemmRef(sech2, Bt, N))).toBeLessThan(1e-12);
    const cheap0 = A.add(B).mul(0.5).sum(0);
    const cheapT0 = A.T.sub(B).abs().max();

    const smallRound = (i: number): boolean => {
      const r = a.add(b).data;
      let ok = r[0] === sumAB[0] && r[1] === sumAB[1] && r[2] === sumAB[2];
      if (i % 20 === 0) {
        const g = (gSmall(a) as Tensor).data;
        ok &&= g[0] === 2 && g[1] === 4 && g[2] === 6;
      }
      if (i % 50 === 0) {
        const [v, g] = vgSmall(a) as [Tensor, Tensor];
        ok &&= v.item() === Math.tanh(xb) && Math.abs(g.data[2]! - dtanh * 2) < 1e-15;
      }
      if (i % 1000 === 0) {
        try {
          a.matmul(vector([1, 2]));
          ok = false;
        } catch (e) {
          ok &&= e instanceof ShapeError;
        }
      }
      return ok;
    };
    const largeRound = (i: number): boolean => {
      if (i % 8 === 0) return sameBits(A.matmul(B).data, C0.data);
      if (i % 16 === 1) return sameBits((lossGrad(A) as Tensor).data, G0.data);
      if (i % 2 === 0) return sameBits(A.add(B).mul(0.5).sum(0).data, cheap0.data);
      return A.T.sub(B).abs().max().item() === cheapT0.item();
    };

    // ---- warm-up: every kind of call once, so the high-water mark is reached ----
    for (let i = 0; i < 16; i++) {
      expect(largeRound(i)).toBe(true);
      expect(smallRound(i * 1000)).toBe(true);
    }
    expect(arena.used).toBe(0);
    const highWater = arena.memoryBytes;
    // the high-water mark is what a few 256×256 operands need, not hundreds of calls' worth
    expect(highWater).toBeLessThan(32 * 2 ** 20);

    // ---- the run: small calls, with the large ones spread through them ----
    let bad = 0;
    const every = SMALL_CALLS / LARGE_CALLS;
    const kept: Tensor[] = [];
    for (let i = 0; i < SMALL_CALLS; i++) {
      if (!smallRound(i)) bad++;
      if (i % every === 0) {
        if (!largeRound(i / every)) bad++;
        kept.push(a.mul(i));
      }
      if (i % 10_000 === 0) {
        expect(arena.used).toBe(0);
        expect(arena.memoryBytes).toBe(highWater);
      }
    }
    expect(bad).toBe(0);
    expect(arena.used).toBe(0);
    expect(arena.memoryBytes).toBe(highWater);

    // results kept along the way are JS-owned and were never overwritten
    expect(kept.length).toBe(LARGE_CALLS);
    kept.forEach((t, k) => {
      const i = k * every;
      expect(Array.from(t.data)).toEqual([i, 2 * i, 3 * i]);
    });
    // and the very first large results are untouched by everything since
    expect(maxRelErr(C0.data, Cref)).toBeLessThan(1e-13);
  });

  it("transforms (hessian, jvp, nested grad) repeated 500 times do not grow memory", () => {
    const arena = rt().arena;
    const M = tensor([[2, 1, 0], [1, 3, 1], [0, 1, 4]]);
    const f = (x: Tensor) => x.dot(M.matmul(x)).add(x.exp().sum());
    const x = vector([0.1, -0.2, 0.3]);
    const round = (): boolean => {
      const H = hessian(f)(x).data;
      const [, t] = jvp(f, [x], [vector([1, 0, 0])]) as [Tensor, Tensor];
      const g2 = grad((s: Tensor) => (grad((u: Tensor) => u.mul(u).mul(u))(s) as Tensor))(mc.scalar(2)) as Tensor;
      // H = M + Mᵀ + diag(eˣ);  jvp along e₀ = (2Mx + eˣ)₀;  d²/ds² s³ = 6s
      const Mx0 = 2 * 0.1 + 1 * -0.2;
      return Math.abs(H[0]! - (4 + Math.exp(0.1))) < 1e-14 && H[1] === 2 && H[2] === 0 &&
        Math.abs(t.item() - (2 * Mx0 + Math.exp(0.1))) < 1e-14 && g2.item() === 12;
    };
    for (let i = 0; i < 5; i++) expect(round()).toBe(true);
    const highWater = arena.memoryBytes;
    let bad = 0;
    for (let i = 0; i < 500; i++) if (!round()) bad++;
    expect(bad).toBe(0);
    expect(arena.used).toBe(0);
    expect(arena.memoryBytes).toBe(highWater);
  });

  it("a larger call raises the high-water mark once; repeating it does not", () => {
    const arena = rt().arena;
    const X = randn([512, 512], { seed: 3 });
    const s0 = X.matmul(X.T).trace().item();
    const grown = arena.memoryBytes;
    for (let i = 0; i < 5; i++) expect(X.matmul(X.T).trace().item()).toBe(s0);
    expect(arena.memoryBytes).toBe(grown);
    expect(arena.used).toBe(0);
    // trace(XXᵀ) = ‖X‖²_F
    let ss = 0;
    for (const v of X.data) ss += v * v;
    expect(Math.abs(s0 - ss) / ss).toBeLessThan(1e-13);
  });
});
