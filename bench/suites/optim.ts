// matcalc/optim: wall time of full solves (p50 ms per minimize() call) on the issue's
// reference problems, for the four large-scale methods, beside scipy's times for the same
// problems, data and tolerances, measured by bench/peers/optim_scipy.py (hand-written numpy
// derivatives; its JSON names the machine, date and versions). Run the script right before
// this suite, in the same session, for ratios that mean anything:
//   - extended Rosenbrock (MGH 21) n = 100 and n = 1000 from the standard start;
//   - L2-regularised logistic regression 10000 × 100, λ = 1e-3, on data both sides generate
//     bit for bit (mulberry32 uniforms, Irwin–Hall normals; checked by a checksum).
// Each solve uses gradTol 1e-5 (‖∇f‖∞, scipy's default gtol). After the rows, one line per
// cell prints ours, scipy's, scipy/ours and both sides' iteration and evaluation counts.
import type { Row, SuiteSpec, TaskSpec } from "../harness.js";
import * as mc from "../../src/index.js";
import { init, tensor, vector, zeros, type Tensor } from "../../src/index.js";
import { minimize, type MinimizeMethod, type MinimizeResult } from "../../src/optim/index.js";
import { mulberry32 } from "../../src/random.js";
import scipyData from "../peers/optim_scipy.json";
import { extendedRosenbrockObjective as extendedRosenbrock } from "../../test/optim/problems.js";

const METHODS: MinimizeMethod[] = ["newton-cg", "trust-ncg", "bfgs", "lbfgs"];
/** Warm-up of each cell before timing: at least this many solves and this many ms. */
const WARMUP_SOLVES = 30;
const WARMUP_MS = 400;

interface ScipyCell {
  group: string;
  method: string;
  scipyMethod: string;
  ms: number;
  cpuMs: number;
  runs: number;
  nit: number;
  nfev: number;
  njev: number;
  nhev: number;
  gradNormInf: number;
}
const SCIPY = scipyData as unknown as {
  machine: string;
  date: string;
  uptime: string;
  scipy: string;
  numpy: string;
  quick: boolean;
  logisticChecksum: number[];
  cells: ScipyCell[];
};


/**
 * Approximately standard normal samples that Python reproduces exactly: the sum of 12
 * mulberry32 uniforms (each k/2³², so every partial sum is exact) minus 6.
 */
function irwinHall(seed: number, count: number): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += next();
    out[i] = s - 6;
  }
  return out;
}

/** The data of bench/peers/optim_scipy.py's logistic_data (row-major X), and its checksum. */
function logisticData(m: number, n: number): { X: Float64Array; y: Float64Array; checksum: number[] } {
  const X = irwinHall(7, m * n);
  const wTrue = irwinHall(8, n).map((v) => v * 0.2);
  const noise = irwinHall(9, m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let logit = 0;
    for (let j = 0; j < n; j++) logit += X[i * n + j]! * wTrue[j]!; // left to right, as the script
    y[i] = logit + 0.8 * noise[i]! > 0 ? 1 : -1;
  }
  // X's entries are multiples of 2⁻³² below 6 in magnitude, so its sum is exact in any order
  // (numpy's is pairwise), as is the sum of the ±1 labels; w_true's is compared to 1e-12.
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  return { X, y, checksum: [sum(X), sum(wTrue), sum(y)] };
}

/**
 * The L2-regularised logistic loss on bench/peers/optim_scipy.py's data (checked against its
 * checksum); the threads suite and test/node/threads-gemv.test.ts solve it too.
 */
export function logistic(m: number, n: number, lambda: number): (w: Tensor) => Tensor {
  const { X: xData, y: yData, checksum } = logisticData(m, n);
  const ref = SCIPY.logisticChecksum;
  const same = ref.length === 3 && checksum[0] === ref[0] && Math.abs(checksum[1]! - ref[1]!) <= 1e-12 * Math.max(1, Math.abs(ref[1]!)) && checksum[2] === ref[2];
  if (!same) throw new Error(`optim suite: logistic data differ from bench/peers/optim_scipy.py's (checksum ${checksum} vs ${ref})`);
  const X = tensor(xData, [m, n]);
  const y = tensor(yData, [m]);
  return (w) => mc.softplus(y.mul(X.matmul(w)).neg()).mean().add(w.dot(w).mul(lambda / 2));
}

function counts(r: MinimizeResult): string {
  const e = r.evaluations;
  return `${r.iterations} it, ${e.f} f, ${e.grad} g${e.hvp ? `, ${e.hvp} hvp` : ""}`;
}

function scipyCounts(c: ScipyCell): string {
  return `${c.nit} it, ${c.nfev} f, ${c.njev} g${c.nhev ? `, ${c.nhev} hvp` : ""}`;
}

const ours = new Map<string, string>();

function tasks(): TaskSpec[] {
  const problems: { group: string; f: (x: Tensor) => Tensor; x0: Tensor }[] = [
    ...[100, 1000].map((n) => ({
      group: `ext. Rosenbrock n=${n}`,
      f: extendedRosenbrock(n),
      x0: vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1))),
    })),
    { group: "logistic 10000×100", f: logistic(10000, 100, 1e-3), x0: zeros([100]) },
  ];
  const out: TaskSpec[] = [];
  for (const { group, f, x0 } of problems) {
    for (const method of METHODS) {
      const solve = () => minimize(f, x0, { method, gradTol: 1e-5 });
      const t0 = performance.now();
      const r = solve();
      const once = performance.now() - t0;
      // V8 optimizes the library's JavaScript over the first few thousand evaluations (tens of
      // small solves; the harness's 100 ms warm-up covers a fraction of that): every cell is
      // warmed up here, before any is timed, so that the p50s are steady-state figures, as
      // scipy's are. The cold first solve is printed.
      let warm = 0;
      for (const t1 = performance.now(); warm < WARMUP_SOLVES || performance.now() - t1 < WARMUP_MS; warm++) solve();
      ours.set(`${group}|${method}`, `${counts(r)}, ‖∇f‖∞ ${r.gradNorm.toExponential(1)}`);
      console.log(`optim | ${group} | ${method}: ${r.status}, f = ${r.value.toExponential(3)}, ${counts(r)}; first (cold) solve ${once.toFixed(2)} ms, then ${warm} warm-up solves`);
      out.push({ name: method, group, fn: solve, baseline: method === "lbfgs", note: `${r.status}, ${counts(r)}` });
    }
  }
  return out;
}

function report(rows: readonly Row[]): string[] {
  const lines = [
    `optim vs scipy ${SCIPY.scipy} (numpy ${SCIPY.numpy}), bench/peers/optim_scipy.json of ${SCIPY.date} on ${SCIPY.machine} (${SCIPY.uptime.replace(/.*load/, "load")})${SCIPY.quick ? " (quick run)" : ""}; ratio = ours / scipy p50 wall (≤ 1: at or under scipy's time)`,
  ];
  for (const r of rows) {
    const c = SCIPY.cells.find((x) => x.group === r.group && x.method === r.task);
    if (!c) {
      lines.push(`optim | ${r.group} | ${r.task}: ${r.p50Ms.toFixed(2)} ms | scipy: no figure`);
      continue;
    }
    lines.push(
      `optim | ${r.group} | ${r.task}: ours ${r.p50Ms.toFixed(2)} ms, scipy ${c.scipyMethod} ${c.ms.toFixed(2)} ms (cpu ${c.cpuMs.toFixed(2)}${c.runs > 1 ? "" : ", one run"}), ratio ${(r.p50Ms / c.ms).toFixed(2)}` +
        ` | ours ${ours.get(`${r.group}|${r.task}`) ?? "?"} | scipy ${scipyCounts(c)}, ‖∇f‖∞ ${c.gradNormInf.toExponential(1)}`,
    );
  }
  return lines;
}

export const spec: SuiteSpec = { name: "optim", time: 500, setup: () => init(), tasks, report };
