// The factorizations' large steps and products, routed through JavaScript when the thread pool
// runs.
//
// getrf's and potrf's steps (a panel's trailing update beside the next panel's factorization)
// hold nearly all of a large factorization's flops, and a recursive syrk's off-diagonal blocks
// are gemms. In the threaded runtime the calling thread's instance turns the hooks on, and
// those calls go out to the imported `luStepHook` / `cholStepHook` / `gemmHook`
// (src/wasm/module.ts, src/wasm/pool.ts), which split them across the workers into calls
// that compute each entry exactly as the local call does: the same bits. Every other instance
// (the plain one, workers, optimizer workspaces) leaves it off and computes directly: one
// predictable branch per block, nothing in any loop.
import { gemm } from "./gemm";

// @ts-ignore: decorator
@external("env", "gemmHook")
declare function gemmHook(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32): void;

// @ts-ignore: decorator
@external("env", "luStepHook")
declare function luStepHook(m: i32, n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32, ipiv: usize): void;

// @ts-ignore: decorator
@external("env", "cholStepHook")
declare function cholStepHook(n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32): void;

let hooked: bool = false;

/** 1: route the *Large calls through the imported hooks; 0: compute here (the default). */
export function setGemmHook(on: i32): void {
  hooked = on != 0;
}

/** gemm, or the imported hook when it is on (same arguments, same result). */
export function gemmLarge(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32): void {
  if (hooked) gemmHook(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/**
 * One step of getrf (assembly/lu.ts luStep) through the imported hook when it is on: the pool
 * runs it as column-range tasks, the next panel's factorization beside the update. Returns
 * false when the hook is off, and the caller runs luStep itself.
 */
export function luStepLarge(m: i32, n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32, ipiv: usize): bool {
  if (!hooked) return false;
  luStepHook(m, n, j, jb, jbn, a, lda, ipiv);
  return true;
}

/**
 * One step of potrf (assembly/cholesky.ts cholStep) through the imported hook when it is on:
 * the pool runs it as column-range tasks, the next panel factored beside the update. Returns
 * false when the hook is off, and the caller runs cholStep itself.
 */
export function cholStepLarge(n: i32, j: i32, jb: i32, jbn: i32, a: usize, lda: i32): bool {
  if (!hooked) return false;
  cholStepHook(n, j, jb, jbn, a, lda);
  return true;
}
