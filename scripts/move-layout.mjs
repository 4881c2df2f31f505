#!/usr/bin/env node
// Moves src/ into a folder layout that shows the architecture, and rewrites every reference.
//
//   src/core/        tensor, shapes, primitives and traces, basis, pytree, kernel plumbing
//   src/ops/         the ops (primitive literals) and the markers transforms emit for jit
//   src/transforms/  grad, jvp, vjp, jacobian, hessian, hvp, linearize, vmap, checks
//   src/jit/         jit (driver), program (IR), pipeline; passes/ below it
//   src/optim/, src/wasm/, src/index.ts, src/errors.ts, src/options.ts, src/random.ts stay.
//
// For each row of MOVES it runs `git mv`, then rewrites, in every text file of src/, test/,
// bench/, demo/, scripts/, docs/ and the root's *.md / config files:
//   - relative module specifiers (`from "./x.js"`, `import("../x.js")`, `import "./x.js"`,
//     `vi.mock("../x.js")`, `export … from`) that resolve to a moved file, recomputed from the
//     importing file's new place (a moved importer's own imports are recomputed too);
//   - repository paths written out in full ("src/ad/jit.ts" in comments, tests reading source
//     files, the layer table of scripts/check-cycles.mjs).
// and prints every change. Options: --dry-run (print, change nothing), --no-git (plain rename,
// for a copy that is not a git checkout).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";

/** Old path → new path, relative to the repository root. */
export const MOVES = [
  ["src/tensor.ts", "src/core/tensor.ts"],
  ["src/shape.ts", "src/core/shape.ts"],
  ["src/ad/core.ts", "src/core/primitive.ts"],
  ["src/ad/basis.ts", "src/core/basis.ts"],
  ["src/ad/pytree.ts", "src/core/pytree.ts"],
  ["src/ops/exec.ts", "src/core/exec.ts"],
  ["src/ad/markers.ts", "src/ops/markers.ts"],
  ["src/ad/transforms.ts", "src/transforms/transforms.ts"],
  ["src/ad/batching.ts", "src/transforms/vmap.ts"],
  ["src/ad/check.ts", "src/transforms/check.ts"],
  ["src/ad/types.ts", "src/transforms/types.ts"],
  ["src/ad/jit.ts", "src/jit/jit.ts"],
  ["src/ad/program.ts", "src/jit/program.ts"],
  ["src/ad/pipeline.ts", "src/jit/pipeline.ts"],
  ["src/ad/chains.ts", "src/jit/passes/chains.ts"],
  ["src/ad/fold.ts", "src/jit/passes/fold.ts"],
  ["src/ad/fuse.ts", "src/jit/passes/fuse.ts"],
  ["src/ad/gram.ts", "src/jit/passes/gram.ts"],
  ["src/ad/regions.ts", "src/jit/passes/regions.ts"],
  ["src/ad/triangle.ts", "src/jit/passes/triangle.ts"],
];

/** Folders whose text files are rewritten, and root files. */
const TREES = ["src", "test", "bench", "demo", "scripts", "docs"];
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "api"]);
const TEXT = /\.(m?[jt]s|tsx|json|md|html)$/;
const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bvi\.mock\(\s*|\bvi\.doMock\(\s*)(["'])(\.\.?\/[^"']+)\2/g;

function textFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (SKIP_DIRS.has(name)) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (TEXT.test(name)) out.push(p);
    }
  };
  for (const t of TREES) if (existsSync(join(root, t))) walk(join(root, t));
  for (const name of readdirSync(root)) if (/\.(md|json|ts|mjs)$/.test(name) && statSync(join(root, name)).isFile() && name !== "package-lock.json") out.push(join(root, name));
  return out;
}

/** The file a specifier names (TypeScript's NodeNext: "./x.js" is ./x.ts), relative to root. */
function target(root, fromRel, spec) {
  const abs = resolve(root, dirname(fromRel), spec);
  const rel = relative(root, abs).split("\\").join("/");
  for (const c of [rel.replace(/\.js$/, ".ts"), rel.replace(/\.mjs$/, ".mts"), rel]) if (existsSync(join(root, c))) return { file: c, ts: c !== rel };
  return null;
}

function specFor(fromRel, toRel, ts) {
  let s = posix.relative(posix.dirname(fromRel), toRel);
  if (!s.startsWith(".")) s = `./${s}`;
  return ts ? s.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs") : s;
}

/**
 * Rewrites `text` (the file at `oldRel`, to live at `newRel`) for `moves` (old → new map).
 * Specifiers resolve against the tree before the move (`exists` answers for old paths).
 */
export function rewrite(text, oldRel, newRel, moves, root) {
  const changes = [];
  let out = text.replace(SPEC, (m, head, q, spec) => {
    const t = target(root, oldRel, spec);
    if (t === null) return m;
    const dest = moves.get(t.file) ?? t.file;
    const next = specFor(newRel, dest, t.ts);
    if (next === spec) return m;
    changes.push(`${spec} → ${next}`);
    return `${head}${q}${next}${q}`;
  });
  for (const [from, to] of moves) {
    const re = new RegExp(`(?<![\\w/.-])${from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w/-])`, "g");
    out = out.replace(re, () => {
      changes.push(`"${from}" → "${to}"`);
      return to;
    });
  }
  return { text: out, changes };
}

function main() {
  const args = new Set(process.argv.slice(2));
  const dry = args.has("--dry-run"), git = !args.has("--no-git");
  const root = process.cwd();
  const moves = new Map(MOVES);
  for (const [from, to] of moves) {
    if (!existsSync(join(root, from))) throw new Error(`move-layout: ${from} does not exist (already moved?)`);
    if (existsSync(join(root, to))) throw new Error(`move-layout: ${to} exists already`);
  }
  // Rewrite every file's text against the tree as it is, then move.
  const rewritten = [];
  for (const abs of textFiles(root)) {
    const oldRel = relative(root, abs).split("\\").join("/");
    if (oldRel === "scripts/move-layout.mjs") continue; // its table names the old paths
    const newRel = moves.get(oldRel) ?? oldRel;
    const text = readFileSync(abs, "utf8");
    const r = rewrite(text, oldRel, newRel, moves, root);
    if (r.changes.length > 0) rewritten.push([abs, r.text, oldRel, r.changes]);
  }
  for (const [abs, text, rel, changes] of rewritten) {
    console.log(`${rel}:`);
    for (const c of changes) console.log(`  ${c}`);
    if (!dry) writeFileSync(abs, text);
  }
  for (const [from, to] of moves) {
    console.log(`move ${from} → ${to}`);
    if (dry) continue;
    mkdirSync(dirname(join(root, to)), { recursive: true });
    if (git) execFileSync("git", ["mv", from, to], { cwd: root, stdio: "inherit" });
    else renameSync(join(root, from), join(root, to));
  }
  // A folder left empty by the moves is removed by git; say which remain.
  const left = !dry && existsSync(join(root, "src/ad")) ? readdirSync(join(root, "src/ad")) : [];
  if (left.length > 0) console.log(`src/ad still holds: ${left.join(", ")} (not in MOVES)`);
  console.log(`${rewritten.length} files rewritten, ${moves.size} moved${dry ? " (dry run: nothing written)" : ""}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) main();
