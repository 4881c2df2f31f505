// Hessians recorded by jit, computed on and below the diagonal.
//
// A Hessian is symmetric, so the chunk of its columns g … g+c−1 needs only rows g and below:
// the rows above are, transposed, the columns the chunks before it computed. When jit records
// a chunked Hessian, jacobian marks each chunk's block with the first row it needs
// (`demandRows_p`) and ends with a step that sets the triangle above the diagonal from the one
// below (`mirrorUpper_p`). The pass below then narrows the products that make
// those blocks. A weight matrix's gradient tangent ends in a GEMM (Xᵀ·δ for a layer's
// weights) whose output columns are runs of the block's rows, so only the columns holding
// needed rows are computed, and a leaf whose rows all lie above the chunk is not computed at
// all. The rows left unwritten are all above the chunk's first row, which the mirror
// overwrites. On the MLP 20-20-1 Hessian the W1 block's GEMM Xᵀ·δ halves on average, and
// vanishes for the chunks of b1, W2 and b2 (bench/NOTES.md).
import { replayPrimitive, type Primitive } from "../../core/primitive.js";
import { slotOf, type Ref, type Step } from "../program.js";
import { demandRows_p, type DemandParams } from "../../ops/markers.js";
import { allocTensor, ptrOf } from "../../core/tensor.js";
import { gemmsK } from "../../core/exec.js";
import type { Shape } from "../../core/shape.js";
import { matmul_p } from "../../ops/matmul.js";
import { concat_p, reshape_p } from "../../ops/structure.js";

const MATMUL = matmul_p as Primitive<unknown>, RESHAPE = reshape_p as Primitive<unknown>, CONCAT = concat_p as Primitive<unknown>;

interface ColumnsParams {
  ta: number;
  tb: number;
  m: number;
  n: number;
  k: number;
  /** Output column ranges [start, end) to compute, as a flat list of pairs. */
  ranges: readonly number[];
}

/** op(A)·op(B) in the given output columns only (the others are left unwritten). */
export const matmulColumns_p: Primitive<ColumnsParams> = replayPrimitive<ColumnsParams>(
  "matmulColumns",
  ([a, b], { ta, tb, m, n, k, ranges }) => {
    const out = allocTensor([m, n], "matmul");
    if (ranges.length === 0) return [out];
    const pa = ptrOf(a!), pb = ptrOf(b!), pc = out._ptr;
    const lda = a!.shape[0]!, ldb = b!.shape[0]!;
    // Independent products, one job with threads (gemmsK).
    const calls: number[][] = [];
    for (let r = 0; r < ranges.length; r += 2) {
      const q0 = ranges[r]!, q1 = ranges[r + 1]!;
      // Column q of op(B) starts at entry q·ldb of B, or at entry q of Bᵀ's storage.
      calls.push([ta, tb, m, q1 - q0, k, 1, pa, lda, pb + 8 * (tb ? q0 : q0 * ldb), ldb, 0, pc + 8 * q0 * m, m]);
    }
    gemmsK(calls);
    return [out];
  },
);

/**
 * Removes the demandRows marks from `steps` (results in `outs` are rewritten in place) and
 * narrows the GEMMs whose outputs reach a marked block only through reshapes and the block's
 * concatenation (each read once, so no other step sees the unwritten entries).
 */
export function lowerTriangle(steps: readonly Step[], shapeOf: (r: Ref) => Shape, outs: Ref[]): Step[] {
  const marks = steps.filter((s) => s.prim === demandRows_p);
  if (marks.length === 0) return [...steps];
  const producer = new Map<number, Step>();
  const reads = new Map<number, number>();
  for (const s of steps) {
    for (let j = 0; j < s.nOut; j++) producer.set(slotOf(s, j), s);
    for (const r of s.args) if (r.kind === "slot") reads.set(r.i, (reads.get(r.i) ?? 0) + 1);
  }
  for (const r of outs) if (r.kind === "slot") reads.set(r.i, (reads.get(r.i) ?? 0) + 1);
  const readOnce = (r: Ref): Step | undefined =>
    r.kind === "slot" && reads.get(r.i) === 1 ? producer.get(r.i) : undefined;
  const replaced = new Map<Step, Step>();
  for (const mark of marks) {
    const { first } = mark.params as DemandParams;
    const block = mark.args[0]!;
    const cat = readOnce(block);
    const parts = cat !== undefined && cat.prim === CONCAT && (cat.params as { axis: number }).axis === 0 ? cat.args : [block];
    let offset = 0;
    for (const part of parts) {
      const ps = shapeOf(part);
      const rows = ps[0]!, cols = ps.length === 2 ? ps[1]! : 1;
      const skip = first - offset; // rows of this part above the chunk
      offset += rows;
      if (skip <= 0 || ps.length !== 2) continue;
      // Through reshapes (column-major: the same entries in the same order) to a GEMM.
      let r = part, s = readOnce(r);
      while (s !== undefined && s.prim === RESHAPE) s = readOnce((r = s.args[0]!));
      if (s === undefined || s.prim !== MATMUL || replaced.has(s)) continue;
      const [m, n] = s.shapes[0]! as [number, number];
      const { ta, tb } = s.params as { ta: number; tb: number };
      const as = shapeOf(s.args[0]!);
      const k = ta ? as[0]! : as[1]!;
      // Each column of the block must be whole GEMM columns (rows = q·m), and the GEMM a GEMM
      // (the matmul kernel runs m = 1 or n = 1 as a matrix-vector product).
      if (m < 2 || n < 2 || k === 0 || rows % m !== 0 || (rows / m) * cols !== n) continue;
      const per = rows / m;
      const above = Math.floor(skip / m); // GEMM columns wholly above the chunk, per column
      // An entry of a GEMM does not depend on which of its columns are asked for, except in
      // one-column products (run as GEMV) and tiny ones (below SMALL_MNK = 512 multiply-adds,
      // unpacked; assembly/gemm.ts): ranges kept wider than those give the entries the full
      // product gives, bit for bit.
      const q0 = above >= per ? per : Math.min(above, per - Math.max(2, Math.ceil(512 / (m * k))));
      if (q0 <= 0) continue;
      const ranges: number[] = [];
      if (q0 < per) for (let b = 0; b < cols; b++) ranges.push(b * per + q0, (b + 1) * per);
      const params: ColumnsParams = { ta, tb, m, n, k, ranges };
      // Nothing needed: no arguments, so what made them may become dead.
      const args = ranges.length === 0 ? [] : s.args;
      replaced.set(s, { ...s, prim: matmulColumns_p as Primitive<unknown>, params, args });
    }
  }
  // Each mark's output is its argument.
  const alias = new Map<number, Ref>();
  for (const mark of marks) alias.set(slotOf(mark, 0), mark.args[0]!);
  const see = (r: Ref): Ref => (r.kind === "slot" ? (alias.get(r.i) ?? r) : r);
  outs.forEach((r, i) => (outs[i] = see(r)));
  return steps
    .filter((s) => s.prim !== demandRows_p)
    .map((s) => {
      const t = replaced.get(s) ?? s;
      return t.args.some((r) => r.kind === "slot" && alias.has(r.i)) ? { ...t, args: t.args.map(see) } : t;
    });
}
