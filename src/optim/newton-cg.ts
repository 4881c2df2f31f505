// Line-search Newton–CG (truncated Newton; Nocedal & Wright, Algorithm 7.1). The Newton
// system H p = −g is solved approximately by CG on Hessian-vector products, never forming H,
// to the forcing tolerance ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖ (superlinear convergence, N&W Thm 7.2).
// CG stops at the first direction of non-positive curvature dᵀHd ≤ 0. N&W then take the CG
// iterate so far (−g on the first CG iteration); here the step also moves along that
// direction, downhill, by its curvature |dᵀHd|/‖d‖² (as in the negative-curvature steps of
// Royer, O'Neill & Wright, Math. Program. 180, 2020), which leaves saddle regions instead of
// crawling through them (Wood: 85 iterations instead of 451). Every step is a descent
// direction: gᵀz < 0 for the CG iterate, and the added term is chosen with gᵀd ≤ 0.
//
// HVPs come from one linearization of x ↦ (f(x), ∇f(x)) per iterate (Objective.linearized):
// every trial of the line search is evaluated that way (a replay costs about what a plain
// value-and-gradient replay does), so f, ∇f and the HVP operator at the next iterate come from
// a single evaluation whichever trial is accepted, and a run records one program, not two.
//
// Unlike scipy's Newton-CG (scipy issue 20213) this does not report success at a saddle
// point or a maximum: before reporting convergence a Lanczos probe looks for negative
// curvature and the method steps along it when found (see curvature.ts).
import { CONVERGED } from "./driver.js";
import { curvatureFloats, escapeNegativeCurvature } from "./curvature.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext, type MethodOptions } from "./method.js";
import type { HvpOp } from "./objective.js";
import type { Status } from "./types.js";
import { cgVectors, forcingTolerance, truncatedCg } from "./cg.js";
import { axpy, dot, negate, norm2 } from "./vec.js";
import { vectorFloats } from "./workspace.js";

/** Float64 of workspace newton-cg needs: 7 vectors, the line search's 4, the curvature probe's. */
export function newtonCgFloats(n: number, o: MethodOptions): number {
  return vectorFloats(11, n) + curvatureFloats(n, o.curvatureSteps);
}

export function newtonCg({ run, obj, o, hvp0, ws }: MethodContext): Status {
  const n = run.n;
  const cg = cgVectors(ws, n);
  const { z, d } = cg;
  const xN = ws.vec(n), gN = ws.vec(n), gTmp = ws.vec(n);
  let hv: HvpOp | null = hvp0 ?? null;
  /** The HVP operators of this search's trials, by step (a search makes at most LINE_SEARCH_EVALS). */
  const trialAlpha: number[] = [];
  const trialOp: HvpOp[] = [];
  const ev: LineEvaluator = new LineEvaluator(n, (x, g) => {
    const lin = obj.linearized(x, g);
    trialAlpha.push(ev.aT);
    trialOp.push(lin.hvp);
    return lin.value;
  }, ws);
  const opAt = (alpha: number): HvpOp | null => {
    const i = trialAlpha.lastIndexOf(alpha);
    return i >= 0 ? trialOp[i]! : null;
  };
  const startSearch = (): void => {
    trialAlpha.length = 0;
    trialOp.length = 0;
    ev.reset(run.x, z);
  };
  const hvAt = (): HvpOp => (hv ??= obj.linearized(run.x, gTmp).hvp);
  const valueGrad = (x: Float64Array, g: Float64Array) => obj.valueGrad(x, g);
  const maxCg = Math.max(1, o.cgMaxIterations);
  let st = run.initial();
  for (;;) {
    if (st) {
      if (!CONVERGED.has(st) || o.curvatureSteps <= 0) return st;
      const esc = escapeNegativeCurvature(run.x, run.f, run.g, hvAt(), o.curvatureSteps, 1, valueGrad, xN, gN, ws);
      if (!esc.moved) return esc.stuck ? "lineSearchFailed" : st;
      hv = null;
      st = run.accept(xN, esc.f, gN);
      continue;
    }
    const H = hvAt();
    // Truncated CG on H p = −g (N&W Algorithm 7.1); z is the iterate, r = H z + g.
    const g = run.g;
    const gnorm = norm2(g);
    const cgEnd = truncatedCg(H, g, gnorm, forcingTolerance(gnorm), maxCg, cg);
    if (cgEnd.exit === "curvature") {
      // Non-positive curvature along d: N&W 7.1 stops with z (−g if j = 0). Also move along
      // d, downhill, by its curvature |dᵀHd|/‖d‖² (cf. Royer, O'Neill & Wright, Math. Prog.
      // 180, 2020), so that saddle regions are left instead of crawled through.
      const dd = dot(d, d);
      const len = Math.max(Math.abs(cgEnd.dHd) / dd, 0) / Math.sqrt(dd);
      const sign = dot(g, d) > 0 ? -1 : 1;
      if (len > 0 && Number.isFinite(len)) axpy(sign * len, d, z);
      else if (cgEnd.iteration === 0) negate(g, z);
    }
    let slope = dot(g, z);
    if (!(slope < 0)) {
      negate(g, z);
      slope = -gnorm * gnorm;
    }
    startSearch();
    let ls = strongWolfe(ev, run.f, slope, 1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok && !ls.nonFinite && slope !== -gnorm * gnorm) {
      // The CG step can be useless where H is nearly singular (a Huber loss far from the fit:
      // only a few residuals in the quadratic zone make the curvature tiny and the step
      // enormous). Before giving up, search along −∇f, which always descends.
      negate(g, z);
      startSearch();
      ls = strongWolfe(ev, run.f, -gnorm * gnorm, 1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    }
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    const pt = ev.pointAt(ls.alpha);
    hv = opAt(ls.alpha);
    run.radius = ls.alpha;
    st = run.accept(pt.x, pt.f, pt.g);
  }
}
