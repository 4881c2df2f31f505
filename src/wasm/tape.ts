// Taped chunks: a Jacobian or Hessian chunk's kernel calls recorded while the caller runs the
// chunk's JavaScript, then run by a worker (pool.ts, worker 1) while the caller goes on with
// the next chunk. The chunks themselves then run on different cores, each chunk's values in
// its own core's cache, which splitting each call cannot give where the calls are small
// (bench/NOTES.md, "Batched autodiff across workers" and "Chunks on workers").
//
// While a chunk is taped, the runtime's kernels are a recorder: each call that only reads and
// writes wasm memory (gemm, binary, fusedRows, …) is appended to the tape with its arguments,
// and the pool is hidden, so products are taped as the plain calls the pool's split versions
// equal bit for bit. Anything else first runs the tape so far on the caller and ends the tape
// for the rest of the chunk (a "flush"): a kernel that returns a value, JavaScript touching
// the memory through the arena's views (reading a value, a copy in JS), a full tape. Tables
// the running step writes into memory it just allocated do not flush (Arena.i32Fresh), and
// setParams gives each taped call tables of its own. So a chunk computes the same calls with
// the same arguments wherever it runs: the same bits as on one thread.
//
// Once posted, the tape's memory stays allocated until it has run: the arena waits for it
// before giving back memory the tape uses, and before JavaScript reads or writes memory.
import { rt, swapRuntime, type Runtime } from "./module.js";
import { runTapeHere, TAPE_ADD, TAPE_COPY, TAPE_MIRROR, TAPE_OPS, TAPE_ROW, type Pool } from "./pool.js";
import type { Kernels } from "./kernels.js";

/**
 * `minEntries`: entries a chunk must make (its kernels' outputs) to be taped for a worker:
 * below, its kernels take about what a worker's wake-up and the wait for it cost (tests lower
 * it to tape small problems). `workerCost`: worker 1's time for a jit chunk's tape over the
 * caller's time for running the chunk itself (1.25–1.4 measured on the MLP Hessian: the tape's
 * values come from the other core's cache and the posted chunks' memory stays allocated, so
 * the chunks run beside them touch more memory). `maxQueued`: entries (f64) the posted chunks
 * may make in all, so the memory they hold until the caller waits stays bounded (a chunk may
 * make up to 512 MiB; taped without a bound, a Hessian one thread computes could run out of
 * memory on two). `regions`: jit's tape regions (src/jit/jit.ts TapeRegions); `regionScale`
 * sizes them from the first chunk's memory (tests shrink it so that chunks outgrow them). @internal
 */
export const tapeTuning = { minEntries: 2 ** 17, workerCost: 1.3, maxQueued: 2 ** 25, regions: true, regionScale: 1 };

/**
 * Whether a chunk making `work` entries is worth taping for worker 1 when chunks making
 * `queued` entries are posted and not waited for, and those after it make `after`: with it,
 * the worker's queue (at `cost` times the caller's speed) ends no later than the caller's work
 * would without it, and the posted chunks' memory stays within `maxQueued`. (Wherever the
 * chunk runs, its calls are the same: this only moves time, never the bits.)
 */
export function worthTaping(work: number, queued: number, after: number, cost: number): boolean {
  return work >= tapeTuning.minEntries && queued + work <= tapeTuning.maxQueued && cost * (queued + work) <= work + after;
}

interface Recording {
  base: Runtime;
  pool: Pool;
  slot: number;
  buf: Float64Array;
  len: number;
}

let recording: Recording | null = null;
/** The posted tapes, oldest first: pool, slot, and the arena top when posted (they use memory below). */
const flights: { pool: Pool; slot: number; top: number }[] = [];
/** The highest top of the posted tapes (−1: none). */
let flightTop = -1;
const recorders = new WeakMap<Kernels, Kernels>();

/** Counts for tests and the bench: chunks posted (those into jit's tape regions apart), and flushes by reason. @internal */
export const tapeStats = { posted: 0, inRegion: 0, flushes: 0, reasons: {} as Record<string, number> };

function append(op: number, args: readonly number[]): void {
  const r = recording!;
  if (r.len + TAPE_ROW > r.buf.length) {
    flush("tape full");
    return;
  }
  const o = r.len;
  r.buf[o] = op;
  for (let i = 0; i < args.length; i++) r.buf[o + 1 + i] = args[i]!;
  r.len = o + TAPE_ROW;
}

/** The recording kernels for `base`: deferrable calls append, the others flush first. */
function recorder(base: Kernels): Kernels {
  let k = recorders.get(base);
  if (k !== undefined) return k;
  const rec: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(base)) {
    if (typeof v !== "function") {
      rec[name] = v;
      continue;
    }
    const op = (TAPE_OPS as Record<string, number>)[name];
    rec[name] = op !== undefined
      ? (...args: number[]) => {
        append(op, args);
        // A full tape flushed: the call runs now, on the caller.
        if (recording === null) (base as unknown as Record<string, (...a: number[]) => void>)[name]!(...args);
      }
      : (...args: number[]) => {
        flush(name);
        return (base as unknown as Record<string, (...a: number[]) => unknown>)[name]!(...args);
      };
  }
  k = rec as unknown as Kernels;
  recorders.set(base, k);
  return k;
}

/**
 * Starts taping the chunk about to run, when a worker can take it: threads, workers started,
 * no tape recorded or in flight. Returns whether it did; pair with {@link postTape} (or
 * {@link abortTape} on an error).
 */
export function beginTape(): boolean {
  if (recording !== null) return false;
  const base = rt();
  const pool = base.pool;
  if (pool === null) return false;
  const slot = pool.freeTapeSlot();
  if (slot < 0) return false;
  recording = { base, pool, slot, buf: pool.tapeBuffer(slot), len: 0 };
  swapRuntime({ ...base, kernels: recorder(base.kernels), pool: null });
  // (A posted tape's reuse guard stays: this chunk's memory lies above it.)
  base.arena.guard = guardRecording;
  base.arena.freshParams = true;
  return true;
}

/** Whether another chunk may be taped while the posted ones run. */
export function tapeSlotFree(): boolean {
  const pool = rt().pool;
  return recording === null && pool !== null && pool.freeTapeSlot() >= 0;
}

/** Whether a chunk is being taped (and has not flushed). @internal */
export function taping(): boolean {
  return recording !== null;
}

function stopRecording(): Recording {
  const r = recording!;
  recording = null;
  swapRuntime(r.base);
  r.base.arena.guard = flights.length > 0 ? inFlightGuard : null;
  r.base.arena.freshParams = false;
  return r;
}

/**
 * While tapes run, JavaScript may touch memory above theirs (the chunks run here meanwhile)
 * but nothing below: that waits.
 */
function inFlightGuard(lo: number): void {
  if (lo < flightTop) settleTape();
}

function reuseGuard(mark: number): void {
  if (mark < flightTop) settleTape();
}

function guardRecording(): void {
  flush("memory read from JavaScript");
}

/** Runs the tape so far on the caller and ends taping for the rest of the chunk. */
function flush(reason: string): void {
  if (recording === null) return;
  const r = stopRecording();
  tapeStats.flushes++;
  tapeStats.reasons[reason] = (tapeStats.reasons[reason] ?? 0) + 1;
  runTapeHere(r.base.kernels, r.buf, r.len);
}

/** Drops a tape whose chunk failed (its values are never read). */
export function abortTape(): void {
  if (recording !== null) stopRecording();
}

/**
 * Hands the taped chunk to worker 1 and returns true; false when the chunk flushed (it ran on
 * the caller). Memory below the arena's top now stays allocated until {@link settleTape}.
 */
export function postTape(): boolean {
  if (recording === null) return false;
  const r = stopRecording();
  const arena = r.base.arena;
  r.pool.postTape(r.slot, r.len);
  tapeStats.posted++;
  const top = arena.mark();
  flights.push({ pool: r.pool, slot: r.slot, top });
  flightTop = Math.max(flightTop, top);
  arena.guard = inFlightGuard;
  arena.reuseGuard = reuseGuard;
  return true;
}

/** The slot of the tape posted last (−1: none in flight). @internal */
export function lastPostedSlot(): number {
  return flights.length === 0 ? -1 : flights[flights.length - 1]!.slot;
}

/** Whether a posted tape has not been waited for. */
export function tapeInFlight(): boolean {
  return flights.length > 0;
}

/**
 * Waits for the posted tapes, if any, oldest first; a tape that failed in the worker throws
 * its WorkerError here, after the others were waited for too (the arena is then free to reuse
 * the memory: nothing runs any more).
 */
export function settleTape(): void {
  if (flights.length === 0) return;
  const all = flights.splice(0);
  flightTop = -1;
  const arena = rt().arena;
  arena.guard = recording !== null ? guardRecording : null;
  arena.reuseGuard = null;
  let failed: unknown = null;
  // Those worker 1 has not started are run here, newest first (it takes the oldest first).
  for (let i = all.length - 1; i > 0; i--) {
    try {
      all[i]!.pool.takeTape(all[i]!.slot);
    } catch (e) {
      failed ??= e;
    }
  }
  for (const f of all) {
    try {
      f.pool.waitTape(f.slot);
    } catch (e) {
      failed ??= e;
    }
  }
  if (failed !== null) throw failed;
}

/** Tapes a memmove of n f64 from src to dst (byte pointers); false when not taping. */
export function tapeCopy(dst: number, src: number, n: number): boolean {
  if (recording === null) return false;
  append(TAPE_COPY, [dst, src, n]);
  return recording !== null;
}

/** Tapes dst[i] += src[i] for n f64; false when not taping. */
export function tapeAdd(dst: number, src: number, n: number): boolean {
  if (recording === null) return false;
  append(TAPE_ADD, [dst, src, n]);
  return recording !== null;
}

/** Tapes mirrorTriangle (exec.ts) of the n × n matrix at ptr; false when not taping. */
export function tapeMirror(ptr: number, n: number, fromUpper: boolean): boolean {
  if (recording === null) return false;
  append(TAPE_MIRROR, [ptr, n, fromUpper ? 1 : 0]);
  return recording !== null;
}
