// Drives the interactive demo (demo/index.html, served by demo/serve.mjs from the built dist/)
// in headless Chromium: the point is dragged, A edited, the optimizer race run and the identity
// explorer's layout switched, and every number the page shows is checked against values the
// test computes itself from what the page displays. Screenshots go to test-results/demo/.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright";
// Plain ESM without declarations; the demo's own server, exactly as `npm run demo` starts it.
// @ts-ignore
import { startServer } from "../../demo/serve.mjs";

const repo = resolve(import.meta.dirname, "../..");
const shots = resolve(repo, "test-results/demo");

type Server = { url: string; port: number; close: () => Promise<void> };
let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = []; // console errors, page errors, failed requests
const requested: string[] = [];

const json = async <T>(selector: string, attr: string): Promise<T> => {
  const v = await page.getAttribute(selector, attr);
  if (v === null) throw new Error(`${selector} has no ${attr}`);
  return JSON.parse(v) as T;
};
const num = async (selector: string, attr = "data-value"): Promise<number> => Number(await page.getAttribute(selector, attr));

/** The matrix A as the page shows it in its four inputs (rows). */
async function displayedA(): Promise<number[][]> {
  const v = await Promise.all(["#a11", "#a12", "#a21", "#a22"].map((s) => page.inputValue(s)));
  return [[Number(v[0]), Number(v[1])], [Number(v[2]), Number(v[3])]];
}

/** Checks the field readouts: autodiff ∇f = (A + Aᵀ)x, Hessian = A + Aᵀ, its eigenvalues. */
async function checkGradient(): Promise<{ x: number[]; A: number[][] }> {
  const A = await displayedA();
  expect(await json<number[][]>("#field", "data-a")).toEqual(A); // the page used the displayed A
  const x = await json<number[]>("#field-x", "data-values");
  const g = await json<number[]>("#field-grad-ad", "data-values");
  const S = [[2 * A[0][0], A[0][1] + A[1][0]], [A[0][1] + A[1][0], 2 * A[1][1]]];
  const expected = [S[0][0] * x[0] + S[0][1] * x[1], S[1][0] * x[0] + S[1][1] * x[1]];
  expect(g).toHaveLength(2);
  for (let i = 0; i < 2; i++) expect(Math.abs(g[i] - expected[i])).toBeLessThan(1e-9);
  // What is on screen is those numbers, rounded.
  const shown = (await page.$$eval("#field-grad-ad .vec > span", (els) => els.map((e) => e.textContent ?? "")))
    .map((t) => Number(t.replace("−", "-")));
  expect(shown).toHaveLength(2);
  for (let i = 0; i < 2; i++) expect(Math.abs(shown[i] - expected[i])).toBeLessThan(1e-5);
  expect(await num("#field-grad-diff")).toBeLessThan(1e-12);
  const f = await num("#field-f");
  expect(Math.abs(f - (A[0][0] * x[0] ** 2 + (A[0][1] + A[1][0]) * x[0] * x[1] + A[1][1] * x[1] ** 2))).toBeLessThan(1e-9);
  const H = await json<number[][]>("#field-hess", "data-values");
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(H[i][j] - S[i][j])).toBeLessThan(1e-9);
  // Eigenvalues of the symmetric 2×2 S, ascending, in closed form.
  const m = (S[0][0] + S[1][1]) / 2, r = Math.hypot((S[0][0] - S[1][1]) / 2, S[0][1]);
  const lam = await json<number[]>("#field-eig", "data-values");
  expect(Math.abs(lam[0] - (m - r))).toBeLessThan(1e-9);
  expect(Math.abs(lam[1] - (m + r))).toBeLessThan(1e-9);
  return { x, A };
}

/** Page pixel of a world point on a plot canvas (its data-view is the world rectangle). */
async function pixel(canvas: string, [wx, wy]: number[]): Promise<[number, number]> {
  const view = await json<{ x: number[]; y: number[] }>(canvas, "data-view");
  const box = (await page.locator(canvas).boundingBox())!;
  return [
    box.x + ((wx - view.x[0]) / (view.x[1] - view.x[0])) * box.width,
    box.y + ((view.y[1] - wy) / (view.y[1] - view.y[0])) * box.height,
  ];
}

async function drag(from: number[], to: number[]): Promise<void> {
  const a = await pixel("#field-canvas", from);
  const b = await pixel("#field-canvas", to);
  await page.mouse.move(a[0], a[1]);
  await page.mouse.down();
  await page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, { steps: 4 });
  await page.mouse.move(b[0], b[1], { steps: 4 });
  await page.mouse.up();
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  server = (await startServer(0)) as Server;
  const { chromium } = await import("playwright");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  // The pool's Web Workers load from Blob URLs (made in the page, not fetched from the server).
  page.on("request", (r) => { const u = new URL(r.url()); requested.push(u.protocol === "blob:" ? "blob:" : u.pathname); });
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById("status")?.dataset.state !== "loading", null, { timeout: 15_000 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("demo page", () => {
  it("loads the kernels from dist/ through the import map, with no errors", async () => {
    expect(await page.getAttribute("#status", "data-state"), (await page.textContent("#status")) ?? "").toBe("ready");
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.textContent("#status")).toMatch(/Kernels loaded/);
    // Only the page itself and the built package were fetched; a wasm binary among them.
    for (const p of requested) expect(p, p).toMatch(/^(\/(demo\/|dist\/)|blob:$)/);
    // Chromium validates relaxed SIMD: the page loads that build, and says so.
    expect(requested).toContain("/dist/wasm/kernels.relaxed.wasm");
    expect(await page.getAttribute("#status", "data-build")).toBe("relaxed-simd");
    expect(await page.textContent("#status")).toMatch(/relaxed-SIMD build/);
    expect(requested).toContain("/dist/optim/index.js");
    expect(problems).toEqual([]);
    await page.screenshot({ path: resolve(shots, "page-loaded.png") });
  });

  it("is cross-origin isolated and says how many threads run: every core (at most 16)", async () => {
    const { isolated, cores } = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
    expect(isolated).toBe(true);
    const threads = Math.min(cores, 16);
    expect(await page.getAttribute("#status", "data-isolated")).toBe("true");
    expect(await page.getAttribute("#status", "data-threads")).toBe(String(threads));
    expect(await page.textContent("#status")).toMatch(new RegExp(`· ${threads} threads?$`));
    expect(await page.textContent("#simd")).toMatch(new RegExp(`; ${threads} threads? \\(the page is cross-origin isolated`));
    // Its workers' scripts came from Blob URLs (one per worker: threads − 1).
    expect(requested.filter((p) => p === "blob:")).toHaveLength(threads - 1);
    // The page's library really runs that many: a product of 512 × 512 splits across workers.
    // (A string: the test's transform must not rewrite the page's dynamic import.)
    const ran = await page.evaluate(`import("matcalc").then(async (mc) => {
      const a = mc.randn([512, 512], { seed: 1 });
      const one = a.matmul(a).data.slice();
      await new Promise((ok) => setTimeout(ok, 200));
      const again = a.matmul(a).data;
      return { count: mc.threadCount(), same: one.every((v, i) => Object.is(v, again[i])) };
    })`) as { count: number; same: boolean };
    expect(ran).toEqual({ count: threads, same: true });
  });

  it("served without COOP/COEP: one thread, no error", async () => {
    const plain = (await startServer(0, { isolated: false })) as Server;
    const other = await browser!.newPage();
    const seen: string[] = [];
    other.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") seen.push(`console.${m.type()}: ${m.text()}`); });
    other.on("pageerror", (e) => seen.push(`pageerror: ${e.message}`));
    try {
      await other.goto(plain.url);
      await other.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
      expect(await other.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await other.getAttribute("#status", "data-state")).toBe("ready");
      expect(await other.getAttribute("#status", "data-isolated")).toBe("false");
      expect(await other.getAttribute("#status", "data-threads")).toBe("1");
      expect(await other.textContent("#status")).toMatch(/· 1 thread$/);
      expect(await other.textContent("#simd")).toMatch(/; 1 thread \(the page is not cross-origin isolated/);
      expect(seen).toEqual([]);
    } finally {
      await other.close();
      await plain.close();
    }
    expect(() => startServer(0, { isolate: false })).toThrow(/^startServer: unknown option "isolate" \(known: "isolated"\)$/);
  });

  it("serves only demo/ and dist/ (also against encoded ../)", async () => {
    const origin = new URL(server!.url).origin;
    const status = async (path: string) => (await fetch(origin + path)).status;
    expect(await status("/demo/")).toBe(200);
    expect(await status("/dist/index.js")).toBe(200);
    for (const p of ["/package.json", "/src/index.ts", "/dist/..%2Fsrc/index.ts", "/demo/..%2F..%2Fetc/passwd"]) {
      expect(await status(p), p).toBe(404);
    }
  });

  it("drags the point: x moves and the autodiff gradient is (A + Aᵀ)x", async () => {
    const before = await checkGradient();
    const target = [-1.1, 0.75];
    await drag(before.x, target);
    const after = await checkGradient();
    expect(after.x).not.toEqual(before.x);
    // The point follows the pointer (to within a couple of pixels).
    expect(Math.abs(after.x[0] - target[0])).toBeLessThan(0.03);
    expect(Math.abs(after.x[1] - target[1])).toBeLessThan(0.03);
    // A second drag from where the point now is.
    await drag(after.x, [1.3, -0.9]);
    const again = await checkGradient();
    expect(Math.abs(again.x[0] - 1.3)).toBeLessThan(0.03);
    expect(Math.abs(again.x[1] + 0.9)).toBeLessThan(0.03);
    await page.locator("#field").screenshot({ path: resolve(shots, "field-dragged.png") });
  });

  it("edits A: the gradient follows the new matrix, also a non-symmetric one", async () => {
    const updates = await num("#field", "data-updates");
    await page.fill("#a11", "-0.7");
    await page.fill("#a21", "1.9");
    await page.waitForFunction((n) => Number(document.getElementById("field")!.dataset.updates) > n, updates);
    const { A } = await checkGradient();
    expect(A).toEqual([[-0.7, 1.2], [1.9, 0.8]]);
    // Drag once more under the edited A.
    await drag((await checkGradient()).x, [0.6, 1.2]);
    await checkGradient();
    // The saddle preset: eigenvalues of opposite signs, drawn with a dashed bar.
    await page.click("#field-presets button:text('saddle')");
    const saddle = await checkGradient();
    expect(saddle.A).toEqual([[1, 0.5], [0.5, -1]]);
    const lam = await json<number[]>("#field-eig", "data-values");
    expect(lam[0]).toBeLessThan(0);
    expect(lam[1]).toBeGreaterThan(0);
    expect(await page.textContent("#field-note")).toMatch(/saddle/);
    await page.locator("#field").screenshot({ path: resolve(shots, "field-saddle.png") });
  });

  it("runs the optimizer race: every method reaches Rosenbrock's minimum (1, 1)", async () => {
    expect(await page.getAttribute("#race", "data-problem")).toBe("rosenbrock");
    await page.click("#race-run");
    await page.waitForSelector("#race[data-state=done]", { timeout: 20_000 });
    const methods = ["gd", "bfgs", "lbfgs", "newton", "trust-ncg"];
    for (const m of methods) {
      const row = `#race-table tr[data-method="${m}"]`;
      expect(await page.getAttribute(row, "data-error"), m).toBeNull();
      const x = await json<number[]>(row, "data-x");
      expect(Math.abs(x[0] - 1), m).toBeLessThan(1e-3);
      expect(Math.abs(x[1] - 1), m).toBeLessThan(1e-3);
      expect(await num(row, "data-value"), m).toBeLessThan(1e-8);
      expect(await page.getAttribute(row, "data-converged"), m).toBe("true");
      // Counts are shown, and are the numbers minimize reported.
      const iterations = await num(row, "data-iterations");
      const fEvals = await num(row, "data-f-evals");
      expect(iterations, m).toBeGreaterThan(0);
      expect(fEvals, m).toBeGreaterThanOrEqual(iterations);
      expect(Number(await page.textContent(`${row} td[data-field=iterations]`))).toBe(iterations);
      expect(Number(await page.textContent(`${row} td[data-field=f]`))).toBe(fEvals);
      expect(Number(await page.textContent(`${row} td[data-field=grad]`))).toBe(await num(row, "data-grad-evals"));
      expect(await page.textContent(`${row} td[data-field=x]`)).toBe("(1.0000, 1.0000)");
    }
    // Which derivatives each method used.
    expect(await num('#race-table tr[data-method="newton"]', "data-hessian-evals")).toBeGreaterThan(0);
    expect(await num('#race-table tr[data-method="trust-ncg"]', "data-hvp-evals")).toBeGreaterThan(0);
    for (const m of ["gd", "bfgs", "lbfgs"]) {
      expect(await num(`#race-table tr[data-method="${m}"]`, "data-hvp-evals")).toBe(0);
      expect(await num(`#race-table tr[data-method="${m}"]`, "data-hessian-evals")).toBe(0);
    }
    // Second-order methods take fewer iterations than gradient descent.
    expect(await num('#race-table tr[data-method="newton"]', "data-iterations"))
      .toBeLessThan(await num('#race-table tr[data-method="gd"]', "data-iterations"));
    await page.waitForSelector("#race[data-anim=done]", { timeout: 10_000 });
    await page.locator("#race").screenshot({ path: resolve(shots, "race-rosenbrock.png") });
  });

  it("runs the race on Himmelblau: every method ends at one of its four minima", async () => {
    await page.selectOption("#race-problem", "himmelblau");
    await page.waitForSelector("#race[data-problem=himmelblau][data-state=done]", { timeout: 20_000 });
    const minima = [[3, 2], [-2.805118, 3.131312], [-3.77931, -3.283186], [3.584428, -1.848126]];
    for (const m of ["gd", "bfgs", "lbfgs", "newton", "trust-ncg"]) {
      const x = await json<number[]>(`#race-table tr[data-method="${m}"]`, "data-x");
      const d = Math.min(...minima.map(([a, b]) => Math.hypot(x[0] - a, x[1] - b)));
      expect(d, `${m} ended at ${x}`).toBeLessThan(1e-4);
    }
    await page.waitForSelector("#race[data-anim=done]", { timeout: 10_000 });
    await page.locator("#race").screenshot({ path: resolve(shots, "race-himmelblau.png") });
  });

  it("identity explorer: autodiff matches the closed forms; the layout switch transposes Jacobians", async () => {
    const key = (id: string, n: number, layout: string) => `${id}|${n}|1|${layout}`;
    const settle = (k: string) => page.waitForSelector(`#explorer[data-key="${k}"]`, { timeout: 10_000 });
    const setN = async (n: number) => {
      await page.fill("#explorer-n", String(n));
      await page.dispatchEvent("#explorer-n", "change");
    };
    const setLayout = (l: string) => page.click(`#explorer .switch input[value=${l}] + span`);
    const matrixOf = (role: string) => json<number[][]>(`#explorer-results .preview[data-role=${role}]`, "data-matrix");
    const check = async (what: string) => {
      const err = await num("#explorer-error");
      expect(err, what).toBeLessThan(1e-8);
      // The test's own comparison of the two displayed matrices agrees.
      const ad = await matrixOf("autodiff"), cf = await matrixOf("closed");
      expect([ad.length, ad[0].length], what).toEqual([cf.length, cf[0].length]);
      let worst = 0;
      ad.forEach((r, i) => r.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - cf[i][j])); }));
      expect(worst, what).toBeLessThan(1e-8);
      expect(Math.abs(worst - err), what).toBeLessThanOrEqual(1e-15);
      expect(await num("#explorer-time"), what).toBeGreaterThan(0);
      expect(await page.textContent("#explorer-time"), what).toMatch(/\d (ms|µs)$/);
      return ad;
    };

    const n = 5;
    await setN(n);
    const shapes: Record<string, [number, number]> = {
      trace: [n, n], logdet: [n, n], frobenius: [n, n], quadratic: [n, 1], softmax: [n, n], linear: [n + 1, n],
    };
    for (const id of Object.keys(shapes)) {
      await page.selectOption("#explorer-expr", id);
      await settle(key(id, n, "numerator"));
      const num_ = await check(`${id}, numerator`);
      expect([num_.length, num_[0].length], id).toEqual(shapes[id]);
      if (id === "softmax" || id === "linear") {
        await setLayout("denominator");
        await settle(key(id, n, "denominator"));
        const den = await check(`${id}, denominator`);
        // Denominator layout is exactly the transpose of numerator layout.
        expect(den.length).toBe(num_[0].length);
        expect(den[0].length).toBe(num_.length);
        den.forEach((r, i) => r.forEach((v, j) => expect(v).toBe(num_[j][i])));
        if (id === "linear") {
          expect(await page.textContent("#explorer-layout-note")).toMatch(/denominator layout: 5 × 6/);
          await page.locator("#explorer").screenshot({ path: resolve(shots, "explorer-linear-denominator.png") });
        }
        await setLayout("numerator");
        await settle(key(id, n, "numerator"));
      }
    }
    // A larger size: the heat maps drop the numbers, the check still holds.
    await page.selectOption("#explorer-expr", "logdet");
    await setN(24);
    await settle(key("logdet", 24, "numerator"));
    await check("logdet, n = 24");
    await page.locator("#explorer").screenshot({ path: resolve(shots, "explorer-logdet-24.png") });
  });

  it("logged no console errors or page errors, and a full-page screenshot is saved", async () => {
    await page.screenshot({ path: resolve(shots, "page-full.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});
