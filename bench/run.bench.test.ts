// Runs every suite under bench/suites/ (optionally filtered by BENCH_FILTER) in this host.
// Node: `npm run bench`; results go to bench/results.node.json.
import { it } from "vitest";
import { runSuite, toMarkdown, type Row, type SuiteSpec } from "./harness.js";

const modules = import.meta.glob<{ spec: SuiteSpec }>("./suites/*.ts", { eager: true });
const filter = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env["BENCH_FILTER"];

it("runs the benchmark suites", async () => {
  const rows: Row[] = [];
  for (const [path, mod] of Object.entries(modules)) {
    if (filter && !path.includes(filter)) continue;
    rows.push(...(await runSuite(mod.spec, (l) => console.log(l))));
  }
  console.log(`\n${toMarkdown(rows)}`);
  if (typeof window === "undefined") {
    const { existsSync, readFileSync, writeFileSync } = await import("node:fs");
    const file = new URL("./results.node.json", import.meta.url);
    // A filtered run replaces only the suites it ran, so one suite can be re-measured alone.
    const ran = new Set(rows.map((r) => r.suite));
    const kept: Row[] = filter && existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as Row[]).filter((r) => !ran.has(r.suite))
      : [];
    writeFileSync(file, JSON.stringify([...kept, ...rows], null, 2));
  }
}, 3_600_000);
