// Chromium validates relaxed SIMD, so there the default build is 'relaxed-simd'; its results
// against the 'simd' build stay within the bounds of test/helpers/build-cases.mjs (gemm, gemv,
// LU solve, Cholesky through the public API; dot, axpy, trsm on the kernels). In Node 20 the
// same checks run in a child process with the flag (test/node/kernel-builds.test.ts).
import { afterAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import * as mod from "../../src/wasm/module.js";
// @ts-ignore: plain ESM shared with a Node child process and a plain page
import { compareBuilds, compareKernels } from "../helpers/build-cases.mjs";

const inBrowser = typeof window !== "undefined";

describe.runIf(inBrowser)("relaxed-SIMD build in the browser", () => {
  afterAll(async () => {
    await mc.init();
  });

  it("is what init() picks, and kernelBuild() says so", async () => {
    await mc.init();
    expect(mc.relaxedSimdSupported()).toBe(true);
    expect(mc.kernelBuild()).toBe("relaxed-simd");
    expect(mc.usingSimd()).toBe(true);
  });

  it("agrees with the simd build within the bounds, and repeats itself bit for bit", async () => {
    const cases: { name: string; differ: number; worstRatio: number; finite: boolean; repeats: boolean }[] =
      await compareBuilds(mc);
    expect(cases).toHaveLength(6);
    for (const c of cases) {
      expect(c.finite, c.name).toBe(true);
      expect(c.repeats, c.name).toBe(true);
      expect(c.worstRatio, c.name).toBeLessThanOrEqual(1);
      expect(c.differ, c.name).toBeGreaterThan(0);
    }
    const k = await compareKernels(mod);
    expect(k.repeats).toBe(true);
    expect(k.unfusedSame).toBe(true);
    for (const name of ["dot", "axpy", "trsm"]) {
      expect(k[name].worstRatio, name).toBeLessThanOrEqual(1);
      expect(k[name].differ, name).toBeGreaterThan(0);
    }
  });
});
