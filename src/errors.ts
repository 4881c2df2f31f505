// Typed errors. Every message names the operation and the shapes involved, so a user can
// find the slip without a debugger.

/** Formats a shape as `[2, 3]` (a scalar is `[]`). @internal */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Operands whose shapes do not fit the operation. The message names the op and the shapes.
 * @example
 * ```ts
 * try {
 *   matmul(zeros([2, 3]), zeros([4, 2]));
 * } catch (e) {
 *   e instanceof ShapeError;   // true
 *   e.op;                      // "matmul"
 *   e.shapes;                  // [[2, 3], [4, 2]]
 *   e.message;                 // "matmul: inner dimensions differ (3 vs 4) (shapes [2, 3], [4, 2])"
 * }
 * ```
 * @category Errors
 */
export class ShapeError extends Error {
  override readonly name = "ShapeError";
  constructor(
    /** The operation that refused its operands, e.g. `"matmul"`. */
    readonly op: string,
    message: string,
    /** The offending shapes, in argument order. */
    readonly shapes: readonly (readonly number[])[] = [],
  ) {
    super(`${op}: ${message}${shapes.length ? ` (shapes ${shapes.map(fmtShape).join(", ")})` : ""}`);
  }
}

/**
 * A value of the wrong kind: a string where a number was expected, a ragged array, NaN or
 * Infinity given to a factorization, a batched value whose entries are read inside `vmap`
 * (op `"vmap"`: it holds a whole batch), ... It is a `TypeError`; `op` names the operation.
 * @example
 * ```ts
 * tensor([[1, 2], [3]]);
 * // throws DTypeError: "tensor: ragged nested array: expected 2 entries at depth 1, shape [2, 2]"
 * solve([[NaN, 0], [0, 1]], [1, 1]);
 * // throws DTypeError: "solve: matrix of shape [2, 2] contains NaN or Infinity"
 * ```
 * @category Errors
 */
export class DTypeError extends TypeError {
  override readonly name = "DTypeError";
  constructor(readonly op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

/**
 * A matrix that is singular to working precision. `index` is the failing pivot (0-based),
 * `op` the operation the user called (`inv`, `det`, `logdet`, … name themselves, not the
 * solve they run inside, also when the singular solve comes from differentiating them).
 * @example
 * ```ts
 * try {
 *   solve([[1, 2], [2, 4]], [1, 1]);
 * } catch (e) {
 *   e instanceof SingularMatrixError;   // true
 *   e.index;                            // 1
 *   e.message;                          // "solve: matrix of shape [2, 2] is singular (zero pivot at index 1)"
 * }
 * ```
 * @category Errors
 */
export class SingularMatrixError extends Error {
  override readonly name = "SingularMatrixError";
  constructor(readonly op: string, readonly index: number, shape: readonly number[]) {
    super(`${op}: matrix of shape ${fmtShape(shape)} is singular (zero pivot at index ${index})`);
  }
}

/**
 * A matrix that is not positive definite. `minor` is the order of the failing leading minor,
 * `op` the operation the user called (`logdet(A, { spd: true })` says `logdet`).
 * @example
 * ```ts
 * try {
 *   cholesky([[1, 2], [2, 1]]);
 * } catch (e) {
 *   e instanceof NotPositiveDefiniteError;   // true
 *   e.minor;                                 // 2
 * }
 * ```
 * @category Errors
 */
export class NotPositiveDefiniteError extends Error {
  override readonly name = "NotPositiveDefiniteError";
  constructor(readonly op: string, readonly minor: number, shape: readonly number[]) {
    super(`${op}: matrix of shape ${fmtShape(shape)} is not positive definite (leading minor of order ${minor} fails)`);
  }
}

/**
 * A value too large for the 4 GiB of 32-bit WebAssembly memory (a `RangeError`, never a wasm
 * trap). `bytes` is what the op needed; the next call works normally.
 * @example
 * ```ts
 * try {
 *   zeros([1e5, 1e5]);
 * } catch (e) {
 *   e instanceof MemoryLimitError;   // true
 *   e.bytes;                         // 80000000000
 * }
 * ```
 * @category Errors
 */
export class MemoryLimitError extends RangeError {
  override readonly name = "MemoryLimitError";
  constructor(readonly op: string, readonly bytes: number, detail?: string) {
    super(`${op}: needs ${bytes} bytes of kernel memory, more than 32-bit WebAssembly can address (4 GiB)${detail ? `: ${detail}` : ""}`);
  }
}

/**
 * A kernel call split across the thread pool failed in a worker: a JavaScript exception or a
 * WebAssembly trap inside that worker's share, or a worker that stopped answering. The call's
 * result is not produced; the pool recovers (a worker that stopped answering is replaced) and
 * the next call runs normally.
 * @example
 * ```ts
 * try {
 *   a.matmul(b);                     // a large product, split across workers
 * } catch (e) {
 *   if (e instanceof WorkerError) console.log(e.op, e.worker, e.message);
 * }
 * ```
 * @category Errors
 */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  constructor(
    /** The kernel call that was split (e.g. `"gemm"`). */
    readonly op: string,
    /** Which worker failed (1-based), or 0 when the pool cannot tell (one stopped answering). */
    readonly worker: number,
    detail: string,
  ) {
    super(`${op}: ${worker > 0 ? `worker ${worker} failed: ` : ""}${detail}`);
  }
}

/**
 * An op ran in a browser before `await init()`. (Node loads the kernels on first use, so it
 * never throws this there.)
 * @example
 * ```ts
 * // In a browser:
 * vector([1, 2]).add(1);   // throws NotInitializedError: "... `await init()` once before using any op"
 * await init();
 * vector([1, 2]).add(1);   // [2, 3]
 * ```
 * @category Errors
 */
export class NotInitializedError extends Error {
  override readonly name = "NotInitializedError";
}

/**
 * A tensor made inside a transform was used after that transform returned: its memory was
 * released with the call. Return what you need instead (`hasAux` exists for that).
 * @example
 * ```ts
 * let kept: Tensor | undefined;
 * grad((x: Tensor) => { kept = x.mul(2); return kept.sum(); })(vector([1, 2]));
 * kept!.toArray();   // throws ReleasedTensorError
 *
 * // Instead, return it as aux:
 * const [g, y] = grad((x: Tensor) => {
 *   const y = x.mul(2);
 *   return [y.sum(), y];
 * }, { hasAux: true })(vector([1, 2]));
 * y.toArray();       // [2, 4]
 * ```
 * @category Errors
 */
export class ReleasedTensorError extends Error {
  override readonly name = "ReleasedTensorError";
}

/**
 * An options object with a key the function does not know, or a value it cannot use. Options
 * are never ignored: `key` names the offending option, `valid` lists the ones `op` takes.
 * @example
 * ```ts
 * try {
 *   jacobian(f, { layot: "denominator" });
 * } catch (e) {
 *   e instanceof OptionError;   // true
 *   e.key;                      // "layot"
 *   e.message;                  // 'jacobian: unknown option "layot" (valid: argnums, blocks, chunkSize, layout, mode)'
 * }
 * ```
 * @category Errors
 */
export class OptionError extends TypeError {
  override readonly name = "OptionError";
  constructor(
    /** The function the user called. */
    readonly op: string,
    /** The unknown or badly valued option. */
    readonly key: string,
    message: string,
    /** The options `op` takes. */
    readonly valid: readonly string[] = [],
  ) {
    super(`${op}: ${message}`);
  }
}

/**
 * A derivative that cannot be given: e.g. the derivative of `minimize`'s solution when the run
 * did not converge (the implicit function theorem needs ∇f(x*) = 0), when its Hessian is
 * singular there, or a second derivative through it. `op` names the operation.
 * @example
 * ```ts
 * try {
 *   grad((s: Tensor) => minimize((x: Tensor) => x.sub(s).square().sum(), zeros([2]), { maxIterations: 0 }).x.sum())(vector([1, 2]));
 * } catch (e) {
 *   e instanceof NotDifferentiableError;   // true: the run stopped before ∇f = 0
 * }
 * ```
 * @category Errors
 */
export class NotDifferentiableError extends Error {
  override readonly name = "NotDifferentiableError";
  constructor(readonly op: string, message: string) {
    super(`${op}: ${message}`);
  }
}
