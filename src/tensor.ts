// The Tensor type: float64, column-major, immutable. A tensor's entries live either in a
// JS-owned Float64Array (what users hold) or in the kernel arena (intermediates of a running
// top-level call). Tracers (src/ad/) are Tensors too, so user code is written once for both.
import type * as Api from "./ops/api.js";
import { DTypeError, MemoryLimitError, ReleasedTensorError, ShapeError, fmtShape } from "./errors.js";
import { checkShape, sizeOf, type Shape } from "./shape.js";
import { rt } from "./wasm/module.js";
import { RESIDENT_MIN_ENTRIES } from "./wasm/arena.js";

/** Nested arrays of numbers, written row by row as on paper. */
export type NestedArray = number | readonly NestedArray[];

/** Anything an op accepts in place of a Tensor. */
export type TensorLike = Tensor | number | readonly NestedArray[] | Float64Array;

let OPS: typeof Api | null = null;
/** Called once by src/ops/index.ts so methods can reach the ops without an import cycle. @internal */
export function registerOps(ops: typeof Api): void {
  OPS = ops;
}
function ops(): typeof Api {
  if (!OPS) throw new Error("matcalc: ops are not registered (import from 'matcalc', not from internal files)");
  return OPS;
}

/**
 * An immutable float64 array of rank 0, 1, 2 (or higher, where batching needs it), stored
 * column-major. Make one with {@link tensor}, {@link matrix}, {@link vector}, {@link scalar}.
 *
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]);
 * A.shape;                         // [2, 2]
 * A.data;                          // Float64Array [1, 3, 2, 4]  (column-major)
 * A.matmul([1, 1]).toArray();      // [3, 7]
 * A.T.toArray();                   // [[1, 3], [2, 4]]
 * ```
 */
export class Tensor {
  /** Extent of each dimension. */
  readonly shape: Shape;
  /** Number of entries. */
  readonly size: number;
  /** @internal JS-owned storage, or null while the entries live only in the arena. */
  _buf: Float64Array | null;
  /** @internal Arena byte pointer, valid while `_epoch` equals the arena's epoch. */
  _ptr: number;
  /** @internal */
  _epoch: number;
  /** @internal Resident copy (see Arena), valid while `_resGen` equals the arena's. */
  _resPtr = 0;
  /** @internal */
  _resGen = 0;
  /** @internal Top-level calls that copied this tensor in (decides residency). */
  _uses = 0;

  /** @internal Use {@link tensor} and friends. */
  constructor(shape: Shape, buf: Float64Array | null, ptr = 0, epoch = 0) {
    this.shape = shape;
    this.size = sizeOf(shape);
    this._buf = buf;
    this._ptr = ptr;
    this._epoch = epoch;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** @internal False once the storage (or, for tracers, the trace) this value lives in is gone. */
  _alive(): boolean {
    return this._buf !== null || this._ptr === 0 || this._epoch === rt().arena.epoch;
  }

  /** @internal The concrete tensor holding this value's entries (tracers override). */
  _concrete(): Tensor {
    return this;
  }

  /**
   * The entries in column-major order (first index fastest). For a tensor made inside a
   * transform this is a live view that is valid until that call returns.
   */
  get data(): Float64Array {
    const c = this._concrete();
    if (c._buf) return c._buf;
    const arena = rt().arena;
    if (c._epoch !== arena.epoch) throw releasedError();
    return arena.view(c._ptr, c.size);
  }

  /** Nested arrays, row by row (a scalar gives a number). */
  toArray(): NestedArray {
    const d = this.data;
    const shape = this.shape;
    if (shape.length === 0) return d[0]!;
    const strides: number[] = [];
    let acc = 1;
    for (const e of shape) {
      strides.push(acc);
      acc *= e;
    }
    const build = (dim: number, offset: number): NestedArray => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[dim]!; i++) {
        const off = offset + i * strides[dim]!;
        out.push(dim === shape.length - 1 ? d[off]! : build(dim + 1, off));
      }
      return out;
    };
    return build(0, 0);
  }

  /** The single entry of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError("item", "needs a tensor with exactly one entry", [this.shape]);
    return this.data[0]!;
  }

  /** The entry at `(i, j, ...)` (row, column, ...). */
  get(...index: number[]): number {
    if (index.length !== this.shape.length) {
      throw new ShapeError("get", `needs ${this.shape.length} indices, got ${index.length}`, [this.shape]);
    }
    let off = 0;
    let stride = 1;
    for (let d = 0; d < index.length; d++) {
      const i = index[d]!;
      const e = this.shape[d]!;
      if (!Number.isInteger(i) || i < -e || i >= e) {
        throw new ShapeError("get", `index ${i} out of range for dimension ${d} of extent ${e}`, [this.shape]);
      }
      off += (i < 0 ? i + e : i) * stride;
      stride *= e;
    }
    return this.data[off]!;
  }

  toString(): string {
    return `Tensor${fmtShape(this.shape)} ${JSON.stringify(this.toArray())}`;
  }

  // ---- methods: thin forwards to the ops (src/ops/api.ts documents each) ----
  add(y: TensorLike): Tensor { return ops().add(this, y); }
  sub(y: TensorLike): Tensor { return ops().sub(this, y); }
  mul(y: TensorLike): Tensor { return ops().mul(this, y); }
  div(y: TensorLike): Tensor { return ops().div(this, y); }
  pow(y: TensorLike): Tensor { return ops().pow(this, y); }
  maximum(y: TensorLike): Tensor { return ops().maximum(this, y); }
  minimum(y: TensorLike): Tensor { return ops().minimum(this, y); }
  neg(): Tensor { return ops().neg(this); }
  abs(): Tensor { return ops().abs(this); }
  sqrt(): Tensor { return ops().sqrt(this); }
  square(): Tensor { return ops().square(this); }
  exp(): Tensor { return ops().exp(this); }
  log(): Tensor { return ops().log(this); }
  log1p(): Tensor { return ops().log1p(this); }
  expm1(): Tensor { return ops().expm1(this); }
  sin(): Tensor { return ops().sin(this); }
  cos(): Tensor { return ops().cos(this); }
  atan(): Tensor { return ops().atan(this); }
  tanh(): Tensor { return ops().tanh(this); }
  sigmoid(): Tensor { return ops().sigmoid(this); }
  relu(): Tensor { return ops().relu(this); }
  softplus(): Tensor { return ops().softplus(this); }
  matmul(y: TensorLike): Tensor { return ops().matmul(this, y); }
  dot(y: TensorLike): Tensor { return ops().dot(this, y); }
  outer(y: TensorLike): Tensor { return ops().outer(this, y); }
  transpose(): Tensor { return ops().transpose(this); }
  /** The transpose (a matrix's; a vector or scalar is returned unchanged). */
  get T(): Tensor { return ops().transpose(this); }
  sum(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().sum(this, axis, keepdims); }
  mean(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().mean(this, axis, keepdims); }
  max(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().max(this, axis, keepdims); }
  reshape(shape: readonly number[]): Tensor { return ops().reshape(this, shape); }
  vec(): Tensor { return ops().vec(this); }
  trace(): Tensor { return ops().trace(this); }
  diag(): Tensor { return ops().diag(this); }
  norm(ord?: Api.NormOrd): Tensor { return ops().norm(this, ord); }
  softmax(axis?: number): Tensor { return ops().softmax(this, axis); }
  logSoftmax(axis?: number): Tensor { return ops().logSoftmax(this, axis); }
  logsumexp(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().logsumexp(this, axis, keepdims); }
  slice(start: readonly number[], size?: readonly number[]): Tensor { return ops().slice(this, start, size); }
  inv(): Tensor { return ops().inv(this); }
  solve(b: TensorLike): Tensor { return ops().solve(this, b); }
  det(): Tensor { return ops().det(this); }
  logdet(opts?: { spd?: boolean }): Tensor { return ops().logdet(this, opts); }
  cholesky(): Tensor { return ops().cholesky(this); }
}

// ---- construction ----

/** Entries a tensor may have: what 32-bit wasm memory can hold (4 GiB of float64). */
const MAX_ENTRIES = 2 ** 29;

/** Refuses shapes no kernel could hold, before allocating anything. @internal */
export function checkSize(op: string, shape: Shape): number {
  const n = sizeOf(shape);
  if (n > MAX_ENTRIES) throw new MemoryLimitError(op, n * 8);
  return n;
}

/** The error for touching a tensor whose arena memory was released. @internal */
export function releasedError(): ReleasedTensorError {
  return new ReleasedTensorError(
    "matcalc: this tensor was made inside a transform or op that has returned, and its memory was released; return it from the function (or use hasAux) instead of keeping it",
  );
}

function flattenRows(op: string, value: readonly NestedArray[]): { shape: number[]; data: Float64Array } {
  const shape: number[] = [];
  let probe: NestedArray = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = (probe as readonly NestedArray[])[0]!;
  }
  const size = checkSize(op, shape);
  const data = new Float64Array(size);
  const strides: number[] = [];
  let acc = 1;
  for (const e of shape) {
    strides.push(acc);
    acc *= e;
  }
  const walk = (v: NestedArray, dim: number, offset: number): void => {
    if (dim === shape.length) {
      if (typeof v !== "number") {
        throw new DTypeError(op, `expected a number at depth ${dim}, got ${Array.isArray(v) ? "an array (ragged nesting)" : typeof v}`);
      }
      data[offset] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new DTypeError(op, `ragged nested array: expected ${shape[dim]} entries at depth ${dim}, shape ${fmtShape(shape)}`);
    }
    for (let i = 0; i < v.length; i++) walk((v as readonly NestedArray[])[i]!, dim + 1, offset + i * strides[dim]!);
  };
  walk(value, 0, 0);
  return { shape, data };
}

/**
 * Makes a tensor from a number, nested arrays (row by row), or a typed/array-like of entries
 * with an explicit `shape`. Typed input with a shape is read **column-major** (as `.data`);
 * pass `{ order: 'row' }` to read it row-major.
 *
 * @example
 * ```ts
 * tensor(3);                                   // scalar
 * tensor([[1, 2, 3], [4, 5, 6]]).shape;        // [2, 3]
 * tensor(new Float64Array([1, 4, 2, 5, 3, 6]), [2, 3]); // the same matrix
 * ```
 */
export function tensor(value: TensorLike | ArrayLike<number>, shape?: readonly number[], opts?: { order?: "col" | "row" }): Tensor {
  return makeTensor("tensor", value, shape, opts);
}

function makeTensor(op: string, value: TensorLike | ArrayLike<number>, shape?: readonly number[], opts?: { order?: "col" | "row" }): Tensor {
  if (value instanceof Tensor) {
    return shape ? ops().reshape(value, shape) : value;
  }
  if (typeof value === "number") {
    if (shape && sizeOf(shape) !== 1) throw new ShapeError(op, "a number makes a tensor of size 1", [shape]);
    return new Tensor(shape ? checkShape(op, shape) : [], new Float64Array([value]));
  }
  if (Array.isArray(value) && (shape === undefined || value.some((v) => Array.isArray(v)))) {
    const { shape: s, data } = flattenRows(op, value as readonly NestedArray[]);
    const t = new Tensor(s, data);
    return shape ? ops().reshape(t, shape) : t;
  }
  if (typeof value === "object" && value !== null && typeof (value as ArrayLike<number>).length === "number") {
    const src = value as ArrayLike<number>;
    const s = shape ? checkShape(op, shape) : [src.length];
    if (sizeOf(s) !== src.length) {
      throw new ShapeError(op, `${src.length} entries do not fill shape ${fmtShape(s)}`, [s]);
    }
    const data = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== "number") throw new DTypeError(op, `entry ${i} is ${typeof v}, not a number`);
      data[i] = v;
    }
    if (opts?.order === "row" && s.length >= 2) return rowMajorToColumn(data, s);
    return new Tensor(s, data);
  }
  throw new DTypeError(op, `cannot make a tensor from ${value === null ? "null" : typeof value}`);
}

function rowMajorToColumn(data: Float64Array, shape: Shape): Tensor {
  const out = new Float64Array(data.length);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const colStrides: number[] = [];
  let acc = 1;
  for (const e of shape) {
    colStrides.push(acc);
    acc *= e;
  }
  for (let k = 0; k < data.length; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += idx[d]! * colStrides[d]!;
    out[off] = data[k]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return new Tensor(shape, out);
}

/** Converts an op argument to a Tensor. @internal */
export function asTensor(x: TensorLike, op = "op"): Tensor {
  if (x instanceof Tensor) {
    if (!x._alive()) throw releasedError();
    return x;
  }
  if (typeof x === "number") return new Tensor([], new Float64Array([x]));
  if (Array.isArray(x) || x instanceof Float64Array) return makeTensor(op, x);
  throw new DTypeError(op, `expected a Tensor, number or array, got ${x === null ? "null" : typeof x}`);
}

/** A matrix from rows: `matrix([[1, 2], [3, 4]])`. */
export function matrix(rows: readonly (readonly number[])[]): Tensor {
  const t = tensor(rows);
  if (t.rank !== 2) throw new ShapeError("matrix", "expects an array of rows", [t.shape]);
  return t;
}

/** A vector (rank 1). */
export function vector(values: ArrayLike<number>): Tensor {
  return tensor(values, [values.length]);
}

/** A rank-0 tensor. */
export function scalar(value: number): Tensor {
  return tensor(value);
}

/** A tensor of one repeated value. */
export function full(shape: readonly number[], value: number): Tensor {
  return fullOf("full", shape, value);
}

function fullOf(op: string, shape: readonly number[], value: number): Tensor {
  const s = checkShape(op, shape);
  const d = new Float64Array(checkSize(op, s));
  if (value !== 0) d.fill(value);
  return new Tensor(s, d);
}

/** Zeros of the given shape. */
export function zeros(shape: readonly number[]): Tensor {
  return fullOf("zeros", shape, 0);
}

/** Ones of the given shape. */
export function ones(shape: readonly number[]): Tensor {
  return fullOf("ones", shape, 1);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m: number = n): Tensor {
  const s = checkShape("eye", [n, m]);
  const d = new Float64Array(checkSize("eye", s));
  for (let i = 0; i < Math.min(n, m); i++) d[i + i * n] = 1;
  return new Tensor(s, d);
}

/**
 * Standard normal samples, reproducible from `seed` (mulberry32 + Box–Muller).
 * @example
 * ```ts
 * const X = randn([3, 2], { seed: 42 });
 * ```
 */
export function randn(shape: readonly number[], opts: { seed?: number } = {}): Tensor {
  const s = checkShape("randn", shape);
  const n = checkSize("randn", s);
  const next = rng(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const d = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - next(); // (0, 1]: log is finite
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    d[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) d[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return new Tensor(s, d);
}

/** Uniform [0, 1) generator (mulberry32): small, fast, reproducible; ample for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- storage: the bridge between tensors and kernel memory ----

/** Arena pointer of a concrete tensor's entries, copying JS-owned data in once per scope. @internal */
export function ptrOf(t: Tensor): number {
  const arena = rt().arena;
  if (t._epoch === arena.epoch) return t._ptr;
  if (!t._buf) throw releasedError();
  if (t._resGen === arena.residentGen) return t._resPtr;
  t._ptr = arena.put(t._buf);
  t._epoch = arena.epoch;
  // A tensor copied in by a second top-level call is probably a constant the caller keeps
  // reusing (a data matrix): keep a resident copy from the next call on.
  if (t.size >= RESIDENT_MIN_ENTRIES && ++t._uses >= 2) arena.wantResident(t);
  return t._ptr;
}

/** A fresh arena-backed tensor for a kernel to write into. @internal */
export function allocTensor(shape: Shape, op: string): Tensor {
  const arena = rt().arena;
  const ptr = arena.alloc(sizeOf(shape), op);
  return new Tensor(shape, null, ptr, arena.epoch);
}

/** A tensor sharing `t`'s entries under another shape of the same size (free). @internal */
export function withShape(t: Tensor, shape: Shape): Tensor {
  if (!t._buf && t._epoch !== rt().arena.epoch) throw releasedError();
  const r = new Tensor(shape, t._buf, t._ptr, t._epoch);
  r._resPtr = t._resPtr;
  r._resGen = t._resGen;
  return r;
}

/** Copies an arena-backed tensor's entries into JS-owned memory so it outlives the scope. @internal */
export function materialize(t: Tensor): void {
  if (t._buf) return;
  const arena = rt().arena;
  if (t._epoch !== arena.epoch) throw releasedError();
  t._buf = arena.view(t._ptr, t.size).slice();
}

/**
 * Runs `fn` inside an arena scope. When the outermost scope closes, every tensor reachable in
 * the result through arrays and plain objects is copied out to JS memory, then the arena is
 * released. Errors release the arena too, so the next call starts clean. @internal
 */
export function scoped<T>(fn: () => T, keep?: (result: T) => void): T {
  const arena = rt().arena;
  // Inside a running top-level call nothing is released on exit: no bookkeeping needed, and
  // an error propagates to the outermost scope, which releases the arena.
  if (arena.active) return fn();
  arena.enter();
  let ok = false;
  try {
    const result = fn();
    if (arena.depthIsOutermost()) {
      keep?.(result);
      materializeTree(result);
    }
    ok = true;
    return result;
  } finally {
    arena.exit();
    if (!ok && !arena.active) arena.release();
  }
}

/** Materializes every Tensor in a tree of arrays and plain objects. @internal */
export function materializeTree(x: unknown): void {
  if (x instanceof Tensor) {
    materialize(x._concrete());
  } else if (Array.isArray(x)) {
    for (const v of x) materializeTree(v);
  } else if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) materializeTree(v);
  }
}
