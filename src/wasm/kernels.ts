/**
 * The pointer ABI of the kernel module (`assembly/index.ts`): the one place where the
 * TypeScript side states what the wasm exports are and what they mean.
 *
 * Conventions, for every kernel:
 * - Pointers are byte offsets into the module's one linear memory, 8-byte aligned
 *   (the arena hands out 16-byte aligned blocks; SIMD loads do not require it).
 * - Counts and strides are in elements (f64), never bytes. Matrices are column-major:
 *   element (i, j) of a matrix with leading dimension `ld` is at `ptr + 8 * (i + j * ld)`.
 * - Results go to an `out` pointer the caller allocated. Unless a kernel says otherwise,
 *   `out` may alias an input only if it is exactly that input (same pointer, same layout).
 * - Kernels never allocate and never trap on valid arguments; argument validation (shapes,
 *   sizes) is the TypeScript caller's job.
 * @internal
 */
export interface Kernels {
  readonly memory: WebAssembly.Memory;

  /** First free byte above the module's static data (16-aligned). */
  heapBase(): number;
  /** 1 if this binary was compiled with SIMD, else 0. */
  simdEnabled(): number;
  /** 1 if this binary was compiled with relaxed SIMD (f64x2.relaxed_madd), else 0. */
  relaxedSimdEnabled(): number;

  // ---- blas.ts: level-1 and level-2 ----
  /** Σ x[i·incx]·y[i·incy]. */
  dot(n: number, x: number, incx: number, y: number, incy: number): number;
  /** y ← α·x + y. */
  axpy(n: number, alpha: number, x: number, incx: number, y: number, incy: number): void;
  /** x ← α·x. */
  scal(n: number, alpha: number, x: number, incx: number): void;
  /** C[i + j·ldc] ← C[i + j·ldc] + x[i]·y[j] (i < m, j < n), product and sum rounded apart. */
  addOuter(m: number, n: number, x: number, y: number, c: number, ldc: number): void;
  /**
   * y ← α·op(A)·x + β·y with A m×n (leading dimension lda), op = A if trans = 0, Aᵀ if 1.
   * When β = 0, y is not read (NaN in y does not propagate). y must not alias A or x.
   */
  gemv(trans: number, m: number, n: number, alpha: number, a: number, lda: number,
    x: number, incx: number, beta: number, y: number, incy: number): void;

  // ---- vec.ts: the optimizers' level-1 loops (unit stride) ----
  // Each is bit-identical to its JavaScript twin in src/optim/vec.ts: element-wise results
  // are the same IEEE operations (no fused multiply-add); reductions use one fixed order
  // (partial sums over i mod 8 for whole blocks of eight, combined as
  // ((s0+s2)+(s4+s6)) + ((s1+s3)+(s5+s7)), then the n mod 8 remaining terms in order).
  // Fused write-and-reduce kernels store y[i] (or out[i]) before reading z[i], so z may be
  // that output. Partial overlaps are not allowed.
  /** Σ x[i]·y[i] in the fixed order. */
  vdot(n: number, x: number, y: number): number;
  /** y ← y + a·x; returns z·y of the updated y. */
  axpyDot(n: number, a: number, x: number, y: number, z: number): number;
  /** y ← c·(y + a·x); returns z·y of the updated y. */
  axpyScaleDot(n: number, a: number, x: number, c: number, y: number, z: number): number;
  /** out ← a·x; returns z·out. out may equal x. */
  scaleDot(n: number, a: number, x: number, out: number, z: number): number;
  /** max |x[i]| (0 when n = 0); NaN if any x[i] is NaN. */
  nrmInf(n: number, x: number): number;
  /** max |a[i] − b[i]| (0 when n = 0); NaN if any difference is NaN. */
  diffNrmInf(n: number, a: number, b: number): number;
  /** out ← x + a·y. out may equal x or y. */
  addScaled(n: number, x: number, a: number, y: number, out: number): void;
  /** y ← a·x + b·y. */
  axpby(n: number, a: number, x: number, b: number, y: number): void;
  /** out ← a·x (a plain product). out may equal x. */
  scaleTo(n: number, a: number, x: number, out: number): void;
  // Packed symmetric A: upper triangle by columns (BLAS uplo = 'U'), i.e. lower triangle by
  // rows: A(i, j), j ≤ i, at ap[i(i+1)/2 + j].
  /** y ← A·x (row i's dot product with x[0..i) in the fixed order). y must not overlap ap or x. */
  spmv(n: number, ap: number, x: number, y: number): void;
  /** A ← A + x·yᵀ + y·xᵀ, entry-wise A(i, j) + (x_i·y_j + y_i·x_j). */
  spr2(n: number, x: number, y: number, ap: number): void;

  // ---- gemm.ts ----
  /**
   * C ← α·op(A)·op(B) + β·C, C m×n, op(A) m×k, op(B) k×n; transA/transB 0 = N, 1 = T.
   * When β = 0, C is not read. C must not alias A or B.
   */
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void;
  /**
   * gemm's n × n product on and above the diagonal only (for symmetric products): entries
   * i ≤ j bit for bit gemm's; below it, entries are left unwritten (save in diagonal tiles).
   */
  gemmUpper(transA: number, transB: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void;

  // ---- elementwise.ts ----
  /** out[i] = f(x[i]) for i < n, f chosen by `op` (see {@link UnaryOp}). out may equal x. */
  unary(op: number, n: number, x: number, out: number): void;
  /**
   * out = a ∘ b over a broadcast index space of `rank` dims (rank ≤ 8), dim 0 fastest.
   * `shape`, `sa`, `sb` point to i32 arrays of length `rank`: the output extent per dim and
   * the element strides of a and b per dim (0 where that operand is broadcast). `out` is
   * dense column-major in `shape`. out may equal a or b when that operand is dense with the
   * output's shape. Op codes: {@link BinaryOp}.
   */
  binary(op: number, rank: number, shape: number, a: number, sa: number, b: number, sb: number,
    out: number): void;
  /** out[i] = v for i < n. */
  fill(n: number, v: number, out: number): void;
  /** out[i] = cond[i] != 0 ? a[i] : b[i] for i < n (all dense, same length). */
  select(n: number, cond: number, a: number, b: number, out: number): void;
  /**
   * Runs a straight-line program of entrywise ops over one broadcast index space of `rank`
   * dims (1 ≤ rank ≤ 8, dim 0 fastest), a tile of 256 dim-0 entries at a time, so the values
   * it makes and reads again stay in cache. `shape`: i32[rank]. Values 0 … nMem−1 are in
   * memory: `base` i32[nMem] byte pointers, `strides` i32[nMem·rank] element strides (value
   * v's at v·rank + d, 0 where broadcast); values nMem … are temporaries of 256 entries each at
   * `scratch` + (v − nMem)·2048. `ops`: i32[6·nOps], each (code, dst, a, b, c, d): dst = a ∘ b
   * for {@link BinaryOp} Add, Sub, Mul, Div, Max or Min; dst = −a for 16; compound codes 17
   * (a·b)·c, 18 a·b + c, 19 a·b − c, 20 c − a·b, 21 a·b + c·d, 22 a·b − c·d (unused operand
   * fields must still name a value). A dst is a temporary or dense in `shape`. `cur`: i32[nMem]
   * scratch. Entries are bit for bit what {@link Kernels.binary} gives op by op.
   */
  fusedRows(rank: number, shape: number, nMem: number, base: number, strides: number, nOps: number,
    ops: number, scratch: number, cur: number): void;

  // ---- reduce.ts ----
  /** Σ x[i] (pairwise/blocked so rounding error grows like log n, not n). */
  sum(n: number, x: number): number;
  /** max x[i]; NaN if any x[i] is NaN; -Infinity when n = 0. */
  max(n: number, x: number): number;
  /** sqrt(Σ x[i]²) computed with scaling, so entries near 1e200 or 1e-200 do not over/underflow. */
  nrm2(n: number, x: number): number;
  /** Σ |x[i]|. */
  asum(n: number, x: number): number;
  /**
   * Sum over the middle axis of a dense (pre, len, post) column-major block:
   * out[i + pre·k] = Σ_j x[i + pre·(j + len·k)]. out has pre·post entries and must not alias x.
   */
  sumAxis(pre: number, len: number, post: number, x: number, out: number): void;
  /** Like sumAxis with max (NaN-propagating); -Infinity when len = 0. */
  maxAxis(pre: number, len: number, post: number, x: number, out: number): void;

  // ---- transpose.ts ----
  /** out (n×m) = aᵀ for a m×n, both dense column-major; cache-blocked. out must not alias a. */
  transpose(m: number, n: number, a: number, out: number): void;

  // ---- kron.ts ----
  /**
   * out = A ⊗ B, A ma×na, B mb×nb, out (ma·mb)×(na·nb), all dense column-major.
   * out must not alias A or B.
   */
  kron(ma: number, na: number, a: number, mb: number, nb: number, b: number, out: number): void;

  // ---- trsm.ts, lu.ts, cholesky.ts, eigh.ts: LAPACK-style factorizations ----
  // Flags are i32: 0/1 as documented. `ipiv` points to an i32 array (4-byte entries), 0-based.
  /**
   * Triangular solve with many right-hand sides (BLAS dtrsm): op(A)·X = α·B (side = 0) or
   * X·op(A) = α·B (side = 1), X overwriting B (m×n, ldb). A is m×m (side 0) or n×n (side 1);
   * uplo 0 = lower, 1 = upper (only that triangle is read); trans 0 = A, 1 = Aᵀ;
   * diag 0 = non-unit, 1 = unit (the diagonal is not read). α = 0 zeroes B without reading
   * A or B. B must not overlap A. A zero diagonal entry gives Inf/NaN, not an error.
   */
  trsm(side: number, uplo: number, trans: number, diag: number, m: number, n: number,
    alpha: number, a: number, lda: number, b: number, ldb: number): void;
  /**
   * In-place LU factorization with partial pivoting P·A = L·U of the m×n matrix A (lda)
   * (LAPACK dgetrf): L unit lower triangular/trapezoidal, stored strictly below the diagonal;
   * U upper, on and above it. ipiv (min(m, n) i32 entries, 0-based): row i was swapped with
   * row ipiv[i], for i = 0, 1, … in order. Returns 0, or k + 1 for the first k with
   * U[k][k] exactly zero (the factorization is still completed, as LAPACK does).
   */
  getrf(m: number, n: number, a: number, lda: number, ipiv: number): number;
  /**
   * Solves A·X = B (trans = 0) or Aᵀ·X = B (trans = 1) in place in B (n×nrhs, ldb), with A's
   * n×n factors and ipiv from getrf (LAPACK dgetrs). Does not check for singularity.
   */
  getrs(trans: number, n: number, nrhs: number, a: number, lda: number, ipiv: number,
    b: number, ldb: number): void;
  /**
   * In-place Cholesky factorization A = L·Lᵀ of the n×n symmetric positive definite matrix
   * whose lower triangle is at a (lda) (LAPACK dpotrf, uplo = L). Only the lower triangle is
   * read and written; the strict upper triangle is left untouched. Returns 0, or k (1-based)
   * when the leading minor of order k is not positive definite (or NaN); the lower triangle
   * then holds partial results.
   */
  potrf(n: number, a: number, lda: number): number;
  /**
   * Symmetric eigendecomposition A = V·diag(w)·Vᵀ from the lower triangle of the n×n A (lda)
   * (LAPACK dsyev, jobz = V, uplo = L): eigenvalues ascending in w[0..n), orthonormal
   * eigenvectors overwrite A's columns (column j belongs to w[j]). `work` is scratch of at
   * least {@link Kernels.syevWorkSize}(n) float64. Returns 0, or > 0 if the QL iteration did
   * not converge (w, A then partial); a NaN or ±Inf entry returns n with w all NaN.
   */
  syev(n: number, a: number, lda: number, w: number, work: number): number;
  /** Number of float64 scratch entries {@link Kernels.syev} needs for order n (≥ 1). */
  syevWorkSize(n: number): number;
}

/** Op codes of {@link Kernels.unary}; must match `assembly/elementwise.ts`. @internal */
export const enum UnaryOp {
  Neg = 0, Abs = 1, Sign = 2, Square = 3, Sqrt = 4, Reciprocal = 5,
  Exp = 6, Log = 7, Log1p = 8, Expm1 = 9, Sin = 10, Cos = 11, Tanh = 12,
  Sigmoid = 13, Relu = 14, Softplus = 15, Atan = 16, Step = 17, Sech2 = 18, SigmoidSlope = 19,
}

/**
 * Op codes of {@link Kernels.binary}; must match `assembly/elementwise.ts`.
 * Comparisons give 1.0 for true and 0.0 for false (NaN compares false, as in IEEE).
 * @internal
 */
export const enum BinaryOp {
  Add = 0, Sub = 1, Mul = 2, Div = 3, Pow = 4, Max = 5, Min = 6,
  Gt = 7, Ge = 8, Lt = 9, Le = 10, Eq = 11, Ne = 12, Atan2 = 13,
}

/**
 * Op codes of {@link Kernels.fusedRows}' programs beyond BinaryOp's (0 … 13): a negation, and
 * compound ops that keep their inner products in registers. Must match
 * `assembly/elementwise.ts` (test/arch/opcodes.test.ts checks all three enums). @internal
 */
export const enum FusedOp {
  Neg = 16,
  /** (a·b)·c */
  MulMul = 17,
  /** a·b + c */
  MulAdd = 18,
  /** a·b − c */
  MulSub = 19,
  /** c − a·b */
  SubMul = 20,
  /** a·b + c·d */
  MulAddMul = 21,
  /** a·b − c·d */
  MulSubMul = 22,
}

/** Names of every function export, used to validate a loaded module. @internal */
export const KERNEL_EXPORTS = [
  "heapBase", "simdEnabled", "relaxedSimdEnabled", "dot", "axpy", "scal", "addOuter", "gemv", "vdot", "axpyDot", "axpyScaleDot",
  "scaleDot", "nrmInf", "diffNrmInf", "addScaled", "axpby", "scaleTo", "spmv", "spr2", "gemm", "gemmUpper", "unary", "binary", "fusedRows", "fill",
  "select", "sum", "max", "nrm2", "asum", "sumAxis", "maxAxis", "transpose", "kron",
  "trsm", "getrf", "getrs", "potrf", "syev", "syevWorkSize",
] as const satisfies readonly (keyof Kernels)[];
