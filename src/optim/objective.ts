// The objective as the optimizers see it: flat vectors in, numbers and flat vectors out, with
// every call to matcalc counted and every budget (evaluations, time, AbortSignal) enforced in
// one place. A budget that runs out mid-iteration throws StopRun, which the driver catches
// and turns into a status, keeping the last accepted iterate.
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { Tensor, storage } from "../core/tensor.js";
import { hessian, linearize, valueAndGrad } from "../transforms/transforms.js";
import { jit, jitLinearize } from "../jit/jit.js";
import type { Layout } from "./flat.js";
import { Session } from "./session.js";
import type { Evaluations, Status } from "./types.js";

/** Thrown inside a run when a budget or the AbortSignal stops it. @internal */
export class StopRun {
  constructor(readonly status: Status) {}
}

/** Budgets shared by all evaluations of one run. @internal */
export class Guard {
  readonly t0 = now();
  readonly counts: Evaluations = { f: 0, grad: 0, hvp: 0, hessian: 0 };
  /** Budgets apply once the run has started (the evaluation at x0 always happens). */
  started = false;
  constructor(
    readonly maxEvaluations: number,
    readonly timeLimit: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  elapsed(): number {
    return now() - this.t0;
  }

  /** Throws StopRun if the run must stop now (checked before every evaluation). */
  check(evaluatingF: boolean): void {
    if (!this.started) return;
    if (this.signal?.aborted) throw new StopRun("aborted");
    if (this.timeLimit < Infinity && this.elapsed() > this.timeLimit) throw new StopRun("timeLimit");
    if (evaluatingF && this.counts.f >= this.maxEvaluations) throw new StopRun("maxEvaluations");
  }
}

export function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** What a user function returned, for error messages. */
export function describeValue(y: unknown): string {
  if (y instanceof Tensor) return `a tensor of shape ${fmtShape(y.shape)}`;
  if (y === null) return "null";
  if (Array.isArray(y)) return "an array";
  return typeof y;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (x: any) => any;

/** HVP operator at a fixed point: out = H·v. */
export type HvpOp = (v: Float64Array, out: Float64Array) => void;

/** A scalar objective over a flat vector. @internal */
export class Objective {
  private readonly f: Fn;
  private readonly vg: Fn;
  private readonly hess: Fn;

  /** Linearization of x ↦ (f, ∇f); recorded when jitting, so H·v replays only tangent kernels. */
  private readonly lin: (x: unknown) => [unknown, (t: unknown) => unknown];

  constructor(
    userF: Fn,
    readonly layout: Layout,
    readonly guard: Guard,
    readonly session: Session,
    readonly op = "minimize",
    useJit = true,
  ) {
    // Checks what f returns on every call (cheap: the tracer's shape is known): a plain number
    // would silently have a zero derivative, a non-scalar has no minimum.
    this.f = (x: unknown) => {
      const y = userF(x);
      if (!(y instanceof Tensor)) {
        throw new DTypeError(op, `f must return a scalar Tensor computed from x with matcalc ops, got ${describeValue(y)}`);
      }
      if (y.size !== 1) {
        throw new ShapeError(op, `f must return a scalar (one entry), got shape ${fmtShape(y.shape)}; use leastSquares for vector residuals`, [y.shape]);
      }
      return y;
    };
    // The optimizers evaluate one function at hundreds of points of one shape: recorded once,
    // each evaluation replays its kernels without tracing (several times faster at small n).
    const vg = valueAndGrad(this.f);
    const lin = (fn: (x: unknown) => unknown, x: unknown) => linearize(fn, x) as [unknown, (t: unknown) => unknown];
    this.vg = useJit ? jit(vg) : vg;
    this.hess = useJit ? jit(hessian(this.f)) : hessian(this.f);
    // H·v is the tangent of ∇f; the tangent of f's value (leaf 0) is never read.
    this.lin = useJit ? jitLinearize(vg, lin, (leaf) => leaf > 0) : (x) => lin(vg, x);
  }

  get counts(): Evaluations {
    return this.guard.counts;
  }

  /** f(x), with ∇f(x) written into g. */
  valueGrad(x: Float64Array, g: Float64Array): number {
    this.guard.check(true);
    this.counts.f++;
    this.counts.grad++;
    return this.session.run(() => {
      const [v, gt] = this.vg(this.layout.toArenaTree(x)) as [Tensor, unknown];
      this.layout.read(gt, g, this.op);
      return storage(v)[0]!;
    });
  }

  /**
   * f(x) and ∇f(x) (into g) from one linearization of x ↦ (f, ∇f), which also yields the
   * Hessian-vector product at x as a replay of the staged linear graph: each H·v then costs
   * about one pass over the tangent ops, without re-tracing f. The operator lives in the
   * session's arena; if the session was released since, it re-linearizes at x first.
   */
  linearized(x: Float64Array, g: Float64Array): { value: number; hvp: HvpOp } {
    this.guard.check(true);
    this.counts.f++;
    this.counts.grad++;
    const xc = x.slice();
    let fn!: (t: unknown) => [Tensor, unknown];
    let gen = -1;
    /** Linearizes at x; runs inside a session run (a nested run could release the session). */
    const build = (gOut: Float64Array): number => {
      const [[v, gt], lin] = this.lin(this.layout.toArenaTree(xc)) as [[Tensor, unknown], (t: unknown) => [Tensor, unknown]];
      this.layout.read(gt, gOut, this.op);
      fn = lin;
      gen = this.session.generation;
      return storage(v)[0]!;
    };
    const value = this.session.run(() => build(g));
    const hvp: HvpOp = (vec, out) => {
      this.guard.check(false);
      this.counts.hvp++;
      this.session.run(() => {
        // Checked inside the run: starting it may release an over-budget session, and with
        // it the linearization.
        if (gen !== this.session.generation) {
          this.counts.f++;
          this.counts.grad++;
          build(new Float64Array(this.layout.n));
        }
        const [, hv] = fn(this.layout.toArenaTree(vec));
        this.layout.read(hv, out, this.op);
      });
    };
    return { value, hvp };
  }

  /** The dense Hessian at x (n×n, symmetric) into H. */
  hessian(x: Float64Array, H: Float64Array): void {
    this.guard.check(false);
    this.counts.hessian++;
    this.session.run(() => H.set(storage(this.hess(this.layout.toArenaTree(x)) as Tensor)));
  }
}
