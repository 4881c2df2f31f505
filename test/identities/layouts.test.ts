// Layout conventions: seed 000 "Layout Conventions", seed 001 "Layout Conventions" (and
// f(x + Δx) ≈ f(x) + JᵀΔx), seed 002 A.2/A.3 "The Shapes of Things", seed 003 (gradients as
// columns, rank-3 Jacobians flattened), seed 004 conventions table (dy = J dx, vec(dF) = J
// vec(dX)). DESIGN.md: numerator (default) is m×n with J[i][j] = ∂fᵢ/∂xⱼ, denominator is its
// transpose; matrices go through vec (column stacking); pytree leaves are concatenated.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jacobian, jvp, type Tensor } from "../../src/index.js";
import {
  T, add, expectClose, expectJacobian, eye, kron, matmul, matvec, randMat, randVec, transpose, useKernels, vecOf,
  zerosMat, type Mat, type Vec,
} from "./helpers.js";

useKernels();

const modes = ["fwd", "rev", "auto"] as const;
/** A k×1 column of ones. */
const onesCol = (k: number): Mat => Array.from({ length: k }, () => [1]);

describe("seed 002 A.3: the shapes of things", () => {
  it("scalar-by-scalar: grad is a scalar; the Jacobian is 1×1 in both layouts", () => {
    const f = (t: Tensor) => mc.sin(t).mul(t);
    const s = 0.9;
    const d = Math.cos(s) * s + Math.sin(s);
    const g = grad(f)(mc.scalar(s)) as Tensor;
    expect(g.shape).toEqual([]);
    expectClose(g, d);
    for (const mode of modes) {
      expectClose(jacobian(f, { mode })(mc.scalar(s)), [[d]]);
      expectClose(jacobian(f, { mode, layout: "denominator" })(mc.scalar(s)), [[d]]);
    }
  });

  it("scalar-by-vector: grad has x's shape; numerator Jacobian is the 1×n row, denominator the n×1 column", () => {
    const xv = randVec(4, 500);
    const f = (x: Tensor) => mc.sum(mc.exp(x)).add(x.dot(x));
    const g = xv.map((v) => Math.exp(v) + 2 * v);
    expectClose(grad(f)(T(xv)), g);
    expectJacobian(f, [T(xv)], [g]);
  });

  it("vector-by-scalar: numerator m×1, denominator the 1×m row [∂y₁/∂x … ∂y_m/∂x]", () => {
    const c = randVec(3, 501);
    const s = -0.4;
    const f = (t: Tensor) => mc.exp(T(c).mul(t));
    const dy = c.map((ci) => ci * Math.exp(ci * s));
    expectJacobian(f, [mc.scalar(s)], dy.map((v) => [v]));
    expect(jacobian(f, { layout: "denominator" })(mc.scalar(s)).shape).toEqual([1, 3]);
  });

  it("vector-by-vector: denominator (i, j) = ∂y_j/∂x_i (n×m), numerator (i, j) = ∂y_i/∂x_j (m×n)", () => {
    // y_j = c_j · x_{j}² · x_{j+1} for x ∈ R⁴, y ∈ R³: every partial is distinct and known
    const xv = randVec(4, 502);
    const c = randVec(3, 503);
    const f = (x: Tensor) => T(c).mul(mc.square(mc.slice(x, [0], [3]))).mul(mc.slice(x, [1], [3]));
    const num = zerosMat(3, 4);
    for (let j = 0; j < 3; j++) {
      num[j]![j] = 2 * c[j]! * xv[j]! * xv[j + 1]!;
      num[j]![j + 1] = c[j]! * xv[j]! ** 2;
    }
    for (const mode of modes) {
      const den = jacobian(f, { mode, layout: "denominator" })(T(xv));
      expect(den.shape).toEqual([4, 3]);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(den.get(i, j)).toBeCloseTo(num[j]![i]!, 14);
      const nu = jacobian(f, { mode })(T(xv));
      expect(nu.shape).toEqual([3, 4]);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(nu.get(i, j)).toBeCloseTo(num[i]![j]!, 14);
    }
  });

  it("scalar-by-matrix: grad has X's shape with (i, j) = ∂y/∂X_ij; the Jacobian is the row vec(∇y)ᵀ", () => {
    const X = randMat(3, 2, 504);
    const C = randMat(3, 2, 505);
    const f = (X: Tensor) => mc.sum(T(C).mul(mc.square(X)));
    const G = C.map((r, i) => r.map((cv, j) => 2 * cv * X[i]![j]!));
    expectClose(grad(f)(T(X)), G);
    expectJacobian(f, [T(X)], [vecOf(G)]);
  });
});

describe("differential forms of the layouts (seed 001, 002, 004)", () => {
  const A = randMat(4, 6, 510);
  const xv = randVec(6, 511);
  const dx = randVec(6, 512);
  const f = (x: Tensor) => mc.tanh(T(A).matmul(x));
  const fJs = (x: Vec): Vec => matvec(A, x).map(Math.tanh);
  const Jnum = matmul(A.map((_, i) => A.map((__, k) => (i === k ? 1 - Math.tanh(matvec(A, xv)[i]!) ** 2 : 0))), A);

  it("numerator: dy = J dx;  denominator: dy = Jᵀ dx (seed 002 A.2: df = (df/dx)ᵀ dx)", () => {
    const [, dy] = jvp(f, [T(xv)], [T(dx)]) as [Tensor, Tensor];
    const Jn = jacobian(f)(T(xv)).toArray() as Mat;
    const Jd = jacobian(f, { layout: "denominator" })(T(xv)).toArray() as Mat;
    expectClose(Jn, Jnum);
    expectClose(dy, matvec(Jn, dx));
    expectClose(dy, matvec(transpose(Jd), dx));
  });

  it("seed 001: f(x + εΔx) ≈ f(x) + ε JᵀΔx (denominator J) with an O(ε²) remainder", () => {
    const Jd = jacobian(f, { layout: "denominator" })(T(xv)).toArray() as Mat;
    const lin = matvec(transpose(Jd), dx);
    const rem = (eps: number): number => {
      const y1 = fJs(xv.map((v, i) => v + eps * dx[i]!));
      const y0 = fJs(xv);
      return Math.max(...y1.map((v, i) => Math.abs(v - y0[i]! - eps * lin[i]!)));
    };
    const r1 = rem(1e-3);
    const r2 = rem(5e-4);
    expect(r1).toBeLessThan(1e-4);
    expect(r1 / r2).toBeGreaterThan(3.5); // halving ε quarters the remainder
    expect(r1 / r2).toBeLessThan(4.5);
  });

  it("the gradient of a scalar function is its denominator Jacobian (a column), vector and matrix inputs", () => {
    const g = (x: Tensor) => mc.logsumexp(T(A).matmul(x));
    const col = jacobian(g, { layout: "denominator" })(T(xv)).toArray() as Mat;
    expectClose((grad(g)(T(xv)) as Tensor).toArray() as Vec, col.map((r) => r[0]!));
    const X = randMat(6, 3, 513);
    const h = (X: Tensor) => mc.logsumexp(T(A).matmul(X));
    const colM = jacobian(h, { layout: "denominator" })(T(X)).toArray() as Mat;
    expectClose(mc.vec(grad(h)(T(X)) as Tensor), colM.map((r) => r[0]!));
  });

  it("seed 000: tr(ABAᵀ) → '(B + Bᵀ)Aᵀ' is the numerator-layout (transposed) form of A(B + Bᵀ)", () => {
    // Seed 000 lists (B + Bᵀ)Aᵀ while claiming denominator layout; seed 001 lists A(B + Bᵀ).
    // matcalc's grad is shaped like A; its transpose is seed 000's entry.
    const Am = randMat(3, 4, 514);
    const B = randMat(4, 4, 515);
    const g = grad((A: Tensor) => mc.trace(A.matmul(T(B)).matmul(A.T)))(T(Am)) as Tensor;
    expectClose(g.T, matmul(add(B, transpose(B)), transpose(Am)));
    expect(g.shape).toEqual([3, 4]);
  });
});

describe("matrix-to-matrix Jacobians through vec (seed 004: vec(dF) = J vec(dX), J is pq × mn)", () => {
  it("F(X) = AXB (A 2×3, X 3×4, B 4×5): J[i + 2j][k + 3l] = ∂F_ij/∂X_kl = A_ik B_lj", () => {
    const A = randMat(2, 3, 520);
    const X = randMat(3, 4, 521);
    const B = randMat(4, 5, 522);
    const J = zerosMat(10, 12);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 3; k++) for (let l = 0; l < 4; l++) {
      J[i + 2 * j]![k + 3 * l] = A[i]![k]! * B[l]![j]!;
    }
    expectJacobian((X: Tensor) => T(A).matmul(X).matmul(T(B)), [T(X)], J, { chunkSizes: [5] });
    expect(jacobian((X: Tensor) => T(A).matmul(X).matmul(T(B)), { layout: "denominator" })(T(X)).shape).toEqual([12, 10]);
  });

  it("vec(dF) = J vec(dX) for a nonlinear F(X) = tanh(X)·B (jvp vs the Jacobian)", () => {
    const X = randMat(3, 4, 523);
    const B = randMat(4, 2, 524);
    const dX = randMat(3, 4, 525);
    const F = (X: Tensor) => mc.tanh(X).matmul(T(B));
    const J = jacobian(F)(T(X)).toArray() as Mat; // 6 × 12
    const [, dF] = jvp(F, [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(mc.vec(dF), matvec(J, vecOf(dX)));
    // and against the closed form d(tanh(X)B) = ((1 − tanh²X) ⊙ dX) B
    const dT = X.map((r, i) => r.map((v, j) => (1 - Math.tanh(v) ** 2) * dX[i]![j]!));
    expectClose(dF, matmul(dT, B));
  });
});

describe("batched layers and reductions as Kronecker Jacobians", () => {
  const W = randMat(3, 4, 540);
  const X = randMat(4, 5, 541);
  const b = randMat(3, 1, 542);

  it("Z = WX + b1ᵀ: ∂vec Z/∂vec W = Xᵀ ⊗ I₃, ∂vec Z/∂b = 1₅ ⊗ I₃ (broadcast)", () => {
    const f = (W: Tensor, b: Tensor) => W.matmul(T(X)).add(b);
    expectJacobian(f, [T(W), T(b)], kron(transpose(X), eye(3)), { argnums: 0, chunkSizes: [4] });
    expectJacobian(f, [T(W), T(b)], kron(onesCol(5), eye(3)), { argnums: 1, chunkSizes: [2] });
  });

  it("column sums sum(X, 0) → 1ᵀ-blocks: I₅ ⊗ 1₄ᵀ; row means mean(X, 1) → (1₅ᵀ ⊗ I₄)/5", () => {
    expectJacobian((X: Tensor) => mc.sum(X, 0), [T(X)], kron(eye(5), transpose(onesCol(4))));
    expectJacobian((X: Tensor) => mc.mean(X, 1), [T(X)], kron(transpose(onesCol(5)), eye(4)).map((r) => r.map((v) => v / 5)));
  });
});

describe("seed 003: the rank-3 chain rule is the flattened chain rule, reshaped back", () => {
  it("z = ‖g(X)‖², g(X) = tanh(X)ᵀc: ∂z/∂X = unvec(J_gᵀ ∇_y z)", () => {
    const X = randMat(4, 3, 550);
    const c = randVec(4, 551);
    const g = (X: Tensor) => mc.tanh(X).T.matmul(T(c));
    const y = transpose(X.map((r) => r.map(Math.tanh))).map((r) => r.reduce((s, v, i) => s + v * c[i]!, 0));
    const Jden = jacobian(g, { layout: "denominator" })(T(X)).toArray() as Mat; // 12 × 3
    const flat = matvec(Jden, y.map((v) => 2 * v));
    const G = grad((X: Tensor) => mc.sumSquares(g(X)))(T(X)) as Tensor;
    expectClose(mc.vec(G), flat);
    // closed form: ∂z/∂X_ij = 2 y_j c_i (1 − tanh² X_ij)
    expectClose(G, X.map((r, i) => r.map((v, j) => 2 * y[j]! * c[i]! * (1 - Math.tanh(v) ** 2))));
  });
});

describe("pytrees and several arguments: leaves concatenated in order", () => {
  const A = randMat(3, 2, 530);
  const B = randMat(3, 4, 531);
  const a = randVec(2, 532);
  const b = randVec(4, 533);
  const AB = A.map((r, i) => [...r, ...B[i]!]); // [A | B], 3×6

  it("an argument the output ignores gets zero columns", () => {
    const f = (a: Tensor, _b: Tensor) => T(A).matmul(a);
    expectJacobian(f, [T(a), T(b)], A.map((r) => [...r, 0, 0, 0, 0]), { argnums: [0, 1] });
  });

  it("argnums [0, 1]: J = [∂f/∂a | ∂f/∂b]", () => {
    const f = (a: Tensor, b: Tensor) => T(A).matmul(a).add(T(B).matmul(b));
    expectJacobian(f, [T(a), T(b)], AB, { argnums: [0, 1] });
    expectJacobian(f, [T(a), T(b)], B, { argnums: 1 });
  });

  it("an array pytree [a, b] and an object pytree { a, b } (keys in their order)", () => {
    expectJacobian((p: Tensor[]) => T(A).matmul(p[0]!).add(T(B).matmul(p[1]!)), [[T(a), T(b)]], AB);
    expectJacobian((p: { a: Tensor; b: Tensor }) => T(A).matmul(p.a).add(T(B).matmul(p.b)), [{ a: T(a), b: T(b) }], AB);
  });

  it("a pytree output [y₁, y₂]: rows concatenated", () => {
    const C = randMat(2, 2, 534);
    const f = (x: Tensor) => [T(A).matmul(x), T(C).matmul(x)];
    expectJacobian(f, [T(a)], [...A, ...C]);
  });
});
