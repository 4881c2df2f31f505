// The jit's program IR: what a recording is, and the few operations every pass and the
// driver share (slots, value keys, liveness, shapes, replay). Passes import this module and
// the markers (markers.ts), never each other or the driver (jit.ts).
//
// A program is a list of steps in order. Each step applies one primitive to refs (an input
// leaf, an earlier step's output slot, or a JS-owned constant) and writes its outputs to
// slots. Passes rewrite the list: they remove, replace and reorder steps, never change what
// a result computes except where their own comment says how (a fused sum in another order).
import type { Tensor } from "../core/tensor.js";
import type { Primitive } from "../core/primitive.js";
import type { Shape } from "../core/shape.js";
import { regionClose_p, regionOpen_p, type RegionParams } from "../ops/markers.js";
import { broadcastTo_p } from "../ops/reduce.js";

/** Where a step's argument or a result comes from. @internal */
export type Ref =
  | { kind: "in"; i: number }
  | { kind: "slot"; i: number }
  | { kind: "const"; t: Tensor };

/** One recorded primitive application. @internal */
export interface Step {
  prim: Primitive<unknown>;
  params: unknown;
  args: Ref[];
  /** Slot index of the first output; outputs occupy consecutive slots unless `outSlots` says otherwise. */
  out: number;
  nOut: number;
  /** The outputs' shapes (for the fusion pass). */
  shapes: Shape[];
  /** Explicit output slots (a fused step's outputs are the slots of the steps it replaced). */
  outSlots?: number[];
}

/** A recorded program: its steps, how many slots they write, and where its results are. @internal */
export interface Program {
  steps: Step[];
  slots: number;
  outs: Ref[];
}

/**
 * A key per distinct value a ref names (constants by identity), for passes that give each
 * value read from outside a fused step one argument. @internal
 */
export function refKeys(): (r: Ref) => string {
  const constIds = new Map<Tensor, number>();
  return (r) => {
    if (r.kind !== "const") return `${r.kind}${r.i}`;
    let id = constIds.get(r.t);
    if (id === undefined) constIds.set(r.t, (id = constIds.size));
    return `c${id}`;
  };
}

/** Slot of a step's j-th output. @internal */
export function slotOf(s: Step, j: number): number {
  return s.outSlots === undefined ? s.out + j : s.outSlots[j]!;
}

/** Appends `src` to `dst` without spreading (a spread of 10⁵ steps overflows the stack). @internal */
export function append<T>(dst: T[], src: readonly T[]): T[] {
  for (let i = 0; i < src.length; i++) dst.push(src[i]!);
  return dst;
}

/**
 * How many times each slot is read (the steps' arguments and the results), indexed by slot.
 * Every slot read is one a step writes (verifyProgram), so the table is {@link slotBound}
 * long. Typed arrays, not Maps: programs run to 10⁶ steps, and a Map of that many numbers cost
 * a second a pass. @internal
 */
export function readCounts(steps: readonly Step[], results: readonly Ref[]): Int32Array {
  const reads = new Int32Array(slotBound(steps));
  const n = reads.length;
  for (const r of results) if (r.kind === "slot" && r.i < n) reads[r.i]!++;
  for (const s of steps) {
    const args = s.args;
    for (let i = 0; i < args.length; i++) {
      const r = args[i]!;
      if (r.kind === "slot" && r.i < n) reads[r.i]!++;
    }
  }
  return reads;
}

/** Reads of `slot` in counts from {@link readCounts} (slots made after the count: 0). @internal */
export function readsOf(reads: Int32Array, slot: number): number {
  return slot < reads.length ? reads[slot]! : 0;
}

/**
 * The index in `steps` of the step writing each slot, indexed by slot (−1: none, or past the
 * table's end for slots made after it). @internal
 */
export function producers(steps: readonly Step[]): Int32Array {
  const at = new Int32Array(slotBound(steps)).fill(-1);
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    for (let j = 0; j < s.nOut; j++) at[slotOf(s, j)] = k;
  }
  return at;
}

/** The index of the step writing the slot `r` names (per {@link producers}), if any. @internal */
export function producerIndex(at: Int32Array, r: Ref): number | undefined {
  const k = r.kind === "slot" && r.i < at.length ? at[r.i]! : -1;
  return k < 0 ? undefined : k;
}

/** The step of `steps` that writes the slot `r` names (per {@link producers}), if any. @internal */
export function producerOf(steps: readonly Step[], at: Int32Array, r: Ref): Step | undefined {
  const k = producerIndex(at, r);
  return k === undefined ? undefined : steps[k];
}

/** One more than the largest slot `steps` write (a size for tables indexed by slot). */
function slotBound(steps: readonly Step[]): number {
  let n = 0;
  for (const s of steps) for (let j = 0; j < s.nOut; j++) n = Math.max(n, slotOf(s, j) + 1);
  return n;
}

/** The shape of any value a ref names in `steps` (inputs by their shapes). @internal */
export function shapeTable(steps: readonly Step[], inShapes: readonly Shape[]): (r: Ref) => Shape {
  // Indexed by slot, not a Map: programs run to 10⁶ steps, and this is built before every pass.
  const slots = new Array<Shape>(slotBound(steps));
  for (const s of steps) for (let j = 0; j < s.nOut; j++) slots[slotOf(s, j)] = s.shapes[j]!;
  return (r) => (r.kind === "const" ? r.t.shape : r.kind === "in" ? inShapes[r.i]! : slots[r.i]!);
}

/**
 * The steps some result needs, in order, and how many of the first `split` those are. A
 * recording holds everything f computed, and transforms compute more than they return (grad
 * evaluates f's value and drops it; a Hessian's forward pass, the primal outputs): a replay
 * skips it. Steps whose primitive can raise are kept, so a replay fails where f would.
 * @internal
 */
export function liveSteps(steps: readonly Step[], results: readonly Ref[], split = steps.length): { steps: Step[]; split: number } {
  // Live slots as a byte per slot (a Set of 10⁶ numbers costs most of a pass); a read of a
  // slot no step writes falls outside it and is ignored, as no step can be kept for it.
  const live = new Uint8Array(slotBound(steps));
  for (const r of results) if (r.kind === "slot") live[r.i] = 1;
  const keep: boolean[] = new Array<boolean>(steps.length);
  /** Regions whose close is kept: their open (no outputs, so never "used") is kept too. */
  const closed = new Set<unknown>();
  for (let k = steps.length - 1; k >= 0; k--) {
    const s = steps[k]!;
    let needed = s.prim.mayRaise === true || (s.prim === regionOpen_p && closed.has(s.params));
    for (let j = 0; j < s.nOut && !needed; j++) needed = live[slotOf(s, j)] === 1;
    keep[k] = needed;
    if (!needed) continue;
    const args = s.args;
    for (let i = 0; i < args.length; i++) {
      const r = args[i]!;
      if (r.kind === "slot") live[r.i] = 1;
    }
    if (s.prim === regionClose_p) closed.add(s.params);
  }
  let kept = 0;
  for (let k = 0; k < split; k++) if (keep[k]) kept++;
  return { steps: steps.filter((_, k) => keep[k]), split: kept };
}

/** The value a ref names during a replay. @internal */
export function deref(r: Ref, vals: readonly Tensor[], inputs: readonly Tensor[]): Tensor {
  return r.kind === "slot" ? vals[r.i]! : r.kind === "in" ? inputs[r.i]! : r.t;
}

/**
 * When a replay lets go of each value: step k drops `slots[at[k]]` … `slots[at[k + 1] − 1]`
 * after it runs. @internal
 */
export interface Drops {
  at: Int32Array;
  slots: Int32Array;
}

/**
 * The drops of a replay that runs `steps` in the parts `bounds` delimit (`[0, n]`: in one go;
 * `[0, split, n]`: a linearization, whose tangent part reruns on the values of the first). A
 * slot is dropped after its last read, or after its step if nothing reads it, unless a result
 * names it or a later part reads it: a part drops only slots it writes, so a rerun part finds
 * every value from earlier parts. Without drops, a replay would hold every value it made to its
 * end: a 10⁵-step program keeps 10⁵ tensors alive, and the collector copies them all.
 * @internal
 */
export function dropPlan(steps: readonly Step[], results: readonly Ref[], bounds: readonly number[] = [0, steps.length]): Drops {
  const n = slotBound(steps);
  /** The part that writes each slot (−1: none), and the step that last touches it. */
  const part = new Int32Array(n).fill(-1);
  const last = new Int32Array(n).fill(-1);
  /** Slots a result names or another part reads: never dropped. */
  const kept = new Uint8Array(n);
  for (const r of results) if (r.kind === "slot" && r.i < n) kept[r.i] = 1;
  let b = 0;
  for (let k = 0; k < steps.length; k++) {
    while (b + 1 < bounds.length - 1 && k >= bounds[b + 1]!) b++;
    const s = steps[k]!;
    const args = s.args;
    for (let i = 0; i < args.length; i++) {
      const r = args[i]!;
      if (r.kind !== "slot" || r.i >= n) continue;
      if (part[r.i] !== b) kept[r.i] = 1;
      else last[r.i] = k;
    }
    for (let j = 0; j < s.nOut; j++) {
      const slot = slotOf(s, j);
      part[slot] = b;
      if (last[slot] < k) last[slot] = k;
    }
  }
  const at = new Int32Array(steps.length + 1);
  for (let i = 0; i < n; i++) if (part[i] >= 0 && kept[i] === 0) at[last[i]! + 1]!++;
  for (let k = 0; k < steps.length; k++) at[k + 1]! += at[k]!;
  const slots = new Int32Array(at[steps.length]!);
  const fill = at.slice(0, steps.length);
  for (let i = 0; i < n; i++) if (part[i] >= 0 && kept[i] === 0) slots[fill[last[i]!]!++] = i;
  return { at, slots };
}

/**
 * Checks a drop plan by running it on slot numbers alone: no step reads a slot after its drop,
 * no slot is dropped twice or before its step, no result is dropped, a part drops only slots
 * it writes (a rerun part must find the earlier parts' values), and in a one-part plan
 * every other slot is dropped (a replay's values array ends empty, to be reused). Throws a
 * {@link ProgramError} naming `pass`. Tests run it on every plan (as verifyProgram). @internal
 */
export function verifyDrops(steps: readonly Step[], results: readonly Ref[], bounds: readonly number[], drops: Drops, pass = "dropPlan"): void {
  const fail = (why: string): never => {
    throw new ProgramError(pass, why);
  };
  const n = slotBound(steps);
  /** 0: not written yet, 1: holds a value, 2: dropped. */
  const state = new Uint8Array(n);
  const writer = new Int32Array(n);
  let b = 0;
  if (drops.at.length !== steps.length + 1) fail(`${drops.at.length} step offsets for ${steps.length} steps`);
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    while (b + 1 < bounds.length - 1 && k >= bounds[b + 1]!) b++;
    for (const r of s.args) if (r.kind === "slot" && state[r.i] === 2) fail(`step ${k} (${s.prim.name}) reads slot ${r.i} after its drop`);
    for (let j = 0; j < s.nOut; j++) {
      state[slotOf(s, j)] = 1;
      writer[slotOf(s, j)] = b;
    }
    for (let i = drops.at[k]!; i < drops.at[k + 1]!; i++) {
      const slot = drops.slots[i]!;
      if (state[slot] !== 1) fail(`step ${k} (${s.prim.name}) drops slot ${slot}, which holds no value`);
      if (writer[slot] !== b) fail(`step ${k} (${s.prim.name}) drops slot ${slot}, which an earlier part wrote`);
      state[slot] = 2;
    }
  }
  for (const r of results) if (r.kind === "slot" && state[r.i] === 2) fail(`result slot ${r.i} is dropped`);
  if (bounds.length === 2) {
    const result = new Set(results.flatMap((r) => (r.kind === "slot" ? [r.i] : [])));
    for (let i = 0; i < n; i++) if (state[i] === 1 && !result.has(i)) fail(`slot ${i} is never dropped`);
  }
}

/**
 * Runs steps `from` … `to − 1`, writing their outputs to `vals` and, given `drops`, clearing
 * the values no later step reads. @internal
 */
export function runSteps(steps: readonly Step[], from: number, to: number, vals: Tensor[], inputs: readonly Tensor[], drops?: Drops): void {
  // The replay's only JavaScript besides the kernels' own (an MLP Hessian runs thousands of
  // steps a call): plain loops, no closure per step.
  const at = drops?.at, dropped = drops?.slots;
  for (let k = from; k < to; k++) {
    const s = steps[k]!;
    const refs = s.args;
    const args = new Array<Tensor>(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const r = refs[i]!;
      args[i] = r.kind === "slot" ? vals[r.i]! : r.kind === "in" ? inputs[r.i]! : r.t;
    }
    const outs = s.prim.impl(args, s.params);
    if (s.outSlots === undefined) for (let j = 0; j < s.nOut; j++) vals[s.out + j] = outs[j]!;
    else for (let j = 0; j < s.nOut; j++) vals[s.outSlots[j]!] = outs[j]!;
    if (at !== undefined) for (let i = at[k]!, e = at[k + 1]!; i < e; i++) vals[dropped![i]!] = undefined!;
  }
}

const sizeOne = (s: Shape): boolean => s.every((d) => d === 1);

/** A region's open or close step. @internal */
export const isRegionStep = (s: Step): boolean => s.prim === regionOpen_p || s.prim === regionClose_p;

/**
 * Applies `pass` to the runs of steps between region steps, so no pass moves a step across a
 * region's boundary. @internal
 */
export function bySegments(steps: readonly Step[], pass: (segment: Step[]) => Step[]): Step[] {
  const out: Step[] = [];
  let seg: Step[] = [];
  for (const s of steps) {
    if (!isRegionStep(s)) {
      seg.push(s);
      continue;
    }
    append(out, pass(seg)).push(s);
    seg = [];
  }
  return append(out, pass(seg));
}

/**
 * The entry a broadcast of a single entry spreads (sum's transpose makes one: the cotangent 1
 * of a loss), which fused loops read at stride 0 instead; null for any other step. @internal
 */
export function broadcastEntry(s: Step, shapeOf: (r: Ref) => Shape): Ref | null {
  return s.prim === (broadcastTo_p as Primitive<unknown>) && sizeOne(shapeOf(s.args[0]!)) ? s.args[0]! : null;
}

export type { RegionParams };

/** A program that breaks an invariant of the IR; `pass` names the pass that made it. @internal */
export class ProgramError extends Error {
  constructor(readonly pass: string, why: string) {
    super(`matcalc: internal: jit program invalid after ${pass}: ${why}`);
    this.name = "ProgramError";
  }
}

/**
 * Checks the IR's invariants, throwing a {@link ProgramError} naming `pass` at the first one
 * broken: every slot is written once, before any read; inputs exist; each step records one
 * shape per output and, for primitives with a shape rule, the shapes that rule gives; regions
 * open and close in nested order; results name values that exist. Tests run it after every
 * pass (see pipeline.ts); it costs a shape rule per step, so replays never do. @internal
 */
export function verifyProgram(p: Program, inShapes: readonly Shape[], pass = "recording"): void {
  const fail = (k: number, why: string): never => {
    const s = p.steps[k];
    throw new ProgramError(pass, k < 0 ? why : `step ${k} (${s?.prim.name}): ${why}`);
  };
  const shapes = new Map<number, Shape>();
  const shapeOf = (r: Ref, k: number): Shape => {
    if (r.kind === "const") return r.t.shape;
    if (r.kind === "in") return inShapes[r.i] ?? fail(k, `reads input ${r.i} of ${inShapes.length}`);
    return shapes.get(r.i) ?? fail(k, `reads slot ${r.i} before any step writes it`);
  };
  const open: unknown[] = [];
  for (let k = 0; k < p.steps.length; k++) {
    const s = p.steps[k]!;
    const argShapes = s.args.map((r) => shapeOf(r, k));
    if (s.shapes.length !== s.nOut) fail(k, `${s.nOut} outputs but ${s.shapes.length} shapes`);
    if (s.outSlots !== undefined && s.outSlots.length !== s.nOut) fail(k, `${s.nOut} outputs but ${s.outSlots.length} output slots`);
    if (s.prim === regionOpen_p) open.push(s.params);
    else if (s.prim === regionClose_p && (s.params as RegionParams).rewind) {
      // A close that rewinds must close the innermost open region (checkRegions turns the
      // rewind off otherwise, so a pass that reorders regions must not leave one on).
      if (open[open.length - 1] !== s.params) fail(k, "closes a region that is not the innermost open one");
    }
    if (s.prim === regionClose_p) {
      const i = open.lastIndexOf(s.params);
      if (i >= 0) open.splice(i, 1);
    }
    if (!s.prim.compiled) {
      const want = s.prim.shape(argShapes, s.params);
      for (let j = 0; j < s.nOut; j++) {
        const a = want[j], b = s.shapes[j]!;
        if (a === undefined || a.length !== b.length || a.some((d, i) => d !== b[i])) fail(k, `output ${j} recorded as [${b.join(", ")}] but its shape rule gives [${a?.join(", ")}]`);
      }
    }
    for (let j = 0; j < s.nOut; j++) {
      const slot = slotOf(s, j);
      if (shapes.has(slot)) fail(k, `writes slot ${slot} a second time`);
      if (slot < 0 || slot >= p.slots) fail(k, `writes slot ${slot} outside the program's ${p.slots} slots`);
      shapes.set(slot, s.shapes[j]!);
    }
  }
  for (const r of p.outs) shapeOf(r, -1);
}
