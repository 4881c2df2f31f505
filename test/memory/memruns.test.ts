// The JavaScript moves of src/wasm/memruns.ts, which the structural ops and the workers' tapes
// share: against plain per-entry references.
import { describe, expect, test } from "vitest";
import { addRun, copyRun, mirrorSquare } from "../../src/wasm/memruns.js";

/** `len` distinct entries. */
function filled(len: number): Float64Array {
  return Float64Array.from({ length: len }, (_, i) => i * 1.25 + 0.5);
}

describe("mirrorSquare", () => {
  for (const n of [0, 1, 2, 7, 31, 32, 33, 64, 65, 97]) {
    for (const fromUpper of [true, false]) {
      test(`n = ${n}, from the ${fromUpper ? "upper" : "lower"} triangle: the other triangle copied, nothing else touched`, () => {
        const pad = 5, base = pad;
        const got = filled(n * n + 2 * pad), want = got.slice();
        for (let j = 0; j < n; j++) {
          for (let i = 0; i < n; i++) {
            if (fromUpper ? i > j : i < j) want[base + i + j * n] = want[base + j + i * n]!;
          }
        }
        mirrorSquare(got, base, n, fromUpper);
        expect(Array.from(got)).toEqual(Array.from(want));
        // Symmetric now, and the source triangle and diagonal are as they were.
        for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) expect(got[base + i + j * n]).toBe(got[base + j + i * n]);
      });
    }
  }
});

describe("copyRun and addRun", () => {
  test("copyRun moves overlapping runs as memmove, short and long", () => {
    for (const n of [3, 63, 64, 200]) {
      for (const shift of [-7, 7, n + 1]) {
        const a = filled(3 * n + 20), src = n + 8, dst = src + shift;
        const want = a.slice();
        want.set(a.slice(src, src + n), dst);
        copyRun(a, dst, src, n);
        expect(Array.from(a)).toEqual(Array.from(want));
      }
    }
  });

  test("addRun adds entry by entry", () => {
    const a = filled(50), b = a.slice();
    addRun(a, 10, 30, 15);
    for (let i = 0; i < 50; i++) expect(a[i]).toBe(i >= 10 && i < 25 ? b[i]! + b[i + 20]! : b[i]);
  });
});
