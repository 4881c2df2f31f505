// Test problems for matcalc/optim, written with matcalc ops so that every derivative comes
// from autodiff.
//
// Moré, Garbow & Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7(1),
// 1981, pp. 17–41: each problem is a residual vector r(x), f = Σ rᵢ², with the paper's
// standard starting point and published minima.
import * as mc from "../../src/index.js";
import { init, randn, tensor, vector, type Tensor } from "../../src/index.js";

// Browsers compile the kernels asynchronously: load them before any test module builds data
// (harmless in Node).
await init();

export interface Problem {
  name: string;
  n: number;
  m: number;
  x0: number[];
  residual: (x: Tensor) => Tensor;
  /** Published minimum value(s) of f = Σ rᵢ² (global first; local minima a method may reach). */
  minima: { f: number; x?: number[]; note?: string }[];
}

/** f = Σ rᵢ² from a residual. */
export function sumOfSquares(r: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x) => r(x).square().sum();
}

const e = (x: Tensor, i: number): Tensor => mc.slice(x, [i], [1]);

export const rosenbrock: Problem = {
  name: "Rosenbrock (MGH 1)",
  n: 2, m: 2, x0: [-1.2, 1],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1);
    return mc.concat([x2.sub(x1.square()).mul(10), mc.sub(1, x1)]);
  },
  minima: [{ f: 0, x: [1, 1] }],
};

export const freudensteinRoth: Problem = {
  name: "Freudenstein–Roth (MGH 2)",
  n: 2, m: 2, x0: [0.5, -2],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1);
    // f1 = −13 + x1 + ((5 − x2)x2 − 2)x2,  f2 = −29 + x1 + ((x2 + 1)x2 − 14)x2
    const f1 = x1.add(mc.sub(5, x2).mul(x2).sub(2).mul(x2)).sub(13);
    const f2 = x1.add(x2.add(1).mul(x2).sub(14).mul(x2)).sub(29);
    return mc.concat([f1, f2]);
  },
  minima: [
    { f: 0, x: [5, 4] },
    { f: 48.98425367924, x: [11.41277900, -0.8968052550], note: "local minimum (MGH)" },
  ],
};

export const powellBadlyScaled: Problem = {
  name: "Powell badly scaled (MGH 3)",
  n: 2, m: 2, x0: [0, 1],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1);
    return mc.concat([x1.mul(x2).mul(1e4).sub(1), x1.neg().exp().add(x2.neg().exp()).sub(1.0001)]);
  },
  minima: [{ f: 0, x: [1.098159329699e-5, 9.106146739868] }],
};

export const beale: Problem = {
  name: "Beale (MGH 5)",
  n: 2, m: 3, x0: [1, 1],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1);
    const y = [1.5, 2.25, 2.625];
    return mc.concat(y.map((yi, i) => mc.sub(yi, x1.mul(mc.sub(1, x2.pow(i + 1))))));
  },
  minima: [{ f: 0, x: [3, 0.5] }],
};

export const helicalValley: Problem = {
  name: "Helical valley (MGH 7)",
  n: 3, m: 3, x0: [-1, 0, 0],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1), x3 = e(x, 2);
    // θ = atan(x2/x1)/2π, + 1/2 when x1 < 0 (the branch indicator has zero derivative).
    const theta = x2.div(x1).atan().div(2 * Math.PI).add(mc.lt(x1, 0).mul(0.5));
    const f1 = x3.sub(theta.mul(10)).mul(10);
    const f2 = x1.square().add(x2.square()).sqrt().sub(1).mul(10);
    return mc.concat([f1, f2, x3]);
  },
  minima: [{ f: 0, x: [1, 0, 0] }],
};

export const powellSingular: Problem = {
  name: "Powell singular (MGH 13)",
  n: 4, m: 4, x0: [3, -1, 0, 1],
  residual: (x) => {
    const [x1, x2, x3, x4] = [0, 1, 2, 3].map((i) => e(x, i)) as [Tensor, Tensor, Tensor, Tensor];
    return mc.concat([
      x1.add(x2.mul(10)),
      x3.sub(x4).mul(Math.sqrt(5)),
      x2.sub(x3.mul(2)).square(),
      x1.sub(x4).square().mul(Math.sqrt(10)),
    ]);
  },
  minima: [{ f: 0, x: [0, 0, 0, 0], note: "singular Hessian at the solution" }],
};

export const wood: Problem = {
  name: "Wood (MGH 14)",
  n: 4, m: 6, x0: [-3, -1, -3, -1],
  residual: (x) => {
    const [x1, x2, x3, x4] = [0, 1, 2, 3].map((i) => e(x, i)) as [Tensor, Tensor, Tensor, Tensor];
    return mc.concat([
      x2.sub(x1.square()).mul(10),
      mc.sub(1, x1),
      x4.sub(x3.square()).mul(Math.sqrt(90)),
      mc.sub(1, x3),
      x2.add(x4).sub(2).mul(Math.sqrt(10)),
      x2.sub(x4).mul(1 / Math.sqrt(10)),
    ]);
  },
  minima: [{ f: 0, x: [1, 1, 1, 1] }],
};

const boxT = Array.from({ length: 10 }, (_, i) => 0.1 * (i + 1));
const boxTv = vector(boxT);
const boxC = vector(boxT.map((t) => Math.exp(-t) - Math.exp(-10 * t)));
export const box3d: Problem = {
  name: "Box 3-D, m = 10 (MGH 12)",
  n: 3, m: 10, x0: [0, 10, 20],
  residual: (x) => {
    const x1 = e(x, 0), x2 = e(x, 1), x3 = e(x, 2);
    return boxTv.mul(x1).neg().exp().sub(boxTv.mul(x2).neg().exp()).sub(boxC.mul(x3));
  },
  minima: [
    { f: 0, x: [1, 10, 1] },
    { f: 0, x: [10, 1, -1] },
    { f: 0, note: "any x with x1 = x2, x3 = 0" },
  ],
};

/**
 * Extended Rosenbrock (MGH 21): r_{2i−1} = 10(x_{2i} − x_{2i−1}²), r_{2i} = 1 − x_{2i−1}.
 * x is viewed as the 2 × n/2 matrix [x_odd; x_even] and transposed so both halves are
 * contiguous columns (cheap slices).
 */
export function extendedRosenbrockParts(n: number): (x: Tensor) => [Tensor, Tensor] {
  const h = n / 2;
  return (x) => {
    const X = x.reshape([2, h]).T; // h × 2: column 0 = x_odd, column 1 = x_even
    return [mc.slice(X, [0, 0], [h, 1]), mc.slice(X, [0, 1], [h, 1])];
  };
}

export function extendedRosenbrock(n: number): Problem {
  const parts = extendedRosenbrockParts(n);
  return {
    name: `extended Rosenbrock n = ${n} (MGH 21)`,
    n, m: n,
    x0: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)),
    residual: (x) => {
      const [a, b] = parts(x);
      return mc.concat([b.sub(a.square()).mul(10), mc.sub(1, a)], 1).reshape([n]);
    },
    minima: [{ f: 0, x: Array.from({ length: n }, () => 1) }],
  };
}

/** Σ 100(x_even − x_odd²)² + (1 − x_odd)², written directly (fewer ops than Σ rᵢ²). */
export function extendedRosenbrockObjective(n: number): (x: Tensor) => Tensor {
  const parts = extendedRosenbrockParts(n);
  return (x) => {
    const [a, b] = parts(x);
    return b.sub(a.square()).square().mul(100).add(mc.sub(1, a).square()).sum();
  };
}

export const MGH: Problem[] = [rosenbrock, freudensteinRoth, powellBadlyScaled, beale, helicalValley, powellSingular, wood, box3d];

/**
 * L2-regularised logistic regression, f(w) = mean(softplus(−y ∘ Xw)) + (λ/2)‖w‖², on seeded
 * data: X (m × n) standard normal, labels ±1 drawn from the logistic model with a seeded
 * true w (so the classes overlap and the minimizer is finite and well defined).
 */
export function logisticProblem(m: number, n: number, lambda = 1e-3, seed = 7) {
  const X = randn([m, n], { seed });
  const wTrue = randn([n], { seed: seed + 1 }).mul(1 / Math.sqrt(n)).mul(2);
  const logits = X.matmul(wTrue).data;
  const u = randn([m], { seed: seed + 2 }).data; // uniform via the normal CDF would do; use a threshold on noise
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) y[i] = logits[i]! + 0.8 * u[i]! > 0 ? 1 : -1;
  const yt = tensor(y, [m]);
  const f = (w: Tensor) => mc.softplus(yt.mul(X.matmul(w)).neg()).mean().add(w.dot(w).mul(lambda / 2));
  return { X, y: yt, f, n, m, lambda };
}

export interface Expect {
  /** |f − f*| allowed (relative to max(1, f*)). */
  fTol: number;
  /** ‖x − x*‖∞ allowed (relative to max(1, |x*ᵢ|)). */
  xTol: number;
}

/** Which published minimum x is at, or a failure message. */
export function matchMinimum(problem: Problem, x: number[], f: number, e: Expect): string | null {
  for (const m of problem.minima) {
    if (Math.abs(f - m.f) > e.fTol * Math.max(1, m.f)) continue;
    if (!m.x) return null; // a family of minimizers (Box 3-D's x1 = x2, x3 = 0): f is enough
    const err = Math.max(...m.x.map((xi, i) => Math.abs(x[i]! - xi) / Math.max(1, Math.abs(xi))));
    if (err <= e.xTol) return null;
  }
  return `f = ${f}, x = [${x.join(", ")}] is none of the published minima ${JSON.stringify(problem.minima)}`;
}

