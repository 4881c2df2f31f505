import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, get, put, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

describe.each(BUILDS)("loading ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());
  it("loads the requested binary and runs a kernel", () => {
    expect(k.simdEnabled()).toBe(simd ? 1 : 0);
    const x = put(arena, [1, 2, 3]);
    const y = put(arena, [4, 5, 6]);
    expect(k.dot(3, x, 1, y, 1)).toBe(32);
    k.axpy(3, 2, x, 1, y, 1);
    expect(Array.from(get(arena, y, 3))).toEqual([6, 9, 12]);
  });
});
