// Nested and composed transforms on small inputs, two builds side by side (issue 19): the
// per-primitive work of bench/chain-ab.mjs (the chain x ↦ tanh(x·0.999 + 0.001), 50 rounds,
// then sum, on a 3-vector) under grad of grad, hvp, hessian, jit(grad) and vmap(grad), and
// the gradient of a small logistic loss. Each build runs in its own process, alternating
// ROUNDS times; figures are µs per call, the fastest of 15 batches of 5 calls (CPU time).
//
//   node bench/nested-ab.mjs <before/dist> <after/dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf, cpuMs, printAB } from "./timing.mjs";

const [, self, a, b, roundsArg] = process.argv;

if (a === "--child") {
  const mc = await import(pathToFileURL(resolve(b, "index.js")).href);
  const mk = (n) => (x) => {
    for (let i = 0; i < n; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  };
  const f = mk(50), x = mc.vector([0.1, 0.2, 0.3]), v = mc.vector([1, 1, 1]);
  const gg = mc.grad((y) => mc.grad(f)(y).sum()), hv = mc.hvp(f), he = mc.hessian(f), jg = mc.jit(mc.grad(f));
  const vg = mc.vmap(mc.grad(mk(10))), X = mc.matrix([[0.1, 0.2, 0.3], [0.3, 0.1, 0.2]]);
  const M = mc.matrix([[1, 2, 3], [0.5, -1, 2], [0.3, 0.2, -0.4], [1, 1, 1]]);
  const lg = mc.grad((w) => M.matmul(w).mul(-1).exp().add(1).log().sum());
  const tasks = {
    "grad of grad": () => gg(x), hvp: () => hv(x, v), hessian: () => he(x), "jit(grad)": () => jg(x),
    "vmap(grad), 2 × 10 rounds": () => vg(X), "logistic grad 4×3": () => lg(x),
  };
  const best = (fn, reps, batches) => bestOf(fn, reps, batches, cpuMs);
  for (const fn of Object.values(tasks)) best(fn, 3, 10);
  const out = {};
  for (const [k, fn] of Object.entries(tasks)) out[k] = best(fn, 5, 15) * 1000;
  console.log(JSON.stringify(out));
} else {
  const runs = alternate(self, a, b, Number(roundsArg ?? 3), "usage: node bench/nested-ab.mjs <before/dist> <after/dist> [rounds]");
  printAB(runs, "µs per call");
}
