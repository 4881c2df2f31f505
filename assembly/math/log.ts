// log(x) and log1p(x) in float64, scalar and f64x2, bit-identical to each other.
//
// Algorithm and constants: fdlibm e_log.c / s_log1p.c (Sun Microsystems, 1993) in the
// branch-free arrangement musl used until 2018 (AssemblyScript's std carries it as its
// small-code log and as its log1p). Write x = 2^k·(1 + f) with √2/2 ≤ 1 + f < √2, s = f/(2 + f);
// log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with R a degree-7 polynomial (Lg1..Lg7). Error
// below 1 ulp. The reduction is integer arithmetic on the bit pattern, so it vectorizes.
import { SHIFT } from "./exp";

// @ts-ignore: decorator
@lazy const LN2_HI = reinterpret<f64>(0x3FE62E42FEE00000);
// @ts-ignore: decorator
@lazy const LN2_LO = reinterpret<f64>(0x3DEA39EF35793C76);
// @ts-ignore: decorator
@lazy const LG1 = reinterpret<f64>(0x3FE5555555555593);
// @ts-ignore: decorator
@lazy const LG2 = reinterpret<f64>(0x3FD999999997FA04);
// @ts-ignore: decorator
@lazy const LG3 = reinterpret<f64>(0x3FD2492494229359);
// @ts-ignore: decorator
@lazy const LG4 = reinterpret<f64>(0x3FCC71C51D8E78AF);
// @ts-ignore: decorator
@lazy const LG5 = reinterpret<f64>(0x3FC7466496CB03DE);
// @ts-ignore: decorator
@lazy const LG6 = reinterpret<f64>(0x3FC39A09D078C69F);
// @ts-ignore: decorator
@lazy const LG7 = reinterpret<f64>(0x3FC2F112DF3E5244);
/** Adding (1 − √2/2)·2^32 to the high word moves the exponent step from 2 down to √2. */
// @ts-ignore: decorator
@lazy const SQRT2_BIAS: u64 = <u64>(0x3FF00000 - 0x3FE6A09E) << 32;
// @ts-ignore: decorator
@lazy const SQRT2_HALF_HI: u64 = <u64>0x3FE6A09E << 32;
// @ts-ignore: decorator
@lazy const MANT: u64 = 0x000FFFFFFFFFFFFF;
// @ts-ignore: decorator
@lazy const MIN_NORMAL = reinterpret<f64>(0x0010000000000000);
/** log1p's direct window −0.2929 ≤ x < 0.41422 (√2/2 ≤ 1 + x < √2), as musl tests the high word. */
// @ts-ignore: decorator
@lazy const WINDOW_LO = reinterpret<f64>(0xBFD2BEC4FFFFFFFF);
// @ts-ignore: decorator
@lazy const WINDOW_HI = reinterpret<f64>(0x3FDA827A00000000);
/** |x| below this: log1p(x) = x to within half an ulp (and keeps −0 and subnormals exact). */
// @ts-ignore: decorator
@lazy export const LOG1P_TINY = reinterpret<f64>(0x3CA0000000000000); // 2^-53

/** f − f²/2 + s(f²/2 + R) + k·ln2 (+ c, log1p's rounding correction), in fdlibm's order. */
// @ts-ignore: decorator
@inline function logTail(f: f64, dk: f64, c: f64): f64 {
  const hfsq = 0.5 * f * f;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  return s * (hfsq + r) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI;
}

/** k as f64 from the biased-exponent integer, without an int→float conversion. */
// @ts-ignore: decorator
@inline function kToF64(k: i64): f64 {
  return reinterpret<f64>(reinterpret<u64>(SHIFT) + <u64>k) - SHIFT;
}

/** log(x) for positive normal finite x. */
// @ts-ignore: decorator
@inline export function logCore(x: f64): f64 {
  const ix = reinterpret<u64>(x) + SQRT2_BIAS;
  const k = (<i64>ix >> 52) - 0x3FF;
  const f = reinterpret<f64>((ix & MANT) + SQRT2_HALF_HI) - 1.0;
  return logTail(f, kToF64(k), 0.0);
}

/** log(x) over the whole f64 range, IEEE special values included. */
export function logScalar(x: f64): f64 {
  if (x >= MIN_NORMAL && x < Infinity) return logCore(x);
  if (x == 0) return -Infinity;
  if (x < 0 || x != x) return NaN;
  if (x == Infinity) return x;
  // Subnormal: scale by 2^54 into the normal range, then take 54·ln2 back inside the tail
  // (not afterwards) so the k·ln2 term is still added last, as for normal inputs.
  const ix = reinterpret<u64>(x * reinterpret<f64>(0x4350000000000000)) + SQRT2_BIAS;
  const k = (<i64>ix >> 52) - 0x3FF - 54;
  const f = reinterpret<f64>((ix & MANT) + SQRT2_HALF_HI) - 1.0;
  return logTail(f, kToF64(k), 0.0);
}

/**
 * log1p(x) for x > −1 finite with |x| ≥ LOG1P_TINY. Near 0 (−0.2929 < x < 0.41422, i.e.
 * √2/2 ≤ 1 + x < √2) f = x exactly; elsewhere u = 1 + x is reduced like log's argument
 * and c = (x − (u − 1))/u restores what rounding 1 + x lost (musl log1p.c's arrangement).
 */
// @ts-ignore: decorator
@inline export function log1pCore(x: f64): f64 {
  const hx = <u32>(reinterpret<u64>(x) >> 32);
  if (hx < 0x3FDA827A || hx >> 31 != 0) {
    if (hx <= 0xBFD2BEC4) return logTail(x, 0.0, 0.0);
  }
  const u = 1.0 + x;
  const iu = reinterpret<u64>(u) + SQRT2_BIAS;
  const k = (<i64>iu >> 52) - 0x3FF;
  let c = k >= 2 ? 1.0 - (u - x) : x - (u - 1.0);
  c = k < 54 ? c / u : 0.0;
  const f = reinterpret<f64>((iu & MANT) + SQRT2_HALF_HI) - 1.0;
  return logTail(f, kToF64(k), c);
}

/** log1p(x) over the whole f64 range. */
export function log1pScalar(x: f64): f64 {
  if (x > -1.0 && x < Infinity) return Math.abs(x) < LOG1P_TINY ? x : log1pCore(x);
  if (x == -1.0) return -Infinity;
  if (x == Infinity) return x;
  return NaN;
}

// ---- f64x2 (SIMD build only) ----

// f64x2 constants sit in memory, each stored twice, and are loaded where they are used:
// V8 11 (Node 20) rebuilds every v128.const from immediates inside the loop, while a load
// from a fixed address is one instruction (bench/NOTES.md: the gain on exp).
const VKF: usize = memory.data<f64>([
  0.5, 0.5, 2.0, 2.0, LG4, LG4, LG6, LG6, LG2, LG2, LG5, LG5, LG7, LG7, LG3, LG3, LG1, LG1,
  LN2_LO, LN2_LO, LN2_HI, LN2_HI, SHIFT, SHIFT, 1.0, 1.0, MIN_NORMAL, MIN_NORMAL,
  Infinity, Infinity, WINDOW_LO, WINDOW_LO, WINDOW_HI, WINDOW_HI, -1.0, -1.0,
  LOG1P_TINY, LOG1P_TINY,
], 16);
const VKI: usize = memory.data<u64>([
  SQRT2_BIAS, SQRT2_BIAS, 0x3FF, 0x3FF, MANT, MANT, SQRT2_HALF_HI, SQRT2_HALF_HI, 2, 2, 54, 54,
], 16);
/** Indices into the tables above. */
const V_HALF = 0, V_TWO = 1, V_LG4 = 2, V_LG6 = 3, V_LG2 = 4, V_LG5 = 5, V_LG7 = 6, V_LG3 = 7,
  V_LG1 = 8, V_LN2_LO = 9, V_LN2_HI = 10, V_SHIFT = 11, V_ONE = 12, V_MIN_NORMAL = 13, V_INF = 14,
  V_WINDOW_LO = 15, V_WINDOW_HI = 16, V_MINUS_ONE = 17, V_LOG1P_TINY = 18, V_SQRT2_BIAS = 19,
  V_BIAS = 20, V_MANT = 21, V_SQRT2_HALF_HI = 22, V_I2 = 23, V_I54 = 24;
// @ts-ignore: decorator
@inline function vk(i: i32): v128 {
  return i < 19 ? v128.load(VKF + (<usize>i << 4)) : v128.load(VKI + (<usize>(i - 19) << 4));
}

// @ts-ignore: decorator
@inline function logTailV(f: v128, dk: v128, c: v128): v128 {
  const hfsq = f64x2.mul(f64x2.mul(vk(V_HALF), f), f);
  const s = f64x2.div(f, f64x2.add(vk(V_TWO), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  let t1 = f64x2.add(vk(V_LG4), f64x2.mul(w, vk(V_LG6)));
  t1 = f64x2.mul(w, f64x2.add(vk(V_LG2), f64x2.mul(w, t1)));
  let t2 = f64x2.add(vk(V_LG5), f64x2.mul(w, vk(V_LG7)));
  t2 = f64x2.add(vk(V_LG3), f64x2.mul(w, t2));
  t2 = f64x2.mul(z, f64x2.add(vk(V_LG1), f64x2.mul(w, t2)));
  const r = f64x2.add(t2, t1);
  let y = f64x2.mul(s, f64x2.add(hfsq, r));
  y = f64x2.add(y, f64x2.add(f64x2.mul(dk, vk(V_LN2_LO)), c));
  y = f64x2.add(f64x2.sub(y, hfsq), f);
  return f64x2.add(y, f64x2.mul(dk, vk(V_LN2_HI)));
}

// @ts-ignore: decorator
@inline function kToF64V(k: v128): v128 {
  return f64x2.sub(i64x2.add(vk(V_SHIFT), k), vk(V_SHIFT));
}

/** Two lanes of {@link logCore}. */
// @ts-ignore: decorator
@inline export function logCoreV(x: v128): v128 {
  const ix = i64x2.add(x, vk(V_SQRT2_BIAS));
  const k = i64x2.sub(i64x2.shr_s(ix, 52), vk(V_BIAS));
  const m = i64x2.add(v128.and(ix, vk(V_MANT)), vk(V_SQRT2_HALF_HI));
  return logTailV(f64x2.sub(m, vk(V_ONE)), kToF64V(k), f64x2.splat(0.0));
}

/** Whether both lanes are positive, normal and finite: the domain of {@link logCoreV}. */
// @ts-ignore: decorator
@inline export function logFastV(x: v128): bool {
  return i64x2.all_true(v128.and(f64x2.ge(x, vk(V_MIN_NORMAL)), f64x2.lt(x, vk(V_INF))));
}

/** Two lanes of {@link log1pCore} (both branches computed, then selected). */
// @ts-ignore: decorator
@inline export function log1pCoreV(x: v128): v128 {
  const u = f64x2.add(vk(V_ONE), x);
  const iu = i64x2.add(u, vk(V_SQRT2_BIAS));
  const k = i64x2.sub(i64x2.shr_s(iu, 52), vk(V_BIAS));
  const cBig = f64x2.sub(vk(V_ONE), f64x2.sub(u, x));
  const cSmall = f64x2.sub(x, f64x2.sub(u, vk(V_ONE)));
  let c = v128.bitselect(cBig, cSmall, i64x2.ge_s(k, vk(V_I2)));
  const near = i64x2.lt_s(k, vk(V_I54));
  c = v128.and(f64x2.div(c, u), near);
  const fu = f64x2.sub(
    i64x2.add(v128.and(iu, vk(V_MANT)), vk(V_SQRT2_HALF_HI)), vk(V_ONE));
  // The scalar code's high-word window test, as comparisons.
  const direct = v128.and(f64x2.ge(x, vk(V_WINDOW_LO)), f64x2.lt(x, vk(V_WINDOW_HI)));
  const f = v128.bitselect(x, fu, direct);
  const dk = v128.andnot(kToF64V(k), direct);
  c = v128.andnot(c, direct);
  return logTailV(f, dk, c);
}

/** Whether both lanes are in (−1, ∞): the domain of {@link log1pV}. */
// @ts-ignore: decorator
@inline export function log1pFastV(x: v128): bool {
  return i64x2.all_true(v128.and(f64x2.gt(x, vk(V_MINUS_ONE)), f64x2.lt(x, vk(V_INF))));
}

/** log1p of two lanes in (−1, ∞), tiny ones (and ±0, subnormals) passed through exactly. */
// @ts-ignore: decorator
@inline export function log1pV(x: v128): v128 {
  return v128.bitselect(x, log1pCoreV(x), f64x2.lt(f64x2.abs(x), vk(V_LOG1P_TINY)));
}

