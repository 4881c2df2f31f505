// The kernel binaries (dist/wasm/kernels.{relaxed,simd,scalar}.wasm, from `npm run build`) for
// suites that instantiate a build of their own beside the library's runtime, in every host:
// read from disk in Node, fetched from the Vite server in the browser. Each URL is a literal
// `new URL(..., import.meta.url)`, which Vite rewrites to the path it serves the file at.
import type { Kernels } from "../src/wasm/kernels.js";
import { buildOf, instantiateKernels, relaxedSimdSupported } from "../src/wasm/module.js";
import { Arena } from "../src/wasm/arena.js";
import { isNode } from "./harness.js";

export type BuildName = "relaxed-simd" | "simd" | "scalar";

function wasmUrl(build: BuildName): URL {
  if (build === "relaxed-simd") return new URL("../dist/wasm/kernels.relaxed.wasm", import.meta.url);
  return build === "simd"
    ? new URL("../dist/wasm/kernels.simd.wasm", import.meta.url)
    : new URL("../dist/wasm/kernels.scalar.wasm", import.meta.url);
}

/** Whether this host runs the relaxed-SIMD build (Chromium; Node 20 only with the flag). */
export { relaxedSimdSupported };

/** The bytes of the build's binary in dist/wasm/, in Node or a browser. */
export async function loadWasmBytes(build: BuildName): Promise<BufferSource> {
  const url = wasmUrl(build);
  if (isNode()) {
    const { readFile } = await import("node:fs/promises");
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`bench: could not fetch ${url.href} (HTTP ${response.status}); run \`npm run build\``);
  return response.arrayBuffer();
}

/** A fresh instance of one build (its own linear memory) and an Arena over it. */
export async function loadKernels(build: BuildName): Promise<{ k: Kernels; arena: Arena }> {
  const k = instantiateKernels(await WebAssembly.compile(await loadWasmBytes(build)));
  if (buildOf(k) !== build) {
    throw new Error(`bench: ${wasmUrl(build).pathname} is not the ${build} build; run \`npm run build\``);
  }
  return { k, arena: new Arena(k) };
}
