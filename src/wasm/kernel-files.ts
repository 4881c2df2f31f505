// Where the shipped kernel binaries are and how to read them, in every host, with no import map
// and no bundler configuration: each binary is located by a literal
// `new URL("./….wasm", import.meta.url)` next to this module (dist/wasm/), the pattern Vite,
// webpack 5 and Parcel rewrite to the asset they emit (esbuild leaves it as is), and that a plain
// `<script type="module">` resolves against the module's own URL. Node reads the file through
// `process.getBuiltinModule` (no `node:` import, so browser bundles never see one); browsers
// fetch it. (In this repository's tests, vitest aliases this module to its compiled copy in
// dist/wasm/, beside the binaries: see vitest.config.ts.)

/** The kernel builds, fastest first. */
export type KernelBuild = "relaxed-simd" | "simd" | "scalar";

/** A literal `new URL` per build, so that bundlers see (and emit) every binary. */
function fileUrl(build: KernelBuild): URL {
  if (build === "relaxed-simd") return new URL("./kernels.relaxed.wasm", import.meta.url);
  if (build === "simd") return new URL("./kernels.simd.wasm", import.meta.url);
  return new URL("./kernels.scalar.wasm", import.meta.url);
}

interface NodeFs {
  readFileSync(path: URL): Uint8Array<ArrayBuffer>;
}

/**
 * Node's `fs` for a `file:` URL when the host has `process.getBuiltinModule` (Node ≥ 20.16,
 * Deno, Bun), else null (then the URL is fetched: browsers, and hosts whose fetch reads files).
 */
function fileSystem(url: URL): NodeFs | null {
  if (url.protocol !== "file:") return null;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof proc?.getBuiltinModule === "function" ? (proc.getBuiltinModule("node:fs") as NodeFs) : null;
}

/** The bytes of a shipped binary: read from disk in Node, fetched elsewhere. */
async function readKernels(build: KernelBuild): Promise<ArrayBuffer | Uint8Array<ArrayBuffer>> {
  const url = fileUrl(build);
  const fs = fileSystem(url);
  if (fs) return fs.readFileSync(url);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    const hint = url.protocol === "file:"
      ? " (this host cannot read files by URL: use Node ≥ 20.16, or pass the binary with init({ bytes }))"
      : "";
    throw new Error(`matcalc: could not fetch ${url.href}${hint}: ${String(e)}`);
  }
  if (!response.ok) throw new Error(`matcalc: could not fetch ${url.href} (HTTP ${response.status})`);
  return response.arrayBuffer();
}

/**
 * The SIMD binary carried inside a JS module, for bundles that left the .wasm files behind
 * (esbuild keeps `new URL(…, import.meta.url)` as it is and copies no asset). A literal
 * dynamic import: bundlers include it, and hosts load it only when the file is missing.
 */
async function embeddedSimd(): Promise<WebAssembly.Module> {
  const { SIMD_BASE64 } = (await import("./kernels-embedded.js")) as { SIMD_BASE64: string };
  return WebAssembly.compile(Uint8Array.from(atob(SIMD_BASE64), (c) => c.charCodeAt(0)));
}

/**
 * Compiles a shipped kernel binary. When `fallback` and the file cannot be read or is not
 * a wasm module (a static server answering a missing file with a page), a SIMD build falls
 * back to the SIMD binary embedded in JavaScript, and says so in the build it returns. The
 * bytes come back too (the thread pool derives its shared-memory variant from them).
 * @internal
 */
export async function compileKernels(build: KernelBuild, fallback = false): Promise<{ module: WebAssembly.Module; build: KernelBuild; bytes: Uint8Array | null }> {
  try {
    const raw = await readKernels(build);
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
    return { module: await WebAssembly.compile(bytes), build, bytes };
  } catch (e) {
    if (!fallback || build === "scalar") throw e;
    return { module: await embeddedSimd(), build: "simd", bytes: null };
  }
}

/**
 * Compiles a shipped kernel binary synchronously where the host can read files (Node, so ops
 * work without an explicit `init()`); null elsewhere (browsers must `await init()`).
 * @internal
 */
export function compileKernelsSync(build: KernelBuild): { module: WebAssembly.Module; bytes: Uint8Array } | null {
  const url = fileUrl(build);
  const fs = fileSystem(url);
  if (!fs) return null;
  const bytes = fs.readFileSync(url);
  return { module: new WebAssembly.Module(bytes), bytes };
}
