// The public op namespace (`import * as mc from "matcalc"`).
export {
  abs, add, atan, cos, div, eq, exp, expm1, ge, gt, le, log, log1p, lt, maximum, minimum, mul, ne,
  neg, pow, reciprocal, relu, sigmoid, sign, sin, softplus, sqrt, square, stopGradient, sub, tanh,
  where, zerosLike,
} from "./elementwise.js";
export { broadcastTo, max, mean, sum } from "./reduce.js";
export { concat, diag, reshape, slice, transpose, vec } from "./structure.js";
export { dot, kron, kronMatVec, matmul, outer } from "./matmul.js";
export { logSoftmax, logsumexp, norm, softmax, sumSquares, trace } from "./composite.js";
export type { NormOrd } from "../core/tensor.js";
export {
  cholesky, commutation, det, eigh, inv, logdet, slogdet, solve, triangularSolve,
  type Commutation, type TriangularSolveOptions,
} from "./linalg.js";
