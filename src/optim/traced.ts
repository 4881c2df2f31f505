// minimize inside grad / jvp / vjp / vmap. The optimizers work on plain numbers: a value of an
// enclosing transform that f (or x0, the bounds, a constraint) depends on would be read as its
// primal, and the solution would carry no derivative with respect to it — a silent zero
// gradient. Until differentiating through the argmin (the implicit function theorem at x*)
// exists, that case is refused with a typed error.
import { DTypeError } from "../errors.js";
import { Tensor } from "../core/tensor.js";
import { Tracer, traceDepth } from "../core/primitive.js";
import { flatten } from "../core/pytree.js";
import type { Layout } from "./flat.js";

const MESSAGE =
  "depends on a value traced by an enclosing grad/jvp/vjp/vmap; the solution would carry no derivative with respect to it " +
  "(its gradient would silently be zero): differentiating through minimize (the implicit function theorem at x*) is not " +
  "supported yet. Call minimize outside the transform, or pass the traced value's numbers (tensor.toArray()) to make it a constant";

function hasTracer(tree: unknown, op: string): boolean {
  if (tree === undefined || tree === null || typeof tree === "function") return false;
  try {
    return flatten(tree, op)[0].some((l) => l instanceof Tracer);
  } catch {
    return false;
  }
}

/**
 * Throws when minimize runs inside a transform and its inputs depend on the transform's traced
 * values. Costs nothing outside transforms; inside, one evaluation of f and of each constraint.
 * @internal
 */
export function assertUntraced(
  op: string,
  f: (x: unknown) => unknown,
  x0: unknown,
  layout: Layout,
  x0flat: Float64Array,
  bounds: unknown,
  constraints: readonly { fun?: unknown }[] | undefined,
): void {
  if (traceDepth() === 0) return;
  if (hasTracer(x0, op)) throw new DTypeError(op, `x0 ${MESSAGE}`);
  if (hasTracer(bounds, op)) throw new DTypeError(op, `bounds ${MESSAGE}`);
  const tree = layout.toTree(x0flat);
  const y = f(tree);
  if (y instanceof Tracer) throw new DTypeError(op, `f ${MESSAGE}`);
  for (const [i, c] of (constraints ?? []).entries()) {
    if (typeof c?.fun !== "function") continue;
    const v = (c.fun as (x: unknown) => unknown)(tree);
    if (v instanceof Tensor && v instanceof Tracer) throw new DTypeError(op, `constraints[${i}].fun ${MESSAGE}`);
  }
}
