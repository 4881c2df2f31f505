// Newton's method with a dense Hessian (Nocedal & Wright §3.4): each step solves
// (H + τI) p = −g by Cholesky, with τ = 0 when H is positive definite and otherwise the
// shift of N&W Algorithm 3.3 (Cholesky with added multiple of the identity), so p is always
// a descent direction; a strong Wolfe line search starting at α = 1 sets the step length.
// Before reporting convergence the Hessian at the final point must factor without a shift;
// if it does not, a Lanczos probe on it looks for negative curvature to step along.
import { CONVERGED } from "./driver.js";
import { cholesky, choleskySolve, shiftedCholesky, symv } from "./dense.js";
import { curvatureFloats, escapeNegativeCurvature } from "./curvature.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext, type MethodOptions } from "./method.js";
import type { HvpOp } from "./objective.js";
import type { Status } from "./types.js";
import { allFinite, dot, negate } from "./vec.js";
import { vectorFloats } from "./workspace.js";

/** Lanczos steps of the curvature probe on the dense Hessian (H·v is cheap there). */
function probeSteps(n: number, o: MethodOptions): number {
  return n <= 200 ? n : Math.max(o.curvatureSteps, 50);
}

/**
 * Float64 of workspace newton needs: its 3 vectors, the line search's 4, the curvature
 * probe's. H and L stay plain arrays: the dense factorizations run in JavaScript.
 */
export function newtonFloats(n: number, o: MethodOptions): number {
  return vectorFloats(7, n) + (o.curvatureSteps > 0 ? curvatureFloats(n, probeSteps(n, o)) : 0);
}

export function newton({ run, obj, o, ws }: MethodContext): Status {
  const n = run.n;
  const H = new Float64Array(n * n);
  const L = new Float64Array(n * n);
  const p = ws.vec(n);
  const xN = ws.vec(n), gN = ws.vec(n);
  let haveH = false; // H holds the Hessian at run.x
  const denseHv: HvpOp = (v, out) => symv(H, n, v, out);
  const valueGrad = (x: Float64Array, g: Float64Array) => obj.valueGrad(x, g);
  const ev = new LineEvaluator(n, valueGrad, ws);
  let st = run.initial();
  for (;;) {
    if (st) {
      if (!CONVERGED.has(st) || o.curvatureSteps <= 0) return st;
      if (!haveH) obj.hessian(run.x, H);
      haveH = true;
      if (cholesky(H, n, L) < 0) return st; // positive definite: a strict local minimum
      const esc = escapeNegativeCurvature(run.x, run.f, run.g, denseHv, probeSteps(n, o), 1, valueGrad, xN, gN, ws);
      if (!esc.moved) return esc.stuck ? "lineSearchFailed" : st;
      haveH = false;
      st = run.accept(xN, esc.f, gN);
      continue;
    }
    if (!haveH) obj.hessian(run.x, H);
    haveH = false;
    if (!allFinite(H)) return "nonFinite";
    const tau = shiftedCholesky(H, n, L);
    negate(run.g, p);
    choleskySolve(L, n, p, p);
    let slope = dot(run.g, p);
    if (!(slope < 0)) {
      // Only rounding can get here (H + τI is positive definite): never step uphill.
      negate(run.g, p);
      slope = dot(run.g, p);
    }
    run.lambda = tau;
    ev.reset(run.x, p);
    let ls = strongWolfe(ev, run.f, slope, 1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok && !ls.nonFinite && tau === 0) {
      // A nearly singular H (a Huber loss with few residuals in its quadratic zone) can give
      // an enormous Newton step; before giving up, search along −∇f (as newton-cg does).
      negate(run.g, p);
      ev.reset(run.x, p);
      ls = strongWolfe(ev, run.f, dot(run.g, p), 1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    }
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    run.radius = ls.alpha;
    const pt = ev.pointAt(ls.alpha);
    st = run.accept(pt.x, pt.f, pt.g);
  }
}
