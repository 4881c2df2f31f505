// One harness for every suite and every host: each suite module under bench/suites/ exports
// `spec: SuiteSpec`; the runner (bench/run.bench.test.ts) runs them with tinybench and reports
// p50 latency, GFLOP/s where a task states its flop count, and the ratio of each task to the
// group's baseline measured in the same run.
import { Bench } from "tinybench";

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
  fn: () => unknown;
}

export interface SuiteSpec {
  name: string;
  /** Runs once before timing (allocations, warm caches, switching builds). */
  setup?: () => Promise<void> | void;
  tasks: () => TaskSpec[] | Promise<TaskSpec[]>;
  /** Time per task in ms (default 300). */
  time?: number;
}

export interface Row {
  suite: string;
  group: string;
  task: string;
  p50Ms: number;
  meanMs: number;
  rme: number;
  samples: number;
  gflops?: number;
  melemPerS?: number;
  /** baseline p50 / this p50: >1 means faster than the baseline. */
  speedup?: number;
}

export async function runSuite(spec: SuiteSpec, log: (line: string) => void = () => {}): Promise<Row[]> {
  await spec.setup?.();
  const tasks = await spec.tasks();
  const rows: Row[] = [];
  for (const t of tasks) {
    // One Bench per task: each gets its own warm-up, and tasks of a group run back to back.
    const bench = new Bench({ name: spec.name, time: spec.time ?? 300, warmupTime: 100, warmupIterations: 5 });
    bench.add(t.name, t.fn);
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== "completed") throw new Error(`${spec.name}/${t.name}: ${r.state}${"error" in r ? `: ${String(r.error)}` : ""}`);
    const p50 = r.latency.p50 ?? r.latency.mean;
    const row: Row = {
      suite: spec.name, group: t.group, task: t.name, p50Ms: p50, meanMs: r.latency.mean,
      rme: r.latency.rme, samples: r.latency.samplesCount,
    };
    if (t.flops) row.gflops = t.flops / (p50 * 1e6);
    if (t.elements) row.melemPerS = t.elements / (p50 * 1e3);
    rows.push(row);
    log(`${spec.name} | ${t.group} | ${t.name}: p50 ${fmt(p50)} ms${row.gflops ? `, ${row.gflops.toFixed(2)} GFLOP/s` : ""}`);
  }
  for (const t of tasks.filter((x) => x.baseline)) {
    const base = rows.find((r) => r.group === t.group && r.task === t.name)!;
    for (const r of rows) if (r.group === t.group) r.speedup = base.p50Ms / r.p50Ms;
  }
  return rows;
}

export function fmt(ms: number): string {
  return ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2);
}

/** One Markdown table per suite. */
export function toMarkdown(rows: Row[]): string {
  const out: string[] = [];
  for (const suite of [...new Set(rows.map((r) => r.suite))]) {
    out.push(`### ${suite}`, "", "| group | task | p50 ms | GFLOP/s | Melem/s | vs baseline | rme % |", "|---|---|---|---|---|---|---|");
    for (const r of rows.filter((x) => x.suite === suite)) {
      out.push(`| ${r.group} | ${r.task} | ${fmt(r.p50Ms)} | ${r.gflops?.toFixed(2) ?? ""} | ${r.melemPerS?.toFixed(0) ?? ""} | ${r.speedup ? `${r.speedup.toFixed(2)}×` : ""} | ${r.rme.toFixed(1)} |`);
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
