// The pow kernel (assembly/math/pow.ts) in both builds:
// - error in ulps of the true x^y, the truth computed here in BigInt fixed point (160
//   fractional bits: log by the atanh series, exp by its Taylor series after reduction by ln2),
//   over wide ranges of x and y, near 1 with huge y, near overflow, into the subnormal range,
//   subnormal bases, negative bases with integer y, tiny y;
// - every special case of ECMAScript's Math.pow (which differs from C99's pow only in
//   1^NaN, 1^±Inf, (−1)^±Inf: NaN) as explicit expectations and against Math.pow;
// - the SIMD and scalar builds return identical bits, whatever an entry's position (f64x2
//   lane or scalar tail) and the operands' stride pattern.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, rng, useBuild } from "../helpers/builds.js";
import { BinaryOp, type Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

// ---- exact arithmetic on doubles ----

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** x = m·2^e with m an integer (x finite, nonzero). */
function decompose(x: number): { m: bigint; e: number } {
  f64[0] = Math.abs(x);
  const bits = u64[0]!;
  const field = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  return field === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: field - 1075 };
}

const bitLength = (v: bigint): number => v.toString(2).length;
/** v·2^s for a BigInt v and any integer s (floor for s < 0). */
const shift = (v: bigint, s: number): bigint => (s >= 0 ? v << BigInt(s) : v >> BigInt(-s));

// ---- x^y in fixed point: values are BigInt·2^-P ----

const P = 160;
const ONE = 1n << BigInt(P);

/** ln(u) for u in [1, 2) (fixed point): 2·atanh((u − 1)/(u + 1)). */
function lnFixed(u: bigint): bigint {
  const s = ((u - ONE) << BigInt(P)) / (u + ONE);
  const s2 = (s * s) >> BigInt(P);
  let term = s, sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = (term * s2) >> BigInt(P);
  }
  return 2n * sum;
}
const LN2 = (() => {
  // ln 2 = 2·atanh(1/3).
  const s = ONE / 3n, s2 = (s * s) >> BigInt(P);
  let term = s, sum = 0n;
  for (let k = 1n; term !== 0n; k += 2n) {
    sum += term / k;
    term = (term * s2) >> BigInt(P);
  }
  return 2n * sum;
})();

/** exp(r) for |r| ≤ 1 (fixed point). */
function expFixed(r: bigint): bigint {
  let term = ONE, sum = 0n;
  for (let k = 1n; term !== 0n; k++) {
    sum += term;
    term = (term * r) / (ONE * k);
  }
  return sum;
}

/** |x|^y as R·2^s (R a BigInt with ~P significant bits), for finite x ≠ 0 and finite y ≠ 0. */
function powRef(x: number, y: number): { R: bigint; s: number } {
  const { m, e } = decompose(x);
  const bl = bitLength(m);
  // |x| = u·2^(e + bl − 1) with u = m/2^(bl−1) in [1, 2).
  const u = shift(m, P - (bl - 1));
  const L = BigInt(e + bl - 1) * LN2 + lnFixed(u);
  const yd = decompose(y);
  const t = (y < 0 ? -1n : 1n) * shift(yd.m * L, yd.e); // y·ln|x|, fixed point
  // t = k·ln2 + r with |r| ≤ ln2/2.
  let k = t / LN2;
  let r = t - k * LN2;
  if (r > LN2 / 2n) { r -= LN2; k += 1n; }
  if (r < -LN2 / 2n) { r += LN2; k -= 1n; }
  return { R: expFixed(r), s: Number(k) - P };
}

/** |got − x^y| in ulps of x^y (the ulp of the true value; subnormal spacing below 2^-1022). */
function ulpError(got: number, x: number, y: number): number {
  const { R, s } = powRef(x, y);
  const top = bitLength(R) - 1 + s; // floor(log2 |x^y|)
  const q = Math.max(top, -1022) - 52; // the ulp is 2^q
  const F = 40; // fractional bits of the comparison, in ulps
  const want = shift(R, s - q + F);
  const g = Math.abs(got);
  let have = 0n;
  if (g !== 0) {
    if (!Number.isFinite(g)) return Infinity;
    const d = decompose(g);
    have = shift(d.m, d.e - q + F);
  }
  const diff = have > want ? have - want : want - have;
  return Number(diff) / 2 ** F;
}

// ---- kernels ----

let k: Kernels, arena: Arena;

function runPow(as: ArrayLike<number>, bs: ArrayLike<number>, sa = 1, sb = 1, n = as.length): Float64Array {
  const a = arena.put(as), b = arena.put(bs), out = arena.alloc(n);
  k.binary(BinaryOp.Pow, 1, arena.putI32([n]), a, arena.putI32([sa]), b, arena.putI32([sb]), out);
  return arena.view(out, n).slice();
}

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const show = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));

/** Exponents the kernel takes by binary powering: integers with 1 ≤ |y| ≤ 4. */
const smallInt = (y: number): boolean => Number.isInteger(y) && Math.abs(y) >= 1 && Math.abs(y) <= 4;
/** Its stated bound in ulps: |y| − 1 for y > 0 (½ at y = 1, 2), |y| − ½ for y < 0. */
const intBound = (y: number): number => (y > 0 ? Math.max(0.5, y - 1) : -y - 0.5);
/**
 * x^y by the kernel's chain in JS (the same IEEE products in the same order: the lowest set
 * bit's square first, then a square and a product per higher bit; one division for y < 0).
 */
function chainPow(x: number, y: number): number {
  let k = Math.abs(y), b = x;
  while ((k & 1) === 0) { b *= b; k >>= 1; }
  let r = b;
  for (k >>= 1; k !== 0; k >>= 1) {
    b *= b;
    if (k & 1) r *= b;
  }
  return y > 0 ? r : 1 / r;
}

/** Samples over the regimes the kernel treats differently; every x^y finite and nonzero. */
function samples(): { xs: number[]; ys: number[] } {
  const r = rng(19);
  const xs: number[] = [], ys: number[] = [];
  const push = (x: number, y: number) => { xs.push(x); ys.push(y); };
  for (let i = 0; i < 1500; i++) {
    // |x| log-uniform over 1e-300..1e300, y with |y·ln x| ≤ 700.
    const x = Math.exp(r() * 690);
    push(x, (r() * 700) / Math.abs(Math.log(x) || 1));
  }
  for (let i = 0; i < 400; i++) push((r() + 1) * 8, r() * 5); // moderate
  for (let i = 0; i < 400; i++) {
    // Near 1 with huge y: y·ln x still up to ±700.
    const x = 1 + r() * 2 ** (-10 - Math.floor(Math.abs(r()) * 42));
    if (x !== 1) push(x, (r() * 700) / Math.log(x));
  }
  for (let i = 0; i < 300; i++) {
    // Results near overflow and in the subnormal range (y·ln x in [700, 709.7] and [−744, −690]).
    const x = 1.5 + Math.abs(r()) * 1e6;
    push(x, (700 + Math.abs(r()) * 9.7) / Math.log(x));
    push(x, -(690 + Math.abs(r()) * 54) / Math.log(x));
  }
  for (let i = 0; i < 200; i++) push(Math.abs(r()) * 1e-310 + 5e-324, 0.5 + Math.abs(r()) * 0.4); // subnormal bases
  for (let i = 0; i < 300; i++) push(-Math.abs(r()) * 20, Math.round(r() * 200)); // negative bases, integer y
  for (let i = 0; i < 200; i++) push(Math.abs(r()) * 10 + 1e-3, r() * 1e-18); // tiny y
  return { xs, ys };
}

const report: Record<string, string> = {};

describe.each(BUILDS)("pow kernel ($name)", ({ name, simd }) => {
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  it("is within 1 ulp of the true x^y (a 160-bit reference), and of Math.pow where V8's pow is", () => {
    const { xs, ys } = samples();
    const got = runPow(xs, ys);
    let worst = 0, at = "", worstJs = 0, atJs = "", hostWorst = 0, hostAt = "";
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!, y = ys[i]!, js = Math.pow(x, y);
      const e = ulpError(got[i]!, x, y);
      expect(Math.sign(got[i]!), `sign of pow(${x}, ${y})`).toBe(Math.sign(js));
      // Binary-powering exponents have their own bound (tested below).
      if (smallInt(y)) {
        if (e > intBound(y)) expect.fail(`pow(${x}, ${y}) = ${got[i]}: ${e} ulp`);
        continue;
      }
      if (e > worst) { worst = e; at = `pow(${x}, ${y}) = ${got[i]}`; }
      // V8's Math.pow (fdlibm's e_pow) itself errs by hundreds of ulps for x near 1 with huge
      // y; the comparison with it is kept where it is within an ulp of the truth.
      const h = ulpError(js, x, y);
      if (h > hostWorst) { hostWorst = h; hostAt = `pow(${x}, ${y})`; }
      if (h <= 1) {
        const d = Math.abs(got[i]! - js) / Math.max(Math.abs(js) * 2 ** -52, 2 ** -1074);
        if (d > worstJs) { worstJs = d; atJs = `pow(${x}, ${y})`; }
      }
    }
    report[name] = `${worst.toFixed(3)} ulp from exact (at ${at}); ≤ ${worstJs.toFixed(2)} ulp from Math.pow` +
      ` where Math.pow is within 1 ulp (Math.pow itself: ${hostWorst.toFixed(1)} ulp from exact at ${hostAt})`;
    expect(worst, at).toBeLessThan(1);
    expect(worstJs, atJs).toBeLessThanOrEqual(2);
  });

  it("is exact where x^y is a double: integer powers, square roots, powers of two into the subnormals", () => {
    const cases: [number, number, number][] = [
      [3, 5, 243], [10, 15, 1e15], [7, -2, 1 / 49], [4, 0.5, 2], [9, 1.5, 27], [0.25, -0.5, 2],
      [2, -1074, 5e-324], [2, -1022, 2 ** -1022], [2, 1023, 2 ** 1023], [0.5, 1074, 5e-324],
      [-2, 3, -8], [-2, 4, 16], [-3, -3, -1 / 27], [2 ** -1074, 0.5, 2 ** -537], [1e-310, 1, 1e-310],
      [16, 0.25, 2], [1, 12345.678, 1], [-1, 3, -1], [-1, 4, 1], [-1, 2 ** 60, 1],
    ];
    const got = runPow(cases.map((c) => c[0]), cases.map((c) => c[1]));
    cases.forEach(([x, y, want], i) => expect(Object.is(got[i], want), `pow(${x}, ${y}) = ${got[i]}, want ${want}`).toBe(true));
  });

  it("follows Math.pow in every special case", () => {
    // Explicit: C99 Annex F.9.4.4 as ECMAScript's Number::exponentiate states it.
    const I = Infinity, N = NaN;
    const cases: [number, number, number][] = [
      // y = ±0: 1 for every x, NaN included.
      [N, 0, 1], [N, -0, 1], [0, 0, 1], [-I, -0, 1], [-3.5, 0, 1],
      // NaN y: NaN for every x, 1 included (C gives 1^NaN = 1).
      [1, N, N], [-1, N, N], [0, N, N], [2, N, N],
      // NaN x, y ≠ 0.
      [N, 1, N], [N, -I, N],
      // |x| = 1 and y = ±Inf: NaN (C: 1).
      [1, I, N], [1, -I, N], [-1, I, N], [-1, -I, N],
      // y = ±Inf.
      [2, I, I], [2, -I, 0], [0.5, I, 0], [0.5, -I, I], [-2, I, I], [-0.5, -I, I], [-0.5, I, 0],
      // ±0 bases.
      [0, 3, 0], [-0, 3, -0], [-0, 2, 0], [-0, 0.5, 0], [0, -3, I], [-0, -3, -I], [-0, -2, I], [-0, -0.5, I],
      [-0, I, 0], [-0, -I, I],
      // ±Inf bases.
      [I, 0.5, I], [I, -0.5, 0], [-I, 3, -I], [-I, 2, I], [-I, 0.5, I], [-I, -3, -0], [-I, -2, 0], [-I, -0.5, 0],
      // Negative finite bases: non-integer y is NaN; the sign follows y's parity.
      [-2, 0.5, N], [-8, 1 / 3, N], [-2, -1.5, N], [-1e-310, 2.5, N],
      // Overflow and underflow (with signs), huge and tiny |y|.
      [10, 309, I], [-10, 309, -I], [-10, 310, I], [10, -324, 0], [-10, -325, -0], [-10, -324, 0],
      [2, 2 ** 63, I], [0.5, 2 ** 63, 0], [2, -(2 ** 63), 0], [1 + 2 ** -52, 2 ** 63, I],
      [1 - 2 ** -53, 2 ** 64, 0], [-2, 2 ** 63, I], [1.7976931348623157e308, 2, I], [5e-324, 2, 0],
      [5e-324, -1, I], [2, 1e-300, 1], [0.5, -1e-300, 1],
    ];
    const got = runPow(cases.map((c) => c[0]), cases.map((c) => c[1]));
    cases.forEach(([x, y, want], i) => {
      if (!same(got[i]!, want)) expect.fail(`pow(${show(x)}, ${show(y)}): got ${show(got[i]!)}, want ${show(want)}`);
      if (!same(Math.pow(x, y), want)) expect.fail(`test table: Math.pow(${show(x)}, ${show(y)}) is ${show(Math.pow(x, y))}`);
    });
    // Against Math.pow over a cross product of special and boundary values: exact where
    // Math.pow's result is 0, ±Inf or NaN, or ±1 from x = ±1 or y = 0; else within 2 ulp
    // (binary-powering exponents: their bound plus one). (Chromium's Math.pow returns 1 for
    // (1 − 2⁻⁵³)⁻¹, whose correctly rounded value, ours, is 1 + 2⁻⁵².)
    const vals = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 1.5, -1.5, 1 / 3, 1e-310, -1e-310, 5e-324,
      2 ** -1022, 1.7976931348623157e308, -1.7976931348623157e308, 1 + 2 ** -52, 1 - 2 ** -53, 2 ** 53,
      2 ** 53 + 2, 2 ** 63, 1e-20, 709.78, -745.2, 1024, -1075, I, -I, N];
    const as: number[] = [], bs: number[] = [];
    for (const x of vals) for (const y of vals) { as.push(x); bs.push(y); }
    const g = runPow(as, bs);
    for (let i = 0; i < as.length; i++) {
      const want = Math.pow(as[i]!, bs[i]!);
      const tol = smallInt(bs[i]!) ? intBound(bs[i]!) + 1 : 2;
      const exactOne = Math.abs(want) === 1 && (Math.abs(as[i]!) === 1 || bs[i] === 0);
      const ok = Number.isFinite(want) && want !== 0 && !exactOne
        ? Math.abs(g[i]! - want) <= tol * Math.max(Math.abs(want) * 2 ** -52, 2 ** -1074) && Math.sign(g[i]!) === Math.sign(want)
        : same(g[i]!, want);
      if (!ok) expect.fail(`pow(${show(as[i]!)}, ${show(bs[i]!)}): got ${show(g[i]!)}, Math.pow ${show(want)}`);
    }
  });
});

describe.each(BUILDS)("pow kernel, integer exponents 1 ≤ |y| ≤ 4 ($name)", ({ name, simd }) => {
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  it("multiplies where the power stays in [2^-1022, 2^1022): the chain's bits, within |y| − 1 ulp (|y| − ½ below 0)", () => {
    const r = rng(31);
    const xs: number[] = [];
    for (let i = 0; i < 700; i++) xs.push((i % 2 ? -1 : 1) * Math.exp(r() * 170)); // x^4 within range
    for (let i = 0; i < 300; i++) xs.push((r() + 1.5) * 3);
    for (let i = 0; i < 200; i++) xs.push(1 + r() * 2 ** -20);
    xs.push(1, -1, 3, 0.5, 10, 1.5, 2 ** 127, -(2 ** -127));
    const worst: string[] = [];
    for (let n = -4; n <= 4; n++) {
      if (n === 0) continue;
      const bcast = runPow(xs, [n], 1, 0, xs.length), each = runPow(xs, xs.map(() => n));
      let w = 0;
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!, want = chainPow(x, n);
        if (!same(bcast[i]!, each[i]!)) expect.fail(`pow(${x}, ${n}): broadcast ${bcast[i]} vs per entry ${each[i]}`);
        if (!same(bcast[i]!, want)) expect.fail(`pow(${x}, ${n}) = ${bcast[i]}, the chain gives ${want}`);
        const e = ulpError(bcast[i]!, x, n);
        w = Math.max(w, e);
        if (e > intBound(n)) expect.fail(`pow(${x}, ${n}) = ${bcast[i]}: ${e} ulp > ${intBound(n)}`);
      }
      worst.push(`${n}: ${w.toFixed(2)}`);
    }
    // Exact where the power is a double.
    const ex: [number, number, number][] = [[3, 3, 27], [-2, 3, -8], [1.5, 4, 5.0625], [-0.5, -3, -8], [10, 4, 1e4], [7, -2, 1 / 49], [-3, -4, 1 / 81]];
    const g = runPow(ex.map((c) => c[0]), ex.map((c) => c[1]));
    ex.forEach(([x, y, want], i) => expect(Object.is(g[i], want), `pow(${x}, ${y}) = ${g[i]}`).toBe(true));
    console.log(`  pow ${name}, worst ulp by integer exponent: ${worst.join(", ")}`);
  });

  it("takes the log/exp route where the power leaves the range, for overflow, underflow and special bases", () => {
    const cases: [number, number][] = [
      [1e80, 4], [-1e110, 3], [1e-78, 4], [-1e-105, 3], [1e103, -3], [1e-154, -2], [2 ** 511, -2], [2 ** -511, 2],
      [1e-310, 3], [-1e-310, -2], [5e-324, 1], [1.7976931348623157e308, 2], [2 ** 1022, 1], [2 ** 1022, -1],
      [2 ** 256, -4], [1e-80, -4],
    ];
    const got = runPow(cases.map((c) => c[0]), cases.map((c) => c[1]));
    // The same through the broadcast-exponent row (its tiles and its pair-by-pair retry).
    const bc = cases.map(([x, y]) => runPow([1.5, x, 2, x, x, -3, x], [y], 1, 0, 7));
    cases.forEach(([x, y], i) => {
      for (const j of [1, 3, 4, 6]) if (!same(bc[i]![j]!, got[i]!)) expect.fail(`pow(${x}, ${y}) broadcast, entry ${j}: ${bc[i]![j]} vs ${got[i]}`);
      const want = Math.pow(x, y);
      if (!Number.isFinite(want) || want === 0) {
        if (!same(got[i]!, want)) expect.fail(`pow(${x}, ${y}) = ${got[i]}, want ${want}`);
      } else {
        expect(ulpError(got[i]!, x, y), `pow(${x}, ${y}) = ${got[i]}`).toBeLessThan(1);
        expect(Math.sign(got[i]!)).toBe(Math.sign(want));
      }
    });
    // 1e103^-3 = 1e-309 is subnormal, not 0 (1 / (1e103)^3 would overflow and give 0).
    expect(got[4]).toBeGreaterThan(0);
    // Zero, infinite and NaN bases follow Math.pow exactly.
    const I = Infinity;
    const xs = [0, -0, I, -I, NaN], ns = [-4, -3, -2, -1, 1, 2, 3, 4];
    const as: number[] = [], bs: number[] = [];
    for (const x of xs) for (const n of ns) { as.push(x); bs.push(n); }
    const sp = runPow(as, bs), spb = as.map((x, i) => runPow([x, x, x], [bs[i]!], 1, 0, 3)[2]!);
    as.forEach((x, i) => {
      const want = Math.pow(x, bs[i]!);
      if (!same(sp[i]!, want) || !same(spb[i]!, want)) expect.fail(`pow(${show(x)}, ${bs[i]}) = ${show(sp[i]!)} / ${show(spb[i]!)}, want ${show(want)}`);
    });
  });
});

describe.each(BUILDS)("pow kernel in place ($name)", ({ simd }) => {
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  it("writes over either operand (out = a or out = b) with the same results, across tiles", () => {
    const { xs, ys } = samples(); // > 2 tiles of 256 entries, negative and non-normal bases among them
    const want = runPow(xs, ys);
    const n = xs.length, shape = arena.putI32([n]), one = arena.putI32([1]);
    for (const which of ["a", "b"] as const) {
      const a = arena.put(xs), b = arena.put(ys);
      k.binary(BinaryOp.Pow, 1, shape, a, one, b, one, which === "a" ? a : b);
      const got = arena.view(which === "a" ? a : b, n);
      for (let i = 0; i < n; i++) if (!same(got[i]!, want[i]!)) expect.fail(`out = ${which}, entry ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  it("writes over the base with a broadcast integer exponent, in and out of range, with the same results", () => {
    const { xs } = samples();
    xs.splice(100, 0, 0, -0, NaN, Infinity, 1e-310, 1e200, -1e-200);
    const n = xs.length, shape = arena.putI32([n]), one = arena.putI32([1]), zero = arena.putI32([0]);
    for (const y of [4, 3, -2, -3, 1]) {
      const want = runPow(xs, [y], 1, 0, n);
      const a = arena.put(xs), b = arena.put([y]);
      k.binary(BinaryOp.Pow, 1, shape, a, one, b, zero, a);
      const got = arena.view(a, n);
      for (let i = 0; i < n; i++) if (!same(got[i]!, want[i]!)) expect.fail(`y = ${y}, entry ${i} (${xs[i]}): ${got[i]} vs ${want[i]}`);
      expect(same(want[100 + 5]!, Math.pow(1e200, y)) || y < 0).toBe(true);
    }
  });
});

describe("pow kernel: builds, positions and strides", () => {
  it("gives the same bits in the SIMD and scalar builds, at every position and stride pattern", async () => {
    const { xs, ys } = samples();
    // Mix in special values so some pairs take the scalar route in the SIMD build.
    const specials = [0, -0, NaN, Infinity, -Infinity, -2, 1e-310];
    for (let i = 0; i < 7 * 9; i++) { xs.splice(i * 37, 0, specials[i % 7]!); ys.splice(i * 37, 0, (i % 5) - 2.5); }
    // Negative bases with integer and non-integer y side by side (the vector sign fix).
    const r = rng(23);
    for (let i = 0; i < 400; i++) { xs.push(-Math.abs(r()) * 20 - 0.01); ys.push(Math.round(r() * 30) + (i % 3 === 0 ? 0.5 : 0)); }
    const results: Float64Array[][] = [];
    for (const { simd } of BUILDS) {
      ({ k, arena } = await useBuild(simd));
      const runs: Float64Array[] = [];
      runs.push(runPow(xs, ys));
      runs.push(runPow([0, ...xs], [0, ...ys]).subarray(1)); // every entry in the other lane
      // Strides (1, 0) and (0, 1), and a strided pattern (scalar loop in both builds).
      runs.push(runPow(xs, [2.5], 1, 0, xs.length));
      runs.push(runPow([2.5], ys, 0, 1, ys.length));
      const ev = xs.flatMap((x, i) => [x, ys[i]!]);
      runs.push(runPow(ev, ev.slice(1), 2, 2, xs.length));
      // Binary-powering exponents: broadcast (dense and strided) and per entry.
      runs.push(runPow(xs, [-3], 1, 0, xs.length));
      runs.push(runPow(ev, [-3], 2, 0, xs.length));
      runs.push(runPow(xs, xs.map(() => -3)));
      runs.push(runPow([0, ...xs], [4], 1, 0, xs.length + 1).subarray(1));
      runs.push(runPow(xs, xs.map(() => 4)));
      arena.release();
      results.push(runs);
    }
    const [s, c] = results as [Float64Array[], Float64Array[]];
    const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => same(v, b[i]!));
    s.forEach((run, j) => expect(sameBits(run, c[j]!), `run ${j}: simd vs scalar`).toBe(true));
    expect(sameBits(s[0]!, s[1]!), "position (lane) independence").toBe(true);
    expect(sameBits(s[0]!, s[4]!), "strided = dense").toBe(true);
    expect(sameBits(s[5]!, s[6]!) && sameBits(s[5]!, s[7]!), "x^-3: broadcast, strided and per entry").toBe(true);
    expect(sameBits(s[8]!, s[9]!), "x^4: broadcast (other lane) and per entry").toBe(true);
    const n = xs.length;
    for (let i = n - 400; i < n; i++) {
      const want = Math.pow(xs[i]!, ys[i]!), got = s[0]![i]!;
      const tol = smallInt(ys[i]!) ? intBound(ys[i]!) + 1 : 2;
      const ok = Number.isNaN(want) ? Number.isNaN(got) : Math.sign(got) === Math.sign(want) && Math.abs(got - want) <= tol * Math.abs(want) * 2 ** -52;
      if (!ok) expect.fail(`pow(${xs[i]}, ${ys[i]}) = ${got}, Math.pow ${want}`);
    }
    expect(s[2]!.every((v, i) => same(v, Math.pow(xs[i]!, 2.5)) || Math.abs(v - Math.pow(xs[i]!, 2.5)) <= 2 * Math.abs(v) * 2 ** -52)).toBe(true);
    // The ulps the first test measured, for the record.
    console.log(Object.entries(report).map(([b, r]) => `  pow ${b}: ${r}`).join("\n"));
  });
});
