// Issue 19's same-run comparisons: the cost per primitive of a chain on a 3-vector run eagerly,
// under grad (reverse mode) and under jvp (forward mode); jacobian's 'auto' mode against both
// explicit modes, vmap of dot against the same sum written with mul and sum, pow against exp
// (integer exponents lowered to multiplies), and a whole mc.matmul call against its GEMM
// kernel alone (and a probe of what an output argument would save). Each group's tasks run
// back to back, so their ratios see the same machine state.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import { dot, grad, jacobian, jvp, matmul, randn, vector, vmap, type Tensor } from "../../src/index.js";
import { kernelBuild } from "../../src/index.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { loadKernels } from "../wasm-bytes.js";
import { ptrOf } from "../../src/core/tensor.js";
import { rt } from "../../src/wasm/module.js";

let own: { k: Kernels; arena: Arena } | null = null;

function jacobianGroup(group: string, f: (x: Tensor) => Tensor, n: number): TaskSpec[] {
  const x = randn([n], { seed: 3 });
  const fwd = jacobian(f, { mode: "fwd" }), rev = jacobian(f, { mode: "rev" }), auto = jacobian(f);
  return rounds(group, [["fwd", () => fwd(x)], ["rev", () => rev(x)], ["auto", () => auto(x)]]);
}

/** Rounds the machine's load varies across: the tasks interleaved ROUNDS times (compare the best of each). */
const ROUNDS = 3;
function rounds(group: string, tasks: [string, () => unknown][], extra: Partial<TaskSpec> = {}): TaskSpec[] {
  const out: TaskSpec[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    tasks.forEach(([name, fn], i) => out.push({ ...extra, name: `${name} #${r}`, group, fn, ...(r === 1 && i === 0 ? { baseline: true } : {}) }));
  }
  return out;
}

/** Rounds of (mul, add, tanh) in the per-primitive chain: 3·CHAIN + 1 primitives with the final sum. */
const CHAIN = 100;

/**
 * The per-primitive cost of un-jitted code: `x ↦ sum(tanh(x·0.999 + 0.001))` applied CHAIN
 * times to a 3-vector, so the kernels are negligible and what is timed is the library around
 * them. Eager runs each op as its own top-level call (operands copied in, result out); grad
 * and jvp run the chain inside one transform. `elements` counts primitives, so Melem/s reads
 * as primitives per µs; the ratios to eager are what issue 19 bounds (rev ≤ 2, fwd ≤ 1.5).
 */
function chainTasks(): TaskSpec[] {
  const f = (x: Tensor): Tensor => {
    for (let i = 0; i < CHAIN; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  };
  const x = vector([0.1, 0.2, 0.3]), v = vector([1, 1, 1]);
  const g = grad(f);
  const group = `per primitive: ${CHAIN} × (mul, add, tanh) + sum on a 3-vector`;
  return rounds(group, [["eager", () => f(x)], ["grad (reverse)", () => g(x)], ["jvp (forward)", () => jvp(f, [x], [v])]], {
    elements: 3 * CHAIN + 1,
  });
}

function jacobianTasks(): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  for (const [m, n] of [[100, 100], [1000, 100], [100, 1000]] as const) {
    const W = randn([m, n], { seed: 1 });
    tasks.push(...jacobianGroup(`jacobian tanh(Wx), W ${m}×${n}`, (x) => W.matmul(x).tanh(), n));
  }
  for (const [m, n] of [[100, 100], [30, 300]] as const) {
    const A = randn([m, n], { seed: 4 }), B = randn([n, n], { seed: 5 }).mul(1 / Math.sqrt(n));
    tasks.push(...jacobianGroup(`jacobian A·tanh(Bx), A ${m}×${n}`, (x) => A.matmul(B.matmul(x).tanh()), n));
  }
  tasks.push(...jacobianGroup("jacobian sum(exp(x)), n=1000", (x) => x.exp().sum(), 1000));
  tasks.push(...jacobianGroup("jacobian exp(x)∘x, n=100", (x) => x.exp().mul(x), 100));
  return tasks;
}

function vmapDotTasks(): TaskSpec[] {
  const a = randn([30000, 3], { seed: 6 }), b = randn([30000, 3], { seed: 7 });
  const vd = vmap((u: Tensor, v: Tensor) => dot(u, v));
  const group = "vmap(dot), 30 000 pairs of 3-vectors";
  return rounds(group, [["a.mul(b).sum(1)", () => a.mul(b).sum(1)], ["vmap(dot)", () => vd(a, b)]]);
}

function powTasks(): TaskSpec[] {
  const n = 1e5;
  const x = randn([n], { seed: 8 }).abs().add(0.5), y = randn([n], { seed: 11 });
  const group = "pow, 1e5 entries (whole op calls)";
  return rounds(group, [
    ["exp(x)", () => x.exp()],
    ["x.pow(2)", () => x.pow(2)],
    ["x.pow(3)", () => x.pow(3)],
    ["x.pow(-1)", () => x.pow(-1)],
    ["x.pow(2.5)", () => x.pow(2.5)],
    ["x.pow(4)", () => x.pow(4)],
    ["x.pow(-3)", () => x.pow(-3)],
    ["x.pow(5) (log/exp route)", () => x.pow(5)],
    ["x.pow(y), y a tensor", () => x.pow(y)],
    ["x.mul(x)", () => x.mul(x)],
  ], { elements: n });
}

/**
 * What an output argument could reach at best, measured beside the whole call (not an API:
 * DESIGN.md keeps tensors immutable, see bench/NOTES.md): the same product on the same resident
 * operands through the library's runtime, copied into one Float64Array the caller keeps, so no
 * result storage is allocated per call; the scope, the arena and the copy out remain.
 */
function intoProbe(A: Tensor, B: Tensor, n: number): () => Float64Array {
  const out = new Float64Array(n * n);
  return () => {
    const { arena, kernels } = rt();
    arena.enter();
    try {
      const pc = arena.alloc(n * n, "matmul");
      kernels.gemm(0, 0, n, n, n, 1, ptrOf(A), n, ptrOf(B), n, 0, pc, n);
      out.set(arena.view(pc, n * n));
    } finally {
      arena.exit();
    }
    return out;
  };
}

function matmulTasks(): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  for (const n of [32, 64, 128, 256]) {
    const A = randn([n, n], { seed: 9 }), B = randn([n, n], { seed: 10 });
    const group = `matmul n=${n}`;
    const flops = 2 * n ** 3;
    // The same build's GEMM in its own instance, on operands placed once (what the whole
    // call adds is the difference: operands in, result out, the op's bookkeeping).
    const { k, arena } = own!;
    const pa = arena.put(A.data), pb = arena.put(B.data), pc = arena.alloc(n * n);
    const kernel = () => k.gemm(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n);
    tasks.push(...rounds(group, [
      ["GEMM kernel", kernel],
      ["mc.matmul whole call", () => matmul(A, B)],
      ["probe: product into the caller's array", intoProbe(A, B, n)],
    ], { flops }));
  }
  return tasks;
}

export const spec: SuiteSpec = {
  name: "overhead",
  time: 200,
  async setup() {
    own ??= await loadKernels(kernelBuild());
  },
  tasks: () => [...chainTasks(), ...jacobianTasks(), ...vmapDotTasks(), ...powTasks(), ...matmulTasks()],
};
