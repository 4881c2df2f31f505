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
