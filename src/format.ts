// How a tensor prints and serializes. Works on a shape and column-major entries only, so that
// tensor.ts (which owns the class) is its only importer and nothing here reaches the kernels.
import { DTypeError, ShapeError, fmtShape } from "./errors.js";

/** Above this many entries a display shows only the first and last {@link EDGE} along each axis (NumPy's threshold). */
const SUMMARY_THRESHOLD = 1000;
/** Entries shown at each end of a summarized axis (NumPy's edgeitems). */
const EDGE = 3;
/** Digits after the point in fixed notation, at most (trailing zeros common to all are dropped). */
const MAX_DECIMALS = 4;

/** Column-major strides (first index fastest). */
function colStrides(shape: readonly number[]): number[] {
  const out: number[] = [];
  let acc = 1;
  for (const e of shape) {
    out.push(acc);
    acc *= e;
  }
  return out;
}

/** Column-major offset of a multi-index. */
function offsetOf(shape: readonly number[], idx: readonly number[]): number {
  let off = 0;
  let stride = 1;
  for (let d = 0; d < shape.length; d++) {
    off += idx[d]! * stride;
    stride *= shape[d]!;
  }
  return off;
}

/** The indices shown along an axis of extent n: all, or the first and last EDGE with a gap (-1). */
function shownIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE }, (_, i) => i), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
}

/** One number formatter for a whole display, chosen from the entries shown (as NumPy does). */
function formatterFor(values: readonly number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number): string | null =>
    Number.isNaN(v) ? "NaN" : v === Infinity ? "Inf" : v === -Infinity ? "-Inf" : null;
  const abs = finite.map(Math.abs).filter((a) => a > 0);
  const max = abs.length ? Math.max(...abs) : 0;
  const min = abs.length ? Math.min(...abs) : 0;
  const negZero = (v: number): string => (Object.is(v, -0) ? "-" : "");
  if (finite.every((v) => Number.isInteger(v)) && max < 1e16) {
    return (v) => special(v) ?? negZero(v) + String(v);
  }
  if (max >= 1e8 || min < 1e-4 || max / min > 1e3) {
    return (v) => special(v) ?? negZero(v) + v.toExponential(MAX_DECIMALS);
  }
  // Fixed: as many decimals as the most precise entry needs, up to MAX_DECIMALS.
  let decimals = 0;
  for (const v of finite) {
    const s = Math.abs(v).toFixed(MAX_DECIMALS).replace(/0+$/, "");
    decimals = Math.max(decimals, s.length - s.indexOf(".") - 1);
  }
  return (v) => special(v) ?? negZero(v) + v.toFixed(decimals);
}

/**
 * NumPy-style display of a tensor: a header with the shape, then the entries row by row,
 * right-aligned, with `...` in place of the middle of every axis longer than 6 when the tensor
 * has more than 1000 entries. `data` is column-major.
 */
export function formatTensor(shape: readonly number[], data: ArrayLike<number>): string {
  const header = `Tensor ${fmtShape(shape)}`;
  if (shape.length === 0) return `${header} ${formatterFor([data[0]!])(data[0]!)}`;
  const size = shape.reduce((a, b) => a * b, 1);
  const summarize = size > SUMMARY_THRESHOLD;
  const axes = shape.map((n) => shownIndices(n, summarize));
  // The entries shown, to choose one format and one width for all of them.
  const shown: number[] = [];
  const collect = (d: number, idx: number[]): void => {
    if (d === shape.length) {
      shown.push(data[offsetOf(shape, idx)]!);
      return;
    }
    for (const i of axes[d]!) if (i >= 0) collect(d + 1, [...idx, i]);
  };
  if (size > 0) collect(0, []);
  const fmt = formatterFor(shown);
  const width = shown.reduce((w, v) => Math.max(w, fmt(v).length), 0);
  const build = (d: number, idx: number[], indent: string): string => {
    if (d === shape.length - 1) {
      const cells = axes[d]!.map((i) => (i < 0 ? "..." : fmt(data[offsetOf(shape, [...idx, i])]!).padStart(width)));
      return `[${cells.join(", ")}]`;
    }
    // Blocks of rank ≥ 2 are separated by a blank line per extra rank, as NumPy does.
    const sep = `,${"\n".repeat(shape.length - d - 1)}${indent} `;
    const parts = axes[d]!.map((i) => (i < 0 ? "..." : build(d + 1, [...idx, i], indent + " ")));
    return `[${parts.join(sep)}]`;
  };
  return `${header}\n${build(0, [], "")}`;
}

/**
 * The JSON form of a tensor: its shape and its entries as nested arrays, row by row (a number
 * for a scalar). JSON has no −0, NaN or ±Infinity, so those entries are strings: `"-0"`,
 * `"NaN"`, `"Infinity"`, `"-Infinity"` (a NaN with a payload other than the default quiet NaN
 * is `"NaN:"` followed by its 16 hex digits). Every other entry is a JSON number, which
 * JavaScript prints with the fewest digits that read back to the same double.
 * @category Tensors
 */
export interface TensorJSON {
  /** Extent of each dimension. */
  shape: number[];
  /** The entries, row by row. */
  data: JSONEntries;
}

/**
 * Nested arrays of encoded entries (see {@link TensorJSON}).
 * @category Tensors
 */
export type JSONEntries = number | string | JSONEntries[];

const bits = new DataView(new ArrayBuffer(8));
const QUIET_NAN = 0x7ff8000000000000n;

function encode(v: number): number | string {
  if (Number.isFinite(v)) return Object.is(v, -0) ? "-0" : v;
  if (!Number.isNaN(v)) return v > 0 ? "Infinity" : "-Infinity";
  bits.setFloat64(0, v);
  const b = bits.getBigUint64(0);
  return b === QUIET_NAN ? "NaN" : `NaN:${b.toString(16).padStart(16, "0")}`;
}

function decode(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (v === "-0") return -0;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (typeof v === "string" && /^NaN:[0-9a-f]{16}$/.test(v)) {
    bits.setBigUint64(0, BigInt(`0x${v.slice(4)}`));
    const x = bits.getFloat64(0);
    if (Number.isNaN(x)) return x;
  }
  throw new DTypeError("fromJSON", `entry ${where} is ${typeof v === "string" ? JSON.stringify(v) : typeof v}, not a number or one of "-0", "NaN", "Infinity", "-Infinity"`);
}

/** {@link TensorJSON} of a shape and its column-major entries. */
export function toJSONForm(shape: readonly number[], data: ArrayLike<number>): TensorJSON {
  const strides = colStrides(shape);
  const build = (d: number, off: number): JSONEntries =>
    d === shape.length
      ? encode(data[off]!)
      : Array.from({ length: shape[d]! }, (_, i) => build(d + 1, off + i * strides[d]!));
  return { shape: [...shape], data: build(0, 0) };
}

/** Shape and column-major entries of a {@link TensorJSON}, checked entry by entry. */
export function fromJSONForm(json: unknown): { shape: number[]; data: Float64Array } {
  const op = "fromJSON";
  if (typeof json === "string") json = JSON.parse(json);
  if (json === null || typeof json !== "object" || !("shape" in json) || !("data" in json)) {
    throw new DTypeError(op, "expected an object { shape, data } (what toJSON gives)");
  }
  const { shape, data } = json as { shape: unknown; data: unknown };
  if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new ShapeError(op, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const s = shape as number[];
  const out = new Float64Array(s.reduce((a, b) => a * b, 1));
  const strides = colStrides(s);
  const walk = (v: unknown, d: number, off: number): void => {
    if (d === s.length) {
      out[off] = decode(v, `at column-major offset ${off}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== s[d]) {
      throw new ShapeError(op, `data does not match shape ${fmtShape(s)} at depth ${d} (expected ${s[d]} entries)`, [s]);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], d + 1, off + i * strides[d]!);
  };
  walk(data, 0, 0);
  return { shape: s, data: out };
}

/** Chrome DevTools' JsonML: `[tag, attributes?, ...children]`. */
type JsonML = [string, ...(string | JsonML | { style: string })[]];

/** A Chrome DevTools custom formatter (shown when "Enable custom formatters" is on). */
export interface DevtoolsFormatter {
  header(x: unknown): JsonML | null;
  hasBody(x: unknown): boolean;
  body(x: unknown): JsonML | null;
}

/**
 * The DevTools formatter for tensors: the header is `Tensor [shape]`, the expanded body the
 * NumPy-like display. `display` may throw (a released tensor); the body then says why.
 */
export function devtoolsFormatter(isTensor: (x: unknown) => boolean, shapeOf: (x: never) => readonly number[], display: (x: never) => string): DevtoolsFormatter {
  const show = (x: unknown): string => {
    try {
      return display(x as never).split("\n").slice(1).join("\n") || display(x as never);
    } catch (e) {
      return `<${e instanceof Error ? e.message : String(e)}>`;
    }
  };
  return {
    header: (x) => (isTensor(x) ? ["span", { style: "font-weight: bold" }, `Tensor ${fmtShape(shapeOf(x as never))}`] : null),
    hasBody: (x) => isTensor(x),
    body: (x) => (isTensor(x) ? ["div", { style: "font-family: monospace; white-space: pre; margin-left: 1em" }, show(x)] : null),
  };
}
