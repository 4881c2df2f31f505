// A/B of two builds of the pool on whole solves: `node bench/wake-solve-ab.mjs OLD_DIST NEW_DIST`.
// logistic 10000×100 (λ = 1e-3), newton-cg and trust-ncg to gradTol 1e-5, one thread (every task
// on the caller, pool.callerOnly) against two; per round and build a 1T and a 2T solve back to
// back, builds alternating; prints per build the median over rounds of t1T / t2T and CPU 2T / 1T.
import { loadavg } from "node:os";
const [oldDir, newDir] = process.argv.slice(2, 4).map((d) => new URL(d.endsWith("/") ? d : d + "/", `file://${process.cwd()}/`).href.replace(/\/$/, ""));
if (!oldDir || !newDir) throw new Error("usage: node bench/wake-solve-ab.mjs OLD_DIST NEW_DIST");
const M = 10000, N = 100, xd = new Float64Array(M * N), yd = new Float64Array(M);
let s = 12345; const rnd = () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
for (let i = 0; i < M * N; i++) xd[i] = rnd() * 2 - 1;
for (let i = 0; i < M; i++) yd[i] = rnd() < 0.5 ? -1 : 1;
async function setup(dir) {
  const mc = await import(dir + "/index.js"), { minimize } = await import(dir + "/optim/index.js");
  const { currentPool } = await import(dir + "/wasm/module.js");
  mc.setThreads(2);
  const pool = currentPool(); await pool.start();
  // FORCE_SPIN=1: the new build spins whatever the load (its detector sees a huge machine).
  if (process.env.FORCE_SPIN && "spinUs" in pool) pool.cores = 1e9;
  const X = mc.tensor(xd, [M, N]), y = mc.tensor(yd, [M]);
  const f = (w) => mc.softplus(y.mul(X.matmul(w)).neg()).mean().add(w.dot(w).mul(1e-3 / 2));
  const x0 = mc.zeros([N]);
  return { pool, solve: (method) => minimize(f, x0, { method, gradTol: 1e-5 }) };
}
const sides = { old: await setup(oldDir), new: await setup(newDir) };
const ROUNDS = Number(process.env.ROUNDS ?? 40);
const res = {};
const time = (f) => { const c0 = process.cpuUsage(), t0 = performance.now(); f(); const c = process.cpuUsage(c0); return [performance.now() - t0, (c.user + c.system) / 1000]; };
const l0 = loadavg();
for (const method of ["newton-cg", "trust-ncg"]) for (const k of ["old", "new"]) { sides[k].solve(method); sides[k].solve(method); }
for (let r = 0; r < ROUNDS; r++) for (const method of ["newton-cg", "trust-ncg"]) for (const k of r % 2 ? ["old", "new"] : ["new", "old"]) {
  const sd = sides[k];
  const one = () => { sd.pool.callerOnly = true; try { return time(() => sd.solve(method)); } finally { sd.pool.callerOnly = false; } };
  const two = () => time(() => sd.solve(method));
  const [a, b] = r % 4 < 2 ? [one(), two()] : (([q, p]) => [p, q])([two(), one()]);
  (res[`${k} ${method}`] ??= []).push([a[0] / b[0], b[1] / a[1], a[0], b[0]]);
}
const med = (v) => { const b = [...v].sort((p, q) => p - q); return b[b.length >> 1]; };
console.log(`load ${l0.map((l) => l.toFixed(2)).join(" ")} → ${loadavg().map((l) => l.toFixed(2)).join(" ")}; new pool spin ${sides.new.pool.spinUs ?? "-"} µs, oversubscribed ${sides.new.pool.oversubscribed ?? "-"}, busy load samples ${sides.new.pool.busySamples} of ${sides.new.pool.loadSamples}`);
for (const [k, v] of Object.entries(res)) {
  console.log(`${k.padEnd(14)} median pair 1T/2T ${med(v.map((x) => x[0])).toFixed(2)}×  CPU 2T/1T ${med(v.map((x) => x[1])).toFixed(2)}  p50 ${med(v.map((x) => x[2])).toFixed(2)} → ${med(v.map((x) => x[3])).toFixed(2)} ms  (${v.length} pairs)`);
}
