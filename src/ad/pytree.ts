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

function isNumeric(x: unknown, path?: Set<unknown>): boolean {
  if (typeof x === "number") return true;
  if (!Array.isArray(x)) return false;
  // A cyclic array is not numeric (flatten then reports the cycle).
  path ??= new Set();
  if (path.has(x)) return false;
  path.add(x);
  const ok = x.every((v) => isNumeric(v, path));
  path.delete(x);
  return ok;
}

function isPlainObject(x: unknown): boolean {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function kindOf(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  const name = (Object.getPrototypeOf(x) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `an object of class ${name}` : "an object";
}

export function isLeaf(x: unknown): boolean {
  return x instanceof Tensor || x instanceof Float64Array || isNumeric(x);
}

export function flatten(tree: unknown, op = "pytree"): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  // The nodes on the path from the root: a node met again is a cycle (a stack overflow else).
  const path = new Set<unknown>();
  const walk = (x: unknown): TreeDef => {
    if (isLeaf(x)) {
      const t = asTensor(x as Tensor, op);
      leaves.push(t);
      return { kind: "leaf", shape: t.shape };
    }
    if (Array.isArray(x) || isPlainObject(x)) {
      if (path.has(x)) throw new DTypeError(op, "the pytree contains a cycle (a node that contains itself)");
      path.add(x);
      const def = Array.isArray(x) ? { kind: "array" as const, children: x.map(walk) } : objectDef(x as object);
      path.delete(x);
      return def;
    }
    throw new DTypeError(op, `expected tensors, numbers, arrays or plain objects of them, got ${kindOf(x)}`);
  };
  // Symbol keys and getters would be dropped or re-read silently: refuse them.
  const objectDef = (x: object): TreeDef => {
    for (const key of Reflect.ownKeys(x)) {
      const d = Object.getOwnPropertyDescriptor(x, key)!;
      if (typeof key === "symbol") throw new DTypeError(op, `pytree objects take string keys only, got ${key.toString()}`);
      if (!d.enumerable) continue;
      if (d.get || d.set) throw new DTypeError(op, `pytree key "${key}" is a getter/setter; pass plain data properties`);
    }
    const keys = Object.keys(x).sort();
    return { kind: "object", keys, children: keys.map((k) => walk((x as Record<string, unknown>)[k])) };
  };
  const def = walk(tree);
  return [leaves, def];
}

/**
 * Refuses what no pytree can be, whatever its leaves: a cycle (a node that contains itself),
 * Symbol keys and getters (which a rebuilt tree would drop or read once). For transforms such
 * as jit that pass non-tensor leaves through unchanged.
 */
export function checkTreeNodes(op: string, tree: unknown): void {
  const path = new Set<unknown>();
  const walk = (x: unknown): void => {
    if (!Array.isArray(x) && !isPlainObject(x)) return;
    if (path.has(x)) throw new DTypeError(op, "the pytree contains a cycle (a node that contains itself)");
    path.add(x);
    if (Array.isArray(x)) x.forEach(walk);
    else {
      for (const key of Reflect.ownKeys(x as object)) {
        const d = Object.getOwnPropertyDescriptor(x, key)!;
        if (typeof key === "symbol") throw new DTypeError(op, `pytree objects take string keys only, got ${key.toString()}`);
        if (d.enumerable && (d.get || d.set)) throw new DTypeError(op, `pytree key "${key}" is a getter/setter; pass plain data properties`);
        if (d.enumerable) walk(d.value);
      }
    }
    path.delete(x);
  };
  walk(tree);
}

export function unflatten(def: TreeDef, leaves: readonly Tensor[]): PyTree {
  let i = 0;
  const build = (d: TreeDef): PyTree => {
    if (d.kind === "leaf") return leaves[i++]!;
    if (d.kind === "array") return d.children.map(build);
    const out: Record<string, PyTree> = {};
    // Defined, not assigned: a "__proto__" key (JSON.parse makes them) stays an own key.
    d.keys.forEach((k, j) =>
      Object.defineProperty(out, k, { value: build(d.children[j]!), enumerable: true, writable: true, configurable: true }),
    );
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
