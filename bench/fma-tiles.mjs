// What FMA can give on this host (issue 21 item 1): the f64x2 multiply-add ceiling, fused
// (relaxed SIMD) and unfused (SIMD), and GEMM micro-tiles of four shapes on packed
// cache-resident panels (mc = nc = 120, kc = 256, the A block in L2, a B micro-panel in L1),
// in Node and, with --chromium, in Debian's Chromium. Kernels: bench/probes/fma-tiles.ts,
// compiled here by asc for both builds. GFLOP/s of the fastest of 15 batches, three rounds.
//
//   node --experimental-wasm-relaxed-simd bench/fma-tiles.mjs [--chromium]
//
// The Node flag is needed for the relaxed binary in Node 20 (without it only SIMD runs).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const out = mkdtempSync(join(tmpdir(), "fma-tiles-"));
const asc = resolve(root, "node_modules/.bin/asc");
const src = resolve(here, "probes/fma-tiles.ts");
const binaries = {};
for (const [name, enable] of [["simd", "simd"], ["relaxed-simd", "simd,relaxed-simd"]]) {
  const file = join(out, `${name}.wasm`);
  execFileSync(asc, [src, "-O3", "--runtime", "stub", "--noAssert", "--enable", enable, "--initialMemory", "256", "-o", file], { stdio: "inherit", cwd: out });
  binaries[name] = [...readFileSync(file)];
}

/** Runs in Node or in a page: GFLOP/s per build and kernel, per round. */
function measure(binaries) {
  const now = () => performance.now();
  const results = {};
  for (const [name, bytes] of Object.entries(binaries)) {
    let inst;
    try {
      inst = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)), { env: { abort() {} } });
    } catch (e) {
      results[name] = `not run (${String(e).slice(0, 80)})`;
      continue;
    }
    const { peak, run, memory } = inst.exports;
    const f = new Float64Array(memory.buffer);
    const mc = 120, nc = 120, kc = 256;
    const A = 65536, B = A + mc * kc * 8 + 4096, C = B + nc * kc * 8 + 4096;
    for (let i = 0; i < C / 8 + mc * nc; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const rounds = {};
    for (let round = 0; round < 3; round++) {
      const row = [];
      const n = 1e7;
      let best = Infinity;
      for (let t = 0; t < 7; t++) { const t0 = now(); peak(n, 0); best = Math.min(best, now() - t0); }
      row.push(["register loop", (n * 12 * 4) / best / 1e6]);
      for (const [tile, label] of [[0, "4×4"], [1, "6×3"], [2, "8×2"], [3, "10×2"]]) {
        run(tile, mc, nc, kc, A, B, C, 3);
        best = Infinity;
        for (let t = 0; t < 15; t++) { const t0 = now(); run(tile, mc, nc, kc, A, B, C, 20); best = Math.min(best, now() - t0); }
        row.push([label, (2 * mc * nc * kc * 20) / best / 1e6]);
      }
      for (const [k, v] of row) (rounds[k] ??= []).push(Number(v.toFixed(1)));
    }
    results[name] = rounds;
  }
  return results;
}

console.log(JSON.stringify({ host: `node ${process.version}`, load: readFileSync("/proc/loadavg", "utf8").trim(), results: measure(binaries) }));
if (process.argv.includes("--chromium")) {
  const { chromium } = await import(resolve(root, "node_modules/playwright-core/index.mjs"));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    const version = browser.version();
    const results = await page.evaluate(`(${measure.toString()})(${JSON.stringify(binaries)})`);
    console.log(JSON.stringify({ host: `chromium ${version}`, results }));
  } finally {
    await browser.close();
  }
}
