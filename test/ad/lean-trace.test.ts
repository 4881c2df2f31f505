// The shortcuts issue 19 took in the traced and eager paths keep their semantics: cached
// scalar constants, shapes shared between operands and results, staged variables indexed by id.
import { describe, expect, it } from "vitest";
import { eigh, grad, hessian, jit, jvp, linearize, matrix, scalar, vector, vjp, type Tensor } from "../../src/index.js";

describe("number constants", () => {
  it("keep the sign of zero (−0 is never served for +0 or the reverse)", () => {
    const x = vector([1, -1]);
    const pos = x.mul(0).toArray() as number[];
    const neg = x.mul(-0).toArray() as number[];
    expect(pos.map((v) => Object.is(v, 0))).toEqual([true, false]);
    expect(neg.map((v) => Object.is(v, -0))).toEqual([true, false]);
    expect(x.mul(0).toArray()).toEqual(pos);
  });

  it("give each number its own value when more numbers than cache slots alternate", () => {
    const x = vector([2, 3]);
    for (let round = 0; round < 3; round++) {
      for (let k = 1; k <= 20; k++) expect(x.mul(k + 0.5).toArray()).toEqual([2 * (k + 0.5), 3 * (k + 0.5)]);
    }
    expect(x.add(NaN).toArray()).toEqual([NaN, NaN]);
  });

  it("used many times inside one transform give the derivative of the chain", () => {
    // f = sum(tanh(c·x + d)) iterated; checked against the chain rule written out in numbers.
    const f = (x: Tensor): Tensor => {
      for (let i = 0; i < 5; i++) x = x.mul(0.9).add(0.1).tanh();
      return x.sum();
    };
    const x0 = [0.3, -0.7];
    const g = grad(f)(vector(x0)).toArray() as number[];
    const expected = x0.map((v) => {
      let d = 1;
      for (let i = 0; i < 5; i++) {
        const y = Math.tanh(0.9 * v + 0.1);
        d *= 0.9 * (1 - y * y);
        v = y;
      }
      return d;
    });
    g.forEach((gi, i) => expect(gi).toBeCloseTo(expected[i]!, 14));
    const [, dy] = jvp(f, [vector(x0)], [vector([1, 0])]);
    expect(dy.item()).toBeCloseTo(expected[0]!, 14);
  });
});

describe("staged linear functions", () => {
  it("run backward and forward more than once (vjp's and linearize's functions)", () => {
    const c = scalar(3);
    const f = (x: Tensor): Tensor => x.mul(c).mul(x).add(x);
    const [, back] = vjp(f, vector([1, 2]));
    expect((back(vector([1, 1]))[0] as Tensor).toArray()).toEqual([7, 13]);
    expect((back(vector([2, 0]))[0] as Tensor).toArray()).toEqual([14, 0]);
    const [, lin] = linearize(f, vector([1, 2]));
    expect(lin(vector([1, 0])).toArray()).toEqual([7, 0]);
    expect(lin(vector([0, 1])).toArray()).toEqual([0, 13]);
  });

  it("accumulate cotangents of a variable used by several equations", () => {
    // x used three times: d/dx sum(x·x + 2x) = 2x + 2.
    const g = grad((x: Tensor) => x.mul(x).add(x.mul(2)).sum())(vector([1, -4]));
    expect(g.toArray()).toEqual([4, -6]);
  });

  it("drop what no output needs and still push tangents through the rest (linearize, hessian)", () => {
    const f = (x: Tensor): Tensor => {
      x.sin().mul(3); // staged, then pruned: no output depends on it
      return x.mul(x).sum();
    };
    const [, lin] = linearize(f, vector([1, -2]));
    expect(lin(vector([1, 1])).item()).toBe(-2); // 2x·v
    expect((hessian(f)(vector([1, -2])) as Tensor).toArray()).toEqual([[2, 0], [0, 2]]);
  });

  it("transpose primitives with several outputs (eigh: values and vectors)", () => {
    // d/dA of the sum of eigenvalues is the identity (the trace's gradient), for symmetric A.
    const g = grad((A: Tensor) => {
      const [w, V] = eigh(A);
      return w.sum().add(V.mul(0).sum());
    })(matrix([[2, 1], [1, 3]])) as Tensor;
    const G = g.toArray() as number[][];
    expect(G[0]![0]).toBeCloseTo(1, 12);
    expect(G[1]![1]).toBeCloseTo(1, 12);
    expect(G[0]![1]! + G[1]![0]!).toBeCloseTo(0, 12);
  });

  it("nest: a second derivative through the same constants", () => {
    // d²/dx² tanh(0.5x) = −0.5·tanh·sech² (each factor 0.5 from the chain rule)
    const d2 = grad(grad((x: Tensor) => x.mul(0.5).tanh().sum()))(scalar(0.8)).item();
    const t = Math.tanh(0.4);
    expect(d2).toBeCloseTo(-2 * 0.25 * t * (1 - t * t), 14);
  });
});

describe("tanh's tangent in one call (concrete tangents)", () => {
  it("is bit for bit the tangent reverse mode and nested forward mode compute with the slope", () => {
    const x = vector([0, 0.3, -2, 20, -30, 1000, 1e-8]);
    const t = vector([1, -0.5, 2, 3, 1, 1, 7]);
    const [, fwd] = jvp((v: Tensor) => v.tanh(), [x], [t]);
    const [, back] = vjp((v: Tensor) => v.tanh(), x);
    const rev = back(t)[0] as Tensor; // ct·sech²x: tanhSlope, then a product
    expect(fwd.toArray()).toEqual(rev.toArray());
    const sech2 = (x.toArray() as number[]).map((v) => 1 / Math.cosh(v) ** 2);
    (fwd.toArray() as number[]).forEach((d, i) => expect(d).toBeCloseTo((t.toArray() as number[])[i]! * sech2[i]!, 15));
    // Second order through the traced path: d²/dx² tanh = −2 tanh·sech².
    const [, d2] = jvp((v: Tensor) => jvp((w: Tensor) => w.tanh(), [v], [vector([1])])[1], [vector([0.4])], [vector([1])]);
    const th = Math.tanh(0.4);
    expect(d2.item()).toBeCloseTo(-2 * th * (1 - th * th), 14);
  });

  it("records and replays under jit", () => {
    const f = (x: Tensor): Tensor => jvp((v: Tensor) => v.mul(2).tanh(), [x], [vector([1, -1])])[1];
    const fallbacks: string[] = [];
    const jf = jit(f, { onFallback: (why) => fallbacks.push(why) });
    for (const x0 of [[0.1, 0.2], [-1, 3], [0.5, 0.5]]) {
      expect(jf(vector(x0)).toArray()).toEqual(f(vector(x0)).toArray());
    }
    expect(fallbacks).toEqual([]);
  });
});

describe("shapes shared between operands and results", () => {
  it("do not leak: a result's shape is its own value, whatever the operands'", () => {
    const a = vector([1, 2, 3]);
    const b = a.add(1);
    expect(b.shape).toEqual([3]);
    expect(() => a.add(vector([1, 2]))).toThrow(/cannot broadcast \[3\] with \[2\]/);
    expect(scalar(2).add(a).shape).toEqual([3]);
    expect(a.add(scalar(2)).shape).toEqual([3]);
  });
});
