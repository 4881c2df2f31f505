// The backward pass holds products by number literals (x.mul(0.999), −x) as a JavaScript
// factor instead of running a kernel per product (issue 19, branch trace2). Derivatives must
// be those of the step-by-step transpose (closed forms here), and the fold must actually run.
import { afterEach, describe, expect, it, vi } from "vitest";
import { grad, hessian, hvp, jit, jvp, linearize, scalar, sub, tensor, vector, vjp, type Tensor } from "../../src/index.js";
import { mul_p, neg_p } from "../../src/ops/elementwise.js";

afterEach(() => vi.restoreAllMocks());

/** Kernel calls of mul and neg while `fn` runs. */
function products(fn: () => unknown): number {
  // Kernel calls come through impl (bind) or run1 (apply1's lean paths); impl does not call
  // the run1 property, so no call is counted twice.
  type Run1 = { run1: NonNullable<typeof mul_p.run1> };
  const spies = [vi.spyOn(mul_p, "impl"), vi.spyOn(neg_p, "impl"), vi.spyOn(mul_p as Run1, "run1"), vi.spyOn(neg_p as Run1, "run1")];
  fn();
  let calls = 0;
  for (const s of spies) {
    calls += s.mock.calls.length;
    s.mockRestore();
  }
  return calls;
}

const close = (got: readonly number[], want: readonly number[], rel = 1e-13): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want[i]!))));
};

describe("held factors in the backward pass", () => {
  it("a tanh chain with literal products: the chain rule's numbers, and no product kernel per literal", () => {
    const f = (x: Tensor): Tensor => {
      for (let i = 0; i < 40; i++) x = x.mul(0.999).add(0.001).tanh().neg().mul(-1.25);
      return x.sum();
    };
    const x0 = [0.1, -0.2, 0.3];
    const want = x0.map((v) => {
      let d = 1;
      for (let i = 0; i < 40; i++) {
        const y = Math.tanh(0.999 * v + 0.001);
        d *= 0.999 * (1 - y * y) * -1 * -1.25;
        v = 1.25 * y;
      }
      return d;
    });
    let g!: Tensor;
    // Forward: 3 products a round (the literals' and tanh's slope product is staged, not run);
    // backward: only tanh's slope products run (40), plus one for the held factor at the end.
    // Step by step the backward pass would run 4 a round (160).
    const calls = products(() => (g = grad(f)(vector(x0))));
    expect(calls).toBe(40 * 3 + 40 + 1);
    close(g.toArray() as number[], want, 1e-12);
  });

  it("a value used twice with different factors: both are applied before the sum", () => {
    // f = Σ (3x)·… : y = x·3, z = y·0.5 + y·(−2) → dz/dx = 3·(0.5 − 2) = −4.5, through tanh.
    const f = (x: Tensor): Tensor => {
      const y = x.mul(3);
      return y.mul(0.5).add(y.mul(-2)).tanh().sum();
    };
    const x0 = [0.05, -0.1];
    const g = grad(f)(vector(x0)).toArray() as number[];
    close(g, x0.map((v) => -4.5 * (1 - Math.tanh(-4.5 * v) ** 2)));
  });

  it("factors past 2³² run their products (no overflow the step-by-step pass would not have)", () => {
    // Backwards: 2⁻³¹ and 2³² are held (factor 2), each further 2³² would take it past the
    // bound, so those products run and the factor 2 is applied at the end: exact powers of 2.
    const f = (x: Tensor): Tensor => x.mul(2 ** 32).mul(2 ** 32).mul(2 ** 32).mul(2 ** -31).sum();
    const g = grad(f)(vector([1, 2])).toArray() as number[];
    expect(g).toEqual([2 ** 65, 2 ** 65]);
    // A literal outside [2⁻³², 2³²] is never held: 1e300·1e-300 step by step.
    const h = grad((x: Tensor) => x.mul(1e300).mul(1e-300).sum())(vector([1])).toArray() as number[];
    expect(h[0]).toBeCloseTo(1e300 * 1e-300, 14);
  });

  it("only number literals are held: a scalar tensor operand runs its product", () => {
    const c = scalar(0.5);
    const f = (x: Tensor): Tensor => x.mul(c).mul(c).sum();
    const calls = products(() => grad(f)(vector([1, 2, 3])));
    expect(calls).toBe(2 + 2);
    expect(grad(f)(vector([1, 2, 3])).toArray()).toEqual([0.25, 0.25, 0.25]);
  });

  it("vjp with a non-trivial cotangent, jit of grad, and nested transforms give the same derivatives", () => {
    const f = (x: Tensor): Tensor => x.mul(0.7).sin().mul(-3).add(x.neg().mul(2).exp()).mul(0.25);
    const x0 = vector([0.3, -0.4, 0.9]);
    const u = vector([1, -2, 0.5]);
    const d = (v: number): number => 0.25 * (-3 * 0.7 * Math.cos(0.7 * v) - 2 * Math.exp(-2 * v));
    const xs = x0.toArray() as number[], us = u.toArray() as number[];
    const [, back] = vjp(f, x0);
    close(back(u)[0]!.toArray() as number[], xs.map((v, i) => us[i]! * d(v)));
    const s = (x: Tensor): Tensor => f(x).sum();
    const jg = jit(grad(s));
    jg(x0);
    close(jg(x0).toArray() as number[], xs.map(d));
    expect(jg(x0).toArray()).toEqual(grad(s)(x0).toArray());
    // Second order: d²/dx² of 0.25(−3 sin 0.7x + e^(−2x)), by hessian (fwd over rev) and hvp.
    const d2 = (v: number): number => 0.25 * (3 * 0.49 * Math.sin(0.7 * v) + 4 * Math.exp(-2 * v));
    const H = hessian(s)(x0);
    xs.forEach((v, i) => expect(H.get(i, i)).toBeCloseTo(d2(v), 12));
    close(hvp(s)(x0, u).toArray() as number[], xs.map((v, i) => d2(v) * us[i]!));
    close(hvp(s, { mode: "rev-rev" })(x0, u).toArray() as number[], xs.map((v, i) => d2(v) * us[i]!));
    // grad of grad: the inner backward pass runs under the outer trace (factors not held).
    const g2 = grad((x: Tensor) => grad(s)(x).sum())(x0).toArray() as number[];
    close(g2, xs.map(d2));
    // jvp of grad along u.
    close(jvp(grad(s), [x0], [u])[1].toArray() as number[], xs.map((v, i) => d2(v) * us[i]!));
  });
});

describe("held factors in forward mode (jvp, and the linearization grad stages)", () => {
  const f = (x: Tensor): Tensor => {
    for (let i = 0; i < 40; i++) x = x.mul(0.999).add(0.001).tanh().neg().mul(-1.25);
    return x;
  };
  const x0 = [0.1, -0.2, 0.3], v0 = [1, -0.5, 2];
  // d f/dx along v, entrywise: the chain rule in numbers.
  const want = x0.map((x, j) => {
    let d = v0[j]!;
    for (let i = 0; i < 40; i++) {
      const y = Math.tanh(0.999 * x + 0.001);
      d *= 0.999 * (1 - y * y) * 1.25;
      x = 1.25 * y;
    }
    return d;
  });

  it("jvp: the tangent's products by literals run no kernel; one product applies the factor", () => {
    let dy!: Tensor;
    // 3 primal products a round, and one for the factor when the tangent leaves (6 a round step by step).
    const calls = products(() => (dy = jvp(f, [vector(x0)], [vector(v0)])[1] as Tensor));
    expect(calls).toBe(40 * 3 + 1);
    close(dy.toArray() as number[], want, 1e-12);
  });

  it("linearize stages no product by a literal: its pushforward runs tanh's slopes and one factor", () => {
    const [, fjvp] = linearize(f, vector(x0));
    let dy!: Tensor;
    const calls = products(() => (dy = fjvp(vector(v0)) as Tensor));
    expect(calls).toBe(40 + 1);
    close(dy.toArray() as number[], want, 1e-12);
  });

  it("tangents with different factors meeting in one op: both applied", () => {
    // y = 3x; z = tanh(0.5·y − (−2)·y·…): d z = (1 − z²)·(0.5·3 + 2·3)·dx.
    const g = (x: Tensor): Tensor => {
      const y = x.mul(3);
      return y.mul(0.5).sub(y.mul(-2)).tanh();
    };
    const xs = [0.05, -0.1], vs = [1, 3];
    const [, dz] = jvp(g, [vector(xs)], [vector(vs)]);
    close(dz.toArray() as number[], xs.map((x, i) => (1 - Math.tanh(7.5 * x) ** 2) * 7.5 * vs[i]!));
    // The same through grad (its linearization holds the factors too).
    close(grad((x: Tensor) => g(x).sum())(vector(xs)).toArray() as number[], xs.map((x) => (1 - Math.tanh(7.5 * x) ** 2) * 7.5));
  });
});

describe("valueAndTangent: forward mode through unary primitives in one call", () => {
  const x0 = vector([-2.5, -0.3, 0, 0.4, 3]), v0 = vector([1, -2, 0.5, 3, -1]);
  const ops: [string, (x: Tensor) => Tensor][] = [
    ["exp", (x) => x.exp()], ["sin", (x) => x.sin()], ["tanh", (x) => x.tanh()], ["sigmoid", (x) => x.sigmoid()],
    ["softplus", (x) => x.softplus()],
  ];
  for (const [name, f] of ops) {
    it(`${name}: bit for bit the JVP rule's tangent (linearize's pushforward), without calling the rule`, async () => {
      const prims = await import("../../src/ops/elementwise.js");
      const prim = (prims as unknown as Record<string, { jvp: unknown }>)[`${name}_p`]!;
      const rule = vi.spyOn(prim as { jvp: (...a: unknown[]) => unknown }, "jvp");
      const [y, dy] = jvp(f, [x0], [v0]);
      expect(rule).not.toHaveBeenCalled();
      rule.mockRestore();
      const [yl, fl] = linearize(f, x0);
      expect(Array.from(y.data)).toEqual(Array.from(yl.data));
      const want = fl(v0);
      (dy.toArray() as number[]).forEach((d, i) => expect(Object.is(d, (want.toArray() as number[])[i])).toBe(true));
    });
  }

  it("under jit, jvp records the rule's steps and replays the same tangent", () => {
    const f = (x: Tensor, v: Tensor): Tensor => jvp((y: Tensor) => y.mul(0.5).tanh().exp(), [x], [v])[1] as Tensor;
    const jf = jit(f);
    jf(x0, v0);
    const want = f(x0, v0).toArray() as number[];
    (jf(x0, v0).toArray() as number[]).forEach((d, i) => expect(Object.is(d, want[i])).toBe(true));
    const x1 = x0.mul(-0.7);
    const want1 = f(x1, v0).toArray() as number[];
    (jf(x1, v0).toArray() as number[]).forEach((d, i) => expect(Object.is(d, want1[i])).toBe(true));
  });
});

describe("add and sub pass a tangent through (linearScale ±1)", () => {
  it("x + c, c − x, x − b: the tangent, negated for c − x, with no rule and no kernel", async () => {
    const { add_p, sub_p } = await import("../../src/ops/elementwise.js");
    const x0 = vector([0.5, -1, 2]), v0 = vector([1, 2, -3]), b = vector([4, 5, 6]);
    const ra = vi.spyOn(add_p, "jvp"), rs = vi.spyOn(sub_p, "jvp");
    const [y, dy] = jvp((x: Tensor) => sub(1, x.add(0.25)).sub(b), [x0], [v0]);
    expect(ra).not.toHaveBeenCalled();
    expect(rs).not.toHaveBeenCalled();
    expect(y.toArray()).toEqual([1 - 0.75 - 4, 1 + 0.75 - 5, 1 - 2.25 - 6]);
    expect(dy.toArray()).toEqual([-1, -2, 3]);
  });

  it("a result shaped otherwise than x (broadcast against a larger operand) takes the rule", () => {
    const [, d1] = jvp((x: Tensor) => x.add(vector([1, 2])), [scalar(3)], [scalar(2)]);
    expect(d1.shape).toEqual([2]);
    expect(d1.toArray()).toEqual([2, 2]);
    const [, d2] = jvp((x: Tensor) => sub(tensor([[1], [2]]), x), [vector([1, 2, 3])], [vector([1, -1, 2])]);
    expect(d2.shape).toEqual([2, 3]);
    expect(d2.toArray()).toEqual([[-1, 1, -2], [-1, 1, -2]]);
    // Through grad too: ∂/∂x Σ (c − x)·3 = −3 per entry, broadcast sums included.
    expect(grad((x: Tensor) => sub(tensor([[1], [2]]), x).mul(3).sum())(vector([1, 2, 3])).toArray()).toEqual([-6, -6, -6]);
  });
});

describe("a transform started inside another stops the outer ones holding (stopHolding)", () => {
  it("an outer factor held before an inner grad starts is still applied: closed form", () => {
    // h(x) = Σ ∂/∂u Σ tanh(3u) at u = 0.5x = Σ 3 sech²(1.5x); h′(x) = −9 tanh(1.5x) sech²(1.5x).
    const h = (x: Tensor): Tensor => grad((u: Tensor) => u.mul(3).tanh().sum())(x.mul(0.5)).sum();
    const xs = [0.2, -0.7, 1.1];
    const sech2 = (z: number): number => 1 / Math.cosh(z) ** 2;
    close(grad(h)(vector(xs)).toArray() as number[], xs.map((x) => -9 * Math.tanh(1.5 * x) * sech2(1.5 * x)));
    const [, dh] = jvp(h, [vector(xs)], [vector([1, 2, -1])]);
    close([dh.item()], [xs.reduce((a, x, i) => a + [1, 2, -1][i]! * -9 * Math.tanh(1.5 * x) * sech2(1.5 * x), 0)]);
  });
});
