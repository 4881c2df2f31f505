// The flat problem one method run solves, shared by minimize (solveFlat) and the augmented
// Lagrangian, whose subproblems are such runs.
import type { Tensor } from "../core/tensor.js";
import type { Layout } from "./flat.js";
import type { Guard } from "./objective.js";
import type { Limits } from "./driver.js";
import type { MethodOptions } from "./method.js";
import type { MinimizeMethod, Status } from "./types.js";
import type { Box } from "./bounds.js";

/** What one run of a method needs (minimize's solveFlat). @internal */
export interface FlatProblem {
  f: (x: unknown) => Tensor;
  layout: Layout;
  x0: Float64Array;
  box: Box | null;
  method: Exclude<MinimizeMethod, "auglag">;
  limits: Limits;
  guard: Guard;
  mo: MethodOptions;
  jit: boolean;
  op: string;
  radius0?: number | undefined;
}

/** One run of a method on flat vectors (the result's vectors are copies). @internal */
export interface FlatResult {
  x: Float64Array;
  f: number;
  g: Float64Array;
  gradNorm: number;
  iterations: number;
  status: Status;
}

/** Runs one method on a flat problem (minimize's solveFlat). @internal */
export type FlatSolver = (p: FlatProblem) => FlatResult;
