// out (n×m) = aᵀ for a m×n, both dense column-major.
//
// Blocking. Square L1 tiles (32×32 was the first version) lose to conflict misses when m or
// n is a multiple of 512: every column of a tile then maps to the same L1 set, and a tile
// that keeps 32 partly written lines of out alive thrashes (measured 2 GB/s at 1024², against
// 8-12 GB/s for the scheme below). Instead, a band of BAND rows of a is swept across all
// of a's columns in strips of 8 columns:
// - a strip reads 8 contiguous column runs of BAND elements (each line used at once), and
// - writes BAND runs of 8 elements, one 64-byte line of out each, so out lines are written
//   whole (or completed by the next strip while still in L1) and never re-read.
// Sweeping j inside a band keeps the pages being written to BAND columns of out (TLB-friendly).
// In the SIMD build a step takes two rows of the strip as 8 f64x2 loads and writes them as
// two 8-element runs of out through 2×2 shuffles.

/** Rows of a per band; 16 measured best at 256² and 1024² (32 close behind). */
const BAND: i32 = 16;

/** out[j..j+8, i] = a[i, j..j+8] for i0 ≤ i < i1. lda, ldo in bytes. */
// @ts-ignore: decorator
@inline function strip8(lda: usize, ldo: usize, a: usize, out: usize, i0: i32, i1: i32, j: i32): void {
  let pa = a + <usize>j * lda + (<usize>i0 << 3);
  let po = out + <usize>i0 * ldo + (<usize>j << 3);
  let i = i0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 2 <= i1; i += 2) {
      const c0 = v128.load(pa), c1 = v128.load(pa + lda);
      const c2 = v128.load(pa + 2 * lda), c3 = v128.load(pa + 3 * lda);
      const c4 = v128.load(pa + 4 * lda), c5 = v128.load(pa + 5 * lda);
      const c6 = v128.load(pa + 6 * lda), c7 = v128.load(pa + 7 * lda);
      v128.store(po, v128.shuffle<f64>(c0, c1, 0, 2));
      v128.store(po, v128.shuffle<f64>(c2, c3, 0, 2), 16);
      v128.store(po, v128.shuffle<f64>(c4, c5, 0, 2), 32);
      v128.store(po, v128.shuffle<f64>(c6, c7, 0, 2), 48);
      const q = po + ldo;
      v128.store(q, v128.shuffle<f64>(c0, c1, 1, 3));
      v128.store(q, v128.shuffle<f64>(c2, c3, 1, 3), 16);
      v128.store(q, v128.shuffle<f64>(c4, c5, 1, 3), 32);
      v128.store(q, v128.shuffle<f64>(c6, c7, 1, 3), 48);
      pa += 16;
      po += ldo << 1;
    }
  }
  for (; i < i1; i++) {
    store<f64>(po, load<f64>(pa));
    store<f64>(po, load<f64>(pa + lda), 8);
    store<f64>(po, load<f64>(pa + 2 * lda), 16);
    store<f64>(po, load<f64>(pa + 3 * lda), 24);
    store<f64>(po, load<f64>(pa + 4 * lda), 32);
    store<f64>(po, load<f64>(pa + 5 * lda), 40);
    store<f64>(po, load<f64>(pa + 6 * lda), 48);
    store<f64>(po, load<f64>(pa + 7 * lda), 56);
    pa += 8;
    po += ldo;
  }
}

/** out[j, i] = a[i, j] for i0 ≤ i < i1: one leftover column. */
// @ts-ignore: decorator
@inline function strip1(lda: usize, ldo: usize, a: usize, out: usize, i0: i32, i1: i32, j: i32): void {
  let pa = a + <usize>j * lda + (<usize>i0 << 3);
  let po = out + <usize>i0 * ldo + (<usize>j << 3);
  for (let i = i0; i < i1; i++) {
    store<f64>(po, load<f64>(pa));
    pa += 8;
    po += ldo;
  }
}

export function transpose(m: i32, n: i32, a: usize, out: usize): void {
  if (m <= 0 || n <= 0) return;
  // A vector's transpose has the same memory image.
  if (m == 1 || n == 1) { memory.copy(out, a, <usize>m * <usize>n << 3); return; }
  transposeRows(m, n, a, out, 0, m);
}

/**
 * Rows r0 ≤ i < r1 of transpose(m, n, a, out): out's columns r0 … r1 − 1 (contiguous), from
 * a's rows r0 … r1 − 1. The thread pool runs a large transpose as such ranges (m, n ≥ 2).
 */
export function transposeRows(m: i32, n: i32, a: usize, out: usize, r0: i32, r1: i32): void {
  const lda = <usize>m << 3, ldo = <usize>n << 3;
  for (let i0 = r0; i0 < r1; i0 += BAND) {
    const i1 = min(i0 + BAND, r1);
    let j = 0;
    for (; j + 8 <= n; j += 8) strip8(lda, ldo, a, out, i0, i1, j);
    for (; j < n; j++) strip1(lda, ldo, a, out, i0, i1, j);
  }
}
