// Long jit replays, two builds side by side (issue 19): an RK4 Lotka–Volterra integration of
// 10 000 steps (bench/problems/loops.ts's odeProblem, restated here on the dist build: a
// 3·10⁵-step program for f, ~10⁶ for its gradient) and issue 19's chain x ↦ tanh(x·0.999 +
// 0.001), 16 667 rounds on a 3-vector (a 10⁵-step jit(grad)). Wall time, GC included: what a
// long replay costs is mostly the collector's. Each build runs in its own process,
// alternating ROUNDS times; figures are ms per call, the fastest of 5 calls after 2 warm-ups.
//
//   node bench/replay-ab.mjs <before/dist> <after/dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf } from "./timing.mjs";

const [, self, a, b, roundsArg] = process.argv;

if (a === "--child") {
  const mc = await import(pathToFileURL(resolve(b, "index.js")).href);
  const steps = 10_000, h = 1e-3;
  const p = { r: mc.vector([2 / 3, -1]), A: mc.matrix([[0, -4 / 3], [1, 0]]), z0: mc.vector([1, 1]) };
  const target = mc.vector([1, 0.5]);
  const ode = (q) => {
    const f = (z) => z.mul(q.r.add(q.A.matmul(z)));
    let z = q.z0;
    for (let s = 0; s < steps; s++) {
      const k1 = f(z);
      const k2 = f(z.add(k1.mul(h / 2)));
      const k3 = f(z.add(k2.mul(h / 2)));
      const k4 = f(z.add(k3.mul(h)));
      z = z.add(k1.add(k2.add(k3).mul(2)).add(k4).mul(h / 6));
    }
    return z.sub(target).square().sum().mul(0.5);
  };
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
  const names = Object.keys(runs.before[0]);
  const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  console.log("ms per call (range over rounds)   before          after           after/before (best)");
  for (const k of names) {
    const bs = runs.before.map((r) => r[k]), as = runs.after.map((r) => r[k]);
    console.log(`${k.padEnd(30)} ${range(bs).padEnd(15)} ${range(as).padEnd(15)} ${(Math.min(...as) / Math.min(...bs)).toFixed(2)}`);
  }
}
