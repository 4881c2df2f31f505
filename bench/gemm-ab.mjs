// The gemm kernel alone, two or more builds in one process (issue 21, lead): each dist's kernel
// binary is instantiated on its own memory with the same operands, and the builds take turns
// batch by batch, so load from other jobs falls on all of them alike (as bench/gemv-ab.mjs).
//
//   node bench/gemm-ab.mjs <distA> <distB> … [--build simd] [--batches 15] [--shapes TN20x740x256,NN256x256x256]
//
// A shape is op(A) and op(B) (N or T) then m×n×k of C = op(A)·op(B) (column-major, tight
// leading dimensions, α = 1, β = 0). A batch runs about 5 ms of calls; the figure is µs per
// call, the fastest and the median batch (process CPU time), counting only batches during which
// no other process of the machine ran (bench/quiet.mjs; up to 20 tries a batch), and GFLOP/s of
// the fastest. --same checks that the builds give the same C bit for bit.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { others } from "./quiet.mjs";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const flag = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const build = opt("build", "simd");
const BATCHES = Number(opt("batches", "15"));
const shapes = opt("shapes",
  "TN20x740x256,NN20x740x256,TN20x400x256,NN256x37x20,TN20x37x256,NN64x1000x64,TN32x2000x100,NN256x256x256,NN1024x1024x1024").split(",");
const same = flag("same");
const dists = args;
const now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const noop = () => { throw new Error("hook called"); };

const inst = dists.map((d) => {
  const bytes = readFileSync(resolve(d, `wasm/kernels.${build}.wasm`));
  const { exports: K } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { gemmHook: noop, luStepHook: noop, cholStepHook: noop, abort: noop },
  });
  return { dist: d, K, mem: K.memory };
});

/** Deterministic N(0,1)-ish values (sum of uniforms) so every build sees the same operands. */
function fill(arr, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    let t = 0;
    for (let k = 0; k < 4; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      t += s / 2 ** 32;
    }
    arr[i] = (t - 2) * 1.7;
  }
}

const rows = [];
for (const shape of shapes) {
  const ta = shape[0] === "T" ? 1 : 0, tb = shape[1] === "T" ? 1 : 0;
  const [m, n, k] = shape.slice(2).split("x").map(Number);
  const lda = ta ? k : m, ldb = tb ? n : k;
  const A = new Float64Array(m * k), B = new Float64Array(k * n);
  fill(A, 7 + m + k);
  fill(B, 11 + n);
  const calls = inst.map(({ K, mem }) => {
    const base = mem.buffer.byteLength;
    const need = (m * k + k * n + m * n) * 8 + 256;
    mem.grow(Math.ceil(need / 65536));
    const pa = base, pb = pa + m * k * 8, pc = pb + k * n * 8;
    new Float64Array(mem.buffer, pa, m * k).set(A);
    new Float64Array(mem.buffer, pb, k * n).set(B);
    const fn = () => K.gemm(ta, tb, m, n, k, 1, pa, lda, pb, ldb, 0, pc, m);
    fn();
    return { fn, out: () => new Float64Array(mem.buffer, pc, m * n).slice() };
  });
  if (same) {
    const c0 = calls[0].out();
    calls.forEach((c, j) => {
      const y = c.out();
      const diff = y.findIndex((v, i) => !Object.is(v, c0[i]));
      if (diff >= 0) console.log(`${shape}: ${dists[j]} differs from ${dists[0]} at ${diff} (${y[diff]} vs ${c0[diff]})`);
    });
  }
  const times = calls.map(() => []);
  for (let b = 0; b < BATCHES; b++) {
    calls.forEach(({ fn }, j) => {
      const t0 = performance.now();
      fn();
      const reps = Math.max(3, Math.round(5 / Math.max(1e-4, performance.now() - t0)));
      for (let tries = 0; tries < 20; tries++) {
        others();
        const t = now();
        for (let i = 0; i < reps; i++) fn();
        const us = ((now() - t) * 1000) / reps;
        if (others() > 1 && tries < 19) continue;
        times[j].push(us);
        break;
      }
    });
  }
  const stat = (xs) => {
    const s = [...xs].sort((p, q) => p - q);
    return [s[0], s[s.length >> 1]];
  };
  const row = { shape };
  times.forEach((xs, j) => {
    const [best, med] = stat(xs);
    row[`best${j}`] = +best.toFixed(2);
    row[`med${j}`] = +med.toFixed(2);
    row[`gflops${j}`] = +((2 * m * n * k) / best / 1000).toFixed(1);
  });
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`load ${readFileSync("/proc/loadavg", "utf8").trim()} ${new Date().toISOString()} build ${build}`);
