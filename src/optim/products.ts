// Gauss–Newton and generalized Gauss–Newton (Fisher) products, matrix-free: Jᵀ(J v) and
// Jᵀ H_L (J v) with J = ∂r/∂x, by one forward-mode product (J v) and one reverse-mode product
// (Jᵀ u), never forming J (Schraudolph, "Fast curvature matrix-vector products for
// second-order gradient descent", Neural Computation 14(7), 2002; Martens, "Deep learning via
// Hessian-free optimization", ICML 2010). They are the curvature the matrix-free
// leastSquares paths run CG on (those keep one linearization per iterate instead of two).
import type { Tensor } from "../core/tensor.js";
import type { PyTree } from "../core/pytree.js";
import { hvp as hvpTyped, jvp as jvpTyped, vjp as vjpTyped } from "../transforms/transforms.js";
import { DTypeError } from "../errors.js";

// The transforms' precise types map a parameter type through TreeArg/TensorsOf, which cannot
// be resolved for a generic T here; these products are typed at their own signatures instead.
type Loose = (...args: never[]) => unknown;
const jvp = jvpTyped as unknown as (f: Loose, primals: unknown[], tangents: unknown[]) => [unknown, unknown];
const vjp = vjpTyped as unknown as (f: Loose, ...primals: unknown[]) => [unknown, (ct: unknown) => unknown[]];
const hvp = hvpTyped as unknown as (f: Loose) => (x: unknown, v: unknown) => unknown;

/**
 * The Gauss–Newton product of a residual r: returns `(x, v) ↦ Jᵀ(J v)` with J = ∂r/∂x at x
 * (the Hessian of ½‖r‖² without r's second derivatives). x and v are tensors or pytrees of
 * the same structure; r may return a tensor or a pytree; the result is shaped like x. J is
 * never formed: J·v by forward mode, Jᵀ·u by reverse mode.
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, type Tensor } from "matcalc";
 * import { jtjvp } from "matcalc/optim";
 *
 * const r = (x: Tensor) => mc.concat([x.mul(x), x.sum().reshape([1])]);   // R² → R³
 * jtjvp(r)(vector([1, 2]), vector([1, 0])).toArray();   // Jᵀ J e₁ = [5, 1]
 * ```
 */
export function jtjvp<T extends PyTree>(r: (x: T) => PyTree): (x: T, v: T) => T {
  if (typeof r !== "function") throw new DTypeError("jtjvp", `r must be a function, got ${r === null ? "null" : typeof r}`);
  return (x, v) => {
    const [, Jv] = jvp(r, [x], [v]);
    const [, back] = vjp(r, x);
    return back(Jv)[0] as T;
  };
}

/**
 * The generalized Gauss–Newton product of f composed with a scalar loss L: returns
 * `(x, v) ↦ Jᵀ H_L J v`, J = ∂f/∂x at x and H_L = ∇²L at f(x) (the Gauss–Newton part of the
 * Hessian of L(f(x)); with L = ½‖y‖² it is {@link jtjvp}; with the negative log-likelihood of
 * an exponential family, the Fisher information). Matrix-free: J·v (forward), H_L·u (an HVP of
 * L), Jᵀ·w (reverse).
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, type Tensor } from "matcalc";
 * import { ggnvp } from "matcalc/optim";
 *
 * const f = (x: Tensor) => x.mul(x);                       // y = x ⊙ x
 * const L = (y: Tensor) => y.square().sum().mul(0.5);      // ½‖y‖²: H_L = I
 * ggnvp(f, L)(vector([1, 2]), vector([1, 1])).toArray();   // Jᵀ J v = [4, 16]
 * ```
 */
export function ggnvp<T extends PyTree, Y extends PyTree>(f: (x: T) => Y, loss: (y: Y) => Tensor): (x: T, v: T) => T {
  if (typeof f !== "function") throw new DTypeError("ggnvp", `f must be a function, got ${f === null ? "null" : typeof f}`);
  if (typeof loss !== "function") throw new DTypeError("ggnvp", `loss must be a function, got ${loss === null ? "null" : typeof loss}`);
  const HL = hvp(loss);
  return (x, v) => {
    const [y, Jv] = jvp(f, [x], [v]);
    const w = HL(y, Jv);
    const [, back] = vjp(f, x);
    return back(w)[0] as T;
  };
}
