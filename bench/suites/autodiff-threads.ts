// Issue 21: bench/suites/autodiff.ts's problems (logistic 1000×{10, 100, 1000} f/grad/hvp/Hessian,
// the MLP 20-20-1 f/grad/hvp/Hessian, Jacobians of tanh(Wx); plain and jit) run by matcalc with
// one and with two threads in one run, beside PyTorch (eager autograd) and numpy's closed forms
// with one and two threads (bench/peers/autodiff_threads.py). The data are the LCG numbers of
// bench/harness.ts's fillRandom, which the torch script makes too, so both sides compute the same
// values (test/bench-problems/autodiff-threads.test.ts checks ours against its `checks`).
//
// matcalc's thread count is process-wide (setThreads restarts the pool), so the two counts are
// interleaved task by task: every cell is timed with 1 and then 2 threads (2 then 1 in even
// rounds), and the whole list is repeated ROUNDS times. Each task's `before` switches the count
// and, with two threads, waits for the worker (a page starts it only once its thread yields).
// The rows read `cell, 1T #r` / `cell, 2T #r`; the report after them gives per cell the best
// round of each count, their ratio and the median of the per-round ratios, the number of kernel
// calls the library split across the threads in one call of the cell, and the peers' figures.
// In Node the torch script runs first (BENCH_TORCH=0 skips it: the committed
// bench/peers/autodiff_threads.json is then used, as always in the browser). Node prints the
// load average (os.loadavg) at each round: two threads need two idle cores.
//
// Runs where threads are available: Node, and a cross-origin isolated page (the bench's page
// is: vitest.config.ts sends COOP/COEP); elsewhere the suite prints why and has no tasks.
import { fillRandom, isNode, type Row, type SuiteSpec, type TaskSpec } from "../harness.js";
import * as mc from "../../src/index.js";
import { tensor, type Tensor } from "../../src/index.js";
import { rt, setThreads } from "../../src/wasm/module.js";
import {
  jacobianTasks, logisticTasks, mlpTasks, type JacobianData, type LogisticData, type MlpData, type MlpParams,
} from "./autodiff.js";
import committed from "../peers/autodiff_threads.json" with { type: "json" };

/** Rounds over all cells (both thread counts in each). */
const ROUNDS = 3;
const THREADS = [1, 2] as const;

/** fillRandom(n, seed) times `scale`, entry by entry (as the torch script's numpy does). */
function lcg(n: number, seed: number, scale = 1): Float64Array {
  const a = fillRandom(new Float64Array(n), seed);
  if (scale !== 1) for (let i = 0; i < n; i++) a[i]! *= scale;
  return a;
}

/** The logistic data of bench/peers/autodiff_threads.py (row-major A, seeds 101–104). */
export function logisticData(m: number, n: number): LogisticData {
  return {
    A: tensor(lcg(m * n, 101), [m, n]),
    y: mc.sign(tensor(lcg(m, 102))),
    x: tensor(lcg(n, 103, 0.1)),
    v: tensor(lcg(n, 104)),
  };
}

/** The MLP data of bench/peers/autodiff_threads.py (seeds 105–114). */
export function mlpData(): MlpData {
  const params = (seed: number, s: [number, number, number, number]): MlpParams => ({
    W1: tensor(lcg(400, seed, s[0]), [20, 20]), b1: tensor(lcg(20, seed + 1, s[1])),
    W2: tensor(lcg(20, seed + 2, s[2]), [20, 1]), b2: tensor(lcg(1, seed + 3, s[3])),
  });
  return {
    X: tensor(lcg(256 * 20, 105), [256, 20]),
    Y: tensor(lcg(256, 106), [256, 1]),
    p: params(107, [0.3, 0.1, 0.3, 0.1]),
    v: params(111, [1, 1, 1, 1]),
  };
}

/** The Jacobian data of bench/peers/autodiff_threads.py (W scaled by 1/√n, seeds 115–116). */
export function jacobianData(m: number, n: number): JacobianData {
  return { W: tensor(lcg(m * n, 115, 1 / Math.sqrt(n)), [m, n]), x: tensor(lcg(n, 116)) };
}

/** Every cell of the suite, untimed: what the test checks against the torch script. */
export function cells(): TaskSpec[] {
  return [
    ...logisticTasks(1000, 10, logisticData(1000, 10)),
    ...logisticTasks(1000, 100, logisticData(1000, 100)),
    ...logisticTasks(1000, 1000, logisticData(1000, 1000)),
    ...mlpTasks(mlpData()),
    ...jacobianTasks(100, 100, jacobianData(100, 100)),
    ...jacobianTasks(1000, 100, jacobianData(1000, 100)),
    ...jacobianTasks(100, 1000, jacobianData(100, 1000)),
  ];
}

interface PeerRow { group: string; task: string; lib: "torch" | "numpy"; threads: number; ms: number }
interface PeerFile {
  meta: { peers: string; machine: string; date: string; openblas: { corename?: string; config?: string }; openblas_verbose: string };
  rows: PeerRow[];
}

/** Runs bench/peers/autodiff_threads.py now (Node, python3 with torch); null when it cannot. */
function runPeers(): PeerFile | null {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (m: string) => unknown } }).process;
  if (!proc?.getBuiltinModule || proc.env?.BENCH_TORCH === "0") return null;
  const cp = proc.getBuiltinModule("node:child_process") as { spawnSync: (cmd: string, args: string[], o: object) => { status: number | null; stderr: string } };
  const fs = proc.getBuiltinModule("node:fs") as { readFileSync(p: string, e: string): string; mkdtempSync(p: string): string };
  const os = proc.getBuiltinModule("node:os") as { tmpdir(): string };
  const out = `${fs.mkdtempSync(`${os.tmpdir()}/matcalc-adthreads-`)}/autodiff_threads.json`;
  const script = new URL("../peers/autodiff_threads.py", import.meta.url).pathname;
  console.log("autodiff-threads: running bench/peers/autodiff_threads.py (torch and numpy, 1 and 2 threads)");
  const r = cp.spawnSync("/usr/bin/python3", [script, out], { encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
  if (r.status !== 0) {
    console.log(`autodiff-threads: peers unavailable (${(r.stderr ?? "").trim().split("\n").pop()}); using the committed figures`);
    return null;
  }
  return JSON.parse(fs.readFileSync(out, "utf8")) as PeerFile;
}

let peers = committed as unknown as PeerFile;
let peersLabel = "committed";

/** The peer's figure for a cell ("jit grad" is compared with the peer's grad: same values). */
function peerMs(lib: PeerRow["lib"], group: string, task: string, threads: number): number | undefined {
  const base = task.replace(/^jit /, "");
  return peers.rows.find((r) => r.lib === lib && r.group === group && r.task === base && r.threads === threads)?.ms;
}

function loadAverage(): string {
  if (!isNode()) return "";
  const os = (globalThis as { process: { getBuiltinModule(id: string): unknown } }).process.getBuiltinModule("node:os") as { loadavg(): number[] };
  return os.loadavg().map((x) => x.toFixed(2)).join(" ");
}

/** Switches matcalc to `threads` and, with more than one, waits until the workers run. */
async function use(threads: number): Promise<void> {
  setThreads(threads);
  if (threads === 1) return;
  const pool = rt().pool;
  if (pool === null || pool.threads !== threads) throw new Error(`autodiff-threads: asked for ${threads} threads, the runtime runs ${pool?.threads ?? 1}`);
  await pool.start();
  if (!pool.started) throw new Error("autodiff-threads: the workers did not start");
}

/**
 * Calls `fn` for at least SETTLE_MS and SETTLE_CALLS calls. After a switch the runtime is new:
 * jit recordings are made again, the new memory is faulted in as it grows, and a new worker's
 * tape runner is still being optimized by V8; its first calls (30–65 ms, then 12–30 for the MLP
 * Hessian's next few, against ~7 steady: bench/NOTES.md, "Session 27") would otherwise be
 * part of the task's samples (the harness warms for 100 ms).
 */
function settle(fn: () => unknown): void {
  const t0 = performance.now();
  for (let k = 0; k < SETTLE_CALLS || performance.now() - t0 < SETTLE_MS; k++) fn();
}
const SETTLE_MS = 300;
const SETTLE_CALLS = 10;

const loads: string[] = [];
/** Pool jobs (kernel calls split across the threads) per call of each cell, with two threads. */
const splitCalls = new Map<string, number>();

async function tasks(): Promise<TaskSpec[]> {
  setThreads(2);
  const available = rt().pool !== null;
  setThreads(1);
  if (!available) {
    console.log("autodiff-threads: this host runs one thread (a page that is not cross-origin isolated, or no shared memory); no tasks");
    return [];
  }
  const live = runPeers();
  if (live) {
    peers = live;
    peersLabel = "this session";
  }
  console.log(`autodiff-threads: peers (${peersLabel}): ${peers.meta.peers}; OpenBLAS ${peers.meta.openblas.config ?? "?"} (${peers.meta.openblas_verbose}); ${peers.meta.machine}; ${peers.meta.date}`);
  const all = cells();
  // Warm (wasm tier-up, jit recordings, the resident cache) before the harness sizes its batches.
  for (const c of all) for (let i = 0; i < 2; i++) c.fn();
  // How many of a call's kernel calls the library hands to the pool (the rest run on the
  // caller alone whatever the thread count): a cell with none can only lose to the switch.
  await use(2);
  const pool = rt().pool!;
  for (const c of all) {
    c.fn();
    const j0 = pool.jobs;
    c.fn();
    splitCalls.set(`${c.group}|${c.name}`, pool.jobs - j0);
  }
  setThreads(1);
  const out: TaskSpec[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [i, c] of all.entries()) {
      for (const t of r % 2 === 1 ? THREADS : [...THREADS].reverse()) {
        const torch = peerMs("torch", c.group, c.name, t);
        const numpy = peerMs("numpy", c.group, c.name, t);
        out.push({
          name: `${c.name}, ${t}T #${r}`, group: c.group, fn: c.fn,
          ...(r === 1 && t === 1 && c.baseline ? { baseline: true } : {}),
          ...(torch !== undefined ? { peer: { name: `torch ${t}T`, ms: torch } } : {}),
          ...(numpy !== undefined ? { note: `numpy closed form ${t}T ${numpy.toPrecision(3)} ms` } : {}),
          before: async () => {
            if (i === 0 && t === (r % 2 === 1 ? 1 : 2)) loads.push(`round ${r}: load average ${loadAverage()}`);
            await use(t);
            settle(c.fn);
          },
        });
      }
    }
  }
  return out;
}

/** The side-by-side table: best round per thread count, ours and the peers'. */
function report(rows: readonly Row[]): string[] {
  if (rows.length === 0) return [];
  const fmt = (ms: number | undefined) => (ms === undefined ? "" : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(3));
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "" : `${(a / b).toFixed(2)}×`);
  const out = [
    "", `autodiff-threads: 1 vs 2 threads, best of ${ROUNDS} interleaved rounds (ms; "2T gain" = 1T / 2T, > 1: two threads are faster).`,
    `Peers (${peersLabel}, ${peers.meta.date}): ${peers.meta.peers}, OpenBLAS core ${peers.meta.openblas.corename ?? "?"}.`,
    ...(isNode() ? loads : []),
    "",
    "| group | cell | matcalc 1T | matcalc 2T | 2T gain (best) | 2T gain (median of rounds) | split calls | torch 1T | torch 2T | torch 2T gain | numpy 1T | numpy 2T |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  const key = (r: Row) => /^(.*), ([12])T #(\d+)$/.exec(r.task);
  const cellsSeen: [string, string][] = [];
  for (const r of rows) {
    const k = key(r);
    if (k && !cellsSeen.some(([g, c]) => g === r.group && c === k[1])) cellsSeen.push([r.group, k[1]!]);
  }
  for (const [group, cell] of cellsSeen) {
    const of = (t: number) => rows.filter((r) => r.group === group && key(r)?.[1] === cell && key(r)?.[2] === String(t));
    const one = of(1), two = of(2);
    const best = (rs: Row[]) => Math.min(...rs.map((r) => r.p50Ms));
    const perRound = one.map((a) => {
      const b = two.find((x) => key(x)?.[3] === key(a)?.[3]);
      return b ? a.p50Ms / b.p50Ms : NaN;
    }).filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    const t1 = peerMs("torch", group, cell, 1), t2 = peerMs("torch", group, cell, 2);
    out.push(`| ${group} | ${cell} | ${fmt(best(one))} | ${fmt(best(two))} | ${ratio(best(one), best(two))} | ${perRound.length ? `${perRound[perRound.length >> 1]!.toFixed(2)}×` : ""} | ${splitCalls.get(`${group}|${cell}`) ?? ""} | ${fmt(t1)} | ${fmt(t2)} | ${ratio(t1, t2)} | ${fmt(peerMs("numpy", group, cell, 1))} | ${fmt(peerMs("numpy", group, cell, 2))} |`);
  }
  return out;
}

export const spec: SuiteSpec = { name: "autodiff-threads", time: 300, iterations: 10, tasks, report };
