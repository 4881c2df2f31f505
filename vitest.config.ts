import { playwright } from "@vitest/browser-playwright";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// BENCH=1 runs the tinybench suites under bench/ in the same two hosts.
const include = process.env.BENCH ? ["bench/**/*.bench.test.ts"] : ["test/**/*.test.ts"];
// BENCH=1: passes BENCH_FILTER, BENCH_TIME and the machine to the runner in both hosts.
const globalSetup = process.env.BENCH ? ["bench/global-setup.ts"] : [];
// BENCH=1: the suites' progress lines go to the terminal as they come, without the
// "stdout | file > test" header vitest puts above every console.log (both hosts).
const onConsoleLog = process.env.BENCH ? benchConsoleLog : undefined;
// BENCH=1: the browser project keeps its pre-bundled deps (ml-matrix from bench/node_modules)
// in a cache of its own, so `npm test` and the bench never invalidate each other's.
const browserCacheDir = process.env.BENCH ? "node_modules/.vite-bench" : undefined;
// Extra Node flags for the node project's workers (tests and bench), e.g.
// VITEST_NODE_FLAGS=--experimental-wasm-relaxed-simd: Node 20 runs the relaxed build only so.
const execArgv = process.env.VITEST_NODE_FLAGS ? process.env.VITEST_NODE_FLAGS.trim().split(/\s+/) : [];

function benchConsoleLog(log: string, type: "stdout" | "stderr"): false {
  (type === "stderr" ? process.stderr : process.stdout).write(log.endsWith("\n") ? log : `${log}\n`);
  return false;
}
// Tests (not the bench) verify the jit's programs after every pass.
const verifySetup = process.env.BENCH ? [] : ["test/helpers/jit-verify.ts"];
// Tests import src/, but the kernel binaries are built into dist/wasm/: the module that
// locates them by `new URL(..., import.meta.url)` is taken from there (compiled), so the URLs
// resolve beside the binaries, in Node and in the browser project alike.
const resolve = {
  alias: [{
    find: /^\.\/kernel-files\.js$/,
    replacement: fileURLToPath(new URL("./dist/wasm/kernel-files.js", import.meta.url)),
  }],
};
// BENCH=1 in Node: the suites' imports of src/ load the built package (dist/) natively, as
// users load it. Through vitest's module runner every call from one module into another is a
// property read on a module object, which added 34 % to the loops suite's LSTM loss (~40 000
// op calls; bench/NOTES.md, session 24). `npm run build` first (the bench needs dist/wasm/
// anyway). The browser project serves src/ as native ESM, which has no such cost.
const benchResolve = {
  alias: [
    ...resolve.alias,
    { find: /^(?:\.\.\/)+src\/(.*)$/, replacement: fileURLToPath(new URL("./dist/", import.meta.url)) + "$1" },
  ],
};
const benchServer = { deps: { external: [/\/dist\//] } };
// Tests that need Node (child processes, the packed tarball, Playwright driving a page).
// The optimizer tests that read reference data files (NIST StRD, Hock–Schittkowski, scipy's
// figures) run in Node only: the browser project has no file system.
const nodeOnly = [
  "test/node/**", "test/arch/**",
  ...["curve-fit", "honest", "hs", "lbfgsb", "lsq-bounds", "lsq-sigma", "lsq-stopping", "mgh35", "mgh35-minimize", "nist", "robust"].map((f) => `test/optim/${f}.test.ts`),
];

export default defineConfig({
  test: {
    ...(onConsoleLog ? { onConsoleLog } : {}),
    projects: [
      {
        resolve: process.env.BENCH ? benchResolve : resolve,
        test: {
          name: "node", environment: "node", include, globalSetup, setupFiles: verifySetup,
          ...(process.env.BENCH ? { server: benchServer } : {}),
          ...(execArgv.length ? { execArgv } : {}), testTimeout: 60_000,
        },
      },
      {
        resolve,
        ...(browserCacheDir ? { cacheDir: browserCacheDir } : {}),
        // Each project has its own Vite server; COOP/COEP here make the page cross-origin
        // isolated (fine-grained timers, SharedArrayBuffer).
        server: {
          headers: {
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Embedder-Policy": "require-corp",
          },
        },
        test: {
          name: "browser",
          include,
          globalSetup,
          setupFiles: ["test/helpers/browser-setup.ts", ...verifySetup],
          exclude: nodeOnly,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
                args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
              },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
