// Entrywise chains of a recorded program run as one kernel call each.
//
// Forward-over-reverse Hessians push a block of tangents through every entrywise rule, and
// the rules make chains: d(tanh z) = dz ∘ (1 − tanh² z), then ∘ W2, + δ ∘ (−2 tanh z ∘ dz),
// … each a separate step that reads its operands from memory and writes a fresh block. Run
// one op at a time, an MLP chunk's tangents (256 samples × 20 units × 4 directions, 160 KiB a
// value) go through the cache six times; run as one program over tiles of a row, only the
// values read after the chain are written at all, and everything else stays in L1.
//
// A chain here is a run of add, sub, mul, div, max, min and neg steps with the same output
// shape (operands broadcast to it), in one part of a program. It ends where a step outside it
// reads one of its values; the values read outside it (or returned) become the fused step's
// outputs. Each entry is the same IEEE operation on the same operands as before, so a fused
// replay is bit for bit the unfused one.
import { replayPrimitive, type Primitive } from "../../core/primitive.js";
import { append, broadcastEntry, readsOf, refKeys, slotOf, type Ref, type Step } from "../program.js";
import { allocTensor, ptrOf } from "../../core/tensor.js";
import { broadcastStrides, collapse, denseStrides, sameShape, sizeOf, type Shape } from "../../core/shape.js";
import { BinaryOp, FusedOp, UnaryOp } from "../../wasm/kernels.js";
import { rt } from "../../wasm/module.js";
import { bmmLeft_p } from "../../ops/matmul.js";

const BMM_LEFT = bmmLeft_p as Primitive<unknown>;


/** An operand of a chain op: a value the chain makes (by slot) or one of its arguments. */
type Operand = { m: number } | { e: number };

/** One operation of a chain. */
interface ChainOp {
  code: number;
  dst: number;
  args: readonly Operand[];
}
/** Entries of a temporary: fusedRows runs a row in tiles of this many. */
const TILE = 256;
const FUSIBLE_BINARY = new Set<number>([BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Div, BinaryOp.Max, BinaryOp.Min]);
/** Below this many entries a chain is cheap either way: left as it is. */
const MIN_ENTRIES = 512;
/** Rows shorter than this leave too little work per op for the program's dispatch. */
const MIN_ROW = 16;

interface ChainPlan {
  /** Name of the chain's first step, for allocation errors. */
  name: string;
  rank: number;
  nIn: number;
  nOps: number;
  nTemp: number;
  outShapes: Shape[];
  /** [shape (rank) | base (nMem, filled per call) | strides (nMem·rank) | ops (6·nOps) | cur (nMem)]. */
  table: Int32Array;
}

const ptrs: number[] = [];

const chain_p: Primitive<ChainPlan> = replayPrimitive<ChainPlan>("entrywiseChain", (args, p) => {
  const outs = p.outShapes.map((s) => allocTensor(s, p.name));
  const { kernels: K, arena } = rt();
  const nMem = p.nIn + outs.length;
  // Pointers first: ptrOf may copy a JS-owned constant into the arena (and grow it).
  ptrs.length = 0;
  for (const a of args) ptrs.push(ptrOf(a));
  for (const o of outs) ptrs.push(o._ptr);
  const scratch = p.nTemp > 0 ? arena.allocBytes(p.nTemp * TILE * 8, p.name) : 0;
  const tp = arena.allocBytes(p.table.length * 4, p.name);
  const v = arena.i32Fresh();
  const o = tp >>> 2;
  v.set(p.table, o);
  for (let i = 0; i < nMem; i++) v[o + p.rank + i] = ptrs[i]!;
  const strides = tp + 4 * (p.rank + nMem);
  const ops = strides + 4 * nMem * p.rank;
  K.fusedRows(p.rank, tp, nMem, tp + 4 * p.rank, strides, p.nOps, ops, scratch, ops + 24 * p.nOps);
  return outs;
});

/** The fused programs' primitive (tests count its calls). @internal */
export const entrywiseChain_p = chain_p;

/** A batched product over one inner index (bmmLeft, [m, 1, s] by a vector): an outer product. */
function isOuter(s: Step, shapeOf: (r: Ref) => Shape): boolean {
  if (s.prim !== BMM_LEFT) return false;
  const a = shapeOf(s.args[0]!), b = shapeOf(s.args[1]!);
  return a.length === 3 && a[1] === 1 && b.length === 2 && (b[0] === 1 || b[1] === 1);
}

/**
 * The shape each argument of a chain step is read in: its own, except an outer product's
 * vector, read as [1, n, 1] (bmmLeft's impl multiplies the same way, entry by entry).
 */
function argShapes(s: Step, shapeOf: (r: Ref) => Shape): Shape[] {
  if (s.prim !== BMM_LEFT) return s.args.map(shapeOf);
  return [shapeOf(s.args[0]!), [1, s.shapes[0]![1]!, 1]];
}

function opCode(s: Step, shapeOf: (r: Ref) => Shape): number | null {
  if (isOuter(s, shapeOf)) return BinaryOp.Mul;
  const ew = s.prim.elementwise;
  if (ew === undefined || s.nOut !== 1) return null;
  if ("binary" in ew) return FUSIBLE_BINARY.has(ew.binary) ? ew.binary : null;
  return ew.unary === UnaryOp.Neg ? FusedOp.Neg : null;
}

/** Whether `s` can be a member of a chain (an entrywise op of one this file fuses, large enough). */
function joinsChain(s: Step, shapeOf: (r: Ref) => Shape): boolean {
  const shape = s.shapes[0];
  return shape !== undefined && sizeOf(shape) >= MIN_ENTRIES && opCode(s, shapeOf) !== null;
}

/** Whether `steps` hold any step a chain could start with (most long programs of small values have none). */
export function mayChain(steps: readonly Step[], shapeOf: (r: Ref) => Shape): boolean {
  return steps.some((s) => joinsChain(s, shapeOf));
}

/**
 * Replaces the entrywise chains of `steps` (one part of a program, run as a unit) by one
 * fused step each. `reads` counts the reads of every slot in the whole program
 * (program.ts readCounts); `shapeOf` gives any value's shape.
 */
export function fuseChains(steps: readonly Step[], shapeOf: (r: Ref) => Shape, reads: Int32Array): Step[] {
  const broadcasts = new Map<number, Ref>();
  for (const s of steps) {
    const entry = broadcastEntry(s, shapeOf);
    if (entry !== null) broadcasts.set(slotOf(s, 0), entry);
  }
  const single = (r: Ref): Ref | null => (r.kind === "slot" ? (broadcasts.get(r.i) ?? null) : null);
  const out: Step[] = [];
  let chain: Step[] = [];
  let members = new Set<number>();
  const close = (): void => {
    const fused = chain.length >= 2 ? planChain(chain, shapeOf, reads, single) : null;
    if (fused === null) append(out, chain);
    else out.push(fused);
    chain = [];
    members = new Set();
  };
  for (const s of steps) {
    const joins = joinsChain(s, shapeOf);
    const shape = s.shapes[0];
    if (chain.length > 0) {
      const readsChain = s.args.some((a) => a.kind === "slot" && members.has(a.i));
      // All of a chain's values have its shape, so its later members read them dense.
      const fits = joins && sameShape(shape!, chain[0]!.shapes[0]!);
      if (!fits && (readsChain || joins)) close();
    }
    if (joins) {
      chain.push(s);
      members.add(slotOf(s, 0));
    } else out.push(s);
  }
  close();
  return out;
}

/** The fused step for `chain` (steps in order, same output shape), or null if it does not pay. */
function planChain(
  chain: readonly Step[], shapeOf: (r: Ref) => Shape, reads: Int32Array, single: (r: Ref) => Ref | null,
): Step | null {
  const shape = chain[0]!.shapes[0]!;
  const internal = new Map<number, number>();
  for (const s of chain) for (const a of s.args) if (a.kind === "slot") internal.set(a.i, (internal.get(a.i) ?? 0) + 1);
  const isOut = (slot: number): boolean => readsOf(reads, slot) > (internal.get(slot) ?? 0);
  const memberSlots = new Set(chain.map((s) => slotOf(s, 0)));

  // Arguments: what the chain reads from outside, each once per shape it is read in
  // (constants by identity). Each step's refs are replaced by their value numbers below.
  const args: Ref[] = [];
  const argShape: Shape[] = [];
  const argIndex = new Map<string, number>();
  const refKey = refKeys();
  const keyOf = (a: Ref, sh: Shape): string => `${refKey(a)}:${sh.join(",")}`;
  const operands = new Map<Step, Operand[]>();
  for (const s of chain) {
    const shapes = argShapes(s, shapeOf);
    operands.set(s, s.args.map((ref, i): Operand => {
      if (ref.kind === "slot" && memberSlots.has(ref.i)) return { m: ref.i };
      // A broadcast of a single entry is read as that entry, at stride 0 (fuse.ts's
      // broadcastEntry); the broadcast step is then left unread.
      const src = single(ref);
      const a = src ?? ref, sh = src === null ? shapes[i]! : [];
      const k = keyOf(a, sh);
      let v = argIndex.get(k);
      if (v === undefined) {
        argIndex.set(k, (v = args.length));
        args.push(a);
        argShape.push(sh);
      }
      return { e: v };
    }));
  }
  const outSlots = chain.map((s) => slotOf(s, 0)).filter(isOut);
  if (outSlots.length === 0) return null;
  const nIn = args.length, nMem = nIn + outSlots.length;
  const memStrides = [
    ...argShape.map((sh) => broadcastStrides(sh, shape)),
    ...outSlots.map(() => denseStrides(shape)),
  ];
  const c = collapse(shape, memStrides);
  const rank = c.shape.length;
  if (rank === 0 || rank > 8 || c.shape[0]! < MIN_ROW) return null;
  // An output is written at stride 1 along the row (collapse keeps dense dims dense).
  for (let i = nIn; i < nMem; i++) if (c.strides[i]![0] !== 1) return null;

  // The chain as operations; then products read once fold into their reader (compound codes
  // keep them in registers).
  const ops: ChainOp[] = chain.map((s) => ({ code: opCode(s, shapeOf)!, dst: slotOf(s, 0), args: operands.get(s)! }));
  const foldable = new Map<number, ChainOp>();
  for (const op of ops) {
    if (op.code === BinaryOp.Mul && internal.get(op.dst) === 1 && !isOut(op.dst)) foldable.set(op.dst, op);
  }
  const kept = ops.filter((op) => {
    const product = (r: Operand): ChainOp | undefined => {
      const p = "m" in r ? foldable.get(r.m) : undefined;
      return p !== undefined && p.code === BinaryOp.Mul ? p : undefined;
    };
    if (op.code !== BinaryOp.Add && op.code !== BinaryOp.Sub && op.code !== BinaryOp.Mul) return true;
    const [x, y] = op.args as [Operand, Operand];
    const px = product(x), py = product(y);
    // A compound op is not a plain product: nothing folds it in turn.
    if (px || py) foldable.delete(op.dst);
    const take = (p: ChainOp): readonly Operand[] => {
      foldable.delete(p.dst);
      p.code = -1;
      return p.args;
    };
    // Products and sums commute exactly in IEEE arithmetic: y + x·z is the bits of x·z + y.
    if (op.code === BinaryOp.Mul && (px || py)) {
      op.args = px ? [...take(px), y] : [...take(py!), x];
      op.code = FusedOp.MulMul;
    } else if (px && py && op.code !== BinaryOp.Mul) {
      op.args = [...take(px), ...take(py)];
      op.code = op.code === BinaryOp.Add ? FusedOp.MulAddMul : FusedOp.MulSubMul;
    } else if (px && op.code !== BinaryOp.Mul) {
      op.args = [...take(px), y];
      op.code = op.code === BinaryOp.Add ? FusedOp.MulAdd : FusedOp.MulSub;
    } else if (py && op.code !== BinaryOp.Mul) {
      op.args = [...take(py), x];
      op.code = op.code === BinaryOp.Add ? FusedOp.MulAdd : FusedOp.SubMul;
    }
    return true;
  }).filter((op) => op.code >= 0);

  // Values: arguments, outputs, then temporaries (registers reused once their last reader ran).
  const where = new Map<number, number>();
  outSlots.forEach((sl, i) => where.set(sl, nIn + i));
  const lastRead = new Map<number, number>();
  kept.forEach((op, k) => op.args.forEach((a) => "m" in a && lastRead.set(a.m, k)));
  const free: number[] = [];
  let nTemp = 0;
  const code6: number[] = [];
  const val = (a: Operand): number => ("m" in a ? where.get(a.m)! : a.e);
  kept.forEach((op, k) => {
    const v = op.args.map(val);
    // Temporaries read for the last time here can hold this op's value (same entry, same tile).
    for (const r of op.args) {
      if ("m" in r && lastRead.get(r.m) === k && !isOut(r.m)) {
        const reg = where.get(r.m)!;
        if (!free.includes(reg)) free.push(reg);
      }
    }
    let dst = where.get(op.dst);
    if (dst === undefined) {
      dst = free.pop() ?? nMem + nTemp++;
      where.set(op.dst, dst);
    }
    // Unused operand fields repeat a read one (the kernel may load them; never uses them).
    code6.push(op.code, dst, v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!, v[3] ?? v[2] ?? v[0]!);
  });

  const nOps = kept.length;
  const table = new Int32Array(rank + nMem + nMem * rank + 6 * nOps + nMem);
  table.set(c.shape, 0);
  c.strides.forEach((st, v) => table.set(st, rank + nMem + v * rank));
  table.set(code6, rank + nMem + nMem * rank);
  const plan: ChainPlan = { name: chain[0]!.prim.name, rank, nIn, nOps, nTemp, outShapes: outSlots.map(() => shape), table };
  return {
    prim: chain_p as Primitive<unknown>, params: plan, args, out: outSlots[0]!, nOut: outSlots.length,
    shapes: plan.outShapes, outSlots,
  };
}
