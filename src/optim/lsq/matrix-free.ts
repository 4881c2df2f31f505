// Matrix-free least squares (large n): J·v by forward mode (linearize), Jᵀ·u by reverse mode
// (vjp), CG on JᵀJ (cg.ts):
//   'lm'           the Gauss–Newton model in a trust region, solved by Steihaug–Toint CG
//                  (N&W §10.3: Levenberg–Marquardt is the trust-region Gauss–Newton method;
//                  Alg. 7.2, 4.1);
//   'gauss-newton' truncated CG on JᵀJ p = −Jᵀr (a forcing term as N&W Alg. 7.1's, made
//                  scale-invariant), then backtracking.
//
// Stopping follows lmder's tests (see Tolerances) without J's columns: ftol on the actual and
// predicted relative reductions of ‖r‖²; xtol on the step (or the radius),
// ≤ xtol·(xtol + ‖x‖) as scipy's trf; gtol on ‖Jᵀr‖ / (σ ‖r‖), σ the largest
// √(dᵀJᵀJd / dᵀd) CG has seen: a lower bound of ‖J‖₂, so the test is never looser than the
// cosine with J's largest singular direction.
import { cgVectors, steihaug, truncatedCg, type LinearOp } from "../cg.js";
import { backtracking } from "../line-search.js";
import type { Status } from "../types.js";
import { addScaled, dot, norm2, normInf } from "../vec.js";
import type { Residual } from "./residual.js";
import { EPS, residualVanished, type LsState } from "./state.js";

/**
 * r's operators (built by `at`) and the Gauss–Newton product J̃ᵀJ̃·v, with σ, a running lower
 * bound of ‖J̃‖₂. With a robust loss J̃ = diag(sc)·J and J̃ᵀr̃ = Jᵀ(sc ⊙ r̃) (loss.ts).
 */
function gaussNewtonOperator(s: LsState): {
  at: (x: Float64Array, g: Float64Array) => void;
  H: LinearOp;
  sigma: () => number;
} {
  const { res, m, ws } = s;
  const Jd = ws.vec(m);
  const robust = s.loss.robust;
  const u = robust ? new Float64Array(m) : Jd;
  let ops!: ReturnType<Residual["operators"]>;
  let sigma2 = 0;
  return {
    at: (x, g) => {
      ops = res.operators(x);
      s.r = ops.r;
      if (!robust) {
        ops.gradient(g);
        s.rt = ops.r;
        return;
      }
      s.rt = new Float64Array(m);
      s.loss.weigh(ops.r, s.rt, s.sc);
      for (let i = 0; i < m; i++) u[i] = s.sc[i]! * s.rt[i]!;
      ops.jtv(u, g);
      res.guard.counts.grad++;
    },
    H: (v, out) => {
      ops.jv(v, Jd);
      if (robust) for (let i = 0; i < m; i++) Jd[i]! *= s.sc[i]! * s.sc[i]!;
      ops.jtv(Jd, out);
      res.guard.counts.hvp++;
      const vv = dot(v, v);
      if (vv > 0) sigma2 = Math.max(sigma2, dot(v, out) / vv);
    },
    sigma: () => Math.sqrt(sigma2),
  };
}

/**
 * CG's forcing tolerance in a scale-invariant form: min(0.5, √(‖g‖/‖g₀‖))·‖g‖, g₀ the gradient
 * at x0. N&W's min(0.5, √‖g‖)·‖g‖ depends on the units of r; this keeps its superlinear rate
 * (the factor → 0 as g does, for zero and nonzero residuals alike).
 */
function forcing(gnorm: number, gnorm0: number): number {
  return Math.min(0.5, Math.sqrt(gnorm0 > 0 ? gnorm / gnorm0 : 0)) * gnorm;
}

/** gtol on ‖Jᵀr‖₂ / (σ ‖r‖₂) (0 when r = 0; untested before CG has estimated σ). */
function gradTolHolds(gnorm: number, rnorm: number, sigma: number, gtol: number): boolean {
  if (rnorm === 0) return true;
  return sigma > 0 && gnorm <= gtol * sigma * rnorm;
}

/** Matrix-free trust-region Gauss–Newton (LM) with Steihaug–Toint CG on JᵀJ. */
export function lmMatrixFree(s: LsState): Status {
  const { run, n, ws, tol } = s;
  const g = ws.vec(n), xT = ws.vec(n);
  const cg = cgVectors(ws, n, true);
  const { p, Hp } = cg;
  const op = gaussNewtonOperator(s);
  op.at(run.x, g);
  run.g.set(g);
  run.gradNorm = normInf(g);
  let radius = s.factor * norm2(run.x) || s.factor;
  const gnorm0 = norm2(g);
  let st = run.initial();
  let first = true;
  while (!st) {
    const gnorm = norm2(g);
    const rnorm = s.loss.robust ? Math.sqrt(2 * run.f) : norm2(s.r);
    if (gradTolHolds(gnorm, rnorm, op.sigma(), tol.gtol)) return "gradTol";
    steihaug(op.H, g, gnorm, radius, forcing(gnorm, gnorm0), s.cgMax, cg);
    const pnorm = norm2(p);
    if (first) radius = Math.min(radius, pnorm);
    first = false;
    const pred = -(dot(g, p) + 0.5 * dot(p, Hp));
    addScaled(run.x, 1, p, xT);
    const fT = s.loss.cost(s.res.eval(xT));
    const fPrev = run.f;
    const ared = fPrev - fT;
    const rho = pred > 0 && Number.isFinite(fT) ? ared / pred : -Infinity;
    if (!(rho >= 0.25)) radius = 0.25 * Math.min(radius, pnorm);
    else if (rho > 0.75 && pnorm >= 0.99 * radius) radius = 2 * radius;
    run.radius = radius;
    if (rho > 1e-4) {
      op.at(xT, g);
      st = run.accept(xT, fT, g);
      if (st) break;
    }
    // lmder's tests after every trial, on reductions relative to the cost before the step.
    const aredRel = Number.isFinite(fT) ? ared / fPrev : -1, predRel = pred / fPrev;
    const xnorm = norm2(run.x);
    if (Math.abs(aredRel) <= tol.ftol && predRel <= tol.ftol && 0.5 * rho <= 1) return "valueTol";
    if (radius <= tol.xtol * (tol.xtol + xnorm)) return "stepTol";
    if (run.f === 0) return "gradTol";
    if (residualVanished(norm2(s.r), s.rnorm0)) return "valueTol";
    if ((Math.abs(aredRel) <= EPS && predRel <= EPS && 0.5 * rho <= 1) || radius <= EPS * xnorm) return "stalled";
  }
  return st;
}

/** Matrix-free Gauss–Newton: truncated CG on JᵀJ p = −Jᵀr, then backtracking. */
export function gaussNewtonMatrixFree(s: LsState): Status {
  const { res, run, n, ws, tol } = s;
  const g = ws.vec(n), xT = ws.vec(n);
  const cg = cgVectors(ws, n);
  const { z } = cg;
  const op = gaussNewtonOperator(s);
  op.at(run.x, g);
  run.g.set(g);
  run.gradNorm = normInf(g);
  const gnorm0 = norm2(g);
  let st = run.initial();
  while (!st) {
    const gnorm = norm2(g);
    const rnorm = s.loss.robust ? Math.sqrt(2 * run.f) : norm2(s.r);
    if (gradTolHolds(gnorm, rnorm, op.sigma(), tol.gtol)) return "gradTol";
    const cgEnd = truncatedCg(op.H, g, gnorm, forcing(gnorm, gnorm0), s.cgMax, cg);
    // JᵀJ is positive semidefinite: zero curvature on the first direction means Jg = 0.
    if (cgEnd.exit === "curvature" && cgEnd.iteration === 0) for (let i = 0; i < n; i++) z[i] = -g[i]!;
    const slope = dot(g, z);
    if (!(slope < 0)) return "lineSearchFailed";
    // The model's reduction along z at α = 1 (CG keeps r = JᵀJz + g): −(gᵀz + ½ zᵀJᵀJz).
    const predFull = -(slope + 0.5 * (dot(z, cg.r) - slope));
    const ls = backtracking(
      (a) => {
        addScaled(run.x, a, z, xT);
        return s.loss.cost(res.eval(xT));
      },
      run.f,
      slope,
      1,
      { c1: 1e-4, maxEvals: 40 },
    );
    if (!ls.ok) {
      if (ls.nonFinite) return "nonFinite";
      const rel = predFull / run.f;
      return rel <= Math.max(tol.ftol, EPS) ? (rel <= tol.ftol ? "valueTol" : "stalled") : "lineSearchFailed";
    }
    addScaled(run.x, ls.alpha, z, xT);
    const fPrev = run.f;
    op.at(xT, g);
    run.radius = ls.alpha;
    st = run.accept(xT, ls.f, g);
    if (st) break;
    const a = ls.alpha;
    const predRel = -(2 * a * slope + a * a * (dot(z, cg.r) - slope)) / (2 * fPrev);
    const aredRel = (fPrev - ls.f) / fPrev;
    const stepNorm = a * norm2(z);
    const xnorm = norm2(run.x);
    if (Math.abs(aredRel) <= tol.ftol && predRel <= tol.ftol) return "valueTol";
    if (stepNorm <= tol.xtol * (tol.xtol + xnorm)) return "stepTol";
    if (run.f === 0) return "gradTol";
    if (residualVanished(norm2(s.r), s.rnorm0)) return "valueTol";
    if ((Math.abs(aredRel) <= EPS && predRel <= EPS) || stepNorm <= EPS * xnorm) return "stalled";
  }
  return st;
}
