// What every leastSquares method shares: the run state, the stopping tolerances with
// MINPACK's meaning, and the dense helpers (JᵀJ, column norms, the gradient cosine).
import { Tensor, scoped } from "../../core/tensor.js";
// Through the ops index, which also registers the Tensor methods user code calls.
import { matmul, transpose } from "../../ops/index.js";
import type { Run } from "../driver.js";
import type { Status } from "../types.js";
import { dot, norm2 } from "../vec.js";
import type { VecSource } from "../workspace.js";
import { scaleRows, type LossModel } from "./loss.js";
import type { Residual } from "./residual.js";

/** Machine epsilon: tolerances below it cannot be met; MINPACK then reports a stall. */
export const EPS = Number.EPSILON;

/**
 * Stopping tolerances as MINPACK's lmder defines them (Moré, Garbow & Hillstrom, MINPACK
 * User Guide, ANL-80-74, §2.3), all scale-invariant:
 * - `ftol` (valueTol): the actual and the predicted relative reductions of ‖r‖² are both at
 *   most ftol (the relative error in the sum of squares is then at most about ftol);
 * - `xtol` (stepTol): the trust radius (or the step) is at most xtol·‖D x‖ (relative error
 *   in the scaled x);
 * - `gtol` (gradTol): the cosine of the angle between r and every column of J,
 *   |Jⱼᵀr| / (‖Jⱼ‖ ‖r‖), is at most gtol (r is orthogonal to J's range: first-order optimality
 *   in a form that does not depend on the scale of r or of x).
 */
export interface Tolerances {
  ftol: number;
  xtol: number;
  gtol: number;
}

export interface LsState {
  res: Residual;
  run: Run;
  m: number;
  n: number;
  tol: Tolerances;
  diag: Float64Array | null;
  factor: number;
  cgMax: number;
  /** ‖r(x0)‖. */
  rnorm0: number;
  /** Box bounds (flat, ±Infinity where absent), or null. */
  bounds: { lower: Float64Array; upper: Float64Array } | null;
  /** The robust loss (ordinary least squares when not robust). */
  loss: LossModel;
  /**
   * Residual at run.x (as r returns it) and the Jacobian there (rows scaled for the loss: J̃),
   * kept current by the methods; rt is the rescaled residual r̃ and sc the row scales (dense
   * path with a robust loss).
   */
  r: Float64Array;
  J: Float64Array | null;
  rt: Float64Array;
  sc: Float64Array;
  /** Where the matrix-free methods' vectors come from (the run's workspace). */
  ws: VecSource;
}

/** A method of leastSquares. */
export type LsMethod = (s: LsState) => Status;

/** JᵀJ (n×n) for a column-major m×n J (the gradient Jᵀr is Residual.gradient). */
export function normalMatrix(J: Float64Array, m: number, n: number, A: Float64Array): void {
  if (m * n * n > 2e6) {
    // Large: one GEMM in the kernels.
    const Jt = new Tensor([m, n], J);
    const JtJ = scoped(() => matmul(transpose(Jt), Jt));
    A.set(JtJ.data);
    return;
  }
  for (let a = 0; a < n; a++) {
    const ca = J.subarray(a * m, (a + 1) * m);
    for (let b = 0; b <= a; b++) {
      const v = dot(ca, J.subarray(b * m, (b + 1) * m));
      A[a * n + b] = v;
      A[b * n + a] = v;
    }
  }
}

export function colNorms(J: Float64Array, m: number, n: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) out[j] = norm2(J.subarray(j * m, (j + 1) * m));
}

/**
 * MINPACK's gnorm: max over columns of |Jⱼᵀr| / (‖Jⱼ‖ ‖r‖) from g = Jᵀr and the column norms
 * (zero columns skipped); 0 when r = 0.
 */
export function gradientCosine(g: Float64Array, colNorm: Float64Array, rnorm: number): number {
  if (rnorm === 0) return 0;
  let c = 0;
  for (let j = 0; j < g.length; j++) {
    const cn = colNorm[j]!;
    if (cn > 0) c = Math.max(c, Math.abs(g[j]! / (cn * rnorm)));
  }
  return c;
}

/**
 * J is zero to working precision while r is not (every column norm 0, e.g. where the model
 * underflowed): the cosine test is vacuous there (MINPACK skips zero columns and would report
 * convergence), and the point is a plateau, not a minimizer: the methods report 'stalled'.
 */
export function jacobianVanished(colNorm: Float64Array, rnorm: number): boolean {
  return rnorm > 0 && colNorm.every((c) => c === 0);
}

/**
 * lmder's ftol and xtol tests hold on a plateau too: where r approaches its infimum only as
 * some parameter runs off to infinity (BoxBOD from b = (1, 1): b2 → ∞, exp(−b2·x) underflows,
 * J's second column is ~1e-45), λ grows, the damped model predicts no reduction and the
 * radius shrinks, while r keeps a large component along that column (cosine 0.64). A point
 * that passed one of those tests is reported as converged only if the cosine test holds
 * loosely: max cosine ≤ max(1e-4, gtol), the predicted relative reduction of a full
 * Gauss–Newton step being at least the squared cosine. Residuals at rounding level
 * (‖r‖ ≤ √ε‖r(x0)‖, zero-residual problems) are exempt: their direction is noise.
 */
export function plateau(g: Float64Array, colNorm: Float64Array, rnorm: number, rnorm0: number, gtol: number): boolean {
  if (rnorm <= Math.sqrt(EPS) * rnorm0) return false;
  return gradientCosine(g, colNorm, rnorm) > Math.max(1e-4, gtol);
}

/**
 * A zero-residual problem solved to working precision: ‖r‖ ≤ ε‖r(x0)‖. lmder has no test for
 * it (its ftol and xtol are relative to the step, which stays large when convergence is only
 * linear, as on a singular zero-residual problem); the relative error of the cost, whose
 * minimum is ≥ 0, is then below ε² of where it started. Reported as valueTol.
 */
export function residualVanished(rnorm: number, rnorm0: number): boolean {
  return rnorm <= EPS * rnorm0;
}

/** √(2·cost): the ‖r‖ of lmder's relative reductions (‖r‖ itself without a loss). */
export function costNorm(s: LsState, r: Float64Array, cost: number): number {
  return s.loss.robust ? Math.sqrt(2 * cost) : norm2(r);
}

/** Rescales r and J for the loss at an accepted point (J in place; s.rt = r̃). */
export function weighDense(s: LsState, r: Float64Array, J: Float64Array): void {
  if (!s.loss.robust) {
    s.rt = r;
    return;
  }
  s.rt = new Float64Array(r.length);
  s.loss.weigh(r, s.rt, s.sc);
  scaleRows(J, s.m, s.n, s.sc);
}

/**
 * Takes an accepted point's residual r and Jacobian J as the state's (weighed for the loss)
 * and derives from them what both dense methods keep: JᵀJ in A, the gradient in g and J's
 * column norms in cn.
 */
export function acceptDense(s: LsState, r: Float64Array, J: Float64Array, A: Float64Array, g: Float64Array, cn: Float64Array): void {
  s.J = J;
  s.r = r;
  weighDense(s, r, J);
  normalMatrix(J, s.m, s.n, A);
  s.res.gradient(J, s.rt, g);
  colNorms(J, s.m, s.n, cn);
}

/** ‖D v‖₂. */
export function scaledNorm(D: Float64Array, v: Float64Array): number {
  let t = 0;
  for (let j = 0; j < v.length; j++) t += (D[j]! * v[j]!) ** 2;
  return Math.sqrt(t);
}
