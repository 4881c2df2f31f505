// Level-1 vector arithmetic on Float64Array for the optimizers' own bookkeeping (plain JS:
// these are O(n) loops, cheaper here than a round trip through the kernel arena).

export function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + (s2 + s3);
}

export function norm2(a: Float64Array): number {
  // Scaled to avoid overflow/underflow only when the fast sum is not finite or is tiny.
  const s = dot(a, a);
  if (Number.isFinite(s) && s > 1e-280) return Math.sqrt(s);
  const m = normInf(a);
  if (m === 0 || !Number.isFinite(m)) return m;
  let t = 0;
  for (let i = 0; i < a.length; i++) {
    const q = a[i]! / m;
    t += q * q;
  }
  return m * Math.sqrt(t);
}

export function normInf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** y += a·x */
export function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

/** y += a·x, returning z·y (the updated y) from the same pass. */
export function axpyDot(a: number, x: Float64Array, y: Float64Array, z: Float64Array): number {
  let d0 = 0, d1 = 0;
  const n = y.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const u = y[i]! + a * x[i]!, v = y[i + 1]! + a * x[i + 1]!;
    y[i] = u;
    y[i + 1] = v;
    d0 += z[i]! * u;
    d1 += z[i + 1]! * v;
  }
  for (; i < n; i++) {
    const u = y[i]! + a * x[i]!;
    y[i] = u;
    d0 += z[i]! * u;
  }
  return d0 + d1;
}

/** out = x + a·y */
export function addScaled(x: Float64Array, a: number, y: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! + a * y[i]!;
}

/** x *= a */
export function scale(a: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i]! *= a;
}

/** out = a − b */
export function sub(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
}

/** out = −a */
export function negate(a: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = -a[i]!;
}

/** ‖a − b‖∞ */
export function diffNormInf(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]! - b[i]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

export function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

