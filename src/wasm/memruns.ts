// Moves of float64 entries within one view of the memory, done in JavaScript: the copies and
// in-place sums of the library's structural ops (core/exec.ts, ops/markers.ts) and the same
// moves when a worker runs them from a tape (pool.ts). One definition for both: the pool hands
// these functions to its workers as source text, so each uses nothing but its arguments.
// Offsets and lengths count entries, not bytes.

/** f64[dst … dst+n) ← f64[src … src+n), overlapping as memmove. */
export function copyRun(f64: Float64Array, dst: number, src: number, n: number): void {
  // copyWithin is a runtime call; short runs that do not overlap copy faster inline.
  if (n < 64 && (dst + n <= src || src + n <= dst)) for (let i = 0; i < n; i++) f64[dst + i] = f64[src + i]!;
  else f64.copyWithin(dst, src, src + n);
}

/** f64[dst + i] ← f64[dst + i] + f64[src + i] for i < n: each entry as `add` computes it. */
export function addRun(f64: Float64Array, dst: number, src: number, n: number): void {
  for (let i = 0; i < n; i++) f64[dst + i] = f64[dst + i]! + f64[src + i]!;
}

/**
 * Makes the n × n column-major matrix at `base` symmetric by copying one triangle onto the
 * other: from the upper one (each entry below the diagonal set from its mirror above it) or,
 * with `fromUpper` false, from the lower one.
 */
export function mirrorSquare(f64: Float64Array, base: number, n: number, fromUpper: boolean): void {
  for (let j = 0; j < n; j++) {
    const i1 = fromUpper ? n : j;
    for (let i = fromUpper ? j + 1 : 0; i < i1; i++) f64[base + i + j * n] = f64[base + j + i * n]!;
  }
}

/**
 * The three moves as the tape runner takes them: in a worker, functions made from their source
 * text; on the caller, {@link MEM_RUNS}. @internal
 */
export interface MemRuns {
  copyRun: typeof copyRun;
  addRun: typeof addRun;
  mirrorSquare: typeof mirrorSquare;
}

export const MEM_RUNS: MemRuns = { copyRun, addRun, mirrorSquare };
