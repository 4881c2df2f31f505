// Structural primitives: they move entries without arithmetic, so all are linear and each
// one's transpose is another structural op (reshape ↔ reshape, transpose ↔ transpose,
// slice ↔ pad, concat ↔ slices, diagPart ↔ diagEmbed).
import { bind, bind1, primitive, type Lin, type Primitive } from "../core/primitive.js";
import { allocTensor, asTensor, ops, ptrOf, storage, withShape, type Tensor, type TensorLike } from "../core/tensor.js";
import { checkShape, sameShape, sizeOf, type Shape } from "../core/shape.js";
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { addBoxInto, copyBox, fillK, kernels, zerosOf } from "../core/exec.js";
import { permute } from "./permute.js";
import { basisScale, basisStart, markBasis } from "../core/basis.js";

// ---- reshape (column-major: vec is free) ----

interface ShapeParams {
  shape: Shape;
}

export const reshape_p: Primitive<ShapeParams> = primitive<ShapeParams>({
  name: "reshape",
  shape: ([s], { shape }) => {
    if (sizeOf(s!) !== sizeOf(shape)) {
      throw new ShapeError("reshape", `cannot reshape ${sizeOf(s!)} entries to ${fmtShape(shape)}`, [s!]);
    }
    return [shape];
  },
  impl: ([x], { shape }) => [withShape(x!, shape)],
  jvp: ([t], _p, _o, { shape }) => [reshape(t!, shape)],
  transpose: ([ct], [x]) => [reshape(ct!, x!.shape)],
  // Batch axis last = slowest: reshaping each member is reshaping the whole.
  // A basis chunk stays one under reshape: vec order, hence each member's one-hot, is kept.
  batch: ([x], _b, { shape }, size) => {
    const r = reshape(x!, [...shape, size]);
    const s = basisStart(x!);
    return [s === undefined ? r : markBasis(r, s, basisScale(x!))];
  },
});

/**
 * The same entries under a new shape, read in **column-major** order (as MATLAB, Julia and
 * Fortran do), so `reshape(X, [m * n])` is `vec(X)`. One extent may be -1 (inferred). Free.
 * @example
 * ```ts
 * reshape(matrix([[1, 2], [3, 4]]), [4]).toArray();          // [1, 3, 2, 4]  (= vec)
 * reshape(vector([1, 2, 3, 4, 5, 6]), [2, -1]).toArray();    // [[1, 3, 5], [2, 4, 6]]
 * ```
 * @category Shape and structure
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, "reshape");
  let s = [...(Array.isArray(shape) ? shape : checkShape("reshape", shape))];
  const infer = s.indexOf(-1);
  if (infer >= 0 && s.indexOf(-1, infer + 1) >= 0) throw new ShapeError("reshape", `at most one extent may be -1, got ${fmtShape(shape)}`, [t.shape]);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (rest === 0 || t.size % rest !== 0) throw new ShapeError("reshape", `cannot infer -1 in ${fmtShape(shape)}`, [t.shape]);
    s[infer] = t.size / rest;
  }
  s = [...checkShape("reshape", s)];
  if (s.length === t.rank && s.every((d, i) => d === t.shape[i])) return t;
  return bind1(reshape_p, [t], { shape: s });
}

/**
 * vec(X): the columns of X stacked into one vector (free in column-major storage).
 * @example
 * ```ts
 * vec(matrix([[1, 2], [3, 4]])).toArray();   // [1, 3, 2, 4]
 * ```
 * @category Shape and structure
 */
export function vec(x: TensorLike): Tensor {
  const t = asTensor(x, "vec");
  return reshape(t, [t.size]);
}

// ---- transpose ----

type NoParams = Record<string, never>;

export const transpose_p: Primitive<NoParams> = primitive<NoParams>({
  name: "transpose",
  shape: ([s]) => {
    if (s!.length !== 2) throw new ShapeError("transpose", "expects a matrix", [s!]);
    return [[s![1]!, s![0]!]];
  },
  impl: ([x]) => {
    const [m, n] = x!.shape as [number, number];
    const px = ptrOf(x!);
    const out = allocTensor([n, m], "transpose");
    kernels().transpose(m, n, px, out._ptr);
    return [out];
  },
  jvp: ([t]) => [transpose(t!)],
  transpose: ([ct]) => [transpose(ct!)],
  batch: ([x]) => [permute(x!, [1, 0, 2])],
  // Low-rank batches (ad/basis.ts): (UVᵀ)ᵀ = VUᵀ.
  lowRank: (_v, [lr]) => (lr === undefined ? undefined : { u: lr.v, v: lr.u }),
});

/**
 * Matrix transpose; vectors and scalars are returned unchanged (as NumPy's `.T`).
 * @example
 * ```ts
 * transpose([[1, 2], [3, 4]]).toArray();   // [[1, 3], [2, 4]]
 * transpose([[1, 2, 3]]).shape;            // [3, 1]
 * transpose([1, 2]).shape;                 // [2]  (unchanged)
 * ```
 * @category Shape and structure
 */
export function transpose(x: TensorLike): Tensor {
  const t = asTensor(x, "transpose");
  if (t.rank < 2) return t;
  if (t.rank > 2) throw new ShapeError("transpose", "expects a matrix, vector or scalar", [t.shape]);
  // A row or column vector's transpose is a free reshape in column-major storage.
  if (t.shape[0] === 1 || t.shape[1] === 1) return reshape(t, [t.shape[1]!, t.shape[0]!]);
  return bind1(transpose_p, [t], {});
}

// ---- slice and pad ----

interface BoxParams {
  start: readonly number[];
  /** slice: the extents taken; pad: the full output shape. */
  shape: Shape;
}

export const slice_p: Primitive<BoxParams> = primitive<BoxParams>({
  name: "slice",
  shape: ([s], { start, shape }) => {
    if (start.length !== s!.length || shape.length !== s!.length) {
      throw new ShapeError("slice", `start/size need ${s!.length} entries`, [s!]);
    }
    for (let d = 0; d < s!.length; d++) {
      if (!Number.isInteger(start[d]) || !Number.isInteger(shape[d])) {
        throw new ShapeError("slice", `box start ${fmtShape(start)} size ${fmtShape(shape)} must be whole numbers`, [s!]);
      }
      if (start[d]! < 0 || shape[d]! < 0 || start[d]! + shape[d]! > s![d]!) {
        throw new ShapeError("slice", `box start ${fmtShape(start)} size ${fmtShape(shape)} exceeds the tensor`, [s!]);
      }
    }
    return [shape];
  },
  impl: ([x], { start, shape }) => {
    // The whole tensor (a Jacobian chunk that takes every basis direction): shared, as reshape shares.
    if (start.every((d) => d === 0) && sameShape(shape, x!.shape)) return [withShape(x!, shape)];
    const out = allocTensor(shape, "slice");
    copyBox(x!, start, shape, out, zerosOf(shape.length));
    return [out];
  },
  jvp: ([t], _p, _o, params) => [bind1(slice_p, [t!], params)],
  transpose: ([ct], [x], _l, { start }) => [bind1(pad_p, [ct!], { start, shape: x!.shape })],
  // pad without the padding: a loop that takes one row per step adds one row per step.
  transposeInto: (ct, into, { start }, fresh) => (fresh ? copyBox(ct, zerosOf(ct.shape.length), ct.shape, into, start) : addBoxInto(ct, into, start)),
  batch: ([x], _b, { start, shape }, size) => [bind1(slice_p, [x!], { start: [...start, 0], shape: [...shape, size] })],
});

export const pad_p: Primitive<BoxParams> = primitive<BoxParams>({
  name: "pad",
  shape: ([s], { start, shape }) => {
    for (let d = 0; d < shape.length; d++) {
      if (start[d]! < 0 || start[d]! + s![d]! > shape[d]!) throw new ShapeError("pad", "box exceeds the output", [s!, shape]);
    }
    return [shape];
  },
  impl: ([x], { start, shape }) => {
    const out = fillK(shape, 0, "pad");
    copyBox(x!, zerosOf(x!.shape.length), x!.shape, out, start);
    return [out];
  },
  jvp: ([t], _p, _o, params) => [bind1(pad_p, [t!], params)],
  transpose: ([ct], [x], _l, { start }) => [bind1(slice_p, [ct!], { start, shape: x!.shape })],
  batch: ([x], _b, { start, shape }, size) => [bind1(pad_p, [x!], { start: [...start, 0], shape: [...shape, size] })],
});

/**
 * A contiguous box: `start` per dimension and `size` per dimension (-1 = to the end).
 * @example
 * ```ts
 * slice(matrix([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]).toArray(); // [[2, 3], [5, 6]]
 * ```
 * @category Shape and structure
 */
export function slice(x: TensorLike, start: readonly number[], size?: readonly number[]): Tensor {
  const t = asTensor(x, "slice");
  if (!Array.isArray(start)) throw new DTypeError("slice", "start must be an array of indices, one per dimension");
  if (size !== undefined && !Array.isArray(size)) throw new DTypeError("slice", "size must be an array of extents (−1: to the end) or omitted");
  const sz = t.shape.map((d, i) => {
    const want = size?.[i] ?? -1;
    return want === -1 ? d - (start[i] ?? 0) : want;
  });
  return bind1(slice_p, [t], { start: [...start], shape: sz });
}

// ---- concat ----

interface AxisParams {
  axis: number;
}

export const concat_p: Primitive<AxisParams> = primitive<AxisParams>({
  name: "concat",
  shape: (shapes, { axis }) => {
    const first = shapes[0]!;
    let total = 0;
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
        throw new ShapeError("concat", `shapes differ off axis ${axis}`, shapes);
      }
      total += s[axis]!;
    }
    return [first.map((d, i) => (i === axis ? total : d))];
  },
  impl: (xs, { axis }) => {
    const shape = xs[0]!.shape.map((d, i) => (i === axis ? xs.reduce((n, x) => n + x.shape[axis]!, 0) : d));
    const out = allocTensor(shape, "concat");
    let offset = 0;
    for (const x of xs) {
      copyBox(x, zerosOf(x.shape.length), x.shape, out, shape.map((_, i) => (i === axis ? offset : 0)));
      offset += x.shape[axis]!;
    }
    return [out];
  },
  jvp: (ts, xs, _o, params) => [bind1(concat_p, ts.map((t, i) => t ?? ops().zerosLike(xs[i]!)), params)],
  transpose: ([ct], xs, linear, { axis }) => {
    let offset = 0;
    return xs.map((x, i): Lin => {
      const start = x.shape.map((_, d) => (d === axis ? offset : 0));
      offset += x.shape[axis]!;
      return linear[i] ? bind1(slice_p, [ct!], { start, shape: x.shape }) : null;
    });
  },
  batch: (xs, batched, params, size) =>
    [bind1(concat_p, xs.map((x, i) => (batched[i] ? x : ops().broadcastTo(reshape(x, [...x.shape, 1]), [...x.shape, size]))), params)],
});

/**
 * Joins tensors along an existing `axis` (default 0).
 * @example
 * ```ts
 * concat([vector([1]), vector([2, 3])]).toArray();                    // [1, 2, 3]
 * concat([matrix([[1, 2]]), matrix([[3, 4]])]).toArray();             // [[1, 2], [3, 4]]
 * concat([matrix([[1], [2]]), matrix([[3], [4]])], 1).toArray();      // [[1, 3], [2, 4]]
 * ```
 * @category Shape and structure
 */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs)) throw new DTypeError("concat", "expects an array of tensors");
  const ts = xs.map((x) => asTensor(x, "concat"));
  if (ts.length === 0) throw new ShapeError("concat", "needs at least one tensor");
  const rank = ts[0]!.rank;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError("concat", `axis ${axis} out of range for rank ${rank}`, ts.map((t) => t.shape));
  return ts.length === 1 ? ts[0]! : bind(concat_p, ts, { axis: a })[0]!;
}

// ---- diagonals ----
// Both accept an optional trailing batch axis ([m, n, s] ↔ [k, s]), which is their batch rule.

interface DiagParams {
  m: number;
  n: number;
}

function batchOf(shape: Shape, base: number): number {
  return shape.length > base ? shape[base]! : 1;
}

export const diagPart_p: Primitive<NoParams> = primitive<NoParams>({
  name: "diag",
  shape: ([s]) => {
    if (s!.length !== 2 && s!.length !== 3) throw new ShapeError("diag", "expects a matrix or a vector", [s!]);
    const k = Math.min(s![0]!, s![1]!);
    return [s!.length === 3 ? [k, s![2]!] : [k]];
  },
  impl: ([x]) => {
    const [m, n] = x!.shape as [number, number];
    const b = batchOf(x!.shape, 2);
    const k = Math.min(m, n);
    const out = allocTensor(x!.rank === 3 ? [k, b] : [k], "diag");
    const src = storage(x!);
    const dst = storage(out);
    for (let t = 0; t < b; t++) for (let i = 0; i < k; i++) dst[i + k * t] = src[i + i * m + m * n * t]!;
    return [out];
  },
  jvp: ([t]) => [bind1(diagPart_p, [t!], {})],
  transpose: ([ct], [x]) => [bind1(diagEmbed_p, [ct!], { m: x!.shape[0]!, n: x!.shape[1]! })],
  batch: ([x], _b, _p, size) => {
    if (x!.rank === 3) return [bind1(diagPart_p, [x!], {})];
    // Already batched once (nested vmap): fold the two batch axes into one and back.
    const [m, n, s1] = x!.shape as [number, number, number];
    const k = Math.min(m, n);
    return [reshape(bind1(diagPart_p, [reshape(x!, [m, n, s1 * size])], {}), [k, s1, size])];
  },
});

export const diagEmbed_p: Primitive<DiagParams> = primitive<DiagParams>({
  name: "diag",
  shape: ([s], { m, n }) => {
    const k = Math.min(m, n);
    if ((s!.length !== 1 && s!.length !== 2) || s![0] !== k) throw new ShapeError("diag", "expects a vector", [s!]);
    return [s!.length === 2 ? [m, n, s![1]!] : [m, n]];
  },
  impl: ([d], { m, n }) => {
    const b = batchOf(d!.shape, 1);
    const k = Math.min(m, n);
    const out = fillK(d!.rank === 2 ? [m, n, b] : [m, n], 0, "diag");
    const src = storage(d!);
    const dst = storage(out);
    for (let t = 0; t < b; t++) for (let i = 0; i < k; i++) dst[i + i * m + m * n * t] = src[i + k * t]!;
    return [out];
  },
  jvp: ([t], _p, _o, params) => [bind1(diagEmbed_p, [t!], params)],
  transpose: ([ct]) => [bind1(diagPart_p, [ct!], {})],
  batch: ([d], _b, params, size) => {
    if (d!.rank === 2) return [bind1(diagEmbed_p, [d!], params)];
    const [k, s1] = d!.shape as [number, number, number];
    return [reshape(bind1(diagEmbed_p, [reshape(d!, [k, s1 * size])], params), [params.m, params.n, s1, size])];
  },
});

// ---- basis chunks (jacobian's and hessian's seeds) ----

interface BasisParams {
  /** Entries of the vec the identity is over. */
  k: number;
  start: number;
  count: number;
}

/**
 * Columns start … start+count−1 of the k×k identity, made in the arena by two kernel calls (a
 * fill and a strided write of the ones): a chunk of a thousand directions over a thousand
 * inputs is 8 MB, which as fresh JavaScript storage cost page faults and a copy in on every
 * call (bench/NOTES.md, "Basis chunks in the arena"), and kernel calls are what a taped chunk
 * and a jit replay repeat. No inputs, so no derivative or batch rule is ever asked of it.
 */
export const basisColumns_p: Primitive<BasisParams> = primitive<BasisParams>({
  name: "basisColumns",
  shape: (_s, { k, count }) => [[k, count]],
  impl: (_a, { k, start, count }) => {
    const out = fillK([k, count], 0, "jacobian");
    if (count > 0) {
      const one = fillK([1], 1, "jacobian");
      kernels().axpy(count, 1, one._ptr, 0, out._ptr + 8 * start, k + 1);
    }
    return [out];
  },
  jvp: () => {
    throw new Error("matcalc: internal: basisColumns has no inputs, so no tangents");
  },
});

/**
 * The dense basis chunk: columns start … start+count−1 of the identity on vec of `shape`,
 * batched (shape + [count], batch axis last) and marked (core/basis.ts).
 */
export function basisChunk(shape: readonly number[], start: number, count: number): Tensor {
  const k = sizeOf(shape);
  const cols = bind1(basisColumns_p, [], { k, start, count });
  return markBasis(shape.length === 1 ? cols : reshape(cols, [...shape, count]), start);
}

/**
 * A matrix's diagonal as a vector, or a vector as a diagonal matrix (as NumPy's `diag`).
 * @example
 * ```ts
 * diag([[1, 2], [3, 4]]).toArray();   // [1, 4]
 * diag([1, 2]).toArray();             // [[1, 0], [0, 2]]
 * ```
 * @category Shape and structure
 */
export function diag(x: TensorLike): Tensor {
  const t = asTensor(x, "diag");
  // Rank 3 is the primitives' batched form, not part of the public op.
  if (t.rank !== 1 && t.rank !== 2) throw new ShapeError("diag", "expects a matrix or a vector", [t.shape]);
  if (t.rank === 1) return bind1(diagEmbed_p, [t], { m: t.size, n: t.size });
  return bind1(diagPart_p, [t], {});
}
