// Plain-JS reference implementations on nested row-major arrays (as written on paper), used
// to check matcalc's eager ops. Deliberately naive: clear loops, no shared code with src/.
import { mulberry32 } from "../../src/random.js";
import { expect } from "vitest";

export type Nested = number | Nested[];

// ---- shapes and flat views ----

/** Shape of a (rectangular) nested array; a number has shape []. */
export function shapeOf(a: Nested): number[] {
  const s: number[] = [];
  let p: Nested = a;
  while (Array.isArray(p)) {
    s.push(p.length);
    if (p.length === 0) break;
    p = p[0]!;
  }
  return s;
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Entries in row-major order (last index fastest). */
export function flatRow(a: Nested): number[] {
  if (!Array.isArray(a)) return [a];
  const out: number[] = [];
  for (const v of a) out.push(...flatRow(v));
  return out;
}

/** Builds a nested array from row-major entries. */
export function fromRow(flat: readonly number[], shape: readonly number[]): Nested {
  if (shape.length === 0) return flat[0]!;
  let pos = 0;
  const build = (d: number): Nested => {
    const out: Nested[] = [];
    for (let i = 0; i < shape[d]!; i++) out.push(d === shape.length - 1 ? flat[pos++]! : build(d + 1));
    return out;
  };
  return build(0);
}

/** Multi-index → entry. */
export function at(a: Nested, idx: readonly number[]): number {
  let p: Nested = a;
  for (const i of idx) p = (p as Nested[])[i]!;
  return p as number;
}

/** Calls fn for every multi-index of `shape`, row-major order. */
export function forEachIndex(shape: readonly number[], fn: (idx: number[]) => void): void {
  const n = sizeOfShape(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    fn([...idx]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Builds a nested array of `shape` from a function of the multi-index. */
export function build(shape: readonly number[], fn: (idx: number[]) => number): Nested {
  const flat: number[] = [];
  forEachIndex(shape, (idx) => flat.push(fn(idx)));
  return fromRow(flat, shape);
}

/** Entries in column-major order (first index fastest), as matcalc's `.data`. */
export function colMajor(a: Nested): number[] {
  const shape = shapeOf(a);
  const out = new Array<number>(sizeOfShape(shape));
  forEachIndex(shape, (idx) => {
    let off = 0;
    let stride = 1;
    for (let d = 0; d < shape.length; d++) {
      off += idx[d]! * stride;
      stride *= shape[d]!;
    }
    out[off] = at(a, idx);
  });
  return out;
}

/** Nested array from column-major entries. */
export function fromCol(data: ArrayLike<number>, shape: readonly number[]): Nested {
  return build(shape, (idx) => {
    let off = 0;
    let stride = 1;
    for (let d = 0; d < shape.length; d++) {
      off += idx[d]! * stride;
      stride *= shape[d]!;
    }
    return data[off]!;
  });
}

/** Column-major reshape (MATLAB/Julia/Fortran semantics). */
export function reshapeCol(a: Nested, shape: readonly number[]): Nested {
  return fromCol(colMajor(a), shape);
}

// ---- elementwise ----

export function map(a: Nested, f: (x: number) => number): Nested {
  return Array.isArray(a) ? a.map((v) => map(v, f)) : f(a);
}

/** NumPy broadcast shape, or null when not broadcastable. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Reads `a` at an index of the broadcast output shape. */
function atBroadcast(a: Nested, shape: readonly number[], idx: readonly number[]): number {
  const lead = idx.length - shape.length;
  return at(a, shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]!)));
}

/** NumPy-broadcasting elementwise map of any number of operands. */
export function zipWith(args: readonly Nested[], f: (...xs: number[]) => number): Nested {
  const shapes = args.map(shapeOf);
  let out: number[] = [];
  for (const s of shapes) {
    const b = broadcastShape(out, s);
    if (!b) throw new Error(`reference: cannot broadcast ${JSON.stringify(shapes)}`);
    out = b;
  }
  return build(out, (idx) => f(...args.map((a, k) => atBroadcast(a, shapes[k]!, idx))));
}

// ---- reductions ----

/** Reduces over `axes` (all when undefined; negative allowed) with `f` starting from `init`. */
export function reduce(
  a: Nested,
  axes: number | readonly number[] | undefined,
  keepdims: boolean,
  f: (acc: number, x: number) => number,
  init: number,
): Nested {
  const shape = shapeOf(a);
  const r = shape.length;
  const list = axes === undefined ? shape.map((_, i) => i) : (typeof axes === "number" ? [axes] : [...axes]).map((x) => (x < 0 ? x + r : x));
  const keptShape = shape.map((d, i) => (list.includes(i) ? 1 : d));
  const acc = new Map<string, number>();
  forEachIndex(shape, (idx) => {
    const key = idx.map((v, i) => (list.includes(i) ? 0 : v)).join(",");
    acc.set(key, f(acc.has(key) ? acc.get(key)! : init, at(a, idx)));
  });
  const kept = build(keptShape, (idx) => acc.get(idx.join(",")) ?? init);
  if (keepdims) return kept;
  return fromRow(flatRow(kept), shape.filter((_, i) => !list.includes(i)));
}

export const sumRef = (a: Nested, axes?: number | readonly number[], keepdims = false): Nested =>
  reduce(a, axes, keepdims, (s, x) => s + x, 0);
export const maxRef = (a: Nested, axes?: number | readonly number[], keepdims = false): Nested =>
  reduce(a, axes, keepdims, (s, x) => (Number.isNaN(s) || Number.isNaN(x) ? NaN : Math.max(s, x)), -Infinity);
export function meanRef(a: Nested, axes?: number | readonly number[], keepdims = false): Nested {
  const shape = shapeOf(a);
  const r = shape.length;
  const list = axes === undefined ? shape.map((_, i) => i) : (typeof axes === "number" ? [axes] : [...axes]).map((x) => (x < 0 ? x + r : x));
  const count = list.reduce((n, ax) => n * shape[ax]!, 1);
  return map(sumRef(a, axes, keepdims), (s) => s / count);
}

// ---- matrices ----

export type Mat = number[][];

/** A·B; pass `n` when B has no rows (k = 0) so the column count is known. */
export function matmulRef(A: Mat, B: Mat, n = B.length === 0 ? 0 : B[0]!.length): Mat {
  const m = A.length, k = B.length;
  const out: Mat = [];
  for (let i = 0; i < m; i++) {
    const row: number[] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i]![p]! * B[p]![j]!;
      row.push(s);
    }
    out.push(row);
  }
  return out;
}

export function transposeRef(A: Mat): Mat {
  const m = A.length, n = m === 0 ? 0 : A[0]!.length;
  return Array.from({ length: n }, (_, j) => Array.from({ length: m }, (_, i) => A[i]![j]!));
}

export function kronRef(A: Mat, B: Mat): Mat {
  const [ma, na] = [A.length, A[0]!.length];
  const [mb, nb] = [B.length, B[0]!.length];
  return Array.from({ length: ma * mb }, (_, r) =>
    Array.from({ length: na * nb }, (_, c) => A[Math.floor(r / mb)]![Math.floor(c / nb)]! * B[r % mb]![c % nb]!));
}

// ---- data ----

/** Deterministic values in [-1, 1) (mulberry32), independent of matcalc's randn. */
export function rand(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

/** A nested array of `shape` with seeded values in [lo, hi). */
export function randNested(shape: readonly number[], seed: number, lo = -1, hi = 1): Nested {
  const r = rand(seed);
  return build(shape, () => lo + ((r() + 1) / 2) * (hi - lo));
}

export function randMat(m: number, n: number, seed: number): Mat {
  return randNested([m, n], seed) as Mat;
}

// ---- comparison ----

/** First mismatch between `actual` and `expected` (see {@link expectClose}), or null. */
export function mismatch(actual: unknown, expected: Nested, rtol: number, atol: number, path = "$"): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: length ${actual.length}, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i]!, rtol, atol, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (typeof actual !== "number") return `${path}: expected a number, got ${JSON.stringify(actual)}`;
  if (Number.isNaN(expected)) return Number.isNaN(actual) ? null : `${path}: got ${actual}, expected NaN`;
  if (!Number.isFinite(expected)) return actual === expected ? null : `${path}: got ${actual}, expected ${expected}`;
  const err = Math.abs(actual - expected);
  return err <= atol + rtol * Math.abs(expected)
    ? null
    : `${path}: got ${actual}, expected ${expected} (error ${err.toExponential(3)} > ${atol} + ${rtol}·|e|)`;
}

/**
 * Deep comparison of nested arrays (or numbers) with a mixed tolerance
 * |a − e| ≤ atol + rtol·|e|; NaN matches NaN and infinities must match exactly.
 */
export function expectClose(actual: unknown, expected: Nested, rtol = 1e-12, atol = 1e-12, path = "$"): void {
  const m = mismatch(actual, expected, rtol, atol, path);
  if (m) expect.fail(m);
}

// ---- bit identity ----

/** Two tensors with the same shape and the same entries bit for bit (Object.is tells −0 from 0). */
export function expectBitIdentical(a: { shape: readonly number[]; data: Float64Array }, b: { shape: readonly number[]; data: Float64Array }): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.data, y = b.data;
  let diff = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) diff++;
  expect(diff).toBe(0);
}
