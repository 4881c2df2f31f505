// Packs matcalc with `npm pack`, installs the tarball into a throwaway consumer and checks
// that every documented way of loading it (Node ESM/CJS, plain page, Vite, esbuild, worker)
// really computes. The fixtures are written here so the test owns its whole consumer tree.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

// Every consumer computes the same two things so one checker covers them all.
const COMPUTE = `
  const g = grad((x) => x.dot(x))(vector([1, 2, 3])).toArray();
  const mv = matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray();
`;
function check(result: { g: number[]; mv: number[]; xmin?: number[] }): void {
  expect(result.g).toEqual([2, 4, 6]);
  expect(result.mv).toEqual([3, 7]);
  if (result.xmin) {
    expect(result.xmin[0]).toBeCloseTo(1, 6);
    expect(result.xmin[1]).toBeCloseTo(2, 6);
  }
}
const BROWSER_MAIN = `
  import { init, grad, vector, matrix } from "matcalc";
  const out = document.getElementById("out");
  try {
    await init();
    ${COMPUTE}
    out.textContent = JSON.stringify({ g, mv });
  } catch (e) { out.textContent = JSON.stringify({ error: String(e) }); }
`;
const PAGE = (script: string) =>
  `<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="out"></pre>${script}</body></html>`;

const TYPES: Record<string, string> = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".map": "application/json",
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(root, "." + (path.endsWith("/") ? path + "index.html" : path));
    if (!file.startsWith(root + sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/` });
    }),
  );
}

let tmp = "";
let consumer = "";
let tarball = "";
let browser: Browser | undefined;
const servers: Server[] = [];

async function pageResult(root: string, path = "index.html"): Promise<{ g: number[]; mv: number[]; error?: string }> {
  const { server, url } = await serve(root);
  servers.push(server);
  const page = await browser!.newPage();
  try {
    await page.goto(url + path);
    await page.waitForFunction(() => document.getElementById("out")?.textContent !== "", null, { timeout: 15_000 });
    const parsed = JSON.parse((await page.textContent("#out")) ?? "{}");
    expect(parsed.error).toBeUndefined();
    return parsed;
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "matcalc-pack-"));
  const packed = await run(npm, ["pack", "--json", "--pack-destination", tmp], { cwd: repo });
  tarball = join(tmp, JSON.parse(packed.stdout)[0].filename);
  consumer = join(tmp, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  await run(npm, ["install", tarball, "--no-audit", "--no-fund", "--offline", "--no-package-lock"], { cwd: consumer });
  const { chromium } = await import("playwright");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("packed tarball", () => {
  it("ships dist and package.json, and no sources or tests", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    for (const f of [
      "package.json", "dist/index.js", "dist/index.d.ts", "dist/optim/index.js",
      "dist/wasm/kernels.relaxed.wasm", "dist/wasm/kernels.simd.wasm", "dist/wasm/kernels.scalar.wasm",
      "dist/wasm/kernel-files.js",
    ]) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
  });

  it("works from a Node ESM consumer, without init()", async () => {
    writeFileSync(join(consumer, "esm.mjs"), `
      import { grad, vector, matrix } from "matcalc";
      import { minimize } from "matcalc/optim";
      ${COMPUTE}
      const xmin = minimize((x) => x.sub(vector([1, 2])).square().sum(), vector([0, 0])).x.toArray();
      console.log(JSON.stringify({ g, mv, xmin }));
    `);
    const { stdout } = await run(process.execPath, ["esm.mjs"], { cwd: consumer });
    check(JSON.parse(stdout));
  });

  it("works through require() from a CommonJS consumer", async () => {
    writeFileSync(join(consumer, "cjs.cjs"), `
      const { grad, vector, matrix } = require("matcalc");
      const { minimize } = require("matcalc/optim");
      ${COMPUTE}
      const xmin = minimize((x) => x.sub(vector([1, 2])).square().sum(), vector([0, 0])).x.toArray();
      console.log(JSON.stringify({ g, mv, xmin }));
    `);
    // Silence the ExperimentalWarning some 20.x releases still print for require(esm).
    const { stdout } = await run(process.execPath, ["--no-warnings", "cjs.cjs"], { cwd: consumer });
    check(JSON.parse(stdout));
  });

  it("works in a plain page with an import map for the bare name only", async () => {
    const map = { imports: { matcalc: "./node_modules/matcalc/dist/index.js" } };
    writeFileSync(join(consumer, "plain.html"), PAGE(
      `<script type="importmap">${JSON.stringify(map)}</script><script type="module">${BROWSER_MAIN}</script>`,
    ));
    check(await pageResult(consumer, "plain.html"));
  });

  it("works in a plain page importing dist/index.js by URL, with no import map", async () => {
    const main = BROWSER_MAIN.replace('from "matcalc"', 'from "./node_modules/matcalc/dist/index.js"');
    writeFileSync(join(consumer, "by-url.html"), PAGE(`<script type="module">${main}</script>`));
    check(await pageResult(consumer, "by-url.html"));
  });

  it("works when bundled by Vite", async () => {
    const root = join(consumer, "vite-app");
    mkdirSync(root);
    writeFileSync(join(root, "main.js"), BROWSER_MAIN);
    writeFileSync(join(root, "index.html"), PAGE(`<script type="module" src="./main.js"></script>`));
    const { build } = await import("vite");
    await build({ root, logLevel: "silent", configFile: false, build: { outDir: join(root, "out"), emptyOutDir: true } });
    // Fails if Vite did not see the `new URL(..., import.meta.url)` assets.
    expect(readdirSync(join(root, "out", "assets")).filter((f) => f.endsWith(".wasm"))).toHaveLength(3);
    check(await pageResult(join(root, "out")));
  });

  /** A page whose script is BROWSER_MAIN bundled by esbuild with no configuration. */
  async function esbuildApp(name: string): Promise<string> {
    const root = join(consumer, name);
    mkdirSync(root);
    writeFileSync(join(root, "main.js"), BROWSER_MAIN);
    writeFileSync(join(root, "index.html"), PAGE(`<script type="module" src="./bundle.js"></script>`));
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(root, "main.js")], outfile: join(root, "bundle.js"),
      bundle: true, platform: "browser", format: "esm", logLevel: "silent",
    });
    return root;
  }

  it("works when bundled by esbuild with zero configuration (the SIMD binary embedded in JS)", async () => {
    const root = await esbuildApp("esbuild-app");
    // No .wasm file next to the bundle: the kernels come from the embedded module.
    expect(readdirSync(root).filter((f) => f.endsWith(".wasm"))).toEqual([]);
    check(await pageResult(root));
  });

  it("works when bundled by esbuild with the .wasm files copied next to the bundle", async () => {
    const root = await esbuildApp("esbuild-copied-app");
    for (const f of ["kernels.relaxed.wasm", "kernels.simd.wasm", "kernels.scalar.wasm"]) {
      cpSync(join(consumer, "node_modules/matcalc/dist/wasm", f), join(root, f));
    }
    check(await pageResult(root));
  });

  it("works inside a module Web Worker", async () => {
    const root = join(consumer, "worker-app");
    mkdirSync(root);
    writeFileSync(join(root, "worker.js"), `
      import { init, grad, vector, matrix } from "matcalc";
      try {
        await init();
        ${COMPUTE}
        postMessage({ g, mv });
      } catch (e) { postMessage({ error: String(e) }); }
    `);
    writeFileSync(join(root, "index.html"), PAGE(`<script type="module">
      const w = new Worker(new URL("./worker.bundle.js", import.meta.url), { type: "module" });
      w.onmessage = (e) => { document.getElementById("out").textContent = JSON.stringify(e.data); };
      w.onerror = (e) => { document.getElementById("out").textContent = JSON.stringify({ error: e.message || "worker error" }); };
    </script>`));
    // Import maps do not reach into workers, so the worker is bundled (bare specifiers resolved).
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(root, "worker.js")], outfile: join(root, "worker.bundle.js"),
      bundle: true, platform: "browser", format: "esm", logLevel: "silent",
    });
    for (const f of ["kernels.relaxed.wasm", "kernels.simd.wasm", "kernels.scalar.wasm"]) {
      cpSync(join(consumer, "node_modules/matcalc/dist/wasm", f), join(root, f));
    }
    check(await pageResult(root));
  });
});

describe("packed tarball: types, license, source maps", () => {
  it("ships the MIT LICENSE that package.json names", async () => {
    const { stdout } = await run("tar", ["-xzOf", tarball, "package/LICENSE"]);
    expect(stdout).toMatch(/^MIT License\n/);
    expect(JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).license).toBe("MIT");
  });

  it("its source maps resolve: every .js.map carries its sources, no .d.ts.map points at unshipped src/", async () => {
    const root = join(tmp, "unpacked");
    mkdirSync(root, { recursive: true });
    await run("tar", ["-xzf", tarball, "-C", root]);
    const pkg = join(root, "package");
    const { stdout } = await run("tar", ["-tzf", tarball]);
    const files = stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    expect(files.filter((f) => f.endsWith(".d.ts.map"))).toEqual([]);
    const js = files.filter((f) => f.endsWith(".js"));
    expect(js.length).toBeGreaterThan(10);
    for (const f of js) {
      const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(pkg, f), "utf8"));
      if (!ref) continue;
      const mapFile = join(pkg, f, "..", ref[1]!);
      expect(existsSync(mapFile), `${f} names a map that is shipped`).toBe(true);
      const map = JSON.parse(readFileSync(mapFile, "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      expect(map.sourcesContent?.length, `${f}: sourcesContent for every source`).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === "string" && s.length > 0), `${f}: sources inlined`).toBe(true);
    }
  });

  it("prints tensors row by row through console.log, and round-trips JSON, from the installed package", async () => {
    writeFileSync(join(consumer, "print.mjs"), `
      import { matrix, Tensor } from "matcalc";
      console.log(matrix([[1, 2], [3, 4]]));
      const t = Tensor.fromJSON(JSON.stringify(matrix([[-0, NaN], [Infinity, 0.1]])));
      console.log(Object.is(t.get(0, 0), -0), Number.isNaN(t.get(0, 1)), t.get(1, 0), t.get(1, 1));
    `);
    const { stdout } = await run(process.execPath, ["print.mjs"], { cwd: consumer });
    expect(stdout).toBe("Tensor [2, 2]\n[[1, 2],\n [3, 4]]\ntrue true Infinity 0.1\n");
  });

  it("its declarations hide internal fields", () => {
    const dts = readFileSync(join(consumer, "node_modules/matcalc/dist/core/tensor.d.ts"), "utf8");
    expect(dts).toMatch(/declare class Tensor/);
    expect(dts).not.toMatch(/\b_(buf|ptr|epoch|resPtr|resGen|uses|alive|concrete)\b/);
  });

  // One consumer file type-checked under each module resolution, strict, with only ES2022 and
  // @types/node (no DOM lib), and once with the package's own .d.ts checked (skipLibCheck false). The
  // `@ts-expect-error` lines prove the types are really resolved (an `any` would accept them).
  const CONSUMER_TS = `
    import { grad, matrix, vector, Tensor, type TensorLike } from "matcalc";
    import { minimize } from "matcalc/optim";
    const f = (x: Tensor) => x.dot(x);
    const g: Tensor = grad(f)(vector([1, 2, 3]));
    const p = grad((q: { W: Tensor; b: Tensor }) => q.W.sum().add(q.b.sum()))({ W: [[1, 2]], b: [0] });
    const W: Tensor = p.W;
    // @ts-expect-error a gradient is not a string
    const s: string = grad(f)(vector([1]));
    // @ts-expect-error the arguments are f's
    grad(f)("nope", 1, 2);
    // @ts-expect-error internal fields are not declared
    matrix([[1]])._buf;
    const r = minimize((x: Tensor) => x.sub(vector([1, 2])).square().sum(), vector([0, 0]));
    const back: Tensor = Tensor.fromJSON(JSON.parse(JSON.stringify(r.x)));
    const like: TensorLike = [1, 2];
    export { g, W, s, back, like };
  `;
  for (const [resolution, module, file] of [
    ["node10", "commonjs", "main.ts"],
    ["node16", "node16", "main.mts"],
    ["bundler", "esnext", "main.ts"],
  ] as const) {
    it(`type-checks with tsc --strict, lib es2022 + @types/node, moduleResolution ${resolution}${resolution === "bundler" ? ", skipLibCheck false" : ""}`, async () => {
      const dir = join(consumer, `types-${resolution}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, file), CONSUMER_TS);
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: "es2022", lib: ["es2022"], types: ["node"],
          typeRoots: [join(repo, "node_modules/@types")],
          // The package's .d.ts are the same files under every resolution: checked once (with
          // all of @types/node, the slow part), the other two check resolution and use.
          skipLibCheck: resolution !== "bundler",
          module, moduleResolution: resolution,
          // node10 is deprecated in TypeScript 6 (still supported); consumers on it must say so.
          ignoreDeprecations: "6.0",
        },
        files: [file],
      }));
      const tsc = join(repo, "node_modules/typescript/bin/tsc");
      const out = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir }).then(
        () => "",
        (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
      );
      expect(out).toBe("");
    });
  }
});
