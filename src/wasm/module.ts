// Loading the kernel module: which binary (relaxed SIMD, SIMD or scalar), from where, and when.
// Node loads synchronously on first use; browsers must `await init()` once.
import { compileKernels, compileKernelsSync, type KernelBuild } from "./kernel-files.js";
import { KERNEL_EXPORTS, type Kernels } from "./kernels.js";
import { Arena } from "./arena.js";
import { raiseMallocThresholds } from "./malloc-thresholds.js";
import { NotInitializedError, OptionError } from "../errors.js";
import { bool, checkOptions, describe, oneOf, type OptionCheck } from "../options.js";
import { hostCores, Pool, TASK_AREA_BYTES, threadsAvailable } from "./pool.js";
import { sharedVariant, SHARED_MAX_PAGES } from "./shared.js";

export type { KernelBuild } from "./kernel-files.js";

// The 31-byte module wasm-feature-detect 1.9.0 validates for `simd()` (i8x16.popcnt).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
  15, 253, 98, 11,
]);

// One function `() -> v128` whose body is f64x2.relaxed_madd of three i8x16.splat(0): the
// instruction the relaxed build's kernels rely on (opcode 0xfd 0x107, LEB128 0x87 0x02).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // magic, version
  1, 5, 1, 96, 0, 1, 123, // type section: () -> v128
  3, 2, 1, 0, // function section: one function of type 0
  10, 19, 1, 17, 0, // code section: one body of 17 bytes, no locals
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, // 3 × (i32.const 0; i8x16.splat)
  253, 135, 2, 11, // f64x2.relaxed_madd; end
]);

function validates(probe: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(probe);
  } catch {
    return false;
  }
}

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
  return validates(SIMD_PROBE);
}

/**
 * Whether this host validates WebAssembly relaxed SIMD (`f64x2.relaxed_madd`), which the
 * `'relaxed-simd'` build needs: Chromium ≥ 114, Node ≥ 22; Node 20 only with
 * `--experimental-wasm-relaxed-simd`.
 * @example
 * ```ts
 * relaxedSimdSupported();   // false in Node 20 without the flag, true in Chromium
 * ```
 */
export function relaxedSimdSupported(): boolean {
  return simdSupported() && validates(RELAXED_PROBE);
}

const BUILDS: readonly KernelBuild[] = ["relaxed-simd", "simd", "scalar"];

/** Whether the host can run a build. */
function supported(build: KernelBuild): boolean {
  return build === "scalar" || (build === "simd" ? simdSupported() : relaxedSimdSupported());
}

/**
 * Options of {@link init}: where the kernel binary comes from and which build to use.
 * @category Loading
 */
export interface InitOptions {
  /**
   * Which build to load: `'relaxed-simd'` (f64x2 with fused multiply-add), `'simd'` (f64x2,
   * mul + add) or `'scalar'`. Default: the environment variable `MATCALC_BUILD` where there is
   * one (Node), else the fastest build the host validates. Asking for a build the host cannot
   * run throws. With `module`, `bytes` or `url` it states which build that binary must be.
   */
  build?: KernelBuild;
  /**
   * `true` is `build: 'simd'`, `false` is `build: 'scalar'` (kept from before the relaxed
   * build existed); not together with `build`.
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
  /**
   * How many threads large kernel calls may use, the calling thread included: `'auto'` (the
   * default) is every logical core (at most {@link MAX_AUTO_THREADS}) where threads are
   * available, a number asks for that many (1 to {@link MAX_THREADS}). Threads need shared
   * memory: Node, or a browser page that is cross-origin isolated (COOP/COEP headers); else
   * one thread runs, with no error. A binary passed as `module` runs on one thread (the pool
   * derives its variant from the bytes). Same as calling {@link setThreads} after `init`.
   */
  threads?: "auto" | number;
}

/**
 * The most threads {@link setThreads} accepts.
 * @example
 * ```ts
 * setThreads(MAX_THREADS + 1);   // throws OptionError
 * ```
 * @category Loading
 */
export const MAX_THREADS = 64;
/**
 * The most threads `'auto'` takes: a large product is split into at most 8 column panels and a
 * factorization's update into a few dozen blocks, so more threads would mostly wait; and each
 * thread holds 1.4 MiB of kernel scratch.
 * @example
 * ```ts
 * setThreads("auto");
 * threadCount() <= MAX_AUTO_THREADS;   // true
 * ```
 * @category Loading
 */
export const MAX_AUTO_THREADS = 16;

const threadsCheck: OptionCheck = (v) =>
  v === "auto" || (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_THREADS)
    ? undefined
    : `"auto" or an integer from 1 to ${MAX_THREADS}`;

const isBytes: OptionCheck = (v) =>
  v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? undefined : "an ArrayBuffer or a typed array";
const INIT_OPTIONS = {
  build: oneOf(...BUILDS),
  simd: bool,
  module: (v: unknown) => (v instanceof WebAssembly.Module ? undefined : "a WebAssembly.Module"),
  url: (v: unknown) => (typeof v === "string" || v instanceof URL ? undefined : "a string or a URL"),
  bytes: isBytes,
  threads: threadsCheck,
} satisfies Record<keyof InitOptions, OptionCheck>;

/** The live kernel instance and its arena. @internal */
export interface Runtime {
  /**
   * The compiled module of the build (its own, unshared memory): what other instances
   * (optimizer workspaces) are made from, whether or not the pool runs.
   */
  readonly module: WebAssembly.Module;
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly simd: boolean;
  readonly build: KernelBuild;
  /** The binary's bytes, when known (the pool's shared variant is derived from them). */
  readonly bytes: Uint8Array | null;
  /** The shared-memory variant, compiled, once some runtime needed it. */
  readonly shared: SharedBuild | null;
  /** The worker pool; null when one thread runs (then `kernels` is the plain instance). */
  readonly pool: Pool | null;
}

let runtime: Runtime | null = null;
/** What init({ threads }) or setThreads asked for. */
let threadsWanted: "auto" | number = "auto";

/** Instantiates a kernel module and checks it exports the whole ABI. @internal */
export function instantiateKernels(module: WebAssembly.Module, memory?: WebAssembly.Memory,
  hooks: { gemmHook: Kernels["gemm"]; luStepHook: LuStepHook; cholStepHook: CholStepHook } =
  { gemmHook: noHook, luStepHook: noHook, cholStepHook: noHook }): Kernels {
  const instance = new WebAssembly.Instance(module, {
    env: {
      ...(memory ? { memory } : {}),
      ...hooks,
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

type LuStepHook = (m: number, n: number, j: number, jb: number, jbn: number, a: number, lda: number, ipiv: number) => void;
type CholStepHook = (n: number, j: number, jb: number, jbn: number, a: number, lda: number) => void;

/** The factorizations' hooks of an instance that never turns them on (assembly/hook.ts). */
function noHook(): never {
  throw new Error("matcalc: a kernel called gemmHook, which this instance never enabled (this is a bug in matcalc)");
}

/** Which build a kernel instance is, read from the binary itself. @internal */
export function buildOf(kernels: Kernels): KernelBuild {
  if (kernels.relaxedSimdEnabled() === 1) return "relaxed-simd";
  return kernels.simdEnabled() === 1 ? "simd" : "scalar";
}

/** How many threads to run: what was asked for, where the host and the binary allow it. */
function effectiveThreads(bytes: Uint8Array | null): number {
  if (bytes === null || !threadsAvailable()) return 1;
  return threadsWanted === "auto" ? Math.min(hostCores(), MAX_AUTO_THREADS) : threadsWanted;
}

/** The pool's variant of a build: compiled, and the minimum pages its memory must have. */
interface SharedBuild {
  readonly module: WebAssembly.Module;
  readonly minPages: number;
}

/** The compiled shared variant of `bytes` (synchronously; init() compiles it ahead). */
function sharedBuildOf(bytes: Uint8Array): SharedBuild | null {
  const variant = sharedVariant(bytes);
  return variant ? { module: new WebAssembly.Module(variant.bytes), minPages: variant.minPages } : null;
}

/** The same, compiled off the main thread (browsers refuse large synchronous compiles there). */
async function sharedBuildAsync(bytes: Uint8Array): Promise<SharedBuild | null> {
  const variant = sharedVariant(bytes);
  return variant ? { module: await WebAssembly.compile(variant.bytes), minPages: variant.minPages } : null;
}

/**
 * The threaded runtime's kernels: one instance of the shared variant for the calling thread,
 * each thread's scratch region reserved above the static data (below the arena), and gemm
 * (and the factorizations' trailing updates, through the hooks) going through the pool, which
 * splits what is large enough.
 */
function threaded(shared: SharedBuild, threads: number): { kernels: Kernels; arena: Arena; pool: Pool } {
  const memory = new WebAssembly.Memory({ initial: shared.minPages, maximum: SHARED_MAX_PAGES, shared: true });
  // The factorizations' large products come back out through the hooks, to the pool.
  let pool: Pool | null = null;
  const plain = instantiateKernels(shared.module, memory, {
    gemmHook: (...args) => pool!.gemm(...args),
    luStepHook: (...args) => pool!.luStep(...args),
    cholStepHook: (...args) => pool!.cholStep(...args),
  }) as Kernels & {
    scratchBytes(): number; setScratch(p: number): void; setGemmHook(on: number): void;
  };
  const scratch = plain.scratchBytes();
  // Each thread's region: its kernel scratch, then its task area (pool.ts TASK_AREA_BYTES).
  const size = Math.ceil(scratch / 64) * 64 + TASK_AREA_BYTES;
  const first = Math.ceil(plain.heapBase() / 64) * 64;
  const regions = Array.from({ length: threads }, (_, i) => first + i * size);
  const areas = regions.map((r) => r + size - TASK_AREA_BYTES);
  const end = first + threads * size;
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / 65536));
  plain.setScratch(regions[0]!);
  const p = new Pool(threads, shared.module, memory, plain, regions.slice(1), areas);
  pool = p;
  const kernels: Kernels = {
    // unary and binary with their parameters written out: every small op calls them.
    ...plain, gemm: (...args) => p.gemm(...args), gemv: (...args) => p.gemv(...args), unary: (op, n, x, out) => p.unary(op, n, x, out),
    binary: (op, rank, shape, a, sa, b, sb, out) => p.binary(op, rank, shape, a, sa, b, sb, out), fusedRows: (...args) => p.fusedRows(...args),
    sumAxis: (...args) => p.sumAxis(...args), maxAxis: (...args) => p.maxAxis(...args),
    transpose: (...args) => p.transpose(...args), gemmUpper: (...args) => p.gemmUpper(...args),
  };
  plain.setGemmHook(1);
  return { kernels, arena: new Arena(kernels, end), pool: p };
}

function install(module: WebAssembly.Module, expected: KernelBuild | undefined, bytes: Uint8Array | null,
  shared: SharedBuild | null = null): Runtime {
  raiseMallocThresholds();
  const plain = instantiateKernels(module);
  const build = buildOf(plain);
  if (expected !== undefined && build !== expected) {
    throw new OptionError("init", "build", `option "build" is "${expected}" but the binary given is the "${build}" build`, [...BUILDS]);
  }
  runtime?.pool?.terminate();
  const threads = effectiveThreads(bytes);
  if (threads > 1 && bytes) {
    // A host may refuse a shared memory with a 4 GiB maximum (32-bit devices, memory
    // limits): then one thread runs, as where threads are unavailable.
    let t: ReturnType<typeof threaded> | null = null;
    try {
      shared ??= sharedBuildOf(bytes);
      if (shared) t = threaded(shared, threads);
    } catch {
      t = null;
    }
    if (t) {
      runtime = { module, kernels: t.kernels, arena: t.arena, simd: build !== "scalar", build, bytes, shared, pool: t.pool };
      return runtime;
    }
  }
  runtime = { module, kernels: plain, arena: new Arena(plain), simd: build !== "scalar", build, bytes, shared, pool: null };
  return runtime;
}

/** MATCALC_BUILD from the environment (Node, Deno, Bun), checked; undefined when unset. */
function environmentBuild(): KernelBuild | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.["MATCALC_BUILD"];
  if (value === undefined || value === "") return undefined;
  if (!(BUILDS as readonly string[]).includes(value)) {
    throw new OptionError("init", "MATCALC_BUILD",
      `environment variable MATCALC_BUILD must be one of ${BUILDS.map((b) => `"${b}"`).join(", ")}, got "${value}"`,
      [...BUILDS]);
  }
  return value as KernelBuild;
}

/** The build the user asked for (options, then MATCALC_BUILD), or undefined to detect. */
function requestedBuild(options: InitOptions): { build: KernelBuild; source: string } | undefined {
  if (options.build !== undefined && options.simd !== undefined) {
    throw new OptionError("init", "simd", 'options "build" and "simd" both choose the build: pass only "build"', Object.keys(INIT_OPTIONS));
  }
  if (options.build !== undefined) return { build: options.build, source: `init({ build: "${options.build}" })` };
  if (options.simd !== undefined) return { build: options.simd ? "simd" : "scalar", source: `init({ simd: ${options.simd} })` };
  const env = environmentBuild();
  return env === undefined ? undefined : { build: env, source: `MATCALC_BUILD=${env}` };
}

/** The build to load: the requested one if the host runs it (else an error), or the fastest. */
function pickBuild(options: InitOptions): KernelBuild {
  const asked = requestedBuild(options);
  if (asked === undefined) return BUILDS.find(supported)!;
  if (!supported(asked.build)) {
    const hint = asked.build === "relaxed-simd" ? " (Node 20 needs --experimental-wasm-relaxed-simd; Node ≥ 22 and Chromium ≥ 114 have it)" : "";
    throw new OptionError("init", asked.source.startsWith("MATCALC") ? "MATCALC_BUILD" : "build",
      `${asked.source} but this host does not support the "${asked.build}" build${hint}`, [...BUILDS]);
  }
  return asked.build;
}

/**
 * Loads the kernels. Optional in Node (the first op loads them synchronously); required once
 * in browsers before any op. Calling it again switches builds (e.g. `{ build: 'scalar' }` in
 * tests); tensors made before a switch keep their values.
 *
 * The shipped binaries sit next to the module (`dist/wasm/`) and are found through
 * `new URL("./kernels.….wasm", import.meta.url)`: Node, a plain `<script type="module">`
 * (no import map needed for them) and bundlers all resolve it. Elsewhere pass `url`, `bytes`
 * or `module`.
 *
 * @example
 * ```ts
 * import { init, kernelBuild, matrix } from "matcalc";
 * await init();                       // the fastest build the host validates
 * matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray(); // [3, 7]
 * await init({ build: "scalar" });
 * kernelBuild();                      // "scalar"
 * ```
 * @category Loading
 */
export async function init(options: InitOptions = {}): Promise<void> {
  checkOptions("init", options, INIT_OPTIONS);
  const given = [options.module, options.bytes, options.url].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new OptionError("init", "module", 'pass at most one of "module", "bytes" and "url"', Object.keys(INIT_OPTIONS));
  }
  if (given === 1) {
    // The binary decides the build; an explicit choice is checked against it.
    // (pickBuild refuses a build the host cannot run before any fetch or compile.)
    const explicit = options.build !== undefined || options.simd !== undefined ? pickBuild(options) : undefined;
    let module: WebAssembly.Module;
    let bytes: Uint8Array | null = null;
    if (options.module) module = options.module as WebAssembly.Module;
    else if (options.bytes) {
      const b = options.bytes;
      bytes = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
      module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    } else {
      const response = await fetch(options.url!);
      if (!response.ok) throw new Error(`matcalc: could not fetch ${String(options.url)} (HTTP ${response.status})`);
      bytes = new Uint8Array(await response.arrayBuffer());
      module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    }
    if (options.threads !== undefined) threadsWanted = options.threads;
    await startWorkers(install(module, explicit, bytes, await sharedAhead(bytes)));
    return;
  }
  const build = pickBuild(options);
  // A build the caller did not force may fall back to the embedded SIMD binary (see
  // kernel-files.ts); kernelBuild() then says "simd".
  const auto = options.build === undefined && options.simd === undefined;
  const loaded = await compileKernels(build, auto);
  if (options.threads !== undefined) threadsWanted = options.threads;
  await startWorkers(install(loaded.module, loaded.build, loaded.bytes, await sharedAhead(loaded.bytes)));
}

/**
 * In a browser, starts the pool's workers and waits until they are ready: they start only
 * once the page's thread yields, which a synchronous op never does. (Node's start on the
 * first large call.)
 */
async function startWorkers(r: Runtime): Promise<void> {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (r.pool && node === undefined) await r.pool.start();
}

/** The shared variant compiled asynchronously, when the runtime about to start will use it. */
async function sharedAhead(bytes: Uint8Array | null): Promise<SharedBuild | null> {
  return bytes !== null && effectiveThreads(bytes) > 1 ? sharedBuildAsync(bytes) : null;
}

/** The active runtime, loading it synchronously where the host allows. @internal */
export function rt(): Runtime {
  if (runtime) return runtime;
  const build = pickBuild({});
  const loaded = compileKernelsSync(build);
  if (!loaded) {
    throw new NotInitializedError(
      "matcalc: the kernels are not loaded yet; in a browser, `await init()` once before using any op",
    );
  }
  return install(loaded.module, build, loaded.bytes);
}

/**
 * Sets how many threads large kernel calls may use, the calling thread included: `'auto'` is
 * every logical core (at most {@link MAX_AUTO_THREADS}); 1 turns the pool off. Where threads
 * are not available (a browser page that is not cross-origin isolated, or kernels passed as
 * a compiled `module`) one thread runs, with no error: {@link threadCount} says what runs.
 * Results are the same, bit for bit, for any thread count: a large product is split by a
 * partition that depends on its shape alone. Call it between operations (not from inside a
 * transform or an optimizer's callback). Workers start on the first large call, and never
 * keep a Node process alive.
 * @example
 * ```ts
 * import { setThreads, threadCount, randn } from "matcalc";
 * setThreads(2);
 * threadCount();                 // 2 in Node (1 where threads are unavailable)
 * const a = randn([512, 512]);
 * a.matmul(a).shape;             // [512, 512], computed by two threads
 * setThreads(1);                 // the pool stops
 * ```
 * @category Loading
 */
export function setThreads(threads: "auto" | number): void {
  const problem = threadsCheck(threads);
  if (problem !== undefined) {
    throw new OptionError("setThreads", "threads", `threads must be ${problem}, got ${describe(threads)}`, ["auto", "1", "2", "…"]);
  }
  threadsWanted = threads;
  const r = runtime;
  if (r === null) return; // the first op starts the runtime with this setting
  const want = effectiveThreads(r.bytes);
  if (want === (r.pool?.threads ?? 1)) return;
  if (r.arena.active) {
    throw new OptionError("setThreads", "threads", "called while an operation is running (from a transform or a callback); call it between operations", ["auto", "1", "2", "…"]);
  }
  install(r.module, r.build, r.bytes, r.shared);
}

/**
 * How many threads large kernel calls use now, the calling thread included (loads the
 * kernels in Node if needed): 1 where threads are off or unavailable.
 * @example
 * ```ts
 * import { init, threadCount } from "matcalc";
 * await init({ threads: 2 });
 * threadCount();   // 2 in Node and in cross-origin isolated pages, else 1
 * ```
 * @category Loading
 */
export function threadCount(): number {
  return rt().pool?.threads ?? 1;
}

/**
 * Makes `r` the active runtime: src/wasm/tape.ts puts a copy whose kernels record calls (and
 * with no pool) in place while a chunk is taped, and the original back after. @internal
 */
export function swapRuntime(r: Runtime): void {
  runtime = r;
}

/** The pool of the running runtime, if any (tests of the error paths). @internal */
export function currentPool(): Pool | null {
  return rt().pool;
}

/**
 * Whether the loaded kernels use WebAssembly SIMD (the `'simd'` or `'relaxed-simd'` build;
 * loads them in Node if needed).
 * @example
 * ```ts
 * await init({ build: "scalar" });
 * usingSimd();   // false
 * await init({ build: "simd" });
 * usingSimd();   // true
 * ```
 * @category Loading
 */
export function usingSimd(): boolean {
  return rt().simd;
}

/**
 * Which kernel build runs (loads the kernels in Node if needed): `'relaxed-simd'` (f64x2 with
 * fused multiply-add in GEMM, GEMV, dot/axpy, and so in LU, Cholesky and triangular solves),
 * `'simd'` (f64x2, multiply then add) or `'scalar'`. Fused multiply-add rounds once where the
 * SIMD build rounds twice, so the two SIMD builds' results differ in the last bits (both within
 * the same error bounds); each build is bit-reproducible on a given machine.
 * @example
 * ```ts
 * await init({ build: "simd" });
 * kernelBuild();   // "simd"
 * ```
 */
export function kernelBuild(): KernelBuild {
  return rt().build;
}
