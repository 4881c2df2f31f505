// What every minimize method receives. @internal
import type { Run } from "./driver.js";
import type { HvpOp, Objective } from "./objective.js";
import type { Status } from "./types.js";
import type { VecSource } from "./workspace.js";

export interface MethodOptions {
  c1: number;
  c2: number;
  history: number;
  cgMaxIterations: number;
  initialTrustRadius: number;
  maxTrustRadius: number;
  /** Lanczos steps of the negative-curvature check (0: off). */
  curvatureSteps: number;
}

export interface MethodContext {
  run: Run;
  obj: Objective;
  o: MethodOptions;
  /** HVP operator at x0, when the method asked for a linearized first evaluation. */
  hvp0?: HvpOp;
  /** Where the method's vectors come from: the run's workspace (see workspace.ts). */
  ws: VecSource;
}

export type Method = (ctx: MethodContext) => Status;

/** Evaluations a line search may spend. */
export const LINE_SEARCH_EVALS = 30;
/** Steps longer than alphaMax·‖p‖ are never tried. */
export const ALPHA_MAX = 1e20;
