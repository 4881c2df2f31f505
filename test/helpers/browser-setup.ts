// Browser project only: browsers cannot compile wasm synchronously, so every test file starts
// with `await init()` — except the one that checks what happens before init.
import { beforeAll, expect } from "vitest";
import { init } from "../../src/wasm/module.js";

beforeAll(async () => {
  const path = expect.getState().testPath ?? "";
  if (!path.endsWith("test/browser/init.test.ts")) await init();
});
