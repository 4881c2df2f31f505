// Trust-region Newton–CG: the Steihaug–Toint truncated CG for the trust-region subproblem
// (Nocedal & Wright, Algorithm 7.2) inside the trust-region framework of N&W Algorithm 4.1.
// CG on Hessian-vector products runs until the forcing tolerance
// ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖, until it meets non-positive curvature, or until it leaves the
// region; in the last two cases the step goes to the boundary along the current direction.
//
// Each trial point is evaluated by one linearization of x ↦ (f, ∇f), which gives f for the
// ratio test and, when the step is accepted, ∇f and the HVP operator at the new iterate.
// The model value m(p) = gᵀp + ½pᵀHp costs no extra product: CG keeps r = g + H z.
import { CONVERGED } from "./driver.js";
import { curvatureFloats, escapeNegativeCurvature } from "./curvature.js";
import type { MethodContext, MethodOptions } from "./method.js";
import type { HvpOp } from "./objective.js";
import type { Status } from "./types.js";
import { cgFloats, cgVectors, forcingTolerance, steihaug } from "./cg.js";
import { addScaled, allFinite, dot, norm2 } from "./vec.js";
import { vectorFloats } from "./workspace.js";

/** Acceptance threshold on ρ = actual / predicted reduction (N&W Algorithm 4.1's η). */
const ETA = 0.15;

/** Float64 of workspace trust-ncg needs: Steihaug's six vectors, its three, the curvature probe's. */
export function trustNcgFloats(n: number, o: MethodOptions): number {
  return cgFloats(n, true) + vectorFloats(3, n) + curvatureFloats(n, o.curvatureSteps);
}

export function trustNcg({ run, obj, o, hvp0, ws }: MethodContext): Status {
  const n = run.n;
  const cg = cgVectors(ws, n, true);
  const { p, Hp } = cg;
  const xT = ws.vec(n), gT = ws.vec(n), gTmp = ws.vec(n);
  let hv: HvpOp | null = hvp0 ?? null;
  let radius = o.initialTrustRadius;
  const maxRadius = o.maxTrustRadius;
  const maxCg = Math.max(1, o.cgMaxIterations);
  const hvAt = (): HvpOp => (hv ??= obj.linearized(run.x, gTmp).hvp);
  const valueGrad = (x: Float64Array, g: Float64Array) => obj.valueGrad(x, g);

  let st = run.initial();
  let finiteTrial = false; // any trial with finite f and ∇f since the last accepted step
  for (;;) {
    if (st) {
      if (!CONVERGED.has(st) || o.curvatureSteps <= 0) return st;
      const esc = escapeNegativeCurvature(run.x, run.f, run.g, hvAt(), o.curvatureSteps, radius, valueGrad, xT, gT, ws);
      if (!esc.moved) return esc.stuck ? "lineSearchFailed" : st;
      hv = null;
      st = run.accept(xT, esc.f, gT);
      continue;
    }
    const H = hvAt();
    const g = run.g;
    const gnorm = norm2(g);
    steihaug(H, g, gnorm, radius, forcingTolerance(gnorm), maxCg, cg);
    const pnorm = norm2(p);
    const pred = -(dot(g, p) + 0.5 * dot(p, Hp));
    addScaled(run.x, 1, p, xT);
    let rho = -Infinity;
    let trial: { value: number; hvp: HvpOp } | null = null;
    if (pred > 0 && pnorm > 0) {
      trial = obj.linearized(xT, gT);
      if (Number.isFinite(trial.value) && allFinite(gT)) {
        finiteTrial = true;
        const ared = run.f - trial.value;
        rho = ared / pred;
        // Both reductions at rounding level: f can no longer judge the step. Accept it if the
        // gradient shrinks (Conn, Gould & Toint, Trust-Region Methods, §17.4.2).
        const noise = 10 * Number.EPSILON * Math.abs(run.f);
        if (Math.abs(ared) <= noise && pred <= noise) rho = norm2(gT) < gnorm ? 1 : -Infinity;
      }
    }
    // Radius update (N&W Algorithm 4.1).
    if (!(rho >= 0.25)) radius = 0.25 * Math.min(radius, pnorm > 0 ? pnorm : radius);
    else if (rho > 0.75 && pnorm >= 0.99 * radius) radius = Math.min(2 * radius, maxRadius);
    run.radius = radius;
    if (rho > ETA && trial) {
      hv = trial.hvp;
      finiteTrial = false;
      st = run.accept(xT, trial.value, gT);
    } else if (radius <= 1e-15 * (1 + norm2(run.x))) {
      return finiteTrial ? "trustRegionCollapsed" : "nonFinite";
    }
  }
}
