// Run workspaces (src/optim/workspace.ts): the pool of dedicated kernel instances, the
// dispatch of vec.ts to the kernels, and what users see of runs whose vectors live in wasm
// memory: nothing they keep may change when the memory is reused by a later or nested run.
import { afterAll, describe, expect, it } from "vitest";
import { init, rt } from "../../src/wasm/module.js";
import { vector, type Tensor } from "../../src/index.js";
import { minimize, type IterationState, type MinimizeMethod } from "../../src/optim/index.js";
import { Workspace, WsVector } from "../../src/optim/workspace.js";
import * as V from "../../src/optim/vec.js";
import { symvPacked, syr2Packed } from "../../src/optim/dense.js";
import { BUILDS, rng } from "../helpers/builds.js";
import { extendedRosenbrockObjective } from "./problems.js";

/** Values over 2⁻²⁰…2²⁰ in magnitude, so that any change of summation order shows. */
function wild(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * 2 ** Math.round(20 * r()));
}

/** Extended Rosenbrock n = 40 from the standard start (or x0 = start): long enough for the kernels. */
const small = extendedRosenbrockObjective(40);
function smallStart(scale = 1): Tensor {
  return vector(Array.from({ length: 40 }, (_, i) => scale * (i % 2 === 0 ? -1.2 : 1) + 0.01 * i));
}

function data(x: unknown): number[] {
  return Array.from((x as Tensor).data);
}

afterAll(() => init());

describe("workspace pool", () => {
  it("hands out zeroed, 16-byte aligned views above heapBase, and plain arrays once full", () => {
    const ws = Workspace.acquire(1000);
    try {
      const k = ws.kernels!;
      const a = ws.vec(3), b = ws.vec(5);
      expect(a).toBeInstanceOf(WsVector);
      expect((a as WsVector).ptr).toBeGreaterThanOrEqual(k.heapBase());
      expect((a as WsVector).ptr % 16).toBe(0);
      expect((b as WsVector).ptr % 16).toBe(0);
      expect((b as WsVector).ptr).toBeGreaterThanOrEqual((a as WsVector).ptr + 24);
      expect(a.buffer).toBe(k.memory.buffer);
      // Dirty the memory; the next run's vectors must still start at zero.
      a.fill(7);
      b.fill(7);
      // More than the memory holds: a plain array, which vec.ts sends to the JS loops.
      const big = ws.vec(k.memory.buffer.byteLength / 8);
      expect(big).not.toBeInstanceOf(WsVector);
      expect(big.length).toBe(k.memory.buffer.byteLength / 8);
      // Copies and sub-views are plain arrays.
      expect(a.slice()).not.toBeInstanceOf(WsVector);
      expect(a.subarray(1)).not.toBeInstanceOf(WsVector);
    } finally {
      ws.release();
    }
    const again = Workspace.acquire(1000);
    try {
      expect(Array.from(again.vec(8))).toEqual(new Array(8).fill(0));
    } finally {
      again.release();
    }
  });

  it("reuses a released instance; a nested acquire gets another one; the memory is sized up front", () => {
    const w1 = Workspace.acquire(10);
    const k1 = w1.kernels!;
    w1.release();
    expect(w1.kernels).toBeNull();
    w1.release(); // idempotent
    // A released workspace hands out plain arrays only.
    expect(w1.vec(16)).not.toBeInstanceOf(WsVector);
    const w2 = Workspace.acquire(3e5);
    try {
      expect(w2.kernels).toBe(k1);
      // Grown at acquire time: 3e5 float64 fit, and the buffer never changes afterwards.
      const buffer = k1.memory.buffer;
      expect(buffer.byteLength).toBeGreaterThanOrEqual(k1.heapBase() + 8 * 3e5);
      const v = w2.vec(3e5 - 2);
      expect(v).toBeInstanceOf(WsVector);
      const w3 = Workspace.acquire(10);
      try {
        expect(w3.kernels).not.toBe(k1);
        expect(w3.kernels!.memory).not.toBe(k1.memory);
      } finally {
        w3.release();
      }
      expect(k1.memory.buffer).toBe(buffer);
    } finally {
      w2.release();
    }
  });

  it("drops the pool when init() switches builds", async () => {
    for (const simd of [false, true]) {
      await init({ simd });
      const ws = Workspace.acquire(10);
      try {
        expect(ws.kernels!.simdEnabled()).toBe(simd ? 1 : 0);
        expect(ws.kernels).not.toBe(rt().kernels);
      } finally {
        ws.release();
      }
    }
  });
});

describe.each(BUILDS)("vec.ts on workspace vectors ($name)", ({ simd }) => {
  it.each([5, 8, 33, 1000])("gives the bits of the JS loops (n=%i)", async (n) => {
    await init({ simd });
    const ws = Workspace.acquire(20 * n + n * n);
    try {
      const put = (v: Float64Array) => {
        const w = ws.vec(v.length);
        w.set(v);
        return w;
      };
      const x = wild(n, 1), y = wild(n, 2), z = wild(n, 3);
      const [X, Y, Z] = [put(x), put(y), put(z)];
      const same = (a: number, b: number) => expect(Object.is(a, b), `${a} vs ${b}`).toBe(true);
      const sameVec = (a: Float64Array, b: Float64Array) => expect(Array.from(a)).toEqual(Array.from(b));
      same(V.dot(X, Y), V.dot(x, y));
      same(V.norm2(X), V.norm2(x));
      same(V.normInf(X), V.normInf(x));
      same(V.diffNormInf(X, Y), V.diffNormInf(x, y));
      same(V.axpyDot(0.3, X, Y, Z), V.axpyDot(0.3, x, y, z));
      sameVec(Y, y);
      same(V.axpyScaleDot(-0.7, Z, 1.5, Y, Y), V.axpyScaleDot(-0.7, z, 1.5, y, y));
      sameVec(Y, y);
      same(V.scaleDot(-1, X, Z, Y), V.scaleDot(-1, x, z, y));
      sameVec(Z, z);
      V.addScaled(X, 0.25, Y, Z);
      V.addScaled(x, 0.25, y, z);
      sameVec(Z, z);
      V.axpby(-1, X, 0.5, Y);
      V.axpby(-1, x, 0.5, y);
      sameVec(Y, y);
      V.sub(X, Y, Z);
      V.sub(x, y, z);
      sameVec(Z, z);
      V.scale(3, Z);
      V.scale(3, z);
      sameVec(Z, z);
      const p = wild((n * (n + 1)) / 2, 4);
      const P = put(p);
      symvPacked(P, n, X, Y);
      symvPacked(p, n, x, y);
      sameVec(Y, y);
      syr2Packed(P, n, X, Z);
      syr2Packed(p, n, x, z);
      sameVec(P, p);
    } finally {
      ws.release();
    }
  });
});

describe.each(BUILDS)("minimize with run workspaces ($name)", ({ simd }) => {
  const n = 1000;
  const f = extendedRosenbrockObjective(n);
  const x0 = vector(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));

  it.each([
    // Recorded before the workspaces (JS loops on plain arrays), gradTol 1e-5: the kernels
    // and the fixed summation order leave the path unchanged.
    ["lbfgs", 33, { f: 39, grad: 39, hvp: 0, hessian: 0 }],
    ["trust-ncg", 46, { f: 52, grad: 52, hvp: 67, hessian: 0 }],
  ] as const)("extended Rosenbrock n = 1000, %s: %i iterations as before, x within 1e-6 of ones", async (method, iterations, evaluations) => {
    await init({ simd });
    const res = minimize(f, x0, { method, gradTol: 1e-5 });
    expect(res.converged, res.message).toBe(true);
    expect(res.iterations).toBe(iterations);
    expect(res.evaluations).toEqual(evaluations);
    for (const v of data(res.x)) expect(Math.abs(v - 1)).toBeLessThan(1e-6);
  });

  it.each(["lbfgs", "trust-ncg", "newton-cg", "bfgs", "gd", "newton"] as MinimizeMethod[])(
    "%s: a result is not changed by the next run",
    async (method) => {
      await init({ simd });
      const first = minimize(small, smallStart(), { method, maxIterations: 30 });
      const x = data(first.x), g = data(first.grad);
      // A different problem and start, so the reused memory gets different values.
      const second = minimize(f, x0, { method: "lbfgs", maxIterations: 5 });
      const third = minimize(small, smallStart(-2), { method, maxIterations: 3 });
      expect(data(first.x)).toEqual(x);
      expect(data(first.grad)).toEqual(g);
      expect(data(second.x)).not.toEqual(x);
      expect(data(third.x)).not.toEqual(x);
    },
  );

  it.each(["lbfgs", "trust-ncg", "bfgs"] as MinimizeMethod[])(
    "%s: callback states keep their x and xFlat after the run and after another run",
    async (method) => {
      await init({ simd });
      const kept: { state: IterationState; xFlat: number[] }[] = [];
      const res = minimize(f, x0, {
        method,
        maxIterations: 6,
        callback: (s) => {
          kept.push({ state: s, xFlat: Array.from(s.xFlat) });
          // Read x on some iterations only: the rest build it lazily after the run.
          if (s.iteration % 2 === 0) expect(data(s.x)).toEqual(Array.from(s.xFlat));
        },
      });
      expect(kept.length).toBe(res.iterations);
      const check = () => {
        for (const { state, xFlat } of kept) {
          expect(Array.from(state.xFlat)).toEqual(xFlat);
          expect(data(state.x)).toEqual(xFlat);
        }
        expect(Array.from(kept.at(-1)!.state.xFlat)).toEqual(data(res.x));
      };
      check();
      minimize(f, x0.mul(0.5), { method, maxIterations: 4 });
      check();
      // A state's xFlat is the callback's own: writing to it does not steer the run.
      const steered = minimize(small, smallStart(), {
        method,
        maxIterations: 40,
        callback: (s) => void (s.xFlat as Float64Array).fill(1e6),
      });
      const plain = minimize(small, smallStart(), { method, maxIterations: 40 });
      expect(data(steered.x)).toEqual(data(plain.x));
    },
  );

  it.each(["lbfgs", "trust-ncg", "newton-cg"] as MinimizeMethod[])(
    "%s: a minimize nested in the callback and in f gives the same answer as alone",
    async (method) => {
      await init({ simd });
      const inner = () => minimize(f, x0, { method, gradTol: 1e-5 });
      const alone = inner();
      const fromCallback: number[][] = [];
      const outer = minimize(small, smallStart(), {
        method,
        maxIterations: 3,
        callback: () => void fromCallback.push(data(inner().x)),
      });
      expect(fromCallback.length).toBe(outer.iterations);
      for (const x of fromCallback) expect(x).toEqual(data(alone.x));
      // Nested in f (outside any trace: a constant it adds).
      let nested: number[] | null = null;
      const outer2 = minimize(
        (x: Tensor) => {
          nested ??= data(inner().x);
          return small(x);
        },
        smallStart(),
        { method: "lbfgs" },
      );
      expect(outer2.converged).toBe(true);
      expect(nested).toEqual(data(alone.x));
      // And the outer runs are unaffected by the inner ones.
      const outerAlone = minimize(small, smallStart(), { method, maxIterations: 3 });
      expect(data(outer.x)).toEqual(data(outerAlone.x));
    },
  );
});
