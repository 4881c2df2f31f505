// One thread against two on the batched autodiff problems (issue 21, "Jacobian/Hessian chunks
// and vmap members across workers"): `npm run build && node bench/batched-ab.mjs [filter]`
// (a substring of the problem names, or several separated by |).
// Both sides run on one two-thread runtime: the one-thread side is the pool's `solo` mode (every
// task of a split call on the calling thread, as the one-thread runtime computes it), so calls
// can alternate A B A B without restarting workers. Per problem it prints
//   split: the share of one-thread wall time spent inside calls the pool splits,
//   bound: 1 / ((1 − split) + split/2), the speed-up two idle cores could give at most,
//   pair: the median over alternating calls of t(1 thread) / t(2 threads),
//   best: fastest 1-thread call / fastest 2-thread call,
//   cpu: process CPU time per call, 2 threads over 1 (the work the split adds, plus spinning),
//   2T calls split only: the two-thread side with chunks kept off the workers (pool.tapes
//     false: the state before src/wasm/tape.ts), and per call the chunks taped for worker 1,
//     the time it spent running them, and the tapes flushed (run on the caller),
// and a side check of solo mode against a true one-thread runtime (block timings).
import { mlpProblem } from "./problems/mlp.mjs";

const dist = new URL("../dist/", import.meta.url).href;
const mc = await import(dist + "index.js");
const { setThreads, rt } = await import(dist + "wasm/module.js");
const { randn, hessian, jacobian, jit, vmap } = mc;

function problems() {
  const { f, p } = mlpProblem(mc);
  const W = randn([1000, 100], { seed: 15 }).mul(0.1), x = randn([100], { seed: 16 });
  const g = (x) => W.matmul(x).tanh();
  const A = randn([30000, 10], { seed: 1 }), B = randn([30000, 10], { seed: 2 });
  const M = randn([2000, 20, 20], { seed: 3 }), N = randn([2000, 20, 20], { seed: 4 });
  const H = hessian(f), H4 = hessian(f, { chunkSize: 4 }), jH = jit(H), jH4 = jit(H4);
  const jr = jacobian(g, { mode: "rev" }), jjr = jit(jr);
  const vdot = vmap((a, b) => a.dot(b)), vmm = vmap((a, b) => a.matmul(b).tanh().sum());
  const logistic = (m, n) => {
    const A = randn([m, n], { seed: 1 }), y = mc.sign(randn([m], { seed: 2 })), x = randn([n], { seed: 3 }).mul(0.1);
    const H = hessian((x) => mc.softplus(y.mul(A.matmul(x)).neg()).sum());
    return [() => H(x), jit(H), x];
  };
  const [lH, ljH, lx] = logistic(1000, 100), [LH] = logistic(1000, 1000);
  // Control: a product the pool has split since before this work (1.96× on a quiet machine,
  // bench/NOTES.md "Threads on a quiet machine"): near 1 means the second core was busy.
  const C = randn([1000, 1000], { seed: 11 }), D = randn([1000, 1000], { seed: 12 });
  return {
    "control: matmul 1000×1000": () => C.matmul(D),
    "MLP hessian (default chunks)": () => H(p),
    "MLP jit hessian (default chunks)": () => jH(p),
    // The default before this work: nothing large enough to split.
    "MLP hessian, chunkSize 4": () => H4(p),
    "MLP jit hessian, chunkSize 4": () => jH4(p),
    "jacobian rev tanh(Wx) 1000×100": () => jr(x),
    "jit jacobian rev tanh(Wx) 1000×100": () => jjr(x),
    "vmap dot, 30000 pairs of 10": () => vdot(A, B),
    "vmap matmul+tanh+sum, 2000 pairs 20×20": () => vmm(M, N),
    "logistic hessian 1000×100": lH,
    "logistic jit hessian 1000×100": () => ljH(lx),
    "logistic hessian 1000×1000": LH,
  };
}

const filter = process.argv[2];
// AUDIT=1: per problem, the one-thread time by kernel, split or whole (which calls stay on the
// calling thread, and why: their shapes), instead of the timings.
const audit = process.env.AUDIT === "1";
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

setThreads(2);
const pool = rt().pool;
await pool.start();
const run = pool.run.bind(pool);
let inSplit = 0;
pool.run = (op, rows) => { const t0 = performance.now(); try { run(op, rows); } finally { inSplit += performance.now() - t0; } };
const probs = problems();
const load = (await import("node:os")).loadavg()[0];
console.log(`${new Date().toISOString()}  Node ${process.version}  ${rt().build} build  load ${load.toFixed(1)}`);
if (audit) {
  pool.callerOnly = true;
  const K = rt().kernels, stats = new Map();
  let runs = 0, on = false;
  pool.run = (op, rows) => { runs++; run(op, rows); };
  const note = (key, dt) => { const st = stats.get(key) ?? { n: 0, t: 0 }; st.n++; st.t += dt; stats.set(key, st); };
  for (const k of Object.keys(K)) {
    const f = K[k];
    if (typeof f !== "function") continue;
    K[k] = (...a) => {
      if (!on) return f(...a);
      const j = runs, t0 = performance.now(), v = f(...a), dt = performance.now() - t0;
      const shape = k === "gemm" ? ` ${a[0]}${a[1]} ${a[2]}×${a[3]}×${a[4]}` : k === "gemv" ? ` ${a[0]} ${a[1]}×${a[2]}` : k === "unary" ? ` op ${a[0]} n ${a[1]}` : "";
      note(`${runs > j ? "split" : "whole"} ${k}${runs > j ? "" : shape}`, dt);
      return v;
    };
  }
  const gemms = pool.gemms.bind(pool);
  pool.gemms = (calls) => { const j = runs, t0 = performance.now(); gemms(calls); note(`${runs > j ? "split" : "whole"} gemms (${calls.length} products)`, performance.now() - t0); };
  for (const [name, fn] of Object.entries(probs)) {
    if (filter && !filter.split("|").some((f) => name.includes(f))) continue;
    for (let i = 0; i < 5; i++) fn();
    stats.clear(); on = true;
    const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < 400 || n < 5) { fn(); n++; }
    const wall = (performance.now() - t0) / n; on = false;
    let split = 0, whole = 0;
    for (const [k, st] of stats) if (k.startsWith("split")) split += st.t / n; else whole += st.t / n;
    console.log(`\n${name}: ${wall.toFixed(3)} ms a call; split kernels ${(100 * split / wall).toFixed(0)} %, whole kernels ${(100 * whole / wall).toFixed(0)} %, outside kernels ${(100 * (wall - split - whole) / wall).toFixed(0)} %`);
    for (const [k, st] of [...stats].sort((x, y) => y[1].t - x[1].t).slice(0, 8)) {
      console.log(`  ${(100 * st.t / n / wall).toFixed(1).padStart(5)} %  ×${(st.n / n).toFixed(0).padStart(4)}  ${k}`);
    }
  }
  process.exit(0);
}
// Three modes alternate per round: 1T (solo), 2T with calls split only (tapes off: the state
// before chunks went to workers), 2T with chunks taped for worker 1 (src/wasm/tape.ts).
const { tapeStats } = await import(dist + "wasm/tape.js");
const mode = (m) => { pool.callerOnly = m === 0; pool.tapes = m === 2; };
for (const [name, fn] of Object.entries(probs)) {
  if (filter && !filter.split("|").some((f) => name.includes(f))) continue;
  for (let i = 0; i < 5; i++) for (const m of [0, 1, 2]) { mode(m); fn(); }
  // split share (solo), in one block
  mode(0);
  let t0 = performance.now(); inSplit = 0;
  let n = 0;
  while (performance.now() - t0 < 300 || n < 5) { fn(); n++; }
  const split = inSplit / (performance.now() - t0);
  // paired alternating calls, and CPU time per mode
  const r = [], rs = [], one = [], two = [], splitOnly = [];
  let c1 = 0, c2 = 0;
  const posted0 = tapeStats.posted, flushes0 = tapeStats.flushes, tapeMs0 = pool.tapeMs;
  const pairs = Math.max(15, Math.min(200, Math.ceil(1500 / ((performance.now() - t0) / n))));
  for (let i = 0; i < pairs; i++) {
    mode(0); let c = cpu(); t0 = performance.now(); fn(); const a = performance.now() - t0; c1 += cpu() - c;
    mode(1); t0 = performance.now(); fn(); const s = performance.now() - t0;
    mode(2); c = cpu(); t0 = performance.now(); fn(); const b = performance.now() - t0; c2 += cpu() - c;
    r.push(a / b); rs.push(a / s); one.push(a); two.push(b); splitOnly.push(s);
  }
  const bound = 1 / ((1 - split) + split / 2);
  const posted = (tapeStats.posted - posted0) / pairs, flushed = (tapeStats.flushes - flushes0) / pairs;
  console.log(`${name.padEnd(40)} 1T p50 ${median(one).toFixed(3)} ms  2T p50 ${median(two).toFixed(3)} ms  ` +
    `pair ${median(r).toFixed(2)}×  best ${(Math.min(...one) / Math.min(...two)).toFixed(2)}×  cpu 2T/1T ${(c2 / c1).toFixed(2)}  ` +
    `split ${(100 * split).toFixed(0)} %  bound ${bound.toFixed(2)}×  (${pairs} pairs)\n${"".padEnd(40)} ` +
    `2T calls split only: p50 ${median(splitOnly).toFixed(3)} ms, pair ${median(rs).toFixed(2)}×;  ` +
    `tapes a call ${posted.toFixed(1)} (worker ${((pool.tapeMs - tapeMs0) / pairs).toFixed(3)} ms), flushes ${flushed.toFixed(1)}`);
}
mode(2);
pool.run = run;

// Solo mode against a true one-thread runtime (block timings, alternating blocks).
if (!filter) {
  const solo = {}, plain = {};
  for (let round = 0; round < 3; round++) {
    for (const mode of ["solo", "plain"]) {
      setThreads(mode === "solo" ? 2 : 1);
      if (mode === "solo") rt().pool.callerOnly = true;
      const pr = problems();
      for (const [name, fn] of Object.entries(pr)) {
        for (let i = 0; i < 3; i++) fn();
        const t0 = performance.now(); let n = 0;
        while (performance.now() - t0 < 150 || n < 3) { fn(); n++; }
        const t = (performance.now() - t0) / n;
        const m = mode === "solo" ? solo : plain;
        m[name] = Math.min(m[name] ?? Infinity, t);
      }
    }
  }
  console.log("\nsolo (2-thread runtime, tasks on the caller) against the 1-thread runtime, best of 3 blocks, ms:");
  for (const k of Object.keys(solo)) console.log(`  ${k.padEnd(40)} ${solo[k].toFixed(3)} / ${plain[k].toFixed(3)} = ${(solo[k] / plain[k]).toFixed(2)}`);
}
