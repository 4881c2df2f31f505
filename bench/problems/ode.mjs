// The RK4 Lotka–Volterra loss of bench/problems/loops.ts (odeProblem), in plain JavaScript and
// written only against tensor methods, so it runs on whichever build of matcalc made its
// tensors: bench/replay-ab.mjs runs it on two dist builds side by side.

/**
 * ½‖z(T) − target‖² after `steps` classical Runge–Kutta steps of length h of
 * z' = z ∘ (r + A·z) from z(0) = z0, as a function of p = { r, A, z0 }.
 */
export function rk4Loss(steps, h, target) {
  return (p) => {
    const f = (z) => z.mul(p.r.add(p.A.matmul(z)));
    let z = p.z0;
    for (let s = 0; s < steps; s++) {
      const k1 = f(z);
      const k2 = f(z.add(k1.mul(h / 2)));
      const k3 = f(z.add(k2.mul(h / 2)));
      const k4 = f(z.add(k3.mul(h)));
      z = z.add(k1.add(k2.add(k3).mul(2)).add(k4).mul(h / 6));
    }
    return z.sub(target).square().sum().mul(0.5);
  };
}
