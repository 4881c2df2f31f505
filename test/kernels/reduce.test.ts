// Reductions (assembly/reduce.ts) against plain-JS references, in both builds.
//
// Inputs sit between NaN guards, so a kernel that reads one element too far returns NaN, and
// half the cases start 8 bytes off 16-byte alignment to exercise unaligned f64x2 loads.
// Index tests use dyadic integers (k/8 with |k| ≤ 1000), whose sums are exact in any order,
// so they compare with toBe; accuracy is tested separately against exact BigInt sums.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, get, rng, randArray, useBuild, putGuarded } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const SIZES = [0, 1, 2, 3, 5, 17, 33, 127, 128, 129];
/** Sizes around the kernels' pairwise block (256) and several levels of it. */
const LONG = [255, 256, 257, 511, 513, 1000, 4099, 65537];
const AXES = [1, 3, 17, 129];
const EPS = 2 ** -52;


/** n dyadic integers k/8, |k| ≤ 1000, never -0. */
function dyadic(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(r() * 1000) / 8 || 0;
  return out;
}

// ---- exact references ----

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Σ x exactly, as an integer multiple of 2^-1074 (every finite double is one). */
function exactSumScaled(xs: ArrayLike<number>): bigint {
  let acc = 0n;
  for (let i = 0; i < xs.length; i++) {
    f64[0] = xs[i]!;
    const bits = u64[0]!;
    const e = Number((bits >> 52n) & 0x7ffn);
    let m = bits & 0xfffffffffffffn;
    if (e > 0) m = (m | 0x10000000000000n) << BigInt(e - 1);
    acc += bits >> 63n ? -m : m;
  }
  return acc;
}

/** The double nearest to acc · 2^-1074 (for normal results). */
function scaledToDouble(acc: bigint): number {
  const neg = acc < 0n;
  let m = neg ? -acc : acc;
  let e = -1074;
  const bits = m.toString(2).length;
  if (bits > 120) {
    // Keep 120 bits and fold the rest into a sticky bit, so Number() still rounds correctly.
    const s = BigInt(bits - 120);
    const sticky = (m & ((1n << s) - 1n)) !== 0n ? 1n : 0n;
    m = (m >> s) | sticky;
    e += bits - 120;
  }
  let v = Number(m);
  while (e < -1000) { v *= 2 ** -500; e += 500; }
  v *= 2 ** e;
  return neg ? -v : v;
}

function exactSum(xs: ArrayLike<number>): number {
  return scaledToDouble(exactSumScaled(xs));
}

function naiveSum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
}

function absSum(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]!);
  return s;
}

function maxRef(xs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, xs[i]!);
  return m;
}

/** Scaled, compensated (Neumaier) reference 2-norm; accurate to about one ulp. */
function nrm2Ref(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  if (m === 0 || !Number.isFinite(m)) return m;
  let s = 0, c = 0;
  for (let i = 0; i < xs.length; i++) {
    const t = (xs[i]! / m) ** 2;
    const u = s + t;
    c += Math.abs(s) >= Math.abs(t) ? s - u + t : t - u + s;
    s = u;
  }
  return m * Math.sqrt(s + c);
}

function relErr(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

function axisRef(op: "sum" | "max", pre: number, len: number, post: number, x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < post; k++) {
    for (let i = 0; i < pre; i++) {
      let a = op === "sum" ? 0 : -Infinity;
      for (let j = 0; j < len; j++) {
        const v = x[i + pre * (j + len * k)]!;
        a = op === "sum" ? a + v : Math.max(a, v);
      }
      out.push(a);
    }
  }
  return out;
}

// Big accuracy inputs, built once per host (the BigInt references take ~0.3 s each).
const TENTHS = new Float64Array(1_000_000).fill(0.1);
/** Period 3: one 1 then two 2^-40. A running sum past 2^13 rounds each 2^-40 away. */
const LARGE_SMALL = Float64Array.from({ length: 1_000_003 }, (_, i) => (i % 3 === 0 ? 1 : 2 ** -40));
let tenthsExact = NaN, largeSmallExact = NaN;

describe.each(BUILDS)("reductions ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  describe.each([false, true])("odd alignment %s", (odd) => {
    it("sum, asum, max match references on all sizes", () => {
      for (const n of [...SIZES, ...LONG]) {
        const x = dyadic(n, 1000 + n);
        const p = putGuarded(arena, x, odd);
        expect(k.sum(n, p), `sum n=${n}`).toBe(naiveSum(x));
        expect(k.asum(n, p), `asum n=${n}`).toBe(absSum(x));
        expect(k.max(n, p), `max n=${n}`).toBe(maxRef(x));
        // Negative-only data: max must not be stuck at an initial 0.
        const neg = x.map((v) => -Math.abs(v) - 1);
        expect(k.max(n, putGuarded(arena, neg, odd)), `max(neg) n=${n}`).toBe(maxRef(neg));
      }
    });

    it("sum and asum of random floats stay within the pairwise error bound", () => {
      for (const n of [...SIZES, ...LONG]) {
        const x = randArray(n, 77 + n);
        const p = putGuarded(arena, x, odd);
        const bound = (Math.log2(n + 1) + 40) * EPS * absSum(x);
        expect(Math.abs(k.sum(n, p) - exactSum(x)), `sum n=${n}`).toBeLessThanOrEqual(bound);
        expect(Math.abs(k.asum(n, p) - exactSum(x.map(Math.abs))), `asum n=${n}`).toBeLessThanOrEqual(bound);
      }
    });

    it("nrm2 matches a scaled compensated reference", () => {
      for (const n of [...SIZES, ...LONG]) {
        const x = randArray(n, 5 + n);
        const got = k.nrm2(n, putGuarded(arena, x, odd));
        if (n === 0) expect(got).toBe(0);
        else expect(relErr(got, nrm2Ref(x)), `n=${n}`).toBeLessThan(8 * EPS);
      }
    });
  });

  it("sum is pairwise: 1e6 copies of 0.1 within 1e-14 of the exact sum (a running sum is not)", () => {
    if (Number.isNaN(tenthsExact)) tenthsExact = exactSum(TENTHS);
    const got = k.sum(TENTHS.length, arena.put(TENTHS));
    expect(relErr(got, tenthsExact)).toBeLessThan(1e-14);
    // The same bound fails for naive accumulation, so this test can tell the two apart.
    expect(relErr(naiveSum(TENTHS), tenthsExact)).toBeGreaterThan(1e-14);
  });

  it("sum is pairwise: alternating large and small values", () => {
    if (Number.isNaN(largeSmallExact)) largeSmallExact = exactSum(LARGE_SMALL);
    const n = LARGE_SMALL.length;
    const got = k.sum(n, arena.put(LARGE_SMALL));
    expect(relErr(got, largeSmallExact)).toBeLessThan(1e-14);
    expect(relErr(naiveSum(LARGE_SMALL), largeSmallExact)).toBeGreaterThan(1e-14);
    expect(relErr(k.asum(n, arena.put(LARGE_SMALL)), largeSmallExact)).toBeLessThan(1e-14);
  });

  it("max: NaN anywhere gives NaN, -Infinity for n = 0, Math.max on signed zeros", () => {
    expect(k.max(0, arena.alloc(1))).toBe(-Infinity);
    for (const n of SIZES.filter((s) => s > 0).concat([257, 1000])) {
      // Every position of a short array, and head/tail/middle and each lane of a long one.
      const spots = n <= 33 ? [...Array(n).keys()] : [0, 1, 2, 7, n >> 1, n - 9, n - 3, n - 2, n - 1];
      for (const at of spots) {
        const x = dyadic(n, n);
        x[at] = NaN;
        expect(k.max(n, putGuarded(arena, x, false)), `n=${n} NaN at ${at}`).toBeNaN();
      }
      const inf = dyadic(n, n);
      inf[n - 1] = Infinity;
      expect(k.max(n, putGuarded(arena, inf, true))).toBe(Infinity);
      expect(k.max(n, putGuarded(arena, new Float64Array(n).fill(-Infinity), true))).toBe(-Infinity);
    }
  });

  it("max of signed zeros follows Math.max: +0 if any +0, else -0", () => {
    for (const n of [1, 2, 3, 8, 9, 17, 33, 129]) {
      const zeros = new Float64Array(n).fill(-0);
      expect(Object.is(k.max(n, putGuarded(arena, zeros, n % 2 === 0)), -0), `n=${n} all -0`).toBe(true);
      for (const at of new Set([0, 1, n >> 1, n - 2, n - 1].filter((i) => i >= 0 && i < n))) {
        const x = zeros.slice();
        x[at] = 0;
        expect(Object.is(k.max(n, putGuarded(arena, x, false)), 0), `n=${n} +0 at ${at}`).toBe(true);
        x.fill(-1);
        x[at] = -0;
        expect(Object.is(k.max(n, putGuarded(arena, x, true)), -0), `n=${n} one -0 at ${at}`).toBe(true);
      }
    }
  });

  it("sum, asum propagate NaN and Inf", () => {
    for (const n of [1, 2, 3, 17, 129, 1000]) {
      const x = dyadic(n, n);
      x[n - 1] = Infinity;
      expect(k.sum(n, arena.put(x))).toBe(Infinity);
      x[0] = -Infinity;
      expect(k.asum(n, arena.put(x))).toBe(Infinity);
      if (n > 1) expect(k.sum(n, arena.put(x))).toBeNaN();
      x[n >> 1] = NaN;
      expect(k.asum(n, arena.put(x))).toBeNaN();
    }
  });

  it("nrm2 scales: no overflow near 1e200 or 1e300, no underflow near 1e-200 or subnormals", () => {
    const nrm2 = (xs: number[] | Float64Array) => k.nrm2(xs.length, arena.put(xs));
    expect(relErr(nrm2([3e200, 4e200]), 5e200)).toBeLessThanOrEqual(2 * EPS);
    expect(relErr(nrm2([3e-200, 4e-200]), 5e-200)).toBeLessThanOrEqual(2 * EPS);
    expect(relErr(nrm2([-3e200, 0, 4e200]), 5e200)).toBeLessThanOrEqual(2 * EPS);
    expect(relErr(nrm2(new Float64Array(129).fill(1e300)), 1e300 * Math.sqrt(129))).toBeLessThanOrEqual(4 * EPS);
    expect(relErr(nrm2(new Float64Array(10_000).fill(1e154)), 1e156)).toBeLessThanOrEqual(4 * EPS);
    // Each square underflows to a subnormal: the unscaled sum would be off by percent.
    expect(relErr(nrm2(new Float64Array(4).fill(1e-160)), 2e-160)).toBeLessThanOrEqual(2 * EPS);
    expect(relErr(nrm2(new Float64Array(100).fill(-1e-170)), 1e-169)).toBeLessThanOrEqual(4 * EPS);
    // Subnormal inputs: the answer is only as precise as the inputs' few bits.
    expect(relErr(nrm2([3e-310, 4e-310]), Math.hypot(3e-310, 4e-310))).toBeLessThan(1e-13);
    expect(nrm2([5e-324])).toBe(5e-324);
    expect(nrm2([1e300, 1e-300, 1])).toBe(1e300);
    expect(nrm2([Number.MAX_VALUE])).toBe(Number.MAX_VALUE);
    expect(nrm2([Number.MAX_VALUE, Number.MAX_VALUE])).toBe(Infinity); // the true norm overflows
    // Around the fast path's cut-off (Σx² ≥ 2^-960), powers of two must come back exactly.
    for (const e of [-483, -481, -480, -479, -477, 511, 512, 513]) expect(nrm2([2 ** e])).toBe(2 ** e);
    expect(nrm2([])).toBe(0);
    expect(nrm2([0, -0, 0])).toBe(0);
  });

  it("nrm2: Inf gives Inf, NaN gives NaN (NaN wins over Inf)", () => {
    for (const n of [1, 2, 3, 17, 129, 1000]) {
      for (const at of [0, n >> 1, n - 1]) {
        const x = randArray(n, n + at);
        x[at] = at % 2 ? -Infinity : Infinity;
        expect(k.nrm2(n, arena.put(x)), `n=${n} Inf at ${at}`).toBe(Infinity);
        x[(at + 1) % n] = NaN;
        expect(k.nrm2(n, arena.put(x)), `n=${n} NaN`).toBeNaN();
        const y = randArray(n, n + at);
        y[at] = NaN;
        expect(k.nrm2(n, arena.put(y))).toBeNaN();
      }
    }
  });

  describe.each(["sum", "max"] as const)("%sAxis", (op) => {
    const run = (pre: number, len: number, post: number, x: Float64Array, odd = false): Float64Array => {
      const px = putGuarded(arena, x, odd);
      const nOut = pre * post;
      const po = arena.alloc(nOut + 1);
      const ov = arena.view(po, nOut + 1);
      ov.fill(NaN);
      ov[nOut] = 12345.5;
      if (op === "sum") k.sumAxis(pre, len, post, px, po);
      else k.maxAxis(pre, len, post, px, po);
      expect(arena.view(po + 8 * nOut, 1)[0], "guard after out").toBe(12345.5);
      return get(arena, po, nOut);
    };

    it("matches the reference for every (pre, len, post) in {1, 3, 17, 129}³", () => {
      let seed = 1;
      for (const pre of AXES) for (const len of AXES) for (const post of AXES) {
        const x = dyadic(pre * len * post, seed++);
        const got = run(pre, len, post, x, seed % 2 === 0);
        expect(Array.from(got), `(${pre}, ${len}, ${post})`).toEqual(axisRef(op, pre, len, post, x));
      }
    });

    it("handles len = 0, long axes and assorted shapes", () => {
      for (const [pre, post] of [[1, 1], [3, 2], [129, 3]] as const) {
        expect(Array.from(run(pre, 0, post, new Float64Array(0)))).toEqual(new Array(pre * post).fill(op === "sum" ? 0 : -Infinity));
      }
      const shapes: [number, number, number][] = [
        [2, 100_003, 1], [7, 4099, 2], [130, 1000, 1], [256, 65, 2], [1, 65_537, 3], [5, 33, 129], [300, 1, 4],
        [0, 5, 3], [3, 5, 0],
      ];
      let seed = 500;
      for (const [pre, len, post] of shapes) {
        const x = dyadic(pre * len * post, seed++);
        expect(Array.from(run(pre, len, post, x, seed % 2 === 0)), `(${pre}, ${len}, ${post})`).toEqual(axisRef(op, pre, len, post, x));
      }
    });

    if (op === "sum") {
      it("is pairwise along a slow axis too", () => {
        // Four columns of 400 003 copies of 0.1 reduced across rows (pre = 4).
        const pre = 4, len = 400_003;
        const x = new Float64Array(pre * len).fill(0.1);
        const exact = exactSum(new Float64Array(len).fill(0.1));
        for (const v of run(pre, len, 1, x)) expect(relErr(v, exact)).toBeLessThan(1e-14);
        expect(relErr(naiveSum(new Float64Array(len).fill(0.1)), exact)).toBeGreaterThan(1e-14);
        // And along the fast axis (pre = 1), through the same pairwise sum as `sum`.
        for (const v of run(1, len, 2, new Float64Array(2 * len).fill(0.1))) expect(relErr(v, exact)).toBeLessThan(1e-14);
      });
    } else {
      it("propagates NaN to exactly the outputs whose slice holds one", () => {
        for (const [pre, len, post] of [[1, 17, 3], [3, 17, 2], [17, 129, 2], [129, 3, 3], [200, 70, 1], [40, 1, 3]] as const) {
          const x = dyadic(pre * len * post, pre + len);
          const r = rng(pre * len);
          for (let t = 0; t < 5; t++) x[Math.floor(((r() + 1) / 2) * x.length)] = NaN;
          x[x.length - 1] = NaN;
          const got = run(pre, len, post, x);
          expect(Array.from(got)).toEqual(axisRef("max", pre, len, post, x));
          expect(got.some(Number.isNaN)).toBe(true);
        }
      });

      it("treats signed zeros like Math.max in both layouts", () => {
        const sign = (xs: ArrayLike<number>) => Array.from(xs, (v) => (Object.is(v, -0) ? "-0" : v));
        for (const [pre, len, post] of [[1, 5, 7], [1, 40, 3], [3, 40, 2], [17, 9, 2], [129, 33, 1], [9, 1, 4]] as const) {
          const x = new Float64Array(pre * len * post).fill(-0);
          const r = rng(len + pre);
          for (let t = 0; t < pre * post; t++) x[Math.floor(((r() + 1) / 2) * x.length)] = 0;
          for (let t = 0; t < pre; t++) x[Math.floor(((r() + 1) / 2) * x.length)] = -1;
          const got = run(pre, len, post, x);
          const want = axisRef("max", pre, len, post, x);
          expect(want.some((v) => Object.is(v, -0)) && want.some((v) => Object.is(v, 0))).toBe(true);
          expect(sign(got), `(${pre}, ${len}, ${post})`).toEqual(sign(want));
        }
      });
    }
  });
});
