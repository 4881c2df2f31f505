// minimize inside grad / jvp / vjp / jacobian: differentiating through the argmin.
//
// The optimizers work on plain numbers, so the values of an enclosing transform that f closes
// over (θ) are found by a probe evaluation of f (closedOverTracers), and the solve becomes one
// primitive of θ (customJvp): its implementation runs the optimizer with θ's numbers in their
// place; its JVP rule is the implicit function theorem at the solution x*, where ∇ₓf(x*, θ) = 0:
//
//   ẋ = −H⁻¹ b,   H = ∇²ₓₓf(x*, θ),   b = ∂/∂θ ∇ₓf(x*, θ)·θ̇ (a JVP of the gradient in θ).
//
// b is computed with primitives, so under grad it is staged like any tangent; the solve is
// linearSolve_p, whose transpose is the same solve (H symmetric): reverse mode falls out.
// With bounds, the variables at a bound stay there (zero derivative) and the system is solved
// over the free ones. With constraints (whose funs may close over θ too), the system is the
// KKT system at (x*, λ*) over the active constraints (kktJvp). A run that did not converge, a
// singular H or KKT matrix, a weakly active inequality or a second derivative raise
// NotDifferentiableError instead of giving a wrong derivative.
import { DTypeError, NotDifferentiableError } from "../errors.js";
import { Tensor, storage } from "../core/tensor.js";
import { JvpTracer, Tracer, closedOverTracers, traceDepth, withReplacements, type Lin } from "../core/primitive.js";
import { customJvp, linearSolve } from "../core/custom.js";
import { flatten } from "../core/pytree.js";
import { concat, mul, neg, reshape, slice, solve as denseSolve, vec } from "../ops/api.js";
import { grad, hessian, jacobian, jvp, linearize, valueAndGrad } from "../transforms/transforms.js";
import type { Layout } from "./flat.js";
import type { Box } from "./bounds.js";
import { luFactor, luSolve } from "./dense.js";

const REFUSED =
  "depends on a value traced by an enclosing transform; minimize differentiates its solution only with respect to the values f closes over " +
  "(pass the traced value's numbers, tensor.toArray(), to make it a constant)";

/** Above this many variables the implicit system is solved by CG on HVPs, below it densely. */
const DENSE_MAX = 100;

function hasTracer(tree: unknown, op: string): boolean {
  if (tree === undefined || tree === null || typeof tree === "function") return false;
  try {
    return flatten(tree, op)[0].some((l) => l instanceof Tracer);
  } catch {
    return false;
  }
}

/** One of minimize's constraints as the traced path reads it. @internal */
export interface Con {
  type: "eq" | "ineq";
  fun: (x: unknown) => unknown;
}

/** The pieces of a minimize call the traced path needs. @internal */
export interface TracedCall<R> {
  op: string;
  f: (x: unknown) => unknown;
  x0: unknown;
  layout: Layout;
  x0flat: Float64Array;
  bounds: unknown;
  constraints: readonly { type?: unknown; fun?: unknown }[] | undefined;
  /** The box as the solver read it (null without bounds), for the active set at x*. */
  box: () => Pick<Box, "lower" | "upper"> | null;
  /**
   * The scalar whose stationary point the solver finds, from f's output (minimize: f itself;
   * leastSquares: ½‖r‖²). Its Hessian in x is the implicit system's matrix.
   */
  cost?: (y: unknown) => Tensor;
  /**
   * Runs the solver on `g` (f with θ's numbers in place), with the caller's options; with
   * constraints, `cons` are the caller's with θ's numbers in place in their funs too.
   */
  solve(g: (x: unknown) => unknown, cons?: readonly Con[]): R & { x: unknown; converged: boolean; status: string; multipliers?: readonly Tensor[] };
}

/**
 * Inside a transform, returns minimize's result as a function of the traced values f closes
 * over (differentiable through the implicit function theorem), or null when f closes over
 * none (then minimize runs as usual). Outside transforms it costs nothing.
 * @internal
 */
export function tracedMinimize<R>(c: TracedCall<R>): (R & { x: unknown }) | null {
  const { op, layout } = c;
  if (traceDepth() === 0) return null;
  if (hasTracer(c.x0, op)) throw new DTypeError(op, `x0 ${REFUSED}`);
  if (hasTracer(c.bounds, op)) throw new DTypeError(op, `bounds ${REFUSED}`);
  const tree = layout.toTree(c.x0flat);
  // The probe also gives the constraints' shapes: the multipliers are outputs of the solve.
  const { tracers, readsEntries, result: conShapes } = closedOverTracers(traceDepth(), () => {
    c.f(tree);
    const shapes: (readonly number[])[] = [];
    for (const k of c.constraints ?? []) {
      if (typeof k?.fun !== "function") continue;
      const y = (k.fun as (x: unknown) => unknown)(tree);
      shapes.push(y instanceof Tensor ? y.shape : []);
    }
    return shapes;
  });
  if (readsEntries) {
    throw new DTypeError(op, "f reads the entries (toArray, item, data) of a value traced by an enclosing transform; the solution's derivative would miss that use. Use the value through matcalc ops, or pass its numbers from outside the transform");
  }
  if (tracers.length === 0) return null;
  if (!tracers.every((t) => t instanceof JvpTracer)) {
    // One solve runs on numbers: a batch of θ would need a batch of solves, and the result's
    // scalar fields (value, status, iterations) cannot hold a batch.
    throw new DTypeError(op, "f closes over a value batched by vmap; minimize cannot map its solve over a batch (loop over the batch, or pass the values as numbers)");
  }
  const n = layout.n;
  let last: (R & { x: unknown; converged: boolean; status: string; multipliers?: readonly Tensor[] }) | null = null;
  const substituted = (vals: readonly Tensor[]) => new Map<Tensor, Tensor>(tracers.map((t, i) => [t, vals[i]!]));
  // Constraint funs may close over θ too: the solve sees them with θ's numbers in place.
  const cons = (c.constraints ?? []) as readonly Con[];
  const m = cons.length > 0 ? conShapes.reduce((a, sh) => a + sh.reduce((p, e) => p * e, 1), 0) : 0;
  const [xs, , lams] = customJvp(
    {
      name: op,
      shapes: cons.length > 0 ? [[n], [], [m]] : [[n], []],
      impl: (vals) => {
        const map = substituted(vals);
        const res = c.solve(
          (x) => withReplacements(map, () => c.f(x)),
          cons.length > 0 ? cons.map((k) => ({ ...k, fun: (x: unknown) => withReplacements(map, () => k.fun(x)) })) : undefined,
        );
        last = res;
        const xflat = new Float64Array(n);
        layout.read(res.x, xflat, op);
        const outs = [new Tensor([n], xflat), new Tensor([], Float64Array.of(res.converged ? 1 : 0))];
        if (cons.length > 0) {
          const mu = res.multipliers;
          if (mu === undefined || mu.length !== cons.length) throw new Error(`matcalc: internal: ${op}'s constrained solve returned no multipliers`);
          outs.push(new Tensor([m], Float64Array.from(mu.flatMap((t) => Array.from(storage(t))))));
        }
        return outs;
      },
      jvp: (tangents, primals, outs) => implicitJvp(c, () => last?.status ?? "unknown", substituted, tangents, primals, outs, cons, () => last?.multipliers),
    },
    tracers,
  );
  if (last === null) throw new Error(`matcalc: internal: ${op}'s solve did not run`);
  const out = { ...(last as R & { x: unknown; multipliers?: Tensor[] }), x: unflattenFlat(xs!, layout) };
  if (lams !== undefined) {
    // The multipliers are differentiable too (λ̇ comes out of the same KKT solve).
    let off = 0;
    out.multipliers = conShapes.map((sh) => {
      const size = sh.reduce((p, e) => p * e, 1);
      const part = cons.length === 1 ? lams : slice(lams, [off], [size]);
      off += size;
      return reshape(part, [...sh]);
    });
  }
  return out;
}

/** A flat [n] vector (possibly traced) as the pytree of x0, by differentiable slices. */
function unflattenFlat(x: Tensor, layout: Layout): unknown {
  const leaves = layout.shapes.map((s, i) => {
    const part = layout.shapes.length === 1 ? x : slice(x, [layout.offsets[i]!], [layout.sizes[i]!]);
    return s.length === 1 && s[0] === layout.n ? part : reshape(part, [...s]);
  });
  // The layout's own unflatten keeps the user's structure (keys in order).
  return layout.fromLeaves(leaves);
}

/** The leaves of a pytree with this layout as one flat [n] vector, differentiably. */
function flatOf(tree: unknown, op: string): Tensor {
  const [leaves] = flatten(tree, op);
  const parts = leaves.map((l) => (l.shape.length === 1 ? l : vec(l)));
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

function implicitJvp<R>(
  c: TracedCall<R>,
  status: () => string,
  substituted: (vals: readonly Tensor[]) => Map<Tensor, Tensor>,
  tangents: readonly Lin[],
  primals: readonly Tensor[],
  outs: readonly Tensor[],
  cons: readonly Con[],
  multipliers: () => readonly Tensor[] | undefined,
): Lin[] {
  const { op, layout } = c;
  const n = layout.n;
  if (primals.some((p) => p instanceof Tracer)) {
    throw new NotDifferentiableError(op, "second and higher derivatives through minimize's solution are not supported (the derivative of H⁻¹ is not formed), nor a derivative inside vmap; the values f closes over are traced by an outer transform");
  }
  const xflat = outs[0]!.toArray() as number[];
  if (outs[1]!.item() !== 1) {
    throw new NotDifferentiableError(
      op,
      `the run did not converge (status '${status()}'): the derivative of the solution (the implicit function theorem at ∇f(x*) = 0) does not exist at the point it returned; tighten the run (maxIterations, gradTol) until result.converged`,
    );
  }
  const xTree = layout.toTree(Float64Array.from(xflat));
  const cost = c.cost ?? ((y: unknown) => y as Tensor);
  const fAt = (vals: readonly Tensor[]) => (x: unknown) => cost(withReplacements(substituted(vals), () => c.f(x)));
  // Active bounds: variables at a bound keep zero derivative; the system is over the free ones.
  const box = c.box();
  if (cons.length > 0) return kktJvp(c, cons, multipliers(), substituted, tangents, primals, Float64Array.from(xflat), box);
  const free = new Float64Array(n).fill(1);
  let nActive = 0;
  if (box) {
    for (let i = 0; i < n; i++) {
      if (xflat[i]! <= box.lower[i]! || xflat[i]! >= box.upper[i]!) {
        free[i] = 0;
        nActive++;
      }
    }
  }
  if (nActive === n) return [null, null];
  const mask = nActive > 0 ? new Tensor([n], free) : null;
  // b = ∂/∂θ ∇ₓf(x*, θ)·θ̇: a JVP in θ of the gradient at x*, with the tangents as they come
  // (staged under grad: b is linear in θ̇ and transposable).
  const ts = tangents.map((t, i) => t ?? new Tensor(primals[i]!.shape, new Float64Array(primals[i]!.size)));
  const [, bTree] = jvp(
    (...vals: Tensor[]) => flatOf(valueAndGrad(fAt(vals))(xTree)[1], op),
    [...primals],
    ts,
  ) as [Tensor, Tensor];
  const b = mask ? mul(bTree, mask) : bTree;
  // The solve may run later, in the backward pass, after the arena scope holding the primals
  // has closed: it keeps copies.
  const f0 = fAt(primals.map((p) => new Tensor(p.shape, storage(p).slice())));
  const solveFlat = n <= DENSE_MAX ? denseSolver(op, f0, xTree, free, nActive) : cgSolver(op, f0, xTree, layout, free);
  const u = linearSolve(b, { name: op, solve: solveFlat });
  return [neg(u), null];
}

/** H (with identity rows and columns for the active variables) formed once, solved by LU. */
function denseSolver(op: string, f: (x: unknown) => Tensor, xTree: unknown, free: Float64Array, nActive: number): (b: Tensor) => Tensor {
  const n = free.length;
  const H = Float64Array.from(((hessian(f)(xTree) as Tensor).toArray() as number[][]).flat());
  if (nActive > 0) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) if (free[i] === 0 || free[j] === 0) H[i * n + j] = i === j ? 1 : 0;
    }
  }
  const rows = Array.from({ length: n }, (_, i) => Array.from(H.subarray(i * n, i * n + n)));
  return (b) => {
    try {
      return denseSolve(rows, b);
    } catch (e) {
      throw new NotDifferentiableError(op, `the Hessian of f at the solution is singular (${(e as Error).message}): the solution is not locally unique, so it has no derivative`);
    }
  };
}

/** CG on HVPs, projected onto the free variables (H is positive definite at a strict minimum). */
function cgSolver(op: string, f: (x: unknown) => Tensor, xTree: unknown, layout: Layout, free: Float64Array): (b: Tensor) => Tensor {
  const n = free.length;
  // Linearized now, while the values f closes over are alive: under grad the solve runs in the
  // backward pass, when they are gone; the staged linearization calls no user code.
  const gradF = grad(f as (x: Tensor) => Tensor) as (x: unknown) => unknown;
  const lin = linearize as unknown as (g: (x: unknown) => unknown, x: unknown) => [unknown, (v: unknown) => unknown];
  const [, hv] = lin(gradF, xTree);
  const Hv = (v: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = v[i]! * free[i]!;
    layout.read(hv(layout.toTree(v)), out, op);
    for (let i = 0; i < n; i++) out[i] = free[i] ? out[i]! : v[i]!;
    return out;
  };
  return (bT) => {
    const b = Float64Array.from(bT.toArray() as number[]);
    const bnorm = Math.sqrt(b.reduce((s, v) => s + v * v, 0));
    const z = new Float64Array(n);
    if (bnorm === 0) return new Tensor([n], z);
    const r = b.slice();
    const d = r.slice();
    let rr = bnorm * bnorm;
    const tol = 1e-10 * bnorm;
    for (let k = 0; k < 10 * n + 50; k++) {
      const Hd = Hv(d.slice());
      const dHd = d.reduce((s, v, i) => s + v * Hd[i]!, 0);
      if (!(dHd > 0)) {
        throw new NotDifferentiableError(op, `the Hessian of f at the solution is not positive definite (dᵀHd = ${dHd}): the solution is not a strict local minimum, so it has no derivative`);
      }
      const a = rr / dHd;
      for (let i = 0; i < n; i++) {
        z[i] = z[i]! + a * d[i]!;
        r[i] = r[i]! - a * Hd[i]!;
      }
      const rr1 = r.reduce((s, v) => s + v * v, 0);
      if (Math.sqrt(rr1) <= tol) return new Tensor([n], z);
      const beta = rr1 / rr;
      rr = rr1;
      for (let i = 0; i < n; i++) d[i] = r[i]! + beta * d[i]!;
    }
    throw new NotDifferentiableError(op, `CG on the Hessian at the solution did not reach a relative residual of 1e-10 in ${10 * n + 50} iterations (an ill-conditioned Hessian): its derivative cannot be given to full accuracy`);
  };
}

/** Above this many unknowns (free variables plus active constraints) the KKT system is refused. */
const KKT_DENSE_MAX = 400;

/**
 * With constraints: the KKT conditions ∇ₓL = ∇f − Σλᵢ∇cᵢ = 0 (auglag's sign, ∇f = Σλ∇c) and
 * c_A(x, θ) = 0 over the active set A, differentiated in θ, give
 *
 *   H ẋ − Aᵀ λ̇ = −b,   A ẋ = −d,   H = ∇²ₓₓL,  b = ∂θ(∇ₓL)·θ̇,  d = ∂θ(c_A)·θ̇,
 *
 * solved as the symmetric [[H, −Aᵀ], [−A, 0]] [ẋ; λ̇] = −[b; −d]. The vector is padded to all
 * n + m rows (inactive constraints and variables at a bound take zero), so that its transpose
 * is the same solve and reverse mode falls out as in the unconstrained case.
 */
function kktJvp<R>(
  c: TracedCall<R>,
  cons: readonly Con[],
  multipliers: readonly Tensor[] | undefined,
  substituted: (vals: readonly Tensor[]) => Map<Tensor, Tensor>,
  tangents: readonly Lin[],
  primals: readonly Tensor[],
  xflat: Float64Array,
  box: Pick<Box, "lower" | "upper"> | null,
): Lin[] {
  const { op, layout } = c;
  const n = layout.n;
  if (multipliers === undefined || multipliers.length !== cons.length) {
    throw new Error(`matcalc: internal: ${op}'s constrained solve returned no multipliers`);
  }
  const lam = Float64Array.from(multipliers.flatMap((t) => Array.from(storage(t))));
  const m = lam.length;
  const cost = c.cost ?? ((y: unknown) => y as Tensor);
  const lamT = new Tensor([m], lam.slice());
  const cAt = (vals: readonly Tensor[]) => (xf: Tensor): Tensor => {
    const x = unflattenFlat(xf, layout);
    const parts = withReplacements(substituted(vals), () => cons.map((k) => vec(k.fun(x) as Tensor)));
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  };
  const lagAt = (vals: readonly Tensor[]) => (xf: Tensor): Tensor => {
    const fx = cost(withReplacements(substituted(vals), () => c.f(unflattenFlat(xf, layout))));
    return fx.sub(mul(cAt(vals)(xf), lamT).sum());
  };
  // The operator is built on copies: under grad the solve runs after the primals' scope closed.
  const pc = primals.map((p) => new Tensor(p.shape, storage(p).slice()));
  const xs = new Tensor([n], xflat.slice());
  const cv = storage(cAt(pc)(xs)).slice();
  // The active set. An inequality at 0 with a zero multiplier is weakly active: x* is not
  // differentiable there (the constraint switches between active and inactive), so no guess.
  const lamScale = Math.max(1, ...Array.from(lam, Math.abs));
  // "c ≈ 0" per entry (a large inactive c elsewhere must not widen it); "λ > 0" relative to
  // the largest multiplier.
  const cTol = 1e-6, lTol = 1e-7 * lamScale;
  const kinds = cons.flatMap((k, i) => Array.from({ length: multipliers[i]!.size }, () => k.type));
  const active = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    if (kinds[i] === "eq") active[i] = 1;
    else if (cv[i]! > cTol) {
      if (lam[i]! > lTol) {
        throw new NotDifferentiableError(op, `inequality constraint entry ${i} is inactive (c = ${cv[i]}) with multiplier ${lam[i]}: the solution does not satisfy complementarity, so its derivative cannot be given`);
      }
    } else if (lam[i]! > lTol) active[i] = 1;
    else {
      throw new NotDifferentiableError(op, `inequality constraint entry ${i} is weakly active at the solution (c = ${cv[i]}, multiplier ${lam[i]} ≈ 0): the solution is not differentiable there (strict complementarity fails)`);
    }
  }
  const free = new Float64Array(n).fill(1);
  if (box) for (let i = 0; i < n; i++) if (xflat[i]! <= box.lower[i]! || xflat[i]! >= box.upper[i]!) free[i] = 0;
  const fi: number[] = [], ai: number[] = [];
  for (let i = 0; i < n; i++) if (free[i]) fi.push(i);
  for (let i = 0; i < m; i++) if (active[i]) ai.push(i);
  if (fi.length === 0 && ai.length === 0) return [null, null, null];
  const N = fi.length + ai.length;
  if (N > KKT_DENSE_MAX) {
    throw new NotDifferentiableError(op, `the KKT system at the solution has ${fi.length} free variable(s) and ${ai.length} active constraint(s), above the ${KKT_DENSE_MAX} it forms densely; differentiating through a larger constrained solve is not supported`);
  }
  // ∂θ of [∇ₓL; c] at (x*, λ*) with λ* held (λ̇ is an unknown of the system).
  const ts = tangents.map((t, i) => t ?? new Tensor(primals[i]!.shape, new Float64Array(primals[i]!.size)));
  const [, bd] = jvp(
    (...vals: Tensor[]) => concat([grad(lagAt(vals))(xs) as Tensor, cAt(vals)(xs)], 0),
    [...primals],
    ts,
  ) as [Tensor, Tensor];
  const sign = new Float64Array(n + m);
  for (let i = 0; i < n; i++) sign[i] = free[i]!;
  for (let i = 0; i < m; i++) sign[n + i] = -active[i]!;
  const rhs = mul(bd, new Tensor([n + m], sign));
  // K = [[H, −Aᵀ], [−A, 0]] over the free variables and active constraints, factored once.
  // Row-major copies (a tensor's storage order is its own).
  const H = Float64Array.from(((hessian(lagAt(pc))(xs) as Tensor).toArray() as number[][]).flat());
  const A = ai.length > 0 ? Float64Array.from(((jacobian(cAt(pc))(xs) as Tensor).toArray() as number[][]).flat()) : new Float64Array(0);
  const K = new Float64Array(N * N);
  for (let r = 0; r < fi.length; r++) {
    for (let q = 0; q < fi.length; q++) K[r * N + q] = H[fi[r]! * n + fi[q]!]!;
    for (let a = 0; a < ai.length; a++) {
      const v = -A[ai[a]! * n + fi[r]!]!;
      K[r * N + fi.length + a] = v;
      K[(fi.length + a) * N + r] = v;
    }
  }
  // A pivot tiny against K's scale means a singular KKT matrix.
  let scale = 0;
  for (const v of K) scale = Math.max(scale, Math.abs(v));
  const piv = new Int32Array(N);
  if (!luFactor(K, N, piv, 1e-12 * scale)) {
    throw new NotDifferentiableError(op, `the KKT matrix at the solution is singular (a pivot at or below 1e-12 of its largest entry, ${scale}): dependent active constraints or a singular reduced Hessian, so the solution is not locally unique and has no derivative`);
  }
  const idx = [...fi, ...ai.map((i) => n + i)];
  const u = linearSolve(rhs, {
    name: op,
    solve: (bT) => {
      const b = storage(bT);
      const z = new Float64Array(N);
      luSolve(K, N, piv, Float64Array.from(idx, (i) => b[i]!), z);
      const out = new Float64Array(n + m);
      idx.forEach((i, k) => (out[i] = z[k]!));
      return new Tensor([n + m], out);
    },
  });
  // [ẋ; λ̇] = −u; inactive multipliers stay 0 (their rows of u are 0).
  return [neg(slice(u, [0], [n])), null, neg(slice(u, [n], [m]))];
}
