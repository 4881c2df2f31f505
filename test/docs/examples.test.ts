// The documented examples, run. Every `@example` in src/** (and the README's quick start and
// seed identities) that states a result in a comment is reproduced here as literally as a test
// allows, and the stated result is asserted: exact where the comment gives an exact number,
// to rounding where it says "≈" / "to rounding" or gives a formula. If an example changes,
// change it here too (and the other way round). Runs against both kernel builds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  DTypeError, MemoryLimitError, NotPositiveDefiniteError, ReleasedTensorError, ShapeError, SingularMatrixError, Tensor,
  abs, add, atan, broadcastTo, checkGrad, checkGrads, checkHessian, checkJacobian, cholesky, commutation, concat, cos, det,
  diag, div, dot, eigh, eq, exp, expm1, eye, full, ge, grad, gt, hessian, hvp, init, inv, jacobian, jvp, kron, kronMatVec,
  le, linearize, log, log1p, logSoftmax, logdet, logsumexp, lt, matmul, matrix, max, maximum, mean, minimum, mul, ne, neg,
  norm, ones, outer, pow, randn, reciprocal, relu, reshape, scalar, sigmoid, sign, simdSupported, sin, slice, slogdet,
  softmax, softplus, solve, sqrt, square, stopGradient, sub, sum, sumSquares, tanh, tensor, trace, transpose,
  triangularSolve, usingSimd, valueAndGrad, vec, vector, vjp, vmap, where, zeros, zerosLike,
} from "../../src/index.js";
import { leastSquares, minimize } from "../../src/optim/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

type Nested = number | Nested[];

/** Entry-by-entry comparison of nested arrays (or numbers) to a relative tolerance. */
function near(actual: unknown, expected: Nested, rtol = 1e-12, atol = 1e-12): void {
  if (typeof expected === "number") {
    expect(typeof actual).toBe("number");
    const a = actual as number;
    expect(Math.abs(a - expected)).toBeLessThanOrEqual(atol + rtol * Math.abs(expected));
    return;
  }
  expect(Array.isArray(actual)).toBe(true);
  const arr = actual as unknown[];
  expect(arr.length).toBe(expected.length);
  expected.forEach((e, i) => near(arr[i], e, rtol, atol));
}

/** The error `fn` throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

const arr = (t: Tensor): unknown => t.toArray();

describe.each(BUILDS)("documented examples ($name build)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  // ---- src/core/tensor.ts ----

  it("Tensor (class example)", () => {
    const A = matrix([[1, 2], [3, 4]]);
    expect(A.shape).toEqual([2, 2]);
    expect([...A.data]).toEqual([1, 3, 2, 4]);
    expect(A.matmul([1, 1]).toArray()).toEqual([3, 7]);
    expect(A.T.toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it("tensor, matrix, vector, scalar", () => {
    expect(tensor(3).shape).toEqual([]);
    expect(tensor([[1, 2, 3], [4, 5, 6]]).shape).toEqual([2, 3]);
    expect(arr(tensor([1, 2, 3, 4, 5, 6], [2, 3]))).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(arr(tensor(new Float64Array([1, 4, 2, 5, 3, 6]), [2, 3], { order: "col" }))).toEqual([[1, 2, 3], [4, 5, 6]]);
    const A = matrix([[1, 2, 3], [4, 5, 6]]);
    expect(A.shape).toEqual([2, 3]);
    expect(A.get(1, 0)).toBe(4);
    expect(vector([1, 2, 3]).shape).toEqual([3]);
    expect(vector(new Float64Array([1, 2])).toArray()).toEqual([1, 2]);
    const s = scalar(2);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(2);
  });

  it("full, zeros, ones, eye, randn", () => {
    expect(full([2, 2], 7).toArray()).toEqual([[7, 7], [7, 7]]);
    expect(zeros([2, 3]).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(eye(2).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const X = randn([3, 2], { seed: 42 });
    expect(X.shape).toEqual([3, 2]);
    expect([...randn([4], { seed: 1 }).data]).toEqual([...randn([4], { seed: 1 }).data]);
  });

  it("Tensor.toArray, item, get, toString", () => {
    expect(matrix([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(scalar(5).toArray()).toBe(5);
    expect(vector([1, 2, 3]).sum().item()).toBe(6);
    const A = matrix([[1, 2], [3, 4]]);
    expect(A.get(1, 0)).toBe(3);
    expect(A.get(-1, -1)).toBe(4);
    expect(String(matrix([[1, 2], [3, 4]]))).toBe("Tensor [2, 2]\n[[1, 2],\n [3, 4]]"); // toString (test/node/format.test.ts has the rest)
  });

  it("Tensor arithmetic methods", () => {
    expect(vector([1, 2]).add(10).toArray()).toEqual([11, 12]);
    expect(matrix([[1, 2], [3, 4]]).add([10, 20]).toArray()).toEqual([[11, 22], [13, 24]]);
    expect(vector([5, 7]).sub([1, 2]).toArray()).toEqual([4, 5]);
    expect(vector([1, 2, 3]).mul(2).toArray()).toEqual([2, 4, 6]);
    expect(vector([1, 2]).div(4).toArray()).toEqual([0.25, 0.5]);
    expect(vector([2, 3]).pow(2).toArray()).toEqual([4, 9]);
    expect(vector([-1, 2]).maximum(0).toArray()).toEqual([0, 2]);
    expect(vector([-1, 2]).minimum(0).toArray()).toEqual([-1, 0]);
  });

  it("Tensor elementwise methods", () => {
    expect(vector([1, -2]).neg().toArray()).toEqual([-1, 2]);
    expect(vector([-2, 3]).abs().toArray()).toEqual([2, 3]);
    expect(vector([4, 9]).sqrt().toArray()).toEqual([2, 3]);
    expect(vector([-3, 2]).square().toArray()).toEqual([9, 4]);
    near(vector([0, 1]).exp().toArray(), [1, 2.718281828459045]);
    near(vector([1, Math.E]).log().toArray(), [0, 1]);
    near(scalar(1e-20).log1p().item(), 1e-20, 1e-15, 0);
    expect(Math.log(1 + 1e-20)).toBe(0);
    near(scalar(1e-20).expm1().item(), 1e-20, 1e-15, 0);
    expect(Math.exp(1e-20) - 1).toBe(0);
    near(vector([0, Math.PI / 2]).sin().toArray(), [0, 1]);
    near(vector([0, Math.PI]).cos().toArray(), [1, -1]);
    near(vector([0, 1]).atan().toArray(), [0, 0.7853981633974483]);
    near(vector([0, 1000]).tanh().toArray(), [0, 1]);
    near(vector([0, 800, -800]).sigmoid().toArray(), [0.5, 1, 0]);
    expect(vector([-1, 0, 2]).relu().toArray()).toEqual([0, 0, 2]);
    near(vector([0, 1000]).softplus().toArray(), [0.6931471805599453, 1000]);
  });

  it("Tensor linear-algebra, reduction and structure methods", () => {
    expect(matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()).toEqual([3, 7]);
    expect(vector([1, 2, 3]).dot([4, 5, 6]).item()).toBe(32);
    expect(vector([1, 2]).outer([3, 4]).toArray()).toEqual([[3, 4], [6, 8]]);
    expect(matrix([[1, 2], [3, 4]]).transpose().toArray()).toEqual([[1, 3], [2, 4]]);
    expect(matrix([[1, 2, 3]]).T.shape).toEqual([3, 1]);
    expect(matrix([[1, 2], [3, 4]]).sum().item()).toBe(10);
    expect(matrix([[1, 2], [3, 4]]).sum(1).toArray()).toEqual([3, 7]);
    expect(matrix([[1, 2], [3, 4]]).mean(0).toArray()).toEqual([2, 3]);
    expect(matrix([[1, 5], [7, 2]]).max(1).toArray()).toEqual([5, 7]);
    expect(vector([1, 2, 3, 4]).reshape([2, 2]).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(matrix([[1, 2], [3, 4]]).vec().toArray()).toEqual([1, 3, 2, 4]);
    expect(matrix([[1, 2], [3, 4]]).trace().item()).toBe(5);
    expect(matrix([[1, 2], [3, 4]]).diag().toArray()).toEqual([1, 4]);
    near(vector([3, -4]).norm().item(), 5);
    expect(vector([3, -4]).norm(1).item()).toBe(7);
    near(vector([0, 0]).softmax().toArray(), [0.5, 0.5]);
    near(vector([0, 0]).logSoftmax().toArray(), [-0.6931471805599453, -0.6931471805599453]);
    near(vector([1000, 1000]).logsumexp().item(), 1000.6931471805599);
    expect(vector([1, 2, 3, 4]).slice([1], [2]).toArray()).toEqual([2, 3]);
    expect(vector([1, 2, 3, 4]).slice([1]).toArray()).toEqual([2, 3, 4]);
    near(matrix([[2, 0], [0, 4]]).inv().toArray(), [[0.5, 0], [0, 0.25]]);
    near(matrix([[2, 0], [0, 4]]).solve([2, 4]).toArray(), [1, 1]);
    near(matrix([[2, 0], [0, 3]]).det().item(), 6);
    near(matrix([[2, 0], [0, 3]]).logdet({ spd: true }).item(), 1.791759469228055);
    near(matrix([[4, 2], [2, 5]]).cholesky().toArray(), [[2, 0], [1, 2]]);
  });

  // ---- src/ops/elementwise.ts ----

  it("unary ops", () => {
    expect(neg([1, -2]).toArray()).toEqual([-1, 2]);
    near(exp([0, 1]).toArray(), [1, 2.718281828459045]);
    near(log([1, Math.E]).toArray(), [0, 1]);
    near(log1p(1e-20).item(), 1e-20, 1e-15, 0);
    near(expm1(1e-20).item(), 1e-20, 1e-15, 0);
    expect(sqrt([4, 9]).toArray()).toEqual([2, 3]);
    expect(square([-3, 2]).toArray()).toEqual([9, 4]);
    expect(reciprocal([2, 4]).toArray()).toEqual([0.5, 0.25]);
    near(sin([0, Math.PI / 2]).toArray(), [0, 1]);
    near(cos([0, Math.PI]).toArray(), [1, -1]);
    near(atan([0, 1]).toArray(), [0, 0.7853981633974483]);
    near(tanh([0, 1000, -1000]).toArray(), [0, 1, -1]);
    near(sigmoid([0, 800, -800]).toArray(), [0.5, 1, 0]);
    near(softplus([0, 1000]).toArray(), [0.6931471805599453, 1000]);
    expect(abs([-2, 0, 3]).toArray()).toEqual([2, 0, 3]);
    expect(grad((x: Tensor) => abs(x).sum())(vector([-2, 0, 3])).toArray()).toEqual([-1, 0, 1]);
    expect(relu([-1, 0, 2]).toArray()).toEqual([0, 0, 2]);
    expect(grad((x: Tensor) => relu(x).sum())(vector([-1, 0, 2])).toArray()).toEqual([0, 0, 1]);
    expect(sign([-2, 0, 5]).toArray()).toEqual([-1, 0, 1]);
  });

  it("binary ops and comparisons", () => {
    expect(add([[1, 2], [3, 4]], [10, 20]).toArray()).toEqual([[11, 22], [13, 24]]);
    expect(sub([5, 7], 1).toArray()).toEqual([4, 6]);
    expect(mul([1, 2, 3], 2).toArray()).toEqual([2, 4, 6]);
    expect(div([1, 2], [4, 8]).toArray()).toEqual([0.25, 0.25]);
    expect(pow([2, 3], 2).toArray()).toEqual([4, 9]);
    expect(grad((x: Tensor) => pow(x, 2).sum())(vector([0, 3])).toArray()).toEqual([0, 6]);
    expect(maximum([1, 5], [3, 2]).toArray()).toEqual([3, 5]);
    expect(grad((x: Tensor) => maximum(x, 1).sum())(vector([1, 2, 0])).toArray()).toEqual([0.5, 1, 0]);
    expect(minimum([1, 5], 3).toArray()).toEqual([1, 3]);
    expect(gt([1, 2, 3], 2).toArray()).toEqual([0, 0, 1]);
    expect(ge([1, 2, 3], 2).toArray()).toEqual([0, 1, 1]);
    expect(lt([1, 2, 3], 2).toArray()).toEqual([1, 0, 0]);
    expect(le([1, 2, 3], 2).toArray()).toEqual([1, 1, 0]);
    expect(eq([1, 2, 3], 2).toArray()).toEqual([0, 1, 0]);
    expect(ne([1, 2, 3], 2).toArray()).toEqual([1, 0, 1]);
  });

  it("where, zerosLike, stopGradient", () => {
    expect(where([1, 0, 1], [1, 2, 3], [-1, -2, -3]).toArray()).toEqual([1, -2, 3]);
    const x = vector([-1, 2]);
    expect(where(gt(x, 0), x, 0).toArray()).toEqual([0, 2]);
    expect(zerosLike(matrix([[1, 2], [3, 4]])).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(grad((x: Tensor) => x.mul(stopGradient(x)).sum())(vector([3])).toArray()).toEqual([3]);
  });

  // ---- src/ops/reduce.ts, structure.ts ----

  it("sum, mean, max, broadcastTo", () => {
    expect(sum(matrix([[1, 2], [3, 4]])).item()).toBe(10);
    expect(sum(matrix([[1, 2], [3, 4]]), 0).toArray()).toEqual([4, 6]);
    expect(mean([1, 2, 3, 4]).item()).toBe(2.5);
    expect(mean(matrix([[1, 2], [3, 4]]), 1).toArray()).toEqual([1.5, 3.5]);
    expect(max([[1, 5], [7, 2]]).item()).toBe(7);
    expect(max([[1, 5], [7, 2]], 0).toArray()).toEqual([7, 5]);
    expect(max([[1, 5], [7, 2]], 1, true).shape).toEqual([2, 1]);
    expect(broadcastTo([1, 2], [3, 2]).toArray()).toEqual([[1, 2], [1, 2], [1, 2]]);
  });

  it("reshape, vec, transpose, slice, concat, diag", () => {
    expect(reshape(matrix([[1, 2], [3, 4]]), [4]).toArray()).toEqual([1, 3, 2, 4]);
    expect(reshape(vector([1, 2, 3, 4, 5, 6]), [2, -1]).toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
    expect(vec(matrix([[1, 2], [3, 4]])).toArray()).toEqual([1, 3, 2, 4]);
    expect(transpose([[1, 2], [3, 4]]).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(transpose([[1, 2, 3]]).shape).toEqual([3, 1]);
    expect(transpose([1, 2]).shape).toEqual([2]);
    expect(slice(matrix([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, 2]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(concat([vector([1]), vector([2, 3])]).toArray()).toEqual([1, 2, 3]);
    expect(concat([matrix([[1, 2]]), matrix([[3, 4]])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(concat([matrix([[1], [2]]), matrix([[3], [4]])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(diag([[1, 2], [3, 4]]).toArray()).toEqual([1, 4]);
    expect(diag([1, 2]).toArray()).toEqual([[1, 0], [0, 2]]);
  });

  // ---- src/ops/matmul.ts, composite.ts ----

  it("matmul, dot, outer, kron, kronMatVec", () => {
    expect(matmul([[1, 2], [3, 4]], [1, 1]).toArray()).toEqual([3, 7]);
    expect(matmul([1, 1], [[1, 2], [3, 4]]).toArray()).toEqual([4, 6]);
    expect(matmul([1, 2], [3, 4]).item()).toBe(11);
    expect(dot([1, 2, 3], [4, 5, 6]).item()).toBe(32);
    expect(dot([[1, 2], [3, 4]], [[1, 0], [0, 1]]).item()).toBe(5);
    expect(outer([1, 2], [3, 4, 5]).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(kron(eye(2), [[1, 2]]).toArray()).toEqual([[1, 2, 0, 0], [0, 0, 1, 2]]);
    const A = matrix([[1, 2], [3, 4]]), B = matrix([[0, 1], [1, 0]]), x = vector([1, 2, 3, 4]);
    expect(kronMatVec(A, B, x).toArray()).toEqual(matmul(kron(A, B), x).toArray());
    expect(kronMatVec([[1, 2], [3, 4]], [[0, 1], [1, 0]], [1, 2, 3, 4]).toArray()).toEqual([10, 7, 22, 15]);
  });

  it("trace, logsumexp, softmax, logSoftmax, norm, sumSquares", () => {
    expect(trace([[1, 2], [3, 4]]).item()).toBe(5);
    expect(grad((X: Tensor) => trace(X))(matrix([[1, 2], [3, 4]])).toArray()).toEqual([[1, 0], [0, 1]]);
    near(logsumexp([0, 0]).item(), 0.6931471805599453);
    near(logsumexp([[0, 0], [1000, 1000]], 1).toArray(), [0.6931471805599453, 1000.6931471805599]);
    near(grad((x: Tensor) => logsumexp(x))(vector([0, 0])).toArray(), [0.5, 0.5]);
    near(softmax([0, Math.log(3)]).toArray(), [0.25, 0.75], 1e-15, 1e-15);
    near(softmax([[0, 0], [1000, 1000]]).toArray(), [[0.5, 0.5], [0.5, 0.5]]);
    near(jacobian((s: Tensor) => softmax(s))(vector([0, 0])).toArray(), [[0.25, -0.25], [-0.25, 0.25]]);
    near(logSoftmax([0, 0]).toArray(), [-0.6931471805599453, -0.6931471805599453]);
    near(logSoftmax([0, 1000]).toArray(), [-1000, 0]);
    near(norm([3, 4]).item(), 5);
    expect(norm([3, -4], 1).item()).toBe(7);
    expect(norm([3, -4], Infinity).item()).toBe(4);
    near(norm([[1, 2], [2, 4]]).item(), 5);
    near(norm([3e200, 4e200]).item(), 5e200, 1e-15, 0);
    expect(sumSquares([1, 2, 3]).item()).toBe(14);
    expect(grad((x: Tensor) => sumSquares(x))(vector([1, 2, 3])).toArray()).toEqual([2, 4, 6]);
  });

  // ---- src/ops/linalg.ts ----

  it("solve, inv, triangularSolve, cholesky", () => {
    near(solve([[2, 0], [0, 4]], [2, 4]).toArray(), [1, 1]);
    near(solve([[2, 0], [0, 4]], [[2, 4], [4, 8]]).toArray(), [[1, 2], [1, 2]]);
    near(inv([[2, 0], [0, 4]]).toArray(), [[0.5, 0], [0, 0.25]]);
    near(inv([[1, 2], [3, 4]]).toArray(), [[-2, 1], [1.5, -0.5]], 1e-14, 1e-14);
    const S = matrix([[4, 2], [2, 5]]), B = matrix([[1, 2], [3, 4]]);
    const L = cholesky(S);
    near(matmul(L, triangularSolve(L, B, { lower: true })).toArray(), B.toArray() as Nested, 1e-14, 1e-14);
    near(matmul(L.T, triangularSolve(L, B, { lower: true, transA: true })).toArray(), B.toArray() as Nested, 1e-14, 1e-14);
    const L2 = matrix([[2, 0], [1, 2]]);
    near(triangularSolve(L2, [2, 5]).toArray(), [1, 2]);
    near(triangularSolve(L2, [2, 5], { transA: true }).toArray(), [-0.25, 2.5]);
    near(cholesky([[4, 2], [2, 5]]).toArray(), [[2, 0], [1, 2]]);
    const e = thrown(() => cholesky([[1, 2], [2, 1]]));
    expect(e).toBeInstanceOf(NotPositiveDefiniteError);
    expect(e.minor).toBe(2);
  });

  it("slogdet, logdet, det, eigh", () => {
    const A = matrix([[1, 2], [3, 4]]);
    const [s, ld] = slogdet(A);
    near(s.item() * Math.exp(ld.item()), -2, 1e-14);
    const [s2, ld2] = slogdet([[1, 2], [3, 4]]);
    expect(s2.item()).toBe(-1);
    near(ld2.item(), 0.6931471805599453, 1e-15);
    near(logdet([[2, 0], [0, 3]]).item(), 1.791759469228055);
    near(logdet([[2, 0], [0, 3]], { spd: true }).item(), 1.791759469228055);
    near(grad((X: Tensor) => logdet(X))(matrix([[2, 1], [0, 4]])).toArray(), [[0.5, 0], [-0.125, 0.25]]);
    near(det([[1, 2], [3, 4]]).item(), -2, 1e-15);
    near(grad((X: Tensor) => det(X))(matrix([[1, 2], [3, 4]])).toArray(), [[4, -3], [-2, 1]], 1e-14, 1e-14);
    const S = matrix([[2, 1], [1, 2]]);
    const [w, V] = eigh(S);
    near(V.matmul(diag(w)).matmul(V.T).toArray(), S.toArray() as Nested, 1e-14, 1e-14);
    near(eigh([[2, 1], [1, 2]])[0].toArray(), [1, 3], 1e-14, 1e-14);
  });

  it("commutation", () => {
    const X = matrix([[1, 2, 3], [4, 5, 6]]);
    const K = commutation(2, 3);
    expect(K.shape).toEqual([6, 6]);
    expect(K.apply(vec(X)).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(K.apply(vec(X)).toArray()).toEqual(vec(X.T).toArray());
    expect(commutation(2, 3).apply([1, 4, 2, 5, 3, 6]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(commutation(2, 2).toMatrix().toArray()).toEqual([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]);
  });

  // ---- src/transforms/transforms.ts, batching.ts ----

  it("valueAndGrad and grad", () => {
    const [v, g] = valueAndGrad((x: Tensor) => x.mul(x).sum())(vector([1, 2]));
    expect(v.item()).toBe(5);
    expect(g.toArray()).toEqual([2, 4]);
    const [[v2, y], g2] = valueAndGrad((x: Tensor) => {
      const y = x.mul(2);
      return [y.dot(x), y];
    }, { hasAux: true })(vector([1, 2]));
    expect(v2.item()).toBe(10);
    expect(y.toArray()).toEqual([2, 4]);
    expect(g2.toArray()).toEqual([4, 8]);

    const A = matrix([[2, 1], [1, 3]]);
    const f = (x: Tensor) => x.dot(A.matmul(x));
    expect(grad(f)(vector([1, 0])).toArray()).toEqual([4, 2]);
    expect(grad(grad((x: Tensor) => x.pow(3)))(scalar(2)).item()).toBe(12);
    const gp = grad((p: { w: Tensor; b: Tensor }) => p.w.mul(p.b).sum())({ w: vector([1, 2]), b: scalar(3) });
    expect(gp.w.toArray()).toEqual([3, 3]);
    expect(gp.b.toArray()).toBe(3);
    expect(grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: 1 })(vector([1, 2]), vector([3, 4])).toArray()).toEqual([1, 2]);
  });

  it("jvp, vjp, linearize", () => {
    const x = vector([0.3, -1.2]), v = vector([2, 5]);
    const [y, dy] = jvp((x: Tensor) => x.sin(), [x], [v]);
    near(y.toArray(), sin(x).toArray() as Nested);
    near(dy.toArray(), cos(x).mul(v).toArray() as Nested);
    near(jvp((x: Tensor) => x.sin(), [vector([0, Math.PI])], [vector([1, 1])])[1].toArray(), [1, -1]);

    const A = matrix([[1, 2], [3, 4]]), x2 = vector([1, 2]);
    const [y2, back] = vjp((A: Tensor, x: Tensor) => A.matmul(x), A, x2);
    expect(y2.toArray()).toEqual([5, 11]);
    const [ctA, ctx] = back(vector([1, 0]));
    expect(ctA.toArray()).toEqual([[1, 2], [0, 0]]);
    expect(ctx.toArray()).toEqual([1, 2]);

    const [y3, f_jvp] = linearize((x: Tensor) => x.exp().sum(), vector([0, 0]));
    expect(y3.item()).toBe(2);
    expect(f_jvp(vector([1, 2])).item()).toBe(3);
  });

  it("jacobian, hessian, hvp", () => {
    const A = matrix([[1, 2], [3, 4]]), x = vector([1, 1]);
    expect(jacobian((x: Tensor) => A.matmul(x))(x).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(jacobian((x: Tensor) => A.matmul(x), { layout: "denominator" })(x).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(jacobian((a: Tensor, b: Tensor) => a.mul(b), { argnums: [0, 1] })(vector([1, 2]), vector([3, 4])).toArray())
      .toEqual([[3, 0, 1, 0], [0, 4, 0, 2]]);
    expect(hessian((x: Tensor) => x.dot(A.matmul(x)))(vector([0.3, 0.7])).toArray()).toEqual([[2, 5], [5, 8]]);
    expect(hessian((X: Tensor) => X.square().sum())(eye(2)).toArray()).toEqual(eye(4).mul(2).toArray());
    const f = (x: Tensor) => x.dot(A.matmul(x));
    expect(hvp(f)(vector([0.3, 0.7]), vector([1, 0])).toArray()).toEqual([2, 5]);
    expect(hvp(f, { mode: "rev-rev" })(vector([0.3, 0.7]), vector([1, 0])).toArray()).toEqual([2, 5]);
  });

  it("jit", () => {
    const A = matrix([[2, 1], [1, 3]]);
    const g = mc.jit(grad((x: Tensor) => x.dot(A.matmul(x))));
    near(g(vector([1.2, 0.8])).toArray(), [6.4, 7.2], 1e-15, 1e-15);
    expect(g(vector([1, 0])).toArray()).toEqual([4, 2]);
  });

  it("vmap", () => {
    const A = matrix([[1, 2], [3, 4]]), X = matrix([[0, 1], [0, 0]]);
    const f = (x: Tensor) => A.matmul(x).tanh();
    near(vmap(f, { inAxes: 1, outAxes: 1 })(X).toArray(), A.matmul(X).tanh().toArray() as Nested);
    expect(vmap((x: Tensor) => x.dot(x))(matrix([[1, 2], [3, 4]])).toArray()).toEqual([5, 25]);
    expect(vmap(grad((x: Tensor) => x.square().sum()))(matrix([[1, 2], [3, 4]])).toArray()).toEqual([[2, 4], [6, 8]]);
    expect(vmap((x: Tensor, w: Tensor) => x.dot(w), { inAxes: [0, null] })(matrix([[1, 2], [3, 4]]), vector([1, 1])).toArray())
      .toEqual([3, 7]);
  });

  // ---- src/transforms/check.ts ----

  it("checkGrad, checkJacobian, checkHessian, checkGrads", () => {
    const r = checkGrad((x: Tensor) => x.tanh().sum(), randn([5], { seed: 1 }));
    expect(r.ok).toBe(true);
    expect(r.comparisons).toBe(10);
    expect(r.message).toMatch(/^checkGrad: ok: worst relative error \d\.\d\de-\d+ at grad\[\d\] \((rev|fwd)\) \(ad .*, fd .*\); 10 comparisons, rtol 0\.000001$/);
    const A = matrix([[1, 2], [3, 4]]);
    const rj = checkJacobian((x: Tensor) => A.matmul(x).tanh(), vector([0.1, 0.2]));
    expect(rj.ok).toBe(true);
    expect(rj.comparisons).toBe(8);
    const rh = checkHessian((x: Tensor) => x.pow(4).sum(), vector([0.5, -1]));
    expect(rh.ok).toBe(true);
    expect(rh.comparisons).toBe(12);
    expect(checkGrads((x: Tensor) => x.matmul(x.T).logsumexp(), [randn([3, 4], { seed: 3 })], { order: 2 }).ok).toBe(true);
  });

  // ---- src/errors.ts ----

  it("typed errors", () => {
    const e1 = thrown(() => matmul(zeros([2, 3]), zeros([4, 2])));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.op).toBe("matmul");
    expect(e1.shapes).toEqual([[2, 3], [4, 2]]);
    expect(e1.message).toBe("matmul: inner dimensions differ (3 vs 4) (shapes [2, 3], [4, 2])");
    const e2 = thrown(() => tensor([[1, 2], [3]]));
    expect(e2).toBeInstanceOf(DTypeError);
    expect(e2).toBeInstanceOf(TypeError);
    expect(e2.message).toBe("tensor: ragged nested array: expected 2 entries at depth 1, shape [2, 2]");
    const e3 = thrown(() => solve([[NaN, 0], [0, 1]], [1, 1]));
    expect(e3).toBeInstanceOf(DTypeError);
    expect(e3.message).toBe("solve: matrix of shape [2, 2] contains NaN or Infinity");
    const e4 = thrown(() => solve([[1, 2], [2, 4]], [1, 1]));
    expect(e4).toBeInstanceOf(SingularMatrixError);
    expect(e4.index).toBe(1);
    expect(e4.message).toBe("solve: matrix of shape [2, 2] is singular (zero pivot at index 1)");
    const e5 = thrown(() => cholesky([[1, 2], [2, 1]]));
    expect(e5).toBeInstanceOf(NotPositiveDefiniteError);
    expect(e5.minor).toBe(2);
    const e6 = thrown(() => zeros([1e5, 1e5]));
    expect(e6).toBeInstanceOf(MemoryLimitError);
    expect(e6).toBeInstanceOf(RangeError);
    expect(e6.bytes).toBe(80000000000);
    expect(vector([1, 2]).add(1).toArray()).toEqual([2, 3]); // the next call works

    let kept: Tensor | undefined;
    grad((x: Tensor) => {
      kept = x.mul(2);
      return kept.sum();
    })(vector([1, 2]));
    expect(() => kept!.toArray()).toThrow(ReleasedTensorError);
    const [g, y] = grad((x: Tensor) => {
      const y = x.mul(2);
      return [y.sum(), y];
    }, { hasAux: true })(vector([1, 2]));
    expect(g.toArray()).toEqual([2, 2]);
    expect(y.toArray()).toEqual([2, 4]);
  });

  // ---- src/optim (matcalc/optim) ----

  it("minimize (Rosenbrock with trust-ncg; a pytree with a callback)", () => {
    const rosen = (v: Tensor) => {
      const x = mc.slice(v, [0], [1]), y = mc.slice(v, [1], [1]);
      return y.sub(x.square()).square().mul(100).add(mc.sub(1, x).square()).sum();
    };
    const res = minimize(rosen, vector([-1.2, 1]), { method: "trust-ncg" });
    expect(res.converged).toBe(true);
    expect(res.status).toBe("gradTol");
    near(res.x.toArray(), [1, 1], 0, 1e-5);
    expect(Object.keys(res.evaluations).sort()).toEqual(["f", "grad", "hessian", "hvp"]);

    const A = mc.matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]), y = vector([1, 2, 3, 7]);
    const loss = (p: { w: Tensor; b: Tensor }) => A.matmul(p.w).add(p.b).sub(y).square().mean();
    const fit = minimize(loss, { w: zeros([3]), b: scalar(0) }, {
      method: "lbfgs",
      callback: (s) => s.value > 1e-3 || "stop",
    });
    expect(fit.x.w).toBeInstanceOf(Tensor);
    expect(fit.x.w.shape).toEqual([3]);
    expect(fit.status).toBe("callback");
    expect(fit.value).toBeLessThanOrEqual(1e-3);
  });

  it("leastSquares (exponential decay fit, dense LM and matrix-free Gauss-Newton)", () => {
    const ts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ys = ts.map((t) => 2 * Math.exp(-0.5 * t) + 1);
    const t = vector(ts), y = vector(ys);
    const model = (p: Tensor) =>
      mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1]).neg()).exp()).add(mc.slice(p, [2], [1]));
    const res = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), {
      method: "lm",
      returnJacobian: true,
    });
    near(res.x.toArray(), [2, 0.5, 1], 0, 1e-5);
    expect(res.cost).toBeLessThan(1e-10);
    expect(res.cost).toBe(res.value);
    expect((res.residual as Tensor).shape).toEqual([10]);
    expect(res.jacobian!.shape).toEqual([10, 3]);
    const mf = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), { method: "gauss-newton", matrixFree: true });
    near(mf.x.toArray(), [2, 0.5, 1], 0, 1e-5);
  });

  // ---- README.md ----

  it("README quick start", () => {
    const A = matrix([[2, 1], [1, 3]]);
    const f = (x: Tensor) => x.dot(A.matmul(x));
    const x = vector([1.2, 0.8]);
    near(grad(f)(x).toArray(), [6.4, 7.2], 1e-15, 1e-15);
    expect(hessian(f)(x).toArray()).toEqual([[4, 2], [2, 6]]);
    expect(hvp(f)(x, vector([1, 0])).toArray()).toEqual([4, 2]);
    const J = jacobian((x: Tensor) => A.matmul(x).tanh())(x);
    expect(J.shape).toEqual([2, 2]);
    const d = sub(1, A.matmul(x).tanh().square());
    near(J.toArray(), mul(reshape(d, [2, 1]), A).toArray() as Nested, 1e-14, 1e-14); // diag(1 − tanh²)·A
    expect(grad((x: Tensor) => x.dot(x))(vector([1, 2, 3])).toArray()).toEqual([2, 4, 6]);
  });

  it("README seed identities", () => {
    const A = matrix([[1, 2, 0], [0, 1, 3]]), B = matrix([[2, 1], [0, 1]]), C = matrix([[1, 0], [0, 1]]);
    const X = matrix([[1, 2], [0, 1], [1, 1]]), x = vector([1, -1, 2]);
    expect(jacobian((x: Tensor) => A.matmul(x))(x).toArray()).toEqual(A.toArray());
    expect(jacobian((x: Tensor) => A.matmul(x), { layout: "denominator" })(x).toArray()).toEqual(A.T.toArray());
    const s = vector([0.1, -0.4, 0.7]), p = softmax(s);
    near(jacobian(mc.softmax)(s).toArray(), sub(diag(p), outer(p, p)).toArray() as Nested, 1e-14, 1e-15);
    expect(jacobian((X: Tensor) => A.matmul(X).matmul(B))(X).toArray()).toEqual(kron(B.T, A).toArray());
    const AtA = A.T.matmul(A);
    near(hessian((X: Tensor) => A.matmul(X).sub(C).square().sum().mul(0.5))(X).toArray(), kron(eye(2), AtA).toArray() as Nested);
    const Y = matrix([[3, 1], [1, 2]]), Yit = inv(Y).T, Yi = inv(Y);
    near(grad((X: Tensor) => mc.logdet(X))(Y).toArray(), Yit.toArray() as Nested, 1e-14, 1e-14);
    const K = commutation(2, 2).toMatrix();
    near(hessian((X: Tensor) => mc.logdet(X))(Y).toArray(), K.matmul(kron(Yit, Yi)).neg().toArray() as Nested, 1e-13, 1e-14);
    expect(mc.commutation(3, 2).apply(vec(X)).toArray()).toEqual(vec(X.T).toArray());
  });
});

// ---- src/wasm/module.ts (switches builds, so it runs on its own) ----

describe("documented examples (loading)", () => {
  afterAll(async () => {
    await init();
  });
  it("init, simdSupported, usingSimd", async () => {
    await init();
    expect(matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()).toEqual([3, 7]);
    expect(typeof simdSupported()).toBe("boolean");
    await init({ simd: false });
    expect(usingSimd()).toBe(false);
    await init();
    expect(usingSimd()).toBe(simdSupported());
  });
});
