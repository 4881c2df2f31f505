// Calls whose results are large, two dist builds side by side, by time and by page faults
// (src/wasm/malloc-thresholds.ts: glibc's thresholds decide whether a result's freed storage
// is reused or given back and faulted in again). glibc's thresholds are process-wide and only
// rise, so every case runs in a fresh process of its own, each build in turn, ROUNDS times.
// One thread. Per process: 0.3 s of warm-up, then 50-call batches for 1.5 s (small cases) or
// single calls (large ones): the median batch in CPU time (page faults are system time) and the
// minor page faults a call.
//
//   node bench/malloc-ab.mjs <before-dist> <after-dist> [rounds]
//   (MALLOC_CASES="jit hessian MLP,matmul 128" to run some cases only)
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { mlpProblem } from "./problems/mlp.mjs";
import { alternate, cpuMs } from "./timing.mjs";

const CASES = ["jit hessian MLP", "hessian MLP", "jacobian 1000x100", "jacobian rev 1000x100", "jit jacobian 1000x100",
  "matmul 32", "matmul 64", "matmul 128", "matmul 256", "neg 1000", "logistic f 1000x100"];

if (process.argv[2] === "--child") {
  const mc = await import(pathToFileURL(resolve(process.argv[3], "index.js")).href);
  mc.setThreads(1);
  const { randn } = mc;
  const { f: mlp, p } = mlpProblem(mc);
  const W = randn([1000, 100], { seed: 1 }), x = randn([100], { seed: 2 });
  const tanhWx = (v) => W.matmul(v).tanh();
  const s = mc.sign(randn([1000], { seed: 3 })), x01 = x.mul(0.1);
  const logistic = (v) => mc.softplus(s.mul(W.matmul(v)).neg()).sum();
  const square = (n) => { const A = randn([n, n], { seed: n }); return () => mc.matmul(A, A); };
  const jH = mc.jit(mc.hessian(mlp)), H = mc.hessian(mlp), J = mc.jacobian(tanhWx), jJ = mc.jit(mc.jacobian(tanhWx));
  const Jrev = mc.jacobian(tanhWx, { mode: "rev" });
  const cases = {
    "jit hessian MLP": () => jH(p), "hessian MLP": () => H(p),
    "jacobian 1000x100": () => J(x), "jacobian rev 1000x100": () => Jrev(x), "jit jacobian 1000x100": () => jJ(x),
    "matmul 32": square(32), "matmul 64": square(64), "matmul 128": square(128), "matmul 256": square(256),
    "neg 1000": () => s.neg(), "logistic f 1000x100": () => logistic(x01),
  };
  // One case a process (set by the parent): what an earlier case freed would set the thresholds
  // for the next.
  const name = process.env.MALLOC_CASE;
  const fn = cases[name];
  if (!fn) throw new Error(`unknown case ${name}`);
  const t1 = performance.now();
  while (performance.now() - t1 < 300) fn();
  const reps = name.includes("hessian") || name.includes("jacobian") || name === "matmul 256" ? 1 : 50;
  const ts = [];
  const f0 = process.resourceUsage().minorPageFault;
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    const c = cpuMs();
    for (let i = 0; i < reps; i++) fn();
    ts.push((cpuMs() - c) / reps);
    calls += reps;
  }
  ts.sort((a, b) => a - b);
  const faults = (process.resourceUsage().minorPageFault - f0) / calls;
  console.log(JSON.stringify({ [name]: { ms: ts[ts.length >> 1], faults } }));
  process.exit(0);
} else {
  const [before, after, rounds] = process.argv.slice(2);
  const names = (process.env.MALLOC_CASES ?? CASES.join(",")).split(",");
  const usage = "usage: node bench/malloc-ab.mjs <before-dist> <after-dist> [rounds]";
  const self = new URL(import.meta.url).pathname;
  const fmt = (o) => `${o.ms < 1 ? `${(o.ms * 1000).toFixed(1)} µs` : `${o.ms.toFixed(2)} ms`} / ${o.faults.toFixed(1)}`;
  console.log("case: CPU time a call (median batch) / page faults a call, each round; after/before of the medians");
  for (const name of names) {
    process.env.MALLOC_CASE = name;
    const runs = alternate(self, before, after, Number(rounds ?? 3), usage);
    const b = runs.before.map((r) => r[name]), a = runs.after.map((r) => r[name]);
    const med = (xs) => [...xs].sort((u, v) => u - v)[xs.length >> 1];
    console.log(`${name.padEnd(22)} before ${b.map(fmt).join(", ")} | after ${a.map(fmt).join(", ")} | ${(med(a.map((o) => o.ms)) / med(b.map((o) => o.ms))).toFixed(2)}`);
  }
}
