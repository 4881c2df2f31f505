// Issue 19's loop-heavy programs (bench/problems/loops.ts): a 2-layer character LSTM over a
// 1024-character sequence, an RK4 Lotka–Volterra gradient over 10 000 steps, and a saddle
// point solved by nested gradient loops, each plain and jitted. PyTorch's figures for the
// same problems and data (bench/peers/loops_torch.py, committed as bench/peers/loops_torch.json)
// are printed beside ours with the ratio; they are never mixed into the harness's ratios.
// Rerun the peer in the same session as the suite: the machine's speed varies between runs.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import { grad, init, jit } from "../../src/index.js";
import { lstmProblem, odeProblem, saddleGrads, saddleProblem, saddleSolve } from "../problems/loops.js";
import peer from "../peers/loops_torch.json" with { type: "json" };

interface PeerRow { group: string; task: string; p50Ms: number; note?: string }
const torch = peer as { meta: Record<string, string | number>; rows: PeerRow[] };

/** torch's figure for the same cell (its note, e.g. the variant used, goes into the name). */
function torchPeer(group: string, task: string): TaskSpec["peer"] {
  const r = torch.rows.find((x) => x.group === group && x.task === task);
  return r ? { name: `torch${r.note ? ` (${r.note})` : ""}`, ms: r.p50Ms } : undefined;
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

/**
 * A jitted task, after a first call that records it (timed and printed). A recording that
 * throws is reported and its task left out: issue 19 wants jit to fall back instead.
 */
function jitTask(group: string, name: string, fn: () => unknown): TaskSpec[] {
  try {
    const [, ms] = timed(fn);
    console.log(`loops | ${group} | ${name}: first call (records) ${ms.toFixed(0)} ms`);
    return [task(group, name, name, fn, { note: `first call ${ms.toFixed(0)} ms` })];
  } catch (e) {
    console.log(`loops | ${group} | ${name}: first call threw ${(e as Error).name}: ${(e as Error).message} (task left out)`);
    return [];
  }
}

function task(group: string, name: string, torchTask: string | null, fn: () => unknown, extra: Partial<TaskSpec> = {}): TaskSpec {
  const peer = torchTask === null ? undefined : torchPeer(group, torchTask);
  return { ...extra, name, group, fn, ...(peer ? { peer } : {}) };
}

function lstmTasks(): TaskSpec[] {
  const p = lstmProblem(1024, 64, 64);
  const group = "LSTM 2×64, V=64, T=1024";
  const f = p.loss, g = grad(p.loss);
  const jf = jit(f), jg = jit(g);
  console.log(`loops | ${group}: loss ${f(p.params).item()} (torch ${torch.meta.lstmLoss})`);
  return [
    task(group, "f", "f", () => f(p.params), { baseline: true }),
    task(group, "grad", "grad", () => g(p.params)),
    ...jitTask(group, "jit f", () => jf(p.params)),
    ...jitTask(group, "jit grad", () => jg(p.params)),
  ];
}

function odeTasks(): TaskSpec[] {
  const p = odeProblem(10_000, 1e-3);
  const group = "RK4 Lotka–Volterra, 10 000 steps";
  const f = p.loss, g = grad(p.loss);
  const jf = jit(f), jg = jit(g);
  console.log(`loops | ${group}: loss ${f(p.params).item()} (torch ${torch.meta.odeLoss})`);
  return [
    task(group, "f", "f", () => f(p.params), { baseline: true }),
    task(group, "grad", "grad", () => g(p.params)),
    ...jitTask(group, "jit f", () => jf(p.params)),
    ...jitTask(group, "jit grad", () => jg(p.params)),
  ];
}

function saddleTasks(): TaskSpec[] {
  const p = saddleProblem(10);
  const group = "saddle n=10, nested gradient loops";
  const g = saddleGrads(p);
  const jg = { gy: jit(g.gy), gx: jit(g.gx) };
  const r = saddleSolve(p, g);
  const counts = `${r.outer} outer, ${r.inner} inner steps`;
  console.log(`loops | ${group}: ${counts} (torch ${torch.meta.saddleCounts})`);
  return [
    task(group, "solve", "solve", () => saddleSolve(p, g), { baseline: true, note: counts }),
    task(group, "solve, jit gradients", "solve, jit gradients", () => saddleSolve(p, jg)),
  ];
}

export const spec: SuiteSpec = {
  name: "loops",
  time: 1500,
  // Calls take up to seconds: 3 samples (or 1.5 s of them), not tinybench's 64.
  iterations: 3,
  setup: () => init(),
  tasks: () => {
    console.log(`loops: torch figures from ${torch.meta.date} (torch ${torch.meta.torch}, ${torch.meta.machine}, load ${torch.meta.load})`);
    for (const r of torch.rows.filter((x) => x.task.startsWith("nn.LSTM"))) console.log(`loops | ${r.group} | torch ${r.task}: p50 ${r.p50Ms.toFixed(1)} ms (${r.note})`);
    return [...saddleTasks(), ...odeTasks(), ...lstmTasks()];
  },
};
