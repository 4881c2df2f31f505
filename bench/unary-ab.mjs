// Unary kernels per entry, two or more builds side by side (issue 19, branch `softplus`): ns per
// entry of exp, sigmoid and softplus on data already in wasm memory (|x| < 3, as in the logistic
// problem), 1000 and 10⁵ entries, process CPU time (so other jobs' preemption does not count),
// best of 10 batches. Each dist directory runs in its own process, alternating ROUNDS times.
//
//   node bench/unary-ab.mjs <distA> <distB> … [--rounds 3] [--build simd|relaxed-simd|scalar]
//     [--ops exp,sigmoid,softplus]
//
// e.g. distA = a copy of dist/ built from the previous commit (its dist/wasm/*.wasm are what
// differ). Prints one JSON line per process.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};

if (args[0] === "--child") {
  const [, dist, build, opsArg] = args;
  const m = await import(pathToFileURL(resolve(dist, "wasm/module.js")).href);
  await m.init({ build, threads: 1 });
  const { kernels: k, arena } = m.rt();
  const codes = { neg: 0, exp: 6, log1p: 8, tanh: 12, sigmoid: 13, softplus: 15 };
  const out = { dist };
  for (const n of [1000, 100000]) {
    const xs = new Float64Array(n);
    let s = 1;
    for (let i = 0; i < n; i++) {
      s = (s * 16807) % 2147483647;
      xs[i] = (s / 2147483647 - 0.5) * 6;
    }
    const x = arena.put(xs), o = arena.alloc(n);
    for (const name of opsArg.split(",")) {
      const op = codes[name];
      const reps = Math.max(1, Math.round(2e6 / n));
      for (let r = 0; r < reps; r++) k.unary(op, n, x, o);
      let best = Infinity;
      for (let b = 0; b < 10; b++) {
        const c0 = process.cpuUsage();
        for (let r = 0; r < reps; r++) k.unary(op, n, x, o);
        const c = process.cpuUsage(c0);
        best = Math.min(best, ((c.user + c.system) * 1e3) / reps / n);
      }
      out[`${name} ${n}`] = +best.toFixed(3);
    }
  }
  console.log(JSON.stringify(out));
} else {
  const rounds = Number(opt("rounds", "3")), build = opt("build", "simd"), ops = opt("ops", "exp,sigmoid,softplus");
  const self = new URL(import.meta.url).pathname;
  for (let r = 0; r < rounds; r++) {
    for (const dist of args) {
      // The relaxed build needs the flag in Node 20 (not allowed in NODE_OPTIONS).
      const flags = build === "relaxed-simd" ? ["--experimental-wasm-relaxed-simd"] : [];
      process.stdout.write(execFileSync(process.execPath, [...flags, self, "--child", dist, build, ops], { encoding: "utf8" }));
    }
  }
}
