// Dense Levenberg–Marquardt as in Moré, "The Levenberg–Marquardt algorithm: implementation
// and theory" (Numerical Analysis, LNM 630, 1978) and MINPACK's lmder: a trust region
// ‖D p‖ ≤ Δ on the scaled step, D the running maximum of J's column norms (Moré's scaling,
// §6), λ found by Moré's safeguarded Newton iteration on ‖D p(λ)‖ = Δ (§5, also N&W
// Algorithm 4.3), Δ and λ updated from the ratio of actual to predicted reduction (§7). The
// damped systems (JᵀJ + λD²) p = −Jᵀr are solved by Cholesky (dense.ts).
//
// Stopping is lmder's (see Tolerances): gtol on the cosine between r and J's columns at every
// new Jacobian; ftol and xtol after every trial step; and lmder's info 6–8 (a tolerance below
// machine precision can no longer be met) as 'stalled'.
import type { Status } from "../types.js";
import { cholesky, choleskySolve, forwardSolve, symv } from "../dense.js";
import { addScaled, allFinite, dot, norm2 } from "../vec.js";
import { EPS, acceptDense, colNorms, costNorm, gradientCosine, jacobianVanished, normalMatrix, residualVanished, scaledNorm, weighDense, type LsState } from "./state.js";

/**
 * Moré's λ iteration: p solving (A + λD²) p = −g with ‖Dp‖ ≈ Δ (within 10%), or the
 * Gauss–Newton step (λ = 0) when that is inside the region. A = JᵀJ. Returns λ.
 */
export function lmpar(A: Float64Array, g: Float64Array, D: Float64Array, n: number, delta: number, lambda0: number, p: Float64Array, L: Float64Array, M: Float64Array, q: Float64Array): number {
  const dwarf = 2.2250738585072014e-308;
  const dnorm = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (D[i]! * p[i]!) ** 2;
    return Math.sqrt(s);
  };
  const factor = (lam: number): boolean => {
    for (let i = 0; i < n * n; i++) M[i] = A[i]!;
    for (let i = 0; i < n; i++) M[i * n + i]! += lam * D[i]! * D[i]!;
    return cholesky(M, n, L) < 0;
  };
  const solveP = (): void => {
    for (let i = 0; i < n; i++) p[i] = -g[i]!;
    choleskySolve(L, n, p, p);
  };
  /** ‖L⁻¹ (D² p / ‖Dp‖)‖² : −φ'(λ)·‖Dp‖ (Moré 1978 eq. 5.5). */
  const dphi = (dx: number): number => {
    for (let i = 0; i < n; i++) q[i] = (D[i]! * D[i]! * p[i]!) / dx;
    forwardSolve(L, n, q, q);
    return dot(q, q);
  };
  // Gauss–Newton step, if JᵀJ is nonsingular (to working precision).
  let parl = 0;
  let dxnorm = Infinity;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, A[i * n + i]!);
  if (factor(0)) {
    let minPivot = Infinity;
    for (let i = 0; i < n; i++) minPivot = Math.min(minPivot, L[i * n + i]! * L[i * n + i]!);
    if (minPivot > 1e-14 * maxDiag) {
      solveP();
      dxnorm = dnorm();
      const fp = dxnorm - delta;
      if (fp <= 0.1 * delta) return 0;
      parl = fp / delta / dphi(dxnorm);
    }
  }
  // Upper bound ‖D⁻¹g‖/Δ.
  let gnorm = 0;
  for (let i = 0; i < n; i++) gnorm += (g[i]! / D[i]!) ** 2;
  gnorm = Math.sqrt(gnorm);
  let paru = gnorm / delta;
  if (paru === 0) paru = dwarf / Math.min(delta, 0.1);
  let lam = Math.min(Math.max(lambda0, parl), paru);
  if (lam === 0) lam = Number.isFinite(dxnorm) ? gnorm / dxnorm : gnorm / delta;
  let prevFp = Infinity;
  for (let iter = 1; ; iter++) {
    if (lam === 0) lam = Math.max(dwarf, 0.001 * paru);
    if (!factor(lam)) {
      // Not positive definite only through rounding: raise λ.
      parl = Math.max(parl, lam);
      lam = Math.max(lam * 10, Math.sqrt(Math.max(parl, dwarf) * paru));
      if (iter >= 30) throw new Error("leastSquares: internal: damped normal equations failed to factor");
      continue;
    }
    solveP();
    dxnorm = dnorm();
    const fp = dxnorm - delta;
    if (Math.abs(fp) <= 0.1 * delta || (parl === 0 && fp <= prevFp && prevFp < 0) || iter >= 10) return lam;
    const parc = fp / delta / dphi(dxnorm);
    if (fp > 0) parl = Math.max(parl, lam);
    if (fp < 0) paru = Math.min(paru, lam);
    lam = Math.max(parl, lam + parc);
    prevFp = fp;
  }
}

/** Dense Levenberg–Marquardt (Moré 1978; MINPACK lmder). */
export function lmDense(s: LsState): Status {
  const { res, run, m, n, tol } = s;
  const A = new Float64Array(n * n), L = new Float64Array(n * n), M = new Float64Array(n * n);
  const g = new Float64Array(n), p = new Float64Array(n), q = new Float64Array(n), Ap = new Float64Array(n);
  const xT = new Float64Array(n), D = new Float64Array(n), cn = new Float64Array(n);
  let J = s.J!;
  colNorms(J, m, n, cn);
  // Moré's scaling: D_j = max over iterations of ‖J e_j‖ (1 where a column is zero).
  if (s.diag) D.set(s.diag);
  else for (let j = 0; j < n; j++) D[j] = cn[j]! > 0 ? cn[j]! : 1;
  let xnorm = scaledNorm(D, run.x);
  let delta = s.factor * xnorm;
  if (delta === 0) delta = s.factor;
  let lambda = 0;
  // ‖r‖, or √(2·cost) with a loss (‖r̃‖ is no measure: r̃ᵢ = rᵢρ′/√wᵢ grows without bound where
  // the clamp wᵢ ≥ ε acts), for the relative reductions and the gradient cosine.
  let fnorm = costNorm(s, s.r, run.f);
  // Jᵀr at x0 was formed (and counted) by leastSquares: it is run.g.
  normalMatrix(J, m, n, A);
  g.set(run.g);
  let st = run.initial();
  let first = true;
  // Bounds (projected LM): variables at a bound whose gradient points out of the box are held
  // there (the active set); the LM step is solved in the free variables, and the trial point
  // is projected onto the box. Without bounds every variable is free and nothing changes.
  const B = s.bounds;
  const free: number[] = Array.from({ length: n }, (_, j) => j);
  const Af = B ? new Float64Array(n * n) : A, gf = B ? new Float64Array(n) : g;
  const Df = B ? new Float64Array(n) : D, pf = B ? new Float64Array(n) : p, cnf = B ? new Float64Array(n) : cn;
  while (!st) {
    let nf = n;
    if (B) {
      free.length = 0;
      for (let j = 0; j < n; j++) {
        const xj = run.x[j]!;
        if (!((xj <= B.lower[j]! && g[j]! > 0) || (xj >= B.upper[j]! && g[j]! < 0))) free.push(j);
      }
      nf = free.length;
      free.forEach((a, i) => {
        gf[i] = g[a]!;
        cnf[i] = cn[a]!;
        free.forEach((b, k) => (Af[i * nf + k] = A[a * n + b]!));
      });
    }
    // First-order test at the new Jacobian (lmder's gtol; over the free variables with bounds:
    // with every variable held, the projected gradient is 0), then rescale.
    if (jacobianVanished(cn, fnorm)) return "stalled";
    const gnorm = nf === 0 ? 0 : gradientCosine(nf === n ? g : gf.subarray(0, nf), nf === n ? cn : cnf.subarray(0, nf), fnorm);
    if (gnorm <= tol.gtol) return "gradTol";
    if (!s.diag) for (let j = 0; j < n; j++) D[j] = Math.max(D[j]!, cn[j]!);
    if (B) free.forEach((a, i) => (Df[i] = D[a]!));
    // Trial steps until one is accepted (ratio ≥ 1e-4), each followed by lmder's tests.
    for (;;) {
      let projected = false;
      if (!B) lambda = lmpar(A, g, D, n, delta, lambda, p, L, M, q);
      else {
        lambda = lmpar(Af, gf.subarray(0, nf), Df.subarray(0, nf), nf, delta, lambda, pf, L, M, q);
        p.fill(0);
        free.forEach((a, i) => (p[a] = pf[i]!));
        // Project the trial point onto the box; the step is what remains.
        for (let j = 0; j < n; j++) {
          const t = Math.min(Math.max(run.x[j]! + p[j]!, B.lower[j]!), B.upper[j]!);
          if (t !== run.x[j]! + p[j]!) projected = true;
          p[j] = t - run.x[j]!;
        }
      }
      const pnorm = scaledNorm(D, p);
      if (first) delta = Math.min(delta, pnorm);
      first = false;
      addScaled(run.x, 1, p, xT);
      if (B) for (let j = 0; j < n; j++) xT[j] = Math.min(Math.max(xT[j]!, B.lower[j]!), B.upper[j]!);
      const rT = res.eval(xT);
      const costT = s.loss.robust ? s.loss.cost(rT) : NaN;
      const fnormT = s.loss.robust ? Math.sqrt(2 * costT) : norm2(rT);
      const finite = Number.isFinite(fnormT);
      // Reductions scaled by ‖r‖² (MINPACK's form, safe from overflow).
      const ared = finite && 0.1 * fnormT < fnorm ? 1 - (fnormT / fnorm) ** 2 : -1;
      symv(A, n, p, Ap);
      const t1 = Math.sqrt(Math.max(0, dot(p, Ap))) / fnorm;
      const t2 = (Math.sqrt(lambda) * pnorm) / fnorm;
      // A projected step is not the LM step of λ: its model reduction −(2gᵀp + pᵀAp)/‖r‖² and
      // directional derivative gᵀp/‖r‖² are computed directly.
      const gp = projected ? dot(g, p) / (fnorm * fnorm) : 0;
      const prered = projected ? -2 * gp - t1 * t1 : t1 * t1 + 2 * t2 * t2;
      const dirder = projected ? gp : -(t1 * t1 + t2 * t2);
      const ratio = prered > 0 ? ared / prered : 0;
      if (ratio <= 0.25) {
        let temp = ared >= 0 ? 0.5 : (0.5 * dirder) / (dirder + 0.5 * ared);
        if (!finite || 0.1 * fnormT >= fnorm || !(temp >= 0.1)) temp = 0.1;
        delta = temp * Math.min(delta, pnorm / 0.1);
        lambda /= temp;
      } else if (lambda === 0 || ratio >= 0.75) {
        delta = pnorm / 0.5;
        lambda *= 0.5;
      }
      run.radius = delta;
      run.lambda = lambda;
      let accepted = false;
      const Jt = ratio >= 1e-4 && finite ? res.jacobian(xT) : null;
      if (Jt && !allFinite(Jt)) {
        // r is finite at the trial point but its Jacobian is not: treat the step as a failure.
        delta *= 0.1;
        lambda *= 10;
      } else if (Jt) {
        J = Jt;
        fnorm = fnormT;
        acceptDense(s, rT, J, A, g, cn);
        xnorm = scaledNorm(D, xT);
        st = run.accept(xT, s.loss.robust ? costT : 0.5 * fnormT * fnormT, g);
        if (st) return st;
        accepted = true;
      }
      // lmder's convergence tests (info 1–3) after every trial, then its stalls (info 6–8).
      const fSmall = Math.abs(ared) <= tol.ftol && prered <= tol.ftol && 0.5 * ratio <= 1;
      if (fSmall) return "valueTol";
      if (delta <= tol.xtol * xnorm) return "stepTol";
      if (fnorm === 0) return "gradTol";
      if (residualVanished(fnorm, s.rnorm0)) return "valueTol";
      if ((Math.abs(ared) <= EPS && prered <= EPS && 0.5 * ratio <= 1) || delta <= EPS * xnorm || gnorm <= EPS) return "stalled";
      if (accepted) break;
    }
  }
  return st;
}
