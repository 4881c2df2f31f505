// A/B of two builds of the thread pool on getrf n = 1024: `node bench/threads-ab.mjs OLD_DIST NEW_DIST`
// (each a built dist/, e.g. one from `git stash; npm run build; cp -r dist /tmp/old`). Per build,
// one thread against two with the caller blocking (Node) and spinning (as a page's thread
// must), calls alternating across both builds; prints the median over pairs of t1T / t2T.
const N = 1024, nn = N * N;
const g = new Float64Array(nn); let s = 1; for (let i = 0; i < nn; i++) { s = (s * 16807) % 2147483647; g[i] = s / 2147483647 - 0.5; }
async function setup(dir) {
  const { rt, setThreads } = await import(dir + "/wasm/module.js");
  const side = (r) => { const { kernels: k, arena } = r; const gen = arena.put(g), work = arena.alloc(nn), ipiv = arena.allocBytes(4 * N);
    return () => { arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn); if (k.getrf(N, N, work, N, ipiv) !== 0) throw 0; }; };
  setThreads(1); const one = side(rt());
  setThreads(2); const r2 = rt(); const two = side(r2); await r2.pool.start();
  return { one, two, pool: r2.pool };
}
const [oldDir, newDir] = process.argv.slice(2).map((d) => new URL(d.endsWith("/") ? d : d + "/", `file://${process.cwd()}/`).href.replace(/\/$/, ""));
if (!oldDir || !newDir) throw new Error("usage: node bench/threads-ab.mjs OLD_DIST NEW_DIST");
const sides = { old: await setup(oldDir), new: await setup(newDir) };
const ratios = { "old blocking": [], "old spinning": [], "new blocking": [], "new spinning": [] };
const time = (f) => { const t0 = performance.now(); f(); return performance.now() - t0; };
for (let i = 0; i < 3; i++) for (const k of Object.keys(sides)) { sides[k].one(); sides[k].two(); }
for (let rep = 0; rep < 12; rep++) {
  for (const mode of ["blocking", "spinning"]) for (const k of rep % 2 ? ["old", "new"] : ["new", "old"]) {
    const sd = sides[k]; sd.pool.blocking = mode === "blocking";
    for (let j = 0; j < 2; j++) { const a = time(sd.one), b = time(sd.two); ratios[`${k} ${mode}`].push(a / b); }
  }
}
for (const [k, r] of Object.entries(ratios)) { r.sort((a, b) => a - b); console.log(k, "median 1T/2T", r[r.length >> 1].toFixed(2), "n", r.length); }
