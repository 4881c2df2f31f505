// Matrix-free least squares (large n): J·v by forward mode (linearize), Jᵀ·u by reverse mode
// (vjp), CG on JᵀJ (cg.ts), in the variables scaled by D as Moré scales LM (D the running
// maximum of estimates of J's column norms, so CG works on D⁻¹JᵀJD⁻¹: Jacobi-preconditioned):
//   'lm'           the Gauss–Newton model in the trust region ‖D p‖ ≤ Δ, solved by
//                  Steihaug–Toint CG (N&W §10.3: Levenberg–Marquardt is the trust-region
//                  Gauss–Newton method; Alg. 7.2, 4.1);
//   'gauss-newton' truncated CG on JᵀJ p = −Jᵀr (a forcing term as N&W Alg. 7.1's, made
//                  scale-invariant), then backtracking.
//
// J's columns are never formed; every product JᵀJ·v = Jᵀ(Jv) gives lower bounds of them:
// |(JᵀJv)ⱼ| = |Jⱼᵀ(Jv)| ≤ ‖Jⱼ‖·‖Jv‖, so ℓⱼ = max |(JᵀJv)ⱼ| / √(vᵀJᵀJv) ≤ ‖Jⱼ‖ over the
// products at x (their running maximum over all x scales the variables). Stopping follows
// lmder's tests (see Tolerances): ftol on the actual and predicted relative reductions of
// ‖r‖²; xtol on the scaled radius (LM) or step (GN), ≤ xtol·‖D x‖; gtol on |Jⱼᵀr| / (ℓⱼ ‖r‖),
// tested after CG at x: an upper bound of lmder's cosine (ℓⱼ ≤ ‖Jⱼ‖), so gradTol never holds
// where the exact test would not.
import { cgVectors, steihaug, truncatedCg, type LinearOp } from "../cg.js";
import { backtracking } from "../line-search.js";
import type { Status } from "../types.js";
import { addScaled, dot, norm2, normInf } from "../vec.js";
import type { Residual } from "./residual.js";
import { EPS, plateau, residualVanished, scaledNorm, type LsState } from "./state.js";

/**
 * r's operators (built by `at`) and the Gauss–Newton product J̃ᵀJ̃·v, with σ, a running lower
 * bound of ‖J̃‖₂. With a robust loss J̃ = diag(sc)·J and J̃ᵀr̃ = Jᵀ(sc ⊙ r̃) (loss.ts).
 */
function gaussNewtonOperator(s: LsState): {
  at: (x: Float64Array, g: Float64Array) => void;
  H: LinearOp;
  /** Lower bounds ℓⱼ ≤ ‖J̃ⱼ‖ at the current x, from the products there. */
  colLower: Float64Array;
  /** The running maximum of ℓⱼ over every x so far (Moré's scaling). */
  colMax: Float64Array;
  /** Sets ℓ (and colMax) to J̃'s exact column norms at the current x: n J·v products. */
  exactColumns: () => void;
} {
  const { res, m, n, ws } = s;
  const colLower = new Float64Array(n), colMax = new Float64Array(n);
  const Jd = ws.vec(m);
  const robust = s.loss.robust;
  const u = robust ? new Float64Array(m) : Jd;
  let ops!: ReturnType<Residual["operators"]>;
  return {
    at: (x, g) => {
      ops = res.operators(x);
      colLower.fill(0);
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
      const Jv = Math.sqrt(Math.max(0, dot(v, out)));
      if (Jv > 0) {
        for (let j = 0; j < n; j++) {
          const l = Math.abs(out[j]!) / Jv;
          if (l > colLower[j]!) colLower[j] = l;
          if (l > colMax[j]!) colMax[j] = l;
        }
      }
    },
    colLower,
    colMax,
    exactColumns: () => {
      const e = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        e[j] = 1;
        ops.jv(e, Jd);
        e[j] = 0;
        let t = 0;
        for (let i = 0; i < m; i++) t += (robust ? s.sc[i]! * Jd[i]! : Jd[i]!) ** 2;
        colLower[j] = Math.sqrt(t);
        colMax[j] = Math.max(colMax[j]!, colLower[j]!);
      }
    },
  };
}

/**
 * Moré's scaling from the column bounds: Dⱼ = the running maximum of ℓⱼ, 1 until a bound is
 * known (or the user's diag). Returns the update to call after every accepted step.
 */
function scaling(D: Float64Array, colLower: Float64Array, diag: Float64Array | null): () => void {
  const known = new Uint8Array(D.length);
  const update = (): void => {
    if (diag) {
      D.set(diag);
      return;
    }
    for (let j = 0; j < D.length; j++) {
      const l = colLower[j]!;
      if (l > 0) {
        D[j] = known[j] ? Math.max(D[j]!, l) : l;
        known[j] = 1;
      } else if (!known[j]) D[j] = 1;
    }
  };
  update();
  return update;
}

/** v ↦ D⁻¹ H D⁻¹ v: the product in the scaled variables q = D p. */
function scaledOperator(H: LinearOp, D: Float64Array, tmp: Float64Array): LinearOp {
  return (v, out) => {
    for (let j = 0; j < v.length; j++) tmp[j] = v[j]! / D[j]!;
    H(tmp, out);
    for (let j = 0; j < v.length; j++) out[j]! /= D[j]!;
  };
}

/** Up to this many parameters, the column norms at x0 are formed exactly (n J·v products). */
const EXACT_COLUMNS = 100;

/**
 * CG's forcing tolerance in a scale-invariant form: min(0.5, √(‖g‖/‖g₀‖))·‖g‖, g₀ the gradient
 * at x0. N&W's min(0.5, √‖g‖)·‖g‖ depends on the units of r; this keeps its superlinear rate
 * (the factor → 0 as g does, for zero and nonzero residuals alike).
 */
function forcing(gnorm: number, gnorm0: number): number {
  return Math.min(0.5, Math.sqrt(gnorm0 > 0 ? gnorm / gnorm0 : 0)) * gnorm;
}

/** gtol on maxⱼ |gⱼ| / (ℓⱼ ‖r‖) ≥ lmder's cosine (true when r = 0; false while some ℓⱼ is unknown). */
function gradTolHolds(g: Float64Array, colLower: Float64Array, rnorm: number, gtol: number): boolean {
  if (rnorm === 0) return true;
  for (let j = 0; j < g.length; j++) {
    if (g[j] === 0) continue;
    if (!(Math.abs(g[j]!) <= gtol * colLower[j]! * rnorm)) return false;
  }
  return true;
}

/**
 * lmder's ftol and xtol also hold on a plateau (state.ts, plateau): where one of them stopped
 * the run, the cosine test at x with J's exact column norms (n J·v products, n ≤ 100).
 */
function checked(s: LsState, op: ReturnType<typeof gaussNewtonOperator>, g: Float64Array, rnorm0: number, st: Status): Status {
  if ((st !== "valueTol" && st !== "stepTol") || s.n > EXACT_COLUMNS) return st;
  op.exactColumns();
  const rnorm = s.loss.robust ? Math.sqrt(2 * s.run.f) : norm2(s.r);
  return plateau(g, op.colLower, rnorm, rnorm0, s.tol.gtol) ? "stalled" : st;
}

/** Matrix-free trust-region Gauss–Newton (LM) with Steihaug–Toint CG on D⁻¹JᵀJD⁻¹. */
export function lmMatrixFree(s: LsState): Status {
  const op = gaussNewtonOperator(s), g = s.ws.vec(s.n);
  const rnorm0 = s.loss.robust ? Math.sqrt(2 * s.run.f) : s.rnorm0;
  return checked(s, op, g, rnorm0, lmInner(s, op, g));
}

/**
 * The start both matrix-free methods share: g and ‖g‖∞ at x0, and Moré's scaling D from the
 * start: the exact column norms at x0 when they are cheap (n ≤ 100 forward products), else the
 * bounds from one product along the gradient.
 */
function start(s: LsState, op: ReturnType<typeof gaussNewtonOperator>, g: Float64Array, tmp: Float64Array, D: Float64Array) {
  const { run, n } = s;
  op.at(run.x, g);
  run.g.set(g);
  run.gradNorm = normInf(g);
  if (n <= EXACT_COLUMNS) op.exactColumns();
  else op.H(g, tmp);
  return { rescale: scaling(D, op.colMax, s.diag), Hs: scaledOperator(op.H, D, tmp) };
}

function lmInner(s: LsState, op: ReturnType<typeof gaussNewtonOperator>, g: Float64Array): Status {
  const { run, n, ws, tol } = s;
  const xT = ws.vec(n), gq = ws.vec(n), tmp = ws.vec(n), D = ws.vec(n);
  const cg = cgVectors(ws, n, true);
  const { p: q, Hp: Hq } = cg;
  const { rescale, Hs } = start(s, op, g, tmp, D);
  let radius = s.factor * scaledNorm(D, run.x) || s.factor;
  let gnorm0 = -1;
  let st = run.initial();
  let first = true;
  while (!st) {
    const rnorm = s.loss.robust ? Math.sqrt(2 * run.f) : norm2(s.r);
    if (rnorm === 0) return "gradTol";
    // The step in the scaled variables q = D p: gradient D⁻¹g, product D⁻¹JᵀJD⁻¹.
    for (let j = 0; j < n; j++) gq[j] = g[j]! / D[j]!;
    const gnorm = norm2(gq);
    if (gnorm0 < 0) gnorm0 = gnorm;
    steihaug(Hs, gq, gnorm, radius, forcing(gnorm, gnorm0), s.cgMax, cg);
    // First-order test with the column bounds CG's products at this x gave (its first
    // direction is the gradient's, so every column with gⱼ ≠ 0 has one).
    if (gradTolHolds(g, op.colLower, rnorm, tol.gtol)) return "gradTol";
    const qnorm = norm2(q);
    if (first) radius = Math.min(radius, qnorm);
    first = false;
    const pred = -(dot(gq, q) + 0.5 * dot(q, Hq));
    for (let j = 0; j < n; j++) xT[j] = run.x[j]! + q[j]! / D[j]!;
    const fT = s.loss.cost(s.res.eval(xT));
    const fPrev = run.f;
    const ared = fPrev - fT;
    const rho = pred > 0 && Number.isFinite(fT) ? ared / pred : -Infinity;
    if (!(rho >= 0.25)) radius = 0.25 * Math.min(radius, qnorm);
    else if (rho > 0.75 && qnorm >= 0.99 * radius) radius = 2 * radius;
    run.radius = radius;
    if (rho > 1e-4) {
      op.at(xT, g);
      st = run.accept(xT, fT, g);
      if (st) break;
      rescale();
    }
    // lmder's tests after every trial, on reductions relative to the cost before the step.
    const aredRel = Number.isFinite(fT) ? ared / fPrev : -1, predRel = pred / fPrev;
    const xnorm = scaledNorm(D, run.x);
    if (Math.abs(aredRel) <= tol.ftol && predRel <= tol.ftol && 0.5 * rho <= 1) return "valueTol";
    if (radius <= tol.xtol * xnorm) return "stepTol";
    if (run.f === 0) return "gradTol";
    if (residualVanished(norm2(s.r), s.rnorm0)) return "valueTol";
    if ((Math.abs(aredRel) <= EPS && predRel <= EPS && 0.5 * rho <= 1) || radius <= EPS * xnorm) return "stalled";
  }
  return st;
}

/** Matrix-free Gauss–Newton: truncated CG on D⁻¹JᵀJD⁻¹ q = −D⁻¹Jᵀr (p = D⁻¹q), then backtracking. */
export function gaussNewtonMatrixFree(s: LsState): Status {
  const op = gaussNewtonOperator(s), g = s.ws.vec(s.n);
  const rnorm0 = s.loss.robust ? Math.sqrt(2 * s.run.f) : s.rnorm0;
  return checked(s, op, g, rnorm0, gaussNewtonInner(s, op, g));
}

function gaussNewtonInner(s: LsState, op: ReturnType<typeof gaussNewtonOperator>, g: Float64Array): Status {
  const { res, run, n, ws, tol } = s;
  const xT = ws.vec(n), gq = ws.vec(n), tmp = ws.vec(n), D = ws.vec(n), z = ws.vec(n);
  const cg = cgVectors(ws, n);
  const { rescale, Hs } = start(s, op, g, tmp, D);
  let gnorm0 = -1;
  let tight = false;
  let st = run.initial();
  while (!st) {
    const rnorm = s.loss.robust ? Math.sqrt(2 * run.f) : norm2(s.r);
    if (rnorm === 0) return "gradTol";
    for (let j = 0; j < n; j++) gq[j] = g[j]! / D[j]!;
    const gnorm = norm2(gq);
    if (gnorm0 < 0) gnorm0 = gnorm;
    const cgEnd = truncatedCg(Hs, gq, gnorm, tight ? 1e-10 * gnorm : forcing(gnorm, gnorm0), s.cgMax, cg);
    if (gradTolHolds(g, op.colLower, rnorm, tol.gtol)) return "gradTol";
    // JᵀJ is positive semidefinite: zero curvature on the first direction means Jg = 0.
    if (cgEnd.exit === "curvature" && cgEnd.iteration === 0) for (let j = 0; j < n; j++) cg.z[j] = -gq[j]!;
    // Back to p = D⁻¹q; the model terms are the same in either variables.
    const slope = dot(gq, cg.z);
    const qHq = dot(cg.z, cg.r) - slope; // CG keeps r = H̃q + g̃
    for (let j = 0; j < n; j++) z[j] = cg.z[j]! / D[j]!;
    if (!(slope < 0)) return "lineSearchFailed";
    // The model's reduction along z at α = 1: −(gᵀz + ½ zᵀJᵀJz).
    const predFull = -(slope + 0.5 * qHq);
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
    // The tests use the full Gauss–Newton step (a short line-search step along a poor
    // direction says nothing about convergence).
    const predRel = predFull / fPrev;
    const aredRel = (fPrev - ls.f) / fPrev;
    const stepNorm = norm2(cg.z);
    const smallAtX = (): boolean => {
      if (n <= EXACT_COLUMNS) op.exactColumns();
      else op.H(g, tmp);
      return scaledNorm(op.colLower, z) <= tol.xtol * scaledNorm(op.colLower, run.x);
    };
    rescale();
    const xnorm = scaledNorm(D, run.x);
    if (Math.abs(aredRel) <= tol.ftol && predRel <= tol.ftol) return "valueTol";
    // D is the running maximum of the column bounds: a D inflated by columns far back on the
    // path can make every step look small while Jᵀr is far from 0 (MGH10 from its first
    // start), so the step must also be small in the column norms at x (exact for n ≤ 100,
    // else bounds from one product along the gradient).
    if (stepNorm <= tol.xtol * xnorm && smallAtX()) {
      // A truncated CG step may be short only because CG stopped early (on an ill-conditioned
      // JᵀJ, the components along small eigenvalues barely reduce CG's residual): the test
      // counts only for a step solved to 1e-10; the first time it holds, CG is made exact.
      if (tight && cgEnd.exit === "tol") return "stepTol";
      tight = true;
    }
    if (run.f === 0) return "gradTol";
    if (residualVanished(norm2(s.r), s.rnorm0)) return "valueTol";
    if ((Math.abs(aredRel) <= EPS && predRel <= EPS) || stepNorm <= EPS * xnorm) return "stalled";
  }
  return st;
}
