// Runs every suite under bench/suites/ (optionally filtered by BENCH_FILTER) in this host and
// writes bench/results.<host>.json as { meta, rows }:
//   Node:     `npm run bench`          → bench/results.node.json     (node:fs)
//   Chromium: `npm run bench:browser`  → bench/results.chromium.json (vitest's commands.writeFile)
//   Both, then bench/RESULTS.md: `npm run bench:all` (one host at a time, never concurrently).
// Progress lines go to the terminal as each task finishes (vitest.config.ts's onConsoleLog).
// BENCH_FILTER, BENCH_TIME and the Node side's machine come from bench/global-setup.ts.
import { inject, it } from "vitest";
import { init, kernelBuild, setThreads, type KernelBuild } from "../src/index.js";
import { isNode, runSuite, timerResolutionMs, toMarkdown, type Machine, type Row, type SuiteSpec } from "./harness.js";

const modules = import.meta.glob<{ spec: SuiteSpec }>("./suites/*.ts", { eager: true });

export interface Meta {
  host: "node" | "chromium";
  /** Node: node, v8. Chromium: chromium (full version), userAgent. */
  versions: Record<string, string>;
  /** The machine the Node side reported; in the browser also navigator.hardwareConcurrency. */
  machine: Machine & { hardwareConcurrency?: number };
  /** When this run started (ISO 8601). */
  date: string;
  /** The build matcalc's own runtime loaded (suites that instantiate both builds name them per task). */
  build: KernelBuild;
  /** The smallest step of performance.now() seen in this host (ms). */
  timerResolutionMs?: number;
  /** Chromium: whether the page was cross-origin isolated (5 µs timers instead of 100 µs). */
  crossOriginIsolated?: boolean;
  /** BENCH_TIME in ms, when set: a quick run, not a measurement. */
  time?: number;
  /** BENCH_THREADS, when set: the thread count of the suites that do not set their own. */
  threads?: number;
  commit?: string;
  /**
   * When each suite in the file was measured, and its BENCH_TIME if it was a quick run (a
   * filtered run keeps the other suites' rows from earlier runs).
   */
  suites: Record<string, { date: string; time?: number }>;
}

export interface Results {
  meta: Meta;
  rows: Row[];
}

/** The V8 wasm flags Node runs with (VITEST_NODE_FLAGS), e.g. --experimental-wasm-relaxed-simd. */
function wasmFlags(): Record<string, string> {
  const flags = process.execArgv.filter((f) => /^--(experimental-)?wasm/.test(f));
  return flags.length ? { flags: flags.join(" ") } : {};
}

async function browserVersions(): Promise<Record<string, string>> {
  const nav = navigator as Navigator & {
    userAgentData?: { getHighEntropyValues(hints: string[]): Promise<{ fullVersionList?: { brand: string; version: string }[] }> };
  };
  const full = await nav.userAgentData?.getHighEntropyValues(["fullVersionList"]).catch(() => undefined);
  const chromium = full?.fullVersionList?.find((b) => b.brand === "Chromium")?.version
    ?? /(?:Headless)?Chrome\/([\d.]+)/.exec(navigator.userAgent)?.[1] ?? "unknown";
  return { chromium, userAgent: navigator.userAgent };
}

/** The rows of a results file, old format (a bare array) or { meta, rows }. */
function previous(json: string | undefined): { rows: Row[]; suites: Meta["suites"] } {
  if (!json) return { rows: [], suites: {} };
  const data = JSON.parse(json) as Row[] | Results;
  if (Array.isArray(data)) return { rows: data, suites: {} };
  return { rows: data.rows, suites: data.meta.suites ?? {} };
}

it("runs the benchmark suites", async () => {
  const ctx = inject("bench");
  const node = isNode();
  const host = node ? "node" : "chromium";
  const file = `bench/results.${host}.json`;
  // Browsers must load the kernels asynchronously; Node does it the same way for symmetry.
  await init();
  const meta: Meta = {
    host,
    versions: node
      ? { node: process.version, v8: process.versions.v8, ...wasmFlags() }
      : await browserVersions(),
    machine: node ? ctx.machine : { ...ctx.machine, hardwareConcurrency: navigator.hardwareConcurrency },
    date: new Date().toISOString(),
    build: kernelBuild(),
    timerResolutionMs: timerResolutionMs(),
    suites: {},
  };
  if (!node) meta.crossOriginIsolated = globalThis.crossOriginIsolated;
  if (ctx.time !== undefined) meta.time = ctx.time;
  if (ctx.threads !== undefined) meta.threads = ctx.threads;
  if (ctx.commit) meta.commit = ctx.commit;
  console.log(
    `bench: ${host} ${Object.entries(meta.versions).filter(([k]) => k !== "userAgent").map(([k, v]) => `${k} ${v}`).join(", ")}` +
      ` on ${meta.machine.cpu} (${meta.machine.cores} cores${node ? "" : `, hardwareConcurrency ${meta.machine.hardwareConcurrency}`})` +
      `, matcalc ${meta.build}${ctx.filter ? `, BENCH_FILTER=${ctx.filter}` : ""}${ctx.time ? `, BENCH_TIME=${ctx.time} ms (quick run)` : ""}${ctx.threads ? `, BENCH_THREADS=${ctx.threads}` : ""}`,
  );

  const rows: Row[] = [];
  const selected = Object.entries(modules).filter(([path]) => !ctx.filter || path.includes(ctx.filter));
  if (selected.length === 0) throw new Error(`bench: BENCH_FILTER=${ctx.filter} matches no suite under bench/suites/`);
  const t0 = performance.now();
  for (const [i, [path, mod]] of selected.entries()) {
    const started = new Date().toISOString();
    console.log(`${host} suite ${i + 1}/${selected.length}: ${mod.spec.name} (${path.replace("./", "bench/")}), ${((performance.now() - t0) / 1000).toFixed(0)} s elapsed`);
    // One thread unless the suite or BENCH_THREADS says (peers run one thread unless told
    // otherwise; the threads suites set their own).
    setThreads(mod.spec.threads ?? ctx.threads ?? 1);
    const suiteRows = await runSuite(mod.spec, (l) => console.log(`${host} ${l}`), ctx.time !== undefined ? { time: ctx.time } : {});
    rows.push(...suiteRows);
    meta.suites[mod.spec.name] = ctx.time !== undefined ? { date: started, time: ctx.time } : { date: started };
  }
  console.log(`\n${toMarkdown(rows)}`);

  // A filtered run replaces only the suites it ran, so one suite can be re-measured alone.
  let before: string | undefined;
  if (node) {
    const { existsSync, readFileSync, writeFileSync } = await import("node:fs");
    const url = new URL(`./results.${host}.json`, import.meta.url);
    before = ctx.filter && existsSync(url) ? readFileSync(url, "utf8") : undefined;
    writeFileSync(url, JSON.stringify(merge(meta, rows, before, ctx.filter), null, 2));
  } else {
    // Browser mode: the command runs in the Node process; paths are relative to the project root.
    const { commands } = await import("vitest/browser");
    before = ctx.filter ? await commands.readFile(file).catch(() => undefined) : undefined;
    await commands.writeFile(file, JSON.stringify(merge(meta, rows, before, ctx.filter), null, 2));
  }
  console.log(`bench: wrote ${file} (${rows.length} rows${ctx.filter ? `; other suites kept from the previous file` : ""})`);
}, 3_600_000);

function merge(meta: Meta, rows: Row[], before: string | undefined, filter: string | undefined): Results {
  if (!filter) return { meta, rows };
  const ran = new Set(rows.map((r) => r.suite));
  const prev = previous(before);
  const kept = prev.rows.filter((r) => !ran.has(r.suite));
  const suites: Meta["suites"] = {};
  for (const r of kept) suites[r.suite] = prev.suites[r.suite] ?? { date: "unknown (an earlier run)" };
  return { meta: { ...meta, suites: { ...suites, ...meta.suites } }, rows: [...kept, ...rows] };
}
