// Gradient checks: automatic derivatives against central differences, in both modes, to
// second order. The method follows autograd's and JAX's check_grads: compare a JVP with a
// finite difference along a random direction, compare a VJP through ⟨u, J v⟩ = ⟨Jᵀu, v⟩,
// then recurse on the derivative function itself.
import { DTypeError, ShapeError } from "../errors.js";
import { checkFunction, checkOptions, finite, nonNegative, type OptionSpec } from "../options.js";

/** A step: a finite number > 0. */
const positive = (v: unknown): string | undefined =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? undefined : "a finite number > 0";
import { Tensor, randn, scoped, storage, tensor } from "../core/tensor.js";
import { flatten, unflatten, type PyTree, type TreeDef } from "../core/pytree.js";
import { grad, hessian, hvp, jacobian, jvp, vjp } from "./transforms.js";

/**
 * Options shared by the checks.
 * @category Gradient checks
 */
export interface CheckOptions {
  /** Finite-difference step, scaled by max(1, |xᵢ|) per coordinate (default 1e-5). */
  eps?: number;
  /** Largest accepted relative error (default 1e-6). */
  rtol?: number;
  /** Absolute floor of the error's denominator, so near-zero derivatives compare absolutely (default 1e-8). */
  atol?: number;
}

/**
 * What a check found: the worst disagreement and where.
 * @category Gradient checks
 */
export interface CheckReport {
  /** Whether `maxError` is within `rtol`. */
  ok: boolean;
  /** Worst relative error |ad − fd| / max(|ad|, |fd|, atol). */
  maxError: number;
  /** Where it occurred, e.g. "grad[3] (rev)" or "hvp (fwd-rev) along v". */
  where: string;
  /** The automatic derivative's value there. */
  analytic: number;
  /** The finite-difference value there. */
  numeric: number;
  /** Number of scalar comparisons made. */
  comparisons: number;
  /** One line a person can read. */
  message: string;
}

/** A function of tensors and pytrees of tensors. @inline */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

class Tracker {
  maxError = 0;
  where = "none";
  analytic = 0;
  numeric = 0;
  comparisons = 0;
  constructor(readonly rtol: number, readonly atol: number) {}
  compare(where: string, ad: number, fd: number): void {
    this.comparisons++;
    let err = ad === fd ? 0 : Math.abs(ad - fd) / Math.max(Math.abs(ad), Math.abs(fd), this.atol);
    if (Number.isNaN(err)) err = Infinity; // a NaN on either side is the worst disagreement
    if (err > this.maxError || this.where === "none") {
      this.maxError = err;
      this.where = where;
      this.analytic = ad;
      this.numeric = fd;
    }
  }
  report(name: string): CheckReport {
    const ok = this.maxError <= this.rtol;
    return {
      ok, maxError: this.maxError, where: this.where, analytic: this.analytic, numeric: this.numeric,
      comparisons: this.comparisons,
      message: `${name}: ${ok ? "ok" : "FAILED"}: worst relative error ${this.maxError.toExponential(2)} at ${this.where} (ad ${this.analytic}, fd ${this.numeric}); ${this.comparisons} comparisons, rtol ${this.rtol}`,
    };
  }
}

function leavesOf(x: unknown, op = "check"): [Tensor[], TreeDef] {
  return flatten(x, op);
}

const CHECK_OPTIONS = { eps: positive, rtol: nonNegative, atol: nonNegative };

/** Validates a check's function, options and point, so bad input fails naming the check. */
function checkArgs(op: string, f: unknown, opts: unknown, spec: OptionSpec, x: readonly unknown[]): void {
  checkFunction(op, f);
  checkOptions(op, opts, spec);
  for (const a of x) leavesOf(a, op);
}

/** x + s·v over flat leaves (concrete). */
function shift(leaves: readonly Tensor[], dirs: readonly Float64Array[], s: number): Tensor[] {
  return leaves.map((l, i) => {
    const d = storage(l);
    const out = new Float64Array(d.length);
    for (let k = 0; k < d.length; k++) out[k] = d[k]! + s * dirs[i]![k]!;
    return tensor(out, l.shape, { order: "col" }); // vec order, whatever the default for flat data
  });
}

/**
 * Central differences of `g` (a function of the tree `def` rebuilt from shifted leaves) along
 * each coordinate in vec order: calls `each(j, column)` with column j of the difference
 * quotient (g(x + h eⱼ) − g(x − h eⱼ)) / 2h, h scaled to the coordinate.
 */
function centralColumns(
  leaves: readonly Tensor[], def: TreeDef, eps: number, g: (x: unknown) => unknown,
  each: (j: number, column: Float64Array) => void,
): void {
  let j = 0;
  leaves.forEach((l, li) => {
    for (let k = 0; k < l.size; k++, j++) {
      const h = eps * Math.max(1, Math.abs(storage(l)[k]!));
      const dirs = leaves.map((q, qi) => {
        const a = new Float64Array(q.size);
        if (qi === li) a[k] = 1;
        return a;
      });
      const plus = flatValues(g(unflatten(def, shift(leaves, dirs, h))));
      const minus = flatValues(g(unflatten(def, shift(leaves, dirs, -h))));
      const column = new Float64Array(plus.length);
      for (let i = 0; i < plus.length; i++) column[i] = (plus[i]! - minus[i]!) / (2 * h);
      each(j, column);
    }
  });
}

function flatValues(x: unknown): Float64Array {
  const [leaves] = leavesOf(x);
  const n = leaves.reduce((a, l) => a + l.size, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const l of leaves) {
    out.set(storage(l), o);
    o += l.size;
  }
  return out;
}

/**
 * Checks the gradient of scalar `f` at `x` (a tensor or pytree) coordinate by coordinate
 * against central differences (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, with the gradient taken in
 * reverse mode (`grad`) and in forward mode (`jacobian` with mode 'fwd').
 * @example
 * ```ts
 * const r = checkGrad((x: Tensor) => x.tanh().sum(), randn([5], { seed: 1 }));
 * r.ok;            // true
 * r.comparisons;   // 10  (5 coordinates × 2 modes)
 * r.message;       // "checkGrad: ok: worst relative error 1.15e-10 at grad[0] (rev) (ad …, fd …); 10 comparisons, rtol 0.000001"
 * ```
 * @category Gradient checks
 */
export function checkGrad(f: Fn, x: unknown, opts: CheckOptions = {}): CheckReport {
  checkArgs("checkGrad", f, opts, CHECK_OPTIONS, [x]);
  const eps = opts.eps ?? 1e-5;
  const tr = new Tracker(opts.rtol ?? 1e-6, opts.atol ?? 1e-8);
  const [leaves, def] = leavesOf(x);
  const rev = flatValues(grad(f)(x));
  const fwd = storage(jacobian(f, { mode: "fwd" })(x));
  const value = (ls: Tensor[]): number => {
    const y = f(unflatten(def, ls)) as Tensor;
    if (!(y instanceof Tensor) || y.size !== 1) throw new ShapeError("checkGrad", "f must return a scalar");
    return storage(y)[0]!;
  };
  let i = 0;
  leaves.forEach((l, li) => {
    const d = storage(l);
    for (let k = 0; k < l.size; k++, i++) {
      const h = eps * Math.max(1, Math.abs(d[k]!));
      const dirs = leaves.map((m, mi) => {
        const a = new Float64Array(m.size);
        if (mi === li) a[k] = 1;
        return a;
      });
      const fd = (value(shift(leaves, dirs, h)) - value(shift(leaves, dirs, -h))) / (2 * h);
      tr.compare(`grad[${i}] (rev)`, rev[i]!, fd);
      tr.compare(`grad[${i}] (fwd)`, fwd[i]!, fd);
    }
  });
  return tr.report("checkGrad");
}

/**
 * Checks `jacobian(f)` (both modes) at `x` column by column against central differences.
 * @example
 * ```ts
 * const A = matrix([[1, 2], [3, 4]]);
 * const r = checkJacobian((x: Tensor) => A.matmul(x).tanh(), vector([0.1, 0.2]));
 * r.ok;            // true
 * r.comparisons;   // 8  (2×2 entries × 2 modes)
 * ```
 * @category Gradient checks
 */
export function checkJacobian(f: Fn, x: unknown, opts: CheckOptions = {}): CheckReport {
  checkArgs("checkJacobian", f, opts, CHECK_OPTIONS, [x]);
  const eps = opts.eps ?? 1e-5;
  const tr = new Tracker(opts.rtol ?? 1e-6, opts.atol ?? 1e-8);
  const [leaves, def] = leavesOf(x);
  const Jf = jacobian(f, { mode: "fwd" })(x);
  const Jr = jacobian(f, { mode: "rev" })(x);
  const m = Jf.shape[0]!;
  const df = storage(Jf), dr = storage(Jr);
  centralColumns(leaves, def, eps, f, (j, fd) => {
    for (let i = 0; i < m; i++) {
      tr.compare(`J[${i}][${j}] (fwd)`, df[i + j * m]!, fd[i]!);
      tr.compare(`J[${i}][${j}] (rev)`, dr[i + j * m]!, fd[i]!);
    }
  });
  return tr.report("checkJacobian");
}

/**
 * Checks `hessian(f)` at `x` against central differences of the gradient, its symmetry, and
 * `hvp` (both modes) against H·v along a random direction.
 * @example
 * ```ts
 * const r = checkHessian((x: Tensor) => x.pow(4).sum(), vector([0.5, -1]));
 * r.ok;            // true
 * r.comparisons;   // 12  (4 entries, 4 symmetry pairs, 2 × 2 HVP entries)
 * ```
 * @category Gradient checks
 */
export function checkHessian(f: Fn, x: unknown, opts: CheckOptions & { seed?: number } = {}): CheckReport {
  checkArgs("checkHessian", f, opts, { ...CHECK_OPTIONS, seed: finite() }, [x]);
  const eps = opts.eps ?? 1e-5;
  const tr = new Tracker(opts.rtol ?? 1e-6, opts.atol ?? 1e-8);
  const [leaves, def] = leavesOf(x);
  const H = hessian(f)(x);
  const n = H.shape[0]!;
  const hd = storage(H);
  const g = grad(f);
  centralColumns(leaves, def, eps, g, (j, fd) => {
    for (let i = 0; i < n; i++) {
      tr.compare(`H[${i}][${j}]`, hd[i + j * n]!, fd[i]!);
      tr.compare(`H[${i}][${j}] vs H[${j}][${i}]`, hd[i + j * n]!, hd[j + i * n]!);
    }
  });
  const v = unflatten(def, leaves.map((l, i) => randn(l.shape, { seed: (opts.seed ?? 7) + i })));
  const vflat = flatValues(v);
  for (const mode of ["fwd-rev", "rev-rev"] as const) {
    const hv = flatValues(hvp(f, { mode })(x, v));
    for (let i = 0; i < n; i++) {
      let ref = 0;
      for (let q = 0; q < n; q++) ref += hd[i + q * n]! * vflat[q]!;
      tr.compare(`hvp[${i}] (${mode})`, hv[i]!, ref);
    }
  }
  return tr.report("checkHessian");
}

/**
 * Options of {@link checkGrads}.
 * @category Gradient checks
 */
export interface CheckGradsOptions extends CheckOptions {
  /** Derivative order to check (1 or 2; default 2). */
  order?: 1 | 2;
  /** Modes to check (default both). */
  modes?: readonly ("fwd" | "rev")[];
  /** Seed of the random directions. */
  seed?: number;
}

function randomLike(x: unknown, seed: number): PyTree {
  const [leaves, def] = leavesOf(x);
  return unflatten(def, leaves.map((l, i) => randn(l.shape, { seed: seed * 7919 + i })));
}

function vdot(a: unknown, b: unknown): number {
  const x = flatValues(a), y = flatValues(b);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * JAX-style check of any f (tensor or pytree in and out) at `args`: forward mode against a
 * central difference along a random direction v; reverse mode through ⟨u, J v⟩ = ⟨Jᵀu, v⟩
 * for a random u; then, for order 2, the same checks on the JVP and VJP functions themselves.
 * @example
 * ```ts
 * checkGrads((x: Tensor) => x.matmul(x.T).logsumexp(), [randn([3, 4])], { order: 2 }).ok; // true
 * ```
 * @category Gradient checks
 */
export function checkGrads(f: Fn, args: readonly unknown[], opts: CheckGradsOptions = {}): CheckReport {
  if (!Array.isArray(args)) throw new DTypeError("checkGrads", "args must be an array (one entry per argument of f)");
  checkArgs("checkGrads", f, opts, {
    ...CHECK_OPTIONS,
    order: (v) => (v === 1 || v === 2 ? undefined : "1 or 2"),
    modes: (v) => (Array.isArray(v) && v.every((m) => m === "fwd" || m === "rev") ? undefined : 'an array of "fwd" and "rev"'),
    seed: finite(),
  }, args);
  const tr = new Tracker(opts.rtol ?? 1e-5, opts.atol ?? 1e-7);
  run(f, args, opts, tr, 1, opts.seed ?? 1);
  return tr.report("checkGrads");
}

function run(f: Fn, args: readonly unknown[], opts: CheckGradsOptions, tr: Tracker, order: number, seed: number): void {
  const eps = opts.eps ?? 1e-5;
  const modes = opts.modes ?? ["fwd", "rev"];
  const v = args.map((a, i) => randomLike(a, seed + 31 * i));
  const at = (s: number): unknown[] =>
    args.map((a, i) => {
      const [l, d] = leavesOf(a);
      return unflatten(d, shift(l, leavesOf(v[i])[0].map((t) => storage(t)), s));
    });
  // Central difference of f along v, scaled per call so huge inputs still get a relative step.
  let scale = 1;
  for (const a of args) for (const v of flatValues(a)) scale = Math.max(scale, Math.abs(v));
  const h = eps * scale;
  const fdv = scoped(() => {
    const plus = flatValues(f(...at(h)));
    const minus = flatValues(f(...at(-h)));
    return plus.map((p, i) => (p - minus[i]!) / (2 * h));
  });
  const tag = `order ${order}`;
  if (modes.includes("fwd")) {
    const [, tOut] = jvp(f, args, v);
    const ad = flatValues(tOut);
    ad.forEach((a, i) => tr.compare(`jvp[${i}] (${tag})`, a, fdv[i]!));
  }
  if (modes.includes("rev")) {
    const [out, back] = vjp(f, ...args);
    const u = randomLike(out, seed + 101);
    const cts = back(u);
    // ⟨u, J v⟩ with J v from finite differences, against ⟨Jᵀu, v⟩.
    const lhs = flatValues(u).reduce((s, ui, i) => s + ui * fdv[i]!, 0);
    const rhs = cts.reduce((s: number, c: unknown, i: number) => s + vdot(c, v[i]), 0);
    tr.compare(`⟨Jᵀu, v⟩ (${tag})`, rhs, lhs);
  }
  if ((opts.order ?? 2) > order) {
    if (modes.includes("fwd")) {
      const fv = (...xs: unknown[]) => jvp(f, xs, v)[1];
      run(fv, args, opts, tr, order + 1, seed + 1000);
    }
    if (modes.includes("rev")) {
      const out = scoped(() => f(...args));
      const u = randomLike(out, seed + 2000);
      const fu = (...xs: unknown[]) => vjp(f, ...xs)[1](u);
      run(fu, args, opts, tr, order + 1, seed + 3000);
    }
  }
}

