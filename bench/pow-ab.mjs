// pow as whole op calls beside exp and mul, two dist builds side by side (issue 19: pow within
// 2× of exp, integer exponents at the cost of a few multiplies): µs per call on 10⁵ entries
// (x in [0.5, 4)), process CPU time, best of 15 batches; each build in its own process,
// alternating ROUNDS times.
//
//   node bench/pow-ab.mjs <before-dist> <after-dist> [rounds]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { alternate, bestOf } from "./timing.mjs";

if (process.argv[2] === "--child") {
  const mc = await import(pathToFileURL(resolve(process.argv[3], "index.js")).href);
  await mc.init({ threads: 1 });
  const n = 1e5;
  const x = mc.randn([n], { seed: 8 }).abs().add(0.5), y = mc.randn([n], { seed: 11 });
  const cells = {
    "exp(x)": () => x.exp(), "x.mul(x)": () => x.mul(x), "x.pow(2)": () => x.pow(2), "x.pow(3)": () => x.pow(3),
    "x.pow(4)": () => x.pow(4), "x.pow(-2)": () => x.pow(-2), "x.pow(-3)": () => x.pow(-3),
    "x.pow(2.5)": () => x.pow(2.5), "x.pow(y)": () => x.pow(y),
  };
  for (const f of Object.values(cells)) for (let i = 0; i < 20; i++) f();
  const out = {};
  for (const [k, f] of Object.entries(cells)) out[k] = +(bestOf(f, 20, 15) * 1000).toFixed(1);
  console.log(JSON.stringify(out));
} else {
  const [before, after, rounds] = process.argv.slice(2);
  const runs = alternate(new URL(import.meta.url).pathname, before, after, Number(rounds ?? 3),
    "usage: node bench/pow-ab.mjs <before-dist> <after-dist> [rounds]");
  for (const [side, rs] of Object.entries(runs)) {
    console.log(side);
    for (const k of Object.keys(rs[0])) {
      const v = rs.map((r) => r[k]), e = rs.map((r) => r["exp(x)"]);
      console.log(`  ${k.padEnd(12)} µs ${v.join(" / ")}   / exp ${v.map((t, i) => (t / e[i]).toFixed(2)).join(" / ")}`);
    }
  }
}
