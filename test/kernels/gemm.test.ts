// gemm against a plain-JS reference, in every build the host runs (SIMD and scalar; relaxed
// SIMD in Chromium and in Node with its flag) and both hosts.
//
// Matrices are stored column-major inside buffers whose padding rows (ld > rows) hold NaN, so
// a kernel that reads outside the submatrix view produces NaN and fails; C's padding holds a
// sentinel that must survive. The tolerance is the standard forward-error bound shape
// |ΔC| ≤ c·k·u·(|α|·|op(A)|·|op(B)| + |β|·|C|), with c·u = 1e-12 (loose by ~10⁴ against
// rounding, but a missing or doubled product term is ~1/k of the bound and is caught; the
// "checker" test below shows it).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS_WITH_RELAXED, get, put, rng, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const C_PAD = 12345.25;

interface Mat {
  rows: number;
  cols: number;
  ld: number;
  data: Float64Array;
}

/** A rows×cols matrix with leading dimension ld; padding rows are `pad`. */
function mat(rows: number, cols: number, ld: number, seed: number, pad = Number.NaN, gen?: () => number): Mat {
  const r = gen ?? rng(seed);
  const data = new Float64Array(Math.max(0, ld * cols)).fill(pad);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) data[i + j * ld] = r();
  return { rows, cols, ld: Math.max(ld, 1), data };
}

/** op(X)(i, j) for a stored matrix and a transpose flag. */
function at(x: Mat, t: number, i: number, j: number): number {
  return t ? x.data[j + i * x.ld]! : x.data[i + j * x.ld]!;
}

/** Reference C ← α·op(A)·op(B) + β·C (β = 0: C not read), plus the per-entry error bound. */
function refGemm(tA: number, tB: number, m: number, n: number, k: number, alpha: number,
  A: Mat, B: Mat, beta: number, C: Mat): { out: Float64Array; bound: Float64Array } {
  const out = C.data.slice();
  const bound = new Float64Array(out.length);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let s = 0, sa = 0;
      if (alpha !== 0) {
        for (let p = 0; p < k; p++) {
          const prod = at(A, tA, i, p) * at(B, tB, p, j);
          s += prod;
          sa += Math.abs(prod);
        }
      }
      const idx = i + j * C.ld;
      const cOld = beta === 0 ? 0 : beta * C.data[idx]!;
      out[idx] = (alpha === 0 ? 0 : alpha * s) + cOld;
      bound[idx] = Math.abs(alpha) * sa + Math.abs(cOld);
    }
  }
  return { out, bound };
}

/** Index of the first entry outside tolerance (or a changed padding entry), else -1. */
function firstMismatch(got: Float64Array, want: Float64Array, bound: Float64Array, k: number): number {
  const rel = 1e-12 * Math.max(1, k);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= rel * bound[i]! + 1e-300)) return i;
  }
  return -1;
}

const TRANS = [[0, 0], [0, 1], [1, 0], [1, 1]] as const;
const SIZES = [0, 1, 2, 3, 5, 17, 33, 127, 128, 129];
const SHAPES: [number, number, number][] = [
  [17, 5, 33], [129, 3, 128], [3, 129, 128], [5, 17, 1], [1, 7, 9], [7, 1, 9], [1, 1, 9],
  [2, 64, 3], [64, 2, 3], [31, 33, 35], [4, 4, 4], [8, 12, 300], [130, 6, 7],
  // The relaxed build's 6×3 tile: m a multiple of 6, and m ≥ 96 with partial 6-row panels.
  [12, 7, 5], [18, 40, 33], [97, 5, 20], [100, 31, 9],
  // At most one tile's rows (B read in place in the SIMD builds), across k-blocks and with
  // the last columns short of a tile.
  [2, 64, 256], [3, 41, 300], [4, 8, 513], [2, 7, 257],
  // At most 16 columns (op(A) = A larger than 16384 entries) or 12 (op(A) = Aᵀ): op(A) read in
  // place in the SIMD builds; odd rows, k across k-blocks, rows across sweeps (1024), 1–16 columns.
  [1001, 3, 257], [300, 16, 600], [37, 8, 517], [129, 5, 1000], [515, 2, 33], [64, 7, 300], [2100, 3, 40], [150, 12, 700],
];
/** (α, β, pad): tight and padded leading dimensions, β = 0 over NaN, general β, β = 1. */
const SCALES: [number, number, number][] = [[1.5, 0, 0], [-0.75, 0.5, 3], [1, 1, 1], [2, -1, 2]];

describe.each(BUILDS_WITH_RELAXED)("gemm ($name)", ({ simd, relaxed }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd, relaxed)));
  afterEach(() => arena.release());

  /** Runs one case on the kernel and returns the whole C buffer plus the reference. */
  function run(tA: number, tB: number, m: number, n: number, kk: number, alpha: number, beta: number,
    pad: number, seed: number, cFill?: number) {
    const A = tA ? mat(kk, m, kk + pad, seed) : mat(m, kk, m + pad, seed);
    const B = tB ? mat(n, kk, n + pad, seed + 1) : mat(kk, n, kk + pad, seed + 1);
    const C = mat(m, n, m + pad, seed + 2, C_PAD, cFill === undefined ? undefined : () => cFill);
    const pa = put(arena, A.data), pb = put(arena, B.data), pc = put(arena, C.data);
    k.gemm(tA, tB, m, n, kk, alpha, pa, A.ld, pb, B.ld, beta, pc, C.ld);
    const got = get(arena, pc, C.data.length);
    // The operands must come back unchanged (packing reads them only).
    expect(get(arena, pa, A.data.length).join()).toBe(A.data.join());
    expect(get(arena, pb, B.data.length).join()).toBe(B.data.join());
    return { got, ...refGemm(tA, tB, m, n, kk, alpha, A, B, beta, C) };
  }

  function check(tA: number, tB: number, m: number, n: number, kk: number, seed: number): void {
    for (const [alpha, beta, pad] of SCALES) {
      const { got, out, bound } = run(tA, tB, m, n, kk, alpha, beta, pad, seed, beta === 0 ? Number.NaN : undefined);
      const bad = firstMismatch(got, out, bound, kk);
      if (bad >= 0) {
        throw new Error(`op=${tA}${tB} m=${m} n=${n} k=${kk} α=${alpha} β=${beta} pad=${pad}: ` +
          `C[${bad}] = ${got[bad]}, want ${out[bad]}`);
      }
      arena.release();
    }
  }

  describe.each(TRANS)("op(A)=%s op(B)=%s", (tA, tB) => {
    it.each(SIZES)("square n=%i", (s) => check(tA, tB, s, s, s, 100 + s));
    it.each(SHAPES)("m=%i n=%i k=%i", (m, n, kk) => check(tA, tB, m, n, kk, 7 * m + 3 * n + kk));
    // Crosses every blocking boundary: m > MC (128; 132 in the relaxed build), k > KC (256),
    // n > NC (512; 516).
    it("multi-block m=131 n=515 k=259", () => check(tA, tB, 131, 515, 259, 42));
    it("multi-block m=269 n=521 k=259", () => check(tA, tB, 269, 521, 259, 43));
  });

  // Every entry is computed by the same operations wherever the tiles fall, so a product
  // computed in blocks of rows and columns that start anywhere (as threads split it) has the
  // bits of the whole call, for any α and β (edge tiles merge as full tiles do).
  it.each([[0, 0], [1, 0], [0, 1], [1, 1]])("op(A)=%i op(B)=%i: blocks starting anywhere give the whole call's bits", (tA, tB) => {
    const m = 137, n = 203, kk = 70;
    for (const [alpha, beta] of [[1, 0], [-0.75, 0.3], [1.25, 1], [1, -1.7]] as const) {
      const A = tA ? mat(kk, m, kk, 11) : mat(m, kk, m, 11);
      const B = tB ? mat(n, kk, n, 12) : mat(kk, n, kk, 12);
      const C = mat(m, n, m, 13);
      const pa = put(arena, A.data), pb = put(arena, B.data);
      const whole = put(arena, C.data), parts = put(arena, C.data);
      k.gemm(tA, tB, m, n, kk, alpha, pa, A.ld, pb, B.ld, beta, whole, C.ld);
      // Blocks of 2, 3 and 2 rows (at most one tile's: B read in place) among larger ones; no
      // block below 512 multiply-adds (those run a plain loop, unfused in the relaxed build).
      const rowCuts = [0, 2, 5, 7, 101, m], colCuts = [0, 5, 131, 135, n];
      for (let r = 0; r + 1 < rowCuts.length; r++) {
        for (let c = 0; c + 1 < colCuts.length; c++) {
          const i0 = rowCuts[r]!, j0 = colCuts[c]!, mi = rowCuts[r + 1]! - i0, nj = colCuts[c + 1]! - j0;
          const ai = pa + 8 * (tA ? i0 * A.ld : i0), bj = pb + 8 * (tB ? j0 : j0 * B.ld);
          k.gemm(tA, tB, mi, nj, kk, alpha, ai, A.ld, bj, B.ld, beta, parts + 8 * (i0 + j0 * C.ld), C.ld);
        }
      }
      const want = get(arena, whole, C.data.length), got = get(arena, parts, C.data.length);
      const bad = want.findIndex((w, i) => !Object.is(w, got[i]));
      expect(bad, `α=${alpha} β=${beta}: entry ${bad}`).toBe(-1);
      arena.release();
    }
  });

  // Products of a few columns read op(A) in place (gemmFewColsN, gemmFewColsT) but sum and
  // merge each entry as the packed path does: the columns of a product wide enough to be
  // packed, computed as a narrow product of their own, have the wide product's bits (every
  // case at least 512 multiply-adds: below, a plain loop runs, unfused in the relaxed build).
  it.each(TRANS)("op(A)=%i op(B)=%i: a few columns have the bits of the same columns of a packed product", (tA, tB) => {
    const wideN = 40;
    for (const [m, kk] of [[1001, 257], [300, 600], [37, 517], [6, 100], [130, 129], [2051, 60]] as const) {
      for (const [alpha, beta] of [[1, 0], [-0.75, 0.3], [1.25, 1], [1, -1.7]] as const) {
        const A = tA ? mat(kk, m, kk + 1, 31) : mat(m, kk, m + 1, 31);
        const B = tB ? mat(wideN, kk, wideN, 32) : mat(kk, wideN, kk, 32);
        const C = mat(m, wideN, m, 33);
        const pa = put(arena, A.data), pb = put(arena, B.data);
        const wide = put(arena, C.data);
        k.gemm(tA, tB, m, wideN, kk, alpha, pa, A.ld, pb, B.ld, beta, wide, C.ld);
        const want = get(arena, wide, C.data.length);
        for (const n of [2, 3, 5, 8, 12, 13, 16]) {
          const narrow = put(arena, C.data);
          k.gemm(tA, tB, m, n, kk, alpha, pa, A.ld, pb, B.ld, beta, narrow, C.ld);
          const got = get(arena, narrow, m * n);
          const bad = got.findIndex((g, i) => !Object.is(g, want[i]));
          expect(bad, `m=${m} k=${kk} n=${n} α=${alpha} β=${beta}: entry ${bad}`).toBe(-1);
        }
        arena.release();
      }
    }
  });

  // A small op(A) = A is read in place unless its column stride is a multiple of 2 KiB (lda a
  // multiple of 256), where it is packed: either way the same operations in the same order,
  // so A's leading dimension never changes a bit, and both paths match the reference.
  it.each([[64, 64, 64], [96, 40, 100], [20, 30, 256], [130, 17, 126]])("m=%i n=%i k=%i: the same bits whether A is read in place or packed (lda 256, 512, 1024 against m, m + 3, 260)", (m, n, kk) => {
    const results: Float64Array[] = [];
    for (const lda of [m, m + 3, 260, 256, 512, 1024]) {
      const A = mat(m, kk, lda, 21), B = mat(kk, n, kk, 22), C = mat(m, n, m, 23);
      const pa = put(arena, A.data), pb = put(arena, B.data), pc = put(arena, C.data);
      k.gemm(0, 0, m, n, kk, -1, pa, lda, pb, kk, 1, pc, m);
      const got = get(arena, pc, C.data.length);
      const { out, bound } = refGemm(0, 0, m, n, kk, -1, A, B, 1, C);
      expect(firstMismatch(got, out, bound, kk), `lda ${lda}`).toBe(-1);
      results.push(got);
      arena.release();
    }
    for (let r = 1; r < results.length; r++) {
      const bad = results[0]!.findIndex((w, i) => !Object.is(w, results[r]![i]));
      expect(bad, `lda case ${r}: entry ${bad}`).toBe(-1);
    }
  });

  // gemmUpper: entries on and above the diagonal bit for bit gemm's (same blocking, same
  // order of sums); below it, only the micro-tiles the diagonal crosses are written (4×4; 6×3
  // in the relaxed build from 96 rows or at a multiple of 6), so nothing from MR + NR − 1 rows
  // below the diagonal on (where the tiles fall depends on how threads split the product).
  it.each([
    [1, 0, 100, 1000], [0, 0, 37, 9], [1, 1, 130, 259], [0, 1, 6, 300], [1, 0, 515, 20], [1, 0, 7, 3], [0, 0, 1, 5],
  ])("gemmUpper op(A)=%i op(B)=%i n=%i k=%i: the upper triangle of gemm's product", (tA, tB, n, kk) => {
    for (const [alpha, beta, pad] of [[1, 0, 0], [-0.5, 2, 3]] as const) {
      const A = tA ? mat(kk, n, kk + pad, 5) : mat(n, kk, n + pad, 5);
      const B = tB ? mat(n, kk, n + pad, 6) : mat(kk, n, kk + pad, 6);
      const C = mat(n, n, n + pad, 7, C_PAD);
      const pa = put(arena, A.data), pb = put(arena, B.data);
      const full = put(arena, C.data), upper = put(arena, C.data);
      k.gemm(tA, tB, n, n, kk, alpha, pa, A.ld, pb, B.ld, beta, full, C.ld);
      k.gemmUpper(tA, tB, n, kk, alpha, pa, A.ld, pb, B.ld, beta, upper, C.ld);
      const want = get(arena, full, C.data.length), got = get(arena, upper, C.data.length);
      // Tiny products run whole; otherwise tiles start at the first row and column.
      const whole = n * n * kk < 512 || n === 1;
      const reach = relaxed ? 6 + 3 - 1 : 4 + 4 - 1;
      let kept = 0;
      const bad: string[] = [];
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < C.ld; i++) {
          const at = i + j * C.ld;
          if (i >= n) { if (got[at] !== C_PAD) bad.push(`pad (${i}, ${j})`); }
          else if (i <= j || whole) { if (!Object.is(got[at], want[at])) bad.push(`(${i}, ${j}) ${got[at]} vs ${want[at]}`); }
          else if (i - j >= reach) {
            // Below the diagonal's tiles: untouched.
            if (got[at] !== C.data[at]) bad.push(`written below (${i}, ${j})`);
            kept++;
          }
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      if (n >= 100) expect(kept).toBeGreaterThan(n * n * 0.4);
      arena.release();
    }
  });

  it("β = 0 overwrites NaN/Inf in C; β = 1 accumulates", () => {
    for (const fill of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const { got, out, bound } = run(0, 0, 33, 20, 40, 1, 0, 1, 9, fill);
      expect(firstMismatch(got, out, bound, 40)).toBe(-1);
      expect(got.every((v, i) => i % 34 === 33 ? v === C_PAD : Number.isFinite(v))).toBe(true);
    }
    const { got, out, bound } = run(1, 1, 9, 9, 9, 1, 1, 0, 10);
    expect(firstMismatch(got, out, bound, 9)).toBe(-1);
  });

  it("α = 0 and k = 0 give β·C without reading A or B", () => {
    const m = 6, n = 5;
    const nanA = put(arena, new Float64Array(64).fill(Number.NaN));
    const c0 = Array.from({ length: m * n }, (_, i) => i - 7.5);
    for (const [alpha, kk] of [[0, 4], [2, 0]] as const) {
      for (const beta of [0, 1, -2.5]) {
        const pc = put(arena, c0);
        k.gemm(0, 0, m, n, kk, alpha, nanA, m, nanA, Math.max(kk, 1), beta, pc, m);
        expect(Array.from(get(arena, pc, m * n))).toEqual(c0.map((v) => (beta === 0 ? 0 : beta * v)));
      }
    }
    // β = 0 with NaN in C: zeros, not NaN.
    const pc = put(arena, new Float64Array(m * n).fill(Number.NaN));
    k.gemm(1, 1, m, n, 0, 1, nanA, 1, nanA, n, 0, pc, m);
    expect(Array.from(get(arena, pc, m * n))).toEqual(new Array(m * n).fill(0));
  });

  it("m = 0 or n = 0 touches nothing", () => {
    const pa = put(arena, new Float64Array(64).fill(1));
    const pc = put(arena, new Float64Array(16).fill(C_PAD));
    k.gemm(0, 0, 0, 4, 4, 1, pa, 1, pa, 4, 0, pc, 1);
    k.gemm(0, 0, 4, 0, 4, 1, pa, 4, pa, 4, 0, pc, 4);
    k.gemm(1, 1, 0, 0, 4, 1, pa, 4, pa, 1, 0, pc, 1);
    expect(Array.from(get(arena, pc, 16))).toEqual(new Array(16).fill(C_PAD));
  });

  it("integer matrices give the exact product", () => {
    // Small integers: every product and partial sum is exact in float64, so any blocking or
    // summation order must reproduce the reference bit for bit.
    const r = rng(5);
    const int = () => Math.round(r() * 4);
    for (const [m, n, kk] of [[37, 29, 300], [8, 8, 8], [129, 131, 5]] as const) {
      for (const [tA, tB] of TRANS) {
        const A = tA ? mat(kk, m, kk, 0, 0, int) : mat(m, kk, m, 0, 0, int);
        const B = tB ? mat(n, kk, n, 0, 0, int) : mat(kk, n, kk, 0, 0, int);
        const C = mat(m, n, m, 0, 0, int);
        const pa = put(arena, A.data), pb = put(arena, B.data), pc = put(arena, C.data);
        k.gemm(tA, tB, m, n, kk, 2, pa, A.ld, pb, B.ld, -3, pc, C.ld);
        expect(Array.from(get(arena, pc, m * n))).toEqual(Array.from(refGemm(tA, tB, m, n, kk, 2, A, B, -3, C).out));
        arena.release();
      }
    }
  });

  it("the checker rejects a result that is off by one product term", () => {
    // Guards the tolerance itself: dropping a single a·b term from one entry must be flagged.
    const m = 129, n = 129, kk = 129;
    const { got, out, bound } = run(0, 0, m, n, kk, 1, 0, 0, 77);
    expect(firstMismatch(got, out, bound, kk)).toBe(-1);
    const A = mat(m, kk, m, 77), B = mat(kk, n, kk, 78);
    const j = 100, i = 50;
    got[i + j * m] = got[i + j * m]! - A.data[i + 17 * m]! * B.data[17 + j * kk]!;
    expect(firstMismatch(got, out, bound, kk)).toBe(i + j * m);
  });
});
