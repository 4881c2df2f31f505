// The demo page's entry point: load the kernels once, then wire up the three sections.
// Everything is imported from the built package (dist/) through the page's import map.
import { init, kernelBuild, threadCount, usingSimd } from "matcalc";
import { $ } from "./ui.js";
import { setupField } from "./field.js";
import { setupRace } from "./race.js";
import { setupExplorer } from "./explorer.js";

const status = $("status");

try {
  const t0 = performance.now();
  await init();
  const t = performance.now() - t0;
  const build = {
    "relaxed-simd": "relaxed-SIMD build (f64x2, fused multiply-add)",
    simd: "SIMD build (f64x2)",
    scalar: "scalar build (this browser has no WebAssembly SIMD)",
  }[kernelBuild()];
  // init() takes every core ("auto") where the page may share memory: served with COOP/COEP
  // (demo/serve.mjs) it is cross-origin isolated; elsewhere one thread runs.
  const threads = threadCount();
  const isolated = globalThis.crossOriginIsolated === true;
  const threadText = `${threads} thread${threads === 1 ? "" : "s"}`;
  const why = isolated
    ? "the page is cross-origin isolated, so large products and factorizations split across Web Workers"
    : "the page is not cross-origin isolated (no COOP/COEP headers), so there is no shared memory for workers";
  status.dataset.state = "ready";
  status.dataset.simd = String(usingSimd());
  status.dataset.build = kernelBuild();
  status.dataset.threads = String(threads);
  status.dataset.isolated = String(isolated);
  status.innerHTML = `<span class="dot"></span>Kernels loaded in ${t.toFixed(0)} ms · ${build} · float64 · ${threadText}`;
  $("simd").textContent = `Kernels: ${build}; ${threadText} (${why}).`;
  setupField();
  setupRace();
  setupExplorer();
  document.body.dataset.ready = "true";
} catch (e) {
  status.dataset.state = "error";
  status.textContent = `Could not start: ${e?.message ?? e}`;
  throw e;
}
