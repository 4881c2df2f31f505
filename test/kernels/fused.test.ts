// fusedRows (assembly/elementwise.ts, "fused entrywise programs") against a plain-JS reference
// that runs the same program one op at a time over the whole broadcast index space, in both
// builds. Every entry must be bit for bit (Object.is) what separate IEEE ops give: each product
// and sum of a compound op rounded on its own, no FMA, no reassociation, signed zeros kept.
//
// Inputs sit between NaN guards (putGuarded); outputs and the scratch between SENTINEL guards,
// which no op here produces, so a stray write of any value (NaN included) is caught. After
// each run every input is checked unchanged, every guard intact. Scratch and outputs start
// filled with junk, so a temporary or output entry the kernel never writes shows up too.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUILDS, putGuarded, randArray, rng, useBuild } from "../helpers/builds.js";
import type { Kernels } from "../../src/wasm/kernels.js";
import type { Arena } from "../../src/wasm/arena.js";

const SENTINEL = -1234.5678;
/** code → [name, JS reference]; compounds evaluate left to right, each op rounded. */
const REF: Record<number, [string, (a: number, b: number, c: number, d: number) => number]> = {
  0: ["add", (a, b) => a + b], 1: ["sub", (a, b) => a - b], 2: ["mul", (a, b) => a * b],
  3: ["div", (a, b) => a / b], 5: ["max", (a, b) => Math.max(a, b)], 6: ["min", (a, b) => Math.min(a, b)],
  16: ["neg", (a) => -a], 17: ["(a·b)·c", (a, b, c) => (a * b) * c], 18: ["a·b + c", (a, b, c) => a * b + c],
  19: ["a·b − c", (a, b, c) => a * b - c], 20: ["c − a·b", (a, b, c) => c - a * b],
  21: ["a·b + c·d", (a, b, c, d) => a * b + c * d], 22: ["a·b − c·d", (a, b, c, d) => a * b - c * d],
};
const CODES = Object.keys(REF).map(Number);
const CASES = CODES.map((code) => ({ code, name: REF[code]![0] }));
const show = (x: number): string => (Object.is(x, -0) ? "-0" : String(x));
const sizeOf = (shape: number[]): number => shape.reduce((p, s) => p * s, 1);

/** A value in memory: `data` is its whole buffer, read from element `off` with strides `st`. */
interface Mem { data: ArrayLike<number>; st: number[]; off?: number; out?: boolean }
/** A program: memory values are 0 … mem.length−1, temporaries follow; ops are (code, dst, a, b, c, d). */
interface Prog { shape: number[]; mem: Mem[]; temps: number; ops: number[][] }

/** Element offset of every entry of the index space (column-major, dim 0 fastest) in a value. */
function offsets(shape: number[], st: number[], off: number): Int32Array {
  const o = new Int32Array(sizeOf(shape));
  for (let i = 0; i < o.length; i++) {
    let rem = i, x = off;
    for (let d = 0; d < shape.length; d++) {
      const idx = rem % shape[d]!;
      x += idx * st[d]!;
      rem = (rem - idx) / shape[d]!;
    }
    o[i] = x;
  }
  return o;
}

/** Runs the program op by op in JS; returns every memory value's buffer afterwards. */
function reference(p: Prog): number[][] {
  const total = sizeOf(p.shape), nMem = p.mem.length;
  const bufs = p.mem.map((m) => Array.from(m.data));
  const offs = p.mem.map((m) => offsets(p.shape, m.st, m.off ?? 0));
  const temps = Array.from({ length: p.temps }, () => new Array<number>(total).fill(NaN));
  const get = (v: number, i: number): number => (v < nMem ? bufs[v]![offs[v]![i]!]! : temps[v - nMem]![i]!);
  for (const [code, dst, a, b, c, d] of p.ops) {
    const f = REF[code!]![1];
    for (let i = 0; i < total; i++) {
      const r = f(get(a!, i), get(b!, i), get(c!, i), get(d!, i));
      if (dst! < nMem) bufs[dst!]![offs[dst!]![i]!] = r;
      else temps[dst! - nMem]![i] = r;
    }
  }
  return bufs;
}

/** Operand of a rank-1 row of length n with element stride s (s < 0 reads it backwards). */
function rowOperand(n: number, s: number, seed: number): Mem {
  const len = s === 0 ? 1 : (n - 1) * Math.abs(s) + 1;
  return { data: randArray(len, seed), st: [s], off: s < 0 ? len - 1 : 0 };
}
const denseOut = (shape: number[]): Mem => ({
  data: new Array<number>(sizeOf(shape)).fill(7.25), st: shape.map((_, d) => sizeOf(shape.slice(0, d))), out: true,
});

it("the reference tells every code apart (a kernel running the wrong code fails)", () => {
  const vals = [[0.3, -1.7, 2.9, 0.6], [-0.8, 0.45, -1.1, 3.3]];
  for (const c1 of CODES) for (const c2 of CODES) {
    if (c1 === c2) continue;
    const differs = vals.some(([a, b, c, d]) => !Object.is(REF[c1]![1](a!, b!, c!, d!), REF[c2]![1](a!, b!, c!, d!)));
    expect(differs, `${REF[c1]![0]} vs ${REF[c2]![0]}`).toBe(true);
  }
});

describe.each(BUILDS)("fusedRows ($name)", ({ simd }) => {
  let k: Kernels, arena: Arena;
  beforeAll(async () => ({ k, arena } = await useBuild(simd)));
  afterEach(() => arena.release());

  function i32s(xs: number[]): number {
    const ptr = arena.allocBytes(4 * Math.max(1, xs.length));
    arena.i32().set(xs, ptr >>> 2);
    return ptr;
  }
  /** `data` between SENTINEL guards (at 8 mod 16 when `odd`); returns [block start, data pointer]. */
  function sentinelBlock(data: ArrayLike<number>, odd: boolean): [number, number] {
    const pad = odd ? 1 : 2, len = data.length + pad + 2;
    const start = arena.alloc(len);
    const v = arena.view(start, len);
    v.fill(SENTINEL);
    v.set(data, pad);
    return [start, start + 8 * pad];
  }

  /**
   * Runs `p` through the kernel (value v at 8 mod 16 when v + odd is odd), checks guards and
   * inputs, and compares every memory value's buffer with the reference.
   */
  function run(p: Prog, what: string, odd = 0, detail?: (v: number, j: number) => string): Float64Array[] {
    arena.release();
    const nMem = p.mem.length, rank = p.shape.length;
    const ptrs = p.mem.map((m, v) => {
      const o = (v + odd) % 2 === 1;
      return m.out ? sentinelBlock(m.data, o)[1] : putGuarded(arena, m.data, o);
    });
    const [scratchBlock, scratch] = sentinelBlock(new Array<number>(256 * p.temps).fill(-9.5e99), false);
    const shape = i32s(p.shape), base = i32s(p.mem.map((m, v) => ptrs[v]! + 8 * (m.off ?? 0)));
    const strides = i32s(p.mem.flatMap((m) => m.st)), ops = i32s(p.ops.flat()), cur = i32s(p.mem.map(() => -1));
    k.fusedRows(rank, shape, nMem, base, strides, p.ops.length, ops, scratch, cur);

    const want = reference(p), result: Float64Array[] = [];
    for (let v = 0; v < nMem; v++) {
      const m = p.mem[v]!, n = m.data.length;
      const got = arena.view(ptrs[v]! - 8, n + 3); // one guard before, two after
      result.push(got.slice(1, n + 1));
      const guard = (x: number): boolean => (m.out ? Object.is(x, SENTINEL) : Number.isNaN(x));
      if (!guard(got[0]!) || !guard(got[n + 1]!) || !guard(got[n + 2]!)) {
        expect.fail(`${what}: value ${v} (${m.out ? "output" : "input"}) guard overwritten`);
      }
      for (let j = 0; j < n; j++) {
        if (!Object.is(got[j + 1], want[v]![j])) {
          expect.fail(`${what}: value ${v} entry ${j}: got ${show(got[j + 1]!)}, want ${show(want[v]![j]!)}${detail ? ` (${detail(v, j)})` : ""}`);
        }
      }
    }
    const sv = arena.view(scratchBlock, 256 * p.temps + 4);
    if (!Object.is(sv[0], SENTINEL) || !Object.is(sv[1], SENTINEL) || !Object.is(sv[256 * p.temps + 2], SENTINEL)) {
      expect.fail(`${what}: wrote outside the scratch`);
    }
    return result;
  }

  const LENGTHS = [1, 2, 3, 7, 255, 256, 257, 513, 1000];
  const BIN_STRIDES = [[1, 1], [0, 1], [1, 0], [0, 0], [2, 1], [1, 3], [2, 3], [0, 2], [-1, 1]];
  // The compound codes' vector path needs every stride in {0, 1}; any other one (or a
  // negative one) sends the whole row down the scalar path.
  const COMPOUND_STRIDES = [
    [1, 1, 1, 1], [0, 0, 0, 0], [2, 3, 2, 3], [0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0],
    [2, 1, 1, 1], [1, 3, 1, 1], [1, 1, 2, 1], [1, 1, 1, 3], [0, 1, 0, 1], [1, 0, 1, 0], [2, 0, 1, 3], [-1, 1, 0, 1],
  ];
  const argsOf = (code: number): number[] => (code >= 17 ? [0, 1, 2, 3] : [0, 1, 0, 1]);

  it.each(CASES)("$name: rank 1, every length, dense / broadcast / strided operands", ({ code, name }) => {
    for (const n of LENGTHS) {
      for (const [pi, st] of (code >= 17 ? COMPOUND_STRIDES : BIN_STRIDES).entries()) {
        const ins = st.map((s, j) => rowOperand(n, s, 7919 * code + 101 * n + 4 * pi + j));
        // Values: inputs 0 … m−1, outputs m and m+1, a +0 scalar m+2, one temporary m+3. The op
        // runs straight into output m, and into the temporary, copied to m+1 by t − 0 (exact).
        const m = ins.length;
        const p: Prog = {
          shape: [n], mem: [...ins, denseOut([n]), denseOut([n]), { data: [0], st: [0] }], temps: 1,
          ops: [[code, m, ...argsOf(code)], [code, m + 3, ...argsOf(code)], [1, m + 1, m + 3, m + 2, 0, 0]],
        };
        run(p, `${name} n=${n} strides [${st}]`, pi % 2, (v, j) => (v < m ? "" : `operands ${ins
          .map((o) => show(o.data[(o.off ?? 0) + j * o.st[0]!]!)).join(", ")}`));
      }
    }
  });

  const SPECIALS = [0, -0, 1, -1, 0.5, -3, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1e-310, 1e-200, 1e200,
    -1e300, Number.MAX_VALUE];
  const eps = 2 ** -52;
  /** Rows (a, b, c, d): signed zeros, exact cancellation, FMA detection, overflow and underflow. */
  const EDGES = [[-0, 1, -0, 1], [-0, 1, 0, 1], [0, -1, 0, -0], [2, 3, 6, -1], [1 + eps, 1 - eps, -1, 1],
    [1e200, 1e200, 1e-200, 1e-200], [1e-200, 1e-200, 1e200, 1e200], [Infinity, 0, 1, 1], [1e308, 10, -Infinity, 1],
    [-1e-300, 1e-300, 0, 0], [NaN, -0, -0, NaN], [0, -0, -0, 0]];

  it.each(CASES)("$name: special values through the vector, broadcast and scalar paths", ({ code, name }) => {
    // EDGES first, then every pair of SPECIALS as (a, b) with random specials as (c, d), then
    // random reals: 300 entries, two tiles, odd tail.
    const n = 300, r = rng(code + 5), sp = (): number => SPECIALS[Math.floor((r() + 1) * 8)]!;
    const cols = [0, 1, 2, 3].map((j) => Array.from({ length: n }, (_, i) => {
      const k2 = i - EDGES.length;
      if (k2 < 0) return EDGES[i]![j]!;
      if (k2 < 256) return j === 0 ? SPECIALS[k2 % 16]! : j === 1 ? SPECIALS[k2 >> 4]! : sp();
      return r() * 4;
    }));
    const layouts: { what: string; mem: Mem[] }[] = [
      { what: "dense", mem: cols.map((c) => ({ data: c, st: [1] })) },
      { what: "stride 2", mem: cols.map((c) => ({ data: c.flatMap((x) => [x, 42]), st: [2] })) },
    ];
    for (const [bi, x] of [-0, 0, NaN, Infinity, 1e-310, -1].entries()) {
      const at = bi % (code >= 17 ? 4 : code === 16 ? 1 : 2);
      const mem = cols.map((c, j): Mem => (j === at ? { data: [x], st: [0] } : { data: c, st: [1] }));
      layouts.push({ what: `operand ${at} = ${show(x)} broadcast`, mem });
    }
    for (const [li, { what, mem }] of layouts.entries()) {
      const p: Prog = { shape: [n], mem: [...mem, denseOut([n])], temps: 0, ops: [[code, 4, ...argsOf(code)]] };
      run(p, `${name} specials, ${what}`, li % 2,
        (v, j) => (v === 4 ? `operands ${mem.map((m) => show(m.data[j * m.st[0]!]!)).join(", ")}` : ""));
    }
  });

  it("hand-checked compound results: signed zeros, no FMA, no reassociation", () => {
    // Independent of REF, on EDGES' first seven rows; both paths (stride 1 vector, stride 2 scalar).
    const want: Record<number, number[]> = {
      17: [0, -0, -0, 36, -1, Infinity, 0],
      18: [-0, 0, 0, 12, 0, Infinity, 1e200],
      19: [0, -0, -0, 0, 2, Infinity, -1e200],
      20: [0, 0, 0, 0, -2, -Infinity, 1e200],
      21: [-0, 0, -0, 0, 0, Infinity, Infinity],
      22: [0, -0, 0, 12, 2, Infinity, -Infinity],
    };
    const cols = [0, 1, 2, 3].map((j) => EDGES.slice(0, 7).map((row) => row[j]!));
    for (const code of [17, 18, 19, 20, 21, 22]) {
      for (const s of [1, 2]) {
        const mem: Mem[] = cols.map((c) => ({ data: s === 1 ? c : c.flatMap((x) => [x, 99]), st: [s] }));
        const got = run({ shape: [7], mem: [...mem, denseOut([7])], temps: 0, ops: [[code, 4, 0, 1, 2, 3]] }, `${REF[code]![0]} edges`)[4]!;
        for (let i = 0; i < 7; i++) {
          if (!Object.is(got[i], want[code]![i])) {
            expect.fail(`${REF[code]![0]}(${EDGES[i]!.map(show)}) stride ${s}: got ${show(got[i]!)}, want ${show(want[code]![i]!)}`);
          }
        }
      }
    }
  });

  /** A value broadcast along the dims where mask is 0, laid out dense in the others with every stride ×f. */
  function masked(shape: number[], mask: number[], f: number, seed: number): Mem {
    const st: number[] = [];
    let len = f;
    for (let d = 0; d < shape.length; d++) { st.push(mask[d] ? len : 0); if (mask[d]) len *= shape[d]!; }
    return { data: randArray(len, seed), st };
  }
  /** Row-major (dim 0 slowest): every dim strided, none stride 1 along the row unless shape is [n]. */
  function transposed(shape: number[], seed: number): Mem {
    return { data: randArray(sizeOf(shape), seed), st: shape.map((_, d) => sizeOf(shape.slice(d + 1))) };
  }

  it("rank 2 and 3: outer-dim and dim-0 broadcasts, outputs read back, in-place ops, two outputs", () => {
    const MASKS: Record<number, number[][]> = {
      3: [[1, 1, 1], [1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 0, 1]],
      2: [[1, 1], [0, 1], [1, 0], [0, 0], [1, 1]],
    };
    // A B C D E F | O0 O1 | T0 T1
    const [A, B, C, D, E, F, O0, O1, T0, T1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const ops = [
      [18, T0, A, B, C, A], // t0 = A·B + C
      [21, O0, T0, D, E, F], // out0 = t0·D + E·F
      [5, T1, O0, C, A, A], // t1 = max(out0, C): an output read back
      [20, T1, T1, B, O0, A], // t1 = out0 − t1·B: temporary in place
      [3, O1, T1, D, A, A], // out1 = t1 / D
      [16, T0, T0, A, A, A], // t0 = −t0 in place
      [19, O1, O1, T0, E, A], // out1 = out1·t0 − E: output in place
      [6, T1, F, T1, A, A], // t1 = min(F, t1): dst = b
      [22, O0, O0, T1, F, A], // out0 = out0·t1 − F·A
      [1, T0, E, O1, A, A], [0, O1, T0, O0, A, A], // out1 = (E − out1) + out0
    ];
    for (const [si, shape] of [[300, 5, 3], [256, 2, 2], [1, 7, 2], [257, 4], [3, 100], [1000, 1]].entries()) {
      const [mA, mB, mC, mD, mF] = MASKS[shape.length]!;
      const mem = [masked(shape, mA!, 1, si * 10), masked(shape, mB!, 1, si * 10 + 1), masked(shape, mC!, 1, si * 10 + 2),
        masked(shape, mD!, 1, si * 10 + 3), transposed(shape, si * 10 + 4), masked(shape, mF!, 2 + (si % 2), si * 10 + 5),
        denseOut(shape), denseOut(shape)];
      run({ shape, mem, temps: 2, ops }, `shape [${shape}] strides ${mem.map((m) => `[${m.st}]`).join(" ")}`, si % 2);
    }
  });

  it("seeded random programs over ranks 1 to 8: mixed layouts, temporaries, two outputs", () => {
    const shapes = [[1000], [513, 2], [300, 2, 2], [5, 3, 2, 2], [2, 2, 3, 2, 2, 2, 2, 3], [256, 3], [17, 1, 4]];
    for (const [si, shape] of shapes.entries()) {
      for (let trial = 0; trial < 4; trial++) {
        const seed = 100 * si + trial, r = rng(seed), int = (n: number): number => Math.floor(((r() + 1) / 2) * n);
        const nIn = 4, nMem = nIn + 2, nTemps = 3;
        const mem: Mem[] = [];
        for (let v = 0; v < nIn; v++) mem.push(masked(shape, shape.map(() => (int(3) > 0 ? 1 : 0)), [1, 1, 2, 3][int(4)]!, seed * 8 + v));
        mem.push(denseOut(shape), denseOut(shape));
        const ready = Array.from({ length: nMem }, (_, v) => v); // outputs start out holding 7.25
        const ops: number[][] = [];
        for (let o = 0; o < 10; o++) {
          const code = CODES[int(CODES.length)]!;
          const dst = o >= 8 ? nIn + o - 8 : int(2) ? nMem + int(nTemps) : nIn + int(2);
          ops.push([code, dst, ...[0, 1, 2, 3].map(() => ready[int(ready.length)]!)]);
          if (!ready.includes(dst)) ready.push(dst);
        }
        const what = `shape [${shape}] seed ${seed} ops ${JSON.stringify(ops)} strides ${mem.map((m) => `[${m.st}]`).join(" ")}`;
        run({ shape, mem, temps: nTemps, ops }, what, trial % 2);
      }
    }
  });

  it("zero extents do nothing; empty programs write nothing", () => {
    for (const shape of [[0], [0, 5], [5, 0], [3, 0, 2], [300, 2, 0], [4], [300, 2]]) {
      const empty = sizeOf(shape) === 0;
      const out = { data: randArray(6, shape.length), st: shape.map(() => 1), out: true };
      const ins = [{ data: [1.5], st: shape.map(() => 0) }, { data: [-2], st: shape.map(() => 0) }];
      // With entries, an empty op list; without, a full program that must still touch nothing.
      const ops = empty ? [[18, 3, 0, 1, 0, 1], [21, 2, 3, 0, 1, 3], [16, 2, 2, 0, 0, 0]] : [];
      const got = run({ shape, mem: [...ins, out], temps: 1, ops }, `shape [${shape}]`)[2]!;
      expect(Array.from(got)).toEqual(Array.from(out.data));
    }
  });
}, 10_000);
