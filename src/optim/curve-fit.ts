// curveFit(): fit a model y ≈ model(p, x) to data by leastSquares, as scipy's curve_fit: the
// residual (model(p, x) − y) weighted by `sigma` (standard deviations, or a covariance whose
// Cholesky factor L whitens the residual: L⁻¹(model − y)), the parameters' covariance scaled by
// s² = RSS/(m − n) unless `absoluteSigma`.
import { DTypeError, ShapeError } from "../errors.js";
import { Tensor, tensor, type TensorLike } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";
import { checkOptions } from "../options.js";
import { whitener } from "./lsq/sigma.js";
import { LEAST_SQUARES_OPTIONS, leastSquares } from "./least-squares.js";
import type { TensorTree } from "./types.js";
import type { LeastSquaresOptions, LeastSquaresResult } from "./lsq/types.js";

/** Options of {@link curveFit}: {@link leastSquares}'s, `sigma` being the uncertainty of ydata. */
export type CurveFitOptions<T = PyTree> = LeastSquaresOptions<T>;

/**
 * Fits `model(p, x)` to `ydata` (least squares, or a robust loss) starting from `p0`: the one
 * call most fits need. `p0` may be a vector or a pytree of parameters (`{ amp, rate }`);
 * `xdata` is passed to the model as given (a Tensor, or a pytree of tensors for several
 * predictors; plain number arrays become Tensors). Every option of {@link leastSquares}
 * applies (method, loss, fScale, tolerances, …), plus `sigma`.
 *
 * The result is {@link leastSquares}'s: `x` holds the fitted parameters, `covariance()` their
 * covariance (s²(JᵀJ)⁻¹ with J the weighted Jacobian; `absoluteSigma: true` drops s², for
 * sigma in the units of y), `standardErrors()` (shaped like p0), `correlation()`,
 * `residualStd`, `dof`, `parameterNames`.
 *
 * Bad input throws: ydata and the model's output of different sizes, or a sigma of the wrong
 * size (ShapeError); a sigma that is not positive, or a covariance that is not positive
 * definite (DTypeError); unknown options (OptionError).
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, type Tensor } from "matcalc";
 * import { curveFit } from "matcalc/optim";
 *
 * // y = a·exp(−k·t): fit a and k, with standard deviations 0.1 on every y.
 * const t = [0, 0.5, 1, 1.5, 2, 2.5, 3], y = [5.02, 3.04, 1.86, 1.11, 0.68, 0.41, 0.25];
 * const fit = curveFit((p: { a: Tensor; k: Tensor }, x: Tensor) => p.a.mul(x.mul(p.k).neg().exp()),
 *   t, y, { a: mc.scalar(1), k: mc.scalar(1) }, { sigma: y.map(() => 0.1), absoluteSigma: true });
 * fit.x.a.item();            // ≈ 5.0
 * fit.standardErrors().k;    // Tensor: the standard error of k
 * fit.covariance();          // 2 × 2, rows in fit.parameterNames order
 * ```
 */
export function curveFit<T extends PyTree>(
  model: (p: TensorTree<T>, x: any) => Tensor, // eslint-disable-line @typescript-eslint/no-explicit-any
  xdata: unknown,
  ydata: Tensor | readonly number[],
  p0: T,
  options: CurveFitOptions<TensorTree<T>> = {},
): LeastSquaresResult<TensorTree<T>> {
  const op = "curveFit";
  if (typeof model !== "function") throw new DTypeError(op, `model must be a function, got ${model === null ? "null" : typeof model}`);
  checkOptions(op, options, LEAST_SQUARES_OPTIONS);
  const { sigma, ...lsOptions } = options;
  const x = Array.isArray(xdata) ? tensor(xdata as TensorLike) : xdata;
  const yT = ydata instanceof Tensor ? ydata : tensor(ydata as TensorLike);
  const y = yT.data.slice();
  const m = y.length;
  const yv = new Tensor([m], y);
  const weigh = sigma === undefined ? null : whitener(sigma, m, op);
  const userModel = model as unknown as (p: unknown, x: unknown) => unknown;
  const residual = (p: unknown): Tensor => {
    const f = userModel(p, x);
    if (!(f instanceof Tensor)) throw new DTypeError(op, "the model must return a Tensor computed from p with matcalc ops");
    if (f.size !== m) throw new ShapeError(op, `the model returned ${f.size} values for ${m} data points`, [f.shape, [m]]);
    const d = (f.shape.length === 1 ? f : f.reshape([m])).sub(yv);
    return weigh ? weigh([d])[0]! : d;
  };
  // Through an untyped call: leastSquares' generic parameter is p0's type, already checked here.
  const run = leastSquares as unknown as (r: (p: unknown) => Tensor, x0: unknown, o: object) => LeastSquaresResult<TensorTree<T>>;
  return run(residual, p0, lsOptions);
}
