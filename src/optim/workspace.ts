// Wasm memory for one optimization run's vectors.
//
// The optimizers' O(n) loops (vec.ts) are bound by memory traffic, and as wasm SIMD kernels
// they run several times faster than in JavaScript; but a kernel only sees its instance's
// linear memory. The live runtime's arena cannot hold a run's vectors: the run releases it
// between evaluations (session.ts), and f's own ops grow it, which detaches every
// Float64Array view on the old buffer. So a run takes a second instance of the same compiled
// module for itself, grows that instance's memory once, before making any view, to what the
// method says it needs, and never again while it holds it: the views stay valid for the
// whole run. At the end the instance goes back to a pool for the next run (instantiated
// once, reused forever; a run nested in a callback or in f simply takes another one).
//
// Nothing a user can keep may be a view on this memory: the next run that reuses the
// instance overwrites it, and a growth detaches it. Results and callback states copy.
import { instantiateKernels, rt } from "../wasm/module.js";
import type { Kernels } from "../wasm/kernels.js";

/** Where a method gets its zeroed float64 vectors. */
export interface VecSource {
  /** A zeroed vector of length n. */
  vec(n: number): Float64Array;
  /** The allocation point, to {@link VecSource.rewind} to when scratch vectors are done with. */
  mark(): number;
  /** Frees every vector handed out since `mark` (they must no longer be used). */
  rewind(mark: number): void;
}

/** Plain JavaScript arrays: for callers without a workspace (tests, leastSquares). */
export const HEAP: VecSource = { vec: (n) => new Float64Array(n), mark: () => 0, rewind: () => {} };

const PAGE = 65536;
/** At most this much memory per workspace (16 Mi float64); vectors beyond it are plain arrays. */
const MAX_BYTES = 128 * 2 ** 20;
/** The most float64 a workspace holds: estimates above it are better left out (see bfgs). */
export const MAX_FLOATS = MAX_BYTES / 8;
/** Instances whose memory grew past this are dropped at release rather than pooled. */
const KEEP_BYTES = 16 * 2 ** 20;
/** Idle instances kept for reuse (more only after nested runs). */
const MAX_IDLE = 4;

/**
 * A vector in a workspace: a Float64Array view on the instance's memory that also carries its
 * workspace and byte address, so vec.ts can tell in a couple of property loads whether a
 * call's arrays can go to the kernels (the `buffer` and `byteOffset` getters are slow next to
 * a property load).
 */
export class WsVector extends Float64Array {
  // Copies and sub-views (slice, subarray, map, …) are plain Float64Arrays: a copy must not
  // claim an address, and a sub-view is not worth tracking.
  static get [Symbol.species](): Float64ArrayConstructor {
    return Float64Array;
  }

  constructor(
    buffer: ArrayBuffer,
    /** Byte offset in the workspace's memory: the pointer kernels take. */
    readonly ptr: number,
    length: number,
    readonly ws: Workspace,
  ) {
    super(buffer, ptr, length);
  }
}

let poolModule: WebAssembly.Module | null = null;
let idle: Kernels[] = [];

/**
 * A run's bump allocator over a dedicated kernel instance. Acquire it with the number of
 * float64 the run will need, hand out vectors with {@link Workspace.vec}, and release it in a
 * `finally` when the run ends.
 */
export class Workspace implements VecSource {
  /** The instance's kernels while the run holds it; null once released. */
  kernels: Kernels | null;
  private top: number;
  private readonly end: number;
  private readonly buffer: ArrayBuffer;

  private constructor(
    private readonly instance: Kernels,
    private readonly module: WebAssembly.Module,
    floats: number,
  ) {
    this.kernels = instance;
    const base = instance.heapBase();
    const memory = instance.memory;
    const want = base + Math.min(Math.max(0, Math.ceil(floats)) * 8, MAX_BYTES);
    const have = memory.buffer.byteLength;
    if (want > have) {
      // Out of memory is not an error here: vec() falls back to plain arrays.
      try {
        memory.grow(Math.ceil((want - have) / PAGE));
      } catch {
        /* keep the memory there is */
      }
    }
    this.buffer = memory.buffer;
    this.top = base;
    this.end = this.buffer.byteLength;
  }

  /**
   * A workspace with room for `floats` float64 (count each vector rounded up to an even
   * length: vectors are 16-byte aligned). An underestimate only costs speed.
   */
  static acquire(floats: number): Workspace {
    const module = rt().module;
    if (module !== poolModule) {
      // init() switched builds: the pooled instances are of the old one.
      poolModule = module;
      idle = [];
    }
    return new Workspace(idle.pop() ?? instantiateKernels(module), module, floats);
  }

  /** A zeroed vector of length n: a view on this workspace's memory, or a plain array once it is full. */
  vec(n: number): Float64Array {
    const bytes = (n * 8 + 15) & ~15;
    if (!this.kernels || this.top + bytes > this.end) return new Float64Array(n);
    const v = new WsVector(this.buffer, this.top, n, this);
    v.fill(0);
    this.top += bytes;
    return v;
  }

  mark(): number {
    return this.top;
  }

  rewind(mark: number): void {
    if (mark <= this.top) this.top = mark;
  }

  /** Ends the run's use of the memory; the instance goes back to the pool. Idempotent. */
  release(): void {
    if (!this.kernels) return;
    this.kernels = null;
    if (this.module === poolModule && idle.length < MAX_IDLE && this.end <= KEEP_BYTES) idle.push(this.instance);
  }
}

/** Float64 a workspace needs for `count` vectors of length n (each rounded up to even). */
export function vectorFloats(count: number, n: number): number {
  return count * (n + (n & 1));
}
