// The demo page's entry point: load the kernels once, then wire up the three sections.
// Everything is imported from the built package (dist/) through the page's import map.
import { init, kernelBuild, usingSimd } from "matcalc";
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
  status.dataset.state = "ready";
  status.dataset.simd = String(usingSimd());
  status.dataset.build = kernelBuild();
  status.innerHTML = `<span class="dot"></span>Kernels loaded in ${t.toFixed(0)} ms · ${build} · float64`;
  $("simd").textContent = `Kernels: ${build}.`;
  setupField();
  setupRace();
  setupExplorer();
  document.body.dataset.ready = "true";
} catch (e) {
  status.dataset.state = "error";
  status.textContent = `Could not start: ${e?.message ?? e}`;
  throw e;
}
