// jtjvp and ggnvp against the dense Jacobian.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { hessian, jacobian, randn, scalar, vector, type Tensor } from "../../src/index.js";
import { ggnvp, jtjvp } from "../../src/optim/index.js";

const A = randn([7, 4], { seed: 3 });
const r = (x: Tensor) => A.matmul(x).tanh().add(x.sum().sin());
const x = randn([4], { seed: 4 }), v = randn([4], { seed: 5 });

describe("jtjvp", () => {
  it("equals Jᵀ(J v) with the dense Jacobian", () => {
    const J = jacobian(r)(x);
    const want = J.T.matmul(J.matmul(v)).data;
    const got = (jtjvp(r)(x, v) as Tensor).data;
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
  });

  it("pytrees in and out; the examples run", () => {
    const f = (p: { a: Tensor; b: Tensor }) => [p.a.mul(p.b), p.a.sub(p.b).exp()];
    const out = jtjvp(f)({ a: scalar(1.5), b: scalar(-0.5) }, { a: scalar(1), b: scalar(0) });
    // J = [[b, a], [e, −e]] with e = exp(a − b): Jᵀ J e₁ = [b² + e², ab − e²].
    const e = Math.exp(2);
    expect(out.a.item()).toBeCloseTo(0.25 + e * e, 10);
    expect(out.b.item()).toBeCloseTo(-0.75 - e * e, 10);
    expect((jtjvp((y: Tensor) => mc.concat([y.mul(y), y.sum().reshape([1])]))(vector([1, 2]), vector([1, 0])) as Tensor).toArray()).toEqual([5, 1]);
    expect((ggnvp((y: Tensor) => y.mul(y), (z: Tensor) => z.square().sum().mul(0.5))(vector([1, 2]), vector([1, 1])) as Tensor).toArray()).toEqual([4, 16]);
  });
});

describe("ggnvp", () => {
  it("with L = ½‖y‖² equals jtjvp", () => {
    const a = (ggnvp(r, (y: Tensor) => y.square().sum().mul(0.5))(x, v) as Tensor).data;
    const b = (jtjvp(r)(x, v) as Tensor).data;
    b.forEach((w, i) => expect(a[i]).toBeCloseTo(w, 12));
  });

  it("equals Jᵀ ∇²L J v with a non-quadratic loss (log-sum-exp)", () => {
    const L = (y: Tensor) => mc.logsumexp(y);
    const J = jacobian(r)(x);
    const H = hessian(L)(r(x));
    const want = J.T.matmul(H.matmul(J.matmul(v))).data;
    const got = (ggnvp(r, L)(x, v) as Tensor).data;
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
  });

  it("bad arguments are DTypeErrors", () => {
    expect(() => jtjvp(3 as never)).toThrow(/r must be a function/);
    expect(() => ggnvp(r, null as never)).toThrow(/loss must be a function/);
  });
});
