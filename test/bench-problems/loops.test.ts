// The loop-heavy bench problems (bench/problems/loops.ts) compute what they claim, on
// shortened versions: gradients against central differences of the objective (one
// coordinate of every parameter and a random direction through all of them), the jitted
// gradients against the plain ones, and the saddle solve against its closed form.
import { beforeAll, describe, expect, it } from "vitest";
import { grad, jit, tensor, type Tensor } from "../../src/index.js";
import { fillRandom } from "../../bench/harness.js";
import peer from "../../bench/peers/loops_torch.json" with { type: "json" };
import {
  lstmChars, lstmProblem, odeProblem, saddleGrads, saddleProblem, saddleSolve,
} from "../../bench/problems/loops.js";

type Params = Record<string, Tensor>;

function shift(p: Params, v: Record<string, Float64Array>, eps: number): Params {
  const out: Params = {};
  for (const [k, t] of Object.entries(p)) {
    const d = Float64Array.from(t.data);
    for (let i = 0; i < d.length; i++) d[i]! += eps * v[k]![i]!;
    out[k] = tensor(d, t.shape, { order: "col" });
  }
  return out;
}

function central(f: (p: Params) => Tensor, p: Params, v: Record<string, Float64Array>, eps: number): number {
  return (f(shift(p, v, eps)).item() - f(shift(p, v, -eps)).item()) / (2 * eps);
}

function inner(g: Params, v: Record<string, Float64Array>): number {
  let s = 0;
  for (const k of Object.keys(v)) {
    const d = g[k]!.data;
    for (let i = 0; i < d.length; i++) s += d[i]! * v[k]![i]!;
  }
  return s;
}

/** Directions: a unit vector at one entry of every parameter, then one random direction through all. */
function directions(p: Params, seed: number): Record<string, Float64Array>[] {
  const zero = () => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, new Float64Array(t.size)]));
  const out: Record<string, Float64Array>[] = [];
  for (const [j, [k, t]] of Object.entries(p).entries()) {
    const v = zero();
    v[k]![(7 * j + 3) % t.size] = 1;
    out.push(v);
  }
  const v = zero();
  for (const [j, k] of Object.keys(p).entries()) fillRandom(v[k]!, seed + j);
  out.push(v);
  return out;
}

function checkAgainstFd(f: (p: Params) => Tensor, g: Params, p: Params, eps: number, rtol: number): void {
  for (const v of directions(p, 900)) {
    const fd = central(f, p, v, eps);
    const ad = inner(g, v);
    expect(Math.abs(ad - fd)).toBeLessThanOrEqual(rtol * Math.max(1e-3, Math.abs(fd)));
  }
}

function expectClose(a: Params, b: Params, rtol: number): void {
  for (const k of Object.keys(a)) {
    const x = a[k]!.data, y = b[k]!.data;
    let err = 0, scale = 0;
    for (let i = 0; i < x.length; i++) { err = Math.max(err, Math.abs(x[i]! - y[i]!)); scale = Math.max(scale, Math.abs(y[i]!)); }
    expect(err).toBeLessThanOrEqual(rtol * scale);
  }
}

describe("LSTM (2 layers, 32 characters)", () => {
  // Built in beforeAll: a browser page loads the kernels after this file is imported.
  let prob: ReturnType<typeof lstmProblem>;
  beforeAll(() => {
    prob = lstmProblem(32, 16, 8);
  });

  it("has the objective's known limits: log V at zero output weights", () => {
    const zeroed = { ...prob.params, Wy: prob.params.Wy.mul(0), by: prob.params.by.mul(0) };
    expect(prob.loss(zeroed).item()).toBeCloseTo(Math.log(16), 12);
    const codes = lstmChars(32, 16);
    expect(codes.length).toBe(33);
    expect(Math.min(...codes)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...codes)).toBeLessThan(16);
  });

  it("gradient matches central differences; jit(grad) matches grad", () => {
    const g = grad(prob.loss)(prob.params);
    checkAgainstFd(prob.loss as (p: Params) => Tensor, g, prob.params, 1e-5, 1e-6);
    // Recorded and replayed, not run un-jitted: the suite times the replay.
    const fallbacks: string[] = [];
    const jg = jit(grad(prob.loss), { onFallback: (why) => fallbacks.push(why) });
    jg(prob.params);
    expectClose(jg(prob.params), g, 1e-12);
    expect(jit(prob.loss)(prob.params).item()).toBeCloseTo(prob.loss(prob.params).item(), 13);
    expect(fallbacks).toEqual([]);
  });
});

describe("RK4 Lotka–Volterra (100 steps)", () => {
  // Built in beforeAll: a browser page loads the kernels after this file is imported.
  let prob: ReturnType<typeof odeProblem>;
  beforeAll(() => {
    prob = odeProblem(100, 1e-2);
  });

  it("computes the loss of the same RK4 in plain JavaScript, which keeps Lotka–Volterra's invariant", () => {
    const zT = integrate(100, 1e-2);
    expect(prob.loss(prob.params).item()).toBeCloseTo(0.5 * ((zT[0]! - 1) ** 2 + (zT[1]! - 0.5) ** 2), 14);
    // δx − γ ln x + βy − α ln y is constant along exact orbits; RK4 at h = 0.01 keeps it to ~1e-9.
    const V = (z: Float64Array) => z[0]! - Math.log(z[0]!) + (4 / 3) * z[1]! - (2 / 3) * Math.log(z[1]!);
    expect(Math.abs(V(zT) - V(Float64Array.of(1, 1)))).toBeLessThan(1e-8);
    expect(Math.abs(zT[0]! - 1) + Math.abs(zT[1]! - 1)).toBeGreaterThan(0.1);
  });

  it("gradient (r, A, z0) matches central differences; jit(grad) matches grad", () => {
    const g = grad(prob.loss)(prob.params);
    checkAgainstFd(prob.loss as (p: Params) => Tensor, g, prob.params, 1e-6, 1e-7);
    const fallbacks: string[] = [];
    const jg = jit(grad(prob.loss), { onFallback: (why) => fallbacks.push(why) });
    jg(prob.params);
    expectClose(jg(prob.params), g, 1e-12);
    expect(fallbacks).toEqual([]);
  });
});

/** The same RK4 in plain JavaScript (a check of the tensor version's loop). */
function integrate(steps: number, h: number): Float64Array {
  const f = (x: number, y: number) => [x * (2 / 3 - (4 / 3) * y), y * (-1 + x)] as const;
  let x = 1, y = 1;
  for (let s = 0; s < steps; s++) {
    const [a1, b1] = f(x, y);
    const [a2, b2] = f(x + (h / 2) * a1, y + (h / 2) * b1);
    const [a3, b3] = f(x + (h / 2) * a2, y + (h / 2) * b2);
    const [a4, b4] = f(x + h * a3, y + h * b3);
    x += (h / 6) * (a1 + 2 * (a2 + a3) + a4);
    y += (h / 6) * (b1 + 2 * (b2 + b3) + b4);
  }
  return Float64Array.of(x, y);
}

describe("nested-gradient saddle (n = 10)", () => {
  // Built in beforeAll: a browser page loads the kernels after this file is imported.
  let prob: ReturnType<typeof saddleProblem>;
  beforeAll(() => {
    prob = saddleProblem(10);
  });

  it("solve reaches the closed-form saddle point, plain and with jitted gradients", () => {
    const { x, y } = prob.exact();
    const g = saddleGrads(prob);
    const r = saddleSolve(prob, g);
    expect(r.outer).toBeGreaterThan(5);
    expect(r.inner).toBeGreaterThan(r.outer);
    expectClose({ x: r.x, y: r.y }, { x, y }, 1e-7);
    const fallbacks: string[] = [];
    const onFallback = (why: string) => fallbacks.push(why);
    const rj = saddleSolve(prob, { gy: jit(g.gy, { onFallback }), gx: jit(g.gx, { onFallback }) });
    expect(fallbacks).toEqual([]);
    expect(rj.outer).toBe(r.outer);
    expect(rj.inner).toBe(r.inner);
    expectClose({ x: rj.x, y: rj.y }, { x: r.x, y: r.y }, 1e-12);
  });

  it("gradients are the closed forms Ax + By + a and Bᵀx − Cy − b", () => {
    const x = tensor(fillRandom(new Float64Array(10), 5)), y = tensor(fillRandom(new Float64Array(10), 6));
    const g = saddleGrads(prob);
    expectClose({ g: g.gx(x, y) }, { g: prob.A.matmul(x).add(prob.B.matmul(y)).add(prob.a) }, 1e-13);
    expectClose({ g: g.gy(x, y) }, { g: prob.B.T.matmul(x).sub(prob.C.matmul(y)).sub(prob.b) }, 1e-13);
  });
});

describe("the full-size problems are torch's (bench/peers/loops_torch.json, same LCG data)", () => {
  it("LSTM 2×64 over 1024 characters and RK4 over 10 000 steps give torch's losses", () => {
    const lstm = lstmProblem(1024, 64, 64);
    expect(Math.abs(lstm.loss(lstm.params).item() - peer.meta.lstmLoss)).toBeLessThan(1e-13 * peer.meta.lstmLoss);
    const ode = odeProblem(10_000, 1e-3);
    expect(Math.abs(ode.loss(ode.params).item() - peer.meta.odeLoss)).toBeLessThan(1e-12 * peer.meta.odeLoss);
  });

  it("the saddle solve takes torch's iteration counts", () => {
    const sp = saddleProblem(10);
    const r = saddleSolve(sp, saddleGrads(sp));
    expect(`${r.outer} outer, ${r.inner} inner steps`).toBe(peer.meta.saddleCounts);
  });
});
