// Box constraints lower ≤ x ≤ upper for the bound-constrained methods (lbfgsb, tron): reading
// the user's bounds into flat vectors, projection onto the box, the projected gradient, and a
// Run whose stopping test is the projected-gradient test of L-BFGS-B
// (‖P(x − ∇f) − x‖∞ ≤ gradTol) instead of ‖∇f‖∞.
import { DTypeError, ShapeError } from "../errors.js";
import { flatten } from "../core/pytree.js";
import { Run } from "./driver.js";
import type { Layout } from "./flat.js";
import type { Status } from "./types.js";
import { normInf } from "./vec.js";

/** Flat lower and upper bounds (±Infinity where a side is free). @internal */
export interface Box {
  lower: Float64Array;
  upper: Float64Array;
  /** Whether any entry has a finite bound. */
  bounded: boolean;
}

/** Reads one side of the bounds: a number, or a tensor / pytree matching x0 (leaves may be numbers). */
function readSide(op: string, v: unknown, layout: Layout, side: "lower" | "upper"): Float64Array {
  const def = side === "lower" ? -Infinity : Infinity;
  const out = new Float64Array(layout.n).fill(def);
  if (v === undefined || v === null) return out;
  if (typeof v === "number") {
    if (Number.isNaN(v)) throw new DTypeError(op, `bounds.${side} is NaN`);
    return out.fill(v);
  }
  let leaves;
  try {
    [leaves] = flatten(v, op);
  } catch {
    throw new DTypeError(op, `bounds.${side} must be a number, a tensor or a pytree shaped like x0 (${layout.describe()})`);
  }
  const count = layout.sizes.length;
  if (leaves.length === 1 && leaves[0]!.size === 1) return out.fill(leaves[0]!.data[0]!);
  if (leaves.length !== count) {
    throw new ShapeError(op, `bounds.${side} has ${leaves.length} leaves, x0 has ${count} (${layout.describe()})`, leaves.map((l) => l.shape));
  }
  for (let i = 0; i < count; i++) {
    const l = leaves[i]!, size = layout.sizes[i]!, off = layout.offsets[i]!;
    if (l.size === size) out.set(l.data, off);
    else if (l.size === 1) out.fill(l.data[0]!, off, off + size);
    else throw new ShapeError(op, `bounds.${side}: leaf ${i} has ${l.size} entries, x0's has ${size} (${layout.describe()})`, [l.shape, layout.shapes[i]!]);
  }
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i]!)) throw new DTypeError(op, `bounds.${side} contains NaN at flat index ${i}`);
  return out;
}

/** Reads `{ lower, upper }`; throws when lower > upper somewhere. @internal */
export function readBox(op: string, bounds: unknown, layout: Layout): Box {
  if (bounds === null || typeof bounds !== "object" || Array.isArray(bounds)) {
    throw new DTypeError(op, "option bounds must be an object { lower, upper }");
  }
  for (const k of Object.keys(bounds)) {
    if (k !== "lower" && k !== "upper") throw new DTypeError(op, `bounds: unknown key "${k}" (valid: lower, upper)`);
  }
  const b = bounds as { lower?: unknown; upper?: unknown };
  const lower = readSide(op, b.lower, layout, "lower");
  const upper = readSide(op, b.upper, layout, "upper");
  let bounded = false;
  for (let i = 0; i < lower.length; i++) {
    if (!(lower[i]! <= upper[i]!)) throw new DTypeError(op, `bounds: lower[${i}] = ${lower[i]} exceeds upper[${i}] = ${upper[i]}`);
    if (lower[i] === Infinity || upper[i] === -Infinity) throw new DTypeError(op, `bounds: entry ${i} has an empty range [${lower[i]}, ${upper[i]}]`);
    if (lower[i]! > -Infinity || upper[i]! < Infinity) bounded = true;
  }
  return { lower, upper, bounded };
}

/** x := P(x), the nearest point of the box. */
export function project(x: Float64Array, box: Box): void {
  const { lower, upper } = box;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < lower[i]!) x[i] = lower[i]!;
    else if (v > upper[i]!) x[i] = upper[i]!;
  }
}

/** out = P(x − g) − x, the projected gradient step (zero exactly at a KKT point of the box). */
export function projectedGradient(x: Float64Array, g: Float64Array, box: Box, out: Float64Array): void {
  const { lower, upper } = box;
  for (let i = 0; i < x.length; i++) {
    let v = x[i]! - g[i]!;
    if (v < lower[i]!) v = lower[i]!;
    else if (v > upper[i]!) v = upper[i]!;
    out[i] = v - x[i]!;
  }
}

/**
 * A Run for bound-constrained methods: `gradNorm` (and so the gradTol test and the callback's
 * gradNorm) is ‖P(x − ∇f) − x‖∞, while `g` stays ∇f. @internal
 */
export class BoxRun extends Run {
  private readonly pg: Float64Array;
  constructor(layout: Layout, guard: ConstructorParameters<typeof Run>[1], limits: ConstructorParameters<typeof Run>[2],
    x0: Float64Array, f0: number, g0: Float64Array, readonly box: Box, ws: ConstructorParameters<typeof Run>[6]) {
    super(layout, guard, limits, x0, f0, g0, ws);
    this.pg = new Float64Array(x0.length);
    projectedGradient(this.x, this.g, box, this.pg);
    this.gradNorm = normInf(this.pg);
  }

  override accept(xNew: Float64Array, fNew: number, gNew: Float64Array): Status | null {
    projectedGradient(xNew, gNew, this.box, this.pg);
    const st = super.accept(xNew, fNew, this.pg);
    this.g.set(gNew);
    return st;
  }
}
