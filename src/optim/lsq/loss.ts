// Robust losses for leastSquares, applied as scipy's least_squares and Ceres apply them: the
// cost is ½ Σ C²·ρ(rᵢ²/C²) (C = fScale), and each iteration works on the Gauss–Newton model
// of a rescaled problem with the same gradient (Triggs et al., "Bundle Adjustment — A Modern
// Synthesis", 2000, §4.3; Ceres's "corrector"; scipy's scale_for_robust_loss_function):
//
//   r̃ᵢ = rᵢ·ρ′/√wᵢ,   J̃ᵢ = √wᵢ·Jᵢ,   wᵢ = ρ′ + 2ρ″zᵢ (clamped to ≥ ε),   zᵢ = rᵢ²/C²,
//
// so J̃ᵀr̃ = Σ ρ′ rᵢ Jᵢ is the cost's gradient and J̃ᵀJ̃ keeps the second-order term of ρ that
// does not involve r's curvature: LM and Gauss–Newton stay Gauss–Newton methods.
import type { Loss, LossFunction } from "./types.js";
import { norm2 } from "../vec.js";

const EPS = Number.EPSILON;

/** ρ, ρ′, ρ″ of the built-in losses at z ≥ 0 (ρ(0) = 0, ρ′(0) = 1). */
export const LOSSES: Record<Exclude<Loss, LossFunction>, LossFunction> = {
  linear: (z) => [z, 1, 0],
  soft_l1: (z) => {
    const t = 1 + z, st = Math.sqrt(t);
    return [2 * (st - 1), 1 / st, -0.5 / (t * st)];
  },
  huber: (z) => {
    if (z <= 1) return [z, 1, 0];
    const sz = Math.sqrt(z);
    return [2 * sz - 1, 1 / sz, -0.5 / (z * sz)];
  },
  cauchy: (z) => [Math.log1p(z), 1 / (1 + z), -1 / ((1 + z) * (1 + z))],
  arctan: (z) => {
    const t = 1 + z * z;
    return [Math.atan(z), 1 / t, (-2 * z) / (t * t)];
  },
  tukey: (z) => {
    if (z >= 1) return [1 / 3, 0, 0];
    const u = 1 - z;
    return [(1 - u * u * u) / 3, u * u, -2 * u];
  },
};

/** The cost and the rescaled residual of a loss; `null` ρ is ordinary least squares. */
export class LossModel {
  private readonly rho: LossFunction | null;
  constructor(loss: Loss, readonly fScale: number, private readonly op: string) {
    this.rho = loss === "linear" ? null : typeof loss === "function" ? loss : LOSSES[loss];
  }

  get robust(): boolean {
    return this.rho !== null;
  }

  private eval(z: number): readonly [number, number, number] {
    const v = this.rho!(z);
    if (!Array.isArray(v) || v.length !== 3 || !v.every((t) => typeof t === "number")) {
      throw new TypeError(`${this.op}: the loss function must return [ρ(z), ρ′(z), ρ″(z)] (three numbers), got ${String(v)}`);
    }
    return v;
  }

  /** ½ Σ C²ρ(rᵢ²/C²) (½‖r‖² without a loss: computed as ½·norm2(r)², as before losses existed). */
  cost(r: Float64Array): number {
    if (!this.rho) {
      const nr = norm2(r);
      return 0.5 * nr * nr;
    }
    const C2 = this.fScale * this.fScale;
    let c = 0;
    for (let i = 0; i < r.length; i++) c += this.eval((r[i]! * r[i]!) / C2)[0];
    return 0.5 * C2 * c;
  }

  /**
   * r̃ into `rt` and the row weights √wᵢ into `sc` (J̃ = diag(sc)·J); without a loss r̃ = r and
   * sc = 1.
   */
  weigh(r: Float64Array, rt: Float64Array, sc: Float64Array): void {
    if (!this.rho) {
      rt.set(r);
      sc.fill(1);
      return;
    }
    const C2 = this.fScale * this.fScale;
    for (let i = 0; i < r.length; i++) {
      const z = (r[i]! * r[i]!) / C2;
      const [, d1, d2] = this.eval(z);
      const w = Math.sqrt(Math.max(d1 + 2 * d2 * z, EPS));
      sc[i] = w;
      rt[i] = (r[i]! * d1) / w;
    }
  }
}

/** Scales the rows of a column-major m × n J by sc. */
export function scaleRows(J: Float64Array, m: number, n: number, sc: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const c = J.subarray(j * m, (j + 1) * m);
    for (let i = 0; i < m; i++) c[i]! *= sc[i]!;
  }
}
