// Accuracy of the unary math kernels (assembly/elementwise.ts, assembly/math/*.ts) and of
// pow/atan2, in both builds, over wide sweeps: log-spaced magnitudes 1e-300..1e300 of both
// signs, dense grids near 0, near 1, near the exp overflow/underflow thresholds and near
// each routine's internal switch points, subnormals and the IEEE special values.
//
// Two yardsticks:
// - the host's Math.* (V8: fdlibm ports), distance in ulps counted on the Float64 bit
//   patterns as BigInt, must be ≤ 2 wherever Math has the function;
// - a double-double reference (about 100 bits, below) for the functions whose results we
//   compute ourselves (exp, log, log1p, tanh, sigmoid, softplus; expm1 too), giving the
//   actual error in ulps of the true value; its bounds are tighter than 2 where measured so.
// It also checks that the SIMD and scalar builds return identical bits, and that a value's
// result does not depend on its position (f64x2 lane or scalar tail).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, rng, useBuild } from "../helpers/builds.js";
import { BinaryOp, UnaryOp, type Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

// ---- ulps ----

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);

/** The bit pattern as an integer that is monotonic in the value (−0 and +0 both map to 0). */
function ordered(x: number): bigint {
  f64[0] = x;
  const b = i64[0]!;
  return b < 0n ? -(b & 0x7fffffffffffffffn) : b;
}

/** Number of doubles between a and b (0 if both NaN, Infinity if exactly one is). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const d = ordered(a) - ordered(b);
  return Number(d < 0n ? -d : d);
}

/** Unbiased exponent of a double's bit pattern (−1023 for zero and subnormals). */
function exponent(x: number): number {
  f64[0] = x;
  return ((u32[1]! >>> 20) & 0x7ff) - 1023;
}

// ---- double-double reference (about 100 bits) ----
// A value is hi + lo with |lo| ≤ ulp(hi)/2, times 2^k in a Ref so that results far in the
// subnormal range keep full precision. Error-free transforms: Knuth's TwoSum and Dekker's
// split and product (JavaScript has no FMA). Checked offline against mpmath at 60 digits:
// relative error below 1e-26 on every function here.
type DD = readonly [number, number];
/** (hi + lo)·2^k. */
interface Ref { hi: number; lo: number; k: number }

function twoSum(a: number, b: number): DD {
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}
function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}
function split(a: number): DD {
  const t = 134217729 * a; // 2^27 + 1
  const hi = t - (t - a);
  return [hi, a - hi];
}
function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a), [bh, bl] = split(b);
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}
function add(x: DD, y: DD): DD {
  const [s, e] = twoSum(x[0], y[0]);
  const [t, f] = twoSum(x[1], y[1]);
  const [s2, e2] = quickTwoSum(s, e + t);
  return quickTwoSum(s2, e2 + f);
}
const neg = (x: DD): DD => [-x[0], -x[1]];
const sub = (x: DD, y: DD): DD => add(x, neg(y));
function mul(x: DD, y: DD): DD {
  const [p, e] = twoProd(x[0], y[0]);
  return quickTwoSum(p, e + (x[0] * y[1] + x[1] * y[0]));
}
function div(x: DD, y: DD): DD {
  const q1 = x[0] / y[0];
  let r = sub(x, mul([q1, 0], y));
  const q2 = r[0] / y[0];
  r = sub(r, mul([q2, 0], y));
  const q3 = r[0] / y[0];
  return add(quickTwoSum(q1, q2), [q3, 0]);
}
const dd = (x: number): DD => [x, 0];
/** x·2^k in two exact steps, so |k| up to about 2000 neither overflows nor underflows early. */
function scale(x: DD, k: number): DD {
  const k1 = Math.trunc(k / 2), k2 = k - k1;
  return [x[0] * 2 ** k1 * 2 ** k2, x[1] * 2 ** k1 * 2 ** k2];
}
const plain = (x: DD): Ref => ({ hi: x[0], lo: x[1], k: 0 });
/** ln 2 to 107 bits. */
const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];

/** e^x = (hi + lo)·2^k for any finite double x: Taylor on r/256, then 8 squarings. */
function expRef(x: number): Ref {
  if (x > 1100) return { hi: Infinity, lo: 0, k: 0 };
  if (x < -1100) return { hi: 0, lo: 0, k: 0 };
  const k = Math.round(x / LN2[0]);
  const s = scale(sub(dd(x), mul(LN2, dd(k))), -8);
  let term = dd(1), sum = dd(1);
  for (let i = 1; i <= 12; i++) {
    term = div(mul(term, s), dd(i));
    sum = add(sum, term);
  }
  for (let i = 0; i < 8; i++) sum = mul(sum, sum);
  return { hi: sum[0], lo: sum[1], k };
}
/** A Ref as a plain double-double (under/overflowing like a double would). */
const unscale = (r: Ref): DD => scale([r.hi, r.lo], r.k);
/** log X for a positive double-double X: one Newton step from Math.log. */
function logDD(X: DD): DD {
  // Near 1 the result is small and the step's absolute error is not: use the series.
  if (Math.abs(X[0] - 1) < 0.01) return log1pDD(sub(X, dd(1)));
  const y0 = Math.log(X[0] + X[1]);
  const e = expRef(-y0);
  const t = sub(mul(scale(X, e.k), [e.hi, e.lo]), dd(1)); // X·e^−y0 − 1, |t| ≲ 1e-15
  return add(dd(y0), sub(t, scale(mul(t, t), -1)));      // + log1p(t) ≈ t − t²/2
}
/** log1p X for X > −1, accurate relative to the result also for tiny X. */
function log1pDD(X: DD): DD {
  if (Math.abs(X[0]) >= 0.01) return logDD(add(dd(1), X));
  let p = X, sum = X;
  for (let i = 2; i <= 20; i++) {
    p = mul(p, neg(X));
    sum = add(sum, div(p, dd(i)));
  }
  return sum;
}
function expm1DD(x: number): DD {
  if (Math.abs(x) >= 0.25) return sub(unscale(expRef(x)), dd(1));
  let term = dd(x), sum = dd(x);
  for (let i = 2; i <= 24; i++) {
    term = div(mul(term, dd(x)), dd(i));
    sum = add(sum, term);
  }
  return sum;
}
function tanhRef(x: number): Ref {
  const a = Math.abs(x);
  let t: DD;
  if (a < 0.5) {
    const m = expm1DD(-2 * a); // tanh a = −m/(m + 2)
    t = div(neg(m), add(m, dd(2)));
  } else {
    const e = unscale(expRef(-2 * a));
    t = div(sub(dd(1), e), add(dd(1), e));
  }
  return plain(x < 0 ? neg(t) : t);
}
function sigmoidRef(x: number): Ref {
  if (x >= 0) return plain(div(dd(1), add(dd(1), unscale(expRef(-x)))));
  const e = expRef(x);
  if (e.k < -200) { // σ = e·(1 − e + …), kept scaled so subnormal results stay exact
    const m = mul([e.hi, e.lo], sub(dd(1), unscale(e)));
    return { hi: m[0], lo: m[1], k: e.k };
  }
  const E = unscale(e);
  return plain(div(E, add(dd(1), E)));
}
/** c·e/(1 + e)² for e = exp(−a·|x|): sech²x (c = 4, a = 2) and σ′(x) (c = 1, a = 1). */
function slopeRef(x: number, c: number, a: number): Ref {
  const e = expRef(-a * Math.abs(x));
  if (e.k < -200) { // c·e·(1 − 2e + …), kept scaled so subnormal results stay exact
    const m = mul(scale([e.hi, e.lo], Math.log2(c)), sub(dd(1), scale(unscale(e), 1)));
    return { hi: m[0], lo: m[1], k: e.k };
  }
  const E = unscale(e);
  const d = add(dd(1), E);
  return plain(div(scale(E, Math.log2(c)), mul(d, d)));
}
function softplusRef(x: number): Ref {
  if (x > 0) return plain(add(dd(x), log1pDD(unscale(expRef(-x)))));
  const e = expRef(x);
  if (e.k < -200) { // log1p(e) = e·(1 − e/2 + …)
    const m = mul([e.hi, e.lo], sub(dd(1), scale(unscale(e), -1)));
    return { hi: m[0], lo: m[1], k: e.k };
  }
  return plain(log1pDD(unscale(e)));
}

/** |got − ref| in ulps of the true value (subnormal ulp = 2^-1074); ∞ for a wrong Inf/NaN. */
export function ulpError(got: number, r: Ref): number {
  const v = r.k > 0 ? r.hi * 2 ** (r.k - 1) * 2 : r.hi * 2 ** r.k;
  if (!Number.isFinite(v) || !Number.isFinite(got) || r.hi === 0) {
    if (r.hi === 0) return got === 0 ? 0 : Infinity;
    return Object.is(got, v) ? 0 : Infinity;
  }
  const k1 = Math.abs(r.k) > 1000 ? Math.sign(r.k) * 1000 : 0;
  const g = got * 2 ** -k1 * 2 ** -(r.k - k1); // exact: got sits within a few binades of 2^k
  const ulp = Math.max(2 ** (exponent(r.hi) - 52), 2 ** (-1074 - r.k));
  return Math.abs((g - r.hi) - r.lo) / ulp;
}

// ---- inputs ----

function logspace(lo: number, hi: number, n: number): number[] {
  const a = Math.log10(lo), b = Math.log10(hi), out: number[] = [];
  for (let i = 0; i < n; i++) out.push(10 ** (a + ((b - a) * i) / (n - 1)));
  return out;
}
function linspace(lo: number, hi: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo + ((hi - lo) * i) / (n - 1));
  return out;
}
const both = (xs: number[]): number[] => xs.flatMap((x) => [x, -x]);
/** Uniform random points in [lo, hi) (seeded), which hit bit patterns grids miss. */
function uniform(lo: number, hi: number, n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + ((r() + 1) / 2) * (hi - lo));
}
/** x and its k nearest doubles on either side. */
function around(x: number, k = 3): number[] {
  const out: number[] = [];
  f64[0] = x;
  const b = i64[0]!;
  for (let d = -k; d <= k; d++) {
    i64[0] = b + BigInt(d);
    out.push(f64[0]);
  }
  return out;
}

function fromBits(b: bigint): number {
  i64[0] = b;
  return f64[0]!;
}
/** log1p's window for the direct formula, −0.2929 ≤ x < 0.41422 (assembly/math/log.ts). */
const LOG1P_WINDOW = [...around(fromBits(0x3fda827a00000000n), 4), ...around(fromBits(0xbfd2bec4ffffffffn), 4)];
/** Where expm1 changes its rebuild formula: k = rint(x/ln2) crosses −2, −1, 0, 1, 2, 20, 56. */
const EXPM1_SWITCHES = [-2, -1, 0, 1, 2, 19, 20, 56, 57].flatMap((j) => [...around((j - 0.5) * Math.LN2, 3), ...around((j + 0.5) * Math.LN2, 3)]);

/**
 * softplus's log table (assembly/math/act.ts): x where u = 1 + exp(−|x|) crosses a subinterval
 * boundary 1 + (i + ½)/256, both signs, and where exp(−|x|) = 2^-k leaves or enters a binade
 * (entry 0, u − 1 losing e's low bits, e below 2^-53).
 */
const SOFTPLUS_EDGES = [
  ...Array.from({ length: 256 }, (_, i) => -Math.log((i + 0.5) / 256)).flatMap((x) => both(around(x, 3))),
  ...Array.from({ length: 60 }, (_, k) => (k + 1) * Math.LN2).flatMap((x) => both(around(x, 3))),
];

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, Number.MAX_VALUE, -Number.MAX_VALUE,
  Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1022, -(2 ** -1022), 2 ** -1022 - 2 ** -1074,
  1e-310, -1e-310, 1, -1, 0.5, -0.5, 2, -2];
/** Every op sees these: the full range and both signs. */
const BROAD = [...SPECIAL, ...both(logspace(1e-300, 1e300, 2401)), ...both(logspace(1e-323, 1e-300, 60)),
  ...both(linspace(0, 1e-3, 801)), ...both(logspace(1e-20, 1e-3, 400)), ...uniform(-50, 50, 3000, 1),
  ...uniform(-3, 3, 3000, 2)];
const EXP_EDGES = [...linspace(700, 710, 801), ...linspace(-746, -700, 1601), ...around(709.782712893383973096, 5),
  ...around(-745.13321910194110842, 5), ...around(-708.3964185322641, 3), ...around(708, 3), ...around(-708, 3), ...around(690, 3), ...around(-690, 3),
  ...linspace(-700, -680, 401),
  ...uniform(-745, 709.7, 4000, 3)];

// ---- kernel runner ----

let k: Kernels, arena: Arena;

function runUnary(op: UnaryOp, xs: ArrayLike<number>): Float64Array {
  const x = arena.put(xs);
  const out = arena.alloc(xs.length);
  k.unary(op, xs.length, x, out);
  return arena.view(out, xs.length).slice();
}
function runBinary(op: BinaryOp, as: ArrayLike<number>, bs: ArrayLike<number>): Float64Array {
  const n = as.length;
  const a = arena.put(as), b = arena.put(bs), out = arena.alloc(n);
  const shape = arena.putI32([n]), st = arena.putI32([1]);
  k.binary(op, 1, shape, a, st, b, st, out);
  return arena.view(out, n).slice();
}

interface Measure { maxVsJs: number; argJs: number; maxVsRef: number; argRef: number; hostVsRef: number }

function measure(xs: number[], got: Float64Array, js?: (x: number) => number, ref?: (x: number) => Ref): Measure {
  const m: Measure = { maxVsJs: 0, argJs: NaN, maxVsRef: 0, argRef: NaN, hostVsRef: 0 };
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (js) {
      const e = ulpDistance(got[i]!, js(x));
      if (e > m.maxVsJs) { m.maxVsJs = e; m.argJs = x; }
    }
    if (ref && Number.isFinite(x) && (!js || Number.isFinite(js(x)))) {
      const r = ref(x);
      const e = ulpError(got[i]!, r);
      if (e > m.maxVsRef) { m.maxVsRef = e; m.argRef = x; }
      if (js) m.hostVsRef = Math.max(m.hostVsRef, ulpError(js(x), r));
    }
  }
  return m;
}

interface UnaryCase {
  op: UnaryOp;
  name: string;
  inputs: number[];
  js?: (x: number) => number;
  ref?: (x: number) => Ref;
  /** Bound on the error against `ref`, in ulps (measured worst case plus a margin). */
  refBound?: number;
  /** Bound on the distance from `js` (default 2). */
  jsBound?: number;
}

const CASES: UnaryCase[] = [
  { op: UnaryOp.Exp, name: "exp", js: Math.exp, ref: expRef, refBound: 0.55,
    inputs: [...BROAD, ...EXP_EDGES, ...uniform(-1, 1, 3000, 4), ...linspace(-0.35, 0.35, 1001)] },
  { op: UnaryOp.Log, name: "log", js: Math.log, ref: (x) => plain(logDD(dd(x))), refBound: 1,
    inputs: [...BROAD, ...linspace(0.5, 2, 3001), ...linspace(1 - 1e-6, 1 + 1e-6, 501), ...around(1, 20),
      ...around(Math.SQRT1_2, 5), ...around(Math.SQRT2, 5), ...uniform(0, 1e-300, 500, 5)] },
  { op: UnaryOp.Log1p, name: "log1p", js: Math.log1p, ref: (x) => plain(log1pDD(dd(x))), refBound: 1,
    inputs: [...BROAD, ...linspace(-1, 1, 4001), ...around(-1, 10), ...logspace(1e-17, 1, 500).map((t) => t - 1),
      ...around(-0.2928932188134524, 5), ...around(0.41421356237309503, 5), ...LOG1P_WINDOW, ...linspace(-0.3, -0.29, 501),
      ...linspace(0.41, 0.42, 501), ...around(2 ** -53, 3), ...around(-(2 ** -53), 3)] },
  { op: UnaryOp.Expm1, name: "expm1", js: Math.expm1, ref: (x) => plain(expm1DD(x)), refBound: 1,
    inputs: [...BROAD, ...EXP_EDGES, ...linspace(-1, 1, 3001), ...uniform(-40, 40, 2000, 6), ...EXPM1_SWITCHES,
      ...around(2 ** -54, 3), ...around(-(2 ** -54), 3)] },
  // V8's Math.tanh (fdlibm) is itself up to 2.02 ulp off here (measured against tanhRef),
  // so the distance between two good answers can reach 3; the exact bound is the real test.
  { op: UnaryOp.Tanh, name: "tanh", js: Math.tanh, jsBound: 3, ref: tanhRef, refBound: 0.75,
    inputs: [...BROAD, ...both(linspace(0, 2, 4001)), ...both(around(0.625, 20)), ...both(linspace(18, 23, 201)),
      ...both(around(22, 3)), ...uniform(-25, 25, 3000, 7)] },
  { op: UnaryOp.Sigmoid, name: "sigmoid", ref: sigmoidRef, refBound: 0.6,
    inputs: [...BROAD, ...EXP_EDGES, ...linspace(-40, 40, 8001), ...uniform(-750, 40, 4000, 8), ...[-1000, 1000, -40]] },
  // Measured 0.504 with the table-driven log (assembly/math/act.ts); the log1p-based form
  // before it measured 1.11.
  { op: UnaryOp.Softplus, name: "softplus", ref: softplusRef, refBound: 0.55,
    inputs: [...BROAD, ...EXP_EDGES, ...linspace(-40, 40, 8001), ...uniform(-750, 40, 4000, 9), ...[-1000, 1000, -40],
      ...SOFTPLUS_EDGES, ...both(linspace(30, 45, 6001)), ...both(linspace(0, 1e-8, 201))] },
  // tanh′ and σ′ (the derivative rules of tanh and sigmoid), in the tails where 1 − tanh² and
  // σ(1 − σ) had no digit left.
  { op: UnaryOp.Sech2, name: "sech²", ref: (x) => slopeRef(x, 4, 2), refBound: 4,
    inputs: [...BROAD, ...EXP_EDGES, ...both(linspace(0, 40, 8001)), ...uniform(-380, 380, 4000, 13), ...both(around(354, 3))] },
  { op: UnaryOp.SigmoidSlope, name: "σ′", ref: (x) => slopeRef(x, 1, 1), refBound: 4,
    inputs: [...BROAD, ...EXP_EDGES, ...both(linspace(0, 40, 8001)), ...uniform(-750, 750, 4000, 14), ...both(around(708, 3))] },
  { op: UnaryOp.Sin, name: "sin", js: Math.sin,
    inputs: [...BROAD, ...linspace(-10, 10, 4001), ...logspace(1e3, 1e22, 500), ...[1, 2, 3, 4, 100, 1000].flatMap((m) => around((m * Math.PI) / 2, 2))] },
  { op: UnaryOp.Cos, name: "cos", js: Math.cos,
    inputs: [...BROAD, ...linspace(-10, 10, 4001), ...logspace(1e3, 1e22, 500), ...[1, 2, 3, 4, 100, 1000].flatMap((m) => around((m * Math.PI) / 2, 2))] },
  { op: UnaryOp.Atan, name: "atan", js: Math.atan, inputs: [...BROAD, ...linspace(-4, 4, 4001)] },
  { op: UnaryOp.Sqrt, name: "sqrt", js: Math.sqrt, inputs: [...BROAD, ...uniform(0, 10, 2000, 10)] },
];

/** Worst errors per build, printed at the end for the record. */
const report: Record<string, Record<string, string>> = {};

describe.each(BUILDS)("accuracy ($name)", ({ name, simd }) => {
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  it.each(CASES)("$name: within its bounds of Math.* (where it exists) and of the exact value", (c) => {
    const got = runUnary(c.op, c.inputs);
    const m = measure(c.inputs, got, c.js, c.ref);
    (report[c.name] ??= {})[name] = [
      c.js ? `${m.maxVsJs} ulp from Math (at ${m.argJs})` : "",
      c.ref ? `${m.maxVsRef.toFixed(3)} ulp from exact (at ${m.argRef})` : "",
      c.js && c.ref ? `Math.${c.name} itself ${m.hostVsRef.toFixed(3)}` : "",
    ].filter(Boolean).join("; ");
    if (c.js) expect(m.maxVsJs, `${c.name}(${m.argJs})`).toBeLessThanOrEqual(c.jsBound ?? 2);
    if (c.ref) expect(m.maxVsRef, `${c.name}(${m.argRef})`).toBeLessThanOrEqual(c.refBound!);
  });

  it("sigmoid and softplus keep full relative precision in the tails", () => {
    const xs = [-40, -100, -700, -740, 40, 1000, -1000];
    const [s40, s100, s700, s740, sp40, s1000, sm1000] = runUnary(UnaryOp.Sigmoid, xs);
    expect(ulpError(s40!, sigmoidRef(-40))).toBeLessThanOrEqual(1);
    expect(s40! / 4.248354255291589e-18 - 1).toBeLessThan(4e-16);
    expect(ulpError(s100!, sigmoidRef(-100))).toBeLessThanOrEqual(1);
    expect(ulpError(s700!, sigmoidRef(-700))).toBeLessThanOrEqual(1);
    expect(ulpError(s740!, sigmoidRef(-740))).toBeLessThanOrEqual(1); // subnormal
    expect(sp40).toBe(1);
    expect(s1000).toBe(1);
    expect(sm1000).toBe(0);
    const [p40, p1000, pm1000, pm40] = runUnary(UnaryOp.Softplus, [-40, 1000, -1000, 40]);
    expect(ulpError(p40!, softplusRef(-40))).toBeLessThanOrEqual(1);
    expect(p1000).toBe(1000);
    expect(pm1000).toBe(0); // exp(−1000) underflows: 0 is the correctly rounded value
    expect(pm40).toBe(40 + Math.exp(-40));
  });

  it("exp at the overflow and underflow thresholds", () => {
    const xs = [709.782712893383973096, 709.7827128933841, 710, 1000, -745.1332191019411, -745.1332191019412, -746, -1000, 708, -708];
    const got = runUnary(UnaryOp.Exp, xs);
    expect(got[0]).toBe(Math.exp(xs[0]!)); // largest finite result
    expect(got[0]).toBeLessThan(Infinity);
    expect(got[1]).toBe(Infinity);
    expect(got[2]).toBe(Infinity);
    expect(got[3]).toBe(Infinity);
    expect(got[4]).toBe(Number.MIN_VALUE);
    expect(got[5]).toBe(0);
    expect(got[6]).toBe(0);
    expect(got[7]).toBe(0);
    for (let i = 0; i < xs.length; i++) expect(ulpError(got[i]!, expRef(xs[i]!)), `exp(${xs[i]})`).toBeLessThanOrEqual(1);
  });

  it("pow and atan2: ≤ 2 ulp from Math.pow and Math.atan2 over wide ranges", () => {
    const r = rng(11);
    const as: number[] = [], bs: number[] = [];
    const mags = logspace(1e-300, 1e300, 301);
    for (const x of mags) for (let j = 0; j < 8; j++) { as.push(x); bs.push(r() * 60); }
    for (let i = 0; i < 4000; i++) { as.push((r() + 1) * 10); bs.push(r() * 300); } // up to ~1e300
    for (let i = 0; i < 2000; i++) { as.push(-Math.abs(r()) * 100); bs.push(Math.round(r() * 150)); } // odd/even integer powers
    for (let i = 0; i < 2000; i++) { as.push(1 + r() * 1e-6); bs.push(r() * 1e9); } // near 1, huge y
    const got = runBinary(BinaryOp.Pow, as, bs);
    let worst = 0, at = "";
    for (let i = 0; i < as.length; i++) {
      const e = ulpDistance(got[i]!, Math.pow(as[i]!, bs[i]!));
      if (e > worst) { worst = e; at = `pow(${as[i]}, ${bs[i]})`; }
    }
    (report["pow"] ??= {})[name] = `${worst} ulp vs Math (at ${at})`;
    expect(worst, at).toBeLessThanOrEqual(2);

    const ys = [...BROAD.slice(0, 2000)], xs2 = [...BROAD.slice(2000, 4000)].reverse();
    for (let i = 0; i < 4000; i++) { ys.push(r() * 10); xs2.push(r() * 10); }
    const g2 = runBinary(BinaryOp.Atan2, ys, xs2);
    let w2 = 0, at2 = "";
    for (let i = 0; i < ys.length; i++) {
      const e = ulpDistance(g2[i]!, Math.atan2(ys[i]!, xs2[i]!));
      if (e > w2) { w2 = e; at2 = `atan2(${ys[i]}, ${xs2[i]})`; }
    }
    (report["atan2"] ??= {})[name] = `${w2} ulp vs Math (at ${at2})`;
    expect(w2, at2).toBeLessThanOrEqual(2);
  });
});

describe("both builds, every position", () => {
  const ops = [UnaryOp.Exp, UnaryOp.Log, UnaryOp.Log1p, UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.Softplus,
    UnaryOp.Expm1, UnaryOp.Sin, UnaryOp.Atan, UnaryOp.Sign, UnaryOp.Step, UnaryOp.Relu, UnaryOp.Reciprocal,
    UnaryOp.Sech2, UnaryOp.SigmoidSlope];
  // An odd length, so every value also passes through the scalar tail when shifted by one.
  const xs = [...BROAD, ...EXP_EDGES, ...linspace(-1.5, 1.5, 301), ...LOG1P_WINDOW, ...EXPM1_SWITCHES,
    ...both(around(0.625, 3)), ...both(around(22, 3)), ...uniform(-3, 45, 4000, 12)];
  if (xs.length % 2 === 0) xs.push(0.3);
  const results = new Map<string, Float64Array>();

  beforeAll(async () => {
    for (const { name, simd } of BUILDS) {
      ({ k, arena } = await useBuild(simd));
      for (const op of ops) {
        results.set(`${name} ${op}`, runUnary(op, xs));
        results.set(`${name} ${op} shifted`, runUnary(op, [0.25, ...xs]).subarray(1));
        arena.release();
      }
    }
  });

  it.each(ops)("op %i: SIMD and scalar builds agree bit for bit, at any array offset", (op) => {
    const ref = results.get(`scalar ${op}`)!;
    for (const key of [`simd ${op}`, `simd ${op} shifted`, `scalar ${op} shifted`]) {
      const got = results.get(key)!;
      let bad = -1;
      for (let i = 0; i < xs.length && bad < 0; i++) {
        if (!(Object.is(got[i], ref[i]) || (Number.isNaN(got[i]) && Number.isNaN(ref[i])))) bad = i;
      }
      expect(bad, `${key}: x = ${xs[bad]}, got ${got[bad]}, scalar ${ref[bad]}`).toBe(-1);
    }
  });

  it("prints the measured worst errors", () => {
    console.log(`\nworst errors (ulps):\n${Object.entries(report).map(([op, r]) =>
      Object.entries(r).map(([b, s]) => `  ${op.padEnd(8)} ${b.padEnd(6)} ${s}`).join("\n")).join("\n")}`);
  });
});
