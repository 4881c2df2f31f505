// jit's tape regions (src/jit/jit.ts TapeRegions) on and off in one process (issue 21: the MLP
// 20-20-1 Hessian on two threads): one two-thread runtime; each round runs the jit'd Hessian on
// the caller alone (the pool's callerOnly mode: the one-thread computation), then on two
// threads with the regions off and on, in alternating order. Prints per setting the median,
// first quartile and minimum of the call (ms), the median over rounds of t(1T)/t(2T), the tapes
// a call, and worker 1's mean time a tape.
//
//   node bench/regions-ab.mjs [rounds]        (uses ./dist: `npx tsc -p tsconfig.build.json`)
import { mlpProblem } from "./problems/mlp.mjs";

const mc = await import("../dist/index.js");
const { rt, setThreads } = await import("../dist/wasm/module.js");
const { tapeStats, tapeTuning } = await import("../dist/wasm/tape.js");
const rounds = Number(process.argv[2] ?? 60);
const { f, p } = mlpProblem(mc);
setThreads(2);
await rt().pool.start();
const pool = rt().pool;
const h = mc.jit(mc.hessian(f));
for (let i = 0; i < 20; i++) { pool.callerOnly = i % 2 === 0; h(p); }
const sides = { "2T regions off": false, "2T regions on": true };
const res = { "1T": { t: [] } };
for (const k of Object.keys(sides)) res[k] = { t: [], pair: [], tapes: 0, tapeMs: 0, tapesRun: 0 };
const time = () => { const t0 = performance.now(); h(p); return performance.now() - t0; };
for (let i = 0; i < rounds; i++) {
  pool.callerOnly = true;
  tapeTuning.regions = false;
  const one = time();
  res["1T"].t.push(one);
  pool.callerOnly = false;
  for (const k of i % 2 ? Object.keys(sides) : Object.keys(sides).reverse()) {
    tapeTuning.regions = sides[k];
    const r = res[k], posted = tapeStats.posted, ms = pool.tapeMs, run = pool.tapesRun;
    const t = time();
    r.t.push(t);
    r.pair.push(one / t);
    r.tapes += tapeStats.posted - posted;
    r.tapeMs += pool.tapeMs - ms;
    r.tapesRun += pool.tapesRun - run;
  }
}
const q = (v, x) => [...v].sort((a, b) => a - b)[Math.floor(v.length * x)];
for (const [k, r] of Object.entries(res)) {
  const extra = r.pair ? ` | median pair 1T/this ${q(r.pair, 0.5).toFixed(2)} | tapes a call ${(r.tapes / rounds).toFixed(1)} | worker 1 ${(r.tapeMs / r.tapesRun).toFixed(3)} ms a tape` : "";
  console.log(`${k.padEnd(15)} median ${q(r.t, 0.5).toFixed(2)} q1 ${q(r.t, 0.25).toFixed(2)} min ${q(r.t, 0).toFixed(2)} ms${extra}`);
}
process.exit(0);
