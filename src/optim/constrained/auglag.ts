// General constraints by an augmented Lagrangian over the bound-constrained solvers, in the
// safeguarded Powell–Hestenes–Rockafellar form of ALGENCAN (Andreani, Birgin, Martínez &
// Schuverdt, SIAM J. Optim. 18(4), 2007; Birgin & Martínez, "Practical Augmented Lagrangian
// Methods for Constrained Optimization", SIAM 2014, Algorithm 4.1). With h(x) = 0 (eq) and
// c(x) ≥ 0 (ineq), each outer iteration minimizes, over the bounds,
//
//   Φ(x) = f(x) + ρ/2·Σ (hᵢ(x) + λᵢ/ρ)² + ρ/2·Σ max(0, μⱼ/ρ − cⱼ(x))²,
//
// as a matcalc function, so the inner solver (tron by default: exact HVPs of Φ, which hold the
// Lagrangian's Hessian plus ρ·JᵀJ on the active part; or lbfgsb) gets exact derivatives. Then
// λ ← λ + ρh, μ ← max(0, μ − ρc) (first-order updates, λ kept in [−1e20, 1e20]), and ρ grows
// ×10 when the infeasibility-complementarity measure V = max(‖h‖∞, ‖min(c, μ/ρ)‖∞) did not
// fall below half its previous value. At the end of a subproblem ∇Φ = ∇f − Σ λᵢ∇cᵢ with the
// updated multipliers, so the subproblem's projected gradient is the KKT residual of the
// Lagrangian: the run converges when it is ≤ gradTol with violation ≤ constraintTol.
import { DTypeError, ShapeError, fmtShape } from "../../errors.js";
import { Tensor, storage } from "../../core/tensor.js";
import { relu } from "../../ops/elementwise.js";
import { jacobian, valueAndGrad } from "../../transforms/transforms.js";
import { invertSmall } from "../dense.js";
import { checkOptions, fn, oneOf } from "../../options.js";
import type { Box } from "../bounds.js";
import { projectedGradient } from "../bounds.js";
import { CONVERGED, MESSAGES, type Limits } from "../driver.js";
import type { Layout } from "../flat.js";
import type { Guard } from "../objective.js";
import { StopRun } from "../objective.js";
import type { MethodOptions } from "../method.js";
import type { Constraint, IterationState, MinimizeMethod, MinimizeOptions, MinimizeResult, ResultStatus, Status } from "../types.js";
import { diffNormInf, normInf } from "../vec.js";

import type { FlatSolver } from "../flat-solve.js";

export interface AugLagProblem {
  f: (x: unknown) => Tensor;
  layout: Layout;
  x0: Float64Array;
  box: Box | null;
  options: MinimizeOptions<unknown>;
  limits: Limits;
  guard: Guard;
  mo: MethodOptions;
  solve: FlatSolver;
}

const OUTER_MAX = 100;
/** Statuses that end the whole run (budgets, the user). */
const STOPS: ReadonlySet<string> = new Set(["maxEvaluations", "timeLimit", "aborted", "callback"]);
/** Newton iterations per subproblem before handing over to L-BFGS-B. */
const NEWTON_ITERATIONS = 200;
/** KKT residual below which a feasible point where x stopped moving counts as converged (stepTol). */
const STALL_KKT = 1e-4;
const RHO_MAX = 1e20;
const LAMBDA_MAX = 1e20;

interface CInfo {
  type: "eq" | "ineq";
  fun: (x: unknown) => Tensor;
  shape: readonly number[];
  size: number;
  offset: number;
}

const op = "minimize";

/** Evaluates every constraint at x into out (eq and ineq entries in constraint order). */
function evalConstraints(cs: readonly CInfo[], layout: Layout, x: Float64Array, out: Float64Array): void {
  const tree = layout.toTree(x);
  for (const c of cs) {
    const y = c.fun(tree);
    if (!(y instanceof Tensor)) throw new DTypeError(op, `constraint functions must return a Tensor computed from x with matcalc ops, got ${y === null ? "null" : typeof y}`);
    if (y.size !== c.size) throw new DTypeError(op, `a constraint function returned ${y.size} entries at one point and ${c.size} at x0`);
    out.set(y.data, c.offset);
  }
}

export function augLag(p: AugLagProblem): MinimizeResult<unknown> {
  const { f, layout, box, options, guard, mo, solve } = p;
  let limits = p.limits;
  const list = options.constraints ?? [];
  const cs: CInfo[] = [];
  const tree0 = layout.toTree(p.x0);
  let m = 0;
  list.forEach((c: Constraint<unknown>, i: number) => {
    checkOptions(`${op} (constraints[${i}])`, c, { type: oneOf("eq", "ineq"), fun: fn });
    if (c === undefined || c === null || typeof c.fun !== "function" || (c.type !== "eq" && c.type !== "ineq")) {
      throw new DTypeError(op, `constraints[${i}] must be { type: 'eq' | 'ineq', fun }`);
    }
    const y = c.fun(tree0);
    if (!(y instanceof Tensor)) throw new DTypeError(op, `constraints[${i}].fun must return a Tensor computed from x with matcalc ops, got ${y === null ? "null" : typeof y}`);
    for (let k = 0; k < y.size; k++) {
      if (!Number.isFinite(y.data[k]!)) throw new DTypeError(op, `constraints[${i}].fun(x0) contains ${y.data[k]} at entry ${k}; it must be finite`);
    }
    cs.push({ type: c.type, fun: c.fun as (x: unknown) => Tensor, shape: y.shape, size: y.size, offset: m });
    m += y.size;
  });
  const isEq = new Uint8Array(m);
  for (const c of cs) if (c.type === "eq") isEq.fill(1, c.offset, c.offset + c.size);
  const tol = options.constraintTol ?? 1e-8;
  // The KKT test is absolute, on ∇ₓL: 1e-5 (minimize's default for ‖∇f‖∞) leaves f* wrong in
  // the 6th digit on problems such as HS 23, 31, 34; unless the user set gradTol, auglag asks
  // for 1e-8.
  if (options.gradTol === undefined) limits = { ...limits, gradTol: 1e-8 };
  const inner: Exclude<MinimizeMethod, "auglag"> = options.subproblemMethod ?? "tron";
  const jit = options.jit ?? true;

  const cval = new Float64Array(m);
  const lam = new Float64Array(m); // λ (eq) and μ ≥ 0 (ineq) in Φ's convention
  const x = p.x0.slice();
  if (box) for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(x[i]!, box.lower[i]!), box.upper[i]!);
  /** f(x) as a number, f's result checked as the Objective checks it. */
  const fAt = (xv: Float64Array): number => {
    const y: unknown = f(layout.toTree(xv));
    if (!(y instanceof Tensor)) throw new DTypeError(op, `f must return a scalar Tensor computed from x with matcalc ops, got ${y === null ? "null" : typeof y}`);
    if (y.size !== 1) throw new ShapeError(op, `f must return a scalar (one entry), got shape ${fmtShape(y.shape)}`, [y.shape]);
    return y.data[0]!;
  };
  const f0 = fAt(x);
  guard.counts.f++;
  evalConstraints(cs, layout, x, cval);
  /** max(‖h‖∞, ‖max(0, −c)‖∞). */
  const violation = (): number => {
    let v = 0;
    for (let k = 0; k < m; k++) v = Math.max(v, isEq[k] ? Math.abs(cval[k]!) : Math.max(0, -cval[k]!));
    return v;
  };
  /**
   * Least-squares multipliers at a feasible x: λ minimizing ‖∇f − J_Aᵀλ‖ over the equalities
   * and the active inequalities (cⱼ ≤ max(constraintTol, 1e-10)), dropping any inequality whose λ comes
   * out negative, and the KKT residual ‖P(x − (∇f − J_Aᵀλ)) − x‖∞ they leave. The Φ-gradient
   * residual above is only as good as the last subproblem's solution: at large ρ that
   * subproblem is ill-conditioned and its gradient stalls far above the true KKT residual of a
   * point that is in fact optimal (HS 75). Null when the Jacobian would be large.
   */
  const lsMultipliers = (): { kkt: number; scale: number; lam: Float64Array } | null => {
    const n = layout.n;
    if (m === 0 || m * n > 4e6 || m > 2000) return null;
    const tree = layout.toTree(x);
    const [, gt] = valueAndGrad(f)(tree) as [Tensor, unknown];
    guard.counts.f++;
    guard.counts.grad++;
    const g = new Float64Array(n);
    layout.read(gt, g, op);
    const J = new Float64Array(m * n); // row-major m × n
    for (const c of cs) {
      // Read in place: `.data` is a fresh copy on every access.
      const Jc = storage(jacobian(c.fun)(tree));
      for (let i = 0; i < c.size; i++) for (let j = 0; j < n; j++) J[(c.offset + i) * n + j] = Jc[i + j * c.size]!;
    }
    // Variables at a bound take their own multipliers: the fit is over the free ones.
    const fr = new Float64Array(n).fill(1);
    if (box) for (let j = 0; j < n; j++) if (x[j]! <= box.lower[j]! || x[j]! >= box.upper[j]!) fr[j] = 0;
    let active: number[] = [];
    for (let k = 0; k < m; k++) if (isEq[k] || cval[k]! <= Math.max(tol, 1e-10)) active.push(k);
    const lam = new Float64Array(m);
    for (let pass = 0; pass < 5; pass++) {
      const a = active.length;
      lam.fill(0);
      if (a > 0) {
        const A = new Float64Array(a * a), rhs = new Float64Array(a);
        for (let p = 0; p < a; p++) {
          const rp = active[p]! * n;
          for (let q = 0; q <= p; q++) {
            const rq = active[q]! * n;
            let sum = 0;
            for (let j = 0; j < n; j++) sum += fr[j]! * J[rp + j]! * J[rq + j]!;
            A[p * a + q] = A[q * a + p] = sum;
          }
          let sg = 0;
          for (let j = 0; j < n; j++) sg += fr[j]! * J[rp + j]! * g[j]!;
          rhs[p] = sg;
        }
        let tr = 0;
        for (let p = 0; p < a; p++) tr += A[p * a + p]!;
        for (let p = 0; p < a; p++) A[p * a + p] += 1e-14 * tr;
        if (!invertSmall(A, a)) return null;
        for (let p = 0; p < a; p++) {
          let sum = 0;
          for (let q = 0; q < a; q++) sum += A[p * a + q]! * rhs[q]!;
          lam[active[p]!] = sum;
        }
      }
      const drop = active.filter((k) => !isEq[k] && lam[k]! < 0);
      if (drop.length === 0) break;
      active = active.filter((k) => isEq[k] || lam[k]! >= 0);
    }
    for (let k = 0; k < m; k++) if (!isEq[k] && lam[k]! < 0) lam[k] = 0;
    const r = g.slice();
    for (let k = 0; k < m; k++) {
      const l = lam[k]!;
      if (l !== 0) for (let j = 0; j < n; j++) r[j] -= l * J[k * n + j]!;
    }
    let res: number;
    if (box) {
      projectedGradient(x, r, box, pg);
      res = normInf(pg);
    } else res = normInf(r);
    for (let k = 0; k < m; k++) if (!isEq[k]) res = Math.max(res, Math.abs(lam[k]! * cval[k]!));
    // The residual is a difference of ∇f and the terms λₖ∇cₖ: relative to the largest of them.
    let scale = Math.max(1, normInf(g));
    for (let k = 0; k < m; k++) {
      const l = Math.abs(lam[k]!);
      if (l === 0) continue;
      let jn = 0;
      for (let j = 0; j < n; j++) jn = Math.max(jn, Math.abs(J[k * n + j]!));
      scale = Math.max(scale, l * jn);
    }
    return { kkt: res, scale, lam };
  };
  /** Least-squares multipliers (report convention) when they certified convergence. */
  let lsLam: Float64Array | null = null;
  // Initial penalty (Birgin & Martínez §12.4): balances f and ½‖violation‖² at x0.
  let sq = 0;
  for (let k = 0; k < m; k++) {
    const v = isEq[k] ? cval[k]! : Math.min(0, cval[k]!);
    sq += v * v;
  }
  let rho = Math.max(1e-8, Math.min((10 * Math.max(1, Math.abs(f0))) / Math.max(1, 0.5 * sq), 1e8));
  if (!Number.isFinite(rho)) rho = 10;
  let Vprev = Infinity;
  let status: ResultStatus = "maxIterations";
  let outer = 0, innerIterations = 0, done = 0;
  let kkt = Infinity;
  const viols: number[] = [];
  const pg = new Float64Array(layout.n);
  let fx = f0;
  let pgNorm = Infinity;

  const phiFor = (rhoK: number, shift: Float64Array) => {
    // Shifts λ/ρ (eq) and μ/ρ (ineq), captured as constants of this subproblem.
    const shifts = cs.map((c) => new Tensor(c.shape, shift.slice(c.offset, c.offset + c.size)));
    const half = rhoK / 2;
    return (xt: unknown): Tensor => {
      let v = f(xt);
      cs.forEach((c, i) => {
        const y = c.fun(xt);
        const t = c.type === "eq" ? y.add(shifts[i]!) : relu(shifts[i]!.sub(y));
        v = v.add(t.square().sum().mul(half));
      });
      return v;
    };
  };

  try {
    for (outer = 0; outer < OUTER_MAX; outer++) {
      const shift = new Float64Array(m);
      for (let k = 0; k < m; k++) shift[k] = lam[k]! / rho;
      // Inner tolerance: 0.1 for the first subproblem, tenfold tighter for each next, down to gradTol.
      const epsK = Math.max(limits.gradTol, 10 ** -(outer + 1));
      const innerLimits: Limits = { ...limits, gradTol: epsK, callback: undefined, maxIterations: inner === "tron" ? Math.min(limits.maxIterations, NEWTON_ITERATIONS) : limits.maxIterations };
      let res = solve({ f: phiFor(rho, shift), layout, x0: x, box, method: inner, limits: innerLimits, guard, mo, jit, op });
      // Φ is only once differentiable where an inequality turns active (max(0, ·)²): its Hessian
      // jumps there, and a Newton trust region can crawl along such kinks (HS 113 spends
      // thousands of tron iterations). If the Newton run stops without converging, L-BFGS-B
      // (indifferent to the jumps) goes on from where it stopped.
      if (inner === "tron" && !CONVERGED.has(res.status) && !STOPS.has(res.status) && Number.isFinite(res.f)) {
        const more = solve({ f: phiFor(rho, shift), layout, x0: res.x, box, method: "lbfgsb", limits: innerLimits, guard, mo, jit, op });
        res = { ...more, iterations: res.iterations + more.iterations };
      }
      innerIterations += res.iterations;
      done++;
      if (STOPS.has(res.status)) {
        status = res.status;
        break;
      }
      if (!Number.isFinite(res.f) && res.status === "nonFinite") {
        status = "nonFinite";
        break;
      }
      const step = diffNormInf(res.x, x);
      x.set(res.x);
      evalConstraints(cs, layout, x, cval);
      // Multipliers at the subproblem's solution: ∇Φ(x) = ∇f − Σ λᵢ⁺∇cᵢ in the report's sign.
      let V = 0, comp = 0;
      for (let k = 0; k < m; k++) {
        if (isEq[k]) {
          lam[k] = Math.min(LAMBDA_MAX, Math.max(-LAMBDA_MAX, lam[k]! + rho * cval[k]!));
          V = Math.max(V, Math.abs(cval[k]!));
        } else {
          const muNew = Math.max(0, lam[k]! - rho * cval[k]!);
          V = Math.max(V, Math.abs(Math.min(cval[k]!, lam[k]! / rho)));
          lam[k] = Math.min(LAMBDA_MAX, muNew);
          comp = Math.max(comp, Math.abs(Math.min(cval[k]!, muNew)));
        }
      }
      // The KKT residual with the updated multipliers: the projected gradient of Φ at x (its
      // g is ∇Φ, which is ∇ₓL for these multipliers).
      if (box) projectedGradient(x, res.g, box, pg);
      pgNorm = box ? normInf(pg) : normInf(res.g);
      kkt = Math.max(pgNorm, comp);
      const viol = violation();
      viols.push(viol);
      fx = fAt(x);
      guard.counts.f++;
      // The callback sees every outer iteration.
      if (limits.callback) {
        const xFlat = x.slice();
        let t: unknown;
        const state: IterationState = {
          iteration: outer + 1,
          get x() {
            return (t ??= layout.toTree(xFlat)) as never;
          },
          xFlat,
          value: fx,
          gradNorm: kkt,
          stepNorm: step,
          evaluations: { ...guard.counts },
          elapsedMs: guard.elapsed(),
          lambda: rho,
        };
        const r = limits.callback(state);
        if (r === false || r === "stop") {
          status = "callback";
          break;
        }
      }
      if (viol <= tol && pgNorm <= limits.gradTol && comp <= Math.max(tol, limits.gradTol)) {
        status = "gradTol";
        break;
      }
      // Feasible, but Φ's gradient says no: ask the least-squares multipliers (a residual
      // relative to the size of ∇f and of the λₖ∇cₖ it balances).
      if (viol <= tol && epsK <= limits.gradTol) {
        const ls = lsMultipliers();
        if (ls && ls.kkt <= limits.gradTol * ls.scale) {
          kkt = ls.kkt;
          lsLam = ls.lam;
          status = "gradTol";
          break;
        }
      }
      // x no longer moves: converged on stepTol only where the KKT residual is small too (a
      // stalled subproblem far from a KKT point is not convergence; the run goes on).
      if (viol <= tol && epsK <= limits.gradTol && step <= limits.stepTol * (1 + normInf(x)) && kkt <= STALL_KKT) {
        status = "stepTol";
        break;
      }
      // Infeasible: the penalty is huge and the violation stopped falling.
      const n = viols.length;
      if (viol > tol && rho >= 1e10 && n >= 4 && viols[n - 1]! >= 0.99 * viols[n - 4]!) {
        status = "infeasible";
        break;
      }
      if (rho >= RHO_MAX) {
        status = viol > tol ? "infeasible" : "maxIterations";
        break;
      }
      if (V > 0.5 * Vprev) rho = Math.min(RHO_MAX, 10 * rho);
      Vprev = V;
    }
    if (outer >= OUTER_MAX) status = violation() > tol ? "infeasible" : "maxIterations";
  } catch (e) {
    if (e instanceof StopRun) status = e.status;
    else throw e;
  }
  // ∇f at the result (one more gradient).
  const [fv, gt] = valueAndGrad(f)(layout.toTree(x)) as [Tensor, unknown];
  guard.counts.f++;
  guard.counts.grad++;
  const g = new Float64Array(layout.n);
  layout.read(gt, g, op);
  fx = fv.data[0]!;
  const viol = violation();
  // Report multipliers in the convention ∇f = Σ λᵢ∇cᵢ: Φ's λ enters with a + sign for eq.
  const multipliers = cs.map((c) => {
    if (lsLam) return new Tensor(c.shape, lsLam.slice(c.offset, c.offset + c.size));
    const v = lam.slice(c.offset, c.offset + c.size);
    if (c.type === "eq") for (let k = 0; k < v.length; k++) v[k] = -v[k]! || 0;
    return new Tensor(c.shape, v);
  });
  const converged = status === "gradTol" || status === "stepTol";
  const msg = status === "infeasible"
    ? "stopped: infeasible: the constraint violation could not be reduced below constraintTol"
    : MESSAGES[status as Status];
  return {
    x: layout.toTree(x),
    value: fx,
    grad: layout.toTree(g),
    gradNorm: pgNorm,
    iterations: done,
    evaluations: { ...guard.counts },
    converged,
    status,
    message: `auglag (${inner}): ${msg} after ${done} outer / ${innerIterations} inner iteration(s); f = ${fx}, violation = ${viol.toExponential(3)}, KKT residual = ${kkt.toExponential(3)}`,
    constraintViolation: viol,
    kktResidual: kkt,
    multipliers,
  };
}
