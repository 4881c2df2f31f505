// Conjugate gradients on H p = −g for the Newton-type methods: truncated CG (N&W Algorithm
// 7.1: newton-cg, matrix-free Gauss–Newton) and Steihaug–Toint CG in a trust region (N&W
// Algorithm 7.2: trust-ncg, matrix-free Levenberg–Marquardt). One implementation of each, so
// the methods that share them take exactly the same steps.
//
// Both start at z = 0 and keep r = H z + g, so the model value m(z) = gᵀz + ½zᵀHz and the
// product H z = r − g cost nothing extra.
import { addScaled, axpby, axpy, axpyDot, dot, negate, sub } from "./vec.js";
import { vectorFloats, type VecSource } from "./workspace.js";

/** v ↦ H v into out. */
export type LinearOp = (v: Float64Array, out: Float64Array) => void;

/** The vectors CG works in: the iterate z, the residual r = Hz + g, the direction d and Hd. */
export interface CgVectors {
  z: Float64Array;
  r: Float64Array;
  d: Float64Array;
  Hd: Float64Array;
}

/** Steihaug's vectors: CG's and the step p with H p. */
export interface SteihaugVectors extends CgVectors {
  p: Float64Array;
  Hp: Float64Array;
}

/** Float64 of workspace the CG vectors take (4 vectors, 6 with Steihaug's p and Hp). */
export function cgFloats(n: number, steihaugVectors = false): number {
  return vectorFloats(steihaugVectors ? 6 : 4, n);
}

/** CG vectors from a workspace. */
export function cgVectors(ws: VecSource, n: number): CgVectors;
export function cgVectors(ws: VecSource, n: number, steihaugVectors: true): SteihaugVectors;
export function cgVectors(ws: VecSource, n: number, steihaugVectors = false): CgVectors | SteihaugVectors {
  const v: CgVectors = { z: ws.vec(n), r: ws.vec(n), d: ws.vec(n), Hd: ws.vec(n) };
  return steihaugVectors ? { ...v, p: ws.vec(n), Hp: ws.vec(n) } : v;
}

/** The forcing tolerance ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖ (superlinear convergence, N&W Thm 7.2). */
export function forcingTolerance(gnorm: number): number {
  return Math.min(0.5, Math.sqrt(gnorm)) * gnorm;
}

/** How truncated CG ended. */
export interface CgExit {
  /** `tol`: ‖r‖ ≤ tol; `curvature`: dᵀHd ≤ 0 (z is the iterate before it); `maxIter`. */
  exit: "tol" | "curvature" | "maxIter";
  /** The CG iteration it ended in (0-based; maxIter when it ran out). */
  iteration: number;
  /** dᵀHd of the last direction (the non-positive one on `curvature`). */
  dHd: number;
}

/**
 * Truncated CG on H p = −g (N&W Algorithm 7.1) from z = 0: leaves the iterate in `v.z`,
 * r = Hz + g in `v.r`, and on a `curvature` exit the offending direction in `v.d` (H d in
 * `v.Hd`). `gnorm` is ‖g‖₂.
 */
export function truncatedCg(H: LinearOp, g: Float64Array, gnorm: number, tol: number, maxIter: number, v: CgVectors): CgExit {
  const { z, r, d, Hd } = v;
  z.fill(0);
  r.set(g);
  negate(g, d);
  let rr = gnorm * gnorm;
  let dHd = 0;
  for (let j = 0; j < maxIter; j++) {
    H(d, Hd);
    dHd = dot(d, Hd);
    if (!(dHd > 0)) return { exit: "curvature", iteration: j, dHd };
    const alpha = rr / dHd;
    axpy(alpha, d, z);
    const rrNew = axpyDot(alpha, Hd, r, r);
    if (Math.sqrt(rrNew) <= tol) return { exit: "tol", iteration: j, dHd };
    const beta = rrNew / rr;
    axpby(-1, r, beta, d);
    rr = rrNew;
  }
  return { exit: "maxIter", iteration: maxIter, dHd };
}

/** How Steihaug CG ended. */
export interface SteihaugExit {
  /** `tol`: interior solution; `boundary`: the step left the region; `curvature`: dᵀHd ≤ 0. */
  exit: "tol" | "boundary" | "curvature" | "maxIter";
}

/**
 * Steihaug–Toint CG for min gᵀp + ½pᵀHp, ‖p‖ ≤ Δ (N&W Algorithm 7.2). Writes the step to
 * `v.p` and H p to `v.Hp`. On non-positive curvature the step goes to the boundary along d,
 * to whichever root lowers the model more; when a step would leave the region, to the
 * boundary along d (the root τ ≥ 0).
 */
export function steihaug(H: LinearOp, g: Float64Array, gnorm: number, radius: number, tol: number, maxIter: number, v: SteihaugVectors): SteihaugExit {
  const { z, r, d, Hd, p, Hp } = v;
  /** Writes p = z + τd with ‖p‖ = Δ (the root that lowers the model more) and H p. */
  const toBoundary = (both: boolean): void => {
    const zz = dot(z, z), zd = dot(z, d), dd = dot(d, d);
    const disc = Math.sqrt(Math.max(0, zd * zd - dd * (zz - radius * radius)));
    // Stable roots of dd·τ² + 2zd·τ + (zz − Δ²) = 0.
    const q = -(zd + Math.sign(zd || 1) * disc);
    let t1 = q / dd, t2 = (zz - radius * radius) / q;
    if (!Number.isFinite(t2)) t2 = t1;
    if (t1 < t2) [t1, t2] = [t2, t1]; // t1 ≥ 0 ≥ t2
    let tau = t1;
    if (both) {
      // m(z + τd) − m(z) = τ·dᵀr + ½τ²·dᵀHd.
      const dr = dot(d, r), dHd = dot(d, Hd);
      const m1 = t1 * dr + 0.5 * t1 * t1 * dHd, m2 = t2 * dr + 0.5 * t2 * t2 * dHd;
      if (m2 < m1) tau = t2;
    }
    addScaled(z, tau, d, p);
    sub(r, g, Hp); // H z = r − g
    axpy(tau, Hd, Hp);
  };
  z.fill(0);
  r.set(g);
  negate(g, d);
  let rr = gnorm * gnorm;
  // ‖z‖², zᵀd and ‖d‖² by Steihaug's recurrences (z₀ = 0, rⱼ₊₁ ⊥ z and d, as CG keeps them;
  // Conn, Gould & Toint, Trust-Region Methods, §7.5.1), instead of three dot products per
  // step; toBoundary recomputes them exactly when the step is cut.
  let zz = 0, zd = 0, dd = rr;
  let exit: SteihaugExit["exit"] = "maxIter";
  for (let j = 0; j < maxIter; j++) {
    H(d, Hd);
    const dHd = dot(d, Hd);
    if (!(dHd > 0)) {
      toBoundary(true);
      return { exit: "curvature" };
    }
    const alpha = rr / dHd;
    const zzNew = zz + 2 * alpha * zd + alpha * alpha * dd;
    if (zzNew >= radius * radius) {
      toBoundary(false);
      return { exit: "boundary" };
    }
    axpy(alpha, d, z);
    const rrNew = axpyDot(alpha, Hd, r, r);
    if (Math.sqrt(rrNew) <= tol) {
      exit = "tol";
      break;
    }
    const beta = rrNew / rr;
    axpby(-1, r, beta, d);
    zd = beta * (zd + alpha * dd);
    dd = rrNew + beta * beta * dd;
    zz = zzNew;
    rr = rrNew;
  }
  p.set(z);
  sub(r, g, Hp);
  return { exit };
}
