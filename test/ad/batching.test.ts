import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, ReleasedTensorError, grad, hessian, hvp, jacobian, randn, vmap, type Tensor } from "../../src/index.js";

function close(a: Tensor, b: Tensor, tol = 1e-10): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.data, y = b.data;
  let scale = 1;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]!));
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThanOrEqual(tol * scale);
}

const mlp = (X: Tensor, y: Tensor) => (p: { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }) =>
  X.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2).sub(y).square().mean();

describe("vmap", () => {
  it("maps over axis 0 and 1, matches a loop", () => {
    const A = randn([4, 3], { seed: 1 });
    const X = randn([3, 5], { seed: 2 });
    const f = (x: Tensor) => A.matmul(x).tanh();
    const cols = vmap(f, { inAxes: 1, outAxes: 1 })(X) as Tensor;
    close(cols, A.matmul(X).tanh(), 1e-14);
    const rows = vmap(f)(X.T) as Tensor;
    close(rows, A.matmul(X).tanh().T, 1e-14);
  });
  it("batched left and right matmul operands, both transposes", () => {
    const A = randn([4, 3], { seed: 3 });
    const Bs = randn([5, 3, 4], { seed: 4 }); // five 3×4 members along axis 0
    for (const g of [
      (B: Tensor) => A.matmul(B),
      (B: Tensor) => B.matmul(A),
      (B: Tensor) => A.T.matmul(B.T),
      (B: Tensor) => B.T.matmul(A.T),
      (B: Tensor) => B.matmul(B.T),
    ]) {
      const batched = vmap(g)(Bs) as Tensor;
      const loop = mc.concat(
        Array.from({ length: 5 }, (_, i) => {
          const Bi = mc.reshape(mc.slice(Bs, [i, 0, 0], [1, 3, 4]), [3, 4]);
          const r = g(Bi);
          return mc.reshape(r, [1, ...r.shape]);
        }),
        0,
      );
      close(batched, loop, 1e-13);
    }
  });
});

describe("batched jacobian and hessian", () => {
  const X = randn([16, 4], { seed: 5 });
  const y = randn([16, 1], { seed: 6 });
  const params = { W1: randn([4, 5], { seed: 7 }), b1: randn([5], { seed: 8 }), W2: randn([5, 1], { seed: 9 }), b2: randn([1], { seed: 10 }) };
  const f = mlp(X, y);

  it("MLP Hessian: chunked, unchunked and column-by-column HVPs agree", () => {
    const H = hessian(f)(params);
    expect(H.shape).toEqual([31, 31]); // 4·5 + 5 + 5·1 + 1
    close(H, hessian(f, { chunkSize: 7 })(params), 1e-12);
    close(H, H.T, 1e-12);
    // Column 3 by an HVP along e₃ (pytree tangent).
    const e = { W1: mc.zeros([4, 5]), b1: mc.zeros([5]), W2: mc.zeros([5, 1]), b2: mc.zeros([1]) };
    e.W1._buf![3] = 1;
    const hv = hvp(f)(params, e) as Record<string, Tensor>;
    const flat = mc.concat(["W1", "b1", "W2", "b2"] /* leaves follow the object's key order */.map((k) => mc.vec(hv[k]!)), 0);
    close(flat, mc.reshape(mc.slice(H, [0, 3], [31, 1]), [31]), 1e-12);
  });

  it("fwd and rev Jacobians agree on a non-square map, both layouts", () => {
    const A = randn([6, 3], { seed: 11 });
    const g = (x: Tensor) => A.matmul(x).sigmoid().mul(x.sum());
    const x = randn([3], { seed: 12 });
    const Jf = jacobian(g, { mode: "fwd", chunkSize: 2 })(x);
    const Jr = jacobian(g, { mode: "rev", chunkSize: 4 })(x);
    expect(Jf.shape).toEqual([6, 3]);
    close(Jf, Jr, 1e-13);
    close(jacobian(g, { layout: "denominator" })(x), Jf.T, 1e-13);
  });

  it("gradient of a gradient norm through batched ops (nesting)", () => {
    const A = randn([3, 3], { seed: 13 });
    const h = (x: Tensor) => (grad((z: Tensor) => A.matmul(z).tanh().sum())(x) as Tensor).square().sum();
    const x = randn([3], { seed: 14 });
    const Hh = hessian(h)(x);
    close(Hh, Hh.T, 1e-10);
    const J = jacobian(grad(h), { mode: "rev" })(x);
    close(Hh, J, 1e-10);
  });
});

// Regression: a value made inside vmap and kept after it returned threw a plain Error
// ("cannot read the entries of a batched value inside vmap") when read; it is released with
// the call like any leaked tensor (README, "Memory model"), so it throws ReleasedTensorError.
describe("values read inside vmap, and values smuggled out of it", () => {
  const caught = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error("expected a throw");
  };
  const X = mc.matrix([[1, 2], [3, 4]]);

  it("reading a batched value inside vmap is a DTypeError naming vmap", () => {
    for (const read of [(x: Tensor) => x.toArray(), (x: Tensor) => x.data, (x: Tensor) => x.sum().item(), (x: Tensor) => x.mul(2).get(0)]) {
      const e = caught(() => vmap((x: Tensor) => (read(x), x))(X)) as DTypeError;
      expect(e).toBeInstanceOf(DTypeError);
      expect(e.op).toBe("vmap");
      expect(e.message).toBe("vmap: cannot read the entries of a batched value inside vmap (it holds a whole batch)");
    }
    // Also through a transform running inside vmap.
    expect(caught(() => vmap(grad((x: Tensor) => (x.toArray(), x.sum())))(X))).toBeInstanceOf(DTypeError);
    // The next call works.
    close(vmap((x: Tensor) => x.mul(2))(X) as Tensor, X.mul(2), 0);
  });

  it("a value kept after vmap returned throws ReleasedTensorError on every use", () => {
    let kept: Tensor | undefined;
    const out = vmap((x: Tensor) => {
      kept = x.mul(2);
      return kept.sum();
    })(X) as Tensor;
    expect(out.toArray()).toEqual([6, 14]); // what vmap returned is fine
    const t = kept!;
    expect(t.shape).toEqual([2]); // metadata survives
    for (const use of [() => t.data, () => t.toArray(), () => t.get(0), () => t.sum().item(), () => String(t), () => t.add(1),
      () => t.exp(), () => t.reshape([2, 1]), () => mc.matmul(t, t), () => t.dot(t), () => t.T,
      () => grad((x: Tensor) => x.mul(t).sum())(mc.vector([1, 1]))]) {
      const e = caught(use) as Error;
      expect(e).toBeInstanceOf(ReleasedTensorError);
      expect(e.message).toMatch(/return it from the function/);
    }
    // A value smuggled out of an inner vmap is released with it, even while the outer runs.
    let inner: Tensor | undefined;
    const e = caught(() => vmap((y: Tensor) => {
      vmap((x: Tensor) => {
        inner = x.mul(y);
        return x;
      })(X);
      return inner!.toArray();
    })(X));
    expect(e).toBeInstanceOf(ReleasedTensorError);
    close(vmap((x: Tensor) => x.add(1))(X) as Tensor, X.add(1), 0);
  });
});
