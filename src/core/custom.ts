// Two primitives whose rules the caller supplies, for derivatives a program of primitives
// cannot give directly (after jax.custom_jvp and jax.lax.custom_linear_solve):
//
// - custom_p: any implementation, with a JVP rule given by the caller. The rule must be
//   linear in the tangents and written with primitives, so that under grad its tangent is
//   staged and transposed like any other.
// - linearSolve_p: u = A⁻¹b for an operator A given as a solve routine, linear in b. Its
//   transpose is the solve with Aᵀ (the same solve when A is symmetric), so a JVP rule that
//   ends in a linear solve (the implicit function theorem: ẋ = −H⁻¹·b) also runs in reverse.
//
// Both carry values of one call in their params (the solver, the operator at one point), so
// they are `opaque` to jit. A's own dependence on the differentiated values is not seen by
// linearSolve_p's JVP: a caller whose operator depends on traced values must refuse to be
// differentiated twice (minimize does; see optim/implicit.ts).
import { ShapeError, fmtShape } from "../errors.js";
import type { Tensor } from "./tensor.js";
import type { Shape } from "./shape.js";
import { sameShape } from "./shape.js";
import { bind, bind1, primitive, type Lin, type Primitive } from "./primitive.js";

/** Params of {@link custom_p}: the caller's implementation, output shapes and JVP rule. */
export interface CustomParams {
  /** The user-facing op, named in errors. */
  readonly name: string;
  /** The outputs' shapes (the implementation must return exactly these). */
  readonly shapes: readonly Shape[];
  /** Outputs from concrete arguments. */
  impl(args: readonly Tensor[]): Tensor[];
  /** Output tangents from argument tangents (null: zero), linear in the tangents. */
  jvp(tangents: readonly Lin[], primals: readonly Tensor[], outs: readonly Tensor[]): Lin[];
}

/** A primitive with a caller-supplied implementation and JVP rule. @internal */
export const custom_p = primitive<CustomParams>({
  name: "custom",
  shape: (_shapes, p) => p.shapes.map((s) => [...s]),
  impl: (args, p) => {
    const outs = p.impl(args);
    if (outs.length !== p.shapes.length || outs.some((o, i) => !sameShape(o.shape, p.shapes[i]!))) {
      throw new ShapeError(p.name, `implementation returned ${outs.map((o) => fmtShape(o.shape)).join(", ")}, declared ${p.shapes.map(fmtShape).join(", ")}`);
    }
    return outs;
  },
  jvp: (tangents, primals, outs, p) => p.jvp(tangents, primals, outs),
  mayRaise: true,
  opaque: true,
});

/**
 * Binds {@link custom_p}: `impl` gives the outputs, `jvp` their tangents. Under grad, the
 * tangents `jvp` computes are staged and transposed, so every primitive it binds on them must
 * be linear in them (and have a transpose rule). @internal
 */
export function customJvp(params: CustomParams, args: readonly Tensor[]): Tensor[] {
  return bind(custom_p, args, params);
}

/** Params of {@link linearSolve_p}: u = A⁻¹b on concrete b, and the same with Aᵀ. */
export interface LinearSolveParams {
  /** The user-facing op, named in errors. */
  readonly name: string;
  /** u with A·u = b (b concrete, u shaped like b). */
  solve(b: Tensor): Tensor;
  /** u with Aᵀ·u = b; left out when A is symmetric. */
  readonly solveT?: ((b: Tensor) => Tensor) | undefined;
}

function transposed(p: LinearSolveParams): LinearSolveParams {
  return p.solveT === undefined ? p : { name: p.name, solve: p.solveT, solveT: p.solve };
}

/** u = A⁻¹b, linear in b: JVP (for constant A) and transpose (the solve with Aᵀ). @internal */
export const linearSolve_p: Primitive<LinearSolveParams> = primitive<LinearSolveParams>({
  name: "linearSolve",
  shape: (shapes, p) => {
    if (shapes.length !== 1) throw new ShapeError(p.name, `a linear solve takes one right-hand side, got ${shapes.length}`);
    return [[...shapes[0]!]];
  },
  impl: ([b], p) => {
    const u = p.solve(b!);
    if (!sameShape(u.shape, b!.shape)) throw new ShapeError(p.name, `solve returned ${fmtShape(u.shape)} for a right-hand side ${fmtShape(b!.shape)}`);
    return [u];
  },
  jvp: ([t], _primals, _outs, p) => [t === null || t === undefined ? null : bind1(linearSolve_p, [t], p)],
  transpose: ([ct], _args, _linear, p) => [ct === null || ct === undefined ? null : bind1(linearSolve_p, [ct], transposed(p))],
  mayRaise: true,
  opaque: true,
});

/** u = A⁻¹b through {@link linearSolve_p} (differentiable and transposable in b). @internal */
export function linearSolve(b: Tensor, params: LinearSolveParams): Tensor {
  return bind1(linearSolve_p, [b], params);
}
