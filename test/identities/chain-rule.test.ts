// Chain rule and backpropagation: seed 000 "Chain Rule in Matrix Form", "Gradients Through a
// Linear Layer / Elementwise Operations"; seed 001 "The Chain Rule" and Example 3; seed 002
// A.4.4 (f∘g∘h order) and A.5.5; seed 003 problems 5, 6, 8; seed 004 (operator chain rule,
// batched linear layer Z = WX, attention scores S = QKᵀ, VJP/JVP). Plus a 2-layer tanh MLP
// with pytree parameters against hand-written backprop.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jacobian, jvp, linearize, valueAndGrad, vjp, type Tensor } from "../../src/index.js";
import {
  T, add, col, diagMat, expectClose, expectJacobian, hadamard, map, matmul, matvec, outer, randMat, randVec,
  scale, sigmoid, softmaxJs, sub, transpose, useKernels, vadd, vmul, vscale, vsub, type Mat, type Vec,
} from "./helpers.js";

useKernels();

describe("composition order f∘g∘h (seed 002 A.4.4, A.5.5; seed 004)", () => {
  // h: R⁵ → R⁴, h(x) = sin(Ax);  g: R⁴ → R³, g(u) = B tanh(u);  f: R³ → R², f(v) = C exp(v)
  const A = randMat(4, 5, 200);
  const B = randMat(3, 4, 201);
  const C = randMat(2, 3, 202);
  const x = randVec(5, 203);
  const h = (x: Tensor) => mc.sin(T(A).matmul(x));
  const g = (u: Tensor) => T(B).matmul(mc.tanh(u));
  const f = (v: Tensor) => T(C).matmul(mc.exp(v));
  const Ax = matvec(A, x);
  const u = Ax.map(Math.sin);
  const v = matvec(B, u.map(Math.tanh));
  const Jh = matmul(diagMat(Ax.map(Math.cos)), A); // 4×5 numerator
  const Jg = matmul(B, diagMat(u.map((t) => 1 - Math.tanh(t) ** 2))); // 3×4
  const Jf = matmul(C, diagMat(v.map(Math.exp))); // 2×3

  it("each factor's Jacobian matches its closed form", () => {
    expectJacobian(h, [T(x)], Jh, { chunkSizes: [2] });
    expectJacobian(g, [T(u)], Jg, { chunkSizes: [2] });
    expectJacobian(f, [T(v)], Jf, { chunkSizes: [2] });
  });

  it("numerator: J_{f∘g∘h} = J_f · J_g · J_h (2×5)", () => {
    expectJacobian((x: Tensor) => f(g(h(x))), [T(x)], matmul(matmul(Jf, Jg), Jh));
  });

  it("denominator: ∂f/∂x = (∂h/∂x)(∂g/∂h)(∂f/∂g) — innermost on the left (5×2)", () => {
    const den = matmul(matmul(transpose(Jh), transpose(Jg)), transpose(Jf));
    expectClose(jacobian((x: Tensor) => f(g(h(x))), { layout: "denominator" })(T(x)), den);
    expectClose(jacobian((x: Tensor) => f(g(h(x))), { layout: "denominator", mode: "fwd" })(T(x)), den);
  });

  it("operator form: D(g∘h)(x)[dx] = Dg(h(x))[Dh(x)[dx]] (linearize and jvp)", () => {
    const dx = randVec(5, 204);
    const [hx, hLin] = linearize(h, T(x));
    const [, gLin] = linearize(g, hx);
    const composed = gLin(hLin(T(dx)));
    const expected = matvec(Jg, matvec(Jh, dx));
    expectClose(composed, expected);
    const [, direct] = jvp((x: Tensor) => g(h(x)), [T(x)], [T(dx)]) as [Tensor, Tensor];
    expectClose(direct, expected);
  });

  it("VJP: uᵀJ for the composition equals J_hᵀ J_gᵀ J_fᵀ u", () => {
    const w = randVec(2, 205);
    const [, back] = vjp((x: Tensor) => f(g(h(x))), T(x));
    const [ct] = back(T(w)) as Tensor[];
    expectClose(ct!, matvec(transpose(Jh), matvec(transpose(Jg), matvec(transpose(Jf), w))));
  });
});

describe("scalar losses through maps (seed 000/001/003)", () => {
  it("y = Ax + b, f(y) = logsumexp(y): ∂f/∂x = Aᵀ ∂f/∂y = Aᵀ softmax(y)", () => {
    const A = randMat(4, 6, 210);
    const b = randVec(4, 211);
    const x = randVec(6, 212);
    const y = vadd(matvec(A, x), b);
    expectClose(grad((x: Tensor) => mc.logsumexp(T(A).matmul(x).add(T(b))))(T(x)), matvec(transpose(A), softmaxJs(y)));
  });

  it("y = g(x) = tanh(Ax), f = ‖y‖²: ∇ₓf = J_gᵀ ∇_y f", () => {
    const A = randMat(3, 5, 213);
    const x = randVec(5, 214);
    const y = matvec(A, x).map(Math.tanh);
    const Jg = matmul(diagMat(y.map((t) => 1 - t * t)), A);
    expectClose(grad((x: Tensor) => mc.sumSquares(mc.tanh(T(A).matmul(x))))(T(x)), matvec(transpose(Jg), vscale(y, 2)));
  });

  it("seed 003 problem 5: ∇ₓ‖Aᵀx‖² = 2AAᵀx  (A 5×3)", () => {
    const A = randMat(5, 3, 215);
    const x = randVec(5, 216);
    expectClose(grad((x: Tensor) => mc.sumSquares(T(A).T.matmul(x)))(T(x)), scale(matmul(A, transpose(A)), 2).map((r) => r.reduce((s, a, j) => s + a * x[j]!, 0)));
  });

  it("seed 003 problem 6: ∂[Bᵀσ(Aᵀx)]/∂x = A diag(σ'(Aᵀx)) B (denominator; A 5×4, B 4×3)", () => {
    const A = randMat(5, 4, 217);
    const B = randMat(4, 3, 218);
    const x = randVec(5, 219);
    const s = matvec(transpose(A), x).map(sigmoid);
    const den = matmul(matmul(A, diagMat(s.map((t) => t * (1 - t)))), B); // 5×3
    expectJacobian((x: Tensor) => T(B).T.matmul(mc.sigmoid(T(A).T.matmul(x))), [T(x)], transpose(den));
  });

  it("seed 003 problem 8: ∇_A ‖Bᵀσ(Aᵀx) − c‖² = 2x (diag(σ') B (Bᵀσ − c))ᵀ", () => {
    const A = randMat(5, 4, 220);
    const B = randMat(4, 3, 221);
    const x = randVec(5, 222);
    const c = randVec(3, 223);
    const s = matvec(transpose(A), x).map(sigmoid);
    const r = vsub(matvec(transpose(B), s), c);
    const inner = vmul(s.map((t) => t * (1 - t)), matvec(B, r));
    const g = grad((A: Tensor) => mc.sumSquares(T(B).T.matmul(mc.sigmoid(A.T.matmul(T(x)))).sub(T(c))))(T(A));
    expectClose(g, scale(outer(x, inner), 2));
  });
});

describe("backprop through elementwise ops and a linear layer (seed 000/001 example 3)", () => {
  it("y = σ(x): ∂L/∂x = ∂L/∂y ⊙ σ'(x) (vjp with a random upstream δ)", () => {
    const x = randVec(6, 230);
    const delta = randVec(6, 231);
    const [, back] = vjp((x: Tensor) => mc.sigmoid(x), T(x));
    expectClose((back(T(delta)) as Tensor[])[0]!, vmul(delta, x.map((v) => sigmoid(v) * (1 - sigmoid(v)))));
    const [, backT] = vjp((x: Tensor) => mc.tanh(x), T(x));
    expectClose((backT(T(delta)) as Tensor[])[0]!, vmul(delta, x.map((v) => 1 - Math.tanh(v) ** 2)));
  });

  it("y = Wx + b (W 3×5): vjp gives ∂L/∂W = δxᵀ, ∂L/∂x = Wᵀδ, ∂L/∂b = δ", () => {
    const W = randMat(3, 5, 232);
    const x = randVec(5, 233);
    const b = randVec(3, 234);
    const delta = randVec(3, 235);
    const [y, back] = vjp((W: Tensor, x: Tensor, b: Tensor) => W.matmul(x).add(b), T(W), T(x), T(b));
    expectClose(y as Tensor, vadd(matvec(W, x), b));
    const [gW, gx, gb] = back(T(delta)) as Tensor[];
    expectClose(gW!, outer(delta, x));
    expectClose(gx!, matvec(transpose(W), delta));
    expectClose(gb!, delta);
  });

  it("y = Wx + b with a loss ℓ(y) = ½‖y − t‖² + Σ log(eʸ + e⁻ʸ): grad with argnums [0, 1, 2]", () => {
    const W = randMat(4, 6, 236);
    const x = randVec(6, 237);
    const b = randVec(4, 238);
    const t = randVec(4, 239);
    const y = vadd(matvec(W, x), b);
    const delta = vadd(vsub(y, t), y.map(Math.tanh)); // ∂ℓ/∂y
    const loss = (W: Tensor, x: Tensor, b: Tensor) => {
      const y = W.matmul(x).add(b);
      return mc.sumSquares(y.sub(T(t))).mul(0.5).add(mc.sum(mc.log(mc.add(mc.exp(y), mc.exp(mc.neg(y))))));
    };
    const [gW, gx, gb] = grad(loss, { argnums: [0, 1, 2] })(T(W), T(x), T(b)) as Tensor[];
    expectClose(gW!, outer(delta, x));
    expectClose(gx!, matvec(transpose(W), delta));
    expectClose(gb!, delta);
  });

  it("seed 001 example 3: y = σ(Wx + b) with upstream δ: ∂L/∂z = δ ⊙ σ'(z), ∂W = (∂L/∂z)xᵀ, ∂b, ∂x = Wᵀ∂L/∂z", () => {
    const W = randMat(3, 4, 240);
    const x = randVec(4, 241);
    const b = randVec(3, 242);
    const delta = randVec(3, 243);
    const z = vadd(matvec(W, x), b);
    const dz = vmul(delta, z.map((v) => sigmoid(v) * (1 - sigmoid(v))));
    const [, back] = vjp((W: Tensor, x: Tensor, b: Tensor) => mc.sigmoid(W.matmul(x).add(b)), T(W), T(x), T(b));
    const [gW, gx, gb] = back(T(delta)) as Tensor[];
    expectClose(gW!, outer(dz, x));
    expectClose(gb!, dz);
    expectClose(gx!, matvec(transpose(W), dz));
  });

  it("seed 004: batched layer Z = WX + b·1ᵀ (W 3×4, X 4×6): ∇_W = GXᵀ, ∇_X = WᵀG, ∇_b = G·1", () => {
    const W = randMat(3, 4, 244);
    const X = randMat(4, 6, 245);
    const b = randMat(3, 1, 246);
    const G = randMat(3, 6, 247);
    const [, back] = vjp((W: Tensor, X: Tensor, b: Tensor) => W.matmul(X).add(b), T(W), T(X), T(b));
    const [gW, gX, gb] = back(T(G)) as Tensor[];
    expectClose(gW!, matmul(G, transpose(X)));
    expectClose(gX!, matmul(transpose(W), G));
    expectClose(gb!, G.map((r) => [r.reduce((s, v) => s + v, 0)]));
  });

  it("row batch Y = XWᵀ + b with a bias vector broadcast to every row: ∇_W = GᵀX, ∇_X = GW, ∇_b = Σ rows of G", () => {
    const W = randMat(3, 4, 270);
    const X = randMat(6, 4, 271);
    const b = randVec(3, 272);
    const G = randMat(6, 3, 273);
    const [, back] = vjp((W: Tensor, X: Tensor, b: Tensor) => X.matmul(W.T).add(b), T(W), T(X), T(b));
    const [gW, gX, gb] = back(T(G)) as Tensor[];
    expectClose(gW!, matmul(transpose(G), X));
    expectClose(gX!, matmul(G, W));
    expectClose(gb!, transpose(G).map((r) => r.reduce((s, v) => s + v, 0)));
  });

  it("∇ₓL is the VJP of f with ∇_yL: grad(L∘f) = vjp(f)(∇_y L)", () => {
    const A = randMat(4, 3, 248);
    const x = randVec(3, 249);
    const fx = (x: Tensor) => mc.tanh(T(A).matmul(x));
    const y = matvec(A, x).map(Math.tanh);
    const gy = softmaxJs(y); // ∇_y logsumexp(y)
    const [, back] = vjp(fx, T(x));
    const viaVjp = (back(T(gy)) as Tensor[])[0]!;
    const viaGrad = grad((x: Tensor) => mc.logsumexp(fx(x)))(T(x)) as Tensor;
    const expected = matvec(transpose(matmul(diagMat(y.map((t) => 1 - t * t)), A)), gy);
    expectClose(viaVjp, expected);
    expectClose(viaGrad, expected);
  });
});

describe("seed 004: attention scores S = QKᵀ/√d, P = softmax(S) row-wise, O = PV", () => {
  const nq = 3;
  const nk = 4;
  const d = 2;
  const dv = 5;
  const Q = randMat(nq, d, 250);
  const K = randMat(nk, d, 251);
  const V = randMat(nk, dv, 252);
  const c = 1 / Math.sqrt(d);

  it("dS = (dQ)Kᵀ + Q(dK)ᵀ  (jvp in both arguments)", () => {
    const dQ = randMat(nq, d, 253);
    const dK = randMat(nk, d, 254);
    const [, dS] = jvp((Q: Tensor, K: Tensor) => Q.matmul(K.T), [T(Q), T(K)], [T(dQ), T(dK)]) as [Tensor, Tensor];
    expectClose(dS, add(matmul(dQ, transpose(K)), matmul(Q, transpose(dK))));
  });

  it("gradients of ⟨G, softmax(QKᵀ/√d)V⟩ with respect to Q, K, V against hand-derived backprop", () => {
    const G = randMat(nq, dv, 255);
    const S = scale(matmul(Q, transpose(K)), c);
    const P = S.map(softmaxJs);
    const gV = matmul(transpose(P), G);
    const gP = matmul(G, transpose(V));
    // row-wise softmax backward: gS = P ⊙ (gP − rowsum(gP ⊙ P))
    const gS = P.map((p, i) => {
      const s = p.reduce((acc, pv, j) => acc + pv * gP[i]![j]!, 0);
      return p.map((pv, j) => pv * (gP[i]![j]! - s));
    });
    const gQ = scale(matmul(gS, K), c);
    const gK = scale(matmul(transpose(gS), Q), c);
    const f = (Q: Tensor, K: Tensor, V: Tensor) =>
      mc.dot(T(G), mc.softmax(Q.matmul(K.T).mul(c), -1).matmul(V));
    const [aQ, aK, aV] = grad(f, { argnums: [0, 1, 2] })(T(Q), T(K), T(V)) as Tensor[];
    expectClose(aQ!, gQ);
    expectClose(aK!, gK);
    expectClose(aV!, gV);
  });
});

describe("2-layer tanh MLP with pytree parameters { W1, b1, W2, b2 }", () => {
  // h = tanh(W1 x + b1), o = W2 h + b2, L = ½‖o − t‖²  (x ∈ R⁵, hidden 4, output 3)
  const W1 = randMat(4, 5, 260);
  const b1 = randVec(4, 261);
  const W2 = randMat(3, 4, 262);
  const b2 = randVec(3, 263);
  const x = randVec(5, 264);
  const t = randVec(3, 265);
  type Params = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };
  const params = (): Params => ({ W1: T(W1), b1: T(b1), W2: T(W2), b2: T(b2) });
  const forward = (p: Params, x: Tensor) => p.W2.matmul(mc.tanh(p.W1.matmul(x).add(p.b1))).add(p.b2);
  const loss = (p: Params, x: Tensor) => mc.sumSquares(forward(p, x).sub(T(t))).mul(0.5);

  // hand-derived backprop
  const h = vadd(matvec(W1, x), b1).map(Math.tanh);
  const o = vadd(matvec(W2, h), b2);
  const d2 = vsub(o, t);
  const d1 = vmul(matvec(transpose(W2), d2), h.map((v) => 1 - v * v));
  const L = 0.5 * d2.reduce((s, v) => s + v * v, 0);

  it("valueAndGrad returns L and { W1: δ₁xᵀ, b1: δ₁, W2: δ₂hᵀ, b2: δ₂ }", () => {
    const [v, g] = valueAndGrad(loss)(params(), T(x)) as [Tensor, Params];
    expectClose(v, L);
    expect(Object.keys(g).sort()).toEqual(["W1", "W2", "b1", "b2"]);
    expectClose(g.W1, outer(d1, x));
    expectClose(g.b1, d1);
    expectClose(g.W2, outer(d2, h));
    expectClose(g.b2, d2);
  });

  it("argnums [0, 1]: the input gradient is W1ᵀδ₁", () => {
    const [gp, gx] = grad(loss, { argnums: [0, 1] })(params(), T(x)) as [Params, Tensor];
    expectClose(gp.W2, outer(d2, h));
    expectClose(gx, matvec(transpose(W1), d1));
  });

  it("batched: mean loss over a batch of 6 columns, gradients are averages of per-example backprop", () => {
    const X = randMat(5, 6, 266);
    const Tt = randMat(3, 6, 267);
    const lossB = (p: Params, X: Tensor) => {
      const H = mc.tanh(p.W1.matmul(X).add(mc.reshape(p.b1, [4, 1])));
      const O = p.W2.matmul(H).add(mc.reshape(p.b2, [3, 1]));
      return mc.sumSquares(O.sub(T(Tt))).mul(0.5 / 6);
    };
    const H = map(add(matmul(W1, X), col(b1).map((r) => new Array(6).fill(r[0]))), Math.tanh);
    const O = add(matmul(W2, H), col(b2).map((r) => new Array(6).fill(r[0])));
    const D2 = scale(sub(O, Tt), 1 / 6);
    const D1 = hadamard(matmul(transpose(W2), D2), map(H, (v) => 1 - v * v));
    const rowSum = (M: Mat): Vec => M.map((r) => r.reduce((s, v) => s + v, 0));
    const g = grad(lossB)(params(), T(X)) as Params;
    expectClose(g.W1, matmul(D1, transpose(X)));
    expectClose(g.b1, rowSum(D1));
    expectClose(g.W2, matmul(D2, transpose(H)));
    expectClose(g.b2, rowSum(D2));
  });

  it("agrees with central differences of the loss (seed 001 'Numerically Checking Gradients')", () => {
    const g = grad(loss)(params(), T(x)) as Params;
    const lossJs = (W1v: Mat): number => {
      const hh = vadd(matvec(W1v, x), b1).map(Math.tanh);
      const oo = vadd(matvec(W2, hh), b2);
      return 0.5 * vsub(oo, t).reduce((s, v) => s + v * v, 0);
    };
    const eps = 1e-6;
    const fd = W1.map((row, i) => row.map((_, j) => {
      const P = W1.map((r) => [...r]);
      const M = W1.map((r) => [...r]);
      P[i]![j]! += eps;
      M[i]![j]! -= eps;
      return (lossJs(P) - lossJs(M)) / (2 * eps);
    }));
    expectClose(g.W1, fd, { rtol: 1e-7 });
  });
});
