// Test-only: a deliberately wrong primitive (sin with a scaled JVP) to prove checkers can fail.
import { bind1, primitive } from "../../src/core/primitive.js";
import { sin } from "../../src/ops/elementwise.js";
import type { Tensor } from "../../src/core/tensor.js";
export * from "../../src/index.js";

export function primitiveForTest(jvp: (t: Tensor, x: Tensor) => Tensor): (x: Tensor) => Tensor {
  const p = primitive<Record<string, never>>({
    name: "badSin",
    shape: ([s]) => [s!],
    impl: ([x]) => [sin(x!)],
    jvp: ([t], [x]) => [jvp(t!, x!)],
  });
  return (x) => bind1(p, [x], {});
}
