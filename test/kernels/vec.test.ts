// The optimizers' level-1 kernels (assembly/vec.ts) in both builds: each must give exactly the
// bits of its JavaScript twin in src/optim/vec.ts (called here on plain arrays, so on the JS
// path), which in turn must be close to a naive reference. Inputs sit between NaN guards (a
// read past the end turns the result into NaN) and half the cases start 8 bytes off 16-byte
// alignment; outputs' guards must survive.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, randArray, rng, useBuild, putGuarded } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import * as V from "../../src/optim/vec.js";
import { symvPacked, syr2Packed } from "../../src/optim/dense.js";

const SIZES = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 1000];

/**
 * n seeded values spread over 2⁻²⁰…2²⁰ in magnitude, so that sums in any other order than the
 * agreed one round differently and the bit-for-bit comparisons can tell.
 */
function wild(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 ** Math.round(20 * r()));
}


/** n entries at ptr plus the guard on each side. */
function read(arena: Arena, ptr: number, n: number): { vals: Float64Array; before: number; after: number } {
  const v = arena.view(ptr - 8, n + 2);
  return { vals: v.slice(1, n + 1), before: v[0]!, after: v[n + 1]! };
}

/** Same bits (Object.is: NaN equals NaN, +0 differs from −0), entry by entry. */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}[${i}] = ${got[i]}, JS gives ${want[i]}`);
  }
}

/** An output of n entries: checks the guards and returns the values. */
function out(arena: Arena, ptr: number, n: number): Float64Array {
  const r = read(arena, ptr, n);
  expect(Number.isNaN(r.before) && Number.isNaN(r.after), "guards").toBe(true);
  return r.vals;
}

function naiveDot(x: Float64Array, y: Float64Array): { s: number; scale: number } {
  let s = 0, scale = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i]! * y[i]!;
    scale += Math.abs(x[i]! * y[i]!);
  }
  return { s, scale };
}

function expectClose(got: number, want: number, scale: number, n: number): void {
  expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-15 * Math.max(1, n) * scale + 1e-300);
}

describe.each(BUILDS)("optimizer level-1 kernels ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  describe.each(SIZES)("n=%i", (n) => {
    const odd = n % 2 === 1;
    const x = wild(n, 10 + n), y = wild(n, 20 + n), z = wild(n, 30 + n);
    const a = -0.6180339887, c = 0.75;

    it("vdot matches dot", () => {
      const got = k.vdot(n, putGuarded(arena, x, odd), putGuarded(arena, y, !odd));
      expect(Object.is(got, V.dot(x, y))).toBe(true);
      const ref = naiveDot(x, y);
      expectClose(got, ref.s, ref.scale, n);
    });

    it("axpyDot and axpyScaleDot match (z apart, and z = y)", () => {
      for (const cc of [1, c]) {
        const px = putGuarded(arena, x, odd), py = putGuarded(arena, y, odd), pz = putGuarded(arena, z, !odd);
        const got = cc === 1 ? k.axpyDot(n, a, px, py, pz) : k.axpyScaleDot(n, a, px, cc, py, pz);
        const yJs = y.slice();
        const want = cc === 1 ? V.axpyDot(a, x, yJs, z) : V.axpyScaleDot(a, x, cc, yJs, z);
        expect(Object.is(got, want), `c=${cc}: ${got} vs ${want}`).toBe(true);
        expectSame(out(arena, py, n), yJs, "y");
        for (let i = 0; i < n; i++) expect(yJs[i]).toBe(cc * (y[i]! + a * x[i]!));
        const ref = naiveDot(z, yJs);
        expectClose(got, ref.s, ref.scale, n);

        // z = y: the squared norm of the updated y.
        const py2 = putGuarded(arena, y, odd);
        const got2 = k.axpyScaleDot(n, a, px, cc, py2, py2);
        const yJs2 = y.slice();
        expect(Object.is(got2, V.axpyScaleDot(a, x, cc, yJs2, yJs2))).toBe(true);
        expectSame(out(arena, py2, n), yJs2, "y (z = y)");
        arena.release();
      }
    });

    it("scaleDot matches (out apart, and out = x)", () => {
      const px = putGuarded(arena, x, odd), po = putGuarded(arena, new Float64Array(n), odd), pz = putGuarded(arena, z, odd);
      const got = k.scaleDot(n, a, px, po, pz);
      const oJs = new Float64Array(n);
      expect(Object.is(got, V.scaleDot(a, x, oJs, z))).toBe(true);
      expectSame(out(arena, po, n), oJs, "out");
      const px2 = putGuarded(arena, x, !odd);
      const xJs = x.slice();
      expect(Object.is(k.scaleDot(n, a, px2, px2, pz), V.scaleDot(a, xJs, xJs, z))).toBe(true);
      expectSame(out(arena, px2, n), xJs, "out (= x)");
    });

    it("nrmInf and diffNrmInf match", () => {
      const got = k.nrmInf(n, putGuarded(arena, x, odd));
      expect(Object.is(got, V.normInf(x))).toBe(true);
      expect(got).toBe(n === 0 ? 0 : Math.max(...Array.from(x, Math.abs)));
      const gotD = k.diffNrmInf(n, putGuarded(arena, x, odd), putGuarded(arena, y, !odd));
      expect(Object.is(gotD, V.diffNormInf(x, y))).toBe(true);
      let want = 0;
      for (let i = 0; i < n; i++) want = Math.max(want, Math.abs(x[i]! - y[i]!));
      expect(gotD).toBe(want);
    });

    it("addScaled matches (out apart, out = x, out = y)", () => {
      for (const alias of ["none", "x", "y"] as const) {
        const px = putGuarded(arena, x, odd), py = putGuarded(arena, y, !odd);
        const po = alias === "x" ? px : alias === "y" ? py : putGuarded(arena, new Float64Array(n), odd);
        k.addScaled(n, px, a, py, po);
        const xJs = x.slice(), yJs = y.slice();
        const oJs = alias === "x" ? xJs : alias === "y" ? yJs : new Float64Array(n);
        V.addScaled(xJs, a, yJs, oJs);
        expectSame(out(arena, po, n), oJs, `out (alias ${alias})`);
        for (let i = 0; i < n; i++) expect(oJs[i]).toBe(x[i]! + a * y[i]!);
        arena.release();
      }
    });

    it("axpby and scaleTo match", () => {
      const px = putGuarded(arena, x, odd), py = putGuarded(arena, y, odd);
      k.axpby(n, -1, px, c, py);
      const yJs = y.slice();
      V.axpby(-1, x, c, yJs);
      expectSame(out(arena, py, n), yJs, "axpby y");
      for (let i = 0; i < n; i++) expect(yJs[i]).toBe(-x[i]! + c * y[i]!);

      const po = putGuarded(arena, new Float64Array(n), !odd);
      k.scaleTo(n, a, px, po);
      const oJs = new Float64Array(n);
      V.scaleTo(a, x, oJs);
      expectSame(out(arena, po, n), oJs, "scaleTo out");
      k.scaleTo(n, -1, px, px);
      expectSame(out(arena, px, n), Array.from(x, (v) => -v), "scaleTo in place");
    });
  });

  describe("NaN and infinities", () => {
    it.each([1, 7, 9, 17, 1000])("nrmInf and diffNrmInf are NaN when any entry is NaN (n=%i)", (n) => {
      for (const at of new Set([0, n >> 1, n - 1])) {
        const x = randArray(n, n);
        x[at] = NaN;
        expect(k.nrmInf(n, putGuarded(arena, x, at % 2 === 0))).toBeNaN();
        expect(V.normInf(x)).toBeNaN();
        const y = randArray(n, n + 1);
        expect(k.diffNrmInf(n, putGuarded(arena, y, false), putGuarded(arena, x, true))).toBeNaN();
        expect(k.diffNrmInf(n, putGuarded(arena, x, true), putGuarded(arena, y, false))).toBeNaN();
        // Inf − Inf is NaN too.
        const inf = new Float64Array(n).fill(1);
        inf[at] = Infinity;
        expect(k.diffNrmInf(n, putGuarded(arena, inf, false), putGuarded(arena, inf, false))).toBeNaN();
        // An infinity elsewhere does not hide the NaN, and alone gives Infinity.
        x[(at + 1) % n] = -Infinity;
        if (n > 1) expect(k.nrmInf(n, putGuarded(arena, x, false))).toBeNaN();
        expect(k.nrmInf(n, putGuarded(arena, inf, true))).toBe(Infinity);
        arena.release();
      }
    });

    it("dot-type kernels propagate NaN; nrmInf of −0 is +0", () => {
      for (const n of [3, 9, 1000]) {
        const x = randArray(n, 5), y = randArray(n, 6);
        y[n - 1] = NaN;
        expect(k.vdot(n, putGuarded(arena, x, false), putGuarded(arena, y, false))).toBeNaN();
        expect(k.axpyDot(n, 1, putGuarded(arena, x, false), putGuarded(arena, randArray(n, 7), false), putGuarded(arena, y, false))).toBeNaN();
        expect(Object.is(k.nrmInf(n, putGuarded(arena, new Float64Array(n).fill(-0), false)), 0)).toBe(true);
        arena.release();
      }
    });

    it("allFinite (‖x‖∞ < ∞) is false for NaN and ±Inf", () => {
      const x = randArray(20, 3);
      expect(V.allFinite(x)).toBe(true);
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = x.slice();
        y[11] = bad;
        expect(V.allFinite(y)).toBe(false);
      }
    });
  });

  describe("packed symmetric spmv and spr2", () => {
    it.each([0, 1, 2, 3, 7, 8, 9, 17, 40])("match symvPacked and syr2Packed (n=%i)", (n) => {
      const len = (n * (n + 1)) / 2;
      const P = wild(len, 40 + n), v = wild(n, 50 + n), s = wild(n, 60 + n);
      const pP = putGuarded(arena, P, n % 2 === 1), pv = putGuarded(arena, v, false), po = putGuarded(arena, randArray(n, 1), true);
      k.spmv(n, pP, pv, po);
      const oJs = new Float64Array(n);
      symvPacked(P, n, v, oJs);
      expectSame(out(arena, po, n), oJs, "spmv");
      // Against the full symmetric product.
      const at = (i: number, j: number) => (j <= i ? P[(i * (i + 1)) / 2 + j]! : P[(j * (j + 1)) / 2 + i]!);
      for (let i = 0; i < n; i++) {
        let want = 0, scale = 0;
        for (let j = 0; j < n; j++) {
          want += at(i, j) * v[j]!;
          scale += Math.abs(at(i, j) * v[j]!);
        }
        expectClose(oJs[i]!, want, scale, n);
      }

      k.spr2(n, pv, putGuarded(arena, s, true), pP);
      const PJs = P.slice();
      syr2Packed(PJs, n, v, s);
      expectSame(out(arena, pP, len), PJs, "spr2");
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) expect(PJs[(i * (i + 1)) / 2 + j]).toBe(P[(i * (i + 1)) / 2 + j]! + (v[i]! * s[j]! + s[i]! * v[j]!));
      }
    });
  });
});
