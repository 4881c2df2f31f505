// Errors that name the user's op and arrive early, options that are never ignored, results too
// big for memory refused before any work, and the Tensor methods the README promises.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import {
  DTypeError, MemoryLimitError, OptionError, ShapeError, Tensor, checkGrad, grad, hessian, hvp, jacobian, jit, matrix,
  scalar, valueAndGrad, vector, vmap, zeros,
} from "../../src/index.js";

const f = (x: Tensor) => x.mul(x).sum();

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("options are never ignored", () => {
  it("jacobian's layot typo gives the OptionError its TSDoc shows", () => {
    const e = thrown(() => jacobian(f, { layot: "denominator" } as never));
    expect(e).toBeInstanceOf(OptionError);
    expect((e as OptionError).key).toBe("layot");
    expect(e.message).toBe('jacobian: unknown option "layot" (valid: argnums, blocks, chunkSize, layout, mode)');
  });

  it.each([0, -1, 1.5, NaN])("chunkSize %s is an OptionError for jacobian and hessian", (v) => {
    for (const T of [jacobian, hessian]) {
      const e = thrown(() => T(f, { chunkSize: v }));
      expect(e).toBeInstanceOf(OptionError);
      expect(e.message).toMatch(/^(jacobian|hessian): option "chunkSize" must be a positive integer or Infinity/);
    }
  });

  it("bad layout and mode values name the option and the valid values", () => {
    expect(thrown(() => jacobian(f, { layout: "foo" } as never)).message).toBe(
      'jacobian: option "layout" must be one of "numerator", "denominator", got "foo"',
    );
    expect(thrown(() => jacobian(f, { mode: "bar" } as never)).message).toBe(
      'jacobian: option "mode" must be one of "fwd", "rev", "auto", got "bar"',
    );
    expect(thrown(() => hvp(f, { mode: "bar" } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => hessian(f, { layout: "denominator" } as never)).message).toMatch(/^hessian: unknown option "layout"/);
  });

  it("chunkSize Infinity is one chunk, and gives the same Hessian", () => {
    const g = (x: Tensor) => x.pow(3).sum();
    const x = vector([1, 2, 3]);
    expect(hessian(g, { chunkSize: Infinity })(x).toArray()).toEqual(hessian(g)(x).toArray());
  });

  it("init refuses dtype float32", async () => {
    await expect(mc.init({ dtype: "float32" } as never)).rejects.toThrow('init: unknown option "dtype" (valid: build, bytes, module, simd, threads, url)');
  });

  it("vmap, jit, the checks and op options are validated", () => {
    expect(thrown(() => vmap(f, { in_axes: 0 } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => jit(f, { static: [0] } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => checkGrad(f, vector([1]), { eps: 0 }))).toBeInstanceOf(OptionError);
    expect(thrown(() => mc.logdet([[1, 0], [0, 1]], { sdp: true } as never)).message).toMatch(/^logdet: unknown option "sdp"/);
    expect(thrown(() => mc.triangularSolve([[1, 0], [0, 1]], [1, 1], { upper: true } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => mc.tensor([1, 2, 3, 4], [2, 2], { order: "rows" } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => mc.randn([2], { sed: 1 } as never))).toBeInstanceOf(OptionError);
  });
});

describe("errors name the user's op and arrive early", () => {
  it("softmax/logsumexp/logSoftmax of an empty vector name themselves", () => {
    for (const op of ["softmax", "logsumexp", "logSoftmax"] as const) {
      const e = thrown(() => mc[op]([]));
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toBe(`${op}: cannot normalize over an empty axis 0 (shapes [0])`);
    }
  });

  it("a wrong v in hvp says hvp (both modes)", () => {
    for (const mode of ["fwd-rev", "rev-rev"] as const) {
      const e = thrown(() => hvp(f, { mode })(vector([1, 2]), vector([1, 2, 3])));
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toBe("hvp: v must have the structure and shapes of the primals ([2] vs [3])");
    }
  });

  it("hessian's argnums say hessian; grad's say grad", () => {
    const g = (a: Tensor, b: Tensor) => a.mul(b).sum();
    expect(thrown(() => hessian(g, { argnums: 5 })(vector([1]), vector([2]))).message).toBe(
      "hessian: argnums 5 is out of range for 2 argument(s)",
    );
    expect(thrown(() => grad(g, { argnums: 5 })(vector([1]), vector([2]))).message).toMatch(/^grad: argnums 5/);
    expect(thrown(() => grad(g, { argnums: "0" } as never))).toBeInstanceOf(OptionError);
    expect(thrown(() => grad((x: Tensor) => x.mul(2))(vector([1, 2]))).message).toMatch(/^grad: f must return a scalar/);
  });

  it("grad('x') and jit(5) fail when wrapped", () => {
    expect(thrown(() => grad("x" as never)).message).toBe('grad: f must be a function, got "x"');
    expect(thrown(() => jit(5 as never)).message).toBe("jit: f must be a function, got 5");
    expect(thrown(() => jit(5 as never))).toBeInstanceOf(DTypeError);
  });

  it("a cyclic pytree is a typed error, not a stack overflow", () => {
    const p: Record<string, unknown> = { a: vector([1, 2]) };
    p.self = p;
    for (const T of [grad, valueAndGrad, jit]) {
      const e = thrown(() => T(() => scalar(0))(p));
      expect(e).toBeInstanceOf(DTypeError);
      expect(e.message).toMatch(/: the pytree contains a cycle/);
    }
    const a: unknown[] = [1];
    a.push(a);
    expect(thrown(() => grad(() => scalar(0))(a)).message).toBe("grad: the pytree contains a cycle at [1]");
    expect(grad(f)(vector([1, 2])).toArray()).toEqual([2, 4]);
  });

  it("a shared (not cyclic) subtree is fine", () => {
    const w = vector([1, 2]);
    const shared = { a: w, b: w };
    const g = grad((p: { a: Tensor; b: Tensor }) => p.a.mul(p.b).sum())(shared) as { a: Tensor; b: Tensor };
    expect(g.a.toArray()).toEqual([1, 2]);
  });

  it("zeros(3) and zeros(null) name zeros", () => {
    expect(thrown(() => zeros(3 as never)).message).toBe("zeros: shape must be an array of extents (e.g. [2, 3]), got number");
    expect(thrown(() => zeros(null as never)).message).toBe("zeros: shape must be an array of extents (e.g. [2, 3]), got null");
    expect(thrown(() => zeros(null as never))).toBeInstanceOf(DTypeError);
  });

  it("a __proto__ own key (from JSON.parse) is differentiated like any key", () => {
    const p = JSON.parse('{"__proto__": [1, 2], "b": [3]}') as Record<string, number[]>;
    const h = (q: Record<string, Tensor>) => mc.sumSquares(Object.getOwnPropertyDescriptor(q, "__proto__")!.value as Tensor).add(q.b!.pow(3).sum());
    const [v, g] = valueAndGrad(h)(p) as [Tensor, Record<string, Tensor>];
    expect(v.item()).toBe(32);
    expect(Object.keys(g).sort()).toEqual(["__proto__", "b"]);
    expect((Object.getOwnPropertyDescriptor(g, "__proto__")!.value as Tensor).toArray()).toEqual([2, 4]);
    expect(g.b!.toArray()).toEqual([27]);
    const jg = jit(grad(h))(p) as Record<string, Tensor>;
    expect((Object.getOwnPropertyDescriptor(jg, "__proto__")!.value as Tensor).toArray()).toEqual([2, 4]);
  });

  it("Symbol keys and getters in a pytree are typed errors (they would be dropped or re-read)", () => {
    expect(thrown(() => grad(() => scalar(0))({ a: vector([1]), [Symbol("w")]: vector([2]) })).message).toBe(
      "grad: a pytree object has a symbol key; use string keys",
    );
    expect(thrown(() => grad(() => scalar(0))({ get a() { return vector([1]); } })).message).toBe(
      'grad: pytree key "a" is a getter/setter; pass plain data properties',
    );
  });
});

describe("results too big for memory fail at once", () => {
  it("hessian of a 30 000-vector: MemoryLimitError naming hessian, bytes and hvp, before any work", () => {
    const x = zeros([30000]);
    let calls = 0;
    const t0 = performance.now();
    const e = thrown(() => hessian((v: Tensor) => { calls++; return v.square().sum(); })(x));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(calls).toBe(0); // refused before f ran
    expect(e).toBeInstanceOf(MemoryLimitError);
    expect((e as MemoryLimitError).bytes).toBe(8 * 30000 * 30000);
    expect(e.message).toMatch(/^hessian: needs 7200000000 bytes .*30000 × 30000 result .*hvp\(f\)\(x, v\)/);
  });

  it("jacobian of a 30 000 → 30 000 map: MemoryLimitError naming jacobian and jvp/vjp, after one trace", () => {
    const x = zeros([30000]);
    const t0 = performance.now();
    const e = thrown(() => jacobian((v: Tensor) => v.sin())(x));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e).toBeInstanceOf(MemoryLimitError);
    expect(e.message).toMatch(/^jacobian: needs 7200000000 bytes .*jvp\/vjp/);
    // The next call works.
    expect(jacobian((v: Tensor) => v.sin())(vector([0, 0])).toArray()).toEqual([[1, 0], [0, 1]]);
  });

  it("a Jacobian that fits is still computed (15 000 → 1: a gradient row)", () => {
    const J = jacobian((v: Tensor) => v.sum())(zeros([15000]));
    expect(J.shape).toEqual([1, 15000]);
  });
});

describe("Tensor methods for every op the README lists", () => {
  it("comparisons, where, eigh, kron, concat (the TSDoc examples)", () => {
    expect(vector([1, 2, 3]).gt(2).toArray()).toEqual([0, 0, 1]);
    expect(vector([1, 2, 3]).ge(2).toArray()).toEqual([0, 1, 1]);
    expect(vector([1, 2, 3]).lt(2).toArray()).toEqual([1, 0, 0]);
    expect(vector([1, 2, 3]).le(2).toArray()).toEqual([1, 1, 0]);
    expect(vector([1, 2, 3]).eq(2).toArray()).toEqual([0, 1, 0]);
    expect(vector([1, 2, 3]).ne(2).toArray()).toEqual([1, 0, 1]);
    const x = vector([-1, 2]);
    expect(x.where(x.gt(0), 0).toArray()).toEqual([0, 2]);
    const [w, V] = matrix([[2, 1], [1, 2]]).eigh();
    expect(w.toArray()[0]).toBeCloseTo(1, 14);
    expect(w.toArray()[1]).toBeCloseTo(3, 14);
    expect(V.shape).toEqual([2, 2]);
    expect(matrix([[1, 2]]).kron([[1], [10]]).toArray()).toEqual([[1, 2], [10, 20]]);
    expect(vector([1]).concat([2, 3]).toArray()).toEqual([1, 2, 3]);
    expect(matrix([[1], [2]]).concat([[3], [4]], 1).toArray()).toEqual([[1, 3], [2, 4]]);
  });

  it("methods differentiate like the functions", () => {
    const g = grad((v: Tensor) => v.where(v.gt(0), 0).concat(v.mul(2)).sum())(vector([-1, 2])) as Tensor;
    expect(g.toArray()).toEqual([2, 3]);
  });
});
