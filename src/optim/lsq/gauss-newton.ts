// Dense Gauss–Newton: JᵀJ p = −Jᵀr by Cholesky (shifted if JᵀJ is singular, N&W Alg. 3.3),
// then Armijo backtracking on the cost (N&W §10.3, "line search Gauss–Newton"). Stops with
// lmder's tests (see Tolerances): gtol on the cosine between r and J's columns, ftol on the
// actual and predicted relative reductions of ‖r‖², xtol on the scaled step ‖D αp‖ ≤ xtol‖D x‖
// with D the running maximum of J's column norms, as LM scales.
import type { Status } from "../types.js";
import { choleskySolve, shiftedCholesky, symv } from "../dense.js";
import { backtracking } from "../line-search.js";
import { addScaled, allFinite, dot, norm2 } from "../vec.js";
import { EPS, acceptDense, colNorms, costNorm, gradientCosine, jacobianVanished, normalMatrix, residualVanished, scaledNorm, weighDense, type LsState } from "./state.js";

export function gaussNewtonDense(s: LsState): Status {
  const { res, run, m, n, tol } = s;
  const A = new Float64Array(n * n), L = new Float64Array(n * n), Ap = new Float64Array(n);
  const g = new Float64Array(n), p = new Float64Array(n), xT = new Float64Array(n);
  const D = new Float64Array(n), cn = new Float64Array(n);
  // Jᵀr at x0 was formed (and counted) by leastSquares: it is run.g.
  normalMatrix(s.J!, m, n, A);
  colNorms(s.J!, m, n, cn);
  if (s.diag) D.set(s.diag);
  g.set(run.g);
  let fnorm = costNorm(s, s.r, run.f);
  let st = run.initial();
  while (!st) {
    if (jacobianVanished(cn, fnorm)) return "stalled";
    const gnorm = gradientCosine(g, cn, fnorm);
    if (gnorm <= tol.gtol) return "gradTol";
    if (!s.diag) for (let j = 0; j < n; j++) D[j] = Math.max(D[j]!, cn[j]! > 0 ? cn[j]! : 1);
    const tau = shiftedCholesky(A, n, L);
    for (let i = 0; i < n; i++) p[i] = -g[i]!;
    choleskySolve(L, n, p, p);
    let slope = dot(g, p);
    if (!(slope < 0)) {
      for (let i = 0; i < n; i++) p[i] = -g[i]!;
      slope = dot(g, p);
    }
    symv(A, n, p, Ap);
    let pAp = dot(p, Ap);
    const fsq = fnorm * fnorm;
    // The model's relative reduction of ‖r‖² along αp: −(2α gᵀp + α² pᵀJᵀJp) / ‖r‖².
    const prered = (a: number): number => -(2 * a * slope + a * a * pAp) / fsq;
    let last: Float64Array | null = null;
    const search = (): ReturnType<typeof backtracking> => backtracking(
      (a) => {
        addScaled(run.x, a, p, xT);
        last = res.eval(xT);
        return s.loss.cost(last);
      },
      run.f,
      slope,
      1,
      { c1: 1e-4, maxEvals: 40 },
    );
    let ls = search();
    if (!ls.ok && !ls.nonFinite && s.loss.robust) {
      // A robust loss can make J̃ᵀJ̃ nearly singular (residuals where ρ′ + 2ρ″z ≈ 0): the
      // Gauss–Newton step is then useless. Before giving up, search along −∇cost.
      for (let i = 0; i < n; i++) p[i] = -g[i]!;
      slope = dot(g, p);
      symv(A, n, p, Ap);
      pAp = dot(p, Ap);
      ls = search();
    }
    if (!ls.ok || !last) {
      if (ls.nonFinite) return "nonFinite";
      // No decrease along the Gauss–Newton direction: at a minimizer to working precision if
      // the model itself predicts no measurable decrease (lmder's info 6), otherwise a failure.
      return prered(1) <= Math.max(tol.ftol, EPS) ? (prered(1) <= tol.ftol ? "valueTol" : "stalled") : "lineSearchFailed";
    }
    const Jt = res.jacobian(xT);
    if (!allFinite(Jt)) return "nonFinite";
    const fnormT = costNorm(s, last, ls.f);
    const ared = 1 - (fnormT / fnorm) ** 2;
    // The tests use the full Gauss–Newton step: a short line-search step along a poor
    // direction says nothing about convergence (its predicted reduction and length are small).
    const pr = prered(1);
    const stepNorm = scaledNorm(D, p);
    fnorm = fnormT;
    acceptDense(s, last, Jt, A, g, cn);
    run.radius = ls.alpha;
    run.lambda = tau;
    st = run.accept(xT, ls.f, g);
    if (st) break;
    const xnorm = scaledNorm(D, run.x);
    if (Math.abs(ared) <= tol.ftol && pr <= tol.ftol) return "valueTol";
    // The scaling D is the running maximum of the column norms (Moré's, for LM's trust region);
    // a line search has no radius to keep stable, and a D inflated by columns far back on the
    // path can make every step look small while Jᵀr is far from 0: the step must also be
    // small in the column norms at x.
    if (stepNorm <= tol.xtol * xnorm && scaledNorm(cn, p) <= tol.xtol * scaledNorm(cn, run.x)) return "stepTol";
    if (fnorm === 0) return "gradTol";
    if (residualVanished(fnorm, s.rnorm0)) return "valueTol";
    if ((Math.abs(ared) <= EPS && pr <= EPS) || stepNorm <= EPS * xnorm) return "stalled";
  }
  return st;
}
