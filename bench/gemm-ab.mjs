// The gemm kernel alone, two or more builds in one process (issue 21, lead), by the shared
// driver of bench/kernel-ab.mjs (turns batch by batch, quiet batches only, --same), with
// GFLOP/s of the fastest batch.
//
//   node bench/gemm-ab.mjs <distA> <distB> … [--build simd] [--batches 15] [--shapes TN20x740x256,NN256x256x256] [--same]
//
// A shape is op(A) and op(B) (N or T) then m×n×k of C = op(A)·op(B) (column-major, tight
// leading dimensions, α = 1, β = 0).
import { fill, kernelAB } from "./kernel-ab.mjs";

const dims = (shape) => shape.slice(2).split("x").map(Number);
kernelAB({
  defaultShapes: "TN20x740x256,NN20x740x256,TN20x400x256,NN256x37x20,TN20x37x256,NN64x1000x64,TN32x2000x100,NN256x256x256,NN1024x1024x1024",
  flops: (shape) => 2 * dims(shape).reduce((a, b) => a * b, 1),
  setup(shape, K, mem) {
    const ta = shape[0] === "T" ? 1 : 0, tb = shape[1] === "T" ? 1 : 0;
    const [m, n, k] = dims(shape);
    const lda = ta ? k : m, ldb = tb ? n : k;
    const A = new Float64Array(m * k), B = new Float64Array(k * n);
    fill(A, 7 + m + k);
    fill(B, 11 + n);
    const base = mem.buffer.byteLength;
    mem.grow(Math.ceil(((m * k + k * n + m * n) * 8 + 256) / 65536));
    const pa = base, pb = pa + m * k * 8, pc = pb + k * n * 8;
    new Float64Array(mem.buffer, pa, m * k).set(A);
    new Float64Array(mem.buffer, pb, k * n).set(B);
    const fn = () => K.gemm(ta, tb, m, n, k, 1, pa, lda, pb, ldb, 0, pc, m);
    fn();
    return { fn, out: () => new Float64Array(mem.buffer, pc, m * n).slice() };
  },
});
