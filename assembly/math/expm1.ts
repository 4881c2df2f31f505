// expm1(x) = e^x − 1 in float64, scalar and f64x2, bit-identical to each other.
//
// Algorithm and constants: fdlibm s_expm1.c (Sun Microsystems, 1993), V8's Math.expm1.
// Reduce x = k·ln2 + r (r carried as r + c), approximate e^r − 1 on |r| ≤ ln2/2 with the
// rational form r − (r·e − r²/2), then rebuild 2^k·(e^r − 1) + (2^k − 1) by one of six
// rearrangements chosen by k, each ordered so the large terms meet last.
// We do not call AssemblyScript's NativeMath.expm1: its port reorders the k ≥ 2 cases
// (1 − (e + 2^−k) is formed before adding r), which loses accuracy; measured 1.52 ulp at
// x = 24.63 against fdlibm's 0.75.
//
// One change from fdlibm: k = rint(x/ln2) by the shift trick for every x, instead of
// fdlibm's k = 0 for |x| < 0x3FD62E43·2^32 and k = ±1 up to 1.5·ln2. The two differ only
// where x/ln2 lies within 2^-29 of a half-integer, where both reductions are valid; the
// uniform rule lets the f64x2 form compute k for both lanes at once.
import { SHIFT } from "./exp";

// @ts-ignore: decorator
@lazy const INVLN2 = reinterpret<f64>(0x3FF71547652B82FE);
// @ts-ignore: decorator
@lazy const LN2HI = reinterpret<f64>(0x3FE62E42FEE00000);
// @ts-ignore: decorator
@lazy const LN2LO = reinterpret<f64>(0x3DEA39EF35793C76);
// @ts-ignore: decorator
@lazy const Q1 = reinterpret<f64>(0xBFA11111111110F4);
// @ts-ignore: decorator
@lazy const Q2 = reinterpret<f64>(0x3F5A01A019FE5585);
// @ts-ignore: decorator
@lazy const Q3 = reinterpret<f64>(0xBF14CE199EAADBB7);
// @ts-ignore: decorator
@lazy const Q4 = reinterpret<f64>(0x3ED0CFCA86E65239);
// @ts-ignore: decorator
@lazy const Q5 = reinterpret<f64>(0xBE8AFDB76E09C32D);
// @ts-ignore: decorator
@lazy const O_THRESHOLD = reinterpret<f64>(0x40862E42FEFA39EF); // 709.782712893383973096
/** Below 2^-54 in magnitude expm1(x) rounds to x (and ±0, subnormals stay exact). */
// @ts-ignore: decorator
@lazy const TINY = reinterpret<f64>(0x3C90000000000000);
/** |x| ≤ FAST keeps 2^k and 2^−k normal. */
// @ts-ignore: decorator
@lazy const FAST = 708.0;

/** 2^n for an integer-valued n with |n| ≤ 1023. */
// @ts-ignore: decorator
@inline function pow2(n: i64): f64 {
  return reinterpret<f64>(<u64>(n + 1023) << 52);
}

/** expm1(x) for TINY ≤ |x| ≤ FAST. */
// @ts-ignore: decorator
@inline function expm1Core(x: f64): f64 {
  const kd = x * INVLN2 + SHIFT;
  const k = kd - SHIFT;
  const hi = x - k * LN2HI;
  const lo = k * LN2LO;
  const r = hi - lo;
  const c = (hi - r) - lo;
  const hfx = 0.5 * r;
  const hxs = r * hfx;
  const r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - r * t));
  if (k == 0) return r - (r * e - hxs);
  e = (r * (e - c) - c) - hxs;
  if (k == -1) return 0.5 * (r - e) - 0.5;
  if (k == 1) return r < -0.25 ? -2.0 * (e - (r + 0.5)) : 1.0 + 2.0 * (r - e);
  const ki = <i64>(reinterpret<u64>(kd) - reinterpret<u64>(SHIFT));
  const twopk = pow2(ki);
  if (k <= -2 || k > 56) return (1.0 - (e - r)) * twopk - 1.0;
  if (k < 20) return ((1.0 - pow2(-ki)) - (e - r)) * twopk;
  return ((r - (e + pow2(-ki))) + 1.0) * twopk;
}

/** expm1(x) over the whole f64 range. */
export function expm1Scalar(x: f64): f64 {
  const a = Math.abs(x);
  if (a <= FAST) return a < TINY ? x : expm1Core(x);
  if (x != x) return x;
  if (x < 0) return -1.0;
  if (x > O_THRESHOLD) return Infinity;
  // 708 < x ≤ 709.78: k may be 1024, so scale by 2^(k−1) and then 2 (both exact).
  const kd = x * INVLN2 + SHIFT;
  const k = kd - SHIFT;
  const hi = x - k * LN2HI;
  const lo = k * LN2LO;
  const r = hi - lo;
  const c = (hi - r) - lo;
  const hfx = 0.5 * r;
  const hxs = r * hfx;
  const r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - r * t));
  e = (r * (e - c) - c) - hxs;
  const ki = <i64>(reinterpret<u64>(kd) - reinterpret<u64>(SHIFT));
  return (1.0 - (e - r)) * pow2(ki - 1) * 2.0 - 1.0;
}

// ---- f64x2 (SIMD build only) ----

// f64x2 constants sit in memory, each stored twice, and are loaded where they are used:
// V8 11 (Node 20) rebuilds every v128.const from immediates inside the loop, while a load
// from a fixed address is one instruction (bench/NOTES.md: the gain on exp).
const VKF: usize = memory.data<f64>([
  INVLN2, INVLN2, SHIFT, SHIFT, LN2HI, LN2HI, LN2LO, LN2LO, 0.5, 0.5, Q4, Q4, Q5, Q5, Q3, Q3,
  Q2, Q2, Q1, Q1, 1.0, 1.0, 3.0, 3.0, 6.0, 6.0, 2.0, 2.0, -2.0, -2.0, -0.25, -0.25, 20.0, 20.0,
  56.0, 56.0, -1.0, -1.0, TINY, TINY,
], 16);
const VKI: usize = memory.data<u64>([
  1023, 1023,
], 16);
/** Indices into the tables above. */
const V_INVLN2 = 0, V_SHIFT = 1, V_LN2HI = 2, V_LN2LO = 3, V_HALF = 4, V_Q4 = 5, V_Q5 = 6,
  V_Q3 = 7, V_Q2 = 8, V_Q1 = 9, V_ONE = 10, V_THREE = 11, V_SIX = 12, V_TWO = 13, V_MINUS_TWO = 14,
  V_MINUS_QUARTER = 15, V_TWENTY = 16, V_FIFTY_SIX = 17, V_MINUS_ONE = 18, V_TINY = 19,
  V_BIAS = 20;
// @ts-ignore: decorator
@inline function vk(i: i32): v128 {
  return i < 20 ? v128.load(VKF + (<usize>i << 4)) : v128.load(VKI + (<usize>(i - 20) << 4));
}

/** Two lanes of expm1Core: every rearrangement is computed and the lane's own is kept. */
// @ts-ignore: decorator
@inline function expm1CoreV(x: v128): v128 {
  const kd = f64x2.add(f64x2.mul(x, vk(V_INVLN2)), vk(V_SHIFT));
  const k = f64x2.sub(kd, vk(V_SHIFT));
  const hi = f64x2.sub(x, f64x2.mul(k, vk(V_LN2HI)));
  const lo = f64x2.mul(k, vk(V_LN2LO));
  const r = f64x2.sub(hi, lo);
  const c = f64x2.sub(f64x2.sub(hi, r), lo);
  const hfx = f64x2.mul(vk(V_HALF), r);
  const hxs = f64x2.mul(r, hfx);
  let p = f64x2.add(vk(V_Q4), f64x2.mul(hxs, vk(V_Q5)));
  p = f64x2.add(vk(V_Q3), f64x2.mul(hxs, p));
  p = f64x2.add(vk(V_Q2), f64x2.mul(hxs, p));
  p = f64x2.add(vk(V_Q1), f64x2.mul(hxs, p));
  const r1 = f64x2.add(vk(V_ONE), f64x2.mul(hxs, p));
  const t = f64x2.sub(vk(V_THREE), f64x2.mul(r1, hfx));
  const e0 = f64x2.mul(hxs, f64x2.div(f64x2.sub(r1, t), f64x2.sub(vk(V_SIX), f64x2.mul(r, t))));
  // k = 0
  const y0 = f64x2.sub(r, f64x2.sub(f64x2.mul(r, e0), hxs));
  const e = f64x2.sub(f64x2.sub(f64x2.mul(r, f64x2.sub(e0, c)), c), hxs);
  const one = vk(V_ONE), half = vk(V_HALF), two = vk(V_TWO);
  // k = −1
  const ym1 = f64x2.sub(f64x2.mul(half, f64x2.sub(r, e)), half);
  // k = 1
  const yp1 = v128.bitselect(
    f64x2.mul(vk(V_MINUS_TWO), f64x2.sub(e, f64x2.add(r, half))),
    f64x2.add(one, f64x2.mul(two, f64x2.sub(r, e))),
    f64x2.lt(r, vk(V_MINUS_QUARTER)));
  const ki = i64x2.sub(kd, vk(V_SHIFT));
  const twopk = i64x2.shl(i64x2.add(ki, vk(V_BIAS)), 52);
  const twomk = i64x2.shl(i64x2.sub(vk(V_BIAS), ki), 52);
  const erx = f64x2.sub(e, r);
  // k ≤ −2 or k > 56
  const yFar = f64x2.sub(f64x2.mul(f64x2.sub(one, erx), twopk), one);
  // 2 ≤ k < 20
  const yMid = f64x2.mul(f64x2.sub(f64x2.sub(one, twomk), erx), twopk);
  // 20 ≤ k ≤ 56
  const yHigh = f64x2.mul(f64x2.add(f64x2.sub(r, f64x2.add(e, twomk)), one), twopk);
  let y = v128.bitselect(yMid, yHigh, f64x2.lt(k, vk(V_TWENTY)));
  y = v128.bitselect(yFar, y, v128.or(f64x2.le(k, vk(V_MINUS_TWO)), f64x2.gt(k, vk(V_FIFTY_SIX))));
  y = v128.bitselect(yp1, y, f64x2.eq(k, one));
  y = v128.bitselect(ym1, y, f64x2.eq(k, vk(V_MINUS_ONE)));
  return v128.bitselect(y0, y, f64x2.eq(k, f64x2.splat(0.0)));
}

/** expm1 of two lanes with |x| ≤ 708 (check with expFastV), tiny ones passed through exactly. */
// @ts-ignore: decorator
@inline export function expm1V(x: v128): v128 {
  return v128.bitselect(x, expm1CoreV(x), f64x2.lt(f64x2.abs(x), vk(V_TINY)));
}
