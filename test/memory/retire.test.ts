// Arena.retire and Arena.moveTop, which jit's tape regions use (src/jit/jit.ts TapeRegions):
// memory below the top given back for reuse within a call, without the rewind that would
// release everything above it.
import { describe, expect, test } from "vitest";
import { rt } from "../../src/wasm/module.js";
import { Tensor, ptrOf, scoped } from "../../src/core/tensor.js";

describe("Arena.retire and Arena.moveTop", () => {
  test("a retired range reads as released and the rest stays valid; blocks made there again are valid", () => {
    const arena = rt().arena;
    scoped(() => {
      const e0 = arena.epoch;
      const a = arena.alloc(4), b = arena.alloc(4), c = arena.alloc(4);
      arena.retire(b, c);
      expect([arena.live(e0, a), arena.live(e0, b), arena.live(e0, c)]).toEqual([true, false, true]);
      const top = arena.mark();
      arena.moveTop(b);
      const b2 = arena.alloc(4);
      expect(b2).toBe(b);
      expect(arena.live(arena.epoch, b2)).toBe(true);
      arena.moveTop(top);
      expect(arena.mark()).toBe(top);
      // A second range: both holes hold for the first epoch, the newer one for the second.
      const e1 = arena.epoch;
      arena.retire(a, b);
      expect([arena.live(e0, a), arena.live(e0, b), arena.live(e0, c)]).toEqual([false, false, true]);
      expect([arena.live(e1, b2), arena.live(e1, a)]).toEqual([true, false]);
      // A rewind still releases everything above its mark, whatever was retired.
      arena.rewind(a);
      expect([arena.live(e0, c), arena.live(e1, b2)]).toEqual([false, false]);
    });
  });

  test("a JS-owned tensor whose copy lies in a retired range is copied in again, with its values", () => {
    const arena = rt().arena;
    scoped(() => {
      const t = new Tensor([3], new Float64Array([1, 2, 3]));
      const p1 = ptrOf(t);
      expect(ptrOf(t)).toBe(p1);
      arena.retire(p1, p1 + 32);
      const p2 = ptrOf(t);
      expect(p2).not.toBe(p1);
      expect([...arena.view(p2, 3)]).toEqual([1, 2, 3]);
    });
  });

  test("an allocation that would cross the ceiling goes on at spillTo; the call's end clears the ranges and the ceiling", () => {
    const arena = rt().arena;
    let ptr = 0, epoch = 0;
    scoped(() => {
      ptr = arena.alloc(4);
      epoch = arena.epoch;
      arena.retire(ptr, ptr + 32);
      const region = arena.alloc(64), above = arena.alloc(4);
      const callerTop = arena.mark();
      arena.moveTop(region);
      arena.ceiling = region + 64 * 8;
      arena.spillTo = callerTop;
      expect(arena.alloc(32)).toBe(region);
      expect(arena.alloc(16)).toBe(region + 32 * 8);
      // 17 more would cross the region's end (16 are left): they and what follows go above
      // the caller's top.
      expect(arena.alloc(17)).toBe(callerTop);
      expect(arena.ceiling).toBe(Infinity);
      expect(arena.alloc(4)).toBe(callerTop + 18 * 8);
      expect(above).toBeLessThan(callerTop);
      arena.ceiling = region;
    });
    expect(arena.ceiling).toBe(Infinity);
    expect(arena.live(epoch, ptr)).toBe(false);
    scoped(() => {
      const q = arena.alloc(4);
      expect(arena.live(arena.epoch, q)).toBe(true);
      expect(() => arena.alloc(1 << 20)).not.toThrow();
    });
  });
});
