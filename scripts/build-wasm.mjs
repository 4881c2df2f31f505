#!/usr/bin/env node
// Builds the kernel binaries only when their sources changed: a SHA-256 of assembly/**,
// asconfig.json and the compiler's version is kept in dist/wasm/.stamp, and a build whose
// hash matches the stamp (with every output present) is skipped.
//   node scripts/build-wasm.mjs           build what is stale (the default for npm scripts)
//   node scripts/build-wasm.mjs --force   rebuild every target
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TARGETS = ["simd", "relaxed", "scalar"];
const config = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8"));
const outputs = TARGETS.map((t) => join(root, config.targets[t].outFile));
const stampFile = join(root, "dist/wasm/.stamp");

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

function sourceHash() {
  const h = createHash("sha256");
  const asc = JSON.parse(readFileSync(join(root, "node_modules/assemblyscript/package.json"), "utf8"));
  h.update(`assemblyscript ${asc.version}\n`);
  for (const p of [join(root, "asconfig.json"), ...files(join(root, "assembly")).sort()]) {
    h.update(`${relative(root, p)}\n`);
    h.update(readFileSync(p));
  }
  return h.digest("hex");
}

const force = process.argv.includes("--force");
const hash = sourceHash();
const fresh = !force && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === hash &&
  outputs.every((p) => existsSync(p));
if (fresh) {
  console.log("wasm kernels up to date (dist/wasm/.stamp matches assembly/ and asconfig.json)");
} else {
  const asc = join(root, "node_modules/.bin/asc");
  for (const target of TARGETS) {
    const t0 = performance.now();
    execFileSync(asc, ["--target", target], { cwd: root, stdio: "inherit" });
    console.log(`wasm: built ${target} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${hash}\n`);
}
