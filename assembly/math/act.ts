// tanh, sigmoid, softplus (and relu's scalar form) in float64, scalar and f64x2,
// bit-identical to each other.
// All three are built on exp (./exp.ts), softplus also on a table-driven log of its own, so the
// SIMD build can run them two lanes at a time; errors below are measured against a double-double
// reference (test/kernels/accuracy.test.ts, test/kernels/softplus.test.ts).
import { EXP_FAST, expFastV, expK, expKV, expScalar, expScale, expScaleV, expTmp, expTmpV } from "./exp";
import { log1pScalar } from "./log";
import { SOFTPLUS_LOG_TABLE } from "./softplus-table";

// ---- tanh ----
// |x| < TANH_T: tanh(x) = x + x·z·P(z), z = x², P a degree-11 polynomial. Its coefficients
// are our own Chebyshev fit (mpmath.chebyfit, 50 digits, 12 terms) of (tanh(x) − x)/x³ on
// z ∈ [0, 0.625²], absolute fit error 3.9e-18; the correction x·z·P is below 0.13·x, so the
// result is within about 0.75 ulp.
// |x| ≥ TANH_T: tanh(x) = 1 − 2/(e + 1), e = exp(2|x|) ≥ 3.49. Rounding q = 2/(e + 1) and
// then 1 − q costs up to 1.23 ulp in plain arithmetic, so (as for sigmoid below) e is
// carried as eh + el, e + 1 as s + sLo, the remainder 2 − q·s is formed exactly, and 1 − q
// keeps its rounding error, leaving a single final rounding. fdlibm's tanh (V8's
// Math.tanh) uses expm1 here instead, and errs up to 2 ulp.
// |x| is clamped to 22, where tanh already rounds to 1, so exp never overflows and the
// vector form needs no scalar fallback; NaN survives the clamp (min propagates NaN).

// @ts-ignore: decorator
@lazy const TANH_T = 0.625;
// @ts-ignore: decorator
@lazy const TANH_CLAMP = 22.0;
// @ts-ignore: decorator
@lazy const T11 = reinterpret<f64>(0x3EDB33642A122CDD);
// @ts-ignore: decorator
@lazy const T10 = reinterpret<f64>(0xBF005BBDAE896297);
// @ts-ignore: decorator
@lazy const T9 = reinterpret<f64>(0x3F18445870F6FE41);
// @ts-ignore: decorator
@lazy const T8 = reinterpret<f64>(0xBF2F243823C8C981);
// @ts-ignore: decorator
@lazy const T7 = reinterpret<f64>(0x3F43526E9ED54DA1);
// @ts-ignore: decorator
@lazy const T6 = reinterpret<f64>(0xBF57D9F6F23E8682);
// @ts-ignore: decorator
@lazy const T5 = reinterpret<f64>(0x3F6D6D39AE3905E2);
// @ts-ignore: decorator
@lazy const T4 = reinterpret<f64>(0xBF8226E3473DCE5C);
// @ts-ignore: decorator
@lazy const T3 = reinterpret<f64>(0x3F9664F487E0A749);
// @ts-ignore: decorator
@lazy const T2 = reinterpret<f64>(0xBFABA1BA1BA0F126);
// @ts-ignore: decorator
@lazy const T1 = reinterpret<f64>(0x3FC11111111110A8);
// @ts-ignore: decorator
@lazy const T0 = reinterpret<f64>(0xBFD5555555555555); // −1/3

// @ts-ignore: decorator
@inline function tanhSmall(a: f64): f64 {
  const z = a * a;
  let p = T11 * z + T10;
  p = p * z + T9;
  p = p * z + T8;
  p = p * z + T7;
  p = p * z + T6;
  p = p * z + T5;
  p = p * z + T4;
  p = p * z + T3;
  p = p * z + T2;
  p = p * z + T1;
  p = p * z + T0;
  return a + a * (z * p);
}

// @ts-ignore: decorator
@inline function tanhLarge(a: f64): f64 {
  const a2 = 2.0 * a;
  const kd = expK(a2);
  const sc = expScale(kd);
  const st = sc * expTmp(a2, kd);
  const eh = sc + st;
  const el = (sc - eh) + st;
  const s = eh + 1.0;
  const sLo = (1.0 - (s - eh)) + el;
  const q = 2.0 / s;
  const qh = splitHi(q), ql = q - qh, sh = splitHi(s), sl = s - sh;
  const p = q * s;
  const rem = (2.0 - p) - (((qh * sh - p) + qh * sl + ql * sh) + ql * sl); // 2 − q·s exactly
  const zh = 1.0 - q;
  const zl = (1.0 - zh) - q;
  return zh + (zl - (rem - q * sLo) / s);
}

export function tanhScalar(x: f64): f64 {
  const a = Math.min(Math.abs(x), TANH_CLAMP);
  return copysign<f64>(a < TANH_T ? tanhSmall(a) : tanhLarge(a), x);
}

// ---- sigmoid ----
// σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, e = exp(−|x|) ≤ 1: never overflows, and
// for x ≪ 0 the result is e itself to full relative precision (σ(−40) = 4.248e-18).
// Plain double arithmetic here measures about 2 ulp: e's own error is doubled when σ falls a
// binade below e, and the sum and quotient each round. So e is carried as eh + el (exp's
// last rounding, scale + scale·tmp, recovered exactly by Fast2Sum), 1 + e as s + sLo, and the
// quotient's remainder num − q·s is formed exactly with Dekker's product (wasm has no FMA);
// one correction step then leaves well under 1 ulp (measured in accuracy.test.ts). One
// division: q = num·(1/s) may be a little further off than num/s, but the remainder is exact
// whatever q is, and the correction (about an ulp of q) times 1/s is off by 2^-53 of itself.
// |x| > EXP_FAST (σ is 1, or e in the subnormal range) and NaN use the plain form.

/** Dekker's split of a into 26 + 27 bits: hi + lo = a exactly. */
// @ts-ignore: decorator
@inline function splitHi(a: f64): f64 {
  const t = 134217729.0 * a; // 2^27 + 1
  return t - (t - a);
}

// @ts-ignore: decorator
@inline function sigmoidCore(x: f64): f64 {
  const na = -Math.abs(x);
  const kd = expK(na);
  const sc = expScale(kd);
  const st = sc * expTmp(na, kd);
  const eh = sc + st;
  const el = (sc - eh) + st;
  const s = 1.0 + eh;
  const sLo = (eh - (s - 1.0)) + el;
  const pos = x >= 0;
  const num = pos ? 1.0 : eh;
  const inv = 1.0 / s;
  const q = num * inv;
  const qh = splitHi(q), ql = q - qh, sh = splitHi(s), sl = s - sh;
  const p = q * s;
  const rem = (num - p) - (((qh * sh - p) + qh * sl + ql * sh) + ql * sl);
  return q + ((rem + (pos ? 0.0 : el)) - q * sLo) * inv;
}

export function sigmoidScalar(x: f64): f64 {
  if (Math.abs(x) <= EXP_FAST) return sigmoidCore(x);
  const e = expScalar(-Math.abs(x));
  return (x >= 0 ? 1.0 : e) / (1.0 + e);
}

// ---- softplus ----
// log(1 + e^x) = max(x, 0) + log(u), u = 1 + e, e = exp(−|x|) ≤ 1: the exp argument is ≤ 0, so
// nothing overflows; softplus(1000) = 1000, and for x ≪ 0 the result is e to full relative
// precision. e is kept as eh + el (exp's last rounding, recovered by Fast2Sum).
// log(u) for u in [1, 2] needs no exponent reduction and no division: i = round((u − 1)·256)
// picks invc ≈ 1/u (at most 26 significant bits) and logc = log(1/invc) from ./softplus-table.ts,
// invc chosen so that logc is a double to within 2^-10 of the result's half ulp. With zhi the top
// 27 bits of u = 1 + eh, rhi = zhi·invc − 1 is exact, and rlo = (eh − (zhi − 1))·invc (the
// subtraction exact) and el·invc carry the rest of r = (1 + eh + el)·invc − 1 to about 2^-79
// (exactly in entry 0, where invc = 1). Then log(1 + e) = logc + rhi + rlo + el·invc +
// (log1p(r) − r),
// log1p(r) − r = −r²/2 + r³·(B3 + B4·r + B5·r² + B6·r³) on |r| ≤ 0.002 (ARM optimized-routines'
// log design without FMA; table, fit and their errors from scripts/softplus-tables.py). Entry 0
// is invc = 1, logc = 0, so for small e every term but rhi = e's high part is a correction.
// max(x, 0) + logc + rhi + rlo keeps its rounding errors (Fast2Sum three times: the second on
// max and min of two nonnegative terms, since x may be smaller than the log; the third because
// for small e, rlo holds e's bits below 2^-26 or all of e) and the
// low-order terms join them before the single final rounding: 0.504 ulp measured
// (test/kernels/accuracy.test.ts). The previous form (fdlibm's log1p: three divisions,
// and a rounded log1p added to x) measured 1.11 ulp and took twice as long.
// |x| > EXP_FAST and NaN use the plain form.

// @ts-ignore: decorator
@lazy const SP_B3 = reinterpret<f64>(0x3FD555555555415D);
// @ts-ignore: decorator
@lazy const SP_B4 = reinterpret<f64>(0xBFCFFFFFFFFFDD0E);
// @ts-ignore: decorator
@lazy const SP_B5 = reinterpret<f64>(0x3FC9999E6094EA7F);
// @ts-ignore: decorator
@lazy const SP_B6 = reinterpret<f64>(0xBFC555598371418E);
/** Added to bits(u): rounds the mantissa to 8 bits and removes bits(1), so >> 44 is i. */
// @ts-ignore: decorator
@lazy const SP_IDX_BIAS: u64 = (<u64>1 << 43) - 0x3FF0000000000000;
/** Keeps u's top 27 bits (zhi), so that zhi·invc is exact. */
// @ts-ignore: decorator
@lazy const SP_ZHI_MASK: u64 = 0xFFFFFFFFFC000000;

/** Address of u's entry (16 bytes) in SOFTPLUS_LOG_TABLE: i << 4 from the biased bits. */
// @ts-ignore: decorator
@inline function spEntry(bu: u64): usize {
  return SOFTPLUS_LOG_TABLE + (<usize>((bu + SP_IDX_BIAS) >> 44) << 4);
}

/** softplus(x) for |x| ≤ EXP_FAST (the vector form below is this, lane by lane). */
// @ts-ignore: decorator
@inline function softplusCore(x: f64): f64 {
  const na = -Math.abs(x);
  const kd = expK(na);
  const sc = expScale(kd);
  const st = sc * expTmp(na, kd);
  const eh = sc + st;
  const el = (sc - eh) + st;
  const u = 1.0 + eh;
  const bu = reinterpret<u64>(u);
  const p = spEntry(bu);
  const invc = load<f64>(p), logc = load<f64>(p, 8);
  const zhi = reinterpret<f64>(bu & SP_ZHI_MASK);
  const rhi = zhi * invc - 1.0;
  const rlo = (eh - (zhi - 1.0)) * invc;
  const r = rhi + rlo;
  const r2 = r * r;
  const poly = r2 * ((r * SP_B3 - 0.5) + r2 * ((SP_B4 + r * SP_B5) + r2 * SP_B6));
  const hi = logc + rhi;
  const e2 = (logc - hi) + rhi;
  const m = select<f64>(x, 0.0, x > 0);
  const big = select<f64>(hi, m, m < hi), small = select<f64>(hi, m, hi < m);
  const s = big + small;
  const es = small - (s - big);
  const t = (es + e2) + el * invc;
  const s2 = s + rlo;
  const e3 = rlo - (s2 - s);
  return s2 + (e3 + (t + poly));
}

export function softplusScalar(x: f64): f64 {
  if (Math.abs(x) > EXP_FAST || x != x) return Math.max(x, 0.0) + log1pScalar(expScalar(-Math.abs(x)));
  return softplusCore(x);
}

// ---- relu ----

/**
 * max(x, 0) with NaN kept and relu(−0) = +0, like f64x2.max(x, 0) in the vector loop. A
 * select rather than f64.max, which V8 expands into NaN and ±0 branches (about 5× slower).
 * (It lives here because elementwise.ts exports a kernel named `select`.)
 */
// @ts-ignore: decorator
@inline export function reluScalar(x: f64): f64 {
  return select<f64>(0.0, x, x <= 0);
}

// ---- f64x2 (SIMD build only) ----

// f64x2 constants sit in memory, each stored twice, and are loaded where they are used:
// V8 11 (Node 20) rebuilds every v128.const from immediates inside the loop, while a load
// from a fixed address is one instruction (bench/NOTES.md: the gain on exp).
const VKF: usize = memory.data<f64>([
  T11, T11, T10, T10, T9, T9, T8, T8, T7, T7, T6, T6, T5, T5, T4, T4, T3, T3, T2, T2, T1, T1,
  T0, T0, 2.0, 2.0, 1.0, 1.0, TANH_CLAMP, TANH_CLAMP, TANH_T, TANH_T, 134217729.0, 134217729.0,
  SP_B3, SP_B3, SP_B4, SP_B4, SP_B5, SP_B5, SP_B6, SP_B6, 0.5, 0.5, EXP_FAST, EXP_FAST,
], 16);
const VKI: usize = memory.data<u64>([
  0x8000000000000000, 0x8000000000000000, SP_IDX_BIAS, SP_IDX_BIAS,
  SP_ZHI_MASK, SP_ZHI_MASK,
], 16);
/** Indices into the tables above. */
const V_T11 = 0, V_T10 = 1, V_T9 = 2, V_T8 = 3, V_T7 = 4, V_T6 = 5, V_T5 = 6, V_T4 = 7, V_T3 = 8,
  V_T2 = 9, V_T1 = 10, V_T0 = 11, V_TWO = 12, V_ONE = 13, V_TANH_CLAMP = 14, V_TANH_T = 15,
  V_SPLITTER = 16, V_SP_B3 = 17, V_SP_B4 = 18, V_SP_B5 = 19, V_SP_B6 = 20, V_HALF = 21,
  V_EXP_FAST = 22, V_SIGN = 23, V_SP_IDX_BIAS = 24, V_SP_ZHI_MASK = 25;
// @ts-ignore: decorator
@inline function vk(i: i32): v128 {
  return i < V_SIGN ? v128.load(VKF + (<usize>i << 4)) : v128.load(VKI + (<usize>(i - V_SIGN) << 4));
}

// @ts-ignore: decorator
@inline function tanhSmallV(a: v128): v128 {
  const z = f64x2.mul(a, a);
  let p = f64x2.add(f64x2.mul(vk(V_T11), z), vk(V_T10));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T9));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T8));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T7));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T6));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T5));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T4));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T3));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T2));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T1));
  p = f64x2.add(f64x2.mul(p, z), vk(V_T0));
  return f64x2.add(a, f64x2.mul(a, f64x2.mul(z, p)));
}

// @ts-ignore: decorator
@inline function tanhLargeV(a: v128): v128 {
  const a2 = f64x2.mul(vk(V_TWO), a);
  const kd = expKV(a2);
  const sc = expScaleV(kd);
  const st = f64x2.mul(sc, expTmpV(a2, kd));
  const eh = f64x2.add(sc, st);
  const el = f64x2.add(f64x2.sub(sc, eh), st);
  const one = vk(V_ONE), two = vk(V_TWO);
  const s = f64x2.add(eh, one);
  const sLo = f64x2.add(f64x2.sub(one, f64x2.sub(s, eh)), el);
  const q = f64x2.div(two, s);
  const qh = splitHiV(q), ql = f64x2.sub(q, qh), sh = splitHiV(s), sl = f64x2.sub(s, sh);
  const p = f64x2.mul(q, s);
  let pe = f64x2.add(f64x2.sub(f64x2.mul(qh, sh), p), f64x2.mul(qh, sl));
  pe = f64x2.add(f64x2.add(pe, f64x2.mul(ql, sh)), f64x2.mul(ql, sl));
  const rem = f64x2.sub(f64x2.sub(two, p), pe);
  const zh = f64x2.sub(one, q);
  const zl = f64x2.sub(f64x2.sub(one, zh), q);
  return f64x2.add(zh, f64x2.sub(zl, f64x2.div(f64x2.sub(rem, f64x2.mul(q, sLo)), s)));
}

// @ts-ignore: decorator
@inline export function tanhV(x: v128): v128 {
  const a = f64x2.min(f64x2.abs(x), vk(V_TANH_CLAMP));
  const t = v128.bitselect(tanhSmallV(a), tanhLargeV(a), f64x2.lt(a, vk(V_TANH_T)));
  return v128.bitselect(x, t, vk(V_SIGN));
}

/**
 * tanh of two lanes stored at p, computing only the branch the lanes need: both branches
 * (and a bitselect) only for a mixed pair. The stores keep Binaryen from merging the arms
 * into selects that would evaluate both every time.
 */
// @ts-ignore: decorator
@inline export function tanhStoreV(x: v128, p: usize): void {
  const a = f64x2.min(f64x2.abs(x), vk(V_TANH_CLAMP));
  const small = f64x2.lt(a, vk(V_TANH_T));
  if (!v128.any_true(small)) {
    v128.store(p, v128.bitselect(x, tanhLargeV(a), vk(V_SIGN)));
  } else if (i64x2.all_true(small)) {
    v128.store(p, v128.bitselect(x, tanhSmallV(a), vk(V_SIGN)));
  } else {
    v128.store(p, v128.bitselect(x, v128.bitselect(tanhSmallV(a), tanhLargeV(a), small), vk(V_SIGN)));
  }
}

// @ts-ignore: decorator
@inline function splitHiV(a: v128): v128 {
  const t = f64x2.mul(vk(V_SPLITTER), a);
  return f64x2.sub(t, f64x2.sub(t, a));
}

/** Two lanes of {@link sigmoidScalar}, for |x| ≤ EXP_FAST (check with expFastV). */
// @ts-ignore: decorator
@inline export function sigmoidV(x: v128): v128 {
  const one = vk(V_ONE);
  const na = f64x2.neg(f64x2.abs(x));
  const kd = expKV(na);
  const sc = expScaleV(kd);
  const st = f64x2.mul(sc, expTmpV(na, kd));
  const eh = f64x2.add(sc, st);
  const el = f64x2.add(f64x2.sub(sc, eh), st);
  const s = f64x2.add(one, eh);
  const sLo = f64x2.add(f64x2.sub(eh, f64x2.sub(s, one)), el);
  const pos = f64x2.ge(x, f64x2.splat(0.0));
  const num = v128.bitselect(one, eh, pos);
  const inv = f64x2.div(one, s);
  const q = f64x2.mul(num, inv);
  const qh = splitHiV(q), ql = f64x2.sub(q, qh), sh = splitHiV(s), sl = f64x2.sub(s, sh);
  const p = f64x2.mul(q, s);
  let pe = f64x2.add(f64x2.sub(f64x2.mul(qh, sh), p), f64x2.mul(qh, sl));
  pe = f64x2.add(f64x2.add(pe, f64x2.mul(ql, sh)), f64x2.mul(ql, sl));
  const rem = f64x2.sub(f64x2.sub(num, p), pe);
  const nlo = v128.andnot(el, pos); // +0 where x ≥ 0
  const corr = f64x2.sub(f64x2.add(rem, nlo), f64x2.mul(q, sLo));
  return f64x2.add(q, f64x2.mul(corr, inv));
}

/**
 * max(x, 0) + log(1 + e) of two lanes given e = exp(−|x|) as eh + el: {@link softplusCore}
 * after its exp, lane by lane.
 */
// @ts-ignore: decorator
@inline function softplusLogV(x: v128, eh: v128, el: v128): v128 {
  const one = vk(V_ONE);
  const u = f64x2.add(one, eh);
  const off = i64x2.shl(i64x2.shr_u(i64x2.add(u, vk(V_SP_IDX_BIAS)), 44), 4);
  const a0 = v128.load(SOFTPLUS_LOG_TABLE + <usize>i32x4.extract_lane(off, 0));
  const a1 = v128.load(SOFTPLUS_LOG_TABLE + <usize>i32x4.extract_lane(off, 2));
  const invc = v128.shuffle<i64>(a0, a1, 0, 2);
  const logc = v128.shuffle<i64>(a0, a1, 1, 3);
  const zhi = v128.and(u, vk(V_SP_ZHI_MASK));
  const rhi = f64x2.sub(f64x2.mul(zhi, invc), one);
  const rlo = f64x2.mul(f64x2.sub(eh, f64x2.sub(zhi, one)), invc);
  const r = f64x2.add(rhi, rlo);
  const r2 = f64x2.mul(r, r);
  const c23 = f64x2.sub(f64x2.mul(r, vk(V_SP_B3)), vk(V_HALF));
  const c456 = f64x2.add(f64x2.add(vk(V_SP_B4), f64x2.mul(r, vk(V_SP_B5))), f64x2.mul(r2, vk(V_SP_B6)));
  const poly = f64x2.mul(r2, f64x2.add(c23, f64x2.mul(r2, c456)));
  const hi = f64x2.add(logc, rhi);
  const e2 = f64x2.add(f64x2.sub(logc, hi), rhi);
  const m = v128.and(x, f64x2.gt(x, f64x2.splat(0.0)));
  const big = f64x2.pmax(m, hi), small = f64x2.pmin(m, hi);
  const s = f64x2.add(big, small);
  const es = f64x2.sub(small, f64x2.sub(s, big));
  const t = f64x2.add(f64x2.add(es, e2), f64x2.mul(el, invc));
  const s2 = f64x2.add(s, rlo);
  const e3 = f64x2.sub(rlo, f64x2.sub(s2, s));
  return f64x2.add(s2, f64x2.add(e3, f64x2.add(t, poly)));
}


/** Two lanes of {@link softplusScalar}, for |x| ≤ EXP_FAST (check with expFastV). */
// @ts-ignore: decorator
@inline export function softplusV(x: v128): v128 {
  const na = f64x2.neg(f64x2.abs(x));
  const kd = expKV(na);
  const sc = expScaleV(kd);
  const st = f64x2.mul(sc, expTmpV(na, kd));
  const eh = f64x2.add(sc, st);
  return softplusLogV(x, eh, f64x2.add(f64x2.sub(sc, eh), st));
}

/** Entries per tile of {@link softplusRow}: checked for the fast domain, then computed. */
const SP_TILE = 1024;

/**
 * out[i] = softplus(x[i]) for i < n; out may equal x (every pair is read before any store at
 * or after it). Same bits as softplusScalar wherever it runs.
 * SIMD build: a tile at a time, first checked for |x| ≤ EXP_FAST (no NaN); a tile that passes
 * runs with no branch per pair and pipelined in software: each iteration computes the exp of
 * one pair and the log of the pair before it, two independent chains in place of one twice as
 * long, so the CPU overlaps more of them (and a fallback call inside the loop, even when never
 * taken, made V8 spill registers around it: ~20 % of the time). Other tiles go pair by pair,
 * lanes outside the domain through softplusScalar.
 */
export function softplusRow(n: i32, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    while (i + 2 <= n) {
      const len = min(SP_TILE, (n - i) & ~1);
      const px = x + (<usize>i << 3), po = out + (<usize>i << 3);
      // NaN compares false, so it leaves a zero lane.
      let ok = i64x2.splat(-1);
      const lim = vk(V_EXP_FAST);
      for (let j = 0; j < len; j += 2) ok = v128.and(ok, f64x2.le(f64x2.abs(v128.load(px + (<usize>j << 3))), lim));
      if (i64x2.all_true(ok)) softplusTileFastV(px, po, len);
      else softplusTileV(px, po, len);
      i += len;
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, softplusScalar(load<f64>(x + o)));
  }
}

/** {@link softplusRow} on a tile of len entries (even, ≥ 2) all within EXP_FAST. */
// @ts-ignore: decorator
@inline function softplusTileFastV(x: usize, out: usize, len: i32): void {
  let px = v128.load(x);
  let na = f64x2.neg(f64x2.abs(px));
  let kd = expKV(na);
  let sc = expScaleV(kd);
  let st = f64x2.mul(sc, expTmpV(na, kd));
  let eh = f64x2.add(sc, st);
  let el = f64x2.add(f64x2.sub(sc, eh), st);
  for (let j = 2; j < len; j += 2) {
    const o = <usize>j << 3;
    const v = v128.load(x + o);
    na = f64x2.neg(f64x2.abs(v));
    kd = expKV(na);
    sc = expScaleV(kd);
    st = f64x2.mul(sc, expTmpV(na, kd));
    const eh1 = f64x2.add(sc, st);
    const el1 = f64x2.add(f64x2.sub(sc, eh1), st);
    v128.store(out + o - 16, softplusLogV(px, eh, el));
    px = v;
    eh = eh1;
    el = el1;
  }
  v128.store(out + (<usize>len << 3) - 16, softplusLogV(px, eh, el));
}

/** {@link softplusRow} on a tile of len entries (even) with some outside EXP_FAST. */
// @ts-ignore: decorator
@inline function softplusTileV(x: usize, out: usize, len: i32): void {
  for (let j = 0; j < len; j += 2) {
    const o = <usize>j << 3;
    const v = v128.load(x + o);
    // Stores in both arms keep this a branch (see expFastV).
    if (expFastV(v)) {
      v128.store(out + o, softplusV(v));
    } else {
      store<f64>(out + o, softplusScalar(f64x2.extract_lane(v, 0)));
      store<f64>(out + o, softplusScalar(f64x2.extract_lane(v, 1)), 8);
    }
  }
}
