// Level-1 (dot, axpy, scal) and level-2 (gemv) kernels against plain-JS references, in both
// builds (SIMD and scalar) and both hosts.
//
// Vectors live in buffers whose gaps between strided elements hold a sentinel: the kernel must
// leave them alone, and reading them would pull NaN (for inputs) into the result. Tolerances
// follow the forward-error bound shape |Δ| ≤ c·n·u·Σ|terms| with c·u = 1e-12.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, BUILDS_WITH_RELAXED, get, put, rng, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const GAP = -777.5;
const LENGTHS = [0, 1, 2, 3, 5, 7, 8, 9, 16, 17, 33, 127, 128, 129, 1000];
const INCS: [number, number][] = [[1, 1], [2, 1], [1, 3], [2, 3], [3, 2]];

/** n values at stride inc (inc ≥ 1), gaps filled with `gap`. */
function strided(n: number, inc: number, seed: number, gap = Number.NaN): { data: Float64Array; vals: number[] } {
  const r = rng(seed);
  const data = new Float64Array(Math.max(1, (n - 1) * inc + 1)).fill(gap);
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = r();
    vals.push(v);
    data[i * inc] = v;
  }
  return { data, vals };
}

function close(got: number, want: number, scale: number, n: number): boolean {
  return Math.abs(got - want) <= 1e-12 * Math.max(1, n) * scale + 1e-300;
}

describe.each(BUILDS)("level-1 BLAS ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  describe.each(INCS)("incx=%i incy=%i", (incx, incy) => {
    it.each(LENGTHS)("dot n=%i", (n) => {
      const x = strided(n, incx, n + 1), y = strided(n, incy, n + 2);
      let want = 0, scale = 0;
      for (let i = 0; i < n; i++) {
        want += x.vals[i]! * y.vals[i]!;
        scale += Math.abs(x.vals[i]! * y.vals[i]!);
      }
      const got = k.dot(n, put(arena, x.data), incx, put(arena, y.data), incy);
      expect(close(got, want, scale, n), `dot = ${got}, want ${want}`).toBe(true);
    });

    it.each(LENGTHS)("axpy n=%i", (n) => {
      const alpha = -1.25;
      const x = strided(n, incx, n + 3), y = strided(n, incy, n + 4, GAP);
      const px = put(arena, x.data), py = put(arena, y.data);
      k.axpy(n, alpha, px, incx, py, incy);
      const got = get(arena, py, y.data.length);
      for (let i = 0; i < y.data.length; i++) {
        if (i % incy === 0 && i / incy < n) {
          const j = i / incy, want = y.vals[j]! + alpha * x.vals[j]!;
          expect(close(got[i]!, want, Math.abs(y.vals[j]!) + Math.abs(alpha * x.vals[j]!), 1), `y[${j}]`).toBe(true);
        } else if (n > 0) {
          expect(got[i], `gap ${i}`).toBe(GAP);
        }
      }
    });

    it.each(LENGTHS)("scal n=%i", (n) => {
      const x = strided(n, incx, n + 5, GAP);
      const px = put(arena, x.data);
      k.scal(n, 0.375, px, incx);
      const got = get(arena, px, x.data.length);
      // 0.375 = 3/8: the product of a float64 and 3/8 is exact unless it underflows, so the
      // comparison can be exact.
      const want = x.data.map((v, i) => (i % incx === 0 && i / incx < n ? v * 0.375 : v));
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  });

  it("dot, axpy and scal follow x[i·inc] for negative increments", () => {
    // ABI: element i is x[i·incx], so incx = -1 walks backwards from the pointer.
    const n = 9;
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const ys = Array.from({ length: n }, (_, i) => 10 * (i + 1));
    const px = put(arena, xs), py = put(arena, ys);
    const xEnd = px + 8 * (n - 1);
    let want = 0;
    for (let i = 0; i < n; i++) want += xs[n - 1 - i]! * ys[i]!;
    expect(k.dot(n, xEnd, -1, py, 1)).toBe(want);
    k.axpy(n, 2, xEnd, -1, py, 1);
    expect(Array.from(get(arena, py, n))).toEqual(ys.map((v, i) => v + 2 * xs[n - 1 - i]!));
    k.scal(3, -1, px + 16, -1);
    expect(Array.from(get(arena, px, n))).toEqual(xs.map((v, i) => (i < 3 ? -v : v)));
  });

  it("axpy with α = 0 leaves y alone (even when x holds NaN)", () => {
    const px = put(arena, new Float64Array(40).fill(Number.NaN));
    const ys = Array.from({ length: 40 }, (_, i) => i * 0.5 - 3);
    const py = put(arena, ys);
    k.axpy(40, 0, px, 1, py, 1);
    k.axpy(13, 0, px, 3, py, 3);
    expect(Array.from(get(arena, py, 40))).toEqual(ys);
  });

  it("dot is exact on small integers whatever the summation order", () => {
    const n = 1001;
    const xs = Array.from({ length: n }, (_, i) => (i % 7) - 3);
    const ys = Array.from({ length: n }, (_, i) => (i % 5) - 2);
    let want = 0;
    for (let i = 0; i < n; i++) want += xs[i]! * ys[i]!;
    expect(k.dot(n, put(arena, xs), 1, put(arena, ys), 1)).toBe(want);
    // Strided x over the same exact integers (every other entry of xs repeated twice).
    const both = [...xs, ...xs];
    let want2 = 0;
    for (let i = 0; i < n; i++) want2 += both[2 * i]! * ys[i]!;
    expect(k.dot(n, put(arena, both), 2, put(arena, ys), 1)).toBe(want2);
  });
});

/** Reference y ← α·op(A)·x + β·y (β = 0: y not read) and the error scale per entry. */
function refGemv(trans: number, m: number, n: number, alpha: number, A: Float64Array, lda: number,
  x: number[], beta: number, y: number[]): { want: number[]; scale: number[] } {
  const ylen = trans ? n : m, xlen = trans ? m : n;
  const want: number[] = [], scale: number[] = [];
  for (let i = 0; i < ylen; i++) {
    let s = 0, sa = 0;
    if (alpha !== 0) {
      for (let j = 0; j < xlen; j++) {
        const aij = trans ? A[j + i * lda]! : A[i + j * lda]!;
        s += aij * x[j]!;
        sa += Math.abs(aij * x[j]!);
      }
    }
    const yOld = beta === 0 ? 0 : beta * y[i]!;
    want.push((alpha === 0 ? 0 : alpha * s) + yOld);
    scale.push(Math.abs(alpha) * sa + Math.abs(yOld));
  }
  return { want, scale };
}

const GEMV_SHAPES: [number, number][] = [
  [1, 1], [2, 3], [3, 2], [5, 17], [17, 5], [33, 33], [127, 129], [129, 127], [4, 1], [1, 4],
  // Crosses the 1024-row block of both orientations (and of the gathered x for op = T).
  [1030, 7], [2100, 5], [7, 1030],
  // Over 1 MiB of A: op = N streams eight columns a sweep, then four, then one (odd m, and
  // n with every remainder).
  [1100, 130], [1101, 131], [1031, 133],
  // Up to 1 MiB, op = N runs register tiles over panels of 16 columns: one panel and a column
  // more, panels with a short last one, tiles of 12, 8, 4, 2 and 1 rows, and a row block of 1024
  // with a remainder under one tile.
  [201, 77], [25, 17], [25, 33], [14, 64], [1030, 40], [23, 50], [31, 9],
  // Columns 4 KiB apart, more than 12 in a panel (lda 512; padded, they are not): op = N
  // streams. 2 KiB apart (lda 256), a panel's 16 columns do not crowd L1: tiles.
  [256, 30], [512, 20],
];
const GEMV_CASES: [number, number, number, number, number][] = [
  // α, β, lda padding, incx, incy
  [1, 0, 0, 1, 1], [-0.5, 2, 3, 2, 1], [1.25, 1, 1, 1, 3], [2, -0.75, 2, 3, 2],
];

// addOuter: C + x·yᵀ with each product rounded and then the sum, in every build (the relaxed
// one too: never fused), so JavaScript's own `c + x * y` gives the reference bit for bit.
describe.each(BUILDS_WITH_RELAXED)("addOuter ($name)", ({ simd, relaxed }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd, relaxed)));
  afterEach(() => arena.release());

  it.each([[1, 1, 1], [7, 3, 9], [64, 256, 64], [5, 4, 8], [33, 2, 40]])("m=%i n=%i ldc=%i: C + x·yᵀ as JavaScript computes it, padding untouched", (m, n, ldc) => {
    const r = rng(m * 31 + n);
    const xs = Array.from({ length: m }, () => r() * 3), ys = Array.from({ length: n }, () => r() * 3);
    const cs = Array.from({ length: ldc * n }, (_, i) => (i % ldc < m ? r() * 1e3 : -7.5));
    xs[0] = -0; // −0·y is −0: C + (−0) keeps C's sign of zero, as add does
    cs[0] = -0;
    const px = put(arena, xs), py = put(arena, ys), pc = put(arena, cs);
    k.addOuter(m, n, px, py, pc, ldc);
    const got = get(arena, pc, cs.length);
    const bad: string[] = [];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < ldc; i++) {
        const want = i < m ? cs[i + j * ldc]! + xs[i]! * ys[j]! : -7.5;
        if (!Object.is(got[i + j * ldc], want)) bad.push(`(${i}, ${j}) ${got[i + j * ldc]} vs ${want}`);
      }
    }
    expect(bad.slice(0, 3)).toEqual([]);
  });
});

describe.each(BUILDS)("gemv ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  describe.each([0, 1])("trans=%i", (trans) => {
    it.each(GEMV_SHAPES)("m=%i n=%i", (m, n) => {
      for (const [alpha, beta, pad, incx, incy] of GEMV_CASES) {
        const lda = m + pad, ylen = trans ? n : m, xlen = trans ? m : n;
        const r = rng(m * 31 + n);
        const A = new Float64Array(lda * n).fill(Number.NaN);
        for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) A[i + j * lda] = r();
        const x = strided(xlen, incx, m + n);
        // β = 0: y starts as NaN and must not be read.
        const y = strided(ylen, incy, m - n, GAP);
        if (beta === 0) for (let i = 0; i < ylen; i++) y.data[i * incy] = Number.NaN;
        const py = put(arena, y.data);
        k.gemv(trans, m, n, alpha, put(arena, A), lda, put(arena, x.data), incx, beta, py, incy);
        const got = get(arena, py, y.data.length);
        const { want, scale } = refGemv(trans, m, n, alpha, A, lda, x.vals, beta, y.vals);
        for (let i = 0; i < got.length; i++) {
          const tag = `α=${alpha} β=${beta} incx=${incx} incy=${incy}`;
          if (i % incy === 0) {
            const j = i / incy;
            expect(close(got[i]!, want[j]!, scale[j]!, xlen), `${tag}: y[${j}] = ${got[i]}, want ${want[j]}`).toBe(true);
          } else {
            expect(got[i], `${tag}: gap ${i}`).toBe(GAP);
          }
        }
        arena.release();
      }
    });

    it("α = 0 or an empty inner dimension gives β·y without reading A or x", () => {
      const nan = put(arena, new Float64Array(64).fill(Number.NaN));
      const ys = [1, -2, 3, -4, 5];
      for (const [alpha, inner] of [[0, 4], [1, 0]] as const) {
        for (const beta of [0, 1, 3]) {
          const py = put(arena, ys);
          const [m, n] = trans ? [inner, 5] : [5, inner];
          k.gemv(trans, m, n, alpha, nan, Math.max(m, 1), nan, 1, beta, py, 1);
          expect(Array.from(get(arena, py, 5))).toEqual(ys.map((v) => (beta === 0 ? 0 : beta * v)));
        }
      }
    });

    it("an empty output touches nothing", () => {
      const py = put(arena, [GAP, GAP]);
      const pa = put(arena, [1, 2, 3, 4]);
      k.gemv(trans, trans ? 4 : 0, trans ? 0 : 4, 1, pa, 1, pa, 1, 0, py, 1);
      expect(Array.from(get(arena, py, 2))).toEqual([GAP, GAP]);
    });
  });
});

describe("gemv op = N: the same bits in the SIMD and scalar builds, and wherever a row sits", () => {
  // Each entry of y is one sum in one order (assembly/blas.ts gemvNTiles, gemvNStream) in
  // both builds, so the scalar build's loops must give the SIMD lanes' bits. In the tiled path
  // (A up to 1 MiB) a row's sum does not depend on m or on its place in a tile: the rows of a
  // call on a row slice of A are the whole call's rows.
  const SHAPES: [number, number][] = [
    [1, 1], [2, 3], [3, 2], [5, 17], [13, 31], [13, 32], [13, 33], [12, 65], [25, 100], [37, 7],
    [10, 40], [23, 50], [31, 33], [201, 77], [1030, 40], [1100, 130], [1101, 131], [1031, 133], [2100, 5],
    [512, 20], [512, 12], [256, 27],
  ];
  // α, β, lda padding, incx, incy
  const CASES: [number, number, number, number, number][] = [
    [1, 0, 0, 1, 1], [-0.5, 2, 3, 2, 1], [1.25, 1, 1, 1, 3], [2, -0.75, 2, 3, 2], [1, 1, 5, -1, 1],
  ];

  function run(k: Kernels, arena: Arena, m: number, n: number, c: typeof CASES[number], r0 = 0, rows = m): Float64Array {
    const [alpha, beta, pad, incx, incy] = c;
    const lda = m + pad, r = rng(m * 131 + n);
    const A = new Float64Array(lda * n).fill(Number.NaN);
    for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) A[i + j * lda] = r() * (i % 7 === 3 ? 1e3 : 1);
    const ax = Math.abs(incx), x = strided(n, ax, n + 5);
    const y = strided(rows, incy, m + 3, GAP);
    const pa = put(arena, A), px = put(arena, x.data), py = put(arena, y.data);
    // A negative increment walks x backwards from its pointer (element i at x[i·incx]).
    k.gemv(0, rows, n, alpha, pa + 8 * r0, lda, incx < 0 ? px + 8 * (n - 1) * ax : px, incx, beta, py, incy);
    const out = get(arena, py, y.data.length);
    arena.release();
    return out;
  }

  it("scalar and SIMD builds agree bit for bit; row slices match the whole call (tiled path)", async () => {
    const results: Float64Array[][] = [];
    for (const { simd } of BUILDS) {
      const { k, arena } = await useBuild(simd);
      const runs: Float64Array[] = [];
      for (const [m, n] of SHAPES) for (const c of CASES) runs.push(run(k, arena, m, n, c));
      results.push(runs);
      // Row slices starting at odd rows and ending short of a tile, against the whole call.
      for (const [m, n] of [[201, 77], [1030, 40], [37, 7], [23, 50], [31, 33]] as const) {
        const c = CASES[0]!, whole = run(k, arena, m, n, c);
        for (const [r0, rows] of [[1, m - 1], [5, 13], [m - 3, 3], [12, 1]] as const) {
          const part = run(k, arena, m, n, c, r0, rows);
          const same = part.every((v, i) => Object.is(v, whole[r0 + i]));
          expect(same, `${simd ? "simd" : "scalar"} ${m}×${n} rows ${r0}..${r0 + rows}`).toBe(true);
        }
      }
      // The streaming path (A over 1 MiB): slices from even rows (the pool's panels) inside an
      // eight-row step, across the 1024-row block, and up to an odd last row.
      for (const [m, n] of [[1100, 130], [1101, 131]] as const) {
        const c = CASES[0]!, whole = run(k, arena, m, n, c);
        for (const [r0, rows] of [[2, m - 2], [6, 130], [1020, 10], [m - 5, 5], [512, m - 512]] as const) {
          const part = run(k, arena, m, n, c, r0, rows);
          const same = part.every((v, i) => Object.is(v, whole[r0 + i]));
          expect(same, `${simd ? "simd" : "scalar"} ${m}×${n} rows ${r0}..${r0 + rows}`).toBe(true);
        }
      }
    }
    const [s, c] = results as [Float64Array[], Float64Array[]];
    let i = 0;
    for (const [m, n] of SHAPES) {
      for (const cs of CASES) {
        const a = s[i]!, b = c[i]!;
        const same = a.length === b.length && a.every((v, j) => Object.is(v, b[j]));
        expect(same, `${m}×${n} α=${cs[0]} β=${cs[1]} pad=${cs[2]} incx=${cs[3]} incy=${cs[4]}`).toBe(true);
        i++;
      }
    }
  });
});
