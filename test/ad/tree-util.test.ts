// Public pytree utilities (jax.tree_util / jax.flatten_util) and jacobian/hessian blocks keyed
// by the user's names; each TSDoc example of src/transforms/tree-util.ts runs here.
import { describe, expect, it } from "vitest";
import {
  OptionError, PyTreeDef, ShapeError, Tensor, grad, hessian, jacobian, jit, matrix, ravelPytree, scalar, treeFlatten, treeLeaves, treeMap,
  treeUnflatten, vector,
} from "../../src/index.js";

describe("treeFlatten / treeUnflatten / treeLeaves / treeMap", () => {
  it("PyTreeDef example: leaf count, text, equality with key order", () => {
    const [, def] = treeFlatten({ w: vector([1, 2]), b: 3 });
    expect(def).toBeInstanceOf(PyTreeDef);
    expect(def.numLeaves).toBe(2);
    expect(String(def)).toBe("{w: *, b: *}");
    expect(def.equals(treeFlatten({ w: 0, b: 0 })[1])).toBe(true);
    expect(def.equals(treeFlatten({ b: 0, w: 0 })[1])).toBe(false);
  });

  it("treeFlatten example: leaves in key order, any leaf kind, round trip", () => {
    const W = matrix([[1, 2]]), b = vector([3]);
    const [leaves, def] = treeFlatten({ W, b, act: "tanh" });
    expect(leaves).toEqual([W, b, "tanh"]);
    expect(leaves[0]).toBe(W);
    const back = treeUnflatten(def, [leaves[0], vector([0]), "relu"]) as { W: Tensor; b: Tensor; act: string };
    expect(Object.keys(back)).toEqual(["W", "b", "act"]);
    expect(back.W).toBe(W);
    expect(back.b.toArray()).toEqual([0]);
    expect(back.act).toBe("relu");
    expect(() => treeUnflatten(def, [1, 2])).toThrow(ShapeError);
  });

  it("treeUnflatten example", () => {
    const [, def] = treeFlatten([vector([1]), { a: 2 }]);
    const t = treeUnflatten(def, [scalar(7), 8]) as [Tensor, { a: number }];
    expect(t[0].item()).toBe(7);
    expect(t[1]).toEqual({ a: 8 });
  });

  it("treeLeaves example: numeric arrays are one leaf", () => {
    const b = vector([1]), s = scalar(4);
    expect(treeLeaves({ b, a: [2, 3], c: [s, 5] })).toEqual([b, [2, 3], s, 5]);
  });

  it("treeMap example: one tree, and several matched by key", () => {
    const p = { W: matrix([[1, 2]]), b: vector([3]) };
    const g = { b: vector([30]), W: matrix([[10, 20]]) }; // another key order: matched by name
    const twice = treeMap((x: Tensor) => x.mul(2), p);
    expect(Object.keys(twice)).toEqual(["W", "b"]);
    expect(twice.W.toArray()).toEqual([[2, 4]]);
    expect(twice.b.toArray()).toEqual([6]);
    const step = treeMap((x: Tensor, d: Tensor) => x.sub(d.mul(0.1)), p, g);
    expect(step.W.toArray()).toEqual([[0, 0]]);
    expect(step.b.toArray()).toEqual([0]);
    expect(() => treeMap((x: Tensor) => x, p, { W: 1 })).toThrow(ShapeError);
  });
});

describe("ravelPytree", () => {
  it("example: flat vector in key order (vec of each leaf) and unravel", () => {
    const p = { W: matrix([[1, 2], [3, 4]]), b: vector([5]) };
    const [flat, unravel] = ravelPytree(p);
    expect(flat.toArray()).toEqual([1, 3, 2, 4, 5]);
    const back = unravel(flat.mul(10));
    expect(Object.keys(back)).toEqual(["W", "b"]);
    expect(back.W.toArray()).toEqual([[10, 20], [30, 40]]);
    expect(back.b.toArray()).toEqual([50]);
    expect(() => unravel(vector([1, 2]))).toThrow(ShapeError);
  });

  it("is the order of hessian's columns, and differentiable", () => {
    const p = { z: vector([1, 2]), a: matrix([[1, 0], [2, 3]]) };
    const f = (q: typeof p) => q.z.mul(q.a.sum()).square().sum().add(q.a.square().mul(q.a).sum());
    const [flat, unravel] = ravelPytree(p);
    const H = hessian(f)(p);
    const Hflat = hessian((v: Tensor) => f(unravel(v)))(flat);
    expect(Array.from(Hflat.data)).toEqual(Array.from(H.data));
    const g = grad((v: Tensor) => f(unravel(v)))(flat) as Tensor;
    const gp = grad(f)(p) as typeof p;
    expect(Array.from(g.data)).toEqual([...gp.z.data, ...gp.a.data]);
  });
});

describe("jacobian / hessian with { blocks: true }", () => {
  it("nested blocks keyed by the user's names, each the matching slice of the matrix", () => {
    const p = { W: matrix([[1, 2], [0, 1]]), b: vector([0.5, -1]) };
    const f = (q: typeof p) => q.W.matmul(q.b).tanh().sum().add(q.b.square().sum());
    const H = hessian(f)(p);
    const B = hessian(f, { blocks: true })(p) as Record<"W" | "b", Record<"W" | "b", Tensor>>;
    expect(Object.keys(B)).toEqual(["W", "b"]);
    expect(Object.keys(B.W)).toEqual(["W", "b"]);
    expect(B.W.W.shape).toEqual([4, 4]);
    expect(B.W.b.shape).toEqual([4, 2]);
    expect(B.b.W.shape).toEqual([2, 4]);
    const at = (i: number, j: number) => H.get(i, j);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) expect(B.W.b.get(i, j)).toBe(at(i, 4 + j));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(B.b.b.get(i, j)).toBe(at(4 + i, 4 + j));
  });

  it("pytree outputs and several argnums; denominator layout transposes each block", () => {
    const f = (x: Tensor, y: Tensor) => ({ s: x.mul(y).sum(), v: x.mul(3) });
    const x = vector([1, 2]), y = vector([3, 4]);
    const B = jacobian(f, { argnums: [0, 1], blocks: true })(x, y) as { s: Tensor[]; v: Tensor[] };
    expect(B.s[0]!.toArray()).toEqual([[3, 4]]);
    expect(B.s[1]!.toArray()).toEqual([[1, 2]]);
    expect(B.v[0]!.toArray()).toEqual([[3, 0], [0, 3]]);
    expect(B.v[1]!.toArray()).toEqual([[0, 0], [0, 0]]);
    const D = jacobian(f, { argnums: 0, blocks: true, layout: "denominator" })(x, y) as { s: Tensor; v: Tensor };
    expect(D.s.toArray()).toEqual([[3], [4]]);
    const jd = jit(jacobian(f, { argnums: 0, blocks: true }));
    for (let i = 0; i < 2; i++) expect((jd(x, y) as { s: Tensor }).s.toArray()).toEqual([[3, 4]]);
  });

  it("options are validated (OptionError names the key)", () => {
    const f = (x: Tensor) => x.sum();
    expect(() => jacobian(f, { blocks: "yes" } as never)).toThrow(OptionError);
    expect(() => jacobian(f, { layot: "denominator" } as never)).toThrow(/layot/);
    expect(() => hessian(f, { mode: "fwd" } as never)).toThrow(OptionError);
    expect(() => hessian(f, { chunkSize: 1.5 })).toThrow(/chunkSize/);
  });
});
