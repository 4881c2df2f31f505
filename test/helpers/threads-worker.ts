// A module Web Worker that runs matcalc with threads (its pool's workers are nested workers),
// for test/browser/threads.test.ts. It blocks in Atomics.wait where a page's thread spins.
import { init, randn, setThreads, threadCount } from "../../src/index.js";
import { currentPool } from "../../src/wasm/module.js";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

self.onmessage = async (e: MessageEvent<{ how: "init" | "setThreads" }>) => {
  try {
    await init({ threads: 1 });
    const a = randn([400, 400], { seed: 1 });
    const ref = a.matmul(a).data.slice();
    if (e.data.how === "init") await init({ threads: 2 });
    else setThreads(2);
    const pool = currentPool()!;
    const t0 = performance.now();
    const first = sameBits(a.matmul(a).data, ref);
    const firstMs = performance.now() - t0;
    // Let the nested workers start (they need this thread's event loop), then use them.
    await new Promise((ok) => setTimeout(ok, 300));
    let same = first;
    for (let i = 0; i < 20 && pool.workerTasks === 0; i++) same &&= sameBits(a.matmul(a).data, ref);
    postMessage({ threads: threadCount(), isolated: crossOriginIsolated, same, firstMs, workerTasks: pool.workerTasks });
  } catch (err) {
    postMessage({ error: String(err) });
  }
};
