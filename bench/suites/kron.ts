// Kronecker-structured products, transpose and sum, on the SIMD build.
//
// kronMatVec: y = (A ⊗ B)·x with A, B p×p. matcalc never forms A ⊗ B: it uses
// (A ⊗ B)·vec(X) = vec(B·X·Aᵀ), two p×p gemm calls (4p³ flops), where X = unvec(x) is x
// itself read as a p×p column-major matrix. The baseline forms the p²×p² product with the
// kron kernel and multiplies with gemv (p⁴ multiplies + 2p⁴ flops, and p⁴·8 bytes of memory:
// 128 MiB at p = 64).
//
// The binary is dist/wasm/kernels.simd.wasm (run `npm run build` first), loaded through
// bench/wasm-bytes.ts: read from disk in Node, fetched from the Vite server in the browser.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { loadKernels } from "../wasm-bytes.js";

const KRON_SIZES = [16, 32, 64];
const TRANSPOSE_SIZES = [256, 1024];
const SUM_N = 1_000_000;

let k: Kernels | null = null;
let arena: Arena | null = null;
const tasks: TaskSpec[] = [];

/** Seeded values in [-1, 1) (mulberry32), so runs are comparable. */
function fillRandom(out: Float64Array, seed: number): Float64Array {
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function randomPtr(a: Arena, n: number, seed: number): number {
  return a.put(fillRandom(new Float64Array(n), seed));
}

function kronTasks(k: Kernels, a: Arena, p: number): TaskSpec[] {
  const n = p * p;
  const A = randomPtr(a, n, 1 + p), B = randomPtr(a, n, 2 + p), x = randomPtr(a, n, 3 + p);
  const T = a.alloc(n), y = a.alloc(n), yBase = a.alloc(n), K = a.alloc(n * n, "kron");

  // y = vec(B·X·Aᵀ): T = B·X, then y = T·Aᵀ (as a p×p matrix at y).
  const kronMatVec = () => {
    k.gemm(0, 0, p, p, p, 1, B, p, x, p, 0, T, p);
    k.gemm(0, 1, p, p, p, 1, T, p, A, p, 0, y, p);
  };
  const formAndMultiply = () => {
    k.kron(p, p, A, p, p, B, K);
    k.gemv(0, n, n, 1, K, n, x, 1, 0, yBase, 1);
  };

  kronMatVec();
  formAndMultiply();
  const got = a.view(y, n), want = a.view(yBase, n);
  let err = 0, scale = 0;
  for (let i = 0; i < n; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  if (!(err <= 1e-12 * scale)) {
    throw new Error(`kron bench p=${p}: vec(B·X·Aᵀ) and (A ⊗ B)·x differ by ${err} (scale ${scale})`);
  }

  const group = `kronMatVec p=${p} (${n}×${n} operator)`;
  return [
    { name: "form kron + gemv", group, baseline: true, flops: 3 * n * n, fn: formAndMultiply },
    { name: "matcalc kronMatVec (2 gemm)", group, flops: 4 * p * n, fn: kronMatVec },
  ];
}

function transposeTasks(k: Kernels, a: Arena, n: number): TaskSpec[] {
  const src = fillRandom(new Float64Array(n * n), n), dst = new Float64Array(n * n);
  const pa = a.put(src), po = a.alloc(n * n);
  const jsLoop = () => {
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) dst[j + i * n] = src[i + j * n]!;
    return dst;
  };
  const group = `transpose n=${n}`;
  return [
    { name: "plain JS loop", group, baseline: true, elements: n * n, fn: jsLoop },
    { name: "matcalc transpose", group, elements: n * n, fn: () => k.transpose(n, n, pa, po) },
  ];
}

function sumTasks(k: Kernels, a: Arena, n: number): TaskSpec[] {
  const data = fillRandom(new Float64Array(n), 99);
  const px = a.put(data);
  const jsLoop = () => {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i]!;
    return s;
  };
  const group = `sum n=${n}`;
  return [
    { name: "plain JS loop", group, baseline: true, elements: n, fn: jsLoop },
    { name: "matcalc sum (pairwise)", group, elements: n, fn: () => k.sum(n, px) },
    { name: "matcalc max", group, elements: n, fn: () => k.max(n, px) },
    { name: "matcalc nrm2", group, elements: n, fn: () => k.nrm2(n, px) },
  ];
}

export const spec: SuiteSpec = {
  name: "kron, transpose, sum (simd)",
  async setup() {
    if (k) return;
    ({ k, arena } = await loadKernels("simd"));
    for (const p of KRON_SIZES) tasks.push(...kronTasks(k, arena, p));
    for (const n of TRANSPOSE_SIZES) tasks.push(...transposeTasks(k, arena, n));
    tasks.push(...sumTasks(k, arena, SUM_N));
  },
  tasks: () => tasks,
};
