// Issue 19: un-jitted (eager) f, grad, HVP and Hessian of bench/suites/autodiff.ts's logistic
// objective, f(x) = Σ softplus(−y ∘ (A·x)), at 1000×10, 1000×100 and 1000×1000, beside
// PyTorch's eager autograd on the same problem (float64, one thread; bench/peers/autodiff_torch.py).
// In Node the suite runs the torch script first, so both sides are timed in the same session
// (BENCH_TORCH=0 skips it); otherwise, and in the browser, it prints the committed figures of
// bench/peers/autodiff_torch.json (their machine and date are in the row notes' source file).
// Each row's note carries torch's p50 and ours over it (< 1: faster than torch). Both sides
// time every cell three times, rounds interleaved over all cells; torch's figure is its best
// round, and ours to read is the best of `#1..#3`.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import * as mc from "../../src/index.js";
import { grad, hessian, hvp, randn, type Tensor } from "../../src/index.js";
import committed from "../peers/autodiff_torch.json";

interface PeerFile {
  meta: { peer: string; machine: string; date: string };
  rows: { group: string; task: string; p50Ms: number }[];
}

let peer: PeerFile = committed as PeerFile;
let peerLabel = "torch (committed)";

/** Runs bench/peers/autodiff_torch.py now (Node, python3 with torch); null when it cannot. */
function runTorch(): PeerFile | null {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (m: string) => unknown } }).process;
  if (!proc?.getBuiltinModule || proc.env?.BENCH_TORCH === "0") return null;
  const cp = proc.getBuiltinModule("node:child_process") as { spawnSync: (cmd: string, args: string[], o: object) => { status: number | null; stderr: string } };
  const fs = proc.getBuiltinModule("node:fs") as { readFileSync(p: string, e: string): string; mkdtempSync(p: string): string };
  const os = proc.getBuiltinModule("node:os") as { tmpdir(): string };
  const out = `${fs.mkdtempSync(`${os.tmpdir()}/matcalc-torch-`)}/autodiff_torch.json`;
  const script = new URL("../peers/autodiff_torch.py", import.meta.url).pathname;
  const r = cp.spawnSync("/usr/bin/python3", [script, out], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  if (r.status !== 0) {
    console.log(`eager-vs-torch: torch peer unavailable (${(r.stderr ?? "").trim().split("\n").pop()}); using the committed figures`);
    return null;
  }
  return JSON.parse(fs.readFileSync(out, "utf8")) as PeerFile;
}

/** Rounds over all cells, interleaved as the torch script's are (compare the best of each side). */
const ROUNDS = 3;

function logisticTasks(m: number, n: number): { group: string; cells: [string, () => unknown][] } {
  const A = randn([m, n], { seed: 1 });
  const y = mc.sign(randn([m], { seed: 2 }));
  const x = randn([n], { seed: 3 }).mul(0.1);
  const v = randn([n], { seed: 4 });
  const f = (x: Tensor) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
  const g = grad(f), hv = hvp(f), H = hessian(f);
  const cells: [string, () => unknown][] = [["f", () => f(x)], ["grad", () => g(x)], ["hvp", () => hv(x, v)], ["hessian", () => H(x)]];
  // Warm (wasm tier-up, the resident cache): the harness decides calls per sample from the
  // first calls, and a cold one made it time a 20 µs f one call a sample.
  for (const [, fn] of cells) for (let i = 0; i < 3; i++) fn();
  return { group: `logistic ${m}×${n}`, cells };
}

function allTasks(): TaskSpec[] {
  const groups = [logisticTasks(1000, 10), logisticTasks(1000, 100), logisticTasks(1000, 1000)];
  const out: TaskSpec[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const { group, cells } of groups) {
      for (const [name, fn] of cells) {
        const p = peer.rows.find((row) => row.group === group && row.task === name);
        out.push({
          name: `${name} #${r}`, group, fn,
          ...(r === 1 && name === "f" ? { baseline: true } : {}),
          ...(p ? { peer: { name: "torch", ms: p.p50Ms } } : {}),
        });
      }
    }
  }
  return out;
}

export const spec: SuiteSpec = {
  name: "eager-vs-torch",
  time: 400,
  setup() {
    const live = runTorch();
    if (live) {
      peer = live;
      peerLabel = "torch (this session)";
    }
    console.log(`eager-vs-torch: ${peerLabel}: ${peer.meta.peer}; ${peer.meta.machine}; ${peer.meta.date}`);
  },
  tasks: allTasks,
};
