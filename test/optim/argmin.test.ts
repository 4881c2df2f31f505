// Differentiating through minimize's solution (the implicit function theorem at x*): against
// closed forms (a quadratic's argmin in its linear term, ridge regression in λ, the issue's
// example) and against central differences of the solved problem (solved at θ ± h with tight
// tolerances), in grad, jvp, vjp and jacobian (both modes), on the dense and the CG paths,
// with bounds (active and not), and the typed errors where no derivative can be given.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  DTypeError, NotDifferentiableError, grad, hessian, jacobian, jit, jvp, matrix, scalar, tensor, vector, vjp, vmap, type Tensor,
} from "../../src/index.js";
import { leastSquares, minimize } from "../../src/optim/index.js";
import { mulberry32 } from "../../src/random.js";
import { rt } from "../../src/wasm/module.js";
import { thrown } from "../helpers/thrown.js";

const err = thrown;
const arr = (t: Tensor): number[] => Array.from(t.toArray() as number[]);
const mat = (t: Tensor): number[][] => t.toArray() as number[][];
const close = (a: number[], b: number[], tol: number): void => {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1, ...b.map(Math.abs));
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!), `entry ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * scale);
};
const TIGHT = { gradTol: 1e-9 } as const;

/** Central difference of θ ↦ F(θ) (a vector) along direction v, step h. */
function centralDiff(F: (th: Float64Array) => number[], th: Float64Array, v: Float64Array, h: number): number[] {
  const p = th.map((t, i) => t + h * v[i]!), m = th.map((t, i) => t - h * v[i]!);
  const fp = F(p), fm = F(m);
  return fp.map((x, i) => (x - fm[i]!) / (2 * h));
}

function rand(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

/** A well-conditioned SPD matrix M Mᵀ + n I, as rows. */
function spd(n: number, seed: number): number[][] {
  const m = rand(n * n, seed);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += m[i * n + k]! * m[j * n + k]!;
      return s;
    }));
}

it("the issue's example: grad(s ↦ minimize(x ↦ ‖x − s‖², x0).x.sum())(s) = [1, 1]", () => {
  const F = (s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0])).x as Tensor).sum();
  close(arr(grad(F)(vector([1, 2]))), [1, 1], 1e-12);
  // d x*/ds = I, in both jacobian modes and through jvp/vjp.
  const X = (s: Tensor) => minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0])).x as Tensor;
  for (const mode of ["fwd", "rev"] as const) {
    const J = mat(jacobian(X, { mode })(vector([1, 2])));
    close(J.flat(), [1, 0, 0, 1], 1e-12);
  }
  const [x, dx] = jvp(X, [vector([1, 2])], [vector([0.5, -3])]);
  close(arr(x), [1, 2], 1e-6);
  close(arr(dx), [0.5, -3], 1e-12);
  const [, back] = vjp(X, vector([1, 2]));
  close(arr(back(vector([2, 7]))[0] as Tensor), [2, 7], 1e-12);
});

it("a quadratic's argmin in its linear term: x*(c) = Q⁻¹c, so dx*/dc = Q⁻¹ (jacobian fwd and rev, grad)", () => {
  const Qrows = spd(4, 11);
  const Q = matrix(Qrows);
  const X = (c: Tensor) => minimize((x: Tensor) => mc.dot(x, Q.matmul(x)).mul(0.5).sub(mc.dot(c, x)), vector([0, 0, 0, 0]), TIGHT).x as Tensor;
  const c0 = vector(Array.from(rand(4, 5)));
  const Qinv = mat(mc.inv(Q));
  for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(X, { mode })(c0)).flat(), Qinv.flat(), 1e-10);
  // grad of w·x*(c) = Q⁻ᵀw = Q⁻¹w.
  const w = vector([1, -2, 0.5, 3]);
  close(arr(grad((c: Tensor) => mc.dot(w, X(c)))(c0)), arr(mc.solve(Q, w)), 1e-10);
  // Every method that converges gives the same derivative (it is a property of x*, not of the run).
  for (const method of ["newton", "bfgs", "trust-ncg", "newton-cg"] as const) {
    const Xm = (c: Tensor) => minimize((x: Tensor) => mc.dot(x, Q.matmul(x)).mul(0.5).sub(mc.dot(c, x)), vector([0, 0, 0, 0]), { method, gradTol: 1e-10 }).x as Tensor;
    close(mat(jacobian(Xm)(c0)).flat(), Qinv.flat(), 1e-8);
  }
});

it("ridge regression in λ: x*(λ) = (AᵀA + λI)⁻¹Aᵀb, dx*/dλ = −(AᵀA + λI)⁻¹x*", () => {
  const A = tensor(Array.from(rand(15, 21)), [5, 3]), b = vector(Array.from(rand(5, 22)));
  const ridge = (lam: Tensor) =>
    minimize((x: Tensor) => A.matmul(x).sub(b).square().sum().add(lam.mul(x.square().sum())), vector([0, 0, 0]), TIGHT).x as Tensor;
  const lam0 = 0.7;
  const M = mc.matmul(mc.transpose(A), A).add(mc.eye(3).mul(lam0));
  const xStar = mc.solve(M, mc.matmul(mc.transpose(A), b));
  const dClosed = arr(mc.solve(M, xStar).neg());
  // The solution itself, and its derivative by jacobian (a [3, 1]… here λ is a scalar: [3]).
  close(arr(ridge(scalar(lam0))), arr(xStar), 1e-9);
  close(arr(jacobian(ridge)(scalar(lam0))), dClosed, 1e-9);
  close(arr(jvp(ridge, [scalar(lam0)], [scalar(1)])[1] as Tensor), dClosed, 1e-9);
  // A loss of the solution: grad in λ against the closed form and central differences.
  const loss = (lam: Tensor) => ridge(lam).square().sum();
  const g = grad(loss)(scalar(lam0)).item();
  expect(g).toBeCloseTo(2 * arr(xStar).reduce((s, v, i) => s + v * dClosed[i]!, 0), 9);
  const fd = centralDiff((t) => [loss(scalar(t[0]!)).item()], Float64Array.of(lam0), Float64Array.of(1), 1e-4)[0]!;
  expect(Math.abs(g - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(g)));
});

it("a non-quadratic f: the Jacobian of x*(θ) agrees with central differences of the solved problem", () => {
  // f(x; θ) = Σ exp(xᵢ) + ½‖Bx‖² − θ·x + (θ₀θ₁)·x₀x₁: θ enters linearly and bilinearly.
  const B = matrix([[1, 0.3, 0], [0.2, 1, 0.1], [0, 0.4, 1]]);
  const f = (th: Tensor) => (x: Tensor) => {
    const cross = mc.slice(th, [0], [1]).mul(mc.slice(th, [1], [1])).mul(mc.slice(x, [0], [1])).mul(mc.slice(x, [1], [1])).sum();
    return x.exp().sum().add(B.matmul(x).square().sum().mul(0.5)).sub(mc.dot(th, x)).add(cross.mul(0.1));
  };
  const X = (th: Tensor) => minimize(f(th), vector([0, 0, 0]), { method: "newton", gradTol: 1e-12 }).x as Tensor;
  const th0 = Float64Array.of(0.8, -0.4, 1.3);
  const Jfwd = mat(jacobian(X, { mode: "fwd" })(vector(Array.from(th0))));
  const Jrev = mat(jacobian(X, { mode: "rev" })(vector(Array.from(th0))));
  close(Jfwd.flat(), Jrev.flat(), 1e-12);
  const F = (t: Float64Array) => arr(X(vector(Array.from(t))));
  for (let j = 0; j < 3; j++) {
    const e = new Float64Array(3);
    e[j] = 1;
    const fd = centralDiff(F, th0, e, 1e-5);
    close(Jfwd.map((row) => row[j]!), fd, 1e-7);
  }
});

it("large x (CG on HVPs): d/dθ of w·x* for x* = (D + uuᵀ)⁻¹θ, n = 150, matches the dense closed form", () => {
  const n = 150;
  const d = Float64Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const u = rand(n, 31);
  const D = vector(Array.from(d)), U = vector(Array.from(u));
  const w = vector(Array.from(rand(n, 32)));
  const f = (th: Tensor) => (x: Tensor) => D.mul(x.square()).sum().add(mc.dot(U, x).square()).mul(0.5).sub(mc.dot(th, x));
  const loss = (th: Tensor) => mc.dot(w, minimize(f(th), mc.zeros([n]), { method: "newton-cg", gradTol: 1e-8 }).x as Tensor);
  const Q = mc.diag(D).add(mc.outer(U, U));
  const g = arr(grad(loss)(vector(Array.from(rand(n, 33)))));
  close(g, arr(mc.solve(Q, w)), 1e-9);
});

it("with bounds: free variables as without bounds, variables at an active bound have zero derivative", () => {
  const X = (ub: number[]) => (s: Tensor) =>
    minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0, 0]), { bounds: { lower: -5, upper: ub }, gradTol: 1e-10 }).x as Tensor;
  const s0 = vector([1, 2, -1]);
  // No bound active: the identity.
  close(mat(jacobian(X([10, 10, 10]))(s0)).flat(), [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-12);
  // x₁ ≤ 1.5 is active at s₁ = 2: its row is zero; it does not move with s.
  const res = arr(X([10, 1.5, 10])(s0));
  close(res, [1, 1.5, -1], 1e-9);
  for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(X([10, 1.5, 10]), { mode })(s0)).flat(), [1, 0, 0, 0, 0, 0, 0, 0, 1], 1e-12);
  // A coupled problem with one active bound, against central differences of the bounded solve.
  const Qrows = spd(3, 41);
  const Q = matrix(Qrows);
  const Xc = (c: Tensor) =>
    minimize((x: Tensor) => mc.dot(x, Q.matmul(x)).mul(0.5).sub(mc.dot(c, x)), vector([0, 0, 0]), {
      bounds: { lower: [-10, -10, 0.5], upper: 10 }, method: "tron", gradTol: 1e-12,
    }).x as Tensor;
  const c0 = Float64Array.of(1, 2, -3);
  const x0 = arr(Xc(vector(Array.from(c0))));
  expect(x0[2]).toBe(0.5); // the bound is active
  const J = mat(jacobian(Xc)(vector(Array.from(c0))));
  for (let j = 0; j < 3; j++) {
    const e = new Float64Array(3);
    e[j] = 1;
    close(J.map((row) => row[j]!), centralDiff((t) => arr(Xc(vector(Array.from(t)))), c0, e, 1e-4), 1e-8);
  }
});

it("pytrees: x0 = { w, b } and several closed-over values (a matrix and a vector)", () => {
  const A = matrix([[1, 2], [0, 1], [1, -1]]);
  const F = (p: { A: Tensor; y: Tensor }) => {
    const r = minimize((q: { w: Tensor; b: Tensor }) => p.A.matmul(q.w).add(q.b).sub(p.y).square().sum().add(q.w.square().sum().mul(0.1)),
      { w: vector([0, 0]), b: scalar(0) }, { method: "newton", gradTol: 1e-12 });
    const x = r.x as { w: Tensor; b: Tensor };
    return x.w.sum().add(x.b.mul(2));
  };
  const p0 = { A, y: vector([1, 0, 2]) };
  const g = grad(F)(p0) as { A: Tensor; y: Tensor };
  const flatP = [...arr(mc.vec(A)), ...arr(p0.y)];
  const Fv = (t: Float64Array) => [F({ A: tensor(t.slice(0, 6), [3, 2], { order: "col" }), y: vector(Array.from(t.slice(6))) }).item()];
  const gFlat = [...arr(mc.vec(g.A)), ...arr(g.y)];
  for (let j = 0; j < flatP.length; j++) {
    const e = new Float64Array(flatP.length);
    e[j] = 1;
    expect(Math.abs(gFlat[j]! - centralDiff(Fv, Float64Array.from(flatP), e, 1e-5)[0]!)).toBeLessThan(1e-8);
  }
});

it("no derivative where none exists: a run that did not converge, a second derivative, a singular Hessian", () => {
  const X = (opts: object) => (s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum().add(x.pow(4).sum()), vector([0, 0]), opts).x as Tensor).sum();
  const e1 = err(() => grad(X({ maxIterations: 1 }))(vector([1, 2])));
  expect(e1).toBeInstanceOf(NotDifferentiableError);
  expect(e1.message).toMatch(/^minimize: the run did not converge \(status 'maxIterations'\)/);
  // The primal alone is fine: the run's result is returned as without a transform.
  expect(X({ maxIterations: 1 })(vector([1, 2])).item()).toBeTypeOf("number");
  const e2 = err(() => hessian(X({}))(vector([1, 2])));
  expect(e2).toBeInstanceOf(NotDifferentiableError);
  expect(e2.message).toMatch(/second and higher derivatives/);
  // Constraints are differentiated through the KKT system (test/optim/argmin-kkt.test.ts):
  // x* = s/‖s‖² on {x·s = 1}, so ∇(Σx*) = 1/‖s‖² − 2(Σs)s/‖s‖⁴ = [−0.04, −0.28] at s = [1, 2].
  const g3 = grad((s: Tensor) => (minimize((x: Tensor) => x.square().sum(), vector([3, 3]), {
    gradTol: 1e-10, constraintTol: 1e-11, constraints: [{ type: "eq", fun: (x: Tensor) => mc.dot(x, s).sub(1) }],
  }).x as Tensor).sum())(vector([1, 2]));
  close(arr(g3), [-0.04, -0.28], 1e-8);
  // A singular Hessian at x* (f flat along x₀ + x₁): the solution is not locally unique.
  const e4 = err(() => grad((s: Tensor) => (minimize((x: Tensor) => x.sum().sub(s.sum()).square(), vector([0, 0]), { gradTol: 1e-10 }).x as Tensor).sum())(vector([1, 2])));
  expect(e4).toBeInstanceOf(NotDifferentiableError);
  expect(e4.message).toMatch(/singular/);
});

it("traced x0, traced bounds and traced values under vmap are refused with a DTypeError", () => {
  const s0 = vector([1, 2]);
  expect(err(() => grad((s: Tensor) => minimize((x: Tensor) => x.square().sum(), s).value)(s0)).message).toMatch(/^minimize: x0 depends/);
  expect(err(() => grad((s: Tensor) => minimize((x: Tensor) => x.square().sum(), vector([3, 3]), { bounds: { lower: s } }).value)(s0)).message).toMatch(/^minimize: bounds depends/);
  // f using a traced value's numbers: no derivative would follow that use.
  expect(err(() => grad((s: Tensor) => (minimize((x: Tensor) => x.sub(s.item()).square().sum(), vector([0])).x as Tensor).sum())(scalar(1))).message)
    .toMatch(/^minimize: f reads the entries \(toArray, item, data\) of a value traced by an enclosing transform/);
  expect(err(() => vmap((s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), vector([0])).x as Tensor).sum())(vector([1, 2])))).toBeInstanceOf(DTypeError);
});

it("inside jit: the call runs un-jitted (the solve holds values of one call) and stays right at new inputs", () => {
  const reasons: string[] = [];
  const g = jit(grad((s: Tensor) => (minimize((x: Tensor) => x.sub(s.square()).square().sum(), vector([0, 0]), TIGHT).x as Tensor).sum()), {
    onFallback: (why) => reasons.push(why),
  });
  close(arr(g(vector([1, 2]))), [2, 4], 1e-9);
  close(arr(g(vector([3, -1]))), [6, -2], 1e-9);
  expect(reasons.length).toBeGreaterThan(0);
});

describe("leastSquares: the same implicit derivative, with the cost ½‖r‖²", () => {
  it("linear residual Ax − b: dx*/db = (AᵀA)⁻¹Aᵀ (jacobian fwd and rev)", () => {
    const A = tensor(Array.from(rand(12, 51)), [4, 3]);
    const X = (b: Tensor) => leastSquares((x: Tensor) => A.matmul(x).sub(b), vector([0, 0, 0])).x as Tensor;
    const b0 = vector(Array.from(rand(4, 52)));
    const At = mc.transpose(A);
    const closed = mat(mc.solve(mc.matmul(At, A), At)).flat();
    for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(X, { mode })(b0)).flat(), closed, 1e-9);
  });

  it("a nonlinear fit with nonzero residual, d x*/d y against central differences of the solved fit", () => {
    // y ≈ a·exp(k t): the exact Hessian of ½‖r‖² (not Gauss–Newton's JᵀJ) is what the solved
    // problem's central differences follow when the residual is not zero.
    const t = vector([0, 0.5, 1, 1.5, 2]);
    const fitWith = (opts: object) => (y: Tensor) =>
      leastSquares((p: Tensor) => mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1])).exp()).sub(y), vector([1, 0.1]), opts).x as Tensor;
    const fit = fitWith({ gradTol: 1e-15, stepTol: 1e-15, valueTol: 1e-15 });
    // The differenced problem is solved by another method (Newton on ½‖r‖², to ‖∇‖∞ ≤ 1e-13):
    // lm's relative-reduction stop, taken at θ + h and not at θ − h, would be noise over h.
    const solved = (y: Tensor) =>
      minimize((p: Tensor) => mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1])).exp()).sub(y).square().sum().mul(0.5), vector([1, 0.1]), {
        method: "newton", gradTol: 1e-13,
      }).x as Tensor;
    const y0 = Float64Array.of(1.1, 1.5, 2.4, 3.4, 5.6);
    const J = mat(jacobian(fit, { mode: "rev" })(vector(Array.from(y0))));
    close(J.flat(), mat(jacobian(fit, { mode: "fwd" })(vector(Array.from(y0)))).flat(), 1e-12);
    for (let j = 0; j < 5; j++) {
      const e = new Float64Array(5);
      e[j] = 1;
      // h = 1e-3: the truncation error (h², ≈ 2e-6 relative here) dominates the solves' error over h.
      close(J.map((row) => row[j]!), centralDiff((th) => arr(solved(vector(Array.from(th)))), y0, e, 1e-3), 1e-5);
    }
    // Gauss–Newton's (JᵀJ)⁻¹Jᵀ, exact only at zero residual, is measurably different here.
    const xs = fit(vector(Array.from(y0)));
    const Jr = jacobian((p: Tensor) => mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1])).exp()))(xs);
    const gn = mat(mc.solve(mc.matmul(mc.transpose(Jr), Jr), mc.transpose(Jr))).flat();
    expect(Math.max(...J.flat().map((v, i) => Math.abs(v - gn[i]!)))).toBeGreaterThan(1e-3);
  });

  it("with an active bound (lm): that variable's derivative is zero, the others' as without bounds", () => {
    const X = (s: Tensor) => leastSquares((x: Tensor) => x.sub(s), vector([0, 0]), { bounds: { lower: -10, upper: [10, 1.5] } }).x as Tensor;
    const s0 = vector([1, 2]);
    close(arr(X(s0)), [1, 1.5], 1e-9);
    for (const mode of ["fwd", "rev"] as const) close(mat(jacobian(X, { mode })(s0)).flat(), [1, 0, 0, 0], 1e-12);
  });

  it("a robust loss is refused with NotDifferentiableError", () => {
    const e = err(() => grad((b: Tensor) => (leastSquares((x: Tensor) => x.sub(b), vector([0, 0]), { loss: "soft_l1" }).x as Tensor).sum())(vector([1, 2])));
    expect(e).toBeInstanceOf(NotDifferentiableError);
    expect(e.message).toMatch(/^leastSquares: differentiating through leastSquares with loss 'soft_l1'/);
  });
});

it("repeated derivatives through a solve leave the arena empty and memory at a high-water mark", () => {
  const arena = rt().arena;
  const n = 150; // the CG path: its linearization outlives the forward pass
  const D = vector(Array.from({ length: n }, (_, i) => 1 + (i % 5)));
  const loss = (th: Tensor) => (minimize((x: Tensor) => D.mul(x.square()).sum().mul(0.5).sub(mc.dot(th, x)), mc.zeros([n]), { method: "newton-cg", gradTol: 1e-9 }).x as Tensor).sum();
  const th = vector(Array.from(rand(n, 61)));
  const g0 = arr(grad(loss)(th));
  close(g0, Array.from({ length: n }, (_, i) => 1 / (1 + (i % 5))), 1e-9);
  expect(arena.used).toBe(0);
  const bytes = arena.memoryBytes;
  for (let k = 0; k < 5; k++) grad(loss)(th);
  expect(arena.used).toBe(0);
  expect(arena.memoryBytes).toBe(bytes);
});
