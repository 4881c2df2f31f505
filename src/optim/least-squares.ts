// leastSquares(): minimize ½‖r(x)‖² for a residual r: Rⁿ → Rᵐ (x and r may be pytrees;
// both are taken through vec, leaves concatenated, as matcalc's jacobian does). Option
// checking, the evaluation at x0, dispatch to a method (lsq/), the result.
//
// Dense path (J formed by AD, `jacobian(r, { mode: 'auto' })`): 'lm' (lsq/lm.ts, MINPACK's
// lmder) and 'gauss-newton' (lsq/gauss-newton.ts). Matrix-free path (large n; J·v and Jᵀ·u,
// CG on JᵀJ): lsq/matrix-free.ts. Every method stops with lmder's scale-invariant tests
// (lsq/state.ts, Tolerances).
import { DTypeError, NotDifferentiableError, OptionError } from "../errors.js";
import { flatten } from "../core/pytree.js";
import { tracedMinimize } from "./traced.js";
import { Tensor } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";
import { any, bool, checkOptions, either, fn, nonNegative, nonNegativeInt, oneOf, positiveInt, signal, type OptionSpec } from "../options.js";
import { Layout, assertFiniteVec } from "./flat.js";
import { StopRun } from "./objective.js";
import { MESSAGES, Run, type Limits } from "./driver.js";
import { commonLimits, numOpt } from "./minimize.js";
import { Session } from "./session.js";
import type { CommonOptions, Status, TensorTree } from "./types.js";
import { allFinite, norm2 } from "./vec.js";
import { Workspace, vectorFloats } from "./workspace.js";
import { cgFloats } from "./cg.js";
import { Residual } from "./lsq/residual.js";
import { lmDense } from "./lsq/lm.js";
import { gaussNewtonDense } from "./lsq/gauss-newton.js";
import { gaussNewtonMatrixFree, lmMatrixFree } from "./lsq/matrix-free.js";
import { colNorms, costNorm, plateau, type LsMethod, type LsState, type Tolerances } from "./lsq/state.js";
import { LossModel, scaleRows } from "./lsq/loss.js";
import { inverseNormal, parameterNames } from "./lsq/stats.js";
import type { LeastSquaresOptions, LeastSquaresResult } from "./lsq/types.js";
import { weightedResidual, type Sigma } from "./lsq/sigma.js";

/** MINPACK's and scipy's default tolerance: √ε (gradTol, stepTol). */
export const DEFAULT_TOL = Math.sqrt(Number.EPSILON);
/**
 * Default valueTol (ftol). ftol bounds the relative error of ‖r‖², which leaves about √ftol
 * of relative error in x where the problem is ill-conditioned: at √ε, lm stops with 5–6
 * certified digits on 10 of the NIST StRD entries; at 1e-12 with ≥ 6 wherever 1e-15 does.
 */
export const DEFAULT_VALUE_TOL = 1e-12;

/** The statuses of leastSquares that are convergence (lmder's info 1–4). */
export const LS_CONVERGED: ReadonlySet<Status> = new Set<Status>(["gradTol", "stepTol", "valueTol"]);

/** leastSquares' messages: its three tolerances are lmder's convergence tests. */
const LS_MESSAGES: Record<Status, string> = {
  ...MESSAGES,
  gradTol: "converged: r is orthogonal to J's columns (cosine ≤ gradTol)",
  stepTol: "converged: relative step below stepTol",
  valueTol: "converged: relative reduction of the cost below valueTol",
};

const positive = (v: unknown): string | undefined => (typeof v === "number" && v > 0 && Number.isFinite(v) ? undefined : "a finite number > 0");

/** Every option of leastSquares. @internal */
export const LEAST_SQUARES_OPTIONS: OptionSpec = {
  method: oneOf("lm", "gauss-newton"),
  matrixFree: either(bool, oneOf("auto")),
  returnJacobian: bool,
  diag: any,
  initialStepBound: positive,
  cgMaxIterations: positiveInt(true),
  gradTol: nonNegative,
  stepTol: nonNegative,
  valueTol: nonNegative,
  maxIterations: nonNegativeInt(true),
  maxEvaluations: positiveInt(true),
  timeLimit: nonNegative,
  callback: fn,
  signal,
  jit: bool,
  absoluteSigma: bool,
  sigma: any,
  loss: either(oneOf("linear", "soft_l1", "huber", "cauchy", "arctan", "tukey"), fn),
  fScale: positive,
  bounds: (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? undefined : "an object { lower, upper }"),
};

const METHODS: Record<"lm" | "gauss-newton", { dense: LsMethod; matrixFree: LsMethod }> = {
  lm: { dense: lmDense, matrixFree: lmMatrixFree },
  "gauss-newton": { dense: gaussNewtonDense, matrixFree: gaussNewtonMatrixFree },
};

/** Reads `bounds` into flat vectors (±Infinity where absent) and checks x0 against them. */
function readBounds(op: string, b: { lower?: unknown; upper?: unknown }, layout: Layout, x0: Float64Array): { lower: Float64Array; upper: Float64Array } {
  checkOptions(`${op} (option bounds)`, b, { lower: any, upper: any });
  const n = layout.n;
  const read = (v: unknown, fill: number, what: string): Float64Array => {
    if (v === undefined) return new Float64Array(n).fill(fill);
    if (typeof v === "number") {
      if (Number.isNaN(v)) throw new DTypeError(op, `option bounds.${what} is NaN`);
      return new Float64Array(n).fill(v);
    }
    return layout.readMatching(v, op, `option bounds.${what}`);
  };
  const lower = read(b.lower, -Infinity, "lower"), upper = read(b.upper, Infinity, "upper");
  for (let j = 0; j < n; j++) {
    if (!(lower[j]! < upper[j]!)) throw new DTypeError(op, `bounds need lower < upper, got ${lower[j]} and ${upper[j]} at flat index ${j}`);
    if (!(x0[j]! >= lower[j]! && x0[j]! <= upper[j]!)) throw new DTypeError(op, `x0 is outside the bounds at flat index ${j}: ${x0[j]} not in [${lower[j]}, ${upper[j]}]`);
  }
  return { lower, upper };
}

/**
 * Nonlinear least squares: minimizes ½‖r(x)‖² over x (a tensor or a pytree of tensors) for
 * a residual function r returning a tensor (any shape) or a pytree of tensors, with the
 * Jacobian from matcalc's autodiff.
 *
 * - `method: 'lm'` (default): Levenberg–Marquardt with Moré's scaling and trust-region
 *   update of λ (Moré 1978, as in MINPACK's lmder).
 * - `method: 'gauss-newton'`: Gauss–Newton steps with an Armijo line search.
 * - `matrixFree` (default `'auto'`: when n > 1000 or m·n > 4·10⁶): never forms J; uses
 *   J·v (forward mode) and Jᵀ·u (reverse mode) with CG on JᵀJ. `lm` becomes a Steihaug-CG
 *   trust region on the Gauss–Newton model (unscaled).
 *
 * Stopping is MINPACK lmder's, scale-invariant: `gradTol` on the cosine between r and J's
 * columns (default √ε ≈ 1.49e-8, as MINPACK and scipy), `stepTol` on the step relative to the
 * scaled x (√ε), `valueTol` on the relative reduction of the cost, actual and predicted
 * (1e-12: see {@link LeastSquaresOptions.valueTol}); a zero-residual problem also stops when
 * ‖r‖ ≤ ε‖r(x0)‖ (`valueTol`). `converged` is true only for those (`status` says which); a run
 * that can make no further progress at working precision without meeting them ends
 * `'stalled'`.
 *
 * `sigma` weights the residual by the data's uncertainties (m standard deviations, or an
 * m × m covariance that whitens it), as scipy's `curve_fit`; `absoluteSigma` keeps the
 * covariance unscaled. The result carries the fit's statistics from J at the solution: `covariance()` (s²(JᵀJ)⁻¹
 * by an SVD of J, pseudo-inverse when J is rank-deficient), `standardErrors()` (shaped like
 * x), `correlation()`, `rank()`, `residualStd`, `dof` and `parameterNames`.
 *
 * Returns {@link minimize}'s fields (`value` is the cost, `grad` is Jᵀr) plus `residual`,
 * `cost` = ½‖r‖², and `jacobian` when `returnJacobian` is set. The callback and the
 * AbortSignal work as in {@link minimize}.
 *
 * Inside grad/jvp/vjp/jacobian, `res.x` is differentiable with respect to the traced values the
 * residual closes over, as in {@link minimize}: the implicit function theorem on the cost ½‖r‖²
 * with its exact Hessian (JᵀJ + Σ rᵢ∇²rᵢ; Gauss–Newton's JᵀJ alone is exact only at zero
 * residual), over the free variables when bounds are active. A robust `loss`, a run that did
 * not converge or a singular Hessian raise NotDifferentiableError.
 *
 * Bad input throws: a non-finite x0, r(x0) or J(x0) (DTypeError), a residual that returns
 * something other than tensors (DTypeError) or no entries (ShapeError), a `diag` whose
 * structure differs from x0's (ShapeError) or that is not positive (DTypeError), an unknown
 * option or a bad option value (OptionError).
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, type Tensor } from "matcalc";
 * import { leastSquares } from "matcalc/optim";
 *
 * // Fit y ≈ a·exp(−k·t) + c to data (t, y); p = [a, k, c].
 * const ts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ys = ts.map((t) => 2 * Math.exp(-0.5 * t) + 1);
 * const t = vector(ts), y = vector(ys);
 * const model = (p: Tensor) =>
 *   mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1]).neg()).exp()).add(mc.slice(p, [2], [1]));
 * const res = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), {
 *   method: "lm",
 *   returnJacobian: true,
 * });
 * res.x.toArray();   // [a, k, c] ≈ [2, 0.5, 1]
 * res.converged;     // true (res.status: which of MINPACK's tests held)
 * res.cost;          // ½‖r‖² at the solution (≈ 0 here: the data are exact)
 * res.residual;      // r(x), shaped as the residual function returns it
 * res.jacobian;      // J(x), m × 3  (here [10, 3])
 *
 * // Large problems go matrix-free automatically (J·v and Jᵀu, CG on JᵀJ); or force it:
 * leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), { method: "gauss-newton", matrixFree: true });
 * ```
 */
export function leastSquares<T extends PyTree>(
  residual: (x: TensorTree<T>) => PyTree,
  x0: T,
  options: LeastSquaresOptions<TensorTree<T>> = {},
): LeastSquaresResult<TensorTree<T>> {
  const op = "leastSquares";
  if (typeof residual !== "function") throw new DTypeError(op, `residual must be a function, got ${residual === null ? "null" : typeof residual}`);
  checkOptions(op, options, LEAST_SQUARES_OPTIONS);
  const method = options.method ?? "lm";
  const mf = options.matrixFree ?? "auto";
  const { layout, vec: x0flat } = Layout.of(x0, op);
  assertFiniteVec(op, "x0", x0flat, layout);
  const n = layout.n;
  const traced = tracedMinimize({
    op, f: residual as unknown as (x: unknown) => unknown, x0, layout, x0flat, bounds: options.bounds, constraints: undefined,
    box: () => (options.bounds === undefined ? null : readBounds(op, options.bounds, layout, x0flat)),
    cost: (y) => {
      if (options.loss !== undefined && options.loss !== "linear") {
        throw new NotDifferentiableError(op, `differentiating through leastSquares with loss '${String(options.loss)}' is not supported (only the linear loss, ½‖r‖²)`);
      }
      const [leaves] = flatten(y, op);
      return leaves.map((l) => l.square().sum()).reduce((a, b) => a.add(b)).mul(0.5);
    },
    solve: (g) => leastSquares(g as unknown as typeof residual, x0, options),
  });
  if (traced !== null) return traced as LeastSquaresResult<TensorTree<T>>;
  const { limits, guard } = commonLimits(op, options as unknown as CommonOptions<never>, { maxIterations: 1000, valueTol: 0 });
  const tol: Tolerances = {
    ftol: options.valueTol ?? DEFAULT_VALUE_TOL,
    xtol: options.stepTol ?? DEFAULT_TOL,
    gtol: options.gradTol ?? DEFAULT_TOL,
  };
  let diag: Float64Array | null = null;
  if (options.diag !== undefined) {
    diag = layout.readMatching(options.diag, op, "option diag");
    for (let i = 0; i < n; i++) if (!(diag[i]! > 0 && Number.isFinite(diag[i]!))) throw new DTypeError(op, `option diag must be positive and finite, got ${diag[i]} at flat index ${i}`);
  }
  const factor = numOpt(op, options, "initialStepBound", 100, Number.MIN_VALUE);
  const bounds = options.bounds === undefined ? null : readBounds(op, options.bounds, layout, x0flat);
  if (bounds && (method !== "lm" || mf === true)) {
    throw new OptionError(op, "bounds", "bounds are supported by method 'lm' with the dense Jacobian (matrixFree: false)", Object.keys(LEAST_SQUARES_OPTIONS));
  }
  const session = new Session();
  const userR = residual as unknown as (x: unknown) => PyTree;
  const rw = options.sigma === undefined ? userR : weightedResidual(userR, options.sigma as Sigma, op);
  const res = new Residual(rw, layout, guard, session, op, options.jit ?? true);
  let ws: Workspace | null = null;
  try {
    // x0: residual, then the Jacobian (dense path).
    const r0 = res.eval(x0flat);
    const m = res.m;
    for (let i = 0; i < m; i++) {
      if (!Number.isFinite(r0[i]!)) throw new DTypeError(op, `the residual at x0 is ${r0[i]} at flat index ${i}; it must be finite`);
    }
    const matrixFree = bounds ? false : mf === "auto" ? n > 1000 || m * n > 4e6 : mf;
    const cgMax = numOpt(op, options, "cgMaxIterations", Math.max(20, Math.min(2 * n, 500)), 1, true);
    let J: Float64Array | null = null;
    // The run's x and g and the matrix-free methods' vectors (with J·v, m entries) live in a
    // workspace; the dense methods' matrices and their O(n²)–O(mn²) loops stay in JS.
    ws = Workspace.acquire(vectorFloats(3, n) + (matrixFree ? vectorFloats(6, n) + cgFloats(n, true) + vectorFloats(1, m) : 0));
    const g0 = ws.vec(n);
    // The loss: the cost, and r̃ and the row scales of J̃ (loss.ts).
    const loss = new LossModel(options.loss ?? "linear", options.fScale ?? 1, op);
    const f0 = loss.cost(r0);
    if (!Number.isFinite(f0)) throw new DTypeError(op, `the cost at x0 is ${f0}; the loss must be finite at r(x0)`);
    let rt0 = r0;
    const sc = new Float64Array(loss.robust ? m : 0);
    if (loss.robust) {
      rt0 = new Float64Array(m);
      loss.weigh(r0, rt0, sc);
    }
    if (!matrixFree) {
      J = res.jacobian(x0flat);
      if (!allFinite(J)) throw new DTypeError(op, "the Jacobian of the residual at x0 is not finite");
      if (loss.robust) scaleRows(J, m, n, sc);
      res.gradient(J, rt0, g0);
    }
    const nr0 = norm2(r0);
    guard.started = true;
    // The methods apply the tolerances themselves (lmder's semantics): the run only counts
    // iterations, calls the callback and watches the budgets.
    const runLimits: Limits = { ...limits, gradTol: -1, stepTol: -1, valueTol: 0 };
    const run = new Run(layout, guard, runLimits, x0flat, f0, g0, ws);
    run.beforeUserCode = () => session.close();
    const state: LsState = { res, run, m, n, tol, diag, factor, cgMax, rnorm0: nr0, bounds, loss, r: r0, J, rt: rt0, sc, ws };
    let status: Status;
    try {
      status = matrixFree ? METHODS[method].matrixFree(state) : METHODS[method].dense(state);
    } catch (e) {
      if (e instanceof StopRun) status = e.status;
      else throw e;
    }
    // lmder's ftol and xtol also hold on a plateau (state.ts, plateau): check the cosine at x
    // (the matrix-free methods check it themselves).
    if ((status === "valueTol" || status === "stepTol") && !matrixFree && state.J) {
      const Jx = state.J;
      const cn = new Float64Array(n), gx = run.g.slice();
      colNorms(Jx, m, n, cn);
      // Variables held at a bound (gradient pointing out of the box) do not count.
      if (bounds) for (let j = 0; j < n; j++) if ((run.x[j]! <= bounds.lower[j]! && gx[j]! > 0) || (run.x[j]! >= bounds.upper[j]! && gx[j]! < 0)) gx[j] = 0;
      if (plateau(gx, cn, costNorm(state, state.r, run.f), loss.robust ? Math.sqrt(2 * f0) : nr0, tol.gtol)) status = "stalled";
    }
    let jacobianAtX: Tensor | undefined;
    if (options.returnJacobian) {
      // Part of the result, not of the run: the run's budgets (time, AbortSignal) no longer
      // apply, so a run they stopped still returns (instead of throwing StopRun here).
      guard.started = false;
      const Jf = state.J && !matrixFree ? state.J : res.jacobian(run.x);
      jacobianAtX = new Tensor([m, n], Jf.slice());
    }
    // The statistics, from J at the solution (formed here on the matrix-free path), on first use.
    const xFinal = run.x.slice(), cost = run.f;
    const Jdense = !matrixFree && state.J ? state.J : null;
    let stats: { cov: Float64Array; se: Float64Array; corr: Float64Array; rank: number } | null = null;
    const fit = (): NonNullable<typeof stats> => {
      if (stats) return stats;
      let Jf = Jdense ?? jacobianAtX?.data;
      if (!Jf) {
        guard.started = false;
        try {
          Jf = res.jacobian(xFinal);
        } finally {
          session.close();
        }
      }
      const { cov, rank } = inverseNormal(Jf, m, n);
      const s2 = options.absoluteSigma ? 1 : m > n ? (2 * cost) / (m - n) : NaN;
      for (let i = 0; i < n * n; i++) cov[i]! *= s2;
      const se = new Float64Array(n), corr = new Float64Array(n * n);
      for (let i = 0; i < n; i++) se[i] = Math.sqrt(cov[i * n + i]!);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) corr[i * n + j] = cov[i * n + j]! / (se[i]! * se[j]!);
      return (stats = { cov, se, corr, rank });
    };
    // state.r always belongs to run.x: methods update both together on acceptance.
    const result: LeastSquaresResult<TensorTree<T>> = {
      x: layout.toTree(run.x) as unknown as TensorTree<T>,
      value: run.f,
      grad: layout.toTree(run.g) as unknown as TensorTree<T>,
      gradNorm: run.gradNorm,
      iterations: run.iterations,
      // After the Jacobian above, which counts when it is formed (matrix-free path).
      evaluations: { ...guard.counts, ...res.extra },
      converged: LS_CONVERGED.has(status),
      status,
      message: `${method}${matrixFree ? " (matrix-free)" : ""}: ${LS_MESSAGES[status]} after ${run.iterations} iteration(s); cost = ${run.f}, ‖Jᵀr‖∞ = ${run.gradNorm.toExponential(3)}`,
      residual: res.toTree(state.r),
      cost: run.f,
      parameterNames: parameterNames(layout.def),
      dof: m - n,
      residualStd: m > n ? Math.sqrt((2 * run.f) / (m - n)) : NaN,
      covariance: () => new Tensor([n, n], fit().cov.slice()),
      standardErrors: () => layout.toTree(fit().se) as unknown as TensorTree<T>,
      correlation: () => new Tensor([n, n], fit().corr.slice()),
      rank: () => fit().rank,
    };
    if (jacobianAtX) result.jacobian = jacobianAtX;
    if (bounds) result.activeMask = Array.from(run.x, (v, j) => (v <= bounds.lower[j]! ? -1 : v >= bounds.upper[j]! ? 1 : 0));
    return result;
  } finally {
    session.close();
    ws?.release();
  }
}
