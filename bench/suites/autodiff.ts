// Autodiff cost on the reference problems: f, grad, HVP, Hessian for logistic
// regression and a small MLP, and Jacobians of tanh(Wx). PyTorch 1.13 CPU float64 1-thread
// figures measured on this machine class are in bench/RESULTS.md beside ours.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import * as mc from "../../src/index.js";
import { grad, hessian, hvp, jacobian, jit, randn, type Tensor } from "../../src/index.js";

/** f(x) = Σ softplus(−y ∘ (A·x)): logistic regression's negative log-likelihood. */
export function logistic(A: Tensor, y: Tensor) {
  return (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
}

/** A logistic problem's data: A (m×n), labels y = ±1, the point x and a direction v. */
export interface LogisticData { A: Tensor; y: Tensor; x: Tensor; v: Tensor }

function logisticData(m: number, n: number): LogisticData {
  return {
    A: randn([m, n], { seed: 1 }),
    y: mc.sign(randn([m], { seed: 2 })),
    x: randn([n], { seed: 3 }).mul(0.1),
    v: randn([n], { seed: 4 }),
  };
}

/** The logistic cells (bench/suites/autodiff-threads.ts passes data the torch script can make too). */
export function logisticTasks(m: number, n: number, d: LogisticData = logisticData(m, n)): TaskSpec[] {
  const { A, y, x, v } = d;
  const f = logistic(A, y);
  const g = grad(f);
  const hv = hvp(f);
  const H = hessian(f);
  const group = `logistic ${m}×${n}`;
  // jit(...) replays the recorded kernels without tracing (what a JAX user would time).
  const jg = jit(g), jhv = jit(hv), jH = jit(H);
  const tasks: TaskSpec[] = [
    { name: "f", group, fn: () => f(x), baseline: true },
    { name: "grad", group, fn: () => g(x) },
    { name: "jit grad", group, fn: () => jg(x) },
    { name: "hvp", group, fn: () => hv(x, v) },
    { name: "jit hvp", group, fn: () => jhv(x, v) },
  ];
  if (n <= 1000) tasks.push({ name: "hessian", group, fn: () => H(x) });
  if (n <= 100) tasks.push({ name: "jit hessian", group, fn: () => jH(x) });
  return tasks;
}

/** The MLP's parameters (W1 20×20, b1 20, W2 20×1, b2 1: 441 in all). */
export interface MlpParams { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** The MLP problem's data: inputs X (256×20), targets Y (256×1), the point p and a direction v. */
export interface MlpData { X: Tensor; Y: Tensor; p: MlpParams; v: MlpParams }

/** Mean squared error of the 20-20-1 tanh network on (X, Y). */
export function mlp(X: Tensor, Y: Tensor) {
  return (q: MlpParams) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
}

function mlpData(): MlpData {
  return {
    X: randn([256, 20], { seed: 5 }),
    Y: randn([256, 1], { seed: 6 }),
    p: {
      W1: randn([20, 20], { seed: 7 }).mul(0.3), b1: randn([20], { seed: 8 }).mul(0.1),
      W2: randn([20, 1], { seed: 9 }).mul(0.3), b2: randn([1], { seed: 10 }).mul(0.1),
    },
    v: {
      W1: randn([20, 20], { seed: 11 }), b1: randn([20], { seed: 12 }),
      W2: randn([20, 1], { seed: 13 }), b2: randn([1], { seed: 14 }),
    },
  };
}

/** The MLP cells: f, grad, HVP and the 441 × 441 Hessian, plain and jit. */
export function mlpTasks(d: MlpData = mlpData()): TaskSpec[] {
  const { p, v } = d;
  const f = mlp(d.X, d.Y);
  const g = grad(f);
  const hv = hvp(f);
  const H = hessian(f);
  const group = "MLP 20-20-1 tanh, 256 samples, 441 params";
  const jg = jit(g), jhv = jit(hv), jH = jit(H);
  return [
    { name: "f", group, fn: () => f(p), baseline: true },
    { name: "grad", group, fn: () => g(p) },
    { name: "jit grad", group, fn: () => jg(p) },
    { name: "hvp", group, fn: () => hv(p, v) },
    { name: "jit hvp", group, fn: () => jhv(p, v) },
    { name: "hessian", group, fn: () => H(p) },
    { name: "jit hessian", group, fn: () => jH(p) },
  ];
}

/** The Jacobian problem's data: W (m×n) and the point x (n). */
export interface JacobianData { W: Tensor; x: Tensor }

function jacobianData(m: number, n: number): JacobianData {
  return { W: randn([m, n], { seed: 15 }).mul(1 / Math.sqrt(n)), x: randn([n], { seed: 16 }) };
}

/** The Jacobian cells of tanh(W x): forward and reverse mode, plain and jit. */
export function jacobianTasks(m: number, n: number, d: JacobianData = jacobianData(m, n)): TaskSpec[] {
  const { W, x } = d;
  const f = (x: Tensor) => W.matmul(x).tanh();
  const group = `jacobian tanh(Wx), W ${m}×${n}`;
  const fwd = jacobian(f, { mode: "fwd" });
  const rev = jacobian(f, { mode: "rev" });
  const jfwd = jit(fwd), jrev = jit(rev);
  return [
    { name: "f", group, fn: () => f(x), baseline: true },
    { name: "jacobian fwd", group, fn: () => fwd(x) },
    { name: "jit jacobian fwd", group, fn: () => jfwd(x) },
    { name: "jacobian rev", group, fn: () => rev(x) },
    { name: "jit jacobian rev", group, fn: () => jrev(x) },
  ];
}

export const spec: SuiteSpec = {
  name: "autodiff",
  time: 400,
  tasks: () => [
    ...logisticTasks(1000, 10),
    ...logisticTasks(1000, 100),
    ...logisticTasks(1000, 1000),
    ...mlpTasks(),
    ...jacobianTasks(100, 100),
    ...jacobianTasks(1000, 100),
    ...jacobianTasks(100, 1000),
  ],
};
