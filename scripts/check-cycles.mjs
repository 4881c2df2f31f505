#!/usr/bin/env node
// Import-cycle check over the relative imports of a source tree (default: src/).
// Type-only imports (`import type`, `export type`) count too: a layer that needs another
// layer's types is still coupled to it, and the layering we keep is one-directional.
// Usage: node scripts/check-cycles.mjs [dir]   (exit code 1 and the cycles when any exist)
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every .ts/.mts/.js/.mjs file under `dir`, recursively. */
export function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(m?ts|m?js)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

/**
 * The text without its comments, in one left-to-right scan (so "src/ops/*.ts" in a line
 * comment does not open a block comment, and "//" inside a string is kept).
 */
export function stripComments(text) {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`/g, (m) => (m[0] === "/" ? "" : m));
}

/** Relative import specifiers of one source text (comments are stripped first). */
export function importsOf(text) {
  const code = stripComments(text);
  const specs = [];
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith(".")) specs.push(spec);
  }
  return specs;
}

/** Resolves `./x.js` (as TypeScript's NodeNext does) to the file that exists in `files`. */
function resolveSpec(from, spec, files) {
  const base = resolve(dirname(from), spec);
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((c) => files.has(c));
}

/** The import graph: file → files it imports (absolute paths). */
export function importGraph(dir) {
  const files = sourceFiles(resolve(dir));
  const set = new Set(files);
  const graph = new Map();
  for (const f of files) {
    const deps = new Set();
    for (const spec of importsOf(readFileSync(f, "utf8"))) {
      const target = resolveSpec(f, spec, set);
      if (target) deps.add(target);
    }
    graph.set(f, [...deps].sort());
  }
  return graph;
}

/**
 * Strongly connected components with more than one file (or a file importing itself), each
 * with one concrete cycle through it for the message. Tarjan's algorithm, written
 * iteratively so a deep tree cannot overflow the stack.
 */
export function findCycles(graph) {
  let counter = 0;
  const index = new Map(), low = new Map(), onStack = new Set(), stack = [], sccs = [];
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work = [[root, 0]];
    index.set(root, counter); low.set(root, counter++); stack.push(root); onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const deps = graph.get(v) ?? [];
      if (i < deps.length) {
        frame[1]++;
        const w = deps[i];
        if (!index.has(w)) {
          index.set(w, counter); low.set(w, counter++); stack.push(w); onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const u = work[work.length - 1][0];
        low.set(u, Math.min(low.get(u), low.get(v)));
      }
      if (low.get(v) === index.get(v)) {
        const comp = [];
        let w;
        do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
        if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) sccs.push(comp.sort());
      }
    }
  }
  return sccs.map((files) => ({ files, cycle: oneCycle(graph, files) }));
}

/** A shortest cycle through the component's first file (breadth-first inside the component). */
function oneCycle(graph, files) {
  const inside = new Set(files);
  const start = files[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = prev.get(v); p !== null && p !== undefined; p = prev.get(p)) path.push(p);
        return [...path.reverse(), start];
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start, start];
}

/**
 * The layers of src/, lowest first: a file may import files of its own layer or lower ones.
 * Entries are paths relative to the repository root, a trailing "/" meaning a folder; the
 * most specific entry wins. Files no entry covers are not checked.
 */
export const LAYERS = [
  ["tensor", ["src/errors.ts", "src/options.ts", "src/random.ts", "src/format.ts", "src/wasm/", "src/core/tensor.ts", "src/core/shape.ts"]],
  ["core", ["src/core/"]],
  ["ops", ["src/ops/"]],
  ["transforms", ["src/transforms/"]],
  ["jit", ["src/jit/"]],
  ["optim", ["src/optim/"]],
  ["api", ["src/index.ts"]],
];

/** Layer index of a repository-relative path, or -1 when no entry covers it. */
export function layerOf(path, layers = LAYERS) {
  let best = -1, bestLen = -1;
  layers.forEach(([, entries], i) => {
    for (const e of entries) {
      const hit = e.endsWith("/") ? path.startsWith(e) : path === e;
      if (hit && e.length > bestLen) [best, bestLen] = [i, e.length];
    }
  });
  return best;
}

/** Imports that point to a higher layer: `from → to (layer → layer)`, paths relative to `root`. */
export function layerViolations(graph, root, layers = LAYERS) {
  const out = [];
  for (const [from, deps] of graph) {
    const rf = relative(root, from).split("\\").join("/");
    const lf = layerOf(rf, layers);
    if (lf < 0) continue;
    for (const to of deps) {
      const rt = relative(root, to).split("\\").join("/");
      const lt = layerOf(rt, layers);
      if (lt > lf) out.push(`${rf} → ${rt} (${layers[lf][0]} imports ${layers[lt][0]})`);
    }
  }
  return out;
}

/** Human-readable report of cycles, paths relative to `root`. */
export function formatCycles(cycles, root) {
  return cycles
    .map(({ files, cycle }) => `cycle of ${files.length} file(s): ${cycle.map((f) => relative(root, f)).join(" → ")}\n  component: ${files.map((f) => relative(root, f)).join(", ")}`)
    .join("\n");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? "src");
  const graph = importGraph(dir);
  const cycles = findCycles(graph);
  const upward = layerViolations(graph, process.cwd());
  if (cycles.length === 0) console.log(`no import cycles in ${relative(process.cwd(), dir) || "."}`);
  else console.error(formatCycles(cycles, process.cwd()));
  if (upward.length === 0) console.log("no upward imports between layers");
  else console.error(`upward imports:\n  ${upward.join("\n  ")}`);
  if (cycles.length > 0 || upward.length > 0) process.exit(1);
}
