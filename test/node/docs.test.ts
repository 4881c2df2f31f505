// `npm run docs` must keep building: TypeDoc with warnings as errors (typedoc.json), run here
// without writing the site so that a broken {@link}, an unexported public type or a malformed
// tag fails `npm test`, not only the docs build.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

it("TypeDoc validates the public API docs with warnings as errors", () => {
  let out = "";
  try {
    out = execFileSync(process.execPath, ["node_modules/typedoc/bin/typedoc", "--emit", "none"], {
      cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`typedoc failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
  expect(out).not.toMatch(/\[warning\]|\[error\]/);
}, 60_000);
