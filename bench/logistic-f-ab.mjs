// Un-jitted logistic f(x) = Σ softplus(−y ∘ (A·x)) op by op, two or more builds side by side
// (issue 19, branch `eager`): the whole f as bench/suites/autodiff.ts writes it, each of its
// five eager ops on its own (operands as f makes them), and the gemv kernel alone on operands
// already in wasm memory. Each dist directory runs in its own process (two builds in one process
// share inline caches), alternating ROUNDS times.
//
//   node bench/logistic-f-ab.mjs <distA> <distB> … [--rounds 3] [--sizes 1000x10,1000x100]
//
// Also the whole un-jitted grad and hvp (the eager-vs-torch suite's cells).
//
// A task's time is the fastest of BATCHES batches of about 10 ms each, the tasks alternating
// batch by batch; process CPU time (GC helpers count, time preempted by other jobs does not).
// Prints one JSON line per process: µs per call.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const BATCHES = 15;
const now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

if (args[0] === "--child") {
  const [, dist, sizes] = args;
  const dir = resolve(dist);
  const mc = await import(pathToFileURL(resolve(dir, "index.js")).href);
  const mod = await import(pathToFileURL(resolve(dir, "wasm/module.js")).href);
  await mc.init();
  mc.setThreads(1);
  const out = { dist };
  for (const size of sizes.split(",")) {
    const [m, n] = size.split("x").map(Number);
    const A = mc.randn([m, n], { seed: 1 });
    const y = mc.sign(mc.randn([m], { seed: 2 }));
    const x = mc.randn([n], { seed: 3 }).mul(0.1);
    const z = A.matmul(x), yz = y.mul(z), nyz = yz.neg();
    const { kernels, arena } = mod.rt();
    // The kernel alone: operands placed in the arena once per batch (below).
    let pa = 0, px = 0, pz = 0;
    const gemv = () => kernels.gemv(0, m, n, 1, pa, m, px, 1, 0, pz, 1);
    const f = () => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const fx = (x) => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const g = mc.grad(fx), hv = mc.hvp(fx), v = mc.randn([n], { seed: 4 });
    const tasks = [
      ["f", f],
      ["grad", () => g(x)],
      ["hvp", () => hv(x, v)],
      ["matmul", () => A.matmul(x)],
      ["mul", () => y.mul(z)],
      ["neg", () => yz.neg()],
      ["softplus", () => mc.softplus(nyz)],
      ["sum", () => nyz.sum()],
      ["gemv kernel", gemv],
    ];
    for (let i = 0; i < 50; i++) f();
    const times = Object.fromEntries(tasks.map(([name]) => [name, []]));
    for (let s = 0; s < BATCHES; s++) {
      for (const [name, fn] of tasks) {
        if (fn === gemv) {
          // Placed once per batch, after the ops released the arena; read only by the kernel.
          arena.enter();
          pa = arena.put(A.data);
          px = arena.put(x.data);
          pz = arena.alloc(m);
        }
        const t0 = performance.now();
        fn();
        const reps = Math.max(20, Math.round(10 / Math.max(1e-4, performance.now() - t0)));
        const t = now();
        for (let i = 0; i < reps; i++) fn();
        times[name].push(((now() - t) * 1000) / reps);
        if (fn === gemv) arena.exit();
      }
    }
    for (const [name, xs] of Object.entries(times)) out[`${size} ${name}`] = +Math.min(...xs).toFixed(2);
  }
  console.log(JSON.stringify(out));
} else {
  const rounds = Number(opt("rounds", "3")), sizes = opt("sizes", "1000x10,1000x100");
  const self = new URL(import.meta.url).pathname;
  for (let r = 0; r < rounds; r++) {
    for (const dist of args) process.stdout.write(execFileSync(process.execPath, [self, "--child", dist, sizes], { encoding: "utf8" }));
  }
}
