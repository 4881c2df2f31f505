// Newton's method with a dense Hessian (Nocedal & Wright §3.4): each step solves
// (H + τI) p = −g by Cholesky, with τ = 0 when H is positive definite and otherwise the
// shift of N&W Algorithm 3.3 (Cholesky with added multiple of the identity), so p is always
// a descent direction; a strong Wolfe line search starting at α = 1 sets the step length.
// Before reporting convergence the Hessian at the final point must factor without a shift;
// if it does not, a Lanczos probe on it looks for negative curvature to step along.
import { CONVERGED } from "./driver.js";
import { cholesky, choleskySolve, shiftedCholesky, symv } from "./dense.js";
import { escapeNegativeCurvature } from "./curvature.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext } from "./method.js";
import type { HvpOp } from "./objective.js";
import type { Status } from "./types.js";
import { allFinite, dot } from "./vec.js";

export function newton({ run, obj, o }: MethodContext): Status {
  const n = run.n;
  const H = new Float64Array(n * n);
  const L = new Float64Array(n * n);
  const p = new Float64Array(n);
  const xN = new Float64Array(n), gN = new Float64Array(n);
  let haveH = false; // H holds the Hessian at run.x
  const denseHv: HvpOp = (v, out) => symv(H, n, v, out);
  const valueGrad = (x: Float64Array, g: Float64Array) => obj.valueGrad(x, g);
  const ev = new LineEvaluator(n, valueGrad);
  let st = run.initial();
  for (;;) {
    if (st) {
      if (!CONVERGED.has(st) || o.curvatureSteps <= 0) return st;
      if (!haveH) obj.hessian(run.x, H);
      haveH = true;
      if (cholesky(H, n, L) < 0) return st; // positive definite: a strict local minimum
      const steps = n <= 200 ? n : Math.max(o.curvatureSteps, 50); // dense H·v is cheap
      const esc = escapeNegativeCurvature(run.x, run.f, run.g, denseHv, steps, 1, valueGrad, xN, gN);
      if (!esc.moved) return esc.stuck ? "lineSearchFailed" : st;
      haveH = false;
      st = run.accept(xN, esc.f, gN);
      continue;
    }
    if (!haveH) obj.hessian(run.x, H);
    haveH = false;
    if (!allFinite(H)) return "nonFinite";
    const tau = shiftedCholesky(H, n, L);
    for (let i = 0; i < n; i++) p[i] = -run.g[i]!;
    choleskySolve(L, n, p, p);
    let slope = dot(run.g, p);
    if (!(slope < 0)) {
      // Only rounding can get here (H + τI is positive definite): never step uphill.
      for (let i = 0; i < n; i++) p[i] = -run.g[i]!;
      slope = dot(run.g, p);
    }
    run.lambda = tau;
    ev.reset(run.x, p);
    const ls = strongWolfe(ev, run.f, slope, 1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    run.radius = ls.alpha;
    const pt = ev.pointAt(ls.alpha);
    st = run.accept(pt.x, pt.f, pt.g);
  }
}
