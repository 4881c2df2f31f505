// GEMM and GEMV throughput: matcalc's two kernel binaries (SIMD and scalar), a plain-JS loop
// and ml-matrix, on square float64 problems; and products with a few columns (a data matrix
// times a weight matrix of a few outputs, its transpose times the residuals, A times a few
// vectors) against the same product as one gemv per column.
//
// - "matcalc simd" / "matcalc scalar": each binary is instantiated here (its own memory and
//   Arena), inputs are allocated once, and the timed call is the bare kernel
//   gemm(N, N, n, n, n, 1, A, n, B, n, 0, C, n): no copies, no allocation.
// - "plain JS ikj" (the baseline): ROW-major Float64Arrays, C zeroed and then the i-k-j loop
//   C[i,:] += A[i,k]·B[k,:] (the cache-friendly order for row-major; inner loop contiguous).
// - "ml-matrix": Matrix#mmul (allocates its result, as a user would call it).
//
// Every host: the binaries come from dist/wasm (run `npm run build` first) through
// bench/wasm-bytes.ts, read from disk in Node and fetched in the browser.
import { fillRandom, type SuiteSpec, type TaskSpec } from "../harness.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import { loadKernels, type BuildName } from "../wasm-bytes.js";
import { Matrix } from "ml-matrix";

const GEMM_SIZES = [32, 64, 128, 256, 512, 1024];
const GEMV_SIZES = [256, 1024];
/**
 * A JS baseline whose single call takes longer than this is left out of its group: tinybench
 * runs every task at least 64 + 5 times, so a 3 s call would take minutes on its own.
 */
const MAX_CALL_MS = 3000;

interface Build {
  name: string;
  k: Kernels;
  a: number;
  b: number;
  c: number;
  x: number;
  y: number;
}

async function loadBuild(build: BuildName, maxN: number): Promise<Build> {
  const name = `matcalc ${build}`;
  const { k, arena } = await loadKernels(build);
  const nn = maxN * maxN;
  const a = arena.put(fillRandom(new Float64Array(nn), 1));
  const b = arena.put(fillRandom(new Float64Array(nn), 2));
  const c = arena.alloc(nn);
  const x = arena.put(fillRandom(new Float64Array(maxN), 3));
  const y = arena.alloc(maxN);
  return { name, k, a, b, c, x, y };
}

/** Row-major C = A·B, i-k-j order. */
function jsGemm(n: number, A: Float64Array, B: Float64Array, C: Float64Array): void {
  C.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let p = 0; p < n; p++) {
      const aip = A[ci + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += aip * B[bp + j]!;
    }
  }
}

/** Row-major y = A·x (row dots). */
function jsGemv(n: number, A: Float64Array, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const ai = i * n;
    for (let j = 0; j < n; j++) s += A[ai + j]! * x[j]!;
    y[i] = s;
  }
}

function timeOnce(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Checks the benchmarked kernel against the JS loop once, so the suite never reports the
 * speed of a wrong answer. Read row-major, the column-major buffers hold Aᵀ and Bᵀ, so
 * jsGemm(B, A) computes Bᵀ·Aᵀ = (A·B)ᵀ row-major: the memory image of A·B column-major.
 */
function crossCheck(build: Build, n: number): void {
  const A = fillRandom(new Float64Array(n * n), 11), B = fillRandom(new Float64Array(n * n), 12);
  const mem = () => new Float64Array(build.k.memory.buffer);
  mem().set(A, build.a / 8);
  mem().set(B, build.b / 8);
  build.k.gemm(0, 0, n, n, n, 1, build.a, n, build.b, n, 0, build.c, n);
  const want = new Float64Array(n * n);
  jsGemm(n, B, A, want);
  const got = mem().subarray(build.c / 8, build.c / 8 + n * n);
  for (let i = 0; i < n * n; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-12 * n)) {
      throw new Error(`gemm bench: ${build.name} disagrees with the JS loop at n=${n}, entry ${i}`);
    }
  }
  // Restore the benchmark's inputs.
  mem().set(fillRandom(new Float64Array(n * n), 1), build.a / 8);
  mem().set(fillRandom(new Float64Array(n * n), 2), build.b / 8);
}

async function tasks(): Promise<TaskSpec[]> {
  const maxN = Math.max(...GEMM_SIZES, ...GEMV_SIZES);
  // loadKernels checks each binary is the build it is named after.
  const builds = [await loadBuild("simd", maxN), await loadBuild("scalar", maxN)];
  for (const build of builds) crossCheck(build, 67);

  const out: TaskSpec[] = [];
  for (const n of GEMM_SIZES) {
    const flops = 2 * n * n * n;
    const A = fillRandom(new Float64Array(n * n), 1), B = fillRandom(new Float64Array(n * n), 2);
    const C = new Float64Array(n * n);
    const mA = new Matrix(n, n), mB = new Matrix(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        mA.set(i, j, A[i * n + j]!);
        mB.set(i, j, B[i * n + j]!);
      }
    }
    const js = () => jsGemm(n, A, B, C);
    const ml = () => mA.mmul(mB);
    // One probe call each decides whether the JS baselines fit in the time budget.
    const skipped: string[] = [];
    const jsMs = n >= 1024 ? timeOnce(js) : 0, mlMs = n >= 1024 ? timeOnce(ml) : 0;
    if (jsMs > MAX_CALL_MS) skipped.push(`plain JS ${(jsMs / 1000).toFixed(1)} s/call`);
    if (mlMs > MAX_CALL_MS) skipped.push(`ml-matrix ${(mlMs / 1000).toFixed(1)} s/call`);
    // The group's name is the same in every host and run (the report lines hosts up by it);
    // what was skipped goes in the note of the group's first task.
    const group = `gemm n=${n}`;
    const note = skipped.length ? `skipped, one call each: ${skipped.join(", ")}` : undefined;
    const jsIn = jsMs <= MAX_CALL_MS;
    for (const [i, { name, k, a, b, c }] of builds.entries()) {
      out.push({
        name, group, flops, baseline: !jsIn && name === "matcalc scalar",
        ...(i === 0 && note ? { note } : {}),
        fn: () => k.gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n),
      });
    }
    if (jsIn) out.push({ name: "plain JS ikj", group, flops, baseline: true, fn: js });
    if (mlMs <= MAX_CALL_MS) out.push({ name: "ml-matrix", group, flops, fn: ml });
  }

  for (const n of GEMV_SIZES) {
    const flops = 2 * n * n;
    const group = `gemv n=${n}`;
    const A = fillRandom(new Float64Array(n * n), 1), x = fillRandom(new Float64Array(n), 3);
    const y = new Float64Array(n);
    const mA = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mA.set(i, j, A[i * n + j]!);
    const mx = Matrix.columnVector(Array.from(x));
    for (const { name, k, a, x: px, y: py } of builds) {
      out.push({ name: `${name} A·x`, group, flops, fn: () => k.gemv(0, n, n, 1, a, n, px, 1, 0, py, 1) });
      out.push({ name: `${name} Aᵀ·x`, group, flops, fn: () => k.gemv(1, n, n, 1, a, n, px, 1, 0, py, 1) });
    }
    out.push({ name: "plain JS row dots", group, flops, baseline: true, fn: () => jsGemv(n, A, x, y) });
    out.push({ name: "ml-matrix", group, flops, fn: () => mA.mmul(mx) });
  }
  out.push(...fewColumnTasks(builds));
  return out;
}

/** Products with a few columns (gemmFewColsN / gemmFewColsT in the SIMD build). */
const FEW_COLUMNS: { group: string; tA: 0 | 1; m: number; n: number; k: number }[] = [
  { group: "gemm few columns: X·W, X 10000×100, W 100×3", tA: 0, m: 10000, n: 3, k: 100 },
  { group: "gemm few columns: Xᵀ·G, X 10000×100, G 10000×3", tA: 1, m: 100, n: 3, k: 10000 },
  { group: "gemm few columns: A·V, A 1000×1000, V 1000×8", tA: 0, m: 1000, n: 8, k: 1000 },
];

/**
 * C = op(A)·B with n ≤ 16 columns: each build's gemm, the SIMD build's n gemv calls (one per
 * column of B: what a product of a few columns costs at the matrix-vector rate), and a plain-JS
 * column-major loop (the baseline). Operands live in the builds' shared buffers: each group's
 * are written and checked when its tasks are made, and by the time they run the buffers hold
 * the last group's (finite values; the kernels' time does not depend on them).
 */
function fewColumnTasks(builds: Build[]): TaskSpec[] {
  const out: TaskSpec[] = [];
  for (const { group, tA, m, n, k: kk } of FEW_COLUMNS) {
    const flops = 2 * m * n * kk;
    const lda = tA ? kk : m;
    const A = fillRandom(new Float64Array(m * kk), 1), B = fillRandom(new Float64Array(kk * n), 2);
    const C = new Float64Array(m * n);
    const js = () => {
      C.fill(0);
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < kk; p++) {
          const bpj = B[p + j * kk]!;
          if (tA) for (let i = 0; i < m; i++) C[i + j * m] += A[p + i * lda]! * bpj;
          else for (let i = 0; i < m; i++) C[i + j * m] += A[i + p * lda]! * bpj;
        }
      }
    };
    for (const { name, k, a, b, c } of builds) {
      const mem = () => new Float64Array(k.memory.buffer);
      mem().set(A, a / 8);
      mem().set(B, b / 8);
      k.gemm(tA, 0, m, n, kk, 1, a, lda, b, kk, 0, c, m);
      // Checked once against the JS loop: the suite never reports the speed of a wrong answer.
      js();
      const got = mem().subarray(c / 8, c / 8 + m * n);
      for (let i = 0; i < m * n; i++) {
        if (!(Math.abs(got[i]! - C[i]!) <= 1e-12 * kk)) throw new Error(`gemm bench: ${name} disagrees with the JS loop in "${group}", entry ${i}`);
      }
      out.push({ name, group, flops, fn: () => k.gemm(tA, 0, m, n, kk, 1, a, lda, b, kk, 0, c, m) });
      if (name === "matcalc simd") {
        out.push({
          name: `matcalc simd, ${n} gemv calls`, group, flops,
          fn: () => {
            for (let j = 0; j < n; j++) k.gemv(tA, tA ? kk : m, tA ? m : kk, 1, a, lda, b + 8 * j * kk, 1, 0, c + 8 * j * m, 1);
          },
        });
      }
    }
    out.push({ name: "plain JS", group, flops, baseline: true, fn: js });
  }
  return out;
}

export const spec: SuiteSpec = { name: "gemm", tasks };
