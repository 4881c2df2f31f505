// Browsers and bundlers: literal `new URL(..., import.meta.url)` so Vite, webpack and Rollup
// see each asset and emit it. esbuild leaves the URL as is: copy dist/wasm/*.wasm next to
// the bundle, or pass `init({ url })`.

/** Compiles a shipped kernel binary by fetching it next to this module. */
export async function compileKernels(file: string): Promise<WebAssembly.Module> {
  const url = file === "kernels.simd.wasm"
    ? new URL("./kernels.simd.wasm", import.meta.url)
    : new URL("./kernels.scalar.wasm", import.meta.url);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`matcalc: could not fetch ${url.href} (HTTP ${response.status})`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Browsers must `await init()`: synchronous fetch is not available. */
export function compileKernelsSync(_file: string): WebAssembly.Module | null {
  return null;
}
