// Second-order check before a second-order method reports convergence.
//
// A vanishing gradient is also what a saddle point or a maximum looks like. Truncated CG
// started from a zero (or tiny) gradient explores nothing, so newton-cg would stop there
// (scipy issue 20213). Instead, a few Lanczos steps on the Hessian from a fixed pseudo-random
// start vector estimate its smallest eigenvalue (Golub & Van Loan, Matrix Computations,
// §10.1; full reorthogonalization, since k is small). If it is clearly negative, the method
// takes a step along that eigenvector, downhill by the quadratic model
// f(x + αd) ≈ f + α·gᵀd + ½α²·λ (a negative-curvature step as in Moré & Sorensen 1979 and
// N&W §4.3 "the hard case"), and goes on iterating.
import { jacobiEigen } from "./dense.js";
import { backtracking } from "./line-search.js";
import type { HvpOp } from "./objective.js";
import { addScaled, axpy, dot, norm2, scale } from "./vec.js";
import { HEAP, vectorFloats, type VecSource } from "./workspace.js";
import { mulberry32 } from "../random.js";

export interface CurvatureProbe {
  /** Smallest Ritz value found (an upper bound on λmin(H)). */
  lambda: number;
  /** Largest |Ritz value|: the Hessian's scale. */
  scale: number;
  /** Unit Ritz vector of `lambda`. */
  d: Float64Array;
}

/** Float64 of workspace a probe of `steps` Lanczos steps needs (its basis, w and d). */
export function curvatureFloats(n: number, steps: number): number {
  return steps > 0 ? vectorFloats(Math.min(steps, n) + 2, n) : 0;
}

/**
 * k Lanczos steps on H (through `hv`), from a seeded random start. Null if H·v is not finite.
 * The vectors (and the returned d) come from `vectors`.
 */
export function lanczosSmallest(hv: HvpOp, n: number, k: number, seed = 0x9e3779b9, vectors: VecSource = HEAP): CurvatureProbe | null {
  k = Math.max(1, Math.min(k, n));
  const rand = mulberry32(seed);
  const Q: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q = vectors.vec(n);
  for (let i = 0; i < n; i++) q[i] = 2 * rand() - 1;
  scale(1 / norm2(q), q);
  const w = vectors.vec(n);
  let tscale = 0;
  for (let j = 0; j < k; j++) {
    Q.push(q);
    hv(q, w);
    const a = dot(q, w);
    if (!Number.isFinite(a)) return null;
    alpha.push(a);
    tscale = Math.max(tscale, Math.abs(a), j > 0 ? beta[j - 1]! : 0);
    // Full reorthogonalization (twice is enough: "twice is enough", Parlett).
    for (let pass = 0; pass < 2; pass++) {
      for (const qi of Q) axpy(-dot(qi, w), qi, w);
    }
    const b = norm2(w);
    if (j + 1 === k || !(b > 1e-10 * Math.max(tscale, 1e-300))) break; // done, or an invariant subspace
    // Early exit: the smallest Ritz value is positive and has converged (its residual
    // β_j·|y_j| is below 1% of it). A smaller eigenvalue could still hide from a Krylov space
    // that barely meets its eigenvector, but with a random start that is unlikely.
    if (j >= 2 && converged(alpha, beta, b)) break;
    beta.push(b);
    q = vectors.vec(n);
    q.set(w);
    scale(1 / b, q);
  }
  const m = alpha.length;
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = alpha[i]!;
    if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = beta[i]!;
  }
  const { values, V } = jacobiEigen(T, m);
  let imin = 0, smax = 0;
  for (let i = 0; i < m; i++) {
    if (values[i]! < values[imin]!) imin = i;
    smax = Math.max(smax, Math.abs(values[i]!));
  }
  const d = vectors.vec(n);
  for (let i = 0; i < m; i++) axpy(V[i * m + imin]!, Q[i]!, d);
  scale(1 / norm2(d), d);
  return { lambda: values[imin]!, scale: smax, d };
}

/** Outcome of {@link escapeNegativeCurvature}. */
export type Escape =
  /** Moved downhill along negative curvature: the new point is in xOut / gOut. */
  | { moved: true; f: number; lambda: number }
  /** No clear negative curvature: x is second-order stationary as far as the probe can tell. */
  | { moved: false; stuck: false }
  /** Clear negative curvature, but no step along it lowered f (precision loss): not a minimum. */
  | { moved: false; stuck: true; lambda: number };

/** Whether T_j's smallest Ritz value is positive with residual β·|y_last| ≤ 1% of it. */
function converged(alpha: readonly number[], beta: readonly number[], b: number): boolean {
  const m = alpha.length;
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = alpha[i]!;
    if (i + 1 < m) T[i * m + i + 1] = T[(i + 1) * m + i] = beta[i]!;
  }
  const { values, V } = jacobiEigen(T, m);
  let imin = 0;
  for (let i = 1; i < m; i++) if (values[i]! < values[imin]!) imin = i;
  const theta = values[imin]!;
  return theta > 0 && b * Math.abs(V[(m - 1) * m + imin]!) <= 0.01 * theta;
}

/**
 * Looks for negative curvature at x and, if found, a step along it that lowers f (into
 * `xOut`, with the gradient in `gOut`). The probe's vectors are scratch from `vectors`,
 * given back before it returns.
 */
export function escapeNegativeCurvature(
  x: Float64Array,
  f: number,
  g: Float64Array,
  hv: HvpOp,
  steps: number,
  alpha0: number,
  evalAt: (x: Float64Array, g: Float64Array) => number,
  xOut: Float64Array,
  gOut: Float64Array,
  vectors: VecSource = HEAP,
): Escape {
  if (steps <= 0) return { moved: false, stuck: false };
  const mark = vectors.mark();
  try {
    return escapeAlong(lanczosSmallest(hv, x.length, steps, undefined, vectors), x, f, g, alpha0, evalAt, xOut, gOut);
  } finally {
    vectors.rewind(mark);
  }
}

function escapeAlong(
  probe: CurvatureProbe | null,
  x: Float64Array,
  f: number,
  g: Float64Array,
  alpha0: number,
  evalAt: (x: Float64Array, g: Float64Array) => number,
  xOut: Float64Array,
  gOut: Float64Array,
): Escape {
  if (!probe || !(probe.lambda < -1e-8 * Math.max(probe.scale, 1e-300))) return { moved: false, stuck: false };
  const d = probe.d;
  let slope = dot(g, d);
  if (slope > 0) {
    scale(-1, d);
    slope = -slope;
  }
  const ls = backtracking(
    (a) => {
      addScaled(x, a, d, xOut);
      return evalAt(xOut, gOut);
    },
    f,
    slope,
    alpha0,
    { c1: 1e-4, maxEvals: 30, curvature: probe.lambda },
  );
  return ls.ok ? { moved: true, f: ls.f, lambda: probe.lambda } : { moved: false, stuck: true, lambda: probe.lambda };
}
