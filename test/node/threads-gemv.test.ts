// Matrix-vector products and jit's fused row-block passes split across the thread pool
// (src/wasm/pool.ts gemv, runRowBlocks): the same bits at 1, 2, 3 and 4 threads as the plain
// one-thread runtime, for sizes on both sides of the split thresholds, odd sizes and both
// ops, in each kernel build (where a row or column sits in a split decides its bits only in
// some builds: the relaxed build's FMA rounds gemv N's odd tail row differently, the scalar
// build sums gemv T's leftover columns differently); whole Newton-CG and trust-ncg solves of
// the optim suite's logistic 10000×100 that take the same iterates with 1 and 2 threads; and a
// worker that fails inside a split call.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as mc from "../../src/index.js";
import { grad, hvp, init, jit, randn, setThreads, threadCount, WorkerError, zeros, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { currentPool, rt } from "../../src/wasm/module.js";
import { runRowBlocks } from "../../src/wasm/pool.js";
import { logistic } from "../../bench/suites/optim.js";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

afterAll(async () => {
  setThreads("auto");
  await init();
});

/** Tasks the workers ran, over the whole file (a small job may end before a worker wakes). */
let workerTasks = 0;

/**
 * `f` at 1 thread (the plain runtime, no pool) and at 2, 3 and 4: every result the same bits.
 * Returns how many calls of the pool's `method` split (went to the workers' job queue).
 */
function invariant(what: string, method: "gemv" | "rowBlocks", f: () => Float64Array[]): number {
  setThreads(1);
  expect(currentPool()).toBeNull();
  const ref = f();
  let splits = 0;
  for (const t of [2, 3, 4]) {
    setThreads(t);
    expect(threadCount()).toBe(t);
    const pool = currentPool()!;
    // Every split call runs the pool's job queue: count the jobs of `method` (a spy on run).
    const run = vi.spyOn(pool as unknown as { run(op: string, rows: unknown[]): void }, "run");
    const got = f();
    splits += run.mock.calls.filter(([op]) => op === method).length;
    run.mockRestore();
    workerTasks += pool.workerTasks;
    got.forEach((g, i) => expect(sameBits(g, ref[i]!), `${what}: result ${i}, ${t} threads`).toBe(true));
  }
  return splits;
}

/**
 * op N (X·v, v·Xᵀ) splits from 2¹⁸ entries: by 1024-row panels from 2048 rows, below into up
 * to four panels of an even height (at least 128 rows); op T (Xᵀ·r, r·X) by panels of a
 * multiple of 3 columns. Whether something splits.
 */
const GEMV_SHAPES: [number, number, boolean][] = [
  [2048, 128, true], // exactly the threshold: N two 1024-row panels; T 7 panels, the last 20 wide
  [2047, 129, true], // N four panels of 512 rows, the last 511 (an odd tail); T 7 × 18 and 3
  [1000, 1000, true], // N four panels of 250 rows; T 30 × 33 and 10
  [999, 263, true], // N 250, 250, 250 and 249 rows (the odd tail row last, as in the whole call)
  [301, 1000, true], // N 128 and 173 rows (the 45 left over join the last panel)
  [300, 900, true], // N 128 and 172; T 8 × 111 and 12
  [2048, 127, false], // under 2¹⁸ entries: neither splits
  [4099, 67, true], // N: 3 rows left over join the last panel (1027 rows); T: 7 × 9 and 3 + 1
  [3333, 79, true], // N: a last panel of 261 rows (an odd tail); T: 6 × 12 and 6 + 1
  [30001, 9, true], // narrow: N by 4096-row panels (a task ≥ 2¹⁵ multiply-adds); T 3 × 3
  [100, 2700, true], // short and wide: N whole; T 8 × 330 and 60
];

/**
 * Fused from 1 MiB of X, split from 2¹⁸ entries; blocks of 256 KiB of X (546 rows at 60
 * columns, 488 at 67, 326 at 100), the last one shorter.
 */
const FUSED_SHAPES: [number, number, boolean][] = [
  [3000, 60, false], // fused, not split
  [5000, 60, true], // ten blocks, the last of 86 rows
  [4099, 67, true], // nine blocks, the last of 195 rows
  [10000, 100, true],
];

describe.each(["simd", "scalar"] as const)("gemv through matmul, %s build: the same bits for any thread count", (build) => {
  beforeAll(() => init({ build }));
  test.each(GEMV_SHAPES)("%i × %i", (m, n, splits) => {
    const x = randn([m, n], { seed: m }), v = randn([n], { seed: n }), r = randn([m], { seed: m + n });
    const count = invariant(`${m}×${n}`, "gemv", () =>
      [x.matmul(v), x.T.matmul(r), r.matmul(x), v.matmul(x.T)].map((t: Tensor) => t.data.slice()));
    expect(count > 0, `${m}×${n}: some product split`).toBe(splits);
  });

  test("kernel calls with strides, a larger leading dimension, α and β (both ops)", () => {
    // A 3001×101 block of a 3005-row array; x and y strided; β ≠ 0 reads y.
    const lda = 3005, m = 3001, n = 101;
    const data = randn([lda * n], { seed: 21 }).data.slice();
    const xs = randn([3 * m], { seed: 22 }).data.slice(), ys = randn([2 * m], { seed: 23 }).data.slice();
    const run = (): Float64Array[] => {
      const { kernels: K, arena } = rt();
      const a = arena.put(data), x = arena.put(xs), out: Float64Array[] = [];
      for (const [trans, incx, incy, alpha, beta] of [[0, 3, 2, 0.7, 0], [0, 1, 1, 1, 0.5], [1, 2, 3, -1.3, 0], [1, 1, 1, 1, 2]]) {
        const y = arena.put(ys);
        K.gemv(trans!, m, n, alpha!, a, lda, x, incx!, beta!, y, incy!);
        out.push(arena.view(y, ys.length).slice());
      }
      return out;
    };
    expect(invariant("strided gemv", "gemv", run)).toBe(12);
  });

  test("gemm's one-column and one-row products go the same way", () => {
    const x = randn([4096, 70], { seed: 31 }), w = randn([70, 1], { seed: 32 }), u = randn([1, 4096], { seed: 33 });
    const run = (): Float64Array[] => {
      const { kernels: K, arena } = rt();
      const a = arena.put(x.data), b = arena.put(w.data), c = arena.put(u.data);
      const y1 = arena.alloc(4096), y2 = arena.alloc(70);
      K.gemm(0, 0, 4096, 1, 70, 1, a, 4096, b, 70, 0, y1, 4096); // X·w
      K.gemm(0, 0, 1, 70, 4096, 1, c, 1, a, 4096, 0, y2, 1); // u·X
      return [arena.view(y1, 4096).slice(), arena.view(y2, 70).slice()];
    };
    expect(invariant("gemm n = 1, m = 1", "gemv", run)).toBe(6);
  });
});

describe.each(["simd", "scalar"] as const)("jit's fused row-block passes, %s build: the same bits for any thread count", (build) => {
  beforeAll(() => init({ build }));
  test.each(FUSED_SHAPES)("logistic %i × %i: gradient and Hessian-vector products", (m, n, splits) => {
    const X = randn([m, n], { seed: m + 1 }), w0 = randn([n], { seed: 2 }).mul(0.1), v = randn([n], { seed: 3 });
    const y = mc.sign(randn([m], { seed: 4 }));
    const f = (w: Tensor) => mc.softplus(y.mul(X.matmul(w)).neg()).mean().add(w.dot(w).mul(5e-4));
    const count = invariant(`${m}×${n}`, "rowBlocks", () => {
      // Recorded afresh in each runtime; replays (the second call) run the fused step.
      const g = jit(grad(f)), h = jit(hvp(f));
      const out: Float64Array[] = [];
      for (let i = 0; i < 2; i++) out.push(g(w0).data.slice(), h(w0, v).data.slice());
      return out;
    });
    expect(count > 0, `${m}×${n}: the fused pass split`).toBe(splits);
  });
});

describe("a worker that fails in a split gemv or fused pass", () => {
  test("WorkerError naming the op, then the same pool gives the right bits", () => {
    const m = 4096, n = 64;
    const X = randn([m, n], { seed: 41 }), v = randn([n], { seed: 42 });
    // Xᵀ·(X·v) as a fused pass of two steps, 16 blocks of 256 rows, straight through
    // runRowBlocks (a jit replay that fails runs f instead, so it never shows the error).
    const pass = (): Float64Array => {
      const { kernels: K, arena, pool } = rt();
      const px = arena.put(X.data), pv = arena.put(v.data), z = arena.alloc(m), out = arena.alloc(n);
      const params = arena.allocBytes(16);
      runRowBlocks(K, pool, { m, n, rows: 256, program: [[1, px, pv, z], [4, px, z]], params, out }, (c) => arena.alloc(c));
      return arena.view(out, n).slice();
    };
    setThreads(1);
    const refMv = X.matmul(v).data.slice(), refPass = pass();
    // The pass is Xᵀ·X·v to rounding.
    const direct = X.T.matmul(X.matmul(v)).data;
    refPass.forEach((e, i) => expect(Math.abs(e - direct[i]!)).toBeLessThanOrEqual(1e-12 * Math.abs(direct[i]!) + 1e-9));
    setThreads(2);
    const pool = currentPool()!;
    X.matmul(v); // the workers are up
    for (const [op, call] of [["gemv", () => X.matmul(v)], ["rowBlocks", pass]] as const) {
      pool.injectFault("throw");
      let caught: unknown;
      try {
        call();
      } catch (e) {
        caught = e;
      }
      expect(caught, op).toBeInstanceOf(WorkerError);
      expect((caught as WorkerError).op).toBe(op);
      expect((caught as Error).message).toMatch(/worker 1 failed: Error: injected failure/);
    }
    expect(sameBits(X.matmul(v).data, refMv)).toBe(true);
    expect(sameBits(pass(), refPass)).toBe(true);
  });
});

describe("relaxed-SIMD build (a child Node with the flag, over dist/: `npm run build` first)", () => {
  test("gemv and the fused passes: the same bits at 1, 2, 3 and 4 threads", async () => {
    const dist = new URL("../../dist/", import.meta.url).href;
    const source = `
      import * as mc from "${dist}index.js";
      import { currentPool } from "${dist}wasm/module.js";
      const run = () => {
        const out = [];
        for (const [m, n] of ${JSON.stringify(GEMV_SHAPES)}) {
          const x = mc.randn([m, n], { seed: m }), v = mc.randn([n], { seed: n }), r = mc.randn([m], { seed: m + n });
          for (const t of [x.matmul(v), x.T.matmul(r), r.matmul(x), v.matmul(x.T)]) out.push(t.data.slice());
        }
        for (const [m, n] of ${JSON.stringify(FUSED_SHAPES)}) {
          const X = mc.randn([m, n], { seed: m + 1 }), w0 = mc.randn([n], { seed: 2 }).mul(0.1), v = mc.randn([n], { seed: 3 });
          const y = mc.sign(mc.randn([m], { seed: 4 }));
          const f = (w) => mc.softplus(y.mul(X.matmul(w)).neg()).mean().add(w.dot(w).mul(5e-4));
          const g = mc.jit(mc.grad(f)), h = mc.jit(mc.hvp(f));
          for (let i = 0; i < 2; i++) out.push(g(w0).data.slice(), h(w0, v).data.slice());
        }
        return out;
      };
      mc.setThreads(1);
      const ref = run();
      let differ = 0, jobs = 0;
      for (const t of [2, 3, 4]) {
        mc.setThreads(t);
        const got = run();
        jobs += currentPool().jobs;
        got.forEach((g, i) => { if (!g.every((e, j) => Object.is(e, ref[i][j]))) differ++; });
      }
      console.log(JSON.stringify({ build: mc.kernelBuild(), differ, jobs, results: ref.length }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--experimental-wasm-relaxed-simd", "--input-type=module", "-e", source], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { ...process.env, MATCALC_BUILD: "relaxed-simd" },
    });
    const got = JSON.parse(stdout) as { build: string; differ: number; jobs: number; results: number };
    expect(got.build).toBe("relaxed-simd");
    expect(got.results).toBe(4 * GEMV_SHAPES.length + 4 * FUSED_SHAPES.length);
    expect(got.jobs).toBeGreaterThan(3 * 20);
    expect(got.differ).toBe(0);
  }, 120_000);

  test("gemv op = N with A in cache (register tiles): a row's bits do not depend on where it sits, FMA used", async () => {
    // assembly/blas.ts gemvNTiles sums every row alike, the odd last row in a vector lane too,
    // so a call on a row slice of A gives the whole call's rows in the fused build as well.
    const dist = new URL("../../dist/", import.meta.url).href;
    const source = `
      import * as mc from "${dist}index.js";
      import { rt } from "${dist}wasm/module.js";
      await mc.init();
      const { kernels: k, arena } = rt();
      let slices = 0, differ = 0, fused = 0;
      for (const [m, n] of [[201, 77], [37, 7], [23, 50], [1030, 40]]) {
        arena.enter();
        const A = mc.randn([m, n], { seed: m }).data, x = mc.randn([n], { seed: n }).data;
        const pa = arena.put(A), px = arena.put(x), py = arena.alloc(m);
        k.gemv(0, m, n, 1, pa, m, px, 1, 0, py, 1);
        const whole = arena.view(py, m).slice();
        for (const [r0, rows] of [[1, m - 1], [5, 13], [m - 3, 3], [12, 1], [m - 1, 1]]) {
          k.gemv(0, rows, n, 1, pa + 8 * r0, m, px, 1, 0, py, 1);
          const part = arena.view(py, rows);
          slices++;
          if (!part.every((v, i) => Object.is(v, whole[r0 + i]))) differ++;
        }
        // Unfused sums in plain JS in the same order (panels of 16 columns) differ somewhere.
        for (let i = 0; i < m; i++) {
          let acc = 0;
          for (let j0 = 0; j0 < n; j0 += 16) {
            let s = A[i] * 0;
            for (let j = j0; j < Math.min(n, j0 + 16); j++) s = j === j0 ? A[i + j * m] * x[j] : s + A[i + j * m] * x[j];
            acc = j0 === 0 ? s : acc + s;
          }
          if (!Object.is(acc, whole[i])) fused++;
        }
        arena.exit();
      }
      console.log(JSON.stringify({ build: mc.kernelBuild(), slices, differ, fused }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--experimental-wasm-relaxed-simd", "--input-type=module", "-e", source], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)), env: { ...process.env, MATCALC_BUILD: "relaxed-simd" },
    });
    const got = JSON.parse(stdout) as { build: string; slices: number; differ: number; fused: number };
    expect(got.build).toBe("relaxed-simd");
    expect(got.slices).toBe(20);
    expect(got.differ).toBe(0);
    expect(got.fused).toBeGreaterThan(0);
  }, 120_000);
});

describe("a whole solve", () => {
  test("Newton-CG and trust-ncg on the optim suite's logistic 10000×100: the same iterates with 1 and 2 threads", () => {
    const f = logistic(10000, 100, 1e-3);
    const x0 = zeros([100]);
    for (const method of ["newton-cg", "trust-ncg"] as const) {
      setThreads(1);
      const one = minimize(f, x0, { method, gradTol: 1e-5 });
      setThreads(2);
      const pool = currentPool()!;
      const before = pool.jobs;
      const two = minimize(f, x0, { method, gradTol: 1e-5 });
      expect(pool.jobs - before, `${method}: gemv and the fused passes split`).toBeGreaterThan(10);
      expect(one.status).toBe("gradTol");
      expect(one.gradNorm).toBeLessThanOrEqual(1e-5);
      expect(two.iterations).toBe(one.iterations);
      expect(two.evaluations).toEqual(one.evaluations);
      expect(sameBits(two.x.data, one.x.data), `${method}: x`).toBe(true);
      expect(Object.is(two.value, one.value)).toBe(true);
    }
  });
});

test("the workers took part in the split calls above", () => {
  expect(workerTasks).toBeGreaterThan(0);
});
