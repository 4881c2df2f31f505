// How tensors print (toString, and console.log through util.inspect.custom) and serialize
// (toJSON / Tensor.fromJSON). Exact expected text, and bit-for-bit round trips.
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { DTypeError, ShapeError, Tensor, grad, matrix, randn, scalar, tensor, vector, vmap } from "../../src/index.js";

const iota = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));
/** The 64 bits of every entry, so NaN payloads and −0 compare too. */
const bitsOf = (t: Tensor) => Array.from(new BigUint64Array(Float64Array.from(t.data).buffer));

describe("printing", () => {
  it("a scalar", () => {
    expect(String(scalar(3.5))).toBe("Tensor [] 3.5");
    expect(inspect(scalar(-2))).toBe("Tensor [] -2");
  });

  it("a vector", () => {
    expect(inspect(vector([1, 2, 3]))).toBe("Tensor [3]\n[1, 2, 3]");
    expect(inspect(vector([0.5, -0.25, 10]))).toBe("Tensor [3]\n[ 0.50, -0.25, 10.00]");
    expect(inspect(vector([1e-5, 1, NaN, -Infinity, -0]))).toBe(
      "Tensor [5]\n[ 1.0000e-5,  1.0000e+0,        NaN,       -Inf, -0.0000e+0]",
    );
  });

  it("a 3 × 4 matrix, row by row (not the column-major storage)", () => {
    const A = tensor(iota(12), [3, 4]);
    expect(inspect(A)).toBe(
      "Tensor [3, 4]\n" +
      "[[ 0,  1,  2,  3],\n" +
      " [ 4,  5,  6,  7],\n" +
      " [ 8,  9, 10, 11]]",
    );
    expect(String(A)).toBe(inspect(A));
    const B = tensor(iota(12, (i) => i / 8 - 0.5), [3, 4]);
    expect(String(B)).toBe(
      "Tensor [3, 4]\n" +
      "[[-0.500, -0.375, -0.250, -0.125],\n" +
      " [ 0.000,  0.125,  0.250,  0.375],\n" +
      " [ 0.500,  0.625,  0.750,  0.875]]",
    );
  });

  it("a 200 × 200 matrix is summarized: first and last 3 rows and columns", () => {
    const A = tensor(iota(40000), [200, 200]);
    expect(inspect(A)).toBe(
      "Tensor [200, 200]\n" +
      "[[    0,     1,     2, ...,   197,   198,   199],\n" +
      " [  200,   201,   202, ...,   397,   398,   399],\n" +
      " [  400,   401,   402, ...,   597,   598,   599],\n" +
      " ...,\n" +
      " [39400, 39401, 39402, ..., 39597, 39598, 39599],\n" +
      " [39600, 39601, 39602, ..., 39797, 39798, 39799],\n" +
      " [39800, 39801, 39802, ..., 39997, 39998, 39999]]",
    );
  });

  it("String(t) of a 100 × 100 tensor is a summary, not 10 000 numbers", () => {
    const s = String(randn([100, 100], { seed: 1 }));
    expect(s.split("\n")).toHaveLength(8); // header, 3 rows, ..., 3 rows
    expect(s.length).toBeLessThan(500);
    expect(s).toMatch(/^Tensor \[100, 100\]\n\[\[/);
  });

  it("rank 3: blocks separated by a blank line, as NumPy prints them", () => {
    expect(String(tensor(iota(8), [2, 2, 2]))).toBe(
      "Tensor [2, 2, 2]\n" +
      "[[[0, 1],\n" +
      "  [2, 3]],\n" +
      "\n" +
      " [[4, 5],\n" +
      "  [6, 7]]]",
    );
  });

  it("inspecting a value whose entries cannot be read shows its shape and why, without throwing", () => {
    let shown = "";
    vmap((x: Tensor) => {
      shown = inspect(x);
      return x.sum();
    })(matrix([[1, 2], [3, 4]]));
    expect(shown).toMatch(/^Tensor \[2\] <.*vmap.*>$/);
    let kept: Tensor | undefined;
    grad((x: Tensor) => {
      kept = x.mul(2);
      return x.sum();
    })(vector([1, 2]));
    expect(inspect(kept)).toMatch(/^Tensor \[2\] <matcalc: this tensor was made inside a transform/);
    expect(String(scalar(0.5))).toBe("Tensor [] 0.5"); // the toString example
  });

  it("empty tensors and tensors inside objects", () => {
    expect(String(tensor(new Float64Array(0), [0]))).toBe("Tensor [0]\n[]");
    expect(inspect({ W: matrix([[1, 2], [3, 4]]) })).toBe("{\n  W: Tensor [2, 2]\n  [[1, 2],\n   [3, 4]]\n}");
  });
});

describe("JSON", () => {
  it("toJSON gives { shape, data } with the entries row by row", () => {
    expect(tensor(iota(6), [2, 3]).toJSON()).toEqual({ shape: [2, 3], data: [[0, 1, 2], [3, 4, 5]] });
    expect(JSON.stringify(scalar(2))).toBe('{"shape":[],"data":2}');
    expect(JSON.stringify({ w: vector([1, 2]) })).toBe('{"w":{"shape":[2],"data":[1,2]}}');
  });

  it("encodes what JSON cannot carry as strings (the documented example)", () => {
    expect(JSON.stringify(matrix([[1, -0], [NaN, Infinity]]))).toBe('{"shape":[2,2],"data":[[1,"-0"],["NaN","Infinity"]]}');
    const t = Tensor.fromJSON(JSON.parse(JSON.stringify(vector([-0, NaN, 1e-310]))));
    expect(Object.is(t.get(0), -0)).toBe(true);
    expect(Tensor.fromJSON('{"shape":[2],"data":[1,"-Infinity"]}').toArray()).toEqual([1, -Infinity]);
  });

  it("fromJSON(toJSON(t)) is t bit for bit: −0, NaN (with its payload), ±Inf, subnormals, extremes", () => {
    const odd = new Float64Array([0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 0.1, 1 / 3, Math.PI]);
    const payload = new Float64Array(1);
    new BigUint64Array(payload.buffer)[0] = 0xfff0000000000abcn; // a negative signalling-style NaN
    const cases = [
      scalar(-0),
      vector(odd),
      tensor(Float64Array.from([...odd, ...payload]), [13, 1]),
      tensor(Float64Array.from({ length: 24 }, (_, i) => odd[i % odd.length]! * (i + 1)), [2, 3, 4]),
      randn([200, 200], { seed: 7 }),
      vector(payload),
    ];
    for (const t of cases) {
      const back = Tensor.fromJSON(JSON.parse(JSON.stringify(t)));
      expect(back.shape).toEqual(t.shape);
      expect(bitsOf(back)).toEqual(bitsOf(t));
    }
    expect(JSON.stringify(vector(payload))).toBe('{"shape":[1],"data":["NaN:fff0000000000abc"]}');
  });

  it("refuses malformed input with typed errors", () => {
    expect(() => Tensor.fromJSON({ shape: [2], data: [1] } as never)).toThrow(ShapeError);
    expect(() => Tensor.fromJSON({ shape: [2, 2], data: [1, 2, 3, 4] } as never)).toThrow(ShapeError);
    expect(() => Tensor.fromJSON({ shape: [-1], data: [] } as never)).toThrow(ShapeError);
    expect(() => Tensor.fromJSON({ shape: [2], data: [1, "one"] } as never)).toThrow(DTypeError);
    expect(() => Tensor.fromJSON({ shape: [1], data: [null] } as never)).toThrow(DTypeError);
    expect(() => Tensor.fromJSON({ data: [1] } as never)).toThrow(DTypeError);
  });
});

describe("Chrome DevTools custom formatter", () => {
  type F = { header(x: unknown): unknown; hasBody(x: unknown): boolean; body(x: unknown): unknown };
  const formatter = (): F => {
    const list = (globalThis as { devtoolsFormatters?: F[] }).devtoolsFormatters ?? [];
    const f = list.find((x) => x.header(scalar(1)) !== null);
    expect(f, "a formatter for tensors is registered on import").toBeDefined();
    return f!;
  };

  it("draws a header with the shape and a body with the rows", () => {
    const f = formatter();
    const A = matrix([[1, 2], [3, 4]]);
    expect(f.header(A)).toEqual(["span", { style: "font-weight: bold" }, "Tensor [2, 2]"]);
    expect(f.hasBody(A)).toBe(true);
    expect(f.body(A)).toEqual(["div", { style: "font-family: monospace; white-space: pre; margin-left: 1em" }, "[[1, 2],\n [3, 4]]"]);
    expect((f.body(scalar(0.5)) as unknown[])[2]).toBe("Tensor [] 0.5");
  });

  it("leaves other objects to DevTools", () => {
    const f = formatter();
    for (const x of [{}, [1, 2], new Float64Array(2), null, 3]) {
      expect(f.header(x)).toBeNull();
      expect(f.hasBody(x)).toBe(false);
    }
  });
});

