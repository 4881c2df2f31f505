// What jit returns for a Hessian computed in chunks (src/jit/passes/triangle.ts): the lower triangle
// as the un-jitted transform computes it, bit for bit, mirrored above the diagonal.
import { Tensor } from "../../src/index.js";

/** `h` (n × n) with entry (i, j) above the diagonal replaced by entry (j, i). */
export function lowerMirrored(h: Tensor): Tensor {
  const n = h.shape[0]!;
  const d = Float64Array.from(h.data);
  for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) d[i + j * n] = d[j + i * n]!;
  return new Tensor([n, n], d);
}
