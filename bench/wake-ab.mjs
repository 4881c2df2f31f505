// Fixed cost of a pool job (wake + ack) for two builds of the pool:
// `node bench/wake-ab.mjs OLD_DIST NEW_DIST [spinning]` (each a built dist/).
// Per build, on a 2-thread runtime: a tiny job (two 8-entry unary tasks, so the time is the
// protocol's) and gemv 10000×100 (a real split job, ~150 µs), each timed with the caller doing
// `gap` µs of its own work between jobs (as a solve does between its kernel calls), against the
// same tasks on the caller alone (callerOnly). Sides alternate in blocks; prints medians in µs.
const spinning = process.argv[4] === "spinning";
async function setup(dir) {
  const { rt, setThreads } = await import(dir + "/wasm/module.js");
  setThreads(2);
  const r = rt(); const { kernels: k, arena, pool } = r; await pool.start();
  if (spinning) pool.simulatePageThread(true);
  if (process.env.SPIN && "spinUs" in pool) pool.spinUs = Number(process.env.SPIN);
  // FORCE_SPIN=1: the new build spins whatever the load (its load check sees a huge machine).
  if (process.env.FORCE_SPIN && "spinUs" in pool) pool.cores = 1e9;
  const x = arena.alloc(16), y = arena.alloc(16);
  const M = 10000, N = 100, a = arena.alloc(M * N), v = arena.alloc(N), out = arena.alloc(M);
  const f = arena.f64(); for (let i = 0; i < M * N; i++) f[(a >> 3) + i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < N; i++) f[(v >> 3) + i] = i / N;
  const tiny = () => pool.run("probe", [[4, 0, 8, x, y], [4, 0, 8, x, y]]);
  const gemv = () => k.gemv(0, M, N, 1, a, M, v, 1, 0, out, 1);
  return { pool, tiny, gemv };
}
const [oldDir, newDir] = process.argv.slice(2, 4).map((d) => new URL(d.endsWith("/") ? d : d + "/", `file://${process.cwd()}/`).href.replace(/\/$/, ""));
if (!oldDir || !newDir) throw new Error("usage: node bench/wake-ab.mjs OLD_DIST NEW_DIST [spinning]");
const sides = { old: await setup(oldDir), new: await setup(newDir) };
const busy = (us) => { const t = performance.now() + us / 1000; while (performance.now() < t); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const res = {};
const cell = (key) => (res[key] ??= []);
const ROUNDS = Number(process.env.ROUNDS ?? 30), CALLS = 10;
const jobs = (process.env.JOBS ?? "tiny,gemv").split(","), gaps = (process.env.GAPS ?? "0,50,200,1000").split(",").map(Number);
// Rounds of blocks (1T, 2T) × (old, new) of CALLS calls, order alternating; a block's time is
// its median call; the ratios pair the blocks of one round.
for (let rep = 0; rep < ROUNDS; rep++) {
  for (const job of jobs) for (const gap of gaps) for (const name of rep % 2 ? ["old", "new"] : ["new", "old"]) {
    const s = sides[name];
    const block = {};
    for (const mode of rep % 4 < 2 ? ["1T", "2T"] : ["2T", "1T"]) {
      s.pool.callerOnly = mode === "1T";
      const t = [];
      for (let i = 0; i < CALLS; i++) {
        if (gap) busy(gap);
        const t0 = performance.now(); s[job](); t.push((performance.now() - t0) * 1000);
      }
      s.pool.callerOnly = false;
      t.sort((p, q) => p - q); block[mode] = t[CALLS >> 1];
      cell(`${name} ${job} gap ${gap} ${mode}`).push(block[mode]);
    }
    cell(`${name} ${job} gap ${gap} ratio`).push(block["1T"] / block["2T"]);
    await sleep(2); // this side's workers are asleep before the other runs
  }
}
const med = (a) => { const b = [...a].sort((p, q) => p - q); return b[b.length >> 1]; };
console.log(`new pool oversubscribed ${sides.new.pool.oversubscribed}`);
console.log(`load ${(await import("node:os")).loadavg().map((l) => l.toFixed(2)).join(" ")}, caller ${spinning ? "spinning" : "blocking"}`);
for (const job of jobs) for (const gap of gaps) {
  const line = [`${job} gap ${String(gap).padStart(4)} µs:`];
  for (const name of ["old", "new"]) {
    const one = med(res[`${name} ${job} gap ${gap} 1T`]), two = med(res[`${name} ${job} gap ${gap} 2T`]);
    line.push(`${name} 1T ${one.toFixed(1)} 2T ${two.toFixed(1)} (paired 1T/2T ${med(res[`${name} ${job} gap ${gap} ratio`]).toFixed(2)})`);
  }
  console.log(line.join("  "));
}
