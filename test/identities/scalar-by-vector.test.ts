// Scalar-by-vector identities of the seeds (gradient = column vector, same shape as x):
// seed 000 "Scalar by Vector" table, seed 001 "Fundamental identities", seed 002 A.4.1/A.4.3,
// seed 003 problems 1–3 (ℓ1, squared ℓ2, p-norm), seed 004 practice "½‖Cx − d‖²".
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, jvp, valueAndGrad, type Tensor } from "../../src/index.js";
import {
  T, add, expectClose, matvec, randMat, randSym, randVec, randVecAwayFromZero, transpose, useKernels,
  vdot, vscale, vsub,
} from "./helpers.js";

useKernels();

const n = 5;

describe("seed 000/001: linear forms", () => {
  const a = randVec(n, 1);
  const x = randVec(n, 2);

  it("∂(aᵀx)/∂x = a  (dot, matmul of vectors, and Σ aᵢxᵢ)", () => {
    expectClose(grad((x: Tensor) => mc.dot(T(a), x))(T(x)), a);
    expectClose(grad((x: Tensor) => mc.matmul(T(a), x))(T(x)), a);
    expectClose(grad((x: Tensor) => mc.sum(mc.mul(T(a), x)))(T(x)), a);
  });

  it("∂(xᵀa)/∂x = a", () => {
    expectClose(grad((x: Tensor) => mc.dot(x, T(a)))(T(x)), a);
    expectClose(grad((x: Tensor) => x.matmul(T(a)))(T(x)), a);
  });

  it("∂(xᵀAb)/∂x = Ab  (A 5×3, b ∈ R³)", () => {
    const A = randMat(n, 3, 3);
    const b = randVec(3, 4);
    expectClose(grad((x: Tensor) => x.dot(T(A).matmul(T(b))))(T(x)), matvec(A, b));
    expectClose(grad((x: Tensor) => mc.matmul(mc.matmul(x, T(A)), T(b)))(T(x)), matvec(A, b));
  });

  it("valueAndGrad returns aᵀx and a together", () => {
    const [v, g] = valueAndGrad((x: Tensor) => mc.dot(T(a), x))(T(x)) as [Tensor, Tensor];
    expectClose(v, vdot(a, x));
    expectClose(g, a);
  });
});

describe("seed 000/001: quadratic forms", () => {
  const x = randVec(n, 11);

  it("∂(xᵀx)/∂x = 2x", () => {
    expectClose(grad((x: Tensor) => x.dot(x))(T(x)), vscale(x, 2));
    expectClose(grad((x: Tensor) => x.matmul(x))(T(x)), vscale(x, 2));
  });

  it("∂(xᵀAx)/∂x = (A + Aᵀ)x for a non-symmetric A", () => {
    const A = randMat(n, n, 12);
    const expected = matvec(add(A, transpose(A)), x);
    expectClose(grad((x: Tensor) => x.dot(T(A).matmul(x)))(T(x)), expected);
    expectClose(grad((x: Tensor) => mc.matmul(mc.matmul(x, T(A)), x))(T(x)), expected);
    // and it is not 2Ax when A is not symmetric
    expect(Math.max(...vsub(expected, vscale(matvec(A, x), 2)).map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it("∂(xᵀAx)/∂x = 2Ax for a symmetric A", () => {
    const A = randSym(n, 13);
    expectClose(grad((x: Tensor) => x.dot(T(A).matmul(x)))(T(x)), vscale(matvec(A, x), 2));
  });

  it("∂‖x‖²/∂x = 2x  (norm(x)², sumSquares, Σ square)", () => {
    expectClose(grad((x: Tensor) => mc.square(mc.norm(x)))(T(x)), vscale(x, 2));
    expectClose(grad((x: Tensor) => mc.norm(x).mul(mc.norm(x)))(T(x)), vscale(x, 2));
    expectClose(grad((x: Tensor) => mc.sumSquares(x))(T(x)), vscale(x, 2));
    expectClose(grad((x: Tensor) => mc.sum(mc.square(x)))(T(x)), vscale(x, 2));
  });

  it("∂‖x − a‖²/∂x = 2(x − a)", () => {
    const a = randVec(n, 14);
    expectClose(grad((x: Tensor) => mc.sumSquares(x.sub(T(a))))(T(x)), vscale(vsub(x, a), 2));
  });

  it("∂(½‖Cx − d‖²)/∂x = Cᵀ(Cx − d)  (seed 004 practice; C 7×5)", () => {
    const C = randMat(7, n, 15);
    const d = randVec(7, 16);
    const expected = matvec(transpose(C), vsub(matvec(C, x), d));
    expectClose(grad((x: Tensor) => mc.sumSquares(T(C).matmul(x).sub(T(d))).mul(0.5))(T(x)), expected);
  });
});

describe("seed 002 A.4: worked examples", () => {
  it("A.4.1: f(θ) = θ₁² − 3θ₂ + 5 has ∂f/∂θ = [2θ₁, −3]", () => {
    const th = [1.7, -0.4];
    const f = (t: Tensor) => mc.square(mc.slice(t, [0], [1])).sum().sub(mc.slice(t, [1], [1]).sum().mul(3)).add(5);
    const [v, g] = valueAndGrad(f)(T(th)) as [Tensor, Tensor];
    expectClose(v, th[0]! ** 2 - 3 * th[1]! + 5);
    expectClose(g, [2 * th[0]!, -3]);
  });

  it("A.4.3: d‖v‖² = (2v)ᵀdv for any direction dv (differential form, via jvp)", () => {
    const v = randVec(6, 21);
    const dv = randVec(6, 22);
    const [, df] = jvp((v: Tensor) => mc.sumSquares(v), [T(v)], [T(dv)]) as [Tensor, Tensor];
    expectClose(df, vdot(vscale(v, 2), dv));
  });
});

describe("seed 001: the gradient-field example", () => {
  it("f = xᵀAx with A = I at x = (1.2, 0.8): f = 2.08, ∇f = 2Ax = (2.4, 1.6), ‖∇f‖ ≈ 2.884, H = 2A", () => {
    const A = [[1, 0], [0, 1]];
    const f = (x: Tensor) => x.dot(T(A).matmul(x));
    const [v, g] = valueAndGrad(f)(T([1.2, 0.8])) as [Tensor, Tensor];
    expectClose(v, 2.08, { rtol: 1e-14 });
    expectClose(g, [2.4, 1.6], { rtol: 1e-14 });
    expect(Math.hypot(...(g.toArray() as number[]))).toBeCloseTo(2.884, 3);
    expectClose(mc.norm(g), Math.hypot(2.4, 1.6), { rtol: 1e-14 });
  });

  it("∇f is perpendicular to the level curve: the derivative along the tangent R₉₀∇f is 0 (A non-symmetric)", () => {
    const A = [[2, 0.5], [-0.3, 1]];
    const x = [0.7, -1.1];
    const f = (x: Tensor) => x.dot(T(A).matmul(x));
    const g = matvec(add(A, transpose(A)), x);
    const tangent = [-g[1]!, g[0]!];
    const [, along] = jvp(f, [T(x)], [T(tangent)]) as [Tensor, Tensor];
    expectClose(along, 0, { atol: 1e-14 });
    const [, normal] = jvp(f, [T(x)], [T(g)]) as [Tensor, Tensor];
    expectClose(normal, vdot(g, g));
  });
});

describe("seed 003: norms", () => {
  const x = randVecAwayFromZero(6, 31);
  const sign = x.map(Math.sign);

  it("problem 1: ∂‖x‖₁/∂x = sign(x)", () => {
    expectClose(grad((x: Tensor) => mc.norm(x, 1))(T(x)), sign);
    expectClose(grad((x: Tensor) => mc.sum(mc.abs(x)))(T(x)), sign);
  });

  it("problem 2: ∂‖x‖₂²/∂x = 2x", () => {
    expectClose(grad((x: Tensor) => mc.square(mc.norm(x, 2)))(T(x)), vscale(x, 2));
  });

  it("∂‖x‖₂/∂x = x / ‖x‖₂ (the p = 2 case)", () => {
    const nrm = Math.hypot(...x);
    expectClose(grad((x: Tensor) => mc.norm(x))(T(x)), vscale(x, 1 / nrm));
    expectClose(grad((x: Tensor) => mc.norm(x, 2))(T(x)), vscale(x, 1 / nrm));
  });

  for (const p of [1.5, 2.5, 3, 4]) {
    it(`problem 3: ∂‖x‖_p/∂x = x ⊙ |x|^(p−2) / ‖x‖_p^(p−1) for p = ${p}`, () => {
      const np = Math.pow(x.reduce((s, v) => s + Math.abs(v) ** p, 0), 1 / p);
      const expected = x.map((v) => (v * Math.abs(v) ** (p - 2)) / np ** (p - 1));
      // the intermediate form ‖x‖_p^(1−p) |x_j|^(p−1) sign(x_j) of the seed, too
      const alt = x.map((v) => np ** (1 - p) * Math.abs(v) ** (p - 1) * Math.sign(v));
      expectClose(alt, expected, { rtol: 1e-13 });
      expectClose(grad((x: Tensor) => mc.norm(x, p))(T(x)), expected, { rtol: 1e-10 });
    });
  }

  it("the p-norm gradient formula at a point with a zero entry (p = 3 and p = 1.5): that entry is 0", () => {
    const z = [0.5, 0, -1.2, 0.8];
    for (const p of [3, 1.5]) {
      const np = Math.pow(z.reduce((s, v) => s + Math.abs(v) ** p, 0), 1 / p);
      const expected = z.map((v) => (v === 0 ? 0 : (v * Math.abs(v) ** (p - 2)) / np ** (p - 1)));
      expectClose(grad((x: Tensor) => mc.norm(x, p))(T(z)), expected);
    }
  });
});
