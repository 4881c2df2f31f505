// Householder reduction of a symmetric matrix (lower triangle) to tridiagonal form,
// Qᵀ·A·Q = T, and the explicit formation of Q (LAPACK dsytrd / dorgtr, uplo = L).
//
// Golub & Van Loan, "Matrix Computations", 4th ed., Alg. 8.3.1: step i picks the reflector
// H(i) = I − τ·v·vᵀ (v[i+1] = 1) that zeroes A[i+2:n, i], then applies it from both sides to
// the trailing block in symmetric form, A22 ← A22 − v·wᵀ − w·vᵀ with
// w = τ·A22·v − (τ²/2)(vᵀ·A22·v)·v, so only the lower triangle is read or written.
// sytd2Lower does exactly that; sytrdLower defers the rank-2 updates of a panel of columns
// and applies them together through gemm (LAPACK dlatrd + dsyr2k). Both are bound by the
// symmetric matrix-vector product each column needs, which therefore reads four columns
// per pass. Q is formed blockwise in compact WY form (orgtrLower).
import { gemv } from "../blas";
import { gemm } from "../gemm";
import { syr2kLower } from "./syrk";
import { EPS, SFMIN, axpyv, dotv, hypot2, nrm2v, scalv } from "./vec";

/**
 * Generates an elementary reflector (LAPACK dlarfg): for α = x[0] and the nn − 1 entries
 * after it, finds τ and v (v[0] = 1) with H·x = β·e₀, H = I − τ·v·vᵀ. Overwrites x[0] with β
 * and x[1:] with v[1:]; returns τ (0 when x[1:] is already zero, H = I).
 */
export function larfg(nn: i32, x: usize): f64 {
  if (nn <= 1) return 0;
  const tail = x + 8;
  let xnorm = nrm2v(nn - 1, tail);
  if (xnorm == 0) return 0;
  let alpha = load<f64>(x);
  let beta = -copysign<f64>(hypot2(alpha, xnorm), alpha);
  // If β is tiny, 1/(α − β) below overflows: scale up first (at most 20 times), then undo
  // the scaling on β. After syev's pre-scaling this does not happen, but larfg stays safe.
  const small = SFMIN / EPS;
  let knt = 0;
  if (abs<f64>(beta) < small) {
    const big = 1.0 / small;
    do {
      knt++;
      scalv(nn - 1, big, tail);
      beta *= big;
      alpha *= big;
    } while (abs<f64>(beta) < small && knt < 20);
    xnorm = nrm2v(nn - 1, tail);
    beta = -copysign<f64>(hypot2(alpha, xnorm), alpha);
  }
  const tau = (beta - alpha) / beta;
  scalv(nn - 1, 1.0 / (alpha - beta), tail);
  for (let j = 0; j < knt; j++) beta *= small;
  store<f64>(x, beta);
  return tau;
}

/**
 * y ← τ·A·x for the nn×nn symmetric A whose lower triangle is at a (BLAS dsymv, uplo = L).
 * One pass over the triangle, four columns at a time: below their 4×4 diagonal block, each
 * row's four entries add A[i, j:j+4]·x[j:j+4] into y[i] and A[i, j:j+4]·x[i] into four
 * running dots, so y is loaded and stored once per four columns instead of once per column.
 */
function symvLower(nn: i32, tau: f64, a: usize, lda: i32, x: usize, y: usize): void {
  const ldaB = <usize>lda << 3;
  memory.fill(y, 0, <usize>nn << 3);
  let j = 0;
  for (; j + 4 <= nn; j += 4) {
    const jo = <usize>j << 3;
    const c0 = a + <usize>j * ldaB + jo, c1 = c0 + ldaB, c2 = c1 + ldaB, c3 = c2 + ldaB;
    const x0 = load<f64>(x + jo), x1 = load<f64>(x + jo, 8), x2 = load<f64>(x + jo, 16), x3 = load<f64>(x + jo, 24);
    // The 4×4 diagonal block (lower entries mirrored).
    const a00 = load<f64>(c0), a10 = load<f64>(c0, 8), a20 = load<f64>(c0, 16), a30 = load<f64>(c0, 24);
    const a11 = load<f64>(c1, 8), a21 = load<f64>(c1, 16), a31 = load<f64>(c1, 24);
    const a22 = load<f64>(c2, 16), a32 = load<f64>(c2, 24);
    const a33 = load<f64>(c3, 24);
    let t0 = a00 * x0 + a10 * x1 + a20 * x2 + a30 * x3;
    let t1 = a10 * x0 + a11 * x1 + a21 * x2 + a31 * x3;
    let t2 = a20 * x0 + a21 * x1 + a22 * x2 + a32 * x3;
    let t3 = a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
    // Rows j+4 .. nn−1.
    const len = nn - j - 4;
    const off: usize = 32;
    const p0 = c0 + off, p1 = c1 + off, p2 = c2 + off, p3 = c3 + off, px = x + jo + off, py = y + jo + off;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const v0 = f64x2.splat(x0), v1 = f64x2.splat(x1), v2 = f64x2.splat(x2), v3 = f64x2.splat(x3);
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (; i + 2 <= len; i += 2) {
        const o = <usize>i << 3;
        const b0 = v128.load(p0 + o), b1 = v128.load(p1 + o), b2 = v128.load(p2 + o), b3 = v128.load(p3 + o);
        const xv = v128.load(px + o);
        const u = f64x2.add(f64x2.add(f64x2.mul(b0, v0), f64x2.mul(b1, v1)), f64x2.add(f64x2.mul(b2, v2), f64x2.mul(b3, v3)));
        v128.store(py + o, f64x2.add(v128.load(py + o), u));
        s0 = f64x2.add(s0, f64x2.mul(b0, xv));
        s1 = f64x2.add(s1, f64x2.mul(b1, xv));
        s2 = f64x2.add(s2, f64x2.mul(b2, xv));
        s3 = f64x2.add(s3, f64x2.mul(b3, xv));
      }
      t0 += f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
      t1 += f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1);
      t2 += f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
      t3 += f64x2.extract_lane(s3, 0) + f64x2.extract_lane(s3, 1);
    }
    for (; i < len; i++) {
      const o = <usize>i << 3;
      const b0 = load<f64>(p0 + o), b1 = load<f64>(p1 + o), b2 = load<f64>(p2 + o), b3 = load<f64>(p3 + o);
      const xv = load<f64>(px + o);
      store<f64>(py + o, load<f64>(py + o) + ((b0 * x0 + b1 * x1) + (b2 * x2 + b3 * x3)));
      t0 += b0 * xv;
      t1 += b1 * xv;
      t2 += b2 * xv;
      t3 += b3 * xv;
    }
    store<f64>(y + jo, load<f64>(y + jo) + t0);
    store<f64>(y + jo, load<f64>(y + jo, 8) + t1, 8);
    store<f64>(y + jo, load<f64>(y + jo, 16) + t2, 16);
    store<f64>(y + jo, load<f64>(y + jo, 24) + t3, 24);
  }
  // The last nn mod 4 columns, one at a time.
  for (; j < nn; j++) {
    const jo = <usize>j << 3;
    const col = a + <usize>j * ldaB + jo;
    const xj = load<f64>(x + jo);
    let t = load<f64>(col) * xj;
    for (let i = j + 1; i < nn; i++) {
      const o = <usize>(i - j) << 3;
      const c = load<f64>(col + o);
      store<f64>(y + (<usize>i << 3), load<f64>(y + (<usize>i << 3)) + c * xj);
      t += c * load<f64>(x + (<usize>i << 3));
    }
    store<f64>(y + jo, load<f64>(y + jo) + t);
  }
  if (tau != 1) scalv(nn, tau, y);
}

/** A ← A − v·wᵀ − w·vᵀ on the lower triangle of the nn×nn A (BLAS dsyr2, uplo = L, α = −1). */
function syr2Lower(nn: i32, v: usize, w: usize, a: usize, lda: i32): void {
  const ldaB = <usize>lda << 3;
  for (let j = 0; j < nn; j++) {
    const jo = <usize>j << 3;
    const col = a + <usize>j * ldaB + jo;
    const vj = load<f64>(v + jo), wj = load<f64>(w + jo);
    const len = nn - j;
    const pv = v + jo, pw = w + jo;
    let i = 0;
    if (ASC_FEATURE_SIMD) {
      const vv = f64x2.splat(vj), vw = f64x2.splat(wj);
      for (; i + 2 <= len; i += 2) {
        const o = <usize>i << 3;
        const upd = f64x2.add(f64x2.mul(v128.load(pv + o), vw), f64x2.mul(v128.load(pw + o), vv));
        v128.store(col + o, f64x2.sub(v128.load(col + o), upd));
      }
    }
    for (; i < len; i++) {
      const o = <usize>i << 3;
      store<f64>(col + o, load<f64>(col + o) - (load<f64>(pv + o) * wj + load<f64>(pw + o) * vj));
    }
  }
}

/**
 * Reduces the symmetric n×n matrix (lower triangle at a) to tridiagonal T = Qᵀ·A·Q:
 * d[0..n) = diag(T), e[0..n−1) = subdiagonal (e[n−1] = 0), and the reflectors in A below the
 * subdiagonal with their τ in tau[0..n−1). w is n scratch entries.
 */
export function sytd2Lower(n: i32, a: usize, lda: i32, d: usize, e: usize, tau: usize, w: usize): void {
  const ldaB = <usize>lda << 3;
  for (let i = 0; i < n - 1; i++) {
    const io = <usize>i << 3;
    const nn = n - i - 1;
    const v = a + <usize>i * ldaB + io + 8; // A[i+1, i]: α, then x
    const t = larfg(nn, v);
    const beta = load<f64>(v);
    store<f64>(e + io, beta);
    if (t != 0) {
      const a22 = v + ldaB; // A[i+1, i+1]
      store<f64>(v, 1.0);
      symvLower(nn, t, a22, lda, v, w);
      // w ← w − (τ/2)(wᵀv)·v, so that A22 − v·wᵀ − w·vᵀ = H·A22·H.
      axpyv(nn, -0.5 * t * dotv(nn, w, v), v, w);
      syr2Lower(nn, v, w, a22, lda);
      store<f64>(v, beta);
    }
    store<f64>(d + io, load<f64>(a + <usize>i * ldaB + io));
    store<f64>(tau + io, t);
  }
  const last = <usize>(n - 1) << 3;
  store<f64>(d + last, load<f64>(a + <usize>(n - 1) * ldaB + last));
  store<f64>(e + last, 0.0);
}

/** Columns per panel of the blocked reduction. */
const NBT: i32 = 32;
/** Trailing blocks at most this large are reduced unblocked. */
const NXT: i32 = 128;

/** Scratch entries (f64) sytrdLower needs for order n. */
export function sytrdScratch(n: i32): i32 {
  return n * NBT + n;
}

/**
 * Reduces the first nb columns of the nn×nn trailing matrix at a (LAPACK dlatrd, uplo = L):
 * the reflectors go to A as in sytd2Lower (with A[j+1, j] left at 1), e and tau receive
 * theirs, and W (nn×nb, ldw) receives the matrix with which the caller completes the
 * update of the trailing block as A22 ← A22 − V·Wᵀ − W·Vᵀ (V = the reflectors).
 * Until then, column j is brought up to date only when it is reached, from the panel's V
 * and W: each step costs one read-only pass over A22 (the symv) instead of sytd2's read
 * for the symv plus read-and-write for the rank-2 update.
 */
function latrdLower(nn: i32, nb: i32, a: usize, lda: i32, e: usize, tau: usize, w: usize, ldw: i32): void {
  const ldaB = <usize>lda << 3, ldwB = <usize>ldw << 3;
  for (let j = 0; j < nb; j++) {
    const jo = <usize>j << 3;
    const ajj = a + jo + <usize>j * ldaB; // A[j, j]
    const aj0 = a + jo, wj0 = w + jo; // A[j, 0], W[j, 0]: row j of the panel's V and W
    if (j > 0) {
      // A[j:, j] −= A[j:, 0:j]·W[j, 0:j]ᵀ + W[j:, 0:j]·A[j, 0:j]ᵀ
      gemv(0, nn - j, j, -1.0, aj0, lda, wj0, ldw, 1.0, ajj, 1);
      gemv(0, nn - j, j, -1.0, wj0, ldw, aj0, lda, 1.0, ajj, 1);
    }
    if (j < nn - 1) {
      const len = nn - j - 1;
      const v = ajj + 8; // A[j+1, j]
      const t = larfg(len, v);
      store<f64>(e + jo, load<f64>(v));
      store<f64>(tau + jo, t);
      store<f64>(v, 1.0);
      const wc = w + <usize>j * ldwB; // W[0, j]
      const wj = wc + jo + 8; // W[j+1, j]
      // W[j+1:, j] = A22·v − (V·Wᵀ + W·Vᵀ)·v, using W[0:j, j] as a scratch vector.
      symvLower(len, 1.0, v + ldaB, lda, v, wj);
      if (j > 0) {
        const a1 = aj0 + 8, w1 = wj0 + 8; // A[j+1, 0], W[j+1, 0]
        gemv(1, len, j, 1.0, w1, ldw, v, 1, 0.0, wc, 1);
        gemv(0, len, j, -1.0, a1, lda, wc, 1, 1.0, wj, 1);
        gemv(1, len, j, 1.0, a1, lda, v, 1, 0.0, wc, 1);
        gemv(0, len, j, -1.0, w1, ldw, wc, 1, 1.0, wj, 1);
      }
      scalv(len, t, wj);
      axpyv(len, -0.5 * t * dotv(len, wj, v), v, wj);
    }
  }
}

/**
 * Blocked version of sytd2Lower (LAPACK dsytrd, uplo = L): same outputs (d, e, τ, and the
 * reflectors in A). Panels of NBT columns are reduced by latrdLower and the trailing block
 * is then updated once per panel by a rank-2·NBT update (syr2k, i.e. gemm), so half of the
 * flops run in gemm and the rest are one read-only symv pass per column. scratch:
 * sytrdScratch(n) f64.
 */
export function sytrdLower(n: i32, a: usize, lda: i32, d: usize, e: usize, tau: usize, scratch: usize): void {
  const ldaB = <usize>lda << 3;
  let i = 0;
  for (; n - i > NXT; i += NBT) {
    const nn = n - i;
    const aii = a + (<usize>i << 3) + <usize>i * ldaB;
    const io = <usize>i << 3;
    latrdLower(nn, NBT, aii, lda, e + io, tau + io, scratch, nn);
    // A[i+NBT:, i+NBT:] −= V·Wᵀ + W·Vᵀ with V = A[i+NBT:, i:i+NBT], W = W[NBT:, 0:NBT].
    const off = <usize>NBT << 3;
    syr2kLower(nn - NBT, NBT, -1.0, aii + off, lda, scratch + off, nn, 1.0, aii + off + <usize>NBT * ldaB, lda);
    for (let j = i; j < i + NBT; j++) {
      const jo = <usize>j << 3;
      const ajj = a + jo + <usize>j * ldaB;
      store<f64>(ajj + 8, load<f64>(e + jo));
      store<f64>(d + jo, load<f64>(ajj));
    }
  }
  const io = <usize>i << 3;
  sytd2Lower(n - i, a + io + <usize>i * ldaB, lda, d + io, e + io, tau + io, scratch);
}

/** Reflectors per block of the blocked Q formation. */
const NBQ: i32 = 32;

/** Scratch entries (f64) orgtrLower needs for order n. */
export function orgtrScratch(n: i32): i32 {
  return 2 * NBQ * n + NBQ * NBQ;
}

/**
 * Unblocked LAPACK dorg2r: overwrites the rows×m block Q (rows ≥ m), which holds m
 * reflectors (v_i[i] = 1 implicit, v_i[i+1:rows] below the diagonal of column i, τ in tau),
 * with the first m columns of H(0)·H(1)·…·H(m−1). The reflectors are applied backwards to
 * the identity, so each H(i) only touches the columns it does not leave as identity.
 * w: m scratch entries.
 */
function org2r(rows: i32, m: i32, q: usize, ld: i32, tau: usize, w: usize): void {
  const ldB = <usize>ld << 3;
  for (let i = m - 1; i >= 0; i--) {
    const io = <usize>i << 3;
    const qi = q + <usize>i * ldB + io; // Q[i, i]
    const t = load<f64>(tau + io);
    const len = rows - i;
    if (i < m - 1) {
      // H(i) from the left on Q[i:rows, i+1:m]: C ← C − τ·v·(Cᵀv)ᵀ.
      store<f64>(qi, 1.0);
      const cols = m - i - 1;
      if (t != 0) {
        const c = qi + ldB;
        gemv(1, len, cols, 1.0, c, ld, qi, 1, 0.0, w, 1);
        for (let j = 0; j < cols; j++) axpyv(len, -t * load<f64>(w + (<usize>j << 3)), qi, c + <usize>j * ldB);
      }
    }
    scalv(len - 1, -t, qi + 8);
    store<f64>(qi, 1.0 - t);
    memory.fill(q + <usize>i * ldB, 0, io); // Q[0:i, i] = 0
  }
}

/**
 * Overwrites the n×n A holding sytd2Lower's reflectors with Q = H(0)·H(1)·…·H(n−2)
 * (LAPACK dorgtr, uplo = L, then dorgqr). scratch: orgtrScratch(n) f64.
 *
 * Q = diag(1, Q′) where Q′ is the product of the reflectors read in the trailing
 * (n−1)×(n−1) block one column to the right of where they are stored. After that shift, Q′
 * is formed blockwise from the right (LAPACK dorgqr): the last block column is generated
 * unblocked; then for each earlier block of NBQ reflectors, their product is written in
 * compact WY form I − V·T·Vᵀ (Schreiber & Van Loan, "A storage-efficient WY representation
 * for products of Householder transformations", SIAM J. Sci. Stat. Comput. 10(1), 1989;
 * LAPACK dlarft) and applied to the columns already formed with two gemm calls (dlarfb),
 * then the block's own columns are generated unblocked.
 */
export function orgtrLower(n: i32, a: usize, lda: i32, tau: usize, scratch: usize): void {
  const ldaB = <usize>lda << 3;
  // Shift the reflector vectors one column right; first row and column of Q are e₀.
  for (let j = n - 1; j >= 1; j--) {
    const dst = a + <usize>j * ldaB, src = dst - ldaB;
    store<f64>(dst, 0.0);
    for (let i = j + 1; i < n; i++) store<f64>(dst + (<usize>i << 3), load<f64>(src + (<usize>i << 3)));
  }
  store<f64>(a, 1.0);
  memory.fill(a + 8, 0, <usize>(n - 1) << 3);
  const m = n - 1;
  if (m <= 0) return;
  const q = a + 8 + ldaB; // Q′[0, 0]
  if (m <= 2 * NBQ) {
    org2r(m, m, q, lda, tau, scratch);
    return;
  }
  const VS = scratch, T = VS + <usize>m * (<usize>NBQ << 3), W = T + (<usize>(NBQ * NBQ) << 3);
  // Last block column [kk, m), generated unblocked within its own trailing block.
  const kk = ((m - 1) / NBQ) * NBQ;
  const qkk = q + (<usize>kk << 3) + <usize>kk * ldaB;
  org2r(m - kk, m - kk, qkk, lda, tau + (<usize>kk << 3), W);
  for (let j = kk; j < m; j++) memory.fill(q + <usize>j * ldaB, 0, <usize>kk << 3);
  for (let ib = kk - NBQ; ib >= 0; ib -= NBQ) {
    const jb = NBQ;
    const mv = m - ib, nc = m - ib - jb;
    const mvB = <usize>mv << 3;
    const qib = q + (<usize>ib << 3) + <usize>ib * ldaB; // Q′[ib, ib]
    // VS (mv×jb, ld mv) = the block's reflectors as an explicit unit lower trapezoid.
    for (let j = 0; j < jb; j++) {
      const dst = VS + <usize>j * mvB, src = qib + <usize>j * ldaB;
      memory.fill(dst, 0, <usize>j << 3);
      store<f64>(dst + (<usize>j << 3), 1.0);
      memory.copy(dst + (<usize>(j + 1) << 3), src + (<usize>(j + 1) << 3), <usize>(mv - j - 1) << 3);
    }
    // T (jb×jb upper, ld jb) with H(ib)…H(ib+jb−1) = I − VS·T·VSᵀ (dlarft, forward).
    const jbB = <usize>jb << 3;
    for (let i = 0; i < jb; i++) {
      const ti = load<f64>(tau + (<usize>(ib + i) << 3));
      const tc = T + <usize>i * jbB;
      if (ti == 0) {
        memory.fill(tc, 0, <usize>(i + 1) << 3);
        continue;
      }
      // T[0:i, i] = −τ_i·VS[i:, 0:i]ᵀ·VS[i:, i] (rows above i of VS[:, i] are zero),
      // then T[0:i, i] ← T[0:i, 0:i]·T[0:i, i] top-down in place (T upper).
      const io = <usize>i << 3;
      gemv(1, mv - i, i, -ti, VS + io, mv, VS + io + <usize>i * mvB, 1, 0.0, tc, 1);
      for (let r = 0; r < i; r++) {
        let sum = 0.0;
        for (let c = r; c < i; c++) sum += load<f64>(T + <usize>c * jbB + (<usize>r << 3)) * load<f64>(tc + (<usize>c << 3));
        store<f64>(tc + (<usize>r << 3), sum);
      }
      store<f64>(tc + io, ti);
    }
    // C ← (I − VS·T·VSᵀ)·C for C = Q′[ib:m, ib+jb:m] (dlarfb): W = VSᵀ·C, W ← T·W, C −= VS·W.
    const cc = qib + <usize>jb * ldaB;
    gemm(1, 0, jb, nc, mv, 1.0, VS, mv, cc, lda, 0.0, W, jb);
    for (let c = 0; c < nc; c++) {
      const wc = W + <usize>c * jbB;
      for (let r = 0; r < jb; r++) {
        let sum = 0.0;
        for (let k = r; k < jb; k++) sum += load<f64>(T + <usize>k * jbB + (<usize>r << 3)) * load<f64>(wc + (<usize>k << 3));
        store<f64>(wc + (<usize>r << 3), sum);
      }
    }
    gemm(0, 0, mv, nc, jb, -1.0, VS, mv, W, jb, 1.0, cc, lda);
    // The block's own columns, then zeros above them.
    org2r(mv, jb, qib, lda, tau + (<usize>ib << 3), W);
    for (let j = ib; j < ib + jb; j++) memory.fill(q + <usize>j * ldaB, 0, <usize>ib << 3);
  }
}
