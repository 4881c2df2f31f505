import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { grad, hessian, hvp, jacobian, jvp, matrix, vector, vjp, type Tensor } from "../../src/index.js";

describe("autodiff smoke", () => {
  it("eager ops", () => {
    const A = matrix([[1, 2], [3, 4]]);
    expect(A.matmul([1, 1]).toArray()).toEqual([3, 7]);
    expect(A.T.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(mc.sum(A, 0).toArray()).toEqual([4, 6]);
    expect(A.add([10, 20]).toArray()).toEqual([[11, 22], [13, 24]]);
  });
  it("grad of xᵀAx is (A + Aᵀ)x", () => {
    const A = matrix([[1, 2], [3, 4]]);
    const x = vector([1, -1]);
    const g = grad((x: Tensor) => x.dot(A.matmul(x)))(x) as Tensor;
    expect(g.toArray()).toEqual([(1 + 1) * 1 + (2 + 3) * -1, (3 + 2) * 1 + (4 + 4) * -1]);
  });
  it("hessian of xᵀAx is A + Aᵀ", () => {
    const A = matrix([[1, 2], [3, 4]]);
    const H = hessian((x: Tensor) => x.dot(A.matmul(x)))(vector([0.3, 0.7]));
    expect(H.toArray()).toEqual([[2, 5], [5, 8]]);
  });
  it("hvp both modes", () => {
    const A = matrix([[1, 2], [3, 4]]);
    const f = (x: Tensor) => x.dot(A.matmul(x)).mul(x.sum());
    const x = vector([0.3, 0.7]), v = vector([1, 2]);
    const H = hessian(f)(x);
    const hv = H.matmul(v).toArray() as number[];
    const a = (hvp(f)(x, v) as Tensor).toArray() as number[];
    const b = (hvp(f, { mode: "rev-rev" })(x, v) as Tensor).toArray() as number[];
    for (let i = 0; i < 2; i++) {
      expect(a[i]).toBeCloseTo(hv[i]!, 12);
      expect(b[i]).toBeCloseTo(hv[i]!, 12);
    }
  });
  it("perturbation confusion: d/dx [x · d/dy (x + y)] = 1", () => {
    const d = grad((x: Tensor) => x.mul(grad((y: Tensor) => x.add(y))(mc.scalar(2)) as Tensor))(mc.scalar(3)) as Tensor;
    expect(d.item()).toBe(1);
  });
  it("grad(grad(f)) for f = x³", () => {
    const g2 = grad((x: Tensor) => grad((y: Tensor) => y.mul(y).mul(y))(x))(mc.scalar(2)) as Tensor;
    expect(g2.item()).toBe(12);
  });
  it("jacobian layouts and modes", () => {
    const A = matrix([[1, 2, 3], [4, 5, 6]]);
    const f = (x: Tensor) => A.matmul(x);
    const x = vector([1, 1, 1]);
    expect(jacobian(f)(x).toArray()).toEqual(A.toArray());
    expect(jacobian(f, { mode: "fwd" })(x).toArray()).toEqual(A.toArray());
    expect(jacobian(f, { layout: "denominator" })(x).toArray()).toEqual(A.T.toArray());
  });
  it("jvp and vjp", () => {
    const x = vector([0.5, 1.5]);
    const [y, dy] = jvp((x: Tensor) => x.sin(), [x], [vector([1, 2])]) as [Tensor, Tensor];
    expect((dy.toArray() as number[])[1]).toBeCloseTo(2 * Math.cos(1.5), 14);
    expect((y.toArray() as number[])[0]).toBeCloseTo(Math.sin(0.5), 14);
    const A = matrix([[1, 2], [3, 4]]);
    const [, back] = vjp((A: Tensor, x: Tensor) => A.matmul(x), A, x);
    const [cA, cx] = back(vector([1, -1])) as [Tensor, Tensor];
    expect(cx.toArray()).toEqual([1 - 3, 2 - 4]);
    expect(cA.toArray()).toEqual([[0.5, 1.5], [-0.5, -1.5]]);
  });
});
