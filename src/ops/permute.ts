// Axis permutation: linear, its transpose is the inverse permutation. Used by vmap to move
// batch axes and by batch rules; a strided copy through the broadcasting kernel.
import { bind1, primitive, type Primitive } from "../core/primitive.js";
import { asTensor, type Tensor, type TensorLike } from "../core/tensor.js";
import { ShapeError } from "../errors.js";
import { permuteK } from "../core/exec.js";

interface PermParams {
  perm: readonly number[];
}

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

export const permute_p: Primitive<PermParams> = primitive<PermParams>({
  name: "permute",
  shape: ([s], { perm }) => {
    const ok = perm.length === s.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new ShapeError("permute", `[${perm.join(", ")}] is not a permutation of the axes`, [s]);
    return [perm.map((p) => s[p])];
  },
  impl: ([x], { perm }) => [permuteK(x, perm, "permute")],
  jvp: ([t], _p, _o, params) => [bind1(permute_p, [t!], params)],
  transpose: ([ct], _a, _l, { perm }) => [bind1(permute_p, [ct!], { perm: inverse(perm) })],
  batch: ([x], _b, { perm }) => [bind1(permute_p, [x], { perm: [...perm, perm.length] })],
});

/** Permutes axes: `permute(x, [1, 0])` is the transpose of a matrix. */
export function permute(x: TensorLike, perm: readonly number[]): Tensor {
  const t = asTensor(x, "permute");
  if (perm.every((p, i) => p === i) && perm.length === t.rank) return t;
  return bind1(permute_p, [t], { perm: [...perm] });
}
