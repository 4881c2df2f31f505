// The built package loads from a plain URL: a static server hands out dist/ as a CDN would,
// and a page with no import map and no bundler imports dist/index.js by URL in headless
// Chromium. The kernel binaries are found next to dist/wasm/kernel-files.js through
// `new URL("./….wasm", import.meta.url)`. Chromium validates relaxed SIMD, so the same page
// also runs the relaxed-SIMD build against the SIMD build (test/helpers/build-cases.mjs).
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, resolve, sep } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright";

const repo = resolve(import.meta.dirname, "../..");
const TYPES: Record<string, string> = {
  ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".map": "application/json",
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="out"></pre>
<script type="module">
  import * as mc from "/dist/index.js";
  import * as mod from "/dist/wasm/module.js";
  import { compareBuilds, compareKernels } from "/test/helpers/build-cases.mjs";
  const out = document.getElementById("out");
  try {
    await mc.init();
    const detected = mc.kernelBuild();
    const g = mc.grad((x) => x.dot(x))(mc.vector([1, 2, 3])).toArray();
    const mv = mc.matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray();
    const builds = [];
    for (const build of ["scalar", "simd", "relaxed-simd"]) {
      await mc.init({ build });
      builds.push([mc.kernelBuild(), mc.matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()]);
    }
    const cases = await compareBuilds(mc);
    const kernels = await compareKernels(mod);
    out.textContent = JSON.stringify({ detected, relaxed: mc.relaxedSimdSupported(), g, mv, builds, cases, kernels });
  } catch (e) { out.textContent = JSON.stringify({ error: String(e) }); }
</script></body></html>`;

let server: Server | undefined;
let url = "";
let browser: Browser | undefined;
const requests: string[] = [];

beforeAll(async () => {
  // Only the page, dist/ and the comparison helper are served: nothing else a package
  // resolution or an import map could have supplied.
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    if (path === "/page.html") {
      res.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
      return;
    }
    const file = resolve(repo, "." + path);
    const allowed = file.startsWith(resolve(repo, "dist") + sep) || path === "/test/helpers/build-cases.mjs";
    if (!allowed || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server!.listen(0, "127.0.0.1", ok));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/`;
  const { chromium } = await import("playwright");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)));
});

it("a page with no import map imports dist/index.js by URL, picks relaxed SIMD, and its results stay in bounds", async () => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url + "page.html");
    await page.waitForFunction(() => document.getElementById("out")?.textContent !== "", null, { timeout: 30_000 });
    const result = JSON.parse((await page.textContent("#out")) ?? "{}");
    expect(errors).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.g).toEqual([2, 4, 6]);
    expect(result.mv).toEqual([3, 7]);
    // Chromium ≥ 114 validates relaxed SIMD, so detection picks the fused build.
    expect(result.relaxed).toBe(true);
    expect(result.detected).toBe("relaxed-simd");
    expect(result.builds).toEqual([["scalar", [3, 7]], ["simd", [3, 7]], ["relaxed-simd", [3, 7]]]);
    for (const c of result.cases) {
      expect(c.finite, c.name).toBe(true);
      expect(c.repeats, c.name).toBe(true);
      expect(c.worstRatio, c.name).toBeLessThanOrEqual(1);
      expect(c.differ, c.name).toBeGreaterThan(0);
    }
    expect(result.cases).toHaveLength(6);
    expect(result.kernels.repeats).toBe(true);
    expect(result.kernels.unfusedSame).toBe(true);
    for (const name of ["dot", "axpy", "trsm"]) {
      expect(result.kernels[name].worstRatio, name).toBeLessThanOrEqual(1);
      expect(result.kernels[name].differ, name).toBeGreaterThan(0);
    }
    // Each binary was fetched from dist/wasm/, beside the module that located it.
    for (const f of ["kernels.relaxed.wasm", "kernels.simd.wasm", "kernels.scalar.wasm"]) {
      expect(requests).toContain(`/dist/wasm/${f}`);
    }
  } finally {
    await page.close();
  }
});
