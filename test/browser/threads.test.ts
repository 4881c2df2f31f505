// The thread pool in a browser (Chromium, a page served with COOP/COEP by vitest.config.ts):
// Web Workers from a Blob URL on a shared memory, the page's thread spinning while they work.
// Results are the same bits for 1, 2 and 3 threads, the workers really take part, a failure in
// a worker surfaces as WorkerError and the next call works, and a page that is not
// cross-origin isolated runs one thread with no error.
import { afterAll, describe, expect, test, vi } from "vitest";
import {
  cholesky, eye, init, randn, setThreads, slogdet, solve, threadCount, WorkerError,
  type Tensor,
} from "../../src/index.js";
import { currentPool } from "../../src/wasm/module.js";
import { setStallMs, threadsAvailable } from "../../src/wasm/pool.js";

const inBrowser = typeof window !== "undefined";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Calls `f` until a worker has run a task (at most 20 times): on a loaded machine the page may
 * claim every panel of a call before a worker is scheduled, which is right but proves nothing.
 */
function untilWorkersWork(pool: { workerTasks: number }, f: () => unknown): void {
  for (let i = 0; i < 20 && pool.workerTasks === 0; i++) f();
  expect(pool.workerTasks, "the workers took part").toBeGreaterThan(0);
}

/**
 * Runs `f` with 1, 2 and 3 threads (each through `await init({ threads })`, which waits for
 * the workers); every result the same bits as with one thread, and the workers ran tasks.
 */
async function invariant(what: string, f: () => Float64Array[]): Promise<void> {
  await init({ threads: 1 });
  expect(threadCount()).toBe(1);
  const ref = f();
  for (const t of [2, 3]) {
    await init({ threads: t });
    expect(threadCount()).toBe(t);
    const pool = currentPool()!;
    const got = f();
    expect(pool.jobs, `${what}, ${t} threads: jobs went to the pool`).toBeGreaterThan(0);
    got.forEach((g, i) => expect(sameBits(g, ref[i]!), `${what} result ${i}, ${t} threads`).toBe(true));
    // Every run with the workers taking part gives the same bits too.
    untilWorkersWork(pool, () => {
      f().forEach((g, i) => expect(sameBits(g, ref[i]!), `${what} result ${i}, ${t} threads (again)`).toBe(true));
    });
  }
}

describe.runIf(inBrowser)("threads in a cross-origin isolated page", () => {
  afterAll(async () => {
    vi.unstubAllGlobals();
    await init();
  });

  test("the test page is cross-origin isolated, so threads are available", () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe("function");
    expect(threadsAvailable()).toBe(true);
  });

  test("init({ threads: 2 }) and setThreads", async () => {
    await init({ threads: 2 });
    expect(threadCount()).toBe(2);
    // In a page init() waits for the workers (they start only when the page yields).
    expect(currentPool()!.started).toBe(true);
    setThreads(1);
    expect(threadCount()).toBe(1);
    // After a runtime of one thread: the shared variant was compiled ahead by init(), since a
    // page's thread cannot compile the kernels synchronously.
    setThreads(3);
    expect(threadCount()).toBe(3);
    setThreads(2);
    expect(threadCount()).toBe(2);
  });

  test("setThreads(2) after init({ threads: 1 }): two threads, the workers start once the page yields", async () => {
    const a = randn([400, 400], { seed: 6 });
    await init({ threads: 1 });
    const ref = a.matmul(a).data.slice();
    setThreads(2);
    expect(threadCount()).toBe(2);
    const pool = currentPool()!;
    // The page has not yielded: the worker cannot have started, the page runs every panel.
    expect(sameBits(a.matmul(a).data, ref)).toBe(true);
    expect(pool.jobs).toBe(0);
    await new Promise((ok) => setTimeout(ok, 500));
    expect(sameBits(a.matmul(a).data, ref)).toBe(true);
    expect(pool.jobs).toBe(1);
    untilWorkersWork(pool, () => expect(sameBits(a.matmul(a).data, ref)).toBe(true));
  });

  test("GEMM 301×300·300×299, every transpose: the same bits for 1, 2 and 3 threads", async () => {
    const a = randn([301, 300], { seed: 1 }), b = randn([300, 299], { seed: 2 });
    const at = randn([300, 301], { seed: 3 }), bt = randn([299, 300], { seed: 4 });
    await invariant("gemm", () =>
      [a.matmul(b), at.T.matmul(b), a.matmul(bt.T), at.T.matmul(bt.T)].map((t: Tensor) => t.data.slice()));
  });

  test("GEMM 40×200·200×1100, every transpose: panels 276 and 184 wide at 2 and 3 threads (pool.ts gemmPanel), the same bits", async () => {
    // Chromium runs the relaxed build: its 3-wide tiles leave a partial tile at each panel's end.
    const a = randn([40, 200], { seed: 5 }), b = randn([200, 1100], { seed: 6 });
    const at = randn([200, 40], { seed: 7 }), bt = randn([1100, 200], { seed: 8 });
    await invariant("gemm", () =>
      [a.matmul(b), at.T.matmul(b), a.matmul(bt.T), at.T.matmul(bt.T)].map((t: Tensor) => t.data.slice()));
  });

  test("LU (solve, slogdet) and Cholesky of order 601: the same bits for 1, 2 and 3 threads", async () => {
    const n = 601;
    const a = randn([n, n], { seed: 11 }), rhs = randn([n, 3], { seed: 12 });
    const spd = a.T.matmul(a).add(eye(n).mul(n));
    await invariant("lu/cholesky", () => [
      solve(a, rhs).data.slice(), slogdet(a)[1].data.slice(), cholesky(spd).data.slice(), solve(spd, rhs).data.slice(),
    ]);
  });

  test("exp, tanh, log1p of 200003 entries: the same bits for 1, 2 and 3 threads", async () => {
    const x = randn([200003], { seed: 5 });
    await invariant("unary", () => [x.exp(), x.tanh(), x.abs().log1p()].map((t) => t.data.slice()));
  });

  test.each(["throw", "trap"] as const)("a worker's %s surfaces as WorkerError, and the next call works", async (fault) => {
    const a = randn([256, 256], { seed: 7 }), b = randn([256, 256], { seed: 8 });
    await init({ threads: 1 });
    const ref = a.matmul(b).data.slice();
    await init({ threads: 2 });
    const pool = currentPool()!;
    untilWorkersWork(pool, () => a.matmul(b)); // the worker is up and working
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
    expect(e.message).toMatch(fault === "throw"
      ? /^gemm: worker 1 failed: Error: injected failure$/
      : /^gemm: worker 1 failed: RuntimeError: memory access out of bounds/);
    expect(sameBits(a.matmul(b).data, ref)).toBe(true);
    expect(currentPool()).toBe(pool);
  });

  test("a worker that stops answering: WorkerError after the stall limit, then new workers", async () => {
    const a = randn([256, 256], { seed: 7 }), b = randn([256, 256], { seed: 8 });
    await init({ threads: 1 });
    const ref = a.matmul(b).data.slice();
    await init({ threads: 2 });
    const pool = currentPool()!;
    a.matmul(b);
    setStallMs(300);
    try {
      pool.injectFault("exit");
      const t0 = performance.now();
      expect(() => a.matmul(b)).toThrow(/^gemm: a worker stopped answering \(no progress for 300 ms\); the workers were replaced$/);
      expect(performance.now() - t0).toBeLessThan(5000);
      // The replacement starts on the next call and is ready once the page yields.
      expect(sameBits(a.matmul(b).data, ref)).toBe(true);
      await new Promise((ok) => setTimeout(ok, 500));
      expect(pool.workerTasks).toBe(0);
      untilWorkersWork(pool, () => expect(sameBits(a.matmul(b).data, ref)).toBe(true));
    } finally {
      setStallMs(30_000);
    }
  });

  test.each(["init", "setThreads"] as const)("in a module Web Worker (%s): its pool's nested workers take part, same bits", async (how) => {
    const w = new Worker(new URL("../helpers/threads-worker.ts", import.meta.url), { type: "module" });
    try {
      const got = await new Promise<Record<string, unknown>>((ok, fail) => {
        w.onmessage = (e) => ok(e.data as Record<string, unknown>);
        w.onerror = (e) => fail(new Error(`worker: ${e.message}`));
        w.postMessage({ how });
      });
      expect(got.error).toBeUndefined();
      expect(got.isolated).toBe(true);
      expect(got.threads).toBe(2);
      expect(got.same).toBe(true);
      expect(got.workerTasks as number).toBeGreaterThan(0);
      // A worker may block, but not for its nested workers to start (they need its event
      // loop): the first call runs on its own thread at once.
      expect(got.firstMs as number).toBeLessThan(1500);
    } finally {
      w.terminate();
    }
  });

  test("a page that is not cross-origin isolated: one thread, no error, right answers", async () => {
    const a = randn([300, 300], { seed: 9 });
    await init({ threads: 1 });
    const ref = a.matmul(a).data.slice();
    vi.stubGlobal("crossOriginIsolated", false);
    try {
      expect(threadsAvailable()).toBe(false);
      await init({ threads: 2 });
      expect(threadCount()).toBe(1);
      expect(currentPool()).toBe(null);
      setThreads("auto");
      expect(threadCount()).toBe(1);
      setThreads(4);
      expect(threadCount()).toBe(1);
      expect(sameBits(a.matmul(a).data, ref)).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
    // Isolated again: the same runtime takes threads when asked.
    await init({ threads: 2 });
    expect(threadCount()).toBe(2);
  });
});
