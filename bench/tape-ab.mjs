// Chunks on worker 1 (src/wasm/tape.ts), two dist builds side by side (issue 21: the MLP
// 20-20-1 Hessian on two threads against one): per build, in a process of its own, one
// two-thread runtime alternates calls on the caller alone (the pool's callerOnly mode: the
// one-thread computation) with two-thread calls, plain and jit; builds alternate ROUNDS times.
// Prints per build and round the median 1T and 2T times (ms), their minima, the median over
// pairs of t(1T)/t(2T), and the chunks taped for worker 1 per call.
//
//   node bench/tape-ab.mjs <before-dist> <after-dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { mlpProblem } from "./problems/mlp.mjs";
import { alternate } from "./timing.mjs";

if (process.argv[2] === "--child") {
  const dir = pathToFileURL(resolve(process.argv[3])).href;
  const mc = await import(dir + "/index.js");
  const { rt, setThreads } = await import(dir + "/wasm/module.js");
  const { tapeStats } = await import(dir + "/wasm/tape.js");
  const { f: mlp, p } = mlpProblem(mc);
  setThreads(2);
  await rt().pool.start();
  const pool = rt().pool;
  const cases = { plain: mc.hessian(mlp), jit: mc.jit(mc.hessian(mlp)) };
  const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const out = {};
  for (const [name, f] of Object.entries(cases)) {
    for (let i = 0; i < 10; i++) { pool.callerOnly = true; f(p); pool.callerOnly = false; f(p); }
    const a = [], b = [];
    const posted = tapeStats.posted;
    for (let i = 0; i < 30; i++) {
      pool.callerOnly = true;
      let t = performance.now(); f(p); a.push(performance.now() - t);
      pool.callerOnly = false;
      t = performance.now(); f(p); b.push(performance.now() - t);
    }
    out[name] = { t1: med(a), t2: med(b), min1: Math.min(...a), min2: Math.min(...b),
      pair: med(a.map((x, i) => x / b[i])), tapes: (tapeStats.posted - posted) / 30 };
  }
  console.log(JSON.stringify(out));
  process.exit(0);
} else {
  const [before, after, rounds] = process.argv.slice(2);
  const runs = alternate(new URL(import.meta.url).pathname, before, after, Number(rounds ?? 3),
    "usage: node bench/tape-ab.mjs <before-dist> <after-dist> [rounds]");
  for (const name of ["plain", "jit"]) {
    for (const [side, rs] of Object.entries(runs)) {
      console.log(`${name} ${side.padEnd(6)} ` + rs.map((r) => {
        const x = r[name];
        return `1T ${x.t1.toFixed(2)} (${x.min1.toFixed(2)}) 2T ${x.t2.toFixed(2)} (${x.min2.toFixed(2)}) pair ${x.pair.toFixed(2)} tapes ${x.tapes.toFixed(1)}`;
      }).join(" | "));
    }
  }
}
