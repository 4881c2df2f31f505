// A whole `mc.matmul(A, B)` call against its GEMM kernel alone, two builds side by side (issue
// 19): each build runs in its own process (two builds in one process share inline caches),
// alternating ROUNDS times, so both see the same machine load. The kernel is the same build's
// GEMM in an instance of its own, on operands placed in its memory once; what the whole call
// adds is the difference (operands in, result out, the op's bookkeeping, GC of the results).
//
//   node bench/matmul-ab.mjs <before/dist> <after/dist> [rounds]
//   (environment: MM_SIZES=32,64,128,256, MM_BATCHES, MM_INTO=1: see intoProbe)
//
// A task's time is the fastest of BATCHES batches, each about 20 ms of kernel time (long enough
// to hold its share of garbage collection: a scavenge every few MB of results), timed by the
// process's CPU time (all threads: GC helpers count; time preempted by other jobs does not;
// MM_CLOCK=wall for the wall clock). The tasks alternate batch by batch.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [, self, a, b, roundsArg] = process.argv;
const SIZES = (process.env.MM_SIZES ?? "32,64,128,256").split(",").map(Number);
const BATCHES = Number(process.env.MM_BATCHES ?? 15);
const now = process.env.MM_CLOCK === "wall" ? () => performance.now() : () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * MM_INTO=1: what an output argument could save at best, measured, not an API: the same product
 * on the same resident operands through the library's internals, copied into one Float64Array
 * the caller keeps (no result storage allocated per call; the scope and the copy out remain).
 */
function intoProbe(mc, tensorMod, mod, A, B, n) {
  const out = new Float64Array(n * n);
  return () => {
    const { arena, kernels } = mod.rt();
    arena.enter();
    try {
      const pa = tensorMod.ptrOf(A), pb = tensorMod.ptrOf(B), pc = arena.alloc(n * n, "matmul");
      kernels.gemm(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n);
      out.set(arena.view(pc, n * n));
    } finally {
      arena.exit();
    }
    return out;
  };
}

if (a === "--child") {
  const dir = resolve(b);
  const mc = await import(pathToFileURL(resolve(dir, "index.js")).href);
  const mod = await import(pathToFileURL(resolve(dir, "wasm/module.js")).href);
  const { Arena } = await import(pathToFileURL(resolve(dir, "wasm/arena.js")).href);
  const tensorMod = await import(pathToFileURL(resolve(dir, "core/tensor.js")).href);
  await mc.init();
  mc.setThreads(1); // as the bench suites run (the library's default uses every core for large GEMMs)
  const file = { "relaxed-simd": "kernels.relaxed.wasm", simd: "kernels.simd.wasm", scalar: "kernels.scalar.wasm" }[mc.kernelBuild()];
  const k = mod.instantiateKernels(await WebAssembly.compile(readFileSync(resolve(dir, "wasm", file))));
  const arena = new Arena(k);
  const out = {};
  for (const n of SIZES) {
    const A = mc.randn([n, n], { seed: 9 }), B = mc.randn([n, n], { seed: 10 });
    const pa = arena.put(A.data), pb = arena.put(B.data), pc = arena.alloc(n * n);
    const kernel = () => k.gemm(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n);
    const whole = () => mc.matmul(A, B);
    const tasks = [["kernel", kernel], ["whole", whole]];
    if (process.env.MM_INTO === "1") tasks.push(["into", intoProbe(mc, tensorMod, mod, A, B, n)]);
    // Calls per batch: about 20 ms of kernel time.
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) kernel();
    const reps = Math.max(10, Math.round(20 / ((performance.now() - t0) / 50)));
    for (const [, fn] of tasks) for (let i = 0; i < 3 * reps; i++) fn();
    const times = Object.fromEntries(tasks.map(([name]) => [name, []]));
    for (let s = 0; s < BATCHES; s++) {
      for (const [name, fn] of tasks) {
        const t = now();
        for (let i = 0; i < reps; i++) fn();
        times[name].push(((now() - t) * 1000) / reps);
      }
    }
    out[n] = Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, Math.min(...xs)]));
  }
  console.log(JSON.stringify(out));
} else {
  if (!a || !b) {
    console.error("usage: node bench/matmul-ab.mjs <before/dist> <after/dist> [rounds]");
    process.exit(2);
  }
  const rounds = Number(roundsArg ?? 3);
  const runs = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, dir] of [["before", a], ["after", b]]) {
      const res = JSON.parse(execFileSync(process.execPath, [self, "--child", dir], { encoding: "utf8" }));
      runs[name].push(res);
      const cells = SIZES.map((n) => {
        const c = res[n];
        const extra = c.into !== undefined ? ` into ${c.into.toFixed(2)} (${(c.kernel / c.into).toFixed(2)}×)` : "";
        return `n=${n}: kernel ${c.kernel.toFixed(2)} whole ${c.whole.toFixed(2)} µs (${(c.kernel / c.whole).toFixed(2)}×)${extra}`;
      });
      console.log(`round ${r + 1} ${name.padEnd(6)} ${cells.join(" | ")}`);
    }
  }
}
