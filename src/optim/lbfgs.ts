// Limited-memory BFGS: the two-loop recursion (Nocedal & Wright, Algorithm 7.4) with
// H₀ = γI, γ = sᵀy / yᵀy from the newest pair (N&W eq. 7.20), inside Algorithm 7.5 with a
// strong Wolfe line search. History m pairs in ring buffers; a pair whose curvature sᵀy is
// not positive (to rounding) is not stored. O(m·n) per iteration.
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext, type MethodOptions } from "./method.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import type { Status } from "./types.js";
import { axpy, axpyDot, axpyScaleDot, dot, negate, norm2, scale, scaleDot, sub } from "./vec.js";
import { vectorFloats } from "./workspace.js";

/** Float64 of workspace lbfgs needs: p, the m pairs (s, y), the line search's 4 vectors. */
export function lbfgsFloats(n: number, o: MethodOptions): number {
  return vectorFloats(2 * Math.max(1, Math.floor(o.history)) + 5, n);
}

export function lbfgs({ run, obj, o, ws }: MethodContext): Status {
  const n = run.n;
  const m = Math.max(1, Math.floor(o.history));
  const S: Float64Array[] = [], Y: Float64Array[] = [];
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let count = 0, head = 0; // pairs stored; index of the next slot
  let gamma = 1;
  const p = ws.vec(n);
  const ev = new LineEvaluator(n, (x, g) => obj.valueGrad(x, g), ws);
  const st0 = run.initial();
  if (st0) return st0;
  for (;;) {
    // Two-loop recursion: p = −H g. Each pass over p finishes one update and already
    // accumulates the next pair's dot product with the updated entries, so the 4·m passes
    // of the textbook loops become 2·m + 2 (the loops are memory-bound at large n).
    const g = run.g;
    const ring = (k: number) => (head - 1 - k + m) % m;
    let next = 0;
    if (count > 0) next = scaleDot(-1, g, p, S[ring(0)]!);
    else negate(g, p);
    for (let k = 0; k < count; k++) {
      const i = ring(k);
      const a = rho[i]! * next;
      alpha[i] = a;
      const y = Y[i]!;
      // The last update of the first loop also applies H₀ = γI and takes the first dot
      // product of the second loop.
      if (k + 1 < count) next = axpyDot(-a, y, p, S[ring(k + 1)]!);
      else next = axpyScaleDot(-a, y, gamma, p, Y[ring(count - 1)]!);
    }
    if (count === 0) scale(gamma, p);
    for (let k = count - 1; k >= 0; k--) {
      const i = ring(k);
      const b = rho[i]! * next;
      const c = alpha[i]! - b;
      if (k > 0) next = axpyDot(c, S[i]!, p, Y[ring(k - 1)]!);
      else axpy(c, S[i]!, p);
    }
    let slope = dot(run.g, p);
    if (!(slope < 0)) {
      count = 0;
      gamma = 1;
      negate(run.g, p);
      slope = dot(run.g, p);
      if (!(slope < 0)) return "lineSearchFailed";
    }
    const a1 = count === 0 ? Math.min(1, 1 / norm2(run.g)) : 1;
    ev.reset(run.x, p);
    const ls = strongWolfe(ev, run.f, slope, a1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok) {
      if (count > 0) {
        // A stale history can give a poor direction: retry once from steepest descent.
        count = 0;
        gamma = 1;
        continue;
      }
      return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    }
    const pt = ev.pointAt(ls.alpha);
    if (head >= S.length) {
      S.push(ws.vec(n));
      Y.push(ws.vec(n));
    }
    const s = S[head]!, y = Y[head]!;
    sub(pt.x, run.x, s);
    sub(pt.g, run.g, y);
    const sy = dot(s, y), yy = dot(y, y);
    if (sy > 2.2e-16 * yy && yy > 0) {
      rho[head] = 1 / sy;
      gamma = sy / yy;
      head = (head + 1) % m;
      count = Math.min(count + 1, m);
    }
    run.radius = ls.alpha;
    const st = run.accept(pt.x, pt.f, pt.g);
    if (st) return st;
  }
}
