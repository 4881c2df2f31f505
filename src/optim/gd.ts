// Gradient descent with a strong Wolfe line search: the baseline. The initial trial step
// follows N&W eq. (3.60): assume the first-order change φ'(0)·α matches the last iteration's.
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext } from "./method.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import type { Status } from "./types.js";
import { dot, negate, norm2 } from "./vec.js";
import { vectorFloats } from "./workspace.js";

/** Float64 of workspace gd needs: p and the line search's 4 vectors. */
export function gdFloats(n: number): number {
  return vectorFloats(5, n);
}

export function gd({ run, obj, o, ws }: MethodContext): Status {
  const n = run.n;
  const p = ws.vec(n);
  const ev = new LineEvaluator(n, (x, g) => obj.valueGrad(x, g), ws);
  const st0 = run.initial();
  if (st0) return st0;
  let prevAlpha = 0, prevSlope = 0;
  for (;;) {
    negate(run.g, p);
    const slope = -dot(run.g, run.g);
    const a1 = prevAlpha > 0 ? Math.min(ALPHA_MAX, (1.01 * prevAlpha * prevSlope) / slope) : Math.min(1, 1 / norm2(run.g));
    ev.reset(run.x, p);
    const ls = strongWolfe(ev, run.f, slope, a1, { c1: o.c1, c2: o.c2, alphaMax: ALPHA_MAX, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    prevAlpha = ls.alpha;
    prevSlope = slope;
    run.radius = ls.alpha;
    const pt = ev.pointAt(ls.alpha);
    const st = run.accept(pt.x, pt.f, pt.g);
    if (st) return st;
  }
}
