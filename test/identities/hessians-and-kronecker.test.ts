// Hessians, Hessian-vector products, vec and Kronecker identities: seed 001 "Fundamental
// identities" (Hessian column), seed 000/004 vec(AXB) = (Bᵀ ⊗ A)vec(X), seed 004 "When Hessians
// simplify" (½xᵀAx → A, ½‖AX − B‖²_F → I ⊗ AᵀA), d²f = dxᵀH dx, HVPs without forming H, and
// kron / kronMatVec against a plain-JS Kronecker product.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hessian, hvp, jacobian, jvp, type Tensor } from "../../src/index.js";
import {
  T, add, commutation, detLeibniz, diagMat, expectClose, expectJacobian, eye, inv, invAdjugate, kron, matmul, matvec, outer, randMat, randSym,
  randVec, randWellConditioned, scale, softmaxJs, sub, transpose, unvec, useKernels, vdot, vecOf, zerosMat, type Mat,
} from "./helpers.js";

useKernels();

const n = 5;
const x = randVec(n, 400);

/** hessian(f)(x) against H, plus hvp in both modes against H·v and vᵀHv via nested jvp. */
function expectHessian(f: (x: Tensor) => Tensor, x0: Tensor, H: Mat, opts: { atol?: number; rtol?: number } = {}): void {
  const close = { rtol: opts.rtol ?? 1e-10, atol: opts.atol ?? 0 };
  const Hm = hessian(f)(x0);
  expectClose(Hm, H, { ...close, label: "hessian" });
  expectClose(hessian(f, { chunkSize: 2 })(x0), H, { ...close, label: "hessian chunk=2" });
  // symmetric to the last bit is not required; to rounding it is
  expectClose(transpose(Hm.toArray() as Mat), H, { ...close, label: "hessian transposed" });
  const k = x0.size;
  const v = randVec(k, 401 + k);
  const vT = mc.reshape(T(v), x0.shape);
  const Hv = matvec(H, v);
  const hvScale = Math.max(...H.flat().map(Math.abs)) * Math.max(...v.map(Math.abs)) * k;
  const hvClose = { rtol: close.rtol, atol: close.atol + close.rtol * hvScale };
  expectClose(mc.vec(hvp(f)(x0, vT) as Tensor), Hv, { ...hvClose, label: "hvp fwd-rev" });
  expectClose(mc.vec(hvp(f, { mode: "fwd-rev" })(x0, vT) as Tensor), Hv, { ...hvClose, label: "hvp fwd-rev (explicit)" });
  expectClose(mc.vec(hvp(f, { mode: "rev-rev" })(x0, vT) as Tensor), Hv, { ...hvClose, label: "hvp rev-rev" });
  expect((hvp(f)(x0, vT) as Tensor).shape).toEqual(x0.shape);
  // d²f = vᵀHv: the second directional derivative, forward over forward
  const d2 = jvp((y: Tensor) => jvp(f, [y], [vT])[1], [x0], [vT])[1] as Tensor;
  expectClose(d2, vdot(v, Hv), { ...hvClose, label: "vᵀHv (jvp of jvp)" });
}

describe("seed 001: Hessians of the fundamental identities", () => {
  it("aᵀx → 0", () => {
    const a = randVec(n, 410);
    expectHessian((x: Tensor) => T(a).dot(x), T(x), zerosMat(n, n), { atol: 1e-14 });
  });

  it("xᵀAx → A + Aᵀ (non-symmetric A)", () => {
    const A = randMat(n, n, 411);
    expectHessian((x: Tensor) => x.dot(T(A).matmul(x)), T(x), add(A, transpose(A)));
  });

  it("xᵀAx → 2A (symmetric A); ½xᵀAx → A (seed 004)", () => {
    const A = randSym(n, 412);
    expectHessian((x: Tensor) => x.dot(T(A).matmul(x)), T(x), scale(A, 2));
    expectHessian((x: Tensor) => x.dot(T(A).matmul(x)).mul(0.5), T(x), A);
  });

  it("‖x‖² = xᵀx → 2I; ‖x − a‖² → 2I", () => {
    const a = randVec(n, 413);
    expectHessian((x: Tensor) => x.dot(x), T(x), scale(eye(n), 2));
    expectHessian((x: Tensor) => mc.sumSquares(x.sub(T(a))), T(x), scale(eye(n), 2));
  });

  it("xᵀAb → 0 (A 5×3)", () => {
    const A = randMat(n, 3, 414);
    const b = randVec(3, 415);
    expectHessian((x: Tensor) => x.dot(T(A).matmul(T(b))), T(x), zerosMat(n, n), { atol: 1e-14 });
  });

  it("seed 004 practice: ½‖Cx − d‖² → CᵀC (C 7×5)", () => {
    const C = randMat(7, n, 416);
    const dd = randVec(7, 417);
    expectHessian((x: Tensor) => mc.sumSquares(T(C).matmul(x).sub(T(dd))).mul(0.5), T(x), matmul(transpose(C), C));
  });
});

describe("non-quadratic Hessians (closed forms)", () => {
  it("logsumexp(Ax) → Aᵀ(diag(p) − ppᵀ)A, p = softmax(Ax)  (A 4×5)", () => {
    const A = randMat(4, n, 420);
    const p = softmaxJs(matvec(A, x));
    const H = matmul(matmul(transpose(A), sub(diagMat(p), outer(p, p))), A);
    expectHessian((x: Tensor) => mc.logsumexp(T(A).matmul(x)), T(x), H);
  });

  it("softmax cross-entropy: ∇²_z[−yᵀ log softmax(z)] = diag(p) − ppᵀ", () => {
    const z = randVec(n, 421);
    const y = softmaxJs(randVec(n, 422));
    const p = softmaxJs(z);
    expectHessian((z: Tensor) => mc.neg(T(y).dot(mc.logSoftmax(z))), T(z), sub(diagMat(p), outer(p, p)));
  });

  it("Σ σ(x): diag(σ(1 − σ)(1 − 2σ)); the Hessian of an elementwise sum is diagonal", () => {
    const s = x.map((v) => 1 / (1 + Math.exp(-v)));
    expectHessian((x: Tensor) => mc.sum(mc.sigmoid(x)), T(x), diagMat(s.map((v) => v * (1 - v) * (1 - 2 * v))));
  });

  it("(aᵀx)(bᵀx) → abᵀ + baᵀ", () => {
    const a = randVec(n, 423);
    const b = randVec(n, 424);
    expectHessian((x: Tensor) => T(a).dot(x).mul(T(b).dot(x)), T(x), add(outer(a, b), outer(b, a)));
  });
});

describe("Hessians of norms (second order through the fused 2-norm and through pow∘abs)", () => {
  const xs = randVec(n, 480).map((v) => (Math.abs(v) < 0.2 ? v + Math.sign(v || 1) * 0.3 : v));

  it("‖x‖₂ → (I − x̂x̂ᵀ)/‖x‖₂; ‖x‖₂² through the fused norm → 2I", () => {
    const r = Math.hypot(...xs);
    const H = sub(eye(n), outer(xs, xs).map((row) => row.map((v) => v / (r * r)))).map((row) => row.map((v) => v / r));
    expectHessian((x: Tensor) => mc.norm(x), T(xs), H);
    expectHessian((x: Tensor) => mc.square(mc.norm(x)), T(xs), scale(eye(n), 2));
  });

  it("‖X‖_F over vec(X) → (I − vv̂ᵀ)/‖X‖_F with v = vec(X)/‖X‖_F  (X 3×2)", () => {
    const X = randMat(3, 2, 481);
    const v = vecOf(X);
    const r = Math.hypot(...v);
    const H = sub(eye(6), outer(v, v).map((row) => row.map((t) => t / (r * r)))).map((row) => row.map((t) => t / r));
    expectHessian((X: Tensor) => mc.norm(X, "fro"), T(X), H);
  });

  for (const p of [2.5, 3, 4]) {
    it(`‖x‖_p → (p − 1)[‖x‖_p^(1−p) diag(|x|^(p−2)) − ggᵀ/‖x‖_p], p = ${p}`, () => {
      const f = Math.pow(xs.reduce((s, v) => s + Math.abs(v) ** p, 0), 1 / p);
      const g = xs.map((v) => (v * Math.abs(v) ** (p - 2)) / f ** (p - 1));
      const H = scale(sub(diagMat(xs.map((v) => f ** (1 - p) * Math.abs(v) ** (p - 2))), scale(outer(g, g), 1 / f)), p - 1);
      expectHessian((x: Tensor) => mc.norm(x, p), T(xs), H, { rtol: 1e-9 });
    });
  }
});

describe("Hessians over vec(X) for matrix arguments", () => {
  const A = randMat(5, 3, 430);
  const X = randMat(3, 4, 431);
  const B = randMat(5, 4, 432);
  const AtA = matmul(transpose(A), A);

  it("seed 004: ½‖AX − B‖²_F → I₄ ⊗ AᵀA (12×12), against mc.kron and a plain-JS ⊗", () => {
    const f = (X: Tensor) => mc.sumSquares(T(A).matmul(X).sub(T(B))).mul(0.5);
    const ref = kron(eye(4), AtA);
    expectHessian(f, T(X), ref);
    const viaMc = mc.kron(mc.eye(4), mc.matmul(T(A).T, T(A)));
    expectClose(viaMc, ref, { rtol: 1e-13 });
    expectClose(hessian(f)(T(X)), viaMc.toArray() as Mat, { rtol: 1e-10 });
  });

  it("hvp for matrix X: H·V = AᵀA V, shaped like X", () => {
    const f = (X: Tensor) => mc.sumSquares(T(A).matmul(X).sub(T(B))).mul(0.5);
    const V = randMat(3, 4, 433);
    const expected = matmul(AtA, V);
    expectClose(hvp(f)(T(X), T(V)), expected);
    expectClose(hvp(f, { mode: "rev-rev" })(T(X), T(V)), expected);
  });

  it("tr(XᵀCX) → I ⊗ (C + Cᵀ)  (X 3×4, C 3×3)", () => {
    const C = randMat(3, 3, 434);
    expectHessian((X: Tensor) => mc.trace(X.T.matmul(T(C)).matmul(X)), T(X), kron(eye(4), add(C, transpose(C))));
  });

  it("‖XB‖²_F → 2(BBᵀ ⊗ I)  (X 3×4, B 4×2)", () => {
    const Bm = randMat(4, 2, 435);
    expectHessian((X: Tensor) => mc.sumSquares(X.matmul(T(Bm))), T(X), scale(kron(matmul(Bm, transpose(Bm)), eye(3)), 2));
  });

  it("grad(grad) route: jacobian(grad f) equals hessian(f) for a matrix argument", () => {
    const f = (X: Tensor) => mc.sum(mc.tanh(T(A).matmul(X)));
    const H1 = hessian(f)(T(X)).toArray() as Mat;
    expectClose(jacobian(grad(f), { mode: "rev" })(T(X)), H1, { rtol: 1e-12 });
    // closed form: H = Σ over entries of AX: vec index (i,j) ↦ −2 tanh·(1 − tanh²) (A row i)
    const Z = matmul(A, X);
    const H = zerosMat(12, 12);
    for (let j = 0; j < 4; j++) for (let i = 0; i < 5; i++) {
      const t = Math.tanh(Z[i]![j]!);
      const c = -2 * t * (1 - t * t);
      for (let k = 0; k < 3; k++) for (let l = 0; l < 3; l++) H[k + 3 * j]![l + 3 * j]! += c * A[i]![k]! * A[i]![l]!;
    }
    expectClose(H1, H, { rtol: 1e-10 });
  });
});

describe("Hessians over pytrees and of structured operators", () => {
  it("f({a, b}) = aᵀPa + 2aᵀQb + bᵀRb → [[P + Pᵀ, 2Q], [2Qᵀ, R + Rᵀ]] (leaves concatenated)", () => {
    const P = randMat(2, 2, 460);
    const Q = randMat(2, 3, 461);
    const R = randMat(3, 3, 462);
    const f = (p: { a: Tensor; b: Tensor }) =>
      p.a.dot(T(P).matmul(p.a)).add(p.a.dot(T(Q).matmul(p.b)).mul(2)).add(p.b.dot(T(R).matmul(p.b)));
    const top = add(P, transpose(P)).map((r, i) => [...r, ...Q[i]!.map((v) => 2 * v)]);
    const bottom = add(R, transpose(R)).map((r, i) => [...Q.map((q) => 2 * q[i]!), ...r]);
    const H = [...top, ...bottom];
    const p0 = { a: T(randVec(2, 463)), b: T(randVec(3, 464)) };
    expectClose(hessian(f)(p0), H);
    const va = randVec(2, 465);
    const vb = randVec(3, 466);
    const Hv = matvec(H, [...va, ...vb]);
    for (const mode of ["fwd-rev", "rev-rev"] as const) {
      const r = hvp(f, { mode })(p0, { a: T(va), b: T(vb) }) as { a: Tensor; b: Tensor };
      expectClose(r.a, Hv.slice(0, 2));
      expectClose(r.b, Hv.slice(2));
    }
  });

  it("½xᵀ(A ⊗ B)x through kronMatVec (A, B symmetric) → A ⊗ B", () => {
    const A = randSym(3, 467);
    const B = randSym(2, 468);
    const f = (x: Tensor) => x.dot(mc.kronMatVec(T(A), T(B), x)).mul(0.5);
    expectHessian(f, T(randVec(6, 469)), kron(A, B));
  });

  it("hessian with argnums: ∇²_b of ⟨Ab, b⟩·c picks the b block only", () => {
    const A = randMat(3, 3, 470);
    const f = (c: Tensor, b: Tensor) => b.dot(T(A).matmul(b)).mul(c);
    expectClose(hessian(f, { argnums: 1 })(mc.scalar(1.5), T(randVec(3, 471))), scale(add(A, transpose(A)), 1.5));
  });
});

describe("vec and Kronecker (seed 000, seed 004)", () => {
  const A = randMat(3, 4, 440);
  const X = randMat(4, 5, 441);
  const B = randMat(5, 2, 442);

  it("vec stacks columns: mc.vec(X) = [X₁₁, X₂₁, …] and .data is column-major", () => {
    const v = mc.vec(T(X));
    expectClose(v, vecOf(X), { rtol: 0 });
    expect(Array.from(T(X).data)).toEqual(vecOf(X));
    expectClose(mc.reshape(T(vecOf(X)), [4, 5]), unvec(vecOf(X), 4, 5), { rtol: 0 });
  });

  it("mc.kron(A, B) equals the entrywise definition (A 3×4, B 5×2)", () => {
    expectClose(mc.kron(T(A), T(B)), kron(A, B), { rtol: 0 });
  });

  it("vec(AXB) = (Bᵀ ⊗ A) vec(X) as values", () => {
    const lhs = vecOf(matmul(matmul(A, X), B));
    expectClose(mc.vec(T(A).matmul(T(X)).matmul(T(B))), lhs, { rtol: 1e-12 });
    expectClose(mc.matmul(mc.kron(T(B).T, T(A)), mc.vec(T(X))), lhs, { rtol: 1e-12 });
    expectClose(matvec(kron(transpose(B), A), vecOf(X)), lhs, { rtol: 1e-12 });
  });

  it("jacobian(X ↦ AXB) = Bᵀ ⊗ A (6×20), fwd and rev, both layouts", () => {
    expectJacobian((X: Tensor) => T(A).matmul(X).matmul(T(B)), [T(X)], kron(transpose(B), A), { chunkSizes: [7] });
    expectClose(jacobian((X: Tensor) => T(A).matmul(X).matmul(T(B)))(T(X)), mc.kron(T(B).T, T(A)).toArray() as Mat, { rtol: 1e-12 });
  });

  it("special cases: jacobian(X ↦ AX) = I ⊗ A, jacobian(X ↦ XB) = Bᵀ ⊗ I", () => {
    expectJacobian((X: Tensor) => T(A).matmul(X), [T(X)], kron(eye(5), A), { chunkSizes: [9] });
    expectJacobian((X: Tensor) => X.matmul(T(B)), [T(X)], kron(transpose(B), eye(4)), { chunkSizes: [9] });
  });

  it("jacobian(X ↦ Xᵀ) is the commutation matrix K with K vec(X) = vec(Xᵀ)  (X 3×4)", () => {
    const Xs = randMat(3, 4, 443);
    const K = commutation(3, 4);
    expectClose(matvec(K, vecOf(Xs)), vecOf(transpose(Xs)), { rtol: 0 });
    expectJacobian((X: Tensor) => X.T, [T(Xs)], K, { chunkSizes: [5] });
  });

  it("kronMatVec(A, B, x) = (A ⊗ B)x = vec(B·unvec(x)·Aᵀ) = matmul(kron(A, B), x)", () => {
    const P = randMat(3, 4, 444); // A: p×q
    const R = randMat(2, 5, 445); // B: r×s
    const xv = randVec(4 * 5, 446);
    const ref = matvec(kron(P, R), xv);
    expectClose(mc.kronMatVec(T(P), T(R), T(xv)), ref, { rtol: 1e-12 });
    expectClose(mc.matmul(mc.kron(T(P), T(R)), T(xv)), ref, { rtol: 1e-12 });
    expectClose(vecOf(matmul(matmul(R, unvec(xv, 5, 4)), transpose(P))), ref, { rtol: 1e-12 });
  });

  it("kronMatVec derivatives: ∂/∂x = A ⊗ B; ⟨u, (A ⊗ B)x⟩ has ∇_A = UᵀB·unvec(x), ∇_B = U A unvec(x)ᵀ", () => {
    const P = randMat(3, 4, 447);
    const R = randMat(2, 5, 448);
    const xv = randVec(20, 449);
    const u = randVec(6, 450);
    expectJacobian((x: Tensor) => mc.kronMatVec(T(P), T(R), x), [T(xv)], kron(P, R), { chunkSizes: [6] });
    const Xm = unvec(xv, 5, 4);
    const U = unvec(u, 2, 3);
    const f = (A: Tensor, B: Tensor) => T(u).dot(mc.kronMatVec(A, B, T(xv)));
    const [gA, gB] = grad(f, { argnums: [0, 1] })(T(P), T(R)) as Tensor[];
    expectClose(gA!, matmul(matmul(transpose(U), R), Xm));
    expectClose(gB!, matmul(matmul(U, P), transpose(Xm)));
    // the same gradients through the explicit Kronecker product
    const g2 = grad((A: Tensor, B: Tensor) => T(u).dot(mc.matmul(mc.kron(A, B), T(xv))), { argnums: [0, 1] })(T(P), T(R)) as Tensor[];
    expectClose(g2[0]!, matmul(matmul(transpose(U), R), Xm));
    expectClose(g2[1]!, matmul(matmul(U, P), transpose(Xm)));
  });

  it("kron derivative: ∇_A ⟨C, A ⊗ B⟩ = Σₖₗ C-blocks ⊙ B, ∇_B = Σᵢⱼ Aᵢⱼ C-block(i, j)", () => {
    const P = randMat(2, 3, 451);
    const R = randMat(4, 2, 452);
    const C = randMat(8, 6, 453);
    const gA = P.map((row, i) => row.map((_, j) => {
      let s = 0;
      for (let k = 0; k < 4; k++) for (let l = 0; l < 2; l++) s += C[i * 4 + k]![j * 2 + l]! * R[k]![l]!;
      return s;
    }));
    const gB = R.map((row, k) => row.map((_, l) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) s += C[i * 4 + k]![j * 2 + l]! * P[i]![j]!;
      return s;
    }));
    const [aA, aB] = grad((A: Tensor, B: Tensor) => mc.dot(T(C), mc.kron(A, B)), { argnums: [0, 1] })(T(P), T(R)) as Tensor[];
    expectClose(aA!, gA);
    expectClose(aB!, gB);
    // the Jacobians of vec(A ⊗ B): entry (row of K, col of K) ↦ vec index; ∂K/∂A_ij = E_ij ⊗ B
    const JA = zerosMat(48, 6);
    const JB = zerosMat(48, 8);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) for (let l = 0; l < 2; l++) {
      const row = (i * 4 + k) + 8 * (j * 2 + l);
      JA[row]![i + 2 * j] = R[k]![l]!;
      JB[row]![k + 4 * l] = P[i]![j]!;
    }
    expectJacobian((A: Tensor) => mc.kron(A, T(R)), [T(P)], JA, { chunkSizes: [4] });
    expectJacobian((B: Tensor) => mc.kron(T(P), B), [T(R)], JB, { chunkSizes: [5] });
  });

  it("vec(xyᵀ) = (y ⊗ I)x = (I ⊗ x)y: Jacobians of outer in each argument (x ∈ R⁴, y ∈ R³)", () => {
    const xv = randVec(4, 458);
    const yv = randVec(3, 459);
    const f = (x: Tensor, y: Tensor) => mc.outer(x, y);
    expectJacobian(f, [T(xv), T(yv)], kron(yv.map((v) => [v]), eye(4)), { argnums: 0 });
    expectJacobian(f, [T(xv), T(yv)], kron(eye(3), xv.map((v) => [v])), { argnums: 1 });
  });

  it("vec(d X⁻¹) = −(X⁻ᵀ ⊗ X⁻¹) vec(dX): the Jacobian of the (adjugate-built) inverse, 3×3", () => {
    const Xm = randWellConditioned(3, 490);
    const Xi = inv(Xm);
    expectJacobian(invAdjugate, [T(Xm)], scale(kron(transpose(Xi), Xi), -1), { chunkSizes: [4] });
  });

  it("∇² log|det X| over vec(X) = −(X⁻¹ ⊗ X⁻ᵀ)K (K the commutation matrix), 3×3", () => {
    const Xm = randWellConditioned(3, 491);
    const Xi = inv(Xm);
    const H = scale(matmul(kron(Xi, transpose(Xi)), commutation(3, 3)), -1);
    expectHessian((X: Tensor) => mc.log(mc.abs(detLeibniz(X))), T(Xm), H, { rtol: 1e-9 });
  });

  it("Kronecker algebra: (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ and (A ⊗ B)(C ⊗ D) = AC ⊗ BD", () => {
    const P = randMat(2, 3, 454);
    const R = randMat(3, 2, 455);
    const C = randMat(3, 2, 456);
    const D = randMat(2, 4, 457);
    expectClose(mc.kron(T(P), T(R)).T, kron(transpose(P), transpose(R)), { rtol: 0 });
    expectClose(mc.matmul(mc.kron(T(P), T(R)), mc.kron(T(C), T(D))), kron(matmul(P, C), matmul(R, D)), { rtol: 1e-12 });
  });
});

