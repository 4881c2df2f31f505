// Elementwise kernels: throughput (Melem/s) of exp, tanh, add (same shape), add with a
// broadcast row vector, mul, relu and pow (x^2.5 with a broadcast exponent, and x^y with
// both operands tensors; bases in [0.5, 4), exponents in [−3, 3)) at n = 1e3, 1e5, 1e6, for
// the SIMD and scalar builds against a plain JavaScript loop over Float64Array (the baseline
// of each group).
//
// Every host: the binaries come from dist/wasm (run `npm run build` first) through
// bench/wasm-bytes.ts.
import type { SuiteSpec, TaskSpec } from "../harness.js";
import { BinaryOp, UnaryOp, type Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";
import { loadKernels, type BuildName } from "../wasm-bytes.js";

const SIZES = [1e3, 1e5, 1e6];

interface Build { name: string; k: Kernels; arena: Arena }
let builds: Build[] = [];

/** Seeded values in [lo, hi) (xorshift32; deterministic across runs and hosts). */
function values(n: number, lo: number, hi: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = lo + (s / 4294967296) * (hi - lo);
  }
  return out;
}

/** m×n with m·n = size, as square as the factors of a power of ten allow. */
function matrixShape(size: number): [number, number] {
  const m = 10 ** Math.floor(Math.log10(size) / 2);
  return [m, size / m];
}

// Plain-JS baselines: one monomorphic function per op, so V8 can inline Math.exp and friends.
function jsExp(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]!);
}
function jsTanh(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!);
}
function jsRelu(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? v : 0;
  }
}
function jsPowScalar(x: Float64Array, y: number, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i]!, y);
}
function jsPow(x: Float64Array, y: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.pow(x[i]!, y[i]!);
}
function jsAdd(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
}
function jsMul(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * b[i]!;
}
/** a (m×n, column-major) + row (1×n) broadcast down the rows. */
function jsAddRow(m: number, n: number, a: Float64Array, row: Float64Array, out: Float64Array): void {
  for (let j = 0; j < n; j++) {
    const r = row[j]!, o = j * m;
    for (let i = 0; i < m; i++) out[o + i] = a[o + i]! + r;
  }
}

export const spec: SuiteSpec = {
  name: "elementwise",
  async setup() {
    if (builds.length > 0) return;
    const names: BuildName[] = ["simd", "scalar"];
    builds = await Promise.all(names.map(async (name) => ({ name, ...(await loadKernels(name)) })));
  },
  tasks() {
    const tasks: TaskSpec[] = [];
    for (const n of SIZES) {
      const [m, cols] = matrixShape(n);
      const x = values(n, -5, 5, 1), tx = values(n, -3, 3, 2), a = values(n, -1, 1, 3), b = values(n, -1, 1, 4);
      const row = values(cols, -1, 1, 5);
      const px0 = values(n, 0.5, 4, 6), py0 = values(n, -3, 3, 7);
      const out = new Float64Array(n);
      const group = (op: string): string => `${op} n=1e${Math.log10(n)}`;
      tasks.push(
        { name: "plain JS", group: group("exp"), baseline: true, elements: n, fn: () => jsExp(x, out) },
        { name: "plain JS", group: group("tanh"), baseline: true, elements: n, fn: () => jsTanh(tx, out) },
        { name: "plain JS", group: group("add"), baseline: true, elements: n, fn: () => jsAdd(a, b, out) },
        { name: "plain JS", group: group("add row"), baseline: true, elements: n, fn: () => jsAddRow(m, cols, a, row, out) },
        { name: "plain JS", group: group("mul"), baseline: true, elements: n, fn: () => jsMul(a, b, out) },
        { name: "plain JS", group: group("relu"), baseline: true, elements: n, fn: () => jsRelu(x, out) },
        { name: "plain JS", group: group("pow(x, 2.5)"), baseline: true, elements: n, fn: () => jsPowScalar(px0, 2.5, out) },
        { name: "plain JS", group: group("pow(x, y)"), baseline: true, elements: n, fn: () => jsPow(px0, py0, out) },
      );
      for (const { name, k, arena } of builds) {
        const px = arena.put(x), ptx = arena.put(tx), pa = arena.put(a), pb = arena.put(b), prow = arena.put(row);
        const pout = arena.alloc(n);
        const shape1 = arena.putI32([n]), unit = arena.putI32([1]);
        const shape2 = arena.putI32([m, cols]), dense2 = arena.putI32([1, m]), rowStrides = arena.putI32([0, 1]);
        const ppx = arena.put(px0), ppy = arena.put(py0), p25 = arena.put([2.5]), zero = arena.putI32([0]);
        const t = `matcalc ${name}`;
        tasks.push(
          { name: t, group: group("exp"), elements: n, fn: () => k.unary(UnaryOp.Exp, n, px, pout) },
          { name: t, group: group("tanh"), elements: n, fn: () => k.unary(UnaryOp.Tanh, n, ptx, pout) },
          { name: t, group: group("add"), elements: n, fn: () => k.binary(BinaryOp.Add, 1, shape1, pa, unit, pb, unit, pout) },
          { name: t, group: group("add row"), elements: n, fn: () => k.binary(BinaryOp.Add, 2, shape2, pa, dense2, prow, rowStrides, pout) },
          { name: t, group: group("mul"), elements: n, fn: () => k.binary(BinaryOp.Mul, 1, shape1, pa, unit, pb, unit, pout) },
          { name: t, group: group("relu"), elements: n, fn: () => k.unary(UnaryOp.Relu, n, px, pout) },
          { name: t, group: group("pow(x, 2.5)"), elements: n, fn: () => k.binary(BinaryOp.Pow, 1, shape1, ppx, unit, p25, zero, pout) },
          { name: t, group: group("pow(x, y)"), elements: n, fn: () => k.binary(BinaryOp.Pow, 1, shape1, ppx, unit, ppy, unit, pout) },
        );
      }
    }
    // Run each group's tasks back to back, so they see the same machine state.
    const order = [...new Set(tasks.map((t) => t.group))];
    return tasks.sort((p, q) => order.indexOf(p.group) - order.indexOf(q.group));
  },
};
