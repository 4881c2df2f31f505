// One module, one linear memory. Every export takes raw byte pointers into that memory,
// element counts and strides (in elements), and writes into an `out` the caller allocated:
// no kernel allocates, and no managed object exists (built with --runtime stub).
// The arena allocator lives in JavaScript (src/wasm/arena.ts); kernels that need scratch
// space use `memory.data` blocks, which sit below __heap_base, through a per-file mutable
// pointer: instances that share one memory (the thread pool, src/wasm/pool.ts) would
// otherwise all pack into the same blocks, so each moves its scratch to a region of its own
// with setScratch. Constant tables stay static (every instance's data segments write the
// same bytes).
//
// Storage is column-major throughout: element (i, j) of an m×n matrix with leading
// dimension ld sits at ptr + 8·(i + j·ld).
export * from "./layout";
export * from "./blas";
export * from "./vec";
export * from "./gemm";
export * from "./elementwise";
export * from "./reduce";
export * from "./transpose";
export * from "./kron";
export * from "./trsm";
export * from "./lu";
export * from "./cholesky";
export * from "./eigh";
export { setGemmHook } from "./hook";
// The thread pool's workers run syrkLower's leaves as tasks (src/wasm/pool.ts).
export { syrkLower } from "./linalg/syrk";

import { placeBlasScratch } from "./blas";
import { placeGemmScratch } from "./gemm";
import { placeTrsmScratch } from "./trsm";
import { placeReduceScratch } from "./reduce";
import { placeSyrkScratch } from "./linalg/syrk";
import { placeElementwiseScratch } from "./elementwise";
import { placePowScratch } from "./math/pow";

function placeScratch(base: usize, set: bool): usize {
  let p = base;
  p = placeBlasScratch(p, set);
  p = placeGemmScratch(p, set);
  p = placeTrsmScratch(p, set);
  p = placeReduceScratch(p, set);
  p = placeSyrkScratch(p, set);
  p = placeElementwiseScratch(p, set);
  p = placePowScratch(p, set);
  return p - base;
}

/** Bytes of the region setScratch takes (a multiple of 16). */
export function scratchBytes(): usize {
  return placeScratch(0, false);
}

/** Moves every scratch block of this instance into [base, base + scratchBytes()), 16-aligned. */
export function setScratch(base: usize): void {
  placeScratch(base, true);
}
