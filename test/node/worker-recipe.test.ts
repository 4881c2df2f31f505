// The README's worker recipe, run as written in a Node worker thread whose globals behave as a
// browser worker's: `onmessage`/`postMessage` on the global, and a message that arrives while
// no handler is set is dropped (as a dedicated worker's message event with no listener is).
// Messages are posted at once, while the kernels are still loading: every one must be answered,
// in order. The recipe it replaced (`await init()` first) is run the same way and loses them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const dist = pathToFileURL(join(repo, "dist/index.js")).href;
const dir = mkdtempSync(join(tmpdir(), "matcalc-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Browser-worker globals over worker_threads' parentPort.
const SHIM = `
import { parentPort } from "node:worker_threads";
let handler = null;
Object.defineProperty(globalThis, "onmessage", { get: () => handler, set: (f) => { handler = f; }, configurable: true });
globalThis.postMessage = (data) => parentPort.postMessage(data);
parentPort.on("message", (data) => { if (handler) handler({ data }); });
`;

/** The ```ts block under "In a worker, numerics never block the page" in the README. */
function readmeRecipe(): string {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const at = readme.indexOf("In a worker, numerics never block the page");
  expect(at).toBeGreaterThan(0);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(m).not.toBeNull();
  return m![1]!;
}

let n = 0;
/** Runs `code` (a module importing "matcalc") in a worker, posts `inputs` at once, collects replies. */
async function run(code: string, inputs: number[][], waitMs: number): Promise<unknown[]> {
  const shim = join(dir, `shim-${n}.mjs`);
  const file = join(dir, `worker-${n++}.mjs`);
  writeFileSync(shim, SHIM);
  writeFileSync(file, `import ${JSON.stringify(pathToFileURL(shim).href)};\n${code.replaceAll('"matcalc"', JSON.stringify(dist))}`);
  const w = new Worker(new URL(pathToFileURL(file).href));
  const replies: unknown[] = [];
  try {
    const done = new Promise<void>((ok, fail) => {
      w.on("message", (m) => {
        replies.push(m);
        if (replies.length === inputs.length) ok();
      });
      w.on("error", fail);
      setTimeout(ok, waitMs);
    });
    for (const x of inputs) w.postMessage(x);
    await done;
  } finally {
    await w.terminate();
  }
  return replies;
}

/** Hessian of Σ xᵢ⁴: diag(12 xᵢ²). */
const hess = (x: number[]) => x.map((xi, i) => x.map((_, j) => (i === j ? 12 * xi * xi : 0)));

describe("the README's worker recipe", () => {
  it("answers every message posted before init() resolves, in order", async () => {
    const inputs = [[1, 2], [3], [0.5, -1, 2]];
    const replies = await run(readmeRecipe(), inputs, 20_000);
    expect(replies).toEqual(inputs.map((x) => ({ result: hess(x) })));
  });

  it("posts an error back for bad input instead of hanging", async () => {
    const replies = await run(readmeRecipe(), [["a"] as unknown as number[]], 20_000);
    expect(replies).toHaveLength(1);
    expect((replies[0] as { error: string }).error).toMatch(/^DTypeError: (vector|tensor): entry 0 is string/);
  });

  it("the recipe it replaces (await init() first) drops them", async () => {
    const old = `import { init, hessian, vector } from "matcalc";
await init();
onmessage = (e) => postMessage(hessian((x) => x.pow(4).sum())(vector(e.data)).toArray());
`;
    const replies = await run(old, [[1, 2]], 3000);
    expect(replies).toEqual([]);
  });
});
