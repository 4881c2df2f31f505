// Row-block fusion of recorded programs: X·v, entrywise steps, then Xᵀ·r, in one pass over X.
//
// Objectives over a data matrix (logistic or Poisson regression, least squares, any GLM)
// compute z = X·w, apply entrywise functions to z, and contract the result with X again:
// Xᵀ·r in the gradient, and the same pair once more in every Hessian-vector product. Run
// step by step, each product streams all of X from memory, and when X is larger than the
// cache those two passes are most of an evaluation. Entry i of r depends on row i of X
// only, so the chain can run on blocks of rows instead: X[b,:]·w, the entrywise steps on
// block b, then g += X[b,:]ᵀ·r[b] while the block is still in cache. X then comes from
// memory once per evaluation instead of twice.
//
// The fused step still writes every intermediate in full, as the steps it replaces would, so
// other steps (f's value, a sum of softplus(z)) read them afterwards. Entrywise results and
// X·w are bit for bit what the unfused steps give; Xᵀ·r is summed block by block, so it
// differs in rounding, as any change of summation order does.
import { replayPrimitive, type Primitive } from "../../core/primitive.js";
import { broadcastEntry, producerIndex, producers, refKeys, slotOf, type Ref, type Step } from "../program.js";
import { Tensor, allocTensor, ptrOf, withShape } from "../../core/tensor.js";
import { sameShape, type Shape } from "../../core/shape.js";
import { rt } from "../../wasm/module.js";
import { runRowBlocks } from "../../wasm/pool.js";
import { matmul_p } from "../../ops/matmul.js";
import { reshape_p } from "../../ops/structure.js";

const MATMUL = matmul_p as Primitive<unknown>, RESHAPE = reshape_p as Primitive<unknown>;

/** Fuse only when X cannot stay in cache between the two passes anyway. */
const MIN_MATRIX_BYTES = 2 ** 20;
const MIN_ROWS = 1024;
/**
 * Bytes of X per block: a block is read twice, the second time from cache, so a block is
 * well under L2 (2 MiB here); 128 KiB to 1 MiB blocks are all close (bench/NOTES.md).
 */
const BLOCK_BYTES = 256 * 1024;

/** One operation of the block loop; numbers index the fused step's values (arguments, then outputs). */
type BlockOp =
  | { k: "src"; x: number; v: number; out: number }
  | { k: "un"; code: number; x: number; out: number }
  | { k: "bin"; code: number; a: number; b: number; out: number }
  | { k: "sink"; x: number; r: number; out: number };

interface RowPlan {
  /** Rows of X, its columns, rows per block. */
  m: number;
  n: number;
  rows: number;
  nIn: number;
  /** Values indexed per row (offset by the block's first row); the rest are read whole. */
  rowwise: boolean[];
  /** Each output: its shape, and the value it is a reshape of (shares its entries), if any. */
  outs: { shape: Shape; alias: number }[];
  ops: BlockOp[];
}

/** Program step codes (src/wasm/pool.ts RowBlocksJob). */
const SRC = 1, UN = 2, BIN = 3, SINK = 4;

const rowBlocks_p: Primitive<RowPlan> = replayPrimitive<RowPlan>("rowBlocks", (args, p) => {
  const vals: Tensor[] = [...args];
  for (const o of p.outs) vals.push(o.alias < 0 ? allocTensor(o.shape, "matmul") : withShape(vals[o.alias]!, o.shape));
  const ptr = vals.map((t) => ptrOf(t));
  const { kernels: K, arena, pool } = rt();
  const { m, n, ops, rowwise } = p;
  // binary's shape and stride tables in memory, where every thread reads them.
  const blocks = Math.ceil(m / p.rows);
  const params = arena.allocBytes(16, "matmul");
  arena.i32Fresh().set([p.rows, m - (blocks - 1) * p.rows, 1, 0], params >>> 2);
  let out = -1;
  const program = ops.map((op) => {
    switch (op.k) {
      case "src":
        return [SRC, ptr[op.x]!, ptr[op.v]!, ptr[op.out]!];
      case "un":
        return [UN, op.code, ptr[op.x]!, rowwise[op.x] ? 1 : 0, ptr[op.out]!];
      case "bin":
        return [BIN, op.code, ptr[op.a]!, rowwise[op.a] ? 1 : 0, ptr[op.b]!, rowwise[op.b] ? 1 : 0, ptr[op.out]!];
      case "sink":
        out = ptr[op.out]!;
        return [SINK, ptr[op.x]!, ptr[op.r]!];
    }
  });
  runRowBlocks(K, pool, { m, n, rows: p.rows, program, params, out }, (count) => arena.alloc(count, "matmul"));
  return vals.slice(p.nIn);
});

const sameRef = (a: Ref, b: Ref): boolean =>
  a.kind === b.kind && (a.kind === "const" ? a.t === (b as typeof a).t : a.i === (b as { i: number }).i);

/**
 * Replaces each chain X·v → entrywise steps → Xᵀ·r in `steps` (one part of a program, run as
 * a unit) by one fused step, when X is large. `shapeOf` gives any value's shape. Steps that
 * the chain needs move before it, the others after it, keeping their order.
 */
export function fuseRowBlocks(steps: Step[], shapeOf: (r: Ref) => Shape): Step[] {
  for (;;) {
    const fused = fuseOne(steps, shapeOf);
    if (fused === null) return steps;
    steps = fused;
  }
}

function isMatmul(s: Step, ta: number): boolean {
  if (s.prim !== MATMUL) return false;
  const p = s.params as { ta: number; tb: number };
  return p.ta === ta && p.tb === 0;
}

function fuseOne(steps: Step[], shapeOf: (r: Ref) => Shape): Step[] | null {
  // Most programs have no sink: no table of producers then.
  if (!steps.some((s) => isMatmul(s, 1))) return null;
  const at = producers(steps);
  const prodOf = (r: Ref): number | undefined => producerIndex(at, r);
  for (let t = steps.length - 1; t >= 0; t--) {
    const sink = steps[t]!;
    if (!isMatmul(sink, 1)) continue;
    const X = sink.args[0]!, r = sink.args[1]!;
    const xs = shapeOf(X);
    const [m, n] = xs as [number, number];
    if (m < MIN_ROWS || m * n * 8 < MIN_MATRIX_BYTES) continue;
    const rs = shapeOf(r);
    if (rs.length !== 2 || rs[0] !== m || rs[1] !== 1) continue;
    // Everything r depends on within this part.
    const anc = new Set<number>();
    const stack = [prodOf(r)];
    while (stack.length > 0) {
      const k = stack.pop();
      if (k === undefined || anc.has(k)) continue;
      anc.add(k);
      for (const a of steps[k]!.args) stack.push(prodOf(a));
    }
    for (const c of [...anc].sort((a, b) => a - b)) {
      const src = steps[c]!;
      if (!isMatmul(src, 0) || !sameRef(src.args[0]!, X)) continue;
      const vs = shapeOf(src.args[1]!);
      if (vs.length !== 2 || vs[0] !== n || vs[1] !== 1) continue;
      const plan = planRegion(steps, c, t, anc, m, prodOf, shapeOf);
      if (plan !== null) return plan;
    }
  }
  return null;
}

const isRow = (s: Shape, m: number): boolean => (s.length === 1 && s[0] === m) || (s.length === 2 && s[0] === m && s[1] === 1);
const sizeOne = (s: Shape): boolean => s.every((d) => d === 1);


/** The rewritten steps if the chain from step `c` (X·v) to step `t` (Xᵀ·r) can be fused. */
function planRegion(
  steps: Step[],
  c: number,
  t: number,
  anc: Set<number>,
  m: number,
  prodOf: (r: Ref) => number | undefined,
  shapeOf: (r: Ref) => Shape,
): Step[] | null {
  // The region: steps on a path from the source to the sink.
  const desc = new Set<number>([c]);
  for (let k = c + 1; k <= t; k++) if (steps[k]!.args.some((a) => desc.has(prodOf(a) ?? -1))) desc.add(k);
  const region = [...desc].filter((k) => anc.has(k) || k === t).sort((a, b) => a - b);
  if (region[region.length - 1] !== t) return null;
  const inRegion = new Set(region);
  const inside = (a: Ref): boolean => inRegion.has(prodOf(a) ?? -1);
  // A broadcast of a single entry made outside the region is read as that entry: stride 0.
  const argsOf = (s: Step): Ref[] =>
    s.prim.elementwise === undefined ? s.args : s.args.map((a) => {
      const k = prodOf(a);
      return (k === undefined || inRegion.has(k) ? null : broadcastEntry(steps[k]!, shapeOf)) ?? a;
    });
  for (const k of region) {
    if (k === c || k === t) continue;
    const s = steps[k]!;
    const out = s.shapes[0]!;
    if (s.nOut !== 1 || !isRow(out, m)) return null;
    const ew = s.prim.elementwise;
    if (s.prim === RESHAPE) {
      if (!isRow(shapeOf(s.args[0]!), m)) return null;
    } else if (ew !== undefined && "unary" in ew) {
      if (!sameShape(shapeOf(s.args[0]!), out)) return null;
    } else if (ew !== undefined && "binary" in ew) {
      for (const a of argsOf(s)) {
        const as = shapeOf(a);
        if (!sameShape(as, out) && !(sizeOne(as) && !inside(a))) return null;
      }
    } else return null;
  }
  // The fused step's values: its arguments (what the region reads from outside), then the
  // region's outputs.
  const args: Ref[] = [];
  const index = new Map<string, number>();
  // Constants are keyed by identity (one argument per distinct tensor).
  const keyOf = refKeys();
  const rowwise: boolean[] = [];
  for (const k of region) {
    for (const a of argsOf(steps[k]!)) {
      if (inside(a)) continue;
      const key = keyOf(a);
      if (index.has(key)) continue;
      index.set(key, args.length);
      args.push(a);
      // src and sink address X and v themselves; row-shaped values are read per block.
      rowwise.push(isRow(shapeOf(a), m));
    }
  }
  const nIn = args.length;
  const outs: RowPlan["outs"] = [];
  const outSlots: number[] = [];
  const ops: BlockOp[] = [];
  const val = (a: Ref): number => index.get(keyOf(a))!;
  for (const k of region) {
    const s = steps[k]!;
    const out = nIn + outs.length;
    const ew = s.prim.elementwise;
    let alias = -1;
    if (k === c) ops.push({ k: "src", x: val(s.args[0]!), v: val(s.args[1]!), out });
    else if (k === t) ops.push({ k: "sink", x: val(s.args[0]!), r: val(s.args[1]!), out });
    else if (s.prim === RESHAPE) alias = val(s.args[0]!);
    else if (ew !== undefined && "unary" in ew) ops.push({ k: "un", code: ew.unary, x: val(s.args[0]!), out });
    else if (ew !== undefined && "binary" in ew) {
      const [a, b] = argsOf(s);
      ops.push({ k: "bin", code: ew.binary, a: val(a!), b: val(b!), out });
    }
    outs.push({ shape: s.shapes[0]!, alias });
    rowwise.push(k !== t);
    index.set(keyOf({ kind: "slot", i: slotOf(s, 0) }), out);
    outSlots.push(slotOf(s, 0));
  }
  // A block of X: BLOCK_BYTES, an even number of rows (SIMD pairs stay aligned).
  const n = shapeOf(steps[c]!.args[0]!)[1]!;
  const rows = Math.max(64, Math.floor(BLOCK_BYTES / (8 * n)) & ~1);
  const plan: RowPlan = { m, n, rows, nIn, rowwise, outs, ops };
  const fusedStep: Step = {
    prim: rowBlocks_p as Primitive<unknown>, params: plan, args, out: outSlots[0]!, nOut: outSlots.length,
    shapes: outs.map((o) => o.shape), outSlots,
  };
  // Steps the region reads from move before it; the rest keep their place after it.
  const pre = new Set<number>();
  const need = [...args.map(prodOf)];
  while (need.length > 0) {
    const k = need.pop();
    if (k === undefined || pre.has(k) || inRegion.has(k)) continue;
    pre.add(k);
    for (const a of steps[k]!.args) need.push(prodOf(a));
  }
  const before = steps.filter((_, k) => pre.has(k));
  const after = steps.filter((_, k) => !pre.has(k) && !inRegion.has(k));
  return [...before, fusedStep, ...after];
}

