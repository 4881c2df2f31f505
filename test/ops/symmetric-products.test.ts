// Aᵀ·diag(w)·A outside jit: ops that scale whole rows of a matrix mark their result, and
// matmul with op(A) = Aᵀ computes the marked product's upper triangle and mirrors it
// (src/core/exec.ts markRowScaled / isRowScaledOf, src/ops/matmul.ts).
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { bind1 } from "../../src/core/primitive.js";
import { scoped, storage, type Tensor } from "../../src/core/tensor.js";
import { isRowScaledOf } from "../../src/core/exec.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

/** Aᵀ·diag(w)·A entry by entry in plain JS (A k×n column-major). */
function gramRef(A: Float64Array, w: Float64Array, k: number, n: number): number[][] {
  const H: number[][] = [];
  for (let i = 0; i < n; i++) {
    H.push([]);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += A[r + i * k]! * w[r]! * A[r + j * k]!;
      H[i]!.push(s);
    }
  }
  return H;
}

function expectSymmetricClose(H: number[][], ref: number[][], rtol: number): void {
  const n = ref.length;
  let scale = 0;
  for (const row of ref) for (const v of row) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      expect(H[i]![j]).toBe(H[j]![i]); // exactly symmetric: one triangle mirrored
      expect(Math.abs(H[i]![j]! - ref[i]![j]!)).toBeLessThanOrEqual(rtol * scale);
    }
  }
}

describe.each(BUILDS)("symmetric products Aᵀ·diag(w)·A ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it("the eager Hessian of a logistic loss is Aᵀ·diag(σ'(z))·A, exactly symmetric", () => {
    for (const [k, n] of [[60, 12], [200, 33], [31, 9]] as const) {
      const A = mc.randn([k, n], { seed: k + n });
      const y = mc.sign(mc.randn([k], { seed: 2 }));
      const x = mc.randn([n], { seed: 3 }).mul(0.3);
      const f = (v: Tensor) => mc.softplus(y.mul(A.matmul(v)).neg()).sum();
      const H = (mc.hessian(f)(x) as Tensor).toArray() as number[][];
      // d²/dv² softplus(−yᵢ aᵢᵀv) = σ(zᵢ)(1 − σ(zᵢ)) aᵢaᵢᵀ with zᵢ = −yᵢ aᵢᵀv (yᵢ² = 1).
      const z = storage(y.mul(A.matmul(x)).neg());
      const w = z.map((zi) => {
        const s = 1 / (1 + Math.exp(-zi));
        return s * (1 - s);
      });
      expectSymmetricClose(H, gramRef(storage(A), w, k, n), 1e-13);
      // The same through jacobian(grad) (reverse then forward).
      const J = (mc.jacobian(mc.grad(f), { mode: "fwd" })(x) as Tensor).toArray() as number[][];
      expectSymmetricClose(J, gramRef(storage(A), w, k, n), 1e-13);
    }
  });

  it("row scalings are marked, column scalings and other products are not", () => {
    const k = 20, n = 10;
    const A = mc.randn([k, n], { seed: 5 });
    const col = mc.randn([k, 1], { seed: 6 }), row = mc.randn([n], { seed: 7 }), s = mc.scalar(2.5);
    scoped(() => {
      const B = mc.neg(mc.mul(s, mc.div(mc.mul(A, col), col.add(3)))); // −2.5·(A∘c)/(c+3): rows scaled
      expect(isRowScaledOf(B, A)).toBe(true);
      expect(isRowScaledOf(mc.reshape(mc.reshape(B, [n, k]), [k, n]), A)).toBe(true); // views keep it
      expect(isRowScaledOf(mc.mul(A, row), A)).toBe(false); // columns scaled: Aᵀ·A·diag(v) is not symmetric
      expect(isRowScaledOf(mc.div(col, A), A)).toBe(false); // c / A is no scaling of A
      expect(isRowScaledOf(mc.add(A, col), A)).toBe(false);
      expect(isRowScaledOf(mc.exp(A), A)).toBe(false);
      expect(isRowScaledOf(mc.mul(col, A), mc.randn([k, n], { seed: 5 }))).toBe(false); // equal entries, other matrix
      // A row scaling of a reshaped view rows the view's own rows, not A's.
      const V = mc.reshape(A, [n, k]);
      expect(isRowScaledOf(mc.reshape(mc.mul(V, mc.randn([n, 1], { seed: 8 })), [k, n]), A)).toBe(false);
    });
    // Results leaving the call drop the mark (they hold nothing else alive).
    expect(mc.mul(col, A)._rowScaled).toBe(null);
  });

  it("matmul(Aᵀ, w ∘ A) inside a call: the mirrored triangle, equal to the full GEMM's upper entries", () => {
    const k = 50, n = 17;
    const A = mc.randn([k, n], { seed: 9 });
    const w = mc.randn([k, 1], { seed: 10 });
    const [sym, full] = scoped(() => {
      const B = mc.mul(w, A);
      const C = bind1(matmul_p, [A, B], { ta: 1, tb: 0 });
      // The same product with the mark lost (a copy through exp/log is another value).
      const B2 = mc.add(B, 0);
      const C2 = bind1(matmul_p, [A, B2], { ta: 1, tb: 0 });
      return [C, C2];
    });
    const S = sym.toArray() as number[][], F = full.toArray() as number[][];
    expectSymmetricClose(S, gramRef(storage(A), storage(w), k, n), 1e-13);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) expect(S[i]![j]).toBe(F[i]![j]); // upper: gemm's, bit for bit
  });
});
