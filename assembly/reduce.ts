// Reductions: sum, asum, max, nrm2 over a contiguous vector, and sumAxis/maxAxis over the
// middle axis of a dense (pre, len, post) column-major block.
//
// Accuracy. Sums are pairwise above a block of BLOCK elements; inside a block, independent
// lanes (eight as 4 × f64x2 in the SIMD build, four scalars in the scalar build) each add at
// most BLOCK/8 (BLOCK/4) terms. The rounding error is therefore bounded by about
// (BLOCK/4 + log2(n/BLOCK)) · eps · Σ|x| instead of n · eps · Σ|x| for a running sum.
// The block keeps the recursion shallow and cheap: one call per BLOCK elements. sumAxis is
// pairwise along len in both layouts too (see axisSumRange).
//
// max and maxAxis follow Math.max: NaN anywhere gives NaN, and max(-0, +0) = +0. The SIMD
// loops use f64x2.pmax (one maxpd) rather than f64x2.max: V8 lowers the IEEE max to about
// eight dependent instructions, which made a 4-accumulator loop latency-bound at half the
// speed. pmax drops a NaN in its second operand, so the loops also OR together a "saw NaN"
// lane mask. pmax also keeps an accumulator's -0 against a later +0; a result of -0 is
// therefore checked by a rescan for +0 (rare: it needs every value ≤ 0), which measured
// cheaper than tracking a second mask in the loop.

/** Elements summed straight (in 8 lanes) before pairwise combining takes over. */
const BLOCK: i32 = 256;

const OP_SUM: i32 = 0;
const OP_ASUM: i32 = 1;
/** Σ (s·x)²; s is a power of two, so scaling is exact. */
const OP_SUMSQ: i32 = 2;

// @ts-ignore: decorator
@inline function mapScalar(op: i32, v: f64, s: f64): f64 {
  if (op == OP_ASUM) return Math.abs(v);
  if (op == OP_SUMSQ) { const t = v * s; return t * t; }
  return v;
}

// @ts-ignore: decorator
@inline function mapPair(op: i32, v: v128, s: v128): v128 {
  if (op == OP_ASUM) return f64x2.abs(v);
  if (op == OP_SUMSQ) { const t = f64x2.mul(v, s); return f64x2.mul(t, t); }
  return v;
}

// Inlined at call sites with a constant `op`, so each instantiation is one branch-free loop.
// @ts-ignore: decorator
@inline function blockReduce(op: i32, n: i32, x: usize, s: f64): f64 {
  let i = 0;
  let r = 0.0;
  if (ASC_FEATURE_SIMD) {
    const vs = f64x2.splat(s);
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 3);
      a0 = f64x2.add(a0, mapPair(op, v128.load(p), vs));
      a1 = f64x2.add(a1, mapPair(op, v128.load(p, 16), vs));
      a2 = f64x2.add(a2, mapPair(op, v128.load(p, 32), vs));
      a3 = f64x2.add(a3, mapPair(op, v128.load(p, 48), vs));
    }
    for (; i + 2 <= n; i += 2) a0 = f64x2.add(a0, mapPair(op, v128.load(x + (<usize>i << 3)), vs));
    const t = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
    r = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  } else {
    let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 3);
      a0 += mapScalar(op, load<f64>(p), s);
      a1 += mapScalar(op, load<f64>(p, 8), s);
      a2 += mapScalar(op, load<f64>(p, 16), s);
      a3 += mapScalar(op, load<f64>(p, 24), s);
    }
    r = (a0 + a1) + (a2 + a3);
  }
  for (; i < n; i++) r += mapScalar(op, load<f64>(x + (<usize>i << 3)), s);
  return r;
}

/** Leaves before the split: ceil(blocks / 2) whole blocks, so always less than n. */
// @ts-ignore: decorator
@inline function splitAt(n: i32): i32 {
  return ((((n + BLOCK - 1) / BLOCK) + 1) >> 1) * BLOCK;
}

// One recursive driver per op (rather than one taking `op`): with all three leaves in one
// function, Binaryen's code folding merges them back into a single loop that tests `op` on
// every element.
function pairwiseSum(n: i32, x: usize): f64 {
  if (n <= BLOCK) return blockReduce(OP_SUM, n, x, 1.0);
  const h = splitAt(n);
  return pairwiseSum(h, x) + pairwiseSum(n - h, x + (<usize>h << 3));
}

function pairwiseAsum(n: i32, x: usize): f64 {
  if (n <= BLOCK) return blockReduce(OP_ASUM, n, x, 1.0);
  const h = splitAt(n);
  return pairwiseAsum(h, x) + pairwiseAsum(n - h, x + (<usize>h << 3));
}

function pairwiseSumSq(n: i32, x: usize, s: f64): f64 {
  if (n <= BLOCK) return blockReduce(OP_SUMSQ, n, x, s);
  const h = splitAt(n);
  return pairwiseSumSq(h, x, s) + pairwiseSumSq(n - h, x + (<usize>h << 3), s);
}

export function sum(n: i32, x: usize): f64 {
  return n > 0 ? pairwiseSum(n, x) : 0.0;
}

export function asum(n: i32, x: usize): f64 {
  return n > 0 ? pairwiseAsum(n, x) : 0.0;
}

// @ts-ignore: decorator
@inline function isNaN2(v: v128): v128 {
  return f64x2.ne(v, v);
}

const NEG_ZERO_BITS: u64 = 0x8000000000000000;

/** Whether any of the nj values x, x + stride, … (stride in bytes) is exactly +0. */
function hasPosZero(x: usize, stride: usize, nj: i32): bool {
  for (let j = 0; j < nj; j++) {
    if (load<u64>(x) == 0) return true;
    x += stride;
  }
  return false;
}

/** Turns a -0 lane into +0 when its column (x, x + 8 for lane 1) holds a +0. */
function fixNegZero(m: v128, x: usize, stride: usize, nj: i32): v128 {
  if (i64x2.extract_lane(m, 0) == NEG_ZERO_BITS && hasPosZero(x, stride, nj)) m = f64x2.replace_lane(m, 0, 0.0);
  if (i64x2.extract_lane(m, 1) == NEG_ZERO_BITS && hasPosZero(x + 8, stride, nj)) m = f64x2.replace_lane(m, 1, 0.0);
  return m;
}

/** NaN lanes of `nan` become NaN; -0 lanes are checked against their column for +0. */
// @ts-ignore: decorator
@inline function finishMax(m: v128, nan: v128, x: usize, stride: usize, nj: i32): v128 {
  m = v128.bitselect(f64x2.splat(NaN), m, nan);
  if (v128.any_true(i64x2.eq(m, i64x2.splat(NEG_ZERO_BITS)))) m = fixNegZero(m, x, stride, nj);
  return m;
}

export function max(n: i32, x: usize): f64 {
  let i = 0;
  let m = -Infinity;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(-Infinity), a1 = a0, a2 = a0, a3 = a0;
    let nan = i64x2.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 3);
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = f64x2.pmax(a0, v0);
      a1 = f64x2.pmax(a1, v1);
      a2 = f64x2.pmax(a2, v2);
      a3 = f64x2.pmax(a3, v3);
      nan = v128.or(nan, v128.or(v128.or(isNaN2(v0), isNaN2(v1)), v128.or(isNaN2(v2), isNaN2(v3))));
    }
    for (; i + 2 <= n; i += 2) {
      const v = v128.load(x + (<usize>i << 3));
      a0 = f64x2.pmax(a0, v);
      nan = v128.or(nan, isNaN2(v));
    }
    const t = f64x2.pmax(f64x2.pmax(a0, a1), f64x2.pmax(a2, a3));
    m = Math.max(f64x2.extract_lane(t, 0), f64x2.extract_lane(t, 1));
    if (v128.any_true(nan)) return NaN;
  } else {
    let a0 = -Infinity, a1 = a0, a2 = a0, a3 = a0;
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 3);
      a0 = Math.max(a0, load<f64>(p));
      a1 = Math.max(a1, load<f64>(p, 8));
      a2 = Math.max(a2, load<f64>(p, 16));
      a3 = Math.max(a3, load<f64>(p, 24));
    }
    m = Math.max(Math.max(a0, a1), Math.max(a2, a3));
  }
  for (; i < n; i++) m = Math.max(m, load<f64>(x + (<usize>i << 3)));
  if (ASC_FEATURE_SIMD) {
    if (reinterpret<u64>(m) == NEG_ZERO_BITS && hasPosZero(x, 8, n)) m = 0.0;
  }
  return m;
}

/** max |x[i]|, NaN if any x[i] is NaN. */
function amax(n: i32, x: usize): f64 {
  let i = 0;
  let m = 0.0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = a0;
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 3);
      a0 = f64x2.max(a0, f64x2.abs(v128.load(p)));
      a1 = f64x2.max(a1, f64x2.abs(v128.load(p, 16)));
    }
    const t = f64x2.max(a0, a1);
    m = Math.max(f64x2.extract_lane(t, 0), f64x2.extract_lane(t, 1));
  }
  for (; i < n; i++) m = Math.max(m, Math.abs(load<f64>(x + (<usize>i << 3))));
  return m;
}

// nrm2 thresholds, all powers of two so that scaling never rounds.
/** Below this, Σx² may have lost more than eps relative to subnormal rounding (n < 2^31). */
const SSQ_TINY: f64 = reinterpret<f64>(<u64>(1023 - 960) << 52); // 2^-960
const BIG: f64 = reinterpret<f64>(<u64>(1023 + 500) << 52); // 2^500
const SMALL: f64 = reinterpret<f64>(<u64>(1023 - 400) << 52); // 2^-400
const DOWN: f64 = reinterpret<f64>(<u64>(1023 - 600) << 52); // 2^-600
const UP: f64 = reinterpret<f64>(<u64>(1023 + 600) << 52); // 2^600

export function nrm2(n: i32, x: usize): f64 {
  if (n <= 0) return 0.0;
  // Fast path: one unscaled pass. If the total is finite and far above the subnormal range,
  // no square overflowed and underflowed squares are below eps of the total.
  const ssq = pairwiseSumSq(n, x, 1.0);
  if (ssq >= SSQ_TINY && ssq < Infinity) return Math.sqrt(ssq);
  // Rare path: find the largest magnitude (NaN and Inf end here), then rescale by a power of
  // two so the largest square lands near 2^±400 and the sum cannot over/underflow.
  const m = amax(n, x);
  if (m != m || m == Infinity || m == 0) return m;
  // (s = 1 is unreachable: such an m gives Σx² within the fast path's range.)
  const s = m >= BIG ? DOWN : m < SMALL ? UP : 1.0;
  return Math.sqrt(pairwiseSumSq(n, x, s)) / s;
}

// ---- axis reductions ----

/** Output entries (along pre) handled together, so a pairwise level needs CHUNK scratch slots. */
const CHUNK: i32 = 128;
/** Rows (along len) combined straight in registers before pairwise combining. */
const LEAF: i32 = 32;
/** Pairwise depth over len ≤ log2(2^31 / LEAF) + 1 < 32. */
const LEVELS: i32 = 32;
let scratch_AT: usize = memory.data(CHUNK * 8 * LEVELS, 16);
/** With pre = 1, runs shorter than this are reduced inline rather than by a call each. */
const SHORT: i32 = 16;

/**
 * dst[i] = Σ_{j < nj} x[i + j·stride] for i < c; nj ≥ 1, stride in bytes. A tile of outputs
 * (8, or 4 in the scalar build) is held in registers while walking the rows, so dst is
 * written once and each row is read as one contiguous run. Sums start from +0 like
 * `sum`, so a column of -0 sums to +0 on every path.
 */
function sumLeaf(dst: usize, x: usize, stride: usize, c: i32, nj: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const z = f64x2.splat(0);
    for (; i + 8 <= c; i += 8) {
      let p = x + (<usize>i << 3);
      let a0 = z, a1 = z, a2 = z, a3 = z;
      for (let j = 0; j < nj; j++) {
        a0 = f64x2.add(a0, v128.load(p));
        a1 = f64x2.add(a1, v128.load(p, 16));
        a2 = f64x2.add(a2, v128.load(p, 32));
        a3 = f64x2.add(a3, v128.load(p, 48));
        p += stride;
      }
      const d = dst + (<usize>i << 3);
      v128.store(d, a0); v128.store(d, a1, 16); v128.store(d, a2, 32); v128.store(d, a3, 48);
    }
    for (; i + 2 <= c; i += 2) {
      let p = x + (<usize>i << 3);
      let a0 = z;
      for (let j = 0; j < nj; j++) { a0 = f64x2.add(a0, v128.load(p)); p += stride; }
      v128.store(dst + (<usize>i << 3), a0);
    }
  } else {
    for (; i + 4 <= c; i += 4) {
      let p = x + (<usize>i << 3);
      let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
      for (let j = 0; j < nj; j++) {
        a0 += load<f64>(p); a1 += load<f64>(p, 8); a2 += load<f64>(p, 16); a3 += load<f64>(p, 24);
        p += stride;
      }
      const d = dst + (<usize>i << 3);
      store<f64>(d, a0); store<f64>(d, a1, 8); store<f64>(d, a2, 16); store<f64>(d, a3, 24);
    }
  }
  for (; i < c; i++) {
    let p = x + (<usize>i << 3);
    let a = 0.0;
    for (let j = 0; j < nj; j++) { a += load<f64>(p); p += stride; }
    store<f64>(dst + (<usize>i << 3), a);
  }
}

/** Like sumLeaf with max; when `into`, the result is also maxed with what dst holds. */
function maxLeaf(dst: usize, x: usize, stride: usize, c: i32, nj: i32, into: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = f64x2.splat(-Infinity), none = i64x2.splat(0);
    for (; i + 4 <= c; i += 4) {
      let p = x + (<usize>i << 3);
      let a0 = lo, a1 = lo, n0 = none, n1 = none;
      for (let j = 0; j < nj; j++) {
        const v0 = v128.load(p), v1 = v128.load(p, 16);
        a0 = f64x2.pmax(a0, v0);
        a1 = f64x2.pmax(a1, v1);
        n0 = v128.or(n0, isNaN2(v0));
        n1 = v128.or(n1, isNaN2(v1));
        p += stride;
      }
      const xi = x + (<usize>i << 3);
      a0 = finishMax(a0, n0, xi, stride, nj);
      a1 = finishMax(a1, n1, xi + 16, stride, nj);
      const d = dst + (<usize>i << 3);
      if (into) {
        a0 = f64x2.max(v128.load(d), a0);
        a1 = f64x2.max(v128.load(d, 16), a1);
      }
      v128.store(d, a0); v128.store(d, a1, 16);
    }
    for (; i + 2 <= c; i += 2) {
      let p = x + (<usize>i << 3);
      let a0 = lo, n0 = none;
      for (let j = 0; j < nj; j++) {
        const v0 = v128.load(p);
        a0 = f64x2.pmax(a0, v0);
        n0 = v128.or(n0, isNaN2(v0));
        p += stride;
      }
      a0 = finishMax(a0, n0, x + (<usize>i << 3), stride, nj);
      const d = dst + (<usize>i << 3);
      if (into) a0 = f64x2.max(v128.load(d), a0);
      v128.store(d, a0);
    }
  } else {
    for (; i + 4 <= c; i += 4) {
      let p = x + (<usize>i << 3);
      let a0 = -Infinity, a1 = a0, a2 = a0, a3 = a0;
      for (let j = 0; j < nj; j++) {
        a0 = Math.max(a0, load<f64>(p));
        a1 = Math.max(a1, load<f64>(p, 8));
        a2 = Math.max(a2, load<f64>(p, 16));
        a3 = Math.max(a3, load<f64>(p, 24));
        p += stride;
      }
      const d = dst + (<usize>i << 3);
      if (into) {
        a0 = Math.max(load<f64>(d), a0);
        a1 = Math.max(load<f64>(d, 8), a1);
        a2 = Math.max(load<f64>(d, 16), a2);
        a3 = Math.max(load<f64>(d, 24), a3);
      }
      store<f64>(d, a0); store<f64>(d, a1, 8); store<f64>(d, a2, 16); store<f64>(d, a3, 24);
    }
  }
  for (; i < c; i++) {
    let p = x + (<usize>i << 3);
    const d = dst + (<usize>i << 3);
    let a = into ? load<f64>(d) : -Infinity;
    for (let j = 0; j < nj; j++) { a = Math.max(a, load<f64>(p)); p += stride; }
    store<f64>(d, a);
  }
}

/** dst[i] += src[i] for i < c. */
function addInto(dst: usize, src: usize, c: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 2 <= c; i += 2) {
      const d = dst + (<usize>i << 3);
      v128.store(d, f64x2.add(v128.load(d), v128.load(src + (<usize>i << 3))));
    }
  }
  for (; i < c; i++) {
    const d = dst + (<usize>i << 3);
    store<f64>(d, load<f64>(d) + load<f64>(src + (<usize>i << 3)));
  }
}

/**
 * dst[i] = Σ_{j < nj} x[i + j·stride] for i < c ≤ CHUNK, pairwise over j in LEAF-row leaves.
 * The right half of each split goes to the scratch slot of its depth; a left half reuses dst
 * and finishes (with its own use of that slot) before the right half starts.
 */
function axisSumRange(dst: usize, x: usize, stride: usize, c: i32, nj: i32, depth: i32): void {
  const scratch = scratch_AT;
  if (nj <= LEAF) { sumLeaf(dst, x, stride, c, nj); return; }
  const leaves = (nj + LEAF - 1) / LEAF;
  const h = ((leaves + 1) >> 1) * LEAF;
  axisSumRange(dst, x, stride, c, h, depth);
  const tmp = scratch + <usize>(depth * CHUNK) * 8;
  axisSumRange(tmp, x + <usize>h * stride, stride, c, nj - h, depth + 1);
  addInto(dst, tmp, c);
}

function fillOut(n: i32, v: f64, out: usize): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), v);
}

export function sumAxis(pre: i32, len: i32, post: i32, x: usize, out: usize): void {
  if (pre <= 0 || post <= 0) return;
  if (len <= 0) { fillOut(pre * post, 0.0, out); return; }
  const slab = <usize>pre * <usize>len * 8;
  if (pre == 1) {
    // Reducing the fastest axis: each output is a contiguous run of len. Short runs are
    // summed inline; a call per output would cost more than the adds.
    if (len < SHORT) {
      let p = x;
      for (let k = 0; k < post; k++) {
        let a = 0.0;
        for (let j = 0; j < len; j++) a += load<f64>(p + (<usize>j << 3));
        store<f64>(out + (<usize>k << 3), a);
        p += slab;
      }
    } else {
      for (let k = 0; k < post; k++) store<f64>(out + (<usize>k << 3), pairwiseSum(len, x + <usize>k * slab));
    }
    return;
  }
  // Reducing a slow axis: vertical adds of contiguous runs along pre, CHUNK outputs at a time.
  const stride = <usize>pre * 8;
  for (let k = 0; k < post; k++) {
    const xk = x + <usize>k * slab, ok = out + <usize>k * stride;
    for (let i0 = 0; i0 < pre; i0 += CHUNK) {
      const c = min(CHUNK, pre - i0);
      axisSumRange(ok + (<usize>i0 << 3), xk + (<usize>i0 << 3), stride, c, len, 0);
    }
  }
}

export function maxAxis(pre: i32, len: i32, post: i32, x: usize, out: usize): void {
  if (pre <= 0 || post <= 0) return;
  if (len <= 0) { fillOut(pre * post, -Infinity, out); return; }
  // The max of one value is that value, bit for bit (NaN and -0 included).
  if (len == 1) { memory.copy(out, x, <usize>pre * <usize>post << 3); return; }
  const slab = <usize>pre * <usize>len * 8;
  if (pre == 1) {
    if (len < SHORT) {
      let p = x;
      for (let k = 0; k < post; k++) {
        let a = -Infinity;
        for (let j = 0; j < len; j++) a = Math.max(a, load<f64>(p + (<usize>j << 3)));
        store<f64>(out + (<usize>k << 3), a);
        p += slab;
      }
    } else {
      for (let k = 0; k < post; k++) store<f64>(out + (<usize>k << 3), max(len, x + <usize>k * slab));
    }
    return;
  }
  // Max is exact in any order, so no pairwise tree: LEAF-row blocks fold into dst in turn,
  // which keeps the rows being walked for one chunk within L1.
  const stride = <usize>pre * 8;
  for (let k = 0; k < post; k++) {
    const xk = x + <usize>k * slab, ok = out + <usize>k * stride;
    for (let i0 = 0; i0 < pre; i0 += CHUNK) {
      const c = min(CHUNK, pre - i0);
      const d = ok + (<usize>i0 << 3);
      const xs = xk + (<usize>i0 << 3);
      maxLeaf(d, xs, stride, c, min(LEAF, len), false);
      for (let j0 = LEAF; j0 < len; j0 += LEAF) {
        maxLeaf(d, xs + <usize>j0 * stride, stride, c, min(LEAF, len - j0), true);
      }
    }
  }
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeReduceScratch(base: usize, set: bool): usize {
  if (set) scratch_AT = base;
  base += (<usize>(CHUNK * 8 * LEVELS) + 15) & ~<usize>15;
  return base;
}
