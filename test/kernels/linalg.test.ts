// LAPACK-style kernels (trsm, getrf/getrs, potrf, syev) against plain-JS references and
// reconstruction identities, in both builds (SIMD and scalar) and both hosts.
//
// Every check measures an error in units of the bound theory gives, so a wrong kernel fails
// by orders of magnitude while rounding passes with room (the "checker" tests show that a
// perturbation far below the tolerance of a plain comparison is still caught):
// - LU:       |P·A − L·U| ≤ c·k·ε·|L|·|U| entrywise (Higham, "Accuracy and Stability of
//             Numerical Algorithms", 2nd ed., Thm 9.3), plus |L| ≤ 1 (partial pivoting).
// - Cholesky: |A − L·Lᵀ| ≤ c·n·ε·|L|·|Lᵀ| entrywise (Higham Thm 10.3).
// - getrs:    ‖B − A·X‖ ≤ c·n·ε·‖A‖·‖X‖ (backward), ‖X − X*‖ ≤ c·n·ε·cond(A)·‖X*‖ (forward).
// - syev:     ‖A − V·Λ·Vᵀ‖ ≤ c·n·ε·‖A‖, ‖VᵀV − I‖ ≤ c·n·ε, |λ − λ*| ≤ c·n·ε·‖A‖ (Weyl).
// - trsm:     against a plain substitution on well-conditioned triangles, and the residual
//             |op(A)·X − α·B| ≤ c·n·ε·(|op(A)|·|X| + |α·B|) on badly conditioned ones.
// Ill-conditioned inputs are built from known singular values or eigenvalues:
// Q₁·diag(logspace(0, −10))·Q₂ᵀ with Householder-product orthogonal Q's (cond 1e10).
// Entries a kernel must not read (padding rows, the other triangle, a unit diagonal) hold NaN.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, put, rng, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const EPS = 2 ** -53;
const SIZES = [0, 1, 2, 3, 5, 17, 33, 64, 65, 127, 128, 129, 200];
/** Allowed error, in units of the bound each check states. Rounding stays below ~1. */
const C = 8;

// ---------------------------------------------------------------------------------------
// Plain-JS dense helpers, column-major, deliberately naive.

/** An m×n column-major matrix with leading dimension ld ≥ m (padding rows = NaN). */
interface Mat {
  m: number;
  n: number;
  ld: number;
  d: Float64Array;
}

function mat(m: number, n: number, ld = m, fill = 0, pad = Number.NaN): Mat {
  const L = Math.max(ld, 1);
  const d = new Float64Array(L * n).fill(pad);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) d[i + j * L] = fill;
  return { m, n, ld: L, d };
}

const ge = (A: Mat, i: number, j: number): number => A.d[i + j * A.ld]!;
function se(A: Mat, i: number, j: number, v: number): void {
  A.d[i + j * A.ld] = v;
}

function randMat(m: number, n: number, seed: number, ld = m): Mat {
  const r = rng(seed);
  const A = mat(m, n, ld);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) se(A, i, j, r());
  return A;
}

function copyMat(A: Mat, ld = A.ld): Mat {
  const B = mat(A.m, A.n, ld);
  for (let j = 0; j < A.n; j++) for (let i = 0; i < A.m; i++) se(B, i, j, ge(A, i, j));
  return B;
}

/** op(A)·op(B) for dense matrices. */
function mul(A: Mat, B: Mat, tA = false, tB = false): Mat {
  const m = tA ? A.n : A.m, k = tA ? A.m : A.n, n = tB ? B.m : B.n;
  const Cm = mat(m, n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? ge(A, p, i) : ge(A, i, p)) * (tB ? ge(B, j, p) : ge(B, p, j));
      se(Cm, i, j, s);
    }
  }
  return Cm;
}

function maxAbs(A: Mat): number {
  let s = 0;
  for (let j = 0; j < A.n; j++) for (let i = 0; i < A.m; i++) s = Math.max(s, Math.abs(ge(A, i, j)));
  return s;
}

/**
 * A random n×n orthogonal matrix: a product of four Householder reflectors. Dense (every
 * entry mixes), exactly orthogonal up to rounding, and cheap to build for n = 200.
 */
function orthogonal(n: number, seed: number): Mat {
  const Q = mat(n, n);
  for (let i = 0; i < n; i++) se(Q, i, i, 1);
  const r = rng(seed);
  for (let h = 0; h < 4; h++) {
    const v = Array.from({ length: n }, () => r());
    const vv = v.reduce((s, x) => s + x * x, 0);
    if (vv === 0) continue;
    // Q ← Q·(I − 2vvᵀ/vᵀv)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += ge(Q, i, p) * v[p]!;
      const f = (2 * s) / vv;
      for (let p = 0; p < n; p++) se(Q, i, p, ge(Q, i, p) - f * v[p]!);
    }
  }
  return Q;
}

/** Q₁·diag(s)·Q₂ᵀ (Q₂ = Q₁ gives the symmetric Q·diag(s)·Qᵀ). */
function fromSpectrum(s: readonly number[], q1: Mat, q2: Mat = q1): Mat {
  const n = s.length;
  const QS = copyMat(q1);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) se(QS, i, j, ge(q1, i, j) * s[j]!);
  const A = mul(QS, q2, false, true);
  if (q1 === q2) {
    // Exact symmetry, so "lower triangle" and "the matrix" mean the same thing.
    for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) se(A, j, i, ge(A, i, j));
  }
  return A;
}

/** n values from 1 down to 10^-decades, evenly spaced in log scale. */
function logspace(n: number, decades: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? 1 : 10 ** ((-decades * i) / (n - 1))));
}

/** A random symmetric positive definite matrix with the given condition number. */
function spd(n: number, cond: number, seed: number): Mat {
  return fromSpectrum(logspace(n, Math.log10(cond)), orthogonal(n, seed));
}

// ---------------------------------------------------------------------------------------

describe.each(BUILDS)("LAPACK-style kernels ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  const putMat = (A: Mat): number => put(arena, A.d);
  const getMat = (ptr: number, like: Mat): Mat => ({ ...like, d: arena.view(ptr, like.d.length).slice() });
  function putPivots(n: number): number {
    const p = arena.allocBytes(Math.max(4 * n, 4));
    arena.i32().fill(-7, p >> 2, (p >> 2) + n);
    return p;
  }
  const getPivots = (p: number, n: number): Int32Array => arena.i32().slice(p >> 2, (p >> 2) + n);

  // ---- LU ----

  /** Runs getrf on a copy of A with padded lda; returns the factors, pivots and info. */
  function runGetrf(A: Mat) {
    const W = copyMat(A, A.m + 3);
    const pa = putMat(W), pp = putPivots(Math.min(A.m, A.n));
    const info = k.getrf(A.m, A.n, pa, W.ld, pp);
    return { F: getMat(pa, W), ipiv: getPivots(pp, Math.min(A.m, A.n)), info, pa, pp, ld: W.ld };
  }

  /**
   * max |P·A − L·U| / (k·ε·|L|·|U|) entrywise, with the structural checks folded in:
   * pivots in range, |L| ≤ 1, padding untouched. Returns Infinity on a structural error.
   */
  function luError(A: Mat, F: Mat, ipiv: Int32Array): number {
    const { m, n } = A, kk = Math.min(m, n);
    for (let j = 0; j < n; j++) for (let i = m; i < F.ld; i++) if (!Number.isNaN(ge(F, i, j))) return Infinity;
    const PA = copyMat(A);
    for (let i = 0; i < kk; i++) {
      const p = ipiv[i]!;
      if (!(p >= i && p < m)) return Infinity;
      for (let j = 0; j < n; j++) {
        const t = ge(PA, i, j);
        se(PA, i, j, ge(PA, p, j));
        se(PA, p, j, t);
      }
    }
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        if (j < i && j < kk && !(Math.abs(ge(F, i, j)) <= 1)) return Infinity;
        let s = 0, sa = 0;
        for (let p = 0; p <= Math.min(i, j, kk - 1); p++) {
          const l = p === i ? 1 : ge(F, i, p), u = ge(F, p, j);
          s += l * u;
          sa += Math.abs(l * u);
        }
        const err = Math.abs(ge(PA, i, j) - s);
        if (err > 0) worst = Math.max(worst, err / (kk * EPS * sa));
      }
    }
    return worst;
  }

  describe("getrf", () => {
    it.each(SIZES)("random n=%i: P·A = L·U", (n) => {
      const A = randMat(n, n, 10 + n);
      const { F, ipiv, info } = runGetrf(A);
      expect(info).toBe(0);
      expect(luError(A, F, ipiv)).toBeLessThan(C);
    });

    it.each(SIZES.filter((n) => n >= 2))("cond 1e10 n=%i: P·A = L·U", (n) => {
      const A = fromSpectrum(logspace(n, 10), orthogonal(n, n), orthogonal(n, n + 1));
      const { F, ipiv, info } = runGetrf(A);
      expect(info).toBe(0);
      expect(luError(A, F, ipiv)).toBeLessThan(C);
    });

    it.each([[70, 30], [30, 70], [150, 90], [90, 150], [200, 1], [1, 200], [129, 128], [65, 200]])(
      "rectangular %i×%i", (m, n) => {
        const A = randMat(m, n, 7 * m + n);
        const { F, ipiv, info } = runGetrf(A);
        expect(info).toBe(0);
        expect(luError(A, F, ipiv)).toBeLessThan(C);
      });

    it("pivots: picks the largest entry of each column (2×2 and 3×3 by hand)", () => {
      // [[1, 2], [3, 4]] → swap rows: P·A = [[3, 4], [1, 2]] = [[1, 0], [1/3, 1]]·[[3, 4], [0, 2/3]]
      const { F, ipiv } = runGetrf({ m: 2, n: 2, ld: 2, d: Float64Array.from([1, 3, 2, 4]) });
      expect(Array.from(ipiv)).toEqual([1, 1]);
      expect(ge(F, 0, 0)).toBe(3);
      expect(ge(F, 0, 1)).toBe(4);
      expect(ge(F, 1, 0)).toBeCloseTo(1 / 3, 15);
      expect(ge(F, 1, 1)).toBeCloseTo(2 / 3, 15);
      const B = { m: 3, n: 3, ld: 3, d: Float64Array.from([1, -7, 2, 4, 5, 6, 0, 1, 9]) };
      expect(Array.from(runGetrf(B).ipiv)).toEqual([1, 2, 2]);
    });

    it.each([[6, 3], [100, 0], [100, 64], [129, 100], [200, 199], [200, 128]])(
      "singular (n=%i, column %i zero): info = column + 1, factorization completed", (n, col) => {
        const A = randMat(n, n, 3 * n + col);
        for (let i = 0; i < n; i++) se(A, i, col, 0);
        const { F, ipiv, info } = runGetrf(A);
        expect(info).toBe(col + 1);
        expect(luError(A, F, ipiv)).toBeLessThan(C);
      });

    it("singular: reports the first zero pivot when there are several", () => {
      const n = 90;
      const A = randMat(n, n, 5);
      for (const col of [70, 40]) for (let i = 0; i < n; i++) se(A, i, col, 0);
      expect(runGetrf(A).info).toBe(41);
    });

    it("checker: a 1e-10 change in one factor entry is caught", () => {
      const A = randMat(65, 65, 99);
      const { F, ipiv } = runGetrf(A);
      se(F, 40, 20, ge(F, 40, 20) + 1e-10);
      expect(luError(A, F, ipiv)).toBeGreaterThan(100 * C);
    });
  });

  // ---- getrs ----

  describe("getrs", () => {
    /** Solves op(A)·X = B for a known X*; returns backward and forward errors (in units). */
    function solve(A: Mat, nrhs: number, trans: number, cond: number, seed: number) {
      const n = A.n;
      const Xt = randMat(n, nrhs, seed);
      const B = trans ? mul(A, Xt, true) : mul(A, Xt);
      const { pa, pp, ld, info } = runGetrf(A);
      expect(info).toBe(0);
      const Bp = copyMat(B, n + 2);
      // Sentinel (not NaN) in B's padding: it must survive unchanged.
      for (let j = 0; j < nrhs; j++) for (let i = n; i < n + 2; i++) se(Bp, i, j, 4242);
      const pb = putMat(Bp);
      k.getrs(trans, n, nrhs, pa, ld, pp, pb, Bp.ld);
      const X = getMat(pb, Bp);
      for (let j = 0; j < nrhs; j++) for (let i = n; i < n + 2; i++) expect(ge(X, i, j)).toBe(4242);
      const AX = trans ? mul(A, X, true) : mul(A, X);
      let res = 0, fwd = 0;
      const xn = maxAbs(X), xtn = maxAbs(Xt);
      for (let j = 0; j < nrhs; j++) {
        for (let i = 0; i < n; i++) {
          res = Math.max(res, Math.abs(ge(AX, i, j) - ge(B, i, j)));
          fwd = Math.max(fwd, Math.abs(ge(X, i, j) - ge(Xt, i, j)));
        }
      }
      const unit = Math.max(n, 1) * EPS;
      return { back: res / ((unit * maxAbs(A) * xn * n) || 1), fwd: fwd / ((unit * cond * xtn) || 1) };
    }

    it.each(SIZES)("random n=%i, both transposes, 7 and n+3 right-hand sides", (n) => {
      for (const trans of [0, 1]) {
        for (const nrhs of [7, n + 3]) {
          const { back } = solve(randMat(n, n, 20 + n), nrhs, trans, 1, 30 + n + nrhs);
          expect(back).toBeLessThan(C);
        }
      }
    });

    it.each(SIZES.filter((n) => n >= 2))("cond 1e10 n=%i: forward error ≤ c·n·ε·cond", (n) => {
      const cond = 1e10;
      const A = fromSpectrum(logspace(n, 10), orthogonal(n, 2 * n), orthogonal(n, 2 * n + 1));
      for (const trans of [0, 1]) {
        const { back, fwd } = solve(A, 5, trans, cond, 40 + n);
        expect(back).toBeLessThan(C);
        expect(fwd).toBeLessThan(C);
      }
    });

    it("nrhs = 0 and n = 0 do nothing", () => {
      const pb = put(arena, [1, 2, 3]);
      k.getrs(0, 0, 3, 0, 1, 0, pb, 1);
      k.getrs(1, 3, 0, 0, 3, 0, pb, 3);
      expect(Array.from(arena.view(pb, 3))).toEqual([1, 2, 3]);
    });
  });

  // ---- Cholesky ----

  describe("potrf", () => {
    /** Upper triangle = 777 and padding = NaN: both must come back unchanged. */
    function runPotrf(A: Mat) {
      const W = copyMat(A, A.n + 2);
      for (let j = 0; j < A.n; j++) for (let i = 0; i < j; i++) se(W, i, j, 777);
      const pa = putMat(W);
      const info = k.potrf(A.n, pa, W.ld);
      return { F: getMat(pa, W), info };
    }

    /** max |A − L·Lᵀ| / (n·ε·|L|·|Lᵀ|) on the lower triangle; Infinity if upper/padding changed. */
    function cholError(A: Mat, F: Mat): number {
      const n = A.n;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < j; i++) if (ge(F, i, j) !== 777) return Infinity;
        for (let i = n; i < F.ld; i++) if (!Number.isNaN(ge(F, i, j))) return Infinity;
      }
      let worst = 0;
      for (let j = 0; j < n; j++) {
        for (let i = j; i < n; i++) {
          let s = 0, sa = 0;
          for (let p = 0; p <= j; p++) {
            s += ge(F, i, p) * ge(F, j, p);
            sa += Math.abs(ge(F, i, p) * ge(F, j, p));
          }
          const err = Math.abs(ge(A, i, j) - s);
          if (err > 0) worst = Math.max(worst, err / (n * EPS * sa));
        }
      }
      return worst;
    }

    it.each(SIZES)("random SPD n=%i (M·Mᵀ + n·I): A = L·Lᵀ, upper triangle untouched", (n) => {
      const M = randMat(n, n, 50 + n);
      const A = mul(M, M, false, true);
      for (let i = 0; i < n; i++) se(A, i, i, ge(A, i, i) + n);
      const { F, info } = runPotrf(A);
      expect(info).toBe(0);
      expect(cholError(A, F)).toBeLessThan(C);
    });

    it.each(SIZES.filter((n) => n >= 2))("cond 1e10 n=%i: A = L·Lᵀ", (n) => {
      const A = spd(n, 1e10, 60 + n);
      const { F, info } = runPotrf(A);
      expect(info).toBe(0);
      expect(cholError(A, F)).toBeLessThan(C);
    });

    it("hand-checked 3×3", () => {
      // [[4, 2, -2], [2, 10, 2], [-2, 2, 5]] = L·Lᵀ with L = [[2, 0, 0], [1, 3, 0], [-1, 1, √3]]
      const A = { m: 3, n: 3, ld: 3, d: Float64Array.from([4, 2, -2, 2, 10, 2, -2, 2, 5]) };
      const { F, info } = runPotrf(A);
      expect(info).toBe(0);
      expect([ge(F, 0, 0), ge(F, 1, 0), ge(F, 2, 0), ge(F, 1, 1), ge(F, 2, 1)]).toEqual([2, 1, -1, 3, 1]);
      expect(ge(F, 2, 2)).toBeCloseTo(Math.sqrt(3), 15);
    });

    it.each([[3, 3], [5, 3], [100, 3], [100, 1], [100, 64], [100, 65], [150, 129], [200, 200], [33, 17]])(
      "not positive definite (n=%i): leading minor %i → info", (n, bad) => {
        // Tridiagonal [-1 2 -1] (positive definite) with diagonal entry bad−1 set to −5: every
        // leading minor of order < bad is positive definite, the one of order bad is not.
        const A = mat(n, n);
        for (let i = 0; i < n; i++) se(A, i, i, 2);
        for (let i = 0; i + 1 < n; i++) {
          se(A, i + 1, i, -1);
          se(A, i, i + 1, -1);
        }
        se(A, bad - 1, bad - 1, -5);
        expect(runPotrf(A).info).toBe(bad);
      });

    it("semidefinite and NaN inputs fail at the right minor", () => {
      // vvᵀ has rank 1: the 2nd pivot is (rounded) zero or negative.
      const v = [1, 2, 3, 4];
      const A = mat(4, 4);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) se(A, i, j, v[i]! * v[j]!);
      expect(runPotrf(A).info).toBe(2);
      const B = spd(70, 10, 3);
      se(B, 66, 66, Number.NaN);
      expect(runPotrf(B).info).toBe(67);
    });

    it("checker: a 1e-12 change in one factor entry is caught", () => {
      const A = spd(65, 100, 8);
      const { F } = runPotrf(A);
      se(F, 50, 30, ge(F, 50, 30) + 1e-12);
      expect(cholError(A, F)).toBeGreaterThan(100 * C);
    });
  });

  // ---- trsm ----

  describe("trsm", () => {
    const COMBOS: [number, number, number, number][] = [];
    for (const side of [0, 1]) for (const uplo of [0, 1]) for (const trans of [0, 1]) for (const diag of [0, 1]) {
      COMBOS.push([side, uplo, trans, diag]);
    }
    const SHAPES: [number, number][] = [
      [0, 4], [4, 0], [1, 1], [2, 3], [5, 3], [17, 33], [33, 17], [64, 65], [65, 40], [129, 70],
      [70, 129], [200, 9], [9, 200],
    ];

    /**
     * A triangular matrix in a full NaN-filled buffer: only the `uplo` triangle is set, the
     * diagonal too unless diag = 1 (then NaN: it must not be read). `wellCond`: off-diagonal
     * entries scaled by 1/order so substitution stays well conditioned (for comparing X);
     * otherwise plain random entries (exponentially ill-conditioned when unit).
     */
    function triangle(t: number, uplo: number, diag: number, seed: number, wellCond: boolean): Mat {
      const r = rng(seed);
      const A = mat(t, t, t + 1, Number.NaN);
      for (let j = 0; j < t; j++) {
        for (let i = 0; i < t; i++) {
          if (i === j) se(A, i, i, diag ? Number.NaN : (r() < 0 ? -1 : 1) * (1.5 + 0.5 * r()));
          else if (uplo === 0 ? i > j : i < j) se(A, i, j, wellCond ? r() / t : r());
        }
      }
      return A;
    }

    /** op(A)(i, j) with the triangle and unit diagonal applied. */
    function opAt(A: Mat, uplo: number, trans: number, diag: number, i: number, j: number): number {
      const [p, q] = trans ? [j, i] : [i, j];
      if (p === q) return diag ? 1 : ge(A, p, p);
      return (uplo === 0 ? p > q : p < q) ? ge(A, p, q) : 0;
    }

    /** Plain substitution, one right-hand side at a time (the textbook loops). */
    function refTrsm(side: number, uplo: number, trans: number, diag: number, alpha: number, A: Mat, B: Mat): Mat {
      const { m, n } = B;
      const X = copyMat(B);
      const op = (i: number, j: number) => opAt(A, uplo, trans, diag, i, j);
      const lower = (uplo === 0) !== (trans === 1);
      if (side === 0) {
        for (let j = 0; j < n; j++) {
          const order = Array.from({ length: m }, (_, i) => (lower ? i : m - 1 - i));
          for (const i of order) {
            let s = alpha * ge(B, i, j);
            for (let p = 0; p < m; p++) if (lower ? p < i : p > i) s -= op(i, p) * ge(X, p, j);
            se(X, i, j, s / op(i, i));
          }
        }
      } else {
        // X·op(A) = αB: column j of X uses the columns solved before it.
        for (let i = 0; i < m; i++) {
          const order = Array.from({ length: n }, (_, j) => (lower ? n - 1 - j : j));
          for (const j of order) {
            let s = alpha * ge(B, i, j);
            for (let p = 0; p < n; p++) if (lower ? p > j : p < j) s -= ge(X, i, p) * op(p, j);
            se(X, i, j, s / op(j, j));
          }
        }
      }
      return X;
    }

    function runTrsm(side: number, uplo: number, trans: number, diag: number, alpha: number, A: Mat, B: Mat): Mat {
      const pa = putMat(A), pb = putMat(B);
      k.trsm(side, uplo, trans, diag, B.m, B.n, alpha, pa, A.ld, pb, B.ld);
      // A is read only.
      expect(arena.view(pa, A.d.length).join()).toBe(A.d.join());
      return getMat(pb, B);
    }

    /** Random B with padding rows (default 2) holding a sentinel that must survive. */
    function rhs(m: number, n: number, seed: number, ld = m + 2): Mat {
      const B = randMat(m, n, seed, ld);
      for (let j = 0; j < n; j++) for (let i = m; i < ld; i++) se(B, i, j, -31.5);
      return B;
    }

    /** Max |X − X_ref| / (t·ε·max|X_ref|), or Infinity if the padding changed. */
    function refError(X: Mat, R: Mat, t: number): number {
      let worst = 0;
      const scale = Math.max(t, 1) * EPS * (maxAbs(R) || 1);
      for (let j = 0; j < X.n; j++) {
        for (let i = 0; i < X.ld; i++) {
          if (i >= X.m) {
            if (ge(X, i, j) !== -31.5) return Infinity;
          } else worst = Math.max(worst, Math.abs(ge(X, i, j) - ge(R, i, j)) / scale);
        }
      }
      return worst;
    }

    describe.each(COMBOS)("side=%i uplo=%i trans=%i diag=%i", (side, uplo, trans, diag) => {
      it.each(SHAPES)("m=%i n=%i: matches plain substitution", (m, n) => {
        const t = side === 0 ? m : n;
        const A = triangle(t, uplo, diag, 100 + m + 7 * n + 13 * side + 17 * uplo, true);
        for (const alpha of [1, -1.5]) {
          const B = rhs(m, n, 200 + m + n);
          const X = runTrsm(side, uplo, trans, diag, alpha, A, B);
          expect(refError(X, refTrsm(side, uplo, trans, diag, alpha, A, B), t)).toBeLessThan(C);
          arena.release();
        }
      });

      // ldb a multiple of 256 takes the right side's packed-strip path (and the left side's
      // column-order transposes matter most there).
      it.each([[250, 64], [9, 40], [256, 33]])("m=%i n=%i, ldb = 256: matches plain substitution", (m, n) => {
        const t = side === 0 ? m : n;
        const A = triangle(t, uplo, diag, 400 + m + n, true);
        const B = rhs(m, n, 401 + m, 256);
        const X = runTrsm(side, uplo, trans, diag, -2, A, B);
        expect(refError(X, refTrsm(side, uplo, trans, diag, -2, A, B), t)).toBeLessThan(C);
      });

      // The packed blocks solve the same systems with the same operations as in place.
      it.each([[250, 64], [131, 20], [7, 33]])("m=%i n=%i: ldb = 256 and 512 give the bits of ldb = m + 2", (m, n) => {
        const t = side === 0 ? m : n;
        const A = triangle(t, uplo, diag, 500 + m + n, true);
        const ref = runTrsm(side, uplo, trans, diag, -2, A, rhs(m, n, 501 + m));
        for (const ld of [256, 512]) {
          const X = runTrsm(side, uplo, trans, diag, -2, A, rhs(m, n, 501 + m, ld));
          const bad: string[] = [];
          for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) if (!Object.is(ge(X, i, j), ge(ref, i, j))) bad.push(`(${i}, ${j})`);
          expect(bad.slice(0, 3), `ldb ${ld}`).toEqual([]);
        }
        arena.release();
      });

      it("ill-conditioned 129×70 / 70×129: componentwise residual ≤ c·n·ε", () => {
        const [m, n] = side === 0 ? [129, 70] : [70, 129];
        const t = side === 0 ? m : n;
        const A = triangle(t, uplo, diag, 300 + side + 2 * uplo + 4 * trans + 8 * diag, false);
        const B = rhs(m, n, 301);
        const alpha = 0.75;
        const X = runTrsm(side, uplo, trans, diag, alpha, A, B);
        let worst = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0, sa = Math.abs(alpha * ge(B, i, j));
            for (let p = 0; p < t; p++) {
              const prod = side === 0 ? opAt(A, uplo, trans, diag, i, p) * ge(X, p, j) : ge(X, i, p) * opAt(A, uplo, trans, diag, p, j);
              s += prod;
              sa += Math.abs(prod);
            }
            worst = Math.max(worst, Math.abs(s - alpha * ge(B, i, j)) / (t * EPS * sa));
          }
        }
        expect(worst).toBeLessThan(C);
      });

      it("α = 0 zeroes B without reading A", () => {
        const A = mat(5, 5, 5, Number.NaN);
        const B = rhs(5, 5, 9);
        const X = runTrsm(side, uplo, trans, diag, 0, A, B);
        for (let j = 0; j < 5; j++) for (let i = 0; i < 5; i++) expect(ge(X, i, j)).toBe(0);
      });
    });

    it("checker: a change of 1e-11·max|X| in one entry of X is caught", () => {
      const A = triangle(65, 0, 0, 1, true);
      const B = rhs(65, 40, 2);
      const X = runTrsm(0, 0, 0, 0, 1, A, B);
      se(X, 30, 20, ge(X, 30, 20) + 1e-11 * maxAbs(X));
      expect(refError(X, refTrsm(0, 0, 0, 0, 1, A, B), 65)).toBeGreaterThan(10 * C);
    });
  });

  // ---- syev ----

  describe("syev", () => {
    /**
     * Runs syev on the lower triangle of A (upper triangle and padding NaN: not read).
     * Returns V, w, info and the errors in units of n·ε.
     */
    function runSyev(A: Mat) {
      const n = A.n;
      const W = copyMat(A, n + 1);
      for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) se(W, i, j, Number.NaN);
      const pa = putMat(W), pw = arena.alloc(Math.max(n, 1)), pwork = arena.alloc(k.syevWorkSize(n));
      const info = k.syev(n, pa, W.ld, pw, pwork);
      const V = getMat(pa, W), w = Array.from(arena.view(pw, n));
      // VΛVᵀ and VᵀV
      let res = 0, orth = 0;
      for (let j = 0; j < n; j++) {
        for (let i = j; i < n; i++) {
          let s = 0, o = 0;
          for (let p = 0; p < n; p++) {
            s += ge(V, i, p) * w[p]! * ge(V, j, p);
            o += ge(V, p, i) * ge(V, p, j);
          }
          res = Math.max(res, Math.abs(s - ge(A, i, j)));
          orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
        }
      }
      const norm = Math.max(...w.map(Math.abs), 0) || 1;
      return { V, w, info, res: res / (Math.max(n, 1) * EPS * norm), orth: orth / (Math.max(n, 1) * EPS) };
    }

    function sortedAscending(w: number[]): boolean {
      return w.every((x, i) => i === 0 || w[i - 1]! <= x);
    }

    /** max |w − w*| / (n·ε·‖A‖) against known eigenvalues. */
    function eigError(w: number[], want: number[]): number {
      const s = [...want].sort((a, b) => a - b);
      const norm = Math.max(...s.map(Math.abs));
      return Math.max(0, ...w.map((x, i) => Math.abs(x - s[i]!))) / (w.length * EPS * norm);
    }

    it.each(SIZES)("random symmetric n=%i: A = VΛVᵀ, VᵀV = I, ascending", (n) => {
      const A = randMat(n, n, 70 + n);
      for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) se(A, i, j, ge(A, j, i));
      const { w, info, res, orth } = runSyev(A);
      expect(info).toBe(0);
      expect(sortedAscending(w)).toBe(true);
      expect(res).toBeLessThan(C);
      expect(orth).toBeLessThan(C);
    });

    it.each(SIZES.filter((n) => n >= 2))("known spectrum, cond 1e10, mixed signs, n=%i", (n) => {
      const lam = logspace(n, 10).map((x, i) => (i % 3 === 1 ? -x : x));
      const A = fromSpectrum(lam, orthogonal(n, 80 + n));
      const { w, info, res, orth } = runSyev(A);
      expect(info).toBe(0);
      expect(res).toBeLessThan(C);
      expect(orth).toBeLessThan(C);
      expect(eigError(w, lam)).toBeLessThan(C);
    });

    it.each([5, 33, 65, 129, 200])("repeated and clustered eigenvalues, n=%i", (n) => {
      // Three-fold 1, a cluster at 2 ± 1e-13, and the rest at 3: orthogonality must not suffer.
      const lam = Array.from({ length: n }, (_, i) => (i < 3 ? 1 : i < n / 2 ? 2 + (i % 2 ? 1e-13 : -1e-13) : 3));
      const A = fromSpectrum(lam, orthogonal(n, 90 + n));
      const { w, info, res, orth } = runSyev(A);
      expect(info).toBe(0);
      expect(res).toBeLessThan(C);
      expect(orth).toBeLessThan(C);
      expect(eigError(w, lam)).toBeLessThan(C);
    });

    it("special matrices: zero, identity, diagonal, tridiagonal, tiny and huge scale", () => {
      const n = 12;
      const cases: [Mat, number[]][] = [];
      cases.push([mat(n, n), new Array<number>(n).fill(0)]);
      const I = mat(n, n);
      for (let i = 0; i < n; i++) se(I, i, i, 1);
      cases.push([I, new Array<number>(n).fill(1)]);
      const D = mat(n, n);
      for (let i = 0; i < n; i++) se(D, i, i, n - 2 * i);
      cases.push([D, Array.from({ length: n }, (_, i) => n - 2 * i)]);
      // [-1 2 -1]: eigenvalues 2 − 2cos(kπ/(n+1)).
      const T = mat(n, n);
      for (let i = 0; i < n; i++) se(T, i, i, 2);
      for (let i = 0; i + 1 < n; i++) {
        se(T, i + 1, i, -1);
        se(T, i, i + 1, -1);
      }
      cases.push([T, Array.from({ length: n }, (_, i) => 2 - 2 * Math.cos(((i + 1) * Math.PI) / (n + 1)))]);
      for (const scale of [1e-300, 1e300]) {
        const lam = [1, 2, 3, -4, 5, 6].map((x) => x * scale);
        cases.push([fromSpectrum(lam, orthogonal(6, 5)), lam]);
      }
      for (const [A, lam] of cases) {
        const { w, info, res, orth } = runSyev(A);
        expect(info).toBe(0);
        expect(orth).toBeLessThan(C);
        if (maxAbs(A) > 0) {
          expect(res).toBeLessThan(C);
          expect(eigError(w, lam)).toBeLessThan(C);
        } else {
          expect(w).toEqual(new Array<number>(n).fill(0));
        }
        arena.release();
      }
    });

    it("hand-checked 2×2: [[2, 1], [1, 2]] → 1, 3 with (1, −1)/√2, (1, 1)/√2", () => {
      const { V, w } = runSyev({ m: 2, n: 2, ld: 2, d: Float64Array.from([2, 1, 1, 2]) });
      expect(w[0]).toBeCloseTo(1, 15);
      expect(w[1]).toBeCloseTo(3, 15);
      expect(Math.abs(ge(V, 0, 0) + ge(V, 1, 0))).toBeLessThan(1e-15);
      expect(Math.abs(ge(V, 0, 1) - ge(V, 1, 1))).toBeLessThan(1e-15);
    });

    it("NaN input returns info > 0 quickly, with NaN eigenvalues", () => {
      const A = randMat(50, 50, 4);
      se(A, 30, 10, Number.NaN);
      const { info, w } = runSyev(A);
      expect(info).toBeGreaterThan(0);
      expect(w.every(Number.isNaN)).toBe(true);
    });

    it("checker: a 1e-12 change in one eigenvector entry is caught", () => {
      const n = 40;
      const A = spd(n, 100, 6);
      const W = copyMat(A);
      const pa = putMat(W), pw = arena.alloc(n), pwork = arena.alloc(k.syevWorkSize(n));
      expect(k.syev(n, pa, n, pw, pwork)).toBe(0);
      const V = getMat(pa, W), w = arena.view(pw, n);
      se(V, 7, 3, ge(V, 7, 3) + 1e-12);
      let orth = 0;
      for (let j = 0; j < n; j++) {
        let o = 0;
        for (let p = 0; p < n; p++) o += ge(V, p, 3) * ge(V, p, j);
        orth = Math.max(orth, Math.abs(o - (j === 3 ? 1 : 0)));
      }
      expect(orth / (n * EPS)).toBeGreaterThan(10 * C);
      expect(w.length).toBe(n);
    });
  });
});
