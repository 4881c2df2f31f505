// The layering (tensor ← core ← ops ← transforms ← jit ← optim) is kept by this check: any
// import cycle among src/ files fails `npm test` and prints one concrete cycle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { findCycles, formatCycles, importGraph, importsOf, layerViolations } from "../../scripts/check-cycles.mjs";

type Cycle = { files: string[]; cycle: string[] };
const find = findCycles as (g: Map<string, string[]>) => Cycle[];
const graphOf = importGraph as (dir: string) => Map<string, string[]>;
const format = formatCycles as (c: Cycle[], root: string) => string;
const specs = importsOf as (text: string) => string[];
type Layers = [string, string[]][];
const upward = layerViolations as (g: Map<string, string[]>, root: string, layers?: Layers) => string[];

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cycles-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  made.push(dir);
  return dir;
}
const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

describe("import cycles", () => {
  it("src/ has none", () => {
    const graph = graphOf("src");
    // The graph is read (a parser that saw no imports would find no cycles either).
    const deps = (f: string) => (graph.get(join(process.cwd(), f)) ?? []).map((d) => d.slice(process.cwd().length + 1));
    expect(deps("src/jit/jit.ts")).toContain("src/jit/program.ts");
    expect(deps("src/ops/index.ts").sort()).toEqual(["src/ops/api.ts", "src/core/tensor.ts"].sort());
    const cycles = find(graph);
    // The message is the cycle itself, so a failure says which import to remove.
    expect(format(cycles, process.cwd())).toBe("");
  });

  it("src/ imports only its own layer or lower ones (tensor ← core ← ops ← transforms ← jit ← optim)", () => {
    expect(upward(graphOf("src"), process.cwd()).join("\n")).toBe("");
  });

  it("reports an import from a lower layer to a higher one, and not the other way", () => {
    const dir = tree({
      "src/low/a.ts": 'import { b } from "../high/b.js";\nexport const a = b;\n',
      "src/high/b.ts": "export const b = 1;\n",
      "src/high/c.ts": 'import { a } from "../low/a.js";\nexport const c = a;\n',
    });
    const layers: Layers = [["low", ["src/low/"]], ["high", ["src/high/"]]];
    expect(upward(graphOf(join(dir, "src")), dir, layers)).toEqual(["src/low/a.ts → src/high/b.ts (low imports high)"]);
  });

  it("finds a synthetic three-file cycle closed by a type-only import, and names it", () => {
    const dir = tree({
      "a/x.ts": 'import { y } from "../b/y.js";\nexport const x = y;\n',
      "b/y.ts": 'export { z as y } from "./z.js";\n',
      "b/z.ts": 'import type { X } from "../a/x.js";\nexport const z = 1;\nexport type Z = X;\n',
      "c/free.ts": 'import { x } from "../a/x.js";\nexport const w = x;\n',
    });
    const cycles = find(graphOf(dir));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.files.map((f) => f.slice(dir.length + 1))).toEqual(["a/x.ts", "b/y.ts", "b/z.ts"]);
    expect(format(cycles, dir)).toContain("a/x.ts → b/y.ts → b/z.ts → a/x.ts");
  });

  it("finds a file that imports itself and ignores an acyclic diamond", () => {
    const self = tree({ "s.ts": 'import "./s.js";\n' });
    expect(find(graphOf(self))).toHaveLength(1);
    const diamond = tree({
      "top.ts": 'import { l } from "./l.js";\nimport { r } from "./r.js";\nexport const t = l + r;\n',
      "l.ts": 'import { b } from "./b.js";\nexport const l = b;\n',
      "r.ts": 'import { b } from "./b.js";\nexport const r = b;\n',
      "b.ts": "export const b = 1;\n",
    });
    expect(find(graphOf(diamond))).toHaveLength(0);
  });

  it("reads multi-line, type-only, re-export and dynamic imports; skips comments and packages", () => {
    const text = [
      'import {\n  a,\n  b,\n} from "./ab.js";',
      'import type { T } from "../t.js";',
      'export * from "./all.js";',
      'const m = await import("./lazy.js");',
      '// import { no } from "./commented.js";',
      '/* import { no } from "./block.js"; */',
      'import { it } from "vitest";',
    ].join("\n");
    expect(specs(text)).toEqual(["./ab.js", "../t.js", "./all.js", "./lazy.js"]);
  });
});
