// softplus's row loop and sigmoid in every kernel build (assembly/math/act.ts): the SIMD
// build's tiles (checked for |x| ≤ 690, then pipelined without a branch per pair, or pair by
// pair with a scalar fallback) give the scalar build's bits at every length, offset and mix of
// lanes outside the fast domain, also in place (out = x); and the relaxed-SIMD build (run when
// the host validates it: Node 20 with VITEST_NODE_FLAGS=--experimental-wasm-relaxed-simd) gives
// the same bits as the other two, since these kernels use no fused multiply-add.
import { afterAll, describe, expect, it } from "vitest";
import { init, relaxedSimdSupported, rt } from "../../src/wasm/module.js";
import { UnaryOp } from "../../src/wasm/kernels.js";
import { rng } from "../helpers/builds.js";

const BUILDS = ["scalar", "simd", ...(relaxedSimdSupported() ? ["relaxed-simd" as const] : [])] as const;
/** The SIMD row loop's tile (assembly/math/act.ts SP_TILE) and lengths around it. */
const TILE = 1024;
const LENGTHS = [1, 2, 3, 4, 5, 1023, 1024, 1025, 1026, 2047, 2048, 2049, 3001];

/** Seeded inputs of length n: mostly |x| < 8, and where `slow`, lanes beyond 690 or NaN. */
function inputs(n: number, seed: number, slow: number[]): Float64Array {
  const r = rng(seed);
  const xs = Float64Array.from({ length: n }, () => r() * 8);
  const odd = [700, -700, NaN, 750, -745.5, Infinity, -Infinity];
  slow.forEach((at, k) => { if (at < n) xs[at] = odd[k % odd.length]!; });
  return xs;
}

/** Layouts: clean, one slow lane in each tile's first or last pair, a tile all slow. */
function cases(n: number): { name: string; xs: Float64Array }[] {
  return [
    { name: "all fast", xs: inputs(n, n, []) },
    { name: "slow at tile edges", xs: inputs(n, n + 1, [0, TILE - 1, TILE, 2 * TILE - 2, n - 1]) },
    { name: "slow in the second tile only", xs: inputs(n, n + 2, [TILE + 5]) },
    { name: "every lane slow", xs: inputs(n, n + 3, Array.from({ length: n }, (_, i) => i)) },
  ];
}

async function run(build: (typeof BUILDS)[number], op: UnaryOp, xs: Float64Array, inPlace: boolean, offset: number): Promise<Float64Array> {
  await init({ build, threads: 1 });
  const { kernels: k, arena } = rt();
  try {
    const base = arena.alloc(xs.length + 2);
    const x = base + 8 * offset;
    arena.view(x, xs.length).set(xs);
    const out = inPlace ? x : arena.alloc(xs.length);
    k.unary(op, xs.length, x, out);
    return arena.view(out, xs.length).slice();
  } finally {
    arena.release();
  }
}

function firstDiff(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

afterAll(async () => {
  await init();
});

describe.each([
  { op: UnaryOp.Softplus, name: "softplus" },
  { op: UnaryOp.Sigmoid, name: "sigmoid" },
])("$name in every build", ({ op }) => {
  it.each(LENGTHS)("n = %i: every build, offset and in-place run gives the scalar build's bits", async (n) => {
    for (const { name, xs } of cases(n)) {
      const ref = await run("scalar", op, xs, false, 0);
      for (const build of BUILDS) {
        for (const inPlace of [false, true]) {
          for (const offset of [0, 1]) {
            const got = await run(build, op, xs, inPlace, offset);
            const at = firstDiff(got, ref);
            expect(at, `${build} ${name} inPlace=${inPlace} offset=${offset}: x = ${xs[at]}, got ${got[at]}, scalar ${ref[at]}`).toBe(-1);
          }
        }
      }
    }
  });
});

describe("softplus outside the fast domain", () => {
  it("returns x beyond 690, exp(x) below −690 (subnormal or 0), NaN for NaN, at every position of a tile", async () => {
    for (const build of BUILDS) {
      const xs = inputs(TILE + 3, 5, []);
      const idx = [0, 1, 2, TILE - 1, TILE, TILE + 2];
      const vals = [700, -700, NaN, 1e300, -745, -1e300];
      idx.forEach((i, k) => { xs[i] = vals[k]!; });
      const got = await run(build, UnaryOp.Softplus, xs, true, 0);
      expect(got[0]).toBe(700);
      expect(Math.abs(got[1]! / Math.exp(-700) - 1)).toBeLessThan(2.3e-16); // e itself
      expect(got[2]).toBeNaN();
      expect(got[TILE - 1]).toBe(1e300);
      expect(got[TILE]).toBe(Math.exp(-745)); // 5e-324, the smallest subnormal
      expect(got[TILE + 2]).toBe(0);
      // A fast lane in the same pairs: log(1 + eˣ) to within 2 ulp of the host's formula.
      const x3 = xs[3]!;
      expect(Math.abs(got[3]! - (Math.max(x3, 0) + Math.log1p(Math.exp(-Math.abs(x3)))))).toBeLessThan(4e-16 * Math.max(1, got[3]!));
    }
  });
});
