// L-BFGS-B: the limited-memory BFGS method for bound constraints of Byrd, Lu, Nocedal & Zhu
// (SIAM J. Sci. Comput. 16(5), 1995), with the subspace step of L-BFGS-B 3.0 (Morales &
// Nocedal, ACM TOMS 38(1), 2011). Each iteration:
//
// 1. the generalized Cauchy point x_c: the first local minimizer of the quadratic model
//    m(x) = f + gᵀ(x − x_k) + ½(x − x_k)ᵀB(x − x_k) along the projected-gradient path
//    P(x_k − t g), visiting the path's breakpoints in order and updating the model's slope and
//    curvature along each segment in O(m) from the compact representation (BLNZ §4);
// 2. subspace minimization of m over the variables free at x_c (direct primal method, BLNZ
//    §5.1, by Sherman–Morrison–Woodbury on the compact form); the unconstrained subspace
//    minimizer is projected onto the box (3.0), or, when that is not a descent direction,
//    cut back to the box along its ray (the 2.1 rule);
// 3. a line search along d = x̄ − x_k, its steps never leaving the box.
//
// B is the compact limited-memory form (Byrd, Nocedal & Schnabel, Math. Prog. 63, 1994):
// B = θI − W M Wᵀ with W = [Y, θS] (n × 2k) and M = [[−D, Lᵀ], [L, θSᵀS]]⁻¹, where
// D = diag(sᵢᵀyᵢ) and L is the strictly lower part of SᵀY. M is 2k × 2k (k ≤ m pairs) and
// never formed: K = M⁻¹ is LU-factored once per iteration and products with M are solves.
// A pair with sᵀy ≤ ε·yᵀy is not stored (as L-BFGS-B).
// The stopping test is the projected gradient ‖P(x − g) − x‖∞ ≤ gradTol (BoxRun).
import type { Box, BoxRun } from "./bounds.js";
import { LineEvaluator, strongWolfe } from "./line-search.js";
import { ALPHA_MAX, LINE_SEARCH_EVALS, type MethodContext, type MethodOptions } from "./method.js";
import type { Status } from "./types.js";
import { axpy, dot, norm2, sub } from "./vec.js";
import { vectorFloats } from "./workspace.js";
import { luFactor, luSolve } from "./dense.js";

const EPS = 2.220446049250313e-16;

/** Float64 of workspace lbfgsb needs: the m pairs, its 4 vectors, the line search's 4. */
export function lbfgsbFloats(n: number, o: MethodOptions): number {
  return vectorFloats(2 * Math.max(1, Math.floor(o.history)) + 10, n);
}

/** What the bound-constrained methods receive. @internal */
export interface BoxContext extends MethodContext {
  run: BoxRun;
  box: Box;
  /** tron: the initial trust radius when the user gave one. */
  radius0?: number;
}

/** The largest α ≤ cap with lower ≤ x + α d ≤ upper. */
export function maxFeasibleStep(x: Float64Array, d: Float64Array, box: Box, cap: number): number {
  let a = cap;
  for (let i = 0; i < x.length; i++) {
    const di = d[i]!;
    if (di < 0 && box.lower[i]! > -Infinity) a = Math.min(a, (box.lower[i]! - x[i]!) / di);
    else if (di > 0 && box.upper[i]! < Infinity) a = Math.min(a, (box.upper[i]! - x[i]!) / di);
  }
  return Math.max(a, 0);
}

export function lbfgsb({ run, obj, o, ws, box }: BoxContext): Status {
  const n = run.n;
  const m = Math.max(1, Math.floor(o.history));
  const { lower, upper } = box;
  let boxed = true;
  for (let i = 0; i < n && boxed; i++) boxed = lower[i]! > -Infinity && upper[i]! < Infinity;
  // Pairs oldest first; SY[i][j] = sᵢᵀyⱼ, SS[i][j] = sᵢᵀsⱼ, YY[i][j] = yᵢᵀyⱼ.
  const S: Float64Array[] = [], Y: Float64Array[] = [];
  const spare: Float64Array[] = [];
  for (let i = 0; i <= m; i++) spare.push(ws.vec(n), ws.vec(n));
  let SY: number[][] = [], SS: number[][] = [], YY: number[][] = [];
  let theta = 1;
  const xc = ws.vec(n), d = ws.vec(n), t = ws.vec(n), r = ws.vec(n);
  const free = new Uint8Array(n);
  const ev = new LineEvaluator(n, (x, g) => {
    // x + αd can leave the box by rounding at the largest feasible step.
    for (let i = 0; i < n; i++) {
      if (x[i]! < lower[i]!) x[i] = lower[i]!;
      else if (x[i]! > upper[i]!) x[i] = upper[i]!;
    }
    return obj.valueGrad(x, g);
  }, ws);
  // M = K⁻¹ is never formed: K = [[−D, Lᵀ], [L, θSᵀS]] is kept with its LU factors, and
  // products M·v are solves. Buffers are sized for the full memory once.
  const m2 = 2 * m;
  const K = new Float64Array(m2 * m2), Kf = new Float64Array(m2 * m2), Ks = new Float64Array(m2 * m2);
  const piv = new Int32Array(m2), piv2 = new Int32Array(m2);
  const p = new Float64Array(m2), c = new Float64Array(m2), Mc = new Float64Array(m2), Mp = new Float64Array(m2);
  const wb = new Float64Array(m2), Mwb = new Float64Array(m2), WtZr = new Float64Array(m2), v = new Float64Array(m2);
  let kM = 0; // pairs K was built for
  /** out = M·x = K⁻¹x (length 2k). */
  const mSolve = (x: ArrayLike<number>, out: Float64Array): void => luSolve(Kf, 2 * kM, piv, x, out);

  /** Builds and factors K for the current pairs; on failure drops the memory. */
  const formM = (): void => {
    const k = S.length, k2 = 2 * k;
    K.fill(0, 0, k2 * k2);
    for (let i = 0; i < k; i++) {
      K[i * k2 + i] = -SY[i]![i]!;
      for (let j = 0; j < k; j++) {
        if (i > j) {
          K[(k + i) * k2 + j] = SY[i]![j]!; // L
          K[j * k2 + (k + i)] = SY[i]![j]!; // Lᵀ
        }
        K[(k + i) * k2 + (k + j)] = theta * SS[i]![j]!;
      }
    }
    Kf.set(K.subarray(0, k2 * k2));
    kM = k;
    if (!luFactor(Kf, k2, piv)) {
      resetMemory();
      kM = 0;
    }
  };
  const resetMemory = (): void => {
    while (S.length) spare.push(S.pop()!, Y.pop()!);
    SY = [];
    SS = [];
    YY = [];
    theta = 1;
  };
  /** Row i of W = [Y, θS] into w (length 2k). */
  const wRow = (i: number, w: Float64Array): void => {
    const k = S.length;
    for (let j = 0; j < k; j++) {
      w[j] = Y[j]![i]!;
      w[k + j] = theta * S[j]![i]!;
    }
  };

  /** out = W·u = Σⱼ uⱼ·yⱼ + θ·u_{k+j}·sⱼ (column by column: the vector kernels do the work). */
  const wTimes = (u: ArrayLike<number>, out: Float64Array): void => {
    const k = S.length;
    out.fill(0);
    for (let j = 0; j < k; j++) {
      if (u[j] !== 0) axpy(u[j]!, Y[j]!, out);
      if (u[k + j] !== 0) axpy(theta * u[k + j]!, S[j]!, out);
    }
  };
  /** out = Wᵀv (2k dot products). */
  const wTransposeTimes = (v: Float64Array, out: Float64Array): void => {
    const k = S.length;
    for (let j = 0; j < k; j++) {
      out[j] = dot(Y[j]!, v);
      out[k + j] = theta * dot(S[j]!, v);
    }
  };

  const st0 = run.initial();
  if (st0) return st0;
  for (;;) {
    const x = run.x, g = run.g;
    const k = S.length, k2 = 2 * k;
    // ---- 1. Generalized Cauchy point (BLNZ Algorithm CP). ----
    // c accumulates Wᵀ(x_cp − x); Mc = M·c and Mp = M·p are kept alongside, so that each
    // breakpoint costs one product with M (M·w_b) besides O(k) updates.
    p.fill(0);
    c.fill(0);
    Mc.fill(0);
    Mp.fill(0);
    const bps: number[] = [];
    let fp = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      let ti = Infinity;
      if (gi < 0) ti = upper[i]! < Infinity ? (x[i]! - upper[i]!) / gi : Infinity;
      else if (gi > 0) ti = lower[i]! > -Infinity ? (x[i]! - lower[i]!) / gi : Infinity;
      t[i] = ti;
      xc[i] = x[i]!;
      if (ti <= 0) d[i] = 0;
      else {
        d[i] = -gi;
        fp -= gi * gi;
        if (ti < Infinity) bps.push(i);
      }
    }
    if (k > 0) {
      wTransposeTimes(d, p);
      mSolve(p, Mp);
    }
    let fpp = -theta * fp - dot2(p, Mp, k2);
    const fpp0 = fpp;
    let dtMin = fpp > 0 ? -fp / fpp : Infinity;
    let tOld = 0;
    if (bps.length > 1) bps.sort((a, b) => t[a]! - t[b]!);
    for (let bi = 0; bi < bps.length; bi++) {
      const b = bps[bi]!;
      const dt = t[b]! - tOld;
      if (dtMin < dt) break;
      // Move to breakpoint t_b; variable b becomes fixed at its bound.
      const gb = g[b]!;
      const xb = d[b]! > 0 ? upper[b]! : lower[b]!;
      const zb = xb - x[b]!;
      xc[b] = xb;
      for (let j = 0; j < k2; j++) {
        c[j] += dt * p[j]!;
        Mc[j] += dt * Mp[j]!;
      }
      let wMc = 0, wMp = 0, wMw = 0;
      if (k > 0) {
        wRow(b, wb);
        mSolve(wb, Mwb);
        wMc = dot2(wb, Mc, k2);
        wMp = dot2(wb, Mp, k2);
        wMw = dot2(wb, Mwb, k2);
      }
      fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * wMc;
      fpp = fpp - theta * gb * gb - 2 * gb * wMp - gb * gb * wMw;
      fpp = Math.max(fpp, EPS * fpp0);
      for (let j = 0; j < k2; j++) {
        p[j] += gb * wb[j]!;
        Mp[j] += gb * Mwb[j]!;
      }
      d[b] = 0;
      dtMin = fp >= 0 ? 0 : -fp / fpp;
      tOld = t[b]!;
    }
    // No breakpoint left and a flat model along the rest: stop where the path stands.
    if (!Number.isFinite(dtMin)) dtMin = 0;
    dtMin = Math.max(dtMin, 0);
    tOld += dtMin;
    for (let i = 0; i < n; i++) if (d[i] !== 0) xc[i] = x[i]! + tOld * d[i]!;
    for (let j = 0; j < k2; j++) {
      c[j] += dtMin * p[j]!;
      Mc[j] += dtMin * Mp[j]!;
    }

    // ---- 2. Subspace minimization over the free variables at x_c (BLNZ §5.1). ----
    let nf = 0;
    for (let i = 0; i < n; i++) {
      const isFree = xc[i]! > lower[i]! && xc[i]! < upper[i]!;
      free[i] = isFree ? 1 : 0;
      nf += free[i]!;
    }
    // d := x̄ − x, starting from x_c.
    sub(xc, x, d);
    if (nf > 0) {
      // r = (g + θ(x_c − x) − W M c) on the free set, 0 elsewhere.
      if (k > 0) wTimes(Mc, r);
      else r.fill(0);
      for (let i = 0; i < n; i++) r[i] = free[i] ? g[i]! + theta * (xc[i]! - x[i]!) - r[i]! : 0;
      // d̂ = −r/θ − W_F N⁻¹ M W_Fᵀ r / θ², N = I − M W_FᵀW_F / θ.
      // v = N⁻¹ M W_Fᵀr with N = I − M W_FᵀW_F/θ, i.e. (K − W_FᵀW_F/θ) v = W_Fᵀr: one
      // factorization of a 2k × 2k matrix.
      let haveV = false;
      if (k > 0) {
        wTransposeTimes(r, WtZr);
        // W_FᵀW_F = WᵀW − Σ over the fixed variables of wᵢwᵢᵀ; WᵀW from the kept products.
        const A = Ks;
        for (let a = 0; a < k; a++) {
          for (let bb = 0; bb < k; bb++) {
            A[a * k2 + bb] = YY[a]![bb]!;
            A[a * k2 + k + bb] = theta * SY[bb]![a]!; // yₐᵀs_b
            A[(k + a) * k2 + bb] = theta * SY[a]![bb]!; // sₐᵀy_b
            A[(k + a) * k2 + k + bb] = theta * theta * SS[a]![bb]!;
          }
        }
        if (nf < n) {
          for (let i = 0; i < n; i++) {
            if (free[i]) continue;
            wRow(i, wb);
            for (let a = 0; a < k2; a++) {
              const wa = wb[a]!;
              if (wa === 0) continue;
              for (let bb = 0; bb < k2; bb++) A[a * k2 + bb] -= wa * wb[bb]!;
            }
          }
        }
        for (let q = 0; q < k2 * k2; q++) A[q] = K[q]! - A[q]! / theta;
        if (luFactor(A, k2, piv2)) {
          luSolve(A, k2, piv2, WtZr, v);
          haveV = true;
        }
      }
      // The unconstrained subspace step d̂ (into r), then projected onto the box (L-BFGS-B 3.0).
      const xbar = t; // t's breakpoints are no longer needed
      if (haveV) wTimes(v, xbar);
      for (let i = 0; i < n; i++) r[i] = free[i] ? -r[i]! / theta - (haveV ? xbar[i]! / (theta * theta) : 0) : 0;
      let descent = 0;
      for (let i = 0; i < n; i++) {
        let xi = xc[i]!;
        if (free[i]) {
          xi += r[i]!;
          if (xi < lower[i]!) xi = lower[i]!;
          else if (xi > upper[i]!) xi = upper[i]!;
        }
        xbar[i] = xi;
        descent += g[i]! * (xi - x[i]!);
      }
      if (!(descent < 0)) {
        // Not a descent direction: the 2.1 rule, x_c + α*·d̂ with α* the largest feasible α ≤ 1.
        let a = 1;
        for (let i = 0; i < n; i++) {
          if (!free[i]) continue;
          const di = r[i]!;
          if (di < 0) a = Math.min(a, (lower[i]! - xc[i]!) / di);
          else if (di > 0) a = Math.min(a, (upper[i]! - xc[i]!) / di);
        }
        a = Math.max(a, 0);
        for (let i = 0; i < n; i++) xbar[i] = free[i] ? xc[i]! + a * r[i]! : xc[i]!;
      }
      sub(xbar, x, d);
    }

    // ---- 3. Line search along d, inside the box. ----
    const slope = dot(g, d);
    const dnorm = norm2(d);
    if (!(slope < 0) || !(dnorm > 0)) {
      if (k > 0) {
        resetMemory();
        kM = 0;
        continue;
      }
      // The projected gradient is not zero (else run.initial/accept stopped) but no descent
      // direction exists in floating point.
      return "lineSearchFailed";
    }
    const constrained = box.bounded;
    let alphaMax: number;
    if (!constrained) alphaMax = ALPHA_MAX;
    else if (k === 0) alphaMax = 1;
    else alphaMax = Math.max(1, maxFeasibleStep(x, d, box, ALPHA_MAX));
    // L-BFGS-B's first trial: 1/‖d‖ on the first iteration unless every variable is boxed.
    const a1 = k === 0 && !boxed ? Math.min(1 / dnorm, alphaMax) : 1;
    ev.reset(x, d);
    const ls = strongWolfe(ev, run.f, slope, a1, { c1: o.c1, c2: o.c2, alphaMax, maxEvals: LINE_SEARCH_EVALS });
    if (!ls.ok) {
      if (k > 0) {
        resetMemory();
        kM = 0;
        continue;
      }
      return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    }
    const pt = ev.pointAt(ls.alpha);
    // New pair (spare holds 2m + 2 vectors, so two are always free).
    const s = spare.pop()!, y = spare.pop()!;
    sub(pt.x, x, s);
    sub(pt.g, g, y);
    const sy = dot(s, y), yy = dot(y, y);
    if (sy > EPS * yy && yy > 0) {
      if (S.length === m) {
        // Full: drop the oldest pair (its vectors are reused).
        spare.push(S.shift()!, Y.shift()!);
        for (const T of [SY, SS, YY]) {
          T.shift();
          for (const row of T) row.shift();
        }
      }
      S.push(s);
      Y.push(y);
      const kk = S.length;
      const syRow: number[] = [], ssRow: number[] = [], yyRow: number[] = [];
      for (let j = 0; j < kk; j++) {
        syRow.push(dot(s, Y[j]!)); // s_newᵀ y_j
        ssRow.push(dot(s, S[j]!));
        yyRow.push(dot(y, Y[j]!));
      }
      for (let j = 0; j < kk - 1; j++) {
        SY[j]!.push(dot(S[j]!, y)); // s_jᵀ y_new
        SS[j]!.push(ssRow[j]!);
        YY[j]!.push(yyRow[j]!);
      }
      SY.push(syRow);
      SS.push(ssRow);
      YY.push(yyRow);
      theta = yy / sy;
    } else {
      spare.push(s, y);
    }
    formM();
    run.radius = ls.alpha;
    const st = run.accept(pt.x, pt.f, pt.g);
    if (st) return st;
  }
}

function dot2(a: ArrayLike<number>, b: ArrayLike<number>, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[i]! * b[i]!;
  return s;
}
