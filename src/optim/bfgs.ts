// BFGS on the inverse Hessian approximation (Nocedal & Wright, Algorithm 6.1), in O(n²) per
// iteration. The update (N&W eq. 6.17)
//   H⁺ = (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ,   ρ = 1/(yᵀs),
// expands to the symmetric rank-2 update H⁺ = H + s uᵀ + u sᵀ with
//   u = −ρ·Hy + ½(ρ² yᵀHy + ρ)·s,
// applied in place to H stored packed (lower triangle, n(n+1)/2 entries: symmetric, so half
// the memory traffic). Only one matrix-vector product is needed per iteration: with p = −H g
// (the step direction before scaling), H y = H g⁺ + p, and the next direction
// −H⁺ g⁺ = −(H g⁺ + s (uᵀg⁺) + u (sᵀg⁺)) costs O(n). Before the first update H₀ = I is
// replaced by (yᵀs / yᵀy)·I (N&W eq. 6.20). The line search satisfies the strong Wolfe
// conditions, which guarantee yᵀs > 0; an update is skipped if rounding breaks that.
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext } from "./method.js";
import { symvPacked } from "./dense.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import type { Status } from "./types.js";
import { dot, norm2, sub } from "./vec.js";

export function bfgs({ run, obj, o }: MethodContext): Status {
  const n = run.n;
  let H: Float64Array | null = null; // null: H = gamma·I (not yet formed)
  let gamma = 1;
  const p = new Float64Array(n); // current search direction −H g
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const u = new Float64Array(n);
  const Hg = new Float64Array(n);
  const ev = new LineEvaluator(n, (x, g) => obj.valueGrad(x, g));
  const st0 = run.initial();
  if (st0) return st0;
  for (let i = 0; i < n; i++) p[i] = -run.g[i]!;
  let first = true;
  for (;;) {
    let slope = dot(run.g, p);
    if (!(slope < 0)) {
      // H lost positive definiteness to rounding: restart from the scaled identity.
      H = null;
      for (let i = 0; i < n; i++) p[i] = -gamma * run.g[i]!;
      slope = dot(run.g, p);
      if (!(slope < 0)) return "lineSearchFailed";
    }
    const a1 = first ? Math.min(1, 1 / norm2(run.g)) : 1;
    ev.reset(run.x, p);
    const ls = strongWolfe(ev, run.f, slope, a1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    const pt = ev.pointAt(ls.alpha);
    sub(pt.x, run.x, s);
    sub(pt.g, run.g, y);
    const sy = dot(s, y);
    const yy = dot(y, y);
    // H g⁺ with the old H (the one that produced p = −H g).
    if (H) symvPacked(H, n, pt.g, Hg);
    else for (let i = 0; i < n; i++) Hg[i] = gamma * pt.g[i]!;
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * yy)) {
      if (!H) {
        // First update: H₀ = (yᵀs / yᵀy)·I, formed now (N&W 6.20).
        const g0 = sy / yy;
        H = new Float64Array((n * (n + 1)) / 2);
        for (let i = 0; i < n; i++) H[(i * (i + 3)) / 2] = g0; // diagonal entry (i, i)
        for (let i = 0; i < n; i++) Hg[i] = g0 * pt.g[i]!;
        gamma = g0;
        // H y = H₀ y.
        for (let i = 0; i < n; i++) u[i] = g0 * y[i]!;
      } else {
        // H y = H g⁺ − H g = H g⁺ + p.
        for (let i = 0; i < n; i++) u[i] = Hg[i]! + p[i]!;
      }
      bfgsInverseUpdate(H, n, s, y, u);
      // Next direction −H⁺ g⁺ = −(H g⁺ + s (uᵀg⁺) + u (sᵀg⁺)).
      const ug = dot(u, pt.g), sg = dot(s, pt.g);
      for (let i = 0; i < n; i++) p[i] = -(Hg[i]! + s[i]! * ug + u[i]! * sg);
      first = false;
    } else {
      for (let i = 0; i < n; i++) p[i] = -Hg[i]!;
    }
    run.radius = ls.alpha;
    const st = run.accept(pt.x, pt.f, pt.g);
    if (st) return st;
  }
}

/**
 * In-place BFGS update of the inverse Hessian approximation (N&W eq. 6.17) in O(n²):
 * H ← H + s uᵀ + u sᵀ with u = −ρ·Hy + ½(ρ² yᵀHy + ρ)·s, ρ = 1/(yᵀs). H is packed lower
 * triangular row-major (entry (i, j), j ≤ i, at i(i+1)/2 + j). On entry `u` holds H·y; on
 * exit it holds u (the caller uses it for the next direction).
 */
export function bfgsInverseUpdate(H: Float64Array, n: number, s: Float64Array, y: Float64Array, u: Float64Array): void {
  const rho = 1 / dot(s, y);
  const yHy = dot(y, u);
  const c = 0.5 * (rho * rho * yHy + rho);
  for (let i = 0; i < n; i++) u[i] = -rho * u[i]! + c * s[i]!;
  for (let i = 0; i < n; i++) {
    const si = s[i]!, ui = u[i]!;
    const r = (i * (i + 1)) / 2;
    for (let j = 0; j <= i; j++) H[r + j]! += si * u[j]! + ui * s[j]!;
  }
}
