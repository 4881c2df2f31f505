// Per-primitive cost of un-jitted code, two builds side by side (issue 19): the chain
// x ↦ tanh(x·0.999 + 0.001), repeated, then sum, on a 3-vector, run eagerly, under grad and
// under jvp. Each build runs in its own process (two builds in one process share inline caches
// and would slow each other), alternating ROUNDS times, so both see the same machine load.
//
//   node bench/chain-ab.mjs <before/dist> <after/dist> [rounds]
//   (environment: CHAIN_REPS, CHAIN_BATCHES, CHAIN_CLOCK=cpu; see below)
//
// e.g. before = a worktree of main built with `npx tsc -p tsconfig.build.json` (its dist/ has
// the wasm kernels copied in). Figures per primitive are marginal: the difference between
// chains of 150 and 50 rounds over the 300 primitives between them, so each transform's fixed
// cost per call (argument flattening, the final copy-out) is left out and reported apart.
// Each timing is the fastest of BATCHES batches of REPS calls (fastest: preemption on a busy
// machine only ever adds time).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf, cpuMs } from "./timing.mjs";

const [, self, a, b, roundsArg] = process.argv;

// Calls per timed batch: enough that a batch includes its share of garbage collection (a
// scavenge every few calls), few enough that some batches escape preemption.
const REPS = Number(process.env.CHAIN_REPS ?? 20);
const BATCHES = Number(process.env.CHAIN_BATCHES ?? 20);

if (a === "--child") {
  // Child: time one build (its dist directory in `b`), print JSON.
  const mc = await import(pathToFileURL(resolve(b, "index.js")).href);
  const mk = (n) => (x) => {
    for (let i = 0; i < n; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  };
  const x = mc.vector([0.1, 0.2, 0.3]), v = mc.vector([1, 1, 1]);
  const f1 = mk(50), f2 = mk(150), g1 = mc.grad(f1), g2 = mc.grad(f2);
  const tasks = {
    e1: () => f1(x), e2: () => f2(x),
    g1: () => g1(x), g2: () => g2(x),
    j1: () => mc.jvp(f1, [x], [v]), j2: () => mc.jvp(f2, [x], [v]),
  };
  // CHAIN_CLOCK=cpu times with the process's CPU time (user + system, all threads: GC helpers
  // included) instead of the wall clock: time spent preempted by other jobs is not counted.
  const cpu = process.env.CHAIN_CLOCK === "cpu";
  const now = cpu ? cpuMs : () => performance.now();
  const best = (fn, reps, batches) => bestOf(fn, reps, batches, now);
  for (const fn of Object.values(tasks)) best(fn, 3, 10);
  const ms = {};
  for (let r = 0; r < 3; r++) for (const [k, fn] of Object.entries(tasks)) ms[k] = Math.min(ms[k] ?? Infinity, best(fn, REPS, BATCHES));
  const per = (k1, k2) => ((ms[k2] - ms[k1]) * 1000) / 300;
  const out = { eager: per("e1", "e2"), grad: per("g1", "g2"), jvp: per("j1", "j2") };
  const fixed = (k1, m) => ms[k1] * 1000 - 151 * m;
  console.log(JSON.stringify({ ...out, fixed: { eager: fixed("e1", out.eager), grad: fixed("g1", out.grad), jvp: fixed("j1", out.jvp) } }));
} else {
  const runs = alternate(self, a, b, Number(roundsArg ?? 3), "usage: node bench/chain-ab.mjs <before/dist> <after/dist> [rounds]");
  const f = (x) => x.toFixed(3);
  const best = {};
  for (const [name, rs] of Object.entries(runs)) {
    for (const r of rs) {
      console.log(`${name.padEnd(6)} µs/primitive: eager ${f(r.eager)}  grad ${f(r.grad)}  jvp ${f(r.jvp)}   rev/eager ${(r.grad / r.eager).toFixed(2)}  fwd/eager ${(r.jvp / r.eager).toFixed(2)}   fixed µs/call: eager ${r.fixed.eager.toFixed(1)} grad ${r.fixed.grad.toFixed(1)} jvp ${r.fixed.jvp.toFixed(1)}`);
    }
    best[name] = { eager: Math.min(...rs.map((r) => r.eager)), grad: Math.min(...rs.map((r) => r.grad)), jvp: Math.min(...rs.map((r) => r.jvp)) };
  }
  for (const [name, m] of Object.entries(best)) {
    console.log(`best ${name.padEnd(6)}: eager ${f(m.eager)}  grad ${f(m.grad)}  jvp ${f(m.jvp)}   rev/eager ${(m.grad / m.eager).toFixed(2)}  fwd/eager ${(m.jvp / m.eager).toFixed(2)}`);
  }
  console.log(`after/before: eager ${(best.after.eager / best.before.eager).toFixed(2)}  grad ${(best.after.grad / best.before.grad).toFixed(2)}  jvp ${(best.after.jvp / best.before.jvp).toFixed(2)}`);
}
