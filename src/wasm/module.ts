// Loading the kernel module: which binary (SIMD or scalar), from where, and when.
// Node loads synchronously on first use; browsers must `await init()` once.
import { compileKernels, compileKernelsSync } from "#wasm-bytes";
import { KERNEL_EXPORTS, type Kernels } from "./kernels.js";
import { Arena } from "./arena.js";
import { NotInitializedError } from "../errors.js";

// The 31-byte module wasm-feature-detect 1.9.0 validates for `simd()` (i8x16.popcnt).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
  15, 253, 98, 11,
]);

/**
 * Whether this host validates WebAssembly SIMD (128-bit) modules (the probe `init()` uses to
 * pick a build).
 * @example
 * ```ts
 * simdSupported();   // true in Node ≥ 20 and current browsers
 * ```
 * @category Loading
 */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/**
 * Options of {@link init}: where the kernel binary comes from and which build to use.
 * @category Loading
 */
export interface InitOptions {
  /**
   * Use the SIMD build (`true`), the scalar build (`false`), or detect (default).
   * Asking for SIMD on a host without it throws.
   */
  simd?: boolean;
  /**
   * A compiled `WebAssembly.Module`, for CSP-restricted pages or custom bundling. (Typed as
   * `object` so that the declarations compile without the DOM lib, which declares WebAssembly.)
   */
  module?: object;
  /** Where to fetch the binary from (a CDN, or an asset path your bundler emitted). */
  url?: string | URL;
  /** The binary's bytes. */
  bytes?: ArrayBuffer | ArrayBufferView;
}

/** The live kernel instance and its arena. @internal */
export interface Runtime {
  /** The compiled module the kernels were instantiated from (more instances can share it). */
  readonly module: WebAssembly.Module;
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly simd: boolean;
}

let runtime: Runtime | null = null;

function binaryName(simd: boolean): string {
  return simd ? "kernels.simd.wasm" : "kernels.scalar.wasm";
}

/** Instantiates a kernel module and checks it exports the whole ABI. @internal */
export function instantiateKernels(module: WebAssembly.Module): Kernels {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(): never {
        throw new Error("matcalc: a kernel aborted (this is a bug in matcalc; please report it)");
      },
    },
  });
  const exports = instance.exports as Record<string, unknown>;
  const missing = KERNEL_EXPORTS.filter((name) => typeof exports[name] !== "function");
  if (!(exports["memory"] instanceof WebAssembly.Memory) || missing.length > 0) {
    throw new Error(
      `matcalc: the kernel module is not a matcalc build (missing: ${["memory", ...missing].join(", ")})`,
    );
  }
  return exports as unknown as Kernels;
}

function install(module: WebAssembly.Module): Runtime {
  const kernels = instantiateKernels(module);
  runtime = { module, kernels, arena: new Arena(kernels), simd: kernels.simdEnabled() === 1 };
  return runtime;
}

function pickSimd(requested: boolean | undefined): boolean {
  const supported = simdSupported();
  if (requested === true && !supported) {
    throw new Error("matcalc: init({ simd: true }) but this host does not support WebAssembly SIMD");
  }
  return requested ?? supported;
}

/**
 * Loads the kernels. Optional in Node (the first op loads them synchronously); required once
 * in browsers before any op. Calling it again switches builds (e.g. `{ simd: false }` in tests);
 * tensors made before a switch keep their values.
 *
 * @example
 * ```ts
 * import { init, matrix } from "matcalc";
 * await init();                       // picks the SIMD build when the host supports it
 * matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray(); // [3, 7]
 * ```
 * @category Loading
 */
export async function init(options: InitOptions = {}): Promise<void> {
  const simd = pickSimd(options.simd);
  let module: WebAssembly.Module;
  if (options.module) module = options.module as WebAssembly.Module;
  else if (options.bytes) module = await WebAssembly.compile(options.bytes as BufferSource);
  else if (options.url !== undefined) {
    const response = await fetch(options.url);
    if (!response.ok) throw new Error(`matcalc: could not fetch ${String(options.url)} (HTTP ${response.status})`);
    module = await WebAssembly.compile(await response.arrayBuffer());
  } else module = await compileKernels(binaryName(simd));
  install(module);
}

/** The active runtime, loading it synchronously where the host allows. @internal */
export function rt(): Runtime {
  if (runtime) return runtime;
  const simd = pickSimd(undefined);
  const module = compileKernelsSync(binaryName(simd));
  if (!module) {
    throw new NotInitializedError(
      "matcalc: the kernels are not loaded yet; in a browser, `await init()` once before using any op",
    );
  }
  return install(module);
}

/**
 * Whether the loaded kernels are the SIMD build (loads them in Node if needed).
 * @example
 * ```ts
 * await init({ simd: false });
 * usingSimd();   // false: the scalar build
 * await init();
 * usingSimd();   // true where simdSupported()
 * ```
 * @category Loading
 */
export function usingSimd(): boolean {
  return rt().kernels.simdEnabled() === 1;
}
