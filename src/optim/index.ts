/**
 * matcalc/optim: unconstrained minimization and nonlinear least squares driven by matcalc's
 * own derivatives (gradients, Hessian-vector products, Hessians, Jacobians, JVPs/VJPs).
 * Iterates may be tensors or pytrees of tensors; the optimizers' own vector arithmetic runs on
 * flat Float64Arrays in plain JavaScript.
 * @packageDocumentation
 */
export { minimize } from "./minimize.js";
export { leastSquares } from "./least-squares.js";
export { curveFit, type CurveFitOptions } from "./curve-fit.js";
export { ggnvp, jtjvp } from "./products.js";
export type {
  Callback, CommonOptions, Evaluations, IterationState, MinimizeMethod, MinimizeOptions, MinimizeResult, Status, TensorTree,
} from "./types.js";
export type { Bounds, Constraint, ResultStatus } from "./types.js";
export type { LeastSquaresMethod, LeastSquaresOptions, LeastSquaresResult, Loss, LossFunction } from "./lsq/types.js";
