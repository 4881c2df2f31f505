// Every code block of README.md, run. Each ```ts / ```js block (and the module script of each
// ```html block) is written to a module that imports the library from src/, with its own
// `import … from "matcalc"` lines replaced by the library's names, and the values it leaves
// free (the README's running examples: A, x, X, …) defined by the fixture below whose pattern
// matches the block. A statement `expr.toArray();  // [1, 2]` or `expr.item();  // 0.7` is
// checked against the stated number (to 1e-9 relative; to 1e-6 where the comment says "to
// rounding" or "≈"), and `expr;  // true` against true. A block that stops running, or a stated number that stops holding,
// fails here. (```sh blocks are commands, and the unlabelled block is the repository tree.)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const readme = readFileSync(join(repo, "README.md"), "utf8");

interface Block { lang: string; code: string; line: number }

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    out.push({ lang: m[1]!, code: m[2]!, line: md.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** Free values of the README's examples, and checks to run after a block, by what the block contains. */
const FIXTURES: { match: RegExp; before?: string; after?: string }[] = [
  {
    // Derivatives: the seeds' examples.
    match: /jacobian\(mc\.softmax\)/,
    before: `
      const A = matrix([[1, 2, 0], [3, 4, 1]]), x = vector([0.5, -1, 2]), s = vector([0.1, 0.2, 0.3]);
      const X = matrix([[1, 2], [3, 4], [0, 1]]), B = matrix([[1, 0, 2], [0, 1, 1]]), C = matrix([[1, 0], [0, 1]]);`,
  },
  {
    match: /const g = jit\(grad/,
    before: "const A = matrix([[2, 1], [1, 3]]);",
  },
  {
    // Linear algebra: X square and well conditioned; commutation over its shape.
    match: /mc\.commutation\(m, n\)/,
    before: "const m = 3, n = 3; const X = matrix([[4, 1, 0], [1, 3, 1], [0, 1, 2]]);",
  },
  {
    // The bounded fit: data that decay faster than the bound on k allows.
    match: /upper: \{ a: Infinity, k: 0\.5 \}/,
    before: "const t = vector([0, 0.5, 1, 1.5, 2, 2.5, 3]); const y = t.mul(-1.2).exp().mul(2);",
  },
  {
    // The worker block: call its handler as a worker would.
    match: /onmessage = /,
    before: "let onmessage: (e: { data: number[] }) => unknown = () => {}; let posted: unknown; const postMessage = (m: unknown) => { posted = m; };",
    after: "await onmessage({ data: [1, 2] }); check((posted as { result: unknown }).result, [[12, 0], [0, 48]], 1e-12, 'the worker posts the Hessian of Σx⁴');",
  },
];

/** The statement `expr;  // <number or array> …` as a check, when expr ends in toArray() or item(). */
function withChecks(code: string): string {
  return code.split("\n").map((line) => {
    const m = /^(\s*)(?:console\.log\((.+)\)|(.+));\s*\/\/\s*(.+)$/.exec(line);
    if (!m) return line;
    const expr = (m[2] ?? m[3])!.trim();
    const bool = /^(true|false)(?=[\s;:]|$)/.exec(m[4]!);
    if (bool) return `${m[1]}expect(${expr}, ${JSON.stringify(line.trim())}).toBe(${bool[1]});`;
    if (!/\.(toArray|item)\(\)$/.test(expr)) return line;
    const lit = /^(-?[\d.]+(?:e[-+]?\d+)?|\[[\d\s.,\[\]e+-]*\])(?=\s|$|[:(=])/.exec(m[4]!);
    if (!lit) return line;
    const loose = /to rounding|≈/.test(m[4]!);
    return `${m[1]}check(${expr}, ${lit[1]}, ${loose ? 1e-6 : 1e-9}, ${JSON.stringify(line.trim())});`;
  }).join("\n");
}

const PRELUDE = (src: string) => `
import * as mc from ${JSON.stringify(join(src, "index.js"))};
import * as optim from ${JSON.stringify(join(src, "optim/index.js"))};
import { expect } from "vitest";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { ${"__NAMES__"} } = { ...mc, ...optim } as any;
// The examples' progress output stays out of the test log.
const console = { log: (..._: unknown[]) => {} };
function check(actual: unknown, expected: unknown, rtol: number, what: string): void {
  const walk = (a: unknown, e: unknown): void => {
    if (typeof e === "number") {
      expect(typeof a, what).toBe("number");
      expect(Math.abs((a as number) - e), what).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(e)));
      return;
    }
    expect(Array.isArray(a) && a.length === (e as unknown[]).length, what).toBe(true);
    (e as unknown[]).forEach((x, i) => walk((a as unknown[])[i], x));
  };
  walk(actual, expected);
}
`;

const tmp = join(repo, "test/node/.readme-blocks");
afterAll(() => { if (!process.env.KEEP_README_BLOCKS) rmSync(tmp, { recursive: true, force: true }); });

describe("README code blocks", async () => {
  const mc = await import("../../src/index.js");
  const optim = await import("../../src/optim/index.js");
  const names = [...new Set([...Object.keys(mc), ...Object.keys(optim)])].filter((n) => n !== "default");
  const runnable = blocks(readme).filter((b) => ["ts", "js", "html"].includes(b.lang));

  it("finds the README's code blocks", () => {
    expect(runnable.length).toBeGreaterThanOrEqual(8);
  });

  for (const b of runnable) {
    it(`the ${b.lang} block at README.md line ${b.line} runs${/\/\/ (-?[\d[]|true|false)/.test(b.code) ? " and gives the numbers it states" : ""}`, async () => {
      let code = b.code;
      if (b.lang === "html") {
        const script = /<script type="module">([\s\S]*?)<\/script>/.exec(code);
        expect(script, "an html block holds a module script").not.toBeNull();
        code = script![1]!;
      }
      // The package's own imports (by name, or by a path into an installed copy) become the names above.
      code = code.replace(/^\s*import [^;]*? from "(?:matcalc(?:\/optim)?|[^"]*\/matcalc\/dist\/[\w/.-]+)";[ \t]*$/gm, "");
      const fx = FIXTURES.filter((f) => f.match.test(b.code));
      const body = [
        PRELUDE(join(repo, "src")).replace("__NAMES__", names.join(", ")),
        ...fx.map((f) => f.before ?? ""),
        "{", withChecks(code), ...fx.map((f) => f.after ?? ""), "}",
        "export {};",
      ].join("\n");
      mkdirSync(tmp, { recursive: true });
      const file = join(tmp, `block-${b.line}.ts`);
      writeFileSync(file, body);
      await import(/* @vite-ignore */ file);
    });
  }
});
