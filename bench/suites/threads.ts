// One thread against two, in one run: gemm, getrf and potrf at n = 1024 through the library's
// runtime (src/wasm/module.ts): the one-thread task calls the plain instance, the two-thread
// task the pool's instance, whose gemm (and the factorizations' trailing products, through
// assembly/hook.ts) split across a worker. Each group's baseline is the one-thread task, and
// the two-thread task carries a paired figure: calls of the two alternate (order flipping
// every pair), and the note gives the ratio of the fastest calls and the median over pairs.
// On a shared machine, the load average (os.loadavg, Node) is printed with each group: two
// threads need two idle cores, and another process's time slice on either one stalls the
// call at its end (the caller waits for the worker's panels).
//
// Beside the figures: numpy (OpenBLAS) and PyTorch with 1 and 2 threads on the same
// operations, from bench/peers/threads.json (made by bench/peers/threads.py).
//
// Runs where threads are available: Node, and a cross-origin isolated page. The factorizations
// work in place, so each call first restores its input (n² doubles copied inside linear
// memory, the same in both).
import { fillRandom, isNode, type SuiteSpec, type TaskSpec } from "../harness.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { rt, setThreads, type Runtime } from "../../src/wasm/module.js";
import peers from "../peers/threads.json" with { type: "json" };
import { zeros } from "../../src/index.js";
import { minimize, type MinimizeMethod, type MinimizeResult } from "../../src/optim/index.js";
import { logistic } from "./optim.js";

const N = 1024;

interface Side {
  threads: number;
  k: Kernels;
  arena: Arena;
  a: number; b: number; c: number; gen: number; spd: number; work: number; ipiv: number;
}

/** Buffers in one runtime's arena. The runtime is kept aside, so no op ever releases them. */
function side(r: Runtime, threads: number): Side {
  const { kernels: k, arena } = r;
  const nn = N * N;
  const a = arena.put(fillRandom(new Float64Array(nn), 1));
  const b = arena.put(fillRandom(new Float64Array(nn), 2));
  const gen = arena.put(fillRandom(new Float64Array(nn), 3));
  const spd = arena.alloc(nn);
  k.gemm(0, 1, N, N, N, 1, a, N, a, N, 0, spd, N);
  const f = arena.f64();
  for (let i = 0; i < N; i++) f[(spd >> 3) + i * (N + 1)]! += N;
  return { threads, k, arena, a, b, c: arena.alloc(nn), gen, spd, work: arena.alloc(nn), ipiv: arena.allocBytes(4 * N) };
}

function loadNote(): string {
  if (!isNode()) return "";
  const os = (globalThis as { process: { getBuiltinModule(id: string): unknown } }).process.getBuiltinModule("node:os") as { loadavg(): number[] };
  return `load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`;
}

/** Process CPU time in ms (every thread of the process, workers included), Node only. */
function cpuMs(): number {
  if (!isNode()) return NaN;
  const u = (globalThis as { process: { cpuUsage(): { user: number; system: number } } }).process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Alternating pairs of calls: fastest-call ratio and median pair ratio t(a) / t(b); in Node
 * also the CPU time per call of b over a's (all threads): what splitting costs in work, which
 * the machine's load does not change much (other processes' time is not counted).
 */
function pairedRatio(a: () => unknown, b: () => unknown, budgetMs: number): string {
  const ratios: number[] = [];
  const cpu = [0, 0];
  let minA = Infinity, minB = Infinity;
  const start = performance.now();
  for (let i = 0; i < 2; i++) { a(); b(); }
  while (ratios.length < 9 || performance.now() - start < budgetMs) {
    const aFirst = ratios.length % 2 === 0;
    const c0 = cpuMs();
    const t0 = performance.now();
    (aFirst ? a : b)();
    const t1 = performance.now();
    const c1 = cpuMs();
    (aFirst ? b : a)();
    const t2 = performance.now();
    const c2 = cpuMs();
    const [ta, tb] = aFirst ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0];
    cpu[0]! += aFirst ? c1 - c0 : c2 - c1;
    cpu[1]! += aFirst ? c2 - c1 : c1 - c0;
    minA = Math.min(minA, ta);
    minB = Math.min(minB, tb);
    ratios.push(ta / tb);
  }
  ratios.sort((x, y) => x - y);
  const cpuText = isNode() ? `, CPU time 2T / 1T ${(cpu[1]! / cpu[0]!).toFixed(2)}×` : "";
  return `paired, ${ratios.length} pairs: fastest 1T / fastest 2T ${(minA / minB).toFixed(2)}×, median pair ${ratios[ratios.length >> 1]!.toFixed(2)}×${cpuText}${isNode() ? `; ${loadNote()}` : ""}`;
}

interface PeerRow { lib: string; op: string; n: number; threads: number; ms: number }

function peerNote(op: string): string {
  const rows = (peers as { results: PeerRow[] }).results.filter((r) => r.op === op && r.n === N);
  const fmt = (lib: string) => {
    const t1 = rows.find((r) => r.lib === lib && r.threads === 1), t2 = rows.find((r) => r.lib === lib && r.threads === 2);
    return t1 && t2 ? `${lib} ${t1.ms.toFixed(1)} → ${t2.ms.toFixed(1)} ms (${(t1.ms / t2.ms).toFixed(2)}×)` : "";
  };
  return ["numpy", "torch"].map(fmt).filter((s) => s).join("; ");
}

async function tasks(): Promise<TaskSpec[]> {
  setThreads(1);
  const one = side(rt(), 1);
  setThreads(2);
  const r2 = rt();
  if (r2.pool === null) {
    console.log("threads: this host runs one thread (not cross-origin isolated, or no shared memory); no tasks");
    return [];
  }
  // A page's workers start only once its thread yields: until they are ready, every panel
  // would run on the page's thread and "2 threads" would time one.
  await r2.pool.start();
  if (!r2.pool.started) throw new Error("threads bench: the workers did not start");
  // The solves run on r2 and release its arena after each op: their pairs run here, before
  // the kernel groups' buffers are placed there (their timed calls come last, when those
  // buffers are no longer read).
  const solveTasks = solves(r2);
  const two = side(r2, 2);
  const sides = [one, two];
  const out: TaskSpec[] = [];
  const nn = N * N, n3 = N ** 3;
  const pair = (op: string, flops: number, call: (s: Side) => () => unknown) => {
    const [f1, f2] = sides.map(call) as [() => unknown, () => unknown];
    const group = `${op} n=${N}, 1 vs 2 threads`;
    const peersText = peerNote(op);
    console.log(`threads: ${group}: peers (${(peers as { machine: string }).machine}, ${(peers as { date: string }).date}): ${peersText}`);
    out.push({ name: "matcalc 1 thread", group, baseline: true, flops, fn: f1 });
    out.push({ name: "matcalc 2 threads", group, flops, note: `${pairedRatio(f1, f2, 6000)}. Peers: ${peersText}`, fn: f2 });
  };
  // Never time a wrong answer: the two sides' products are the same bits.
  for (const s of sides) s.k.gemm(0, 0, N, N, N, 1, s.a, N, s.b, N, 0, s.c, N);
  const c1 = one.arena.view(one.c, nn), c2 = two.arena.view(two.c, nn);
  for (let i = 0; i < nn; i++) if (!Object.is(c1[i], c2[i])) throw new Error(`threads bench: 1 and 2 threads differ at ${i}`);
  pair("gemm", 2 * n3, ({ k, a, b, c }) => () => k.gemm(0, 0, N, N, N, 1, a, N, b, N, 0, c, N));
  pair("getrf", (2 * n3) / 3, ({ k, arena, gen, work, ipiv }) => () => {
    arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn);
    if (k.getrf(N, N, work, N, ipiv) !== 0) throw new Error("threads bench: getrf failed");
  });
  if (isNode()) {
    // The same two threads with the caller spinning while the worker finishes, as a page's
    // thread must (it may not block): on a loaded machine the spinning thread is the one the
    // scheduler then puts last, and it runs the factorization's sequential part.
    const spinning = (f: () => unknown) => () => {
      r2.pool!.simulatePageThread(true);
      try {
        return f();
      } finally {
        r2.pool!.simulatePageThread(false);
      }
    };
    const getrf = ({ k, arena, gen, work, ipiv }: Side) => () => {
      arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn);
      if (k.getrf(N, N, work, N, ipiv) !== 0) throw new Error("threads bench: getrf failed");
    };
    const f1 = getrf(one), f2 = spinning(getrf(two));
    const group = `getrf n=${N}, 1 thread vs 2 with the caller spinning (as a page's thread)`;
    out.push({ name: "matcalc 1 thread", group, baseline: true, flops: (2 * n3) / 3, fn: f1 });
    out.push({ name: "matcalc 2 threads, caller spinning", group, flops: (2 * n3) / 3, note: pairedRatio(f1, f2, 6000), fn: f2 });
  }
  pair("potrf", n3 / 3, ({ k, arena, spd, work }) => () => {
    arena.f64().copyWithin(work >> 3, spd >> 3, (spd >> 3) + nn);
    if (k.potrf(N, work, N) !== 0) throw new Error("threads bench: potrf failed");
  });
  out.push(...solveTasks);
  return out;
}

/**
 * Whole minimize() calls on the optim suite's logistic 10000×100 (its builder, its data): the
 * one-thread side is the same threaded runtime with every task on the caller (the workers are
 * not woken), so both sides run the same instance on the same memory; the note adds the part
 * of the one-thread solve spent in split calls (gemv over X and the fused row-block passes,
 * timed around each call) and the two-thread speedup that part allows (Amdahl, with the
 * split part twice as fast): what to compare a quiet machine's figure with.
 */
function solves(r2: Runtime): TaskSpec[] {
  const pool = r2.pool!;
  const f = logistic(10000, 100, 1e-3);
  const x0 = zeros([100]);
  const out: TaskSpec[] = [];
  for (const method of ["newton-cg", "trust-ncg"] as MinimizeMethod[]) {
    const f2 = () => minimize(f, x0, { method, gradTol: 1e-5 });
    const f1 = () => {
      pool.callerOnly = true;
      try {
        return f2();
      } finally {
        pool.callerOnly = false;
      }
    };
    // Never time a wrong answer: the same iterates, bit for bit.
    const a = f1(), b = f2();
    const same = (p: MinimizeResult, q: MinimizeResult) => p.iterations === q.iterations &&
      p.x.data.every((v, i) => Object.is(v, q.x.data[i]));
    if (!same(a, b)) throw new Error(`threads bench: logistic ${method} differs between 1 and 2 threads`);
    // Warm up as the optim suite does (V8 optimizes the library over the first solves).
    for (let i = 0; i < 30; i++) { f1(); f2(); }
    pool.splitMs = 0;
    pool.splitMsByOp = {};
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      f1();
      total += performance.now() - t0;
    }
    const p = pool.splitMs / total;
    const byOp = Object.entries(pool.splitMsByOp).map(([op, ms]) => `${op} ${((100 * ms) / total).toFixed(0)} %`).join(", ");
    const split = `split calls ${(100 * p).toFixed(0)} % of the one-thread solve (${byOp}; every task on the caller), ` +
      `Amdahl with that part 2× faster: ${(1 / (1 - p / 2)).toFixed(2)}×`;
    const group = `logistic 10000×100 ${method}, 1 vs 2 threads`;
    console.log(`threads: ${group}: ${a.iterations} it; ${split}`);
    out.push({ name: "matcalc 1 thread (every task on the caller)", group, baseline: true, fn: f1, note: `${a.iterations} it` });
    out.push({ name: "matcalc 2 threads", group, note: `${pairedRatio(f1, f2, 6000)}; ${split}`, fn: f2 });
  }
  return out;
}

export const spec: SuiteSpec = { name: "threads", tasks, time: 3000 };
