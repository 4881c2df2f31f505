// Level-1 and level-2 BLAS on raw pointers: dot, axpy, scal, gemv.
//
// Vector arguments follow the ABI in src/wasm/kernels.ts: element i of x is x[i·incx]
// (increments in elements; unit increments take the f64x2 fast paths). Matrices are
// column-major with leading dimension lda.

import { madd } from "./fma";
import { l1Aliased } from "./l1";

/** Rows of y (or x) handled per gemv block: 8 KiB, so the block stays in L1. */
const RB: i32 = 1024;
/** gemv scratch: the partial y block (op = N) or the gathered x block (op = T, incx ≠ 1). */
let VBUF_AT: usize = memory.data(RB * 8, 16);


// @ts-ignore: decorator
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Σ x[i·incx]·y[i·incy] for i < n (0 when n ≤ 0). */
export function dot(n: i32, x: usize, incx: i32, y: usize, incy: i32): f64 {
  let s = 0.0;
  let i = 0;
  if (incx == 1 && incy == 1) {
    // Four independent accumulators hide the add latency (4 cycles) behind the loads.
    if (ASC_FEATURE_SIMD) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (; i + 8 <= n; i += 8) {
        const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
        s0 = madd(v128.load(px), v128.load(py), s0);
        s1 = madd(v128.load(px, 16), v128.load(py, 16), s1);
        s2 = madd(v128.load(px, 32), v128.load(py, 32), s2);
        s3 = madd(v128.load(px, 48), v128.load(py, 48), s3);
      }
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        s0 = madd(v128.load(x + o), v128.load(y + o), s0);
      }
      s = hsum(f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3)));
    } else {
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      for (; i + 4 <= n; i += 4) {
        const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
        s0 += load<f64>(px) * load<f64>(py);
        s1 += load<f64>(px, 8) * load<f64>(py, 8);
        s2 += load<f64>(px, 16) * load<f64>(py, 16);
        s3 += load<f64>(px, 24) * load<f64>(py, 24);
      }
      s = (s0 + s1) + (s2 + s3);
    }
    for (; i < n; i++) {
      const o = <usize>i << 3;
      s += load<f64>(x + o) * load<f64>(y + o);
    }
    return s;
  }
  // Strided: byte steps wrap modulo 2³² like wasm32 addresses, so negative increments walk
  // backwards from x and y exactly as the i·inc indexing says.
  const sx = <usize>incx << 3, sy = <usize>incy << 3;
  let px = x, py = y;
  let s0 = 0.0, s1 = 0.0;
  for (; i + 2 <= n; i += 2) {
    s0 += load<f64>(px) * load<f64>(py);
    s1 += load<f64>(px + sx) * load<f64>(py + sy);
    px += sx << 1;
    py += sy << 1;
  }
  if (i < n) s0 += load<f64>(px) * load<f64>(py);
  return s0 + s1;
}

/** y ← α·x + y (y untouched when α = 0, as in reference BLAS). */
export function axpy(n: i32, alpha: f64, x: usize, incx: i32, y: usize, incy: i32): void {
  if (alpha == 0) return;
  let i = 0;
  if (incx == 1 && incy == 1) {
    if (ASC_FEATURE_SIMD) {
      const va = f64x2.splat(alpha);
      for (; i + 8 <= n; i += 8) {
        const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
        v128.store(py, madd(va, v128.load(px), v128.load(py)));
        v128.store(py, madd(va, v128.load(px, 16), v128.load(py, 16)), 16);
        v128.store(py, madd(va, v128.load(px, 32), v128.load(py, 32)), 32);
        v128.store(py, madd(va, v128.load(px, 48), v128.load(py, 48)), 48);
      }
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(y + o, madd(va, v128.load(x + o), v128.load(y + o)));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 3;
      store<f64>(y + o, load<f64>(y + o) + alpha * load<f64>(x + o));
    }
    return;
  }
  const sx = <usize>incx << 3, sy = <usize>incy << 3;
  let px = x, py = y;
  for (; i < n; i++) {
    store<f64>(py, load<f64>(py) + alpha * load<f64>(px));
    px += sx;
    py += sy;
  }
}

/**
 * C[i + j·ldc] ← C[i + j·ldc] + x[i]·y[j] for i < m, j < n: each product rounded, then the sum
 * (never fused, in every build), so C ends as `add(C, outer(x, y))` would leave it: the reverse
 * pass adds a row vector's outer product into a weight's owned cotangent sum this way.
 */
export function addOuter(m: i32, n: i32, x: usize, y: usize, c: usize, ldc: i32): void {
  const ldcB = <usize>ldc << 3;
  let col = c;
  for (let j = 0; j < n; j++) {
    const yj = load<f64>(y + (<usize>j << 3));
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const v = f64x2.splat(yj);
      for (; i + 4 <= m; i += 4) {
        const o = <usize>i << 3;
        v128.store(col + o, f64x2.add(v128.load(col + o), f64x2.mul(v128.load(x + o), v)));
        v128.store(col + o, f64x2.add(v128.load(col + o, 16), f64x2.mul(v128.load(x + o, 16), v)), 16);
      }
      for (; i + 2 <= m; i += 2) {
        const o = <usize>i << 3;
        v128.store(col + o, f64x2.add(v128.load(col + o), f64x2.mul(v128.load(x + o), v)));
      }
    }
    for (; i < m; i++) {
      const o = <usize>i << 3;
      store<f64>(col + o, load<f64>(col + o) + load<f64>(x + o) * yj);
    }
    col += ldcB;
  }
}

/** x ← α·x (a plain product: α = 0 keeps NaN and ±Inf as NaN, as IEEE says). */
export function scal(n: i32, alpha: f64, x: usize, incx: i32): void {
  let i = 0;
  if (incx == 1) {
    if (ASC_FEATURE_SIMD) {
      const va = f64x2.splat(alpha);
      for (; i + 8 <= n; i += 8) {
        const px = x + (<usize>i << 3);
        v128.store(px, f64x2.mul(va, v128.load(px)));
        v128.store(px, f64x2.mul(va, v128.load(px, 16)), 16);
        v128.store(px, f64x2.mul(va, v128.load(px, 32)), 32);
        v128.store(px, f64x2.mul(va, v128.load(px, 48)), 48);
      }
      for (; i + 2 <= n; i += 2) {
        const px = x + (<usize>i << 3);
        v128.store(px, f64x2.mul(va, v128.load(px)));
      }
    }
    for (; i < n; i++) {
      const px = x + (<usize>i << 3);
      store<f64>(px, alpha * load<f64>(px));
    }
    return;
  }
  const sx = <usize>incx << 3;
  let px = x;
  for (; i < n; i++) {
    store<f64>(px, alpha * load<f64>(px));
    px += sx;
  }
}

/** y ← β·y over n strided entries; β = 0 writes zeros without reading y. */
function scaleVec(n: i32, beta: f64, y: usize, incy: i32): void {
  if (beta == 1) return;
  const sy = <usize>incy << 3;
  let py = y;
  for (let i = 0; i < n; i++) {
    store<f64>(py, beta == 0 ? 0.0 : beta * load<f64>(py));
    py += sy;
  }
}

/** y[0 : rows] (stride sy bytes) ← α·VBUF[0 : rows] + β·y; β = 0 does not read y. */
// @ts-ignore: decorator
@inline function mergeY(rows: i32, alpha: f64, beta: f64, py: usize, sy: usize): void {
  const VBUF = VBUF_AT;
  for (let o: usize = 0; o < (<usize>rows << 3); o += 8) {
    const v = alpha * load<f64>(VBUF + o);
    store<f64>(py, beta == 0 ? v : v + beta * load<f64>(py));
    py += sy;
  }
}

/**
 * Columns of A per panel of gemvN: each entry of y is summed panel by panel. A tile reads the
 * panel's columns as GJ interleaved streams of 96-byte pieces; with 32 of them the hardware
 * prefetch of a core with a 512 KiB L2 (Zen 3) fell behind even for A in L2, while 16 cost only
 * the partial sums' extra pass per 16 columns (bench/NOTES.md, "gemv panels of 16 columns").
 */
const GJ: i32 = 16;

/** VBUF[o : o+12] ← (first) or += twelve rows of the panel times x (see gemvNPanel). */
// @ts-ignore: decorator
@inline function gemvNTile12(p: usize, colsB: usize, ldaB: usize, q: usize, sx: usize, o: usize,
  first: bool): void {
  const pEnd = p + colsB;
  let v = v128.load64_splat(q);
  let s0 = f64x2.mul(v128.load(p), v), s1 = f64x2.mul(v128.load(p, 16), v);
  let s2 = f64x2.mul(v128.load(p, 32), v), s3 = f64x2.mul(v128.load(p, 48), v);
  let s4 = f64x2.mul(v128.load(p, 64), v), s5 = f64x2.mul(v128.load(p, 80), v);
  p += ldaB;
  for (q += sx; p != pEnd; q += sx) {
    v = v128.load64_splat(q);
    s0 = madd(v128.load(p), v, s0); s1 = madd(v128.load(p, 16), v, s1);
    s2 = madd(v128.load(p, 32), v, s2); s3 = madd(v128.load(p, 48), v, s3);
    s4 = madd(v128.load(p, 64), v, s4); s5 = madd(v128.load(p, 80), v, s5);
    p += ldaB;
  }
  if (!first) {
    s0 = f64x2.add(v128.load(o), s0); s1 = f64x2.add(v128.load(o, 16), s1);
    s2 = f64x2.add(v128.load(o, 32), s2); s3 = f64x2.add(v128.load(o, 48), s3);
    s4 = f64x2.add(v128.load(o, 64), s4); s5 = f64x2.add(v128.load(o, 80), s5);
  }
  v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32);
  v128.store(o, s3, 48); v128.store(o, s4, 64); v128.store(o, s5, 80);
}

/** VBUF[o : o+8] ← (first) or += eight rows of the panel times x (see gemvNPanel). */
// @ts-ignore: decorator
@inline function gemvNTile8(p: usize, colsB: usize, ldaB: usize, q: usize, sx: usize, o: usize,
  first: bool): void {
  const pEnd = p + colsB;
  let v = v128.load64_splat(q);
  let s0 = f64x2.mul(v128.load(p), v), s1 = f64x2.mul(v128.load(p, 16), v);
  let s2 = f64x2.mul(v128.load(p, 32), v), s3 = f64x2.mul(v128.load(p, 48), v);
  p += ldaB;
  for (q += sx; p != pEnd; q += sx) {
    v = v128.load64_splat(q);
    s0 = madd(v128.load(p), v, s0); s1 = madd(v128.load(p, 16), v, s1);
    s2 = madd(v128.load(p, 32), v, s2); s3 = madd(v128.load(p, 48), v, s3);
    p += ldaB;
  }
  if (!first) {
    s0 = f64x2.add(v128.load(o), s0); s1 = f64x2.add(v128.load(o, 16), s1);
    s2 = f64x2.add(v128.load(o, 32), s2); s3 = f64x2.add(v128.load(o, 48), s3);
  }
  v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
}

/** VBUF[o : o+4] ← (first) or += four rows of the panel times x (see gemvNPanel). */
// @ts-ignore: decorator
@inline function gemvNTile4(p: usize, colsB: usize, ldaB: usize, q: usize, sx: usize, o: usize,
  first: bool): void {
  const pEnd = p + colsB;
  let v = v128.load64_splat(q);
  let s0 = f64x2.mul(v128.load(p), v), s1 = f64x2.mul(v128.load(p, 16), v);
  p += ldaB;
  for (q += sx; p != pEnd; q += sx) {
    v = v128.load64_splat(q);
    s0 = madd(v128.load(p), v, s0); s1 = madd(v128.load(p, 16), v, s1);
    p += ldaB;
  }
  if (!first) {
    s0 = f64x2.add(v128.load(o), s0); s1 = f64x2.add(v128.load(o, 16), s1);
  }
  v128.store(o, s0); v128.store(o, s1, 16);
}

/**
 * VBUF[0 : mb] ← (first) or += A[0 : mb, 0 : nb]·x[0 : nb] (A at ap, column step ldaB bytes; x at
 * px, step sx bytes), each entry the sum Σ_c A[r, c]·x[c] from c = 0 up, started from the first
 * product. Twelve rows at a time stay in registers over the panel's columns (six accumulators and
 * six loaded vectors live at once; V8 spills with sixteen rows): one column pointer step and one x
 * load per six vector multiply-adds, the loads' offsets constants. The remaining rows go 8, 4, 2,
 * then 1 at a time.
 */
// @ts-ignore: decorator
@inline function gemvNPanel(mb: i32, nb: i32, ap: usize, ldaB: usize, px: usize, sx: usize, first: bool): void {
  const VBUF = VBUF_AT;
  const colsB = <usize>nb * ldaB;
  let r = 0;
  if (ASC_FEATURE_SIMD) {
    for (; r + 12 <= mb; r += 12) gemvNTile12(ap + (<usize>r << 3), colsB, ldaB, px, sx, VBUF + (<usize>r << 3), first);
    if (r + 8 <= mb) {
      gemvNTile8(ap + (<usize>r << 3), colsB, ldaB, px, sx, VBUF + (<usize>r << 3), first);
      r += 8;
    }
    if (r + 4 <= mb) {
      gemvNTile4(ap + (<usize>r << 3), colsB, ldaB, px, sx, VBUF + (<usize>r << 3), first);
      r += 4;
    }
    for (; r + 2 <= mb; r += 2) {
      let p = ap + (<usize>r << 3), q = px;
      const pEnd = p + colsB;
      let s = f64x2.mul(v128.load(p), v128.load64_splat(q));
      p += ldaB;
      for (q += sx; p != pEnd; q += sx) {
        s = madd(v128.load(p), v128.load64_splat(q), s);
        p += ldaB;
      }
      const o = VBUF + (<usize>r << 3);
      v128.store(o, first ? s : f64x2.add(v128.load(o), s));
    }
    if (r < mb) {
      // The last odd row in lane 0 of a vector, so the relaxed build fuses it like the others.
      let p = ap + (<usize>r << 3), q = px;
      const pEnd = p + colsB;
      let s = f64x2.mul(v128.load64_splat(p), v128.load64_splat(q));
      p += ldaB;
      for (q += sx; p != pEnd; q += sx) {
        s = madd(v128.load64_splat(p), v128.load64_splat(q), s);
        p += ldaB;
      }
      const o = VBUF + (<usize>r << 3);
      store<f64>(o, first ? f64x2.extract_lane(s, 0) : load<f64>(o) + f64x2.extract_lane(s, 0));
    }
    return;
  }
  // The same additions in the same order, four rows at a time.
  for (; r + 4 <= mb; r += 4) {
    let p = ap + (<usize>r << 3), q = px;
    const pEnd = p + colsB;
    let v = load<f64>(q);
    let s0 = load<f64>(p) * v, s1 = load<f64>(p, 8) * v, s2 = load<f64>(p, 16) * v, s3 = load<f64>(p, 24) * v;
    p += ldaB;
    for (q += sx; p != pEnd; q += sx) {
      v = load<f64>(q);
      s0 += load<f64>(p) * v; s1 += load<f64>(p, 8) * v; s2 += load<f64>(p, 16) * v; s3 += load<f64>(p, 24) * v;
      p += ldaB;
    }
    const o = VBUF + (<usize>r << 3);
    if (!first) {
      s0 = load<f64>(o) + s0; s1 = load<f64>(o, 8) + s1; s2 = load<f64>(o, 16) + s2; s3 = load<f64>(o, 24) + s3;
    }
    store<f64>(o, s0); store<f64>(o, s1, 8); store<f64>(o, s2, 16); store<f64>(o, s3, 24);
  }
  for (; r < mb; r++) {
    let p = ap + (<usize>r << 3), q = px;
    const pEnd = p + colsB;
    let s = load<f64>(p) * load<f64>(q);
    p += ldaB;
    for (q += sx; p != pEnd; q += sx) {
      s += load<f64>(p) * load<f64>(q);
      p += ldaB;
    }
    const o = VBUF + (<usize>r << 3);
    store<f64>(o, first ? s : load<f64>(o) + s);
  }
}

/**
 * Bytes of A (lda·n·8) up to which gemvN runs panels of register tiles (gemvNTiles); larger A
 * streams (gemvNStream). The tiles read each column GJ columns apart in 96-byte pieces, which
 * costs little from L2 but keeps fewer lines in flight than the sweep's long column runs when
 * A comes from L3 or memory (see bench/NOTES.md, "gemv kernels, register tiles").
 */
const GEMV_TILE_BYTES: i64 = 1 << 20;

/**
 * y ← α·A·x + β·y. The kernel is chosen by lda and n alone (never by m), so a row panel of the
 * thread pool or a row block of the jit's fused passes takes the same path as the whole call.
 */
function gemvN(m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, incx: i32,
  beta: f64, y: usize, incy: i32): void {
  if (<i64>lda * <i64>n * 8 <= GEMV_TILE_BYTES && !l1Aliased(lda, min<i32>(n, GJ))) gemvNTiles(m, n, alpha, a, lda, x, incx, beta, y, incy);
  else gemvNStream(m, n, alpha, a, lda, x, incx, beta, y, incy);
}

/**
 * y ← α·A·x + β·y for A in cache: for each block of RB rows, the panels of GJ columns of A in
 * turn add their products onto the block's sums in VBUF, which are then merged into y with α
 * and β. Entry i of y is (((P₀ + P₁) + P₂) + …) with P_k = A[i, columns of panel k]·x summed in
 * column order from the first product: the same additions for every row whatever m, its row
 * block or its place in a tile, in every build (the relaxed build fuses each multiply-add).
 */
function gemvNTiles(m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, incx: i32,
  beta: f64, y: usize, incy: i32): void {
  const ldaB = <usize>lda << 3, sx = <usize>incx << 3, sy = <usize>incy << 3;
  for (let i0 = 0; i0 < m; i0 += RB) {
    const mb = min<i32>(RB, m - i0);
    for (let j0 = 0; j0 < n; j0 += GJ) {
      gemvNPanel(mb, min<i32>(GJ, n - j0), a + (<usize>i0 << 3) + <usize>j0 * ldaB, ldaB,
        x + <usize>j0 * sx, sx, j0 == 0);
    }
    mergeY(mb, alpha, beta, y + <usize>i0 * sy, sy);
  }
}

/**
 * y ← α·A·x + β·y, column-axpy order: the row block y[i0 : i0+RB] is accumulated in VBUF
 * while eight columns of A stream past at a time (each A column segment is read once,
 * contiguously), then merged into y with α and β.
 */
function gemvNStream(m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, incx: i32,
  beta: f64, y: usize, incy: i32): void {
  const VBUF = VBUF_AT;
  const ldaB = <usize>lda << 3, sx = <usize>incx << 3, sy = <usize>incy << 3;
  for (let i0 = 0; i0 < m; i0 += RB) {
    const bytes = <usize>min<i32>(RB, m - i0) << 3;
    memory.fill(VBUF, 0, bytes);
    let acol = a + (<usize>i0 << 3), px = x;
    let j = 0;
    // Eight columns per sweep of the y block: one load and one store of the partial sums per
    // eight multiply-adds (the sweep's loads, not its arithmetic, were the limit with four).
    for (; j + 8 <= n; j += 8) {
      const a0 = acol, a4 = a0 + (ldaB << 2);
      let o: usize = 0;
      if (ASC_FEATURE_SIMD) {
        const v0 = v128.load64_splat(px), v1 = v128.load64_splat(px + sx);
        const v2 = v128.load64_splat(px + (sx << 1)), v3 = v128.load64_splat(px + sx * 3);
        const v4 = v128.load64_splat(px + (sx << 2)), v5 = v128.load64_splat(px + sx * 5);
        const v6 = v128.load64_splat(px + sx * 6), v7 = v128.load64_splat(px + sx * 7);
        for (; o + 16 <= bytes; o += 16) {
          const p = a0 + o, q = a4 + o;
          const s01 = madd(v128.load(p + ldaB), v1, f64x2.mul(v128.load(p), v0));
          const s23 = madd(v128.load(p + ldaB * 3), v3, f64x2.mul(v128.load(p + (ldaB << 1)), v2));
          const s45 = madd(v128.load(q + ldaB), v5, f64x2.mul(v128.load(q), v4));
          const s67 = madd(v128.load(q + ldaB * 3), v7, f64x2.mul(v128.load(q + (ldaB << 1)), v6));
          v128.store(VBUF + o, f64x2.add(v128.load(VBUF + o), f64x2.add(f64x2.add(s01, s23), f64x2.add(s45, s67))));
        }
      }
      // The same sums in the same order as the f64x2 lanes (and the scalar build).
      for (; o < bytes; o += 8) {
        const p = a0 + o, q = a4 + o;
        const s01 = load<f64>(p) * load<f64>(px) + load<f64>(p + ldaB) * load<f64>(px + sx);
        const s23 = load<f64>(p + (ldaB << 1)) * load<f64>(px + (sx << 1)) + load<f64>(p + ldaB * 3) * load<f64>(px + sx * 3);
        const s45 = load<f64>(q) * load<f64>(px + (sx << 2)) + load<f64>(q + ldaB) * load<f64>(px + sx * 5);
        const s67 = load<f64>(q + (ldaB << 1)) * load<f64>(px + sx * 6) + load<f64>(q + ldaB * 3) * load<f64>(px + sx * 7);
        store<f64>(VBUF + o, load<f64>(VBUF + o) + ((s01 + s23) + (s45 + s67)));
      }
      acol += ldaB << 3;
      px += sx << 3;
    }
    for (; j + 4 <= n; j += 4) {
      const x0 = load<f64>(px), x1 = load<f64>(px + sx);
      const x2 = load<f64>(px + (sx << 1)), x3 = load<f64>(px + sx * 3);
      const a0 = acol, a1 = a0 + ldaB, a2 = a1 + ldaB, a3 = a2 + ldaB;
      let o: usize = 0;
      if (ASC_FEATURE_SIMD) {
        const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
        for (; o + 16 <= bytes; o += 16) {
          // Two independent pairs shorten the add chain into the partial sum.
          const s01 = madd(v128.load(a1 + o), v1, f64x2.mul(v128.load(a0 + o), v0));
          const s23 = madd(v128.load(a3 + o), v3, f64x2.mul(v128.load(a2 + o), v2));
          v128.store(VBUF + o, f64x2.add(v128.load(VBUF + o), f64x2.add(s01, s23)));
        }
      }
      for (; o < bytes; o += 8) {
        const s01 = load<f64>(a0 + o) * x0 + load<f64>(a1 + o) * x1;
        const s23 = load<f64>(a2 + o) * x2 + load<f64>(a3 + o) * x3;
        store<f64>(VBUF + o, load<f64>(VBUF + o) + (s01 + s23));
      }
      acol += ldaB << 2;
      px += sx << 2;
    }
    for (; j < n; j++) {
      const xj = load<f64>(px);
      let o: usize = 0;
      if (ASC_FEATURE_SIMD) {
        const v = f64x2.splat(xj);
        for (; o + 16 <= bytes; o += 16) {
          v128.store(VBUF + o, madd(v128.load(acol + o), v, v128.load(VBUF + o)));
        }
      }
      for (; o < bytes; o += 8) store<f64>(VBUF + o, load<f64>(VBUF + o) + load<f64>(acol + o) * xj);
      acol += ldaB;
      px += sx;
    }
    let py = y + <usize>i0 * sy;
    for (let o: usize = 0; o < bytes; o += 8) {
      const v = alpha * load<f64>(VBUF + o);
      store<f64>(py, beta == 0 ? v : v + beta * load<f64>(py));
      py += sy;
    }
  }
}

/** Σ_{o < bytes} a0[o]·x[o] with two accumulators (a single leftover column of gemvT). */
// @ts-ignore: decorator
@inline function colDot(a0: usize, xb: usize, bytes: usize): f64 {
  let o: usize = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let v0 = f64x2.splat(0), v1 = f64x2.splat(0);
    for (; o + 32 <= bytes; o += 32) {
      v0 = madd(v128.load(a0 + o), v128.load(xb + o), v0);
      v1 = madd(v128.load(a0 + o, 16), v128.load(xb + o, 16), v1);
    }
    for (; o + 16 <= bytes; o += 16) v0 = madd(v128.load(a0 + o), v128.load(xb + o), v0);
    s = hsum(f64x2.add(v0, v1));
  } else {
    let s1 = 0.0;
    for (; o + 16 <= bytes; o += 16) {
      s += load<f64>(a0 + o) * load<f64>(xb + o);
      s1 += load<f64>(a0 + o, 8) * load<f64>(xb + o, 8);
    }
    s += s1;
  }
  for (; o < bytes; o += 8) s += load<f64>(a0 + o) * load<f64>(xb + o);
  return s;
}

// @ts-ignore: decorator
@inline function updateY(py: usize, s: f64, alpha: f64, beta: f64, first: bool): void {
  const prev = first ? (beta == 0 ? 0.0 : beta * load<f64>(py)) : load<f64>(py);
  store<f64>(py, prev + alpha * s);
}

/**
 * y ← α·Aᵀ·x + β·y, column-dot order: three columns of A are dotted with x together so each
 * x vector is loaded once per three columns. A strided x is gathered into VBUF per row block;
 * the partial dots of later blocks are then added onto y. (Measured against four columns ×
 * one row pair, whose four add chains are latency-bound: +5-10% at n = 64 and 256.)
 */
function gemvT(m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, incx: i32,
  beta: f64, y: usize, incy: i32): void {
  const VBUF = VBUF_AT;
  const ldaB = <usize>lda << 3, sx = <usize>incx << 3, sy = <usize>incy << 3;
  const blk = incx == 1 ? m : RB;
  for (let i0 = 0; i0 < m; i0 += blk) {
    const mb = min<i32>(blk, m - i0);
    const bytes = <usize>mb << 3;
    let xb: usize;
    if (incx == 1) {
      xb = x + (<usize>i0 << 3);
    } else {
      xb = VBUF;
      let px = x + <usize>i0 * sx;
      for (let o: usize = 0; o < bytes; o += 8) {
        store<f64>(VBUF + o, load<f64>(px));
        px += sx;
      }
    }
    const first = i0 == 0;
    let acol = a + (<usize>i0 << 3), py = y;
    let j = 0;
    for (; j + 3 <= n; j += 3) {
      const a0 = acol, a1 = a0 + ldaB, a2 = a1 + ldaB;
      let s0 = 0.0, s1 = 0.0, s2 = 0.0;
      let o: usize = 0;
      if (ASC_FEATURE_SIMD) {
        // Three columns × two row pairs: six independent add chains (the add latency is the
        // limit with fewer), and 6 accumulators + 8 loaded vectors + 1 temporary = 15 xmm.
        let u0 = f64x2.splat(0), u1 = f64x2.splat(0), u2 = f64x2.splat(0);
        let w0 = f64x2.splat(0), w1 = f64x2.splat(0), w2 = f64x2.splat(0);
        for (; o + 32 <= bytes; o += 32) {
          const xu = v128.load(xb + o), xw = v128.load(xb + o, 16);
          u0 = madd(v128.load(a0 + o), xu, u0); w0 = madd(v128.load(a0 + o, 16), xw, w0);
          u1 = madd(v128.load(a1 + o), xu, u1); w1 = madd(v128.load(a1 + o, 16), xw, w1);
          u2 = madd(v128.load(a2 + o), xu, u2); w2 = madd(v128.load(a2 + o, 16), xw, w2);
        }
        if (o + 16 <= bytes) {
          const xu = v128.load(xb + o);
          u0 = madd(v128.load(a0 + o), xu, u0);
          u1 = madd(v128.load(a1 + o), xu, u1);
          u2 = madd(v128.load(a2 + o), xu, u2);
          o += 16;
        }
        s0 = hsum(f64x2.add(u0, w0)); s1 = hsum(f64x2.add(u1, w1)); s2 = hsum(f64x2.add(u2, w2));
      }
      for (; o < bytes; o += 8) {
        const xv = load<f64>(xb + o);
        s0 += load<f64>(a0 + o) * xv;
        s1 += load<f64>(a1 + o) * xv;
        s2 += load<f64>(a2 + o) * xv;
      }
      updateY(py, s0, alpha, beta, first);
      updateY(py + sy, s1, alpha, beta, first);
      updateY(py + (sy << 1), s2, alpha, beta, first);
      acol += ldaB * 3;
      py += sy * 3;
    }
    for (; j < n; j++) {
      updateY(py, colDot(acol, xb, bytes), alpha, beta, first);
      acol += ldaB;
      py += sy;
    }
  }
}

/**
 * y ← α·op(A)·x + β·y with A m×n (leading dimension lda), op = A if trans = 0, Aᵀ if 1.
 * β = 0 does not read y. α = 0, or an empty op(A) inner dimension, gives y ← β·y without
 * reading A or x. y must not alias A or x.
 */
export function gemv(trans: i32, m: i32, n: i32, alpha: f64, a: usize, lda: i32,
  x: usize, incx: i32, beta: f64, y: usize, incy: i32): void {
  const ylen = trans ? n : m, xlen = trans ? m : n;
  if (ylen <= 0) return;
  if (alpha == 0 || xlen <= 0) {
    scaleVec(ylen, beta, y, incy);
    return;
  }
  if (trans) gemvT(m, n, alpha, a, lda, x, incx, beta, y, incy);
  else gemvN(m, n, alpha, a, lda, x, incx, beta, y, incy);
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeBlasScratch(base: usize, set: bool): usize {
  if (set) VBUF_AT = base;
  base += (<usize>(RB * 8) + 15) & ~<usize>15;
  return base;
}
