// The three kernel builds in Node: which one loads (detection, init({ build }), MATCALC_BUILD),
// options refused by type and message, and the relaxed-SIMD build against the SIMD build within
// the documented bounds (test/helpers/build-cases.mjs) in a child process started with
// --experimental-wasm-relaxed-simd (Node 20 validates relaxed SIMD only behind that flag).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  OptionError, init, kernelBuild, matrix, relaxedSimdSupported, simdSupported, usingSimd,
} from "../../src/index.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const dist = new URL("../../dist/", import.meta.url).href;
const cases = new URL("../helpers/build-cases.mjs", import.meta.url).href;
const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
const nodeMajor = Number(process.versions.node.split(".")[0]);

/** Runs an ES module in a fresh Node (the built package from dist/) and parses its JSON output. */
async function child(source: string, flags: string[] = [], env: Record<string, string> = {}): Promise<any> {
  const { stdout } = await run(process.execPath, [...flags, "--input-type=module", "-e", source], {
    cwd: root, env: { ...process.env, MATCALC_BUILD: "", ...env },
  });
  return JSON.parse(stdout);
}

const REPORT = `
  import * as mc from "${dist}index.js";
  let out;
  try {
    const mv = mc.matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray();
    out = { build: mc.kernelBuild(), relaxed: mc.relaxedSimdSupported(), mv };
  } catch (e) { out = { error: e.name, message: e.message }; }
  console.log(JSON.stringify(out));
`;

afterAll(async () => {
  await init();
});

describe("which build runs", () => {
  it("detects the fastest build the host validates; Node 20 without the flag falls back to 'simd'", async () => {
    const plain = await child(REPORT);
    expect(plain.mv).toEqual([3, 7]);
    expect(plain.build).toBe(plain.relaxed ? "relaxed-simd" : "simd");
    if (nodeMajor === 20) expect(plain).toMatchObject({ build: "simd", relaxed: false });
    const flagged = await child(REPORT, [RELAXED_FLAG]);
    expect(flagged).toEqual({ build: "relaxed-simd", relaxed: true, mv: [3, 7] });
  });

  it("MATCALC_BUILD forces a build, and a build the host lacks or an unknown name is an OptionError", async () => {
    expect(await child(REPORT, [], { MATCALC_BUILD: "scalar" })).toMatchObject({ build: "scalar", mv: [3, 7] });
    expect(await child(REPORT, [RELAXED_FLAG], { MATCALC_BUILD: "simd" })).toMatchObject({ build: "simd" });
    const bogus = await child(REPORT, [], { MATCALC_BUILD: "avx512" });
    expect(bogus.error).toBe("OptionError");
    expect(bogus.message).toBe(
      'init: environment variable MATCALC_BUILD must be one of "relaxed-simd", "simd", "scalar", got "avx512"');
    if (nodeMajor === 20) {
      const missing = await child(REPORT, [], { MATCALC_BUILD: "relaxed-simd" });
      expect(missing.error).toBe("OptionError");
      expect(missing.message).toMatch(/^init: MATCALC_BUILD=relaxed-simd but this host does not support the "relaxed-simd" build/);
    }
  });

  it("init({ build }) loads that build; kernelBuild() and usingSimd() say which", async () => {
    await init({ build: "scalar" });
    expect(kernelBuild()).toBe("scalar");
    expect(usingSimd()).toBe(false);
    expect(matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()).toEqual([3, 7]);
    await init({ build: "simd" });
    expect(kernelBuild()).toBe("simd");
    expect(usingSimd()).toBe(true);
    await init({ simd: false });
    expect(kernelBuild()).toBe("scalar");
    await init();
    expect(kernelBuild()).toBe(relaxedSimdSupported() ? "relaxed-simd" : "simd");
  });

  it("refuses bad options by type and message", async () => {
    const fails = async (opts: unknown, message: string) => {
      const err = await init(opts as never).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(OptionError);
      expect((err as Error).message).toBe(message);
    };
    await fails({ buld: "simd" }, 'init: unknown option "buld" (valid: build, bytes, module, simd, threads, url)');
    await fails({ build: "avx" }, 'init: option "build" must be one of "relaxed-simd", "simd", "scalar", got "avx"');
    await fails({ build: "simd", simd: true }, 'init: options "build" and "simd" both choose the build: pass only "build"');
    const bytes = readFileSync(new URL("../../dist/wasm/kernels.scalar.wasm", import.meta.url));
    await fails({ bytes, url: "x.wasm" }, 'init: pass at most one of "module", "bytes" and "url"');
    await fails({ bytes, build: "simd" }, 'init: option "build" is "simd" but the binary given is the "scalar" build');
    if (!relaxedSimdSupported()) {
      const message = 'init: init({ build: "relaxed-simd" }) but this host does not support the "relaxed-simd" build ' +
        "(Node 20 needs --experimental-wasm-relaxed-simd; Node ≥ 22 and Chromium ≥ 114 have it)";
      await fails({ build: "relaxed-simd" }, message);
      // Also with the binary given: refused before it is compiled.
      const relaxed = readFileSync(new URL("../../dist/wasm/kernels.relaxed.wasm", import.meta.url));
      await fails({ bytes: relaxed, build: "relaxed-simd" }, message);
    }
    // A refused call leaves the loaded build as it was, and bytes that match load.
    await init({ bytes, build: "scalar" });
    expect(kernelBuild()).toBe("scalar");
  });

  it("runs the TSDoc examples of init, relaxedSimdSupported and kernelBuild", async () => {
    await init();
    expect(matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()).toEqual([3, 7]);
    await init({ build: "scalar" });
    expect(kernelBuild()).toBe("scalar");
    await init({ build: "simd" });
    expect(kernelBuild()).toBe("simd");
    expect(simdSupported()).toBe(true);
    // Node 20 validates relaxed SIMD only behind the flag (VITEST_NODE_FLAGS may pass it).
    if (nodeMajor === 20) expect(relaxedSimdSupported()).toBe(process.execArgv.includes(RELAXED_FLAG));
  });
});

describe("relaxed-SIMD build against the SIMD build (Node with the flag)", () => {
  it("every result within the bounds, each build bit-reproducible, and FMA really used", async () => {
    const out = await child(`
      import * as mc from "${dist}index.js";
      import { compareBuilds } from "${cases}";
      console.log(JSON.stringify(await compareBuilds(mc)));
    `, [RELAXED_FLAG]);
    expect(out.map((c: { name: string }) => c.name)).toEqual([
      "gemm 67×300·300×45", "gemm 256×256·256×256", "gemv 300×200·200",
      "gemv 1×1001·1001×40 (op = T)", "solve (LU) 150", "cholesky 150",
    ]);
    for (const c of out) {
      expect(c.finite, c.name).toBe(true);
      expect(c.repeats, c.name).toBe(true);
      expect(c.worstRatio, c.name).toBeLessThanOrEqual(1);
      // This machine has FMA (x86-64 with fma): a fused build that rounded like the plain one
      // would be the plain build under another name.
      expect(c.differ, c.name).toBeGreaterThan(0);
    }
  });

  it("dot, axpy and trsm kernels: within their bounds, reproducible, and fused; elementwise math and sum unchanged", async () => {
    const out = await child(`
      import * as mod from "${dist}wasm/module.js";
      import { compareKernels } from "${cases}";
      console.log(JSON.stringify(await compareKernels(mod)));
    `, [RELAXED_FLAG]);
    expect(out.repeats).toBe(true);
    expect(out.unfusedSame).toBe(true);
    for (const name of ["dot", "axpy", "trsm"]) {
      expect(out[name].worstRatio, name).toBeLessThanOrEqual(1);
      expect(out[name].differ, name).toBeGreaterThan(0);
    }
  });
});
