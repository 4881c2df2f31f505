// Products with a few columns as users meet them (session 29: gemmFewColsN / gemmFewColsT),
// two dist builds side by side: each build in a process of its own, alternating ROUNDS times;
// figures are µs per call, the fastest of 15 batches of ~20 ms (process CPU time).
// - `mc.matmul(X, W)`: a data matrix X 10000×100 times a weight matrix W 100×3 (three outputs),
//   and the un-jitted gradient of a three-class softmax cross-entropy in W (X·W forward,
//   Xᵀ·(P − Y) back);
// - the forward-mode Jacobian of tanh(A·x), A 2000×500, in chunks of 8 directions (A·V, V 500×8);
// - the Hessian of the logistic loss over X 20000×100 (chunks of ~7 directions: X·V and Xᵀ·(D·X·V)).
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
  const X = mc.randn([10000, 100], { seed: 1 }), W = mc.randn([100, 3], { seed: 2 }).mul(0.1);
  const labels = Array.from({ length: 10000 }, (_, i) => (i * 7 + ((i * i) >> 4)) % 3);
  const Y = mc.tensor(Float64Array.from(labels.flatMap((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0)))), [10000, 3]);
  const ce = (w) => Y.mul(mc.logSoftmax(X.matmul(w), 1)).sum().mul(-1 / 10000);
  const A = mc.randn([2000, 500], { seed: 3 }).mul(0.05), x = mc.randn([500], { seed: 4 });
  const Z = mc.randn([20000, 100], { seed: 5 }), z = mc.sign(mc.randn([20000], { seed: 6 })), u = mc.randn([100], { seed: 7 }).mul(0.1);
  const tasks = {
    "matmul X·W (10000×100·100×3)": () => mc.matmul(X, W),
    "softmax CE grad, 3 classes": ((g) => () => g(W))(mc.grad(ce)),
    "jacobian fwd tanh(A·x), chunks of 8": ((J) => () => J(x))(mc.jacobian((v) => mc.tanh(A.matmul(v)), { mode: "fwd", chunkSize: 8 })),
    "logistic Hessian 20000×100": ((H) => () => H(u))(mc.hessian((w) => mc.softplus(z.mul(Z.matmul(w)).neg()).sum())),
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
