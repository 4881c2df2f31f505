// Folding chains of scalings in recorded programs: (x ∘ c₁) ∘ c₂ → x ∘ (c₁ ∘ c₂).
//
// The rules of a derivative scale a large tangent by one small factor after another: in the
// Hessian of a logistic loss, the basis chunk A·E (m × n) is multiplied by y, negated,
// multiplied by σ′, by the cotangent 1, negated and multiplied by y again, six passes over
// m × n entries where the factors are m × 1. Multiplying the factors first (m entries each)
// leaves one pass. A step folds into the next when its output is read by that step alone, both
// are products with (or negations of) a factor that broadcasts to fewer entries than the
// output, and the combined factor stays small.
//
// Folding must not change a single bit (jit replays equal running f exactly), so at most one
// factor of a chain may round: the others must be exact, negations or constants whose entries
// are all −1, 0 or 1 (the labels y of a logistic loss, the cotangent 1). Then both orders give
// ±fl(x·c) (or a zero of the same sign): (x·e)·c = (±x)·c and x·(e·c) = x·(±c), and likewise
// with c first.
import { producerOf, producers, readCounts, slotOf, type Ref, type Step } from "../program.js";
import { mul_p, neg_p } from "../../ops/elementwise.js";
import type { Primitive } from "../../core/primitive.js";
import { broadcastShapes, sameShape, sizeOf, type Shape } from "../../core/shape.js";
import { reshape_p, slice_p } from "../../ops/structure.js";
import { broadcastTo_p } from "../../ops/reduce.js";

/** A folded factor must have at most this fraction of the output's entries. */
const MAX_FACTOR_SHARE = 1 / 4;

/** x ∘ factor (factor null: a negation of x); exact: every entry of the factor is −1, 0 or 1. */
interface Scaling {
  x: Ref;
  factor: Ref | null;
  exact: boolean;
}


/** The scaling a step applies, if it is a product of its (full-size) output with a small factor, or a negation. */
function scalingOf(s: Step, shapeOf: (r: Ref) => Shape, exact: (r: Ref) => boolean): Scaling | null {
  if (s.nOut !== 1 || s.outSlots !== undefined) return null;
  const out = s.shapes[0]!;
  if (s.prim === neg_p) return { x: s.args[0]!, factor: null, exact: true };
  if (s.prim !== mul_p) return null;
  const [a, b] = s.args as [Ref, Ref];
  const sa = shapeOf(a), sb = shapeOf(b);
  const n = sizeOf(out);
  if (sameShape(sa, out) && sizeOf(sb) < n) return { x: a, factor: b, exact: exact(b) };
  if (sameShape(sb, out) && sizeOf(sa) < n) return { x: b, factor: a, exact: exact(a) };
  return null;
}

/** Steps that move or negate entries without rounding them. */
const EXACT_MAPS = new Set<Primitive<unknown>>([reshape_p, broadcastTo_p, slice_p, neg_p] as Primitive<unknown>[]);

/**
 * Folds every chain of scalings in `steps` (see above). New steps compute the combined
 * factors in slots from `slots` on; the folded steps are left for pruning. Returns the new
 * program and its slot count.
 */
export function foldScalings(steps: readonly Step[], results: readonly Ref[], shapeOf: (r: Ref) => Shape, slots: number): { steps: Step[]; slots: number } {
  // Read counts on the first scaling of a scaling (most programs have none: no walk for them).
  let counts: Int32Array | null = null;
  const uses = (): Int32Array => (counts ??= readCounts(steps, results));
  /** The scaling each slot was made by (after folding). */
  const made = new Map<number, Scaling>();
  const at = producers(steps);
  /** Slots known to hold only −1, 0 and 1 (folded factors of exact ones included). */
  const exactSlots = new Set<number>();
  const exact = (r: Ref): boolean => {
    // Back through exact maps to where the entries come from (a loop: chains run long).
    for (;;) {
      if (r.kind === "in") return false;
      if (r.kind === "const") return r.t._buf !== null && r.t._buf.every((v) => v === 1 || v === -1 || v === 0);
      if (exactSlots.has(r.i)) return true;
      const s = producerOf(steps, at, r);
      if (s === undefined || !EXACT_MAPS.has(s.prim)) return false;
      r = s.args[0]!;
    }
  };
  const shapes = new Map<number, Shape>();
  const shape = (r: Ref): Shape => (r.kind === "slot" && shapes.has(r.i) ? shapes.get(r.i)! : shapeOf(r));
  const out: Step[] = [];
  const push = (prim: Primitive<unknown>, args: Ref[], sh: Shape): Ref => {
    const i = slots++;
    shapes.set(i, sh);
    out.push({ prim, params: undefined, args, out: i, nOut: 1, shapes: [sh] });
    return { kind: "slot", i };
  };
  for (const s of steps) {
    let sc = scalingOf(s, shape, exact);
    const inner = sc !== null && sc.x.kind === "slot" && made.has(sc.x.i) && uses()[sc.x.i] === 1 ? made.get(sc.x.i) : undefined;
    // At most one factor of the chain may round (see above).
    if (sc !== null && inner !== undefined && (sc.exact || inner.exact)) {
      const fs = sc.factor === null ? null : shape(sc.factor);
      const fi = inner.factor === null ? null : shape(inner.factor);
      const n = sizeOf(s.shapes[0]!);
      let factor: Ref | null | undefined;
      if (sc.factor === null && inner.factor === null) factor = undefined; // −(−x): left as it is
      else if (sc.factor === null) factor = push(neg_p as Primitive<unknown>, [inner.factor!], fi!);
      else if (inner.factor === null) factor = push(neg_p as Primitive<unknown>, [sc.factor], fs!);
      else {
        const k = broadcastShapes("mul", fi!, fs!);
        factor = sizeOf(k) <= n * MAX_FACTOR_SHARE ? push(mul_p as Primitive<unknown>, [inner.factor, sc.factor], k) : undefined;
      }
      if (factor !== undefined && factor !== null) {
        // The folded step reads inner.x itself now.
        if (inner.x.kind === "slot") uses()[inner.x.i]!++;
        const both = sc.exact && inner.exact;
        if (both && factor.kind === "slot") exactSlots.add(factor.i);
        sc = { x: inner.x, factor, exact: both };
        out.push({ ...s, prim: mul_p as Primitive<unknown>, params: undefined, args: [inner.x, factor] });
        made.set(slotOf(s, 0), sc);
        continue;
      }
    }
    out.push(s);
    if (sc !== null) made.set(slotOf(s, 0), sc);
  }
  return { steps: out, slots };
}
