// The thread pool: results identical bit for bit for any thread count, errors in a worker
// surface as WorkerError and the pool recovers, options checked, and a Node process that made
// a threaded call exits promptly.
import { afterAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  cholesky, eye, grad, hessian, logdet, slogdet, solve, vector,
  init, MAX_AUTO_THREADS, MAX_THREADS, MemoryLimitError, OptionError, randn, setThreads, threadCount, WorkerError,
  type Tensor,
} from "../../src/index.js";
import { currentPool } from "../../src/wasm/module.js";
import { setStallMs } from "../../src/wasm/pool.js";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

afterAll(() => setThreads("auto"));

describe("thread-count invariance", () => {
  test("gemm of odd shapes and every transpose: 1, 2, 3 and 4 threads give the same bits", () => {
    let workerTasks = 0;
    // n = 301, 257 and 195: panels of 128 with remainders 45, 1 (joins the panel before) and 67.
    // n = 700 and 1100: panels of another width at each thread count (pool.ts gemmPanel): 176,
    // 128, 128 and 276, 184, 140 wide at 2, 3, 4 threads.
    const shapes: [number, number, number][] = [[97, 301, 129], [257, 257, 300], [64, 700, 96], [1000, 195, 65], [40, 1100, 200]];
    for (const [m, n, k] of shapes) {
      const a = randn([m, k], { seed: m }), b = randn([k, n], { seed: n });
      const at = randn([k, m], { seed: m + 1 }), bt = randn([n, k], { seed: n + 1 });
      const run = (): Float64Array[] => [a.matmul(b), at.T.matmul(b), a.matmul(bt.T), at.T.matmul(bt.T)].map((t: Tensor) => t.data.slice());
      setThreads(1);
      expect(threadCount()).toBe(1);
      const ref = run();
      for (const t of [2, 3, 4]) {
        setThreads(t);
        expect(threadCount()).toBe(t);
        const pool = currentPool()!;
        const got = run();
        expect(pool.jobs).toBe(4);
        workerTasks += pool.workerTasks;
        got.forEach((g, i) => expect(sameBits(g, ref[i]!), `${m}×${k}·${k}×${n} case ${i}, ${t} threads`).toBe(true));
      }
    }
    // Narrow products, split by rows: 136-row panels and 79 left; 128 and 7 left (joining the
    // last panel); 128 and a panel of 8; 264-row panels of a product with 8 columns whose whole
    // call sums its rows in sweeps of 1024 (gemmFewColsN), with Aᵀ·B's 4-row tiles (gemmFewColsT).
    for (const [m, n, k] of [[1031, 3, 300], [263, 100, 65], [264, 191, 129], [2100, 8, 130]] as [number, number, number][]) {
      const x = randn([m, k], { seed: m }), xt = randn([k, m], { seed: m + 2 }), w = randn([k, n], { seed: n });
      const run = (): Float64Array[] => [x.matmul(w), xt.T.matmul(w), x.matmul(w).T.matmul(x)].map((t) => t.data.slice());
      setThreads(1);
      const ref = run();
      for (const t of [2, 3, 4]) {
        setThreads(t);
        const pool = currentPool()!;
        const got = run();
        expect(pool.jobs, `${m}×${k}·${k}×${n}`).toBeGreaterThanOrEqual(2);
        workerTasks += pool.workerTasks;
        got.forEach((g, i) => expect(sameBits(g, ref[i]!), `${m}×${k}·${k}×${n} case ${i}, ${t} threads`).toBe(true));
      }
    }
    // The workers took part (the caller alone would also give the same bits).
    expect(workerTasks).toBeGreaterThan(0);
  });
});

describe("thread-count invariance of large elementwise math", () => {
  test("exp, log1p, tanh, sigmoid, softplus, atan of 100003 entries: the same bits", () => {
    const x = randn([100003], { seed: 5 });
    const run = (): Float64Array[] =>
      [x.exp(), x.abs().log1p(), x.tanh(), x.sigmoid(), x.softplus(), x.atan(), x.neg()].map((t) => t.data.slice());
    setThreads(1);
    const ref = run();
    for (const t of [2, 3, 4]) {
      setThreads(t);
      const pool = currentPool()!;
      const got = run();
      expect(pool.jobs).toBe(6); // neg (memory-bound) and abs are not split
      got.forEach((g, i) => expect(sameBits(g, ref[i]!), `op ${i}, ${t} threads`).toBe(true));
    }
  });
});

describe("thread-count invariance of the factorizations", () => {
  /** Runs `f` with 1, 2, 3 and 4 threads; every result the same bits as with one thread. */
  function invariant(what: string, f: () => Float64Array[]): void {
    setThreads(1);
    const ref = f();
    let workerTasks = 0;
    for (const t of [2, 3, 4]) {
      setThreads(t);
      const pool = currentPool()!;
      const got = f();
      workerTasks += pool.workerTasks;
      expect(pool.jobs, `${what}: the factorization's products went to the pool`).toBeGreaterThan(0);
      got.forEach((g, i) => expect(sameBits(g, ref[i]!), `${what} result ${i}, ${t} threads`).toBe(true));
    }
    expect(workerTasks).toBeGreaterThan(0);
  }
  // 389: the trailing products split; 601: the triangular solves too.
  const a = randn([601, 601], { seed: 11 });
  const spdOf = (x: Tensor): Tensor => x.T.matmul(x).add(eye(x.shape[0]!).mul(x.shape[0]!));
  const b = randn([601, 3], { seed: 12 });

  test.each([389, 601])("LU (solve, det) and Cholesky of order %i", (n) => {
    const an = a.slice([0, 0], [n, n]), bn = b.slice([0, 0], [n, 3]), spd = spdOf(an);
    setThreads(2);
    for (const factor of [() => cholesky(spd), () => solve(an, bn)]) {
      const pool = currentPool()!;
      const before = pool.jobs;
      factor();
      expect(pool.jobs).toBeGreaterThan(before + 2); // several trailing updates split
    }
    invariant(`lu/cholesky n=${n}`, () => [
      solve(an, bn).data.slice(), slogdet(an)[1].data.slice(), cholesky(spd).data.slice(),
      solve(spd, bn).data.slice(),
    ]);
  });

  test("LU of order 1031: the panel factorization's own product splits too (by rows)", () => {
    const big = randn([1031, 1031], { seed: 14 }), rhs = randn([1031, 2], { seed: 15 });
    invariant("lu n=1031", () => [solve(big, rhs).data.slice()]);
  });

  test("a gradient and a Hessian through LU and Cholesky", () => {
    const n = 389;
    const c = randn([n, n], { seed: 13 });
    const an = a.slice([0, 0], [n, n]), bn = b.slice([0, 0], [n, 3]);
    const g = grad((x: Tensor) => logdet(x.T.matmul(x).add(eye(n)), { spd: true }));
    // A 2×2 Hessian whose every term solves with a 389×389 LU.
    const h = hessian((t: Tensor) => solve(an.add(c.mul(t.slice([0], [1]))), bn.mul(t.slice([1], [1]))).sum());
    const t0 = vector([0.01, 2]);
    invariant("grad/hessian", () => [g(an).data.slice(), h(t0).data.slice()]);
  });
});

describe("a caller that may not block (a browser's page thread)", () => {
  test("runs alone until the workers are ready, then spins while they work; same bits", async () => {
    const a = randn([300, 300], { seed: 21 }), b = randn([300, 300], { seed: 22 });
    setThreads(1);
    const ref = a.matmul(b).data.slice();
    setThreads(3);
    const pool = currentPool()!;
    pool.simulatePageThread();
    expect(sameBits(a.matmul(b).data, ref)).toBe(true);
    expect(pool.jobs).toBe(0); // workers not started yet: no job was posted
    await pool.start();
    for (let i = 0; i < 5; i++) expect(sameBits(a.matmul(b).data, ref)).toBe(true);
    expect(pool.jobs).toBe(5);
  });
});

describe("errors in a worker", () => {
  const a = randn([256, 256], { seed: 7 }), b = randn([256, 256], { seed: 8 });
  test.each(["throw", "trap"] as const)("a worker's %s surfaces as WorkerError, and the next call works", (fault) => {
    setThreads(1);
    const ref = a.matmul(b).data.slice();
    setThreads(2);
    a.matmul(b); // the workers are up
    const pool = currentPool()!;
    pool.injectFault(fault);
    let caught: unknown;
    try {
      a.matmul(b);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkerError);
    const e = caught as WorkerError;
    expect(e.op).toBe("gemm");
    expect(e.worker).toBe(1);
    expect(e.message).toMatch(fault === "throw" ? /worker 1 failed: Error: injected failure/ : /worker 1 failed: RuntimeError: memory access out of bounds/);
    // The same pool, the next call: right answer.
    expect(sameBits(a.matmul(b).data, ref)).toBe(true);
    expect(currentPool()).toBe(pool);
  });

  test("a worker that stops answering: WorkerError after the stall limit, then new workers", () => {
    setThreads(2);
    a.matmul(b);
    const pool = currentPool()!;
    setStallMs(300);
    try {
      pool.injectFault("exit");
      expect(() => a.matmul(b)).toThrow(/^gemm: a worker stopped answering \(no progress for 300 ms\); the workers were replaced$/);
      // The replacement workers (a fresh control block: its counters start at 0) take part.
      expect(pool.workerTasks).toBe(0);
      const big = randn([600, 600], { seed: 3 });
      for (let i = 0; i < 10; i++) big.matmul(big);
      expect(pool.workerTasks).toBeGreaterThan(0);
      const c = a.matmul(b).data.slice();
      setThreads(1);
      expect(sameBits(c, a.matmul(b).data)).toBe(true);
    } finally {
      setStallMs(30_000);
    }
  });

  test("MemoryLimitError in a threaded call: thrown before any job, and the pool goes on", () => {
    setThreads(2);
    const pool = currentPool()!;
    const x = randn([70000, 2], { seed: 1 }), y = randn([2, 70000], { seed: 2 });
    const jobs = pool.jobs;
    expect(() => x.matmul(y)).toThrow(MemoryLimitError);
    expect(pool.jobs).toBe(jobs);
    const ref = a.matmul(b).data.slice();
    setThreads(1);
    expect(sameBits(a.matmul(b).data, ref)).toBe(true);
  });
});

describe("options", () => {
  test("setThreads and init({ threads }) refuse what is not 'auto' or 1 … MAX_THREADS", async () => {
    for (const bad of [0, -1, 1.5, MAX_THREADS + 1, "all", null, Number.NaN]) {
      expect(() => setThreads(bad as number)).toThrow(OptionError);
      await expect(init({ threads: bad as number })).rejects.toThrow(OptionError);
    }
    expect(() => setThreads(0)).toThrow(`setThreads: threads must be "auto" or an integer from 1 to ${MAX_THREADS}, got 0`);
    await expect(init({ threads: 2, thread: 3 } as never)).rejects.toThrow(OptionError);
    await init({ threads: 3 });
    expect(threadCount()).toBe(3);
    setThreads("auto");
    expect(threadCount()).toBe(Math.min(availableParallelism(), MAX_AUTO_THREADS));
  });

  test("a module given as compiled bytes keeps one thread; bytes give the pool", async () => {
    const bytes = readFileSync(new URL("../../dist/wasm/kernels.simd.wasm", import.meta.url));
    await init({ module: new WebAssembly.Module(bytes), threads: 2 });
    expect(threadCount()).toBe(1);
    await init({ bytes, threads: 2 });
    expect(threadCount()).toBe(2);
    await init();
  });
});

describe("process lifetime", () => {
  test("a Node process that made threaded calls exits promptly after its work (workers are unref'd)", () => {
    const dist = pathToFileURL(resolve(import.meta.dirname, "../../dist/index.js")).href;
    const script = `
      const { randn, setThreads, threadCount } = await import(${JSON.stringify(dist)});
      setThreads(4);
      const a = randn([400, 400], { seed: 1 });
      const s = a.matmul(a).sum().item();
      console.log(JSON.stringify({ threads: threadCount(), finite: Number.isFinite(s), end: Date.now() }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    const exited = Date.now();
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { threads: number; finite: boolean; end: number };
    expect(out.threads).toBe(4);
    expect(out.finite).toBe(true);
    expect(exited - out.end).toBeLessThan(1000);
  });
});

describe("examples", () => {
  test("setThreads / threadCount", async () => {
    setThreads(2);
    expect(threadCount()).toBe(2);
    const a = randn([512, 512]);
    expect(a.matmul(a).shape).toEqual([512, 512]);
    setThreads(1);
    expect(threadCount()).toBe(1);
    await init({ threads: 2 });
    expect(threadCount()).toBe(2);
  });

  test("MAX_THREADS / MAX_AUTO_THREADS", () => {
    expect(() => setThreads(MAX_THREADS + 1)).toThrow(OptionError);
    setThreads("auto");
    expect(threadCount() <= MAX_AUTO_THREADS).toBe(true);
  });

  test("WorkerError", () => {
    setThreads(2);
    const a = randn([300, 300]), b = randn([300, 300]);
    a.matmul(b);
    currentPool()!.injectFault("throw");
    let seen = "";
    try {
      a.matmul(b);
    } catch (e) {
      if (e instanceof WorkerError) seen = `${e.op} ${e.worker} ${e.message}`;
    }
    expect(seen).toBe("gemm 1 gemm: worker 1 failed: Error: injected failure");
  });
});
