// The two kernel binaries (dist/wasm/kernels.{simd,scalar}.wasm, from `npm run build`) for
// suites that instantiate a build of their own beside the library's runtime, in every host:
// read from disk in Node, fetched from the Vite server in the browser. Each URL is a literal
// `new URL(..., import.meta.url)`, which Vite rewrites to the path it serves the file at.
import type { Kernels } from "../src/wasm/kernels.js";
import { instantiateKernels } from "../src/wasm/module.js";
import { Arena } from "../src/wasm/arena.js";
import { isNode } from "./harness.js";

export type BuildName = "simd" | "scalar";

function wasmUrl(build: BuildName): URL {
  return build === "simd"
    ? new URL("../dist/wasm/kernels.simd.wasm", import.meta.url)
    : new URL("../dist/wasm/kernels.scalar.wasm", import.meta.url);
}

/** The bytes of dist/wasm/kernels.<build>.wasm, in Node or a browser. */
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
  if (k.simdEnabled() !== (build === "simd" ? 1 : 0)) {
    throw new Error(`bench: dist/wasm/kernels.${build}.wasm is not the ${build} build; run \`npm run build\``);
  }
  return { k, arena: new Arena(k) };
}
