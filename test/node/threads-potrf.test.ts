// potrf in the thread pool (assembly/cholesky.ts cholStep through the cholStepHook,
// src/wasm/pool.ts cholStepRows: the next panel updated and factored as the first task, the
// other trailing columns in 64-wide ranges): the factor and info identical bit for bit with
// 1, 2, 3 and 4 threads and to the plain one-thread runtime, at orders on both sides of the
// split threshold and with ranges that end short, a leading dimension larger than the order,
// matrices that are not positive definite with the failure in the first panel, in a panel a
// look-ahead task factors and in the last one, and against a closed form.
import { afterAll, describe, expect, test } from "vitest";
import { cholesky, setThreads, tensor, threadCount } from "../../src/index.js";
import { currentPool, rt } from "../../src/wasm/module.js";
import { cholStepRows } from "../../src/wasm/pool.js";

afterAll(() => setThreads("auto"));

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

/** A reproducible symmetric positive definite n×n matrix (column-major): B + Bᵀ + 2n·I. */
function spd(n: number, seed: number, lda = n): Float64Array {
  const x = new Float64Array(lda * n);
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) {
      const v = u() + (i === j ? 2 * n : 0);
      x[i + j * lda] = v;
      x[j + i * lda] = v;
    }
    for (let i = n; i < lda; i++) x[i + j * lda] = 1000 + i + j; // rows below the block
  }
  return x;
}

interface Chol { l: Float64Array; info: number }

/** potrf of the n×n block at `a` (leading dimension lda) on the running runtime's kernels. */
function potrf(n: number, a: Float64Array, lda = n): Chol {
  const { kernels, arena } = rt();
  const mark = arena.mark();
  try {
    const pa = arena.put(a);
    const info = kernels.potrf(n, pa, lda);
    return { l: arena.view(pa, lda * n).slice(), info };
  } finally {
    arena.rewind(mark);
    arena.release();
  }
}

/**
 * Orders: one panel (64), under the split threshold (190: its first step's update is
 * 126²·64/2 < 96³ multiply-adds; it splits from 231 on), just over it (240), ranges ending
 * short (333, 389) and 1031 (16 steps, the last panel 7 wide).
 */
const ORDERS = [64, 123, 190, 240, 256, 333, 389, 1031];

describe("potrf in the pool: the bits of the one-thread runtime", () => {
  let workerTasks = 0;
  afterAll(() => expect(workerTasks, "the workers took part").toBeGreaterThan(0));
  test.each(ORDERS)("order %i at 1, 2, 3 and 4 threads", (n) => {
    const a = spd(n, n * 3 + 1);
    setThreads(1);
    expect(currentPool()).toBeNull();
    const ref = potrf(n, a);
    expect(ref.info).toBe(0);
    // L·Lᵀ = A on the lower triangle (a check that the reference is a Cholesky factor); the
    // strict upper triangle untouched.
    for (let j = 0; j < n; j += 7) {
      for (let i = j; i < n; i += 5) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += ref.l[i + k * n]! * ref.l[j + k * n]!;
        expect(Math.abs(s - a[i + j * n]!)).toBeLessThan(1e-12 * 2 * n);
      }
      for (let i = 0; i < j; i++) expect(ref.l[i + j * n]).toBe(a[i + j * n]);
    }
    const split = n > 64 && cholStepRows(n, 0, 64, Math.min(64, n - 64), 0, n).length > 1;
    expect(split, `order ${n}: whether its first step splits`).toBe(n >= 231);
    for (const t of [2, 3, 4]) {
      setThreads(t);
      expect(threadCount()).toBe(t);
      const pool = currentPool()!;
      const got = potrf(n, a);
      workerTasks += pool.workerTasks;
      expect(got.info, `order ${n}, ${t} threads: info`).toBe(0);
      expect(sameBits(got.l, ref.l), `order ${n}, ${t} threads: factor`).toBe(true);
      if (split) expect(pool.jobs, `order ${n}: steps went to the pool`).toBeGreaterThan(0);
    }
  });

  test("a 300×300 block with leading dimension 311: the same bits, the rows below untouched", () => {
    const lda = 311, n = 300;
    const a = spd(n, 5, lda);
    setThreads(1);
    const ref = potrf(n, a, lda);
    expect(ref.info).toBe(0);
    for (let j = 0; j < n; j++) for (let i = n; i < lda; i++) expect(ref.l[i + j * lda]).toBe(a[i + j * lda]);
    for (const t of [2, 3]) {
      setThreads(t);
      expect(sameBits(potrf(n, a, lda).l, ref.l)).toBe(true);
      expect(currentPool()!.jobs).toBeGreaterThan(0);
    }
  });

  test.each([
    [10, "the first panel"],
    [150, "a panel a look-ahead task factors (the third)"],
    [400, "the last panel"],
  ])("not positive definite at column %i (%s): the same info, factor and failed pivot", (col, _where) => {
    const n = 420;
    const a = spd(n, 77);
    // A diagonal entry far below what the columns before it take away: its pivot is negative.
    a[col + col * n] = -5;
    setThreads(1);
    const ref = potrf(n, a);
    expect(ref.info).toBe(col + 1);
    expect(ref.l[col + col * n]!).toBeLessThanOrEqual(0);
    for (const t of [2, 3, 4]) {
      setThreads(t);
      const got = potrf(n, a);
      expect(got.info, `${t} threads`).toBe(col + 1);
      expect(sameBits(got.l, ref.l), `${t} threads`).toBe(true);
    }
  });

  test("the public cholesky at 1 and 2 threads: a closed form and the same bits", () => {
    // A = T·Tᵀ for the lower-triangular T with T[i][j] = 1 + (i + j) mod 3 on and below the
    // diagonal: its Cholesky factor is T (positive diagonal).
    const n = 300;
    const T = new Float64Array(n * n);
    for (let j = 0; j < n; j++) for (let i = j; i < n; i++) T[i + j * n] = 1 + ((i + j) % 3);
    const A = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k <= Math.min(i, j); k++) s += T[i + k * n]! * T[j + k * n]!;
        A[i + j * n] = s;
      }
    }
    // tensor() takes row-major data; A is symmetric, so its column-major entries are the same.
    // `data` is column-major, as T is here.
    const At = tensor(A, [n, n]);
    setThreads(1);
    const L1 = cholesky(At).data;
    setThreads(2);
    const L2 = cholesky(At).data;
    expect(sameBits(L1, L2)).toBe(true);
    let worst = 0;
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(L1[i + j * n]! - (i >= j ? T[i + j * n]! : 0)));
    expect(worst).toBeLessThan(1e-9);
  });
});
