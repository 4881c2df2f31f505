// Runs tsc over test/types/*.test-d.ts: the type tests of the public API. They hold both what
// must compile (expectTypeOf) and what must not (`@ts-expect-error`, which tsc reports when
// the line below it compiles after all), so this test fails on a type regression either way.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");

it("the type tests in test/types compile, and their @ts-expect-error lines do not", async () => {
  const tsc = resolve(repo, "node_modules/typescript/bin/tsc");
  const res = await run(process.execPath, [tsc, "-p", "test/types/tsconfig.json"], { cwd: repo }).then(
    () => ({ code: 0, out: "" }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
  expect(res.out).toBe("");
  expect(res.code).toBe(0);
}, 120_000);
