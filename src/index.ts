/**
 * matcalc: matrix calculus for JavaScript. Tensors are float64 and column-major; gradients,
 * Jacobians, Hessians and HVPs come from automatic differentiation over WebAssembly kernels.
 * @packageDocumentation
 */
export {
  init, simdSupported, relaxedSimdSupported, usingSimd, kernelBuild, type InitOptions, type KernelBuild,
} from "./wasm/module.js";
export * from "./errors.js";
export {
  Tensor, tensor, matrix, vector, scalar, zeros, ones, full, eye, randn,
  type NestedArray, type TensorLike, type TensorOptions,
} from "./tensor.js";
export type { TensorJSON, JSONEntries } from "./format.js";
export * from "./ops/index.js";
export {
  grad, valueAndGrad, jvp, vjp, linearize, jacobian, hessian, hvp,
  type GradOptions, type JacobianOptions, type HessianOptions, type HvpOptions,
} from "./ad/transforms.js";
export type { PyTree } from "./ad/pytree.js";
export type { Argnums, ArgsOf, AllGradsOf, GradsOf, TensorPyTree, TensorsOf, TreeArg, TreeArgs } from "./ad/types.js";
export { vmap, type VmapOptions } from "./ad/batching.js";
export { jit, type JitOptions } from "./ad/jit.js";
export {
  checkGrad, checkJacobian, checkHessian, checkGrads,
  type CheckOptions, type CheckReport, type CheckGradsOptions,
} from "./ad/check.js";
