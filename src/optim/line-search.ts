// Line searches on φ(α) = f(x + α·p).
//
// strongWolfe: Nocedal & Wright, Numerical Optimization (2nd ed.), Algorithm 3.5 (bracketing)
// and Algorithm 3.6 (zoom), with the cubic interpolation of eq. (3.59) safeguarded to the
// middle of the bracket. Every trial evaluates f and ∇f together (one reverse pass), so the
// gradient at the accepted point comes for free. A trial where f or ∇f is not finite is
// treated as "too far" and the bracket shrinks toward the last good point.
//
// backtracking: Armijo backtracking with quadratic interpolation (N&W §3.5, eq. 3.57),
// for searches that only need values (Gauss–Newton, negative-curvature steps).
import { addScaled, dot } from "./vec.js";
import { HEAP, type VecSource } from "./workspace.js";

/** φ(α) and φ'(α). */
export interface LinePoint {
  f: number;
  d: number;
}

export interface WolfeOptions {
  c1: number;
  c2: number;
  /** Largest step tried (extrapolation stops here). */
  alphaMax: number;
  /** Evaluations allowed in one search. */
  maxEvals: number;
}

export interface LineSearchResult {
  /** A step with sufficient decrease was found. */
  ok: boolean;
  /** ... and it also satisfies the strong curvature condition. */
  wolfe: boolean;
  alpha: number;
  f: number;
  /** Evaluations used. */
  evals: number;
  /** Every trial point (other than x itself, where a tiny step rounds back) gave a non-finite f or ∇f. */
  nonFinite?: boolean;
}

/**
 * Evaluates trial points x + α·p, keeping the latest trial and the best sufficient-decrease
 * point ("lo") so the caller can adopt either without re-evaluating.
 * `evalAt(x, g)` returns f(x) and writes ∇f(x) into g (`aT` is the trial's step by then).
 * Its four vectors come from `vectors` (the run's workspace).
 */
export class LineEvaluator {
  readonly xT: Float64Array;
  readonly gT: Float64Array;
  readonly xL: Float64Array;
  readonly gL: Float64Array;
  fT = NaN;
  aT = NaN;
  fL = NaN;
  aL = NaN;
  private x!: Float64Array;
  private p!: Float64Array;

  constructor(
    n: number,
    private readonly evalAt: (x: Float64Array, g: Float64Array) => number,
    vectors: VecSource = HEAP,
  ) {
    this.xT = vectors.vec(n);
    this.gT = vectors.vec(n);
    this.xL = vectors.vec(n);
    this.gL = vectors.vec(n);
  }

  /** Starts a search from x along p (both are read, not copied: keep them unchanged). */
  reset(x: Float64Array, p: Float64Array): void {
    this.x = x;
    this.p = p;
    this.aL = NaN;
  }

  /** Whether the latest trial point differs from x (tiny steps can round back to x). */
  moved = false;

  phi(alpha: number): LinePoint {
    addScaled(this.x, alpha, this.p, this.xT);
    let moved = false;
    for (let i = 0; i < this.xT.length && !moved; i++) moved = this.xT[i] !== this.x[i];
    this.moved = moved;
    this.aT = alpha;
    this.fT = this.evalAt(this.xT, this.gT);
    return { f: this.fT, d: dot(this.gT, this.p) };
  }

  keepLo(): void {
    this.xL.set(this.xT);
    this.gL.set(this.gT);
    this.fL = this.fT;
    this.aL = this.aT;
  }

  /** The buffers holding the point evaluated at `alpha` (the latest trial or the kept lo). */
  pointAt(alpha: number): { x: Float64Array; g: Float64Array; f: number } {
    if (alpha === this.aT) return { x: this.xT, g: this.gT, f: this.fT };
    if (alpha === this.aL) return { x: this.xL, g: this.gL, f: this.fL };
    throw new Error("matcalc/optim: internal: line search returned a step it did not evaluate");
  }
}

/** Minimizer of the cubic through (a, fa, da), (b, fb, db) (N&W eq. 3.59); NaN if none. */
export function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const den = db - da + 2 * d2;
  if (den === 0) return NaN;
  return b - ((b - a) * (db + d2 - d1)) / den;
}

/** Minimizer of the quadratic through (a, fa, da) and (b, fb); NaN if it has none. */
function quadMin(a: number, fa: number, da: number, b: number, fb: number): number {
  const h = b - a;
  const c = (fb - fa - da * h) / (h * h);
  if (!(c > 0)) return NaN;
  return a - da / (2 * c);
}

/**
 * Strong Wolfe line search (N&W Algorithms 3.5 and 3.6). `d0 = φ'(0)` must be negative.
 * On failure to meet the curvature condition within the budget, returns the best point with
 * sufficient decrease found (`ok: true, wolfe: false`), or `ok: false` if there is none.
 */
export function strongWolfe(ev: LineEvaluator, f0: number, d0: number, alpha1: number, o: WolfeOptions): LineSearchResult {
  const { c1, c2, alphaMax, maxEvals } = o;
  let evals = 0;
  let finiteSeen = false;
  const done = (alpha: number, f: number, wolfe: boolean): LineSearchResult => ({ ok: true, wolfe, alpha, f, evals });
  const fail = (): LineSearchResult => ({ ok: false, wolfe: false, alpha: 0, f: f0, evals, nonFinite: evals > 0 && !finiteSeen });
  if (!(d0 < 0)) return fail();

  // zoom: lo has sufficient decrease and the lowest f so far; φ'(lo)·(hi − lo) < 0.
  const zoom = (lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number): LineSearchResult => {
    while (evals < maxEvals) {
      const width = Math.abs(hi - lo);
      if (width <= 1e-15 * Math.max(lo, hi)) break;
      const left = Math.min(lo, hi), right = Math.max(lo, hi);
      let a: number;
      if (Number.isFinite(fhi) && Number.isFinite(dhi)) a = cubicMin(lo, flo, dlo, hi, fhi, dhi);
      else if (Number.isFinite(fhi)) a = quadMin(lo, flo, dlo, hi, fhi);
      else a = lo + 0.2 * (hi - lo); // beyond hi f is not finite: back off quickly
      if (!(a >= left + 0.1 * width && a <= right - 0.1 * width)) a = Number.isFinite(fhi) ? 0.5 * (lo + hi) : lo + 0.2 * (hi - lo);
      const { f, d } = ev.phi(a);
      evals++;
      if (Number.isFinite(f) && Number.isFinite(d) && ev.moved) finiteSeen = true;
      if (!Number.isFinite(f) || !Number.isFinite(d) || f > f0 + c1 * a * d0 || f >= flo) {
        hi = a;
        fhi = Number.isFinite(f) && Number.isFinite(d) ? f : NaN;
        dhi = d;
      } else {
        if (Math.abs(d) <= -c2 * d0) return done(a, f, true);
        if (d * (hi - lo) >= 0) {
          hi = lo;
          fhi = flo;
          dhi = dlo;
        }
        lo = a;
        flo = f;
        dlo = d;
        ev.keepLo();
      }
    }
    return lo > 0 ? done(lo, flo, false) : fail();
  };

  let aPrev = 0, fPrev = f0, dPrev = d0;
  let a = Math.min(alpha1, alphaMax);
  // At most 10 extrapolations (each ≤ 4×): a step 10⁶ times the first trial that still
  // descends suggests f is unbounded along p; the next iteration goes on from there.
  for (let extrapolations = 0; ; extrapolations++) {
    const { f, d } = ev.phi(a);
    evals++;
    if (!Number.isFinite(f) || !Number.isFinite(d)) return zoom(aPrev, fPrev, dPrev, a, NaN, NaN);
    if (ev.moved) finiteSeen = true;
    if (f > f0 + c1 * a * d0 || (aPrev > 0 && f >= fPrev)) return zoom(aPrev, fPrev, dPrev, a, f, d);
    if (Math.abs(d) <= -c2 * d0) return done(a, f, true);
    ev.keepLo();
    if (d >= 0) return zoom(a, f, d, aPrev, fPrev, dPrev);
    if (a >= alphaMax || evals >= maxEvals || extrapolations >= 10 || f === -Infinity) return done(a, f, false);
    // Extrapolate: the cubic's minimizer, kept within [a + 1.1(a − aPrev), a + 4(a − aPrev)].
    const lo = a + 1.1 * (a - aPrev), hiB = a + 4 * (a - aPrev);
    let next = cubicMin(aPrev, fPrev, dPrev, a, f, d);
    if (!(next >= lo)) next = hiB;
    next = Math.min(next, hiB, alphaMax);
    aPrev = a;
    fPrev = f;
    dPrev = d;
    a = next;
  }
}

/**
 * Armijo backtracking on values only: the first α in α₁, ρα₁, … (ρ from quadratic
 * interpolation, clamped to [0.1, 0.5]) with φ(α) ≤ φ(0) + c₁·model(α), where model(α) is
 * α·φ'(0) (plus ½α²·curv for a negative-curvature direction).
 */
export function backtracking(
  phi: (alpha: number) => number,
  f0: number,
  d0: number,
  alpha1: number,
  o: { c1: number; maxEvals: number; curvature?: number },
): LineSearchResult {
  const curv = o.curvature ?? 0;
  let a = alpha1;
  let evals = 0;
  let finiteSeen = false;
  while (evals < o.maxEvals) {
    const model = a * d0 + 0.5 * a * a * Math.min(curv, 0);
    // No representable decrease left: stop rather than chase rounding noise.
    if (-model <= 1e-16 * Math.max(Math.abs(f0), 1e-300)) break;
    const f = phi(a);
    evals++;
    if (Number.isFinite(f)) finiteSeen = true;
    if (Number.isFinite(f) && f <= f0 + o.c1 * model) return { ok: true, wolfe: false, alpha: a, f, evals };
    let next = Number.isFinite(f) && curv === 0 ? quadMin(0, f0, d0, a, f) : NaN;
    if (!(next >= 0.1 * a && next <= 0.5 * a)) next = Number.isFinite(f) ? 0.5 * a : 0.2 * a;
    a = next;
  }
  return { ok: false, wolfe: false, alpha: 0, f: f0, evals, nonFinite: evals > 0 && !finiteSeen };
}
