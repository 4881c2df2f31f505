// LAPACK-style kernels of the SIMD binary against its own GEMM at the same n: GFLOP/s of
// getrf, potrf, getrs, trsm and syev next to gemm, the group's baseline (the target for the
// factorizations is at least half of the GEMM rate at n = 512).
//
// Flop counts (the usual nominal ones, Golub & Van Loan 4th ed.):
// - gemm n×n×n: 2n³            - getrf: 2n³/3            - potrf: n³/3
// - getrs with n right-hand sides (solve only, on a factored A): 2n³ (two triangular solves)
// - trsm op(A)·X = B, A n×n triangular, B n×n: n³
// - syev with eigenvectors: 9n³ (the textbook count for tridiagonalization + Q + QR
//   iterations; the true count depends on the number of QL sweeps)
// The factorizations work in place, so every timed call first restores its input with one
// copyWithin inside linear memory (n² doubles; under 2% of the call at n = 64, and the same
// for every build). gemm needs no copy.
//
// Every host: the SIMD binary comes from dist/wasm (run `npm run build` first) through
// bench/wasm-bytes.ts.
import { fillRandom, type SuiteSpec, type TaskSpec } from "../harness.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { loadKernels } from "../wasm-bytes.js";

const SIZES = [64, 256, 512];
const SYEV_SIZES = [64, 256];

/** Per-size buffers: pristine inputs and the working copies the timed calls overwrite. */
interface Buffers {
  n: number;
  gA: number; gB: number; gC: number;
  aGen: number; aSpd: number; aSym: number; bRhs: number;
  work: number; rhs: number; lu: number; ipiv: number;
  w: number; syevWork: number;
}

function setupSize(k: Kernels, arena: Arena, n: number): Buffers {
  const nn = n * n;
  const put = (seed: number) => arena.put(fillRandom(new Float64Array(nn), seed));
  const b: Buffers = {
    n,
    gA: put(1), gB: put(2), gC: arena.alloc(nn),
    aGen: put(3), aSpd: arena.alloc(nn), aSym: put(4), bRhs: put(5),
    work: arena.alloc(nn), rhs: arena.alloc(nn), lu: arena.alloc(nn), ipiv: arena.allocBytes(4 * n),
    w: arena.alloc(n), syevWork: arena.alloc(k.syevWorkSize(n)),
  };
  // SPD: M·Mᵀ + n·I.
  k.gemm(0, 1, n, n, n, 1, b.gA, n, b.gA, n, 0, b.aSpd, n);
  const f = arena.f64();
  for (let i = 0; i < n; i++) f[(b.aSpd >> 3) + i * (n + 1)]! += n;
  // Symmetric (syev reads the lower triangle only; make it symmetric anyway).
  for (let j = 0; j < n; j++) for (let i = j + 1; i < n; i++) f[(b.aSym >> 3) + j + i * n] = f[(b.aSym >> 3) + i + j * n]!;
  // The LU factors getrs uses.
  f.copyWithin(b.lu >> 3, b.aGen >> 3, (b.aGen >> 3) + nn);
  if (k.getrf(n, n, b.lu, n, b.ipiv) !== 0) throw new Error(`linalg bench: getrf failed at n=${n}`);
  return b;
}

/** Once per size: the benchmarked calls must give right answers (cheap residual checks). */
function crossCheck(k: Kernels, arena: Arena, b: Buffers): void {
  const { n } = b, nn = n * n;
  const f = () => arena.f64();
  const fail = (what: string, err: number) => {
    throw new Error(`linalg bench: ${what} residual ${err.toExponential(2)} at n=${n}`);
  };
  // getrs: A·X = B with B = A·1 → X = 1.
  const ones = arena.put(new Float64Array(n).fill(1));
  const rhs = arena.alloc(n);
  k.gemv(0, n, n, 1, b.aGen, n, ones, 1, 0, rhs, 1);
  k.getrs(0, n, 1, b.lu, n, b.ipiv, rhs, n);
  let e = 0;
  for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(f()[(rhs >> 3) + i]! - 1));
  if (!(e < 1e-8)) fail("getrs", e);
  // potrf: L·Lᵀ = A on the diagonal (a cheap necessary check).
  f().copyWithin(b.work >> 3, b.aSpd >> 3, (b.aSpd >> 3) + nn);
  if (k.potrf(n, b.work, n) !== 0) fail("potrf info", 1);
  e = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = 0; p <= i; p++) s += f()[(b.work >> 3) + i + p * n]! ** 2;
    e = Math.max(e, Math.abs(s - f()[(b.aSpd >> 3) + i * (n + 1)]!) / f()[(b.aSpd >> 3) + i * (n + 1)]!);
  }
  if (!(e < 1e-12)) fail("potrf", e);
}

async function tasks(): Promise<TaskSpec[]> {
  const { k, arena } = await loadKernels("simd");
  const out: TaskSpec[] = [];
  for (const n of SIZES) {
    const b = setupSize(k, arena, n);
    crossCheck(k, arena, b);
    const nn = n * n, n3 = n * n * n;
    const group = `linalg n=${n}`;
    /** Restores `dst` from the pristine `src` (n² doubles) inside linear memory. */
    const restore = (dst: number, src: number) => arena.f64().copyWithin(dst >> 3, src >> 3, (src >> 3) + nn);
    out.push(
      {
        name: "gemm (baseline)", group, baseline: true, flops: 2 * n3,
        fn: () => k.gemm(0, 0, n, n, n, 1, b.gA, n, b.gB, n, 0, b.gC, n),
      },
      {
        name: "getrf", group, flops: (2 * n3) / 3,
        fn: () => {
          restore(b.work, b.aGen);
          return k.getrf(n, n, b.work, n, b.ipiv);
        },
      },
      {
        name: "potrf", group, flops: n3 / 3,
        fn: () => {
          restore(b.work, b.aSpd);
          return k.potrf(n, b.work, n);
        },
      },
      {
        name: "getrs (n rhs)", group, flops: 2 * n3,
        fn: () => {
          restore(b.rhs, b.bRhs);
          k.getrs(0, n, n, b.lu, n, b.ipiv, b.rhs, n);
        },
      },
      {
        name: "trsm (left, upper, n rhs)", group, flops: n3,
        fn: () => {
          restore(b.rhs, b.bRhs);
          k.trsm(0, 1, 0, 0, n, n, 1, b.lu, n, b.rhs, n);
        },
      },
    );
    if (SYEV_SIZES.includes(n)) {
      out.push({
        name: "syev (9n³ nominal)", group, flops: 9 * n3,
        fn: () => {
          restore(b.work, b.aSym);
          return k.syev(n, b.work, n, b.w, b.syevWork);
        },
      });
    }
  }
  return out;
}

export const spec: SuiteSpec = { name: "linalg", tasks, time: 500 };
