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
import { symvPacked, syr2Packed } from "./dense.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import type { Status } from "./types.js";
import { addScaled, axpby, dot, negate, norm2, scale, scaleTo, sub } from "./vec.js";
import { MAX_FLOATS, vectorFloats } from "./workspace.js";

/**
 * Float64 of workspace bfgs needs: packed H, its 5 vectors, the line search's 4. When H cannot
 * fit (n ≳ 5800) it is left out, so the workspace is not grown for nothing: H is then a plain
 * array, updated by the JS loops.
 */
export function bfgsFloats(n: number): number {
  const vectors = vectorFloats(9, n), h = vectorFloats(1, (n * (n + 1)) / 2);
  return vectors + h + vectorFloats(3, n) <= MAX_FLOATS ? vectors + h : vectors;
}

export function bfgs({ run, obj, o, ws }: MethodContext): Status {
  const n = run.n;
  let H: Float64Array | null = null; // null: H = gamma·I (not yet formed)
  let gamma = 1;
  const p = ws.vec(n); // current search direction −H g
  const s = ws.vec(n);
  const y = ws.vec(n);
  const u = ws.vec(n);
  const Hg = ws.vec(n);
  const ev = new LineEvaluator(n, (x, g) => obj.valueGrad(x, g), ws);
  const st0 = run.initial();
  if (st0) return st0;
  negate(run.g, p);
  let first = true;
  for (;;) {
    let slope = dot(run.g, p);
    if (!(slope < 0)) {
      // H lost positive definiteness to rounding: restart from the scaled identity.
      H = null;
      scaleTo(-gamma, run.g, p);
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
    else scaleTo(gamma, pt.g, Hg);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * yy)) {
      if (!H) {
        // First update: H₀ = (yᵀs / yᵀy)·I, formed now (N&W 6.20).
        const g0 = sy / yy;
        H = ws.vec((n * (n + 1)) / 2);
        for (let i = 0; i < n; i++) H[(i * (i + 3)) / 2] = g0; // diagonal entry (i, i)
        scaleTo(g0, pt.g, Hg);
        gamma = g0;
        // H y = H₀ y.
        scaleTo(g0, y, u);
      } else {
        // H y = H g⁺ − H g = H g⁺ + p.
        addScaled(Hg, 1, p, u);
      }
      bfgsInverseUpdate(H, n, s, y, u);
      // Next direction −H⁺ g⁺ = −(H g⁺ + s (uᵀg⁺) + u (sᵀg⁺)).
      const ug = dot(u, pt.g), sg = dot(s, pt.g);
      addScaled(Hg, ug, s, p);
      addScaled(p, sg, u, p);
      scale(-1, p);
      first = false;
    } else {
      negate(Hg, p);
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
  axpby(c, s, -rho, u);
  syr2Packed(H, n, s, u);
}
