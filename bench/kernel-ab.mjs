// The shared driver of the kernel A/B scripts (bench/gemv-ab.mjs, bench/gemm-ab.mjs): each
// dist's kernel binary is instantiated on its own memory with the same operands, and the
// builds take turns batch by batch, so load from other jobs falls on all of them alike. A batch
// runs about 5 ms of calls; the figures are µs per call, the fastest and the median batch
// (process CPU time), counting only batches during which no other process of the machine ran
// (bench/quiet.mjs; up to 20 tries a batch). --same checks that the builds give the same
// output bit for bit.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { others } from "./quiet.mjs";

/**
 * Runs `setup(shape, K, mem)` → { fn, out } for every shape and build, times the builds
 * against each other and prints one JSON row per shape (plus GFLOP/s when `flops(shape)` is given).
 * Arguments: dists, then [--build simd] [--batches 15] [--shapes a,b,…] [--same].
 */
export function kernelAB({ defaultShapes, setup, flops }) {
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
  const shapes = opt("shapes", defaultShapes).split(",");
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
  for (const shape of shapes) {
    const calls = inst.map(({ K, mem }) => setup(shape, K, mem));
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
        const reps = Math.max(3, Math.round(5 / Math.max(1e-4, performance.now() - t0)));
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
    const row = { shape };
    times.forEach((xs, k) => {
      const s = [...xs].sort((p, q) => p - q);
      row[`best${k}`] = +s[0].toFixed(2);
      row[`med${k}`] = +s[s.length >> 1].toFixed(2);
      if (flops) row[`gflops${k}`] = +(flops(shape) / s[0] / 1000).toFixed(1);
    });
    console.log(JSON.stringify(row));
  }
  console.log(`load ${readFileSync("/proc/loadavg", "utf8").trim()} ${new Date().toISOString()} build ${build}`);
}

/** Deterministic N(0,1)-ish values (sum of uniforms) so every build sees the same operands. */
export function fill(arr, seed) {
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
