// The iteration bookkeeping every method shares: the current iterate, the stopping rules,
// the callback, and the status/message of the result.
import type { Layout } from "./flat.js";
import type { Guard } from "./objective.js";
import type { Callback, Evaluations, IterationState, Status } from "./types.js";
import { diffNormInf, normInf } from "./vec.js";
import { HEAP, type VecSource } from "./workspace.js";

/** Options after defaults. @internal */
export interface Limits {
  gradTol: number;
  stepTol: number;
  valueTol: number;
  maxIterations: number;
  callback: Callback<any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export const CONVERGED: ReadonlySet<Status> = new Set<Status>(["gradTol", "stepTol", "valueTol"]);

/** f below this is treated as −∞ (the problem is unbounded below). */
export const UNBOUNDED = -1e300;

/**
 * A run is also taken to be unbounded below when, for RUNAWAY_STEPS accepted steps in a row,
 * f fell while neither the steps nor the gradient shrank (‖Δx‖ ≥ the previous step, ‖∇f‖∞ ≥
 * half the previous), and f is by then RUNAWAY_DROP·(1 + |f(x0)|) below f(x0). Near a
 * minimizer steps and gradients shrink; along a ray to −∞ (a linear or concave tail, a cubic)
 * they do not, and without this rule such runs only end at maxIterations.
 */
export const RUNAWAY_STEPS = 20;
export const RUNAWAY_DROP = 1e3;

export const MESSAGES: Record<Status, string> = {
  gradTol: "converged: gradient norm below gradTol",
  stepTol: "stopped: step below stepTol, but ‖∇f‖∞ > gradTol (not converged)",
  valueTol: "stopped: decrease of f below valueTol, but ‖∇f‖∞ > gradTol (not converged)",
  maxIterations: "stopped: maxIterations reached",
  maxEvaluations: "stopped: maxEvaluations reached",
  timeLimit: "stopped: timeLimit reached",
  callback: "stopped by the callback",
  aborted: "stopped: the AbortSignal fired",
  lineSearchFailed: "stopped: the line search found no acceptable step (precision loss, or an inaccurate gradient)",
  trustRegionCollapsed: "stopped: the trust region shrank to nothing without an acceptable step (precision loss)",
  stalled: "stopped: no further progress is possible at working precision, but the convergence tests do not hold",
  unbounded: "stopped: f is unbounded below (it reached -Infinity or -1e300, or fell without bound along steps that kept growing)",
  nonFinite: "stopped: f or its gradient is not finite at every trial point",
};

/**
 * State of one run. Methods update x, f, g through {@link Run.accept}. x and g come from the
 * run's workspace, so they are never handed to user code as they are (callers copy).
 * @internal
 */
export class Run {
  readonly n: number;
  readonly x: Float64Array;
  readonly g: Float64Array;
  f: number;
  gradNorm: number;
  iterations = 0;
  /** Extra information for the callback (trust radius, λ, step length). */
  radius: number | undefined;
  lambda: number | undefined;
  /** Called before user code other than f runs (the callback): closes the arena session. */
  beforeUserCode: (() => void) | undefined;
  private readonly f0: number;
  private readonly gradNorm0: number;
  private runaway = 0;
  private lastStep = 0;

  constructor(
    readonly layout: Layout,
    readonly guard: Guard,
    readonly limits: Limits,
    x0: Float64Array,
    f0: number,
    g0: Float64Array,
    vectors: VecSource = HEAP,
  ) {
    this.n = x0.length;
    this.x = vectors.vec(this.n);
    this.x.set(x0);
    this.g = vectors.vec(this.n);
    this.g.set(g0);
    this.f = f0;
    this.f0 = f0;
    this.gradNorm = normInf(g0);
    this.gradNorm0 = this.gradNorm;
  }

  get counts(): Evaluations {
    return this.guard.counts;
  }

  /** The status at the starting point (before any step), or null to iterate. */
  initial(): Status | null {
    if (this.f <= UNBOUNDED) return "unbounded";
    if (this.gradNorm <= this.limits.gradTol) return "gradTol";
    if (this.limits.maxIterations <= 0) return "maxIterations";
    this.guard.check(false);
    return null;
  }

  /**
   * Adopts an accepted step (copies xNew, gNew) and applies the stopping rules in order:
   * unbounded, gradTol, valueTol, stepTol, callback, maxIterations, signal/time. The callback
   * is called first, on every accepted step.
   */
  accept(xNew: Float64Array, fNew: number, gNew: Float64Array): Status | null {
    const step = diffNormInf(xNew, this.x);
    const xScale = normInf(this.x);
    const fPrev = this.f, gPrev = this.gradNorm;
    this.x.set(xNew);
    this.g.set(gNew);
    this.f = fNew;
    this.gradNorm = normInf(gNew);
    this.iterations++;
    // The callback sees every iteration, including the last one.
    const stop = this.limits.callback !== undefined && this.callCallback(step);
    if (!(fNew > UNBOUNDED)) return "unbounded";
    this.runaway = fNew < fPrev && step >= this.lastStep && this.gradNorm >= 0.5 * gPrev ? this.runaway + 1 : 0;
    this.lastStep = step;
    if (this.runaway >= RUNAWAY_STEPS && this.f0 - fNew >= RUNAWAY_DROP * (1 + Math.abs(this.f0))) return "unbounded";
    if (this.gradNorm <= this.limits.gradTol) return "gradTol";
    if (this.limits.valueTol > 0 && fPrev - fNew <= this.limits.valueTol * Math.max(Math.abs(fPrev), Math.abs(fNew), 1)) return "valueTol";
    if (step <= this.limits.stepTol * (1 + xScale)) return "stepTol";
    if (stop) return "callback";
    if (this.iterations >= this.limits.maxIterations) return "maxIterations";
    if (this.guard.signal?.aborted) return "aborted";
    if (this.guard.timeLimit < Infinity && this.guard.elapsed() > this.guard.timeLimit) return "timeLimit";
    return null;
  }

  /**
   * The status a method ended with, made honest about f running off to −∞: a run that ends
   * without finite trial points ('nonFinite') after f fell RUNAWAY_DROP·(1 + |f(x0)|) below
   * f(x0) with a gradient larger than at x0 has overflowed on its way down: 'unbounded'.
   */
  finish(status: Status): Status {
    if (status === "nonFinite" && this.gradNorm > this.gradNorm0 && this.f0 - this.f >= RUNAWAY_DROP * (1 + Math.abs(this.f0))) return "unbounded";
    return status;
  }

  /** True when the callback asked to stop. */
  private callCallback(stepNorm: number): boolean {
    const layout = this.layout;
    // A copy: the state may outlive the iteration (and the run), this.x does not.
    const xFlat = this.x.slice();
    let tree: unknown;
    const state: IterationState = {
      iteration: this.iterations,
      get x() {
        return (tree ??= layout.toTree(xFlat)) as never;
      },
      xFlat,
      value: this.f,
      gradNorm: this.gradNorm,
      stepNorm,
      evaluations: { ...this.counts },
      elapsedMs: this.guard.elapsed(),
    };
    if (this.radius !== undefined) state.radius = this.radius;
    if (this.lambda !== undefined) state.lambda = this.lambda;
    this.beforeUserCode?.();
    const r = this.limits.callback!(state);
    return r === false || r === "stop";
  }
}
