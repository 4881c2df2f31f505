// Tensors are immutable by contract, and the library enforces it: `.data` is a copy, so no
// write can reach a tensor's storage, a jit recording's constants or the arena's resident copies.
import { describe, expect, it } from "vitest";
import { Tensor, grad, jit, matrix, scalar, vector } from "../../src/index.js";

describe("tensor storage is immutable", () => {
  it(".data is a fresh copy: writing into it changes neither the tensor nor later reads", () => {
    const t = matrix([[1, 2], [3, 4]]);
    const d = t.data;
    expect(Array.from(d)).toEqual([1, 3, 2, 4]);
    d[0] = -1;
    expect(t.get(0, 0)).toBe(1);
    expect(t.data[0]).toBe(1);
    expect(t.data).not.toBe(t.data);
    t.data[1] = 99; // a write into a temporary copy
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
  });

  it("Tensor.data's TSDoc example", () => {
    const t = vector([1, 2]);
    const d = t.data;
    expect(d).toEqual(new Float64Array([1, 2]));
    d[0] = -1;
    expect(t.get(0)).toBe(1);
  });

  it("the issue's case: a closure tensor written through .data after a jit recording replays no stale branch", () => {
    const C = vector([1, 2]);
    // Reading a constant is allowed while recording: the branch is part of the recording.
    const f = (x: Tensor) => (C.data[0]! > 0 ? x.mul(C).sum() : x.sub(C).sum());
    const j = jit(f);
    expect(j(vector([3, 4])).item()).toBe(11);
    C.data[0] = -1;
    const x = vector([5, 6]);
    expect(j(x).item()).toBe(f(x).item());
    expect(j(x).item()).toBe(17);
  });

  it("a result's entries cannot be changed through .data (arena resident copies stay right)", () => {
    const A = matrix([[2, 0], [0, 3]]);
    const g = (x: Tensor) => grad((y: Tensor) => y.dot(A.matmul(y)))(x) as Tensor;
    for (let i = 0; i < 3; i++) {
      A.data[0] = 100; // no effect: the operator stays [[2, 0], [0, 3]]
      expect(g(vector([1, 1])).toArray()).toEqual([4, 6]);
    }
    const s = scalar(5);
    s.data[0] = 0;
    expect(s.item()).toBe(5);
  });
});
