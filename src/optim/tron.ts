// TRON: the projected trust-region Newton method of Lin & Moré ("Newton's method for large
// bound-constrained optimization problems", SIAM J. Optim. 9(4), 1999), with exact
// Hessian-vector products from autodiff. Each iteration, with the model
// q(s) = gᵀs + ½sᵀHs and trust radius Δ:
//
// 1. Cauchy step s_c = P(x − αg) − x, with α found by extrapolation (×10) or interpolation
//    (×0.1) from the previous iteration's α, so that q(s_c) ≤ μ₀·gᵀs_c and ‖s_c‖ ≤ Δ
//    (Lin–Moré §3, μ₀ = 0.01);
// 2. from x + s_c, repeated minor iterations: Steihaug–Toint CG on the model restricted to the
//    variables strictly inside their bounds (the face of the current point), then a projected
//    search along the CG step, P(w + βz) with β halved until the model decreases by
//    μ₀·∇q(w)ᵀΔw; a search that meets a new bound moves to a smaller face and CG runs again
//    (§4). The minor iterations end when CG converges on a face without meeting a bound, or
//    reaches the trust-region boundary or negative curvature;
// 3. the usual ratio test ρ = (f(x) − f(x + s)) / −q(s) and radius update (acceptance at
//    ρ > 10⁻³, shrink below ¼, grow to 4‖s‖ above ¾).
//
// The CG here is a projected (face-restricted) Steihaug CG of this file's own; the general
// truncated CG of newton-cg / trust-ncg lives elsewhere and may absorb it later.
import type { BoxContext } from "./lbfgsb.js";
import type { HvpOp } from "./objective.js";
import type { MethodOptions } from "./method.js";
import type { Status } from "./types.js";
import { dot, norm2 } from "./vec.js";
import { vectorFloats } from "./workspace.js";

const MU0 = 0.01;
const ETA0 = 1e-3, ETA1 = 0.25, ETA2 = 0.75;
/**
 * CG on a face stops at ‖r‖ ≤ min(CG_TOL, √‖∇q‖)·‖∇q‖ on that face: Lin–Moré's 0.1 far from
 * the solution, and a forcing term that tends to 0 near it, for superlinear convergence (as
 * newton-cg and trust-ncg; Nocedal & Wright Thm 7.2).
 */
const CG_TOL = 0.1;

/** Float64 of workspace tron needs: its 12 vectors. */
export function tronFloats(n: number, _o: MethodOptions): number {
  return vectorFloats(12, n);
}

export function tron({ run, obj, o, ws, box, radius0 }: BoxContext): Status {
  const n = run.n;
  const { lower, upper } = box;
  const s = ws.vec(n), Hs = ws.vec(n), trialS = ws.vec(n), Hv = ws.vec(n);
  const z = ws.vec(n), r = ws.vec(n), dv = ws.vec(n), Hd = ws.vec(n), gq = ws.vec(n);
  const xT = ws.vec(n), gT = ws.vec(n), tmp = ws.vec(n);
  const isFree = new Uint8Array(n);
  let hv: HvpOp | null = null;
  const hvAt = (): HvpOp => (hv ??= obj.linearized(run.x, tmp).hvp);
  const maxCg = Math.max(1, o.cgMaxIterations);
  // Lin–Moré start from Δ = ‖∇f(x₀)‖; here the projected gradient's norm (the step a unit
  // projected-gradient move would take), unless the user gave one.
  let radius: number;
  {
    let pg = 0;
    for (let i = 0; i < n; i++) {
      let v = run.x[i]! - run.g[i]!;
      if (v < lower[i]!) v = lower[i]!;
      else if (v > upper[i]!) v = upper[i]!;
      pg += (v - run.x[i]!) ** 2;
    }
    radius = radius0 ?? Math.sqrt(pg);
    if (!(radius > 0) || !Number.isFinite(radius)) radius = 1;
  }
  const maxRadius = Math.max(o.maxTrustRadius, radius);
  let alphaC = 1;

  /** out = P(x + a·p) − x. */
  const projStep = (x: Float64Array, a: number, p: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let v = x[i]! + a * p[i]!;
      if (v < lower[i]!) v = lower[i]!;
      else if (v > upper[i]!) v = upper[i]!;
      out[i] = v - x[i]!;
    }
  };

  let st = run.initial();
  let finiteTrial = false;
  while (!st) {
    const H = hvAt();
    const x = run.x, g = run.g;
    // ---- 1. Cauchy step. ----
    const cauchyOk = (a: number): boolean => {
      projStep(x, -a, g, trialS);
      const sn = norm2(trialS);
      if (sn > radius) return false;
      H(trialS, Hv);
      const gs = dot(g, trialS);
      return gs + 0.5 * dot(trialS, Hv) <= MU0 * gs;
    };
    let a = alphaC;
    if (cauchyOk(a)) {
      s.set(trialS);
      Hs.set(Hv);
      // Extrapolate while the step still qualifies and still changes.
      for (let k = 0; k < 20; k++) {
        const prev = norm2(s);
        if (!cauchyOk(a * 10)) break;
        a *= 10;
        s.set(trialS);
        Hs.set(Hv);
        if (norm2(s) <= prev * (1 + 1e-12)) break;
      }
    } else {
      let ok = false;
      for (let k = 0; k < 60 && !ok; k++) {
        a *= 0.1;
        ok = cauchyOk(a);
      }
      s.set(trialS);
      Hs.set(Hv);
    }
    alphaC = a;

    // ---- 2. Minor iterations: CG on the current face, then a projected search. ----
    // w = x + s throughout; gq = g + H s, the model's gradient at w.
    for (let minor = 0; minor < n + 1; minor++) {
      let nf = 0;
      for (let i = 0; i < n; i++) {
        const w = x[i]! + s[i]!;
        isFree[i] = w > lower[i]! && w < upper[i]! ? 1 : 0;
        nf += isFree[i]!;
      }
      if (nf === 0) break;
      for (let i = 0; i < n; i++) gq[i] = isFree[i] ? g[i]! + Hs[i]! : 0;
      const gqn = norm2(gq);
      if (!(gqn > 0)) break;
      // Steihaug CG on the face: min gqᵀz + ½zᵀHz over z on the free variables, ‖z‖ ≤ Δ.
      z.fill(0);
      r.set(gq);
      for (let i = 0; i < n; i++) dv[i] = -r[i]!;
      let rr = gqn * gqn;
      let boundary = false;
      for (let j = 0; j < maxCg; j++) {
        H(dv, Hd);
        for (let i = 0; i < n; i++) if (!isFree[i]) Hd[i] = 0;
        const dHd = dot(dv, Hd);
        const zz = dot(z, z), zd = dot(z, dv), dd = dot(dv, dv);
        const alpha = dHd > 0 ? rr / dHd : Infinity;
        if (!(dHd > 0) || zz + 2 * alpha * zd + alpha * alpha * dd >= radius * radius) {
          // To the boundary along dv.
          const disc = Math.sqrt(Math.max(0, zd * zd - dd * (zz - radius * radius)));
          const tau = (-zd + disc) / dd;
          for (let i = 0; i < n; i++) z[i] += tau * dv[i]!;
          boundary = true;
          break;
        }
        for (let i = 0; i < n; i++) {
          z[i] += alpha * dv[i]!;
          r[i] += alpha * Hd[i]!;
        }
        const rrNew = dot(r, r);
        if (Math.sqrt(rrNew) <= Math.min(CG_TOL, Math.sqrt(gqn)) * gqn) break;
        const beta = rrNew / rr;
        for (let i = 0; i < n; i++) dv[i] = -r[i]! + beta * dv[i]!;
        rr = rrNew;
      }
      // Projected search from w along z.
      for (let i = 0; i < n; i++) xT[i] = x[i]! + s[i]!; // w
      let beta = 1, accepted = false, hitBound = false;
      for (let k = 0; k < 30; k++) {
        projStep(xT, beta, z, trialS);
        // q(s + Δw) − q(s) = gqᵀΔw + ½ΔwᵀHΔw (gq is ∇q(w) on the face; off-face Δw = 0).
        H(trialS, Hv);
        const gd = dot(gq, trialS);
        const dq = gd + 0.5 * dot(trialS, Hv);
        if (dq <= MU0 * gd) {
          accepted = true;
          for (let i = 0; i < n; i++) {
            s[i] += trialS[i]!;
            Hs[i] += Hv[i]!;
            // A variable of the face that the projection stopped at a bound: a new face.
            if (isFree[i]) {
              const w = x[i]! + s[i]!;
              if (!(w > lower[i]! && w < upper[i]!)) hitBound = true;
            }
          }
          break;
        }
        beta *= 0.5;
      }
      if (!accepted) break;
      // Another face only when the search met a new bound and CG had room left.
      if (boundary || !hitBound) break;
      if (norm2(s) >= radius) break;
    }

    // ---- 3. Ratio test. ----
    const sn = norm2(s);
    const pred = -(dot(g, s) + 0.5 * dot(s, Hs));
    for (let i = 0; i < n; i++) {
      let v = x[i]! + s[i]!;
      if (v < lower[i]!) v = lower[i]!;
      else if (v > upper[i]!) v = upper[i]!;
      xT[i] = v;
    }
    let rho = -Infinity;
    let trial: { value: number; hvp: HvpOp } | null = null;
    if (pred > 0 && sn > 0) {
      trial = obj.linearized(xT, gT);
      let finite = Number.isFinite(trial.value);
      for (let i = 0; i < n && finite; i++) finite = Number.isFinite(gT[i]!);
      if (finite) {
        finiteTrial = true;
        const ared = run.f - trial.value;
        rho = ared / pred;
        const noise = 10 * Number.EPSILON * Math.abs(run.f);
        if (Math.abs(ared) <= noise && pred <= noise) {
          // f can no longer judge the step: accept it if the projected gradient shrinks.
          let pgT = 0;
          for (let i = 0; i < n; i++) {
            let v = xT[i]! - gT[i]!;
            if (v < lower[i]!) v = lower[i]!;
            else if (v > upper[i]!) v = upper[i]!;
            pgT = Math.max(pgT, Math.abs(v - xT[i]!));
          }
          rho = pgT < run.gradNorm ? 1 : -Infinity;
        }
      }
    }
    if (!(rho >= ETA1)) radius = 0.25 * Math.min(radius, sn > 0 ? sn : radius);
    else if (rho > ETA2) radius = Math.min(Math.max(radius, 4 * sn), maxRadius);
    run.radius = radius;
    if (rho > ETA0 && trial) {
      hv = trial.hvp;
      finiteTrial = false;
      st = run.accept(xT, trial.value, gT);
    } else if (radius <= 1e-15 * (1 + norm2(run.x))) {
      return finiteTrial ? "trustRegionCollapsed" : "nonFinite";
    }
  }
  return st;
}
