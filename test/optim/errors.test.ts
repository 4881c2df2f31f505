// Bad input gets a typed error (or a status), never a silent wrong answer; after any error the
// next call works.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, ShapeError, scalar, vector, zeros, type Tensor } from "../../src/index.js";
import { OptionError } from "../../src/errors.js";
import { rt } from "../../src/wasm/module.js";
import { leastSquares, minimize } from "../../src/optim/index.js";
import { rosenbrock, sumOfSquares } from "./problems.js";

const rosen = sumOfSquares(rosenbrock.residual);

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("minimize: bad input", () => {
  it("non-finite x0 → DTypeError naming the entry", () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const e = errorOf(() => minimize(rosen, vector([1, bad])));
      expect(e).toBeInstanceOf(DTypeError);
      expect(e.message).toMatch(/minimize: x0 contains .* at flat index 1/);
    }
    const e = errorOf(() => minimize((p: { a: Tensor; b: Tensor }) => p.a.sum().add(p.b.sum()), { a: zeros([2]), b: vector([0, NaN, 0]) }));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/leaf 1, entry 1/);
  });

  it("f(x0) NaN or infinite → DTypeError", () => {
    const e = errorOf(() => minimize((x: Tensor) => x.log().sum(), vector([-1, 2])));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/f\(x0\) is NaN/);
    expect(errorOf(() => minimize((x: Tensor) => x.div(0).sum(), vector([1, 2])))).toBeInstanceOf(DTypeError);
  });

  it("a non-finite gradient at x0 → DTypeError", () => {
    // √x at 0: f is finite, f' is not.
    const e = errorOf(() => minimize((x: Tensor) => x.sqrt().sum(), vector([0, 1])));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/gradient/);
  });

  it("f returning a non-scalar → ShapeError; a plain number or nothing → DTypeError", () => {
    const e = errorOf(() => minimize((x: Tensor) => x.square(), vector([1, 2])));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/minimize: f must return a scalar .*\[2\]/);
    const n = errorOf(() => minimize((x: Tensor) => (x.data[0]! - 1) ** 2 as unknown as Tensor, vector([3])));
    expect(n).toBeInstanceOf(DTypeError);
    expect(n.message).toMatch(/must return a scalar Tensor .* got number/);
    expect(errorOf(() => minimize((() => undefined) as unknown as (x: Tensor) => Tensor, vector([3])))).toBeInstanceOf(DTypeError);
  });

  it("wrong kinds of x0, f and options → DTypeError / ShapeError", () => {
    expect(errorOf(() => minimize(rosen, "abc" as unknown as Tensor))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, null as unknown as Tensor))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, { a: "x" } as unknown as Tensor))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, zeros([0])))).toBeInstanceOf(ShapeError);
    expect(errorOf(() => minimize(null as unknown as (x: Tensor) => Tensor, vector([1])))).toBeInstanceOf(DTypeError);
    const m = errorOf(() => minimize(rosen, vector([1, 1]), { method: "nelder-mead" as "bfgs" }));
    expect(m).toBeInstanceOf(DTypeError);
    expect(m.message).toMatch(/unknown method "nelder-mead"/);
    expect(errorOf(() => minimize(rosen, vector([1, 1]), { gradTol: -1 }))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, vector([1, 1]), { maxIterations: 1.5 }))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, vector([1, 1]), { c1: 0.95, c2: 0.9 }))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, vector([1, 1]), { callback: 3 as unknown as () => void }))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => minimize(rosen, vector([1, 1]), { signal: {} as AbortSignal }))).toBeInstanceOf(DTypeError);
  });

  it("mismatched pytree structures inside f surface as the library's ShapeError", () => {
    // f expects { w: [3] } but x0 gives w of shape [2].
    const A = mc.ones([4, 3]);
    const e = errorOf(() => minimize((p: { w: Tensor }) => A.matmul(p.w).sum(), { w: zeros([2]) }));
    expect(e).toBeInstanceOf(ShapeError);
  });

  it("NaN part-way (a domain edge) makes the line search back off, not return NaN", () => {
    // f = x − log x (minimum at x = 1); a long step would leave the domain x > 0.
    const f = (x: Tensor) => x.sub(x.log()).sum();
    for (const method of ["bfgs", "lbfgs", "newton", "newton-cg", "trust-ncg", "gd"] as const) {
      const res = minimize(f, vector([0.01]), { method, gradTol: 1e-10 });
      expect(res.converged, `${method}: ${res.message}`).toBe(true);
      expect((res.x as Tensor).item()).toBeCloseTo(1, 8);
    }
  });

  it("f finite only at x0 (NaN at every other point): status nonFinite, x0 kept", () => {
    const x0 = vector([0.5, -0.25]);
    const f = (x: Tensor) => mc.where(mc.lt(mc.abs(x.sub(x0)), 1e-300), x.square(), NaN).sum();
    for (const method of ["bfgs", "lbfgs", "newton", "newton-cg", "trust-ncg", "gd"] as const) {
      const res = minimize(f, x0, { method });
      expect(res.status, method).toBe("nonFinite");
      expect(res.converged).toBe(false);
      expect(Array.from((res.x as Tensor).data)).toEqual([0.5, -0.25]);
      expect(res.value).toBeCloseTo(0.3125, 15);
    }
    const r = leastSquares((x: Tensor) => mc.where(mc.lt(mc.abs(x.sub(x0)), 1e-300), x, NaN), x0, { method: "gauss-newton" });
    expect(r.converged).toBe(false);
    expect(["nonFinite", "lineSearchFailed"]).toContain(r.status);
  });

  it("after an error the next call works and the arena is released", () => {
    expect(() => minimize((x: Tensor) => x.square(), vector([1, 2]), { method: "trust-ncg" })).toThrow(ShapeError);
    expect(() => minimize(() => { throw new Error("user error"); }, vector([1]))).toThrow("user error");
    expect(rt().arena.active).toBe(false);
    const res = minimize(rosen, vector([-1.2, 1]), { method: "trust-ncg" });
    expect(res.converged).toBe(true);
    expect(rt().arena.active).toBe(false);
  });

  it("a throwing callback propagates and leaves the arena released", () => {
    expect(() => minimize(rosen, vector([-1.2, 1]), { callback: () => { throw new RangeError("cb"); } })).toThrow("cb");
    expect(rt().arena.active).toBe(false);
  });
});

describe("leastSquares: bad input", () => {
  const r = rosenbrock.residual;
  it("non-finite x0, non-finite r(x0) → DTypeError", () => {
    expect(errorOf(() => leastSquares(r, vector([NaN, 1])))).toBeInstanceOf(DTypeError);
    const e = errorOf(() => leastSquares((x: Tensor) => x.log(), vector([-1, 1])));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toMatch(/residual at x0 is NaN at flat index 0/);
  });

  it("a residual that is not a tensor, or is empty → DTypeError / ShapeError", () => {
    expect(errorOf(() => leastSquares(() => 3 as unknown as Tensor, vector([1])))).toBeInstanceOf(DTypeError);
    expect(errorOf(() => leastSquares((x: Tensor) => mc.slice(x, [0], [0]), vector([1, 2])))).toBeInstanceOf(ShapeError);
  });

  it("diag must match x0's structure (ShapeError) and be positive (DTypeError)", () => {
    const f = (p: { a: Tensor; b: Tensor }) => mc.concat([p.a.sub(1), p.b.sub(2).reshape([1])]);
    const x0 = { a: zeros([2]), b: scalar(0) };
    const e = errorOf(() => leastSquares(f, x0, { diag: { a: vector([1, 1, 1]), b: scalar(1) } }));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toMatch(/option diag must have the structure/);
    expect(errorOf(() => leastSquares(f, x0, { diag: { a: vector([1, 1]) } as never }))).toBeInstanceOf(ShapeError);
    expect(errorOf(() => leastSquares(f, x0, { diag: { a: vector([1, 0]), b: scalar(1) } }))).toBeInstanceOf(DTypeError);
    const ok = leastSquares(f, x0, { diag: { a: vector([1, 2]), b: scalar(3) } });
    expect(ok.converged).toBe(true);
    expect(ok.cost).toBeLessThan(1e-20);
  });

  it("unknown method / matrixFree values, unknown options → OptionError naming the option", () => {
    const e1 = errorOf(() => leastSquares(r, vector([1, 1]), { method: "dogleg" as "lm" }));
    expect(e1).toBeInstanceOf(OptionError);
    expect(e1.message).toMatch(/option "method" must be one of "lm", "gauss-newton"/);
    expect(errorOf(() => leastSquares(r, vector([1, 1]), { matrixFree: "yes" as "auto" }))).toBeInstanceOf(OptionError);
    const e2 = errorOf(() => leastSquares(r, vector([1, 1]), { ftol: 1e-8 } as never));
    expect(e2).toBeInstanceOf(OptionError);
    expect(e2.message).toMatch(/unknown option "ftol"/);
    expect(errorOf(() => leastSquares(r, vector([1, 1]), { gradTol: -1 }))).toBeInstanceOf(OptionError);
  });
});
