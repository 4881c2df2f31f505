/**
 * matcalc: matrix calculus for JavaScript. Tensors are float64 and column-major; gradients,
 * Jacobians, Hessians and HVPs come from automatic differentiation over WebAssembly kernels.
 * @packageDocumentation
 */
export {
  init, simdSupported, relaxedSimdSupported, usingSimd, kernelBuild, setThreads, threadCount,
  MAX_THREADS, MAX_AUTO_THREADS, type InitOptions, type KernelBuild,
} from "./wasm/module.js";
export * from "./errors.js";
export {
  Tensor, tensor, matrix, vector, scalar, zeros, ones, full, eye, randn,
  type NestedArray, type TensorLike, type TensorOptions,
} from "./core/tensor.js";
export type { TensorJSON, JSONEntries } from "./format.js";
export * from "./ops/index.js";
export {
  grad, valueAndGrad, jvp, vjp, linearize, jacobian, hessian, hvp,
  type GradOptions, type JacobianOptions, type HessianOptions, type HvpOptions,
} from "./transforms/transforms.js";
export type { PyTree } from "./core/pytree.js";
export type { Argnums, ArgsOf, AllGradsOf, GradsOf, TensorPyTree, TensorsOf, TreeArg, TreeArgs } from "./transforms/types.js";
export {
  treeMap, treeLeaves, treeFlatten, treeUnflatten, ravelPytree, PyTreeDef,
  type MapTree, type TreeLeaf,
} from "./transforms/tree-util.js";
export { vmap, type VmapOptions } from "./transforms/vmap.js";
export { jit, type JitOptions } from "./jit/jit.js";
export {
  checkGrad, checkJacobian, checkHessian, checkGrads,
  type CheckOptions, type CheckReport, type CheckGradsOptions,
} from "./transforms/check.js";
