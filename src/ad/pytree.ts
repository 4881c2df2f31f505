// Pytrees: arrays and plain objects of tensors (e.g. `{ W1, b1, W2, b2 }`), flattened to a
// list of leaves and rebuilt with the same structure, as JAX does.
// A leaf is a Tensor, a number, a Float64Array, or an array made only of numbers (a nested
// numeric array is one tensor, written row by row); other arrays and plain objects are nodes.
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { asTensor, Tensor, type NestedArray } from "../tensor.js";

/**
 * A tree of tensors: a Tensor, or arrays / plain objects of trees.
 * @category Transform types
 */
export type PyTree = Tensor | number | Float64Array | readonly NestedArray[] | readonly PyTree[] | { readonly [key: string]: PyTree };

export type TreeDef =
  | { kind: "leaf"; shape: readonly number[] }
  | { kind: "array"; children: TreeDef[] }
  | { kind: "object"; keys: string[]; children: TreeDef[] };

function isNumeric(x: unknown): boolean {
  return typeof x === "number" || (Array.isArray(x) && x.every(isNumeric));
}

export function isLeaf(x: unknown): boolean {
  return x instanceof Tensor || x instanceof Float64Array || isNumeric(x);
}

export function flatten(tree: unknown, op = "pytree"): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  const walk = (x: unknown): TreeDef => {
    if (isLeaf(x)) {
      const t = asTensor(x as Tensor, op);
      leaves.push(t);
      return { kind: "leaf", shape: t.shape };
    }
    if (Array.isArray(x)) return { kind: "array", children: x.map(walk) };
    if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
      const keys = Object.keys(x).sort();
      return { kind: "object", keys, children: keys.map((k) => walk((x as Record<string, unknown>)[k])) };
    }
    throw new DTypeError(op, `expected tensors, numbers, arrays or plain objects of them, got ${x === null ? "null" : typeof x}`);
  };
  const def = walk(tree);
  return [leaves, def];
}

export function unflatten(def: TreeDef, leaves: readonly Tensor[]): PyTree {
  let i = 0;
  const build = (d: TreeDef): PyTree => {
    if (d.kind === "leaf") return leaves[i++]!;
    if (d.kind === "array") return d.children.map(build);
    const out: Record<string, PyTree> = {};
    d.keys.forEach((k, j) => (out[k] = build(d.children[j]!)));
    return out;
  };
  return build(def);
}

/** Throws unless two trees have the same structure and leaf shapes. */
export function assertSameStructure(op: string, a: TreeDef, b: TreeDef, what: string): void {
  const same = (x: TreeDef, y: TreeDef): boolean => {
    if (x.kind !== y.kind) return false;
    if (x.kind === "leaf") {
      const ys = (y as typeof x).shape;
      return x.shape.length === ys.length && x.shape.every((d, i) => d === ys[i]);
    }
    const yc = (y as typeof x).children;
    if (x.children.length !== yc.length) return false;
    if (x.kind === "object" && x.keys.join("\u0000") !== (y as typeof x).keys.join("\u0000")) return false;
    return x.children.every((c, i) => same(c, yc[i]!));
  };
  if (!same(a, b)) throw new ShapeError(op, `${what} must have the structure and shapes of the primals (${describe(a)} vs ${describe(b)})`);
}

export function describe(d: TreeDef): string {
  if (d.kind === "leaf") return fmtShape(d.shape);
  if (d.kind === "array") return `[${d.children.map(describe).join(", ")}]`;
  return `{${d.keys.map((k, i) => `${k}: ${describe(d.children[i]!)}`).join(", ")}}`;
}
