// Pytree ↔ flat vector. The optimizers do their own arithmetic on one Float64Array holding
// every leaf of x (each leaf vec'd, i.e. in its column-major storage order, leaves in
// pytree order: object keys in the user's order, see ad/pytree.ts); matcalc is called only for f, ∇f, HVPs, Hessians and Jacobians, whose
// pytree-shaped results are read back into flat vectors here.
import { DTypeError, ShapeError, fmtShape } from "../errors.js";
import { Tensor, storage } from "../core/tensor.js";
import { describe, flatten, flattenLike, unflatten, type PyTree, type TreeDef } from "../core/pytree.js";
import { rt } from "../wasm/module.js";

/** Where each leaf of a pytree lives in the flat vector. */
export class Layout {
  readonly n: number;
  private constructor(
    readonly def: TreeDef,
    readonly shapes: readonly (readonly number[])[],
    readonly offsets: readonly number[],
    readonly sizes: readonly number[],
  ) {
    this.n = sizes.reduce((a, b) => a + b, 0);
  }

  /** The layout of `tree` and its entries as a fresh flat vector. */
  static of(tree: unknown, op: string, what = "x0"): { layout: Layout; vec: Float64Array } {
    if (tree === undefined || tree === null) throw new DTypeError(op, `${what} is ${tree === null ? "null" : "undefined"}`);
    const [leaves, def] = flatten(tree, op);
    const shapes = leaves.map((l) => l.shape);
    const sizes = leaves.map((l) => l.size);
    const offsets: number[] = [];
    let off = 0;
    for (const s of sizes) {
      offsets.push(off);
      off += s;
    }
    const layout = new Layout(def, shapes, offsets, sizes);
    if (layout.n === 0) throw new ShapeError(op, `${what} has no entries (structure ${describe(def)})`);
    const vec = new Float64Array(layout.n);
    leaves.forEach((l, i) => vec.set(storage(l), offsets[i]!));
    return { layout, vec };
  }

  /** Describes the structure, e.g. `{b: [3], w: [3, 2]}`. */
  describe(): string {
    return describe(this.def);
  }

  /** A pytree shaped like x0 holding a copy of `vec` (each leaf owns its entries). */
  toTree(vec: Float64Array): PyTree {
    if (this.shapes.length === 1) return unflatten(this.def, [new Tensor(this.shapes[0]!, vec.slice(0, this.n))]);
    return unflatten(
      this.def,
      this.shapes.map((s, i) => new Tensor(s, vec.slice(this.offsets[i]!, this.offsets[i]! + this.sizes[i]!))),
    );
  }

  /**
   * Like {@link Layout.toTree}, but each leaf holds a copy of `vec` in the arena scope that is
   * open (an optimization run's session), valid until that scope closes: an evaluation's input
   * then costs no JavaScript allocation and no copy into the arena when a kernel first reads
   * it. Only for trees handed to a transform of f (f sees tracers whose values these are, so
   * it cannot keep them past the evaluation). Outside a scope, {@link Layout.toTree}.
   */
  toArenaTree(vec: Float64Array): PyTree {
    const arena = rt().arena;
    if (!arena.active) return this.toTree(vec);
    if (this.shapes.length === 1) return unflatten(this.def, [new Tensor(this.shapes[0]!, null, arena.put(vec.length === this.n ? vec : vec.subarray(0, this.n)), arena.epoch)]);
    return unflatten(
      this.def,
      this.shapes.map((s, i) => new Tensor(s, null, arena.put(vec.subarray(this.offsets[i]!, this.offsets[i]! + this.sizes[i]!)), arena.epoch)),
    );
  }

  /** A pytree of this structure from its leaves (in layout order). */
  fromLeaves(leaves: readonly Tensor[]): PyTree {
    return unflatten(this.def, leaves);
  }

  /** Copies the leaves of a tree with this structure (e.g. a gradient) into `out`. */
  read(tree: unknown, out: Float64Array, op: string): void {
    // One tensor for a one-leaf layout (every evaluation of a vector x0): no pytree walk.
    if (tree instanceof Tensor && this.sizes.length === 1 && this.def.kind === "leaf" && tree.size === this.n) {
      out.set(storage(tree), 0);
      return;
    }
    const [leaves] = flatten(tree, op);
    if (leaves.length !== this.sizes.length) {
      throw new ShapeError(op, `expected ${this.sizes.length} leaves (${this.describe()}), got ${leaves.length}`);
    }
    for (let i = 0; i < leaves.length; i++) {
      const l = leaves[i]!;
      if (l.size !== this.sizes[i]) {
        throw new ShapeError(op, `leaf ${i} has shape ${fmtShape(l.shape)}, expected ${fmtShape(this.shapes[i]!)}`);
      }
      out.set(storage(l), this.offsets[i]!);
    }
  }

  /** Reads a user-supplied tree that must have exactly this structure (ShapeError otherwise). */
  readMatching(tree: unknown, op: string, what: string): Float64Array {
    const leaves = flattenLike(this.def, tree, op, what);
    const out = new Float64Array(this.n);
    leaves.forEach((l, i) => out.set(storage(l), this.offsets[i]!));
    return out;
  }
}

/** Throws a DTypeError naming the first non-finite entry of `v`. */
export function assertFiniteVec(op: string, what: string, v: Float64Array, layout: Layout): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      let leaf = 0;
      while (leaf + 1 < layout.offsets.length && layout.offsets[leaf + 1]! <= i) leaf++;
      const where = layout.offsets.length > 1 ? ` (leaf ${leaf}, entry ${i - layout.offsets[leaf]!})` : ` (entry ${i})`;
      throw new DTypeError(op, `${what} contains ${v[i]} at flat index ${i}${where}; it must be finite`);
    }
  }
}
