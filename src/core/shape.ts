// Shape arithmetic: sizes, NumPy broadcasting, axis normalisation, and the stride tables the
// broadcasting kernel consumes. Storage is column-major, so dimension 0 is the fastest.
import { DTypeError, ShapeError, fmtShape } from "../errors.js";

/**
 * A tensor's extents, one per dimension (`[]` for a scalar, `[m, n]` for an m×n matrix).
 * @inline
 */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a === b) return true; // results often share their operand's shape array
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align trailing dims; each pair must match or one must be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  // The common cases (equal shapes, a scalar operand) reuse an operand's shape: shapes are
  // never written to, and elementwise ops run this rule twice per call (bind, then impl).
  if (b.length === 0 || a === b || sameShape(a, b)) return a;
  if (a.length === 0) return b;
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `cannot broadcast ${fmtShape(a)} with ${fmtShape(b)}`, [a, b]);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Column-major element strides of a dense array of this shape. */
export function denseStrides(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = 0; i < shape.length; i++) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` read as if broadcast to `out` (0 on broadcast dims), aligned to `out`. */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const dense = denseStrides(shape);
  const offset = out.length - shape.length;
  const s = new Array<number>(out.length).fill(0);
  for (let i = 0; i < shape.length; i++) s[offset + i] = shape[i] === 1 ? 0 : dense[i]!;
  return s;
}

/**
 * Merges adjacent dims that are contiguous in every operand, drops extent-1 dims, so the
 * kernel sees the smallest rank (a dense same-shape add becomes rank 1).
 */
export function collapse(shape: Shape, strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const ext = shape[d]!;
    if (ext === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => s[d] === outStrides[k]![last]! * outShape[last]!)) {
      outShape[last] = outShape[last]! * ext;
    } else {
      outShape.push(ext);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Normalises axes (negative counts from the end), checks range, sorts and dedupes. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number, shape: Shape): number[] {
  if (axes === undefined) {
    const all = new Array<number>(rank);
    for (let i = 0; i < rank; i++) all[i] = i;
    return all;
  }
  if (typeof axes !== "number" && !Array.isArray(axes)) {
    throw new DTypeError(op, `axis must be an integer or an array of integers, got ${axes === null ? "null" : typeof axes}`);
  }
  const list = typeof axes === "number" ? [axes] : axes;
  const out = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new ShapeError(op, `axis ${a} is out of range for rank ${rank}`, [shape]);
    }
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((x, y) => x - y);
}

export function checkShape(op: string, shape: readonly unknown[]): Shape {
  if (!Array.isArray(shape)) {
    const got = shape === null ? "null" : typeof shape === "string" ? JSON.stringify(shape) : typeof shape;
    throw new DTypeError(op, `shape must be an array of extents (e.g. [2, 3]), got ${got}`);
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(op, `invalid shape [${shape.map((e) => String(e)).join(", ")}]: extents must be non-negative integers`);
    }
  }
  return shape as Shape;
}
