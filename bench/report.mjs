// Writes bench/RESULTS.md from the files the suites wrote, bench/results.node.json
// (`npm run bench`) and bench/results.chromium.json (`npm run bench:browser`), each
// { meta, rows } (bench/run.bench.test.ts): one table per suite with the hosts side by side,
// a header naming the machine, the versions, the dates and commits, and bench/NOTES.md after.
//
//   node bench/report.mjs [out.md]     (default bench/RESULTS.md)
//
// Works with one host's file alone, and with the old format (a bare array of rows).
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const here = new URL("./", import.meta.url);
const outPath = process.argv[2] ?? new URL("RESULTS.md", here);

/** The optim suite's scipy cells (bench/peers/optim_scipy.json) as a reference column. */
function scipyReference() {
  const url = new URL("peers/optim_scipy.json", here);
  if (!existsSync(url)) return { label: "scipy ms", values: {} };
  const d = JSON.parse(readFileSync(url, "utf8"));
  const values = {};
  for (const c of d.cells) {
    const counts = c.nhev > 0 ? `${c.nit} it, ${c.nfev} f, ${c.njev} g, ${c.nhev} hvp`
      : c.nfev === c.njev ? `${c.nit} it, ${c.nfev} f/g` : `${c.nit} it, ${c.nfev} f, ${c.njev} g`;
    const ms = c.ms >= 100 ? c.ms.toFixed(0) : c.ms.toFixed(2);
    (values[c.group] ??= {})[c.method] = `${ms} (${counts})`;
  }
  return { label: `scipy ${d.scipy} ms (optim_scipy.json, ${String(d.date).slice(0, 16).replace("T", " ")} UTC; it, evaluations)`, values };
}

const HOSTS = [
  { id: "node", label: "Node", script: "npm run bench" },
  { id: "chromium", label: "Chromium", script: "npm run bench:browser" },
];
/** Chromium within this fraction of Node counts as "the same" (the issue's 25 %). */
const TOLERANCE = 0.25;
/** Suites that time the kernels (and plain-JS baselines) rather than the tracing layer. */
const KERNEL_SUITES = ["gemm", "elementwise", "kron", "linalg"];
const isKernelSuite = (suite) => KERNEL_SUITES.some((k) => suite.startsWith(k));

function load(id) {
  const url = new URL(`results.${id}.json`, here);
  if (!existsSync(url)) return undefined;
  const data = JSON.parse(readFileSync(url, "utf8"));
  return Array.isArray(data) ? { meta: { suites: {} }, rows: data, legacy: true } : { ...data, meta: { suites: {}, ...data.meta } };
}
const hosts = HOSTS.map((h) => ({ ...h, data: load(h.id) })).filter((h) => h.data);
if (hosts.length === 0) {
  console.error("bench/report.mjs: no bench/results.node.json or bench/results.chromium.json; run `npm run bench` or `npm run bench:browser` first");
  process.exit(1);
}
const both = hosts.length === 2;

// Reference figures from the issues, measured on this machine class outside this suite
// (PyTorch 1.13 CPU float64 1 thread; scipy 1.10). Shown beside ours, never in our ratios.
// Keyed suite → group → task, so they land on the task that does the same work.
const PYTORCH = "PyTorch 1.13 ms (reference)";
const REFERENCE = {
  autodiff: {
    label: PYTORCH,
    values: {
      "logistic 1000×10": { f: 0.013, grad: 0.048, hvp: 0.107, hessian: 0.38 },
      "logistic 1000×100": { f: 0.021, grad: 0.056, hvp: 0.119, hessian: 2.67 },
      "logistic 1000×1000": { f: 0.098, grad: 0.238, hvp: 0.68, hessian: 93 },
      "MLP 20-20-1 tanh, 256 samples, 441 params": { f: 0.05, grad: 0.13, hvp: 0.91, hessian: 37.7 },
      "jacobian tanh(Wx), W 100×100": { "jacobian fwd": 0.17, "jacobian rev": 0.17 },
      "jacobian tanh(Wx), W 1000×100": { "jacobian fwd": 0.71, "jacobian rev": 0.71 },
      "jacobian tanh(Wx), W 100×1000": { "jacobian fwd": 0.57, "jacobian rev": 0.57 },
    },
  },
  "logdet hessian": {
    label: PYTORCH,
    values: {
      "hessian logdet X, 20×20 (400×400)": { "hessian(logdet)": "3.9–22.6" },
      "hessian logdet X, 50×50 (2500×2500)": { "hessian(logdet)": "190–311" },
    },
  },
  // scipy's side of the optim suite: bench/peers/optim_scipy.json, the figures the suite itself
  // prints its ratios against (re-measured per host by bench/peers/optim_scipy.py).
  optim: scipyReference(),
};
/** What the note column holds, per suite (default "note"). */
const NOTE_LABEL = { optim: "matcalc status, it, evaluations" };

const fmt = (ms) => (ms === undefined ? "" : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2));
const utc = (iso) => (iso && !Number.isNaN(Date.parse(iso)) ? `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC` : iso ?? "unknown");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const key = (r) => `${r.suite}\u0000${r.group}\u0000${r.task}`;
const index = Object.fromEntries(hosts.map((h) => [h.id, new Map(h.data.rows.map((r) => [key(r), r]))]));
/** Chromium p50 / Node p50 of one task, when both hosts have it. */
const ratioOf = (k) => {
  const n = index.node?.get(k), c = index.chromium?.get(k);
  return n && c && n.p50Ms > 0 ? c.p50Ms / n.p50Ms : undefined;
};
const apart = (x) => x < 1 - TOLERANCE || x > 1 + TOLERANCE;

/** The suites of a host's file that come from quick runs (BENCH_TIME), with their times. */
const quickSuites = (meta) => Object.entries(meta.suites ?? {}).filter(([, s]) => s.time !== undefined);
const quick = hosts.filter((h) => h.data.meta.time !== undefined || quickSuites(h.data.meta).length > 0);
/** "BENCH_TIME=20 ms" for the whole file, or per suite when a filtered run mixed them. */
function quickText(meta) {
  const qs = quickSuites(meta);
  const all = Object.keys(meta.suites ?? {}).length;
  const times = [...new Set(qs.map(([, s]) => s.time))];
  if (qs.length === all && times.length === 1) return `BENCH_TIME=${times[0]} ms per task`;
  if (qs.length === 0) return `BENCH_TIME=${meta.time} ms per task`;
  return `BENCH_TIME for ${qs.map(([name, s]) => `${name} (${s.time} ms)`).join(", ")}`;
}

const out = ["# Benchmark results", ""];
out.push(
  `Written by \`node bench/report.mjs\` from ${hosts.map((h) => `bench/results.${h.id}.json (\`${h.script}\`)`).join(" and ")}` +
    `; \`npm run bench:all\` runs both hosts and this report in one go. tinybench, p50 latency per call; each task is warmed up, then timed ` +
    `for the suite's time (300–500 ms) in one host at a time; calls shorter than 0.5 ms are timed in batches (figures are per call).`,
  "",
);
if (both) {
  out.push(
    `**Chromium / Node** is Chromium's p50 over Node's for the same task (above 1: Chromium slower); **bold** when they are more than ` +
      `${TOLERANCE * 100} % apart. "vs baseline" compares the tasks of one group in one host and run (above 1: faster than the baseline).`,
    "",
  );
}
if (quick.length) {
  out.push(
    `> **Quick run:** ${quick.map((h) => `${h.label} ran with ${quickText(h.data.meta)}`).join("; ")}` +
      ` (at least 5 samples per task). Those figures check that the suites run; they are not a measurement.`,
    "",
  );
}

// Machine and versions.
const machines = hosts.map((h) => h.data.meta.machine).filter(Boolean);
const sameMachine = machines.every((m) => JSON.stringify({ ...m, hardwareConcurrency: undefined }) === JSON.stringify({ ...machines[0], hardwareConcurrency: undefined }));
const describe = (m) => `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, ${m.os}`;
if (machines.length === 0) out.push("Machine: not recorded (results in the old format).", "");
else if (sameMachine) out.push(`**Machine:** ${describe(machines[0])}.`, "");
else for (const h of hosts) if (h.data.meta.machine) out.push(`**Machine (${h.label}):** ${describe(h.data.meta.machine)}.`, "");

const versions = (h) => {
  const v = h.data.meta.versions ?? {};
  if (h.id === "node") return v.node ? `Node ${v.node}, V8 ${v.v8}` : "not recorded";
  const isolated = h.data.meta.crossOriginIsolated;
  return v.chromium ? `Chromium ${v.chromium} (headless, Playwright${isolated === undefined ? "" : isolated ? ", cross-origin isolated" : ", **not** cross-origin isolated"})` : "not recorded";
};
const resolution = (ms) => (ms === undefined ? "" : ms >= 1e-3 ? `${+(ms * 1e3).toFixed(1)} µs` : `${Math.round(ms * 1e6)} ns`);
const cell = (h, f) => String(f(h.data.meta, h) ?? "");
const metaRows = [
  ["version", (_m, h) => versions(h)],
  ["run started", (m) => utc(m.date)],
  ["commit", (m) => (m.commit ? `\`${m.commit}\`` : "not recorded")],
  ["matcalc runtime build", (m) => m.build ?? ""],
  ["time per task", (m) => (quickSuites(m).length || m.time !== undefined ? `${quickText(m)} (**quick run**)` : m.legacy ? "" : "each suite's own")],
  ["timer step", (m) => resolution(m.timerResolutionMs)],
  ["threads", (m, h) => (h.id === "chromium" ? `navigator.hardwareConcurrency ${m.machine?.hardwareConcurrency ?? "?"}` : m.machine ? `${m.machine.cores} (os.cpus)` : "")],
  ["rows", (_m, h) => String(h.data.rows.length)],
];
out.push(`| | ${hosts.map((h) => h.label).join(" | ")} |`, `|---|${hosts.map(() => "---").join("|")}|`);
for (const [label, f] of metaRows) out.push(`| ${label} | ${hosts.map((h) => cell(h, f)).join(" | ")} |`);
out.push("");
const commits = new Set(hosts.map((h) => h.data.meta.commit).filter(Boolean));
if (commits.size > 1) out.push(`> **The hosts ran different commits** (${[...commits].join(", ")}): the columns do not come from one run.`, "");
if (hosts.some((h) => h.data.legacy)) out.push(`> ${hosts.filter((h) => h.data.legacy).map((h) => h.label).join(", ")}: results in the old format (no machine, versions or dates recorded).`, "");

const suites = [...new Set(hosts.flatMap((h) => h.data.rows.map((r) => r.suite)))];

// Chromium against Node, per suite; in the kernel suites the wasm kernels apart from the
// JavaScript peers (plain-JS loops, ml-matrix), which the two hosts' JITs compile differently.
const isJsPeer = (k) => /^(plain JS|ml-matrix)/.test(k.split("\u0000")[2]);
if (both) {
  out.push("## Chromium against Node", "");
  out.push(
    `Per suite, over the tasks both hosts ran: the median and range of Chromium p50 / Node p50, and the tasks more than ${TOLERANCE * 100} % apart. ` +
      `In the kernel suites (${KERNEL_SUITES.join(", ")}) matcalc's wasm kernels are counted apart from the JavaScript peers (plain-JS loops, ml-matrix); ` +
      "the other suites time whole autodiff, Hessian and optimizer calls (wasm kernels plus matcalc's JavaScript tracing layer).",
    "",
    `| suite | tasks | count | median Chromium / Node | range | more than ${TOLERANCE * 100} % apart |`,
    "|---|---|---|---|---|---|",
  );
  for (const suite of suites) {
    const all = [...index.node.values()].filter((r) => r.suite === suite).map(key).filter((k) => index.chromium.has(k));
    const parts = isKernelSuite(suite)
      ? [["matcalc wasm kernels", all.filter((k) => !isJsPeer(k))], ["JS peers", all.filter(isJsPeer)]]
      : [["whole calls", all]];
    for (const [what, ks] of parts) {
      if (ks.length === 0) {
        if (all.length === 0) out.push(`| ${suite} | ${what} | 0 | | | (not in both hosts) |`);
        continue;
      }
      const rs = ks.map((k) => ({ k, x: ratioOf(k) }));
      const xs = rs.map((r) => r.x);
      const off = rs.filter((r) => apart(r.x));
      const list = off.map(({ k, x }) => {
        const [, group, task] = k.split("\u0000");
        return `${group} / ${task} ${x.toFixed(2)}`;
      });
      const shown = list.length > 8 ? [...list.slice(0, 8), `… ${list.length - 8} more`] : list;
      out.push(
        `| ${suite} | ${what} | ${ks.length} | ${median(xs).toFixed(2)} | ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} | ` +
          `${off.length === 0 ? "none" : `${off.length}: ${shown.join("; ")}`} |`,
      );
    }
  }
  out.push("");
}

for (const suite of suites) {
  out.push(`## ${suite}`, "");
  const when = hosts
    .map((h) => {
      const s = h.data.meta.suites?.[suite];
      if (!s && h.data.rows.every((r) => r.suite !== suite)) return `${h.label}: not run`;
      if (!s) return undefined;
      const t = s.time;
      return `${h.label} ${utc(s.date)}${t !== undefined ? ` (quick run, BENCH_TIME=${t} ms)` : ""}`;
    })
    .filter(Boolean);
  if (when.length) out.push(`Measured: ${when.join("; ")}.`, "");

  // The first host's order; a task only the other host ran goes after the last task of its group.
  const keys = [];
  for (const h of hosts) {
    for (const r of h.data.rows) {
      const k = key(r);
      if (r.suite !== suite || keys.includes(k)) continue;
      const last = keys.findLastIndex((x) => x.split("\u0000")[1] === r.group);
      if (last < 0) keys.push(k);
      else keys.splice(last + 1, 0, k);
    }
  }
  const rowsOf = (k) => hosts.map((h) => index[h.id].get(k));
  const any = (f) => keys.some((k) => rowsOf(k).some((r) => r && f(r)));
  const cols = [];
  for (const h of hosts) cols.push({ head: `${h.label} p50 ms`, val: (rs) => fmt(rs[hosts.indexOf(h)]?.p50Ms) });
  if (both) cols.push({ head: "Chromium / Node", val: (_rs, k) => { const x = ratioOf(k); return x === undefined ? "" : apart(x) ? `**${x.toFixed(2)}**` : x.toFixed(2); } });
  if (any((r) => r.gflops)) for (const h of hosts) cols.push({ head: `${h.label} GFLOP/s`, val: (rs) => rs[hosts.indexOf(h)]?.gflops?.toFixed(2) ?? "" });
  if (any((r) => r.melemPerS)) for (const h of hosts) cols.push({ head: `${h.label} Melem/s`, val: (rs) => rs[hosts.indexOf(h)]?.melemPerS?.toFixed(0) ?? "" });
  if (any((r) => r.speedup)) for (const h of hosts) cols.push({ head: `${h.label} vs baseline`, val: (rs) => (rs[hosts.indexOf(h)]?.speedup ? `${rs[hosts.indexOf(h)].speedup.toFixed(2)}×` : "") });
  const ref = REFERENCE[suite];
  // A jit-compiled variant ("jit grad") does the same work as the task it wraps ("grad").
  if (ref) cols.push({ head: ref.label, val: (rs, k) => { const [, group, task] = k.split("\u0000"); return String(ref.values[group]?.[task] ?? ref.values[group]?.[task.replace(/^jit /, "")] ?? ""); } });
  if (any((r) => r.note)) {
    cols.push({
      head: NOTE_LABEL[suite] ?? "note",
      val: (rs) => {
        // One note when every host that ran the task has the same one, else each host's.
        const ran = hosts.map((h, i) => [h.label, rs[i]]).filter(([, r]) => r);
        const notes = ran.filter(([, r]) => r.note);
        if (notes.length === 0) return "";
        const same = notes.length === ran.length && new Set(notes.map(([, r]) => r.note)).size === 1;
        return same ? notes[0][1].note : notes.map(([l, r]) => `${l}: ${r.note}`).join("; ");
      },
    });
  }
  const head = ["group", "task", ...cols.map((c) => c.head)];
  out.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
  for (const k of keys) {
    const [, group, task] = k.split("\u0000");
    const rs = rowsOf(k);
    out.push(`| ${group} | ${task} | ${cols.map((c) => c.val(rs, k)).join(" | ")} |`);
  }
  out.push("");
}

const notes = new URL("NOTES.md", here);
if (existsSync(notes)) out.push(readFileSync(notes, "utf8"));
writeFileSync(outPath, out.join("\n"));
console.log(`wrote ${outPath instanceof URL ? "bench/RESULTS.md" : outPath} (${hosts.map((h) => `${h.label}${quick.includes(h) ? ", quick run" : ""}`).join("; ")})`);
