// A/B of two builds of the thread pool on a factorization or a product of order 1024:
// `node bench/threads-ab.mjs OLD_DIST NEW_DIST [--op getrf|potrf|gemm] [--reps 12]` (each a built
// dist/, e.g. one from `git stash; npm run build; cp -r dist /tmp/old`). Per build, one thread
// against two with the caller blocking (Node) and spinning (as a page's thread must), calls
// alternating across both builds, two pairs a build, mode and rep; prints per build and mode
// the median 1T and 2T times, their minima, and the median over pairs of t1T / t2T.
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const op = opt("op", "getrf"), REPS = Number(opt("reps", "12"));
if (op !== "getrf" && op !== "potrf" && op !== "gemm") throw new Error(`--op must be getrf, potrf or gemm, got ${op}`);
const N = 1024, nn = N * N;
const g = new Float64Array(nn); let s = 1; for (let i = 0; i < nn; i++) { s = (s * 16807) % 2147483647; g[i] = s / 2147483647 - 0.5; }
// potrf reads the lower triangle as a symmetric matrix: a dominant diagonal makes it positive definite.
if (op === "potrf") for (let i = 0; i < N; i++) g[i * N + i] += N;
async function setup(dir) {
  const { rt, setThreads } = await import(dir + "/wasm/module.js");
  const side = (r) => { const { kernels: k, arena } = r; const gen = arena.put(g), work = arena.alloc(nn), ipiv = arena.allocBytes(4 * N);
    // C = G·Gᵀ into work (both operands the one matrix in memory: the product's cost is the same).
    if (op === "gemm") return () => k.gemm(0, 1, N, N, N, 1, gen, N, gen, N, 0, work, N);
    return () => {
      arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn);
      if ((op === "getrf" ? k.getrf(N, N, work, N, ipiv) : k.potrf(N, work, N)) !== 0) throw new Error(`${op} failed`);
    }; };
  setThreads(1); const one = side(rt());
  setThreads(2); const r2 = rt(); const two = side(r2); await r2.pool.start();
  return { one, two, pool: r2.pool };
}
const [oldDir, newDir] = args.map((d) => new URL(d.endsWith("/") ? d : d + "/", `file://${process.cwd()}/`).href.replace(/\/$/, ""));
if (!oldDir || !newDir) throw new Error("usage: node bench/threads-ab.mjs OLD_DIST NEW_DIST [--op getrf|potrf|gemm] [--reps 12]");
const sides = { old: await setup(oldDir), new: await setup(newDir) };
const runs = {};
for (const k of ["old", "new"]) for (const mode of ["blocking", "spinning"]) runs[`${k} ${mode}`] = { a: [], b: [], r: [] };
const time = (f) => { const t0 = performance.now(); f(); return performance.now() - t0; };
for (let i = 0; i < 3; i++) for (const k of Object.keys(sides)) { sides[k].one(); sides[k].two(); }
for (let rep = 0; rep < REPS; rep++) {
  for (const mode of ["blocking", "spinning"]) for (const k of rep % 2 ? ["old", "new"] : ["new", "old"]) {
    const sd = sides[k]; sd.pool.blocking = mode === "blocking";
    const run = runs[`${k} ${mode}`];
    for (let j = 0; j < 2; j++) { const a = time(sd.one), b = time(sd.two); run.a.push(a); run.b.push(b); run.r.push(a / b); }
  }
}
const med = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
for (const [k, v] of Object.entries(runs)) {
  console.log(`${op} ${k}: 1T ${med(v.a).toFixed(2)} ms (min ${Math.min(...v.a).toFixed(2)}), 2T ${med(v.b).toFixed(2)} (min ${Math.min(...v.b).toFixed(2)}), ` +
    `median 1T/2T ${med(v.r).toFixed(2)}, min/min ${(Math.min(...v.a) / Math.min(...v.b)).toFixed(2)}, n ${v.r.length}`);
}
process.exit(0);
