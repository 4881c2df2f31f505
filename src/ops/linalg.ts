// Linear algebra primitives with derivatives. As in JAX, only triangular solve and solve
// carry transpose rules (they are linear in their right-hand side); cholesky, det, slogdet and
// eigh need only a JVP, written with solves and products, so reverse mode and every higher
// order follow by transposition.
import { bool, checkOptions } from "../options.js";
import { bind, bind1, primitive, type Lin, type Primitive } from "../core/primitive.js";
import { Tensor, allocTensor, asTensor, ptrOf, storage, type TensorLike } from "../core/tensor.js";
import { ShapeError, NotPositiveDefiniteError, SingularMatrixError, DTypeError, fmtShape } from "../errors.js";
import { checkShape, type Shape } from "../core/shape.js";
import { rt } from "../wasm/module.js";
import { kernels } from "../core/exec.js";
import { add, div, exp, log, mul, neg, sub } from "./elementwise.js";
import { sum } from "./reduce.js";
import { diag, reshape, transpose, vec } from "./structure.js";
import { matmul } from "./matmul.js";
import { member, stack } from "./batched.js";
import { permute } from "./permute.js";
import { mapFactor } from "./lowrank.js";

// ---- helpers ----

function square(op: string, s: Shape): number {
  if (s.length !== 2 || s[0] !== s[1]) throw new ShapeError(op, "expects a square matrix", [s]);
  return s[0]!;
}

/** Copies a concrete tensor into a fresh arena block the kernel may overwrite. */
function scratchCopy(x: Tensor, op: string): Tensor {
  const src = ptrOf(x);
  const out = allocTensor(x.shape, op);
  const f64 = rt().arena.f64();
  f64.copyWithin(out._ptr >>> 3, src >>> 3, (src >>> 3) + x.size);
  return out;
}

/** LAPACK's contract: NaN or Inf in, an error out (not a silent NaN result). */
function assertFinite(op: string, x: Tensor): void {
  if (!Number.isFinite(kernels().asum(x.size, ptrOf(x)))) {
    throw new DTypeError(op, `matrix of shape ${fmtShape(x.shape)} contains NaN or Infinity`);
  }
}

/** Lower (or upper) triangle mask, `diagValue` on the diagonal: a constant. */
function triMask(n: number, lower: boolean, diagValue: number): Tensor {
  const d = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      if (i === j) d[i + j * n] = diagValue;
      else if (lower ? i > j : i < j) d[i + j * n] = 1;
    }
  }
  return new Tensor([n, n], d);
}

function identity(n: number): Tensor {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i + i * n] = 1;
  return new Tensor([n, n], d);
}

function sym(x: Tensor): Tensor {
  return mul(add(x, transpose(x)), 0.5);
}

interface LU {
  lu: Tensor;
  ipiv: number;
  n: number;
}

/** LU factors of a concrete square matrix, with typed errors. */
function luFactor(a: Tensor, op: string): LU {
  const n = square(op, a.shape);
  assertFinite(op, a);
  const lu = scratchCopy(a, op);
  const ipiv = rt().arena.allocBytes(Math.max(1, n) * 4, op);
  const info = kernels().getrf(n, n, lu._ptr, Math.max(1, n), ipiv);
  if (info > 0) throw new SingularMatrixError(op, info - 1, a.shape);
  return { lu, ipiv, n };
}

// ---- solve(A, B): A⁻¹B or A⁻ᵀB ----

interface SolveParams {
  /** 1: solve with Aᵀ. */
  trans: 0 | 1;
  /**
   * The op the user called (`"solve"`, `"inv"`, `"det"`, …), named by the typed errors this
   * solve raises; it travels through the JVP, transpose and batch rules and through `jit`
   * replays, so a singular matrix is reported against the user's call, not this primitive.
   */
  op: string;
}

export const solve_p: Primitive<SolveParams> = primitive<SolveParams>({
  name: "solve",
  mayRaise: true,
  shape: ([a, b], { op }) => {
    const n = square(op, a!);
    if (b!.length !== 2 || b![0] !== n) throw new ShapeError(op, `right-hand side needs ${n} rows`, [a!, b!]);
    return [b!];
  },
  impl: ([a, b], { trans, op }) => {
    const { lu, ipiv, n } = luFactor(a!, op);
    assertFinite(op, b!);
    const x = scratchCopy(b!, op);
    if (n > 0 && b!.shape[1]! > 0) kernels().getrs(trans, n, b!.shape[1]!, lu._ptr, Math.max(1, n), ipiv, x._ptr, Math.max(1, n));
    return [x];
  },
  // X = op(A)⁻¹B ⇒ dX = op(A)⁻¹(dB + op(dA)·(−X)). The sign goes on the primal X, negated
  // once, rather than on a tangent: a linearized function (e.g. a Hessian's, which runs on
  // whole batches of directions) then has no negation pass to run.
  jvp: ([ta, tb], [a], [x], params) => {
    let rhs: Lin = tb;
    if (ta !== null) {
      const dAX = matmul(params.trans ? transpose(ta) : ta, neg(x!));
      rhs = rhs === null ? dAX : add(rhs, dAX);
    }
    return [bind1(solve_p, [a!, rhs!], params)];
  },
  transpose: ([ct], [a], [la, lb], { trans, op }) => {
    if (la || !lb) throw new Error("matcalc: internal: solve is linear only in its right-hand side");
    return [null, bind1(solve_p, [a!, ct!], { trans: trans ? 0 : 1, op })];
  },
  // A shared, B batched: all right-hand sides of the batch in one solve.
  batch: ([a, b], [ba, bb], params, size) => {
    if (!ba && bb) {
      const [n, k] = b!.shape as [number, number, number];
      return [reshape(bind1(solve_p, [a!, reshape(b!, [n, k * size])], params), [n, k, size])];
    }
    return [stack(Array.from({ length: size }, (_, i) => bind1(solve_p, [memberOr(a!, ba!, i), memberOr(b!, bb!, i)], params)))];
  },
  // Low-rank batches (src/core/basis.ts) against a shared A: only the left factor is solved,
  // op(A)⁻¹UVᵀ = (op(A)⁻¹U)Vᵀ, one solve with r·c right-hand sides instead of n·c.
  lowRank: ([a], [, lb], [ba, bb], params) =>
    !ba && bb && lb !== undefined ? { u: mapFactor(lb.u, (cols) => bind1(solve_p, [a!, cols], params)), v: lb.v } : undefined,
});

function memberOr(v: Tensor, batched: boolean, i: number): Tensor {
  return batched ? member(v, i) : v;
}

/**
 * Solves A·X = B for square A (B a matrix or a vector), by LU with partial pivoting.
 * Throws SingularMatrixError (with the zero pivot's index) for singular A.
 * @example
 * ```ts
 * solve([[2, 0], [0, 4]], [2, 4]).toArray(); // [1, 1]
 * solve([[2, 0], [0, 4]], [[2, 4], [4, 8]]).toArray(); // [[1, 2], [1, 2]]  (B a matrix)
 * ```
 * @category Linear algebra
 */
export function solve(a: TensorLike, b: TensorLike): Tensor {
  const A = asTensor(a, "solve");
  const B = asTensor(b, "solve");
  if (B.rank === 1) return vec(bind1(solve_p, [A, reshape(B, [B.size, 1])], { trans: 0, op: "solve" }));
  return bind1(solve_p, [A, B], { trans: 0, op: "solve" });
}

/**
 * A⁻¹ (prefer `solve` when you need A⁻¹B). A singular A throws SingularMatrixError naming
 * `inv`, the shape and the zero pivot's index.
 * @example
 * ```ts
 * inv([[2, 0], [0, 4]]).toArray();   // [[0.5, 0], [0, 0.25]]
 * inv([[1, 2], [3, 4]]).toArray();   // ≈ [[-2, 1], [1.5, -0.5]]
 * ```
 * @category Linear algebra
 */
export function inv(a: TensorLike): Tensor {
  const A = asTensor(a, "inv");
  return bind1(solve_p, [A, identity(square("inv", A.shape))], { trans: 0, op: "inv" });
}

// ---- triangular solve ----

/**
 * Options of {@link triangularSolve}.
 * @category Linear algebra
 */
export interface TriangularSolveOptions {
  /** Solve op(A)·X = B (true, default) or X·op(A) = B (false). */
  left?: boolean;
  /** A is lower (default) or upper triangular; the other triangle is never read. */
  lower?: boolean;
  /** Use Aᵀ. */
  transA?: boolean;
  /** A's diagonal is taken as ones. */
  unitDiagonal?: boolean;
}

interface TriParams {
  left: boolean;
  lower: boolean;
  transA: boolean;
  unit: boolean;
}

export const triangularSolve_p: Primitive<TriParams> = primitive<TriParams>({
  name: "triangularSolve",
  mayRaise: true,
  shape: ([a, b], { left }) => {
    const n = square("triangularSolve", a!);
    if (b!.length !== 2 || (left ? b![0] : b![1]) !== n) {
      throw new ShapeError("triangularSolve", `B needs ${n} ${left ? "rows" : "columns"}`, [a!, b!]);
    }
    return [b!];
  },
  impl: ([a, b], p) => {
    assertFinite("triangularSolve", a!);
    const n = a!.shape[0]!;
    const pa = ptrOf(a!);
    if (!p.unit) {
      const d = storage(a!);
      for (let i = 0; i < n; i++) if (d[i + i * n] === 0) throw new SingularMatrixError("triangularSolve", i, a!.shape);
    }
    const x = scratchCopy(b!, "triangularSolve");
    const [m, k] = b!.shape as [number, number];
    if (m > 0 && k > 0) {
      kernels().trsm(p.left ? 0 : 1, p.lower ? 0 : 1, p.transA ? 1 : 0, p.unit ? 1 : 0, m, k, 1, pa, Math.max(1, n), x._ptr, Math.max(1, m));
    }
    return [x];
  },
  // X = op(A)⁻¹B (left): dX = op(A)⁻¹(dB − op(dA)X), with dA restricted to the triangle read.
  // The sign goes on the primal X, as for solve.
  jvp: ([ta, tb], [a], [x], p) => {
    let rhs: Lin = tb;
    if (ta !== null) {
      const n = a!.shape[0]!;
      const dA = mul(ta, triMask(n, p.lower, p.unit ? 0 : 1));
      const opdA = p.transA ? transpose(dA) : dA;
      const negX = neg(x!);
      const term = p.left ? matmul(opdA, negX) : matmul(negX, opdA);
      rhs = rhs === null ? term : add(rhs, term);
    }
    return [bind1(triangularSolve_p, [a!, rhs!], p)];
  },
  transpose: ([ct], [a], [la, lb], p) => {
    if (la || !lb) throw new Error("matcalc: internal: triangularSolve is linear only in B");
    return [null, bind1(triangularSolve_p, [a!, ct!], { ...p, transA: !p.transA })];
  },
  // A shared, B batched: one solve for the whole batch. Left (op(A)X = B): the members side
  // by side are the right-hand sides. Right (X·op(A) = B): transposed, op(A)ᵀXᵀ = Bᵀ, a left
  // solve on the members' transposes.
  batch: ([a, b], [ba, bb], p, size) => {
    if (!ba && bb) {
      if (p.left) {
        const [m, k] = b!.shape as [number, number, number];
        return [reshape(bind1(triangularSolve_p, [a!, reshape(b!, [m, k * size])], p), [m, k, size])];
      }
      const [m, k] = b!.shape as [number, number, number];
      const bt = reshape(permute(b!, [1, 0, 2]), [k, m * size]);
      const xt = bind1(triangularSolve_p, [a!, bt], { ...p, left: true, transA: !p.transA });
      return [permute(reshape(xt, [k, m, size]), [1, 0, 2])];
    }
    return [stack(Array.from({ length: size }, (_, i) => bind1(triangularSolve_p, [memberOr(a!, ba!, i), memberOr(b!, bb!, i)], p)))];
  },
  // Low-rank batches against a shared A: op(A)⁻¹UVᵀ = (op(A)⁻¹U)Vᵀ on the left, and on the
  // right UVᵀop(A)⁻¹ = U(op(A)⁻ᵀV)ᵀ, a left solve on V.
  lowRank: ([a], [, lb], [ba, bb], p) => {
    if (ba || !bb || lb === undefined) return undefined;
    if (p.left) return { u: mapFactor(lb.u, (cols) => bind1(triangularSolve_p, [a!, cols], p)), v: lb.v };
    const q = { ...p, left: true, transA: !p.transA };
    return { u: lb.u, v: mapFactor(lb.v, (cols) => bind1(triangularSolve_p, [a!, cols], q)) };
  },
});

/**
 * Solves op(A)·X = B (or X·op(A) = B) with A triangular; only A's triangle is read.
 * @example
 * ```ts
 * const L = cholesky(S);
 * triangularSolve(L, B, { lower: true });               // L⁻¹B
 * triangularSolve(L, B, { lower: true, transA: true }); // L⁻ᵀB
 *
 * const L2 = matrix([[2, 0], [1, 2]]);
 * triangularSolve(L2, [2, 5]).toArray();                    // [1, 2]
 * triangularSolve(L2, [2, 5], { transA: true }).toArray();  // [-0.25, 2.5]
 * ```
 * @category Linear algebra
 */
export function triangularSolve(a: TensorLike, b: TensorLike, opts: TriangularSolveOptions = {}): Tensor {
  checkOptions("triangularSolve", opts, { left: bool, lower: bool, transA: bool, unitDiagonal: bool });
  const A = asTensor(a, "triangularSolve");
  const B = asTensor(b, "triangularSolve");
  const p: TriParams = { left: opts.left ?? true, lower: opts.lower ?? true, transA: opts.transA ?? false, unit: opts.unitDiagonal ?? false };
  if (B.rank === 1) return vec(bind1(triangularSolve_p, [A, reshape(B, p.left ? [B.size, 1] : [1, B.size])], p));
  return bind1(triangularSolve_p, [A, B], p);
}

// ---- Cholesky ----

/** The op the user called, named by the primitive's typed errors (e.g. `logdet` on its Cholesky path). */
interface OpParams {
  op: string;
}

export const cholesky_p: Primitive<OpParams> = primitive<OpParams>({
  name: "cholesky",
  mayRaise: true,
  shape: ([a], { op }) => {
    square(op, a!);
    return [a!];
  },
  impl: ([a], { op }) => {
    const n = a!.shape[0]!;
    assertFinite(op, a!);
    const l = scratchCopy(a!, op);
    const info = n > 0 ? kernels().potrf(n, l._ptr, n) : 0;
    if (info > 0) throw new NotPositiveDefiniteError(op, info, a!.shape);
    // potrf leaves the strict upper triangle as it was: zero it, L is lower triangular.
    const d = storage(l);
    for (let j = 1; j < n; j++) d.fill(0, j * n, j * n + j);
    return [l];
  },
  // Murray (2016), arXiv:1602.07527, eq. 8: dL = L·Φ(L⁻¹ dA L⁻ᵀ), Φ = lower triangle with the
  // diagonal halved. dA is symmetrized first (the input is taken as symmetric, as in JAX).
  jvp: ([t], _a, [l]) => {
    const n = l!.shape[0]!;
    const dA = sym(t!);
    const X = triangularSolve(l!, dA, { lower: true });              // L⁻¹ dA
    const Y = triangularSolve(l!, X, { lower: true, left: false, transA: true }); // L⁻¹ dA L⁻ᵀ
    return [matmul(l!, mul(Y, triMask(n, true, 0.5)))];
  },
});

/**
 * The lower Cholesky factor L of a symmetric positive definite matrix (A = LLᵀ); only the
 * lower triangle of A is read. Throws NotPositiveDefiniteError naming the failing minor.
 * As in JAX, derivatives treat A as symmetric: a tangent dA acts as (dA + dAᵀ)/2, so the
 * gradient with respect to A is symmetric.
 * @example
 * ```ts
 * cholesky([[4, 2], [2, 5]]).toArray();   // [[2, 0], [1, 2]]
 * cholesky([[1, 2], [2, 1]]);             // throws NotPositiveDefiniteError (minor 2)
 * ```
 * @category Linear algebra
 */
export function cholesky(a: TensorLike): Tensor {
  return bind1(cholesky_p, [asTensor(a, "cholesky")], { op: "cholesky" });
}

// ---- determinants ----

/** sign(det A) and log|det A| from LU, in one primitive. */
export const slogdet_p: Primitive<OpParams> = primitive<OpParams>({
  name: "slogdet",
  mayRaise: true,
  shape: ([a], { op }) => {
    square(op, a!);
    return [[], []];
  },
  impl: ([a], { op }) => {
    const n = a!.shape[0]!;
    let sign = 1;
    let logabs = 0;
    if (n > 0) {
      assertFinite(op, a!);
      const lu = scratchCopy(a!, op);
      const ipiv = rt().arena.allocBytes(n * 4, op);
      const info = kernels().getrf(n, n, lu._ptr, n, ipiv);
      if (info > 0) {
        sign = 0;
        logabs = -Infinity;
      } else {
        const d = storage(lu);
        const piv = rt().arena.i32().subarray(ipiv >>> 2, (ipiv >>> 2) + n);
        for (let i = 0; i < n; i++) {
          const u = d[i + i * n]!;
          if (u < 0) sign = -sign;
          if (piv[i] !== i) sign = -sign;
          logabs += Math.log(Math.abs(u));
        }
      }
    }
    return [new Tensor([], new Float64Array([sign])), new Tensor([], new Float64Array([logabs]))];
  },
  // d log|det A| = tr(A⁻¹ dA); the sign is piecewise constant. The solve names the user's op:
  // differentiating det/logdet/slogdet at a singular A raises SingularMatrixError for that op.
  jvp: ([t], [a], _outs, { op }) => [null, sum(diag(bind1(solve_p, [a!, t!], { trans: 0, op })))],
});

/** slogdet's two outputs, with typed errors naming `op` (the function the user called). */
function slogdetAs(a: TensorLike, op: string): [Tensor, Tensor] {
  const [s, l] = bind(slogdet_p, [asTensor(a, op)], { op });
  return [s!, l!];
}

/**
 * [sign(det A), log|det A|], stable where det itself would over- or underflow.
 * @example
 * ```ts
 * const [s, ld] = slogdet(A);   // det A = s · exp(ld)
 * const [s2, ld2] = slogdet([[1, 2], [3, 4]]);   // det = −2
 * s2.item();    // -1
 * ld2.item();   // 0.6931471805599453  (log 2)
 * ```
 * @category Linear algebra
 */
export function slogdet(a: TensorLike): [Tensor, Tensor] {
  return slogdetAs(a, "slogdet");
}

/**
 * log|det A| (general square A, by LU). With `{ spd: true }` A is taken as symmetric positive
 * definite and the Cholesky path is used: 2·Σ log Lᵢᵢ, which also checks definiteness.
 * Its gradient is A⁻ᵀ.
 * @example
 * ```ts
 * logdet([[2, 0], [0, 3]]).item();                  // 1.791759469228055  (log 6)
 * logdet([[2, 0], [0, 3]], { spd: true }).item();   // 1.791759469228055
 * grad((X: Tensor) => logdet(X))(matrix([[2, 1], [0, 4]])).toArray(); // [[0.5, 0], [-0.125, 0.25]]  (X⁻ᵀ)
 * ```
 * @category Linear algebra
 */
export function logdet(a: TensorLike, opts: { spd?: boolean } = {}): Tensor {
  checkOptions("logdet", opts, { spd: bool });
  const A = asTensor(a, "logdet");
  if (opts.spd) return mul(sum(log(diag(bind1(cholesky_p, [A], { op: "logdet" })))), 2);
  return slogdetAs(A, "logdet")[1];
}

/**
 * det A = sign · exp(log|det A|); its gradient is det(A)·A⁻ᵀ.
 * @example
 * ```ts
 * det([[1, 2], [3, 4]]).item();                                       // -2
 * grad((X: Tensor) => det(X))(matrix([[1, 2], [3, 4]])).toArray();    // ≈ [[4, -3], [-2, 1]]
 * ```
 * @category Linear algebra
 */
export function det(a: TensorLike): Tensor {
  const [s, l] = slogdetAs(a, "det");
  return mul(s, exp(l));
}

// ---- symmetric eigendecomposition ----

export const eigh_p: Primitive<Record<string, never>> = primitive<Record<string, never>>({
  name: "eigh",
  mayRaise: true,
  shape: ([a]) => {
    const n = square("eigh", a!);
    return [[n], [n, n]];
  },
  impl: ([a]) => {
    const n = a!.shape[0]!;
    assertFinite("eigh", a!);
    const v = scratchCopy(a!, "eigh");
    const w = allocTensor([n], "eigh");
    if (n > 0) {
      const work = rt().arena.alloc(kernels().syevWorkSize(n), "eigh");
      const info = kernels().syev(n, v._ptr, n, w._ptr, work);
      if (info > 0) throw new Error(`eigh: the QL iteration did not converge (info ${info}) for a matrix of shape ${fmtShape(a!.shape)}`);
    }
    return [w, v];
  },
  // With A = VΛVᵀ and distinct eigenvalues (Magnus 1985; Giles 2008, §3.1):
  // dΛ = diag(Vᵀ dA V), dV = V (F ∘ (Vᵀ dA V)), Fᵢⱼ = 1/(λⱼ − λᵢ) off the diagonal, 0 on it.
  // Near-degenerate eigenvalues make F huge: the eigenvectors are then ill-defined (documented).
  jvp: ([t], _a, [w, v]) => {
    const n = w!.size;
    // F from ops (not from w's values) so that it is differentiated again at higher orders.
    const I = identity(n);
    const gaps = sub(reshape(w!, [1, n]), reshape(w!, [n, 1])); // λⱼ − λᵢ
    const F = div(sub(1, I), add(gaps, I));                      // 0 on the diagonal
    const S = matmul(matmul(transpose(v!), sym(t!)), v!);
    return [diag(S), matmul(v!, mul(F, S))];
  },
});

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix; only
 * the lower triangle is read, and derivatives treat A as symmetric (as for cholesky). Derivatives assume distinct eigenvalues: near a degeneracy the
 * eigenvector derivatives blow up (the eigenvectors themselves are not unique there), while
 * eigenvalue derivatives stay finite.
 * @example
 * ```ts
 * const [w, V] = eigh(S);   // S = V·diag(w)·Vᵀ
 * eigh([[2, 1], [1, 2]])[0].toArray();   // ≈ [1, 3]
 * ```
 * @category Linear algebra
 */
export function eigh(a: TensorLike): [Tensor, Tensor] {
  const [w, v] = bind(eigh_p, [asTensor(a, "eigh")], {});
  return [w!, v!];
}

// ---- the commutation matrix ----

/**
 * The commutation matrix K(m, n): K·vec(X) = vec(Xᵀ) for X m×n, applied without forming it.
 * @category Linear algebra
 */
export interface Commutation {
  /** [m·n, m·n]. */
  readonly shape: readonly [number, number];
  /**
   * K·v for v = vec(X) (m·n entries): vec(Xᵀ). Differentiable.
   * @example
   * ```ts
   * commutation(2, 3).apply([1, 4, 2, 5, 3, 6]).toArray();   // [1, 2, 3, 4, 5, 6]
   * ```
   */
  apply(v: TensorLike): Tensor;
  /**
   * K as an explicit mn × mn 0/1 matrix (for checks and small cases).
   * @example
   * ```ts
   * commutation(2, 2).toMatrix().toArray();
   * // [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]
   * ```
   */
  toMatrix(): Tensor;
}

/**
 * K(m, n), the permutation with vec(Xᵀ) = K vec(X) for X m×n; it appears in every Hessian of
 * a function of Xᵀ or X⁻¹ (e.g. ∂² log det X = −K (X⁻ᵀ ⊗ X⁻¹) over vec).
 * @example
 * ```ts
 * const X = matrix([[1, 2, 3], [4, 5, 6]]);
 * const K = commutation(2, 3);
 * K.shape;                        // [6, 6]
 * K.apply(vec(X)).toArray();      // [1, 2, 3, 4, 5, 6]  = vec(Xᵀ)
 * ```
 * @category Linear algebra
 */
export function commutation(m: number, n: number): Commutation {
  checkShape("commutation", [m, n]);
  return {
    shape: [m * n, m * n],
    apply: (v) => vec(transpose(reshape(asTensor(v, "commutation"), [m, n]))),
    toMatrix: () => {
      const N = m * n;
      const d = new Float64Array(N * N);
      // Row r of K picks entry (i, j) of X into position r = j + n·i of vec(Xᵀ).
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) d[(j + n * i) + N * (i + m * j)] = 1;
      return new Tensor([N, N], d);
    },
  };
}

