// A recurrence that takes one row per step of a precomputed input projection P = X·W
// (h_t = tanh(P[t] + 0.5 h_{t-1}), loss Σ h_T), differentiated with respect to W: each row
// slice's cotangent is added into P's accumulator in place (slice_p.transposeInto). "padded"
// is the same gradient with that rule switched off (the transpose pads each row to the whole
// matrix and adds it out of place, as before); it cannot run at T = 1024 (MemoryLimitError).
// PyTorch's figures (bench/peers/slice_rows_torch.py → slice_rows_torch.json) are printed
// beside ours; rerun the peer in the same session as the suite.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import { fillRandom } from "../harness.js";
import { grad, init, jit, matmul, slice, tanh, tensor, zeros, type Tensor } from "../../src/index.js";
import { slice_p } from "../../src/ops/structure.js";
import peer from "../peers/slice_rows_torch.json" with { type: "json" };

const D = 16, H = 256;
const torch = peer as { meta: Record<string, string | number>; rows: { group: string; task: string; p50Ms: number }[] };

function rowsOf(v: Float64Array, n: number, m: number, scale = 1): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * m, (i + 1) * m), (x) => x * scale));
}

/** The suite's gradient with slice_p's in-place transpose switched off for the call. */
function padded<R>(fn: () => R): R {
  const p = slice_p as { transposeInto?: unknown };
  const saved = p.transposeInto;
  p.transposeInto = undefined;
  try {
    return fn();
  } finally {
    p.transposeInto = saved;
  }
}

function tasks(T: number): TaskSpec[] {
  const X = tensor(rowsOf(fillRandom(new Float64Array(T * D), 21), T, D));
  const W = tensor(rowsOf(fillRandom(new Float64Array(D * H), 22), D, H, 0.25));
  const loss = (w: Tensor): Tensor => {
    const P = matmul(X, w);
    let h: Tensor = zeros([1, H]);
    for (let t = 0; t < T; t++) h = tanh(slice(P, [t, 0], [1, H]).add(h.mul(0.5)));
    return h.sum();
  };
  const group = `row loop T=${T}, P = X·W ${T}×${H}`;
  console.log(`slice-rows | ${group}: loss ${loss(W).item()} (torch ${torch.meta[`loss${T}`]})`);
  const r = torch.rows.find((x) => x.group === group && x.task === "grad");
  const g = grad(loss);
  const jg = jit(g, { onFallback: (why) => console.log(`slice-rows | ${group} | jit grad fell back: ${why}`) });
  const out: TaskSpec[] = [{ group, name: "grad", fn: () => g(W), baseline: true, ...(r ? { peer: { name: "torch", ms: r.p50Ms } } : {}) }];
  // The padded path keeps ~2·T full-size matrices alive: 1 GiB of wasm memory at T = 512.
  if (T <= 512) out.push({ group, name: "grad, padded (before)", fn: () => padded(() => g(W)) });
  // A jit recording keeps every value alive: at T = 1024 it cannot hold them and f runs un-jitted.
  if (T <= 256) out.push({ group, name: "jit grad", fn: () => jg(W) });
  return out;
}

export const spec: SuiteSpec = {
  name: "slice-rows",
  time: 1500,
  iterations: 3,
  setup: () => init(),
  tasks: () => {
    console.log(`slice-rows: torch figures from ${torch.meta.date} (torch ${torch.meta.torch}, ${torch.meta.machine}, load ${torch.meta.load})`);
    return [...tasks(256), ...tasks(512), ...tasks(1024)];
  },
};
