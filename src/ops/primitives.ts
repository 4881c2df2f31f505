// Every differentiable primitive, derived from the declarations (primitive() records each
// one), so tests that must cover all primitives never keep a list by hand.
import "./api.js"; // evaluates every op module: all their primitives are declared
import { declaredPrimitives, type Primitive } from "../core/primitive.js";

/**
 * The differentiable primitives the ops declare (not the jit's compiled steps or markers),
 * in declaration order. @internal
 */
export const ALL_PRIMITIVES: readonly Primitive<unknown>[] = declaredPrimitives().filter((p) => !p.compiled && !p.marker);
