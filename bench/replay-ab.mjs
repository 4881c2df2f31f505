// Long jit replays, two builds side by side (issue 19): an RK4 Lotka–Volterra integration of
// 10 000 steps (the loops suite's, bench/problems/ode.mjs, on each dist build: a 3·10⁵-step
// program for f, ~10⁶ for its gradient), issue 19's chain x ↦ tanh(x·0.999 + 0.001), 16 667
// rounds on a 3-vector (a 10⁵-step jit(grad)), and the loops suite's 2-layer LSTM over 1024
// characters (bench/problems/lstm.mjs, seeded weights here), its gradient jitted and not, for
// one sequence and for two side by side (B×64 by 64×256 products per cell). Wall time, GC
// included: what a long replay costs is mostly the collector's. Each build runs in its own
// process, alternating ROUNDS times; figures are ms per call, the fastest of 7 calls after the
// recording (3 for the un-jitted gradients), and the first call's (for jit: recording and compiling).
//
//   node bench/replay-ab.mjs <before/dist> <after/dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf, printAB } from "./timing.mjs";
import { rk4Loss } from "./problems/ode.mjs";
import { lstmLoss } from "./problems/lstm.mjs";

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
  // The LSTM of the loops suite (T = 1024, V = H = 64) on B sequences: one-hot rows from seeded
  // codes, weights in ±1/√H as there.
  const T = 1024, V = 64, H = 64;
  for (const B of [1, 2]) {
    const code = (t, b) => (t * 7 + b * 13 + ((t * t) >> 3)) % V;
    const oneHot = (rows) => {
      const d = new Float64Array(rows.length * V);
      rows.forEach((c, r) => (d[r * V + c] = 1));
      return mc.tensor(d, [rows.length, V]);
    };
    const blocks = Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => code(t, b)));
    const xs = blocks.map((rows) => oneHot(rows));
    const Y = oneHot(blocks.flatMap((rows, t) => rows.map((_, b) => code(t + 1, b))));
    const u = (shape, seed) => mc.randn(shape, { seed }).mul(1 / Math.sqrt(H));
    const w = { W1: u([V, 4 * H], 111), U1: u([H, 4 * H], 112), b1: u([4 * H], 113), W2: u([H, 4 * H], 114), U2: u([H, 4 * H], 115), b2: u([4 * H], 116), Wy: u([H, V], 117), by: u([V], 118) };
    const g = mc.grad(lstmLoss(mc, xs, Y, H));
    tasks[`LSTM B=${B} grad`] = [g, w, 3];
    tasks[`LSTM B=${B} jit grad`] = [mc.jit(g), w];
  }
  const out = {};
  for (const [k, [fn, arg, calls = 7]] of Object.entries(tasks)) {
    const t0 = performance.now();
    fn(arg); // records (jit: and compiles)
    out[`${k}, first call`] = performance.now() - t0;
    out[k] = bestOf(() => fn(arg), 1, calls, () => performance.now());
  }
  console.log(JSON.stringify(out));
} else {
  const runs = alternate(self, a, b, Number(roundsArg ?? 3), "usage: node bench/replay-ab.mjs <before/dist> <after/dist> [rounds]");
  printAB(runs, "ms per call");
}
