// Writes bench/RESULTS.md from the JSON the suites wrote (bench/results.<host>.json), with
// the machine named. One table per suite; one column group per host that has results.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";

const here = new URL("./", import.meta.url);
const hosts = ["node", "chromium"].filter((h) => existsSync(new URL(`results.${h}.json`, here)));
const data = Object.fromEntries(hosts.map((h) => [h, JSON.parse(readFileSync(new URL(`results.${h}.json`, here), "utf8"))]));
const meta = existsSync(new URL("results.meta.json", here)) ? JSON.parse(readFileSync(new URL("results.meta.json", here), "utf8")) : {};

// Reference figures given in the issues (PyTorch 1.13 CPU float64 1 thread, scipy 1.10),
// measured on this machine class; shown beside ours, never mixed into our ratios.
const reference = {
  "logistic 1000×10": { f: 0.013, grad: 0.048, hvp: 0.107, hessian: 0.38 },
  "logistic 1000×100": { f: 0.021, grad: 0.056, hvp: 0.119, hessian: 2.67 },
  "logistic 1000×1000": { f: 0.098, grad: 0.238, hvp: 0.68, hessian: 93 },
  "MLP 20-20-1 tanh, 256 samples, 441 params": { f: 0.05, grad: 0.13, hvp: 0.91, hessian: 37.7 },
  "jacobian tanh(Wx), W 100×100": { "jacobian fwd": 0.17, "jacobian rev": 0.17 },
  "jacobian tanh(Wx), W 1000×100": { "jacobian fwd": 0.71, "jacobian rev": 0.71 },
  "jacobian tanh(Wx), W 100×1000": { "jacobian fwd": 0.57, "jacobian rev": 0.57 },
};

const fmt = (ms) => (ms === undefined ? "" : ms >= 1 ? ms.toFixed(2) : ms >= 0.01 ? ms.toFixed(4) : ms.toExponential(2));
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const out = [
  "# Benchmark results",
  "",
  `Measured with tinybench (p50 latency; each task warmed up, then run ~0.3 s) by \`npm run bench\`${hosts.includes("chromium") ? " and `npm run bench:browser`" : ""}.`,
  `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}${meta.chromium ? `; ${meta.chromium}` : ""}.`,
  `Generated ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC. Ratios ("vs baseline") compare tasks of one group measured in the same run.`,
  "",
];
const suites = [...new Set(hosts.flatMap((h) => data[h].map((r) => r.suite)))];
for (const suite of suites) {
  out.push(`## ${suite}`, "");
  const head = ["group", "task"];
  for (const h of hosts) head.push(`${h} p50 ms`, `${h} GFLOP/s`, `${h} Melem/s`, `${h} vs baseline`);
  if (suite === "autodiff") head.push("PyTorch 1.13 ms (reference)");
  out.push(`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
  const keys = [];
  for (const h of hosts) for (const r of data[h]) if (r.suite === suite && !keys.some((k) => k.group === r.group && k.task === r.task)) keys.push(r);
  for (const k of keys) {
    const cells = [k.group, k.task];
    for (const h of hosts) {
      const r = data[h].find((x) => x.suite === suite && x.group === k.group && x.task === k.task);
      cells.push(fmt(r?.p50Ms), r?.gflops?.toFixed(2) ?? "", r?.melemPerS?.toFixed(0) ?? "", r?.speedup ? `${r.speedup.toFixed(2)}×` : "");
    }
    if (suite === "autodiff") cells.push(String(reference[k.group]?.[k.task] ?? ""));
    out.push(`| ${cells.join(" | ")} |`);
  }
  out.push("");
}
const notes = new URL("NOTES.md", here);
if (existsSync(notes)) out.push(readFileSync(notes, "utf8"));
writeFileSync(new URL("RESULTS.md", here), out.join("\n"));
console.log(`wrote bench/RESULTS.md (${hosts.join(", ")})`);
