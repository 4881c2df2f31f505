// Regression and classification losses: seed 001 example 1 (OLS, normal equations) and
// example 2 (Gaussian MLE), seed 002 A.6–A.8 (MSE, ridge with nλ, Einstein-summation form),
// seed 000/001 softmax + cross-entropy (p − y), seed 004 least squares ‖AX − B‖²_F and the
// Newton step for quadratics (seed 001). Reference solutions come from a plain-JS solver.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hessian, valueAndGrad, type Tensor } from "../../src/index.js";
import {
  T, add, detLeibniz, expectClose, eye, inv, invAdjugate, matmul, matvec, maxAbs, outer, randMat, randSpd, randVec, scale,
  softmaxJs, solve, sub, transpose, useKernels, vadd, vecOf, vscale, vsub, type Mat, type Vec,
} from "./helpers.js";

useKernels();

// A tall, well-conditioned design: n = 9 observations, d = 4 features.
const nObs = 9;
const d = 4;
const X = randMat(nObs, d, 300);
const y = randVec(nObs, 301);
const Xt = transpose(X);
const XtX = matmul(Xt, X);
const Xty = matvec(Xt, y);
const gradScale = 2 * maxAbs(Xt) * maxAbs(y) * nObs; // the size of the terms that cancel at a minimum

const sse = (w: Tensor) => mc.sumSquares(T(X).matmul(w).sub(T(y)));

describe("OLS (seed 001 example 1, seed 002 A.6/A.8)", () => {
  it("∇‖Xw − y‖² = 2Xᵀ(Xw − y) at a random w", () => {
    const w = randVec(d, 302);
    expectClose(grad(sse)(T(w)), vscale(matvec(Xt, vsub(matvec(X, w), y)), 2));
  });

  it("term by term: ∇(wᵀXᵀXw) = 2XᵀXw, ∇(−2yᵀXw) = −2Xᵀy, ∇(yᵀy) = 0", () => {
    const w = randVec(d, 303);
    expectClose(grad((w: Tensor) => w.dot(T(XtX).matmul(w)))(T(w)), vscale(matvec(XtX, w), 2));
    expectClose(grad((w: Tensor) => T(y).dot(T(X).matmul(w)).mul(-2))(T(w)), vscale(Xty, -2));
    expectClose(grad((w: Tensor) => w.mul(0).sum().add(T(y).dot(T(y))))(T(w)), new Array(d).fill(0));
  });

  it("the gradient vanishes at the normal-equation solution w* = (XᵀX)⁻¹Xᵀy, and only there", () => {
    const wStar = solve(XtX, Xty);
    const g = grad(sse)(T(wStar)) as Tensor;
    expectClose(g, new Array(d).fill(0), { atol: 1e-12 * gradScale });
    // a small perturbation of w* gives the (non-zero) gradient 2XᵀX·δ
    const delta = vscale(randVec(d, 304), 1e-3);
    expectClose(grad(sse)(T(vadd(wStar, delta))), vscale(matvec(XtX, delta), 2), { rtol: 1e-6, atol: 1e-12 * gradScale });
    expect(maxAbs(grad(sse)(T(vadd(wStar, delta))) as Tensor)).toBeGreaterThan(1e-4);
  });

  it("MSE (1/n)‖Xθ − Y‖² has gradient (2/n)Xᵀ(Xθ − Y)  (mean op)", () => {
    const th = randVec(d, 305);
    const mse = (th: Tensor) => mc.mean(mc.square(T(X).matmul(th).sub(T(y))));
    expectClose(grad(mse)(T(th)), vscale(matvec(Xt, vsub(matvec(X, th), y)), 2 / nObs));
  });

  it("A.8 Einstein form: (1/n)(Xθ − Y)ᵀ(Xθ − Y) has the same gradient", () => {
    const th = randVec(d, 306);
    const f = (th: Tensor) => {
      const r = T(X).matmul(th).sub(T(y));
      return r.matmul(r).div(nObs);
    };
    expectClose(grad(f)(T(th)), vscale(matvec(Xt, vsub(matvec(X, th), y)), 2 / nObs));
  });

  it("seed 001: one Newton step w − H⁻¹∇L from any w lands on w* (quadratic)", () => {
    const w0 = randVec(d, 307);
    const H = hessian(sse)(T(w0)).toArray() as Mat;
    expectClose(H, scale(XtX, 2), { rtol: 1e-12 });
    const g = (grad(sse)(T(w0)) as Tensor).toArray() as Vec;
    const w1 = vsub(w0, solve(H, g));
    expectClose(w1, solve(XtX, Xty), { rtol: 1e-9 });
  });

  it("multi-output least squares: ∇‖AX − B‖²_F vanishes at X* = (AᵀA)⁻¹AᵀB", () => {
    const A = randMat(7, 3, 308);
    const B = randMat(7, 2, 309);
    const Xs = solve(matmul(transpose(A), A), matmul(transpose(A), B));
    const g = grad((Xm: Tensor) => mc.sumSquares(T(A).matmul(Xm).sub(T(B))))(T(Xs));
    expectClose(g, [[0, 0], [0, 0], [0, 0]], { atol: 1e-12 * 2 * 7 * maxAbs(A) * maxAbs(B) });
  });
});

describe("ridge regression (seed 002 A.7)", () => {
  const lambda = 0.37;

  it("∇(‖Xw − y‖² + λ‖w‖²) = 2Xᵀ(Xw − y) + 2λw", () => {
    const w = randVec(d, 310);
    const f = (w: Tensor) => sse(w).add(mc.sumSquares(w).mul(lambda));
    expectClose(grad(f)(T(w)), vadd(vscale(matvec(Xt, vsub(matvec(X, w), y)), 2), vscale(w, 2 * lambda)));
  });

  it("the gradient vanishes at (XᵀX + λI)⁻¹Xᵀy", () => {
    const f = (w: Tensor) => sse(w).add(mc.sumSquares(w).mul(lambda));
    const wR = solve(add(XtX, scale(eye(d), lambda)), Xty);
    expectClose(grad(f)(T(wR)), new Array(d).fill(0), { atol: 1e-12 * gradScale });
  });

  it("(1/n)‖Xθ − Y‖² + λ‖θ‖² vanishes at (XᵀX + nλI)⁻¹XᵀY, not at (XᵀX + λI)⁻¹XᵀY", () => {
    const J = (th: Tensor) => mc.mean(mc.square(T(X).matmul(th).sub(T(y)))).add(mc.sumSquares(th).mul(lambda));
    const thStar = solve(add(XtX, scale(eye(d), nObs * lambda)), Xty);
    expectClose(grad(J)(T(thStar)), new Array(d).fill(0), { atol: 1e-12 * gradScale / nObs });
    const wrong = solve(add(XtX, scale(eye(d), lambda)), Xty);
    expect(maxAbs(grad(J)(T(wrong)) as Tensor)).toBeGreaterThan(1e-3);
  });
});

describe("softmax + cross-entropy (seed 000/001): ∂L/∂z = p − y", () => {
  const K = 6;
  const z = randVec(K, 320);
  const p = softmaxJs(z);

  it("one-hot y: −Σ yₖ log softmax(z)ₖ (logSoftmax and log∘softmax)", () => {
    const yv = new Array(K).fill(0);
    yv[2] = 1;
    const ce1 = (z: Tensor) => mc.neg(mc.dot(T(yv), mc.logSoftmax(z)));
    const ce2 = (z: Tensor) => mc.neg(mc.dot(T(yv), mc.log(mc.softmax(z))));
    const [v, g] = valueAndGrad(ce1)(T(z)) as [Tensor, Tensor];
    expectClose(v, -Math.log(p[2]!));
    expectClose(g, vsub(p, yv));
    expectClose(grad(ce2)(T(z)), vsub(p, yv));
  });

  it("soft labels (Σ y = 1): still p − y; the form logsumexp(z) − yᵀz too", () => {
    const yv = softmaxJs(randVec(K, 321));
    expectClose(grad((z: Tensor) => mc.neg(mc.dot(T(yv), mc.logSoftmax(z))))(T(z)), vsub(p, yv));
    expectClose(grad((z: Tensor) => mc.logsumexp(z).sub(mc.dot(T(yv), z)))(T(z)), vsub(p, yv));
  });

  it("large logits (|z| ~ 800) stay finite: still p − y", () => {
    const zl = z.map((v) => 800 * v);
    const yv = new Array(K).fill(0);
    yv[0] = 1;
    const g = grad((z: Tensor) => mc.neg(mc.dot(T(yv), mc.logSoftmax(z))))(T(zl));
    expectClose(g, vsub(softmaxJs(zl), yv), { rtol: 1e-12 });
  });

  it("a batch B×K (rows are examples), mean CE: ∂L/∂Z = (P − Y)/B", () => {
    const B = 4;
    const Z = randMat(B, K, 322);
    const Y = Array.from({ length: B }, (_, b) => Array.from({ length: K }, (_, k) => (k === (b * 2 + 1) % K ? 1 : 0)));
    const L = (Z: Tensor) => mc.neg(mc.sum(mc.mul(T(Y), mc.logSoftmax(Z, -1)))).div(B);
    expectClose(grad(L)(T(Z)), scale(sub(Z.map(softmaxJs), Y), 1 / B));
  });

  it("through a linear classifier z = Wx: ∂L/∂W = (p − y)xᵀ", () => {
    const W = randMat(K, 3, 323);
    const xv = randVec(3, 324);
    const yv = new Array(K).fill(0);
    yv[4] = 1;
    const pz = softmaxJs(matvec(W, xv));
    const g = grad((W: Tensor) => mc.neg(mc.dot(T(yv), mc.logSoftmax(W.matmul(T(xv))))))(T(W));
    expectClose(g, outer(vsub(pz, yv), xv));
  });
});

describe("Gaussian MLE (seed 001 example 2)", () => {
  const N = 20;
  const p = 3;
  const data = randMat(N, p, 330).map((r, i) => r.map((v, j) => v + (j + 1) * 0.5 + (i % 2) * 0.1));
  const mean = Array.from({ length: p }, (_, j) => data.reduce((s, r) => s + r[j]!, 0) / N);
  const S = (mu: Vec): Mat => data.reduce((acc, r) => add(acc, outer(vsub(r, mu), vsub(r, mu))), scale(eye(p), 0));

  it("mean: ∇_μ ℓ = Σ⁻¹ Σᵢ (xᵢ − μ), zero at the sample mean (Σ fixed)", () => {
    const Sigma = randSpd(p, 331);
    const P = inv(Sigma);
    const ell = (mu: Tensor) => {
      let acc: Tensor = mc.scalar(0);
      for (const r of data) {
        const e = T(r).sub(mu);
        acc = acc.add(e.dot(T(P).matmul(e)));
      }
      return acc.mul(-0.5);
    };
    const mu = randVec(p, 332);
    const sumRes = data.reduce((s, r) => vadd(s, vsub(r, mu)), new Array(p).fill(0));
    expectClose(grad(ell)(T(mu)), matvec(P, sumRes));
    expectClose(grad(ell)(T(mean)), new Array(p).fill(0), { atol: 1e-11 * N * maxAbs(P) * maxAbs(data) });
  });

  it("covariance: ∇_Σ [−(N/2) log det Σ − ½ tr(Σ⁻¹S)] = ½(Σ⁻¹SΣ⁻¹ − NΣ⁻¹), zero at Σ̂ = S/N", () => {
    // log det through the Leibniz det and Σ⁻¹ through the adjugate (no native logdet/inv yet)
    const Sm = S(mean);
    const ell = (Sig: Tensor) =>
      mc.log(detLeibniz(Sig)).mul(-N / 2).sub(mc.trace(invAdjugate(Sig).matmul(T(Sm))).mul(0.5));
    const Sig = randSpd(p, 333);
    const Si = inv(Sig);
    const expected = scale(sub(matmul(matmul(Si, Sm), Si), scale(Si, N)), 0.5);
    expectClose(grad(ell)(T(Sig)), expected, { rtol: 1e-9 });
    const SigHat = scale(Sm, 1 / N);
    expectClose(grad(ell)(T(SigHat)), scale(eye(p), 0), { atol: 1e-9 * N * maxAbs(inv(SigHat)) });
    // and the sample covariance is exactly what the reference says
    expectClose(vecOf(SigHat), vecOf(scale(data.reduce((acc, r) => add(acc, outer(vsub(r, mean), vsub(r, mean))), scale(eye(p), 0)), 1 / N)), { rtol: 1e-14 });
  });
});
