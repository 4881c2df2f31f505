// Vector-by-vector (and matrix-input) Jacobians of the seeds, each checked in modes fwd, rev
// and auto, in numerator layout (m×n, J[i][j] = ∂fᵢ/∂xⱼ) and denominator layout (its
// transpose): seed 000 "Vector by Vector", seed 001 "Jacobian of a Vector Function", seed 002
// A.5 (A.1–A.6: constants, identity, constant matrices, linearity, product rule, uᵀv), seed 003
// example 4/5 and the rank-3 Jacobian of problem 7.
import { describe, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, type Tensor } from "../../src/index.js";
import {
  T, add, diagMat, expectClose, expectJacobian, eye, map, matmul, matvec, outer, randMat, randVec, scale,
  sigmoid, softmaxJs, sub, transpose, useKernels, vadd, vecOf, zerosMat, type Mat,
} from "./helpers.js";

useKernels();

const n = 5;
const x = randVec(n, 100);

describe("linear maps", () => {
  it("seed 000/002 A.2: ∂(Ax)/∂x = A (numerator), Aᵀ (denominator)  (A 3×5)", () => {
    const A = randMat(3, n, 101);
    expectJacobian((x: Tensor) => T(A).matmul(x), [T(x)], A);
  });

  it("seed 003 example 4: ∂(Aᵀx)/∂x = A in denominator layout  (A 5×3)", () => {
    const A = randMat(n, 3, 102);
    expectJacobian((x: Tensor) => T(A).T.matmul(x), [T(x)], transpose(A));
  });

  it("seed 001/002 A.3: ∂(xᵀA)/∂x = A in denominator layout  (A 5×2)", () => {
    const A = randMat(n, 2, 103);
    expectJacobian((x: Tensor) => x.matmul(T(A)), [T(x)], transpose(A));
  });

  it("A.1: ∂x/∂x = I", () => {
    expectJacobian((x: Tensor) => x, [T(x)], eye(n));
    expectJacobian((x: Tensor) => x.mul(1), [T(x)], eye(n));
  });

  it("A.1: ∂a/∂x = 0 (n×m zeros) for a constant a ∈ R³", () => {
    const a = randVec(3, 104);
    expectJacobian((_x: Tensor) => T(a), [T(x)], zerosMat(3, n));
    expectJacobian((x: Tensor) => x.mul(0).sum().add(T(a)), [T(x)], zerosMat(3, n));
  });
});

describe("elementwise maps: diagonal Jacobians", () => {
  it("seed 000/001/003: ∂σ(x)/∂x = diag(σ(x) ⊙ (1 − σ(x)))", () => {
    const s = x.map(sigmoid);
    expectJacobian((x: Tensor) => mc.sigmoid(x), [T(x)], diagMat(s.map((v) => v * (1 - v))));
  });

  it("∂tanh(x)/∂x = diag(1 − tanh²(x)); ∂exp(x)/∂x = diag(exp(x))", () => {
    expectJacobian((x: Tensor) => x.tanh(), [T(x)], diagMat(x.map((v) => 1 - Math.tanh(v) ** 2)));
    expectJacobian((x: Tensor) => x.exp(), [T(x)], diagMat(x.map(Math.exp)));
  });

  it("matrix input: ∂vec σ(X)/∂vec X = diag(vec σ'(X))  (X 3×4)", () => {
    const X = randMat(3, 4, 105);
    const d = vecOf(X).map((v) => sigmoid(v) * (1 - sigmoid(v)));
    expectJacobian((X: Tensor) => mc.sigmoid(X), [T(X)], diagMat(d));
  });
});

describe("softmax", () => {
  const z = randVec(n, 110);
  const p = softmaxJs(z);

  it("seed 000/001: J = diag(p) − ppᵀ, i.e. ∂pᵢ/∂zⱼ = pᵢ(δᵢⱼ − pⱼ)", () => {
    const J = sub(diagMat(p), outer(p, p));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      expectClose(J[i]![j]!, p[i]! * ((i === j ? 1 : 0) - p[j]!), { rtol: 1e-15 });
    }
    expectJacobian((z: Tensor) => mc.softmax(z), [T(z)], J);
  });

  it("log-softmax: J = I − 1pᵀ", () => {
    expectJacobian((z: Tensor) => mc.logSoftmax(z), [T(z)], sub(eye(n), outer(new Array(n).fill(1), p)));
  });

  it("row-wise softmax of a 2×4 matrix: block-diagonal diag(pᵦ) − pᵦpᵦᵀ over vec", () => {
    const Z = randMat(2, 4, 111);
    const P = Z.map(softmaxJs);
    // vec index of (b, k) is b + 2k
    const J = zerosMat(8, 8);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 4; k++) for (let l = 0; l < 4; l++) {
      J[b + 2 * k]![b + 2 * l] = P[b]![k]! * ((k === l ? 1 : 0) - P[b]![l]!);
    }
    expectJacobian((Z: Tensor) => mc.softmax(Z, -1), [T(Z)], J);
  });
});

describe("softmax along the other axis", () => {
  it("column-wise softmax (axis 0) of a 3×2 matrix: blocks diag(p) − ppᵀ per column", () => {
    const Z = randMat(3, 2, 112);
    const P = transpose(transpose(Z).map(softmaxJs)); // columns normalised
    const J = zerosMat(6, 6);
    for (let c = 0; c < 2; c++) for (let i = 0; i < 3; i++) for (let k = 0; k < 3; k++) {
      J[i + 3 * c]![k + 3 * c] = P[i]![c]! * ((i === k ? 1 : 0) - P[k]![c]!);
    }
    expectJacobian((Z: Tensor) => mc.softmax(Z, 0), [T(Z)], J);
  });
});

describe("seed 002 A.5.3–A.5.6: linearity, product rule, uᵀv", () => {
  // u(x) = σ(Bx), v(x) = tanh(Cx) with B, C 3×5; their numerator Jacobians in closed form.
  const B = randMat(3, n, 120);
  const C = randMat(3, n, 121);
  const Bx = matvec(B, x);
  const Cx = matvec(C, x);
  const u = Bx.map(sigmoid);
  const v = Cx.map(Math.tanh);
  const Ju = matmul(diagMat(u.map((s) => s * (1 - s))), B); // 3×5
  const Jv = matmul(diagMat(v.map((t) => 1 - t * t)), C);
  const uf = (x: Tensor) => mc.sigmoid(T(B).matmul(x));
  const vf = (x: Tensor) => mc.tanh(T(C).matmul(x));

  it("A.4: ∂(u + v)/∂x = ∂u/∂x + ∂v/∂x", () => {
    expectJacobian((x: Tensor) => uf(x).add(vf(x)), [T(x)], add(Ju, Jv));
  });

  it("∂(a·u)/∂x = a·∂u/∂x for a scalar constant a", () => {
    expectJacobian((x: Tensor) => uf(x).mul(-2.5), [T(x)], scale(Ju, -2.5));
  });

  it("∂(v·a)/∂x = (∂v/∂x) aᵀ for scalar v(x) = xᵀx and constant a ∈ R³ (denominator)", () => {
    const a = randVec(3, 122);
    // denominator: 2x aᵀ (n×3) ⇒ numerator: a (2x)ᵀ
    expectJacobian((x: Tensor) => T(a).mul(x.dot(x)), [T(x)], outer(a, x.map((t) => 2 * t)));
  });

  it("∂(A u)/∂x = (∂u/∂x) Aᵀ (denominator) for constant A 2×3", () => {
    const A = randMat(2, 3, 123);
    const Jden = matmul(transpose(Ju), transpose(A));
    expectJacobian((x: Tensor) => T(A).matmul(uf(x)), [T(x)], transpose(Jden));
  });

  it("A.5.4 product rule: ∂(v u)/∂x = v ∂u/∂x + (∂v/∂x) uᵀ (denominator), v = ‖x‖²", () => {
    const vv = x.reduce((s, t) => s + t * t, 0);
    const Jden = add(scale(transpose(Ju), vv), outer(x.map((t) => 2 * t), u));
    expectJacobian((x: Tensor) => uf(x).mul(x.dot(x)), [T(x)], transpose(Jden));
  });

  it("A.5: ∂(uᵀv)/∂x = (∂u/∂x) v + (∂v/∂x) u (denominator ⇒ a gradient)", () => {
    const expected = vadd(matvec(transpose(Ju), v), matvec(transpose(Jv), u));
    expectClose(grad((x: Tensor) => uf(x).dot(vf(x)))(T(x)), expected);
    // the linear case u = Bx, v = Cx: BᵀCx + CᵀBx
    const lin = vadd(matvec(transpose(B), Cx), matvec(transpose(C), Bx));
    expectClose(grad((x: Tensor) => T(B).matmul(x).dot(T(C).matmul(x)))(T(x)), lin);
  });

  it("A.6: ∂uᵀ/∂x = (∂u/∂x)ᵀ for a scalar x: vector-by-scalar is 1×m (denominator), m×1 (numerator)", () => {
    const a = randVec(4, 124);
    const b = randVec(4, 125);
    const s = 0.7;
    const f = (t: Tensor) => T(a).mul(t.mul(t)).add(T(b).mul(mc.sin(t)));
    const du = a.map((ai, i) => 2 * ai * s + b[i]! * Math.cos(s));
    expectJacobian(f, [mc.scalar(s)], du.map((d) => [d]));
  });

  it("scalar-by-scalar: d(x³)/dx = 3x² as a 1×1 Jacobian", () => {
    expectJacobian((t: Tensor) => t.mul(t).mul(t), [mc.scalar(1.3)], [[3 * 1.3 ** 2]]);
  });
});

describe("matrix inputs (seed 003 problem 7: the rank-3 Jacobian ∂y/∂A)", () => {
  it("y = g(A) = Aᵀx, A 4×3: ∂y_k/∂A_ij = x_i δ_jk, laid out over vec(A)", () => {
    const d = 4;
    const m = 3;
    const A = randMat(d, m, 130);
    const xv = randVec(d, 131);
    // numerator: rows k (outputs), columns i + d·j (vec(A))
    const J = zerosMat(m, d * m);
    for (let k = 0; k < m; k++) for (let i = 0; i < d; i++) J[k]![i + d * k] = xv[i]!;
    expectJacobian((A: Tensor) => A.T.matmul(T(xv)), [T(A)], J);
  });

  it("scalar of a matrix: the numerator Jacobian is the 1×mn row vec(∇f)ᵀ", () => {
    const A = randMat(3, 4, 132);
    const X = randMat(4, 2, 133);
    const f = (X: Tensor) => mc.sum(mc.tanh(T(A).matmul(X)));
    const G = matmul(transpose(A), map(matmul(A, X), (v) => 1 - Math.tanh(v) ** 2));
    expectJacobian(f, [T(X)], [vecOf(G)] as Mat);
  });
});
