// The transforms: functions in, functions out, named and shaped as in JAX. Each invocation is
// one top-level call: intermediates live in the arena and only the results leave it.
import { ShapeError, fmtShape } from "../errors.js";
import { Tensor, asTensor, materialize, scoped, zeros } from "../tensor.js";
import { add, mul } from "../ops/elementwise.js";
import { concat, reshape } from "../ops/structure.js";
import { sum } from "../ops/reduce.js";
import { transpose } from "../ops/structure.js";
import {
  JvpTrace, JvpTracer, LinearTrace, backwardPass, forwardPass, withTrace, type Lin, type LinearVar,
} from "./core.js";
import { sizeOf } from "../shape.js";
import { assertSameStructure, flatten, unflatten, type PyTree, type TreeDef } from "./pytree.js";
import { withBatch } from "./batching.js";
import { markBasis } from "./basis.js";

/** Which positional arguments to differentiate, and whether `f` returns `[output, aux]`. */
export interface GradOptions {
  /** Index or indices of the differentiated arguments (default 0). */
  argnums?: number | readonly number[];
  /** `f` returns `[output, aux]`; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

// A function of pytrees; typed loosely because argument structures are the caller's.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

function argnumList(op: string, argnums: GradOptions["argnums"], nargs: number): { list: number[]; single: boolean } {
  const single = argnums === undefined || typeof argnums === "number";
  const list = argnums === undefined ? [0] : typeof argnums === "number" ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) {
      throw new ShapeError(op, `argnums ${a} is out of range for ${nargs} argument(s)`);
    }
  }
  return { list, single };
}

/** Replaces every Tensor in a tree of arrays/plain objects, leaving other values alone. */
function mapTensors(x: unknown, fn: (t: Tensor) => Tensor): unknown {
  if (x instanceof Tensor) return fn(x);
  if (Array.isArray(x)) return x.map((v) => mapTensors(v, fn));
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapTensors(v, fn)]));
  }
  return x;
}

/** f traced once: its outputs, and its linearization as a staged linear function. */
interface Linearized {
  lin: LinearTrace;
  /** Input tangent variables, one list per differentiated argument. */
  vars: LinearVar[][];
  inDefs: TreeDef[];
  outPrimals: Tensor[];
  outTangents: Lin[];
  outDef: TreeDef;
  aux: unknown;
}

function linearizeCore(op: string, f: Fn, args: unknown[], argnums: number[], hasAux: boolean): Linearized {
  const inFlat = argnums.map((a) => flatten(args[a], op));
  const lin = new LinearTrace();
  const jt = new JvpTrace();
  return withTrace(lin, () =>
    withTrace(jt, () => {
      const vars = inFlat.map(([leaves]) => leaves.map((l) => lin.newVar(l.shape)));
      const traced = [...args];
      argnums.forEach((a, k) => {
        const [leaves, def] = inFlat[k]!;
        traced[a] = unflatten(def, leaves.map((l, j) => new JvpTracer(jt, l, vars[k]![j]!)));
      });
      let res = f(...traced);
      let aux: unknown;
      if (hasAux) {
        if (!Array.isArray(res) || res.length !== 2) throw new ShapeError(op, "with hasAux, f must return [output, aux]");
        aux = mapTensors(res[1], (t) => jt.unpack(t)[0]);
        res = res[0];
      }
      const [outLeaves, outDef] = flatten(res, op);
      const unpacked = outLeaves.map((x) => jt.unpack(x));
      return {
        lin, vars, inDefs: inFlat.map(([, d]) => d), outDef, aux,
        outPrimals: unpacked.map(([p]) => p), outTangents: unpacked.map(([, t]) => t),
      };
    }),
  );
}

/** Cotangents of the inputs (zeros where none flowed), one tree per differentiated argument. */
function pullback(L: Linearized, cts: readonly Lin[]): PyTree[] {
  const flatVars = L.vars.flat();
  const g = backwardPass(L.lin, L.outTangents, cts, flatVars, add);
  let i = 0;
  return L.vars.map((vs, k) => unflatten(L.inDefs[k]!, vs.map((v) => g[i++] ?? zeros(v.shape))));
}

/** Tangents of the outputs for given input tangents (flat, in argnum order). */
function pushforward(L: Linearized, tangents: readonly Lin[]): Tensor[] {
  return forwardPass(L.lin, L.vars.flat(), tangents, L.outTangents).map((t, i) => t ?? zeros(L.outPrimals[i]!.shape));
}

/** Keeps a staged linear function usable after its top-level call returned. */
function keepResiduals(L: Linearized): void {
  for (const e of L.lin.eqns) for (const a of e.args) if (!L.lin.isVar(a)) materialize(a._concrete());
}

function scalarOut(op: string, L: Linearized): Tensor {
  if (L.outPrimals.length !== 1 || L.outPrimals[0]!.size !== 1) {
    const shapes = L.outPrimals.map((p) => fmtShape(p.shape)).join(", ");
    throw new ShapeError(op, `f must return a scalar (one entry), got ${shapes || "nothing"}; use jacobian or vjp for non-scalar outputs`);
  }
  return L.outPrimals[0]!;
}

/**
 * The value of scalar `f` and its gradient with respect to argument(s) `argnums`.
 * @example
 * ```ts
 * const [v, g] = valueAndGrad((x: Tensor) => x.mul(x).sum())(vector([1, 2])); // 5, [2, 4]
 * ```
 */
export function valueAndGrad(f: Fn, opts: GradOptions = {}): (...args: any[]) => any {
  return (...args: unknown[]) =>
    scoped(() => {
      const { list, single } = argnumList("valueAndGrad", opts.argnums, args.length);
      const L = linearizeCore("valueAndGrad", f, args, list, opts.hasAux ?? false);
      const out = scalarOut("valueAndGrad", L);
      const g = pullback(L, [asTensor(1)].map((one) => reshape(one, out.shape)));
      const grads = single ? g[0] : g;
      return opts.hasAux ? [[out, L.aux], grads] : [out, grads];
    });
}

/**
 * The gradient of a scalar function, shaped like the differentiated argument (a pytree for a
 * pytree). Nests: `grad(grad(f))`.
 * @example
 * ```ts
 * const f = (x: Tensor) => x.dot(A.matmul(x));          // xᵀAx
 * grad(f)(x);                                           // (A + Aᵀ)x
 * grad((p: { w: Tensor; b: Tensor }) => loss(p))({ w, b }); // { w: ∂L/∂w, b: ∂L/∂b }
 * ```
 */
export function grad(f: Fn, opts: GradOptions = {}): (...args: any[]) => any {
  const vg = valueAndGrad(f, opts);
  return (...args: unknown[]) => {
    const [v, g] = vg(...args) as [unknown, unknown];
    return opts.hasAux ? [g, (v as unknown[])[1]] : g;
  };
}

/**
 * Forward mode: f's output and its directional derivative along `tangents`.
 * @example
 * ```ts
 * const [y, dy] = jvp((x: Tensor) => x.sin(), [x], [v]); // dy = cos(x) ∘ v
 * ```
 */
export function jvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  return scoped(() => {
    if (primals.length !== tangents.length) {
      throw new ShapeError("jvp", `got ${primals.length} primals but ${tangents.length} tangents`);
    }
    const jt = new JvpTrace();
    return withTrace(jt, () => {
      const args = primals.map((p, i) => {
        const [pl, pd] = flatten(p, "jvp");
        const [tl, td] = flatten(tangents[i], "jvp");
        assertSameStructure("jvp", pd, td, "tangents");
        return unflatten(pd, pl.map((l, j) => new JvpTracer(jt, l, tl[j]!)));
      });
      const [outLeaves, outDef] = flatten(f(...args), "jvp");
      const pairs = outLeaves.map((x) => jt.unpack(x));
      return [
        unflatten(outDef, pairs.map(([p]) => p)),
        unflatten(outDef, pairs.map(([p, t]) => t ?? zeros(p.shape))),
      ] as [PyTree, PyTree];
    });
  });
}

/**
 * Reverse mode: f's output and a function mapping an output cotangent to the cotangents of
 * every argument (an array, one per primal).
 * @example
 * ```ts
 * const [y, back] = vjp((A: Tensor, x: Tensor) => A.matmul(x), A, x);
 * const [ctA, ctx] = back(u);    // u·xᵀ and Aᵀu
 * ```
 */
export function vjp(f: Fn, ...primals: unknown[]): [any, (cotangent: unknown) => any[]] {
  const argnums = primals.map((_, i) => i);
  let L!: Linearized;
  const out = scoped(
    () => {
      L = linearizeCore("vjp", f, primals, argnums, false);
      return unflatten(L.outDef, L.outPrimals);
    },
    () => keepResiduals(L),
  );
  const back = (ct: unknown): PyTree[] =>
    scoped(() => {
      const [cl, cd] = flatten(ct, "vjp");
      assertSameStructure("vjp", L.outDef, cd, "the cotangent");
      return pullback(L, cl);
    });
  return [out, back];
}

/**
 * f's output and its linearization at `primals`: a function from input tangents to the
 * output tangent, evaluated without re-running f's nonlinear parts.
 * @example
 * ```ts
 * const [y, f_jvp] = linearize((x: Tensor) => x.exp().sum(), x);
 * f_jvp(v);   // ⟨exp(x), v⟩, for any v
 * ```
 */
export function linearize(f: Fn, ...primals: unknown[]): [any, (...tangents: unknown[]) => any] {
  const argnums = primals.map((_, i) => i);
  let L!: Linearized;
  const out = scoped(
    () => {
      L = linearizeCore("linearize", f, primals, argnums, false);
      return unflatten(L.outDef, L.outPrimals);
    },
    () => keepResiduals(L),
  );
  const fn = (...tangents: unknown[]): PyTree =>
    scoped(() => {
      if (tangents.length !== primals.length) throw new ShapeError("linearize", `expected ${primals.length} tangents, got ${tangents.length}`);
      const flat: Tensor[] = [];
      tangents.forEach((t, i) => {
        const [tl, td] = flatten(t, "linearize");
        assertSameStructure("linearize", L.inDefs[i]!, td, "tangents");
        flat.push(...tl);
      });
      return unflatten(L.outDef, pushforward(L, flat));
    });
  return [out, fn];
}

/** Options of {@link jacobian}. */
export interface JacobianOptions {
  /** 'fwd' pushes input basis vectors, 'rev' pulls output basis vectors; 'auto' (default)
   * picks forward when there are fewer inputs than outputs. */
  mode?: "fwd" | "rev" | "auto";
  /** 'numerator' (default, JAX/PyTorch): m×n with J[i][j] = ∂fᵢ/∂xⱼ. 'denominator': n×m. */
  layout?: "numerator" | "denominator";
  argnums?: number | readonly number[];
  /**
   * Basis directions pushed through together (default 128). Each chunk is one batched pass
   * whose products are matrix-matrix; memory grows with the chunk, not with n.
   */
  chunkSize?: number;
}

/**
 * How jacobian cuts the identity: chunks of at most `chunk` directions that never straddle two
 * leaves (so every other leaf's tangent is a symbolic zero and each chunk is one run of identity
 * columns, see basis.ts), spread evenly within a leaf. In order, so the blocks concatenate.
 */
function chunkPlan(sizes: readonly number[], chunk: number): { leaf: number; start: number; count: number }[] {
  const plan: { leaf: number; start: number; count: number }[] = [];
  sizes.forEach((k, leaf) => {
    if (k === 0) return;
    const per = Math.ceil(k / Math.ceil(k / chunk));
    for (let start = 0; start < k; start += per) plan.push({ leaf, start, count: Math.min(per, k - start) });
  });
  return plan;
}

/**
 * Columns `start … start+count−1` of leaf `leaf`'s identity, batched (shape leaf.shape +
 * [count], batch axis last) and marked as a basis chunk; null (zero) for the other leaves.
 */
function basisChunk(shapes: readonly (readonly number[])[], leaf: number, start: number, count: number): Lin[] {
  return shapes.map((s, l) => {
    if (l !== leaf) return null;
    const k = s.reduce((a, b) => a * b, 1);
    const t = zeros([...s, count]);
    for (let b = 0; b < count; b++) t._buf![start + b + k * b] = 1;
    return markBasis(t, start);
  });
}

/** Batched leaves ([...shape, c] each) as one (Σ sizes) × c matrix. */
function stackRows(leaves: readonly Tensor[], c: number): Tensor {
  const rows = leaves.map((l) => reshape(l, [l.size / c, c]));
  return rows.length === 1 ? rows[0]! : concat(rows, 0);
}

/**
 * The Jacobian of f, with every input and output taken through vec (columns stacked) and
 * pytree leaves concatenated in order: for F: R^{m×n} → R^{p×q} the numerator layout is
 * pq × mn with vec(dF) = J·vec(dX). Basis directions go through in chunks as one batched
 * pass (see {@link vmap}), so the work is matrix-matrix.
 * @example
 * ```ts
 * jacobian((x: Tensor) => A.matmul(x))(x);                          // A
 * jacobian((x: Tensor) => A.matmul(x), { layout: "denominator" })(x); // Aᵀ
 * ```
 */
export function jacobian(f: Fn, opts: JacobianOptions = {}): (...args: any[]) => Tensor {
  return (...args: unknown[]) =>
    scoped(() => {
      const { list } = argnumList("jacobian", opts.argnums, args.length);
      const L = linearizeCore("jacobian", f, args, list, false);
      const inShapes = L.vars.flat().map((v) => v.shape);
      const outShapes = L.outPrimals.map((p) => p.shape);
      const n = inShapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
      const m = L.outPrimals.reduce((a, p) => a + p.size, 0);
      const mode = opts.mode === "fwd" || opts.mode === "rev" ? opts.mode : n < m ? "fwd" : "rev";
      const chunk = Math.max(1, Math.floor(opts.chunkSize ?? 128));
      if (m === 0 || n === 0) return zeros(opts.layout === "denominator" ? [n, m] : [m, n]);
      const blocks: Tensor[] = [];
      const seedShapes = mode === "fwd" ? inShapes : outShapes;
      for (const { leaf, start, count: c } of chunkPlan(seedShapes.map(sizeOf), chunk)) {
        blocks.push(
          withBatch(c, (wrap, unpack) => {
            const seeds = basisChunk(seedShapes, leaf, start, c).map((t) => (t === null ? null : wrap(t)));
            if (mode === "fwd") {
              const outs = pushforward(L, seeds);
              return stackRows(outs.map(unpack), c); // m × c: columns of J
            }
            const g = pullback(L, seeds);
            const leaves = g.flatMap((tree) => flatten(tree, "jacobian")[0]);
            return stackRows(leaves.map(unpack), c); // n × c: columns of Jᵀ
          }),
        );
      }
      const B = blocks.length === 1 ? blocks[0]! : concat(blocks, 1);
      const numerator = mode === "fwd";
      return (opts.layout === "denominator") === numerator ? transpose(B) : B;
    });
}

/**
 * The Hessian of scalar f over vec of its argument (pytree leaves concatenated): n × n and
 * symmetric, computed forward-over-reverse.
 * @example
 * ```ts
 * hessian((x: Tensor) => x.dot(A.matmul(x)))(x);   // A + Aᵀ
 * ```
 */
export function hessian(f: Fn, opts: { argnums?: number | readonly number[]; chunkSize?: number } = {}): (...args: any[]) => Tensor {
  const argnums = opts.argnums ?? 0;
  const jopts: JacobianOptions = { mode: "fwd", argnums };
  if (opts.chunkSize !== undefined) jopts.chunkSize = opts.chunkSize;
  return jacobian(grad(f, { argnums }), jopts);
}

/** Options of {@link hvp}. */
export interface HvpOptions {
  /** 'fwd-rev' (default): jvp of grad, about the cost of two gradients. 'rev-rev': grad of ⟨grad, v⟩. */
  mode?: "fwd-rev" | "rev-rev";
}

/**
 * Hessian-vector product H(x)·v, shaped like x, without forming H.
 * @example
 * ```ts
 * hvp((x: Tensor) => x.dot(A.matmul(x)))(x, v);   // (A + Aᵀ)v
 * ```
 */
export function hvp(f: Fn, opts: HvpOptions = {}): (x: unknown, v: unknown) => any {
  const g = grad(f);
  if (opts.mode === "rev-rev") {
    return (x, v) =>
      grad((y: unknown) => {
        const [gl] = flatten(g(y), "hvp");
        const [vl] = flatten(v, "hvp");
        return gl.map((t, i) => sum(mul(t, vl[i]!))).reduce((a, b) => add(a, b));
      })(x);
  }
  return (x, v) => jvp(g, [x], [v])[1];
}
