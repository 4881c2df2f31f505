// Sums of matrix products in recorded programs: Σₜ op(Aₜ)·op(Bₜ) as one GEMM.
//
// Reverse mode through a recurrent cell (x·W with x a row or a few rows: an RNN's or LSTM's
// input and state products) makes W's cotangent one product xₜᵀ·δₜ per step, and the backward
// pass adds them up over the sequence. Replayed as recorded, every term is a full K×N matrix
// written to memory and read back by an add (and fused into one entrywise chain, every term
// stays alive until the chain runs: a 1024-step LSTM with four 64×256 weights held 512 MiB of
// them). Packed side by side, L = [op(A₁) … op(A_T)] (K × S) and R = [op(B₁); …; op(B_T)]
// (S × N) with S = Σ kₜ, the sum is L·R: one GEMM whose inner dimension runs over every
// term's, reading S·(K + N) entries instead of writing T·K·N.
//
// The GEMM adds the terms in its own order (and fuses its multiply-adds in the relaxed
// build), so the sum can differ from the recorded adds in the last bits; README lists where a
// replay's rounding differs from f's.
import { replayPrimitive, type Primitive } from "../../core/primitive.js";
import { producerOf, producers, readsOf, slotOf, type Ref, type Step } from "../program.js";
import { allocTensor, ptrOf, type Tensor } from "../../core/tensor.js";
import { sameShape, type Shape } from "../../core/shape.js";
import { add_p } from "../../ops/elementwise.js";
import { matmul_p, type MatmulParams } from "../../ops/matmul.js";
import { copyRun } from "../../wasm/memruns.js";
import { rt } from "../../wasm/module.js";

const ADD = add_p as Primitive<unknown>, MATMUL = matmul_p as Primitive<unknown>;

/**
 * `minTerms`: sums of fewer products are left as recorded (packing and a GEMM call cost about
 * what two or three products and adds do). Tests raise it to replay the recorded adds.
 * @internal
 */
export const productSumTuning = { minTerms: 4 };

/**
 * Σₜ op(Aₜ)·op(Bₜ), K×N, over terms with inner dimensions `inner`. Each side is packed so
 * that its copies are runs of whole operands where it can: `leftRows` false packs
 * L = [op(A₁) … op(A_T)] (K×S: each Aₜ is K×kₜ, or a vector), true packs Lᵀ (S×K: each Aₜ is
 * kₜ×K, a box of rows); `rightRows` true packs R (S×N: each Bₜ is kₜ×N), false packs Rᵀ (N×S:
 * each Bₜ is N×kₜ, or a vector). Arguments: the A's, then the B's.
 */
interface ProductSumPlan {
  k: number;
  n: number;
  inner: number[];
  leftRows: boolean;
  rightRows: boolean;
}

const ptrs: number[] = [];

/**
 * Copies each operand (at ptrs[first + t], `len` entries per unit of kₜ) into its block of a
 * pack of S = Σ kₜ rows or columns.
 */
function pack(f64: Float64Array, first: number, inner: readonly number[], S: number, into: number, len: number, rows: boolean): void {
  let off = 0;
  for (let t = 0; t < inner.length; t++) {
    const kt = inner[t]!, src = ptrs[first + t]! >>> 3;
    if (!rows) copyRun(f64, into + off * len, src, kt * len);
    // Rows: the operand is kₜ×len, its column j a run of kₜ at row `off` of the pack's column j
    // (runs of a few entries: copied here, not through a call each).
    else {
      for (let j = 0; j < len; j++) {
        const d = into + off + j * S, e = src + j * kt;
        for (let i = 0; i < kt; i++) f64[d + i] = f64[e + i]!;
      }
    }
    off += kt;
  }
}

const productSum_p: Primitive<ProductSumPlan> = replayPrimitive<ProductSumPlan>("productSum", (args, p) => {
  const { k, n, inner, leftRows, rightRows } = p;
  const S = inner.reduce((a, b) => a + b, 0), T = inner.length;
  const L = allocTensor(leftRows ? [S, k] : [k, S], "matmul"), R = allocTensor(rightRows ? [S, n] : [n, S], "matmul");
  // Pointers first: ptrOf may copy a JS-owned constant into the arena (and grow it).
  ptrs.length = 0;
  for (const a of args) ptrs.push(ptrOf(a));
  // Copied in JavaScript: in a taped Jacobian chunk this runs the tape so far first (a chunk's
  // products are batched, so its sums are not of this kind).
  const f64 = rt().arena.f64();
  pack(f64, 0, inner, S, L._ptr >>> 3, k, leftRows);
  pack(f64, T, inner, S, R._ptr >>> 3, n, rightRows);
  const params: MatmulParams = { ta: leftRows ? 1 : 0, tb: rightRows ? 0 : 1 };
  return MATMUL.impl([L, R] as Tensor[], params);
});

/** The fused steps' primitive (tests count its calls). @internal */
export const productSumStep = productSum_p;

/** A matrix product step as its operands, flags and inner dimension; null for any other step. */
function productOf(s: Step, shapeOf: (r: Ref) => Shape): { a: Ref; b: Ref; ta: number; tb: number; kt: number } | null {
  if (s.prim !== MATMUL || s.nOut !== 1 || s.outSlots !== undefined) return null;
  const { ta, tb } = s.params as MatmulParams;
  const a = shapeOf(s.args[0]!);
  return { a: s.args[0]!, b: s.args[1]!, ta, tb, kt: ta ? a[0]! : a[1]! };
}

/**
 * Replaces every sum (a tree of adds, each add read once, by the next) of at least
 * `productSumTuning.minTerms` matrix products in `steps` (one part of a program, run as a
 * unit) by one productSum step where the tree's root was, plus adds for its other terms, when
 * packing the products' operands reads fewer entries than the products write. `reads` gives
 * the reads of every slot in the whole program (counted on demand); new values take slots
 * from `slots` up.
 * Returns the steps and the slot count.
 */
export function productSums(
  steps: readonly Step[], shapeOf: (r: Ref) => Shape, reads: () => Int32Array, slots: number,
): { steps: Step[]; slots: number } {
  const isAdd = (s: Step, shape: Shape): boolean =>
    s.prim === ADD && s.nOut === 1 && s.outSlots === undefined && sameShape(s.shapes[0]!, shape) && s.args.every((a) => sameShape(shapeOf(a), shape));
  // A K×N sum can pay only if K·N > K + N (a product's operands hold at least K + N entries).
  const isRoot = (s: Step): boolean => {
    const sh = s.shapes[0];
    return s.prim === ADD && sh?.length === 2 && sh[0]! * sh[1]! > sh[0]! + sh[1]! && isAdd(s, sh);
  };
  if (!steps.some(isRoot)) return { steps: steps as Step[], slots };
  const at = producers(steps), counts = reads();
  const readOnce = (r: Ref): Step | undefined => (r.kind === "slot" && readsOf(counts, r.i) === 1 ? producerOf(steps, at, r) : undefined);

  const inTree = new Set<Step>();
  const replaced = new Map<Step, Step[]>();
  for (let i = steps.length - 1; i >= 0; i--) {
    const root = steps[i]!;
    if (!isRoot(root) || inTree.has(root)) continue;
    const shape = root.shapes[0]!;
    // The tree's terms, left to right (the order the adds were recorded in, for a running sum).
    const as: Ref[] = [], bs: Ref[] = [], inner: number[] = [], rest: Ref[] = [];
    // An operand with one inner index is a vector, packed either way; the others fix the layout.
    let colsA = false, rowsA = false, colsB = false, rowsB = false;
    const stack: Ref[] = [root.args[1]!, root.args[0]!];
    while (stack.length > 0) {
      const r = stack.pop()!;
      const p = readOnce(r);
      if (p !== undefined && isAdd(p, shape)) {
        inTree.add(p);
        stack.push(p.args[1]!, p.args[0]!);
        continue;
      }
      const prod = p === undefined ? null : productOf(p, shapeOf);
      if (prod === null || prod.kt === 0) {
        rest.push(r);
        continue;
      }
      as.push(prod.a);
      bs.push(prod.b);
      inner.push(prod.kt);
      if (prod.kt > 1) {
        if (prod.ta) rowsA = true;
        else colsA = true;
        if (prod.tb) colsB = true;
        else rowsB = true;
      }
    }
    const [K, N] = shape as [number, number];
    const S = inner.reduce((a, b) => a + b, 0);
    if (as.length < productSumTuning.minTerms || (colsA && rowsA) || (colsB && rowsB) || S * (K + N) >= as.length * K * N) continue;
    const plan: ProductSumPlan = { k: K, n: N, inner, leftRows: rowsA, rightRows: rowsB };
    const out = slotOf(root, 0);
    const fused: Step[] = [];
    let acc = rest.length === 0 ? out : slots++;
    fused.push({ prim: productSum_p as Primitive<unknown>, params: plan, args: [...as, ...bs], out: acc, nOut: 1, shapes: [shape] });
    rest.forEach((r, j) => {
      const to = j === rest.length - 1 ? out : slots++;
      fused.push({ prim: ADD, params: root.params, args: [{ kind: "slot", i: acc }, r], out: to, nOut: 1, shapes: [shape] });
      acc = to;
    });
    replaced.set(root, fused);
  }
  if (replaced.size === 0) return { steps: steps as Step[], slots };
  const out: Step[] = [];
  for (const s of steps) {
    const f = replaced.get(s);
    if (f === undefined) out.push(s);
    else for (const x of f) out.push(x);
  }
  return { steps: out, slots };
}
