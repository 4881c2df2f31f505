// getrf in the thread pool (assembly/lu.ts luStep through the luStepHook, src/wasm/pool.ts
// luStepRows): factors, pivots and info identical bit for bit with 1, 2, 3 and 4 threads and
// to the plain one-thread runtime, at shapes on both sides of the split thresholds (a step's
// update of 96³ multiply-adds, 128-wide column ranges, remainders under 8 columns), and the
// public solve / det / inv the same at 1 and 2 threads.
import { afterAll, describe, expect, test } from "vitest";
import { det, inv, randn, setThreads, solve, threadCount, WorkerError } from "../../src/index.js";
import { currentPool, rt } from "../../src/wasm/module.js";
import { luStepRows } from "../../src/wasm/pool.js";

afterAll(() => setThreads("auto"));

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

/** A reproducible m×n matrix (column-major), entries in (-1, 1). */
function matrix(m: number, n: number, seed: number): Float64Array {
  const x = new Float64Array(m * n);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

interface Lu { lu: Float64Array; ipiv: Int32Array; info: number }

/** getrf of `a` (m×n, leading dimension lda ≥ m) on the running runtime's kernels. */
function getrf(m: number, n: number, a: Float64Array, lda = m): Lu {
  const { kernels, arena } = rt();
  const mark = arena.mark();
  try {
    const pa = arena.put(a);
    const pp = arena.allocBytes(4 * Math.min(m, n));
    const info = kernels.getrf(m, n, pa, lda, pp);
    return { lu: arena.view(pa, lda * n).slice(), ipiv: arena.i32().slice(pp >> 2, (pp >> 2) + Math.min(m, n)), info };
  } finally {
    arena.rewind(mark);
    arena.release();
  }
}

/**
 * Shapes: under the split threshold (65, 127, 181: its first step's update is 117²·64 < 96³
 * multiply-adds), just over it (185: 121²·64), odd orders whose
 * update ranges end in remainders (301: a 45-column range; 263: 7 columns joining the range
 * before), wide and tall with a last panel narrower than 64 beside more columns (130×1000,
 * 517×300, 300×517), and 1031 (16 steps, left swaps in several tasks).
 */
const SHAPES: [number, number][] = [
  [65, 65], [127, 127], [181, 181], [185, 185], [200, 200], [263, 263], [301, 301], [130, 1000], [1000, 130],
  [517, 300], [300, 517], [1031, 1031],
];

describe("getrf in the pool: the bits of the one-thread runtime", () => {
  /** Tasks the workers ran, over every shape (a small job may end before a worker wakes). */
  let workerTasks = 0;
  afterAll(() => expect(workerTasks, "the workers took part").toBeGreaterThan(0));
  test.each(SHAPES)("%i×%i at 1, 2, 3 and 4 threads", (m, n) => {
    const a = matrix(m, n, m * 7 + n);
    setThreads(1);
    expect(currentPool()).toBeNull();
    const ref = getrf(m, n, a);
    expect(ref.info).toBe(0);
    // Partial pivoting: |L| ≤ 1 below the diagonal (a check that the reference is an LU).
    for (let j = 0; j < Math.min(m, n); j++) {
      for (let i = j + 1; i < m; i++) expect(Math.abs(ref.lu[i + j * m]!)).toBeLessThanOrEqual(1);
    }
    const split = luStepRows(m, n, 0, Math.min(64, m, n), Math.min(64, Math.min(m, n) - 64), 0, m, 0).length > 1;
    // (1000×130: the next panel is all there is right of the first: one task, run whole.)
    expect(split, `${m}×${n}: whether its first step splits`).toBe(![65, 127, 181, 1000].includes(m));
    for (const t of [2, 3, 4]) {
      setThreads(t);
      expect(threadCount()).toBe(t);
      const pool = currentPool()!;
      const got = getrf(m, n, a);
      workerTasks += pool.workerTasks;
      expect(got.info, `${m}×${n}, ${t} threads: info`).toBe(ref.info);
      expect(sameBits(got.ipiv, ref.ipiv), `${m}×${n}, ${t} threads: pivots`).toBe(true);
      expect(sameBits(got.lu, ref.lu), `${m}×${n}, ${t} threads: factors`).toBe(true);
      // (Under the threshold the first panel's own product may still split, by rows.)
      if (split) expect(pool.jobs, `${m}×${n}: steps went to the pool`).toBeGreaterThan(0);
    }
  });

  test("a 300×290 block of a matrix with leading dimension 311: the same bits, the rows below untouched", () => {
    const lda = 311, m = 300, n = 290;
    const a = matrix(lda, n, 5);
    setThreads(1);
    const ref = getrf(m, n, a, lda);
    for (let j = 0; j < n; j++) {
      for (let i = m; i < lda; i++) expect(ref.lu[i + j * lda]).toBe(a[i + j * lda]);
    }
    for (const t of [2, 3]) {
      setThreads(t);
      const got = getrf(m, n, a, lda);
      expect(sameBits(got.ipiv, ref.ipiv)).toBe(true);
      expect(sameBits(got.lu, ref.lu)).toBe(true);
      expect(currentPool()!.jobs).toBeGreaterThan(0);
    }
  });

  test("a singular matrix: the first zero pivot's info, factors and pivots the same", () => {
    const m = 400, n = 400;
    const a = matrix(m, n, 99);
    // Zero columns 150 (inside the third panel, factored as a look-ahead task) and 260.
    a.fill(0, 150 * m, 151 * m);
    a.fill(0, 260 * m, 261 * m);
    setThreads(1);
    const ref = getrf(m, n, a);
    expect(ref.info).toBe(151);
    expect(ref.lu[150 + 150 * m]).toBe(0);
    for (const t of [2, 3, 4]) {
      setThreads(t);
      const got = getrf(m, n, a);
      expect(got.info).toBe(151);
      expect(sameBits(got.ipiv, ref.ipiv)).toBe(true);
      expect(sameBits(got.lu, ref.lu)).toBe(true);
    }
  });

  test("the update ranges start 8k columns in, are 8k wide but the last, and never narrower than 8", () => {
    for (const [m, n] of SHAPES) {
      const mn = Math.min(m, n);
      for (let j = 0; j < mn; j += 64) {
        const jb = Math.min(64, mn - j), jbn = Math.min(64, mn - j - jb), jn = j + jb;
        const rows = luStepRows(m, n, j, jb, jbn, 0, m, 0);
        const ranges = rows.filter((r) => r[0] === 20 || r[0] === 21)
          .map((r) => (r[0] === 20 ? [jn, r[4]!] : [r[4]!, r[5]!]));
        if (rows.length === 0) continue;
        // They cover the columns right of the panel exactly once, in order.
        let next = jn;
        ranges.forEach(([c0, nc], i) => {
          expect(c0).toBe(next);
          expect((c0! - jn) % 8).toBe(0);
          expect(nc).toBeGreaterThanOrEqual(Math.min(8, n - jn));
          if (i < ranges.length - 1) expect(nc! % 8).toBe(0);
          next = c0! + nc!;
        });
        expect(next).toBe(n);
        // The left swaps cover columns 0 … j − 1.
        const swaps = rows.filter((r) => r[0] === 22).reduce((s, r) => s + r[4]!, 0);
        expect(swaps).toBe(j);
      }
    }
  });
});

describe("solve, det and inv through the public API", () => {
  test("1 and 2 threads give the same bits", () => {
    const n = 333;
    const a = randn([n, n], { seed: 31 }), b = randn([n, 5], { seed: 32 });
    const run = (): Float64Array[] => [solve(a, b).data.slice(), det(a).data.slice(), inv(a).data.slice()];
    setThreads(1);
    const ref = run();
    // A check that the one-thread answer is right: A·inv(A) ≈ I.
    const ai = a.matmul(inv(a)).data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(Math.abs(ai[i + j * n]! - (i === j ? 1 : 0))).toBeLessThan(1e-9);
    }
    setThreads(2);
    const pool = currentPool()!;
    const got = run();
    expect(pool.jobs).toBeGreaterThan(0);
    got.forEach((g, i) => expect(sameBits(g, ref[i]!), `result ${i}`).toBe(true));
  });
});

describe("a worker failing inside a step of getrf", () => {
  test("surfaces as a WorkerError naming getrf, and the next solve is right", () => {
    const a = randn([400, 400], { seed: 41 }), b = randn([400, 2], { seed: 42 });
    setThreads(1);
    const ref = solve(a, b).data.slice();
    setThreads(2);
    solve(a, b); // the workers are up
    const pool = currentPool()!;
    pool.injectFault("throw");
    let caught: unknown;
    try {
      solve(a, b);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkerError);
    expect((caught as WorkerError).op).toBe("getrf");
    expect((caught as WorkerError).message).toBe("getrf: worker 1 failed: Error: injected failure");
    expect(sameBits(solve(a, b).data, ref)).toBe(true);
    expect(currentPool()).toBe(pool);
  });
});
