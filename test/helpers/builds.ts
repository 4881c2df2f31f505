// Runs kernel tests against both binaries (SIMD and scalar), in Node and in Chromium.
import { mulberry32 } from "../../src/random.js";
import { init, relaxedSimdSupported, rt } from "../../src/wasm/module.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

export const BUILDS = [{ name: "simd", simd: true }, { name: "scalar", simd: false }] as const;

/**
 * BUILDS and, where the host validates it (Chromium; Node 20 with
 * --experimental-wasm-relaxed-simd), the relaxed-SIMD build: for kernels whose code differs
 * in that build beyond its fused multiply-add (gemm's 6×3 tile).
 */
export const BUILDS_WITH_RELAXED: readonly { name: string; simd: boolean; relaxed?: boolean }[] = [
  ...BUILDS,
  ...(relaxedSimdSupported() ? [{ name: "relaxed-simd", simd: true, relaxed: true }] : []),
];

/**
 * Loads one build (the relaxed-SIMD one with `relaxed`); call in `beforeAll`. Returns
 * accessors for the live kernels and arena.
 */
export async function useBuild(simd: boolean, relaxed = false): Promise<{ k: Kernels; arena: Arena }> {
  const build = relaxed ? "relaxed-simd" : simd ? "simd" : "scalar";
  await init({ build });
  const r = rt();
  if (r.build !== build) throw new Error(`expected the ${build} build`);
  return { k: r.kernels, arena: r.arena };
}

/** Copies a JS array into fresh arena memory. */
export function put(arena: Arena, data: ArrayLike<number>): number {
  return arena.put(data);
}

/**
 * Copies `data` into the arena between NaN guards (at 8 mod 16 when `odd`; two guard entries
 * after it, so a 16-byte overread at either alignment reads NaN); returns its pointer.
 */
export function putGuarded(arena: Arena, data: ArrayLike<number>, odd: boolean): number {
  const pad = odd ? 1 : 2;
  const ptr = arena.alloc(data.length + pad + 2);
  const v = arena.view(ptr, data.length + pad + 2);
  v.fill(NaN);
  v.set(data, pad);
  return ptr + 8 * pad;
}

/** Reads `n` float64 back from the arena (a copy). */
export function get(arena: Arena, ptr: number, n: number): Float64Array {
  return arena.view(ptr, n).slice();
}

/** Deterministic pseudo-random numbers in [-1, 1) (mulberry32). */
export function rng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

/** A Float64Array of n seeded values in [-1, 1). */
export function randArray(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}
