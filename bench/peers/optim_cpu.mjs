// matcalc's side of the interleaved check in bench/peers/optim_interleaved.sh: the 12 cells of
// bench/suites/optim.ts (same problems, data and tolerance), timed over the built package
// (dist/, `npm run build` first) by process CPU time and wall time per solve, after a warm-up
// of the same length as the suite's. On a shared machine the wall time of a solve includes
// the time other processes held the cores; CPU time and the minimum wall time do not, which
// makes them the steadier figures to compare with scipy's (optim_scipy.py prints both).
// Run: node bench/peers/optim_cpu.mjs ["<group> <method>" substring]; OPT_THREADS=1 runs matcalc on one
// thread as the suite does (default: init()'s, all cores).
import * as mc from "../../dist/index.js";
import { minimize } from "../../dist/optim/index.js";
import { mulberry32 } from "../../dist/random.js";

await mc.init(process.env.OPT_THREADS ? { threads: Number(process.env.OPT_THREADS) } : undefined);
const only = process.argv[2] ?? "";

function extendedRosenbrock(n) {
  const h = n / 2;
  return (x) => {
    const X = x.reshape([2, h]).T;
    const a = mc.slice(X, [0, 0], [h, 1]), b = mc.slice(X, [0, 1], [h, 1]);
    return b.sub(a.square()).square().mul(100).add(mc.sub(1, a).square()).sum();
  };
}
function irwinHall(seed, count) {
  const next = mulberry32(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += next();
    out[i] = s - 6;
  }
  return out;
}
function logistic(m, n, lambda) {
  const X = irwinHall(7, m * n), wTrue = irwinHall(8, n).map((v) => v * 0.2), noise = irwinHall(9, m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let logit = 0;
    for (let j = 0; j < n; j++) logit += X[i * n + j] * wTrue[j];
    y[i] = logit + 0.8 * noise[i] > 0 ? 1 : -1;
  }
  const Xt = mc.tensor(X, [m, n]), yt = mc.tensor(y, [m]);
  return (w) => mc.softplus(yt.mul(Xt.matmul(w)).neg()).mean().add(w.dot(w).mul(lambda / 2));
}

const problems = [100, 1000].map((n) => ({
  group: `ext. Rosenbrock n=${n}`,
  f: extendedRosenbrock(n),
  x0: mc.vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1))),
}));
const METHODS = ["newton-cg", "trust-ncg", "bfgs", "lbfgs"];
if (METHODS.some((m) => `logistic 10000×100 ${m}`.includes(only))) problems.push({ group: "logistic 10000×100", f: logistic(10000, 100, 1e-3), x0: mc.zeros([100]) });
const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
for (const { group, f, x0 } of problems) {
  for (const method of METHODS) {
    if (!`${group} ${method}`.includes(only)) continue;
    const solve = () => minimize(f, x0, { method, gradTol: 1e-5 });
    let r = solve();
    for (let k = 0, t1 = performance.now(); k < 30 || performance.now() - t1 < 400; k++) solve();
    const cpu = [], wall = [];
    for (const t1 = performance.now(); performance.now() - t1 < 2000 || wall.length < 5; ) {
      const c = process.cpuUsage();
      const t = performance.now();
      r = solve();
      wall.push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpu.push((d.user + d.system) / 1e3);
    }
    const e = r.evaluations;
    console.log(
      `matcalc ${`${group} ${method}`.padEnd(32)} p50 ${median(wall).toFixed(2).padStart(8)} ms  min ${Math.min(...wall).toFixed(2).padStart(8)} ms  cpu p50 ${median(cpu).toFixed(2).padStart(8)} ms  (${wall.length} runs)  ${r.iterations} it, ${e.f} f, ${e.grad} g, ${e.hvp} hvp`,
    );
  }
}
