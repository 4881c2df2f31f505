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

  it("works when bundled by esbuild, with the .wasm files copied next to the bundle", async () => {
    const root = join(consumer, "esbuild-app");
    mkdirSync(root);
    writeFileSync(join(root, "main.js"), BROWSER_MAIN);
    writeFileSync(join(root, "index.html"), PAGE(`<script type="module" src="./bundle.js"></script>`));
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(root, "main.js")], outfile: join(root, "bundle.js"),
      bundle: true, platform: "browser", format: "esm", logLevel: "silent",
    });
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
