// Level-1 vector arithmetic on Float64Array for the optimizers' own bookkeeping.
//
// When every array of a call is a vector of one workspace (workspace.ts) and the vectors are
// long enough to amortize the call, the loop runs as a wasm kernel (assembly/vec.ts, SIMD
// where available: memory-bound loops that V8 runs about 4× slower in JavaScript); otherwise
// in JavaScript. Both compute the same bits: element-wise results are the same IEEE
// operations, and the reductions use one fixed order, eight partial sums over i mod 8 for the
// whole blocks of eight, combined as ((s0+s2)+(s4+s6)) + ((s1+s3)+(s5+s7)), then the n mod 8
// remaining terms in order. So a run's iterates do not depend on where its vectors live, on
// the build, or on the threshold.
//
// Fused write-and-reduce functions store y[i] before reading z[i]: z may be y itself.
// Outputs may be exactly an input (same array) unless a function says otherwise, never a
// partial overlap.
import type { Kernels } from "../wasm/kernels.js";
import type { WsVector } from "./workspace.js";

/**
 * Length from which the kernels are used. A kernel call costs about what the JS loops spend
 * on a handful of entries: the kernels win from n = 4 up for dot, addScaled, axpyDot and
 * normInf (bench/NOTES.md).
 */
const MIN_WASM = 8;

/** The kernels of the workspace a's entries live in, if the call should use them. */
function wasm1(a: Float64Array): Kernels | null {
  const w = (a as Partial<WsVector>).ws;
  return w !== undefined && a.length >= MIN_WASM ? w.kernels : null;
}

/** Like {@link wasm1}, for calls whose arrays must all be in that workspace. */
function wasm2(a: Float64Array, b: Float64Array): Kernels | null {
  const w = (a as Partial<WsVector>).ws;
  // Equal lengths too: a kernel would read a shorter array's neighbours where JS reads undefined.
  return w !== undefined && (b as Partial<WsVector>).ws === w && a.length >= MIN_WASM && b.length === a.length ? w.kernels : null;
}

/** Like {@link wasm1}, for three arrays (also used by dense.ts's packed-matrix functions). */
export function wasm3(a: Float64Array, b: Float64Array, c: Float64Array, packed = false): Kernels | null {
  const w = (a as Partial<WsVector>).ws;
  // b and c are equal vectors; a is one too, or (dense.ts) a packed matrix over them.
  return w !== undefined && (b as Partial<WsVector>).ws === w && (c as Partial<WsVector>).ws === w && a.length >= MIN_WASM &&
    b.length === c.length && (packed ? a.length >= b.length : a.length === b.length)
    ? w.kernels
    : null;
}

/** The kernel pointer of a workspace vector (only called after wasm1/2/3 said yes). */
export function ptr(a: Float64Array): number {
  return (a as WsVector).ptr;
}

/** a·b (over a.length entries). */
export function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const k = wasm2(a, b);
  if (k) return k.vdot(n, ptr(a), ptr(b));
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
    s4 += a[i + 4]! * b[i + 4]!;
    s5 += a[i + 5]! * b[i + 5]!;
    s6 += a[i + 6]! * b[i + 6]!;
    s7 += a[i + 7]! * b[i + 7]!;
  }
  let s = s0 + s2 + (s4 + s6) + (s1 + s3 + (s5 + s7));
  for (; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** ‖a‖₂, without overflow or underflow. */
export function norm2(a: Float64Array): number {
  // Scaled only when the fast sum is not finite or is tiny.
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

/** ‖a‖∞; NaN if any entry is NaN. */
export function normInf(a: Float64Array): number {
  const n = a.length;
  const k = wasm1(a);
  if (k) return k.nrmInf(n, ptr(a));
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(a[i]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** ‖a − b‖∞; NaN if any difference is NaN. */
export function diffNormInf(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const k = wasm2(a, b);
  if (k) return k.diffNrmInf(n, ptr(a), ptr(b));
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(a[i]! - b[i]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** Whether every entry is finite. */
export function allFinite(a: Float64Array): boolean {
  // ‖a‖∞ is NaN or +∞ exactly when some entry is not finite.
  return normInf(a) < Infinity;
}

/** out = x + a·y */
export function addScaled(x: Float64Array, a: number, y: Float64Array, out: Float64Array): void {
  const n = out.length;
  const k = wasm3(out, x, y);
  if (k) return k.addScaled(n, ptr(x), a, ptr(y), ptr(out));
  for (let i = 0; i < n; i++) out[i] = x[i]! + a * y[i]!;
}

/** y += a·x */
export function axpy(a: number, x: Float64Array, y: Float64Array): void {
  addScaled(y, a, x, y);
}

/** out = a − b */
export function sub(a: Float64Array, b: Float64Array, out: Float64Array): void {
  // a + (−1)·b is a − b exactly (IEEE defines a − b as a + (−b)), signed zeros included.
  addScaled(a, -1, b, out);
}

/** y = a·x + b·y */
export function axpby(a: number, x: Float64Array, b: number, y: Float64Array): void {
  const n = y.length;
  const k = wasm2(y, x);
  if (k) return k.axpby(n, a, ptr(x), b, ptr(y));
  for (let i = 0; i < n; i++) y[i] = a * x[i]! + b * y[i]!;
}

/** out = a·x */
export function scaleTo(a: number, x: Float64Array, out: Float64Array): void {
  const n = out.length;
  const k = wasm2(out, x);
  if (k) return k.scaleTo(n, a, ptr(x), ptr(out));
  for (let i = 0; i < n; i++) out[i] = a * x[i]!;
}

/** x *= a */
export function scale(a: number, x: Float64Array): void {
  scaleTo(a, x, x);
}

/** out = −a */
export function negate(a: Float64Array, out: Float64Array): void {
  scaleTo(-1, a, out);
}

/** y += a·x, returning z·y (the updated y) from the same pass. */
export function axpyDot(a: number, x: Float64Array, y: Float64Array, z: Float64Array): number {
  const n = y.length;
  const k = wasm3(y, x, z);
  if (k) return k.axpyDot(n, a, ptr(x), ptr(y), ptr(z));
  return axpyScaleDotJs(n, a, x, 1, y, z);
}

/** y = c·(y + a·x), returning z·y (the updated y) from the same pass. */
export function axpyScaleDot(a: number, x: Float64Array, c: number, y: Float64Array, z: Float64Array): number {
  const n = y.length;
  const k = wasm3(y, x, z);
  if (k) return k.axpyScaleDot(n, a, ptr(x), c, ptr(y), ptr(z));
  return axpyScaleDotJs(n, a, x, c, y, z);
}

// c·v with c = 1 is v exactly, so axpyDot shares this loop (as its kernel does).
function axpyScaleDotJs(n: number, a: number, x: Float64Array, c: number, y: Float64Array, z: Float64Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const u0 = c * (y[i]! + a * x[i]!), u1 = c * (y[i + 1]! + a * x[i + 1]!);
    const u2 = c * (y[i + 2]! + a * x[i + 2]!), u3 = c * (y[i + 3]! + a * x[i + 3]!);
    const u4 = c * (y[i + 4]! + a * x[i + 4]!), u5 = c * (y[i + 5]! + a * x[i + 5]!);
    const u6 = c * (y[i + 6]! + a * x[i + 6]!), u7 = c * (y[i + 7]! + a * x[i + 7]!);
    y[i] = u0;
    y[i + 1] = u1;
    y[i + 2] = u2;
    y[i + 3] = u3;
    y[i + 4] = u4;
    y[i + 5] = u5;
    y[i + 6] = u6;
    y[i + 7] = u7;
    s0 += z[i]! * u0;
    s1 += z[i + 1]! * u1;
    s2 += z[i + 2]! * u2;
    s3 += z[i + 3]! * u3;
    s4 += z[i + 4]! * u4;
    s5 += z[i + 5]! * u5;
    s6 += z[i + 6]! * u6;
    s7 += z[i + 7]! * u7;
  }
  let s = s0 + s2 + (s4 + s6) + (s1 + s3 + (s5 + s7));
  for (; i < n; i++) {
    const u = c * (y[i]! + a * x[i]!);
    y[i] = u;
    s += z[i]! * u;
  }
  return s;
}

/** out = a·x, returning z·out from the same pass. */
export function scaleDot(a: number, x: Float64Array, out: Float64Array, z: Float64Array): number {
  const n = out.length;
  const k = wasm3(out, x, z);
  if (k) return k.scaleDot(n, a, ptr(x), ptr(out), ptr(z));
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const u0 = a * x[i]!, u1 = a * x[i + 1]!, u2 = a * x[i + 2]!, u3 = a * x[i + 3]!;
    const u4 = a * x[i + 4]!, u5 = a * x[i + 5]!, u6 = a * x[i + 6]!, u7 = a * x[i + 7]!;
    out[i] = u0;
    out[i + 1] = u1;
    out[i + 2] = u2;
    out[i + 3] = u3;
    out[i + 4] = u4;
    out[i + 5] = u5;
    out[i + 6] = u6;
    out[i + 7] = u7;
    s0 += z[i]! * u0;
    s1 += z[i + 1]! * u1;
    s2 += z[i + 2]! * u2;
    s3 += z[i + 3]! * u3;
    s4 += z[i + 4]! * u4;
    s5 += z[i + 5]! * u5;
    s6 += z[i + 6]! * u6;
    s7 += z[i + 7]! * u7;
  }
  let s = s0 + s2 + (s4 + s6) + (s1 + s3 + (s5 + s7));
  for (; i < n; i++) {
    const u = a * x[i]!;
    out[i] = u;
    s += z[i]! * u;
  }
  return s;
}
