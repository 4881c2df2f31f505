// transpose (assembly/transpose.ts) against a plain-JS reference, in both builds.
// Every element is distinct, so a misplaced element cannot go unnoticed; guards around out
// catch writes past either end.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, get, randArray, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const SIZES = [0, 1, 2, 3, 5, 17, 33, 127, 128, 129];
const GUARD = 12345.5;

function transposeRef(m: number, n: number, a: ArrayLike<number>): number[] {
  const out = new Array<number>(m * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out[j + i * n] = a[i + j * m]!;
  return out;
}

describe.each(BUILDS)("transpose ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  /** Runs the kernel with a and out placed `odd` elements past 16-byte alignment. */
  function run(m: number, n: number, a: Float64Array, odd: boolean): Float64Array {
    const off = odd ? 1 : 2;
    const pa = arena.alloc(m * n + 3) + 8 * off;
    arena.view(pa, m * n).set(a);
    const base = arena.alloc(m * n + 3);
    const po = base + 8 * off;
    arena.view(base, m * n + 3).fill(GUARD);
    arena.view(po, m * n).fill(NaN);
    k.transpose(m, n, pa, po);
    const all = arena.view(base, m * n + 3);
    expect(all[off - 1], "guard before out").toBe(GUARD);
    expect(all[off + m * n], "guard after out").toBe(GUARD);
    expect(Array.from(get(arena, pa, m * n)), "a is unchanged").toEqual(Array.from(a));
    return get(arena, po, m * n);
  }

  /** Distinct values: element (i, j) holds i + j/4096 + 1, recognisable when misplaced. */
  function distinct(m: number, n: number): Float64Array {
    const a = new Float64Array(m * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) a[i + j * m] = i + j / 4096 + 1;
    return a;
  }

  it("matches the reference for every pair of sizes in {0, 1, 2, 3, 5, 17, 33, 127, 128, 129}", () => {
    for (const m of SIZES) for (const n of SIZES) {
      const a = distinct(m, n);
      const odd = (m + n) % 2 === 1;
      expect(Array.from(run(m, n, a, odd)), `${m}×${n}`).toEqual(transposeRef(m, n, a));
    }
  });

  it("handles thin, tile-crossing and power-of-two shapes", () => {
    const shapes: [number, number][] = [
      [1, 1000], [1000, 1], [2, 517], [517, 2], [3, 1025], [1025, 3], [31, 33], [32, 32], [64, 65],
      [65, 64], [256, 256], [300, 7], [7, 300], [1024, 40], [257, 255],
    ];
    for (const [m, n] of shapes) {
      for (const odd of [false, true]) {
        const a = distinct(m, n);
        expect(Array.from(run(m, n, a, odd)), `${m}×${n} odd=${odd}`).toEqual(transposeRef(m, n, a));
      }
    }
  });

  it("round-trips random data and keeps NaN, Inf and -0 bit-for-bit", () => {
    const m = 37, n = 70;
    const a = randArray(m * n, 9);
    a[0] = NaN; a[5] = -0; a[m] = Infinity; a[m * n - 1] = -Infinity;
    const t = run(m, n, a, true);
    const back = run(n, m, t, false);
    expect(Object.is(back[5], -0)).toBe(true);
    expect(Array.from(back)).toEqual(Array.from(a));
  });
});
