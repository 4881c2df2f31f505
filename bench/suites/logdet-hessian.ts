// Hessian of log|det X| over vec(X) (issue 4): autodiff `hessian(logdet)` against the closed
// form −K(X⁻ᵀ ⊗ X⁻¹) built from one inverse, one Kronecker product and the commutation
// permutation (the group's baseline). PyTorch 1.13 CPU float64 on this machine class took
// 3.9–22.6 ms (20×20) and 190–311 ms (50×50); the targets are ≤ 1 ms and ≤ 60 ms.
// X = I·n + noise keeps the inverse well conditioned.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import * as mc from "../../src/index.js";
import { hessian, randn, type Tensor } from "../../src/index.js";

function tasks(n: number): TaskSpec[] {
  const X = randn([n, n], { seed: 21 }).add(mc.eye(n).mul(n));
  const H = hessian((x: Tensor) => mc.logdet(x));
  // vec-Hessian of log|det X| = −K(X⁻ᵀ ⊗ X⁻¹) (Magnus & Neudecker, ch. 9), entrywise
  // ∂²/∂Xᵢⱼ∂Xₖₗ = −(X⁻¹)ⱼₖ(X⁻¹)ₗᵢ: one inverse, then n⁴ products written straight into the
  // column-major n²×n² buffer (forming K and multiplying would cost 2n⁶ flops).
  const closed = () => {
    const d = mc.inv(X).data, nn = n * n;
    const out = new Float64Array(nn * nn);
    for (let l = 0; l < n; l++) for (let k = 0; k < n; k++) {
      const col = (k + l * n) * nn;
      for (let j = 0; j < n; j++) {
        const xjk = d[j + k * n]!;
        for (let i = 0; i < n; i++) out[col + i + j * n] = -xjk * d[l + i * n]!;
      }
    }
    return mc.tensor(out, [nn, nn], { order: "col" });
  };
  const group = `hessian logdet X, ${n}×${n} (${n * n}×${n * n})`;
  return [
    { name: "closed form (entrywise)", group, fn: closed, baseline: true },
    { name: "hessian(logdet)", group, fn: () => H(X) },
  ];
}

export const spec: SuiteSpec = {
  name: "logdet hessian",
  time: 400,
  tasks: () => [...tasks(20), ...tasks(50)],
};
