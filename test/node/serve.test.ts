// The demo server (demo/serve.mjs): GET and HEAD only (405 otherwise), `nosniff` on every
// answer, and no way out of demo/ and dist/: not by `..`, not by encoded `..`, not by a symlink
// placed inside them.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-ignore plain ESM without declarations
import { startServer } from "../../demo/serve.mjs";

const repo = resolve(import.meta.dirname, "../..");
let server: { url: string; port: number; close: () => Promise<void> };
let base: string;
const links: string[] = [];
let outside: string;

beforeAll(async () => {
  server = await startServer(0);
  base = `http://127.0.0.1:${server.port}`;
  outside = mkdtempSync(join(tmpdir(), "matcalc-serve-"));
  writeFileSync(join(outside, "secret.txt"), "secret");
  const tag = `${process.pid}-${Date.now()}`;
  // A link to a file outside, a link to a directory outside, and a link within demo/.
  const add = (target: string, name: string): string => {
    const p = join(repo, "demo", `${name}-${tag}`);
    symlinkSync(target, p);
    links.push(p);
    return `/demo/${name}-${tag}`;
  };
  paths.fileOut = add(join(outside, "secret.txt"), "out-file.txt");
  paths.dirOut = add(outside, "out-dir") + "/secret.txt";
  paths.pkgOut = add(join(repo, "package.json"), "pkg.json");
  paths.inside = add(join(repo, "demo", "index.html"), "in.html");
});

const paths: Record<string, string> = {};

afterAll(async () => {
  for (const l of links) rmSync(l, { force: true });
  rmSync(outside, { recursive: true, force: true });
  await server?.close();
});

describe("demo/serve.mjs", () => {
  it("serves the demo page with nosniff", async () => {
    const r = await fetch(`${base}/demo/`);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("HEAD works; POST, PUT, DELETE, OPTIONS, PATCH are 405 with Allow and nosniff", async () => {
    const h = await fetch(`${base}/demo/`, { method: "HEAD" });
    expect(h.status).toBe(200);
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
      const r = await fetch(`${base}/demo/`, { method, ...(method === "POST" || method === "PUT" ? { body: "x" } : {}) });
      expect(r.status, method).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("symlinks out of demo/ and dist/ are 404, to a file, a directory or the repo root", async () => {
    for (const p of [paths.fileOut!, paths.dirOut!, paths.pkgOut!]) {
      const r = await fetch(`${base}${p}`);
      expect(r.status, p).toBe(404);
      expect(await r.text()).not.toContain("secret");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("a symlink that stays inside demo/ is served", async () => {
    const r = await fetch(`${base}${paths.inside!}`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain("<html");
  });

  it("paths out by .. or encoded .. are still 404", async () => {
    for (const p of ["/demo/../package.json", "/dist/..%2Fpackage.json", "/demo/%2e%2e/src/index.ts", "/package.json"]) {
      const r = await fetch(`${base}${p}`);
      expect(r.status, p).toBe(404);
    }
  });
});
