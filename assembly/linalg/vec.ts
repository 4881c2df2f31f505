// Contiguous-vector helpers shared by the LAPACK-style kernels (lu, cholesky, eigh). Not part
// of the exported ABI: every vector here has unit stride, and every pointer is a byte address.

import { madd } from "../fma";

/** Smallest normal f64 (LAPACK dlamch('S')): 1/SFMIN does not overflow. */
export const SFMIN: f64 = 2.2250738585072014e-308;
/** Unit roundoff 2⁻⁵³ (LAPACK dlamch('E')). */
export const EPS: f64 = 1.1102230246251565e-16;

/** Index of the first entry of largest magnitude (BLAS idamax, 0-based); 0 when n ≤ 1. */
export function iamax(n: i32, x: usize): i32 {
  let best = 0;
  let bv = -1.0;
  for (let i = 0; i < n; i++) {
    const v = abs<f64>(load<f64>(x + (<usize>i << 3)));
    // Strict '>' keeps the first maximum and never picks a NaN over a number (as BLAS does).
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** x ← α·x. */
export function scalv(n: i32, alpha: f64, x: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 3);
      v128.store(p, f64x2.mul(va, v128.load(p)));
      v128.store(p, f64x2.mul(va, v128.load(p, 16)), 16);
    }
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 3);
    store<f64>(p, alpha * load<f64>(p));
  }
}

/** x ← x / d, entrywise (used when 1/d would overflow). */
export function divv(n: i32, d: f64, x: usize): void {
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 3);
    store<f64>(p, load<f64>(p) / d);
  }
}

/** y ← y + α·x. */
export function axpyv(n: i32, alpha: f64, x: usize, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(alpha);
    for (; i + 4 <= n; i += 4) {
      const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
      v128.store(py, madd(va, v128.load(px), v128.load(py)));
      v128.store(py, madd(va, v128.load(px, 16), v128.load(py, 16)), 16);
    }
  }
  for (; i < n; i++) {
    const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
    store<f64>(py, load<f64>(py) + alpha * load<f64>(px));
  }
}

/** Σ x[i]·y[i]. */
export function dotv(n: i32, x: usize, y: usize): f64 {
  let i = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(px), v128.load(py)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(px, 16), v128.load(py, 16)));
    }
    const t = f64x2.add(s0, s1);
    s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    s += load<f64>(x + o) * load<f64>(y + o);
  }
  return s;
}

/** Swaps two vectors. */
export function swapv(n: i32, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) {
    const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
    const t = load<f64>(px);
    store<f64>(px, load<f64>(py));
    store<f64>(py, t);
  }
}

/** √(a² + b²) without overflow or destructive underflow (LAPACK dlapy2). */
export function hypot2(a: f64, b: f64): f64 {
  const x = abs<f64>(a), y = abs<f64>(b);
  const w = max<f64>(x, y), z = min<f64>(x, y);
  if (z == 0 || w > f64.MAX_VALUE) return w;
  const q = z / w;
  return w * Math.sqrt(1 + q * q);
}

/** ‖x‖₂ with scaling, so entries near the overflow or underflow threshold are safe. */
export function nrm2v(n: i32, x: usize): f64 {
  let amax = 0.0;
  for (let i = 0; i < n; i++) amax = max<f64>(amax, abs<f64>(load<f64>(x + (<usize>i << 3))));
  if (amax == 0 || !(amax <= f64.MAX_VALUE)) return amax;
  // Scaling by the largest magnitude keeps every square in [0, 1]; the sum then cannot
  // overflow, and the entries that underflow are below ε·amax, where they do not matter.
  const r = 1.0 / amax;
  let s = 0.0;
  for (let i = 0; i < n; i++) {
    const v = load<f64>(x + (<usize>i << 3)) * r;
    s += v * v;
  }
  return amax * Math.sqrt(s);
}
