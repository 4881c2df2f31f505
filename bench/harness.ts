// One harness for every suite and every host: each suite module under bench/suites/ exports
// `spec: SuiteSpec`; the runner (bench/run.bench.test.ts) runs them with tinybench and reports
// p50 latency, GFLOP/s where a task states its flop count, and the ratio of each task to the
// group's baseline measured in the same run.
import { Bench } from "tinybench";

/** The Node side's machine, as bench/global-setup.ts sees it (os module). */
export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  os: string;
}

/** What bench/global-setup.ts passes to the runner in both hosts (the browser has no process.env). */
export interface BenchContext {
  /** BENCH_FILTER: run only the suites whose file path contains it. */
  filter?: string;
  /** BENCH_TIME: ms per task for every suite (a quick check, not a measurement). */
  time?: number;
  /**
   * BENCH_THREADS: the thread count for suites that do not set their own (default 1, since
   * their peers run one thread); 2 compares against peers run with two.
   */
  threads?: number;
  machine: Machine;
  /** `git describe --always --dirty` of the checkout. */
  commit?: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    bench: BenchContext;
  }
}

/** Whether this is Node (vitest's node project) rather than a browser page. */
export function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
}

/** Overrides of every suite's timing (BENCH_TIME). */
export interface RunOptions {
  /** Time per task in ms, instead of the suite's own. */
  time?: number;
}

/** Minimum samples per task when BENCH_TIME shortens a run (tinybench's default is 64). */
const QUICK_MIN_SAMPLES = 5;

/**
 * The smallest step of performance.now() here: ~1e-4 ms or finer in Node, 5 µs in a
 * cross-origin-isolated Chromium page, 100 µs in a non-isolated one.
 */
export function timerResolutionMs(): number {
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let t1 = t0;
    while (t1 === t0) t1 = performance.now();
    best = Math.min(best, t1 - t0);
  }
  return best;
}

/**
 * Shortest time one sample may take: a task faster than this is timed as a batch of calls
 * per sample (`Row.reps`), and its figures are per call. Chromium's 5 µs clock would round
 * a 3 µs kernel to 0 or 5 µs per sample; 0.5 ms keeps the rounding under 1%. The same rule
 * applies in every host, so the hosts are measured the same way.
 */
export function minSampleMs(resolutionMs: number = timerResolutionMs()): number {
  return Math.max(0.5, 100 * resolutionMs);
}

/** How many calls of fn take at least `targetMs` (1 when one call already does). */
function callsPerSample(fn: () => unknown, targetMs: number): number {
  const time = (reps: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return performance.now() - t0;
  };
  // The first calls are cold (compilation, tier-up, lazy allocation, caches): a 50 µs task
  // can take over 10 ms on its first call, and deciding from that would time it one call
  // per sample, on Chromium's 5 µs clock. So the cold call decides only when it takes
  // seconds; otherwise a second call, then warmed-up ones, are timed.
  if (time(1) >= 2000) return 1;
  if (time(1) >= 20 * targetMs) return 1;
  time(3);
  // A call or batch preempted on a busy machine looks long: the better of two timings decides.
  if (Math.min(time(1), time(1)) >= targetMs) return 1;
  let reps = 1;
  for (;;) {
    let dt = time(reps);
    if (dt >= targetMs) {
      dt = Math.min(dt, time(reps));
      return Math.max(1, Math.ceil((reps * targetMs) / dt));
    }
    if (reps >= 1 << 24) return reps;
    // Jump close to the target once the batch is long enough to measure, else double.
    reps = dt > targetMs / 8 ? Math.ceil((reps * targetMs * 1.1) / dt) : reps * 2;
  }
}

export interface TaskSpec {
  /** Shown in the tables, e.g. "matcalc simd". */
  name: string;
  /** Tasks with the same group are compared with each other, e.g. "gemm n=128". */
  group: string;
  /** The group's reference task (ratios are baseline p50 / task p50). One per group. */
  baseline?: boolean;
  /** Floating-point operations of one call, for GFLOP/s. */
  flops?: number;
  /** Elements processed per call, for Melem/s. */
  elements?: number;
  /** Shown beside the figures, e.g. an optimizer's iteration counts or a skipped task. */
  note?: string;
  /**
   * A peer library's p50 for the same computation (timed by a peer script in the same
   * session): the row's note then carries it and this task's p50 over it.
   */
  peer?: { name: string; ms: number };
  fn: () => unknown;
  /**
   * Runs before the task is timed, outside its timing (e.g. switching matcalc's thread count
   * and waiting for the workers, which a page starts only once its thread yields).
   */
  before?: () => Promise<void> | void;
}

export interface SuiteSpec {
  name: string;
  /** Runs once before timing (allocations, warm caches, switching builds). */
  setup?: () => Promise<void> | void;
  tasks: () => TaskSpec[] | Promise<TaskSpec[]>;
  /** Time per task in ms (default 300). */
  time?: number;
  /** Lines printed after the suite's rows are measured (e.g. a peer's figures beside them). */
  report?: (rows: readonly Row[]) => string[];
  /**
   * Minimum timed samples per task (default tinybench's 64, which it takes even past `time`):
   * suites whose calls take seconds set a few. The warm-up is then one call.
   */
  iterations?: number;
  /**
   * matcalc's thread count while the suite runs (default 1, like the peers it is compared
   * with; the runner sets it before the suite's setup).
   */
  threads?: "auto" | number;
}

export interface Row {
  suite: string;
  group: string;
  task: string;
  p50Ms: number;
  meanMs: number;
  rme: number;
  /** Timed samples (each of `reps` calls). */
  samples: number;
  /** Calls per sample, when a call is shorter than the minimum sample time (figures are per call). */
  reps?: number;
  gflops?: number;
  melemPerS?: number;
  /** baseline p50 / this p50: >1 means faster than the baseline. */
  speedup?: number;
  /** TaskSpec.note. */
  note?: string;
}

export async function runSuite(spec: SuiteSpec, log: (line: string) => void = () => {}, opts: RunOptions = {}): Promise<Row[]> {
  await spec.setup?.();
  const tasks = await spec.tasks();
  const rows: Row[] = [];
  const quick = opts.time !== undefined;
  const target = minSampleMs();
  for (const [i, t] of tasks.entries()) {
    await t.before?.();
    const reps = callsPerSample(t.fn, target);
    const f = t.fn;
    const fn = reps === 1 ? f : () => {
      for (let j = 0; j < reps; j++) f();
    };
    // One Bench per task: each gets its own warm-up, and tasks of a group run back to back.
    const bench = new Bench({
      name: spec.name,
      time: opts.time ?? spec.time ?? 300,
      warmupTime: quick ? Math.min(100, opts.time!) : 100,
      warmupIterations: quick || spec.iterations !== undefined ? 1 : 5,
      ...(quick ? { iterations: Math.min(QUICK_MIN_SAMPLES, spec.iterations ?? QUICK_MIN_SAMPLES) } : spec.iterations !== undefined ? { iterations: spec.iterations } : {}),
    });
    bench.add(t.name, fn);
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== "completed") throw new Error(`${spec.name}/${t.name}: ${r.state}${"error" in r ? `: ${String(r.error)}` : ""}`);
    const p50 = (r.latency.p50 ?? r.latency.mean) / reps;
    const row: Row = {
      suite: spec.name, group: t.group, task: t.name, p50Ms: p50, meanMs: r.latency.mean / reps,
      rme: r.latency.rme, samples: r.latency.samplesCount,
    };
    if (reps > 1) row.reps = reps;
    if (t.flops) row.gflops = t.flops / (p50 * 1e6);
    if (t.elements) row.melemPerS = t.elements / (p50 * 1e3);
    const vsPeer = t.peer ? `${t.peer.name} ${fmt(t.peer.ms)} ms, ours/${t.peer.name} ${(p50 / t.peer.ms).toFixed(2)}×` : "";
    if (t.note || vsPeer) row.note = [t.note, vsPeer].filter(Boolean).join("; ");
    rows.push(row);
    log(`[${i + 1}/${tasks.length}] ${spec.name} | ${t.group} | ${t.name}: p50 ${fmt(p50)} ms${row.gflops ? `, ${row.gflops.toFixed(2)} GFLOP/s` : ""}${row.melemPerS ? `, ${row.melemPerS.toFixed(0)} Melem/s` : ""}${reps > 1 ? ` (${reps} calls/sample)` : ""}${vsPeer ? ` | ${vsPeer}` : ""}`);
  }
  for (const t of tasks.filter((x) => x.baseline)) {
    const base = rows.find((r) => r.group === t.group && r.task === t.name)!;
    for (const r of rows) if (r.group === t.group) r.speedup = base.p50Ms / r.p50Ms;
  }
  for (const line of spec.report?.(rows) ?? []) log(line);
  return rows;
}

export function fmt(ms: number): string {
  return ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2);
}

/** One Markdown table per suite. */
export function toMarkdown(rows: Row[]): string {
  const out: string[] = [];
  for (const suite of [...new Set(rows.map((r) => r.suite))]) {
    const these = rows.filter((x) => x.suite === suite);
    const notes = these.some((r) => r.note);
    out.push(`### ${suite}`, "", `| group | task | p50 ms | GFLOP/s | Melem/s | vs baseline | rme % |${notes ? " note |" : ""}`, `|---|---|---|---|---|---|---|${notes ? "---|" : ""}`);
    for (const r of these) {
      out.push(`| ${r.group} | ${r.task} | ${fmt(r.p50Ms)} | ${r.gflops?.toFixed(2) ?? ""} | ${r.melemPerS?.toFixed(0) ?? ""} | ${r.speedup ? `${r.speedup.toFixed(2)}×` : ""} | ${r.rme.toFixed(1)} |${notes ? ` ${r.note ?? ""} |` : ""}`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** Deterministic values in [-1, 1) (an LCG: the same inputs on every host and run). */
export function fillRandom(out: Float64Array, seed: number): Float64Array {
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
