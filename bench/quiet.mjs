// Whether other processes of this (Linux) machine ran meanwhile: busy jiffies of /proc/stat
// (all CPUs) minus this process's own (/proc/self/stat, its threads included) since the last
// call. An A/B script keeps a timing only when this stays at 0 or 1 (of 10 ms), so a build or
// test on the other core does not land in one side's figures; it cannot see load from outside
// the machine (another guest on the same host). Elsewhere (no /proc) it always says 0.
import { readFileSync } from "node:fs";

function total() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7]; // user nice system irq softirq steal
}

function mine() {
  const s = readFileSync("/proc/self/stat", "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime stime
}

const available = (() => {
  try {
    total();
    mine();
    return true;
  } catch {
    return false;
  }
})();
let t0 = available ? total() : 0, m0 = available ? mine() : 0;

/** Busy jiffies of other processes since the previous call. */
export function others() {
  if (!available) return 0;
  const t = total(), m = mine();
  const o = t - t0 - (m - m0);
  t0 = t;
  m0 = m;
  return o;
}
