// C ← α·op(A)·op(B) + β·C, column-major, reference-BLAS dgemm semantics.
//
// Structure (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication",
// ACM TOMS 34(3), 2008; the loop nest and names follow BLIS, Van Zee & van de Geijn,
// ACM TOMS 41(3), 2015):
//
//   for jc in n step NC          B block kc×nc  → BPACK  (stays in L2/L3)
//     for pc in k step KC
//       pack op(B)[pc.., jc..] into NR-wide micro-panels
//       for ic in m step MC      A block mc×kc  → APACK  (stays in L2)
//         pack op(A)[ic.., pc..] into MR-tall micro-panels
//         for jr, ir: MR×NR micro-kernel over kc   (B micro-panel stays in L1)
//
// Packing makes every operand contiguous and 16-byte aligned whatever the transposes and
// leading dimensions are, so one micro-kernel serves all four op combinations. Two shortcuts
// skip work that does not pay at small sizes: a small op(A) = A is read in place (DIRECT_A),
// and tiny products skip packing altogether (SMALL_MNK). One-column/one-row products go to gemv;
// in the SIMD builds, products of at most one tile's rows read B in place (gemmFewRows) and
// products of a few columns read A in place (gemmFewColsN, gemmFewColsT), each entry still summed
// and merged as the packed path does.
//
// The micro-tile is MR = 4 rows (two f64x2) × NR = 4 columns. Why not larger: V8's
// TurboFan (Node 20, x64) schedules all loads of a loop iteration ahead of the arithmetic, so a
// tile needs accumulators + A vectors + B splats (+ 1 temporary without FMA) registers, out of
// the 15 xmm registers it allocates (xmm15 is its scratch).
// - Plain SIMD: 4×4 needs 8 + 2 + 4 + 1 = 15. Read off V8's code (--print-wasm-code): 4×4 and
//   8×2 keep the loop free of stack traffic; 6×3 spills 2 values per iteration, 4×5 and 10×2
//   spill 6, 4×6, 6×4, 8×3 and 12×2 10-12, 10×4 32, and 4×4 with k unrolled by 2 spills 14
//   (both iterations' loads are hoisted together). 8×2 runs as fast as 4×4 but moves more
//   packed data per flop ((MR+NR)/(MR·NR) = 0.625 vs 0.5) and wastes more on edge tiles.
// - Relaxed SIMD (fused multiply-add, no temporary): 6×3 (MR_WIDE × NR_WIDE) needs 9 + 3 + 3
//   = 15 and runs ~4 % faster than 4×4 (9 accumulators cover the FMA latency better than 8;
//   1.5 multiply-adds a load instead of 1.33); 10×2 (17 registers) spills. The relaxed build
//   takes it for all but short products (WIDE_M). Measured in bench/NOTES.md.
// Each entry of C sees the same operations whatever tile it falls in (full tiles and edge
// tiles round alike, mergeTile), so the tile shape never changes a result's bits, and a
// product split into panels anywhere gives the bits of the whole call.
import { gemv } from "./blas";
import { madd } from "./fma";
import { fewL1Sets } from "./l1";

/** Micro-tile rows (A micro-panel height) and columns (B micro-panel width). */
const MR: i32 = 4;
const NR: i32 = 4;
/** The relaxed build's tile for products of at least WIDE_M rows, or a multiple of 6. */
const MR_WIDE: i32 = 6;
const NR_WIDE: i32 = 3;
/**
 * Below this many rows (and not a multiple of 6), the relaxed build keeps 4×4: a partial 6-row
 * panel wastes up to 4/6 of its work, which at m = 20 (the MLP Hessian's Xᵀ·δ) cost 15 %.
 */
const WIDE_M: i32 = 96;
/**
 * k-block: a B micro-panel is KC·NR·8 ≤ 8 KiB and an A micro-panel KC·MR·8 ≤ 12 KiB, so both
 * sit in the 48 KiB L1 with room for the C tile (the BLIS rule: B micro-panel resident in L1
 * while A micro-panels stream from L2).
 */
const KC: i32 = 256;
/**
 * m-block (a multiple of both tiles' rows): the packed A block is MC·KC·8 ≈ 256 KiB, well
 * inside L2.
 */
const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 132 : 128;
/**
 * n-block (a multiple of both tiles' columns): the packed B block is KC·NC·8 ≈ 1 MiB. A is
 * re-packed once per NC columns, which costs m·k copies against 2·m·NC·k flops, i.e. under
 * 0.1% at NC = 512.
 */
const NC: i32 = ASC_FEATURE_RELAXED_SIMD ? 516 : 512;

// Scratch: static blocks below __heap_base, unless placeGemmScratch moved them (threads).
let APACK_AT: usize = memory.data(MC * KC * 8, 16);
let BPACK_AT: usize = memory.data(KC * NC * 8, 16);
/** An edge tile is computed in full into CTILE, then only its valid part is merged into C. */
const CTILE_BYTES: i32 = (MR * NR > MR_WIDE * NR_WIDE ? MR * NR : MR_WIDE * NR_WIDE) * 8;
let CTILE_AT: usize = memory.data(CTILE_BYTES, 16);

/**
 * Below this many multiply-adds a call skips packing and runs a plain loop: the packed path
 * wins from 8×8×8 on, the plain loop at 6×6×6 (rates in bench/NOTES.md).
 */
const SMALL_MNK: i32 = 512;

/**
 * With op(A) = A and at most this many entries (128 KiB, an L2-resident A), the micro-kernel
 * reads A in place, column by column, instead of packing it: that wins while A sits in L2
 * (n = 64, 128) and loses from n = 256 on, where the strided reads come from L2/L3
 * (bench/NOTES.md). Not when A's columns crowd into few L1 sets (./l1.ts fewL1Sets): then
 * they evict each other between the two tiles that share a line, and at a multiple of 4 KiB
 * A's reads also share their low 12 address bits with the stores into C's columns in the same
 * rows, which the CPU takes for dependences (4K aliasing). The trailing updates of LU and
 * Cholesky at n = 512 and 1024 read A so: potrf at n = 512 ran at 0.6 of its rate at n = 500
 * (bench/NOTES.md, session 25).
 */
const DIRECT_A: i64 = 16384;

/**
 * Products of at most this many columns take gemmFewColsN (op(A) = A) or gemmFewColsT (op(A) =
 * Aᵀ) in the SIMD builds: op(A) then feeds so few micro-tiles that packing it (a copy of all of
 * A per call) and the micro-kernel's reads of it, a few bytes from each of KC columns in turn,
 * cost more than the products. Past them the packed path is as fast or faster (bench/NOTES.md,
 * session 29).
 */
const FEW_COLS_N: i32 = 16;
const FEW_COLS_T: i32 = 12;
/**
 * Rows of C gemmFewColsN sums at a time: A is read in runs of this many rows (8 KiB), and the
 * partial sums (≤ 128 KiB, in APACK) stay in L2. 256 rows ran 5–15 % slower (bench/NOTES.md).
 */
const SWEEP_ROWS: i32 = 1024;

/**
 * The micro-kernel: C[0:mr, 0:nr] ← α·Ap·Bp + β·C over kc ≥ 1 steps, with mr×nr = MR×NR, or
 * MR_WIDE×NR_WIDE when `wide` (relaxed build only). Bp holds kc groups of nr columns (packed).
 * Ap holds kc groups of mr rows, astep bytes apart: mr·8 when packed, or A's column stride
 * when A is read in place. ldc in bytes. β = 0 does not read C.
 */
// Inlined into macroKernel's loops on purpose: TurboFan (Node 20's V8) unrolls a small inner
// loop only when it sits inside other loops of the same function, with a budget that grows with
// the nesting depth. As a function of its own, the k loop ran one iteration at a time with a
// stack check, a branch and two zero-extending moves each: GEMM at ~20.5 GFLOP/s in the SIMD
// build against ~25.5 inlined (bench/NOTES.md, session 24).
// @ts-ignore: decorator
@inline function kernel(kc: i32, ap: usize, astep: usize, bp: usize, c: usize, ldc: usize, alpha: f64, beta: f64, wide: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD && wide) {
    kernel6x3(kc, ap, astep, bp, c, ldc, alpha, beta);
  } else if (ASC_FEATURE_SIMD) {
    let c00 = f64x2.splat(0), c10 = f64x2.splat(0);
    let c01 = f64x2.splat(0), c11 = f64x2.splat(0);
    let c02 = f64x2.splat(0), c12 = f64x2.splat(0);
    let c03 = f64x2.splat(0), c13 = f64x2.splat(0);
    // A pointer-bound loop (no separate counter) keeps the loop's integer work to two pointer
    // bumps and one compare; the FP ports are the bottleneck, so every extra uop shows.
    const aend = ap + <usize>kc * astep;
    do {
      const a0 = v128.load(ap), a1 = v128.load(ap, 16);
      const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8);
      const b2 = v128.load_splat<f64>(bp, 16), b3 = v128.load_splat<f64>(bp, 24);
      c00 = madd(a0, b0, c00); c10 = madd(a1, b0, c10);
      c01 = madd(a0, b1, c01); c11 = madd(a1, b1, c11);
      c02 = madd(a0, b2, c02); c12 = madd(a1, b2, c12);
      c03 = madd(a0, b3, c03); c13 = madd(a1, b3, c13);
      ap += astep;
      bp += 32;
    } while (ap < aend);
    storeTile(c00, c10, c01, c11, c02, c12, c03, c13, c, ldc, alpha, beta);
  } else {
    // Scalar: a 4×4 tile needs 16 accumulators + 8 operands, which spills; two 4×2 halves
    // (8 + 4 + 2 + 1 = 15 registers) re-read the A micro-panel from L1 instead.
    for (let h = 0; h < 2; h++) {
      let c00 = 0.0, c10 = 0.0, c20 = 0.0, c30 = 0.0;
      let c01 = 0.0, c11 = 0.0, c21 = 0.0, c31 = 0.0;
      let pa = ap, pb = bp + (<usize>h << 4);
      const aend = ap + <usize>kc * astep;
      do {
        const a0 = load<f64>(pa), a1 = load<f64>(pa, 8), a2 = load<f64>(pa, 16), a3 = load<f64>(pa, 24);
        const b0 = load<f64>(pb), b1 = load<f64>(pb, 8);
        c00 += a0 * b0; c10 += a1 * b0; c20 += a2 * b0; c30 += a3 * b0;
        c01 += a0 * b1; c11 += a1 * b1; c21 += a2 * b1; c31 += a3 * b1;
        pa += astep;
        pb += 32;
      } while (pa < aend);
      const q0 = c + <usize>(h << 1) * ldc, q1 = q0 + ldc;
      if (beta == 0) {
        store<f64>(q0, alpha * c00); store<f64>(q0, alpha * c10, 8);
        store<f64>(q0, alpha * c20, 16); store<f64>(q0, alpha * c30, 24);
        store<f64>(q1, alpha * c01); store<f64>(q1, alpha * c11, 8);
        store<f64>(q1, alpha * c21, 16); store<f64>(q1, alpha * c31, 24);
      } else {
        store<f64>(q0, alpha * c00 + beta * load<f64>(q0));
        store<f64>(q0, alpha * c10 + beta * load<f64>(q0, 8), 8);
        store<f64>(q0, alpha * c20 + beta * load<f64>(q0, 16), 16);
        store<f64>(q0, alpha * c30 + beta * load<f64>(q0, 24), 24);
        store<f64>(q1, alpha * c01 + beta * load<f64>(q1));
        store<f64>(q1, alpha * c11 + beta * load<f64>(q1, 8), 8);
        store<f64>(q1, alpha * c21 + beta * load<f64>(q1, 16), 16);
        store<f64>(q1, alpha * c31 + beta * load<f64>(q1, 24), 24);
      }
    }
  }
}

/** The SIMD 4×4 tile's end (cIJ: rows 2I and 2I + 1 of column J): C ← α·T + β·C (β = 0 does not read C). */
// @ts-ignore: decorator
@inline function storeTile(c00: v128, c10: v128, c01: v128, c11: v128, c02: v128, c12: v128, c03: v128, c13: v128,
  c: usize, ldc: usize, alpha: f64, beta: f64): void {
  if (alpha != 1) {
    const va = f64x2.splat(alpha);
    c00 = f64x2.mul(va, c00); c10 = f64x2.mul(va, c10);
    c01 = f64x2.mul(va, c01); c11 = f64x2.mul(va, c11);
    c02 = f64x2.mul(va, c02); c12 = f64x2.mul(va, c12);
    c03 = f64x2.mul(va, c03); c13 = f64x2.mul(va, c13);
  }
  const p0 = c, p1 = c + ldc, p2 = p1 + ldc, p3 = p2 + ldc;
  if (beta != 0) {
    if (beta == 1) {
      c00 = f64x2.add(c00, v128.load(p0)); c10 = f64x2.add(c10, v128.load(p0, 16));
      c01 = f64x2.add(c01, v128.load(p1)); c11 = f64x2.add(c11, v128.load(p1, 16));
      c02 = f64x2.add(c02, v128.load(p2)); c12 = f64x2.add(c12, v128.load(p2, 16));
      c03 = f64x2.add(c03, v128.load(p3)); c13 = f64x2.add(c13, v128.load(p3, 16));
    } else {
      const vb = f64x2.splat(beta);
      c00 = madd(vb, v128.load(p0), c00); c10 = madd(vb, v128.load(p0, 16), c10);
      c01 = madd(vb, v128.load(p1), c01); c11 = madd(vb, v128.load(p1, 16), c11);
      c02 = madd(vb, v128.load(p2), c02); c12 = madd(vb, v128.load(p2, 16), c12);
      c03 = madd(vb, v128.load(p3), c03); c13 = madd(vb, v128.load(p3, 16), c13);
    }
  }
  v128.store(p0, c00); v128.store(p0, c10, 16);
  v128.store(p1, c01); v128.store(p1, c11, 16);
  v128.store(p2, c02); v128.store(p2, c12, 16);
  v128.store(p3, c03); v128.store(p3, c13, 16);
}

/**
 * The SIMD 4×4 micro-kernel with B read in place: op(B)(p, j) at bp + p·bsp + j·bsj (bytes).
 * A is packed (kc groups of MR rows at a0; gemmFewRows), or with `gather` read in place as Aᵀ
 * (gemmFewColsT): row i of op(A) is column i of A, so the tile's four rows are four columns of A
 * (pointers a0…a3, each stepping 8 bytes down its column), gathered two to a vector. Only the
 * first `nq` columns are computed (`gather` and `nq` are constants at each call, so the rest is
 * compiled out; the other accumulators stay zero and are never merged); rows past the
 * product's edge repeat a valid pointer and are never merged either. The same operations in the
 * same order as {@link kernel}'s, so an entry gets the same bits either way.
 */
// @ts-ignore: decorator
@inline function kernelInPlaceB(kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, gather: bool,
  bp: usize, bsp: usize, bsj: usize, nq: i32, c: usize, ldc: usize, alpha: f64, beta: f64): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0);
  let c01 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0);
  let c03 = f64x2.splat(0), c13 = f64x2.splat(0);
  let q0 = bp, q1 = nq > 1 ? bp + bsj : bp, q2 = nq > 2 ? bp + (bsj << 1) : bp, q3 = nq > 3 ? bp + bsj * 3 : bp;
  const aend = a0 + (<usize>kc << (gather ? 3 : 5));
  do {
    const x0 = gather ? v128.load64_lane(a1, v128.load64_splat(a0), 1) : v128.load(a0);
    const x1 = gather ? v128.load64_lane(a3, v128.load64_splat(a2), 1) : v128.load(a0, 16);
    const b0 = v128.load_splat<f64>(q0), b1 = nq > 1 ? v128.load_splat<f64>(q1) : b0;
    const b2 = nq > 2 ? v128.load_splat<f64>(q2) : b0, b3 = nq > 3 ? v128.load_splat<f64>(q3) : b0;
    c00 = madd(x0, b0, c00); c10 = madd(x1, b0, c10);
    if (nq > 1) { c01 = madd(x0, b1, c01); c11 = madd(x1, b1, c11); }
    if (nq > 2) { c02 = madd(x0, b2, c02); c12 = madd(x1, b2, c12); }
    if (nq > 3) { c03 = madd(x0, b3, c03); c13 = madd(x1, b3, c13); }
    if (gather) {
      a0 += 8; a1 += 8; a2 += 8; a3 += 8;
    } else a0 += 32;
    q0 += bsp; if (nq > 1) q1 += bsp; if (nq > 2) q2 += bsp; if (nq > 3) q3 += bsp;
  } while (a0 < aend);
  storeTile(c00, c10, c01, c11, c02, c12, c03, c13, c, ldc, alpha, beta);
}

/**
 * kernelInPlaceB for two rows (A packed two rows a step), into CTILE as a 2×NR tile (ld 2) for
 * mergeTile: half the work of a 4×4 tile with two rows of padding. Same operations per entry.
 */
// @ts-ignore: decorator
@inline function kernel2InPlaceB(kc: i32, ap: usize, bp: usize, bsp: usize, bsj: usize): void {
  let c0 = f64x2.splat(0), c1 = f64x2.splat(0), c2 = f64x2.splat(0), c3 = f64x2.splat(0);
  let q0 = bp, q1 = bp + bsj, q2 = q1 + bsj, q3 = q2 + bsj;
  const aend = ap + (<usize>kc << 4);
  do {
    const a0 = v128.load(ap);
    c0 = madd(a0, v128.load_splat<f64>(q0), c0);
    c1 = madd(a0, v128.load_splat<f64>(q1), c1);
    c2 = madd(a0, v128.load_splat<f64>(q2), c2);
    c3 = madd(a0, v128.load_splat<f64>(q3), c3);
    ap += 16;
    q0 += bsp; q1 += bsp; q2 += bsp; q3 += bsp;
  } while (ap < aend);
  const t = CTILE_AT;
  v128.store(t, c0); v128.store(t, c1, 16); v128.store(t, c2, 32); v128.store(t, c3, 48);
}

/** The relaxed build's 6×3 micro-kernel (see kernel); every multiply-add fused. */
// @ts-ignore: decorator
@inline function kernel6x3(kc: i32, ap: usize, astep: usize, bp: usize, c: usize, ldc: usize, alpha: f64, beta: f64): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c20 = f64x2.splat(0);
  let c01 = f64x2.splat(0), c11 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0), c22 = f64x2.splat(0);
  const aend = ap + <usize>kc * astep;
  do {
    const a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32);
    const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8), b2 = v128.load_splat<f64>(bp, 16);
    c00 = madd(a0, b0, c00); c10 = madd(a1, b0, c10); c20 = madd(a2, b0, c20);
    c01 = madd(a0, b1, c01); c11 = madd(a1, b1, c11); c21 = madd(a2, b1, c21);
    c02 = madd(a0, b2, c02); c12 = madd(a1, b2, c12); c22 = madd(a2, b2, c22);
    ap += astep;
    bp += 24;
  } while (ap < aend);
  if (alpha != 1) {
    const va = f64x2.splat(alpha);
    c00 = f64x2.mul(va, c00); c10 = f64x2.mul(va, c10); c20 = f64x2.mul(va, c20);
    c01 = f64x2.mul(va, c01); c11 = f64x2.mul(va, c11); c21 = f64x2.mul(va, c21);
    c02 = f64x2.mul(va, c02); c12 = f64x2.mul(va, c12); c22 = f64x2.mul(va, c22);
  }
  const p0 = c, p1 = c + ldc, p2 = p1 + ldc;
  if (beta != 0) {
    if (beta == 1) {
      c00 = f64x2.add(c00, v128.load(p0)); c10 = f64x2.add(c10, v128.load(p0, 16)); c20 = f64x2.add(c20, v128.load(p0, 32));
      c01 = f64x2.add(c01, v128.load(p1)); c11 = f64x2.add(c11, v128.load(p1, 16)); c21 = f64x2.add(c21, v128.load(p1, 32));
      c02 = f64x2.add(c02, v128.load(p2)); c12 = f64x2.add(c12, v128.load(p2, 16)); c22 = f64x2.add(c22, v128.load(p2, 32));
    } else {
      const vb = f64x2.splat(beta);
      c00 = madd(vb, v128.load(p0), c00); c10 = madd(vb, v128.load(p0, 16), c10); c20 = madd(vb, v128.load(p0, 32), c20);
      c01 = madd(vb, v128.load(p1), c01); c11 = madd(vb, v128.load(p1, 16), c11); c21 = madd(vb, v128.load(p1, 32), c21);
      c02 = madd(vb, v128.load(p2), c02); c12 = madd(vb, v128.load(p2, 16), c12); c22 = madd(vb, v128.load(p2, 32), c22);
    }
  }
  v128.store(p0, c00); v128.store(p0, c10, 16); v128.store(p0, c20, 32);
  v128.store(p1, c01); v128.store(p1, c11, 16); v128.store(p1, c21, 32);
  v128.store(p2, c02); v128.store(p2, c12, 16); v128.store(p2, c22, 32);
}

/**
 * Merges the valid mr×nr corner of CTILE (ld rows) into C: C ← α·T + β·C (β = 0: C not read),
 * rounding as the kernel's own merge does (β·C + α·T fused in the relaxed build), so an entry
 * gets the same bits in an edge tile as in a full one.
 */
function mergeTile(mr: i32, nr: i32, ld: i32, c: usize, ldc: usize, alpha: f64, beta: f64): void {
  const CTILE = CTILE_AT;
  for (let j = 0; j < nr; j++) {
    const t = CTILE + <usize>(j * ld) * 8, q = c + <usize>j * ldc;
    for (let i = 0; i < mr; i++) mergeEntry(load<f64>(t + (<usize>i << 3)), q + (<usize>i << 3), alpha, beta);
  }
}

/** C[q] ← α·t + β·C[q] (β = 0: C not read), rounded as a full tile's merge (storeTile) rounds it. */
// @ts-ignore: decorator
@inline function mergeEntry(t: f64, q: usize, alpha: f64, beta: f64): void {
  const v = alpha * t;
  let r = v;
  if (beta == 1) r = v + load<f64>(q);
  else if (beta != 0) {
    if (ASC_FEATURE_RELAXED_SIMD) r = f64x2.extract_lane(madd(f64x2.splat(beta), f64x2.splat(load<f64>(q)), f64x2.splat(v)), 0);
    else r = v + beta * load<f64>(q);
  }
  store<f64>(q, r);
}

/**
 * Packs one W-wide micro-panel (W the tile's rows for A, its columns for B):
 * dst[W·p + i] = src[i·rs + p·cs] for i < w, 0 for w ≤ i < W, p < kc (rs, cs in bytes). The
 * zero rows/columns of a partial panel only feed the discarded part of an edge tile, but keep
 * it free of NaN and denormal garbage. (Full panels that are contiguous across their width are
 * copied by packBlock directly.)
 */
function packPanel(dst: usize, src: usize, w: i32, kc: i32, rs: usize, cs: usize, W: i32): void {
  let p = 0;
  if (w == W && cs == 8) {
    // W streams contiguous along k (op(A) = Aᵀ, op(B) = B): transpose on the fly, two k-steps
    // of each stream at a time.
    let o: usize = 0;
    if (ASC_FEATURE_SIMD) {
      if (W == 3) {
        const s0 = src, s1 = src + rs, s2 = s1 + rs;
        for (; p + 2 <= kc; p += 2) {
          const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o), x2 = v128.load(s2 + o);
          v128.store(dst, v128.shuffle<f64>(x0, x1, 0, 2));
          v128.store(dst, v128.shuffle<f64>(x2, x0, 0, 3), 16);
          v128.store(dst, v128.shuffle<f64>(x1, x2, 1, 3), 32);
          dst += 48;
          o += 16;
        }
      } else if (W == 4) {
        const s0 = src, s1 = src + rs, s2 = s1 + rs, s3 = s2 + rs;
        for (; p + 2 <= kc; p += 2) {
          const x0 = v128.load(s0 + o), x1 = v128.load(s1 + o);
          const x2 = v128.load(s2 + o), x3 = v128.load(s3 + o);
          v128.store(dst, v128.shuffle<f64>(x0, x1, 0, 2));
          v128.store(dst, v128.shuffle<f64>(x2, x3, 0, 2), 16);
          v128.store(dst, v128.shuffle<f64>(x0, x1, 1, 3), 32);
          v128.store(dst, v128.shuffle<f64>(x2, x3, 1, 3), 48);
          dst += 64;
          o += 16;
        }
      } else {
        // Even W: the streams in pairs, two k-steps of a pair being one shuffle pair.
        const half = <usize>W << 3;
        for (; p + 2 <= kc; p += 2) {
          let s = src, d = dst;
          for (let i = 0; i < W; i += 2) {
            const x0 = v128.load(s + o), x1 = v128.load(s + rs + o);
            v128.store(d, v128.shuffle<f64>(x0, x1, 0, 2));
            v128.store(d + half, v128.shuffle<f64>(x0, x1, 1, 3));
            s += rs << 1;
            d += 16;
          }
          dst += half << 1;
          o += 16;
        }
      }
    }
    for (; p < kc; p++) {
      let s = src + o;
      for (let i = 0; i < W; i++) {
        store<f64>(dst + (<usize>i << 3), load<f64>(s));
        s += rs;
      }
      dst += <usize>W << 3;
      o += 8;
    }
  } else {
    for (; p < kc; p++) {
      const sp = src + <usize>p * cs;
      let i = 0;
      for (; i < w; i++) store<f64>(dst + (<usize>i << 3), load<f64>(sp + <usize>i * rs));
      for (; i < W; i++) store<f64>(dst + (<usize>i << 3), 0.0);
      dst += <usize>W << 3;
    }
  }
}

/** Packs an mn×kc block as ceil(mn/W) consecutive micro-panels of W·kc values each. */
function packBlock(dst: usize, src: usize, mn: i32, kc: i32, rs: usize, cs: usize, W: i32): void {
  const width = <usize>W << 3;
  const panel = <usize>kc * width;
  const full = mn - mn % W;
  if (rs == 8 && full > 0) {
    // Contiguous along the panel width (op(A) = A, op(B) = Bᵀ): walk the source one column
    // (or row) at a time so each k step reads one contiguous run, instead of touching a new
    // cache line and page per k step inside each panel.
    const bytes = <usize>full << 3;
    for (let p = 0; p < kc; p++) {
      const sp = src + <usize>p * cs;
      let dp = dst + <usize>p * width;
      for (let o: usize = 0; o < bytes; o += width) {
        if (ASC_FEATURE_SIMD) {
          v128.store(dp, v128.load(sp + o));
          if (W == 3) store<f64>(dp, load<f64>(sp + o, 16), 16);
          else if (W > 2) {
            v128.store(dp, v128.load(sp + o, 16), 16);
            if (W == 6) v128.store(dp, v128.load(sp + o, 32), 32);
          }
        } else {
          store<f64>(dp, load<f64>(sp + o)); store<f64>(dp, load<f64>(sp + o, 8), 8);
          store<f64>(dp, load<f64>(sp + o, 16), 16); store<f64>(dp, load<f64>(sp + o, 24), 24);
        }
        dp += panel;
      }
    }
    if (full < mn) packPanel(dst + <usize>(full / W) * panel, src + (<usize>full << 3), mn - full, kc, rs, cs, W);
    return;
  }
  const step = rs * <usize>W;
  for (let i = 0; i < mn; i += W) {
    packPanel(dst, src, min<i32>(W, mn - i), kc, rs, cs, W);
    dst += panel;
    src += step;
  }
}

/**
 * Runs the micro-kernel over one mc×kc block of op(A) and the packed kc×nc B block (BPACK).
 * A is either packed in APACK (inPlace false) or read in place at `a` (op(A) = A, columns
 * ldaB bytes apart); in place, a partial last row panel is packed into APACK instead, since
 * reading it in place would run past A's last row (and possibly past the end of memory).
 * With `upper` (gemmUpper), tiles wholly below the diagonal are skipped; `below` is how far
 * the block's first row lies below its first column (ic − jc).
 */
function macroKernel(mc: i32, nc: i32, kc: i32, alpha: f64, beta: f64, c: usize, ldc: usize,
  inPlace: bool, a: usize, ldaB: usize, upper: bool, below: i32, wide: bool): void {
  const APACK = APACK_AT, BPACK = BPACK_AT, CTILE = CTILE_AT;
  const MRt = wide ? MR_WIDE : MR, NRt = wide ? NR_WIDE : NR;
  const bpanel = <usize>(kc * NRt) << 3;
  const apanel: usize = inPlace ? <usize>MRt << 3 : <usize>(kc * MRt) << 3;
  const astep: usize = inPlace ? ldaB : <usize>MRt << 3;
  const mFull = inPlace ? mc - mc % MRt : mc;
  if (mFull < mc) packBlock(APACK, a + (<usize>mFull << 3), mc - mFull, kc, 8, ldaB, MRt);
  let bp = BPACK;
  for (let jr = 0; jr < nc; jr += NRt) {
    const nr = min<i32>(NRt, nc - jr);
    let ap = inPlace ? a : APACK;
    let cp = c + <usize>jr * ldc;
    for (let ir = 0; ir < mc; ir += MRt) {
      const mr = min<i32>(MRt, mc - ir);
      const full = ir < mFull;
      const pa = full ? ap : APACK, st = full ? astep : <usize>MRt << 3;
      if (upper && below + ir > jr + nr - 1) {
        // Its first row is below its last column: every entry is below the diagonal.
      } else if (mr == MRt && nr == NRt) {
        kernel(kc, pa, st, bp, cp, ldc, alpha, beta, wide);
      } else {
        kernel(kc, pa, st, bp, CTILE, <usize>MRt << 3, 1.0, 0.0, wide);
        mergeTile(mr, nr, MRt, cp, ldc, alpha, beta);
      }
      ap += apanel;
      cp += <usize>MRt << 3;
    }
    bp += bpanel;
  }
}

/** C ← β·C (β = 0 writes zeros without reading C, so NaN in C does not survive). */
function scaleC(m: i32, n: i32, beta: f64, c: usize, ldc: usize): void {
  if (beta == 1) return;
  const bytes = <usize>m << 3;
  for (let j = 0; j < n; j++) {
    const q = c + <usize>j * ldc;
    if (beta == 0) memory.fill(q, 0, bytes);
    else for (let o: usize = 0; o < bytes; o += 8) store<f64>(q + o, beta * load<f64>(q + o));
  }
}

/** Splits `total` into the fewest blocks of at most `cap`, of equal size rounded up to `unit`. */
// @ts-ignore: decorator
@inline function blockSize(total: i32, cap: i32, unit: i32): i32 {
  const blocks = (total + cap - 1) / cap;
  const even = (total + blocks - 1) / blocks;
  return min<i32>(cap, (even + unit - 1) / unit * unit);
}

/**
 * Unpacked path for tiny products: for each column j of C, accumulate op(A)·op(B)[:, j] into a
 * 4-row register strip, reading op(A) and op(B) through their strides. Everything fits in L1.
 */
function gemmSmall(m: i32, n: i32, k: i32, alpha: f64, a: usize, ars: usize, acs: usize,
  b: usize, brs: usize, bcs: usize, beta: f64, c: usize, ldc: usize): void {
  for (let j = 0; j < n; j++) {
    const bj = b + <usize>j * bcs, cj = c + <usize>j * ldc;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      let pa = a + <usize>i * ars, pb = bj;
      for (let p = 0; p < k; p++) {
        const bv = load<f64>(pb);
        s0 += load<f64>(pa) * bv;
        s1 += load<f64>(pa + ars) * bv;
        s2 += load<f64>(pa + (ars << 1)) * bv;
        s3 += load<f64>(pa + ars * 3) * bv;
        pa += acs;
        pb += brs;
      }
      const q = cj + (<usize>i << 3);
      if (beta == 0) {
        store<f64>(q, alpha * s0); store<f64>(q, alpha * s1, 8);
        store<f64>(q, alpha * s2, 16); store<f64>(q, alpha * s3, 24);
      } else {
        store<f64>(q, alpha * s0 + beta * load<f64>(q));
        store<f64>(q, alpha * s1 + beta * load<f64>(q, 8), 8);
        store<f64>(q, alpha * s2 + beta * load<f64>(q, 16), 16);
        store<f64>(q, alpha * s3 + beta * load<f64>(q, 24), 24);
      }
    }
    for (; i < m; i++) {
      let s = 0.0;
      let pa = a + <usize>i * ars, pb = bj;
      for (let p = 0; p < k; p++) {
        s += load<f64>(pa) * load<f64>(pb);
        pa += acs;
        pb += brs;
      }
      const q = cj + (<usize>i << 3);
      store<f64>(q, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(q));
    }
  }
}

/**
 * The first n4 (a multiple of NR) columns of a product of at most MR rows, in the SIMD
 * builds: each entry of B feeds one tile only, so packing B (copying all of it for that one
 * use) cost more than the products (a 2×64 by 64×256 product: 10 µs packed, against 4 for one
 * row's gemv; bench/NOTES.md, session 28). The tiles read B in place; A is packed per k-block
 * as the packed path packs it, and the k-blocks and merges are the packed path's, so every
 * entry gets the bits it gets there.
 */
function gemmFewRows(m: i32, n4: i32, k: i32, alpha: f64, a: usize, ars: usize, acs: usize,
  b: usize, brs: usize, bcs: usize, beta: f64, c: usize, ldc: usize): void {
  const APACK = APACK_AT, CTILE = CTILE_AT;
  const kcb = blockSize(k, KC, 1);
  for (let pc = 0; pc < k; pc += kcb) {
    const kc = min<i32>(kcb, k - pc);
    // Later k-blocks accumulate onto the first block's result.
    const betaBlock = pc == 0 ? beta : 1.0;
    // Two rows: A packed two a step, for the 2-row tile.
    const W = m <= 2 ? 2 : MR;
    packBlock(APACK, a + <usize>pc * acs, m, kc, ars, acs, W);
    const bk = b + <usize>pc * brs;
    for (let j = 0; j < n4; j += NR) {
      const bp = bk + <usize>j * bcs, cp = c + <usize>j * ldc;
      if (W == 2) {
        kernel2InPlaceB(kc, APACK, bp, brs, bcs);
        mergeTile(m, NR, 2, cp, ldc, alpha, betaBlock);
      } else if (m == MR) kernelInPlaceB(kc, APACK, 0, 0, 0, false, bp, brs, bcs, NR, cp, ldc, alpha, betaBlock);
      else {
        kernelInPlaceB(kc, APACK, 0, 0, 0, false, bp, brs, bcs, NR, CTILE, <usize>MR << 3, 1.0, 0.0);
        mergeTile(m, NR, MR, cp, ldc, alpha, betaBlock);
      }
    }
  }
}

/**
 * C ← α·Aᵀ·op(B) + β·C with at most FEW_COLS_T columns, in the SIMD builds: 4×4 tiles whose rows
 * are four of A's columns read in place (kernelInPlaceB with `gather`), each tile through the packed path's
 * k-blocks in turn (four long runs down A's columns; B's few columns stay in cache from tile to
 * tile; k-blocks outermost ran ~10 % slower). Every entry gets the packed path's operations and
 * merges: the same bits.
 */
function gemmFewColsT(m: i32, n: i32, k: i32, alpha: f64, a: usize, ldaB: usize,
  b: usize, brs: usize, bcs: usize, beta: f64, c: usize, ldc: usize): void {
  const CTILE = CTILE_AT;
  const kcb = blockSize(k, KC, 1);
  for (let i = 0; i < m; i += MR) {
    const mr = min<i32>(MR, m - i);
    const ai = a + <usize>i * ldaB;
    for (let j = 0; j < n; j += NR) {
      const nr = min<i32>(NR, n - j);
      const cp = c + (<usize>i << 3) + <usize>j * ldc;
      for (let pc = 0; pc < k; pc += kcb) {
        const kc = min<i32>(kcb, k - pc);
        const betaBlock = pc == 0 ? beta : 1.0;
        const a0 = ai + (<usize>pc << 3);
        const a1 = mr > 1 ? a0 + ldaB : a0, a2 = mr > 2 ? a0 + (ldaB << 1) : a0, a3 = mr > 3 ? a0 + ldaB * 3 : a0;
        const bp = b + <usize>pc * brs + <usize>j * bcs;
        if (mr == MR && nr == NR) kernelInPlaceB(kc, a0, a1, a2, a3, true, bp, brs, bcs, NR, cp, ldc, alpha, betaBlock);
        else {
          const t = CTILE, ld = <usize>MR << 3;
          if (nr == 4) kernelInPlaceB(kc, a0, a1, a2, a3, true, bp, brs, bcs, 4, t, ld, 1.0, 0.0);
          else if (nr == 3) kernelInPlaceB(kc, a0, a1, a2, a3, true, bp, brs, bcs, 3, t, ld, 1.0, 0.0);
          else if (nr == 2) kernelInPlaceB(kc, a0, a1, a2, a3, true, bp, brs, bcs, 2, t, ld, 1.0, 0.0);
          else kernelInPlaceB(kc, a0, a1, a2, a3, true, bp, brs, bcs, 1, t, ld, 1.0, 0.0);
          mergeTile(mr, nr, MR, cp, ldc, alpha, betaBlock);
        }
      }
    }
  }
}

/**
 * One pass of gemmFewColsN over the sweep's rows, for columns j and j + 1 of C (`two`) or j
 * alone, and inner indices p … p+3 (`four`) or p alone: S[r, t] ← S[r, t] + A[r, p]·B[p, j+t],
 * then the same for p + 1, …, each multiply-add rounded as the micro-kernel's (fused in the
 * relaxed build). S holds the sweep's partial sums column by column (SWEEP_ROWS apart); `rows`
 * may be odd (its last row read into lane 0 alone).
 */
// @ts-ignore: decorator
@inline function sweepCols(rows: i32, ap: usize, ldaB: usize, bp: usize, brs: usize, bcs: usize,
  two: bool, four: bool, s: usize): void {
  const q1 = two ? bp + bcs : bp;
  const b00 = v128.load_splat<f64>(bp), b01 = v128.load_splat<f64>(q1);
  const b10 = four ? v128.load_splat<f64>(bp + brs) : b00, b11 = four ? v128.load_splat<f64>(q1 + brs) : b01;
  const b20 = four ? v128.load_splat<f64>(bp + (brs << 1)) : b00, b21 = four ? v128.load_splat<f64>(q1 + (brs << 1)) : b01;
  const b30 = four ? v128.load_splat<f64>(bp + brs * 3) : b00, b31 = four ? v128.load_splat<f64>(q1 + brs * 3) : b01;
  const pairs = <usize>(rows & ~1) << 3;
  for (let o: usize = 0; o < pairs; o += 16) {
    const q = ap + o;
    const x0 = v128.load(q);
    const x1 = four ? v128.load(q + ldaB) : x0, x2 = four ? v128.load(q + (ldaB << 1)) : x0, x3 = four ? v128.load(q + ldaB * 3) : x0;
    sweepRows(x0, x1, x2, x3, b00, b10, b20, b30, b01, b11, b21, b31, s + o, two, four);
  }
  if (rows & 1) {
    const q = ap + pairs;
    const x0 = v128.load64_zero(q);
    const x1 = four ? v128.load64_zero(q + ldaB) : x0, x2 = four ? v128.load64_zero(q + (ldaB << 1)) : x0, x3 = four ? v128.load64_zero(q + ldaB * 3) : x0;
    sweepRows(x0, x1, x2, x3, b00, b10, b20, b30, b01, b11, b21, b31, s + pairs, two, four);
  }
}

/** sweepCols' update of two rows' partial sums at p (columns j and, when `two`, j + 1). */
// @ts-ignore: decorator
@inline function sweepRows(x0: v128, x1: v128, x2: v128, x3: v128, b00: v128, b10: v128, b20: v128, b30: v128,
  b01: v128, b11: v128, b21: v128, b31: v128, p: usize, two: bool, four: bool): void {
  const SB = <usize>SWEEP_ROWS << 3;
  let s0 = madd(x0, b00, v128.load(p));
  if (four) s0 = madd(x3, b30, madd(x2, b20, madd(x1, b10, s0)));
  v128.store(p, s0);
  if (two) {
    let s1 = madd(x0, b01, v128.load(p + SB));
    if (four) s1 = madd(x3, b31, madd(x2, b21, madd(x1, b11, s1)));
    v128.store(p + SB, s1);
  }
}

/**
 * C ← α·A·op(B) + β·C with at most FEW_COLS_N columns and A too large to read in place as the
 * micro-kernel does (DIRECT_A), in the SIMD builds: A is read in place in column runs of
 * SWEEP_ROWS rows, four columns at a time, each four updating the partial sums of two of C's
 * columns for those rows (kept in APACK, which this path does not use for A). Each entry's sum
 * runs over the k-block's inner indices in order from zero and is merged as the micro-kernel
 * merges (storeTile's rounding, mergeTile's for a last odd row), k-block by k-block: the
 * packed path's bits.
 */
function gemmFewColsN(m: i32, n: i32, k: i32, alpha: f64, a: usize, ldaB: usize,
  b: usize, brs: usize, bcs: usize, beta: f64, c: usize, ldc: usize): void {
  const S = APACK_AT;
  const SB = <usize>SWEEP_ROWS << 3;
  const kcb = blockSize(k, KC, 1);
  for (let i0 = 0; i0 < m; i0 += SWEEP_ROWS) {
    const rows = min<i32>(SWEEP_ROWS, m - i0);
    const ai = a + (<usize>i0 << 3);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min<i32>(kcb, k - pc);
      memory.fill(S, 0, SB * <usize>n);
      for (let j = 0; j < n; j += 2) {
        const two = j + 1 < n, sj = S + <usize>j * SB;
        let ap = ai + <usize>pc * ldaB, bp = b + <usize>pc * brs + <usize>j * bcs;
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          if (two) sweepCols(rows, ap, ldaB, bp, brs, bcs, true, true, sj);
          else sweepCols(rows, ap, ldaB, bp, brs, bcs, false, true, sj);
          ap += ldaB << 2;
          bp += brs << 2;
        }
        for (; p < kc; p++) {
          if (two) sweepCols(rows, ap, ldaB, bp, brs, bcs, true, false, sj);
          else sweepCols(rows, ap, ldaB, bp, brs, bcs, false, false, sj);
          ap += ldaB;
          bp += brs;
        }
      }
      mergeSweep(rows, n, S, c + (<usize>i0 << 3), ldc, alpha, pc == 0 ? beta : 1.0);
    }
  }
}

/** C[0 : rows, 0 : n] ← α·S + β·C (S from gemmFewColsN), rounding as storeTile does (mergeEntry for a last odd row). */
function mergeSweep(rows: i32, n: i32, S: usize, c: usize, ldc: usize, alpha: f64, beta: f64): void {
  const SB = <usize>SWEEP_ROWS << 3;
  const pairs = <usize>(rows & ~1) << 3;
  const va = f64x2.splat(alpha), vb = f64x2.splat(beta);
  for (let j = 0; j < n; j++) {
    const s = S + <usize>j * SB, q = c + <usize>j * ldc;
    for (let o: usize = 0; o < pairs; o += 16) {
      let v = v128.load(s + o);
      if (alpha != 1) v = f64x2.mul(va, v);
      if (beta == 1) v = f64x2.add(v, v128.load(q + o));
      else if (beta != 0) v = madd(vb, v128.load(q + o), v);
      v128.store(q + o, v);
    }
    if (rows & 1) mergeEntry(load<f64>(s + pairs), q + pairs, alpha, beta);
  }
}

/**
 * C ← α·op(A)·op(B) + β·C; C is m×n, op(A) m×k, op(B) k×n; transA/transB: 0 = N, 1 = T.
 * Column-major with leading dimensions lda, ldb, ldc (elements). β = 0 does not read C;
 * α = 0 or k = 0 gives C ← β·C without reading A or B; m = 0 or n = 0 does nothing.
 * C must not alias A or B.
 */
export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32): void {
  gemmTiles(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, false);
}

/** gemm; with `upper`, the micro-tiles wholly below the diagonal are skipped (gemmUpper). */
function gemmTiles(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32, upper: bool): void {
  const APACK = APACK_AT, BPACK = BPACK_AT;
  if (m <= 0 || n <= 0) return;
  const ldcB = <usize>ldc << 3;
  if (alpha == 0 || k <= 0) {
    scaleC(m, n, beta, c, ldcB);
    return;
  }
  // op(A)(i, p) = a[i·ars + p·acs], op(B)(p, j) = b[p·brs + j·bcs]; strides in bytes.
  const ldaB = <usize>lda << 3, ldbB = <usize>ldb << 3;
  const ars: usize = transA ? ldaB : 8, acs: usize = transA ? 8 : ldaB;
  const brs: usize = transB ? ldbB : 8, bcs: usize = transB ? 8 : ldbB;

  // A single column or row of C is a matrix-vector product: packing would copy the whole
  // matrix operand once per use, doubling the memory traffic of a memory-bound product.
  if (n == 1) {
    // C[:, 0] = α·op(A)·op(B)[:, 0] + β·C[:, 0]
    if (transA) gemv(1, k, m, alpha, a, lda, b, <i32>(brs >> 3), beta, c, 1);
    else gemv(0, m, k, alpha, a, lda, b, <i32>(brs >> 3), beta, c, 1);
    return;
  }
  if (m == 1) {
    // C[0, :]ᵀ = α·op(B)ᵀ·op(A)[0, :]ᵀ + β·C[0, :]ᵀ
    if (transB) gemv(0, n, k, alpha, b, ldb, a, <i32>(acs >> 3), beta, c, ldc);
    else gemv(1, k, n, alpha, b, ldb, a, <i32>(acs >> 3), beta, c, ldc);
    return;
  }
  if (<i64>m * <i64>n * <i64>k < SMALL_MNK) {
    gemmSmall(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldcB);
    return;
  }
  if (ASC_FEATURE_SIMD && m <= MR && !upper) {
    // One tile's rows: B read in place; its last columns (fewer than a tile) packed below.
    const n4 = n - n % NR;
    if (n4 > 0) gemmFewRows(m, n4, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldcB);
    if (n4 == n) return;
    b += <usize>n4 * bcs;
    c += <usize>n4 * ldcB;
    n -= n4;
  }

  // Few columns (not for gemmUpper, whose products are square): op(A) read in place, each
  // entry summed and merged as the packed path does (the same bits).
  if (ASC_FEATURE_SIMD && !upper) {
    if (transA && n <= FEW_COLS_T) {
      gemmFewColsT(m, n, k, alpha, a, ldaB, b, brs, bcs, beta, c, ldcB);
      return;
    }
    // A small A is read in place by the micro-kernel as it is (DIRECT_A), as fast.
    if (!transA && n <= FEW_COLS_N && <i64>m * <i64>k > DIRECT_A) {
      gemmFewColsN(m, n, k, alpha, a, ldaB, b, brs, bcs, beta, c, ldcB);
      return;
    }
  }

  const direct = !transA && <i64>m * <i64>k <= DIRECT_A && !fewL1Sets(lda);
  // The relaxed build's 6×3 tile where a partial 6-row panel wastes little (the shape alone
  // decides; a tile never changes an entry's bits).
  const wide = ASC_FEATURE_RELAXED_SIMD && (m % MR_WIDE == 0 || m >= WIDE_M);
  const MRt = wide ? MR_WIDE : MR, NRt = wide ? NR_WIDE : NR;
  const ncb = blockSize(n, NC, NRt), kcb = blockSize(k, KC, 1), mcb = blockSize(m, MC, MRt);
  for (let jc = 0; jc < n; jc += ncb) {
    const nc = min<i32>(ncb, n - jc);
    for (let pc = 0; pc < k; pc += kcb) {
      const kc = min<i32>(kcb, k - pc);
      // Later k-blocks accumulate onto the first block's result.
      const betaBlock = pc == 0 ? beta : 1.0;
      packBlock(BPACK, b + <usize>pc * brs + <usize>jc * bcs, nc, kc, bcs, brs, NRt);
      for (let ic = 0; ic < m; ic += mcb) {
        const mc = min<i32>(mcb, m - ic);
        const ablk = a + <usize>ic * ars + <usize>pc * acs;
        if (!direct) packBlock(APACK, ablk, mc, kc, ars, acs, MRt);
        macroKernel(mc, nc, kc, alpha, betaBlock, c + (<usize>ic << 3) + <usize>jc * ldcB, ldcB,
          direct, ablk, ldaB, upper, ic - jc, wide);
      }
    }
  }
}

/**
 * The upper triangle of the n×n product C ← α·op(A)·op(B) + β·C, for products known to be
 * symmetric (Aᵀ·D·A): entries i ≤ j are gemm's, bit for bit; entries below the diagonal are
 * left as they were, except in the micro-tiles the diagonal crosses (computed whole). One pass
 * packs A and B once and runs ~n²/2 of the micro-tiles, where blocked calls (one per column
 * block, each re-packing its rows of A) spent ~60 % of the flops and packed A ~3 times.
 * Products below SMALL_MNK multiply-adds, or with n = 1, are computed whole.
 */
export function gemmUpper(transA: i32, transB: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32): void {
  gemmTiles(transA, transB, n, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true);
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeGemmScratch(base: usize, set: bool): usize {
  if (set) APACK_AT = base;
  base += (<usize>(MC * KC * 8) + 15) & ~<usize>15;
  if (set) BPACK_AT = base;
  base += (<usize>(KC * NC * 8) + 15) & ~<usize>15;
  if (set) CTILE_AT = base;
  base += (<usize>CTILE_BYTES + 15) & ~<usize>15;
  return base;
}
