// Node: the kernels ship as files beside this module (dist/wasm/*.wasm), read from disk.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

function fileUrl(file: string): URL {
  return new URL(`./${file}`, import.meta.url);
}

/** Compiles a shipped kernel binary. */
export async function compileKernels(file: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(fileUrl(file)));
}

/** Node can compile synchronously, so ops work without an explicit `init()`. */
export function compileKernelsSync(file: string): WebAssembly.Module | null {
  return new WebAssembly.Module(readFileSync(fileUrl(file)));
}
