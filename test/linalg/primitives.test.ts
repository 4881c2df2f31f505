// Differentiable linear algebra: reconstruction, the seeds' identities, derivatives to second
// order in both modes, the Kronecker/commutation structure of Hessians, and typed errors.
import { close as closeTo, general, spd } from "../helpers/linalg.js";
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  NotPositiveDefiniteError, ShapeError, SingularMatrixError, Tensor, checkGrads, grad, hessian, jacobian,
  matrix, randn, tensor,
} from "../../src/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

const close = (a: Tensor, b: Tensor, tol = 1e-10) => closeTo(a, b, tol);

describe.each(BUILDS)("linear algebra primitives ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it("reconstructs: A·solve(A, B) = B, LLᵀ = A, VΛVᵀ = A, inv", () => {
    const A = general(7, 1), B = randn([7, 3], { seed: 2 });
    close(A.matmul(mc.solve(A, B)), B, 1e-13);
    close(A.matmul(mc.solve(A, B.vec().reshape([21]).reshape([7, 3]))), B, 1e-13);
    const S = spd(6, 3);
    const L = mc.cholesky(S);
    close(L.matmul(L.T), S, 1e-13);
    expect(L.get(0, 1)).toBe(0); // lower triangular
    const [w, V] = mc.eigh(S);
    close(V.matmul(mc.diag(w)).matmul(V.T), S, 1e-12);
    close(V.T.matmul(V), mc.eye(6), 1e-12);
    for (let i = 1; i < 6; i++) expect(w.data[i]!).toBeGreaterThanOrEqual(w.data[i - 1]!);
    close(A.matmul(mc.inv(A)), mc.eye(7), 1e-13);
    const b6 = mc.slice(B.sum(1), [0], [6]);
    close(L.matmul(mc.triangularSolve(L, b6, { lower: true })), b6, 1e-12);
  });

  it("det and slogdet agree with a cofactor expansion, including the sign", () => {
    const A = matrix([[2, -1, 0.5], [1, 3, 2], [0, 1, -4]]);
    const cof = 2 * (3 * -4 - 2 * 1) - -1 * (1 * -4 - 2 * 0) + 0.5 * (1 * 1 - 3 * 0);
    expect(mc.det(A).item()).toBeCloseTo(cof, 12);
    const [s, l] = mc.slogdet(A);
    expect(s.item()).toBe(Math.sign(cof));
    expect(l.item()).toBeCloseTo(Math.log(Math.abs(cof)), 13);
    // A row swap flips the sign, not the magnitude.
    const P = matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]]);
    expect(mc.det(P.matmul(A)).item()).toBeCloseTo(-cof, 12);
  });

  it("seeds: ∇log|det X| = X⁻ᵀ, ∇det X = det(X)·X⁻ᵀ, ∇tr(X⁻¹A) = −X⁻ᵀAᵀX⁻ᵀ, SPD path", () => {
    const X = general(5, 4), A = randn([5, 5], { seed: 5 });
    const Xit = mc.inv(X).T;
    close(grad((X: Tensor) => mc.logdet(X))(X), Xit, 1e-12);
    close(grad((X: Tensor) => mc.det(X))(X), Xit.mul(mc.det(X)), 1e-11);
    close(grad((X: Tensor) => mc.trace(mc.inv(X).matmul(A)))(X), Xit.matmul(A.T).matmul(Xit).neg(), 1e-11);
    const S = spd(5, 6);
    expect(mc.logdet(S, { spd: true }).item()).toBeCloseTo(mc.logdet(S).item(), 12);
    // The SPD path's gradient is symmetric: Σ⁻¹.
    close(grad((S: Tensor) => mc.logdet(S, { spd: true }))(S), mc.inv(S), 1e-11);
  });

  it("seeds: d(X⁻¹) = −X⁻¹ dX X⁻¹ as a Jacobian: −(X⁻ᵀ ⊗ X⁻¹) over vec", () => {
    const X = general(4, 7);
    const Xi = mc.inv(X);
    const J = jacobian((X: Tensor) => mc.inv(X))(X);
    close(J, mc.kron(Xi.T, Xi).neg(), 1e-11);
    close(jacobian((X: Tensor) => mc.inv(X), { mode: "rev" })(X), J, 1e-11);
  });

  it("Hessian of log|det X| = −K(X⁻ᵀ ⊗ X⁻¹)... i.e. H·vec(V) = −vec(X⁻ᵀVᵀX⁻ᵀ), via commutation", () => {
    const n = 4;
    const X = general(n, 8);
    const H = hessian((X: Tensor) => mc.logdet(X))(X);
    expect(H.shape).toEqual([n * n, n * n]);
    const Xi = mc.inv(X);
    const K = mc.commutation(n, n).toMatrix();
    // d²/dX² log det X [V, W] = −tr(X⁻¹ V X⁻¹ W): H = −K (X⁻ᵀ ⊗ X⁻¹) over vec.
    close(H, K.matmul(mc.kron(Xi.T, Xi)).neg(), 1e-11);
    close(H, H.T, 1e-11);
    // The commutation operator applies without forming K.
    const v = randn([n * n], { seed: 9 });
    close(mc.commutation(n, n).apply(v), K.matmul(v), 0);
    const Kr = mc.commutation(2, 3);
    const M = matrix([[1, 2, 3], [4, 5, 6]]);
    close(Kr.apply(M.vec()), M.T.vec(), 0);
    close(Kr.toMatrix().matmul(M.vec()), M.T.vec(), 0);
  });

  it("Hessian of tr(X⁻¹A) against its closed form", () => {
    const n = 3;
    const X = general(n, 10), A = randn([n, n], { seed: 11 });
    const f = (X: Tensor) => mc.trace(mc.inv(X).matmul(A));
    const H = hessian(f)(X);
    // d²f[V, W] = tr(X⁻¹VX⁻¹WX⁻¹A) + tr(X⁻¹WX⁻¹VX⁻¹A); check entry by entry.
    const Xi = mc.inv(X);
    const E = (k: number) => { const d = new Float64Array(n * n); d[k] = 1; return tensor(d, [n, n], { order: "col" }); }; // unit at vec index k
    for (let i = 0; i < n * n; i++) for (let j = 0; j < n * n; j++) {
      const V = E(i), W = E(j);
      const t1 = mc.trace(Xi.matmul(V).matmul(Xi).matmul(W).matmul(Xi).matmul(A)).item();
      const t2 = mc.trace(Xi.matmul(W).matmul(Xi).matmul(V).matmul(Xi).matmul(A)).item();
      expect(H.get(i, j)).toBeCloseTo(t1 + t2, 10);
    }
  });

  it("seeds: Gaussian MLE — ∇μ and ∇Σ of the log-likelihood vanish at the sample mean and covariance", () => {
    const N = 50, d = 3;
    const Xs = randn([N, d], { seed: 12 }).matmul(matrix([[1, 0, 0], [0.5, 2, 0], [0.2, -0.3, 0.7]]));
    const mu = Xs.mean(0);
    const C = Xs.sub(mu);
    const Sigma = C.T.matmul(C).div(N);
    const nll = (mu: Tensor, S: Tensor) => {
      const D = Xs.sub(mu);
      const quad = mc.trace(D.matmul(mc.solve(S, D.T)));
      return mc.logdet(S).mul(N / 2).add(quad.mul(0.5));
    };
    const [gm, gS] = grad(nll, { argnums: [0, 1] })(mu, Sigma) as [Tensor, Tensor];
    for (const v of gm.data) expect(Math.abs(v)).toBeLessThan(1e-10);
    for (const v of gS.data) expect(Math.abs(v)).toBeLessThan(1e-10);
    // And not elsewhere: a shifted mean has a gradient.
    const g2 = grad(nll)(mu.add(0.1), Sigma) as Tensor;
    expect(Math.max(...Array.from(g2.data, Math.abs))).toBeGreaterThan(1e-2);
  });

  it("every new primitive through checkGrads to order 2, both modes", () => {
    const A = general(4, 13), B = randn([4, 2], { seed: 14 }), S = spd(4, 15);
    // cholesky, eigh and the SPD logdet read one triangle and are differentiated, as in JAX,
    // as functions of a symmetric matrix; the checker's directions are general, so symmetrize.
    const sym = (X: Tensor) => X.add(X.T).mul(0.5);
    const cases: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
      ["solve", (A, B) => mc.solve(A, B), [A, B]],
      ["inv", (A) => mc.inv(A), [A]],
      ["det", (A) => mc.det(A.div(4)), [A]],
      ["logdet", (A) => mc.logdet(A), [A]],
      ["logdet spd", (S) => mc.logdet(sym(S), { spd: true }), [S]],
      ["cholesky", (S) => mc.cholesky(sym(S)), [S]],
      ["triangularSolve lower", (S, B) => mc.triangularSolve(S, B, { lower: true }), [S, B]],
      ["triangularSolve upperᵀ", (S, B) => mc.triangularSolve(S, B, { lower: false, transA: true }), [S, B]],
      ["triangularSolve right", (S, C) => mc.triangularSolve(S, C, { left: false, lower: true }), [S, B.T]],
      ["eigh values", (S) => mc.eigh(sym(S))[0], [mc.diag(tensor([1, 2, 3.5, 5])).add(spd(4, 16).mul(0.05))]],
      ["eigh vectors (sign-fixed)", (S) => { const V = mc.eigh(sym(S))[1]; return V.mul(mc.sign(mc.stopGradient(V.slice([0, 0], [1, 4])))); }, [mc.diag(tensor([1, 2, 3.5, 5])).add(spd(4, 17).mul(0.05))]],
    ];
    for (const [name, f, args] of cases) {
      const r = checkGrads(f, args, { order: 2, rtol: 2e-5 });
      expect(r.ok, `${name}: ${r.message}`).toBe(true);
    }
  });

  it("typed errors: singular (pivot index), not PD (minor), non-square, NaN", () => {
    const sing = matrix([[1, 2, 3], [2, 4, 6], [1, 0, 1]]);
    const e1 = (() => { try { mc.solve(sing, [1, 2, 3]); } catch (e) { return e; } })();
    expect(e1).toBeInstanceOf(SingularMatrixError);
    expect((e1 as SingularMatrixError).index).toBeGreaterThanOrEqual(1);
    expect((e1 as Error).message).toMatch(/solve.*\[3, 3\].*singular/);
    const notPd = matrix([[4, 2, 0], [2, 1, 0], [0, 0, 1]].map((r, i) => r.map((v, j) => (i === 1 && j === 1 ? 0.5 : v))));
    const e2 = (() => { try { mc.cholesky(notPd); } catch (e) { return e; } })();
    expect(e2).toBeInstanceOf(NotPositiveDefiniteError);
    expect((e2 as NotPositiveDefiniteError).minor).toBe(2);
    expect(() => mc.inv(randn([2, 3], { seed: 1 }))).toThrow(ShapeError);
    expect(() => mc.det(matrix([[1, NaN], [0, 1]]))).toThrow(/NaN or Infinity/);
    expect(mc.det(sing).item()).toBe(0);
    // And the next call works.
    close(mc.solve(general(3, 18), [1, 2, 3]).reshape([3, 1]), mc.solve(general(3, 18), [[1], [2], [3]]), 1e-15);
  });

  // Regression: inv of a singular matrix reported `solve: matrix … is singular` (inv runs a
  // solve inside), logdet(A, { spd: true }) reported `cholesky`, and det/logdet reported
  // `slogdet`. Every error names the op the user called, with the shape and the pivot/minor.
  it("errors name the op the user called: inv, det, logdet, slogdet, logdet spd, triangularSolve", () => {
    const caught = (fn: () => unknown): any => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      throw new Error("expected a throw");
    };
    const sing = matrix([[1, 2, 3], [2, 4, 6], [1, 0, 1]]);
    const viaSolve = caught(() => mc.solve(sing, [1, 2, 3]));
    expect(viaSolve.op).toBe("solve");
    const singular = (e: any, op: string, shape = "[3, 3]"): void => {
      expect(e).toBeInstanceOf(SingularMatrixError);
      expect(e.op).toBe(op);
      expect(e.index).toBe(viaSolve.index); // the pivot index is kept
      expect(e.message).toBe(`${op}: matrix of shape ${shape} is singular (zero pivot at index ${viaSolve.index})`);
    };
    // inv: eagerly, as a method, under grad, under vmap, and replayed by jit.
    singular(caught(() => mc.inv(sing)), "inv");
    singular(caught(() => sing.inv()), "inv");
    singular(caught(() => grad((X: Tensor) => mc.inv(X).sum())(sing)), "inv");
    const batch = tensor([[[2, 0], [0, 2]], [[1, 2], [2, 4]]]); // member 1 is singular
    const eb = caught(() => mc.vmap((X: Tensor) => mc.inv(X))(batch));
    expect(eb).toBeInstanceOf(SingularMatrixError);
    expect(eb.op).toBe("inv");
    expect(eb.message).toMatch(/^inv: matrix of shape \[2, 2\] is singular \(zero pivot at index 1\)$/);
    const jinv = mc.jit((X: Tensor) => mc.inv(X));
    jinv(mc.eye(2)); // recorded
    const ej = caught(() => jinv(matrix([[1, 2], [2, 4]]))); // replayed
    expect(ej).toBeInstanceOf(SingularMatrixError);
    expect(ej.op).toBe("inv");
    expect(ej.index).toBe(1);
    // det, logdet, slogdet: singular values are fine (0, −∞), their derivatives need A⁻¹.
    expect(mc.det(sing).item()).toBe(0);
    expect(mc.logdet(sing).item()).toBe(-Infinity);
    expect(mc.slogdet(sing).map((t) => t.item())).toEqual([0, -Infinity]);
    singular(caught(() => grad((X: Tensor) => mc.det(X))(sing)), "det");
    singular(caught(() => grad((X: Tensor) => mc.logdet(X))(sing)), "logdet");
    singular(caught(() => grad((X: Tensor) => mc.slogdet(X)[1])(sing)), "slogdet");
    singular(caught(() => hessian((X: Tensor) => mc.logdet(X))(sing)), "logdet");
    // Shape and NaN errors name them too.
    for (const [op, f] of [["inv", mc.inv], ["det", mc.det], ["logdet", mc.logdet], ["slogdet", mc.slogdet],
      ["logdet", (a: Tensor) => mc.logdet(a, { spd: true })]] as const) {
      const es = caught(() => f(randn([2, 3], { seed: 1 })));
      expect(es, op).toBeInstanceOf(ShapeError);
      expect(es.op).toBe(op);
      expect(es.message).toBe(`${op}: expects a square matrix (shapes [2, 3])`);
      const en = caught(() => f(matrix([[1, NaN], [0, 1]])));
      expect(en, op).toBeInstanceOf(mc.DTypeError);
      expect(en.message).toBe(`${op}: matrix of shape [2, 2] contains NaN or Infinity`);
    }
    // logdet's Cholesky path names logdet, with the failing minor; cholesky itself names cholesky.
    const notPd = matrix([[1, 2, 0], [2, 1, 0], [0, 0, 1]]);
    const ep = caught(() => mc.logdet(notPd, { spd: true }));
    expect(ep).toBeInstanceOf(NotPositiveDefiniteError);
    expect(ep.op).toBe("logdet");
    expect(ep.minor).toBe(2);
    expect(ep.message).toBe("logdet: matrix of shape [3, 3] is not positive definite (leading minor of order 2 fails)");
    expect(caught(() => grad((X: Tensor) => mc.logdet(X, { spd: true }))(notPd)).op).toBe("logdet");
    expect(caught(() => mc.cholesky(notPd)).op).toBe("cholesky");
    // triangularSolve is itself the user's op: a zero diagonal entry names it, with its index.
    const Lz = matrix([[2, 0, 0], [1, 0, 0], [1, 1, 3]]);
    for (const opts of [{}, { transA: true }, { left: false }, { lower: false }]) {
      const et = caught(() => mc.triangularSolve(Lz, opts.left === false ? [[1, 2, 3]] : [1, 2, 3], opts));
      expect(et).toBeInstanceOf(SingularMatrixError);
      expect(et.op).toBe("triangularSolve");
      expect(et.index).toBe(1);
      expect(et.message).toBe("triangularSolve: matrix of shape [3, 3] is singular (zero pivot at index 1)");
    }
    expect(mc.triangularSolve(Lz, [1, 2, 3], { unitDiagonal: true }).toArray()).toEqual([1, 1, 1]);
    // And the next call works.
    close(mc.inv(matrix([[2, 0], [0, 4]])), matrix([[0.5, 0], [0, 0.25]]), 0);
  });

  it("ill-conditioned SPD matrices (cond up to 1e10) reconstruct", () => {
    const n = 12;
    const [, Q] = mc.eigh(spd(n, 19));
    const lam = tensor(Array.from({ length: n }, (_, i) => 10 ** (-10 * i / (n - 1))));
    const S = Q.mul(lam).matmul(Q.T);
    const Ssym = S.add(S.T).mul(0.5);
    const L = mc.cholesky(Ssym);
    close(L.matmul(L.T), Ssym, 1e-12);
    const x = randn([n], { seed: 20 });
    const b = Ssym.matmul(x);
    const xs = mc.solve(Ssym, b);
    // Forward error is bounded by cond·ε; the residual is small regardless.
    close(Ssym.matmul(xs), b, 1e-12);
  });
});
