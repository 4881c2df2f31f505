// The thread pool: workers that each hold an instance of the kernel module on the calling
// thread's shared memory, and run shares of one kernel call while the caller runs its own.
//
// Protocol (one job at a time, the caller always takes part): the caller writes the job's
// arguments into a shared control block, bumps the job number and wakes the workers; then
// everyone, caller included, claims tasks from one atomic counter until none are left. A
// worker takes part only by joining the job through its gate while it is open; each worker
// that joined acknowledges the job when it finds no task left. When the caller finds none left
// it closes the gate and returns once every worker that joined has acknowledged: a worker
// that had not woken yet (under load a wake waits for a core) holds nothing up, and when it
// wakes it finds the gate closed and touches nothing. A task's result does not depend on who runs it or in what order
// (each task writes its own part of the output, computed by the same kernel on the same
// operands), and the tasks themselves are a function of the call's shape alone (but GEMM's
// column panels, whose width follows the thread count too: a panel of any width computes each
// entry by the whole call's operations): so the bits are the same for any number of threads,
// and whether a task runs in a worker or in the caller only changes the time.
//
// Node waits with Atomics.wait on both sides, after a short bounded spin (an idle worker's
// between jobs, the caller's for the acks) that a load check turns off while the host's cores
// are taken; a notify goes only to a thread that sleeps. A browser's main thread may not
// block: there the caller spins on Atomics.load while the workers finish (they sleep between
// jobs at once: a page cannot see the host's load).
// Workers are unref'd (Node): idle workers never keep a process alive.
import { WorkerError } from "../errors.js";
import type { Kernels } from "./kernels.js";
import { MEM_RUNS, addRun, copyRun, mirrorSquare, type MemRuns } from "./memruns.js";

// ---- control block (Int32 slots) ----
const SEQ = 0; // job number
const NEXT = 1; // next task to claim
const NTASKS = 2;
const ACKS = 4; // workers that finished the job
const ERR = 5; // 1-based id of the first worker that failed, 0 if none
const ERRLEN = 6;
const FAULT = 7; // test hook: what the next job's workers should do wrong
const STOP = 8;
const WORKER_TASKS = 9; // tasks run by workers, ever (tests check the workers really work)
const READY = 10; // workers that have started
const SLEEPERS = 12; // workers in (or about to enter) Atomics.wait for a job
const CALLER_WAITS = 13; // 1 while the caller sleeps on ACKS
const SPIN_US = 14; // how long an idle worker spins before it sleeps (µs)
/**
 * 1 while the caller runs a Jacobian's chunks and may post tapes: worker 1 keeps spinning for
 * the next one (up to TAPE_SPIN_MS) instead of sleeping. A sleeping worker woken for a tape
 * is often put on the caller's own core and preempts it for about the tape's length (the
 * scheduler's wake-up placement), which costs what the tape was to save.
 */
const TAPES_HOT = 15;
/**
 * The job's gate: (job number mod 2^22) << 9 | CLOSED | workers that joined. A worker takes
 * part in a job only by joining it while it is open; the caller closes it when no task is left
 * and then waits for the workers that joined, not for ones that have not woken yet.
 */
const GATE = 11;
const GATE_CLOSED = 256;
const GATE_JOB = 0x3fffff;
const TEXT = 64; // byte offset of a failing worker's message
const TEXT_BYTES = 1024;
const TABLE = TEXT + TEXT_BYTES; // byte offset of the task table
/** A task: an op code and up to 13 arguments (f64). */
const ROW = 14;
const MAX_TASKS = 1024;
const CONTROL_BYTES = TABLE + MAX_TASKS * ROW * 8;
const OP_GEMM = 1;
const OP_UNARY = 4;
const OP_GEMV = 5;
const OP_ROWBLOCKS = 6;
const OP_BINARY = 11;
const OP_FUSED = 12;
const OP_SUM_AXIS = 13;
const OP_MAX_AXIS = 14;
const OP_TRANSPOSE = 15;
const OP_GEMM_UPPER = 16;
// getrf's steps (assembly/lu.ts): the look-ahead task, a column range's update, left swaps.
const OP_LU_NEXT = 20;
const OP_LU_UPDATE = 21;
const OP_LU_SWAP = 22;
// potrf's steps (assembly/cholesky.ts): the look-ahead task, a column range's update.
const OP_CHOL_NEXT = 23;
const OP_CHOL_UPDATE = 24;
/**
 * Bytes of each thread's task area (after its kernel scratch): where a task of a batched
 * entrywise call writes the shape, pointer and cursor tables of its block, and a fused
 * program's temporaries (2 KiB each), none of which the call's own tables can serve for two
 * blocks at once.
 */
export const TASK_AREA_BYTES = 64 * 1024;
/** The tape buffer: a 2 KiB header (state words, a failing tape's message), then its rows. */
const TAPE_HEADER = 2048;
const TAPE_BYTES = TAPE_HEADER + 4 * 2 ** 20;
/**
 * Tape slots: one running, and the next ones ready for when it ends; enough for worker 1's
 * share of a Hessian's chunks to be posted up front (bench/NOTES.md, "Session 27").
 */
const TAPE_SLOTS = 6;

function newTapeBuffers(): SharedArrayBuffer[] {
  return Array.from({ length: TAPE_SLOTS }, () => new SharedArrayBuffer(TAPE_BYTES));
}

/** Injected faults (tests only): a JavaScript exception, a wasm trap, a worker that stops. */
export type PoolFault = "throw" | "trap" | "exit";
const FAULTS: Record<PoolFault, number> = { throw: 1, trap: 2, exit: 3 };

/** The kernels a task may call. */
type TaskKernels = Kernels & {
  luNext(m: number, j: number, jb: number, nc: number, jbn: number, a: number, lda: number, ipiv: number): void;
  luUpdate(m: number, j: number, jb: number, c0: number, nc: number, a: number, lda: number, ipiv: number): void;
  luSwap(j: number, jb: number, c0: number, nc: number, a: number, lda: number, ipiv: number): void;
  luStep(m: number, n: number, j: number, jb: number, jbn: number, a: number, lda: number, ipiv: number): void;
  cholNext(n: number, j: number, jb: number, nc: number, jbn: number, a: number, lda: number): number;
  cholUpdate(n: number, j: number, jb: number, c0: number, nc: number, a: number, lda: number): void;
  cholStep(n: number, j: number, jb: number, jbn: number, a: number, lda: number): number;
  /** Rows r0 … r1 − 1 of transpose(m, n, a, out) (assembly/transpose.ts). */
  transposeRows(m: number, n: number, a: number, out: number, r0: number, r1: number): void;
};

/**
 * Task t of the table: runs in the caller and (as source text) in every worker, so it must use
 * nothing but its arguments. Row t is [op, arguments…]: op 1 gemm (13 arguments), op 4 unary
 * (4 arguments), op 5 gemv (11 arguments), op 6 a range of row blocks of a fused pass (see
 * {@link RowBlocksJob}), op 11 binary and op 12 fusedRows on a block of their outermost
 * dimension (10 arguments each, the call's own plus the block's start and extent), op 13
 * sumAxis and op 14 maxAxis (5 arguments), op 15 transposeRows (6 arguments), op 16 gemmUpper
 * (12 arguments), ops 20–22 getrf's luNext (8), luUpdate (8) and luSwap (7), ops 23–24
 * potrf's cholNext and cholUpdate (7 each).
 * `area` is the running thread's task area (TASK_AREA_BYTES).
 */
function runTask(K: TaskKernels, x: Float64Array, t: number, area: number): void {
  const o = t * 14;
  if (x[o] === 11 || x[o] === 12) {
    // A block of rows [start, start + count) of the outermost dimension: the call's shape
    // with that extent, each operand's pointer moved to the block (dim 0 runs, and so every
    // entry's operations, are those of the whole call).
    const i32 = new Int32Array(K.memory.buffer);
    const bin = x[o] === 11;
    const rank = x[o + (bin ? 2 : 1)]!, shape = x[o + (bin ? 3 : 2)]!;
    const start = x[o + 9]!, count = x[o + 10]!;
    let inner = 1;
    for (let d = 0; d < rank; d++) {
      const e = i32[(shape >>> 2) + d]!;
      i32[(area >>> 2) + d] = d === rank - 1 ? count : e;
      if (d < rank - 1) inner *= e;
    }
    if (bin) {
      const sa = x[o + 5]!, sb = x[o + 7]!;
      const a = x[o + 4]! + 8 * start * i32[(sa >>> 2) + rank - 1]!;
      const b = x[o + 6]! + 8 * start * i32[(sb >>> 2) + rank - 1]!;
      K.binary(x[o + 1]!, rank, area, a, sa, b, sb, x[o + 8]! + 8 * start * inner);
    } else {
      const nMem = x[o + 3]!, base = x[o + 4]!, strides = x[o + 5]!;
      const b2 = area + 32, cur = b2 + 4 * nMem, temps = (cur + 4 * nMem + 15) & ~15;
      for (let v = 0; v < nMem; v++) {
        i32[(b2 >>> 2) + v] = i32[(base >>> 2) + v]! + 8 * start * i32[(strides >>> 2) + v * rank + rank - 1]!;
      }
      K.fusedRows(rank, area, nMem, b2, strides, x[o + 6]!, x[o + 7]!, temps, cur);
    }
  } else if (x[o] === 16) {
    K.gemmUpper(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!,
      x[o + 9]!, x[o + 10]!, x[o + 11]!, x[o + 12]!);
  } else if (x[o] === 15) {
    K.transposeRows(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!);
  } else if (x[o] === 13) {
    K.sumAxis(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!);
  } else if (x[o] === 14) {
    K.maxAxis(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!);
  } else if (x[o] === 1) {
    K.gemm(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!,
      x[o + 9]!, x[o + 10]!, x[o + 11]!, x[o + 12]!, x[o + 13]!);
  } else if (x[o] === 4) {
    K.unary(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!);
  } else if (x[o] === 5) {
    K.gemv(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!,
      x[o + 9]!, x[o + 10]!, x[o + 11]!);
  } else if (x[o] === 6) {
    // Blocks b0 ≤ b < b1 of a fused row-block pass: its program is `steps` rows of this table
    // from row `prog`; four i32 at `par` are [rows, rows of the last block, 1, 0] (binary's
    // shape and stride tables). Block 0's Xᵀ·r goes to `out`, block b's to partial b − 1, or
    // onto `out` (β = 1) when `partials` is −1.
    const b0 = x[o + 1]!, b1 = x[o + 2]!, prog = x[o + 3]!, steps = x[o + 4]!, m = x[o + 5]!;
    const n = x[o + 6]!, rows = x[o + 7]!, par = x[o + 8]!, out = x[o + 9]!, partials = x[o + 10]!;
    for (let b = b0; b < b1; b++) {
      const off = 8 * b * rows, bm = Math.min(rows, m - b * rows);
      for (let q = prog * 14; q < (prog + steps) * 14; q += 14) {
        const kind = x[q]!;
        if (kind === 1) K.gemv(0, bm, n, 1, x[q + 1]! + off, m, x[q + 2]!, 1, 0, x[q + 3]! + off, 1);
        else if (kind === 2) K.unary(x[q + 1]!, bm, x[q + 2]! + (x[q + 3]! ? off : 0), x[q + 4]! + off);
        else if (kind === 3) {
          K.binary(x[q + 1]!, 1, bm === rows ? par : par + 4, x[q + 2]! + (x[q + 3]! ? off : 0),
            x[q + 3]! ? par + 8 : par + 12, x[q + 4]! + (x[q + 5]! ? off : 0), x[q + 5]! ? par + 8 : par + 12,
            x[q + 6]! + off);
        } else {
          const onto = b > 0 && partials < 0;
          K.gemv(1, bm, n, 1, x[q + 1]! + off, m, x[q + 2]! + off, 1, onto ? 1 : 0,
            b === 0 || onto ? out : partials + 8 * n * (b - 1), 1);
        }
      }
    }
  } else if (x[o] === 21) {
    K.luUpdate(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!);
  } else if (x[o] === 20) {
    K.luNext(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!);
  } else if (x[o] === 22) {
    K.luSwap(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!);
  } else if (x[o] === 24) {
    K.cholUpdate(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!);
  } else if (x[o] === 23) {
    // A panel that is not positive definite stops there; potrf reads where from the diagonal.
    K.cholNext(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!);
  } else {
    throw new Error(`unknown task op ${x[o]}`);
  }
}

/**
 * Tape ops (src/wasm/tape.ts records them): a kernel call per row of TAPE_ROW f64, [op,
 * arguments…], or a copy done in JavaScript on the memory (30: copy n f64 from src to dst,
 * overlapping as memmove; 31: mirror the n × n matrix at p from its upper (1) or lower (0)
 * triangle; 32: dst[i] += src[i] for n entries). @internal
 */
export const TAPE_OPS = {
  gemm: 1, gemmUpper: 2, gemv: 3, unary: 4, binary: 5, fusedRows: 6, fill: 7, select: 8, sumAxis: 9,
  maxAxis: 10, transpose: 11, kron: 12, axpy: 13, scal: 14, addScaled: 15, axpby: 16, scaleTo: 17,
  spmv: 18, spr2: 19,
} as const;
export const TAPE_COPY = 30;
export const TAPE_MIRROR = 31;
export const TAPE_ADD = 32;
/** f64 per tape row: an op code and up to 13 arguments. */
export const TAPE_ROW = 14;

/**
 * Runs rows 0 … n/TAPE_ROW − 1 of a tape, in order: in a worker (as source text, so it uses
 * nothing but its arguments; `mem` is memruns.ts's moves, handed over the same way) and on the
 * caller when a tape is flushed. The calls are the ones the chunk would have made on the
 * caller, and the moves the same functions, so the bits are the same.
 */
function runTape(K: TaskKernels, x: Float64Array, n: number, mem: MemRuns): void {
  let f64: Float64Array | null = null;
  for (let o = 0; o < n; o += 14) {
    const op = x[o]!;
    switch (op) {
      case 1: K.gemm(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!, x[o + 9]!, x[o + 10]!, x[o + 11]!, x[o + 12]!, x[o + 13]!); break;
      case 2: K.gemmUpper(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!, x[o + 9]!, x[o + 10]!, x[o + 11]!, x[o + 12]!); break;
      case 3: K.gemv(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!, x[o + 9]!, x[o + 10]!, x[o + 11]!); break;
      case 4: K.unary(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 5: K.binary(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!); break;
      case 6: K.fusedRows(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!, x[o + 8]!, x[o + 9]!); break;
      case 7: K.fill(x[o + 1]!, x[o + 2]!, x[o + 3]!); break;
      case 8: K.select(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!); break;
      case 9: K.sumAxis(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!); break;
      case 10: K.maxAxis(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!); break;
      case 11: K.transpose(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 12: K.kron(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!, x[o + 7]!); break;
      case 13: K.axpy(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!, x[o + 6]!); break;
      case 14: K.scal(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 15: K.addScaled(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!); break;
      case 16: K.axpby(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!, x[o + 5]!); break;
      case 17: K.scaleTo(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 18: K.spmv(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 19: K.spr2(x[o + 1]!, x[o + 2]!, x[o + 3]!, x[o + 4]!); break;
      case 30: case 31: case 32: {
        // Memory grown since the last view (by the caller, while this tape ran): a fresh one.
        if (f64 === null || f64.length * 8 < K.memory.buffer.byteLength) f64 = new Float64Array(K.memory.buffer);
        if (op === 30) mem.copyRun(f64, x[o + 1]! / 8, x[o + 2]! / 8, x[o + 3]!);
        else if (op === 32) mem.addRun(f64, x[o + 1]! / 8, x[o + 2]! / 8, x[o + 3]!);
        else mem.mirrorSquare(f64, x[o + 1]! / 8, x[o + 2]!, x[o + 3]! === 1);
        break;
      }
      default: throw new Error(`unknown tape op ${op}`);
    }
  }
}

/** Runs a tape on the calling thread (a flushed one). @internal */
export function runTapeHere(K: Kernels, x: Float64Array, n: number): void {
  runTape(K as TaskKernels, x, n, MEM_RUNS);
}

/**
 * The worker's program (the same in Node and in a browser): instantiate the kernels on the
 * shared memory, move their scratch to this worker's region, then serve jobs forever.
 */
function workerMain(d: {
  module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer;
  scratch: number; area: number; id: number; seen: number; tapes: SharedArrayBuffer[];
}, runTask: (K: TaskKernels, x: Float64Array, t: number, area: number) => void,
runTape: (K: TaskKernels, x: Float64Array, n: number, mem: MemRuns) => void, mem: MemRuns): void {
  const K = new WebAssembly.Instance(d.module, {
    env: {
      memory: d.memory,
      abort() { throw new Error("a kernel aborted"); },
      gemmHook() { throw new Error("gemmHook called in a worker"); },
      luStepHook() { throw new Error("luStepHook called in a worker"); },
      cholStepHook() { throw new Error("cholStepHook called in a worker"); },
    },
  }).exports as unknown as TaskKernels & { setScratch(base: number): void };
  K.setScratch(d.scratch);
  const ctl = new Int32Array(d.control, 0, 16);
  Atomics.add(ctl, 10, 1);
  Atomics.notify(ctl, 10);
  const text = new Uint8Array(d.control, 64, 1024);
  const x = new Float64Array(d.control, 1088);
  // The background tapes (worker 1 only), slots run in the order posted: each a header [state
  // 1 posted / 3 running / 2 done, length, failed, message length, injected fault, µs taken,
  // post number], the message at byte 64, the rows from byte 2048.
  const ths = d.tapes.map((b) => new Int32Array(b, 0, 16));
  const tapeTexts = d.tapes.map((b) => new Uint8Array(b, 64, 1024));
  const tapeRowss = d.tapes.map((b) => new Float64Array(b, 2048));
  let seen = d.seen;
  // Jobs after a preempted spin that skip the spin (see below).
  let skip = 0;
  // The last job this worker joined: its number and when its ack went out (0: none yet), and
  // its longest task (ms).
  let job = -1, acked = 0, longest = 0;
  // Whether the last job came within a spin of the ack before it: jobs that come further
  // apart than the spin would only waste it (and the core), so the worker sleeps at once.
  let near = true;
  for (;;) {
    // Spin, then sleep: a job that comes within the spin finds this worker awake (a wake from
    // Atomics.wait costs tens of µs, a solve's jobs come a few hundred µs apart). The spin is
    // bounded (slot 14, µs), and skipped when the last job came later than that. It stops at
    // once where it would take a core from a thread with work: when it was preempted (a poll
    // gap the scheduler made: the cores are oversubscribed; then the next 16 jobs skip it
    // too), and when the caller has not closed the job's gate within about one task after this
    // worker's ack (the caller, which has at most one task left then, is not running: this
    // spin may hold its core).
    const spinUs = Atomics.load(ctl, 14);
    if (d.id === 1 && Atomics.load(ctl, 15) !== 0 && Atomics.load(ctl, 0) === seen) {
      // Bounded, and given up at once when preempted (a poll gap: another thread wants the
      // core, possibly the caller), as the spin below.
      let t = performance.now();
      const until = t + 5;
      for (let i = 1; ; i++) {
        if (Atomics.load(ctl, 0) !== seen || Atomics.load(ctl, 8) !== 0 || Atomics.load(ctl, 15) === 0) break;
        if ((i & 31) === 0) {
          const u = performance.now();
          if (u - t > 0.1 || u > until) break;
          t = u;
        }
      }
    }
    if (skip > 0) skip--;
    else if (spinUs > 0 && acked > 0 && near && Atomics.load(ctl, 0) === seen) {
      let t = performance.now();
      const until = t + spinUs / 1000, callerBy = acked + 0.01 + 2 * longest;
      let closed = false;
      for (let i = 1; ; i++) {
        if (Atomics.load(ctl, 0) !== seen || Atomics.load(ctl, 8) !== 0) break;
        if ((i & 31) === 0) {
          const u = performance.now();
          if (u - t > 0.1) {
            skip = 16;
            break;
          }
          if (u > until) break;
          if (!closed) {
            const g = Atomics.load(ctl, 11);
            closed = (g >> 9) !== (job & 0x3fffff) || (g & 256) !== 0;
            if (!closed && u > callerBy) break;
          }
          t = u;
        }
      }
    }
    if (Atomics.load(ctl, 0) === seen && Atomics.load(ctl, 8) === 0) {
      // The caller notifies only when a worker sleeps: counted before the wait, which then
      // returns at once if a job came in between (the caller reads the count after bumping SEQ).
      // A stop seen in the spin is not slept on (its notify may have come already).
      Atomics.add(ctl, 12, 1);
      Atomics.wait(ctl, 0, seen);
      Atomics.sub(ctl, 12, 1);
    }
    if (Atomics.load(ctl, 8) !== 0) return;
    const now = Atomics.load(ctl, 0);
    if (now === seen) continue; // woken without a new job
    seen = now;
    if (acked > 0) near = performance.now() - acked < spinUs / 1000;
    for (;;) {
      // Chunks' tapes, each posted with a job number of its own (no gate opens for them): run
      // each whole, oldest first, and tell the caller, who may wait on its state word.
      let s = -1;
      for (let i = 0; i < ths.length; i++) {
        if (d.id === 1 && Atomics.load(ths[i]!, 0) === 1 && (s < 0 || ths[i]![6]! < ths[s]![6]!)) s = i;
      }
      if (s < 0) break;
      const th = ths[s]!;
      // Claimed (state 3) unless the caller took it first to run it itself (see waitTape); a
      // test's hold (slot 7) leaves it to the caller.
      if (th[7] !== 0) break;
      if (Atomics.compareExchange(th, 0, 1, 3) !== 1) continue;
      try {
        const fault = th[4]!;
        if (fault === 1) throw new Error("injected failure");
        if (fault === 2) K.gemm(0, 0, 64, 64, 64, 1, 0x7ffffff0 * 2, 64, 0, 64, 0, 0, 64);
        const t0 = performance.now();
        runTape(K, tapeRowss[s]!, th[1]!, mem);
        th[5] = Math.round((performance.now() - t0) * 1000);
      } catch (e) {
        const msg = new TextEncoder().encode(String(e instanceof Error ? `${e.name}: ${e.message}` : e)).subarray(0, 1024);
        tapeTexts[s]!.set(msg);
        th[3] = msg.length;
        th[2] = 1;
      }
      Atomics.store(th, 0, 2);
      Atomics.notify(th, 0);
      // The next tape (or job) usually comes soon: spin for it as after a job.
      job = now;
      acked = performance.now();
    }
    // Join the job unless it is over (the caller closed its gate) or already followed by
    // another: a worker that wakes late touches nothing of a job it did not join.
    let joined = false;
    for (;;) {
      const g = Atomics.load(ctl, 11);
      if ((g >> 9) !== (now & 0x3fffff) || (g & 256) !== 0) break;
      if (Atomics.compareExchange(ctl, 11, g, g + 1) === g) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    const tasks = ctl[2]!;
    try {
      const fault = ctl[7]!;
      if (fault === 1) throw new Error("injected failure");
      if (fault === 2) K.gemm(0, 0, 64, 64, 64, 1, 0x7ffffff0 * 2, 64, 0, 64, 0, 0, 64);
      if (fault === 3) {
        // Stops answering: no acknowledgment, as if the thread had died.
        Atomics.wait(ctl, 8, 0);
        return;
      }
      longest = 0;
      for (;;) {
        const t = Atomics.add(ctl, 1, 1);
        if (t >= tasks) break;
        const t0 = performance.now();
        runTask(K, x, t, d.area);
        longest = Math.max(longest, performance.now() - t0);
        Atomics.add(ctl, 9, 1);
      }
    } catch (e) {
      if (Atomics.compareExchange(ctl, 5, 0, d.id) === 0) {
        const msg = new TextEncoder().encode(String(e instanceof Error ? `${e.name}: ${e.message}` : e)).subarray(0, 1024);
        text.set(msg);
        Atomics.store(ctl, 6, msg.length);
      }
      Atomics.store(ctl, 1, tasks); // the others stop claiming
    }
    job = now;
    acked = performance.now();
    Atomics.add(ctl, 4, 1);
    // Slot 13: the caller sleeps on the acks (set before its wait, read after this add).
    if (Atomics.load(ctl, 13) !== 0) Atomics.notify(ctl, 4);
  }
}

/** Source of a worker: workerMain started on the data Node or the page hands it. */
// (Node runs it as CommonJS or as a module, after the parent's --input-type: no `require`.)
const WORKER_SOURCE = `"use strict";
const runTask = ${runTask.toString()};
const runTape = ${runTape.toString()};
const mem = { copyRun: ${copyRun.toString()}, addRun: ${addRun.toString()}, mirrorSquare: ${mirrorSquare.toString()} };
const workerMain = ${workerMain.toString()};
const node = typeof process === "object" && typeof process.getBuiltinModule === "function"
  ? process.getBuiltinModule("node:worker_threads") : null;
if (node && node.workerData) {
  workerMain(node.workerData, runTask, runTape, mem);
} else {
  self.onmessage = (e) => workerMain(e.data, runTask, runTape, mem);
}
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
}
type AnyWorker = { node: NodeWorker } | { web: WebWorker };

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  versions?: { node?: string };
}

function nodeProcess(): NodeProcess | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node !== undefined && typeof p.getBuiltinModule === "function" ? p : undefined;
}

/** Whether the host can run a pool at all (shared memory, and workers that may share it). */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return false;
  if (nodeProcess()) return true;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  return g.crossOriginIsolated === true && typeof g.Worker === "function";
}

/** Logical cores: Node's availableParallelism, a browser's hardwareConcurrency. */
export function hostCores(): number {
  const p = nodeProcess();
  if (p) {
    const os = p.getBuiltinModule!("node:os") as { availableParallelism?: () => number; cpus(): unknown[] };
    return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? n : 1;
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * No progress for this long (no task claimed, no worker acknowledging) means a worker is
 * gone: the job fails with a WorkerError and the workers are replaced.
 */
let stallMs = 30_000;

/**
 * How long a call waits for workers that are starting (a worker starts in tens of
 * milliseconds; a host that refuses workers must not hold every call for long).
 */
const READY_WAIT_MS = 2000;

/**
 * See {@link Pool.spinUs}. On in Node only, where the load check (Pool.sampleLoad) turns it
 * off while the cores are taken: a spin on a machine without a free core costs the threads
 * with work (bench/NOTES.md, "Pool wake-up"), and a page cannot see the host's load.
 */
const DEFAULT_SPIN_US = 200;

/** How often (ms) a Node caller samples the host's runnable threads (see Pool.sampleLoad). */
const LOAD_EVERY_MS = 20;
/** Load samples the spins' on/off decision looks at (see Pool.sampleLoad). */
const LOAD_WINDOW = 8;

/** /proc/loadavg, opened once (-1: not there, not Linux, or not Node). */
let loadFd: number | undefined;
const loadBuf = new Uint8Array(128);

/**
 * Threads runnable on the host right now (the kernel's nr_running, /proc/loadavg's 4th
 * field), or -1 where that cannot be read.
 */
function runnableNow(): number {
  const p = nodeProcess();
  if (loadFd === undefined) {
    try {
      const fs = p!.getBuiltinModule!("node:fs") as { openSync(path: string, flags: string): number };
      loadFd = fs.openSync("/proc/loadavg", "r");
    } catch {
      loadFd = -1;
    }
  }
  if (loadFd < 0) return -1;
  try {
    const fs = p!.getBuiltinModule!("node:fs") as {
      readSync(fd: number, b: Uint8Array, off: number, len: number, pos: number): number;
    };
    const n = fs.readSync(loadFd, loadBuf, 0, loadBuf.length, 0);
    const m = /\s(\d+)\//.exec(new TextDecoder().decode(loadBuf.subarray(0, n)));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

/** @internal */
export class Pool {
  // Replaced when the workers are: a stopped worker keeps the old block, so nothing it still
  // does can touch the next workers' jobs.
  private control = new SharedArrayBuffer(CONTROL_BYTES);
  private ctl = new Int32Array(this.control, 0, 16);
  private table = new Float64Array(this.control, TABLE, MAX_TASKS * ROW);
  /** The background tapes worker 1 runs (see workerMain): per slot a header, a message, rows. */
  private tapeBufs = newTapeBuffers();
  private ths = this.tapeBufs.map((b) => new Int32Array(b, 0, 16));
  private tapeRowss = this.tapeBufs.map((b) => new Float64Array(b, TAPE_HEADER));
  private tapePosts = 0;
  private workers: AnyWorker[] = [];
  private blocking = canBlock();
  private busy = false;
  private spin = nodeProcess() ? DEFAULT_SPIN_US : 0;
  /** The last LOAD_WINDOW samples, a bit each: 1 where other threads wanted the cores. */
  private window = 0;
  private nextSample = 0;
  /** Load samples taken, and those that saw the cores wanted (the bench prints them). @internal */
  loadSamples = 0;
  busySamples = 0;
  private readonly cores = hostCores();
  /**
   * Workers that did not start in time (a host that refuses them): no more are spawned and
   * no call waits for them; the caller runs every task until they are ready.
   */
  private broken = false;

  /**
   * @param threads Threads in all, the caller included (≥ 2).
   * @param scratch Byte address of each worker's scratch region (`scratch[i]` for worker i + 1).
   * @param areas Byte address of each thread's task area of TASK_AREA_BYTES (`areas[0]` the
   *   caller's, `areas[i]` worker i's); without them entrywise calls are never split.
   */
  constructor(
    readonly threads: number,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly kernels: Kernels,
    private readonly scratch: readonly number[],
    private readonly areas: readonly number[] = [],
  ) {
    this.ctl[SPIN_US] = this.spin;
  }

  /** Starts the workers (on the first job: a pool that is never used costs nothing). */
  private spawn(): void {
    if (this.broken) return;
    try {
      this.spawnWorkers();
    } catch {
      // The host refused a worker (a page's CSP without blob: workers, a sandbox): the
      // caller runs every task, and the workers that did start are stopped.
      this.terminate();
      this.broken = true;
    }
  }

  private spawnWorkers(): void {
    const seen = Atomics.load(this.ctl, SEQ);
    for (let i = this.workers.length; i < this.threads - 1; i++) {
      const data = { module: this.module, memory: this.memory, control: this.control, scratch: this.scratch[i]!,
        area: this.areas[i + 1] ?? 0, id: i + 1, seen, tapes: this.tapeBufs };
      const p = nodeProcess();
      if (p) {
        const { Worker } = p.getBuiltinModule!("node:worker_threads") as {
          Worker: new (src: string, opts: object) => NodeWorker;
        };
        const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
        w.unref();
        // A worker that dies is noticed by the caller's stall check; nothing to do here but
        // keep the error from becoming an uncaught exception.
        w.on("error", () => {});
        this.workers.push({ node: w });
      } else {
        const g = globalThis as unknown as { Worker: new (url: string) => WebWorker; Blob: typeof Blob; URL: typeof URL };
        const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: "text/javascript" }));
        const w = new g.Worker(url) as WebWorker & { onerror: unknown };
        // A worker that fails to load (CSP, a script error) reports here, asynchronously.
        w.onerror = () => {
          this.broken = true;
        };
        w.postMessage(data);
        this.workers.push({ web: w });
      }
    }
  }

  /** Stops every worker (they are started again by the next job). */
  terminate(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.notify(this.ctl, SEQ);
    Atomics.notify(this.ctl, STOP);
    for (const w of this.workers) {
      if ("node" in w) void w.node.terminate();
      else w.web.terminate();
    }
    this.workers = [];
    this.control = new SharedArrayBuffer(CONTROL_BYTES);
    this.ctl = new Int32Array(this.control, 0, 16);
    this.table = new Float64Array(this.control, TABLE, MAX_TASKS * ROW);
    this.tapeBufs = newTapeBuffers();
    this.ths = this.tapeBufs.map((b) => new Int32Array(b, 0, 16));
    this.tapeRowss = this.tapeBufs.map((b) => new Float64Array(b, TAPE_HEADER));
    this.ctl[SPIN_US] = this.spin;
  }

  // ---- the background tape (src/wasm/tape.ts): one chunk's kernel calls run by worker 1 ----

  /**
   * A tape slot free for a chunk, or −1: none free, or the workers do not run (a pool in solo
   * mode, or whose workers are starting or refused, runs everything on the caller). @internal
   */
  freeTapeSlot(): number {
    if (this.workers.length < this.threads - 1) this.spawn();
    if (!this.tapes || this.callerOnly || this.busy || !this.started) return -1;
    for (let i = 0; i < this.ths.length; i++) if (Atomics.load(this.ths[i]!, 0) === 0) return i;
    return -1;
  }

  /** Whether chunks may be taped for worker 1 (the bench turns it off for its A/B). @internal */
  tapes = true;

  /** Whether worker 1 still has a posted tape to run or finish. @internal */
  get tapeRunning(): boolean {
    for (const th of this.ths) {
      const state = Atomics.load(th, 0);
      if (state === 1 || state === 3) return true;
    }
    return false;
  }

  /** Tapes the caller ran itself because worker 1 had not started them when waited for. @internal */
  tapesTaken = 0;

  /** Whether a posted tape has not been waited for yet. @internal */
  get tapeInFlight(): boolean {
    for (const th of this.ths) if (Atomics.load(th, 0) !== 0) return true;
    return false;
  }

  /** Where slot `slot`'s tape is recorded: rows of TAPE_ROW f64 (valid until the workers are replaced). @internal */
  tapeBuffer(slot: number): Float64Array {
    return this.tapeRowss[slot]!;
  }

  /** Tapes worker 1 has run since the pool started (tests), and their time in the worker (ms). @internal */
  tapesRun = 0;
  tapeMs = 0;

  /**
   * Hands the first `length` f64 of slot `slot`'s buffer to worker 1 and returns at once: the
   * state word says it is posted, and a job number of its own wakes the worker (no gate opens
   * for it, so no worker joins anything). Wait with {@link waitTape}. @internal
   */
  postTape(slot: number, length: number): void {
    const th = this.ths[slot]!;
    th[1] = length;
    th[2] = 0;
    th[3] = 0;
    th[6] = ++this.tapePosts;
    th[4] = this.tapeFault;
    this.tapeFault = 0;
    Atomics.store(th, 0, 1);
    Atomics.add(this.ctl, SEQ, 1);
    if (Atomics.load(this.ctl, SLEEPERS) !== 0) Atomics.notify(this.ctl, SEQ);
    this.tapeStart = Date.now();
  }
  private tapeStart = 0;

  /** Whether slot `slot`'s tape is neither waiting for worker 1 nor running (jit's tape regions). @internal */
  tapeFinished(slot: number): boolean {
    const state = Atomics.load(this.ths[slot]!, 0);
    return state !== 1 && state !== 3;
  }

  /**
   * Returns when slot `slot`'s tape has run (at once when none is posted there); a tape that
   * failed in the worker throws a WorkerError here, and one without an answer for the stall
   * limit replaces the workers and throws. Either way the slot is free again. @internal
   */
  waitTape(slot: number): void {
    const th = this.ths[slot]!;
    if (Atomics.load(th, 0) === 0 || this.takeTape(slot)) return;
    let i = 0;
    for (;;) {
      const state = Atomics.load(th, 0);
      if (state !== 1 && state !== 3) break;
      // A short spin (the worker usually finishes about when the caller's own chunk does),
      // then sleep on the state word, which the worker notifies.
      if (++i < 2000) continue;
      if (this.blocking) Atomics.wait(th, 0, state, 50);
      if (Date.now() - this.tapeStart > stallMs && Atomics.load(th, 0) === state) {
        this.terminate();
        throw new WorkerError("tape", 1, `a worker stopped answering (no progress for ${stallMs} ms); the workers were replaced`);
      }
    }
    th[4] = 0;
    this.tapesRun++;
    this.tapeMs += th[5]! / 1000;
    const failed = th[2] !== 0;
    const text = failed ? new TextDecoder().decode(new Uint8Array(this.tapeBufs[slot]!, 64, th[3]!).slice()) : "";
    Atomics.store(th, 0, 0);
    if (failed) throw new WorkerError("tape", 1, text);
  }

  /**
   * Marks the start (true) and end of a run of chunks that may post tapes: meanwhile worker 1
   * spins for them instead of sleeping (see TAPES_HOT). @internal
   */
  tapesHot(on: boolean): void {
    Atomics.store(this.ctl, TAPES_HOT, on && this.tapes && this.hotSpin && !this.callerOnly ? 1 : 0);
  }
  /** Whether worker 1 spins for tapes during a run of chunks (the bench's A/B turns it off). @internal */
  hotSpin = true;

  /** Keeps worker 1 from starting tapes, so the caller runs them when it waits (tests). @internal */
  holdTapes(hold: boolean): void {
    for (const th of this.ths) th[7] = hold ? 1 : 0;
  }

  /**
   * Runs slot `slot`'s tape on the caller if worker 1 has not started it (busy with an older
   * one, or not given a core: another process has it): the same calls on the same memory. A
   * tape with an injected fault is left to the worker. Returns whether it did. @internal
   */
  takeTape(slot: number): boolean {
    const th = this.ths[slot]!;
    if (th[4] !== 0 || Atomics.compareExchange(th, 0, 1, 4) !== 1) return false;
    try {
      runTape(this.kernels as TaskKernels, this.tapeRowss[slot]!, th[1]!, MEM_RUNS);
    } finally {
      this.tapesTaken++;
      Atomics.store(th, 0, 0);
    }
    return true;
  }

  /** Makes the next tape fail in the worker (tests of the error path). @internal */
  injectTapeFault(fault: "throw" | "trap"): void {
    this.tapeFault = FAULTS[fault];
  }
  private tapeFault = 0;

  /**
   * How long (µs) an idle worker spins before it sleeps, and a blocking caller before it
   * sleeps on the acks; 0 sleeps at once (the bench's A/B and the tests). @internal
   */
  get spinUs(): number {
    return this.spin;
  }

  set spinUs(us: number) {
    this.spin = Math.max(0, Math.min(100_000, Math.round(us)));
    Atomics.store(this.ctl, SPIN_US, this.spin);
  }

  /** Whether the spins are off because the host's cores are taken (see sampleLoad). @internal */
  get oversubscribed(): boolean {
    let busy = 0;
    for (let w = this.window; w !== 0; w &= w - 1) busy++;
    return 2 * busy >= LOAD_WINDOW;
  }

  /**
   * Turns the spins off while other threads want the cores this pool's threads would spin on
   * (a spinning thread then takes a core from a thread with work, possibly this pool's own):
   * when half of the last LOAD_WINDOW samples saw more runnable threads than cores left over.
   * Not at the first such sample: the count includes this process's own V8 helper threads (a
   * solve's concurrent GC shows in about a fifth of the samples on an idle 2-core machine),
   * which a majority of a window lets through while another process's steady work does not.
   * Node on Linux only, where the kernel counts runnable threads (sampled every LOAD_EVERY_MS,
   * a few µs each); elsewhere the spins stay as set and only their preemption check guards them.
   */
  private sampleLoad(): void {
    const now = performance.now();
    if (now < this.nextSample || this.spin === 0) return;
    this.nextSample = now + LOAD_EVERY_MS;
    const running = runnableNow();
    if (running < 0) return;
    // Runnable now in this pool: the caller, and each worker not asleep (spinning or working).
    const ours = 1 + this.workers.length - Atomics.load(this.ctl, SLEEPERS);
    this.loadSamples++;
    const busy = running - ours > this.cores - this.threads;
    if (busy) this.busySamples++;
    this.window = ((this.window << 1) | (busy ? 1 : 0)) & ((1 << LOAD_WINDOW) - 1);
    Atomics.store(this.ctl, SPIN_US, this.oversubscribed ? 0 : this.spin);
  }

  /** Tasks the workers (not the caller) have run since the pool started. @internal */
  get workerTasks(): number {
    return Atomics.load(this.ctl, WORKER_TASKS);
  }

  /** Workers asleep (or about to be) in Atomics.wait for a job. @internal */
  get sleepingWorkers(): number {
    return Atomics.load(this.ctl, SLEEPERS);
  }

  /** Jobs run since the pool started. @internal */
  get jobs(): number {
    return Atomics.load(this.ctl, SEQ);
  }

  /**
   * Makes the caller behave as a browser's page thread: it spins, never blocks (tests, and the
   * bench's spinning-caller figure); `false` restores what the thread can do. @internal
   */
  simulatePageThread(spin = true): void {
    this.blocking = !spin && canBlock();
  }

  /**
   * Every task on the calling thread (the workers are not woken), in the split form, and the
   * time spent in split calls summed in `splitMs` (per op in `splitMsByOp`): the bench's
   * one-thread side on the same instance, and its measure of how much of a solve the split
   * kernels are. @internal
   */
  callerOnly = false;
  splitMs = 0;
  splitMsByOp: Record<string, number> = {};

  /** Makes the next job's workers fail (tests of the error path). @internal */
  injectFault(fault: PoolFault): void {
    this.ctl[FAULT] = FAULTS[fault];
  }

  /**
   * C ← α·op(A)·op(B) + β·C, split by column panels of C when it is large enough (else on
   * the calling thread alone). A panel is the same gemm call on a column range: each entry of
   * C is computed by exactly the operations of the whole call wherever the micro-tiles fall
   * (assembly/gemm.ts), so the result is that of the one-thread call, bit for bit. Which
   * products split depends on the shape alone; the panels' width, on the thread count too.
   */
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
    if ((n === 1 || m === 1) && m > 0 && n > 0 && k > 0 && alpha !== 0) {
      // The matrix-vector products gemm makes of these (assembly/gemm.ts), split as gemv's.
      if (n === 1) this.gemv(transA ? 1 : 0, transA ? k : m, transA ? m : k, alpha, a, lda, b, transB ? ldb : 1, beta, c, 1);
      else this.gemv(transB ? 0 : 1, transB ? n : k, transB ? k : n, alpha, b, ldb, a, transA ? 1 : lda, beta, c, ldc);
      return;
    }
    if (!gemmSplits(m, n, k)) {
      this.kernels.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const rows: number[][] = [];
    gemmRows(rows, this.threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    this.run("gemm", rows);
  }

  /**
   * Independent products (each gemm's 13 arguments; no call writes what another reads or
   * writes) as one job: a batch's members, or a product's column ranges. Each call is run as
   * {@link Pool.gemm} runs it alone (whole, or by its own panels), so the bits are those of the
   * calls in turn; they run in turn on the calling thread when together they are smaller than
   * one product worth splitting. Which calls share a job depends on their shapes alone.
   */
  gemms(calls: readonly (readonly number[])[]): void {
    let work = 0;
    for (const c of calls) work += c[2]! * c[3]! * c[4]!;
    if (calls.length < 2 || work < GEMM_MIN_WORK) {
      for (const c of calls) this.gemm(c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!);
      return;
    }
    const rows: number[][] = [];
    for (const c of calls) gemmRows(rows, this.threads, c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!);
    if (rows.length > MAX_TASKS) {
      for (const c of calls) this.gemm(c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!);
      return;
    }
    this.run("gemm", rows);
  }

  /**
   * The upper triangle of the symmetric n × n product (Kernels.gemmUpper), split along the
   * diagonal into parts of GEMM_UPPER_PART-aligned rows: each part's diagonal block is the
   * same gemmUpper on that block, and the part's rows right of it one gemm (split again as
   * gemm splits). Each entry on or above the diagonal is gemm's bits wherever the tiles fall,
   * as the whole call's are; parts start at multiples of 8, which keeps them on whole 4×4 tiles
   * (the relaxed build's 6×3 tiles restart at each part); a part of fewer than 8 rows at the end joins the one before (no product of one row or
   * column, which gemm would make a matrix-vector product). By the shape alone.
   */
  gemmUpper(transA: number, transB: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
    const w = gemmUpperPart(n, k);
    if (w === 0) {
      this.kernels.gemmUpper(transA, transB, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    const rows: number[][] = [];
    for (let r0 = 0; r0 < n; ) {
      const r1 = n - (r0 + w) < 8 ? n : r0 + w;
      const ar = a + 8 * (transA ? r0 * lda : r0);
      rows.push([OP_GEMM_UPPER, transA, transB, r1 - r0, k, alpha, ar, lda, b + 8 * (transB ? r0 : r0 * ldb), ldb,
        beta, c + 8 * (r0 + r0 * ldc), ldc]);
      if (r1 < n) {
        gemmRows(rows, this.threads, transA, transB, r1 - r0, n - r1, k, alpha, ar, lda, b + 8 * (transB ? r1 : r1 * ldb), ldb,
          beta, c + 8 * (r0 + r1 * ldc), ldc);
      }
      r0 = r1;
    }
    rows.sort((x, y) => upperWork(y) - upperWork(x));
    this.run("gemmUpper", rows);
  }

  /**
   * One step of getrf after panel j (assembly/lu.ts luStep) as one job: the columns right of
   * the panel in ranges (luStepRows), the first range also factoring the next panel while the
   * others are updated, and the row swaps left of the panel in ranges. Each range runs the
   * calls of luStep restricted to its columns, so the bits are luStep's. Small steps run
   * whole on the calling thread.
   */
  luStep(m: number, n: number, j: number, jb: number, jbn: number, a: number, lda: number, ipiv: number): void {
    const rows = luStepRows(m, n, j, jb, jbn, a, lda, ipiv);
    if (rows.length < 2 || rows.length > MAX_TASKS) {
      (this.kernels as TaskKernels).luStep(m, n, j, jb, jbn, a, lda, ipiv);
      return;
    }
    this.run("getrf", rows);
  }

  /**
   * One step of potrf after panel j (assembly/cholesky.ts cholStep) as one job: the next
   * panel's columns updated and factored (the first task, which the caller takes), the other
   * trailing columns in ranges (cholStepRows). The tasks are cholStep's calls, so the bits are
   * cholStep's. Small steps run whole on the calling thread.
   */
  cholStep(n: number, j: number, jb: number, jbn: number, a: number, lda: number): void {
    const rows = cholStepRows(n, j, jb, jbn, a, lda);
    if (rows.length < 2 || rows.length > MAX_TASKS) {
      (this.kernels as TaskKernels).cholStep(n, j, jb, jbn, a, lda);
      return;
    }
    this.run("potrf", rows);
  }

  /** Whether every worker has started (instantiated its kernels and waits for jobs). */
  private get ready(): boolean {
    return Atomics.load(this.ctl, READY) >= this.workers.length;
  }

  /** Whether the workers are running and ready for jobs (not merely asked to start). @internal */
  get started(): boolean {
    return !this.broken && this.workers.length === this.threads - 1 && this.ready;
  }

  /**
   * Starts the workers and resolves when they are ready (or after `timeoutMs`): a browser's
   * workers only start once the page's thread returns to its event loop, so init() awaits
   * this there; until they are ready, jobs run on the calling thread alone.
   */
  async start(timeoutMs = 10_000): Promise<void> {
    this.spawn();
    const until = Date.now() + timeoutMs;
    while (!this.ready && !this.broken && Date.now() < until) await new Promise((ok) => setTimeout(ok, 5));
  }

  /**
   * out[i] = f(x[i]), split into blocks of a fixed 16384 entries when f is a transcendental
   * function (exp, log, tanh, …) and n is large: each block runs the same loop on its range,
   * and block starts are multiples of the loop's 4-entry step, so every entry takes the same
   * path (vector pair or scalar tail) as in the whole call. Cheap ops (neg, abs, square, …)
   * are memory-bound and never split.
   */
  unary(op: number, n: number, x: number, out: number): void {
    if (n < UNARY_MIN || !SPLIT_UNARY.has(op)) {
      this.kernels.unary(op, n, x, out);
      return;
    }
    const rows: number[][] = [];
    for (let i = 0; i < n; i += UNARY_BLOCK) rows.push([OP_UNARY, op, Math.min(UNARY_BLOCK, n - i), x + 8 * i, out + 8 * i]);
    this.run("unary", rows);
  }

  /**
   * y ← α·op(A)·x + β·y (assembly/blas.ts), split when A is large: op N by row panels (each
   * task all columns for its rows), op T by column panels of y (each entry one whole dot
   * product). Where the panels start keeps every entry on the path it takes in the whole call,
   * so the bits are the one-thread call's; see gemvRows.
   */
  gemv(trans: number, m: number, n: number, alpha: number, a: number, lda: number,
    x: number, incx: number, beta: number, y: number, incy: number): void {
    const rows = gemvRows(trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
    if (rows === null) {
      this.kernels.gemv(trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
      return;
    }
    this.run("gemv", rows);
  }

  /**
   * A fused row-block pass's blocks as tasks of a few blocks each (see runRowBlocks); its
   * program goes to the table's last rows, which no job of at most ROWBLOCK_TASKS tasks uses.
   */
  rowBlocks(job: RowBlocksJob, blocks: number): void {
    // Workers first: a host that refuses them makes spawn replace the table (terminate), which
    // must not happen between writing the program and running the job.
    this.spawn();
    const per = Math.ceil(blocks / ROWBLOCK_TASKS);
    const prog = MAX_TASKS - job.program.length;
    job.program.forEach((step, s) => this.table.set(step, (prog + s) * ROW));
    const rows: number[][] = [];
    for (let b = 0; b < blocks; b += per) {
      rows.push([OP_ROWBLOCKS, b, Math.min(blocks, b + per), prog, job.program.length, job.m, job.n, job.rows,
        job.params, job.out, job.partials]);
    }
    this.run("rowBlocks", rows);
  }

  /** An Int32Array over the memory, at least `bytes` long (grown memory: a fresh view). */
  private i32(bytes: number): Int32Array {
    if (this.i32Bytes < bytes) {
      this.i32View = new Int32Array(this.memory.buffer);
      this.i32Bytes = this.i32View.byteLength;
    }
    return this.i32View;
  }
  private i32View = new Int32Array(0);
  /** The view's byteLength as a number (the getter is a builtin call: see Arena.viewBytes). */
  private i32Bytes = 0;

  /**
   * Rows per block when an entrywise call over `shape` (i32[rank] at `shape`) is split into
   * blocks of its outermost dimension, 0 when it runs whole: see entryBlocks. Apart from
   * {@link entryRows}, so that a call that runs whole (every small one) builds no rows.
   */
  private entrySplit(rank: number, shape: number): number {
    if (this.areas.length === 0 || rank < 1 || rank > 8) return 0;
    const i32 = this.i32(shape + 4 * rank);
    let inner = 1;
    for (let d = 0; d < rank - 1; d++) inner *= i32[(shape >>> 2) + d]!;
    return entryBlocks(inner, i32[(shape >>> 2) + rank - 1]!);
  }

  /** The task rows of a split entrywise call: `head`, then each block's first row and count. */
  private entryRows(rows: number, rank: number, shape: number, head: readonly number[]): number[][] {
    const ext = this.i32(shape + 4 * rank)[(shape >>> 2) + rank - 1]!;
    const out: number[][] = [];
    for (let s = 0; s < ext; s += rows) out.push([...head, s, Math.min(rows, ext - s)]);
    return out;
  }

  /**
   * out = a ∘ b (Kernels.binary), split into blocks of its outermost dimension when it has
   * ENTRY_MIN entries or more (entryBlocks: a function of the shape alone). A block is the
   * same call on a range of that dimension, so each dim-0 run, and each entry, takes the
   * operations of the whole call: the bits do not depend on the thread count.
   */
  binary(op: number, rank: number, shape: number, a: number, sa: number, b: number, sb: number, out: number): void {
    const rows = this.entrySplit(rank, shape);
    if (rows === 0) {
      this.kernels.binary(op, rank, shape, a, sa, b, sb, out);
      return;
    }
    this.run("binary", this.entryRows(rows, rank, shape, [OP_BINARY, op, rank, shape, a, sa, b, sb, out]));
  }

  /**
   * A fused entrywise program (Kernels.fusedRows), split as {@link Pool.binary} is. Each block
   * runs with its own temporaries and cursors in the running thread's task area; a program
   * whose temporaries do not fit there runs whole.
   */
  fusedRows(rank: number, shape: number, nMem: number, base: number, strides: number, nOps: number,
    ops: number, scratch: number, cur: number): void {
    const whole = (): void => this.kernels.fusedRows(rank, shape, nMem, base, strides, nOps, ops, scratch, cur);
    if (this.areas.length === 0 || rank < 1 || rank > 8) return whole();
    let n = 1;
    const i32 = this.i32(Math.max(shape + 4 * rank, ops + 24 * nOps));
    for (let d = 0; d < rank; d++) n *= i32[(shape >>> 2) + d]!;
    if (n < ENTRY_MIN) return whole();
    let top = nMem - 1;
    for (let k = 0; k < nOps; k++) for (let f = 1; f < 6; f++) top = Math.max(top, i32[(ops >>> 2) + 6 * k + f]!);
    const temps = top - nMem + 1;
    if (32 + 8 * nMem + 16 + 2048 * temps > TASK_AREA_BYTES) return whole();
    const rows = this.entrySplit(rank, shape);
    if (rows === 0) return whole();
    this.run("fusedRows", this.entryRows(rows, rank, shape, [OP_FUSED, rank, shape, nMem, base, strides, nOps, ops, temps]));
  }

  /**
   * Sums (max) over the middle axis of a (pre, len, post) block, split into ranges of `post`
   * of a size fixed by pre·len (each output is the same loop over its own slab as in the
   * whole call). A reduction with one slab (post = 1) runs whole.
   */
  sumAxis(pre: number, len: number, post: number, x: number, out: number): void {
    this.axis(OP_SUM_AXIS, pre, len, post, x, out);
  }

  /** See {@link Pool.sumAxis}. */
  maxAxis(pre: number, len: number, post: number, x: number, out: number): void {
    this.axis(OP_MAX_AXIS, pre, len, post, x, out);
  }

  /**
   * out (n×m) = aᵀ (Kernels.transpose), split into ranges of a's rows (out's columns) of a
   * size fixed by n, in multiples of the kernel's 16-row bands. A copy: any split gives the
   * same bits; the fixed one keeps the work the same too.
   */
  transpose(m: number, n: number, a: number, out: number): void {
    const K = this.kernels as TaskKernels;
    const rows = m >= 2 && n >= 2 && typeof K.transposeRows === "function" ? entryBlocks(n, m) : 0;
    const band = Math.ceil(rows / 16) * 16;
    if (rows === 0 || band >= m) {
      K.transpose(m, n, a, out);
      return;
    }
    const tasks: number[][] = [];
    for (let r = 0; r < m; r += band) tasks.push([OP_TRANSPOSE, m, n, a, out, r, Math.min(m, r + band)]);
    this.run("transpose", tasks);
  }

  private axis(op: number, pre: number, len: number, post: number, x: number, out: number): void {
    const per = pre > 0 && len > 0 ? entryBlocks(pre * len, post) : 0;
    if (per === 0) {
      if (op === OP_SUM_AXIS) this.kernels.sumAxis(pre, len, post, x, out);
      else this.kernels.maxAxis(pre, len, post, x, out);
      return;
    }
    const rows: number[][] = [];
    for (let k = 0; k < post; k += per) rows.push([op, pre, len, Math.min(per, post - k), x + 8 * k * pre * len, out + 8 * k * pre]);
    this.run(op === OP_SUM_AXIS ? "sumAxis" : "maxAxis", rows);
  }

  private run(op: string, rows: readonly number[][]): void {
    const tasks = rows.length;
    if (this.busy) throw new Error(`matcalc: ${op}: the thread pool was re-entered (this is a bug in matcalc)`);
    this.busy = true;
    try {
      this.spawn();
      // Node starts a worker on its own thread at once: a caller that may block waits for it.
      // A browser starts one only when the thread that made it returns to its event loop, so
      // waiting there (in a Web Worker, which may block) would only stall this call.
      if (!this.ready && this.blocking && !this.broken && nodeProcess()) {
        this.awaitReady();
        // Later calls do not wait again (they use the workers if these ever start).
        if (!this.ready) this.broken = true;
      }
      // (With one worker busy with a chunk's tape nobody could join a job: the caller runs it.)
      if (!this.ready || this.callerOnly || (this.threads === 2 && this.tapeRunning)) {
        // Workers still starting: a browser's page thread cannot wait for them (they may need
        // this very thread to return to its event loop), and a host that will not start them
        // must not hang the call. The caller runs the tasks itself.
        const t0 = this.callerOnly ? performance.now() : 0;
        for (let t = 0; t < tasks; t++) {
          this.table.set(rows[t]!, t * ROW);
          runTask(this.kernels as TaskKernels, this.table, t, this.areas[0] ?? 0);
        }
        if (this.callerOnly) {
          const dt = performance.now() - t0;
          this.splitMs += dt;
          this.splitMsByOp[op] = (this.splitMsByOp[op] ?? 0) + dt;
        }
        return;
      }
      const ctl = this.ctl;
      if (this.blocking && nodeProcess()) this.sampleLoad();
      for (let t = 0; t < tasks; t++) this.table.set(rows[t]!, t * ROW);
      ctl[ERR] = 0;
      ctl[ERRLEN] = 0;
      Atomics.store(ctl, NTASKS, tasks);
      Atomics.store(ctl, NEXT, 0);
      Atomics.store(ctl, ACKS, 0);
      Atomics.store(ctl, GATE, ((Atomics.load(ctl, SEQ) + 1) & GATE_JOB) << 9);
      Atomics.add(ctl, SEQ, 1);
      if (Atomics.load(ctl, SLEEPERS) !== 0) Atomics.notify(ctl, SEQ);
      let own: unknown = undefined;
      let failed = false;
      let longest = 0;
      try {
        for (;;) {
          const t = Atomics.add(ctl, NEXT, 1);
          if (t >= tasks) break;
          const t0 = performance.now();
          runTask(this.kernels as TaskKernels, this.table, t, this.areas[0] ?? 0);
          longest = Math.max(longest, performance.now() - t0);
        }
      } catch (e) {
        own = e;
        failed = true;
        Atomics.store(ctl, NEXT, tasks);
      }
      this.awaitWorkers(op, longest);
      ctl[FAULT] = 0;
      if (failed) throw own;
      const who = ctl[ERR]!;
      if (who !== 0) {
        const text = new TextDecoder().decode(new Uint8Array(this.control, TEXT, ctl[ERRLEN]!).slice());
        throw new WorkerError(op, who, text);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Waits (blocking) up to READY_WAIT_MS for the workers to start. */
  private awaitReady(): void {
    const until = Date.now() + READY_WAIT_MS;
    for (;;) {
      const started = Atomics.load(this.ctl, READY);
      if (started >= this.workers.length) return;
      const left = until - Date.now();
      if (left <= 0) return;
      Atomics.wait(this.ctl, READY, started, left);
    }
  }

  /**
   * Closes the job's gate and returns when every worker that joined has acknowledged (with a
   * fault injected, when every worker has joined and acknowledged, so that the fault always
   * happens); a stall replaces the workers.
   */
  private awaitWorkers(op: string, longest: number): void {
    const ctl = this.ctl;
    let want = this.workers.length;
    if (ctl[FAULT] === 0) {
      for (;;) {
        const g = Atomics.load(ctl, GATE);
        if (Atomics.compareExchange(ctl, GATE, g, g | GATE_CLOSED) === g) {
          want = g & (GATE_CLOSED - 1);
          break;
        }
      }
    }
    let last = -1;
    let since = Date.now();
    // A blocking caller spins before it sleeps (a sleeping caller is woken by a notify: a
    // syscall for the worker, tens of µs for the caller), about as long as one task: a worker
    // that joined and runs is at most one task from its ack, and one that does not run may be
    // waiting for this very core. A preempted spin sleeps at once. Bounded as a worker's spin.
    let t = performance.now();
    const until = t + Math.min(Atomics.load(ctl, SPIN_US) / 1000, 0.01 + 2 * longest);
    let spin = this.blocking;
    for (let i = 1; ; i++) {
      const acks = Atomics.load(ctl, ACKS);
      if (acks >= want) return;
      if (spin) {
        if ((i & 31) !== 0) continue;
        const u = performance.now();
        spin = u <= until && u - t <= 0.1;
        t = u;
        if (spin) continue;
      }
      const progress = acks * 2 ** 20 + Atomics.load(ctl, NEXT);
      const now = Date.now();
      if (progress !== last) {
        last = progress;
        since = now;
      } else if (now - since > stallMs) {
        ctl[FAULT] = 0;
        const started = Atomics.load(ctl, READY);
        this.terminate();
        if (started < want) {
          this.broken = true;
          throw new WorkerError(op, 0, `${want - started} of ${want} workers did not start within ${stallMs} ms; this call failed, and later calls run on the calling thread alone`);
        }
        throw new WorkerError(op, 0, `a worker stopped answering (no progress for ${stallMs} ms); the workers were replaced`);
      }
      if (this.blocking) {
        // Flag first, then the wait reads ACKS: a worker adds its ack, then reads the flag.
        Atomics.store(ctl, CALLER_WAITS, 1);
        Atomics.wait(ctl, ACKS, acks, 50);
        Atomics.store(ctl, CALLER_WAITS, 0);
      }
    }
  }
}

/**
 * GEMM column-panel width for n columns on `threads` threads (the caller and its workers).
 * Every panel packs all of op(A) again: one-thread CPU time of an n = 1024 product cut into
 * 128-wide panels +8–11 %, 256-wide +3–6 %, 512-wide none (the kernel's own NC-wide column
 * blocks pack it as often). So two panels per thread (the pool's dynamic claiming evens out
 * a thread that falls behind), more only to keep panels within NC-wide blocks, and each at
 * least 128 wide. The width never changes a bit of the result: each entry of C is computed by
 * the same operations wherever a panel starts (test/node/threads.test.ts, 1–4 threads).
 */
export function gemmPanel(n: number, threads: number): number {
  const panels = Math.max(2 * threads, Math.ceil(n / 512));
  // Multiples of 4: whole 4-wide tiles. (The relaxed build's 3-wide tiles leave one partial
  // tile a panel, under 1 % of its work; multiples of 12 split n = 1024 into unequal panels.)
  return Math.max(128, Math.ceil(n / panels / 4) * 4);
}

/**
 * Products smaller than this (multiply-adds), with fewer rows or columns, run whole on the
 * calling thread: waking the workers costs tens of microseconds. (A product with one row or
 * column is a matrix-vector product inside gemm: another summation order, never split.)
 */
const GEMM_MIN_WORK = 96 ** 3;
const GEMM_MIN_M = 8;
const GEMM_MIN_N = 192;

/**
 * Whether a product is split (a function of its shape alone): into column panels when it has
 * GEMM_MIN_N columns, else into row panels when it is tall (a data matrix times a few
 * columns); never a product with one row or column (gemm makes it a matrix-vector product).
 */
function gemmSplits(m: number, n: number, k: number): boolean {
  if (m < GEMM_MIN_M || n < 2 || m * n * k < GEMM_MIN_WORK) return false;
  return n >= GEMM_MIN_N || (m >= 2 * ROW_PANEL && ROW_PANEL * n * k >= 512);
}

/**
 * Row-panel height of a narrow product: at most 8 panels, at least ROW_PANEL rows, starts at
 * multiples of 8 (whole 4-row tiles, so as fast as the whole call; the bits never depend on
 * where tiles fall), and a panel is never so small that gemm would take its unpacked path for
 * tiny products (SMALL_MNK = 512).
 */
const ROW_PANEL = 128;

/**
 * The task rows of one gemm call on `threads` threads: its column (or row) panels, or the
 * whole call when it is small.
 */
function gemmRows(rows: number[][], threads: number, transA: number, transB: number, m: number, n: number, k: number,
  alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
  if (!gemmSplits(m, n, k)) {
    rows.push([OP_GEMM, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc]);
    return;
  }
  if (n < GEMM_MIN_N) {
    // Row panels: the same gemm on a range of rows of op(A) and C; each entry of C sees the
    // same k-blocks in the same order. A remainder under 8 rows joins the last panel.
    const h = Math.max(ROW_PANEL, Math.ceil(m / 8 / 8) * 8);
    let panels = Math.floor(m / h);
    if (m - panels * h >= 8) panels++;
    for (let t = 0; t < panels; t++) {
      const i0 = t * h;
      const mi = t === panels - 1 ? m - i0 : h;
      rows.push([OP_GEMM, transA, transB, mi, n, k, alpha, a + 8 * (transA ? i0 * lda : i0), lda, b, ldb,
        beta, c + 8 * i0, ldc]);
    }
    return;
  }
  const w = gemmPanel(n, threads);
  // A last panel of one column would be a matrix-vector product: it joins the one before.
  let panels = Math.floor(n / w);
  if (n - panels * w > 1) panels++;
  for (let t = 0; t < panels; t++) {
    const j0 = t * w;
    const nj = t === panels - 1 ? n - j0 : w;
    rows.push([OP_GEMM, transA, transB, m, nj, k, alpha, a, lda, b + 8 * (transB ? j0 : j0 * ldb), ldb,
      beta, c + 8 * j0 * ldc, ldc]);
  }
}

/**
 * A matrix-vector product with fewer multiply-adds than this runs whole on the calling thread
 * (an A of 2 MiB: waking the workers costs tens of microseconds); a task has at least
 * GEMV_MIN_TASK of them.
 */
const GEMV_MIN_WORK = 2 ** 18;
const GEMV_MIN_TASK = 2 ** 15;
/** gemvN's row block (assembly/blas.ts RB): row panels start at multiples of it. */
const GEMV_RB = 1024;
/** A last row panel this short joins the one before (a task too small to be worth a wake-up). */
const GEMV_MIN_LAST_ROWS = 128;

/**
 * The tasks of a gemv call, or null when it runs whole: a function of the shape alone.
 * - op N (y = A·x, m rows): row panels that start on even rows (multiples of gemvN's
 *   1024-row block from 2048 rows on; below, up to four panels of an even height), so each
 *   row sits where it sits in the whole call: in an f64x2 pair, or the odd tail of gemvN's
 *   streaming order only when it is the call's last row (the relaxed build's FMA rounds the
 *   tail differently). Every row is otherwise the same sum over the columns in the same order
 *   wherever its block starts, and gemvN picks its order by lda·n alone. No panel has 128
 *   rows or fewer: a shorter remainder joins the last panel.
 * - op T (y = Aᵀ·x, one dot product per column of A): column panels of a multiple of 3,
 *   since gemvT dots three columns together and the one or two left over with another
 *   accumulator pattern (different bits in the scalar build); the last panel ends where the
 *   call does, so the leftover columns are the same ones.
 */
function gemvRows(trans: number, m: number, n: number, alpha: number, a: number, lda: number,
  x: number, incx: number, beta: number, y: number, incy: number): number[][] | null {
  if (alpha === 0 || m <= 0 || n <= 0 || m * n < GEMV_MIN_WORK) return null;
  const rows: number[][] = [];
  if (trans === 0) {
    let h: number;
    if (m < 2 * GEMV_RB) {
      // Up to four panels, each an even number of rows: every panel starts on an even row, so
      // its f64x2 pairs are the whole call's and an odd tail row is the call's last row.
      h = Math.max(Math.ceil(m / 4), Math.ceil(GEMV_MIN_TASK / n), GEMV_MIN_LAST_ROWS);
      h += h & 1;
    } else {
      h = GEMV_RB * Math.max(Math.ceil(m / GEMV_RB / 32), Math.ceil(GEMV_MIN_TASK / (GEMV_RB * n)));
    }
    let panels = Math.floor(m / h);
    if (m - panels * h > GEMV_MIN_LAST_ROWS) panels++;
    if (panels < 2) return null;
    for (let t = 0; t < panels; t++) {
      const i0 = t * h;
      rows.push([OP_GEMV, 0, t === panels - 1 ? m - i0 : h, n, alpha, a + 8 * i0, lda, x, incx, beta,
        y + 8 * i0 * incy, incy]);
    }
    return rows;
  }
  const w = 3 * Math.max(Math.ceil(n / 96), Math.ceil(GEMV_MIN_TASK / (3 * m)));
  let panels = Math.floor(n / w);
  if (n - panels * w >= 3) panels++;
  if (panels < 2) return null;
  for (let t = 0; t < panels; t++) {
    const j0 = t * w;
    rows.push([OP_GEMV, 1, m, t === panels - 1 ? n - j0 : w, alpha, a + 8 * j0 * lda, lda, x, incx, beta,
      y + 8 * j0 * incy, incy]);
  }
  return rows;
}

/**
 * A fused row-block pass (src/jit/passes/fuse.ts): X (m×n, leading dimension m) in blocks of
 * `rows` rows, each block running the steps of `program` (pointers are bytes):
 * - [1, X, v, out]: out[block] = X[block, :]·v (gemv N);
 * - [2, code, x, rowwise, out]: out[block] = unary(x[block] or x);
 * - [3, code, a, rowwise, b, rowwise, out]: out[block] = binary(a, b) (a value not read per
 *   row is one entry, broadcast);
 * - [4, X, r]: X[block, :]ᵀ·r[block] (gemv T), into `out` for block 0 and into partial b − 1
 *   (`partials`, n f64 each, one after another) for block b.
 * `params` holds four i32: [rows, rows of the last block, 1, 0]. @internal
 */
export interface RowBlocksJob {
  m: number;
  n: number;
  rows: number;
  program: readonly (readonly number[])[];
  params: number;
  out: number;
  partials: number;
}

/** Row-block passes over an X of fewer entries run on the calling thread alone. */
const ROWBLOCKS_MIN = 2 ** 18;
/** At most this many tasks (a task is a run of consecutive blocks), and program steps. */
const ROWBLOCK_TASKS = 64;
const ROWBLOCK_STEPS = MAX_TASKS - ROWBLOCK_TASKS;

/**
 * Runs a fused row-block pass, its blocks' Xᵀ·r summed into `out` block by block in order.
 * On the calling thread (one thread, or X small) each block's product goes onto `out` as it is
 * made (gemv T with β = 1); split over `pool`, each block's goes to its own partial and the
 * caller then adds them onto `out` in block order (axpy with α = 1). The two are the same
 * additions in the same order: gemv's y + 1·s is y + s, and axpy's 1·x + y is x + y in every
 * build (fused or not, a product by 1 is exact), so the bits do not depend on the thread count
 * (test/node/threads-gemv.test.ts checks it in the three builds). Every block is computed by
 * the same calls on the same operands either way. `alloc` gives the partials (f64 count →
 * byte pointer, in memory every thread reads). @internal
 */
export function runRowBlocks(K: Kernels, pool: Pool | null, job: Omit<RowBlocksJob, "partials">,
  alloc: (count: number) => number): void {
  const blocks = Math.ceil(job.m / job.rows);
  const steps = job.program.length;
  if (pool !== null && blocks >= 2 && job.m * job.n >= ROWBLOCKS_MIN && steps <= ROWBLOCK_STEPS) {
    // (Allocated only here: on one thread the partials would only grow the caller's arena.)
    const partials = alloc((blocks - 1) * job.n);
    pool.rowBlocks({ ...job, partials }, blocks);
    for (let b = 1; b < blocks; b++) K.axpy(job.n, 1, partials + 8 * job.n * (b - 1), 1, job.out, 1);
    return;
  }
  if (inlineTable.length < (1 + steps) * ROW) inlineTable = new Float64Array((1 + steps) * ROW);
  const table = inlineTable;
  table.set([OP_ROWBLOCKS, 0, blocks, 1, steps, job.m, job.n, job.rows, job.params, job.out, -1]);
  job.program.forEach((step, s) => table.set(step, (1 + s) * ROW));
  runTask(K as TaskKernels, table, 0, 0);
}

/** runRowBlocks' task table on the calling thread (kept: a fused pass runs many times). */
let inlineTable = new Float64Array(16 * ROW);

/** Unary op codes worth splitting (src/wasm/kernels.ts UnaryOp): the transcendental ones. */
const SPLIT_UNARY = new Set([6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 18, 19]);
const UNARY_BLOCK = 16384;
const UNARY_MIN = 4 * UNARY_BLOCK;

/**
 * Entrywise calls (binary, fused programs, axis reductions, transposes) are split into blocks
 * of about ENTRY_BLOCK entries when they have ENTRY_MIN or more. They are memory-bound, and
 * below ~2 MiB an operand is still in the calling core's L2, where the previous step left it:
 * a worker's share must first be pulled across cores and its results pulled back for the next
 * step, which costs more than the share (bench/NOTES.md, "Batched autodiff across workers").
 */
const ENTRY_BLOCK = 16384;
const ENTRY_MIN = 16 * ENTRY_BLOCK;

/**
 * Rows of the outermost dimension per block for a call of `ext` rows of `inner` entries each
 * (0: not split): a function of the shape alone, never of the thread count. A call with one
 * dimension is cut at multiples of ENTRY_BLOCK (of the 4-entry vector step and of fusedRows'
 * 256-entry tile, so every entry takes the whole call's path); at most MAX_TASKS blocks.
 */
export function entryBlocks(inner: number, ext: number): number {
  if (inner * ext < ENTRY_MIN || ext < 2) return 0;
  let rows = Math.max(Math.ceil(ENTRY_BLOCK / inner), Math.ceil(ext / MAX_TASKS));
  if (inner === 1) rows = Math.ceil(rows / ENTRY_BLOCK) * ENTRY_BLOCK;
  return rows >= ext ? 0 : rows;
}

/**
 * Rows per part of a split gemmUpper (0: whole): about an eighth of n in multiples of 8, at
 * least 16, for products of GEMM_MIN_WORK multiply-adds or more (half of n²·k) with k ≥ 64
 * (so no block is small enough for gemm's unpacked path).
 */
export function gemmUpperPart(n: number, k: number): number {
  if (n < 32 || k < 64 || (n * n * k) / 2 < GEMM_MIN_WORK) return 0;
  return Math.max(16, Math.ceil(n / 8 / 8) * 8);
}

/** A gemm or gemmUpper task's multiply-adds. */
function upperWork(row: readonly number[]): number {
  return row[0] === OP_GEMM_UPPER ? (row[3]! * row[3]! * row[4]!) / 2 : row[3]! * row[4]! * row[5]!;
}

/** Steps of getrf and potrf with fewer multiply-adds in their update run whole on the calling thread. */
const STEP_MIN_WORK = GEMM_MIN_WORK;
/** Width of a step's column ranges (a multiple of 8), but for the last few. */
const LU_PANEL = 128;
/** Columns per task of the row swaps left of the panel (data movement only: any split is exact). */
const LU_SWAP_COLS = 256;

/**
 * The task rows of getrf's step after panel j (assembly/lu.ts luStep), or none when the step
 * is small. The update of columns j + jb … n − 1 is cut into ranges that start 8k columns into
 * it, are at least 8 wide (unless the whole is narrower) and, but for the last, a multiple of 8:
 * trsm and gemm then take for every column the path they take in the one call (the same
 * vector/scalar split of trsm's rows, never the matrix–vector or unpacked small gemm path
 * unless the whole call does). The first range holds the next panel's columns and factors it
 * (luNext); it comes first, so the caller takes it while the workers start on the rest. The
 * left swaps come last, in small tasks that even out the end of the job. A function of the
 * shape alone. @internal
 */
export function luStepRows(m: number, n: number, j: number, jb: number, jbn: number, a: number, lda: number,
  ipiv: number): number[][] {
  const jn = j + jb, right = n - jn;
  const rows: number[][] = [];
  if (Math.max(m - jn, 1) * right * jb < STEP_MIN_WORK) return rows;
  let first = 0;
  if (jbn > 0) {
    first = Math.min(right, Math.ceil(jbn / 8) * 8);
    if (right - first < 8) first = right;
    rows.push([OP_LU_NEXT, m, j, jb, first, jbn, a, lda, ipiv]);
  }
  // The rest: LU_PANEL-wide ranges, then the last 2–3 LU_PANEL columns in four narrower
  // ones, so that the threads' last tasks end close together.
  const rest = right - first;
  const tail = rest <= 2 * LU_PANEL ? rest : 2 * LU_PANEL + (rest % LU_PANEL);
  let c0 = jn + first;
  for (; c0 < n - tail; c0 += LU_PANEL) rows.push([OP_LU_UPDATE, m, j, jb, c0, LU_PANEL, a, lda, ipiv]);
  if (tail > 0) {
    const w = Math.max(8, Math.ceil(tail / 4 / 8) * 8);
    const panels = Math.max(1, Math.floor(tail / w) + (tail % w >= 8 ? 1 : 0));
    for (let t = 0; t < panels; t++, c0 += w) rows.push([OP_LU_UPDATE, m, j, jb, c0, t === panels - 1 ? n - c0 : w, a, lda, ipiv]);
  }
  for (let c = 0; c < j; c += LU_SWAP_COLS) rows.push([OP_LU_SWAP, j, jb, c, Math.min(LU_SWAP_COLS, j - c), a, lda, ipiv]);
  return rows;
}

/** Columns per trailing-update range of a potrf step: assembly/cholesky.ts CH_RANGE. */
const CH_RANGE = 64;

/**
 * The task rows of potrf's step after panel j (assembly/cholesky.ts cholStep), or none when
 * the step is small: first the next panel's jbn columns, updated and factored (cholNext),
 * then the other trailing columns in ranges of CH_RANGE (cholUpdate), exactly cholStep's
 * calls in its order. The ranges' work falls with the rows below them, so the last tasks are
 * the smallest and the threads end close together. A function of the shape alone. @internal
 */
export function cholStepRows(n: number, j: number, jb: number, jbn: number, a: number, lda: number): number[][] {
  const jn = j + jb, rest = n - jn;
  const rows: number[][] = [];
  if ((rest * rest * jb) / 2 < STEP_MIN_WORK) return rows;
  rows.push([OP_CHOL_NEXT, n, j, jb, jbn, jbn, a, lda]);
  for (let c0 = jn + jbn; c0 < n; c0 += CH_RANGE) rows.push([OP_CHOL_UPDATE, n, j, jb, c0, Math.min(CH_RANGE, n - c0), a, lda]);
  return rows;
}

/** Sets the stall limit (tests of a worker that stops answering). @internal */
export function setStallMs(ms: number): void {
  stallMs = ms;
}
