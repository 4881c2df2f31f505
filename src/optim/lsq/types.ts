// Public option and result types of leastSquares and curveFit.
import type { Tensor } from "../../core/tensor.js";
import type { PyTree } from "../../core/pytree.js";
import type { CommonOptions, Evaluations, MinimizeResult } from "../types.js";

/** Algorithms of {@link leastSquares}. */
export type LeastSquaresMethod = "lm" | "gauss-newton";

/**
 * A robust loss ρ(z) of z = (rᵢ / fScale)², as scipy's `least_squares(loss=…)` and Ceres's
 * `LossFunction`. The cost is ½ Σ fScale²·ρ(rᵢ² / fScale²):
 *
 * | loss        | ρ(z)                                  |
 * |-------------|---------------------------------------|
 * | `'linear'`  | z (ordinary least squares)            |
 * | `'soft_l1'` | 2(√(1 + z) − 1)                       |
 * | `'huber'`   | z if z ≤ 1, else 2√z − 1              |
 * | `'cauchy'`  | log(1 + z)                            |
 * | `'arctan'`  | atan(z)                               |
 * | `'tukey'`   | (1 − (1 − z)³)/3 if z ≤ 1, else 1/3 (Tukey's biweight: ρ′ = (1 − z)²) |
 *
 * or a {@link LossFunction}.
 */
export type Loss = "linear" | "soft_l1" | "huber" | "cauchy" | "arctan" | "tukey" | LossFunction;

/**
 * A user loss: given z ≥ 0 returns [ρ(z), ρ′(z), ρ″(z)]. ρ must be increasing (ρ′ > 0 near
 * 0 for a well-posed fit) with ρ(0) = 0 and ρ′(0) = 1 for fScale to keep its meaning.
 */
export type LossFunction = (z: number) => readonly [number, number, number];

/** Options of {@link leastSquares}. */
export interface LeastSquaresOptions<T = PyTree> extends CommonOptions<T> {
  /** Default `'lm'`. */
  method?: LeastSquaresMethod;
  /**
   * First-order test, as MINPACK's gtol: stop when the cosine of the angle between r and
   * every column of J, |Jⱼᵀr| / (‖Jⱼ‖ ‖r‖), is at most gradTol (default 1.49e-8 = √ε). It does
   * not depend on the scale of r or x. Matrix-free: |Jⱼᵀr| / (ℓⱼ‖r‖) with lower bounds ℓⱼ ≤ ‖Jⱼ‖
   * from CG's products (an upper bound of the cosine).
   */
  gradTol?: number;
  /**
   * As MINPACK's xtol: stop when the trust radius (the step, for Gauss–Newton) is at most
   * stepTol·‖D x‖, D the variable scaling (default 1.49e-8 = √ε).
   */
  stepTol?: number;
  /**
   * As MINPACK's ftol: stop when the actual and the predicted relative reductions of the cost
   * in a step are both at most valueTol (default 1e-12: ftol bounds the relative error of the
   * cost, which leaves about √ftol in x; MINPACK's √ε stops early on ill-conditioned fits).
   */
  valueTol?: number;
  /**
   * Form the Jacobian (`false`), or work matrix-free with JVPs/VJPs and CG on JᵀJ (`true`).
   * Default `'auto'`: matrix-free when there are more than 1000 parameters or the Jacobian
   * would have more than 4·10⁶ entries.
   */
  matrixFree?: boolean | "auto";
  /** Return the Jacobian at the solution in `result.jacobian` (m × n, numerator layout). */
  returnJacobian?: boolean;
  /**
   * LM variable scaling D (positive, with x0's structure). Default: Moré's adaptive scaling,
   * the running maximum of the Jacobian's column norms.
   */
  diag?: PyTree;
  /** LM: initial trust radius is `initialStepBound · ‖D x0‖` (or the bound itself if 0); default 100. */
  initialStepBound?: number;
  /** Matrix-free: CG iterations per outer iteration (default max(20, min(2n, 500))). */
  cgMaxIterations?: number;
  /**
   * A robust loss (see {@link Loss}; default `'linear'`): the cost becomes ½ Σ C²ρ(rᵢ²/C²)
   * with C = `fScale`, so residuals much larger than C weigh less than in least squares.
   */
  loss?: Loss;
  /** The soft margin C between inlier and outlier residuals of a robust loss (default 1). */
  fScale?: number;
  /**
   * Box bounds lower ≤ x ≤ upper: each a number (for every parameter) or a tree with x0's
   * structure; ±Infinity for no bound. x0 must satisfy them. Solved by projected LM: the
   * variables at a bound whose gradient points out of the box are held there, the LM step is
   * taken in the others and the trial point projected onto the box (`method: 'lm'`, dense).
   */
  bounds?: { lower?: number | PyTree; upper?: number | PyTree };
  /**
   * Uncertainty of the residual's entries (flat order: each leaf's vec, leaves in order): m
   * standard deviations (entry i is divided by σᵢ), or an m × m covariance Σ = LLᵀ (the
   * residual is whitened: L⁻¹r). The run, `residual`, `cost` and the statistics are then
   * those of the weighted residual, as in scipy's `curve_fit`. Default: unweighted.
   */
  sigma?: Tensor | readonly number[] | readonly (readonly number[])[];
  /**
   * The weighted residuals have unit variance (sigma in the units of r, or residuals already
   * scaled by known standard deviations): `covariance()` is (JᵀJ)⁻¹ itself, not scaled by
   * s² = 2·cost/(m − n) (scipy's `absolute_sigma`). Default false.
   */
  absoluteSigma?: boolean;
}

/** Result of {@link leastSquares}: {@link MinimizeResult} fields with `value` = cost. */
export interface LeastSquaresResult<T = PyTree> extends MinimizeResult<T> {
  /**
   * True when one of MINPACK's scale-invariant tests stopped the run: `gradTol` (r orthogonal
   * to J's columns), `valueTol` or `stepTol` (relative, see the options). `'stalled'`,
   * `'lineSearchFailed'` and the budgets are not convergence.
   */
  converged: boolean;
  /** r(x), as the residual function returned it. */
  residual: PyTree;
  /** ½‖r(x)‖², or ½ Σ C²ρ(rᵢ²/C²) with a robust loss (equal to `value`). */
  cost: number;
  /** J(x) (m × n, numerator layout) when `returnJacobian` was set. */
  jacobian?: Tensor;
  /**
   * With `bounds`: for each flat parameter (in `parameterNames` order), −1 if it ends at its
   * lower bound, 1 at its upper bound, 0 inside (scipy's `active_mask`).
   */
  activeMask?: number[];
  /** Names of the flat parameters, in the order of covariance's rows (`"amp"`, `"w[1]"`, `"[0]"`). */
  parameterNames: string[];
  /** Degrees of freedom m − n. */
  dof: number;
  /** The residual standard deviation s = √(2·cost / (m − n)) (NaN when m ≤ n). */
  residualStd: number;
  /**
   * Covariance of the parameters (n × n, rows and columns in `parameterNames` order):
   * s²·(JᵀJ)⁻¹ at the solution (or (JᵀJ)⁻¹ with `absoluteSigma`), from an SVD of J. When J
   * is rank-deficient (singular values below max(m, n)·ε·σ₁) it is the pseudo-inverse and
   * `rank()` says so. The matrix-free path forms J here, once.
   */
  covariance(): Tensor;
  /** Standard errors √diag(covariance), with x's structure. */
  standardErrors(): T;
  /** The correlation matrix covᵢⱼ / √(covᵢᵢ covⱼⱼ) (n × n). */
  correlation(): Tensor;
  /** The numerical rank of J at the solution. */
  rank(): number;
  /**
   * Work done, with the Jacobian, JVP and VJP counts of leastSquares. Dense path: `grad`
   * ≤ `jacobian` (one Jᵀr per finite Jacobian; a trial Jacobian that is not finite rejects
   * the step), `jvp` = `vjp` = `hvp` = 0. Matrix-free path: `jvp` = `hvp` (+ n when n ≤ 100:
   * J's column norms at x0, which scale the variables) and `vjp` = `grad` + `hvp`; `jacobian`
   * is 0, or 1 with `returnJacobian`.
   */
  evaluations: Evaluations & {
    /** Dense Jacobians formed (x0, the trial points of successful steps, `returnJacobian`). */
    jacobian: number;
    /** J·v products (matrix-free path): one per JᵀJ·v product, and n at x0 when n ≤ 100. */
    jvp: number;
    /** Jᵀ·u products (matrix-free path): the gradients Jᵀr and one per JᵀJ·v product. */
    vjp: number;
  };
}
