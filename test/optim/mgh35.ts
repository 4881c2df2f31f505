// The 35 Moré–Garbow–Hillstrom problems (ACM TOMS 7(1), 1981, §3), 39 entries, as residuals
// r(x) written with matcalc ops (f = Σ rᵢ²), from the paper's definitions and standard starts.
// The same problems in numpy are data/scipy/mgh_problems.py (same names, same order); its
// reference runs of MINPACK (scipy least_squares, method 'lm') and the published f* values are
// data/scipy/mgh_lm_ref.json (mgh_lm_ref.py). The problems problems.ts already holds are reused.
import * as mc from "../../src/index.js";
import { matrix, vector, type Tensor } from "../../src/index.js";
import { beale, box3d, extendedRosenbrock, freudensteinRoth, helicalValley, powellBadlyScaled, powellSingular, rosenbrock, wood } from "./problems.js";

export interface MghEntry {
  name: string;
  x0: number[];
  residual: (x: Tensor) => Tensor;
}

const e = (x: Tensor, i: number): Tensor => mc.slice(x, [i], [1]);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, k) => a + k);
const scal = (t: Tensor): Tensor => t.reshape([1]);

const brownBadlyScaled = (x: Tensor): Tensor => {
  const x1 = e(x, 0), x2 = e(x, 1);
  return mc.concat([x1.sub(1e6), x2.sub(2e-6), x1.mul(x2).sub(2)]);
};

const jsI = vector(range(1, 10));
const jennrichSampson = (x: Tensor): Tensor =>
  jsI.mul(2).add(2).sub(jsI.mul(e(x, 0)).exp().add(jsI.mul(e(x, 1)).exp()));

const bardY = vector([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39]);
const bardU = range(1, 15), bardV = bardU.map((u) => 16 - u), bardW = bardU.map((u, i) => Math.min(u, bardV[i]!));
const bard = (x: Tensor): Tensor =>
  bardY.sub(vector(bardU).div(vector(bardV).mul(e(x, 1)).add(vector(bardW).mul(e(x, 2)))).add(e(x, 0)));

const gaussY = vector([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009]);
const gaussT = vector(range(1, 15).map((i) => (8 - i) / 2));
const gaussian = (x: Tensor): Tensor =>
  gaussT.sub(e(x, 2)).square().mul(e(x, 1)).mul(-0.5).exp().mul(e(x, 0)).sub(gaussY);

const meyerY = vector([34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872]);
const meyerT = vector(range(1, 16).map((i) => 45 + 5 * i));
const meyer = (x: Tensor): Tensor => e(x, 1).div(meyerT.add(e(x, 2))).exp().mul(e(x, 0)).sub(meyerY);

const gulfT = range(1, 99).map((i) => i / 100);
const gulfTv = vector(gulfT), gulfY = vector(gulfT.map((t) => 25 + (-50 * Math.log(t)) ** (2 / 3)));
// |y − x2|^x3 as exp(x3·log|y − x2|).
const gulf = (x: Tensor): Tensor =>
  mc.abs(gulfY.sub(e(x, 1))).log().mul(e(x, 2)).exp().div(e(x, 0)).neg().exp().sub(gulfTv);

const koY = vector([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246]);
const koU = vector([4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625]);
const kowalikOsborne = (x: Tensor): Tensor => {
  const u2 = koU.square();
  return koY.sub(u2.add(koU.mul(e(x, 1))).mul(e(x, 0)).div(u2.add(koU.mul(e(x, 2))).add(e(x, 3))));
};

const bdT = range(1, 20).map((i) => i / 5);
const bdTv = vector(bdT), bdExp = vector(bdT.map(Math.exp)), bdSin = vector(bdT.map(Math.sin)), bdCos = vector(bdT.map(Math.cos));
const brownDennis = (x: Tensor): Tensor =>
  bdTv.mul(e(x, 1)).add(e(x, 0)).sub(bdExp).square().add(bdSin.mul(e(x, 3)).add(e(x, 2)).sub(bdCos).square());

const osb1Y = vector([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580,
  0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406]);
const osb1T = vector(range(0, 32).map((i) => 10 * i));
const osborne1 = (x: Tensor): Tensor =>
  osb1Y.sub(osb1T.mul(e(x, 3)).neg().exp().mul(e(x, 1)).add(osb1T.mul(e(x, 4)).neg().exp().mul(e(x, 2))).add(e(x, 0)));

const biggsT = range(1, 13).map((i) => 0.1 * i);
const biggsTv = vector(biggsT), biggsY = vector(biggsT.map((t) => Math.exp(-t) - 5 * Math.exp(-10 * t) + 3 * Math.exp(-4 * t)));
const biggs = (x: Tensor): Tensor => {
  const ex = (k: number): Tensor => biggsTv.mul(e(x, k)).neg().exp();
  return ex(0).mul(e(x, 2)).sub(ex(1).mul(e(x, 3))).add(ex(4).mul(e(x, 5))).sub(biggsY);
};

const osb2Y = vector([
  1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724,
  0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391, 0.396, 0.405, 0.428, 0.429,
  0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
  0.428, 0.292, 0.162, 0.098, 0.054]);
const osb2T = vector(range(0, 64).map((i) => i / 10));
const osborne2 = (x: Tensor): Tensor => {
  const bump = (a: number, w: number, c: number): Tensor => osb2T.sub(e(x, c)).square().mul(e(x, w)).neg().exp().mul(e(x, a));
  return osb2Y.sub(osb2T.mul(e(x, 4)).neg().exp().mul(e(x, 0)).add(bump(1, 5, 8)).add(bump(2, 6, 9)).add(bump(3, 7, 10)));
};

/** Watson: rᵢ = Σⱼ₌₂ⁿ (j−1)xⱼtᵢ^{j−2} − (Σⱼ xⱼtᵢ^{j−1})² − 1 (tᵢ = i/29, i ≤ 29), r₃₀ = x₁, r₃₁ = x₂ − x₁² − 1. */
function watson(n: number): (x: Tensor) => Tensor {
  const t = range(1, 29).map((i) => i / 29);
  const A = matrix(t.map((ti) => range(0, n - 1).map((j) => ti ** j)));
  const B = matrix(t.map((ti) => range(0, n - 1).map((j) => (j === 0 ? 0 : j * ti ** (j - 1)))));
  return (x) => {
    const x1 = e(x, 0);
    return mc.concat([B.matmul(x).sub(A.matmul(x).square()).sub(1), x1, e(x, 1).sub(x1.square()).sub(1)]);
  };
}

/** Extended Powell singular: blocks of Powell's singular function over x[4k..4k+3]. */
function extendedPowell(n: number): (x: Tensor) => Tensor {
  const k = n / 4;
  return (x) => {
    const X = x.reshape([4, k]); // column k holds x[4k..4k+3]
    const row = (i: number): Tensor => mc.slice(X, [i, 0], [1, k]);
    const [a, b, c, d] = [row(0), row(1), row(2), row(3)];
    return mc.concat([a.add(b.mul(10)), c.sub(d).mul(Math.sqrt(5)), b.sub(c.mul(2)).square(), a.sub(d).square().mul(Math.sqrt(10))], 0).reshape([n]);
  };
}

const penalty1 = (x: Tensor): Tensor => mc.concat([x.sub(1).mul(Math.sqrt(1e-5)), scal(x.square().sum().sub(0.25))]);

function penalty2(n: number): (x: Tensor) => Tensor {
  const i = range(2, n);
  const y = vector(i.map((k) => Math.exp(k / 10) + Math.exp((k - 1) / 10)));
  const w = vector(range(1, n).map((j) => n - j + 1));
  const sa = Math.sqrt(1e-5);
  return (x) => {
    const hi = mc.slice(x, [1], [n - 1]).mul(0.1).exp(), lo = mc.slice(x, [0], [n - 1]).mul(0.1).exp();
    return mc.concat([e(x, 0).sub(0.2), hi.add(lo).sub(y).mul(sa), hi.sub(Math.exp(-0.1)).mul(sa), scal(w.mul(x.square()).sum().sub(1))]);
  };
}

function variablyDimensioned(n: number): (x: Tensor) => Tensor {
  const j = vector(range(1, n));
  return (x) => {
    const d = x.sub(1), s = scal(j.mul(d).sum());
    return mc.concat([d, s, s.square()]);
  };
}

function trigonometric(n: number): (x: Tensor) => Tensor {
  const i = vector(range(1, n));
  return (x) => {
    const c = x.cos();
    return mc.sub(n, c.sum()).add(i.mul(mc.sub(1, c))).sub(x.sin());
  };
}

function brownAlmostLinear(n: number): (x: Tensor) => Tensor {
  return (x) => {
    let prod = e(x, 0);
    for (let j = 1; j < n; j++) prod = prod.mul(e(x, j));
    return mc.concat([mc.slice(x, [0], [n - 1]).add(x.sum()).sub(n + 1), prod.sub(1)]);
  };
}

const bvT = (n: number): number[] => range(1, n).map((i) => i / (n + 1));
const bvStart = (n: number): number[] => bvT(n).map((t) => t * (t - 1));

function discreteBoundaryValue(n: number): (x: Tensor) => Tensor {
  const h = 1 / (n + 1), t = vector(bvT(n));
  const zero = vector([0]);
  return (x) => {
    const xp = mc.concat([zero, x, zero]);
    return x.mul(2).sub(mc.slice(xp, [0], [n])).sub(mc.slice(xp, [2], [n])).add(x.add(t).add(1).pow(3).mul(h * h / 2));
  };
}

function discreteIntegral(n: number): (x: Tensor) => Tensor {
  const h = 1 / (n + 1), t = bvT(n);
  // rᵢ = xᵢ + h/2 · Σⱼ Kᵢⱼ (xⱼ + tⱼ + 1)³, Kᵢⱼ = (1 − tᵢ)tⱼ for j ≤ i, tᵢ(1 − tⱼ) for j > i.
  const K = matrix(t.map((ti, i) => t.map((tj, j) => (h / 2) * (j <= i ? (1 - ti) * tj : ti * (1 - tj)))));
  const tv = vector(t);
  return (x) => x.add(K.matmul(x.add(tv).add(1).pow(3)));
}

function broydenTridiagonal(n: number): (x: Tensor) => Tensor {
  const zero = vector([0]);
  return (x) => {
    const xp = mc.concat([zero, x, zero]);
    return mc.sub(3, x.mul(2)).mul(x).sub(mc.slice(xp, [0], [n])).sub(mc.slice(xp, [2], [n]).mul(2)).add(1);
  };
}

function broydenBanded(n: number): (x: Tensor) => Tensor {
  const ml = 5, mu = 1;
  const M = matrix(range(0, n - 1).map((i) => range(0, n - 1).map((j) => (j !== i && j >= i - ml && j <= i + mu ? 1 : 0))));
  return (x) => x.mul(x.square().mul(5).add(2)).add(1).sub(M.matmul(x.mul(x.add(1))));
}

/** The linear problems: r = A x − 1. */
function linear(A: number[][]): (x: Tensor) => Tensor {
  const At = matrix(A);
  return (x) => At.matmul(x).sub(1);
}
const LIN_M = 20;
const linearFullRank = (n: number) => linear(range(1, LIN_M).map((i) => range(1, n).map((j) => (i === j ? 1 : 0) - 2 / LIN_M)));
const linearRank1 = (n: number) => linear(range(1, LIN_M).map((i) => range(1, n).map((j) => i * j)));
const linearRank1Zero = (n: number) =>
  linear(range(1, LIN_M).map((i) => range(1, n).map((j) => (i === 1 || i === LIN_M || j === 1 || j === n ? 0 : (i - 1) * j))));

/** Chebyquad: rᵢ = mean over j of Tᵢ(2xⱼ − 1) − ∫₀¹ Tᵢ(2t − 1) dt (0 for odd i, −1/(i² − 1) for even). */
function chebyquad(n: number): (x: Tensor) => Tensor {
  return (x) => {
    const y = x.mul(2).sub(1);
    const out: Tensor[] = [];
    let prev: Tensor = y.mul(0).add(1);
    let cur = y;
    for (let i = 1; i <= n; i++) {
      out.push(scal(cur.mean().sub(i % 2 ? 0 : -1 / (i * i - 1))));
      const next = y.mul(cur).mul(2).sub(prev);
      prev = cur;
      cur = next;
    }
    return mc.concat(out);
  };
}

const ones = (n: number, v = 1): number[] => Array.from({ length: n }, () => v);

/** The 39 entries, in mgh_problems.py's order (names match mgh_lm_ref.json). */
export const MGH35: MghEntry[] = [
  { name: "Rosenbrock", x0: rosenbrock.x0, residual: rosenbrock.residual },
  { name: "Freudenstein-Roth", x0: freudensteinRoth.x0, residual: freudensteinRoth.residual },
  { name: "Powell badly scaled", x0: powellBadlyScaled.x0, residual: powellBadlyScaled.residual },
  { name: "Brown badly scaled", x0: [1, 1], residual: brownBadlyScaled },
  { name: "Beale", x0: beale.x0, residual: beale.residual },
  { name: "Jennrich-Sampson m=10", x0: [0.3, 0.4], residual: jennrichSampson },
  { name: "Helical valley", x0: helicalValley.x0, residual: helicalValley.residual },
  { name: "Bard", x0: [1, 1, 1], residual: bard },
  { name: "Gaussian", x0: [0.4, 1, 0], residual: gaussian },
  { name: "Meyer", x0: [0.02, 4000, 250], residual: meyer },
  { name: "Gulf research m=99", x0: [5, 2.5, 0.15], residual: gulf },
  { name: "Box 3-D m=10", x0: box3d.x0, residual: box3d.residual },
  { name: "Powell singular", x0: powellSingular.x0, residual: powellSingular.residual },
  { name: "Wood", x0: wood.x0, residual: wood.residual },
  { name: "Kowalik-Osborne", x0: [0.25, 0.39, 0.415, 0.39], residual: kowalikOsborne },
  { name: "Brown-Dennis m=20", x0: [25, 5, -5, -1], residual: brownDennis },
  { name: "Osborne 1", x0: [0.5, 1.5, -1, 0.01, 0.02], residual: osborne1 },
  { name: "Biggs EXP6 m=13", x0: [1, 2, 1, 1, 1, 1], residual: biggs },
  { name: "Osborne 2", x0: [1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5], residual: osborne2 },
  { name: "Watson n=6", x0: ones(6, 0), residual: watson(6) },
  { name: "Watson n=9", x0: ones(9, 0), residual: watson(9) },
  { name: "Watson n=12", x0: ones(12, 0), residual: watson(12) },
  { name: "Extended Rosenbrock n=10", x0: extendedRosenbrock(10).x0, residual: extendedRosenbrock(10).residual },
  { name: "Extended Powell n=12", x0: [3, -1, 0, 1, 3, -1, 0, 1, 3, -1, 0, 1], residual: extendedPowell(12) },
  { name: "Penalty I n=4", x0: range(1, 4), residual: penalty1 },
  { name: "Penalty I n=10", x0: range(1, 10), residual: penalty1 },
  { name: "Penalty II n=4", x0: ones(4, 0.5), residual: penalty2(4) },
  { name: "Penalty II n=10", x0: ones(10, 0.5), residual: penalty2(10) },
  { name: "Variably dimensioned n=10", x0: range(1, 10).map((j) => 1 - j / 10), residual: variablyDimensioned(10) },
  { name: "Trigonometric n=10", x0: ones(10, 0.1), residual: trigonometric(10) },
  { name: "Brown almost-linear n=10", x0: ones(10, 0.5), residual: brownAlmostLinear(10) },
  { name: "Discrete boundary value n=10", x0: bvStart(10), residual: discreteBoundaryValue(10) },
  { name: "Discrete integral equation n=10", x0: bvStart(10), residual: discreteIntegral(10) },
  { name: "Broyden tridiagonal n=10", x0: ones(10, -1), residual: broydenTridiagonal(10) },
  { name: "Broyden banded n=10", x0: ones(10, -1), residual: broydenBanded(10) },
  { name: "Linear full rank n=10 m=20", x0: ones(10), residual: linearFullRank(10) },
  { name: "Linear rank 1 n=10 m=20", x0: ones(10), residual: linearRank1(10) },
  { name: "Linear rank 1 zero columns n=10 m=20", x0: ones(10), residual: linearRank1Zero(10) },
  { name: "Chebyquad n=8", x0: range(1, 8).map((j) => j / 9), residual: chebyquad(8) },
];
