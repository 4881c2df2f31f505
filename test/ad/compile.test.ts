// jit's compile passes besides fusion (fuse.test.ts): jacobian chunks as memory regions
// (src/jit/passes/regions.ts), folded chains of scalings (src/jit/passes/fold.ts), symmetric products
// (src/jit/passes/gram.ts) and Hessians below the diagonal (src/jit/passes/triangle.ts). Each must fire where
// it applies, stay out where it does not, and give what running f gives: bit for bit, except
// the mirrored triangle of a symmetric product or of a Hessian computed in chunks.
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import * as mc from "../../src/index.js";
import { hessian, jacobian, jit, randn, type Tensor } from "../../src/index.js";
import { slotOf, type Ref, type Step } from "../../src/jit/program.js";
import type { Primitive } from "../../src/core/primitive.js";
import { checkRegions } from "../../src/jit/passes/regions.js";
import { regionClose_p, regionOpen_p, type RegionParams } from "../../src/ops/markers.js";
import { foldScalings } from "../../src/jit/passes/fold.js";
import { gramSym_p, symmetricProducts } from "../../src/jit/passes/gram.js";
import { entrywiseChain_p } from "../../src/jit/passes/chains.js";
import { mul_p, neg_p, sigmoid_p } from "../../src/ops/elementwise.js";
import { bmmLeft_p, matmul_p } from "../../src/ops/matmul.js";
import { rt } from "../../src/wasm/module.js";
import type { Shape } from "../../src/core/shape.js";
import { lowerMirrored } from "../helpers/hessian.js";
import { lowerTriangle, matmulColumns_p } from "../../src/jit/passes/triangle.js";
import { demandRows_p } from "../../src/ops/markers.js";
import { scoped } from "../../src/core/tensor.js";
import { reshape_p } from "../../src/ops/structure.js";
import { broadcastTo_p } from "../../src/ops/reduce.js";
import { jitDebug } from "../../src/jit/pipeline.js";

// Every pass's output is checked against the IR's invariants (verifyProgram).
jitDebug.verify = true;

afterEach(() => vi.restoreAllMocks());

/** Entry by entry with Object.is (0 ≠ −0). */
const bitwise = (a: Tensor, b: Tensor): boolean => {
  expect(a.shape).toEqual(b.shape);
  const bd = b.data;
  return Array.from(a.data).every((v, i) => Object.is(v, bd[i]));
};

/** A synthetic step (tests of the passes alone; never run). */
const step = (prim: Primitive<unknown>, args: Ref[], out: number, shape: Shape, params: unknown = undefined): Step => ({
  prim, params, args, out, nOut: 1, shapes: [shape],
});
const slot = (i: number): Ref => ({ kind: "slot", i });
const konst = (t: Tensor): Ref => ({ kind: "const", t });
/** Shapes of synthetic programs: consts their own, slots from the steps. */
const shapes = (steps: readonly Step[], inputs: readonly Shape[] = []) => {
  const m = new Map<number, Shape>();
  for (const s of steps) for (let j = 0; j < s.nOut; j++) m.set(slotOf(s, j), s.shapes[j]!);
  return (r: Ref): Shape => (r.kind === "const" ? r.t.shape : r.kind === "in" ? inputs[r.i]! : m.get(r.i)!);
};

describe("regions: a replay frees each jacobian chunk's memory", () => {
  const X = randn([64, 6], { seed: 5 }), Y = randn([64, 1], { seed: 6 });
  const p = { W1: randn([6, 5], { seed: 7 }), b1: randn([5], { seed: 8 }), W2: randn([5, 1], { seed: 9 }), b2: randn([1], { seed: 10 }) };
  const loss = (q: typeof p) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
  const n = 6 * 5 + 5 + 5 + 1; // 41 parameters

  it("MLP Hessian in chunks of 4: bit for bit with the un-jitted one (lower triangle, mirrored); between chunks the arena grows by one block", () => {
    const H = hessian(loss, { chunkSize: 4 }), jH = jit(H);
    jH(p); // records
    const used: number[] = [];
    const close = regionClose_p.impl;
    vi.spyOn(regionClose_p, "impl").mockImplementation((args, params) => {
      const out = close(args, params);
      used.push(rt().arena.used);
      return out;
    });
    for (const s of [0, 1]) {
      used.length = 0;
      const q = s === 0 ? p : { ...p, W1: p.W1.mul(-0.5) };
      expect(bitwise(jH(q) as Tensor, lowerMirrored(H(q)))).toBe(true);
      // Chunks never straddle leaves, spread evenly within one: W1 30 → 4×7 + 2, b1 and W2 5 → 3 + 2, b2 1.
      const cols = [4, 4, 4, 4, 4, 4, 4, 2, 3, 2, 3, 2, 1];
      expect(used.length).toBe(cols.length);
      // What stays after a close is the blocks so far (n × c each, 16-byte aligned): the
      // chunk's tangents (64 × 5 × c and more) are gone.
      for (let k = 1; k < used.length; k++) expect(used[k]! - used[k - 1]!).toBe(Math.ceil((n * cols[k]! * 8) / 16) * 16);
    }
  });

  it("jacobian under jit with chunks: same as un-jitted, both modes", () => {
    const W = randn([30, 12], { seed: 3 }), x = randn([12], { seed: 4 });
    const f = (v: Tensor) => W.matmul(v).tanh();
    for (const mode of ["fwd", "rev"] as const) {
      const J = jacobian(f, { mode, chunkSize: 5 }), jJ = jit(J);
      jJ(x);
      expect(bitwise(jJ(x.mul(2)) as Tensor, J(x.mul(2)))).toBe(true);
    }
  });

  it("checkRegions keeps a rewind only when nothing made inside is read after the close", () => {
    const A = randn([3], { seed: 1 });
    const program = (readAfter: boolean, asResult: boolean) => {
      const r: RegionParams = { mark: 0, rewind: true };
      const steps: Step[] = [
        { prim: regionOpen_p as Primitive<unknown>, params: r, args: [], out: 0, nOut: 0, shapes: [] },
        step(neg_p as Primitive<unknown>, [konst(A)], 0, [3]), // s0 inside
        step(neg_p as Primitive<unknown>, [slot(0)], 1, [3]), // s1: the block
        step(regionClose_p as Primitive<unknown>, [slot(1)], 2, [3], r), // s2: the block, kept
        step(neg_p as Primitive<unknown>, [readAfter ? slot(0) : slot(2)], 3, [3]),
      ];
      checkRegions(steps, [asResult ? slot(0) : slot(3)]);
      return r.rewind;
    };
    expect(program(false, false)).toBe(true);
    expect(program(true, false)).toBe(false); // s0 read after the close
    expect(program(false, true)).toBe(false); // s0 returned
  });
});

describe("folding chains of scalings", () => {
  const m = 400, n = 50;
  const A = randn([m, n], { seed: 1 });
  const x = randn([n], { seed: 3 });
  let y!: Tensor;
  beforeAll(() => {
    y = mc.sign(randn([m], { seed: 2 }));
  });
  const logistic = (q: Tensor) => mc.softplus(y.mul(A.matmul(q)).neg()).sum();

  it("logistic Hessian: one pass over the m × n tangents instead of six, bit for bit", () => {
    const H = hessian(logistic), jH = jit(H);
    jH(x);
    const big = (calls: unknown[][]) => calls.filter((c) => (c[0] as Tensor[]).some((t) => t.size === m * n)).length;
    const mulSpy = vi.spyOn(mul_p, "impl"), negSpy = vi.spyOn(neg_p, "impl");
    const out = jH(x.mul(0.3)) as Tensor;
    expect(big(mulSpy.mock.calls)).toBe(1);
    expect(big(negSpy.mock.calls)).toBe(0);
    vi.restoreAllMocks();
    // The symmetric product mirrors the lower triangle: compare the upper one exactly.
    const ref = H(x.mul(0.3));
    for (let j = 0; j < n; j++) for (let i = 0; i <= j; i++) expect(Object.is(out.get(i, j), ref.get(i, j))).toBe(true);
  });

  it("folds exact factors (±1, 0, negations) with one that rounds, never two that round", () => {
    const T = randn([8, 6], { seed: 1 });
    const signs = mc.tensor(new Float64Array([1, -1, 0, 1, -1, 1, 1, -1]), [8, 1]);
    const c1 = randn([8, 1], { seed: 2 }), c2 = randn([8, 1], { seed: 3 });
    const mulP = mul_p as Primitive<unknown>, negP = neg_p as Primitive<unknown>;
    // s0 = T ∘ signs, s1 = −s0, s2 = s1 ∘ c1 (rounds), s3 = s2 ∘ c2 (rounds too)
    const steps: Step[] = [
      step(mulP, [konst(T), konst(signs)], 0, [8, 6]),
      step(negP, [slot(0)], 1, [8, 6]),
      step(mulP, [slot(1), konst(c1)], 2, [8, 6]),
      step(mulP, [slot(2), konst(c2)], 3, [8, 6]),
    ];
    const { steps: out, slots } = foldScalings(steps, [slot(3)], shapes(steps), 4);
    const bySlot = new Map(out.map((s) => [slotOf(s, 0), s]));
    // s2 reads T directly with a combined 8 × 1 factor; s3 still reads s2 (c1 and c2 both round).
    const s2 = bySlot.get(2)!;
    expect(s2.args[0]).toEqual(konst(T));
    expect(s2.args[1]!.kind).toBe("slot");
    expect(bySlot.get(3)!.args[0]).toEqual(slot(2));
    expect(slots).toBeGreaterThan(4);
    // A factor as large as the output is never folded.
    const wide = randn([8, 6], { seed: 4 });
    const s: Step[] = [step(negP, [konst(T)], 0, [8, 6]), step(mulP, [slot(0), konst(wide)], 1, [8, 6])];
    expect(foldScalings(s, [slot(1)], shapes(s), 2).steps).toEqual(s);
  });
});

describe("symmetric products Aᵀ·(d ∘ A)", () => {
  const m = 300, n = 60;
  const A = randn([m, n], { seed: 11 });
  const x = randn([n], { seed: 13 });
  const b = randn([m], { seed: 14 });
  let y!: Tensor;
  beforeAll(() => {
    y = mc.sign(randn([m], { seed: 12 }));
  });

  it("logistic Hessian: computed as symmetric, equals Aᵀ diag(σ(z)σ(−z)) A", () => {
    const f = (q: Tensor) => mc.softplus(y.mul(A.matmul(q)).neg()).sum();
    const H = hessian(f), jH = jit(H);
    jH(x);
    const gram = vi.spyOn(gramSym_p, "impl");
    const mm = vi.spyOn(matmul_p, "impl");
    const out = jH(x) as Tensor;
    expect(gram).toHaveBeenCalledTimes(1);
    expect(mm.mock.calls.filter(([args]) => args.some((a) => a.size === m * n) && args.every((a) => a.shape[1] === n)).length).toBe(0);
    vi.restoreAllMocks();
    const z = A.matmul(x);
    const d = mc.sigmoid(z).mul(mc.sigmoid(z.neg())).reshape([m, 1]);
    const closed = A.T.matmul(A.mul(d));
    const ref = H(x);
    const scale = Math.max(...Array.from(closed.data, Math.abs));
    const od = out.data, cd = closed.data, rd = ref.data;
    for (let i = 0; i < n * n; i++) {
      expect(Math.abs(od[i]! - cd[i]!)).toBeLessThan(1e-12 * scale);
      expect(Math.abs(od[i]! - rd[i]!)).toBeLessThan(1e-13 * scale);
    }
    for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) expect(out.get(i, j)).toBe(out.get(j, i));
  });

  it("least squares Hessian (no weights): AᵀA", () => {
    const f = (q: Tensor) => A.matmul(q).sub(b).square().sum().mul(0.5);
    const jH = jit(hessian(f));
    jH(x);
    const gram = vi.spyOn(gramSym_p, "impl");
    const out = jH(x.mul(-1)) as Tensor;
    expect(gram).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
    const AtA = A.T.matmul(A);
    const scale = Math.max(...Array.from(AtA.data, Math.abs));
    const od = out.data, ad = AtA.data;
    for (let i = 0; i < n * n; i++) expect(Math.abs(od[i]! - ad[i]!)).toBeLessThan(1e-12 * scale);
  });

  it("stays out of products that are not symmetric, and of narrow ones: those replay bit for bit", () => {
    const B = randn([m, n], { seed: 15 });
    // Hessian of Σ sin(Ax)·(Bx): Aᵀ D B + Bᵀ D A + …, no Aᵀ(d ∘ A).
    const f = (q: Tensor) => mc.sin(A.matmul(q)).mul(B.matmul(q)).sum();
    const H = hessian(f), jH = jit(H);
    jH(x);
    const gram = vi.spyOn(gramSym_p, "impl");
    expect(bitwise(jH(x) as Tensor, H(x))).toBe(true);
    expect(gram).not.toHaveBeenCalled();
    // Fewer than 8 columns: the full GEMM.
    const A6 = randn([m, 6], { seed: 16 }), x6 = randn([6], { seed: 17 });
    const g = (q: Tensor) => mc.softplus(y.mul(A6.matmul(q)).neg()).sum();
    const H6 = hessian(g), jH6 = jit(H6);
    jH6(x6);
    expect(bitwise(jH6(x6) as Tensor, H6(x6))).toBe(true);
    expect(gram).not.toHaveBeenCalled();
  });

  it("the pattern: same matrix on both sides (through views), weights one per row", () => {
    const mulP = mul_p as Primitive<unknown>, mmP = matmul_p as Primitive<unknown>;
    const P = randn([100, 50], { seed: 1 }), Q = randn([100, 50], { seed: 2 });
    const program = (w: Tensor, other = P) => {
      const steps: Step[] = [
        step(mulP, [konst(other), konst(w)], 0, [100, 50]),
        step(mmP, [konst(P), slot(0)], 1, [50, 50], { ta: 1, tb: 0 }),
      ];
      return symmetricProducts(steps, shapes(steps))[1]!.prim === (gramSym_p as Primitive<unknown>);
    };
    expect(program(randn([100, 1], { seed: 3 }))).toBe(true);
    expect(program(randn([1], { seed: 3 }))).toBe(true);
    expect(program(randn([1, 50], { seed: 3 }))).toBe(false); // column weights: Aᵀ A diag(w)
    expect(program(randn([100, 1], { seed: 3 }), Q)).toBe(false); // Aᵀ(d ∘ B)
    // sigmoid is not a view: its output is another matrix.
    const steps: Step[] = [
      step(sigmoid_p as Primitive<unknown>, [konst(P)], 0, [100, 50]),
      step(mmP, [konst(P), slot(0)], 1, [50, 50], { ta: 1, tb: 0 }),
    ];
    expect(symmetricProducts(steps, shapes(steps))[1]!.prim).toBe(mmP);
  });
});

describe("entrywise chains: one kernel call each, bit for bit", () => {
  /** Seeded entries with signed zeros, infinities and NaN mixed in. */
  const special = (shape: number[], seed: number): Tensor => {
    const t = randn(shape, { seed });
    const d = Float64Array.from(t.data);
    const odd = [0, -0, Infinity, -Infinity, NaN, 1e-300, -1e300];
    for (let i = 0; i < d.length; i += 13) d[i] = odd[(i / 13) % odd.length]!;
    return mc.tensor(d, shape, { order: "col" });
  };
  const same = (a: Tensor | Tensor[], b: Tensor | Tensor[]): boolean =>
    Array.isArray(a) ? a.every((t, i) => bitwise(t, (b as Tensor[])[i]!)) : bitwise(a, b as Tensor);

  // Every fused op and every compound form (a·b·c, a·b ± c, c − a·b, a·b ± c·d), operands
  // broadcast along rows, across rows and as scalars; a product read twice (not folded); a
  // value read after the chain and one returned (outputs); e·e reads one value twice.
  const program = (x: Tensor, r: Tensor, c: Tensor, s: Tensor): Tensor[] => {
    const p = x.mul(r);
    const q = p.add(c.mul(x)); //           a·b + c·d
    const u = q.sub(x.mul(s)); //           a·b − c (folded product on the right: c − a·b)
    const w = x.mul(c).mul(r).sub(p); //    (a·b)·c, then a value read twice (p)
    const e = mc.maximum(u, w.neg()).div(r);
    const g = mc.minimum(e.mul(e), q).add(x.mul(r).mul(s));
    return [g.sub(e), e, p.mul(q).sub(u.mul(w))]; // a·b − c·d; e and the last are results
  };

  it("rank 2 and 3, rows across tiles and odd tails: jit replays the unfused values exactly", () => {
    const cases: [number[], number[], number[]][] = [
      [[300, 7], [300, 1], [7]], //        rows of 300: a tile of 256 and one of 44
      [[257, 3], [1, 3], [257, 1]], //     odd length: scalar tails
      [[33, 5, 4], [33, 1, 4], [5, 1]], // rank 3, broadcast on the middle dim
    ];
    for (const [xs, rs, cs] of cases) {
      const spy = vi.spyOn(entrywiseChain_p, "impl");
      const jf = jit(program);
      const args = (k: number) => [special(xs, 10 + k), randn(rs, { seed: 20 + k }), randn(cs, { seed: 30 + k }), mc.scalar(0.75 + k)] as const;
      jf(...args(0));
      spy.mockClear();
      for (const k of [1, 2]) expect(same(jf(...args(k)), program(...args(k)))).toBe(true);
      // Everything has the chain's shape: one fused step per call.
      expect(spy).toHaveBeenCalledTimes(2);
      vi.restoreAllMocks();
    }
  });

  it("rows shorter than 16 entries stay unfused (and still replay exactly)", () => {
    const spy = vi.spyOn(entrywiseChain_p, "impl");
    const jf = jit(program);
    const args = (k: number) => [special([4, 300], k), randn([4, 1], { seed: 2 }), randn([300], { seed: 3 }), mc.scalar(2)] as const;
    jf(...args(1));
    expect(same(jf(...args(5)), program(...args(5)))).toBe(true);
    expect(spy).not.toHaveBeenCalled();
  });

  it("bmmLeft over one inner index is the outer product, entry by entry", () => {
    const a = special([37, 1, 3], 4), b = randn([6, 1], { seed: 5 });
    const out = bmmLeft_p.impl([a, b], { tb: 1 })[0]!;
    expect(out.shape).toEqual([37, 6, 3]);
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 6; j++) {
        for (let i = 0; i < 37; i++) expect(Object.is(out.get(i, j, k), a.get(i, 0, k) * b.get(j, 0))).toBe(true);
      }
    }
  });

  it("a single entry broadcast into a chain (a loss's cotangent 1) is read as that entry: no broadcast runs", () => {
    const A = randn([1000, 10], { seed: 1 }), x = randn([10], { seed: 3 }).mul(0.1);
    const y = mc.sign(randn([1000], { seed: 2 }));
    const f = (q: Tensor) => mc.softplus(y.mul(A.matmul(q)).neg()).sum();
    const g = mc.grad(f), jg = jit(g);
    jg(x);
    const bc = vi.spyOn(broadcastTo_p, "impl"), chain = vi.spyOn(entrywiseChain_p, "impl");
    const out = jg(x.mul(-2)) as Tensor;
    expect(bc).not.toHaveBeenCalled();
    expect(chain.mock.calls.some(([args]) => (args as Tensor[]).some((a) => a.size === 1))).toBe(true);
    vi.restoreAllMocks();
    expect(bitwise(out, g(x.mul(-2)))).toBe(true);
  });

  it("MLP Hessian: its tangent chains (outer products included) run fused, bit for bit", () => {
    const X = randn([64, 6], { seed: 5 }), Y = randn([64, 1], { seed: 6 });
    const p = { W1: randn([6, 5], { seed: 7 }), b1: randn([5], { seed: 8 }), W2: randn([5, 1], { seed: 9 }), b2: randn([1], { seed: 10 }) };
    const loss = (q: typeof p) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
    const H = hessian(loss, { chunkSize: 4 }), jH = jit(H);
    jH(p);
    const chain = vi.spyOn(entrywiseChain_p, "impl"), bmm = vi.spyOn(bmmLeft_p, "impl");
    const q = { ...p, W1: p.W1.mul(-0.5) };
    const out = jH(q) as Tensor;
    expect(chain.mock.calls.length).toBeGreaterThanOrEqual(13); // 13 chunks, at least one chain each
    // No outer product (a [64, 1, c] block times W2) runs on its own any more.
    expect(bmm.mock.calls.filter((c) => (c[0] as Tensor[])[0]!.shape[1] === 1)).toHaveLength(0);
    vi.restoreAllMocks();
    expect(bitwise(out, lowerMirrored(H(q)))).toBe(true);
  });
});

describe("Hessians in chunks: below the diagonal only (triangle.ts)", () => {
  // 41 parameters in chunks of 4: W1 (30) as 4×7 + 2, b1 and W2 as 3 + 2 each, b2 as 1.
  const X = randn([64, 6], { seed: 5 }), Y = randn([64, 1], { seed: 6 });
  const p = { W1: randn([6, 5], { seed: 7 }), b1: randn([5], { seed: 8 }), W2: randn([5, 1], { seed: 9 }), b2: randn([1], { seed: 10 }) };
  const loss = (q: typeof p) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();

  it("MLP: the W1 block's GEMM Xᵀ·δ runs only on columns at or below each chunk; the result is symmetric", () => {
    const H = hessian(loss, { chunkSize: 4 }), jH = jit(H);
    const first = jH(p) as Tensor; // recorded (dry, then replayed)
    const cols = vi.spyOn(matmulColumns_p, "impl");
    const q = { ...p, W1: p.W1.mul(0.7) };
    const out = jH(q) as Tensor;
    // W1 chunk g needs rows ≥ g of its [6, 5, c] gradient tangent: the GEMM columns (5 per
    // direction) below floor(g / 6) are skipped, keeping at least 2. Chunks g = 0, 4 skip
    // nothing (the full matmul runs); b1, W2, b2 need none of W1's rows (no kernel at all).
    const ranges = cols.mock.calls.map(([, params]) => (params as { ranges: number[] }).ranges);
    vi.restoreAllMocks();
    const skipped = ranges.map((r) => (r.length === 0 ? 5 : r[0]!));
    expect(skipped).toEqual([1, 2, 2, 3, 3, 3, 5, 5, 5, 5, 5]);
    for (const r of ranges) for (let i = 0; i < r.length; i += 2) expect(r[i + 1]! - r[i]!).toBeGreaterThanOrEqual(2);
    const n = 41;
    for (const [h, at] of [[out, q], [first, p]] as const) {
      expect(bitwise(h, lowerMirrored(H(at)))).toBe(true);
      for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) expect(Object.is(h.get(i, j), h.get(j, i))).toBe(true);
    }
  });

  it("Hessian of Σ tanh(AX) over vec(X): the closed form δᵢₖ Σ_q Aᵢq… mirrored exactly, through narrowed GEMMs", () => {
    // f = Σ tanh(A·X): H[(i,j),(k,l)] = δ_jl Σ_q A_qi A_qk s_qj with s = −2 t (1 − t²), t = tanh(AX).
    const A = randn([30, 8], { seed: 3 }), X0 = randn([8, 6], { seed: 1 }).mul(0.3);
    const f = (x: Tensor) => A.matmul(x).tanh().sum();
    const jH = jit(hessian(f, { chunkSize: 5 }));
    jH(X0);
    const cols = vi.spyOn(matmulColumns_p, "impl");
    const out = jH(X0) as Tensor;
    expect(cols.mock.calls.filter(([, pr]) => (pr as { ranges: number[] }).ranges.length > 0).length).toBeGreaterThan(0);
    vi.restoreAllMocks();
    const t = A.matmul(X0).tanh();
    const s = t.mul(t.square().neg().add(1)).mul(-2);
    for (let c1 = 0; c1 < 48; c1++) {
      for (let c2 = 0; c2 < 48; c2++) {
        const [i, j] = [c1 % 8, Math.floor(c1 / 8)], [k, l] = [c2 % 8, Math.floor(c2 / 8)];
        let h = 0;
        if (j === l) for (let qq = 0; qq < 30; qq++) h += A.get(qq, i) * A.get(qq, k) * s.get(qq, j);
        expect(Math.abs(out.get(c1, c2) - h)).toBeLessThan(1e-12);
        expect(Object.is(out.get(c1, c2), out.get(c2, c1))).toBe(true);
      }
    }
  });

  it("matmulColumns: the asked columns equal the full product's bit for bit, all four transpose flags", () => {
    const m = 7, k = 40, n = 12;
    for (const ta of [0, 1]) {
      for (const tb of [0, 1]) {
        const a = randn(ta ? [k, m] : [m, k], { seed: 20 + ta }), b = randn(tb ? [n, k] : [k, n], { seed: 30 + tb });
        const full = mc.matmul(ta ? a.T : a, tb ? b.T : b);
        scoped(() => {
          const [part] = matmulColumns_p.impl([a, b], { ta, tb, m, n, k, ranges: [2, 5, 9, 12] });
          for (const q of [2, 3, 4, 9, 10, 11]) for (let i = 0; i < m; i++) expect(Object.is(part!.get(i, q), full.get(i, q))).toBe(true);
        });
      }
    }
  });

  it("the pass: marks removed; a GEMM whose output another step reads is left whole", () => {
    const mmP = matmul_p as Primitive<unknown>, markP = demandRows_p as Primitive<unknown>, reshapeP = reshape_p as Primitive<unknown>;
    const A = randn([64, 6], { seed: 1 }), D = randn([64, 20], { seed: 2 });
    const program = (readTwice: boolean): Step[] => {
      const steps: Step[] = [
        step(mmP, [konst(A), konst(D)], 0, [6, 20], { ta: 1, tb: 0 }), // 6 × (5 columns × 4 directions)
        step(reshapeP, [slot(0)], 1, [30, 4], { shape: [30, 4] }),
        step(markP, [slot(1)], 2, [30, 4], { first: 24 }),
      ];
      if (readTwice) steps.push(step(neg_p as Primitive<unknown>, [slot(0)], 3, [6, 20]));
      return steps;
    };
    const outs: Ref[] = [slot(2)];
    const once = lowerTriangle(program(false), shapes(program(false)), outs);
    expect(outs).toEqual([slot(1)]);
    expect(once.map((s) => s.prim.name)).toEqual(["matmulColumns", "reshape"]);
    // Rows ≥ 24 of each 30-row column: GEMM columns 4 (of 0…4) and, kept 2 wide, 3.
    expect((once[0]!.params as { ranges: number[] }).ranges).toEqual([3, 5, 8, 10, 13, 15, 18, 20]);
    const twice = lowerTriangle(program(true), shapes(program(true)), [slot(2), slot(3)]);
    expect(twice.map((s) => s.prim.name)).toEqual(["matmul", "reshape", "neg"]);
  });
});
