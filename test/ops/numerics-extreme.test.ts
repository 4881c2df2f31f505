// Numerics at extreme arguments, against careful references, on both kernel builds:
// softmax / logSoftmax / logsumexp at huge logits, the 2-norm's gradient at subnormal inputs
// and at 0, tanh′ and σ′ (and their derivatives) far in the tails, p-norms at 1e±200, and the
// mean of values near the largest double.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hessian, jacobian, jvp, vector, type Tensor } from "../../src/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

/** |a − b| / |b| (0 when both are 0). */
const rel = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

// sech²x, (sech²)′x = −2 tanh x sech²x, σ′(x) = e⁻ˣ/(1 + e⁻ˣ)², σ″(x) = −tanh(x/2) σ′(x), to
// 20 digits, from mpmath 1.3.0 at 60 digits:
//   import mpmath as m; m.mp.dps = 60
//   s2 = m.sech(x)**2; sp = m.exp(-x)/(1 + m.exp(-x))**2
//   print(x, s2, -2*m.tanh(x)*s2, sp, -m.tanh(x/2)*sp)
const TAILS: [number, number, number, number, number][] = [
  [0.5, 0.78644773296592741015, -0.72686198138358727554, 0.23500371220159448907, -0.057556794852320740559],
  [5.0, 0.00018158323094380668413, -0.00036313348792090556523, 0.006648056670790154914, -0.0065590677663225629379],
  [19.0, 1.2556531168192117727e-16, -2.5113062336384233876e-16, 5.6027963747546122267e-9, -5.602796311971957441e-9],
  [20.0, 1.6993417021166355837e-17, -3.3986834042332711385e-17, 2.0611536139418493437e-9, -2.0611536054451408856e-9],
  [30.0, 3.5026043050786081354e-26, -7.0052086101572162708e-26, 9.3576229688384233028e-14, -9.3576229688366720006e-14],
  [37.0, 2.9125160713286575337e-32, -5.8250321426573150674e-32, 8.533047625744064338e-17, -8.5330476257440628818e-17],
  [40.0, 7.2194055513816606892e-35, -1.4438811102763321378e-34, 4.2483542552915889592e-18, -4.2483542552915889231e-18],
  [100.0, 5.5355861069469501226e-87, -1.1071172213893900245e-86, 3.720075976020835963e-44, -3.720075976020835963e-44],
  [300.0, 1.0601586212017243265e-260, -2.1203172424034486531e-260, 5.1482002224120137812e-131, -5.1482002224120137812e-131],
  [354.0, 1.3230212014553631985e-307, -2.646042402910726397e-307, 1.8186679201103229435e-154, -1.8186679201103229435e-154],
];

describe.each(BUILDS)("numerics at extreme arguments ($name build)", ({ simd }) => {
  beforeAll(() => useBuild(simd));

  describe("softmax, logSoftmax, logsumexp at huge logits", () => {
    it("softmax([a, a]) is [0.5, 0.5] exactly for a up to 1e300", () => {
      for (const a of [1e10, 1e15, 1e100, 1e300, -1e300]) {
        expect(mc.softmax([a, a]).toArray()).toEqual([0.5, 0.5]);
        expect(mc.logSoftmax([a, a]).toArray()).toEqual([-Math.LN2, -Math.LN2]);
      }
    });

    it("softmax/logSoftmax([a, a + d]) match the closed forms σ(∓d), −softplus(±d) to 2 ulps", () => {
      // a + d exact in double for these a and d.
      for (const [a, d] of [[1e10, 1], [1e15, 1], [2 ** 60, 2 ** 8], [-1e15, 3]] as const) {
        const p = mc.softmax([a, a + d]).toArray() as number[];
        const lp = mc.logSoftmax([a, a + d]).toArray() as number[];
        const ref = [1 / (1 + Math.exp(d)), 1 / (1 + Math.exp(-d))];
        // −log(1 + e^d) = −(d + log1p(e^−d)), −log(1 + e^−d) = −log1p(e^−d)
        const lref = [-(d + Math.log1p(Math.exp(-d))), -Math.log1p(Math.exp(-d))];
        for (let i = 0; i < 2; i++) {
          expect(rel(p[i]!, ref[i]!)).toBeLessThan(4.5e-16);
          // Absolute near 0: log Σ rounds log(1 + 6.6e-112) to 0, as every log-sum-exp does.
          expect(Math.abs(lp[i]! - lref[i]!)).toBeLessThan(4.5e-16 * Math.max(1, Math.abs(lref[i]!)));
        }
        expect(Math.abs(p[0]! + p[1]! - 1)).toBeLessThanOrEqual(2.3e-16);
      }
    });

    it("logsumexp([a, a + d]) = a + d + log1p(e^−d), rounded once", () => {
      for (const [a, d] of [[1e10, 1], [1e15, 1], [-1e15, 3]] as const) {
        expect(mc.logsumexp([a, a + d]).item()).toBe(a + d + Math.log1p(Math.exp(-d)));
      }
    });

    it("the gradient of logsumexp and the Jacobian of logSoftmax at 1e15 are exact", () => {
      const x = vector([1e15, 1e15 + 1]);
      const p = [1 / (1 + Math.exp(1)), 1 / (1 + Math.exp(-1))];
      const g = grad((v: Tensor) => mc.logsumexp(v))(x).toArray() as number[];
      g.forEach((gi, i) => expect(rel(gi, p[i]!)).toBeLessThan(4.5e-16));
      const J = jacobian((v: Tensor) => mc.logSoftmax(v))(x).toArray() as number[][];
      // I − 1pᵀ
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(J[i]![j]! - ((i === j ? 1 : 0) - p[j]!))).toBeLessThan(2.3e-16);
    });
  });

  describe("the 2-norm's gradient at subnormal inputs and at 0", () => {
    it("[3·2⁻¹⁰⁴⁰, 4·2⁻¹⁰⁴⁰] (exact subnormals, norm 5·2⁻¹⁰⁴⁰): gradient [0.6, 0.8] exactly", () => {
      const u = 2 ** -1040;
      expect(mc.norm([3 * u, 4 * u]).item()).toBe(5 * u);
      expect(grad((v: Tensor) => mc.norm(v))(vector([3 * u, 4 * u])).toArray()).toEqual([0.6, 0.8]);
    });

    it("[3e-310, 4e-310]: gradient finite and x/‖x‖ to 2 ulps, in both modes", () => {
      const x = [3e-310, 4e-310];
      // Scaled by 2¹⁰⁷⁴ (exact, in two steps), the entries are integers in normal range.
      const a = x.map((v) => v * 2 ** 537 * 2 ** 537);
      const h = Math.hypot(a[0]!, a[1]!);
      const ref = a.map((v) => v / h);
      const rev = grad((v: Tensor) => mc.norm(v))(vector(x)).toArray() as number[];
      const fwd = jacobian((v: Tensor) => mc.norm(v), { mode: "fwd" })(vector(x)).toArray() as number[][];
      for (let i = 0; i < 2; i++) {
        expect(Number.isFinite(rev[i]!)).toBe(true);
        expect(rel(rev[i]!, ref[i]!)).toBeLessThan(4.5e-16);
        expect(rel(fwd[0]![i]!, ref[i]!)).toBeLessThan(4.5e-16);
      }
    });

    it("at 0 the gradient is the minimum-norm subgradient 0 (documented), not NaN", () => {
      expect(grad((v: Tensor) => mc.norm(v))(vector([0, 0])).toArray()).toEqual([0, 0]); // norm's TSDoc example
      expect(grad((v: Tensor) => mc.norm(v))(vector([0, 0, 0])).toArray()).toEqual([0, 0, 0]);
      expect(grad((X: Tensor) => mc.norm(X))(mc.zeros([2, 2])).toArray()).toEqual([[0, 0], [0, 0]]);
      expect(jvp((v: Tensor) => mc.norm(v), [vector([0, 0])], [vector([1, 1])])[1].item()).toBe(0);
    });

    it("the Hessian away from 0 is still (I − uuᵀ)/‖x‖", () => {
      const H = hessian((v: Tensor) => mc.norm(v))(vector([3, 4])).toArray() as number[][];
      const ref = [[16 / 125, -12 / 125], [-12 / 125, 9 / 125]];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(H[i]![j]! - ref[i]![j]!)).toBeLessThan(1e-16);
    });
  });

  describe("tanh′ and σ′ in the tails (mpmath references)", () => {
    for (const [x, s2, ds2, sp, dsp] of TAILS) {
      it(`x = ±${x}: tanh′, σ′ to 4 ulps (rev and fwd), tanh″, σ″ to 8 ulps`, () => {
        for (const sx of [x, -x]) {
          const v = vector([sx]);
          const gT = (grad((u: Tensor) => u.tanh().sum())(v) as Tensor).item();
          const gS = (grad((u: Tensor) => u.sigmoid().sum())(v) as Tensor).item();
          const fT = jvp((u: Tensor) => u.tanh(), [v], [vector([1])])[1].item();
          const fS = jvp((u: Tensor) => u.sigmoid(), [v], [vector([1])])[1].item();
          for (const [got, want] of [[gT, s2], [fT, s2], [gS, sp], [fS, sp]] as const) expect(rel(got, want)).toBeLessThan(9e-16);
          const hT = hessian((u: Tensor) => u.tanh().sum())(v).item();
          const hS = hessian((u: Tensor) => u.sigmoid().sum())(v).item();
          // Odd in x.
          expect(rel(hT, Math.sign(sx) * ds2)).toBeLessThan(1.8e-15);
          expect(rel(hS, Math.sign(sx) * dsp)).toBeLessThan(1.8e-15);
        }
      });
    }

    it("beyond the underflow the derivatives are 0, not NaN (±800, ±Infinity)", () => {
      for (const x of [800, -800, Infinity, -Infinity]) {
        expect((grad((u: Tensor) => u.tanh().sum())(vector([x])) as Tensor).item()).toBe(0);
        expect((grad((u: Tensor) => u.sigmoid().sum())(vector([x])) as Tensor).item()).toBe(0);
      }
    });

    it("third derivatives, and second derivatives under vmap, match the closed forms", () => {
      for (const x of [-3, -0.2, 0.7, 2.5]) {
        const t = Math.tanh(x), s = 1 / Math.cosh(x) ** 2;
        const d3 = grad(grad(grad((u: Tensor) => u.tanh().sum())))(vector([x])) as Tensor;
        expect(rel(d3.item(), 4 * t * t * s - 2 * s * s)).toBeLessThan(1e-14);
      }
      const xs = [-3, -0.2, 0.7, 2.5];
      const H = mc.vmap(hessian((u: Tensor) => u.tanh().sum().add(u.sigmoid().sum())))(mc.reshape(vector(xs), [4, 1])) as Tensor;
      xs.forEach((x, i) => {
        const t = Math.tanh(x), s = 1 / Math.cosh(x) ** 2, sg = 1 / (1 + Math.exp(-x));
        const want = -2 * t * s - Math.tanh(x / 2) * sg * (1 - sg);
        expect(rel(H.data[i]!, want)).toBeLessThan(1e-14);
      });
    });

    it("at 0: tanh′ = 1, σ′ = 1/4 exactly", () => {
      expect((grad((u: Tensor) => u.tanh().sum())(vector([0])) as Tensor).item()).toBe(1);
      expect((grad((u: Tensor) => u.sigmoid().sum())(vector([0])) as Tensor).item()).toBe(0.25);
    });
  });

  describe("p-norms at 1e±200", () => {
    for (const scale of [1e200, 1e-200, 1]) {
      for (const p of [3, 2.5, 1.5, 10]) {
        it(`norm([3, 4]·${scale}, ${p}) = (3ᵖ + 4ᵖ)^(1/p)·${scale}, and its gradient`, () => {
          const base = Math.pow(Math.pow(3, p) + Math.pow(4, p), 1 / p);
          const got = mc.norm([3 * scale, 4 * scale], p).item();
          expect(rel(got, base * scale)).toBeLessThan(2e-15);
          // ∂‖x‖ₚ/∂xᵢ = (|xᵢ| / ‖x‖ₚ)^(p−1): scale-free.
          const g = grad((v: Tensor) => mc.norm(v, p))(vector([3 * scale, 4 * scale])).toArray() as number[];
          [3, 4].forEach((c, i) => expect(rel(g[i]!, Math.pow(c / base, p - 1))).toBeLessThan(4e-15));
        });
      }
    }

    it("p-norm of zeros is 0, of an Infinity is Infinity, of a NaN is NaN", () => {
      expect(mc.norm([0, 0], 3).item()).toBe(0);
      expect(mc.norm([1, Infinity], 3).item()).toBe(Infinity);
      expect(mc.norm([1, NaN], 3).item()).toBeNaN();
    });
  });

  describe("mean near the largest double", () => {
    it("mean([1e308, 1e308]) = 1e308; along an axis too", () => {
      expect(mc.mean([1e308, 1e308]).item()).toBe(1e308);
      // Σ/2² rounds once more before the division by 3/4: one ulp at most.
      expect(rel(mc.mean([1.7e308, 1.7e308, 1.7e308]).item(), 1.7e308)).toBeLessThanOrEqual(2.3e-16);
      expect(mc.mean([[1e308, 1e308], [1e308, -1e308]], 1).toArray()).toEqual([1e308, 0]);
    });

    it("ordinary means are s / count rounded once, as before", () => {
      expect(mc.mean([0.1, 0.2, 0.4]).item()).toBe((0.1 + 0.2 + 0.4) / 3);
      expect(mc.mean([1, 2, 3, 4]).item()).toBe(2.5);
      expect(grad((v: Tensor) => mc.mean(v))(vector([1, 2, 3])).toArray()).toEqual([1 / 3, 1 / 3, 1 / 3]);
    });
  });
});
