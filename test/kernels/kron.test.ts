// kron (assembly/kron.ts) against a plain-JS reference, plus the two Kronecker identities the
// library relies on, checked numerically through the gemm kernel. Both builds.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, get, randArray, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const SMALL = [1, 2, 3, 5];
const GUARD = 12345.5;

/** out = A ⊗ B, column-major, by the definition out[(ia·mb + ib), (ja·nb + jb)] = a_ij · b_kl. */
function kronRef(ma: number, na: number, a: ArrayLike<number>, mb: number, nb: number, b: ArrayLike<number>): number[] {
  const mo = ma * mb;
  const out = new Array<number>(mo * na * nb);
  for (let ja = 0; ja < na; ja++) for (let ia = 0; ia < ma; ia++) {
    for (let jb = 0; jb < nb; jb++) for (let ib = 0; ib < mb; ib++) {
      out[ia * mb + ib + (ja * nb + jb) * mo] = a[ia + ja * ma]! * b[ib + jb * mb]!;
    }
  }
  return out;
}

/** C = A·B in plain JS (A m×k, B k×n, column-major). */
function matmulRef(m: number, k: number, n: number, a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) {
    const bpj = b[p + j * k]!;
    for (let i = 0; i < m; i++) c[i + j * m]! += a[i + p * m]! * bpj;
  }
  return c;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * scale)) {
      expect.fail(`${what}: entry ${i} is ${got[i]}, expected ${want[i]} (±${tol * scale})`);
    }
  }
}

describe.each(BUILDS)("kron ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  /** kron into a guarded out, inputs placed `odd` elements off 16-byte alignment. */
  function kron(ma: number, na: number, a: ArrayLike<number>, mb: number, nb: number, b: ArrayLike<number>, odd = false): Float64Array {
    const off = odd ? 1 : 2;
    const pa = arena.alloc(a.length + 3) + 8 * off;
    arena.view(pa, a.length).set(a);
    const pb = arena.alloc(b.length + 3) + 8 * off;
    arena.view(pb, b.length).set(b);
    const n = ma * mb * na * nb;
    const base = arena.alloc(n + 3);
    const po = base + 8 * off;
    arena.view(base, n + 3).fill(GUARD);
    arena.view(po, n).fill(NaN);
    k.kron(ma, na, pa, mb, nb, pb, po);
    const all = arena.view(base, n + 3);
    expect(all[off - 1], "guard before out").toBe(GUARD);
    expect(all[off + n], "guard after out").toBe(GUARD);
    return get(arena, po, n);
  }

  /** gemm on fresh copies: C = A·B (A m×kk, B kk×n). */
  function gemm(m: number, kk: number, n: number, a: ArrayLike<number>, b: ArrayLike<number>, transB = 0): Float64Array {
    const pc = arena.alloc(m * n);
    k.gemm(0, transB, m, n, kk, 1, arena.put(a), m, arena.put(b), transB ? n : kk, 0, pc, m);
    return get(arena, pc, m * n);
  }

  it("matches the definition for every shape with dimensions in {1, 2, 3, 5}", () => {
    let seed = 1;
    for (const ma of SMALL) for (const na of SMALL) for (const mb of SMALL) for (const nb of SMALL) {
      const a = randArray(ma * na, seed++), b = randArray(mb * nb, seed++);
      const got = kron(ma, na, a, mb, nb, b, seed % 3 === 0);
      // Each entry is one product, so the kernel must agree bit for bit.
      expect(Array.from(got), `${ma}×${na} ⊗ ${mb}×${nb}`).toEqual(kronRef(ma, na, a, mb, nb, b));
    }
  });

  it("handles empty factors, vectors and larger shapes", () => {
    const shapes: [number, number, number, number][] = [
      [0, 3, 2, 2], [3, 0, 2, 2], [2, 2, 0, 3], [2, 2, 3, 0],
      [17, 3, 4, 33], [33, 1, 1, 17], [1, 17, 33, 1], [1, 1, 129, 128], [128, 1, 1, 1], [1, 129, 1, 3],
      [3, 2, 127, 5], [16, 16, 16, 16], [5, 7, 1, 9],
    ];
    let seed = 100;
    for (const [ma, na, mb, nb] of shapes) {
      for (const odd of [false, true]) {
        const a = randArray(ma * na, seed++), b = randArray(mb * nb, seed++);
        expect(Array.from(kron(ma, na, a, mb, nb, b, odd)), `${ma}×${na} ⊗ ${mb}×${nb}`).toEqual(kronRef(ma, na, a, mb, nb, b));
      }
    }
  });

  it("propagates NaN and Inf like the products do (no shortcut on zeros)", () => {
    const a = [0, 1, Infinity, 2], b = [NaN, 0, 3];
    expect(Array.from(kron(2, 2, a, 3, 1, b))).toEqual(kronRef(2, 2, a, 3, 1, b));
    expect(Array.from(kron(3, 1, b, 2, 2, a))).toEqual(kronRef(3, 1, b, 2, 2, a));
  });

  it("mixed product: (A ⊗ B)(C ⊗ D) = AC ⊗ BD, through gemm", () => {
    // A 3×4, C 4×6, B 5×2, D 2×3; and a square case with larger factors.
    for (const [ma, na, nc, mb, nb, nd] of [[3, 4, 6, 5, 2, 3], [8, 8, 8, 7, 7, 7], [1, 3, 2, 4, 1, 5]] as const) {
      const A = randArray(ma * na, 1), C = randArray(na * nc, 2), B = randArray(mb * nb, 3), D = randArray(nb * nd, 4);
      const AB = kron(ma, na, A, mb, nb, B), CD = kron(na, nc, C, nb, nd, D);
      const lhs = gemm(ma * mb, na * nb, nc * nd, AB, CD);
      const AC = gemm(ma, na, nc, A, C), BD = gemm(mb, nb, nd, B, D);
      const rhs = kron(ma, nc, AC, mb, nd, BD);
      expectClose(lhs, rhs, 1e-13, `(${ma}×${na} ⊗ ${mb}×${nb})(${na}×${nc} ⊗ ${nb}×${nd})`);
      // Both sides also agree with plain JS, so a shared error in gemm cannot cancel out.
      expectClose(rhs, kronRef(ma, nc, matmulRef(ma, na, nc, A, C), mb, nd, matmulRef(mb, nb, nd, B, D)), 1e-13, "vs JS");
    }
  });

  it("kronMatVec: vec(B·X·Aᵀ) = (A ⊗ B)·vec(X), through gemm", () => {
    for (const [ma, na, mb, nb] of [[3, 4, 5, 2], [16, 16, 16, 16], [1, 7, 6, 1], [9, 2, 2, 9]] as const) {
      const A = randArray(ma * na, 11), B = randArray(mb * nb, 12), x = randArray(nb * na, 13);
      // Left: two gemm calls; X = unvec(x) is nb×na at the same memory.
      const BX = gemm(mb, nb, na, B, x);
      const left = gemm(mb, na, ma, BX, A, 1);
      // Right: form A ⊗ B ((ma·mb)×(na·nb)) and multiply by vec(X) (gemm with n = 1).
      const K = kron(ma, na, A, mb, nb, B);
      const right = gemm(ma * mb, na * nb, 1, K, x);
      expectClose(left, right, 1e-13, `${ma}×${na} ⊗ ${mb}×${nb}`);
      expectClose(right, matmulRef(ma * mb, na * nb, 1, kronRef(ma, na, A, mb, nb, B), x), 1e-13, "vs JS");
    }
  });
});
