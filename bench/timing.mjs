// Timing helpers the A/B scripts share.
import { execFileSync } from "node:child_process";

/** Process CPU time in ms (user + system, all threads: GC helpers included; time preempted by other jobs is not). */
export function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * The fastest of `batches` batches of `reps` calls of fn, per call, by the clock `now` (ms):
 * preemption on a busy machine only ever adds time.
 */
export function bestOf(fn, reps, batches, now = cpuMs) {
  let t = Infinity;
  for (let k = 0; k < batches; k++) {
    const t0 = now();
    for (let i = 0; i < reps; i++) fn();
    t = Math.min(t, (now() - t0) / reps);
  }
  return t;
}

/**
 * Runs `script --child <dir>` for the before and after dist directories in turn, `rounds`
 * times (each build in a process of its own: two builds in one process share inline caches),
 * and returns each child's JSON output per side.
 */
export function alternate(script, before, after, rounds, usage) {
  if (!before || !after) {
    console.error(usage);
    process.exit(2);
  }
  const runs = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, dir] of [["before", before], ["after", after]]) {
      runs[name].push(JSON.parse(execFileSync(process.execPath, [script, "--child", dir], { encoding: "utf8" })));
    }
  }
  return runs;
}

/**
 * Prints `alternate`'s runs task by task: each side's range over the rounds and after/before
 * of the fastest figures (`unit` names the figures, e.g. "ms per call").
 */
export function printAB(runs, unit) {
  const names = Object.keys(runs.before[0]);
  const range = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  console.log(`${`${unit} (range over rounds)`.padEnd(33)} before          after           after/before (best)`);
  for (const k of names) {
    const bs = runs.before.map((r) => r[k]), as = runs.after.map((r) => r[k]);
    console.log(`${k.padEnd(30)} ${range(bs).padEnd(15)} ${range(as).padEnd(15)} ${(Math.min(...as) / Math.min(...bs)).toFixed(2)}`);
  }
}
