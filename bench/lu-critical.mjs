// What of getrf n = 1024 the pool can split, measured on one thread (so the machine's load
// enters both sides alike): `node bench/lu-critical.mjs [DIST] [rounds]` (DIST: a built dist/,
// default ./dist). A private instance of the kernels with its hooks on runs getrf; every hook
// call runs its tasks right there, one after another, each timed (luStepRows for a step of
// getrf, the whole call for a gemm / trsm the pool would split). Prints per round:
//   T1      the one-thread time of the factorization (hooks taken locally),
//   alone   the time outside any task: what only the caller runs (the first panel but its
//           product, small steps, the loop),
//   bound2  the model's two-thread time: alone + for each job, the finish of a greedy list
//           schedule of its tasks on two threads (the caller takes the first task, each thread
//           the next task in table order when free) + 30 µs per job for waking the worker,
//   and T1 / bound2, the best two idle cores could do before the work splitting adds
//   (bench/NOTES.md: CPU time 2T / 1T).
const dist = new URL((process.argv[2] ?? "dist").replace(/\/?$/, "/"), `file://${process.cwd()}/`).href;
const rounds = Number(process.argv[3] ?? 5);
const N = 1024, nn = N * N;
const { rt, setThreads, instantiateKernels } = await import(dist + "wasm/module.js");
const pool = await import(dist + "wasm/pool.js");
const { Arena } = await import(dist + "wasm/arena.js");

setThreads(1);
const module = rt().module;
let K = null;
/** Per job: its task times (ms), and whether it is one call the pool would split evenly. */
let jobs = [];
const now = () => performance.now();
function timed(rows) {
  const ts = [];
  for (const r of rows) {
    const t0 = now();
    if (r[0] === 20) K.luNext(...r.slice(1, 9));
    else if (r[0] === 21) K.luUpdate(...r.slice(1, 9));
    else if (r[0] === 22) K.luSwap(...r.slice(1, 8));
    else throw new Error(`op ${r[0]}`);
    ts.push(now() - t0);
  }
  jobs.push({ ts, whole: false });
}
function whole(f) {
  const t0 = now();
  f();
  jobs.push({ ts: [now() - t0], whole: true });
}
K = instantiateKernels(module, undefined, {
  gemmHook: (...a) => whole(() => K.gemm(...a)),
  luStepHook: (m, n, j, jb, jbn, a, lda, ipiv) => {
    const rows = pool.luStepRows(m, n, j, jb, jbn, a, lda, ipiv);
    if (rows.length < 2) K.luStep(m, n, j, jb, jbn, a, lda, ipiv);
    else timed(rows);
  },
  cholStepHook: (...a) => whole(() => K.cholStep(...a)),
});
const arena = new Arena(K);
const g = new Float64Array(nn);
let s = 1;
for (let i = 0; i < nn; i++) { s = (s * 16807) % 2147483647; g[i] = s / 2147483647 - 0.5; }
const gen = arena.put(g), work = arena.alloc(nn), ipiv = arena.allocBytes(4 * N);

/** Finish time of a greedy list schedule of `ts` on p threads, task 0 on the caller. */
function schedule(ts, p) {
  const free = new Array(p).fill(0);
  for (const t of ts) {
    let k = 0;
    for (let i = 1; i < p; i++) if (free[i] < free[k]) k = i;
    free[k] += t;
  }
  return Math.max(...free);
}

function run(hooked) {
  K.setGemmHook(hooked ? 1 : 0);
  arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn);
  jobs = [];
  const t0 = now();
  if (K.getrf(N, N, work, N, ipiv) !== 0) throw new Error("getrf failed");
  return now() - t0;
}

for (let i = 0; i < 2; i++) { run(true); run(false); }
console.log(`getrf n=${N}, ${dist}`);
/** Per task, the fastest over the rounds (preemption on a loaded machine only adds time). */
let best = null;
let bestPlain = Infinity, bestT1 = Infinity, bestAlone = Infinity;
const sum = (ts) => ts.reduce((x, y) => x + y, 0);
function report(what, T1, alone, js) {
  const inTasks = js.reduce((acc, { ts }) => acc + sum(ts), 0);
  const steps = js.reduce((acc, { ts, whole }) => acc + (whole ? ts[0] / 2 : schedule(ts, 2)), 0);
  const bound2 = alone + steps + 0.03 * js.length;
  const next = js.filter((j) => !j.whole).reduce((acc, { ts }) => acc + ts[0], 0);
  console.log(`${what}: T1 ${T1.toFixed(1)} ms, in tasks ${inTasks.toFixed(1)} ms (look-ahead tasks ${next.toFixed(1)}), ` +
    `alone ${alone.toFixed(2)} ms = ${(100 * alone / T1).toFixed(1)} %, ${js.length} jobs, bound2 ${bound2.toFixed(1)} ms, ` +
    `T1 / bound2 ${(T1 / bound2).toFixed(2)}×`);
}
for (let r = 0; r < rounds; r++) {
  const plain = run(false);
  const T1 = run(true);
  const alone = T1 - jobs.reduce((acc, { ts }) => acc + sum(ts), 0);
  report(`round ${r + 1} (plain ${plain.toFixed(1)} ms)`, T1, alone, jobs);
  best = best === null ? jobs : best.map((j, k) => ({ whole: j.whole, ts: j.ts.map((t, i) => Math.min(t, jobs[k].ts[i])) }));
  bestPlain = Math.min(bestPlain, plain);
  bestT1 = Math.min(bestT1, T1);
  bestAlone = Math.min(bestAlone, alone);
}
const inBest = best.reduce((acc, { ts }) => acc + sum(ts), 0);
report(`fastest per task (plain fastest ${bestPlain.toFixed(1)} ms, hooked fastest ${bestT1.toFixed(1)} ms)`, bestAlone + inBest, bestAlone, best);
if (process.env.LU_DETAIL) {
  for (const { ts, whole } of best) {
    console.log(`${whole ? "whole" : "step "} sum ${sum(ts).toFixed(2)} sched2 ${(whole ? sum(ts) / 2 : schedule(ts, 2)).toFixed(2)} tasks ${ts.map((t) => t.toFixed(2)).join(" ")}`);
  }
}
