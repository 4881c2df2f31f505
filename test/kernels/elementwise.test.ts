// Elementwise kernels (assembly/elementwise.ts) against plain-JS references, in both builds:
// unary ops, broadcasting binary ops, fill and select.
//
// Inputs sit between NaN guards and outputs between sentinel guards, so a kernel that reads
// or writes one element too far is caught; half the cases start 8 bytes off 16-byte alignment
// (unaligned f64x2 loads and stores). Lengths cover empty, the scalar tail and both unrolled
// SIMD loops. Exact ops (arithmetic, comparisons, max/min, sign, relu, ...) must match JS bit
// for bit (Object.is, so signed zeros count); transcendental ops within a few ulps (their
// accuracy is tested in depth in accuracy.test.ts).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, putGuarded as putGuardedIn, rng, useBuild } from "../helpers/builds.js";
import { BinaryOp, UnaryOp, type Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const SIZES = [0, 1, 2, 3, 5, 17, 33, 127, 128, 129];
const SENTINEL = 1234.5678;
/** A pointer far outside any memory this test grows: reading through it traps. */
const BAD_PTR = 0xfffffff0;

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const ord = (x: number): bigint => {
    f64[0] = x;
    const v = i64[0]!;
    return v < 0n ? -(v & 0x7fffffffffffffffn) : v;
  };
  const d = ord(a) - ord(b);
  return Number(d < 0n ? -d : d);
}
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const show = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));

/** Sprinkles special values into seeded data, so every length sees some of them. */
function data(n: number, seed: number, scale = 4): number[] {
  const r = rng(seed);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1e-310, -1e-310, 1, -1, 0.5, 710, -746, 1e300, -1e300];
  return Array.from({ length: n }, (_, i) => (i % 7 === 3 ? specials[(i * 5 + seed) % specials.length]! : r() * scale));
}

// ---- references ----

interface UnarySpec {
  op: UnaryOp;
  name: string;
  js: (x: number) => number;
  /** Allowed ulp distance from `js`; 0 means bit-identical (signed zeros and all). */
  ulps: number;
}

const sigmoidJs = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplusJs = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

const UNARY: UnarySpec[] = [
  { op: UnaryOp.Neg, name: "neg", js: (x) => -x, ulps: 0 },
  { op: UnaryOp.Abs, name: "abs", js: Math.abs, ulps: 0 },
  { op: UnaryOp.Sign, name: "sign", js: Math.sign, ulps: 0 },
  { op: UnaryOp.Square, name: "square", js: (x) => x * x, ulps: 0 },
  { op: UnaryOp.Sqrt, name: "sqrt", js: Math.sqrt, ulps: 0 },
  { op: UnaryOp.Reciprocal, name: "reciprocal", js: (x) => 1 / x, ulps: 0 },
  { op: UnaryOp.Exp, name: "exp", js: Math.exp, ulps: 2 },
  { op: UnaryOp.Log, name: "log", js: Math.log, ulps: 2 },
  { op: UnaryOp.Log1p, name: "log1p", js: Math.log1p, ulps: 2 },
  { op: UnaryOp.Expm1, name: "expm1", js: Math.expm1, ulps: 2 },
  { op: UnaryOp.Sin, name: "sin", js: Math.sin, ulps: 2 },
  { op: UnaryOp.Cos, name: "cos", js: Math.cos, ulps: 2 },
  { op: UnaryOp.Tanh, name: "tanh", js: Math.tanh, ulps: 3 }, // Math.tanh itself errs up to 2 ulp
  { op: UnaryOp.Sigmoid, name: "sigmoid", js: sigmoidJs, ulps: 4 }, // the naive formula errs up to ~2.5
  { op: UnaryOp.Relu, name: "relu", js: (x) => (x > 0 ? x : Number.isNaN(x) ? NaN : 0), ulps: 0 },
  { op: UnaryOp.Softplus, name: "softplus", js: softplusJs, ulps: 4 },
  { op: UnaryOp.Atan, name: "atan", js: Math.atan, ulps: 2 },
  { op: UnaryOp.Step, name: "step", js: (x) => (x > 0 ? 1 : Number.isNaN(x) ? NaN : 0), ulps: 0 },
];

interface BinarySpec {
  op: BinaryOp;
  name: string;
  js: (a: number, b: number) => number;
  ulps: number;
}

const BINARY: BinarySpec[] = [
  { op: BinaryOp.Add, name: "add", js: (a, b) => a + b, ulps: 0 },
  { op: BinaryOp.Sub, name: "sub", js: (a, b) => a - b, ulps: 0 },
  { op: BinaryOp.Mul, name: "mul", js: (a, b) => a * b, ulps: 0 },
  { op: BinaryOp.Div, name: "div", js: (a, b) => a / b, ulps: 0 },
  { op: BinaryOp.Pow, name: "pow", js: Math.pow, ulps: 2 },
  { op: BinaryOp.Max, name: "max", js: Math.max, ulps: 0 },
  { op: BinaryOp.Min, name: "min", js: Math.min, ulps: 0 },
  { op: BinaryOp.Gt, name: "gt", js: (a, b) => (a > b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Ge, name: "ge", js: (a, b) => (a >= b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Lt, name: "lt", js: (a, b) => (a < b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Le, name: "le", js: (a, b) => (a <= b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Eq, name: "eq", js: (a, b) => (a === b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Ne, name: "ne", js: (a, b) => (a !== b ? 1 : 0), ulps: 0 },
  { op: BinaryOp.Atan2, name: "atan2", js: Math.atan2, ulps: 2 },
];

function check(got: ArrayLike<number>, want: ArrayLike<number>, ulps: number, what: (i: number) => string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const ok = ulps === 0 ? same(got[i]!, want[i]!) : ulpDistance(got[i]!, want[i]!) <= ulps;
    if (!ok) expect.fail(`${what(i)}: got ${show(got[i]!)}, want ${show(want[i]!)}`);
  }
}

/**
 * Reference broadcast: out (dense, column-major in `shape`) [i] = a[Σ idx_d·sa_d] ∘ b[Σ idx_d·sb_d];
 * offsets are in elements from the operands' base pointers.
 */
function broadcastRef(js: (a: number, b: number) => number, shape: number[], a: ArrayLike<number>, aBase: number,
  sa: number[], b: ArrayLike<number>, bBase: number, sb: number[]): number[] {
  const total = shape.reduce((p, s) => p * s, 1);
  const out: number[] = [];
  for (let i = 0; i < total; i++) {
    let rem = i, ia = aBase, ib = bBase;
    for (let d = 0; d < shape.length; d++) {
      const idx = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    out.push(js(a[ia]!, b[ib]!));
  }
  return out;
}

describe.each(BUILDS)("elementwise ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  /** Copies `xs` into the arena between NaN guards; `odd` puts it at 8 mod 16. */
  const putGuarded = (xs: ArrayLike<number>, odd = false): number => putGuardedIn(arena, xs, odd);
  /** n output slots between sentinel guards. */
  function outGuarded(n: number, odd = false): number {
    const pad = odd ? 1 : 2;
    const ptr = arena.alloc(n + pad + 2);
    arena.view(ptr, n + pad + 2).fill(SENTINEL);
    return ptr + 8 * pad;
  }
  /** Reads n outputs and checks the guards on both sides are untouched. */
  function readOut(ptr: number, n: number): Float64Array {
    const around = arena.view(ptr - 8, n + 2);
    expect(around[0], "wrote before out").toBe(SENTINEL);
    expect(around[n + 1], "wrote after out").toBe(SENTINEL);
    return around.slice(1, n + 1);
  }
  const i32 = (xs: number[]): number => arena.putI32(xs.length ? xs : [0]);

  // ---- unary ----

  describe("unary", () => {
    it.each(UNARY)("$name on every length, aligned and not", ({ op, name, js, ulps }) => {
      for (const n of SIZES) {
        for (const odd of [false, true]) {
          const xs = data(n, n * 31 + op);
          const x = putGuarded(xs, odd), out = outGuarded(n, !odd);
          k.unary(op, n, x, out);
          check(readOut(out, n), xs.map(js), ulps, (i) => `${name}(${show(xs[i]!)}) n=${n} odd=${odd}`);
        }
      }
    });

    it.each(UNARY)("$name in place (out = x)", ({ op, name }) => {
      for (const n of [1, 2, 5, 129]) {
        const xs = data(n, 77 + n + op, 30);
        const x = putGuarded(xs), sep = outGuarded(n);
        k.unary(op, n, x, sep);
        const want = readOut(sep, n);
        k.unary(op, n, x, x);
        check(arena.view(x, n), want, 0, (i) => `${name}(${show(xs[i]!)}) in place, n=${n}`);
      }
    });

    it("special values, signed zeros included", () => {
      const xs = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1, -1];
      const want: Partial<Record<UnaryOp, number[]>> = {
        [UnaryOp.Neg]: [-0, 0, -Infinity, Infinity, NaN, -5e-324, 5e-324, -1, 1],
        [UnaryOp.Abs]: [0, 0, Infinity, Infinity, NaN, 5e-324, 5e-324, 1, 1],
        [UnaryOp.Sign]: [0, -0, 1, -1, NaN, 1, -1, 1, -1],
        [UnaryOp.Square]: [0, 0, Infinity, Infinity, NaN, 0, 0, 1, 1],
        [UnaryOp.Sqrt]: [0, -0, Infinity, NaN, NaN, Math.sqrt(5e-324), NaN, 1, NaN],
        [UnaryOp.Reciprocal]: [Infinity, -Infinity, 0, -0, NaN, Infinity, -Infinity, 1, -1],
        [UnaryOp.Exp]: [1, 1, Infinity, 0, NaN, 1, 1, Math.exp(1), Math.exp(-1)],
        [UnaryOp.Log]: [-Infinity, -Infinity, Infinity, NaN, NaN, Math.log(5e-324), NaN, 0, NaN],
        [UnaryOp.Log1p]: [0, -0, Infinity, NaN, NaN, 5e-324, -5e-324, Math.LN2, -Infinity],
        [UnaryOp.Expm1]: [0, -0, Infinity, -1, NaN, 5e-324, -5e-324, Math.expm1(1), Math.expm1(-1)],
        [UnaryOp.Sin]: [0, -0, NaN, NaN, NaN, 5e-324, -5e-324, Math.sin(1), -Math.sin(1)],
        [UnaryOp.Cos]: [1, 1, NaN, NaN, NaN, 1, 1, Math.cos(1), Math.cos(1)],
        [UnaryOp.Tanh]: [0, -0, 1, -1, NaN, 5e-324, -5e-324, Math.tanh(1), -Math.tanh(1)],
        [UnaryOp.Sigmoid]: [0.5, 0.5, 1, 0, NaN, 0.5, 0.5, sigmoidJs(1), sigmoidJs(-1)],
        [UnaryOp.Relu]: [0, 0, Infinity, 0, NaN, 5e-324, 0, 1, 0],
        [UnaryOp.Softplus]: [Math.LN2, Math.LN2, Infinity, 0, NaN, Math.LN2, Math.LN2, softplusJs(1), softplusJs(-1)],
        [UnaryOp.Atan]: [0, -0, Math.PI / 2, -Math.PI / 2, NaN, 5e-324, -5e-324, Math.PI / 4, -Math.PI / 4],
        [UnaryOp.Step]: [0, 0, 1, 0, NaN, 1, 0, 1, 0],
      };
      for (const { op, name } of UNARY) {
        const w = want[op]!;
        // Twice: once through the f64x2 loop (pairs), once one element at a time (scalar tail).
        const x = putGuarded(xs);
        const out = outGuarded(xs.length);
        k.unary(op, xs.length, x, out);
        const got = readOut(out, xs.length);
        const one = outGuarded(1);
        for (let i = 0; i < xs.length; i++) {
          k.unary(op, 1, x + 8 * i, one);
          const g1 = readOut(one, 1)[0]!;
          for (const [g, path] of [[got[i]!, "vector"], [g1, "tail"]] as const) {
            const ok = Number.isNaN(w[i]!) || Object.is(w[i], 0) || Object.is(w[i], -0) || !Number.isFinite(w[i]!)
              ? same(g, w[i]!) : ulpDistance(g, w[i]!) <= 2;
            if (!ok) expect.fail(`${name}(${show(xs[i]!)}) [${path}]: got ${show(g)}, want ${show(w[i]!)}`);
          }
        }
      }
    });

    it("overflow, underflow and saturation", () => {
      const run = (op: UnaryOp, xs: number[]): number[] => {
        const x = putGuarded(xs), out = outGuarded(xs.length);
        k.unary(op, xs.length, x, out);
        return Array.from(readOut(out, xs.length));
      };
      expect(run(UnaryOp.Exp, [710, -746, -745, -1000, 1000])).toEqual([Infinity, 0, 5e-324, 0, Infinity]);
      const [big] = run(UnaryOp.Exp, [709.78]);
      expect(ulpDistance(big!, Math.exp(709.78))).toBeLessThanOrEqual(1);
      expect(run(UnaryOp.Expm1, [710, -746, -40])).toEqual([Infinity, -1, -1]);
      expect(run(UnaryOp.Sigmoid, [1000, -1000, 800, -800])).toEqual([1, 0, 1, 0]);
      expect(run(UnaryOp.Softplus, [1000, -1000, 800])).toEqual([1000, 0, 800]);
      expect(run(UnaryOp.Tanh, [1000, -1000, 20, -20, 1e300])).toEqual([1, -1, 1, -1, 1]);
      expect(run(UnaryOp.Log, [Number.MAX_VALUE, 5e-324])).toEqual([Math.log(Number.MAX_VALUE), Math.log(5e-324)]);
      const [s40] = run(UnaryOp.Sigmoid, [-40]);
      expect(Math.abs(s40! / 4.248354255291589e-18 - 1)).toBeLessThan(4e-16);
      const [p40] = run(UnaryOp.Softplus, [-40]);
      expect(Math.abs(p40! / 4.248354255291589e-18 - 1)).toBeLessThan(4e-16);
    });
  });

  // ---- binary ----

  describe("binary", () => {
    /** Runs `binary` with every pointer argument guarded. */
    function run(op: BinaryOp, shape: number[], as: number[], sa: number[], bs: number[], sb: number[],
      offsets: { a?: number; b?: number } = {}, odd = false): Float64Array {
      const total = shape.reduce((p, s) => p * s, 1);
      const a = putGuarded(as, odd) + 8 * (offsets.a ?? 0), b = putGuarded(bs, !odd) + 8 * (offsets.b ?? 0);
      const out = outGuarded(total, odd);
      k.binary(op, shape.length, i32(shape), a, i32(sa), b, i32(sb), out);
      return readOut(out, total);
    }

    it.each(BINARY)("$name, same shape, every length", ({ op, name, js, ulps }) => {
      for (const n of SIZES) {
        for (const odd of [false, true]) {
          const as = data(n, 3 * n + op), bs = data(n, 5 * n + op + 1);
          if (n > 4) { bs[1] = as[1]!; bs[2] = -0; as[2] = 0; } // ties and signed zeros
          const got = run(op, [n], as, [1], bs, [1], {}, odd);
          check(got, as.map((x, i) => js(x, bs[i]!)), ulps, (i) => `${name}(${show(as[i]!)}, ${show(bs[i]!)}) n=${n}`);
        }
      }
    });

    it.each(BINARY)("$name, broadcasting", ({ op, name, js, ulps }) => {
      const cases: { what: string; shape: number[]; na: number; sa: number[]; nb: number; sb: number[]; offA?: number; offB?: number }[] = [];
      for (const n of [1, 2, 3, 5, 17, 33, 128, 129]) {
        cases.push({ what: `vector ∘ scalar, n=${n}`, shape: [n], na: n, sa: [1], nb: 1, sb: [0] });
        cases.push({ what: `scalar ∘ vector, n=${n}`, shape: [n], na: 1, sa: [0], nb: n, sb: [1] });
        cases.push({ what: `scalar ∘ scalar, n=${n}`, shape: [n], na: 1, sa: [0], nb: 1, sb: [0] });
      }
      for (const [m, n] of [[1, 1], [3, 4], [4, 3], [17, 5], [2, 33], [33, 2]] as const) {
        // matrix m×n (column-major) with a row vector 1×n and a column vector m×1, both sides
        cases.push({ what: `matrix ${m}×${n} ∘ row`, shape: [m, n], na: m * n, sa: [1, m], nb: n, sb: [0, 1] });
        cases.push({ what: `row ∘ matrix ${m}×${n}`, shape: [m, n], na: n, sa: [0, 1], nb: m * n, sb: [1, m] });
        cases.push({ what: `matrix ${m}×${n} ∘ column`, shape: [m, n], na: m * n, sa: [1, m], nb: m, sb: [1, 0] });
        cases.push({ what: `column ∘ matrix ${m}×${n}`, shape: [m, n], na: m, sa: [1, 0], nb: m * n, sb: [1, m] });
        cases.push({ what: `column ${m}×1 ∘ row 1×${n} (outer)`, shape: [m, n], na: m, sa: [1, 0], nb: n, sb: [0, 1] });
        // strided on both sides: aᵀ (a stored n×m) with b a strided column of a wider array
        cases.push({ what: `transposed ∘ strided ${m}×${n}`, shape: [m, n], na: m * n, sa: [n, 1], nb: 3 * m * n, sb: [3, 3 * m] });
        // negative strides: b read backwards from its last element
        cases.push({ what: `reversed ${m}×${n}`, shape: [m, n], na: m * n, sa: [1, m], nb: m * n, sb: [-1, -m], offB: m * n - 1 });
      }
      for (const [p, q, r] of [[3, 4, 5], [2, 1, 3], [17, 2, 2], [1, 5, 4]] as const) {
        // rank 3 with the middle dim broadcast in b, and in a
        cases.push({ what: `rank-3 ${p}×${q}×${r} ∘ ${p}×1×${r}`, shape: [p, q, r], na: p * q * r, sa: [1, p, p * q], nb: p * r, sb: [1, 0, p] });
        cases.push({ what: `rank-3 ${p}×1×${r} ∘ ${p}×${q}×${r}`, shape: [p, q, r], na: p * r, sa: [1, 0, p], nb: p * q * r, sb: [1, p, p * q] });
        cases.push({ what: `rank-3 ${p}×${q}×${r} ∘ 1×${q}×1`, shape: [p, q, r], na: p * q * r, sa: [1, p, p * q], nb: q, sb: [0, 1, 0] });
      }
      // rank 8, extents 2 and 3, a dense and b broadcast along every other dim
      const shape8 = [3, 2, 2, 3, 2, 2, 2, 3];
      const dense8 = shape8.map((_, d) => shape8.slice(0, d).reduce((x, y) => x * y, 1));
      const nb8 = shape8.reduce((x, s, d) => (d % 2 ? x : x * s), 1);
      const sb8: number[] = [];
      for (let d = 0, st = 1; d < 8; d++) { sb8.push(d % 2 ? 0 : st); if (d % 2 === 0) st *= shape8[d]!; }
      cases.push({ what: "rank 8", shape: shape8, na: dense8[7]! * 3, sa: dense8, nb: nb8, sb: sb8 });

      for (const c of cases) {
        for (const odd of [false, true]) {
          const as = data(c.na, c.na * 7 + op, 8), bs = data(c.nb, c.nb * 11 + op + 5, 8);
          const got = run(op, c.shape, as, c.sa, bs, c.sb, { a: c.offA ?? 0, b: c.offB ?? 0 }, odd);
          const want = broadcastRef(js, c.shape, as, c.offA ?? 0, c.sa, bs, c.offB ?? 0, c.sb);
          check(got, want, ulps, (i) => `${name} ${c.what} odd=${odd} at ${i}`);
        }
      }
    });

    it.each(BINARY)("$name, out aliasing a dense operand", ({ op, name, js, ulps }) => {
      for (const [m, n] of [[1, 1], [5, 3], [17, 4], [128, 2]] as const) {
        const as = data(m * n, m + n + op, 8), bs = data(n, m * n + op, 8);
        // out = a, b a broadcast row
        const a = putGuarded(as), b = putGuarded(bs);
        k.binary(op, 2, i32([m, n]), a, i32([1, m]), b, i32([0, 1]), a);
        check(arena.view(a, m * n), broadcastRef(js, [m, n], as, 0, [1, m], bs, 0, [0, 1]), ulps, (i) => `${name} out=a ${m}×${n} at ${i}`);
        // out = b, a a broadcast row
        const a2 = putGuarded(bs), b2 = putGuarded(as);
        k.binary(op, 2, i32([m, n]), a2, i32([0, 1]), b2, i32([1, m]), b2);
        check(arena.view(b2, m * n), broadcastRef(js, [m, n], bs, 0, [0, 1], as, 0, [1, m]), ulps, (i) => `${name} out=b ${m}×${n} at ${i}`);
        // out = a = b
        const c = putGuarded(as);
        k.binary(op, 1, i32([m * n]), c, i32([1]), c, i32([1]), c);
        check(arena.view(c, m * n), as.map((x) => js(x, x)), ulps, (i) => `${name} out=a=b at ${i}`);
      }
    });

    it.each(BINARY)("$name, rank 0 reads no shape, zero extents do no work", ({ op, name, js, ulps }) => {
      const pairs = [[2, 3], [-0, 0], [NaN, 1], [Infinity, -Infinity], [0.5, -2]] as const;
      for (const [x, y] of pairs) {
        const a = putGuarded([x]), b = putGuarded([y]), out = outGuarded(1);
        k.binary(op, 0, BAD_PTR, a, BAD_PTR, b, BAD_PTR, out); // traps if any of the three is read
        check(readOut(out, 1), [js(x, y)], ulps, () => `${name}(${show(x)}, ${show(y)}) rank 0`);
      }
      for (const shape of [[0], [0, 5], [5, 0], [3, 0, 2], [2, 2, 2, 2, 2, 2, 2, 0]]) {
        const out = outGuarded(1);
        const st = i32(shape.map(() => 1));
        k.binary(op, shape.length, i32(shape), BAD_PTR, st, BAD_PTR, st, out); // traps if a or b is read
        expect(arena.view(out - 8, 3).every((v) => v === SENTINEL), `${name} shape [${shape}]`).toBe(true);
      }
    });

    it("max/min propagate NaN and order signed zeros like Math.max/min", () => {
      const as = [-0, 0, NaN, 1, -0, 0, NaN, 3], bs = [0, -0, 1, NaN, -0, 0, NaN, -3];
      for (const [op, js] of [[BinaryOp.Max, Math.max], [BinaryOp.Min, Math.min]] as const) {
        for (const [sa, sb, na] of [[[1], [1], 8], [[1], [0], 8], [[0], [1], 8]] as const) {
          const got = run(op, [na], as, [...sa], bs, [...sb]);
          const want = broadcastRef(js, [na], as, 0, [...sa], bs, 0, [...sb]);
          check(got, want, 0, (i) => `${op === BinaryOp.Max ? "max" : "min"} at ${i}`);
        }
      }
      expect(Object.is(run(BinaryOp.Max, [2], [-0, 0], [1], [0, -0], [1])[0], 0)).toBe(true);
      expect(Object.is(run(BinaryOp.Min, [2], [-0, 0], [1], [0, -0], [1])[1], -0)).toBe(true);
    });

    it("pow follows Math.pow's special cases", () => {
      const vals = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, Infinity, -Infinity, NaN, 1e-310, 1e300];
      const as: number[] = [], bs: number[] = [];
      for (const x of vals) for (const y of vals) { as.push(x); bs.push(y); }
      const got = run(BinaryOp.Pow, [as.length], as, [1], bs, [1]);
      for (let i = 0; i < as.length; i++) {
        const want = Math.pow(as[i]!, bs[i]!);
        // Exact in every special case (NaN, ±0, ±Inf, integer powers); else within 2 ulp.
        const ok = Number.isFinite(want) && want !== 0 && Number.isFinite(got[i]!) ? ulpDistance(got[i]!, want) <= 2 : same(got[i]!, want);
        if (!ok) expect.fail(`pow(${show(as[i]!)}, ${show(bs[i]!)}): got ${show(got[i]!)}, want ${show(want)}`);
      }
      // JS differs from C here: pow(1, NaN) and pow(±1, ±Inf) are NaN, not 1.
      expect(run(BinaryOp.Pow, [4], [1, -1, 1, NaN], [1], [NaN, Infinity, -Infinity, 0], [1])).toEqual(new Float64Array([NaN, NaN, NaN, 1]));
    });
  });

  // ---- fill, select ----

  describe("fill and select", () => {
    it("fill writes exactly n values", () => {
      for (const n of SIZES) {
        for (const odd of [false, true]) {
          for (const v of [2.5, -0, NaN]) {
            const out = outGuarded(n, odd);
            k.fill(n, v, out);
            check(readOut(out, n), new Array<number>(n).fill(v), 0, (i) => `fill(${show(v)}) n=${n} at ${i}`);
          }
        }
      }
    });

    it("select picks a where cond != 0 (NaN true, −0 false)", () => {
      for (const n of SIZES) {
        for (const odd of [false, true]) {
          const r = rng(n + 1);
          const conds = [0, -0, NaN, 1, -1, 5e-324, Infinity];
          const cs = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? conds[i % conds.length]! : r() > 0 ? 1 : 0));
          const as = data(n, n + 2), bs = data(n, n + 3);
          const want = cs.map((c, i) => (c !== 0 ? as[i]! : bs[i]!)); // NaN !== 0 is true
          const c = putGuarded(cs, odd), a = putGuarded(as, !odd), b = putGuarded(bs, odd), out = outGuarded(n, !odd);
          k.select(n, c, a, b, out);
          check(readOut(out, n), want, 0, (i) => `select(${show(cs[i]!)}) n=${n}`);
          // in place over each input in turn
          for (const which of ["cond", "a", "b"] as const) {
            const c2 = putGuarded(cs), a2 = putGuarded(as), b2 = putGuarded(bs);
            const o = which === "cond" ? c2 : which === "a" ? a2 : b2;
            k.select(n, c2, a2, b2, o);
            check(arena.view(o, n), want, 0, (i) => `select out=${which} n=${n} at ${i}`);
          }
        }
      }
    });
  });
});
