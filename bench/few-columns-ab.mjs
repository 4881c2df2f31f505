// Products with a few columns as users meet them (session 29: gemmFewColsN / gemmFewColsT),
// two dist builds side by side: each build in a process of its own, alternating ROUNDS times;
// figures are µs per call, the fastest of 15 batches of ~20 ms (process CPU time).
// - `mc.matmul(X, W)`: a data matrix X 10000×100 times a weight matrix W 100×3 (three outputs),
//   and the un-jitted gradient of a softmax cross-entropy in W with 3 and with 10 classes (X·W
//   forward, Xᵀ·(P − Y) back: both products take the few-column paths);
// - `vmap` of v ↦ A·v over 4 vectors, A 2000×2000 (one product A·[v₁ … v₄]);
// - the forward-mode Jacobian of tanh(A·x), A 2000×500, in chunks of 8 directions (A·V with V
//   500×8; the tanh and the 8 MB result cost most of it).
//
//   node bench/few-columns-ab.mjs <before/dist> <after/dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf, printAB } from "./timing.mjs";

const [, self, a, b, roundsArg] = process.argv;

if (a === "--child") {
  const mc = await import(pathToFileURL(resolve(b, "index.js")).href);
  await mc.init();
  mc.setThreads(1);
  const X = mc.randn([10000, 100], { seed: 1 });
  const softmaxCE = (c) => {
    const labels = Array.from({ length: 10000 }, (_, i) => (i * 7 + ((i * i) >> 4)) % c);
    const Y = mc.tensor(Float64Array.from(labels.flatMap((l) => Array.from({ length: c }, (_, j) => (j === l ? 1 : 0)))), [10000, c]);
    return mc.grad((w) => Y.mul(mc.logSoftmax(X.matmul(w), 1)).sum().mul(-1 / 10000));
  };
  const W3 = mc.randn([100, 3], { seed: 2 }).mul(0.1), W10 = mc.randn([100, 10], { seed: 2 }).mul(0.1);
  const g3 = softmaxCE(3), g10 = softmaxCE(10);
  const B = mc.randn([2000, 2000], { seed: 8 }), V = mc.randn([4, 2000], { seed: 9 });
  const bv = mc.vmap((v) => B.matmul(v));
  const A = mc.randn([2000, 500], { seed: 3 }).mul(0.05), x = mc.randn([500], { seed: 4 });
  const J = mc.jacobian((v) => mc.tanh(A.matmul(v)), { mode: "fwd", chunkSize: 8 });
  const tasks = {
    "matmul X·W (10000×100·100×3)": () => mc.matmul(X, W3),
    "softmax CE grad, 3 classes": () => g3(W3),
    "softmax CE grad, 10 classes": () => g10(W10),
    "vmap A·v, 4 vectors, A 2000²": () => bv(V),
    "jacobian fwd tanh(A·x), chunks of 8": () => J(x),
  };
  const out = {};
  for (const [k, fn] of Object.entries(tasks)) {
    for (let i = 0; i < 3; i++) fn();
    const t0 = performance.now();
    fn();
    const reps = Math.max(1, Math.round(20 / Math.max(0.01, performance.now() - t0)));
    out[k] = 1000 * bestOf(fn, reps, 15);
  }
  console.log(JSON.stringify(out));
} else {
  printAB(alternate(self, a, b, Number(roundsArg ?? 3), "usage: node bench/few-columns-ab.mjs <before/dist> <after/dist> [rounds]"), "µs per call");
}
