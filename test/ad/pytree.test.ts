// Pytrees keep the user's structure and key order everywhere (issue 17, items 1–3): what f
// receives, every flat order, jit's cache key; jit's non-tensor leaves are static.
import { describe, expect, it } from "vitest";
import {
  DTypeError, ShapeError, Tensor, concat, grad, hessian, hvp, jacobian, jit, jvp, linearize, matrix, ravelPytree, scalar, treeMap,
  valueAndGrad, vector, vjp,
} from "../../src/index.js";
import { leastSquares, minimize } from "../../src/optim/index.js";

type Params = Record<string, Tensor>;

/** The reproduction: a network that walks its layers with Object.values. */
const net = (p: Params) => Object.values(p).reduce((h: Tensor, W) => W.matmul(h).tanh(), vector([1, -1])).sum();
const p1 = () => ({ second: matrix([[0.5, 0], [-1, 1]]), first: matrix([[1, 2], [0, 1]]) });

/** Central differences of scalar f over every entry of every leaf of p, leaf by leaf in key order. */
function fdGrad(f: (p: Params) => Tensor, p: Params, h = 1e-6): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(p)) {
    const base = Array.from(p[k]!.data);
    out[k] = base.map((_, i) => {
      const at = (d: number) => {
        const v = base.slice();
        v[i]! += d;
        const q: Params = {};
        for (const j of Object.keys(p)) q[j] = j === k ? new Tensor(p[k]!.shape, Float64Array.from(v)) : p[j]!;
        return f(q).item();
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  }
  return out;
}

function expectClose(a: readonly number[], b: readonly number[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
}

describe("object pytrees keep the user's key order", () => {
  it("the issue's reproduction: valueAndGrad(net)(p1)[0] is net(p1) bit for bit; grad matches finite differences", () => {
    const p = p1();
    const direct = net(p).item();
    expect(direct).toBeCloseTo(-1.6449, 4);
    const [v, g] = valueAndGrad(net)(p) as [Tensor, Params];
    expect(Object.is(v.item(), direct)).toBe(true);
    expect(Object.keys(g)).toEqual(["second", "first"]);
    const fd = fdGrad(net, p);
    for (const k of ["second", "first"]) expectClose(Array.from(g[k]!.data), fd[k]!, 1e-8);
  });

  it("f receives the user's key order under every transform, jit and minimize", () => {
    const seen: string[] = [];
    const f = (p: Params) => {
      seen.push(Object.keys(p).join(","));
      return net(p);
    };
    const p = p1();
    const v = { second: matrix([[1, 0], [0, 0]]), first: matrix([[0, 0], [0, 1]]) };
    grad(f)(p);
    valueAndGrad(f)(p);
    hessian(f)(p);
    hvp(f)(p, v);
    hvp(f, { mode: "rev-rev" })(p, v);
    jacobian(f)(p);
    jvp(f, [p], [v]);
    vjp(f, p);
    linearize(f, p);
    jit(f)(p);
    jit(grad(f))(p);
    for (const method of ["bfgs", "newton", "newton-cg", "trust-ncg"] as const) minimize(f, p, { method, maxIterations: 2 });
    expect(new Set(seen)).toEqual(new Set(["second,first"]));
  });

  it("minimize's reported value is f at its reported x, and x keeps the key order", () => {
    const res = minimize(net, p1(), { method: "bfgs", maxIterations: 5 });
    expect(Object.keys(res.x)).toEqual(["second", "first"]);
    expect(res.value).toBe(net(res.x as Params).item());
  });

  it("leastSquares' returnJacobian columns and callback's flat vector follow the key order", () => {
    const r = (p: { b: Tensor; a: Tensor }) => concat([p.b.sub(1), p.a.sub(3).mul(2)], 0);
    const res = leastSquares(r, { b: vector([0]), a: vector([0]) }, { returnJacobian: true });
    expect(Object.keys(res.x)).toEqual(["b", "a"]);
    expect(res.jacobian!.toArray()).toEqual([[1, 0], [0, 2]]);
    const seen: [number[], number[]][] = [];
    minimize((p: { z: Tensor; y: Tensor }) => p.z.sub(5).square().sum().add(p.y.square().mul(3).sum()), { z: vector([1]), y: vector([2]) }, {
      method: "bfgs", maxIterations: 2,
      callback: (s) => void seen.push([Array.from(s.xFlat), [s.x.z.item(), s.x.y.item()]]),
    });
    expect(seen.length).toBeGreaterThan(0);
    for (const [flat, zy] of seen) expect(flat).toEqual(zy); // z first, as built
  });

  it("Jacobian and Hessian columns follow the key order", () => {
    const f = (p: { b: Tensor; a: Tensor }) => concat([p.b.mul(10), p.a], 0);
    const J = jacobian(f)({ b: vector([1, 2]), a: vector([3]) });
    // columns: b₀, b₁, a₀ (b first, as the object was built)
    expect(J.toArray()).toEqual([[10, 0, 0], [0, 10, 0], [0, 0, 1]]);
    const H = hessian((p: { z: Tensor; y: Tensor }) => p.z.square().sum().add(p.y.mul(3).square().sum()))({ z: vector([1]), y: vector([1]) });
    expect(H.toArray()).toEqual([[2, 0], [0, 18]]);
  });

  it("tangents and cotangents are matched by key, whatever their key order", () => {
    const f = (p: { a: Tensor; b: Tensor }) => p.a.mul(2).add(p.b.mul(3));
    const [, t] = jvp(f, [{ a: vector([1]), b: vector([1]) }], [{ b: vector([1]), a: vector([0]) }]);
    expect((t as Tensor).toArray()).toEqual([3]);
    expect(() => jvp(f, [{ a: vector([1]), b: vector([1]) }], [{ a: vector([1]), c: vector([1]) }])).toThrow(ShapeError);
    const [, t2] = jvp((p: Tensor[]) => p[0]!.mul(p[1]!), [[scalar(2), scalar(3)]], [[1, 0]]);
    expect((t2 as Tensor).item()).toBe(3);
    expect(() => jvp((p: Tensor[]) => p[0]!, [[scalar(2), scalar(3)]], [[1, 0, 0]])).toThrow(ShapeError);
    const hv = hvp((p: { a: Tensor; b: Tensor }) => p.a.square().sum().add(p.b.square().mul(5).sum()))(
      { a: vector([1]), b: vector([1]) }, { b: vector([1]), a: vector([0]) },
    ) as { a: Tensor; b: Tensor };
    expect(Object.keys(hv)).toEqual(["a", "b"]);
    expect([hv.a.item(), hv.b.item()]).toEqual([0, 10]);
  });

  it("a cyclic pytree is a DTypeError; a __proto__ own key (JSON.parse) stays an own key", () => {
    const cyc: Record<string, unknown> = { a: vector([1]) };
    cyc.self = cyc;
    expect(() => grad((p: { a: Tensor }) => p.a.sum())(cyc)).toThrow(DTypeError);
    expect(() => grad((p: { a: Tensor }) => p.a.sum())(cyc)).toThrow(/grad|valueAndGrad/);
    const p = JSON.parse('{"__proto__": [1, 2], "w": [3]}') as Record<string, number[]>;
    const g = grad((q: Record<string, Tensor>) => q["__proto__"]!.square().sum().add(q.w!.sum()))(p) as Record<string, Tensor>;
    expect(Object.keys(g)).toEqual(["__proto__", "w"]);
    expect(Object.getPrototypeOf(g)).toBe(Object.prototype);
    expect(g["__proto__"]!.toArray()).toEqual([2, 4]);
    expect(g.w!.toArray()).toEqual([1]);
  });

  it("jit's cache key includes the key order", () => {
    let runs = 0;
    const j = jit((p: Params) => (runs++, net(p)));
    const p = p1();
    const swapped = { first: p.first, second: p.second };
    for (let i = 0; i < 2; i++) {
      expect(j(p).item()).toBe(net(p).item());
      expect(j(swapped).item()).toBe(net(swapped).item());
    }
    expect(net(p).item()).not.toBe(net(swapped).item());
    expect(runs).toBe(2);
  });
});

describe("null-prototype objects are plain objects", () => {
  it("grad and jit read and return them (results stay alive after the call)", () => {
    const p = Object.assign(Object.create(null) as Record<string, Tensor>, { b: vector([1, 2]), a: vector([3]) });
    const f = (q: Record<string, Tensor>) => q.b!.square().sum().add(q.a!.sum());
    const g = grad(f)(p) as Record<string, Tensor>;
    expect(Object.keys(g)).toEqual(["b", "a"]);
    expect(g.b!.toArray()).toEqual([2, 4]);
    const j = jit((q: Record<string, Tensor>) => Object.assign(Object.create(null) as Record<string, Tensor>, { y: q.b!.mul(2) }));
    for (let i = 0; i < 2; i++) expect((j(p) as Record<string, Tensor>).y!.toArray()).toEqual([2, 4]);
  });
});

describe("jit: non-tensor leaves are static", () => {
  it("numbers, booleans, strings, null and arrays reach f as themselves, on the first and later calls", () => {
    const branches: string[] = [];
    const f = (x: Tensor, s: number, mode: string, a: number[], p: { flag: number; on: boolean; none: null }) => {
      let y = x;
      if (typeof s === "number") y = y.mul(s);
      else branches.push("s not a number");
      switch (s) {
        case 0:
          y = y.add(100);
          break;
        case 2:
          y = y.add(200);
          break;
      }
      if (!Array.isArray(a)) branches.push("a not an array");
      y = y.add(a.reduce((u, v) => u + v, 0));
      if (p.flag === 1) y = y.neg();
      if (p.on !== true) branches.push("on not true");
      if (p.none !== null) branches.push("none not null");
      if (mode === "sq") y = y.square();
      return [y.sum(), s * 2, a.length, mode];
    };
    const j = jit(f);
    const calls: Parameters<typeof f>[] = [];
    for (const s of [0, 2, 3]) for (const flag of [0, 1]) for (const mode of ["sq", "id"]) calls.push([vector([s, 1]), s, mode, [s, 1], { flag, on: true, none: null }]);
    for (const round of [0, 1]) {
      for (const c of calls) {
        const out = j(...c) as [Tensor, number, number, string];
        const ref = f(...c) as [Tensor, number, number, string];
        expect(Object.is(out[0].item(), ref[0].item())).toBe(true);
        expect(typeof out[1]).toBe("number");
        expect(out.slice(1)).toEqual(ref.slice(1));
        void round;
      }
    }
    expect(branches).toEqual([]);
  });

  it("static values are part of the signature; scalar(s) is traced", () => {
    let runs = 0;
    const f = (x: Tensor, s: number | Tensor) => (runs++, x.mul(s).sum());
    const j = jit(f);
    for (const s of [1, 2, 1, 2, -0, 0]) expect(j(vector([1, 2]), s).item()).toBe(f(vector([1, 2]), s).item());
    const afterStatic = runs;
    expect(afterStatic).toBe(6 + 4); // 6 direct calls + one recording each for 1, 2, -0, 0
    for (const s of [1, 2, 3]) expect(j(vector([1, 2]), scalar(s)).item()).toBe(3 * s);
    expect(runs).toBe(afterStatic + 1);
  });

  it("a returned number comes back as a number; returned arrays are the caller's", () => {
    const j = jit((x: Tensor, n: number) => ({ y: x.mul(n), n: n + 1, list: [n, n] }));
    for (let i = 0; i < 3; i++) {
      const r = j(vector([1]), 2) as { y: Tensor; n: number; list: number[] };
      expect(r.n).toBe(3);
      expect(r.list).toEqual([2, 2]);
      r.list[0] = 99;
      expect(r.y.item()).toBe(2);
    }
  });
});

describe("grad with repeated argnums", () => {
  const f = (x: Tensor, y: Tensor) => x.square().sum().mul(y.sum());
  it("gives the right gradient at each place", () => {
    const x = vector([1, 2]), y = vector([3]);
    const [g0, g1, g2] = grad(f, { argnums: [0, 0, 1] })(x, y) as Tensor[];
    expect(g0!.toArray()).toEqual([6, 12]);
    expect(g1!.toArray()).toEqual([6, 12]);
    expect(g2!.toArray()).toEqual([5]);
    const [v, [a, b]] = valueAndGrad(f, { argnums: [0, 0] })(x, y) as [Tensor, Tensor[]];
    expect(v.item()).toBe(15);
    expect(a!.toArray()).toEqual([6, 12]);
    expect(b!.toArray()).toEqual([6, 12]);
  });

  it("jacobian and hessian repeat the argument's columns", () => {
    const x = vector([1, 2]), y = vector([3]);
    const J = jacobian((x: Tensor, y: Tensor) => x.mul(y), { argnums: [1, 0, 1] })(x, y);
    expect(J.toArray()).toEqual([[1, 3, 0, 1], [2, 0, 3, 2]]);
    const Jd = jacobian((x: Tensor, y: Tensor) => x.mul(y), { argnums: [0, 0], layout: "denominator" })(x, y);
    expect(Jd.toArray()).toEqual([[3, 0], [0, 3], [3, 0], [0, 3]]);
    const H = hessian(f, { argnums: [0, 0] })(x, y);
    expect(H.toArray()).toEqual([[6, 0, 6, 0], [0, 6, 0, 6], [6, 0, 6, 0], [0, 6, 0, 6]]);
  });
});

describe("README: Pytrees section example, as written", () => {
  it("runs and gives what its comments say", () => {
    const net = (p: Params) => Object.values(p).reduce((h: Tensor, W) => W.matmul(h).tanh(), vector([1, -1])).sum();
    const p = { second: matrix([[0.5, 0], [-1, 1]]), first: matrix([[1, 2], [0, 1]]) };
    expect(valueAndGrad(net)(p)[0].item() === net(p).item()).toBe(true);
    const H = hessian(net)(p);
    expect(H.shape).toEqual([8, 8]);
    const blk = (hessian(net, { blocks: true })(p) as Record<string, Record<string, Tensor>>).second!.first!;
    expect(blk.shape).toEqual([4, 4]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(blk.get(i, j)).toBe(H.get(i, 4 + j));
    const [flat, unravel] = ravelPytree(p);
    expect(Array.from(flat.data)).toEqual([...p.second.data, ...p.first.data]);
    expect((unravel(flat) as Params).first!.toArray()).toEqual([[1, 2], [0, 1]]);
    const g = grad(net)(p) as Params;
    const step = treeMap((W: Tensor, G: Tensor) => W.sub(G.mul(0.1)), p, g);
    expect(Object.keys(step)).toEqual(["second", "first"]);
    expect(step.first.get(0, 1)).toBe(2 - 0.1 * g.first!.get(0, 1));
  });
});
