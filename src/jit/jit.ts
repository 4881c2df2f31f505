// jit: record the kernels a function runs once, then replay them for later calls with the
// same argument structure and shapes (JAX's `jax.jit`, minus the compiler).
//
// Everything a transform does in JavaScript — tracers, linear staging, transposition, shape
// rules, pytree bookkeeping — ends in eager primitive applications on concrete tensors
// (`bind` with no tracer among the arguments). Recording keeps exactly that list: each
// step's primitive, params and where its arguments come from (an input leaf, an earlier
// step's output, or a JS-owned constant). Replaying runs the primitives' implementations
// in order and nothing else, so `jit(grad(f))` costs about what its kernels cost.
//
// A recording is only valid if the computation cannot take another path for other input
// values. It is refused (and f simply runs un-jitted for that signature) when, while it
// records, f reads the entries of a value that depends on the inputs (data-dependent control
// flow; values computed from constants alone may be read), a kernel raises an error (f might
// catch it and go another way), f uses an arena value it did not compute (a tensor leaked from
// another call) or a tracer of a transform around the call (a value it closes over). What the
// recorder cannot see is plain JavaScript state: like `jax.jit`, a jitted function must be a
// pure function of its arguments; side effects in it run when it is recorded, and the
// tensors it closes over are constants of the recording.
//
// A signature is first recorded dry: f and its transforms run, but the kernels of steps that
// depend on the arguments do not (their outputs are left unwritten), and the result comes
// from replaying the recording, fused and pruned. Only if that cannot stand (f reads a value,
// raises, or reaches a step whose error would depend on the values) does f run for real.
import { checkFunction, checkOptions, fn as fnCheck } from "../options.js";
import { DTypeError, MemoryLimitError } from "../errors.js";
import { Tensor, allocTensor, asTensor, prepareStorage, readHook, releasedError, scoped, withShape, type TensorLike } from "../core/tensor.js";
import { checkTreeNodes, flattenStatic, treeKey, unflatten, type StaticTreeDef } from "../core/pytree.js";
import { Tracer, recording, traceDepth, type Primitive, type Recorder } from "../core/primitive.js";
import { sizeOf, type Shape } from "../core/shape.js";
import { deref, dropPlan, runSteps, shapeTable, slotOf, verifyDrops, type Drops, type Program, type Ref, type Step } from "./program.js";
import { moveDown, regionClose_p, regionOpen_p, type RegionParams } from "../ops/markers.js";
import { JIT_PASSES, LINEARIZE_PASSES, jitDebug, runPasses } from "./pipeline.js";
import { ProgramError } from "./program.js";
import { rt } from "../wasm/module.js";
import { abortTape, beginTape, lastPostedSlot, postTape, settleTape, tapeInFlight, tapeSlotFree, tapeStats, taping, tapeTuning, worthTaping } from "../wasm/tape.js";
import { reshape_p } from "../ops/structure.js";

/** How to rebuild what f returned: `[result]` as a treedef (see {@link planOut}). */
type OutDef = StaticTreeDef;

/** A cached recording: the program, how to rebuild f's result from its outputs. */
interface CachedProgram extends Program {
  outDef: OutDef;
  /** Storage of the program's own constants that results share (see {@link ownConstants}). */
  own: Set<Float64Array>;
  /** When the replay lets go of each value (see {@link dropPlan}). */
  drops: Drops;
  /** Whether the steps hold regions (jacobian chunks), which threads may run on workers. */
  regions: boolean;
  /**
   * The values array of the last replay, empty again, for the next one: a new array of 10⁵
   * slots costs more than the replay's own bookkeeping (its memory is fresh every call).
   * Null while a replay holds it.
   */
  spare: Tensor[] | null;
}

/** Ends a dry recording that met a step it must run but cannot (see {@link Recording.skip}). */
class DryAbort extends Error {}

/** @internal Exported for tests that inject failures into it. */
export class Recording implements Recorder {
  inImpl = 0;
  depth = 0;
  failed: string | null = null;
  /** Every failure is a kernel error: a later call (at other values) may record. */
  retry = true;
  readonly steps: Step[] = [];
  /**
   * Marks the values this recording knows (Tensor._rec): where each comes from (`_recRef`)
   * and whether it is computed from the inputs (`_recDep`; the others are computed from
   * constants alone). A token of its own, so a value the caller keeps holds nothing of the
   * recording alive.
   */
  private readonly token = {};
  private slots = 0;

  /**
   * @param dry Skip the kernels of input-dependent steps (the caller replays the recording
   *   for the result): recording then costs the JavaScript of f and its transforms only.
   */
  constructor(inputs: readonly Tensor[], readonly dry = false) {
    this.addInputs(inputs, 0);
  }

  skip(prim: Primitive<unknown>, args: readonly Tensor[], shapes: readonly Shape[]): Tensor[] | null {
    if (!this.dry || this.failed !== null || !args.some((a) => this.dependsOnInputs(a))) return null;
    // Its error would depend on the (unknown) values: record it by running f for real.
    if (prim.mayRaise) throw new DryAbort();
    return shapes.map((s) => allocTensor(s, prim.name));
  }

  /** Registers input leaves as inputs `first, first+1, …`. */
  addInputs(inputs: readonly Tensor[], first: number): void {
    inputs.forEach((t, i) => this.place(t, { kind: "in", i: first + i }, true));
  }

  private place(t: Tensor, r: Ref, dependent: boolean): void {
    t._rec = this.token;
    t._recRef = r;
    t._recDep = dependent;
  }

  private dependsOnInputs(t: Tensor): boolean {
    return t._rec === this.token && t._recDep;
  }

  get slotCount(): number {
    return this.slots;
  }

  fail(why: string, retry = false): void {
    this.failed ??= why;
    if (!retry) this.retry = false;
  }

  /** Reading an input-dependent value from JavaScript means the path may depend on it. */
  onRead = (t: Tensor): void => {
    if (this.inImpl > 0) return;
    if (this.dependsOnInputs(t)) this.fail("f reads the entries of a value computed from its inputs");
  };

  ref(t: Tensor): Ref | null {
    if (t._rec === this.token) return t._recRef as Ref;
    // A JS-owned tensor that no step produced is a constant (captured data, zeros a rule
    // made, a number the user wrote): its entries never change.
    if (t._buf !== null) return { kind: "const", t };
    return null;
  }

  step(prim: Primitive<unknown>, args: readonly Tensor[], params: unknown, outs: readonly Tensor[]): void {
    this.guard(() => this.record(prim, args, params, outs));
  }

  /**
   * Runs a piece of the recorder: a failure of its own (a bug, a limit of the engine) must not
   * reach f, which then simply runs un-jitted for this signature.
   */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.fail(`jit failed while recording (${internalReason(e)})`);
    }
  }

  private record(prim: Primitive<unknown>, args: readonly Tensor[], params: unknown, outs: readonly Tensor[]): void {
    if (this.failed) return;
    const refs: Ref[] = [];
    let dependent = false;
    for (const a of args) {
      const r = this.ref(a);
      if (r === null) {
        this.fail(`${prim.name} uses an arena value that this call did not compute`);
        return;
      }
      refs.push(r);
      if (this.dependsOnInputs(a)) dependent = true;
    }
    const out = this.slots;
    for (let j = 0; j < outs.length; j++) {
      const o = outs[j]!;
      // An output that is an argument, an input or an earlier value under the same object
      // (stopGradient returns its argument) stays what it was.
      if (o._rec === this.token || args.includes(o)) continue;
      this.place(o, { kind: "slot", i: out + j }, dependent);
    }
    this.slots += outs.length;
    this.steps.push({ prim, params, args: refs, out, nOut: outs.length, shapes: outs.map((o) => o.shape) });
  }

  /** Params of the regions opened and not yet closed (see regions.ts). */
  private readonly openRegions: RegionParams[] = [];

  openRegion(): void {
    this.guard(() => this.open());
  }

  closeRegion(block: Tensor): void {
    this.guard(() => this.close(block));
  }

  private open(): void {
    const p: RegionParams = { mark: 0, rewind: true };
    this.openRegions.push(p);
    this.steps.push({ prim: regionOpen_p as Primitive<unknown>, params: p, args: [], out: this.slots, nOut: 0, shapes: [] });
  }

  private close(block: Tensor): void {
    const p = this.openRegions.pop();
    const r = this.ref(block);
    if (p === undefined || r === null) return; // no open region, or a failed recording: nothing to mark
    const out = this.slots++;
    this.steps.push({ prim: regionClose_p as Primitive<unknown>, params: p, args: [r], out, nOut: 1, shapes: [block.shape] });
    // Later steps read the block as the close step's output (where the replay moved it).
    this.place(block, { kind: "slot", i: out }, this.dependsOnInputs(block));
  }

  /** Where each result comes from; null if the recording cannot stand for f. */
  program(results: readonly Tensor[]): Ref[] | null {
    if (this.failed) return null;
    const outs: Ref[] = [];
    for (const t of results) {
      if (t instanceof Tracer) {
        this.fail("f returns a traced value of a transform around the jitted call");
        return null;
      }
      const r = this.ref(t);
      if (r === null) {
        this.fail("a result is not computed by this call");
        return null;
      }
      outs.push(r);
    }
    return outs;
  }

  /** Runs `fn` with this recording active (and the read hook set). */
  during<T>(fn: () => T): T {
    const prev = recording.current;
    const prevHook = readHook.onRead;
    recording.current = this;
    readHook.onRead = this.onRead;
    this.depth = traceDepth();
    try {
      return fn();
    } finally {
      recording.current = prev;
      readHook.onRead = prevHook;
    }
  }
}

function replay(p: CachedProgram, inputs: readonly Tensor[]): Tensor[] {
  const vals: Tensor[] = p.spare ?? new Array<Tensor>(p.slots);
  p.spare = null;
  if (rt().pool === null || !p.regions) runSteps(p.steps, 0, p.steps.length, vals, inputs, p.drops);
  else {
    // While the worker runs the first chunk, the caller readies the JS storage of the large
    // results (its page faults are most of the copy out's time), out of the serial end.
    runChunked(p.steps, vals, inputs, p.drops, () => {
      for (const n of outSizes(p)) prepareStorage(n);
    });
  }
  const results = p.outs.map((r) => {
    const t = deref(r, vals, inputs);
    // A result sharing a constant's storage (the constant itself, or a reshape of it) is
    // copied: each call returns tensors of its own, as f does.
    return t._buf !== null && p.own.has(t._buf) ? new Tensor(t.shape, t._buf.slice()) : t;
  });
  // Every other slot was dropped on the way: with the results' cleared, the array is empty.
  for (const r of p.outs) if (r.kind === "slot") vals[r.i] = undefined!;
  p.spare = vals;
  return results;
}

const outSizesOf = new WeakMap<CachedProgram, number[]>();

/** Entries of each result a program's steps make (found once per program). */
function outSizes(p: CachedProgram): number[] {
  let sizes = outSizesOf.get(p);
  if (sizes !== undefined) return sizes;
  const shapeOf = shapeTable(p.steps, []);
  sizes = p.outs.flatMap((r) => {
    const shape: Shape | undefined = r.kind === "slot" ? shapeOf(r) : undefined;
    return shape === undefined ? [] : [sizeOf(shape)];
  });
  outSizesOf.set(p, sizes);
  return sizes;
}

/**
 * Per top-level region (by its params): entries its steps make, and those of the regions after
 * it; and whether some region opens inside another (tape regions are then not used: a nested
 * region's rewind inside a chunk would leave its memory's extent unknown).
 */
interface RegionPlan {
  regions: Map<RegionParams, { work: number; after: number }>;
  nested: boolean;
}
const regionPlans = new WeakMap<readonly Step[], RegionPlan>();

/**
 * The work of each top-level region of `steps` (entries its steps make, reshapes aside: views,
 * no kernel) and of the top-level regions after it.
 */
function regionPlan(steps: readonly Step[]): RegionPlan {
  let plan = regionPlans.get(steps);
  if (plan !== undefined) return plan;
  plan = { regions: new Map(), nested: false };
  const order: { p: RegionParams; work: number; after: number }[] = [];
  let depth = 0;
  for (const s of steps) {
    if (s.prim === regionOpen_p) {
      if (depth++ === 0) order.push({ p: s.params as RegionParams, work: 0, after: 0 });
      else plan.nested = true;
    } else if (s.prim === regionClose_p) depth--;
    else if (depth > 0 && s.prim !== reshape_p) {
      for (const shape of s.shapes) order[order.length - 1]!.work += sizeOf(shape);
    }
  }
  for (let i = order.length - 2; i >= 0; i--) order[i]!.after = order[i + 1]!.after + order[i + 1]!.work;
  for (const r of order) plan.regions.set(r.p, r);
  regionPlans.set(steps, plan);
  return plan;
}

/**
 * Tape regions of one replay (see runChunked): the memory worker 1's chunks run in, taken in
 * turn. A posted chunk's memory stays allocated until its tape has run, so chunks taped one
 * above the other make worker 1 write memory no chunk of the call touched, which costs a chunk
 * 17–28 % (bench/NOTES.md, session 30). Instead the first taped chunk's memory and a second
 * range as large above it are reused: a chunk is taped into a region once the tape that last
 * used it has run, after the blocks already moved to the region's start. At each such chunk's
 * close the rest of its region is retired (Arena.retire): what the chunk cached there (a
 * JS-owned constant's copy) reads as released, so no chunk taped later points its tape into a
 * region that may be reused before that tape runs. Two unfinished tapes never share a region,
 * so the caller may still run one that worker 1 has not started.
 */
interface TapeRegions {
  /** Each region's start, the blocks at its start, and its last tape's slot and work. */
  start: [number, number];
  blocks: [number, number];
  slot: [number, number];
  work: [number, number];
  /** Bytes of a region: the first chunk's memory and room for REGION_BLOCKS blocks. */
  size: number;
  /** The first chunk's block (bytes) and work (entries). */
  blockBytes: number;
  firstWork: number;
  /** The region the next taped chunk goes to. */
  next: number;
}

/** Blocks a tape region holds at its start before chunks stop going there. */
const REGION_BLOCKS = 4;

/**
 * runSteps for a program with jacobian chunks (top-level regions that rewind), on a runtime
 * with threads: a chunk is taped (src/wasm/tape.ts) and posted to a worker when it is free,
 * and the chunks after it run on the caller meanwhile, above the posted chunk's memory, until
 * the worker is done. Then the caller's blocks move down right after the posted chunk's
 * block, so the memory of all of them is given back as one chunk's would be, and the next
 * chunk may be taped. With tape regions (TapeRegions, `tapeTuning.regions`) the chunks after
 * the first taped one go into the regions in turn instead, and nothing is given back before
 * the end. Same calls, same arguments: the same bits as runSteps.
 */
function runChunked(steps: readonly Step[], vals: Tensor[], inputs: readonly Tensor[], drops: Drops, onPosted: () => void): void {
  const arena = rt().arena;
  const plan = regionPlan(steps);
  let prefaulted = false;
  /** Work of the chunks posted and not yet waited for. */
  let queued = 0;
  let depth = 0;
  /** The region being taped. */
  let taped: RegionParams | null = null;
  /** The posted chunk's block slot and block end, and the arena top its memory reaches. */
  let flightSlot = -1, flightEnd = 0;
  /** Block slots of the chunks since (run here, or taped behind), and the arena top after the last. */
  const followers: number[] = [];
  let expectTop = 0;
  /** Whether the region open now runs on the caller while the posted one runs. */
  let following = false;
  const pool = rt().pool!;
  const useRegions = tapeTuning.regions && !plan.nested;
  let regions: TapeRegions | null = null;
  /** While a chunk is taped into a tape region: which, and the caller's top to go back to. */
  let into = -1, callerTop = 0;
  /** Work of the region tapes not finished yet (what `queued` counts while regions are used). */
  const pendingWork = (g: TapeRegions): number =>
    (g.slot[0] >= 0 && !pool.tapeFinished(g.slot[0]) ? g.work[0] : 0) + (g.slot[1] >= 0 && !pool.tapeFinished(g.slot[1]) ? g.work[1] : 0);
  /** The region a chunk making `work` entries may be taped into now, or −1. */
  const freeRegion = (g: TapeRegions, work: number): number => {
    const R = g.next;
    if (work > g.firstWork || g.blocks[R] >= REGION_BLOCKS) return -1;
    return g.slot[R] < 0 || pool.tapeFinished(g.slot[R]) ? R : -1;
  };
  /**
   * Waits for the posted chunk; when nothing was allocated since the last chunk closed, moves
   * the caller's blocks down right after its block (freeing the rest of the memory).
   */
  const settle = (): void => {
    settleTape();
    queued = 0;
    if (regions !== null) {
      // The blocks stay where they are (in the regions and above them) until the call ends.
      regions = null;
      followers.length = 0;
      flightSlot = -1;
      return;
    }
    if (followers.length > 0 && arena.mark() === expectTop) {
      arena.rewind(flightEnd);
      for (const slot of followers) {
        const t = vals[slot];
        // A block no later step reads (dropped), or from outside the region (JS-owned, or
        // made before it), stays where it is.
        if (t === undefined || t._buf !== null || t._ptr < flightEnd) continue;
        vals[slot] = moveDown(t);
      }
    }
    followers.length = 0;
    flightSlot = -1;
  };
  let ok = false;
  pool.tapesHot(true);
  try {
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k]!;
      if (s.prim === regionOpen_p) {
        const p = s.params as RegionParams;
        if (depth++ === 0 && p.rewind) {
          following = false;
          // Taped while worker 1's queue, at its cost, ends before the caller's share would.
          const r = plan.regions.get(p);
          if (regions !== null) queued = pendingWork(regions);
          // (Tapes worker 1 has not started when the caller must wait are run by the caller.)
          const worth = r !== undefined && worthTaping(r.work, queued, r.after, tapeTuning.workerCost);
          if (regions !== null && tapeInFlight()) {
            // Into the next region once its last tape has run, else here above everything.
            const R = worth && tapeSlotFree() ? freeRegion(regions, r!.work) : -1;
            if (R >= 0) {
              const at = regions.start[R]! + regions.blocks[R]! * regions.blockBytes;
              const end = regions.start[R]! + regions.size;
              callerTop = arena.mark();
              // (What the region's last chunk cached there was retired at its close.)
              arena.moveTop(at);
              arena.ceiling = end;
              arena.spillTo = callerTop;
              into = R;
            } else if (arena.mark() === expectTop) following = true;
            else settle();
          } else if (tapeInFlight()) {
            // While the worker runs, chunks that come directly after run here, above its
            // memory, or are taped for it to run next while the caller has as much left to do.
            if (pool.tapeRunning && arena.mark() === expectTop) following = !(worth && tapeSlotFree());
            else settle();
          }
          runSteps(steps, k, k + 1, vals, inputs, drops);
          if (!following && worth && beginTape()) {
            taped = p;
            if (into >= 0) p.inRegion = true;
            queued += r!.work;
            if (!prefaulted) {
              prefaulted = true;
              onPosted();
            }
          } else if (into >= 0) {
            // No tape after all (beginTape refused): the chunk runs here, above everything.
            into = -1;
            arena.ceiling = Infinity;
            arena.moveTop(callerTop);
            p.mark = callerTop;
            following = true;
          }
          continue;
        }
      } else if (s.prim === regionClose_p) {
        const p = s.params as RegionParams;
        if (--depth === 0 && p === taped) {
          taped = null;
          if (into >= 0) {
            // Taped into a region (or, if it flushed, run here in it): the block moves to the
            // region's start; the caller goes on from where it was.
            const R = into;
            into = -1;
            const g = regions!;
            // Above the caller's top if the chunk outgrew the region (Arena.ceiling).
            const reach = arena.mark();
            runSteps(steps, k, k + 1, vals, inputs, drops);
            p.inRegion = false;
            arena.ceiling = Infinity;
            // What the chunk cached in the region (a JS-owned constant's copy) reads as
            // released from now on: a chunk taped later must not point its tape into a region
            // that may be reused before that tape runs.
            arena.retire(arena.mark(), g.start[R]! + g.size);
            g.blocks[R]!++;
            g.next = 1 - R;
            followers.push(slotOf(s, 0));
            arena.moveTop(Math.max(callerTop, reach));
            if (taping()) {
              postTape();
              tapeStats.inRegion++;
              g.slot[R] = lastPostedSlot();
              g.work[R] = plan.regions.get(p)?.work ?? 0;
            }
            expectTop = arena.mark();
            continue;
          }
          if (taping()) {
            // The close moves the block down by a taped copy; the chunk's memory stays
            // allocated (up to `top`) until the worker has run it.
            const top = arena.mark();
            runSteps(steps, k, k + 1, vals, inputs, drops);
            const slot = slotOf(s, 0);
            const first = !tapeInFlight();
            if (!first) followers.push(slot); // behind another: moves down as the caller's do
            else {
              flightEnd = arena.mark();
              flightSlot = slot;
            }
            let reach = top;
            if (first && useRegions) {
              // The first taped chunk: its memory is region 0, a second as large above it is
              // region 1, and the caller's chunks go on above both.
              const bytes = top - p.mark, blockBytes = flightEnd - p.mark;
              const size = Math.ceil((bytes * tapeTuning.regionScale + REGION_BLOCKS * blockBytes) / 16) * 16;
              const w = plan.regions.get(p)?.work ?? 0;
              // (Region 1 starts above the first chunk's memory even when regions are sized smaller.)
              const start1 = p.mark + Math.max(size, Math.ceil(bytes / 16) * 16);
              regions = { start: [p.mark, start1], blocks: [1, 0], slot: [-1, -1], work: [w, 0], size, blockBytes, firstWork: w, next: 1 };
              reach = start1 + size;
            }
            arena.raiseTo(reach);
            postTape();
            if (regions !== null && first) regions.slot[0] = lastPostedSlot();
            expectTop = arena.mark();
            continue;
          }
        } else if (depth === 0 && following) {
          following = false;
          runSteps(steps, k, k + 1, vals, inputs, drops);
          followers.push(slotOf(s, 0));
          expectTop = arena.mark();
          // The worker done already: its memory and this chunk's are given back now (with
          // tape regions, they are kept for the next chunks to go into).
          if (regions === null && !pool.tapeRunning) settle();
          continue;
        }
      } else if (tapeInFlight()) {
        // A step between chunks, or one reading a block not moved yet: wait first.
        let wait = depth === 0;
        const refs = s.args;
        for (let i = 0; i < refs.length && !wait; i++) {
          const r = refs[i]!;
          wait = r.kind === "slot" && (r.i === flightSlot || followers.includes(r.i));
        }
        if (wait) settle();
      }
      runSteps(steps, k, k + 1, vals, inputs, drops);
    }
    ok = true;
  } finally {
    pool.tapesHot(false);
    abortTape();
    arena.ceiling = Infinity;
    // A chunk that failed inside a region must not leave its close moving the top next time.
    if (!ok) for (const rp of plan.regions.keys()) rp.inRegion = false;
    if (ok) settle();
    else {
      try {
        settleTape();
      } catch {
        // the error already on its way is the one to report
      }
    }
  }
}

/**
 * Gives the program its own copies of the constants whose storage a result shares (zeros a
 * rule made for an argument f ignores, a scalar 1 reshaped into a gradient, a captured tensor
 * returned as it is): the caller may write into the recording call's results, and that must
 * not change later replays. Returns the copies' storage.
 */
function ownConstants(steps: Step[], outs: Ref[], results: readonly Tensor[]): Set<Float64Array> {
  const shared = new Set<Float64Array>();
  for (const t of results) if (t._buf !== null) shared.add(t._buf);
  const copies = new Map<Tensor, Tensor>();
  const own = (r: Ref): Ref => {
    if (r.kind !== "const" || !shared.has(r.t._buf!)) return r;
    let c = copies.get(r.t);
    if (c === undefined) copies.set(r.t, (c = new Tensor(r.t.shape, r.t._buf!.slice())));
    return { kind: "const", t: c };
  };
  for (const s of steps) s.args = s.args.map(own);
  outs.forEach((r, i) => (outs[i] = own(r)));
  return new Set([...copies.values()].map((c) => c._buf!));
}

/** Recordings kept per jitted function (distinct argument signatures). */
const MAX_SIGNATURES = 16;

/**
 * Options of {@link jit}.
 * @category Transforms
 */
export interface JitOptions {
  /**
   * Called with the reason when a signature cannot be recorded (f then runs un-jitted for
   * it, which is always correct, only slower).
   */
  onFallback?: (reason: string) => void;
}

/**
 * Compiles `f` for repeated calls: the first call with a given argument structure and shapes
 * runs `f` and records the kernels it executes; later calls with the same signature replay
 * them directly, skipping all tracing. Use it on transformed functions that are called many
 * times, e.g. inside an optimization loop.
 *
 * As with `jax.jit`, `f` must be a pure function of its arguments: JavaScript side effects
 * run only when a signature is first recorded (twice, once, if its first, dry recording
 * cannot stand, e.g. when `f` reads a value), and tensors `f` closes over are constants of
 * the recording (assigning another tensor to a captured variable does not change later
 * replays). Only tensors are traced: every other leaf of the arguments (numbers, booleans,
 * strings, null, undefined, arrays of numbers, Float64Arrays) is static, as with `jax.jit`'s
 * `static_argnums`: `f` receives it unchanged (`typeof s === "number"`, `switch (s)` and
 * `Array.isArray(a)` hold), and its value is part of the signature, so a new value records
 * anew (static arrays are keyed by their entries on every call: pass data as tensors). Pass
 * `scalar(s)` for a scalar that should be traced. Object keys are part of the
 * signature in their order; results that are not tensors come back as they were recorded.
 * Code whose control flow reads input values (`.data`, `.toArray()`, `.item()` of a value
 * computed from the arguments) cannot be replayed; matcalc detects this and runs `f`
 * normally for that signature, as it does when a kernel raises an error during the recording
 * (f might catch it). A replay that raises an error runs `f` instead, so `f` handles (or
 * raises) it as it would un-jitted.
 *
 * @example
 * ```ts
 * const A = matrix([[2, 1], [1, 3]]);
 * const g = jit(grad((x: Tensor) => x.dot(A.matmul(x))));
 * g(vector([1.2, 0.8])).toArray();   // [6.4, 7.2]  (recorded)
 * g(vector([1, 0])).toArray();       // [4, 2]      (replayed)
 * ```
 * @category Transforms
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): F {
  checkFunction("jit", f);
  checkOptions("jit", opts, { onFallback: fnCheck });
  const cache = new Map<string, Program | string>();
  /** Why the last recording failed, reported once its arena scope has closed. */
  let failure: string | null = null;
  /** Whether to try a dry recording first (until one of f's could not stand). */
  let dry = true;
  const fallback = (key: string, why: string, retry = false): void => {
    if (!retry) remember(cache, key, why);
    failure = why;
  };
  const record = (plan: ArgPlan, args: unknown[]): unknown => {
    failure = null;
    let result: unknown;
    /** Recorded dry but not compiled (keep said why): f runs un-jitted, after the report. */
    let uncompiled = false;
    try {
      if (dry) {
        if (recordDry(plan, args)) {
          if (typeof cache.get(plan.key) !== "string") return replayCached(plan, args);
          uncompiled = true;
        } else {
          // f reads values, raises, or uses linear algebra: record its other signatures for real.
          dry = false;
        }
      }
      if (!uncompiled) result = recordScoped(plan);
    } catch (e) {
      if (!(e instanceof MemoryLimitError)) throw e;
      // A recording keeps every value alive to the end; run alone, f may free as it goes
      // (jacobian frees each chunk).
      const why = "f needs more memory than a recording can hold";
      remember(cache, plan.key, why);
      failure = null;
      opts.onFallback?.(why);
      return f(...args);
    }
    const why = failure;
    failure = null;
    // Outside the scope: tensors the callback makes are the caller's, as anywhere else.
    if (why !== null) opts.onFallback?.(why);
    return uncompiled ? f(...args) : result;
  };
  const recordScoped = (plan: ArgPlan): unknown =>
    scoped(() => {
      // Fresh objects stand for the arguments, so a tensor that f also captures (or that is
      // passed twice) is told apart from the argument by identity.
      const inputs = plan.leaves.map((t) => withShape(t, t.shape));
      const rec = new Recording(inputs);
      const fresh = rebuildArgs(plan, inputs);
      const result = rec.during(() => f(...fresh));
      if (rec.failed !== null) {
        fallback(plan.key, rec.failed, rec.retry);
        return result;
      }
      const outLeaves: Tensor[] = [];
      const outDef = planOut(result, outLeaves);
      if (outDef === null) {
        fallback(plan.key, "f returns values jit cannot rebuild (only tensors, numbers, strings, booleans, null, undefined, bigints and Float64Arrays, in arrays and plain objects)");
        return result;
      }
      const outs = rec.program(outLeaves);
      if (outs === null) fallback(plan.key, rec.failed ?? "a result is not computed by this call");
      else keep(plan, rec, inputs, outs, outDef, outLeaves);
      return result;
    });
  /**
   * Compiles a finished recording (the passes of {@link JIT_PASSES}, pipeline.ts) and caches
   * it. If compiling fails (a pass's own failure), the signature runs un-jitted from now on:
   * false, with the reason given to `fallback`.
   */
  const keep = (plan: ArgPlan, rec: Recording, inputs: Tensor[], outs: Ref[], outDef: OutDef, outLeaves: Tensor[]): boolean => {
    try {
      const inShapes = inputs.map((t) => t.shape);
      const compiled = runPasses(JIT_PASSES, { steps: rec.steps, slots: rec.slotCount, outs, split: rec.steps.length }, inShapes);
      const own = ownConstants(compiled.steps, compiled.outs, outLeaves);
      const steps = compiled.steps;
      const drops = dropPlan(steps, compiled.outs);
      if (jitDebug.verify) verifyDrops(steps, compiled.outs, [0, steps.length], drops);
      const regions = steps.some((s) => s.prim === regionOpen_p);
      remember(cache, plan.key, { steps, slots: compiled.slots, outs: compiled.outs, outDef, own, drops, regions, spare: null });
      return true;
    } catch (e) {
      // Tests verify every pass's output: a broken invariant must fail them, not fall back.
      if (jitDebug.verify && e instanceof ProgramError) throw e;
      fallback(plan.key, `jit failed while compiling the recording (${internalReason(e)})`);
      return false;
    }
  };
  /**
   * Records f without running the kernels of steps that depend on the arguments; the caller
   * then replays the recording for the result, so a signature's first call costs about what
   * later ones do plus f's JavaScript. False when that cannot stand (f raises, reads a
   * value, returns what jit cannot rebuild, or reaches a step that can raise): the caller
   * then records by running f for real.
   */
  const recordDry = (plan: ArgPlan, args: unknown[]): boolean =>
    scoped(() => {
      const inputs = plan.leaves.map((t) => withShape(t, t.shape));
      const rec = new Recording(inputs, true);
      const fresh = rebuildArgs(plan, inputs);
      let result: unknown;
      try {
        result = rec.during(() => f(...fresh));
      } catch {
        return false;
      }
      if (rec.failed !== null) return false;
      const outLeaves: Tensor[] = [];
      const outDef = planOut(result, outLeaves);
      const outs = outDef === null ? null : rec.program(outLeaves);
      if (outs === null) return false;
      // Not compiled: the signature falls back (keep said why); true, so f is not recorded again.
      keep(plan, rec, inputs, outs, outDef!, outLeaves);
      return true;
    });
  const jitted = (...args: unknown[]): unknown => {
    // Nested jit or a call while another jit records: the outer recording decides. (A cycle,
    // a Symbol key or a getter is refused on every path; planArgs' walk refuses them itself.)
    if (recording.current !== null) {
      checkTreeNodes("jit", args);
      return f(...args);
    }
    const plan = planArgs(args);
    // A traced argument (a call from inside a transform) or one jit cannot key: f decides.
    if (plan === null) {
      checkTreeNodes("jit", args);
      return f(...args);
    }
    const cached = cache.get(plan.key);
    if (typeof cached === "string") return f(...args);
    if (cached === undefined) return record(plan, args);
    return replayCached(plan, args);
  };
  const replayCached = (plan: ArgPlan, args: unknown[]): unknown => {
    const cached = cache.get(plan.key) as CachedProgram;
    try {
      return scoped(() => rebuildOut(cached.outDef, replay(cached, plan.leaves)));
    } catch {
      // A kernel raised an error (a singular matrix, NaN into a factorization, …): f may
      // catch it and go on, or raise it itself. Either way, f decides.
      return f(...args);
    }
  };
  return jitted as F;
}

/** A short reason for an internal failure of the recorder or a pass. */
function internalReason(e: unknown): string {
  if (e instanceof RangeError) return `${e.message}: the recording is too long for this engine`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function remember(cache: Map<string, unknown>, key: string, v: unknown): void {
  if (cache.size >= MAX_SIGNATURES && !cache.has(key)) cache.delete(cache.keys().next().value!);
  cache.set(key, v);
}

/** The arguments' signature (jit's cache key), their structure and their tensor leaves in order. */
interface ArgPlan {
  key: string;
  def: StaticTreeDef;
  leaves: Tensor[];
}

/**
 * Flattens the arguments as pytrees (object keys in the caller's order, which is part of the
 * key): tensor leaves are inputs (keyed by shape); numbers, strings, booleans, null,
 * undefined, arrays of numbers and Float64Arrays are static (keyed by value, given to f as
 * they are), as `jax.jit`'s static_argnums. Null when some argument is a tracer (a call from
 * inside a transform) or a value jit cannot key (a function, a class instance).
 */
function planArgs(args: readonly unknown[]): ArgPlan | null {
  // A cycle, a Symbol key or a getter is a DTypeError naming jit.
  const flat = flattenStatic(args, "jit");
  if (flat === null) return null;
  const [leaves, def] = flat;
  return { key: treeKey(def), def, leaves };
}

/** The arguments with their tensor leaves replaced, in planArgs' order, by `fresh`. */
function rebuildArgs(plan: ArgPlan, fresh: readonly Tensor[]): unknown[] {
  return unflatten(plan.def, fresh) as unknown[];
}

/**
 * What f returned, as a structure to rebuild (tensors from the replay, every other leaf as
 * recorded); null for values jit cannot rebuild (functions, class instances, cycles).
 */
function planOut(x: unknown, leaves: Tensor[]): OutDef | null {
  let flat: [Tensor[], StaticTreeDef] | null;
  try {
    flat = flattenStatic([x], "jit", true, true);
  } catch (e) {
    if (e instanceof DTypeError) return null;
    throw e;
  }
  if (flat === null) return null;
  leaves.push(...flat[0]);
  return flat[1];
}

/** The result, rebuilt: static leaves as fresh copies, so a caller's writes never reach the recording. */
function rebuildOut(d: OutDef, leaves: readonly (Tensor | undefined)[]): unknown {
  return (unflatten(d, leaves, true) as unknown[])[0];
}

/** A recorded linearization: the steps up to `split` compute f(x) and the residuals; the rest, J·t. */
interface LinearizedProgram {
  steps: Step[];
  split: number;
  slots: number;
  outs: Ref[];
  outDef: OutDef;
  tangentOuts: Ref[];
  tangentDef: OutDef;
  /** Drops of the two parts: the tangent part reruns on the values of the first. */
  drops: Drops;
}

/**
 * `linearize` of a one-argument `f`, recorded (as {@link jit} records): a later call with the
 * same signature replays the kernels that evaluate f and its residuals at x, and each J·t
 * replays only the tangent kernels. Must run inside an open arena scope (an optimizer's
 * session): the residuals live in it. Falls back to plain `linearize` when f cannot be
 * recorded. `keepTangent(i)` false says the caller ignores the J·t output leaf i: replays
 * skip the steps only it needs and give `undefined` in its place (the optimizers read H·v
 * and not the tangent of f's value). @internal
 */
export function jitLinearize(
  f: (x: unknown) => unknown,
  linearize: (f: (x: unknown) => unknown, x: unknown) => [unknown, (t: unknown) => unknown],
  keepTangent: (leaf: number) => boolean = () => true,
): (x: unknown) => [unknown, (t: unknown) => unknown] {
  const cache = new Map<string, LinearizedProgram | string>();
  return (x) => {
    const plan = planArgs([x]);
    if (plan === null || recording.current !== null) return linearize(f, x);
    const key = plan.key, leaves = plan.leaves;
    const cached = cache.get(key);
    if (typeof cached === "string") return linearize(f, x);
    if (cached !== undefined) {
      const p = cached;
      const vals: Tensor[] = new Array<Tensor>(p.slots);
      try {
        runSteps(p.steps, 0, p.split, vals, leaves, p.drops);
      } catch {
        return linearize(f, x); // a kernel error: f handles or raises it, as in jit
      }
      const out = rebuildOut(p.outDef, p.outs.map((r) => deref(r, vals, leaves)));
      const jvpFn = (t: unknown): unknown => {
        const tp = planArgs([t]);
        if (tp === null || tp.key !== key) return linearize(f, x)[1](t);
        const inputs = [...leaves, ...tp.leaves];
        try {
          runSteps(p.steps, p.split, p.steps.length, vals, inputs, p.drops);
        } catch {
          return linearize(f, x)[1](t);
        }
        return rebuildOut(p.tangentDef, p.tangentOuts.map((r, i) => (keepTangent(i) ? deref(r, vals, inputs) : undefined)) as Tensor[]);
      };
      return [out, jvpFn];
    }
    // Record: the linearization now, the tangent part at the first J·t.
    const inputs = leaves.map((t) => withShape(t, t.shape));
    const rec = new Recording(inputs);
    const [out, lin] = rec.during(() => linearize(f, rebuildArgs(plan, inputs)[0]));
    const split = rec.steps.length;
    const outLeaves: Tensor[] = [];
    const outDef = planOut(out, outLeaves);
    if (outDef === null) rec.fail("f returns values jit cannot rebuild");
    let done = false;
    const jvpFn = (t: unknown): unknown => {
      // Recorded once; not while another jit records (that recording takes these steps).
      if (done || recording.current !== null) return lin(t);
      done = true;
      const tp = planArgs([t]);
      if (tp === null || tp.key !== key || outDef === null) {
        cache.set(key, "tangent of another structure");
        return lin(t);
      }
      const tin = tp.leaves.map((v) => withShape(v, v.shape));
      rec.addInputs(tin, leaves.length);
      const tres = rec.during(() => lin(rebuildArgs(tp, tin)[0]));
      const tLeaves: Tensor[] = [];
      const tDef = planOut(tres, tLeaves);
      if (tDef === null) {
        cache.set(key, "tangent outputs are not tensors");
        return tres;
      }
      const outsP = rec.program(outLeaves);
      const tanP = rec.program(tLeaves);
      if (outsP === null || tanP === null) {
        if (!rec.retry || rec.failed === null) remember(cache, key, rec.failed ?? "a result is not computed by this call");
      } else {
        const results = [...outsP, ...tanP.filter((_, i) => keepTangent(i))];
        const inShapes = [...inputs, ...tin].map((t) => t.shape);
        try {
          const final = runPasses(LINEARIZE_PASSES, { steps: rec.steps, slots: rec.slotCount, outs: results, split }, inShapes);
          const bounds = [0, final.split, final.steps.length];
          const drops = dropPlan(final.steps, results, bounds);
          if (jitDebug.verify) verifyDrops(final.steps, results, bounds, drops);
          remember(cache, key, { steps: final.steps, split: final.split, slots: rec.slotCount, outs: outsP, outDef, tangentOuts: tanP, tangentDef: tDef, drops });
        } catch (e) {
          if (jitDebug.verify && e instanceof ProgramError) throw e;
          remember(cache, key, `jit failed while compiling the recording (${internalReason(e)})`);
        }
      }
      return tres;
    };
    return [out, jvpFn];
  };
}
