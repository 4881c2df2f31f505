// Runs kernels on concrete tensors: the only place that turns tensors into pointers.
// Every function here is called from a primitive's `impl`, i.e. inside an arena scope with
// shapes already validated by the primitive's shape rule.
import { Tensor, allocTensor, ptrOf } from "./tensor.js";

const ONE = new Tensor([], new Float64Array([1]));
import { broadcastStrides, collapse, denseStrides, sameShape, sizeOf, type Shape } from "./shape.js";
import { rt } from "../wasm/module.js";
import { tapeAdd, tapeCopy, tapeMirror, taping } from "../wasm/tape.js";
import { addRun, copyRun, mirrorSquare } from "../wasm/memruns.js";
import type { BinaryOp, UnaryOp } from "../wasm/kernels.js";

export function kernels() {
  return rt().kernels;
}

export function unaryK(op: UnaryOp, x: Tensor, name: string): Tensor {
  // Output first: an allocation that cannot succeed fails before any input is copied in.
  const out = allocTensor(x.shape, name);
  kernels().unary(op, x.size, ptrOf(x), out._ptr);
  return out;
}

/** out = a ∘ b with NumPy broadcasting to `shape` (the caller computed it). */
export function binaryK(op: BinaryOp, a: Tensor, b: Tensor, shape: Shape, name: string): Tensor {
  const out = allocTensor(shape, name);
  const pa = ptrOf(a);
  const pb = ptrOf(b);
  const n = out.size;
  if (n === 0) return out;
  const arena = rt().arena;
  // The common cases need no stride tables: each side either fills the output or is a single
  // entry stretched over it (a scalar operand; broadcastTo of a scalar, every gradient's seed).
  const sa = a.size === n ? UNIT : a.size === 1 ? ZERO : null;
  const sb = b.size === n ? UNIT : b.size === 1 ? ZERO : null;
  if (sa !== null && sb !== null) {
    const [ps, psa, psb] = arena.setParams(LEN1(n), sa, sb);
    kernels().binary(op, 1, ps, pa, psa, pb, psb, out._ptr);
    return out;
  }
  const c = collapse(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  const [ps, psa, psb] = arena.setParams(c.shape, c.strides[0]!, c.strides[1]!);
  kernels().binary(op, c.shape.length, ps, pa, psa, pb, psb, out._ptr);
  return out;
}

const UNIT = [1];
const ZERO = [0];
const len1: number[] = [0];
function LEN1(n: number): number[] {
  len1[0] = n;
  return len1;
}

/**
 * Makes the n × n column-major matrix at arena pointer `ptr` symmetric by copying one triangle
 * onto the other: from "upper", each entry below the diagonal is set from its mirror above it;
 * from "lower", the reverse. For products computed on one side only (gram.ts, triangle.ts).
 */
export function mirrorTriangle(ptr: number, n: number, from: "upper" | "lower"): void {
  if (tapeMirror(ptr, n, from === "upper")) return;
  mirrorSquare(rt().arena.f64Range(ptr, ptr + 8 * n * n), ptr >>> 3, n, from === "upper");
}

/** Below this many columns (two micro-tiles) gemmUpper skips too little to pay; from 8 on it does. */
export const GRAM_MIN_COLUMNS = 8;

/**
 * The n × n product Aᵀ·B at `pc` (A, B column-major k × n with leading dimensions lda, ldb)
 * when it is known to be symmetric (B = diag(d)·A): the upper triangle by gemmUpper, about half
 * a GEMM, then a mirror copy. For eager products (ops/matmul) and jit's gram pass alike.
 */
export function gramUpperK(n: number, k: number, pa: number, lda: number, pb: number, ldb: number, pc: number): void {
  kernels().gemmUpper(1, 0, n, k, 1, pa, lda, pb, ldb, 0, pc, n);
  mirrorTriangle(pc, n, "upper");
}

/**
 * Independent products C ← α·op(A)·op(B) + β·C, each given as gemm's 13 arguments (none
 * writes what another reads or writes): a batch's members, or column ranges of one product.
 * With threads they are one job of the pool (the members land on different workers, each
 * computed by the same call as alone, so the bits do not depend on the thread count); else
 * they run in turn.
 */
export function gemmsK(calls: readonly (readonly number[])[]): void {
  const r = rt();
  if (r.pool !== null) {
    r.pool.gemms(calls);
    return;
  }
  const K = r.kernels;
  for (const c of calls) K.gemm(c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!);
}

export function fillK(shape: Shape, v: number, name: string): Tensor {
  const out = allocTensor(shape, name);
  kernels().fill(out.size, v, out._ptr);
  return out;
}

/**
 * Calls `run(f64, srcOffset, dstOffset, length)` (offsets into the arena's float64 view) for every
 * run of a box of extents `size`, at `srcStart` in `src` and `dstStart` in `dst`, both dense
 * column-major, in column-major order: a run is as many consecutive entries of the box as lie
 * contiguously in both tensors. The one walk behind copyBox and addBoxInto.
 */
function walkBox(
  src: Tensor, srcStart: readonly number[], size: readonly number[], dst: Tensor, dstStart: readonly number[],
  run: (f64: Float64Array, so: number, dof: number, len: number) => void,
): void {
  const rank = size.length;
  if (sizeOf(size) === 0) return;
  const ps = ptrOf(src) >>> 3;
  const pd = ptrOf(dst) >>> 3;
  // A taped chunk's runs go on its tape (run gets no view then): reading the view would first
  // run the tape so far.
  const lo = 8 * Math.min(ps, pd), hi = 8 * Math.max(ps + src.size, pd + dst.size);
  const f64 = taping() ? NO_VIEW : rt().arena.f64Range(lo, hi);
  if (rank === 0) {
    run(f64, ps, pd, 1);
    return;
  }
  const ss = denseStrides(src.shape);
  const ds = denseStrides(dst.shape);
  // The box's corner, and the dimensions it spans (extent > 1; the others only offset it).
  let so0 = ps, do0 = pd;
  const ext: number[] = [], sstr: number[] = [], dstr: number[] = [];
  for (let d = 0; d < rank; d++) {
    so0 += srcStart[d]! * ss[d]!;
    do0 += dstStart[d]! * ds[d]!;
    if (size[d]! > 1) {
      ext.push(size[d]!);
      sstr.push(ss[d]!);
      dstr.push(ds[d]!);
    }
  }
  // A run: the spanned dimensions, fastest first, while their entries stay contiguous in both
  // tensors (a slice of a row vector, or whole columns, is one run instead of one per entry
  // or per column).
  let len = 1, first = 0;
  while (first < ext.length && sstr[first] === len && dstr[first] === len) len *= ext[first++]!;
  const k = ext.length - first;
  if (k === 0) {
    run(f64, so0, do0, len);
    return;
  }
  const idx = new Array<number>(k).fill(0);
  for (;;) {
    let so = so0, dof = do0;
    for (let d = 0; d < k; d++) {
      so += idx[d]! * sstr[first + d]!;
      dof += idx[d]! * dstr[first + d]!;
    }
    run(f64, so, dof, len);
    let d = 0;
    for (; d < k; d++) {
      if (++idx[d]! < ext[first + d]!) break;
      idx[d] = 0;
    }
    if (d === k) return;
  }
}

/**
 * Copies a box of `src` (start offsets, extents `size`) into a box of `dst` (start offsets),
 * both dense column-major. Runs of the fastest dimension move one copyRun (memruns.ts) each.
 */
const NO_VIEW = new Float64Array(0);

export function copyBox(src: Tensor, srcStart: readonly number[], size: readonly number[], dst: Tensor, dstStart: readonly number[]): void {
  walkBox(src, srcStart, size, dst, dstStart, (f64, so, dof, len) => {
    if (f64 === NO_VIEW) {
      if (tapeCopy(dof * 8, so * 8, len)) return;
      f64 = rt().arena.f64Range(8 * Math.min(dof, so), 8 * (Math.max(dof, so) + len));
    }
    copyRun(f64, dof, so, len);
  });
}

/** Runs at least this long are added by the wasm kernel (axpy) rather than in JavaScript. */
const ADD_RUN_KERNEL = 64;

const zerosAt: number[][] = [];
/** A shared array of `n` zeros (read only): a box's corner at the origin. */
export function zerosOf(n: number): readonly number[] {
  return (zerosAt[n] ??= new Array<number>(n).fill(0));
}

/**
 * dst[dstStart + i] += src[i] over the whole of `src`, in place: the backward pass adds a
 * slice's cotangent into an accumulator it owns instead of padding it to full size first.
 * Each entry is `dst + src`, as the out-of-place `add` computes it.
 */
export function addBoxInto(src: Tensor, dst: Tensor, dstStart: readonly number[]): void {
  walkBox(src, zerosOf(src.shape.length), src.shape, dst, dstStart, (f64, so, dof, len) => {
    if (f64 === NO_VIEW) {
      if (tapeAdd(dof * 8, so * 8, len)) return;
      f64 = rt().arena.f64Range(8 * Math.min(dof, so), 8 * (Math.max(dof, so) + len));
    }
    // A long run through the kernel: dst + 1·src is dst + src, entry for entry (the product
    // by 1 is exact, fused or not).
    if (len >= ADD_RUN_KERNEL) kernels().axpy(len, 1, so * 8, 1, dof * 8, 1);
    else addRun(f64, dof, so, len);
  });
}

/** out = x with its axes permuted: out.shape[i] = x.shape[perm[i]] (a strided copy). */
export function permuteK(x: Tensor, perm: readonly number[], name: string): Tensor {
  const shape = perm.map((p) => x.shape[p]!);
  const out = allocTensor(shape, name);
  const px = ptrOf(x);
  const one = ptrOf(ONE);
  if (out.size === 0) return out;
  const dense = denseStrides(x.shape);
  const c = collapse(shape, [perm.map((p) => dense[p]!), shape.map(() => 0)]);
  // A permutation that collapses to a matrix transpose (vmap moving a batch axis, permute's
  // usual case) takes the blocked transpose kernel: the broadcasting kernel's strided walk
  // reads one entry per cache line there.
  const [s0, s1] = c.shape, st = c.strides[0]!;
  if (c.shape.length === 2 && st[0] === s1 && st[1] === 1) {
    kernels().transpose(s1!, s0!, px, out._ptr);
    return out;
  }
  const [ps, psa, psb] = rt().arena.setParams(c.shape, c.strides[0]!, c.strides[1]!);
  kernels().binary(2 /* Mul */, c.shape.length, ps, px, psa, one, psb, out._ptr);
  return out;
}

// ---- symmetric products Bᵀ·diag(w)·B outside jit ----
// A Hessian over a data matrix (a GLM, least squares) ends in Aᵀ·(w ∘ A): forward-over-reverse
// pushes the basis through A·E = A, scales its rows by per-sample weights and contracts with A
// again. The product is symmetric, so matmul computes its upper triangle (gemmUpper, about half
// the GEMM) and mirrors it, as jit's gram pass does for recorded programs. Here the structure is
// carried on the concrete values: ops that scale whole rows mark their result (`_rowScaled`).

/** Whether `w` scales whole rows of a k-row matrix under broadcasting: one entry or k×1. */
function rowWeights(w: Tensor, k: number): boolean {
  return w.size === 1 || (w.shape.length === 2 && w.shape[0] === k && w.shape[1] === 1);
}

/**
 * Marks `out` = diag(w)·x (x a matrix of out's shape; `w` row weights, or null for a fixed
 * scaling such as negation) as a row scaling of x's own base.
 */
export function markRowScaled(out: Tensor, x: Tensor, w: Tensor | null): void {
  if (out.shape.length !== 2 || !sameShape(x.shape, out.shape)) return;
  if (w !== null && !rowWeights(w, out.shape[0]!)) return;
  const base = x._rowScaled;
  // x's rows are its base's rows only in the base's shape (x may be a reshaped view).
  out._rowScaled = base !== null && sameShape(base.shape, x.shape) ? base : x;
}

/** Whether `b` is diag(w)·a for some w (marked by markRowScaled; views of a count as a). */
export function isRowScaledOf(b: Tensor, a: Tensor): boolean {
  const base = b._rowScaled;
  if (base === null || !sameShape(base.shape, a.shape) || !sameShape(b.shape, a.shape)) return false;
  if (base === a) return true;
  // The same entries: one JS storage, or one arena block of the running call.
  if (base._buf !== null) return base._buf === a._buf;
  return a._buf === null && base._ptr !== 0 && base._ptr === a._ptr && base._epoch === a._epoch;
}
