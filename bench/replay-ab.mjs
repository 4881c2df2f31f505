// Long jit replays, two builds side by side (issue 19): an RK4 Lotka–Volterra integration of
// 10 000 steps (the loops suite's, bench/problems/ode.mjs, on each dist build: a 3·10⁵-step
// program for f, ~10⁶ for its gradient) and issue 19's chain x ↦ tanh(x·0.999 +
// 0.001), 16 667 rounds on a 3-vector (a 10⁵-step jit(grad)). Wall time, GC included: what a
// long replay costs is mostly the collector's. Each build runs in its own process,
// alternating ROUNDS times; figures are ms per call, the fastest of 7 calls after the recording.
//
//   node bench/replay-ab.mjs <before/dist> <after/dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf, printAB } from "./timing.mjs";
import { rk4Loss } from "./problems/ode.mjs";

const [, self, a, b, roundsArg] = process.argv;

if (a === "--child") {
  const mc = await import(pathToFileURL(resolve(b, "index.js")).href);
  const p = { r: mc.vector([2 / 3, -1]), A: mc.matrix([[0, -4 / 3], [1, 0]]), z0: mc.vector([1, 1]) };
  const ode = rk4Loss(10_000, 1e-3, mc.vector([1, 0.5]));
  const chain = (x) => {
    for (let i = 0; i < 16667; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  };
  const x = mc.vector([1, 2, 3]);
  const tasks = { "RK4 jit f": [mc.jit(ode), p], "RK4 jit grad": [mc.jit(mc.grad(ode)), p], "chain jit grad": [mc.jit(mc.grad(chain)), x] };
  const out = {};
  for (const [k, [fn, arg]] of Object.entries(tasks)) {
    fn(arg); // records
    out[k] = bestOf(() => fn(arg), 1, 7, () => performance.now());
  }
  console.log(JSON.stringify(out));
} else {
  const runs = alternate(self, a, b, Number(roundsArg ?? 3), "usage: node bench/replay-ab.mjs <before/dist> <after/dist> [rounds]");
  printAB(runs, "ms per call");
}
