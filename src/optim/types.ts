// Public option and result types of matcalc/optim.
import type { NestedArray, Tensor } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";

/**
 * The structure of a pytree with every leaf as a Tensor: what f receives and what results
 * hold (x0 = `{ w: [0, 0], b: 0 }` gives `{ w: Tensor, b: Tensor }`).
 */
export type TensorTree<T> = T extends Tensor | number | Float64Array | readonly NestedArray[]
  ? Tensor
  : { [K in keyof T]: TensorTree<T[K]> };

/** The algorithms of {@link minimize}. */
export type MinimizeMethod = "newton" | "newton-cg" | "trust-ncg" | "bfgs" | "lbfgs" | "gd" | "lbfgsb" | "tron" | "auglag";

/**
 * Box constraints lower ≤ x ≤ upper for {@link minimize}: each side a number (every entry), or
 * a tensor / pytree shaped like x0 whose leaves may also be numbers (every entry of that leaf).
 * A missing side, -Infinity or Infinity leaves the entries free on that side.
 */
export interface Bounds {
  lower?: PyTree;
  upper?: PyTree;
}

/**
 * A general constraint for {@link minimize}, as scipy states them: `'eq'` means fun(x) = 0,
 * `'ineq'` means fun(x) ≥ 0 entrywise. fun returns a tensor (any shape) computed from x with
 * matcalc ops; its Jacobian and the Lagrangian's Hessian-vector products come from autodiff.
 */
export interface Constraint<T = PyTree> {
  type: "eq" | "ineq";
  fun: (x: T) => Tensor;
}

/**
 * Why a run stopped.
 *
 * - `gradTol`: the first-order test held (`converged: true`). Second-order methods (`newton`,
 *   `newton-cg`, `trust-ncg`) also check that no direction of negative curvature is left.
 * - `stepTol`, `valueTol`: a weaker test stopped the run: the step, or the decrease of f, fell
 *   below its tolerance while the gradient test did not hold (`converged: false` in
 *   {@link minimize}; in {@link leastSquares} these are MINPACK's scale-invariant convergence
 *   tests and count as convergence).
 * - `maxIterations`, `maxEvaluations`, `timeLimit`: a budget ran out.
 * - `callback`: the callback returned `false` or `'stop'`. `aborted`: the AbortSignal fired.
 * - `lineSearchFailed`: no step along the search direction decreased f enough (often: the
 *   iterate is as good as floating point allows, or the gradient is inaccurate).
 * - `trustRegionCollapsed`: the trust region shrank to nothing without an acceptable step.
 * - `stalled`: no further progress is possible at working precision, but the convergence test
 *   did not hold (a tolerance below machine precision, or no measurable decrease left).
 * - `unbounded`: f reached −∞ (or below `-1e300`), or fell without bound along steps that kept
 *   growing with a gradient that did not shrink: the problem has no minimum.
 * - `nonFinite`: f or its derivatives became NaN/Infinity and no finite step was found.
 */
export type Status =
  | "gradTol"
  | "stepTol"
  | "valueTol"
  | "maxIterations"
  | "maxEvaluations"
  | "timeLimit"
  | "callback"
  | "aborted"
  | "lineSearchFailed"
  | "trustRegionCollapsed"
  | "stalled"
  | "unbounded"
  | "nonFinite";

/** Work done: calls of f (each `grad` also yields f), gradients, HVPs and dense Hessians. */
export interface Evaluations {
  /**
   * Evaluations of the objective (or of the residual, for leastSquares: every trial point,
   * and on the matrix-free path every point where the J·v / Jᵀu operators are built).
   */
  f: number;
  /**
   * Gradients (for leastSquares: Jᵀr products, one per point where the gradient is needed
   * — x0 and every accepted step — formed from the dense Jacobian, or by one VJP on the
   * matrix-free path).
   */
  grad: number;
  /**
   * Hessian-vector products (for leastSquares: Gauss–Newton products JᵀJ·v on the
   * matrix-free path, one JVP and one VJP each; 0 on the dense path, which forms JᵀJ).
   */
  hvp: number;
  /** Dense Hessians. */
  hessian: number;
}

/** What the callback sees after every iteration. */
export interface IterationState<T = PyTree> {
  /** Iterations completed (1 on the first call). */
  iteration: number;
  /** The current iterate, shaped like x0 (built on first access). */
  readonly x: T;
  /** The current iterate as one flat vector (pytree leaves concatenated, each vec'd): the callback's own copy. */
  readonly xFlat: Float64Array;
  /** f(x) (for leastSquares: the cost ½‖r(x)‖²). */
  value: number;
  /** ‖∇f‖∞ at x (for leastSquares: ‖Jᵀr‖∞). */
  gradNorm: number;
  /** ‖Δx‖∞ of the step just taken. */
  stepNorm: number;
  /** Work done so far. */
  evaluations: Readonly<Evaluations>;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  /** Trust-region radius (trust-ncg, lm), or the step length the line search chose. */
  radius?: number;
  /** Levenberg–Marquardt parameter λ (lm), or the shift τ added to the Hessian (newton). */
  lambda?: number;
}

/** Return `false` or `'stop'` to stop the run (status `'callback'`); anything else continues. */
export type Callback<T = PyTree> = (state: IterationState<T>) => unknown;

/** Stopping rules and hooks shared by {@link minimize} and {@link leastSquares}. */
export interface CommonOptions<T = PyTree> {
  /** Stop when ‖∇f‖∞ ≤ gradTol (default 1e-5). */
  gradTol?: number;
  /** Stop when ‖Δx‖∞ ≤ stepTol · (1 + ‖x‖∞) (default 1e-12). */
  stepTol?: number;
  /**
   * Stop when the decrease of f in one iteration is at most valueTol · max(|f|, 1)
   * (default 0: off; for leastSquares, 1e-14 relative reduction of the cost).
   */
  valueTol?: number;
  /** Default 1000 (10000 for `'gd'`). */
  maxIterations?: number;
  /** Budget of objective (or residual) evaluations. Default: unlimited. */
  maxEvaluations?: number;
  /** Wall-clock budget in milliseconds. Default: unlimited. */
  timeLimit?: number;
  /**
   * Called after every iteration; return `false` or `'stop'` to stop. The callback may use
   * matcalc freely: the run's arena session is released before each call, so tensors it
   * makes are ordinary ones (the cost: newton-cg, trust-ncg and matrix-free leastSquares
   * rebuild their HVP / J·v operators once per iteration).
   */
  callback?: Callback<T>;
  /** Stops the run (status `'aborted'`) at the next evaluation or iteration boundary. */
  signal?: AbortSignal;
  /**
   * Record the derivative computations once and replay them at every evaluation (see
   * {@link jit}; default true). Set false when the objective's control flow depends on
   * JavaScript state that changes between calls; a value-dependent branch (reading `.data` or
   * `.item()` of x's values inside f, or catching an error a factorization raises) is detected
   * and needs nothing.
   */
  jit?: boolean;
}

/** Options of {@link minimize}. */
export interface MinimizeOptions<T = PyTree> extends CommonOptions<T> {
  /**
   * Default `'lbfgs'`; `'lbfgsb'` when `bounds` are given, `'auglag'` when `constraints` are.
   * Only `'lbfgsb'`, `'tron'` and `'auglag'` accept `bounds`; only `'auglag'` accepts `constraints`.
   */
  method?: MinimizeMethod;
  /** Box constraints (methods `'lbfgsb'`, `'tron'`, `'auglag'`). x0 is projected into the box. */
  bounds?: Bounds;
  /** General equality / inequality constraints (method `'auglag'`). */
  constraints?: readonly Constraint<T>[];
  /**
   * auglag: a point is feasible when every eq constraint is within this of 0 and every ineq
   * constraint at least −constraintTol (default 1e-8). auglag's gradTol (on the KKT residual
   * ‖P(x − ∇ₓL) − x‖∞) defaults to 1e-8.
   */
  constraintTol?: number;
  /** auglag: the bound-constrained solver of the subproblems (default `'tron'`). */
  subproblemMethod?: "lbfgsb" | "tron";
  /** L-BFGS history length m (default 10). */
  history?: number;
  /** Armijo constant c₁ of the line search (default 1e-4). */
  c1?: number;
  /** Curvature constant c₂ of the strong Wolfe conditions (default 0.9). */
  c2?: number;
  /** Inner CG iterations per outer iteration for newton-cg / trust-ncg (default max(20, 2n)). */
  cgMaxIterations?: number;
  /** trust-ncg: initial radius (default 1) and largest radius (default 1000). */
  initialTrustRadius?: number;
  /** trust-ncg: largest trust radius (default 1000). */
  maxTrustRadius?: number;
  /**
   * Second-order methods: before reporting convergence, run this many Lanczos steps on the
   * Hessian from a fixed pseudo-random start to look for negative curvature (a saddle or a
   * maximum), and step along it if found. `false` or 0 turns the check off. Default 10
   * (capped at n, so exact for n ≤ 10; stops early once the smallest Ritz value is positive
   * and converged). Costs that many HVPs once per run (dense H·v for newton).
   */
  curvatureCheck?: boolean | number;
}

/**
 * {@link Status}, or for constrained runs `'infeasible'`: the constraint violation could not be
 * brought below constraintTol (the problem is probably infeasible; x is a point of least
 * violation found).
 */
export type ResultStatus = Status | "infeasible";

/** Result of {@link minimize}. */
export interface MinimizeResult<T = PyTree> {
  /** The final iterate, with x0's structure (leaves are Tensors). */
  x: T;
  /** f(x). */
  value: number;
  /** ∇f(x), with x0's structure. */
  grad: T;
  /** ‖∇f(x)‖∞. */
  gradNorm: number;
  /** Iterations completed. */
  iterations: number;
  /** Work done: objective evaluations, gradients, HVPs, dense Hessians. */
  evaluations: Evaluations;
  /** True when the first-order test (gradTol) stopped the run (for leastSquares: one of its three tests). */
  converged: boolean;
  /** Why the run stopped (see {@link Status}; `'infeasible'` only with constraints). */
  status: ResultStatus;
  /** One line a person can read: method, reason, iterations, f and ‖∇f‖∞. */
  message: string;
  /**
   * With bounds or constraints: the largest violation, max over constraints of |eq| and
   * max(0, −ineq), and of the distance outside the bounds (0 for lbfgsb / tron iterates).
   */
  constraintViolation?: number;
  /**
   * With constraints: the KKT residual ‖P(x − ∇ₓL) − x‖∞ of the Lagrangian
   * L = f − Σ λᵢ·cᵢ(x) at the reported multipliers (P: projection onto the bounds), or the
   * inequalities' complementarity (|min(cᵢ, λᵢ)|, or |λᵢ·cᵢ| for least-squares multipliers)
   * where that is larger. Absolute; a run may also converge on it relative to the size of ∇f
   * and of the λᵢ∇cᵢ (for badly scaled problems).
   */
  kktResidual?: number;
  /**
   * With constraints: one multiplier tensor per constraint, shaped like its fun's output, in
   * the convention ∇f(x) = Σ λᵢ∇cᵢ(x) (+ bound terms) at a KKT point; λ ≥ 0 for 'ineq'.
   */
  multipliers?: Tensor[];
}

// leastSquares' options and result live with it (lsq/types.ts).
