// A/B of two builds of potrf n = 1024 on 1 and 2 threads: `node bench/potrf-ab.mjs OLD_DIST NEW_DIST`
// (each a built dist/). Per build, one thread against two with the blocking caller, calls
// alternating across builds (40 pairs); prints medians, minima and the median over pairs of 1T / 2T.
const N = 1024, nn = N * N;
const g = new Float64Array(nn); let s = 1; for (let i = 0; i < nn; i++) { s = (s * 16807) % 2147483647; g[i] = s / 2147483647 - 0.5; } for (let i = 0; i < N; i++) g[i * N + i] += N;
async function setup(dir) {
  const { rt, setThreads } = await import(dir + "/wasm/module.js");
  const side = (r) => { const { kernels: k, arena } = r; const gen = arena.put(g), work = arena.alloc(nn);
    return () => { arena.f64().copyWithin(work >> 3, gen >> 3, (gen >> 3) + nn); if (k.potrf(N, work, N) !== 0) throw 0; }; };
  setThreads(1); const one = side(rt());
  setThreads(2); const r2 = rt(); const two = side(r2); await r2.pool.start();
  return { one, two };
}
const dirs = process.argv.slice(2).map((d) => new URL(d.endsWith("/") ? d : d + "/", `file://${process.cwd()}/`).href.replace(/\/$/, ""));
const sides = { old: await setup(dirs[0]), new: await setup(dirs[1]) };
const time = (f) => { const t0 = performance.now(); f(); return performance.now() - t0; };
const res = { old: { a: [], b: [], r: [] }, new: { a: [], b: [], r: [] } };
for (let i = 0; i < 3; i++) for (const k of ["old", "new"]) { sides[k].one(); sides[k].two(); }
for (let rep = 0; rep < 40; rep++) for (const k of rep % 2 ? ["old", "new"] : ["new", "old"]) {
  const a = time(sides[k].one), b = time(sides[k].two); res[k].a.push(a); res[k].b.push(b); res[k].r.push(a / b);
}
const med = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
for (const [k, v] of Object.entries(res)) console.log(k, "1T", med(v.a).toFixed(2), "ms (min", Math.min(...v.a).toFixed(2) + ") 2T", med(v.b).toFixed(2), "(min", Math.min(...v.b).toFixed(2) + ") median pair", med(v.r).toFixed(2), "min/min", (Math.min(...v.a) / Math.min(...v.b)).toFixed(2));
process.exit(0);
