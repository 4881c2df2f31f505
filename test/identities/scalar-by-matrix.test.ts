// Scalar-by-matrix identities (gradient has the shape of the matrix): seed 000 "Scalar by
// Matrix" table, seed 001 "Gradients of Matrix Functions", seed 003 problem 7, seed 004
// patterns A–D, the trace trick df = tr(Gᵀ dX), practice problems, and the det / log det /
// inverse identities (through a det and an inverse built from differentiable primitives, since
// matcalc has no native det/logdet/inv yet; the native-op versions are skipped below).
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jvp, valueAndGrad, type Tensor } from "../../src/index.js";
import {
  T, add, det, detLeibniz, expectClose, eye, hadamard, inv, invAdjugate, map, matmul, outer, randMat,
  randSpd, randSym, randVec, randWellConditioned, scale, sub, trace, transpose, useKernels, vecOf, type Mat,
} from "./helpers.js";

useKernels();

const frob = (A: Mat, B: Mat): number => vecOf(A).reduce((s, a, i) => s + a * vecOf(B)[i]!, 0);

describe("trace identities", () => {
  it("∂tr(A)/∂A = I  (4×4)", () => {
    expectClose(grad((A: Tensor) => mc.trace(A))(T(randMat(4, 4, 1))), eye(4));
  });

  it("∂tr(AB)/∂A = Bᵀ and ∂tr(AB)/∂B = Aᵀ  (A 3×4, B 4×3)", () => {
    const A = randMat(3, 4, 2);
    const B = randMat(4, 3, 3);
    const f = (A: Tensor, B: Tensor) => mc.trace(mc.matmul(A, B));
    expectClose(grad(f)(T(A), T(B)), transpose(B));
    const [gA, gB] = grad(f, { argnums: [0, 1] })(T(A), T(B)) as Tensor[];
    expectClose(gA!, transpose(B));
    expectClose(gB!, transpose(A));
  });

  it("∂tr(AᵀB)/∂A = B  (3×4; also as the Frobenius inner product ⟨A, B⟩)", () => {
    const A = randMat(3, 4, 4);
    const B = randMat(3, 4, 5);
    expectClose(grad((A: Tensor) => mc.trace(mc.matmul(A.T, T(B))))(T(A)), B);
    expectClose(grad((A: Tensor) => mc.dot(A, T(B)))(T(A)), B);
    expectClose(grad((A: Tensor) => mc.sum(mc.mul(A, T(B))))(T(A)), B);
    // seed 004 pattern A: the same form in the other argument, ∂tr(AᵀX)/∂X = A
    expectClose(grad((A: Tensor, X: Tensor) => mc.trace(mc.matmul(A.T, X)), { argnums: 1 })(T(A), T(B)), A);
  });

  it("∂tr(ABAᵀ)/∂A = A(B + Bᵀ)  (A 3×4, B 4×4 non-symmetric)", () => {
    const A = randMat(3, 4, 6);
    const B = randMat(4, 4, 7);
    const g = grad((A: Tensor) => mc.trace(A.matmul(T(B)).matmul(A.T)))(T(A));
    expectClose(g, matmul(A, add(B, transpose(B))));
  });

  it("∂tr(XᵀAX)/∂X = (A + Aᵀ)X, and 2AX for symmetric A  (X 4×3)", () => {
    const X = randMat(4, 3, 8);
    const A = randMat(4, 4, 9);
    const f = (A: Mat) => (X: Tensor) => mc.trace(X.T.matmul(T(A)).matmul(X));
    expectClose(grad(f(A))(T(X)), matmul(add(A, transpose(A)), X));
    const S = randSym(4, 10);
    expectClose(grad(f(S))(T(X)), scale(matmul(S, X), 2));
  });

  it("∂tr(AᵀA)/∂A = 2A and ∂‖A‖²_F/∂A = 2A  (5×2)", () => {
    const A = randMat(5, 2, 11);
    expectClose(grad((A: Tensor) => mc.trace(A.T.matmul(A)))(T(A)), scale(A, 2));
    expectClose(grad((A: Tensor) => mc.square(mc.norm(A, "fro")))(T(A)), scale(A, 2));
    expectClose(grad((A: Tensor) => mc.square(mc.norm(A)))(T(A)), scale(A, 2));
    expectClose(grad((A: Tensor) => mc.sumSquares(A))(T(A)), scale(A, 2));
  });

  it("∂‖A‖_F/∂A = A / ‖A‖_F", () => {
    const A = randMat(3, 4, 12);
    const nf = Math.sqrt(frob(A, A));
    expectClose(grad((A: Tensor) => mc.norm(A, "fro"))(T(A)), scale(A, 1 / nf));
  });

  it("seed 004 practice: ∂tr(AXB)/∂X = AᵀBᵀ  (A 3×4, X 4×5, B 5×3)", () => {
    const A = randMat(3, 4, 13);
    const X = randMat(4, 5, 14);
    const B = randMat(5, 3, 15);
    expectClose(grad((X: Tensor) => mc.trace(T(A).matmul(X).matmul(T(B))))(T(X)), matmul(transpose(A), transpose(B)));
  });

  it("∂tr(SX)/∂X = Sᵀ  (the linear part of seed 004's hard practice)", () => {
    const S = randMat(4, 4, 16);
    expectClose(grad((X: Tensor) => mc.trace(T(S).matmul(X)))(T(randMat(4, 4, 17))), transpose(S));
  });

  it("cyclic property: tr(ABC) = tr(CAB) = tr(BCA), and all three have ∂/∂B = AᵀCᵀ", () => {
    const A = randMat(3, 4, 18);
    const B = randMat(4, 5, 19);
    const C = randMat(5, 3, 20);
    const forms = [
      (A: Tensor, B: Tensor, C: Tensor) => mc.trace(A.matmul(B).matmul(C)),
      (A: Tensor, B: Tensor, C: Tensor) => mc.trace(C.matmul(A).matmul(B)),
      (A: Tensor, B: Tensor, C: Tensor) => mc.trace(B.matmul(C).matmul(A)),
    ];
    const value = trace(matmul(matmul(A, B), C));
    for (const f of forms) {
      const [v, g] = valueAndGrad(f, { argnums: 1 })(T(A), T(B), T(C)) as [Tensor, Tensor];
      expectClose(v, value);
      expectClose(g, matmul(transpose(A), transpose(C)));
    }
  });
});

describe("bilinear and least-squares forms", () => {
  it("∂(aᵀXb)/∂X = abᵀ  (X 3×4)", () => {
    const a = randVec(3, 21);
    const b = randVec(4, 22);
    const X = randMat(3, 4, 23);
    expectClose(grad((X: Tensor) => T(a).matmul(X).matmul(T(b)))(T(X)), outer(a, b));
    expectClose(grad((X: Tensor) => mc.dot(T(a), X.matmul(T(b))))(T(X)), outer(a, b));
  });

  it("∂(uᵀWv)/∂W = uvᵀ, not vuᵀ, even for square W (seed 001 'where intuition breaks')", () => {
    const u = randVec(4, 24);
    const v = randVec(4, 25);
    const g = grad((W: Tensor) => T(u).matmul(W).matmul(T(v)))(T(randMat(4, 4, 26)));
    expectClose(g, outer(u, v));
    const wrong = outer(v, u);
    expect(Math.max(...vecOf(sub(g.toArray() as Mat, wrong)).map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it("∂‖AX − B‖²_F/∂X = 2Aᵀ(AX − B)  (A 5×3, X 3×4, B 5×4)", () => {
    const A = randMat(5, 3, 27);
    const X = randMat(3, 4, 28);
    const B = randMat(5, 4, 29);
    const expected = scale(matmul(transpose(A), sub(matmul(A, X), B)), 2);
    expectClose(grad((X: Tensor) => mc.sumSquares(T(A).matmul(X).sub(T(B))))(T(X)), expected);
    expectClose(grad((X: Tensor) => mc.square(mc.norm(T(A).matmul(X).sub(T(B)), "fro")))(T(X)), expected);
    // the trace form tr((AX − B)ᵀ(AX − B)) of the seed
    expectClose(grad((X: Tensor) => {
      const E = T(A).matmul(X).sub(T(B));
      return mc.trace(E.T.matmul(E));
    })(T(X)), expected);
  });

  it("seed 003 problem 7: ∂‖Aᵀx‖²/∂A = 2xyᵀ = 2xxᵀA  (A 4×3)", () => {
    const A = randMat(4, 3, 30);
    const x = randVec(4, 31);
    const g = grad((A: Tensor) => mc.sumSquares(A.T.matmul(T(x))))(T(A));
    expectClose(g, scale(matmul(outer(x, x), A), 2));
    const y = matmul(transpose(A), x.map((v) => [v])).map((r) => r[0]!);
    expectClose(g, scale(outer(x, y), 2));
  });
});

describe("seed 004: the trace trick df = tr(Gᵀ dX) = ⟨G, dX⟩", () => {
  // jvp along a random dX must equal ⟨closed-form gradient, dX⟩.
  const X = randMat(4, 3, 40);
  const dX = randMat(4, 3, 41);
  const A = randMat(5, 4, 42);
  const C = randMat(4, 4, 43);

  it("f(X) = Σ tanh(AX): ∇ = Aᵀ(1 − tanh²(AX))", () => {
    const f = (X: Tensor) => mc.sum(mc.tanh(T(A).matmul(X)));
    const G = matmul(transpose(A), map(matmul(A, X), (v) => 1 - Math.tanh(v) ** 2));
    expectClose(grad(f)(T(X)), G);
    const [, df] = jvp(f, [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(df, frob(G, dX));
  });

  it("f(X) = tr(XᵀCX): ∇ = (C + Cᵀ)X", () => {
    const f = (X: Tensor) => mc.trace(X.T.matmul(T(C)).matmul(X));
    const G = matmul(add(C, transpose(C)), X);
    const [, df] = jvp(f, [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(df, frob(G, dX));
  });

  it("transpose rule d(Xᵀ) = (dX)ᵀ", () => {
    const [, dXt] = jvp((X: Tensor) => X.T, [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(dXt, transpose(dX));
  });

  it("product rule d(MN) = (dM)N + M(dN)  (M = AX, N = XᵀC: both depend on X)", () => {
    const [, d] = jvp((X: Tensor) => T(A).matmul(X).matmul(X.T.matmul(T(C))), [T(X)], [T(dX)]) as [Tensor, Tensor];
    const M = matmul(A, X);
    const N = matmul(transpose(X), C);
    const expected = add(matmul(matmul(A, dX), N), matmul(M, matmul(transpose(dX), C)));
    expectClose(d, expected);
  });
});

describe("determinant, log-determinant and inverse (det/inv built from primitives)", () => {
  it("the Leibniz det and the adjugate inverse agree with the reference", () => {
    const A = randWellConditioned(4, 50);
    expectClose(detLeibniz(T(A)), det(A), { rtol: 1e-12 });
    expectClose(invAdjugate(T(A)), inv(A), { rtol: 1e-11 });
  });

  it("∂det(A)/∂A = det(A)·A⁻ᵀ  (4×4 non-symmetric)", () => {
    const A = randWellConditioned(4, 51);
    expectClose(grad(detLeibniz)(T(A)), scale(transpose(inv(A)), det(A)), { rtol: 1e-10 });
  });

  it("∂log|det A|/∂A = A⁻ᵀ  (4×4 non-symmetric)", () => {
    const A = randWellConditioned(4, 52);
    expectClose(grad((A: Tensor) => mc.log(mc.abs(detLeibniz(A))))(T(A)), transpose(inv(A)), { rtol: 1e-10 });
  });

  it("∂log det(Σ)/∂Σ = Σ⁻¹ for symmetric positive definite Σ", () => {
    const S = randSpd(4, 53);
    expectClose(grad((S: Tensor) => mc.log(detLeibniz(S)))(T(S)), inv(S), { rtol: 1e-10 });
  });

  it("Jacobi: d det(X) = det(X) tr(X⁻¹ dX)  and  d log det X = tr(X⁻¹ dX)", () => {
    const X = randWellConditioned(3, 54);
    const dX = randMat(3, 3, 55);
    const [, dd] = jvp(detLeibniz, [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(dd, det(X) * trace(matmul(inv(X), dX)), { rtol: 1e-10 });
    const [, dl] = jvp((X: Tensor) => mc.log(mc.abs(detLeibniz(X))), [T(X)], [T(dX)]) as [Tensor, Tensor];
    expectClose(dl, trace(matmul(inv(X), dX)), { rtol: 1e-10 });
  });

  it("d(X⁻¹) = −X⁻¹ (dX) X⁻¹", () => {
    const X = randWellConditioned(3, 56);
    const dX = randMat(3, 3, 57);
    const [, d] = jvp(invAdjugate, [T(X)], [T(dX)]) as [Tensor, Tensor];
    const Xi = inv(X);
    expectClose(d, scale(matmul(matmul(Xi, dX), Xi), -1), { rtol: 1e-10 });
  });

  it("∇_Σ tr(Σ⁻¹B) = −Σ⁻ᵀBᵀΣ⁻ᵀ, = −Σ⁻¹BΣ⁻¹ for symmetric Σ and B (seed 001, Gaussian MLE)", () => {
    const f = (B: Mat) => (S: Tensor) => mc.trace(invAdjugate(S).matmul(T(B)));
    const S = randSpd(3, 58);
    const Bs = randSym(3, 59);
    const Si = inv(S);
    expectClose(grad(f(Bs))(T(S)), scale(matmul(matmul(Si, Bs), Si), -1), { rtol: 1e-10 });
    const X = randWellConditioned(3, 60);
    const B = randMat(3, 3, 61);
    const Xit = transpose(inv(X));
    expectClose(grad(f(B))(T(X)), scale(matmul(matmul(Xit, transpose(B)), Xit), -1), { rtol: 1e-10 });
  });

  it("seed 004 hard practice: ∇_X [−log det X + tr(SX)] = Sᵀ − X⁻ᵀ", () => {
    const X = randSpd(3, 62);
    const S = randMat(3, 3, 63);
    const g = grad((X: Tensor) => mc.neg(mc.log(detLeibniz(X))).add(mc.trace(T(S).matmul(X))))(T(X));
    expectClose(g, sub(transpose(S), transpose(inv(X))), { rtol: 1e-10 });
  });

});

describe("seed 004: Frobenius inner product", () => {
  it("⟨A, B⟩ = tr(AᵀB) = Σᵢⱼ AᵢⱼBᵢⱼ (values through matcalc)", () => {
    const A = randMat(3, 4, 64);
    const B = randMat(3, 4, 65);
    const ref = vecOf(hadamard(A, B)).reduce((s, v) => s + v, 0);
    expectClose(mc.dot(T(A), T(B)), ref, { rtol: 1e-13 });
    expectClose(mc.trace(mc.matmul(T(A).T, T(B))), ref, { rtol: 1e-13 });
    expectClose(mc.sum(mc.mul(T(A), T(B))), ref, { rtol: 1e-13 });
    expectClose(frob(A, B), trace(matmul(transpose(A), B)), { rtol: 1e-13 });
  });
});

// Native linear-algebra ops that DESIGN.md lists as differentiable primitives (inv, solve, det,
// logdet) are not exported yet. These tests state the identities against the native ops and
// are skipped until the ops exist.
type AnyOp = (...args: unknown[]) => Tensor;
const native = (name: string): AnyOp => {
  const op = (mc as unknown as Record<string, AnyOp | undefined>)[name];
  if (typeof op !== "function") throw new Error(`matcalc has no op '${name}'`);
  return op;
};

describe("native det / logdet / inv / solve", () => {
  // Native linear-algebra primitives against the same closed forms.
  it("∂det(A)/∂A = det(A)·A⁻ᵀ with mc.det", () => {
    const A = randWellConditioned(5, 70);
    expectClose(grad((A: Tensor) => native("det")(A))(T(A)), scale(transpose(inv(A)), det(A)));
  });

  it("∂log det(A)/∂A = A⁻ᵀ with mc.logdet, and Σ⁻¹ for SPD Σ", () => {
    const A = randSpd(5, 71);
    expectClose(grad((A: Tensor) => native("logdet")(A))(T(A)), inv(A));
  });

  it("d(X⁻¹) = −X⁻¹ dX X⁻¹ with mc.inv", () => {
    const X = randWellConditioned(5, 72);
    const dX = randMat(5, 5, 73);
    const [, d] = jvp((X: Tensor) => native("inv")(X), [T(X)], [T(dX)]) as [Tensor, Tensor];
    const Xi = inv(X);
    expectClose(d, scale(matmul(matmul(Xi, dX), Xi), -1));
  });

  it("∂⟨c, A⁻¹b⟩/∂b = A⁻ᵀc with mc.solve", () => {
    const A = randWellConditioned(5, 74);
    const b = randVec(5, 75);
    const c = randVec(5, 76);
    const g = grad((b: Tensor) => mc.dot(T(c), native("solve")(T(A), b)))(T(b));
    expectClose(g, matmul(transpose(inv(A)), c.map((v) => [v])).map((r) => r[0]!));
  });
});
