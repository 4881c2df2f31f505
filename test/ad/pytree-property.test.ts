// Property tests (issue 17): random pytrees (nested arrays and objects, keys in random order,
// integer-like keys, number leaves) through random compositions that walk the tree in its
// enumeration order (so a reordered tree is a different function). For each:
//   valueAndGrad(f)(x)[0] is f(x) bit for bit, and the gradient keeps x's structure and key order;
//   jit(f)(x) is f(x) bit for bit, on two different inputs (and jit(grad(f)) is grad(f));
//   grad agrees with central differences.
// Seeded and small, so it runs in a few seconds. The tree walker below is the test's own.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { Tensor, grad, jit, tensor, valueAndGrad } from "../../src/index.js";
import { mulberry32 } from "../../src/random.js";

// A leaf: a tensor, a number, or an array of numbers (one vector leaf, as matcalc reads it).
type Leaf = Tensor | number | number[];
type Tree = Leaf | Tree[] | { [k: string]: Tree };

const isLeaf = (t: unknown): t is Leaf =>
  t instanceof Tensor || typeof t === "number" || (Array.isArray(t) && t.length > 0 && t.every((v) => typeof v === "number"));

const SHAPES: number[][] = [[], [1], [3], [2, 2], [3, 2], [1, 4]];
const KEYS = ["w", "bias", "layer2", "a", "Z", "10", "2", "_x", "β"];

function randomTree(r: () => number, depth: number): Tree {
  const u = r();
  if (depth === 0 || u < 0.3) {
    const v = r();
    if (v < 0.2) return Math.round((r() * 4 - 2) * 1000) / 1000; // a number leaf
    if (v < 0.3) return [r() - 0.5, r() * 2]; // an array of numbers: one leaf
    const shape = SHAPES[Math.floor(r() * SHAPES.length)]!;
    const n = shape.reduce((a, b) => a * b, 1);
    return tensor(Float64Array.from({ length: n }, () => r() * 2 - 1), shape, { order: "col" });
  }
  const k = 1 + Math.floor(r() * 3);
  if (u < 0.6) {
    const xs = Array.from({ length: k }, () => randomTree(r, depth - 1));
    // Arrays of number arrays read as one matrix leaf (nested arrays are tensors, row by row):
    // a tensor child keeps this node an array of leaves, as the test's walker sees it.
    if (xs.every((x) => Array.isArray(x) && x.every((v) => typeof v === "number"))) xs.push(tensor([0.25], [1]));
    return xs;
  }
  // Keys in a random insertion order (integer-like keys enumerate first, as JS does).
  const keys = KEYS.slice().sort(() => r() - 0.5).slice(0, k);
  const o: { [k: string]: Tree } = {};
  for (const key of keys) o[key] = randomTree(r, depth - 1);
  return o;
}

/** The tree's leaves in enumeration order (Object.values / array order): the test's own walker. */
function leaves(t: Tree): Leaf[] {
  if (isLeaf(t)) return [t];
  if (Array.isArray(t)) return t.flatMap(leaves);
  return Object.values(t).flatMap(leaves);
}

/** The tree with its leaves replaced in order by `fn(leaf, index)`. */
function mapTree(t: Tree, fn: (l: Leaf, i: number) => Leaf): Tree {
  let i = 0;
  const go = (x: Tree): Tree => {
    if (isLeaf(x)) return fn(x, i++);
    if (Array.isArray(x)) return x.map(go);
    const o: { [k: string]: Tree } = {};
    for (const k of Object.keys(x)) o[k] = go(x[k]!);
    return o;
  };
  return go(t);
}

/** The structure as text: keys in enumeration order, leaves as `*`. */
function shapeOf(t: unknown): string {
  if (isLeaf(t)) return "*";
  if (Array.isArray(t)) return `[${t.map(shapeOf).join(",")}]`;
  return `{${Object.keys(t as object).map((k) => `${k}:${shapeOf((t as Record<string, unknown>)[k])}`).join(",")}}`;
}

type Reduce = (l: Leaf) => Tensor;
const REDUCERS: Reduce[] = [
  (l) => mc.sum(mc.sin(l)),
  (l) => mc.mul(mc.sum(mc.square(l)), 0.3),
  (l) => mc.mean(mc.exp(mc.mul(l, 0.5))),
  (l) => mc.logsumexp(mc.reshape(l, [-1])),
  (l) => mc.sum(mc.tanh(mc.add(l, 0.25))),
];

/**
 * A random scalar function of a tree with this many leaves: it folds the leaves, in the
 * order the tree enumerates them, through acc ← tanh(c·acc + reduce(leaf)), so the position
 * of each leaf matters.
 */
function randomF(r: () => number, nLeaves: number): (t: Tree) => Tensor {
  const picks = Array.from({ length: nLeaves }, () => REDUCERS[Math.floor(r() * REDUCERS.length)]!);
  const cs = Array.from({ length: nLeaves }, () => 0.4 + r());
  return (t) => {
    let acc = mc.scalar(0.1);
    leaves(t).forEach((l, i) => {
      acc = mc.tanh(mc.add(mc.mul(acc, cs[i]!), picks[i]!(l)));
    });
    return acc;
  };
}

/** Central differences of f over every entry of every leaf (number leaves included). */
function fd(f: (t: Tree) => Tensor, x: Tree): number[][] {
  return leaves(x).map((leaf, li) => {
    const base = leaf instanceof Tensor ? Array.from(leaf.data) : typeof leaf === "number" ? [leaf] : leaf;
    return base.map((v, k) => {
      const h = 1e-6 * Math.max(1, Math.abs(v));
      const at = (d: number) => {
        const y = mapTree(x, (l, i) => {
          if (i !== li) return l;
          if (typeof l === "number") return l + d;
          if (Array.isArray(l)) return l.map((u, j) => (j === k ? u + d : u));
          const e = l.data;
          e[k]! += d;
          return tensor(e, l.shape, { order: "col" });
        });
        return f(y).item();
      };
      return (at(h) - at(-h)) / (2 * h);
    });
  });
}

const CASES = 40;

describe("random pytrees through random compositions", () => {
  const r = mulberry32(20261206);
  // Made in beforeAll: the browser project loads the kernels there (tensors need them).
  type Case = { c: number; x: Tree; x2: Tree; f: (t: Tree) => mc.Tensor; n: number };
  let cases: Case[] = [];
  beforeAll(() => { cases = Array.from({ length: CASES }, (_, c) => {
    const x = randomTree(r, 3);
    const n = leaves(x).length;
    const f = randomF(r, n);
    // A second input of the same structure, other values (number leaves too).
    const x2 = mapTree(x, (l) =>
      typeof l === "number" ? l * 0.5 - 0.25 : Array.isArray(l) ? l.map((u) => u * 0.5 - 0.25) : mc.sub(mc.mul(l, 0.7), 0.1),
    );
    return { c, x, x2, f, n };
  }); });

  it("generates varied trees (objects, arrays, number leaves, integer-like keys)", () => {
    const all = cases.map(({ x }) => shapeOf(x)).join(" ");
    expect(all).toMatch(/\{/);
    expect(all).toMatch(/\[/);
    expect(all).toMatch(/"?10"?:|2:/);
    expect(cases.some(({ x }) => leaves(x).some((l) => typeof l === "number"))).toBe(true);
    expect(cases.some(({ x }) => leaves(x).some((l) => Array.isArray(l)))).toBe(true);
    expect(cases.filter(({ n }) => n >= 3).length).toBeGreaterThan(CASES / 4);
  });

  it("valueAndGrad(f)(x)[0] is f(x) bit for bit; the gradient keeps x's structure and key order", () => {
    for (const { c, x, x2, f } of cases) {
      for (const input of [x, x2]) {
        const [v, g] = valueAndGrad(f)(input) as [Tensor, Tree];
        expect(Object.is(v.item(), f(input).item()), `case ${c}: ${shapeOf(input)}`).toBe(true);
        expect(shapeOf(g), `case ${c}`).toBe(shapeOf(input));
      }
    }
  });

  it("jit(f)(x) is f(x) bit for bit on two different inputs, and jit(grad(f)) is grad(f)", () => {
    for (const { c, x, x2, f } of cases) {
      const jf = jit(f);
      const jg = jit(grad(f));
      for (const input of [x, x2, x]) {
        expect(Object.is((jf(input) as Tensor).item(), f(input).item()), `case ${c}: ${shapeOf(input)}`).toBe(true);
        const a = leaves(jg(input) as Tree), b = leaves(grad(f)(input) as Tree);
        expect(a.length).toBe(b.length);
        a.forEach((t, i) => expect(Array.from((t as Tensor).data), `case ${c} leaf ${i}`).toEqual(Array.from((b[i] as Tensor).data)));
      }
    }
  });

  it("grad agrees with central differences", () => {
    for (const { c, x, f } of cases) {
      const g = leaves(grad(f)(x) as Tree).map((t) => Array.from((t as Tensor).data));
      const ref = fd(f, x);
      expect(g.length).toBe(ref.length);
      g.forEach((gl, i) =>
        gl.forEach((v, k) => expect(Math.abs(v - ref[i]![k]!), `case ${c} leaf ${i} entry ${k}: ${v} vs ${ref[i]![k]}`).toBeLessThan(1e-7)),
      );
    }
  });
});
