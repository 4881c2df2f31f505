// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by the implicit QL
// algorithm with Wilkinson shifts (Bowdler, Martin, Reinsch & Wilkinson, "The QR and QL
// algorithms for symmetric matrices", Numer. Math. 11, 1968 — EISPACK imtql2; Golub & Van
// Loan, "Matrix Computations", 4th ed., §8.3.5; Parlett, "The Symmetric Eigenvalue Problem",
// ch. 8). The plane rotations are accumulated into the columns of a given orthogonal Z, so
// passing the Q of the tridiagonal reduction yields the eigenvectors of the original matrix.
//
// The rotations are not applied to Z as they are made. Each sweep's (c, s) sequence is
// recorded, and batches of sweeps are applied to Z one strip of 8 rows at a time (rows of Z
// are independent under column rotations). Applied directly, every sweep streams all of Z
// (n² doubles, 8 MB at n = 1000) through the cache; batched, Z streams once per batch and
// each strip stays in L1/L2 while hundreds of sweeps pass over it. Within a sweep the
// rotation at i and the next one at i − 1 share column i, which stays in registers.
import { EPS, SFMIN, hypot2 } from "./vec";

/** Rows per strip: 8 (four f64x2) in the SIMD build, 4 scalars in the scalar build. */
// @ts-ignore: decorator
@inline function stripRows(): i32 {
  return ASC_FEATURE_SIMD ? 8 : 4;
}

/**
 * Applies the recorded sweeps in buf[0..len) to the strip at zs, whose column j is at
 * zs + j·cs (8 rows in the SIMD build, 4 in the scalar build). A sweep record is [top, cnt]
 * followed by cnt pairs (c, s) for the planes (i, i+1), i = top − 1 down to top − cnt, each
 * (z_i, z_i+1) ← (c·z_i − s·z_i+1, s·z_i + c·z_i+1).
 */
function rotateStrip(zs: usize, cs: usize, buf: usize, len: i32): void {
  const end = buf + (<usize>len << 3);
  let p = buf;
  if (ASC_FEATURE_SIMD) {
    while (p < end) {
      const top = <i32>load<f64>(p), cnt = <i32>load<f64>(p, 8);
      p += 16;
      let py = zs + <usize>top * cs;
      let y0 = v128.load(py), y1 = v128.load(py, 16), y2 = v128.load(py, 32), y3 = v128.load(py, 48);
      const pend = p + (<usize>cnt << 4);
      while (p < pend) {
        const c = v128.load_splat<f64>(p), s = v128.load_splat<f64>(p, 8);
        const px = py - cs;
        const x0 = v128.load(px), x1 = v128.load(px, 16), x2 = v128.load(px, 32), x3 = v128.load(px, 48);
        v128.store(py, f64x2.add(f64x2.mul(s, x0), f64x2.mul(c, y0)));
        v128.store(py, f64x2.add(f64x2.mul(s, x1), f64x2.mul(c, y1)), 16);
        v128.store(py, f64x2.add(f64x2.mul(s, x2), f64x2.mul(c, y2)), 32);
        v128.store(py, f64x2.add(f64x2.mul(s, x3), f64x2.mul(c, y3)), 48);
        y0 = f64x2.sub(f64x2.mul(c, x0), f64x2.mul(s, y0));
        y1 = f64x2.sub(f64x2.mul(c, x1), f64x2.mul(s, y1));
        y2 = f64x2.sub(f64x2.mul(c, x2), f64x2.mul(s, y2));
        y3 = f64x2.sub(f64x2.mul(c, x3), f64x2.mul(s, y3));
        py = px;
        p += 16;
      }
      v128.store(py, y0);
      v128.store(py, y1, 16);
      v128.store(py, y2, 32);
      v128.store(py, y3, 48);
    }
  } else {
    while (p < end) {
      const top = <i32>load<f64>(p), cnt = <i32>load<f64>(p, 8);
      p += 16;
      let py = zs + <usize>top * cs;
      let y0 = load<f64>(py), y1 = load<f64>(py, 8), y2 = load<f64>(py, 16), y3 = load<f64>(py, 24);
      const pend = p + (<usize>cnt << 4);
      while (p < pend) {
        const c = load<f64>(p), s = load<f64>(p, 8);
        const px = py - cs;
        const x0 = load<f64>(px), x1 = load<f64>(px, 8), x2 = load<f64>(px, 16), x3 = load<f64>(px, 24);
        store<f64>(py, s * x0 + c * y0);
        store<f64>(py, s * x1 + c * y1, 8);
        store<f64>(py, s * x2 + c * y2, 16);
        store<f64>(py, s * x3 + c * y3, 24);
        y0 = c * x0 - s * y0;
        y1 = c * x1 - s * y1;
        y2 = c * x2 - s * y2;
        y3 = c * x3 - s * y3;
        py = px;
        p += 16;
      }
      store<f64>(py, y0);
      store<f64>(py, y1, 8);
      store<f64>(py, y2, 16);
      store<f64>(py, y3, 24);
    }
  }
}

/**
 * Applies the recorded sweeps in buf[0..len), which touch columns lo..hi of Z, strip by
 * strip. Each strip is first copied to `pack` (contiguous, one 64- or 32-byte group per
 * column): with a power-of-two ldz the strip's columns would otherwise fall into a handful
 * of cache sets and evict each other on every sweep.
 */
function applySweeps(n: i32, z: usize, ldz: i32, buf: usize, len: i32, lo: i32, hi: i32, pack: usize): void {
  if (len == 0) return;
  const ldzB = <usize>ldz << 3;
  const h = stripRows();
  const hB = <usize>h << 3;
  const ncol = hi - lo + 1;
  // Shift the packed strip so that column index j (as recorded) addresses pack + (j − lo)·hB.
  const base = pack - <usize>lo * hB;
  let r = 0;
  for (; r + h <= n; r += h) {
    const zr = z + (<usize>r << 3) + <usize>lo * ldzB;
    for (let j = 0; j < ncol; j++) memory.copy(pack + <usize>j * hB, zr + <usize>j * ldzB, hB);
    rotateStrip(base, hB, buf, len);
    for (let j = 0; j < ncol; j++) memory.copy(zr + <usize>j * ldzB, pack + <usize>j * hB, hB);
  }
  // Leftover rows, one at a time, in place.
  const end = buf + (<usize>len << 3);
  for (; r < n; r++) {
    const zr = z + (<usize>r << 3);
    let p = buf;
    while (p < end) {
      const top = <i32>load<f64>(p), cnt = <i32>load<f64>(p, 8);
      p += 16;
      let py = zr + <usize>top * ldzB;
      let y = load<f64>(py);
      const pend = p + (<usize>cnt << 4);
      while (p < pend) {
        const c = load<f64>(p), s = load<f64>(p, 8);
        const px = py - ldzB;
        const x = load<f64>(px);
        store<f64>(py, s * x + c * y);
        y = c * x - s * y;
        py = px;
        p += 16;
      }
      store<f64>(py, y);
    }
  }
}

/** Scratch steql needs for order n: the strip copy (8n) plus at least one sweep record. */
export function steqlMinScratch(n: i32): i32 {
  return 8 * n + 2 * n + 2;
}


/**
 * Diagonalizes T = tridiag(e, d, e) (d[0..n), e[0..n−1), e[n−1] ignored): on return d holds
 * the eigenvalues (unsorted) and column j of Z (n×n, ldz) has been rotated into the
 * eigenvector of d[j]. scratch: size ≥ steqlMinScratch(n) f64; beyond the strip copy it
 * holds the recorded rotations, so more scratch means fewer passes over Z. Returns 0, or the
 * number of subdiagonal entries that had not converged after 30·n QL sweeps (d and Z then
 * hold a partial result).
 */
export function steql(n: i32, d: usize, e: usize, z: usize, ldz: i32, scratch: usize, size: i32): i32 {
  if (n <= 1) return 0;
  const pack = scratch, buf = scratch + (<usize>(8 * n) << 3);
  const cap = size - 8 * n;
  let used = 0;
  // Columns touched by the recorded sweeps.
  let colLo = n, colHi = -1;
  const eps2 = EPS * EPS;
  const maxit = 30 * n;
  let sweeps = 0;
  store<f64>(e + (<usize>(n - 1) << 3), 0.0);
  let l = 0;
  while (l < n) {
    // The unreduced block is l..m: e[m] is negligible relative to its two neighbours on
    // the diagonal (LAPACK dsteqr's test, which keeps small eigenvalues relatively accurate).
    let m = l;
    for (; m < n - 1; m++) {
      const em = load<f64>(e + (<usize>m << 3));
      const tst = em * em;
      if (tst <= eps2 * abs<f64>(load<f64>(d + (<usize>m << 3))) * abs<f64>(load<f64>(d + (<usize>(m + 1) << 3))) + SFMIN) {
        store<f64>(e + (<usize>m << 3), 0.0);
        break;
      }
    }
    if (m == l) {
      l++;
      continue;
    }
    if (sweeps >= maxit) break;
    sweeps++;
    if (used + 2 * (m - l) + 2 > cap) {
      applySweeps(n, z, ldz, buf, used, colLo, colHi, pack);
      used = 0;
      colLo = n;
      colHi = -1;
    }
    const rec = buf + (<usize>used << 3);
    let q = rec + 16;

    const lo = <usize>l << 3;
    const dl = load<f64>(d + lo), el = load<f64>(e + lo);
    // Wilkinson shift: the eigenvalue of the leading 2×2 block [dl el; el d(l+1)] nearer to dl,
    // μ = dl − el/(g + sign(g)·√(g²+1)), g = (d(l+1) − dl)/(2·el). The sweep starts with
    // g = d[m] − μ: the first rotation is the one that zeroes the (m−1, m) entry of T − μI
    // from the bottom, as QL requires.
    let g = (load<f64>(d + lo + 8) - dl) / (2.0 * el);
    let r = hypot2(g, 1.0);
    g = load<f64>(d + (<usize>m << 3)) - dl + el / (g + copysign<f64>(r, g));
    let s = 1.0, c = 1.0, p = 0.0;
    let restart = false;
    // Chase the bulge from the bottom of the block up to its top: each rotation in the
    // (i, i+1) plane updates d[i+1], e[i+1] and carries p (the shift correction) and g.
    for (let i = m - 1; i >= l; i--) {
      const io = <usize>i << 3;
      const ei = load<f64>(e + io);
      const f = s * ei, b = c * ei;
      r = hypot2(f, g);
      store<f64>(e + io + 8, r);
      if (r == 0) {
        // f and g both underflowed: the block has split at i; undo the pending shift on
        // d[i+1] and restart the search (EISPACK's recovery).
        store<f64>(d + io + 8, load<f64>(d + io + 8) - p);
        store<f64>(e + (<usize>m << 3), 0.0);
        restart = true;
        break;
      }
      s = f / r;
      c = g / r;
      g = load<f64>(d + io + 8) - p;
      r = (load<f64>(d + io) - g) * s + 2.0 * c * b;
      p = s * r;
      store<f64>(d + io + 8, g + p);
      g = c * r - b;
      store<f64>(q, c);
      store<f64>(q, s, 8);
      q += 16;
    }
    // Record [top, cnt]: the rotations made, also when an underflow ended the sweep early.
    const cnt = <i32>((q - rec - 16) >> 4);
    store<f64>(rec, <f64>m);
    store<f64>(rec, <f64>cnt, 8);
    used += 2 + 2 * cnt;
    colLo = min<i32>(colLo, m - cnt);
    colHi = max<i32>(colHi, m);
    if (restart) continue;
    store<f64>(d + lo, load<f64>(d + lo) - p);
    store<f64>(e + lo, g);
    store<f64>(e + (<usize>m << 3), 0.0);
  }
  applySweeps(n, z, ldz, buf, used, colLo, colHi, pack);
  if (l >= n) return 0;
  let bad = 0;
  for (let i = 0; i < n - 1; i++) if (load<f64>(e + (<usize>i << 3)) != 0) bad++;
  return max<i32>(bad, 1);
}
