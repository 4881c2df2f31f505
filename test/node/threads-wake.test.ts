// The pool's wake protocol: idle workers spin (bounded) before they sleep, the caller notifies
// only sleeping workers and spins briefly for acks, and the spins stop while the host's cores
// are taken. No job may be lost in any interleaving of spin, sleep and wake, the workers end up
// asleep when no work comes, and the spins turn off under load.
import { afterAll, describe, expect, test } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { randn, setThreads } from "../../src/index.js";
import { currentPool } from "../../src/wasm/module.js";

afterAll(() => setThreads("auto"));

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const busy = (us: number): void => {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// A product split by row panels (1031 rows: 136-row panels), ~100 µs: jobs come as fast as a
// solve's, with gaps that straddle every spin length below.
const x = randn([1031, 300], { seed: 7 }), w = randn([300, 3], { seed: 8 });
const product = (): Float64Array => x.matmul(w).data.slice();

describe("wake protocol", () => {
  test("every job completes with the one-thread bits, for spins from none to longer than the gaps", () => {
    setThreads(1);
    const ref = product();
    let seed = 1;
    for (const spin of [0, 20, 200, 5000]) {
      for (const threads of [2, 3]) {
        setThreads(threads);
        const pool = currentPool()!;
        pool.spinUs = spin;
        const jobs0 = pool.jobs, tasks0 = pool.workerTasks;
        const n = 150;
        for (let i = 0; i < n; i++) {
          seed = (seed * 16807) % 2147483647;
          busy(seed % 400);
          const got = product();
          if (!sameBits(got, ref)) expect.fail(`spin ${spin} µs, ${threads} threads, call ${i}: bits differ`);
        }
        expect(pool.jobs - jobs0, `spin ${spin}, ${threads} threads`).toBe(n);
        // Under load (other test files on the host's cores) a worker may miss every one of
        // these short jobs: more calls, up to 5 s, until one has taken a task.
        for (const until = performance.now() + 5000; pool.workerTasks === tasks0 && performance.now() < until;) {
          if (!sameBits(product(), ref)) expect.fail(`spin ${spin} µs, ${threads} threads: bits differ`);
        }
        expect(pool.workerTasks - tasks0, `spin ${spin}, ${threads} threads: workers ran tasks`).toBeGreaterThan(0);
      }
    }
  });

  test("a spinning page-thread caller with spinning workers: same bits, and the workers work", () => {
    setThreads(1);
    const ref = product();
    setThreads(2);
    const pool = currentPool()!;
    pool.spinUs = 200;
    pool.simulatePageThread(true);
    try {
      const tasks0 = pool.workerTasks;
      // 100 calls, then more until a worker has taken a task (at most 5 s): with the other test
      // files busy on the host's cores a worker may not get a core within a ~100 µs job for a
      // while, and the caller then rightly runs every task itself.
      const until = performance.now() + 5000;
      for (let i = 0; i < 100 || (pool.workerTasks === tasks0 && performance.now() < until); i++) {
        busy((i * 37) % 300);
        if (!sameBits(product(), ref)) expect.fail(`call ${i}: bits differ`);
      }
      expect(pool.workerTasks).toBeGreaterThan(tasks0);
    } finally {
      pool.simulatePageThread(false);
    }
  });

  test("idle workers go to sleep after their spin and burn no CPU while idle", async () => {
    setThreads(3);
    const pool = currentPool()!;
    pool.spinUs = 2000;
    for (let i = 0; i < 20; i++) product();
    // Right after a job the workers are awake (spinning, or finishing their ack).
    await sleep(60);
    expect(pool.sleepingWorkers).toBe(2);
    const cpu0 = process.cpuUsage(), t0 = performance.now();
    await sleep(300);
    const cpu = process.cpuUsage(cpu0), wallUs = (performance.now() - t0) * 1000;
    // Two workers spinning through the wait would cost about 2 × the wall time.
    expect((cpu.user + cpu.system) / wallUs).toBeLessThan(0.3);
    expect(pool.sleepingWorkers).toBe(2);
  });

  test("stopping the pool while its workers spin, then calling again, works", () => {
    setThreads(1);
    const ref = product();
    for (let r = 0; r < 5; r++) {
      setThreads(2);
      currentPool()!.spinUs = 50_000;
      expect(sameBits(product(), ref)).toBe(true);
      setThreads(1); // the workers are in their spin
      expect(sameBits(product(), ref)).toBe(true);
    }
  });

  test.skipIf(!existsSync("/proc/loadavg"))("the spins turn off while other threads take the cores", async () => {
    const hogs: ChildProcess[] = [];
    try {
      for (let i = 0; i < 2 * availableParallelism(); i++) {
        hogs.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
      }
      await sleep(300);
      setThreads(1);
      const ref = product();
      setThreads(2);
      const loaded = currentPool()!;
      loaded.spinUs = 200;
      // Samples every 20 ms, a running mean: a second of calls settles it.
      const until = performance.now() + 1000;
      while (performance.now() < until) {
        if (!sameBits(product(), ref)) expect.fail("bits differ under load");
      }
      expect(loaded.oversubscribed).toBe(true);
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
    }
  });
});
