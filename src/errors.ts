// Typed errors. Every message names the operation and the shapes involved, so a user can
// find the slip without a debugger.

/** Formats a shape as `[2, 3]` (a scalar is `[]`). @internal */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Operands whose shapes do not fit the operation. */
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

/** A value of the wrong kind: a string where a number was expected, a ragged array, ... */
export class DTypeError extends TypeError {
  override readonly name = "DTypeError";
  constructor(readonly op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

/** A matrix that is singular to working precision. `index` is the failing pivot (0-based). */
export class SingularMatrixError extends Error {
  override readonly name = "SingularMatrixError";
  constructor(readonly op: string, readonly index: number, shape: readonly number[]) {
    super(`${op}: matrix of shape ${fmtShape(shape)} is singular (zero pivot at index ${index})`);
  }
}

/** A matrix that is not positive definite. `minor` is the order of the failing leading minor. */
export class NotPositiveDefiniteError extends Error {
  override readonly name = "NotPositiveDefiniteError";
  constructor(readonly op: string, readonly minor: number, shape: readonly number[]) {
    super(`${op}: matrix of shape ${fmtShape(shape)} is not positive definite (leading minor of order ${minor} fails)`);
  }
}

/** A value too large for the 4 GiB of 32-bit WebAssembly memory. */
export class MemoryLimitError extends RangeError {
  override readonly name = "MemoryLimitError";
  constructor(readonly op: string, readonly bytes: number) {
    super(`${op}: needs ${bytes} bytes of kernel memory, more than 32-bit WebAssembly can address (4 GiB)`);
  }
}

/** An op ran in a browser before `await init()`. */
export class NotInitializedError extends Error {
  override readonly name = "NotInitializedError";
}

/** A tensor made inside a transform was used after that transform returned. */
export class ReleasedTensorError extends Error {
  override readonly name = "ReleasedTensorError";
}
