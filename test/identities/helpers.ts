// Shared helpers for the identity tests (test/identities/*.test.ts).
//
// Every reference value in these tests is computed here in plain JavaScript, on row-by-row
// nested arrays (`Mat = number[][]`, `Vec = number[]`), independently of matcalc's kernels:
// matcalc is only asked for derivatives (grad / jacobian / hessian / jvp / vjp / hvp) and the
// answers are compared against the closed forms of the seed documents.
import { beforeAll, expect } from "vitest";
import * as mc from "../../src/index.js";
import { init, jacobian, tensor, type NestedArray, type Tensor } from "../../src/index.js";

export type Vec = number[];
export type Mat = number[][];

/** Loads the kernels once per file (required in browsers, harmless in Node). */
export function useKernels(): void {
  beforeAll(async () => {
    await init();
  });
}

// ---------------------------------------------------------------------------------------------
// Seeded random inputs (mulberry32 + Box–Muller), independent of the library's randn.

/** Uniform [0, 1) generator (mulberry32). */
export { mulberry32 } from "../../src/random.js";
import { mulberry32 } from "../../src/random.js";

/** n standard-normal samples from `seed`. */
export function gaussians(n: number, seed: number): number[] {
  const u = mulberry32(seed * 7919 + 13);
  const out: number[] = [];
  while (out.length < n) {
    const u1 = 1 - u();
    const u2 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    out.push(r * Math.cos(2 * Math.PI * u2));
    if (out.length < n) out.push(r * Math.sin(2 * Math.PI * u2));
  }
  return out;
}

/** A random vector with N(0, 1) entries. */
export function randVec(n: number, seed: number): Vec {
  return gaussians(n, seed);
}

/** A random vector whose entries are bounded away from 0 (|xᵢ| ∈ [0.3, 2.3]), random signs. */
export function randVecAwayFromZero(n: number, seed: number): Vec {
  const u = mulberry32(seed);
  return Array.from({ length: n }, () => (u() < 0.5 ? -1 : 1) * (0.3 + 2 * u()));
}

/** A random m×n matrix with N(0, 1) entries. */
export function randMat(m: number, n: number, seed: number): Mat {
  const g = gaussians(m * n, seed);
  return Array.from({ length: m }, (_, i) => g.slice(i * n, (i + 1) * n));
}

/** A random square matrix that is comfortably invertible: G/√n + 2I (not symmetric). */
export function randWellConditioned(n: number, seed: number): Mat {
  const G = randMat(n, n, seed);
  return G.map((row, i) => row.map((v, j) => v / Math.sqrt(n) + (i === j ? 2 : 0)));
}

/** A random symmetric positive definite matrix GᵀG/n + I. */
export function randSpd(n: number, seed: number): Mat {
  const G = randMat(n, n, seed);
  return add(scale(matmul(transpose(G), G), 1 / n), eye(n));
}

/** A random symmetric (indefinite) matrix (G + Gᵀ)/2. */
export function randSym(n: number, seed: number): Mat {
  const G = randMat(n, n, seed);
  return scale(add(G, transpose(G)), 0.5);
}

// ---------------------------------------------------------------------------------------------
// Plain-JS dense linear algebra on row-by-row arrays (the reference side).

export function zerosMat(m: number, n: number): Mat {
  return Array.from({ length: m }, () => new Array<number>(n).fill(0));
}

export function eye(n: number): Mat {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
}

export function transpose(A: Mat): Mat {
  const m = A.length;
  const n = A[0]!.length;
  return Array.from({ length: n }, (_, j) => Array.from({ length: m }, (_, i) => A[i]![j]!));
}

export function matmul(A: Mat, B: Mat): Mat {
  const m = A.length;
  const k = B.length;
  const n = B[0]!.length;
  if (A[0]!.length !== k) throw new Error(`reference matmul: ${m}×${A[0]!.length} · ${k}×${n}`);
  const C = zerosMat(m, n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const a = A[i]![p]!;
    for (let j = 0; j < n; j++) C[i]![j]! += a * B[p]![j]!;
  }
  return C;
}

/** A·x for a vector x. */
export function matvec(A: Mat, x: Vec): Vec {
  if (A[0]!.length !== x.length) throw new Error("reference matvec: shape mismatch");
  return A.map((row) => row.reduce((s, a, j) => s + a * x[j]!, 0));
}

export function add(A: Mat, B: Mat): Mat {
  return A.map((row, i) => row.map((v, j) => v + B[i]![j]!));
}

export function sub(A: Mat, B: Mat): Mat {
  return A.map((row, i) => row.map((v, j) => v - B[i]![j]!));
}

export function scale(A: Mat, s: number): Mat {
  return A.map((row) => row.map((v) => v * s));
}

export function hadamard(A: Mat, B: Mat): Mat {
  return A.map((row, i) => row.map((v, j) => v * B[i]![j]!));
}

export function vadd(x: Vec, y: Vec): Vec {
  return x.map((v, i) => v + y[i]!);
}

export function vsub(x: Vec, y: Vec): Vec {
  return x.map((v, i) => v - y[i]!);
}

export function vscale(x: Vec, s: number): Vec {
  return x.map((v) => v * s);
}

export function vmul(x: Vec, y: Vec): Vec {
  return x.map((v, i) => v * y[i]!);
}

export function vdot(x: Vec, y: Vec): number {
  return x.reduce((s, v, i) => s + v * y[i]!, 0);
}

export function outer(x: Vec, y: Vec): Mat {
  return x.map((a) => y.map((b) => a * b));
}

export function diagMat(d: Vec): Mat {
  return d.map((v, i) => d.map((_, j) => (i === j ? v : 0)));
}

export function trace(A: Mat): number {
  return A.reduce((s, row, i) => s + row[i]!, 0);
}

/** x as an n×1 column. */
export function col(x: Vec): Mat {
  return x.map((v) => [v]);
}

/** vec(A): the columns of A stacked (as in the seeds). */
export function vecOf(A: Mat): Vec {
  const m = A.length;
  const n = A[0]!.length;
  const out: Vec = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out.push(A[i]![j]!);
  return out;
}

/** The m×n matrix whose vec is v. */
export function unvec(v: Vec, m: number, n: number): Mat {
  if (v.length !== m * n) throw new Error("reference unvec: size mismatch");
  return Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => v[i + j * m]!));
}

/** The Kronecker product A ⊗ B, entry by entry from its definition. */
export function kron(A: Mat, B: Mat): Mat {
  const [ma, na] = [A.length, A[0]!.length];
  const [mb, nb] = [B.length, B[0]!.length];
  const K = zerosMat(ma * mb, na * nb);
  for (let i = 0; i < ma; i++) for (let j = 0; j < na; j++) {
    for (let k = 0; k < mb; k++) for (let l = 0; l < nb; l++) K[i * mb + k]![j * nb + l] = A[i]![j]! * B[k]![l]!;
  }
  return K;
}

/** The commutation matrix K (mn × mn) with K·vec(X) = vec(Xᵀ) for X m×n. */
export function commutation(m: number, n: number): Mat {
  const K = zerosMat(m * n, m * n);
  // vec(Xᵀ)[j + n·i] = X[i][j] = vec(X)[i + m·j]
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) K[j + n * i]![i + m * j] = 1;
  return K;
}

/**
 * Solves A·X = B by Gaussian elimination with partial pivoting (B a matrix or a vector).
 * The reference side for OLS, ridge, inverses and determinants.
 */
export function solve(A: Mat, B: Mat): Mat;
export function solve(A: Mat, b: Vec): Vec;
export function solve(A: Mat, B: Mat | Vec): Mat | Vec {
  const n = A.length;
  const isVec = typeof B[0] === "number";
  const R: Mat = isVec ? (B as Vec).map((v) => [v]) : (B as Mat).map((r) => [...r]);
  const M: Mat = A.map((r) => [...r]);
  const k = R[0]!.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (M[p]![c] === 0) throw new Error("reference solve: singular matrix");
    [M[c], M[p]] = [M[p]!, M[c]!];
    [R[c], R[p]] = [R[p]!, R[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) M[r]![j]! -= f * M[c]![j]!;
      for (let j = 0; j < k; j++) R[r]![j]! -= f * R[c]![j]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    for (let j = 0; j < k; j++) {
      let s = R[c]![j]!;
      for (let q = c + 1; q < n; q++) s -= M[c]![q]! * R[q]![j]!;
      R[c]![j] = s / M[c]![c]!;
    }
  }
  return isVec ? R.map((r) => r[0]!) : R;
}

export function inv(A: Mat): Mat {
  return solve(A, eye(A.length));
}

/** det(A) by Gaussian elimination with partial pivoting. */
export function det(A: Mat): number {
  const n = A.length;
  const M: Mat = A.map((r) => [...r]);
  let d = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (M[p]![c] === 0) return 0;
    if (p !== c) {
      [M[c], M[p]] = [M[p]!, M[c]!];
      d = -d;
    }
    d *= M[c]![c]!;
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let j = c; j < n; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  return d;
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export function softmaxJs(z: Vec): Vec {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Elementwise map of a vector or a matrix. */
export function map<T extends Vec | Mat>(x: T, f: (v: number) => number): T {
  return (x as unknown[]).map((r) => (Array.isArray(r) ? (r as number[]).map(f) : f(r as number))) as T;
}

// ---------------------------------------------------------------------------------------------
// Conversions and comparisons.

/** A tensor from a reference value (row-by-row arrays or a number). */
export function T(x: Mat | Vec | number): Tensor {
  return tensor(x as NestedArray[] | number);
}

function shapeOfNested(x: NestedArray): number[] {
  const s: number[] = [];
  let p: NestedArray = x;
  while (Array.isArray(p)) {
    s.push(p.length);
    if (p.length === 0) break;
    p = (p as NestedArray[])[0]!;
  }
  return s;
}

function flatNested(x: NestedArray): number[] {
  return Array.isArray(x) ? (x as NestedArray[]).flatMap(flatNested) : [x as number];
}

export interface CloseOptions {
  /** Relative tolerance, scaled by the largest |expected| entry (default 1e-10). */
  rtol?: number;
  /** Absolute tolerance added to rtol·scale (default 0). */
  atol?: number;
  /** Printed with a failure. */
  label?: string;
}

/**
 * Asserts that `actual` (a Tensor or nested arrays) has exactly the shape of `expected` and
 * max|actual − expected| ≤ rtol·max(1e-300, max|expected|) + atol. Reports the worst entry.
 */
export function expectClose(actual: Tensor | NestedArray, expected: NestedArray, opts: CloseOptions = {}): void {
  const rtol = opts.rtol ?? 1e-10;
  const atol = opts.atol ?? 0;
  const label = opts.label ? `${opts.label}: ` : "";
  const isTensor = typeof actual === "object" && actual !== null && !Array.isArray(actual);
  const aShape = isTensor ? [...(actual as Tensor).shape] : shapeOfNested(actual as NestedArray);
  const aVal = isTensor ? (actual as Tensor).toArray() : (actual as NestedArray);
  const eShape = shapeOfNested(expected);
  expect(aShape, `${label}shape`).toEqual(eShape);
  const a = flatNested(aVal);
  const e = flatNested(expected);
  let worst = 0;
  let err = 0;
  let scaleE = 0;
  for (let i = 0; i < e.length; i++) {
    scaleE = Math.max(scaleE, Math.abs(e[i]!));
    let d = Math.abs(a[i]! - e[i]!);
    if (Number.isNaN(d)) d = Infinity;
    if (d > err) {
      err = d;
      worst = i;
    }
  }
  const bound = rtol * Math.max(scaleE, 1e-300) + atol;
  if (!(err <= bound)) {
    expect.fail(
      `${label}max |actual − expected| = ${err.toExponential(3)} > ${bound.toExponential(3)} ` +
        `(rtol ${rtol}, scale ${scaleE.toExponential(3)}, atol ${atol}) at flat index ${worst}: ` +
        `actual ${a[worst]}, expected ${e[worst]}`,
    );
  }
}

/** The largest |entry| of a Tensor or nested arrays. */
export function maxAbs(x: Tensor | NestedArray): number {
  const v = typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Tensor).toArray() : (x as NestedArray);
  return flatNested(v).reduce((m, a) => Math.max(m, Math.abs(a)), 0);
}

/** Asserts that two values differ by more than `minDiff` somewhere (used to show a check discriminates). */
export function expectFar(actual: Tensor | NestedArray, other: NestedArray, minDiff: number): void {
  const v = typeof actual === "object" && actual !== null && !Array.isArray(actual) ? (actual as Tensor).toArray() : actual;
  const a = flatNested(v);
  const b = flatNested(other);
  const d = a.length !== b.length ? Infinity : a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  expect(d, "values should differ").toBeGreaterThan(minDiff);
}

// ---------------------------------------------------------------------------------------------
// Jacobians every way.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => any;

export interface JacobianCheckOptions extends CloseOptions {
  argnums?: number | number[];
  /** Also run with these chunk sizes (default [1, 3]: several blocks per pass). */
  chunkSizes?: number[];
}

/**
 * Checks `jacobian(f)` against the numerator-layout closed form `Jnum` (m×n) in modes 'fwd',
 * 'rev' and 'auto', in numerator layout (= Jnum) and denominator layout (= Jnumᵀ), with the
 * default chunk size and the given small chunk sizes.
 */
export function expectJacobian(f: Fn, args: unknown[], Jnum: Mat, opts: JacobianCheckOptions = {}): void {
  const Jden = transpose(Jnum);
  const base: { argnums?: number | number[] } = opts.argnums === undefined ? {} : { argnums: opts.argnums };
  const close: CloseOptions = { rtol: opts.rtol ?? 1e-10, atol: opts.atol ?? 0 };
  for (const mode of ["fwd", "rev", "auto"] as const) {
    for (const chunkSize of [undefined, ...(opts.chunkSizes ?? [1, 3])]) {
      const c = chunkSize === undefined ? {} : { chunkSize };
      const tag = `${opts.label ?? "jacobian"} mode=${mode}${chunkSize ? ` chunk=${chunkSize}` : ""}`;
      expectClose(jacobian(f, { ...base, ...c, mode })(...args), Jnum, { ...close, label: `${tag} numerator` });
      expectClose(jacobian(f, { ...base, ...c, mode, layout: "numerator" })(...args), Jnum, { ...close, label: `${tag} numerator (explicit)` });
      expectClose(jacobian(f, { ...base, ...c, mode, layout: "denominator" })(...args), Jden, { ...close, label: `${tag} denominator` });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// det and inverse written with differentiable primitives only (slice, mul, sub, concat), so the
// det/logdet/inverse identities can be checked through autodiff before matcalc has native
// det/logdet/inv ops. Small n only (Leibniz formula: n! terms).

/** A[i][j] as a rank-0 tensor (traced). */
export function entry(A: Tensor, i: number, j: number): Tensor {
  return mc.reshape(mc.slice(A, [i, j], [1, 1]), []);
}

function permutations(n: number): { perm: number[]; sign: number }[] {
  if (n === 1) return [{ perm: [0], sign: 1 }];
  const out: { perm: number[]; sign: number }[] = [];
  for (const { perm, sign } of permutations(n - 1)) {
    // insert n−1 at every position; moving it left past k entries flips the sign k times
    for (let pos = n - 1; pos >= 0; pos--) {
      const p = [...perm.slice(0, pos), n - 1, ...perm.slice(pos)];
      out.push({ perm: p, sign: (n - 1 - pos) % 2 === 0 ? sign : -sign });
    }
  }
  return out;
}

/** det(A) = Σ_σ sgn(σ) Π A[i][σ(i)], built from traced ops. */
export function detLeibniz(A: Tensor): Tensor {
  const n = A.shape[0]!;
  let acc: Tensor | null = null;
  for (const { perm, sign } of permutations(n)) {
    let term = entry(A, 0, perm[0]!);
    for (let i = 1; i < n; i++) term = mc.mul(term, entry(A, i, perm[i]!));
    acc = acc === null ? (sign > 0 ? term : mc.neg(term)) : sign > 0 ? mc.add(acc, term) : mc.sub(acc, term);
  }
  return acc!;
}

/** A⁻¹ = adj(A)/det(A), built from traced ops (cofactors by the Leibniz formula). */
export function invAdjugate(A: Tensor): Tensor {
  const n = A.shape[0]!;
  const d = detLeibniz(A);
  const minor = (r: number, c: number): Tensor => {
    const rows = [...Array(n).keys()].filter((i) => i !== r);
    const cols = [...Array(n).keys()].filter((j) => j !== c);
    const pieces = rows.map((i) => mc.concat(cols.map((j) => mc.slice(A, [i, j], [1, 1])), 1));
    return mc.concat(pieces, 0);
  };
  const rowsOut: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const row: Tensor[] = [];
    for (let j = 0; j < n; j++) {
      // adj(A)[i][j] = cofactor C[j][i] = (−1)^{i+j} det(minor(j, i))
      const c = n === 1 ? mc.reshape(mc.ones([1]), []) : detLeibniz(minor(j, i));
      row.push(mc.reshape((i + j) % 2 === 0 ? c : mc.neg(c), [1, 1]));
    }
    rowsOut.push(mc.concat(row, 1));
  }
  return mc.div(mc.concat(rowsOut, 0), d);
}
