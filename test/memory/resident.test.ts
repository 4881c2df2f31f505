// The resident cache: a JS-owned tensor reused across top-level calls is copied into wasm
// memory once, results stay right, and memory still stops growing.
import { beforeAll, describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { rt } from "../../src/wasm/module.js";
import { BUILDS, useBuild } from "../helpers/builds.js";

describe.each(BUILDS)("resident constants ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it("a reused data matrix becomes resident; results match; transient use returns to 0", () => {
    const A = mc.randn([300, 20], { seed: 1 });
    const x = mc.randn([20], { seed: 2 });
    const ref = Array.from(A.matmul(x).data);
    const arena = rt().arena;
    A.matmul(x); // second call asks for residency; admitted when the arena is idle
    expect(A._resGen).toBe(arena.residentGen);
    for (let i = 0; i < 50; i++) {
      expect(Array.from(A.matmul(x).data)).toEqual(ref);
      const g = mc.grad((v: mc.Tensor) => A.matmul(v).tanh().sum())(x) as mc.Tensor;
      expect(g.shape).toEqual([20]);
      expect(arena.used).toBe(0);
    }
    // A reshaped view shares the resident copy and reads the same entries.
    expect(Array.from(mc.vec(A).reshape([300, 20]).matmul(x).data)).toEqual(ref);
  });

  it("many distinct constants flush the cache wholesale; memory reaches a high-water mark", () => {
    const arena = rt().arena;
    const mats = Array.from({ length: 12 }, (_, i) => mc.randn([1024, 1024], { seed: 10 + i })); // 8 MiB each
    const v = mc.ones([1024]);
    const sums = mats.map((M) => M.matmul(v).sum().item());
    let high = 0;
    for (let round = 0; round < 4; round++) {
      mats.forEach((M, i) => {
        expect(M.matmul(v).sum().item()).toBeCloseTo(sums[i]!, 8);
      });
      if (round === 1) high = arena.memoryBytes;
      expect(arena.residentBytes).toBeLessThanOrEqual(64 * 2 ** 20);
    }
    expect(arena.memoryBytes).toBe(high);
    expect(arena.used).toBe(0);
  });
});
