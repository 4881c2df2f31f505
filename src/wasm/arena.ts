// The arena: a bump allocator over the kernel module's linear memory, kept in JavaScript so
// that running out of memory is a typed error here rather than a trap inside a kernel.
//
// Lifetime model: a top-level call (an eager op, or a transform such as grad) opens a scope;
// everything allocated inside lives until the outermost scope closes, when the whole arena is
// released at once and the epoch advances. Memory is never returned to the host, so a
// program that repeats the same calls reaches a high-water mark and stops growing.
import type { Kernels } from "./kernels.js";
import { MemoryLimitError } from "../errors.js";

const PAGE = 65536;
/** i32 slots in the parameter block: three tables of up to 8 dims each, and room to spare. */
export const PARAM_SLOTS = 64;
/** Bytes the resident cache may hold before it is flushed and refilled. */
const RESIDENT_BUDGET = 64 * 2 ** 20;
/** Smallest tensor worth keeping resident (smaller ones copy in faster than they'd save). */
export const RESIDENT_MIN_ENTRIES = 256;

/** A JS-owned array that wants a resident copy; implemented by Tensor. */
export interface ResidentCandidate {
  readonly _buf: Float64Array | null;
  _resPtr: number;
  _resGen: number;
}
/** wasm32 addresses 4 GiB; V8 caps a memory at 65536 pages. */
const MAX_BYTES = 65536 * PAGE;

/**
 * Epochs are global (not per arena) so that a pointer cached against one arena can never be
 * mistaken as valid in another one after `init()` switches builds.
 */
let nextEpoch = 1;

/** @internal */
export class Arena {
  private readonly base: number;
  private top: number;
  /**
   * Layout: [params | resident cache | transient allocations]. The resident cache holds
   * copies of JS-owned tensors that keep coming back (a data matrix an objective closes over),
   * so each call does not copy them in again. It only changes while the arena is idle.
   */
  private residentTop: number;
  /** Identifies the resident cache's contents; bumps when it is flushed. Global, like epochs. */
  residentGen = nextEpoch++;
  private readonly pending = new Set<ResidentCandidate>();
  private depth = 0;
  /** Identifies the current generation of allocations; bumps when the arena is released. */
  epoch = nextEpoch++;
  private f64View = new Float64Array(0);
  private i32View = new Int32Array(0);
  /**
   * The views' length in bytes, kept as a number: a typed array's `byteLength` is a builtin
   * call in Node 20, never inlined (unlike `length`), and every allocation reads it.
   */
  private viewBytes = 0;

  /**
   * A permanent block for kernel parameters (shape and stride tables), so passing them costs
   * no allocation. Holds {@link PARAM_SLOTS} i32 values.
   */
  readonly params: number;

  /**
   * @param start Where the arena begins: the module's heap base, or above the scratch regions
   * the thread pool reserves there.
   */
  constructor(readonly kernels: Kernels, start = kernels.heapBase()) {
    this.params = start;
    this.paramPtrs = [this.params, this.params + 64, this.params + 128];
    this.base = this.params + PARAM_SLOTS * 4;
    this.residentTop = this.base;
    this.top = this.base;
    this.refresh(kernels.memory.buffer);
  }

  /** Bytes of transient allocations (0 whenever no top-level call is running). */
  get used(): number {
    return this.top - this.residentTop;
  }

  /** Bytes held by the resident cache. */
  get residentBytes(): number {
    return this.residentTop - this.base;
  }

  /** Asks for a resident copy of `t`, made when the arena is next idle. */
  wantResident(t: ResidentCandidate): void {
    if (this.pending.size < 64) this.pending.add(t);
  }

  /** Size of the whole linear memory in bytes (grows, never shrinks). */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /** Allocates `count` float64 slots (16-byte aligned) and returns the byte pointer. */
  alloc(count: number, op = "alloc"): number {
    return this.allocBytes(count * 8, op);
  }

  /** Allocates raw bytes, 16-byte aligned. */
  allocBytes(bytes: number, op = "alloc"): number {
    return this.bump(bytes, op, false);
  }

  private bump(bytes: number, op: string, resident: boolean): number {
    const ptr = resident ? this.residentTop : this.top;
    // Plain arithmetic, not `& ~15`: bitwise ops are 32-bit and would wrap sizes ≥ 2 GiB.
    const end = ptr + Math.ceil(bytes / 16) * 16;
    if (!Number.isSafeInteger(end) || end > MAX_BYTES) throw new MemoryLimitError(op, bytes);
    if (end > this.ceiling) {
      // A chunk taped into a tape region outgrew it: the rest of its memory goes above the
      // caller's (jit.ts then moves the caller's top past it).
      this.ceiling = Infinity;
      this.top = this.spillTo;
      return this.bump(bytes, op, resident);
    }
    // The views' length is the memory's (refresh follows every growth); reading
    // `memory.buffer` instead is a slow getter, read thousands of times in a Hessian's replay.
    const have = this.viewBytes;
    if (end > have) {
      const memory = this.kernels.memory;
      const need = Math.ceil((end - have) / PAGE);
      // Geometric steps: a Hessian's first call grows memory to its high-water mark, and one
      // grow per allocation (a thousand of them) was most of that call's time.
      const step = Math.max(need, Math.min(Math.ceil(have / PAGE / 2), MAX_BYTES / PAGE - have / PAGE));
      try {
        memory.grow(step);
      } catch {
        try {
          memory.grow(need);
        } catch {
          throw new MemoryLimitError(op, bytes);
        }
      }
      // Growth detaches every view of the old buffer; kernels never grow memory themselves
      // (no allocator inside wasm), so this is the only place views can go stale.
      this.refresh(memory.buffer);
    }
    if (resident) this.residentTop = end;
    this.top = Math.max(this.top, end);
    return ptr;
  }

  /**
   * Called before JavaScript touches the memory through {@link f64}, {@link i32} or
   * {@link view} while a chunk's kernel calls are taped (src/wasm/tape.ts): the tape so far
   * runs first, or the tape a worker runs is waited for. Null otherwise.
   */
  guard: ((lo: number, hi: number) => void) | null = null;
  /**
   * Called before memory is given back ({@link rewind} to `mark`, {@link release} with −1)
   * while a worker runs a tape: it waits for the tape when the memory given back is some the
   * tape uses.
   */
  reuseGuard: ((mark: number) => void) | null = null;
  /**
   * While a chunk is taped its calls run later, so each call's shape and stride tables need
   * memory of their own: {@link setParams} allocates them instead of reusing its block.
   */
  freshParams = false;

  /** A Float64Array over the whole memory (re-created whenever the arena grows it). */
  f64(): Float64Array {
    if (this.guard !== null) this.guard(0, Infinity);
    return this.f64View;
  }

  /**
   * The Float64Array over the whole memory, for JavaScript that touches bytes lo … hi − 1 only
   * (a posted tape that uses none of them is not waited for).
   */
  f64Range(lo: number, hi: number): Float64Array {
    if (this.guard !== null) this.guard(lo, hi);
    return this.f64View;
  }

  /** An Int32Array over the whole memory. */
  i32(): Int32Array {
    if (this.guard !== null) this.guard(0, Infinity);
    return this.i32View;
  }

  /**
   * The Int32Array view for writing tables into memory allocated by the running step itself
   * (nothing else reads or writes it yet, so a taped chunk need not run first).
   */
  i32Fresh(): Int32Array {
    return this.i32View;
  }

  /** The Float64Array view for writing into memory the running step allocated (see i32Fresh). */
  f64Fresh(): Float64Array {
    return this.f64View;
  }

  /** Moves the top up to `top` (memory a posted tape still uses stays allocated). */
  raiseTo(top: number): void {
    this.top = Math.max(this.top, top);
  }

  /** Writes up to three i32 tables into the parameter block; returns their pointers. */
  setParams(a: readonly number[], b: readonly number[], c: readonly number[]): readonly [number, number, number] {
    if (this.freshParams) return this.freshParamBlock(a, b, c);
    const v = this.i32View;
    const base = this.params >>> 2;
    for (let i = 0; i < a.length; i++) v[base + i] = a[i]!;
    for (let i = 0; i < b.length; i++) v[base + 16 + i] = b[i]!;
    for (let i = 0; i < c.length; i++) v[base + 32 + i] = c[i]!;
    return this.paramPtrs;
  }
  /** The three tables' pointers (fixed: one array for every call, which only reads it). */
  private readonly paramPtrs: readonly [number, number, number];

  /** setParams' tables in a block of their own (a taped call's). */
  private freshParamBlock(a: readonly number[], b: readonly number[], c: readonly number[]): readonly [number, number, number] {
    const n = Math.max(a.length, b.length, c.length);
    const p = this.allocBytes(12 * n, "params");
    const v = this.i32View, base = p >>> 2;
    for (let i = 0; i < a.length; i++) v[base + i] = a[i]!;
    for (let i = 0; i < b.length; i++) v[base + n + i] = b[i]!;
    for (let i = 0; i < c.length; i++) v[base + 2 * n + i] = c[i]!;
    return [p, p + 4 * n, p + 8 * n];
  }

  /** A live view of `count` float64 at `ptr`; invalid after the next allocation that grows memory. */
  view(ptr: number, count: number): Float64Array {
    return this.f64Range(ptr, ptr + 8 * count).subarray(ptr >>> 3, (ptr >>> 3) + count);
  }

  /** Copies `src` into a fresh arena block and returns its pointer. */
  put(src: ArrayLike<number>, op = "alloc"): number {
    const n = src.length;
    const ptr = this.alloc(n, op);
    const f64 = this.f64View;
    // For a few entries a loop is cheaper than `set`'s call (eager ops copy small operands in).
    if (n <= 16) for (let i = 0, p = ptr >>> 3; i < n; i++) f64[p + i] = src[i]!;
    else f64.set(src, ptr >>> 3);
    return ptr;
  }

  /** Copies small i32 arrays (shapes, strides) into the arena. */
  putI32(src: ArrayLike<number>): number {
    const ptr = this.allocBytes(src.length * 4);
    this.i32View.set(src, ptr >>> 2);
    return ptr;
  }

  /** Whether a scope is open (some top-level call is running). */
  get active(): boolean {
    return this.depth > 0;
  }

  /** True inside the outermost scope only: the point where results must leave the arena. */
  depthIsOutermost(): boolean {
    return this.depth === 1;
  }

  /** Opens a scope. Pair with {@link exit} in a `finally`. */
  enter(): void {
    this.depth++;
  }

  /** Closes a scope; closing the outermost one releases everything allocated. */
  exit(): void {
    if (this.depth === 0) return;
    if (--this.depth === 0) this.release();
  }

  /**
   * Epochs retired by {@link rewind} during the running call, each with the address below
   * which its blocks are still valid.
   */
  private readonly kept = new Map<number, number>();

  /**
   * Address ranges given back for reuse during the running call without a rewind, by
   * {@link retire}: blocks of the epochs up to `upTo` in [lo, hi) read as released.
   */
  private readonly holes: { upTo: number; lo: number; hi: number }[] = [];

  /** Whether a block allocated at `ptr` during `epoch` is still valid. */
  live(epoch: number, ptr: number): boolean {
    if (epoch === this.epoch) return true;
    const below = this.kept.get(epoch);
    if (below === undefined || ptr >= below) return false;
    if (this.holes.length === 0) return true;
    for (const h of this.holes) if (epoch <= h.upTo && ptr >= h.lo && ptr < h.hi) return false;
    return true;
  }

  /**
   * Gives back [lo, hi) below the top for reuse while everything else stays allocated: every
   * block now in the range reads as released (a JS-owned tensor's cached copy there is simply
   * made again), every other block stays valid. jit's tape regions (src/jit/jit.ts) place a
   * chunk in a range a finished tape used, with {@link moveTop}.
   */
  retire(lo: number, hi: number): void {
    if (!this.kept.has(this.epoch)) this.kept.set(this.epoch, Infinity);
    this.holes.push({ upTo: this.epoch, lo, hi });
    this.epoch = nextEpoch++;
  }

  /**
   * Moves the top to `top` without giving anything back or retiring it: the allocations after
   * it go there (into a range {@link retire} gave back), and the old top is restored after.
   */
  moveTop(top: number): void {
    this.top = top;
  }

  /**
   * While a chunk is taped into a tape region (src/jit/jit.ts): the region's end, which no
   * allocation may cross (the other region's tape may be running above it), and where the
   * allocations go on instead once one would (the caller's top, above every region).
   */
  ceiling = Infinity;
  spillTo = 0;

  /** The current top of the transient allocations, to {@link rewind} to later. */
  mark(): number {
    return this.top;
  }

  /**
   * Frees what the running call allocated since `mark` (jacobian does this between chunks,
   * having copied each chunk's block out). Blocks below the mark stay valid; tensors whose
   * blocks lie above it read as released, and JS-owned ones are simply copied in again.
   */
  rewind(mark: number): void {
    if (this.reuseGuard !== null) this.reuseGuard(mark);
    for (const [e, below] of this.kept) if (below > mark) this.kept.set(e, mark);
    this.kept.set(this.epoch, mark);
    this.epoch = nextEpoch++;
    this.top = mark;
  }

  /** Releases all transient allocations now (also used to recover after an error). */
  release(): void {
    let failed: unknown = null;
    if (this.reuseGuard !== null) {
      // Released either way (a tape that failed leaves nothing running); its error after.
      try {
        this.reuseGuard(-1);
      } catch (e) {
        failed = e;
      }
    }
    this.releaseNow();
    if (failed !== null) throw failed;
  }

  private releaseNow(): void {
    this.top = this.residentTop;
    this.epoch = nextEpoch++;
    // Clearing a Map allocates a fresh table even when empty; every eager op ends here.
    if (this.kept.size > 0) this.kept.clear();
    if (this.holes.length > 0) this.holes.length = 0;
    this.ceiling = Infinity;
    if (this.pending.size > 0) this.admitPending();
  }

  /** Copies the tensors that asked for residency into the cache (the arena is idle now). */
  private admitPending(): void {
    for (const t of this.pending) {
      if (!t._buf || t._resGen === this.residentGen) continue;
      const bytes = t._buf.length * 8;
      if (bytes > RESIDENT_BUDGET) continue;
      if (this.residentBytes + bytes > RESIDENT_BUDGET) {
        // Flush wholesale: every resident pointer becomes stale; hot tensors come back.
        this.residentTop = this.base;
        this.top = this.base;
        this.residentGen = nextEpoch++;
      }
      let ptr: number;
      try {
        ptr = this.bump(bytes, "resident", true);
      } catch {
        continue; // no room: the tensor simply stays non-resident
      }
      this.f64View.set(t._buf, ptr >>> 3);
      t._resPtr = ptr;
      t._resGen = this.residentGen;
    }
    this.pending.clear();
    this.top = this.residentTop;
  }

  // A threaded runtime's memory is shared: its buffer is a SharedArrayBuffer, which typed
  // arrays view alike (and growth does not detach: views just keep their old length).
  private refresh(buf: ArrayBuffer | SharedArrayBuffer): void {
    // Typed as over an ArrayBuffer for the code that reads them: nothing here or there uses
    // what differs (transfer, resize), and copies out (slice, set) are ordinary arrays.
    this.f64View = new Float64Array(buf as ArrayBuffer);
    this.i32View = new Int32Array(buf as ArrayBuffer);
    this.viewBytes = this.f64View.byteLength;
  }
}
