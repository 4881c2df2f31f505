// bench/suites/autodiff-threads.ts times the problems that bench/peers/autodiff_threads.py times:
// the same LCG data give torch's values at the point (its `checks`), the gradients agree with
// closed forms and central differences, jit agrees with the plain transforms, and one and two
// threads compute the same bits (the suite compares their times as the same computation).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grad, setThreads, Tensor, threadCount } from "../../src/index.js";
import { cells, jacobianData, logisticData, mlpData } from "../../bench/suites/autodiff-threads.js";
import { logistic, mlp, type MlpParams } from "../../bench/suites/autodiff.js";
import type { TaskSpec } from "../../bench/harness.js";
import peer from "../../bench/peers/autodiff_threads.json" with { type: "json" };

const checks = peer.checks as Record<string, Record<string, number>>;
const LOGISTIC = [[1000, 10], [1000, 100], [1000, 1000]] as const;
const JACOBIAN = [[100, 100], [1000, 100], [100, 1000]] as const;
const MLP = "MLP 20-20-1 tanh, 256 samples, 441 params";

/** Every tensor of a result (a tensor or a pytree of them), in a fixed order. */
function leaves(x: unknown): Tensor[] {
  if (x instanceof Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(leaves);
  if (x !== null && typeof x === "object") return Object.keys(x).sort().flatMap((k) => leaves((x as Record<string, unknown>)[k]));
  throw new Error(`not a tensor tree: ${String(x)}`);
}

const sum = (x: unknown) => leaves(x).reduce((s, t) => s + t.data.reduce((a, b) => a + b, 0), 0);

function expectRel(got: number, want: number, rtol: number, what: string): void {
  expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(want)));
}

let all: TaskSpec[];
const run = (group: string, name: string): unknown => {
  const c = all.find((t) => t.group === group && t.name === name);
  if (!c) throw new Error(`no cell ${group} / ${name}`);
  return c.fn();
};

beforeAll(() => {
  setThreads(1);
  all = cells();
});
afterAll(() => setThreads(1));

describe("the suite's cells are the torch script's problems", () => {
  it("has every cell the peers time, with 1 and 2 threads", () => {
    const ours = new Set(all.map((c) => `${c.group}|${c.name.replace(/^jit /, "")}`));
    const theirs = new Set(peer.rows.map((r) => `${r.group}|${r.task}`));
    expect([...theirs].filter((k) => !ours.has(k))).toEqual([]);
    for (const r of peer.rows) expect(peer.rows.some((s) => s.group === r.group && s.task === r.task && s.lib === r.lib && s.threads !== r.threads)).toBe(true);
    expect(Object.keys(checks).sort()).toEqual([...new Set(all.map((c) => c.group))].sort());
  });

  it.each(LOGISTIC)("logistic %i×%i: f, grad, hvp and Hessian (plain and jit) give torch's values", (m, n) => {
    const g = `logistic ${m}×${n}`, c = checks[g]!;
    expectRel((run(g, "f") as Tensor).item(), c["f"]!, 1e-13, `${g} f`);
    for (const name of ["grad", "jit grad"]) expectRel(sum(run(g, name)), c["grad_sum"]!, 1e-11, `${g} ${name}`);
    for (const name of ["hvp", "jit hvp"]) expectRel(sum(run(g, name)), c["hvp_sum"]!, 1e-11, `${g} ${name}`);
    for (const name of n <= 100 ? ["hessian", "jit hessian"] : ["hessian"]) {
      const H = run(g, name) as Tensor;
      expect(H.shape).toEqual([n, n]);
      const d = H.data;
      let tr = 0;
      for (let i = 0; i < n; i++) tr += d[i * (n + 1)]!;
      expectRel(sum(H), c["hessian_sum"]!, 1e-11, `${g} ${name} sum`);
      expectRel(tr, c["hessian_trace"]!, 1e-11, `${g} ${name} trace`);
    }
  });

  it("logistic 1000×100: the gradient is the closed form Aᵀ(−y∘σ(−y∘Ax)) and the Hessian AᵀWA", () => {
    const { A, y, x } = logisticData(1000, 100);
    const s = y.mul(A.matmul(x)).neg().sigmoid();
    const closed = A.T.matmul(y.neg().mul(s));
    const g = run("logistic 1000×100", "grad") as Tensor;
    const err = g.sub(closed).abs().max().item();
    expect(err).toBeLessThan(1e-12 * closed.abs().max().item());
    const H = run("logistic 1000×100", "hessian") as Tensor;
    const Hc = A.T.mul(s.mul(s.neg().add(1))).matmul(A);
    expect(H.sub(Hc).abs().max().item()).toBeLessThan(1e-12 * Hc.abs().max().item());
    // And f itself: Σ log(1 + exp(−y∘Ax)) summed in plain JavaScript.
    const z = y.mul(A.matmul(x)).neg().data;
    let f = 0;
    for (const v of z) f += Math.log1p(Math.exp(v));
    expectRel(logistic(A, y)(x).item(), f, 1e-13, "f");
  });

  it("MLP 20-20-1: f, grad, hvp, Hessian give torch's values; grad and hvp match central differences", () => {
    const c = checks[MLP]!;
    expectRel((run(MLP, "f") as Tensor).item(), c["f"]!, 1e-13, "f");
    for (const name of ["grad", "jit grad"]) expectRel(sum(run(MLP, name)), c["grad_sum"]!, 1e-11, name);
    for (const name of ["hvp", "jit hvp"]) expectRel(sum(run(MLP, name)), c["hvp_sum"]!, 1e-11, name);
    for (const name of ["hessian", "jit hessian"]) {
      // Over vec of the leaves concatenated (441 × 441): its sum and trace do not depend on
      // the order of the parameters, which differs from torch's flat vector.
      const H = run(MLP, name) as Tensor;
      expect(H.shape).toEqual([441, 441]);
      expectRel(sum(H), c["hessian_sum"]!, 1e-11, `${name} sum`);
      const d = H.data;
      let tr = 0;
      for (let i = 0; i < 441; i++) tr += d[i * 442]!;
      expectRel(tr, c["hessian_trace"]!, 1e-11, `${name} trace`);
    }
    // Central differences along v: f's slope is grad·v, grad's is H v.
    const { X, Y, p, v } = mlpData();
    const f = mlp(X, Y);
    const eps = 1e-5;
    const at = (t: number): MlpParams => ({ W1: p.W1.add(v.W1.mul(t)), b1: p.b1.add(v.b1.mul(t)), W2: p.W2.add(v.W2.mul(t)), b2: p.b2.add(v.b2.mul(t)) });
    const fd = (f(at(eps)).item() - f(at(-eps)).item()) / (2 * eps);
    const g = run(MLP, "grad") as MlpParams;
    const gv = (["W1", "b1", "W2", "b2"] as const).reduce((s, k) => s + g[k].mul(v[k]).sum().item(), 0);
    expectRel(gv, fd, 1e-7, "grad·v");
    // The Hessian-vector product against central differences of the gradient along v.
    const hv = run(MLP, "hvp") as MlpParams;
    const gp = grad(f)(at(eps)), gm = grad(f)(at(-eps));
    for (const k of ["W1", "b1", "W2", "b2"] as const) {
      const d = gp[k].sub(gm[k]).div(2 * eps);
      expect(hv[k].sub(d).abs().max().item(), `hvp ${k}`).toBeLessThan(1e-7 * Math.max(1, d.abs().max().item()));
    }
  });

  it.each(JACOBIAN)("jacobian tanh(Wx), W %i×%i: fwd and rev (plain and jit) give torch's Jacobian and the closed form", (m, n) => {
    const g = `jacobian tanh(Wx), W ${m}×${n}`, c = checks[g]!;
    expectRel(sum(run(g, "f")), c["f_sum"]!, 1e-12, `${g} f`);
    const { W, x } = jacobianData(m, n);
    const t = W.matmul(x).tanh();
    const closed = W.mul(t.square().neg().add(1).reshape([m, 1]));
    for (const name of ["jacobian fwd", "jit jacobian fwd", "jacobian rev", "jit jacobian rev"]) {
      const J = run(g, name) as Tensor;
      expect(J.shape).toEqual([m, n]);
      expectRel(sum(J), c["jacobian_sum"]!, 1e-12, `${g} ${name} sum`);
      expectRel(J.data[0]!, c["jacobian_00"]!, 1e-13, `${g} ${name} J[0,0]`);
      expect(J.sub(closed).abs().max().item()).toBeLessThan(1e-15);
    }
  });
});

describe("one and two threads compute the same bits on every cell", () => {
  it("each cell's result is identical with 1 and 2 threads", () => {
    setThreads(1);
    const one = all.map((c) => leaves(c.fn()).map((t) => t.data));
    setThreads(2);
    expect(threadCount()).toBe(2);
    const two = all.map((c) => leaves(c.fn()).map((t) => t.data));
    setThreads(1);
    for (const [i, c] of all.entries()) {
      const a = one[i]!, b = two[i]!;
      expect(b.length).toBe(a.length);
      a.forEach((x, j) => {
        const y = b[j]!;
        let same = x.length === y.length;
        for (let k = 0; same && k < x.length; k++) same = Object.is(x[k], y[k]);
        expect(same, `${c.group} / ${c.name} leaf ${j}`).toBe(true);
      });
    }
  });
});
