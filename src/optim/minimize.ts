// minimize(): option checking, the evaluation at x0, dispatch to a method, the result.
import { DTypeError } from "../errors.js";
import type { Tensor } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";
import { Layout, assertFiniteVec } from "./flat.js";
import { Guard, Objective, StopRun, type HvpOp } from "./objective.js";
import { MESSAGES, Run, type Limits } from "./driver.js";
import type { Method, MethodContext, MethodOptions } from "./method.js";
import type { CommonOptions, MinimizeMethod, MinimizeOptions, MinimizeResult, Status, TensorTree } from "./types.js";
import { OptionError } from "../errors.js";
import { any, bool, checkOptions, nonNegative, oneOf, type OptionSpec } from "../options.js";
import { BoxRun, project, readBox, type Box } from "./bounds.js";
import { lbfgsb, lbfgsbFloats } from "./lbfgsb.js";
import { tron, tronFloats } from "./tron.js";
import { augLag } from "./constrained/auglag.js";
import type { FlatProblem, FlatResult } from "./flat-solve.js";
import { tracedMinimize } from "./traced.js";
import { gd, gdFloats } from "./gd.js";
import { bfgs, bfgsFloats } from "./bfgs.js";
import { lbfgs, lbfgsFloats } from "./lbfgs.js";
import { newton, newtonFloats } from "./newton.js";
import { newtonCg, newtonCgFloats } from "./newton-cg.js";
import { trustNcg, trustNcgFloats } from "./trust-ncg.js";
import { allFinite } from "./vec.js";
import { Session } from "./session.js";
import { Workspace, vectorFloats } from "./workspace.js";

/** Each method, whether it starts from a linearization, and the workspace it needs (float64). */
const METHODS: Record<Exclude<MinimizeMethod, "auglag">, { fn: Method; usesHvp: boolean; floats: (n: number, o: MethodOptions) => number; box?: boolean }> = {
  gd: { fn: gd, usesHvp: false, floats: gdFloats },
  bfgs: { fn: bfgs, usesHvp: false, floats: bfgsFloats },
  lbfgs: { fn: lbfgs, usesHvp: false, floats: lbfgsFloats },
  newton: { fn: newton, usesHvp: false, floats: newtonFloats },
  "newton-cg": { fn: newtonCg, usesHvp: true, floats: newtonCgFloats },
  "trust-ncg": { fn: trustNcg, usesHvp: true, floats: trustNcgFloats },
  lbfgsb: { fn: lbfgsb as unknown as Method, usesHvp: false, floats: lbfgsbFloats, box: true },
  tron: { fn: tron as unknown as Method, usesHvp: false, floats: tronFloats, box: true },
};

/** Methods that take bounds, and the ones that take general constraints. */
const BOX_METHODS = ["lbfgsb", "tron", "auglag"];

/**
 * Every option minimize takes. Options whose values numOpt / commonLimits check (with a
 * DTypeError naming the option) are listed with `any`: this spec refuses unknown keys.
 */
const SPEC: OptionSpec = {
  method: any, gradTol: any, stepTol: any, valueTol: any, maxIterations: any, maxEvaluations: any,
  timeLimit: any, callback: any, signal: any, jit: bool, history: any, c1: any, c2: any,
  cgMaxIterations: any, initialTrustRadius: any, maxTrustRadius: any, curvatureCheck: any,
  bounds: (v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? undefined : "an object { lower, upper }"),
  constraints: (v) => (Array.isArray(v) ? undefined : "an array of { type: 'eq' | 'ineq', fun }"),
  constraintTol: nonNegative,
  subproblemMethod: oneOf("lbfgsb", "tron"),
};

/** Reads a numeric option: a number ≥ `min` (or the default). @internal */
export function numOpt(op: string, opts: object, key: string, def: number, min = 0, integer = false): number {
  const v = (opts as Record<string, unknown>)[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || Number.isNaN(v) || v < min || (integer && Number.isFinite(v) && !Number.isInteger(v))) {
    throw new DTypeError(op, `option ${key} must be ${integer ? "an integer" : "a number"} ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

/** Shared option checks of minimize and leastSquares. @internal */
export function commonLimits(op: string, options: CommonOptions<never>, defaults: { maxIterations: number; valueTol: number }): {
  limits: Limits;
  guard: Guard;
} {
  if (options === null || typeof options !== "object") throw new DTypeError(op, `options must be an object, got ${options === null ? "null" : typeof options}`);
  if (options.callback !== undefined && typeof options.callback !== "function") throw new DTypeError(op, "option callback must be a function");
  const signal = options.signal;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof (signal as AbortSignal).aborted !== "boolean")) {
    throw new DTypeError(op, "option signal must be an AbortSignal");
  }
  const limits: Limits = {
    gradTol: numOpt(op, options, "gradTol", 1e-5),
    stepTol: numOpt(op, options, "stepTol", 1e-12),
    valueTol: numOpt(op, options, "valueTol", defaults.valueTol),
    maxIterations: numOpt(op, options, "maxIterations", defaults.maxIterations, 0, true),
    callback: options.callback as Limits["callback"],
  };
  const guard = new Guard(
    numOpt(op, options, "maxEvaluations", Infinity, 1, true),
    numOpt(op, options, "timeLimit", Infinity, 0),
    signal,
  );
  return { limits, guard };
}

/**
 * Minimizes a scalar function of a tensor or a pytree of tensors, with derivatives from
 * matcalc's autodiff.
 *
 * Methods:
 * - `'lbfgs'` (default): limited-memory BFGS, history `history` (10). O(m·n) per iteration.
 * - `'bfgs'`: BFGS on a dense inverse Hessian, updated in place in O(n²) per iteration.
 * - `'newton'`: dense Hessian and Cholesky, with a shift when it is not positive definite
 *   (never a step uphill); strong Wolfe line search.
 * - `'newton-cg'`: truncated Newton, CG on Hessian-vector products (never forms H),
 *   stopping at negative curvature.
 * - `'trust-ncg'`: Steihaug–Toint CG trust region on Hessian-vector products.
 * - `'gd'`: gradient descent (a baseline).
 * - `'lbfgsb'`: L-BFGS-B (Byrd, Lu, Nocedal & Zhu; the 3.0 subspace step) for `bounds`; the
 *   default when bounds are given.
 * - `'tron'`: Lin–Moré projected trust-region Newton-CG on exact HVPs, for `bounds`.
 * - `'auglag'`: an augmented Lagrangian for `constraints` (`eq`: fun(x) = 0, `ineq`:
 *   fun(x) ≥ 0, as scipy) and bounds, over tron / lbfgsb subproblems; the default when
 *   constraints are given. Its result adds `multipliers`, `constraintViolation` and
 *   `kktResidual`, and `status: 'infeasible'` when the constraints cannot be met;
 *   `iterations` counts outer iterations (one subproblem each; the callback sees each).
 *
 * With bounds, x0 is projected into the box and convergence is ‖P(x − ∇f) − x‖∞ ≤ gradTol
 * (`gradNorm` reports that norm). Other methods refuse bounds and constraints (OptionError).
 * Inside grad/jvp/vjp/jacobian, `res.x` is differentiable with respect to the traced values f
 * closes over, by the implicit function theorem at the solution (d(x*)/dθ = −H⁻¹ ∂²f/∂x∂θ; a
 * dense solve for up to 100 variables, CG on HVPs above; with bounds, over the free
 * variables, the ones at a bound having zero derivative). With constraints (which may close
 * over traced values too), through the KKT system at (x*, λ*) over the equalities and the
 * active inequalities, densely up to 400 free variables plus active constraints; then
 * `res.multipliers` are differentiable as well. A run that
 * did not converge, a singular Hessian or KKT matrix at x*, a weakly active inequality (c = 0
 * with λ = 0), a larger KKT system or a second derivative raise NotDifferentiableError;
 * traced x0 or bounds, or traced values under vmap, a DTypeError.
 *
 * Line searches satisfy the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9). The second-order
 * methods do not report convergence at a saddle point or a maximum: a short Lanczos probe of
 * the Hessian runs before they stop, and they step along negative curvature if it finds any.
 *
 * Stops when ‖∇f‖∞ ≤ `gradTol` (1e-5), the step is below `stepTol`, the decrease of f is
 * below `valueTol`, or on `maxIterations`, `maxEvaluations`, `timeLimit`, the `callback`
 * returning `false`/`'stop'`, or the `signal` aborting. `result.status` says which, and
 * `converged` is true only when the gradient test held (`'gradTol'`).
 *
 * Bad input throws: a non-finite x0 or f(x0) (DTypeError), f returning a non-scalar
 * (ShapeError) or something that is not a Tensor (DTypeError), unknown options (DTypeError).
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, zeros, scalar, type Tensor } from "matcalc";
 * import { minimize } from "matcalc/optim";
 *
 * // Rosenbrock's function 100(y − x²)² + (1 − x)²: minimum 0 at (1, 1).
 * const rosen = (v: Tensor) => {
 *   const x = mc.slice(v, [0], [1]), y = mc.slice(v, [1], [1]);
 *   return y.sub(x.square()).square().mul(100).add(mc.sub(1, x).square()).sum();
 * };
 * const res = minimize(rosen, vector([-1.2, 1]), { method: "trust-ncg" });
 * res.converged;     // true  (res.status === "gradTol")
 * res.x.toArray();   // ≈ [1, 1]
 * res.evaluations;   // { f, grad, hvp, hessian }
 *
 * // A pytree: x0 = { w, b } gives res.x = { w, b }; stop early from a callback.
 * const A = mc.matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]), y = vector([1, 2, 3, 7]);
 * const loss = (p: { w: Tensor; b: Tensor }) => A.matmul(p.w).add(p.b).sub(y).square().mean();
 * const fit = minimize(loss, { w: zeros([3]), b: scalar(0) }, {
 *   method: "lbfgs",
 *   callback: (s) => s.value > 1e-3 || "stop",
 * });
 * fit.x.w;           // Tensor [3]
 * fit.status;        // "callback"  (stopped once the loss was ≤ 1e-3)
 *
 * // Bounds (L-BFGS-B) and constraints (augmented Lagrangian).
 * minimize(rosen, vector([-1.2, 1]), { bounds: { lower: -2, upper: [0.5, 2] } }).x.toArray(); // [0.5, 0.25]
 * const disc = minimize((v: Tensor) => v.sum().neg(), vector([0, 0]), {
 *   constraints: [{ type: "ineq", fun: (v: Tensor) => mc.sub(1, v.square().sum()) }],  // ‖v‖ ≤ 1
 * });
 * disc.x.toArray();  // ≈ [√½, √½]; disc.multipliers[0] ≈ 1/√2 (∇f = λ∇c)
 * ```
 */
export function minimize<T extends PyTree>(
  f: (x: TensorTree<T>) => Tensor,
  x0: T,
  options: MinimizeOptions<TensorTree<T>> = {},
): MinimizeResult<TensorTree<T>> {
  const op = "minimize";
  if (typeof f !== "function") throw new DTypeError(op, `f must be a function, got ${f === null ? "null" : typeof f}`);
  if (options === null || typeof options !== "object") throw new DTypeError(op, `options must be an object, got ${options === null ? "null" : typeof options}`);
  checkOptions(op, options, SPEC);
  const constrained = options.constraints !== undefined && options.constraints.length > 0;
  const method = options.method ?? (constrained ? "auglag" : options.bounds !== undefined ? "lbfgsb" : "lbfgs");
  if (method !== "auglag" && (!Object.prototype.hasOwnProperty.call(METHODS, method) || !METHODS[method as keyof typeof METHODS])) {
    throw new DTypeError(op, `unknown method ${JSON.stringify(method)}; expected one of ${[...Object.keys(METHODS), "auglag"].map((m) => `'${m}'`).join(", ")}`);
  }
  if (options.bounds !== undefined && !BOX_METHODS.includes(method)) {
    throw new OptionError(op, "bounds", `method '${method}' does not take bounds; use method 'lbfgsb' (L-BFGS-B), 'tron' (projected trust-region Newton-CG) or 'auglag' (with constraints)`, Object.keys(SPEC).sort());
  }
  if (constrained && method !== "auglag") {
    throw new OptionError(op, "constraints", `method '${method}' does not take constraints; use method 'auglag' (or leave method out)`, Object.keys(SPEC).sort());
  }
  const { layout, vec: x0flat } = Layout.of(x0, op);
  assertFiniteVec(op, "x0", x0flat, layout);
  const n = layout.n;
  const untyped = options as unknown as { bounds?: unknown; constraints?: readonly { fun?: unknown }[] };
  const traced = tracedMinimize({
    op, f: f as unknown as (x: unknown) => unknown, x0, layout, x0flat, bounds: untyped.bounds, constraints: untyped.constraints,
    box: () => (options.bounds !== undefined ? readBox(op, options.bounds, layout) : null),
    solve: (g, cons) => minimize(g as unknown as typeof f, x0, cons ? { ...options, constraints: cons as unknown as NonNullable<MinimizeOptions<TensorTree<T>>["constraints"]> } : options),
  });
  if (traced !== null) return traced as MinimizeResult<TensorTree<T>>;
  const box = options.bounds !== undefined ? readBox(op, options.bounds, layout) : null;
  const { limits, guard } = commonLimits(op, options as unknown as CommonOptions<never>, { maxIterations: method === "gd" ? 10000 : 1000, valueTol: 0 });
  const mo = methodOptions(op, options as unknown as MinimizeOptions<unknown>, n);
  if (method === "auglag") {
    return augLag({
      f: f as unknown as (x: unknown) => Tensor, layout, x0: x0flat, box, options: options as MinimizeOptions<unknown>, limits, guard, mo, solve: solveFlat,
    }) as MinimizeResult<TensorTree<T>>;
  }
  const res = solveFlat({
    f: f as unknown as (x: unknown) => Tensor, layout, x0: x0flat, box, method, limits, guard, mo, jit: options.jit ?? true, op,
    radius0: options.initialTrustRadius,
  });
  return {
    x: layout.toTree(res.x) as unknown as TensorTree<T>,
    value: res.f,
    grad: layout.toTree(res.g) as unknown as TensorTree<T>,
    gradNorm: res.gradNorm,
    iterations: res.iterations,
    evaluations: { ...guard.counts },
    // Only the first-order test is convergence; stepTol and valueTol say a weaker test stopped it.
    converged: res.status === "gradTol",
    status: res.status,
    message: `${method}: ${MESSAGES[res.status]} after ${res.iterations} iteration(s); f = ${res.f}, ‖${box ? "P(x−∇f)−x" : "∇f"}‖∞ = ${res.gradNorm.toExponential(3)}`,
    ...(box ? { constraintViolation: 0 } : {}),
  };
}

/** minimize's method options after defaults. @internal */
export function methodOptions(op: string, options: MinimizeOptions<unknown>, n: number): MethodOptions {
  const cs = options.curvatureCheck;
  const mo: MethodOptions = {
    c1: numOpt(op, options, "c1", 1e-4),
    c2: numOpt(op, options, "c2", 0.9),
    history: numOpt(op, options, "history", 10, 1, true),
    cgMaxIterations: numOpt(op, options, "cgMaxIterations", Math.max(20, 2 * n), 1, true),
    initialTrustRadius: numOpt(op, options, "initialTrustRadius", 1, Number.MIN_VALUE),
    maxTrustRadius: numOpt(op, options, "maxTrustRadius", 1000, Number.MIN_VALUE),
    curvatureSteps: cs === false ? 0 : cs === true || cs === undefined ? Math.min(10, n) : numOpt(op, options, "curvatureCheck", 10, 0, true),
  };
  if (!(mo.c1 > 0 && mo.c1 < mo.c2 && mo.c2 < 1)) throw new DTypeError(op, `line search constants need 0 < c1 < c2 < 1, got c1 = ${mo.c1}, c2 = ${mo.c2}`);
  return mo;
}

/**
 * Runs one method from x0 (projected into the box first) with the given guard, so that
 * several runs (the augmented Lagrangian's subproblems) share one budget and one count.
 * @internal
 */
export function solveFlat(p: FlatProblem): FlatResult {
  const { layout, box, method, limits, guard, mo, op } = p;
  const entry = METHODS[method];
  const n = layout.n;
  const x0flat = p.x0.slice();
  if (box) project(x0flat, box);
  const session = new Session();
  const obj = new Objective(p.f, layout, guard, session, op, p.jit);
  // The run's vectors (run.x, run.g and the method's) live in a workspace of their own; the
  // result below copies out of it, and the workspace is released before return.
  const ws = Workspace.acquire(vectorFloats(3, n) + entry.floats(n, mo));
  const g0 = ws.vec(n);
  let hvp0: HvpOp | undefined;
  let f0: number;
  let status: Status;
  let run: Run;
  const wasStarted = guard.started;
  try {
    if (entry.usesHvp) {
      const lin = obj.linearized(x0flat, g0);
      f0 = lin.value;
      hvp0 = lin.hvp;
    } else {
      f0 = obj.valueGrad(x0flat, g0);
    }
    if (!Number.isFinite(f0)) throw new DTypeError(op, `f(x0) is ${f0}; the objective must be finite at the starting point`);
    if (!allFinite(g0)) assertFiniteVec(op, "the gradient of f at x0", g0, layout);
    guard.started = true;
    const boxOrFree: Box = box ?? freeBox(n);
    run = entry.box ? new BoxRun(layout, guard, limits, x0flat, f0, g0, boxOrFree, ws) : new Run(layout, guard, limits, x0flat, f0, g0, ws);
    run.beforeUserCode = () => session.close();
    try {
      const ctx: MethodContext = hvp0 ? { run, obj, o: mo, hvp0, ws } : { run, obj, o: mo, ws };
      status = run.finish(entry.fn(entry.box ? ({ ...ctx, box: boxOrFree, radius0: p.radius0 } as MethodContext) : ctx));
    } catch (e) {
      if (e instanceof StopRun) status = e.status;
      else throw e;
    }
    return { x: run.x.slice(), f: run.f, g: run.g.slice(), gradNorm: run.gradNorm, iterations: run.iterations, status };
  } catch (e) {
    // A budget that ran out at x0 of a later run (auglag): no step taken.
    if (e instanceof StopRun && wasStarted) {
      return { x: x0flat, f: NaN, g: new Float64Array(n).fill(NaN), gradNorm: NaN, iterations: 0, status: e.status };
    }
    throw e;
  } finally {
    session.close();
    ws.release();
  }
}

function freeBox(n: number): Box {
  return { lower: new Float64Array(n).fill(-Infinity), upper: new Float64Array(n).fill(Infinity), bounded: false };
}
