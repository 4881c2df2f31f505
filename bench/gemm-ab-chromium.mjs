// The gemm kernel alone in Chromium, two or more builds side by side (session 29): the
// counterpart of bench/gemm-ab.mjs for the browser's V8, which compiles the same binary
// differently from Node 20's. Writes a page holding each dist's binary (base64) and runs it in
// Debian's headless `chromium` (`--dump-dom`): every build on its own memory with the same
// operands, the builds taking turns batch by batch (25 batches of ≥ 5 ms); prints per shape
// whether the outputs agree bit for bit and each build's fastest batch in µs per call.
//
//   node bench/gemm-ab-chromium.mjs <distA> <distB> … [--build simd|relaxed|scalar] [--shapes NN10000x3x100,…]
//
// A shape is op(A) and op(B) (N or T) then m×n×k of C = op(A)·op(B), as in bench/gemm-ab.mjs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args.splice(i, 2)[1];
};
const build = opt("build", "simd");
const shapes = opt("shapes", "NN10000x3x100,TN100x3x10000,NN1000x8x1000,NN256x8x256,NN256x256x256").split(",");
const dists = args;
if (dists.length === 0) {
  console.error("usage: node bench/gemm-ab-chromium.mjs <distA> <distB> … [--build simd] [--shapes …]");
  process.exit(2);
}
const binaries = dists.map((d) => [d, readFileSync(resolve(d, `wasm/kernels.${build}.wasm`)).toString("base64")]);

// The page's script: no imports, so it runs from a file: URL.
function run(binaries, shapes) {
  const noop = () => { throw new Error("kernel hook called"); };
  const inst = binaries.map(([dist, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const env = { gemmHook: noop, luStepHook: noop, cholStepHook: noop, abort: noop };
    return { dist, K: new WebAssembly.Instance(new WebAssembly.Module(bytes), { env }).exports };
  });
  const rows = [];
  for (const shape of shapes) {
    const tA = shape[0] === "T" ? 1 : 0, tB = shape[1] === "T" ? 1 : 0;
    const [m, n, k] = shape.slice(2).split("x").map(Number);
    const calls = inst.map(({ K }) => {
      const mem = K.memory, base = mem.buffer.byteLength;
      mem.grow(Math.ceil((m * k + k * n + m * n) * 8 / 65536) + 1);
      const pa = base, pb = pa + m * k * 8, pc = pb + k * n * 8;
      const f = new Float64Array(mem.buffer);
      for (let i = 0; i < m * k; i++) f[pa / 8 + i] = Math.sin(i);
      for (let i = 0; i < k * n; i++) f[pb / 8 + i] = Math.cos(i);
      const fn = () => K.gemm(tA, tB, m, n, k, 1, pa, tA ? k : m, pb, tB ? n : k, 0, pc, m);
      fn();
      return { fn, out: () => new Float64Array(mem.buffer, pc, m * n).slice() };
    });
    const first = calls[0].out();
    const same = calls.every((c) => c.out().every((v, i) => Object.is(v, first[i])));
    const best = calls.map(() => Infinity);
    for (let b = 0; b < 25; b++) {
      calls.forEach((c, i) => {
        const t0 = performance.now();
        let reps = 0;
        do { c.fn(); reps++; } while (performance.now() - t0 < 5);
        best[i] = Math.min(best[i], ((performance.now() - t0) / reps) * 1000);
      });
    }
    rows.push({ shape, same, us: Object.fromEntries(inst.map(({ dist }, i) => [dist, +best[i].toFixed(1)])) });
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), "matcalc-gemm-ab-"));
const page = join(dir, "page.html");
writeFileSync(page, `<!doctype html><pre id="out"></pre><script>
${run.toString()}
document.getElementById("out").textContent = JSON.stringify(run(${JSON.stringify(binaries)}, ${JSON.stringify(shapes)}));
</script>`);
const dom = execFileSync("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${page}`],
  { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] });
const json = dom.match(/<pre id="out">([^<]*)<\/pre>/)?.[1];
if (!json) throw new Error("gemm-ab-chromium: the page printed nothing (is Debian's chromium installed?)");
for (const row of JSON.parse(json.replaceAll("&quot;", '"'))) console.log(JSON.stringify(row));
