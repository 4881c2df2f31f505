/**
 * matcalc: matrix calculus for JavaScript. Tensors are float64 and column-major; gradients,
 * Jacobians, Hessians and HVPs come from automatic differentiation over WebAssembly kernels.
 * @packageDocumentation
 */
export { init, simdSupported, usingSimd, type InitOptions } from "./wasm/module.js";
export * from "./errors.js";
export {
  Tensor, tensor, matrix, vector, scalar, zeros, ones, full, eye, randn,
  type NestedArray, type TensorLike,
} from "./tensor.js";
export * from "./ops/index.js";
export {
  grad, valueAndGrad, jvp, vjp, linearize, jacobian, hessian, hvp,
  type GradOptions, type JacobianOptions, type HessianOptions, type HvpOptions,
} from "./ad/transforms.js";
export type { PyTree } from "./ad/pytree.js";
export {
  treeMap, treeLeaves, treeFlatten, treeUnflatten, ravelPytree, PyTreeDef,
  type MapTree, type TreeLeaf,
} from "./ad/tree-util.js";
export { vmap, type VmapOptions } from "./ad/batching.js";
export { jit, type JitOptions } from "./ad/jit.js";
export {
  checkGrad, checkJacobian, checkHessian, checkGrads,
  type CheckOptions, type CheckReport, type CheckGradsOptions,
} from "./ad/check.js";
