// Symmetric products in recorded programs: Aᵀ·(d ∘ A) computed as a symmetric matrix.
//
// The Hessian of a loss over a data matrix A (a GLM, least squares) ends in Aᵀ·D·A: the basis
// chunk pushed through A·E = A is scaled by a column of per-row weights (see fold.ts) and
// contracted with A again. That product is symmetric, so only the triangle on and above the
// diagonal is computed (gemmUpper: one GEMM pass that skips the micro-tiles below the
// diagonal) and the lower triangle is a copy (about half a full GEMM's time; one GEMM per
// column block, which re-packs A at each call, lies between: bench/NOTES.md).
// A step qualifies when both operands are views of the same matrix (reshapes and whole-tensor
// slices of one value) and the weights broadcast along its rows (m × 1, or a single entry).
import { replayPrimitive, type Primitive } from "../../core/primitive.js";
import { producerOf, producers, type Ref, type Step } from "../program.js";
import { mul_p, neg_p } from "../../ops/elementwise.js";
import { allocTensor, ptrOf } from "../../core/tensor.js";
import { sameShape, sizeOf, type Shape } from "../../core/shape.js";
import { GRAM_MIN_COLUMNS, gramUpperK } from "../../core/exec.js";
import { matmul_p } from "../../ops/matmul.js";
import { reshape_p, slice_p } from "../../ops/structure.js";

const MATMUL = matmul_p as Primitive<unknown>, RESHAPE = reshape_p as Primitive<unknown>, SLICE = slice_p as Primitive<unknown>;

interface GramParams {
  /** Rows (the contracted dimension) and columns of A. */
  k: number;
  n: number;
}

/** out = aᵀ·b for b = d ∘ a (so out is symmetric): the upper triangle, then a mirror copy. */
export const gramSym_p: Primitive<GramParams> = replayPrimitive<GramParams>("gramSym", ([a, b], { k, n }) => {
  const out = allocTensor([n, n], "matmul");
  gramUpperK(n, k, ptrOf(a!), k, ptrOf(b!), k, out._ptr);
  return [out];
});


/**
 * Replaces each product Aᵀ·B in `steps` with B = d ∘ A (or B = A, or several row scalings and
 * negations of A in turn) by a symmetric product step (see above). `shapeOf` gives any value's
 * shape.
 */
export function symmetricProducts(steps: readonly Step[], shapeOf: (r: Ref) => Shape): Step[] {
  // Most programs have no candidate: no table of producers then.
  const candidate = (s: Step): boolean => s.prim === MATMUL && (s.params as { ta: number }).ta === 1 && (s.params as { tb: number }).tb === 0;
  if (!steps.some(candidate)) return steps as Step[];
  const at = producers(steps);
  /** The value a ref is a view of (through reshapes and whole slices), as a comparable key. */
  const base = (r: Ref): Ref => {
    for (;;) {
      const s = producerOf(steps, at, r);
      if (s === undefined) return r;
      const whole = s.prim === SLICE && sameShape(shapeOf(s.args[0]!), s.shapes[0]!);
      if (s.prim !== RESHAPE && !whole) return r;
      r = s.args[0]!;
    }
  };
  const same = (x: Ref, y: Ref): boolean => {
    const a = base(x), b = base(y);
    if (a.kind !== b.kind) return false;
    return a.kind === "const" ? a.t === (b as typeof a).t : a.i === (b as { i: number }).i;
  };
  return steps.map((s) => {
    if (!candidate(s)) return s;
    const [a, b] = s.args as [Ref, Ref];
    const as = shapeOf(a);
    if (as.length !== 2 || as[1]! < GRAM_MIN_COLUMNS || !sameShape(as, shapeOf(b))) return s;
    const [k, n] = as as [number, number];
    const column = (f: Ref): boolean => {
      const fs = shapeOf(f);
      return sizeOf(fs) === 1 || (fs.length === 2 && fs[0] === k && fs[1] === 1);
    };
    // b = w₁ ∘ (w₂ ∘ … (±A)) through views, each w a column of row weights (or one number).
    let r = b, ok = false;
    for (;;) {
      if (same(r, a)) {
        ok = true;
        break;
      }
      const rb = base(r);
      const w = producerOf(steps, at, rb);
      if (w === undefined || !sameShape(w.shapes[0]!, as)) break;
      if (w.prim === neg_p) r = w.args[0]!;
      else if (w.prim === mul_p) {
        const [x, d] = w.args as [Ref, Ref];
        if (column(d) && sameShape(shapeOf(x), as)) r = x;
        else if (column(x) && sameShape(shapeOf(d), as)) r = d;
        else break;
      } else break;
    }
    if (!ok) return s;
    return { ...s, prim: gramSym_p as Primitive<unknown>, params: { k, n } };
  });
}
