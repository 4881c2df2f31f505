// Public pytree utilities, as jax.tree_util and jax.flatten_util: the same walker as the
// transforms (ad/pytree.ts), so leaves come in the order every transform, jit and the
// optimizers use (object keys in the user's order).
import { DTypeError, ShapeError } from "../errors.js";
import { Tensor, asTensor, zeros, type NestedArray, type TensorLike } from "../core/tensor.js";
import { concat, reshape, slice, vec } from "../ops/structure.js";
import { describe, flatten, flattenAny, treeEqual, unflatten, unflattenAny, type AnyLeafDef, type Def, type PyTree } from "../core/pytree.js";

/**
 * A leaf of a pytree: anything that is not an array node or a plain object. Arrays made only
 * of numbers (nested, row by row) are one leaf, as everywhere in matcalc.
 */
export type TreeLeaf = Tensor | number | Float64Array | readonly NestedArray[] | string | boolean | bigint | null | undefined;

/** `T` with every leaf replaced by `R` (arrays and plain objects keep their shape and keys). */
export type MapTree<T, R> = T extends Tensor | number | Float64Array | string | boolean | bigint | null | undefined
  ? R
  : T extends readonly NestedArray[]
    ? R
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: MapTree<T[K], R> }
      : T extends object
        ? { -readonly [K in keyof T]: MapTree<T[K], R> }
        : R;

/**
 * The structure of a pytree without its leaves (as `jax.tree_util.PyTreeDef`): arrays,
 * plain objects with their keys in order, and where the leaves go.
 * @example
 * ```ts
 * const [, def] = treeFlatten({ w: vector([1, 2]), b: 3 });
 * def.numLeaves;              // 2
 * String(def);                // "{w: *, b: *}"
 * def.equals(treeFlatten({ w: 0, b: 0 })[1]);   // true
 * def.equals(treeFlatten({ b: 0, w: 0 })[1]);   // false (key order is part of the structure)
 * ```
 */
export class PyTreeDef {
  /** Number of leaves. */
  readonly numLeaves: number;
  /** @internal The structure as ad/pytree.ts walks it. */
  readonly _def: Def<AnyLeafDef>;

  /** @internal Made by {@link treeFlatten}. */
  constructor(def: Def<AnyLeafDef>, numLeaves: number) {
    this._def = def;
    this.numLeaves = numLeaves;
  }

  /** Whether `other` has the same structure (nodes, keys in the same order, leaf count). */
  equals(other: PyTreeDef): boolean {
    return other instanceof PyTreeDef && treeEqual(this._def, other._def);
  }

  /** The structure as text, leaves written `*`, e.g. `{w: *, b: [*, *]}`. */
  toString(): string {
    return describe(this._def);
  }
}

/**
 * The leaves of a pytree in order (object keys as the object enumerates them) and its
 * structure; {@link treeUnflatten} inverts it.
 * @example
 * ```ts
 * const [leaves, def] = treeFlatten({ W: matrix([[1, 2]]), b: vector([3]), act: "tanh" });
 * leaves;                                           // [W, b, "tanh"]
 * treeUnflatten(def, [leaves[0], vector([0]), "relu"]); // { W, b: [0], act: "relu" }
 * ```
 */
export function treeFlatten(tree: unknown): [leaves: unknown[], def: PyTreeDef] {
  const [leaves, def] = flattenAny(tree, "treeFlatten");
  return [leaves, new PyTreeDef(def, leaves.length)];
}

/**
 * Rebuilds a pytree of structure `def` from its leaves, in {@link treeFlatten}'s order.
 * A ShapeError when the number of leaves differs.
 * @example
 * ```ts
 * const [, def] = treeFlatten([vector([1]), { a: 2 }]);
 * treeUnflatten(def, [scalar(7), 8]);   // [Tensor 7, { a: 8 }]
 * ```
 */
export function treeUnflatten(def: PyTreeDef, leaves: readonly unknown[]): unknown {
  if (!(def instanceof PyTreeDef)) throw new DTypeError("treeUnflatten", "def must be a PyTreeDef from treeFlatten");
  if (leaves.length !== def.numLeaves) {
    throw new ShapeError("treeUnflatten", `the structure ${def} has ${def.numLeaves} leaves, got ${leaves.length}`);
  }
  return unflattenAny(def._def, leaves, "treeUnflatten");
}

/**
 * The leaves of a pytree, in order.
 * @example
 * ```ts
 * treeLeaves({ b: vector([1]), a: [2, 3], c: [scalar(4), 5] });  // [b, [2, 3], scalar 4, 5]
 * ```
 */
export function treeLeaves(tree: unknown): unknown[] {
  return flattenAny(tree, "treeLeaves")[0];
}

/**
 * A pytree of the same structure with `fn` applied to every leaf; with several trees (all of
 * the same structure, object children matched by key) `fn` receives their leaves side by
 * side, as `jax.tree_util.tree_map`.
 * @example
 * ```ts
 * const p = { W: matrix([[1, 2]]), b: vector([3]) };
 * const g = { W: matrix([[10, 20]]), b: vector([30]) };
 * treeMap((x: Tensor) => x.mul(2), p);                        // { W: [[2, 4]], b: [6] }
 * treeMap((x: Tensor, d: Tensor) => x.sub(d.mul(0.1)), p, g); // an SGD step: { W: [[0, 0]], b: [0] }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function treeMap<T, R>(fn: (leaf: any, ...rest: any[]) => R, tree: T, ...rest: readonly unknown[]): MapTree<T, R> {
  if (typeof fn !== "function") throw new DTypeError("treeMap", `fn must be a function, got ${typeof fn}`);
  const [leaves, def] = flattenAny(tree, "treeMap");
  const others = rest.map((r, i) => leavesLike(def, r, `tree ${i + 2}`));
  return unflattenAny(def, leaves.map((l, j) => fn(l, ...others.map((o) => o[j]))), "treeMap") as MapTree<T, R>;
}

/** The leaves of `tree` in the order of `def` (object children matched by key); ShapeError on another structure. */
function leavesLike(def: Def<AnyLeafDef>, tree: unknown, what: string): unknown[] {
  const [, got] = flattenAny(tree, "treeMap");
  const out: unknown[] = [];
  const go = (d: Def<AnyLeafDef>, g: Def<AnyLeafDef>, x: unknown): boolean => {
    if (d.kind === "any") {
      if (g.kind !== "any") return false;
      out.push(x);
      return true;
    }
    if (d.kind === "array") {
      return g.kind === "array" && g.children.length === d.children.length && d.children.every((c, i) => go(c, g.children[i]!, (x as unknown[])[i]));
    }
    if (g.kind !== "object" || g.keys.length !== d.keys.length) return false;
    return d.keys.every((k, i) => {
      const j = g.keys.indexOf(k);
      return j >= 0 && go(d.children[i]!, g.children[j]!, (x as Record<string, unknown>)[k]);
    });
  };
  if (!go(def, got, tree)) throw new ShapeError("treeMap", `${what} must have the structure of the first (${describe(def)} vs ${describe(got)})`);
  return out;
}

/**
 * A pytree of tensors as one flat vector and the function that maps such a vector back, as
 * `jax.flatten_util.ravel_pytree`: leaves in key order, each through vec (column-major). Both
 * directions are made of differentiable ops, so they work inside transforms. This is the
 * order of {@link hessian}'s and {@link jacobian}'s columns over a pytree and of the
 * optimizers' flat vectors.
 * @example
 * ```ts
 * const p = { W: matrix([[1, 2], [3, 4]]), b: vector([5]) };
 * const [flat, unravel] = ravelPytree(p);
 * flat.toArray();                        // [1, 3, 2, 4, 5]  (W column by column, then b)
 * unravel(flat.mul(10));                 // { W: [[10, 20], [30, 40]], b: [50] }
 * ```
 */
export function ravelPytree<T extends PyTree>(tree: T): [flat: Tensor, unravel: (flat: TensorLike) => MapTree<T, Tensor>] {
  const [leaves, def] = flatten(tree, "ravelPytree");
  const sizes = leaves.map((l) => l.size);
  const n = sizes.reduce((a, b) => a + b, 0);
  const flat = leaves.length === 0 ? zeros([0]) : leaves.length === 1 ? vec(leaves[0]!) : concat(leaves.map((l) => vec(l)), 0);
  const unravel = (v: TensorLike): MapTree<T, Tensor> => {
    const t = asTensor(v, "ravelPytree");
    if (t.rank !== 1 || t.size !== n) throw new ShapeError("ravelPytree", `unravel expects a vector of ${n} entries (${describe(def)})`, [t.shape]);
    let off = 0;
    const parts = leaves.map((l, i) => {
      const part = leaves.length === 1 ? t : slice(t, [off], [sizes[i]!]);
      off += sizes[i]!;
      return reshape(part, l.shape);
    });
    return unflatten(def, parts) as unknown as MapTree<T, Tensor>;
  };
  return [flat, unravel];
}
