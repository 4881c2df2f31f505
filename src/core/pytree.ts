// Pytrees: arrays and plain objects of leaves (e.g. `{ W1, b1, W2, b2 }`), flattened to a list
// of leaves plus a treedef and rebuilt with the same structure, as JAX does. This is the one
// walker: transforms, jit (arguments, results, cache key), the optimizers' flat vectors and
// the public tree utilities all go through it, so they agree on what a leaf is and in which
// order leaves come.
//
// Order: object keys are taken as JavaScript enumerates them (Object.keys: integer-like keys
// ascending, then the others in insertion order), never sorted. A rebuilt object enumerates
// in the same order, so a function that walks its parameters with Object.values or for…in
// sees them as the user built them, and every flat order (Jacobian columns, optimizer
// vectors) follows the user's key order.
//
// Leaves: a Tensor; a number, a Float64Array or a non-empty array of numbers (nested arrays
// of numbers, written row by row, are one tensor-like leaf); and, for the walkers that allow
// them, other values (strings, booleans, null, …). Arrays of anything else and plain objects
// are nodes.
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { asTensor, releasedError, Tensor, type NestedArray, type TensorLike } from "./tensor.js";
import { Tracer } from "./primitive.js";

/**
 * A tree of tensors: a Tensor, or arrays / plain objects of trees.
 * @category Transform types
 */
export type PyTree = Tensor | number | Float64Array | readonly NestedArray[] | readonly PyTree[] | { readonly [key: string]: PyTree };

/** A tensor leaf: its place in a treedef records its shape. */
export interface TensorLeafDef {
  kind: "leaf";
  shape: readonly number[];
}

/**
 * A static (non-tensor) leaf: a number, string, boolean, null, undefined, bigint, an array
 * of numbers or a Float64Array. Its value is part of the treedef and of its key.
 */
export interface StaticLeafDef {
  kind: "static";
  value: unknown;
  key: string;
}

/** Any other leaf (the generic walker keeps any value). */
export interface AnyLeafDef {
  kind: "any";
}

/** A node of a treedef. */
export interface ArrayNodeDef<L> {
  kind: "array";
  children: Def<L>[];
}

/** A node of a treedef. */
export interface ObjectNodeDef<L> {
  kind: "object";
  keys: string[];
  children: Def<L>[];
}

/** A treedef whose leaves are described by `L`. */
export type Def<L> = L | ArrayNodeDef<L> | ObjectNodeDef<L>;

/** The structure of a tree of tensors (transforms, optimizers). */
export type TreeDef = Def<TensorLeafDef>;

/** The structure of a tree of tensors and static leaves (jit). */
export type StaticTreeDef = Def<TensorLeafDef | StaticLeafDef>;

function isNumericArray(x: unknown): boolean {
  if (!Array.isArray(x) || x.length === 0) return false;
  const first = x[0];
  if (typeof first === "number") return x.every((v) => typeof v === "number");
  return x.every(isNumericArray);
}

/** A number, a Float64Array, or a (nested, non-empty) array of numbers: one tensor-like leaf. */
export function isNumericLeaf(x: unknown): x is number | Float64Array | readonly NestedArray[] {
  return typeof x === "number" || x instanceof Float64Array || isNumericArray(x);
}

/** A pytree leaf: a Tensor or a numeric leaf (what the transforms differentiate). */
export function isLeaf(x: unknown): boolean {
  return x instanceof Tensor || isNumericLeaf(x);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== "object") return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** An array node: an array that is not a numeric leaf. */
function isArrayNode(x: unknown): x is readonly unknown[] {
  return Array.isArray(x) && !isNumericArray(x);
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") {
    const name = (x as object).constructor?.name;
    return name ? `a ${name}` : "an object";
  }
  return typeof x === "string" ? `the string ${JSON.stringify(x)}` : `a ${typeof x}`;
}

function pathText(path: readonly (string | number)[]): string {
  if (path.length === 0) return "";
  return " at " + path.map((p) => (typeof p === "number" ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join("");
}

/**
 * The one walker. `leaf` describes each non-node value (and may push it to a leaf list); it
 * returns null to say the value is not allowed, which ends the walk with null. Cycles,
 * symbol keys and non-plain objects are refused by `leaf` (which sees them as values).
 */
function walk<L>(tree: unknown, op: string, leaf: (x: unknown, path: readonly (string | number)[]) => L | null): Def<L> | null {
  const open = new Set<unknown>();
  const path: (string | number)[] = [];
  const go = (x: unknown): Def<L> | null => {
    const array = isArrayNode(x);
    if (!array && !isPlainObject(x)) return leaf(x, path);
    if (open.has(x)) throw new DTypeError(op, `the pytree contains a cycle${pathText(path)}`);
    open.add(x);
    let def: Def<L>;
    if (array) {
      const children: Def<L>[] = [];
      const xs = x as readonly unknown[];
      for (let i = 0; i < xs.length; i++) {
        path.push(i);
        const c = go(xs[i]);
        path.pop();
        if (c === null) return null;
        children.push(c);
      }
      def = { kind: "array", children };
    } else {
      const o = x as Record<string, unknown>;
      if (Object.getOwnPropertySymbols(o).some((s) => Object.prototype.propertyIsEnumerable.call(o, s))) {
        throw new DTypeError(op, `a pytree object has a symbol key${pathText(path)}; use string keys`);
      }
      const keys = Object.keys(o);
      const children: Def<L>[] = [];
      for (const k of keys) {
        // A getter would be read once and rebuilt as plain data: refuse it rather than guess.
        const d = Object.getOwnPropertyDescriptor(o, k)!;
        if (d.get || d.set) {
          throw new DTypeError(op, `pytree key "${k}"${pathText(path)} is a getter/setter; pass plain data properties`);
        }
        path.push(k);
        const c = go(o[k]);
        path.pop();
        if (c === null) return null;
        children.push(c);
      }
      def = { kind: "object", keys, children };
    }
    open.delete(x);
    return def;
  };
  return go(tree);
}

/**
 * Refuses what no pytree can be, whatever its leaves: a cycle, Symbol keys, getters. For
 * transforms such as jit that pass non-tensor leaves through unchanged.
 */
export function checkTreeNodes(op: string, tree: unknown): void {
  walk(tree, op, () => 0);
}

/**
 * Flattens a tree of tensors: its Tensor leaves in order (numbers and numeric arrays made
 * into tensors) and its structure. Anything else is a DTypeError naming `op` and where.
 */
export function flatten(tree: unknown, op = "pytree"): [Tensor[], TreeDef] {
  if (tree instanceof Tensor) {
    // The usual argument and result: one tensor, no walk.
    const t = asTensor(tree, op);
    return [[t], { kind: "leaf", shape: t.shape }];
  }
  const leaves: Tensor[] = [];
  const def = walk<TensorLeafDef>(tree, op, (x, path) => {
    if (!isLeaf(x)) {
      throw new DTypeError(op, `expected tensors, numbers, arrays or plain objects of them, got ${describeValue(x)}${pathText(path)}`);
    }
    const t = asTensor(x as TensorLike, op);
    leaves.push(t);
    return { kind: "leaf", shape: t.shape };
  })!;
  return [leaves, def];
}

/**
 * Flattens `tree` in the order of `def` (a tree of the same structure: object children are
 * matched by key, so a tangent written `{ b, a }` for primals `{ a, b }` is read correctly).
 * A ShapeError naming `op` and `what` when the structure or a leaf's shape differs.
 */
export function flattenLike(def: TreeDef, tree: unknown, op: string, what: string): Tensor[] {
  const out: Tensor[] = [];
  const fail = (why: string): never => {
    const [, got] = flatten(tree, op);
    throw new ShapeError(op, `${what} must have the structure and shapes of the primals (${describe(def)} vs ${describe(got)})${why}`);
  };
  const path: (string | number)[] = [];
  const go = (d: TreeDef, x: unknown): void => {
    if (d.kind === "leaf") {
      if (!isLeaf(x)) fail(pathText(path));
      const t = asTensor(x as TensorLike, op);
      if (t.shape.length !== d.shape.length || t.shape.some((e, i) => e !== d.shape[i])) fail(pathText(path));
      out.push(t);
      return;
    }
    if (d.kind === "array") {
      // An array of numbers matches an array of scalar leaves entry by entry.
      if (!Array.isArray(x) || x.length !== d.children.length) fail(pathText(path));
      d.children.forEach((c, i) => {
        path.push(i);
        go(c, (x as unknown[])[i]);
        path.pop();
      });
      return;
    }
    if (!isPlainObject(x)) fail(pathText(path));
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== d.keys.length || d.keys.some((k) => !Object.hasOwn(o, k))) fail(pathText(path));
    d.keys.forEach((k, i) => {
      path.push(k);
      go(d.children[i]!, o[k]);
      path.pop();
    });
  };
  go(def, tree);
  return out;
}

/** A plain object with these keys and values, in this order (a `__proto__` key is an own key). */
function makeObject(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach((k, j) => {
    if (k === "__proto__") Object.defineProperty(out, k, { value: values[j], enumerable: true, writable: true, configurable: true });
    else out[k] = values[j];
  });
  return out;
}

/** A fresh copy of a static value that could be mutated (arrays, Float64Arrays). */
function copyStatic(v: unknown): unknown {
  if (v instanceof Float64Array) return v.slice();
  if (Array.isArray(v)) return v.map(copyStatic);
  return v;
}

/**
 * Rebuilds a tree from its structure and leaves (tensor leaves from `leaves`, in order;
 * static leaves from the treedef, as fresh copies when `copyStatics`).
 */
export function unflatten(def: StaticTreeDef, leaves: readonly unknown[], copyStatics = false): PyTree {
  let i = 0;
  const build = (d: StaticTreeDef): unknown => {
    if (d.kind === "leaf") return leaves[i++];
    if (d.kind === "static") return copyStatics ? copyStatic(d.value) : d.value;
    if (d.kind === "array") return d.children.map(build);
    return makeObject(d.keys, d.children.map(build));
  };
  const out = build(def);
  if (i !== leaves.length) throw new ShapeError("pytree", `the structure ${describe(def)} has ${i} leaves, got ${leaves.length}`);
  return out as PyTree;
}

/** The key of a static leaf, or null when the value is not one (a function, a class instance, …). */
export function staticKey(x: unknown): string | null {
  switch (typeof x) {
    case "number":
      return Object.is(x, -0) ? "-0" : String(x);
    case "string":
      return JSON.stringify(x);
    case "boolean":
      return x ? "true" : "false";
    case "undefined":
      return "undefined";
    case "bigint":
      return `${x}n`;
  }
  if (x === null) return "null";
  if (x instanceof Float64Array) return `f64[${Array.from(x, (v) => staticKey(v)).join(",")}]`;
  if (isNumericArray(x)) return `[${(x as unknown[]).map((v) => staticKey(v)).join(",")}]`;
  return null;
}

/**
 * Flattens jit's arguments or results: Tensor leaves are inputs; numbers, strings, booleans,
 * null, undefined, bigints, arrays of numbers and Float64Arrays are static leaves (their
 * values go into the treedef). Null when the tree holds something else (a function, a class
 * instance, a tracer of a transform around the call): the caller then does not record.
 * Each of `args` is a tree of its own (an argument list of numbers is not one array leaf).
 * `copyStatics` keeps copies of mutable static values (a recorded result the caller may
 * write into).
 */
export function flattenStatic(args: readonly unknown[], op: string, allowTracers = false, copyStatics = false): [Tensor[], StaticTreeDef] | null {
  const leaves: Tensor[] = [];
  const leaf = (x: unknown): TensorLeafDef | StaticLeafDef | null => {
    if (x instanceof Tensor) {
      if (!allowTracers && x instanceof Tracer) return null;
      if (!x._alive()) throw releasedError();
      leaves.push(x);
      return { kind: "leaf", shape: x.shape };
    }
    const key = staticKey(x);
    return key === null ? null : { kind: "static", value: copyStatics ? copyStatic(x) : x, key };
  };
  const children: StaticTreeDef[] = [];
  for (const a of args) {
    const d = walk(a, op, leaf);
    if (d === null) return null;
    children.push(d);
  }
  return [leaves, { kind: "array", children }];
}

/** Object keys as written in tree keys (JSON-quoted), memoized: jit computes a key per call. */
const quoted = new Map<string, string>();

function quote(k: string): string {
  let q = quoted.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quoted.size < 4096) quoted.set(k, q);
  }
  return q;
}

/**
 * A string that two treedefs share exactly when they are equal: the same structure, the same
 * keys in the same order, the same leaf shapes and the same static values (jit's cache key).
 */
export function treeKey(def: Def<TensorLeafDef | StaticLeafDef | AnyLeafDef>): string {
  let out = "";
  // One string built in a single pass: jit keys every call's arguments.
  const go = (d: Def<TensorLeafDef | StaticLeafDef | AnyLeafDef>): void => {
    switch (d.kind) {
      case "leaf": {
        out += "[";
        for (let i = 0; i < d.shape.length; i++) out += (i > 0 ? "," : "") + d.shape[i];
        out += "]";
        return;
      }
      case "static":
        out += "=" + d.key;
        return;
      case "any":
        out += "*";
        return;
      case "array":
        out += "(";
        for (const c of d.children) {
          go(c);
          out += ",";
        }
        out += ")";
        return;
      case "object":
        out += "{";
        for (let i = 0; i < d.keys.length; i++) {
          out += quote(d.keys[i]!) + ":";
          go(d.children[i]!);
          out += ",";
        }
        out += "}";
        return;
    }
  };
  go(def);
  return out;
}

/** Whether two treedefs are equal (structure, key order, leaf shapes, static values). */
export function treeEqual(a: Def<TensorLeafDef | StaticLeafDef | AnyLeafDef>, b: Def<TensorLeafDef | StaticLeafDef | AnyLeafDef>): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "leaf": {
      const s = (b as TensorLeafDef).shape;
      return a.shape.length === s.length && a.shape.every((d, i) => d === s[i]);
    }
    case "static":
      return a.key === (b as StaticLeafDef).key;
    case "any":
      return true;
    case "array": {
      const c = (b as typeof a).children;
      return a.children.length === c.length && a.children.every((x, i) => treeEqual(x, c[i]!));
    }
    case "object": {
      const o = b as typeof a;
      return a.keys.length === o.keys.length && a.keys.every((k, i) => k === o.keys[i] && treeEqual(a.children[i]!, o.children[i]!));
    }
  }
}

/**
 * Flattens any tree: every value that is not an array node or a plain object is a leaf
 * (Tensors, numbers, numeric arrays, strings, …), returned as it is.
 */
export function flattenAny(tree: unknown, op: string): [unknown[], Def<AnyLeafDef>] {
  const leaves: unknown[] = [];
  const def = walk<AnyLeafDef>(tree, op, (x) => {
    leaves.push(x);
    return { kind: "any" };
  })!;
  return [leaves, def];
}

/** Rebuilds a tree flattened by {@link flattenAny} from new leaves. */
export function unflattenAny(def: Def<AnyLeafDef>, leaves: readonly unknown[], op = "pytree"): unknown {
  let i = 0;
  const build = (d: Def<AnyLeafDef>): unknown => {
    if (d.kind === "any") return leaves[i++];
    if (d.kind === "array") return d.children.map(build);
    return makeObject(d.keys, d.children.map(build));
  };
  const out = build(def);
  if (i !== leaves.length) throw new ShapeError(op, `the structure ${describe(def)} has ${i} leaves, got ${leaves.length}`);
  return out;
}

/** Replaces every Tensor in a tree, leaving every other value as it is (aux outputs). */
export function mapTensors(x: unknown, fn: (t: Tensor) => Tensor, op = "pytree"): unknown {
  const [leaves, def] = flattenAny(x, op);
  return unflattenAny(def, leaves.map((l) => (l instanceof Tensor ? fn(l) : l)), op);
}

/** Throws unless two trees have the same structure and leaf shapes. */
export function assertSameStructure(op: string, a: TreeDef, b: TreeDef, what: string): void {
  if (!treeEqual(a, b)) throw new ShapeError(op, `${what} must have the structure and shapes of the primals (${describe(a)} vs ${describe(b)})`);
}

/** A treedef as text, e.g. `{w: [3, 2], b: [3]}`. */
export function describe(d: Def<TensorLeafDef | StaticLeafDef | AnyLeafDef>): string {
  switch (d.kind) {
    case "leaf":
      return fmtShape(d.shape);
    case "static":
      return d.key;
    case "any":
      return "*";
    case "array":
      return `[${d.children.map(describe).join(", ")}]`;
    case "object":
      return `{${d.keys.map((k, i) => `${k}: ${describe(d.children[i]!)}`).join(", ")}}`;
  }
}
