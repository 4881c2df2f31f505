// The gemv kernel alone, two or more builds in one process (issue 19, branch `gemv`), by the
// shared driver of bench/kernel-ab.mjs (turns batch by batch, quiet batches only, --same).
//
//   node bench/gemv-ab.mjs <distA> <distB> … [--build simd] [--batches 15] [--shapes N1000x1000,T1000x1000] [--same]
//
// A shape is N or T (op) then m×n of A (column-major, lda = m, unit strides, α = 1, β = 0).
// The builds of one summation order give the same y bit for bit (--same).
import { fill, kernelAB } from "./kernel-ab.mjs";

kernelAB({
  defaultShapes:
    "N1000x1000,T1000x1000,N1000x100,T1000x100,N1000x10,T1000x10,N100x100,T100x100,N256x256,T256x256," +
    "N10000x100,T10000x100,N20x256,T20x256,N256x20,T256x20",
  setup(shape, K, mem) {
    const trans = shape[0] === "T" ? 1 : 0;
    const [m, n] = shape.slice(1).split("x").map(Number);
    const xl = trans ? m : n, yl = trans ? n : m;
    const A = new Float64Array(m * n), x = new Float64Array(xl);
    fill(A, 7 + m + n);
    fill(x, 11 + m);
    const base = mem.buffer.byteLength;
    mem.grow(Math.ceil(((m * n + xl + yl) * 8 + 256) / 65536));
    const pa = base, px = pa + m * n * 8, py = px + xl * 8;
    new Float64Array(mem.buffer, pa, m * n).set(A);
    new Float64Array(mem.buffer, px, xl).set(x);
    const fn = () => K.gemv(trans, m, n, 1, pa, m, px, 1, 0, py, 1);
    fn();
    return { fn, out: () => new Float64Array(mem.buffer, py, yl).slice() };
  },
});
