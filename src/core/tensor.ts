// The Tensor type: float64, column-major, immutable. A tensor's entries live either in a
// JS-owned Float64Array (what users hold) or in the kernel arena (intermediates of a running
// top-level call). Tracers (src/core/primitive.ts) are Tensors too, so user code is written once for both.
import { DTypeError, MemoryLimitError, ReleasedTensorError, ShapeError, fmtShape } from "../errors.js";
import { checkShape, sizeOf, type Shape } from "./shape.js";
import { rt } from "../wasm/module.js";
import { RESIDENT_MIN_ENTRIES } from "../wasm/arena.js";
import { mulberry32 } from "../random.js";
import { checkOptions, finite, oneOf } from "../options.js";
import { devtoolsFormatter, formatTensor, fromJSONForm, toJSONForm, type TensorJSON } from "../format.js";

/** Node's util.inspect hook, by its registered name so that browsers need no node:util. */
const INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;

/**
 * Nested arrays of numbers, written row by row as on paper.
 * @category Tensors
 */
export type NestedArray = number | readonly NestedArray[];

/**
 * Anything an op accepts in place of a Tensor.
 * @category Tensors
 */
export type TensorLike = Tensor | number | readonly NestedArray[] | Float64Array;

/**
 * @internal Told of every read of a tensor's entries from JavaScript (`data`, `toArray`,
 * `item`, copy-out). `jit` sets it while recording, to notice code whose control flow
 * depends on values, which a recorded kernel sequence could not replay.
 */
export const readHook: { onRead: ((t: Tensor) => void) | null } = { onRead: null };

/**
 * Norm orders: a number p ≥ 1 (vectors), `'fro'`, or `Infinity`.
 * @category Softmax, norms and trace
 */
export type NormOrd = number | "fro";

type Axes = number | readonly number[];

/**
 * What the Tensor methods forward to, and what an op file calls when the op it needs lives in
 * a file above it (src/ops/ is ordered permute ← structure ← reduce ← elementwise ← lowrank ←
 * matmul ← linalg ← composite; a rule calling an op later in that order goes through this
 * table instead of an import, so no import points back). src/ops/index.ts installs the ops;
 * the type check there proves every entry is provided. @internal
 */
export interface TensorOps {
  add(x: TensorLike, y: TensorLike): Tensor;
  sub(x: TensorLike, y: TensorLike): Tensor;
  mul(x: TensorLike, y: TensorLike): Tensor;
  div(x: TensorLike, y: TensorLike): Tensor;
  pow(x: TensorLike, y: TensorLike): Tensor;
  maximum(x: TensorLike, y: TensorLike): Tensor;
  minimum(x: TensorLike, y: TensorLike): Tensor;
  eq(x: TensorLike, y: TensorLike): Tensor;
  ne(x: TensorLike, y: TensorLike): Tensor;
  gt(x: TensorLike, y: TensorLike): Tensor;
  ge(x: TensorLike, y: TensorLike): Tensor;
  lt(x: TensorLike, y: TensorLike): Tensor;
  le(x: TensorLike, y: TensorLike): Tensor;
  where(cond: TensorLike, x: TensorLike, y: TensorLike): Tensor;
  neg(x: TensorLike): Tensor;
  abs(x: TensorLike): Tensor;
  sqrt(x: TensorLike): Tensor;
  square(x: TensorLike): Tensor;
  exp(x: TensorLike): Tensor;
  log(x: TensorLike): Tensor;
  log1p(x: TensorLike): Tensor;
  expm1(x: TensorLike): Tensor;
  sin(x: TensorLike): Tensor;
  cos(x: TensorLike): Tensor;
  atan(x: TensorLike): Tensor;
  tanh(x: TensorLike): Tensor;
  sigmoid(x: TensorLike): Tensor;
  relu(x: TensorLike): Tensor;
  softplus(x: TensorLike): Tensor;
  zerosLike(x: Tensor): Tensor;
  matmul(x: TensorLike, y: TensorLike): Tensor;
  dot(x: TensorLike, y: TensorLike): Tensor;
  outer(x: TensorLike, y: TensorLike): Tensor;
  transpose(x: TensorLike): Tensor;
  sum(x: TensorLike, axis?: Axes, keepdims?: boolean): Tensor;
  mean(x: TensorLike, axis?: Axes, keepdims?: boolean): Tensor;
  max(x: TensorLike, axis?: Axes, keepdims?: boolean): Tensor;
  broadcastTo(x: TensorLike, shape: readonly number[]): Tensor;
  reshape(x: TensorLike, shape: readonly number[]): Tensor;
  vec(x: TensorLike): Tensor;
  trace(x: TensorLike): Tensor;
  diag(x: TensorLike): Tensor;
  norm(x: TensorLike, ord?: NormOrd): Tensor;
  softmax(x: TensorLike, axis?: number): Tensor;
  logSoftmax(x: TensorLike, axis?: number): Tensor;
  logsumexp(x: TensorLike, axis?: Axes, keepdims?: boolean): Tensor;
  slice(x: TensorLike, start: readonly number[], size?: readonly number[]): Tensor;
  inv(x: TensorLike): Tensor;
  solve(a: TensorLike, b: TensorLike): Tensor;
  det(x: TensorLike): Tensor;
  logdet(x: TensorLike, opts?: { spd?: boolean }): Tensor;
  cholesky(x: TensorLike): Tensor;
  eigh(x: TensorLike): [Tensor, Tensor];
  kron(x: TensorLike, y: TensorLike): Tensor;
  concat(xs: readonly TensorLike[], axis?: number): Tensor;
}

let OPS: TensorOps | null = null;
/** Called once by src/ops/index.ts so methods can reach the ops without an import cycle. @internal */
export function registerOps(ops: TensorOps): void {
  OPS = ops;
}
/** The installed ops (see {@link TensorOps}). @internal */
export function ops(): TensorOps {
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
 * @category Tensors
 */
export class Tensor {
  // The fields are `declare`d and set in the constructor: with ES2022 class fields each
  // declaration would be a define-property step on every construction, and tensors (and the
  // tracers that extend this class) are made for every primitive a transform applies.
  /** Extent of each dimension. */
  declare readonly shape: Shape;
  /** Number of entries. */
  declare readonly size: number;
  /** @internal JS-owned storage, or null while the entries live only in the arena. */
  declare _buf: Float64Array | null;
  /** @internal Arena byte pointer, valid while the arena says `_epoch` and `_ptr` are live. */
  declare _ptr: number;
  /** @internal */
  declare _epoch: number;
  /** @internal Resident copy (see Arena), valid while `_resGen` equals the arena's. */
  declare _resPtr: number;
  /** @internal */
  declare _resGen: number;
  /** @internal Top-level calls that copied this tensor in (decides residency). */
  declare _uses: number;
  /**
   * @internal When set, this tensor's entries, read in B's shape, are diag(w)·B for this
   * matrix B (each row of B scaled by a number): a kernel computing Bᵀ·this knows the product
   * is symmetric. Only concrete tensors made inside a running call carry it; leaving the call
   * clears it.
   */
  declare _rowScaled: Tensor | null;
  /**
   * @internal The trace a tracer belongs to (primitive.ts), null for a concrete tensor. A
   * field every tensor has, so the hot paths ask `x._trace !== null` (one load) instead of
   * `x instanceof Tracer` (a walk up the prototype chain).
   */
  declare readonly _trace: { readonly level: number; readonly alive: boolean } | null;
  /**
   * @internal The token of the jit recording (src/jit/jit.ts) that knows where this value
   * comes from, that place (`_recRef`) and whether it depends on the recording's inputs
   * (`_recDep`); both are read only while `_rec` is the running recording's token. On the
   * tensor rather than in a Map of the recording's: a recording sees every value of a
   * 10⁶-step program, and the Map held them all alive until it ended.
   */
  declare _rec: object | null;
  /** @internal */
  declare _recRef: unknown;
  /** @internal */
  declare _recDep: boolean;

  /** @internal Use {@link tensor} and friends. */
  constructor(shape: Shape, buf: Float64Array | null, ptr = 0, epoch = 0) {
    this.shape = shape;
    this.size = sizeOf(shape);
    this._buf = buf;
    this._ptr = ptr;
    this._epoch = epoch;
    this._resPtr = 0;
    this._resGen = 0;
    this._uses = 0;
    this._rowScaled = null;
    this._trace = null;
    this._rec = null;
    this._recRef = null;
    this._recDep = false;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** @internal False once the storage (or, for tracers, the trace) this value lives in is gone. */
  _alive(): boolean {
    return this._buf !== null || this._ptr === 0 || rt().arena.live(this._epoch, this._ptr);
  }

  /** @internal The concrete tensor holding this value's entries (tracers override). */
  _concrete(): Tensor {
    return this;
  }

  /**
   * A copy of the entries in column-major order (first index fastest), the caller's to keep
   * and modify. Tensors are immutable: writing into this array never changes the tensor (so
   * a recording of `jit` or a resident copy in the arena can never go stale). It is a fresh
   * copy on every access: read it once (`const d = t.data`) rather than in a loop, or use
   * {@link Tensor.get} / {@link Tensor.toArray}.
   * @example
   * ```ts
   * const t = vector([1, 2]);
   * const d = t.data;   // Float64Array [1, 2]
   * d[0] = -1;          // changes the copy only
   * t.get(0);           // 1
   * ```
   */
  get data(): Float64Array {
    return storage(this).slice();
  }

  /**
   * Nested arrays, row by row (a scalar gives a number).
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).toArray();   // [[1, 2], [3, 4]]
   * scalar(5).toArray();                  // 5
   * ```
   */
  toArray(): NestedArray {
    const d = storage(this);
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

  /**
   * The single entry of a size-1 tensor (throws ShapeError otherwise).
   * @example
   * ```ts
   * vector([1, 2, 3]).sum().item();   // 6
   * ```
   */
  item(): number {
    if (this.size !== 1) throw new ShapeError("item", "needs a tensor with exactly one entry", [this.shape]);
    return storage(this)[0]!;
  }

  /**
   * The entry at `(i, j, ...)` (row, column, ...); negative indices count from the end.
   * @example
   * ```ts
   * const A = matrix([[1, 2], [3, 4]]);
   * A.get(1, 0);     // 3
   * A.get(-1, -1);   // 4
   * ```
   */
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
    return storage(this)[off]!;
  }

  // ---- printing and serialization (src/format.ts) ----
  /**
   * The shape, then the entries row by row as NumPy prints them: right-aligned, one number
   * format for all, and above 1000 entries only the first and last 3 along each axis, with
   * `...` between. `console.log(t)` in Node prints the same (through `util.inspect.custom`).
   * @example
   * ```ts
   * String(matrix([[1, 2], [3, 4]]));   // "Tensor [2, 2]\n[[1, 2],\n [3, 4]]"
   * String(scalar(0.5));                // "Tensor [] 0.5"
   * ```
   */
  toString(): string {
    return formatTensor(this.shape, this.data);
  }

  /**
   * Node's `console.log` / `util.inspect` show {@link Tensor.toString}'s display, not the
   * fields; a value whose entries cannot be read (a batch inside vmap, a released tensor)
   * shows its shape and why, since a debugging print must not throw. @internal
   */
  [INSPECT](): string {
    try {
      return this.toString();
    } catch (e) {
      return `Tensor ${fmtShape(this.shape)} <${e instanceof Error ? e.message : String(e)}>`;
    }
  }

  /**
   * `{ shape, data }` with the entries as nested arrays, row by row, so that
   * `JSON.stringify` of a tensor (or of a pytree of tensors) reads like the tensor.
   * Entries JSON cannot carry are strings: `"-0"`, `"NaN"`, `"Infinity"`, `"-Infinity"` (see
   * {@link TensorJSON}); {@link Tensor.fromJSON} reads it all back bit for bit.
   * @example
   * ```ts
   * JSON.stringify(matrix([[1, -0], [NaN, Infinity]]));
   * // '{"shape":[2,2],"data":[[1,"-0"],["NaN","Infinity"]]}'
   * ```
   */
  toJSON(): TensorJSON {
    return toJSONForm(this.shape, this.data);
  }

  /**
   * The tensor a {@link Tensor.toJSON} form (or its JSON text) describes, bit for bit.
   * Throws `ShapeError` when the data does not match the shape, `DTypeError` for an entry
   * that is not a number or one of the strings toJSON writes.
   * @example
   * ```ts
   * const t = Tensor.fromJSON(JSON.parse(JSON.stringify(vector([-0, NaN, 1e-310]))));
   * Object.is(t.get(0), -0);   // true
   * Tensor.fromJSON('{"shape":[2],"data":[1,"-Infinity"]}').toArray();   // [1, -Infinity]
   * ```
   */
  static fromJSON(json: TensorJSON | string): Tensor {
    const { shape, data } = fromJSONForm(json);
    return new Tensor(shape, data);
  }

  // ---- methods: thin forwards to the ops (src/ops/api.ts documents each) ----
  /**
   * this + y (broadcasting); see {@link index!add | add}.
   * @example
   * ```ts
   * vector([1, 2]).add(10).toArray();                     // [11, 12]
   * matrix([[1, 2], [3, 4]]).add([10, 20]).toArray();     // [[11, 22], [13, 24]]
   * ```
   */
  add(y: TensorLike): Tensor { return ops().add(this, y); }
  /**
   * this − y (broadcasting); see {@link index!sub | sub}.
   * @example
   * ```ts
   * vector([5, 7]).sub([1, 2]).toArray();   // [4, 5]
   * ```
   */
  sub(y: TensorLike): Tensor { return ops().sub(this, y); }
  /**
   * this · y elementwise (broadcasting); see {@link index!mul | mul}.
   * @example
   * ```ts
   * vector([1, 2, 3]).mul(2).toArray();   // [2, 4, 6]
   * ```
   */
  mul(y: TensorLike): Tensor { return ops().mul(this, y); }
  /**
   * this / y elementwise (broadcasting); see {@link index!div | div}.
   * @example
   * ```ts
   * vector([1, 2]).div(4).toArray();   // [0.25, 0.5]
   * ```
   */
  div(y: TensorLike): Tensor { return ops().div(this, y); }
  /**
   * thisʸ elementwise (broadcasting); see {@link index!pow | pow}.
   * @example
   * ```ts
   * vector([2, 3]).pow(2).toArray();   // [4, 9]
   * ```
   */
  pow(y: TensorLike): Tensor { return ops().pow(this, y); }
  /**
   * Elementwise maximum with y (broadcasting); see {@link index!maximum | maximum}.
   * @example
   * ```ts
   * vector([-1, 2]).maximum(0).toArray();   // [0, 2]
   * ```
   */
  maximum(y: TensorLike): Tensor { return ops().maximum(this, y); }
  /**
   * Elementwise minimum with y (broadcasting); see {@link index!minimum | minimum}.
   * @example
   * ```ts
   * vector([-1, 2]).minimum(0).toArray();   // [-1, 0]
   * ```
   */
  minimum(y: TensorLike): Tensor { return ops().minimum(this, y); }
  /**
   * −this; see {@link index!neg | neg}.
   * @example
   * ```ts
   * vector([1, -2]).neg().toArray();   // [-1, 2]
   * ```
   */
  neg(): Tensor { return ops().neg(this); }
  /**
   * |this| elementwise; see {@link index!abs | abs}.
   * @example
   * ```ts
   * vector([-2, 3]).abs().toArray();   // [2, 3]
   * ```
   */
  abs(): Tensor { return ops().abs(this); }
  /**
   * Elementwise square root; see {@link index!sqrt | sqrt}.
   * @example
   * ```ts
   * vector([4, 9]).sqrt().toArray();   // [2, 3]
   * ```
   */
  sqrt(): Tensor { return ops().sqrt(this); }
  /**
   * Elementwise square; see {@link index!square | square}.
   * @example
   * ```ts
   * vector([-3, 2]).square().toArray();   // [9, 4]
   * ```
   */
  square(): Tensor { return ops().square(this); }
  /**
   * Elementwise eˣ; see {@link index!exp | exp}.
   * @example
   * ```ts
   * vector([0, 1]).exp().toArray();   // [1, 2.718281828459045]
   * ```
   */
  exp(): Tensor { return ops().exp(this); }
  /**
   * Elementwise natural logarithm; see {@link index!log | log}.
   * @example
   * ```ts
   * vector([1, Math.E]).log().toArray();   // [0, 1]
   * ```
   */
  log(): Tensor { return ops().log(this); }
  /**
   * Elementwise log(1 + x), accurate for small x; see {@link index!log1p | log1p}.
   * @example
   * ```ts
   * scalar(1e-20).log1p().item();   // 1e-20  (Math.log(1 + 1e-20) gives 0)
   * ```
   */
  log1p(): Tensor { return ops().log1p(this); }
  /**
   * Elementwise eˣ − 1, accurate for small x; see {@link index!expm1 | expm1}.
   * @example
   * ```ts
   * scalar(1e-20).expm1().item();   // 1e-20  (Math.exp(1e-20) − 1 gives 0)
   * ```
   */
  expm1(): Tensor { return ops().expm1(this); }
  /**
   * Elementwise sine; see {@link index!sin | sin}.
   * @example
   * ```ts
   * vector([0, Math.PI / 2]).sin().toArray();   // [0, 1]
   * ```
   */
  sin(): Tensor { return ops().sin(this); }
  /**
   * Elementwise cosine; see {@link index!cos | cos}.
   * @example
   * ```ts
   * vector([0, Math.PI]).cos().toArray();   // [1, -1]
   * ```
   */
  cos(): Tensor { return ops().cos(this); }
  /**
   * Elementwise arctangent; see {@link index!atan | atan}.
   * @example
   * ```ts
   * vector([0, 1]).atan().toArray();   // [0, 0.7853981633974483]  (π/4)
   * ```
   */
  atan(): Tensor { return ops().atan(this); }
  /**
   * Elementwise tanh; see {@link index!tanh | tanh}.
   * @example
   * ```ts
   * vector([0, 1000]).tanh().toArray();   // [0, 1]
   * ```
   */
  tanh(): Tensor { return ops().tanh(this); }
  /**
   * Elementwise logistic sigmoid, stable for large |x|; see {@link index!sigmoid | sigmoid}.
   * @example
   * ```ts
   * vector([0, 800, -800]).sigmoid().toArray();   // [0.5, 1, 0]
   * ```
   */
  sigmoid(): Tensor { return ops().sigmoid(this); }
  /**
   * Elementwise max(x, 0); see {@link index!relu | relu}.
   * @example
   * ```ts
   * vector([-1, 0, 2]).relu().toArray();   // [0, 0, 2]
   * ```
   */
  relu(): Tensor { return ops().relu(this); }
  /**
   * Elementwise log(1 + eˣ), stable for large |x|; see {@link index!softplus | softplus}.
   * @example
   * ```ts
   * vector([0, 1000]).softplus().toArray();   // [0.6931471805599453, 1000]  (log 2, x)
   * ```
   */
  softplus(): Tensor { return ops().softplus(this); }
  /**
   * this · y, with NumPy's rules for vectors; see {@link index!matmul | matmul}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray();   // [3, 7]
   * ```
   */
  matmul(y: TensorLike): Tensor { return ops().matmul(this, y); }
  /**
   * Inner product with y (Frobenius for matrices); see {@link index!dot | dot}.
   * @example
   * ```ts
   * vector([1, 2, 3]).dot([4, 5, 6]).item();   // 32
   * ```
   */
  dot(y: TensorLike): Tensor { return ops().dot(this, y); }
  /**
   * Outer product this·yᵀ of two vectors; see {@link index!outer | outer}.
   * @example
   * ```ts
   * vector([1, 2]).outer([3, 4]).toArray();   // [[3, 4], [6, 8]]
   * ```
   */
  outer(y: TensorLike): Tensor { return ops().outer(this, y); }
  /**
   * Matrix transpose (vectors and scalars unchanged); see {@link index!transpose | transpose}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).transpose().toArray();   // [[1, 3], [2, 4]]
   * ```
   */
  transpose(): Tensor { return ops().transpose(this); }
  /**
   * The transpose (a matrix's; a vector or scalar is returned unchanged).
   * @example
   * ```ts
   * matrix([[1, 2, 3]]).T.shape;   // [3, 1]
   * ```
   */
  get T(): Tensor { return ops().transpose(this); }
  /**
   * Sum of all entries, or along `axis`; see {@link index!sum | sum}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).sum().item();          // 10
   * matrix([[1, 2], [3, 4]]).sum(1).toArray();      // [3, 7]  (across each row)
   * ```
   */
  sum(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().sum(this, axis, keepdims); }
  /**
   * Mean of all entries, or along `axis`; see {@link index!mean | mean}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).mean(0).toArray();   // [2, 3]
   * ```
   */
  mean(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().mean(this, axis, keepdims); }
  /**
   * Maximum of all entries, or along `axis`; see {@link index!max | max}.
   * @example
   * ```ts
   * matrix([[1, 5], [7, 2]]).max(1).toArray();   // [5, 7]
   * ```
   */
  max(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().max(this, axis, keepdims); }
  /**
   * The same entries under a new shape, read column-major; see {@link index!reshape | reshape}.
   * @example
   * ```ts
   * vector([1, 2, 3, 4]).reshape([2, 2]).toArray();   // [[1, 3], [2, 4]]
   * ```
   */
  reshape(shape: readonly number[]): Tensor { return ops().reshape(this, shape); }
  /**
   * vec(X): the columns stacked into one vector; see {@link index!vec | vec}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).vec().toArray();   // [1, 3, 2, 4]
   * ```
   */
  vec(): Tensor { return ops().vec(this); }
  /**
   * tr(X), the sum of the diagonal; see {@link index!trace | trace}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).trace().item();   // 5
   * ```
   */
  trace(): Tensor { return ops().trace(this); }
  /**
   * A matrix's diagonal, or a vector as a diagonal matrix; see {@link index!diag | diag}.
   * @example
   * ```ts
   * matrix([[1, 2], [3, 4]]).diag().toArray();   // [1, 4]
   * ```
   */
  diag(): Tensor { return ops().diag(this); }
  /**
   * Vector p-norm (default 2) or Frobenius norm; see {@link index!norm | norm}.
   * @example
   * ```ts
   * vector([3, -4]).norm().item();    // 5
   * vector([3, -4]).norm(1).item();   // 7
   * ```
   */
  norm(ord?: NormOrd): Tensor { return ops().norm(this, ord); }
  /**
   * softmax along `axis` (default: the last); see {@link index!softmax | softmax}.
   * @example
   * ```ts
   * vector([0, 0]).softmax().toArray();   // [0.5, 0.5]
   * ```
   */
  softmax(axis?: number): Tensor { return ops().softmax(this, axis); }
  /**
   * log softmax along `axis` (default: the last); see {@link index!logSoftmax | logSoftmax}.
   * @example
   * ```ts
   * vector([0, 0]).logSoftmax().toArray();   // [-0.6931471805599453, -0.6931471805599453]  (−log 2)
   * ```
   */
  logSoftmax(axis?: number): Tensor { return ops().logSoftmax(this, axis); }
  /**
   * log Σ exp, stably; see {@link index!logsumexp | logsumexp}.
   * @example
   * ```ts
   * vector([1000, 1000]).logsumexp().item();   // 1000.6931471805599  (1000 + log 2, no overflow)
   * ```
   */
  logsumexp(axis?: number | readonly number[], keepdims?: boolean): Tensor { return ops().logsumexp(this, axis, keepdims); }
  /**
   * A contiguous box (`size` −1 or omitted: to the end); see {@link index!slice | slice}.
   * @example
   * ```ts
   * vector([1, 2, 3, 4]).slice([1], [2]).toArray();   // [2, 3]
   * vector([1, 2, 3, 4]).slice([1]).toArray();        // [2, 3, 4]
   * ```
   */
  slice(start: readonly number[], size?: readonly number[]): Tensor { return ops().slice(this, start, size); }
  /**
   * The inverse matrix; see {@link index!inv | inv}.
   * @example
   * ```ts
   * matrix([[2, 0], [0, 4]]).inv().toArray();   // [[0.5, 0], [0, 0.25]]
   * ```
   */
  inv(): Tensor { return ops().inv(this); }
  /**
   * X solving this·X = b; see {@link index!solve | solve}.
   * @example
   * ```ts
   * matrix([[2, 0], [0, 4]]).solve([2, 4]).toArray();   // [1, 1]
   * ```
   */
  solve(b: TensorLike): Tensor { return ops().solve(this, b); }
  /**
   * The determinant; see {@link index!det | det}.
   * @example
   * ```ts
   * matrix([[2, 0], [0, 3]]).det().item();   // 6
   * ```
   */
  det(): Tensor { return ops().det(this); }
  /**
   * log|det|; `{ spd: true }` takes the Cholesky path; see {@link index!logdet | logdet}.
   * @example
   * ```ts
   * matrix([[2, 0], [0, 3]]).logdet({ spd: true }).item();   // 1.791759469228055  (log 6)
   * ```
   */
  logdet(opts?: { spd?: boolean }): Tensor { return ops().logdet(this, opts); }
  /**
   * The lower Cholesky factor; see {@link index!cholesky | cholesky}.
   * @example
   * ```ts
   * matrix([[4, 2], [2, 5]]).cholesky().toArray();   // [[2, 0], [1, 2]]
   * ```
   */
  cholesky(): Tensor { return ops().cholesky(this); }
  /**
   * 1 where this > y else 0 (broadcasting); see {@link index!gt | gt}.
   * @example
   * ```ts
   * vector([1, 2, 3]).gt(2).toArray();   // [0, 0, 1]
   * ```
   */
  gt(y: TensorLike): Tensor { return ops().gt(this, y); }
  /**
   * 1 where this ≥ y else 0 (broadcasting); see {@link index!ge | ge}.
   * @example
   * ```ts
   * vector([1, 2, 3]).ge(2).toArray();   // [0, 1, 1]
   * ```
   */
  ge(y: TensorLike): Tensor { return ops().ge(this, y); }
  /**
   * 1 where this < y else 0 (broadcasting); see {@link index!lt | lt}.
   * @example
   * ```ts
   * vector([1, 2, 3]).lt(2).toArray();   // [1, 0, 0]
   * ```
   */
  lt(y: TensorLike): Tensor { return ops().lt(this, y); }
  /**
   * 1 where this ≤ y else 0 (broadcasting); see {@link index!le | le}.
   * @example
   * ```ts
   * vector([1, 2, 3]).le(2).toArray();   // [1, 1, 0]
   * ```
   */
  le(y: TensorLike): Tensor { return ops().le(this, y); }
  /**
   * 1 where this = y else 0 (broadcasting); see {@link index!eq | eq}.
   * @example
   * ```ts
   * vector([1, 2, 3]).eq(2).toArray();   // [0, 1, 0]
   * ```
   */
  eq(y: TensorLike): Tensor { return ops().eq(this, y); }
  /**
   * 1 where this ≠ y else 0 (broadcasting); see {@link index!ne | ne}.
   * @example
   * ```ts
   * vector([1, 2, 3]).ne(2).toArray();   // [1, 0, 1]
   * ```
   */
  ne(y: TensorLike): Tensor { return ops().ne(this, y); }
  /**
   * This tensor where `cond` ≠ 0, else `other` (broadcasting), as PyTorch's `x.where(cond, y)`;
   * see {@link index!where | where} (`where(cond, this, other)`).
   * @example
   * ```ts
   * const x = vector([-1, 2]);
   * x.where(x.gt(0), 0).toArray();   // [0, 2]
   * ```
   */
  where(cond: TensorLike, other: TensorLike): Tensor { return ops().where(cond, this, other); }
  /**
   * Eigenvalues (ascending) and eigenvectors of a symmetric matrix; see {@link index!eigh | eigh}.
   * @example
   * ```ts
   * const [w, V] = matrix([[2, 1], [1, 2]]).eigh();
   * w.toArray();   // ≈ [1, 3]
   * ```
   */
  eigh(): [Tensor, Tensor] { return ops().eigh(this); }
  /**
   * The Kronecker product this ⊗ y; see {@link index!kron | kron}.
   * @example
   * ```ts
   * matrix([[1, 2]]).kron([[1], [10]]).toArray();   // [[1, 2], [10, 20]]
   * ```
   */
  kron(y: TensorLike): Tensor { return ops().kron(this, y); }
  /**
   * This tensor joined with `other` along `axis` (default 0); see {@link index!concat | concat}.
   * @example
   * ```ts
   * vector([1]).concat([2, 3]).toArray();                     // [1, 2, 3]
   * matrix([[1], [2]]).concat([[3], [4]], 1).toArray();       // [[1, 3], [2, 4]]
   * ```
   */
  concat(other: TensorLike, axis?: number): Tensor { return ops().concat([this, other], axis); }
}

// Chrome DevTools draws tensors with this formatter when "Enable custom formatters" is on
// (Settings → Preferences → Console); without the setting the array is never read.
{
  const g = globalThis as { devtoolsFormatters?: unknown[] };
  if (Array.isArray(g.devtoolsFormatters) || g.devtoolsFormatters === undefined) {
    (g.devtoolsFormatters ??= []).push(
      devtoolsFormatter((x) => x instanceof Tensor, (t: Tensor) => t.shape, (t: Tensor) => t.toString()),
    );
  }
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
/**
 * The entries of `t` in place (column-major), for the library's own reads and for kernels
 * that fill a tensor they just allocated: never hand this array to a user (`.data` copies).
 * For a value inside a running transform it is a live arena view, valid until that call
 * returns. Tells jit's read hook. @internal
 */
export function storage(t: Tensor): Float64Array {
  const c = t._concrete();
  if (readHook.onRead) readHook.onRead(c);
  if (c._buf) return c._buf;
  const arena = rt().arena;
  if (!arena.live(c._epoch, c._ptr)) throw releasedError();
  return arena.view(c._ptr, c.size);
}

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
 * How {@link tensor} reads flat entries given with a shape.
 * @category Tensors
 */
export interface TensorOptions {
  /**
   * `'row'` (default): row by row, last index fastest, as NumPy, PyTorch, tfjs and ml-matrix
   * read flat data. `'col'`: column-major storage (first index fastest, the layout of
   * {@link Tensor.data}), taken as is: a Float64Array becomes the tensor's storage without a
   * copy, so it must not be written to afterwards.
   */
  order?: "row" | "col";
}

/**
 * Makes a tensor from a number, nested arrays (row by row), or a flat array/typed array of
 * entries with an explicit `shape`. Flat entries are read **row by row** (row-major, last
 * index fastest) as in NumPy; `{ order: 'col' }` takes column-major storage (the layout of
 * `.data`) as is, without a copy for a Float64Array. (`reshape` and `vec` are column-major:
 * vec stacks columns.)
 *
 * @example
 * ```ts
 * tensor(3);                                   // scalar
 * tensor([[1, 2, 3], [4, 5, 6]]).shape;        // [2, 3]
 * tensor([1, 2, 3, 4, 5, 6], [2, 3]);          // the same matrix, read row by row
 * tensor(new Float64Array([1, 4, 2, 5, 3, 6]), [2, 3], { order: "col" }); // the same matrix, from column-major storage
 * ```
 * @category Tensors
 */
export function tensor(value: TensorLike | ArrayLike<number>, shape?: readonly number[], opts?: TensorOptions): Tensor {
  checkOptions("tensor", opts, TENSOR_OPTIONS);
  if (shape !== undefined) checkShape("tensor", shape);
  return makeTensor("tensor", value, shape, opts);
}

const TENSOR_OPTIONS = { order: oneOf("row", "col") };

function makeTensor(op: string, value: TensorLike | ArrayLike<number>, shape?: readonly number[], opts?: TensorOptions): Tensor {
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
    // Only an explicit 'col' shares the caller's array: everywhere else a tensor owns a copy.
    if (opts?.order === "col" && src instanceof Float64Array) return new Tensor(s, src);
    const byRow = opts?.order !== "col" && s.length >= 2;
    const data = new Float64Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (typeof v !== "number") throw new DTypeError(op, `entry ${i} is ${typeof v}, not a number`);
      data[i] = v;
    }
    return byRow ? rowMajorToColumn(data, s) : new Tensor(s, data);
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

/** The shape of every scalar made from a number (shapes are never written to). */
const SCALAR: Shape = [];

/**
 * Scalar tensors of the numbers ops were given last (`x.mul(0.5)` in a loop): tensors are
 * immutable, so one tensor can stand for a number everywhere, and inside a transform it is
 * then copied into the arena once per call instead of once per use (and kept once as a
 * residual instead of once per staged equation). A few entries, replaced round-robin; 0 is
 * not cached, so −0 never stands for +0.
 */
const NUM_CACHE = 8;
const numKeys = new Float64Array(NUM_CACHE);
const numVals: (Tensor | undefined)[] = new Array<Tensor | undefined>(NUM_CACHE).fill(undefined);
let numNext = 0;

function scalarOf(x: number): Tensor {
  if (x !== 0) {
    for (let i = 0; i < NUM_CACHE; i++) if (numKeys[i] === x) return numVals[i]!;
  }
  const buf = new Float64Array(1);
  buf[0] = x;
  const t = new Tensor(SCALAR, buf);
  // NaN never compares equal, so it is never found: not worth a slot.
  if (x !== 0 && x === x) {
    numKeys[numNext] = x;
    numVals[numNext] = t;
    numNext = (numNext + 1) % NUM_CACHE;
  }
  return t;
}

/**
 * The number `t` was made from when `t` is one of the cached scalars of numbers given to ops
 * (`x.mul(0.999)`), 0 otherwise (also for numbers whose magnitude is outside [2⁻³², 2³²], or
 * not finite). Such a tensor is a constant of the program text, never an input: jit copies its
 * inputs into fresh tensors, so a backward pass may fold its value into a JavaScript number
 * (see `Primitive.linearScale`) and a replay still computes the same thing. An evicted scalar
 * reads as 0: the caller then takes its ordinary path. @internal
 */
export function literalScalar(t: Tensor): number {
  for (let i = 0; i < NUM_CACHE; i++) {
    if (numVals[i] === t) {
      const x = numKeys[i]!;
      const m = Math.abs(x);
      return m >= 2 ** -32 && m <= 2 ** 32 ? x : 0;
    }
  }
  return 0;
}

/** Converts an op argument to a Tensor. @internal */
export function asTensor(x: TensorLike, op = "op"): Tensor {
  if (x instanceof Tensor) {
    if (!x._alive()) throw releasedError();
    return x;
  }
  if (typeof x === "number") return scalarOf(x);
  if (Array.isArray(x) || x instanceof Float64Array) return makeTensor(op, x);
  throw new DTypeError(op, `expected a Tensor, number or array, got ${x === null ? "null" : typeof x}`);
}

/**
 * A matrix from rows: `matrix([[1, 2], [3, 4]])`. Throws if `rows` is not rank 2.
 * @example
 * ```ts
 * const A = matrix([[1, 2, 3], [4, 5, 6]]);
 * A.shape;       // [2, 3]
 * A.get(1, 0);   // 4  (row 1, column 0)
 * ```
 * @category Tensors
 */
export function matrix(rows: readonly (readonly number[])[]): Tensor {
  const t = makeTensor("matrix", rows);
  if (t.rank !== 2) throw new ShapeError("matrix", "expects an array of rows", [t.shape]);
  return t;
}

/**
 * A vector (rank 1) from an array or any array-like of numbers (e.g. a Float64Array).
 * @example
 * ```ts
 * vector([1, 2, 3]).shape;                       // [3]
 * vector(new Float64Array([1, 2])).toArray();    // [1, 2]
 * ```
 * @category Tensors
 */
export function vector(values: ArrayLike<number>): Tensor {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new DTypeError("vector", `expects an array or array-like of numbers, got ${values === null ? "null" : typeof values}`);
  }
  return makeTensor("vector", values, [values.length]);
}

/**
 * A rank-0 tensor.
 * @example
 * ```ts
 * const s = scalar(2);
 * s.shape;    // []
 * s.item();   // 2
 * ```
 * @category Tensors
 */
export function scalar(value: number): Tensor {
  if (typeof value !== "number") throw new DTypeError("scalar", `expects a number, got ${Array.isArray(value) ? "an array" : typeof value}`);
  return makeTensor("scalar", value);
}

/**
 * A tensor of one repeated value.
 * @example
 * ```ts
 * full([2, 2], 7).toArray();   // [[7, 7], [7, 7]]
 * ```
 * @category Tensors
 */
export function full(shape: readonly number[], value: number): Tensor {
  return fullOf("full", shape, value);
}

function fullOf(op: string, shape: readonly number[], value: number): Tensor {
  const s = checkShape(op, shape);
  if (typeof value !== "number") throw new DTypeError(op, `the value must be a number, got ${typeof value}`);
  const d = new Float64Array(checkSize(op, s));
  if (value !== 0) d.fill(value);
  return new Tensor(s, d);
}

/**
 * Zeros of the given shape.
 * @example
 * ```ts
 * zeros([2, 3]).toArray();   // [[0, 0, 0], [0, 0, 0]]
 * ```
 * @category Tensors
 */
export function zeros(shape: readonly number[]): Tensor {
  return fullOf("zeros", shape, 0);
}

/**
 * Ones of the given shape.
 * @example
 * ```ts
 * ones([3]).toArray();   // [1, 1, 1]
 * ```
 * @category Tensors
 */
export function ones(shape: readonly number[]): Tensor {
  return fullOf("ones", shape, 1);
}

/**
 * The n×m identity (m defaults to n).
 * @example
 * ```ts
 * eye(2).toArray();      // [[1, 0], [0, 1]]
 * eye(2, 3).toArray();   // [[1, 0, 0], [0, 1, 0]]
 * ```
 * @category Tensors
 */
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
 * X.shape;                                       // [3, 2]
 * randn([4], { seed: 1 }).data;                  // the same four numbers on every call
 * ```
 * @category Tensors
 */
export function randn(shape: readonly number[], opts: { seed?: number } = {}): Tensor {
  checkOptions("randn", opts, { seed: finite() });
  const s = checkShape("randn", shape);
  const n = checkSize("randn", s);
  const next = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
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


// ---- storage: the bridge between tensors and kernel memory ----

/** Arena pointer of a concrete tensor's entries, copying JS-owned data in once per scope. @internal */
export function ptrOf(t: Tensor): number {
  const arena = rt().arena;
  // A resident copy first: its test is one comparison, `live` may look up a retired epoch.
  if (t._resGen === arena.residentGen) return t._resPtr;
  if (arena.live(t._epoch, t._ptr)) return t._ptr;
  if (!t._buf) throw releasedError();
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
  if (!t._buf && !rt().arena.live(t._epoch, t._ptr)) throw releasedError();
  const r = new Tensor(shape, t._buf, t._ptr, t._epoch);
  r._resPtr = t._resPtr;
  r._resGen = t._resGen;
  // The same entries in the same order: still diag(w)·B when read in B's shape (vmap reshapes
  // a batch on its way between a row scaling and the product).
  r._rowScaled = t._rowScaled;
  return r;
}

/** Copies an arena-backed tensor's entries into JS-owned memory so it outlives the scope. @internal */
export function materialize(t: Tensor): void {
  if (readHook.onRead) readHook.onRead(t);
  t._rowScaled = null; // leaving the call: hold no other value alive
  if (t._buf) return;
  const n = t.size;
  const buf = jsStorage(n);
  if (n <= SMALL_COPY) {
    // A subarray view and a `set` call cost more than the copy for a few entries.
    const arena = rt().arena;
    if (!arena.live(t._epoch, t._ptr)) throw releasedError();
    const f64 = arena.f64Range(t._ptr, t._ptr + 8 * n), p = t._ptr >>> 3;
    for (let i = 0; i < n; i++) buf[i] = f64[p + i]!;
  } else {
    copyArenaInto(t, buf, 0);
  }
  t._buf = buf;
}

/** Copies an arena-backed tensor's entries into `dst` from entry `at` on. */
function copyArenaInto(t: Tensor, dst: Float64Array, at: number): void {
  const arena = rt().arena;
  if (!arena.live(t._epoch, t._ptr)) throw releasedError();
  dst.set(arena.view(t._ptr, t.size), at);
}

/**
 * Copies the entries of `t` (arena or JS memory) into `dst` from entry `at` on: a block of a
 * result the caller assembles in JS memory (storage from {@link jsStorage}), instead of
 * copying the block out and then the whole out again. @internal
 */
export function copyInto(t: Tensor, dst: Float64Array, at: number): void {
  if (readHook.onRead) readHook.onRead(t);
  if (t._buf) dst.set(t._buf, at);
  else copyArenaInto(t, dst, at);
}

/** Storage made ahead by prepareStorage, by entries (taken by the next result of that size). */
const prepared = new Map<number, Float64Array>();
/** Results smaller than this are not worth readying ahead. */
const PREPARE_MIN_ENTRIES = 2 ** 16;

/**
 * Makes the JS storage of a result of `n` entries ahead of its copy out of the arena, its
 * pages touched: a fresh allocation's page faults are most of a large copy out's time, and a
 * caller that runs while a worker does (src/wasm/tape.ts) does this out of the call's serial
 * end. At most a few sizes are kept. @internal
 */
export function prepareStorage(n: number): void {
  if (n < PREPARE_MIN_ENTRIES || prepared.has(n)) return;
  if (prepared.size >= 4) prepared.clear();
  const buf = new Float64Array(n);
  for (let i = 0; i < n; i += 512) buf[i] = 0;
  prepared.set(n, buf);
}

/** Entries up to which a copy out of the arena is a plain loop. */
const SMALL_COPY = 16;

/**
 * Results up to this many entries share their JS storage eight to an ArrayBuffer: allocating
 * an ArrayBuffer has a fixed cost comparable to a small kernel (most of what a 32×32 matmul
 * call spends outside its GEMM), and a result's storage is never handed out (`data` copies),
 * so sharing is invisible. Eight per buffer bounds the memory a kept result can hold alive
 * to eight times its own, and only for small results.
 */
const SHARED_MAX_ENTRIES = 1024;
const PER_SHARED = 8;
/** Entries of the largest Float64Array V8 allocates on its heap (`typed_array_max_size_in_heap`, 64 bytes). */
const ON_HEAP_ENTRIES = 8;
/** Per size: the shared buffer being filled and its next free entry. */
const sharedStorage = new Map<number, { buf: ArrayBuffer; next: number; end: number }>();

/**
 * JS-owned storage for `n` entries (contents unspecified): the storage made ahead by
 * {@link prepareStorage}, if any. @internal
 */
export function jsStorage(n: number): Float64Array {
  // Up to 64 bytes V8 keeps a typed array's storage in the object itself: no ArrayBuffer to
  // amortize, and cheaper than a view into a shared one.
  if (n > SHARED_MAX_ENTRIES || n <= ON_HEAP_ENTRIES) {
    const ready = prepared.get(n);
    if (ready !== undefined) {
      prepared.delete(n);
      return ready;
    }
    return new Float64Array(n);
  }
  let s = sharedStorage.get(n);
  // `end` rather than the buffer's byteLength: that getter is a builtin call.
  if (s === undefined || s.next === s.end) {
    s = { buf: new ArrayBuffer(n * 8 * PER_SHARED), next: 0, end: n * 8 * PER_SHARED };
    sharedStorage.set(n, s);
  }
  // The constructor on the buffer, not `subarray` of a view (which looks up a species
  // constructor first).
  const v = new Float64Array(s.buf, s.next, n);
  s.next += n * 8;
  return v;
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

/**
 * {@link scoped} for an op's lean eager path: `fn(a, b, c)` (one result, no closure made per
 * call) as a top-level call of its own, its result copied out; null, without running `fn`, when
 * a call is running (inside it results stay in the arena: the caller binds as usual). The caller
 * checked that nothing traces the operands (`untraced`). @internal
 */
export function topLevelCall<A, B, C>(fn: (a: A, b: B, c: C) => Tensor, a: A, b: B, c: C): Tensor | null {
  const arena = rt().arena;
  if (arena.active) return null;
  arena.enter();
  try {
    const out = fn(a, b, c);
    materialize(out);
    return out;
  } finally {
    arena.exit(); // the outermost scope: releases the arena, after an error too
  }
}

/** Whether a top-level call's scope is open (kernel outputs made now stay in the arena). @internal */
export function inScope(): boolean {
  return rt().arena.active;
}

/** Materializes every Tensor in a tree of arrays and plain objects (cycles are visited once). @internal */
export function materializeTree(x: unknown, seen?: Set<unknown>): void {
  if (x instanceof Tensor) {
    materialize(x._concrete());
  } else if (seen === undefined && Array.isArray(x) && x.length === 1 && x[0] instanceof Tensor) {
    // Every eager op's result ([out]): no cycle to guard against, so no Set per call.
    materialize(x[0]._concrete());
  } else if (Array.isArray(x) || (x !== null && typeof x === "object" && [Object.prototype, null].includes(Object.getPrototypeOf(x)))) {
    // Plain objects as ad/pytree.ts reads them: null-prototype ones too.
    seen ??= new Set();
    if (seen.has(x)) return;
    seen.add(x);
    for (const v of Array.isArray(x) ? x : Object.values(x as object)) materializeTree(v, seen);
  }
}
