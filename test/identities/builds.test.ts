// The central identities again, at larger and odd sizes (SIMD remainder paths, blocked GEMM
// edges, several Jacobian chunks), under every kernel build: relaxed SIMD (where the host
// validates it: Chromium, Node ≥ 22, Node 20 with --experimental-wasm-relaxed-simd), SIMD, scalar.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  grad, hessian, hvp, init, jacobian, kernelBuild, relaxedSimdSupported, simdSupported, type KernelBuild, type Tensor,
} from "../../src/index.js";
import {
  T, add, diagMat, expectClose, eye, hadamard, kron, map, matmul, matvec, maxAbs, outer, randMat, randVec, scale,
  softmaxJs, solve, sub, transpose, unvec, vecOf, type Mat,
} from "./helpers.js";

const builds: { name: KernelBuild; supported: () => boolean }[] = [
  { name: "relaxed-simd", supported: relaxedSimdSupported },
  { name: "simd", supported: simdSupported },
  { name: "scalar", supported: () => true },
];

for (const build of builds) {
  describe.skipIf(!build.supported())(`${build.name} build`, () => {
    beforeAll(async () => {
      await init({ build: build.name });
      expect(kernelBuild()).toBe(build.name);
    });

    it("∂(xᵀAx)/∂x = (A + Aᵀ)x and ∇² = A + Aᵀ, n = 37", () => {
      const A = randMat(37, 37, 600);
      const x = randVec(37, 601);
      const f = (x: Tensor) => x.dot(T(A).matmul(x));
      const S = add(A, transpose(A));
      expectClose(grad(f)(T(x)), matvec(S, x));
      expectClose(hessian(f)(T(x)), S);
    });

    it("∂tr(ABAᵀ)/∂A = A(B + Bᵀ), A 11×13", () => {
      const A = randMat(11, 13, 602);
      const B = randMat(13, 13, 603);
      expectClose(grad((A: Tensor) => mc.trace(A.matmul(T(B)).matmul(A.T)))(T(A)), matmul(A, add(B, transpose(B))));
    });

    it("jacobian(X ↦ AXB) = Bᵀ ⊗ A, A 7×9, X 9×11, B 11×5 (35×99), fwd/rev, chunks 128 and 16", () => {
      const A = randMat(7, 9, 604);
      const X = randMat(9, 11, 605);
      const B = randMat(11, 5, 606);
      const K = kron(transpose(B), A);
      const f = (X: Tensor) => T(A).matmul(X).matmul(T(B));
      for (const mode of ["fwd", "rev"] as const) {
        expectClose(jacobian(f, { mode })(T(X)), K, { label: mode });
        expectClose(jacobian(f, { mode, chunkSize: 16, layout: "denominator" })(T(X)), transpose(K), { label: `${mode} chunk 16 den` });
      }
    });

    it("∇²½‖AX − B‖²_F = I ⊗ AᵀA, A 13×7, X 7×6 (42×42); hvp = AᵀAV", () => {
      const A = randMat(13, 7, 607);
      const X = randMat(7, 6, 608);
      const B = randMat(13, 6, 609);
      const V = randMat(7, 6, 610);
      const f = (X: Tensor) => mc.sumSquares(T(A).matmul(X).sub(T(B))).mul(0.5);
      const AtA = matmul(transpose(A), A);
      expectClose(hessian(f)(T(X)), kron(eye(6), AtA));
      expectClose(hvp(f)(T(X), T(V)), matmul(AtA, V));
      expectClose(grad(f)(T(X)), matmul(transpose(A), sub(matmul(A, X), B)));
    });

    it("softmax Jacobian diag(p) − ppᵀ, n = 33", () => {
      const z = randVec(33, 611);
      const p = softmaxJs(z);
      const J = sub(diagMat(p), outer(p, p));
      expectClose(jacobian((z: Tensor) => mc.softmax(z), { mode: "rev" })(T(z)), J, { rtol: 1e-9 });
      expectClose(jacobian((z: Tensor) => mc.softmax(z), { mode: "fwd" })(T(z)), J, { rtol: 1e-9 });
    });

    it("2-layer tanh MLP backprop, 17 → 13 → 7 with a batch of 11", () => {
      const W1 = randMat(13, 17, 612);
      const b1 = randVec(13, 613);
      const W2 = randMat(7, 13, 614);
      const b2 = randVec(7, 615);
      const X = randMat(17, 11, 616);
      const Y = randMat(7, 11, 617);
      const rep = (b: number[], k: number): Mat => b.map((v) => new Array(k).fill(v));
      const H = map(add(matmul(W1, X), rep(b1, 11)), Math.tanh);
      const O = add(matmul(W2, H), rep(b2, 11));
      const D2 = sub(O, Y);
      const D1 = hadamard(matmul(transpose(W2), D2), map(H, (v) => 1 - v * v));
      type P = { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor };
      const loss = (p: P) => {
        const Hh = mc.tanh(p.W1.matmul(T(X)).add(mc.reshape(p.b1, [13, 1])));
        return mc.sumSquares(p.W2.matmul(Hh).add(mc.reshape(p.b2, [7, 1])).sub(T(Y))).mul(0.5);
      };
      const g = grad(loss)({ W1: T(W1), b1: T(b1), W2: T(W2), b2: T(b2) }) as P;
      expectClose(g.W1, matmul(D1, transpose(X)));
      expectClose(g.b1, D1.map((r) => r.reduce((s, v) => s + v, 0)));
      expectClose(g.W2, matmul(D2, transpose(H)));
      expectClose(g.b2, D2.map((r) => r.reduce((s, v) => s + v, 0)));
    });

    it("kronMatVec(A, B, x) = (A ⊗ B)x and its Jacobian A ⊗ B, A 7×5, B 3×9", () => {
      const A = randMat(7, 5, 618);
      const B = randMat(3, 9, 619);
      const x = randVec(45, 620);
      const K = kron(A, B);
      expectClose(mc.kronMatVec(T(A), T(B), T(x)), matvec(K, x));
      expectClose(mc.kron(T(A), T(B)), K, { rtol: 0 });
      expectClose(jacobian((x: Tensor) => mc.kronMatVec(T(A), T(B), x), { mode: "rev" })(T(x)), K);
      expectClose(vecOf(matmul(matmul(B, unvec(x, 9, 5)), transpose(A))), matvec(K, x));
    });

    it("OLS gradient vanishes at the normal-equation solution, n = 41, d = 9", () => {
      const X = randMat(41, 9, 621);
      const y = randVec(41, 622);
      const w = solve(matmul(transpose(X), X), matvec(transpose(X), y));
      const g = grad((w: Tensor) => mc.sumSquares(T(X).matmul(w).sub(T(y))))(T(w));
      expectClose(g, new Array(9).fill(0), { atol: 1e-12 * 2 * 41 * maxAbs(X) * maxAbs(y) });
      const w2 = randVec(9, 623);
      expectClose(grad((w: Tensor) => mc.sumSquares(T(X).matmul(w).sub(T(y))))(T(w2)), scale([matvec(transpose(X), matvec(X, w2).map((v, i) => v - y[i]!))], 2)[0]!);
    });

    it("∂(aᵀXb)/∂X = abᵀ, X 19×23", () => {
      const a = randVec(19, 624);
      const b = randVec(23, 625);
      expectClose(grad((X: Tensor) => T(a).matmul(X).matmul(T(b)))(T(randMat(19, 23, 626))), outer(a, b));
    });
  });
}
