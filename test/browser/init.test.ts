// In a browser nothing can be compiled synchronously: any op before `await init()` must
// throw NotInitializedError saying so, and work once init has resolved.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";

const inBrowser = typeof window !== "undefined";

describe.runIf(inBrowser)("browser loading", () => {
  it("throws a clear error before init(), works after", async () => {
    expect(() => mc.add(1, 2)).toThrow(mc.NotInitializedError);
    expect(() => mc.add(1, 2)).toThrow(/await init\(\)/);
    await mc.init();
    expect(mc.add(1, 2).item()).toBe(3);
    expect(mc.usingSimd()).toBe(mc.simdSupported());
  });
  it("accepts the escape hatches: url, bytes and module", async () => {
    const url = new URL("../../dist/wasm/kernels.scalar.wasm", import.meta.url);
    await mc.init({ url, simd: false });
    expect(mc.usingSimd()).toBe(false);
    const bytes = await (await fetch(url)).arrayBuffer();
    await mc.init({ bytes, simd: false });
    expect(mc.matrix([[1, 2], [3, 4]]).matmul([1, 1]).toArray()).toEqual([3, 7]);
    await mc.init({ module: await WebAssembly.compile(bytes) });
    expect(mc.sum([1, 2, 3]).item()).toBe(6);
  });
});

describe.runIf(!inBrowser)("node loading", () => {
  it("needs no init(): the first op loads the kernels synchronously", () => {
    expect(mc.add(1, 2).item()).toBe(3);
  });
});
