// The gemv kernel alone, two or more builds in one process (issue 19, branch `gemv`): each dist's
// kernel binary is instantiated on its own memory with the same operands, and the builds take
// turns batch by batch, so load from other jobs falls on all of them alike.
//
//   node bench/gemv-ab.mjs <distA> <distB> … [--build simd] [--batches 15] [--shapes N1000x1000,T1000x1000]
//
// A shape is N or T (op) then m×n of A (column-major, lda = m, unit strides, α = 1, β = 0). A
// batch runs about 5 ms of calls; the figure is µs per call, the fastest and the median batch
// (process CPU time), counting only batches during which no other process of the machine ran
// (bench/quiet.mjs; up to 20 tries a batch). Also checks that the builds give the same y bit
// for bit when asked (--same), which the builds of one summation order do.
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
  "N1000x1000,T1000x1000,N1000x100,T1000x100,N1000x10,T1000x10,N100x100,T100x100,N256x256,T256x256," +
  "N10000x100,T10000x100,N20x256,T20x256,N256x20,T256x20").split(",");
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
  const trans = shape[0] === "T" ? 1 : 0;
  const [m, n] = shape.slice(1).split("x").map(Number);
  const xl = trans ? m : n, yl = trans ? n : m;
  const A = new Float64Array(m * n), x = new Float64Array(xl);
  fill(A, 7 + m + n);
  fill(x, 11 + m);
  const calls = inst.map(({ K, mem }) => {
    const base = mem.buffer.byteLength;
    const need = (m * n + xl + yl) * 8 + 256;
    mem.grow(Math.ceil(need / 65536));
    const pa = base, px = pa + m * n * 8, py = px + xl * 8;
    new Float64Array(mem.buffer, pa, m * n).set(A);
    new Float64Array(mem.buffer, px, xl).set(x);
    const fn = () => K.gemv(trans, m, n, 1, pa, m, px, 1, 0, py, 1);
    fn();
    return { fn, out: () => new Float64Array(mem.buffer, py, yl).slice() };
  });
  if (same) {
    const y0 = calls[0].out();
    calls.forEach((c, k) => {
      const y = c.out();
      const diff = y.findIndex((v, i) => !Object.is(v, y0[i]));
      if (diff >= 0) console.log(`${shape}: ${dists[k]} differs from ${dists[0]} at ${diff} (${y[diff]} vs ${y0[diff]})`);
    });
  }
  const times = calls.map(() => []);
  for (let b = 0; b < BATCHES; b++) {
    calls.forEach(({ fn }, k) => {
      const t0 = performance.now();
      fn();
      const reps = Math.max(5, Math.round(5 / Math.max(1e-4, performance.now() - t0)));
      for (let tries = 0; tries < 20; tries++) {
        others();
        const t = now();
        for (let i = 0; i < reps; i++) fn();
        const us = ((now() - t) * 1000) / reps;
        if (others() > 1 && tries < 19) continue;
        times[k].push(us);
        break;
      }
    });
  }
  const stat = (xs) => {
    const s = [...xs].sort((p, q) => p - q);
    return [s[0], s[s.length >> 1]];
  };
  const row = { shape };
  times.forEach((xs, k) => {
    const [best, med] = stat(xs);
    row[`best${k}`] = +best.toFixed(2);
    row[`med${k}`] = +med.toFixed(2);
  });
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(`load ${readFileSync("/proc/loadavg", "utf8").trim()} ${new Date().toISOString()} build ${build}`);
