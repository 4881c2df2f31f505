// Helpers the ops' batching rules share (a batched value carries its batch axis last; see
// src/transforms/vmap.ts). They sit below the ops that use them and above the structure ops
// they are made of, so the batching trace (a transform) is never imported by an op.
import type { Tensor } from "../core/tensor.js";
import { concat, reshape, slice } from "./structure.js";

/** Member `b` of a batched value. */
export function member(v: Tensor, b: number): Tensor {
  const base = v.shape.slice(0, -1);
  return reshape(slice(v, [...base.map(() => 0), b], [...base, 1]), base);
}

/** Stacks equal-shape values along a new trailing axis. */
export function stack(xs: readonly Tensor[]): Tensor {
  const parts = xs.map((x) => reshape(x, [...x.shape, 1]));
  return parts.length === 1 ? parts[0]! : concat(parts, xs[0]!.rank);
}

/**
 * Reshapes an elementwise operand for broadcasting against batched ones: base dims padded on
 * the left to `rank`, then the batch axis (or 1 when unbatched).
 */
export function alignBatched(v: Tensor, batched: boolean, rank: number): Tensor {
  const base = batched ? v.shape.slice(0, -1) : v.shape;
  const pad = new Array<number>(rank - base.length).fill(1);
  return reshape(v, [...pad, ...base, batched ? v.shape[v.rank - 1]! : 1]);
}
