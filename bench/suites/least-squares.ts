// Nonlinear least squares: full solves (p50 ms per call) of leastSquares('lm') and curveFit,
// with scipy's least_squares (method 'lm' = MINPACK lmder, and 'trf') and curve_fit timed in
// the same run on the same data (Node host: /usr/bin/python3 with Debian's python3-scipy, if
// present; each scipy call gets the analytic Jacobian, as matcalc's is exact too). Problems:
//   - NIST StRD Misra1a and Thurber from start 1 (certified values: digits printed);
//   - a 10⁴-residual exponential fit y = a·exp(−k t) + c.
// Default options on both sides (matcalc: gradTol = stepTol = √ε, valueTol 1e-12; scipy:
// ftol = xtol = gtol = 1e-8). Evaluation counts are printed side by side.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import { isNode } from "../harness.js";
import * as mc from "../../src/index.js";
import { init, randn, vector, type Tensor } from "../../src/index.js";
import { curveFit, leastSquares } from "../../src/optim/index.js";
import { loadNist, lre, MODELS, nistResidual } from "../../test/optim/nist.js";

interface Problem {
  group: string;
  /** scipy model name in the Python script below. */
  py: string;
  x: number[];
  y: number[];
  p0: number[];
  model: (p: Tensor, x: Tensor) => Tensor;
  certified?: number[];
}

function problems(): Problem[] {
  const nist = loadNist();
  const out: Problem[] = [];
  for (const name of ["Misra1a", "Thurber"]) {
    const p = nist.find((q) => q.name === name)!;
    out.push({ group: `${name} (NIST, start 1)`, py: name, x: p.x[0]!, y: p.y, p0: p.start1, model: (b, x) => MODELS[name]!(b, [x]), certified: p.certified });
  }
  const m = 10000;
  const t = Array.from({ length: m }, (_, i) => (5 * i) / (m - 1));
  const noise = randn([m], { seed: 21 }).mul(0.01).data;
  out.push({
    group: "exp fit, m = 10⁴",
    py: "exp",
    x: t,
    y: t.map((ti, i) => 2.5 * Math.exp(-1.3 * ti) + 0.5 + noise[i]!),
    p0: [1, 1, 0],
    model: (p, x) => mc.slice(p, [0], [1]).mul(x.mul(mc.slice(p, [1], [1])).neg().exp()).add(mc.slice(p, [2], [1])),
  });
  return out;
}

/** Times scipy on every problem in one python process; null when python/scipy is missing. */
function scipyTimes(ps: Problem[]): Record<string, Record<string, { ms: number; nfev: number; njev: number; x: number[] }>> | null {
  if (!isNode()) return null;
  const script = String.raw`
import json, sys, time
import numpy as np
from scipy.optimize import least_squares, curve_fit
def misra1a(x, b1, b2): return b1 * (1 - np.exp(-b2 * x))
def misra1a_j(x, b1, b2): e = np.exp(-b2 * x); return np.stack([1 - e, b1 * x * e], axis=1)
def thurber(x, *b):
    num = b[0] + b[1]*x + b[2]*x**2 + b[3]*x**3; den = 1 + b[4]*x + b[5]*x**2 + b[6]*x**3
    return num / den
def thurber_j(x, *b):
    num = b[0] + b[1]*x + b[2]*x**2 + b[3]*x**3; den = 1 + b[4]*x + b[5]*x**2 + b[6]*x**3
    P = np.stack([x**0, x, x**2, x**3], axis=1)
    return np.concatenate([P / den[:, None], -(num / den**2)[:, None] * P[:, 1:]], axis=1)
def expm(x, a, k, c): return a * np.exp(-k * x) + c
def expm_j(x, a, k, c): e = np.exp(-k * x); return np.stack([e, -a * x * e, np.ones_like(x)], axis=1)
M = {"Misra1a": (misra1a, misra1a_j), "Thurber": (thurber, thurber_j), "exp": (expm, expm_j)}
def p50(f, budget=0.5):
    ts = []; t_end = time.perf_counter() + budget
    while len(ts) < 5 or (time.perf_counter() < t_end and len(ts) < 2000):
        t0 = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t0)
    return 1000 * float(np.median(ts)), r
out = {}
for p in json.load(sys.stdin):
    f, j = M[p["py"]]; x = np.array(p["x"]); y = np.array(p["y"]); p0 = np.array(p["p0"])
    res = lambda b: f(x, *b) - y
    jac = lambda b: j(x, *b)
    o = {}
    for meth in ("lm", "trf"):
        ms, r = p50(lambda: least_squares(res, p0, jac=jac, method=meth))
        o["least_squares " + meth] = {"ms": ms, "nfev": int(r.nfev), "njev": int(r.njev or 0), "x": r.x.tolist()}
    ms, r = p50(lambda: curve_fit(f, x, y, p0=p0, jac=lambda xx, *b: j(xx, *b), full_output=True))
    o["curve_fit"] = {"ms": ms, "nfev": int(r[2]["nfev"]), "njev": int(r[2].get("njev", 0) or 0), "x": r[0].tolist()}
    out[p["group"]] = o
print(json.dumps(out))
`;
  try {
    // Resolved at run time so that the browser bundle never sees node:child_process.
    const req = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process?.getBuiltinModule?.("node:child_process") as
      | { spawnSync: (cmd: string, args: string[], o: object) => { status: number | null; stdout: string; stderr: string } }
      | undefined;
    if (!req) return null;
    const r = req.spawnSync("/usr/bin/python3", ["-c", script], {
      input: JSON.stringify(ps.map(({ group, py, x, y, p0 }) => ({ group, py, x, y, p0 }))),
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) {
      console.log(`least-squares: scipy peer unavailable (${r.stderr.trim().split("\n").pop()})`);
      return null;
    }
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

function digits(x: ArrayLike<number>, certified?: number[]): string {
  if (!certified) return "";
  return `, ${Math.min(...certified.map((c, i) => lre(x[i]!, c))).toFixed(1)} certified digits`;
}

function tasks(): TaskSpec[] {
  const ps = problems();
  const scipy = scipyTimes(ps);
  const out: TaskSpec[] = [];
  for (const p of ps) {
    const xt = vector(p.x), yt = vector(p.y);
    const residual = (b: Tensor) => p.model(b, xt).sub(yt);
    const lm = () => leastSquares(residual, vector(p.p0));
    const cf = () => curveFit(p.model, xt, p.y, vector(p.p0));
    const peers = scipy?.[p.group];
    for (const [name, fn, peer] of [["matcalc lm", lm, "least_squares lm"], ["matcalc curveFit", cf, "curve_fit"]] as const) {
      const t0 = performance.now();
      const r = fn();
      const cold = performance.now() - t0;
      const e = r.evaluations;
      const mine = `${r.status}, ${e.f} r, ${e.jacobian} J${digits((r.x as Tensor).data, p.certified)}`;
      let note = mine;
      const s = peers?.[peer];
      if (s) note += ` | scipy ${peer}: ${s.ms.toFixed(3)} ms, ${s.nfev} f, ${s.njev} J${digits(s.x, p.certified)}`;
      console.log(`least-squares | ${p.group} | ${name}: ${mine}; cold ${cold.toFixed(2)} ms${s ? ` | scipy ${peer} ${s.ms.toFixed(3)} ms` : ""}`);
      out.push({ name, group: p.group, fn, baseline: name === "matcalc lm", note });
    }
    if (peers) {
      const trf = peers["least_squares trf"]!;
      console.log(`least-squares | ${p.group} | scipy least_squares trf: ${trf.ms.toFixed(3)} ms, ${trf.nfev} f, ${trf.njev} J${digits(trf.x, p.certified)}`);
    }
  }
  return out;
}

export const spec: SuiteSpec = { name: "least-squares", time: 500, setup: () => init(), tasks };
