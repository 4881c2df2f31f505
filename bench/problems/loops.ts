// The loop-heavy problems of issue 19, shared by bench/suites/loops.ts and
// test/bench-problems/loops.test.ts (which checks them against finite differences and closed
// forms on shortened versions). bench/peers/loops_torch.py builds the same problems from the
// same data: every number comes from harness.ts's fillRandom (an LCG both sides reproduce
// bit for bit), so no data file is needed.
//   - LSTM: a 2-layer character LSTM (vocabulary V one-hot inputs, hidden H per layer, gates
//     in the order i, f, g, o as torch.nn.LSTM), next-character mean cross-entropy over T
//     characters; both layers advance one step at a time (two 1×n by n×4H products per cell),
//     the output layer is one GEMM over the sequence.
//   - RK4: classical Runge–Kutta on generalized Lotka–Volterra, z' = z ∘ (r + A·z), 2 species,
//     `steps` steps of h; loss ½‖z(T) − z*‖², differentiated with respect to r, A and z(0).
//   - Saddle: min_x max_y ½xᵀAx + xᵀBy − ½yᵀCy + aᵀx − bᵀy (A, C SPD), by gradient descent on x
//     whose every step first runs gradient ascent on y (warm-started) until ‖∇_y f‖ ≤ tolY, then
//     steps x along ∇_x f(x, y) (Danskin); stops when ‖∇_x f‖ ≤ tolX. Both loops stop on values,
//     so the solve cannot be jitted whole; its two gradients can.
import * as mc from "../../src/index.js";
import { matrix, slice, tensor, vector, zeros, type Tensor } from "../../src/index.js";
import { fillRandom } from "../harness.js";
import { rk4Loss } from "./ode.mjs";
import { lstmLoss } from "./lstm.mjs";

/** fillRandom's values scaled by `scale`, as a tensor of `shape`. */
function uniform(shape: number[], seed: number, scale: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = fillRandom(new Float64Array(n), seed);
  for (let i = 0; i < n; i++) d[i]! *= scale;
  return tensor(d, shape);
}

// ---------------------------------------------------------------- LSTM

export interface LstmParams {
  W1: Tensor; U1: Tensor; b1: Tensor;
  W2: Tensor; U2: Tensor; b2: Tensor;
  Wy: Tensor; by: Tensor;
  [k: string]: Tensor;
}

export interface LstmProblem {
  V: number; H: number; T: number;
  /** T+1 character codes in [0, V): inputs are the first T, targets the last T. */
  chars: Int32Array;
  /** One-hot inputs, T×V. */
  X: Tensor;
  /** One-hot targets, T×V. */
  Y: Tensor;
  params: LstmParams;
  loss: (p: LstmParams) => Tensor;
}

/**
 * Character codes: the top log2(V) bits of the LCG's state (fillRandom(seed) gives
 * s/2³¹ − 1, so floor((v + 1)·V/2) is exact in float64 for V a power of 2 up to 2³¹).
 */
export function lstmChars(T: number, V: number, seed = 101): Int32Array {
  const v = fillRandom(new Float64Array(T + 1), seed);
  return Int32Array.from(v, (x) => Math.floor(((x + 1) * V) / 2));
}

function oneHot(codes: ArrayLike<number>, V: number): Tensor {
  const d = new Float64Array(codes.length * V);
  for (let t = 0; t < codes.length; t++) d[t * V + codes[t]!] = 1;
  return tensor(d, [codes.length, V]);
}

/** Seeds 111…118 for W1, U1, b1, W2, U2, b2, Wy, by; weights in ±1/√H, biases in ±0.1. */
export function lstmParams(V: number, H: number): LstmParams {
  const s = 1 / Math.sqrt(H);
  return {
    W1: uniform([V, 4 * H], 111, s), U1: uniform([H, 4 * H], 112, s), b1: uniform([4 * H], 113, 0.1),
    W2: uniform([H, 4 * H], 114, s), U2: uniform([H, 4 * H], 115, s), b2: uniform([4 * H], 116, 0.1),
    Wy: uniform([H, V], 117, s), by: uniform([V], 118, 0.1),
  };
}

/**
 * The two layers step by step, as a stacked LSTM cell runs: each step's input projection is
 * its own 1×V by V×4H product (lstm.mjs). (Projecting the whole sequence with one GEMM and
 * slicing a row per step would make reverse mode quadratic in T: each row's cotangent is the
 * projection's size, zero but for the row, in matcalc as in torch.)
 */
export function lstmProblem(T = 1024, V = 64, H = 64): LstmProblem {
  const chars = lstmChars(T, V);
  const X = oneHot(chars.subarray(0, T), V);
  const Y = oneHot(chars.subarray(1), V);
  const xs = Array.from({ length: T }, (_, t) => slice(X, [t, 0], [1, V]));
  const loss = lstmLoss(mc, xs, Y, H) as (p: LstmParams) => Tensor;
  return { V, H, T, chars, X, Y, params: lstmParams(V, H), loss };
}

// ---------------------------------------------------------------- RK4

export interface OdeParams {
  r: Tensor; A: Tensor; z0: Tensor;
  [k: string]: Tensor;
}

export interface OdeProblem {
  steps: number;
  /** Step length: the integration runs over [0, steps·h]. */
  h: number;
  params: OdeParams;
  target: Tensor;
  loss: (p: OdeParams) => Tensor;
}

/**
 * Lotka–Volterra with α = 2/3, β = 4/3, γ = δ = 1 (r = [α, −γ], A = [[0, −β], [δ, 0]]) from
 * z(0) = [1, 1], h = 10⁻³, so `steps` = 10 000 integrates over [0, 10] (about 1.6 periods).
 */
export function odeProblem(steps = 10_000, h = 1e-3): OdeProblem {
  const params: OdeParams = { r: vector([2 / 3, -1]), A: matrix([[0, -4 / 3], [1, 0]]), z0: vector([1, 1]) };
  const target = vector([1, 0.5]);
  const loss = rk4Loss(steps, h, target) as (p: OdeParams) => Tensor;
  return { steps, h, params, target, loss };
}

// ---------------------------------------------------------------- saddle

export interface SaddleProblem {
  n: number;
  A: Tensor; B: Tensor; C: Tensor; a: Tensor; b: Tensor;
  f: (x: Tensor, y: Tensor) => Tensor;
  /** Step lengths: 1/λmax of C (ascent in y) and of A + B·C⁻¹·Bᵀ (descent in x). */
  etaY: number; etaX: number;
  tolY: number; tolX: number;
  /** The closed form: (A + B·C⁻¹·Bᵀ)·x* = B·C⁻¹·b − a, y* = C⁻¹·(Bᵀx* − b). */
  exact: () => { x: Tensor; y: Tensor };
}

export interface SaddleResult {
  x: Tensor; y: Tensor;
  outer: number;
  /** Inner ascent steps over the whole solve. */
  inner: number;
}

/**
 * n = m; A = I + GᵀG/(2n), C = I + KᵀK/(2n), B entries in ±1/√n, a and b in ±1 (seeds
 * 121…125); fixed steps 1/λmax(C) for y and 1/λmax(A + B·C⁻¹·Bᵀ) for x (the Lipschitz
 * constants of the two gradients), so both loops contract geometrically.
 */
export function saddleProblem(n = 10, tolY = 1e-10, tolX = 1e-8): SaddleProblem {
  const G = uniform([n, n], 121, 1), K = uniform([n, n], 122, 1);
  const I = mc.eye(n);
  const A = I.add(G.T.matmul(G).mul(1 / (2 * n)));
  const C = I.add(K.T.matmul(K).mul(1 / (2 * n)));
  const B = uniform([n, n], 123, 1 / Math.sqrt(n));
  const a = uniform([n], 124, 1), b = uniform([n], 125, 1);
  const f = (x: Tensor, y: Tensor): Tensor =>
    x.dot(A.matmul(x)).mul(0.5).add(x.dot(B.matmul(y))).sub(y.dot(C.matmul(y)).mul(0.5)).add(a.dot(x)).sub(b.dot(y));
  const S = A.add(B.matmul(mc.solve(C, B.T)));
  const lmax = (M: Tensor) => Math.max(...mc.eigh(M)[0].toArray() as number[]);
  const exact = () => {
    const x = mc.solve(S, B.matmul(mc.solve(C, b)).sub(a));
    return { x, y: mc.solve(C, B.T.matmul(x).sub(b)) };
  };
  return { n, A, B, C, a, b, f, etaY: 1 / lmax(C), etaX: 1 / lmax(S), tolY, tolX, exact };
}

/** The gradients a solve uses: ∇_y f and ∇_x f at (x, y). */
export interface SaddleGrads {
  gy: (x: Tensor, y: Tensor) => Tensor;
  gx: (x: Tensor, y: Tensor) => Tensor;
}

export function saddleGrads(p: SaddleProblem): SaddleGrads {
  return { gy: mc.grad(p.f, { argnums: 1 }), gx: mc.grad(p.f, { argnums: 0 }) };
}

/** The nested solve (see the file's head); throws when either loop exceeds its budget. */
export function saddleSolve(p: SaddleProblem, g: SaddleGrads, maxOuter = 10_000, maxInner = 10_000): SaddleResult {
  let x: Tensor = zeros([p.n]);
  let y: Tensor = zeros([p.n]);
  let inner = 0;
  for (let outer = 0; outer < maxOuter; outer++) {
    for (let k = 0; ; k++) {
      const dy = g.gy(x, y);
      if (dy.norm().item() <= p.tolY) break;
      if (k === maxInner) throw new Error("saddle: inner ascent did not converge");
      y = y.add(dy.mul(p.etaY));
      inner++;
    }
    const dx = g.gx(x, y);
    if (dx.norm().item() <= p.tolX) return { x, y, outer, inner };
    x = x.sub(dx.mul(p.etaX));
  }
  throw new Error("saddle: outer descent did not converge");
}
