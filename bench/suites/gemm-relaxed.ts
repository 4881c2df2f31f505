// The relaxed-SIMD build (fused multiply-add) against the SIMD build, single thread, in one run:
// gemm at n = 256 and 512 and the two factorizations built on it (getrf, potrf) at n = 512.
// The simd task is each group's baseline, so the group's ratio is relaxed / simd measured back
// to back in the same host. On a shared machine whose load changes from second to second that
// ratio can drift, so each relaxed task also carries a paired figure: calls of the two builds
// alternate (the order flipping every pair), and the note gives the ratio of each build's
// fastest call and the median over pairs of t(simd) / t(relaxed).
//
// Runs where the host validates relaxed SIMD: Chromium (`npm run bench:browser`), and Node 20
// only with the flag, e.g.
//   BENCH=1 BENCH_FILTER=gemm-relaxed VITEST_NODE_FLAGS=--experimental-wasm-relaxed-simd \
//     npx vitest run --project node
// Elsewhere it has no tasks (and says so).
//
// Each binary is instantiated here with its own memory (bench/wasm-bytes.ts); the timed call is
// the bare kernel. The factorizations work in place, so each call first restores its input
// (n² doubles copied inside linear memory, the same cost in both builds).
import { fillRandom, isNode, type SuiteSpec, type TaskSpec } from "../harness.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { loadKernels, relaxedSimdSupported, type BuildName } from "../wasm-bytes.js";

const GEMM_SIZES = [256, 512];
const FACTOR_SIZE = 512;

interface Loaded {
  build: BuildName;
  k: Kernels;
  arena: Arena;
  a: number; b: number; c: number;
  gen: number; spd: number; work: number; ipiv: number;
}

async function load(build: BuildName, n: number): Promise<Loaded> {
  const { k, arena } = await loadKernels(build);
  const nn = n * n;
  const a = arena.put(fillRandom(new Float64Array(nn), 1));
  const b = arena.put(fillRandom(new Float64Array(nn), 2));
  const gen = arena.put(fillRandom(new Float64Array(nn), 3));
  const spd = arena.alloc(nn);
  // SPD: M·Mᵀ + n·I (computed by this build; both builds factor the same kind of matrix).
  k.gemm(0, 1, n, n, n, 1, a, n, a, n, 0, spd, n);
  const f = arena.f64();
  for (let i = 0; i < n; i++) f[(spd >> 3) + i * (n + 1)]! += n;
  return { build, k, arena, a, b, c: arena.alloc(nn), gen, spd, work: arena.alloc(nn), ipiv: arena.allocBytes(4 * n) };
}

/**
 * Never time a wrong answer: both builds' gemm at n agree within 2·γ_n·(|A|·|B|), bounded here
 * by 2·γ_n·n·max|a|·max|b| (inputs in [-1, 1)), and both factorizations succeed.
 */
function crossCheck(s: Loaded, r: Loaded, n: number): void {
  const nn = n * n, u = 2 ** -53, gamma = (n * u) / (1 - n * u);
  for (const x of [s, r]) x.k.gemm(0, 0, n, n, n, 1, x.a, n, x.b, n, 0, x.c, n);
  const cs = s.arena.view(s.c, nn), cr = r.arena.view(r.c, nn);
  let worst = 0;
  for (let i = 0; i < nn; i++) worst = Math.max(worst, Math.abs(cs[i]! - cr[i]!));
  if (!(worst <= 2 * gamma * n)) throw new Error(`gemm-relaxed bench: builds differ by ${worst} at n=${n}`);
}

/**
 * Alternating pairs of calls (~budget ms in all): the ratio of the two builds' fastest calls
 * (time slices lost to other processes only ever add time, so on a loaded machine the minimum
 * is the least disturbed figure), and the median over pairs of t(a) / t(b). Each build's
 * fastest call is also given in GFLOP/s: the p50 of a task timed on its own has come out well
 * below it for the SIMD build on some runs (bench/NOTES.md, session 24), and these say which
 * figure moved.
 */
function pairedRatio(a: () => unknown, b: () => unknown, budgetMs: number, flops: number): string {
  const ratios: number[] = [];
  let minA = Infinity, minB = Infinity;
  const start = performance.now();
  for (let i = 0; i < 5; i++) { a(); b(); }
  while (ratios.length < 15 || performance.now() - start < budgetMs) {
    const aFirst = ratios.length % 2 === 0;
    const t0 = performance.now();
    (aFirst ? a : b)();
    const t1 = performance.now();
    (aFirst ? b : a)();
    const t2 = performance.now();
    const [ta, tb] = aFirst ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0];
    minA = Math.min(minA, ta);
    minB = Math.min(minB, tb);
    if (tb > 0) ratios.push(ta / tb);
  }
  ratios.sort((x, y) => x - y);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  const cpu = isNode() ? `, CPU time ${cpuRatio(a, b, budgetMs).toFixed(2)}×` : "";
  const gf = (ms: number) => (flops / (ms * 1e6)).toFixed(1);
  return `paired, ${ratios.length} pairs: fastest simd / fastest relaxed ${(minA / minB).toFixed(2)}× ` +
    `(${gf(minA)} / ${gf(minB)} GFLOP/s), median pair ${median.toFixed(2)}×${cpu}`;
}

/**
 * Node only: t(a) / t(b) in process CPU time (user + system), over alternating blocks of calls
 * (~budget ms in all), per call. Time slices given to other processes are not counted, so on a loaded
 * machine this is the steadiest of the three figures (caches shared with other processes
 * still are).
 */
function cpuRatio(a: () => unknown, b: () => unknown, budgetMs: number): number {
  const usage = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const cpu = [0, 0], calls = [0, 0];
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (const [i, f] of [a, b].entries()) {
      const t0 = usage(), w0 = performance.now();
      do {
        f();
        calls[i]!++;
      } while (performance.now() - w0 < 50);
      cpu[i]! += usage() - t0;
    }
  }
  return (cpu[0]! / calls[0]!) / (cpu[1]! / calls[1]!);
}

async function tasks(): Promise<TaskSpec[]> {
  if (!relaxedSimdSupported()) {
    console.log("gemm-relaxed: this host does not validate relaxed SIMD (Node 20: VITEST_NODE_FLAGS=--experimental-wasm-relaxed-simd); no tasks");
    return [];
  }
  const maxN = Math.max(...GEMM_SIZES, FACTOR_SIZE);
  const builds = [await load("simd", maxN), await load("relaxed-simd", maxN)];
  const out: TaskSpec[] = [];
  /** The simd task (baseline) and the relaxed task of one group, with the paired ratio. */
  const pair = (group: string, flops: number, call: (x: Loaded) => () => unknown) => {
    const [fs, fr] = builds.map(call) as [() => unknown, () => unknown];
    out.push({ name: "matcalc simd", group, baseline: true, flops, fn: fs });
    out.push({ name: "matcalc relaxed-simd", group, flops, note: pairedRatio(fs, fr, 4000, flops), fn: fr });
  };
  for (const n of GEMM_SIZES) {
    crossCheck(builds[0]!, builds[1]!, n);
    pair(`gemm n=${n}, relaxed vs simd`, 2 * n ** 3, ({ k, a, b, c }) => () => k.gemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n));
  }
  const n = FACTOR_SIZE, nn = n * n, n3 = n ** 3;
  pair(`getrf n=${n}, relaxed vs simd`, (2 * n3) / 3, ({ k, arena, gen, work, ipiv }) => () => {
    arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn);
    if (k.getrf(n, n, work, n, ipiv) !== 0) throw new Error("gemm-relaxed bench: getrf failed");
  });
  pair(`potrf n=${n}, relaxed vs simd`, n3 / 3, ({ k, arena, spd, work }) => () => {
    arena.f64().copyWithin(work >> 3, spd >> 3, (spd >> 3) + nn);
    if (k.potrf(n, work, n) !== 0) throw new Error("gemm-relaxed bench: potrf failed");
  });
  return out;
}

export const spec: SuiteSpec = { name: "gemm-relaxed", tasks, time: 1000 };
