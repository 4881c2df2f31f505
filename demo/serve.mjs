// `node demo/serve.mjs`: serves the interactive demo from the repo root so that the page
// loads the built package exactly as a consumer would (dist/ through an import map).
// Only /demo/ and /dist/ are reachable (symlinks are followed only within them), by GET and
// HEAD: nothing else in the working tree is worth exposing.
import { createServer } from "node:http";
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
// Checked on the resolved file, after decoding: "/dist/..%2Fsrc/x" must not reach src/.
const allowed = ["demo", "dist"].map((d) => resolve(root, d) + sep);
const types = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  // WebAssembly.compileStreaming and some browsers' checks insist on this exact type.
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

// Every answer, errors included: browsers must not guess a type other than the one sent.
const common = { "X-Content-Type-Options": "nosniff" };

/** The allowed directories with symlinks resolved (dist/ may appear after the server starts). */
async function realAllowed() {
  const dirs = await Promise.all(allowed.map((d) => realpath(d).then((r) => r + sep, () => null)));
  return dirs.filter((d) => d !== null);
}

async function handle(req, res, isolated) {
  for (const [k, v] of Object.entries(common)) res.setHeader(k, v);
  // A static server: nothing to post, put or delete.
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end("method not allowed");
    return;
  }
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    res.writeHead(400).end("bad request");
    return;
  }
  if (path === "/" || path === "/demo") {
    res.writeHead(302, { Location: "/demo/" }).end();
    return;
  }
  if (path.endsWith("/")) path += "index.html";
  const file = resolve(root, "." + path);
  // resolve() has already collapsed any `..`, so a prefix check on the result is sufficient.
  if (path.includes("\0") || !allowed.some((dir) => file.startsWith(dir))) {
    res.writeHead(404).end("not found");
    return;
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error("not a file");
    // A symlink inside demo/ or dist/ must not lead out of them (to ~/.ssh, the repo's .git, …):
    // check where the file really is, against the directories' own real paths.
    const real = await realpath(file);
    if (!(await realAllowed()).some((dir) => real.startsWith(dir))) throw new Error("outside");
    const body = await readFile(real);
    res.writeHead(200, {
      "Content-Type": types[extname(file)] ?? "application/octet-stream",
      // dist/ is rebuilt under a running server; a stale cached kernel would be confusing.
      "Cache-Control": "no-store",
      // Cross-origin isolation: performance.now() gets its fine resolution (the identity
      // explorer times sub-millisecond calls), and SharedArrayBuffer exists, so matcalc's
      // kernels run on every core (Web Workers). Everything the page loads is same-origin.
      ...(isolated ? {
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
      } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch {
    res.writeHead(404).end("not found");
  }
}

/**
 * Starts the demo server on 127.0.0.1.
 * @param {number} [port] 0 picks a free port.
 * @param {{ isolated?: boolean }} [options] `isolated: false` leaves out the COOP/COEP headers
 *   (tests: the page must then run one thread, with no error).
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export function startServer(port = 0, options = {}) {
  const unknown = Object.keys(options).filter((k) => k !== "isolated");
  if (unknown.length > 0) throw new TypeError(`startServer: unknown option ${unknown.map((k) => `"${k}"`).join(", ")} (known: "isolated")`);
  const isolated = options.isolated ?? true;
  if (typeof isolated !== "boolean") throw new TypeError(`startServer: option "isolated" must be a boolean, got ${typeof isolated}`);
  const server = createServer((req, res) => {
    handle(req, res, isolated).catch(() => res.writeHead(500).end());
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const addr = server.address();
      const actual = typeof addr === "object" && addr ? addr.port : port;
      ok({
        url: `http://127.0.0.1:${actual}/demo/`,
        port: actual,
        close: () => new Promise((done) => {
          server.closeAllConnections?.();
          server.close(() => done());
        }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(process.env.PORT ?? 5173);
  try {
    const { url } = await startServer(port);
    console.log(`matcalc demo: ${url}  (Ctrl-C to stop)`);
  } catch (e) {
    if (e?.code !== "EADDRINUSE") throw e;
    console.error(`matcalc demo: port ${port} is in use; try PORT=0 npm run demo (any free port) or PORT=8080 npm run demo`);
    process.exitCode = 1;
  }
}
