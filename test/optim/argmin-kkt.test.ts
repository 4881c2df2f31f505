// Differentiating through minimize with constraints (auglag), through the KKT system at
// (x*, λ*): against closed forms (projection onto a hyperplane, onto the unit ball from outside
// and inside, onto a simplex face with bounds) and central differences of the solved problem
// (solved at θ ± h with tight tolerances), in grad, jvp and jacobian (both modes), and the typed
// errors where no derivative exists.
import { describe, expect, it } from "vitest";
import { NotDifferentiableError, grad, jacobian, jvp, scalar, vector, type Tensor } from "../../src/index.js";
import * as mc from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { thrown } from "../helpers/thrown.js";

const arr = (t: Tensor): number[] => Array.from(t.toArray() as number[]);
const mat = (t: Tensor): number[][] => t.toArray() as number[][];
const close = (a: number[], b: number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `entry ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * scale);
};
/** Entry i of a vector as a scalar tensor (differentiably). */
const at = (t: Tensor, i: number): Tensor => t.slice([i], [1]).sum();
const TIGHT = { gradTol: 1e-10, constraintTol: 1e-11 } as const;

describe("projection onto a hyperplane {x : aᵀx = θ}: x* = s − a(aᵀs − θ)/‖a‖²", () => {
  const a = [1, -2, 2]; // ‖a‖² = 9
  const proj = (s: Tensor, th: Tensor) =>
    minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0, 0]), {
      ...TIGHT,
      constraints: [{ type: "eq", fun: (x: Tensor) => x.mul(vector(a)).sum().sub(th) }],
    });
  const s0 = vector([1, 2, 3]), th0 = scalar(0.5);

  it("solves to the closed form", () => {
    const x = arr(proj(s0, th0).x as Tensor);
    const r = (1 - 4 + 6 - 0.5) / 9;
    close(x, [1 - r, 2 + 2 * r, 3 - 2 * r], 1e-8);
  });

  it("dx*/dθ = a/‖a‖² (θ only in the constraint)", () => {
    for (const mode of ["fwd", "rev"] as const) {
      const J = jacobian((th: Tensor) => proj(s0, th).x as Tensor, { mode })(th0);
      close(arr(J), a.map((v) => v / 9), 1e-9);
    }
    const [, dx] = jvp((th: Tensor) => proj(s0, th).x as Tensor, [th0], [scalar(2)]);
    close(arr(dx), a.map((v) => (2 * v) / 9), 1e-9);
    // grad of aᵀx* = θ is exactly 1.
    close([grad((th: Tensor) => (proj(s0, th).x as Tensor).mul(vector(a)).sum())(th0).item()], [1], 1e-9);
  });

  it("the multiplier λ = 2(θ − aᵀs)/‖a‖² (∇f = λ∇c) is differentiable too: dλ/dθ = 2/9, dλ/ds = −2a/9", () => {
    const lam = (s: Tensor, th: Tensor) => proj(s, th).multipliers![0]!;
    close([lam(s0, th0).item()], [(2 * (0.5 - 3)) / 9], 1e-8);
    close([grad((th: Tensor) => lam(s0, th))(th0).item()], [2 / 9], 1e-9);
    close(arr(grad((s: Tensor) => lam(s, th0))(s0)), a.map((v) => (-2 * v) / 9), 1e-9);
    close(mat(jacobian((s: Tensor) => lam(s, th0), { mode: "fwd" })(s0)).flat(), a.map((v) => (-2 * v) / 9), 1e-9);
  });

  it("dx*/ds = I − aaᵀ/‖a‖² (s only in f)", () => {
    const P = a.map((ai, i) => a.map((aj, j) => (i === j ? 1 : 0) - (ai * aj) / 9));
    for (const mode of ["fwd", "rev"] as const) {
      const J = mat(jacobian((s: Tensor) => proj(s, th0).x as Tensor, { mode })(s0));
      close(J.flat(), P.flat(), 1e-9);
    }
  });
});

describe("min ‖x − s‖² s.t. ‖x‖² ≤ 1 (ineq 1 − ‖x‖² ≥ 0)", () => {
  const ball = (s: Tensor) =>
    minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0, 0]), {
      ...TIGHT,
      constraints: [{ type: "ineq", fun: (x: Tensor) => mc.sub(1, x.square().sum()) }],
    }).x as Tensor;

  it("s outside: x* = s/‖s‖, dx*/ds = (I − x*x*ᵀ)/‖s‖", () => {
    const s = [1.2, -2, 0.9], ns = Math.hypot(...s), x = s.map((v) => v / ns);
    close(arr(ball(vector(s))), x, 1e-8);
    const want = x.flatMap((xi, i) => x.map((xj, j) => ((i === j ? 1 : 0) - xi * xj) / ns));
    for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(ball, { mode })(vector(s))).flat(), want, 1e-7);
  });

  it("s outside: the multiplier λ = ‖s‖ − 1, dλ/ds = s/‖s‖", () => {
    const s = [1.2, -2, 0.9], ns = Math.hypot(...s);
    const lam = (v: Tensor) =>
      minimize((x: Tensor) => x.sub(v).square().sum(), vector([0, 0, 0]), {
        ...TIGHT,
        constraints: [{ type: "ineq", fun: (x: Tensor) => mc.sub(1, x.square().sum()) }],
      }).multipliers![0]!;
    close([lam(vector(s)).item()], [ns - 1], 1e-8);
    close(arr(grad(lam)(vector(s))), s.map((v) => v / ns), 1e-7);
  });

  it("s inside: the constraint is inactive, dx*/ds = I", () => {
    const s = [0.3, -0.2, 0.4];
    close(arr(ball(vector(s))), s, 1e-8);
    for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(ball, { mode })(vector(s))).flat(), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-9);
  });

  it("s on the sphere (weakly active: c = 0, λ = 0) is NotDifferentiableError, never zeros", () => {
    const e = thrown(() => jacobian(ball)(vector([0.6, 0, 0.8])));
    expect(e).toBeInstanceOf(NotDifferentiableError);
    expect(e.message).toMatch(/minimize.*weakly active/);
  });
});

it("bounds and an equality: projection onto the simplex face {x ≥ 0, Σx = θ}", () => {
  // s = [2, −1, 1.5], θ = 1: x* = max(s − τ, 0) with τ = 1.25, x* = [0.75, 0, 0.25]; x₁ sits at
  // its bound (fixed), and over the free {0, 2}: dx/dθ = ½, dxᵢ/dsⱼ = δᵢⱼ − ½.
  const X = (s: Tensor, th: Tensor) =>
    minimize((x: Tensor) => x.sub(s).square().sum(), vector([0.3, 0.3, 0.3]), {
      ...TIGHT,
      bounds: { lower: 0, upper: Infinity },
      constraints: [{ type: "eq", fun: (x: Tensor) => x.sum().sub(th) }],
    }).x as Tensor;
  const s0 = vector([2, -1, 1.5]), th0 = scalar(1);
  close(arr(X(s0, th0)), [0.75, 0, 0.25], 1e-8);
  close(arr(jacobian((th: Tensor) => X(s0, th))(th0)), [0.5, 0, 0.5], 1e-9);
  for (const mode of ["fwd", "rev"] as const) {
    close(mat(jacobian((s: Tensor) => X(s, th0), { mode })(s0)).flat(), [0.5, 0, -0.5, 0, 0, 0, -0.5, 0, 0.5], 1e-9);
  }
});

it("a nonlinear problem, θ in f and in both constraints: x* and λ* against central differences of the solved problem", () => {
  // f = (x₀ − θ₀)⁴ + (x₁ − 2)² + θ₁·x₀x₁ + x₂², s.t. x₀² + x₁² + x₂² = 2 + θ₁ (eq) and
  // x₁ − x₀ ≤ θ₀ − 1, i.e. θ₀ − 1 − x₁ + x₀ ≥ 0 (ineq, active at this θ).
  const solve = (th: Tensor) =>
    minimize(
      (x: Tensor) => {
        const [x0, x1, x2] = [at(x, 0), at(x, 1), at(x, 2)];
        return x0.sub(at(th, 0)).pow(4).add(x1.sub(2).square()).add(at(th, 1).mul(x0).mul(x1)).add(x2.square());
      },
      vector([0.5, 0.5, 0.5]),
      {
        ...TIGHT,
        constraints: [
          { type: "eq", fun: (x: Tensor) => x.square().sum().sub(at(th, 1).add(2)) },
          { type: "ineq", fun: (x: Tensor) => at(th, 0).sub(1).sub(at(x, 1)).add(at(x, 0)) },
        ],
      },
    );
  const th0 = [0.3, 0.5];
  const r = solve(vector(th0));
  expect(r.converged).toBe(true);
  // The inequality is active with a positive multiplier (else this tests nothing of the KKT path).
  expect(r.multipliers![1]!.item()).toBeGreaterThan(1e-3);
  expect(Math.abs(th0[0]! - 1 - arr(r.x as Tensor)[1]! + arr(r.x as Tensor)[0]!)).toBeLessThan(1e-9);
  const h = 1e-5;
  // x* and the multipliers (λ_eq, μ_ineq) together: both come out of the KKT solve.
  const X = (th: Tensor) => {
    const q = solve(th);
    return mc.concat([q.x as Tensor, q.multipliers![0]!.reshape([1]), q.multipliers![1]!.reshape([1])], 0);
  };
  for (const mode of ["fwd", "rev"] as const) {
    const J = mat(jacobian(X, { mode })(vector(th0)));
    for (let k = 0; k < 2; k++) {
      const p = th0.slice(), m = th0.slice();
      p[k]! += h;
      m[k]! -= h;
      const fd = arr(X(vector(p))).map((v, i) => (v - arr(X(vector(m)))[i]!) / (2 * h));
      close(J.map((row) => row[k]!), fd, 1e-6);
    }
  }
});

it("a matrix-shaped inequality closing over a matrix θ, and a pytree x", () => {
  // min ‖x − s‖² s.t. T − reshape(x, [2, 2]) ≥ 0 (column-major reshape): x* = min(s, vec(T)).
  // With T = [[5, 0], [0.5, 5]], vec(T) = [5, 0.5, 0, 5] and s = [1, 2, 3, 4]: x* = [1, 0.5, 0, 4];
  // x₁ = T[1][0] and x₂ = T[0][1] sit on their constraints, x₀ and x₃ follow s.
  const s = vector([1, 2, 3, 4]);
  const X = (T: Tensor) =>
    minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0, 0, 0]), {
      ...TIGHT,
      constraints: [{ type: "ineq", fun: (x: Tensor) => T.sub(x.reshape([2, 2])) }],
    }).x as Tensor;
  const T0 = mc.matrix([[5, 0], [0.5, 5]]);
  close(arr(X(T0)), [1, 0.5, 0, 4], 1e-8);
  const [, dx] = jvp(X, [T0], [mc.matrix([[0, 0], [1, 0]])]);
  close(arr(dx), [0, 1, 0, 0], 1e-9);
  for (const mode of ["fwd", "rev"] as const) {
    // A matrix argument's Jacobian columns run over vec(T) (column-major).
    close(mat(jacobian(X, { mode })(T0)).flat(), [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], 1e-9);
  }
  // x = { u: [2], v: scalar } on the hyperplane u₀ + u₁ + v = θ: dx/dθ = [1, 1, 1]/3.
  const P = (th: Tensor) => {
    const r = minimize((p: { u: Tensor; v: Tensor }) => p.u.sub(vector([1, 2])).square().sum().add(p.v.square()), { u: vector([0, 0]), v: scalar(0) }, {
      ...TIGHT,
      constraints: [{ type: "eq", fun: (p: { u: Tensor; v: Tensor }) => p.u.sum().add(p.v).sub(th) }],
    }).x;
    return mc.concat([r.u, r.v.reshape([1])], 0);
  };
  close(arr(jacobian(P)(scalar(0))), [1 / 3, 1 / 3, 1 / 3], 1e-9);
  close(arr(P(scalar(0))), [0, 1, -1], 1e-8);
});

describe("typed errors", () => {
  it("a run that did not converge", () => {
    const e = thrown(() =>
      grad((th: Tensor) =>
        (minimize((x: Tensor) => x.square().sum(), vector([3, 3]), {
          callback: () => "stop",
          constraints: [{ type: "eq", fun: (x: Tensor) => x.square().sum().sub(th) }],
        }).x as Tensor).sum())(scalar(1)));
    expect(e).toBeInstanceOf(NotDifferentiableError);
    expect(e.message).toMatch(/minimize.*did not converge/);
  });

  it("dependent active constraints (a singular KKT matrix)", () => {
    const e = thrown(() =>
      jacobian((th: Tensor) =>
        minimize((x: Tensor) => x.sub(vector([2, 2])).square().sum(), vector([0, 0]), {
          ...TIGHT,
          constraints: [
            { type: "eq", fun: (x: Tensor) => x.sum().sub(th) },
            { type: "eq", fun: (x: Tensor) => x.sum().mul(2).sub(th.mul(2)) },
          ],
        }).x as Tensor)(scalar(1)));
    expect(e).toBeInstanceOf(NotDifferentiableError);
    expect(e.message).toMatch(/minimize.*KKT matrix .* singular/);
  });

  it("a KKT system above the dense limit", () => {
    const n = 401;
    const e = thrown(() =>
      grad((th: Tensor) =>
        (minimize((x: Tensor) => x.square().sum(), mc.zeros([n]), {
          ...TIGHT,
          constraints: [{ type: "eq", fun: (x: Tensor) => x.sum().sub(th) }],
        }).x as Tensor).sum())(scalar(1)));
    expect(e).toBeInstanceOf(NotDifferentiableError);
    expect(e.message).toMatch(/minimize.*401 free variable\(s\) and 1 active constraint\(s\), above the 400/);
  });
});
