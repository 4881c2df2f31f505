// The primitive gradient-check table, after JAX's tests/lax_autodiff_test.py: tests as data.
// One row per op (and per interesting shape/axis/broadcast variant), each with a generator
// suited to the op's domain. Every row goes through
//   1. checkGrads(f, args, { order: 2, modes: ['fwd', 'rev'] }): JVP vs a central difference,
//      ⟨Jᵀu, v⟩ vs ⟨u, J v⟩, then the same on the JVP and VJP functions (second order);
//   2. vmap consistency: vmap of the op over a leading batch axis (every argument batched,
//      and each argument batched alone) equals a loop over the batch, and so do vmap of its
//      JVP and vmap of its VJP;
// on both kernel builds (SIMD and scalar).
//
// Tolerances are tight on purpose: rtol 1e-6 for the gradient checks, with entries below
// atol = 1e-4 compared absolutely to 1e-10 (see ATOL); a rule that is off by 1e-4 relative
// fails (see "negative controls" at the end). vmap vs loop: 1e-12 of the result's scale.
import { mulberry32 } from "../../src/random.js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as mc from "../../src/index.js";
import { checkGrads, jvp, tensor, vjp, vmap, type Tensor } from "../../src/index.js";
import { permute } from "../../src/ops/permute.js"; // not exported publicly: internal import
import { bind1, primitive, type Primitive } from "../../src/core/primitive.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { ALL_PRIMITIVES } from "../../src/ops/primitives.js";
import * as linalg from "../../src/ops/linalg.js";

// ---------------------------------------------------------------------------------------
// Generators: (n, seed) → n entries. Each is chosen so central differences are valid:
// no kinks, ties or singularities within a perturbation (≈1e-4) of any entry.
// ---------------------------------------------------------------------------------------

type Gen = (n: number, seed: number) => Float64Array;

/** mulberry32 in [0, 1). */
function uniform01(seed: number): () => number {
  return mulberry32((seed * 2654435761) >>> 0);
}

/** Standard normal (Box–Muller), clipped to ±3 so exp/expm1 stay moderate. */
const normal: Gen = (n, seed) => {
  const r = uniform01(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[i] = Math.max(-3, Math.min(3, z));
  }
  return out;
};

const uniform = (lo: number, hi: number): Gen => (n, seed) => {
  const r = uniform01(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
};

/** (0.5, 2): log, sqrt, pow bases, norm inputs. */
const positive = uniform(0.5, 2);

/** ±(0.3, 1.5): denominators, abs and relu (kink at 0). */
const awayFromZero: Gen = (n, seed) => {
  const r = uniform01(seed);
  return Float64Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (0.3 + 1.2 * r()));
};

/** Entries pairwise ≥ 0.25 apart (a shuffled grid plus jitter): max reductions without ties. */
const distinct: Gen = (n, seed) => {
  const r = uniform01(seed);
  const vals = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.35 + (r() - 0.5) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [vals[i], vals[j]] = [vals[j]!, vals[i]!];
  }
  return Float64Array.from(vals);
};

/** Distinct absolute values ≥ 0.3 with random signs: the ∞-norm without ties or kinks. */
const distinctAbs: Gen = (n, seed) => {
  const r = uniform01(seed + 17);
  const d = distinct(n, seed);
  const lo = Math.min(...d);
  return d.map((v) => (v - lo + 0.3) * (r() < 0.5 ? -1 : 1));
};

/**
 * Odd and even multiples of 0.2 (plus ±0.03 jitter): any entry of `oddGrid` is ≥ 0.14 from
 * any entry of `evenGrid`, so maximum/minimum of the two never tie, even when broadcasting.
 */
const grid = (parity: 0 | 1): Gen => (n, seed) => {
  const r = uniform01(seed);
  return Float64Array.from({ length: n }, () => 0.2 * (2 * Math.floor(r() * 10 - 5) + parity) + (r() - 0.5) * 0.06);
};
const oddGrid = grid(1);
const evenGrid = grid(0);

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

interface Arg {
  shape: number[];
  gen: Gen;
}
const A = (shape: number[], gen: Gen = normal): Arg => ({ shape, gen });

type Fn = (...xs: Tensor[]) => Tensor;

interface Row {
  name: string;
  fn: Fn;
  args: Arg[];
  /** Finite-difference step (default 1e-5); changed only with a reason in a comment. */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Set when the op's derivative is wrong: the checkGrads case is skipped. Say why. */
  bug?: string;
  /** Set when its first derivative (the full-Jacobian case) is wrong too. */
  jacobianBug?: string;
  /** Set when vmap (of the op, its JVP or its VJP) is wrong or crashes. Say why. */
  vmapBug?: string;
  /** Skip the column-by-column full-Jacobian check (large inputs). */
  noJacobian?: boolean;
}

const rows: Row[] = [];
const row = (name: string, fn: Fn, args: Arg[], extra: Partial<Row> = {}): void => {
  rows.push({ name, fn, args, ...extra });
};

// Binary elementwise ops: same shape, and broadcasting against a row ([4]), a column ([3, 1])
// and a scalar ([]) on either side.
const BCAST: [string, number[], number[]][] = [
  ["[3,4]∘[3,4]", [3, 4], [3, 4]],
  ["[3,4]∘[4]", [3, 4], [4]],
  ["[3,4]∘[3,1]", [3, 4], [3, 1]],
  ["[3,1]∘[1,4]", [3, 1], [1, 4]],
  ["[4]∘[3,4]", [4], [3, 4]],
  ["[3,4]∘[]", [3, 4], []],
  ["[]∘[3,4]", [], [3, 4]],
];
const POW: Partial<Row> = { atol: 1e-3 };
for (const [tag, sa, sb] of BCAST) {
  row(`add ${tag}`, mc.add, [A(sa), A(sb)]);
  row(`sub ${tag}`, mc.sub, [A(sa), A(sb)]);
  row(`mul ${tag}`, mc.mul, [A(sa), A(sb)]);
  row(`div ${tag}`, mc.div, [A(sa), A(sb, awayFromZero)]);
  // atol 1e-3: aᵇ's second-order tangents mix entries ≈1e-6 (small bases, negative
  // exponents) with entries ≈10 whose differences carry roundoff ≈ ε·|f|/h ≈ 1e-10, so
  // entries below 1e-3 are compared absolutely (to 1e-9) instead.
  row(`pow ${tag}`, mc.pow, [A(sa, positive), A(sb, uniform(-1.5, 2.5))], POW);
  row(`maximum ${tag}`, mc.maximum, [A(sa, oddGrid), A(sb, evenGrid)]);
  row(`minimum ${tag}`, mc.minimum, [A(sa, evenGrid), A(sb, oddGrid)]);
}
row("pow x^3 (negative base, constant integer exponent)", (x) => mc.pow(x, 3), [A([3, 4], awayFromZero)]);
row("pow x^0.5 (constant exponent)", (x) => mc.pow(x, 0.5), [A([3, 4], positive)]);
row("pow 2^x (constant base)", (x) => mc.pow(2, x), [A([3, 4])]);
row("div 1/x (constant numerator)", (x) => mc.div(1, x), [A([3, 4], awayFromZero)]);
row("mul x·x (same argument twice)", (x) => mc.mul(x, x), [A([3, 4])]);

// Unary elementwise ops, on a non-square matrix and on a vector.
const UNARY: [string, (x: Tensor) => Tensor, Gen][] = [
  ["neg", mc.neg, normal],
  ["sqrt", mc.sqrt, positive],
  ["square", mc.square, normal],
  ["abs", mc.abs, awayFromZero],
  ["exp", mc.exp, normal],
  ["log", mc.log, positive],
  ["log1p", mc.log1p, uniform(-0.5, 2)],
  ["expm1", mc.expm1, normal],
  ["sin", mc.sin, normal],
  ["cos", mc.cos, normal],
  ["atan", mc.atan, normal],
  ["tanh", mc.tanh, normal],
  ["sigmoid", mc.sigmoid, normal],
  ["relu", mc.relu, awayFromZero],
  ["softplus", mc.softplus, normal],
  ["reciprocal", mc.reciprocal, awayFromZero],
];
for (const [name, f, gen] of UNARY) {
  row(`${name} [3,4]`, f, [A([3, 4], gen)]);
  row(`${name} [5]`, f, [A([5], gen)]);
}
row("exp [] (scalar)", mc.exp, [A([])]);
row("softplus large |x| (stable region)", mc.softplus, [A([6], (n, s) => uniform(20, 40)(n, s).map((v, i) => (i % 2 ? -v : v)))]);
row("sigmoid large |x| (stable region)", mc.sigmoid, [A([6], (n, s) => uniform(5, 15)(n, s).map((v, i) => (i % 2 ? -v : v)))]);

// Reductions.
for (const [tag, axis, keep] of [
  ["all", undefined, false],
  ["axis 0", 0, false],
  ["axis 1", 1, false],
  ["axis -1", -1, false],
  ["axes [0,1]", [0, 1], false],
  ["axis 0 keepdims", 0, true],
  ["axis 1 keepdims", 1, true],
  ["all keepdims", undefined, true],
] as [string, number | number[] | undefined, boolean][]) {
  row(`sum ${tag} [3,4]`, (x) => mc.sum(x, axis, keep), [A([3, 4])]);
  row(`mean ${tag} [3,4]`, (x) => mc.mean(x, axis, keep), [A([3, 4])]);
  row(`max ${tag} [3,4]`, (x) => mc.max(x, axis, keep), [A([3, 4], distinct)]);
  row(`logsumexp ${tag} [3,4]`, (x) => mc.logsumexp(x, axis, keep), [A([3, 4])]);
}
row("sum [5] (vector)", (x) => mc.sum(x), [A([5])]);
row("sum axes [0,2] [2,3,4] (non-adjacent)", (x) => mc.sum(x, [0, 2]), [A([2, 3, 4])]);
row("sum axis 1 [2,3,4]", (x) => mc.sum(x, 1), [A([2, 3, 4])]);
row("mean axes [1,2] keepdims [2,3,4]", (x) => mc.mean(x, [1, 2], true), [A([2, 3, 4])]);
row("max [5] (vector)", (x) => mc.max(x), [A([5], distinct)]);
row("max axes [0,2] [2,3,4]", (x) => mc.max(x, [0, 2]), [A([2, 3, 4], distinct)]);
row("logsumexp [5] (vector)", (x) => mc.logsumexp(x), [A([5])]);

// Matrix products.
row("matmul matrix·matrix [3,4]·[4,2]", mc.matmul, [A([3, 4]), A([4, 2])]);
row("matmul matrix·vector [3,4]·[4]", mc.matmul, [A([3, 4]), A([4])]);
row("matmul vector·matrix [3]·[3,4]", mc.matmul, [A([3]), A([3, 4])]);
row("matmul vector·vector [4]·[4]", mc.matmul, [A([4]), A([4])]);
row("matmul Aᵀ·B [4,3]ᵀ·[4,2]", (a, b) => mc.matmul(mc.transpose(a), b), [A([4, 3]), A([4, 2])]);
row("matmul A·Bᵀ [3,4]·[2,4]ᵀ", (a, b) => mc.matmul(a, mc.transpose(b)), [A([3, 4]), A([2, 4])]);
row("matmul X·Xᵀ (same argument twice)", (x) => mc.matmul(x, mc.transpose(x)), [A([3, 4])]);
row("dot vectors [5]", mc.dot, [A([5]), A([5])]);
row("dot matrices [3,4] (Frobenius)", mc.dot, [A([3, 4]), A([3, 4])]);
row("outer [3]⊗[4]", mc.outer, [A([3]), A([4])]);
row("kron [2,3]⊗[3,2]", mc.kron, [A([2, 3]), A([3, 2])]);
row("kron [2]⊗[3,2] (vector as column)", mc.kron, [A([2]), A([3, 2])]);
row("kronMatVec [2,3],[3,2],[6]", mc.kronMatVec, [A([2, 3]), A([3, 2]), A([6])]);
row("trace [4,4]", mc.trace, [A([4, 4])]);

// Structure.
row("transpose [3,4]", mc.transpose, [A([3, 4])]);
row("transpose [1,4] (free reshape path)", mc.transpose, [A([1, 4])]);
row("diag matrix→vector [3,4]", mc.diag, [A([3, 4])]);
row("diag matrix→vector [4,3]", mc.diag, [A([4, 3])]);
row("diag vector→matrix [3]", mc.diag, [A([3])]);
row("reshape [3,4]→[2,6]", (x) => mc.reshape(x, [2, 6]), [A([3, 4])]);
row("reshape [3,4]→[4,-1]", (x) => mc.reshape(x, [4, -1]), [A([3, 4])]);
row("reshape [3,4]→[2,3,2]", (x) => mc.reshape(x, [2, 3, 2]), [A([3, 4])]);
row("reshape [12]→[3,4]", (x) => mc.reshape(x, [3, 4]), [A([12])]);
row("vec [3,4]", mc.vec, [A([3, 4])]);
row("concat axis 0 [2,4]+[3,4]", (a, b) => mc.concat([a, b], 0), [A([2, 4]), A([3, 4])]);
row("concat axis 1 [3,2]+[3,4]", (a, b) => mc.concat([a, b], 1), [A([3, 2]), A([3, 4])]);
row("concat axis 0 vectors [2]+[3]+[1]", (a, b, c) => mc.concat([a, b, c], 0), [A([2]), A([3]), A([1])]);
row("concat axis -1 [3,2]+[3,1]", (a, b) => mc.concat([a, b], -1), [A([3, 2]), A([3, 1])]);
row("slice [4,5] start [1,2] size [2,3]", (x) => mc.slice(x, [1, 2], [2, 3]), [A([4, 5])]);
row("slice [4,5] start [1,0] size [-1,2]", (x) => mc.slice(x, [1, 0], [-1, 2]), [A([4, 5])]);
row("slice [6] start [2] size [3]", (x) => mc.slice(x, [2], [3]), [A([6])]);
row("permute [3,4] [1,0]", (x) => permute(x, [1, 0]), [A([3, 4])]);
row("permute [2,3,4] [2,0,1]", (x) => permute(x, [2, 0, 1]), [A([2, 3, 4])]);
row("permute [2,3,4] [0,2,1]", (x) => permute(x, [0, 2, 1]), [A([2, 3, 4])]);
row("broadcastTo [4]→[3,4]", (x) => mc.broadcastTo(x, [3, 4]), [A([4])]);
row("broadcastTo [3,1]→[3,4]", (x) => mc.broadcastTo(x, [3, 4]), [A([3, 1])]);
row("broadcastTo []→[2,3]", (x) => mc.broadcastTo(x, [2, 3]), [A([])]);
row("broadcastTo [1,4]→[2,3,4]", (x) => mc.broadcastTo(x, [2, 3, 4]), [A([1, 4])]);

// where: differentiable in its two value arguments; the condition is a fixed constant.
const COND_34 = tensor(Float64Array.from({ length: 12 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [3, 4]);
const COND_31 = tensor([[1], [0], [1]]);
row("where cond[3,4] a[3,4] b[3,4]", (a, b) => mc.where(COND_34, a, b), [A([3, 4]), A([3, 4])]);
row("where cond[3,1] a[3,4] b[4]", (a, b) => mc.where(COND_31, a, b), [A([3, 4]), A([4])]);
row("where cond[3,4] a[] b[3,1]", (a, b) => mc.where(COND_34, a, b), [A([]), A([3, 1])]);
// Comparisons are piecewise constant (JVP zero): masks of fixed data scaling x.
row("ge mask · x", (x) => mc.ge(C34, 0).mul(x), [A([3, 4])]);
row("le mask · x", (x) => mc.le(C34, 0).mul(x), [A([3, 4])]);
row("ne mask · x", (x) => mc.ne(C34, C34.mul(0)).mul(x), [A([3, 4])]);

// Norms and softmax family (composites).
row("norm 2 [5]", (x) => mc.norm(x, 2), [A([5])]);
row("norm default [5]", (x) => mc.norm(x), [A([5])]);
row("norm 1 [5]", (x) => mc.norm(x, 1), [A([5], awayFromZero)]);
row("norm 3 [5]", (x) => mc.norm(x, 3), [A([5], awayFromZero)]);
row("norm Infinity [5]", (x) => mc.norm(x, Infinity), [A([5], distinctAbs)]);
row("norm 'fro' [3,4]", (x) => mc.norm(x, "fro"), [A([3, 4])]);
row("norm default [3,4] (fro)", (x) => mc.norm(x), [A([3, 4])]);
row("sumSquares [3,4]", mc.sumSquares, [A([3, 4])]);
row("softmax [5]", (x) => mc.softmax(x), [A([5])]);
row("softmax [3,4] default axis (-1)", (x) => mc.softmax(x), [A([3, 4])]);
row("softmax [3,4] axis 0", (x) => mc.softmax(x, 0), [A([3, 4])]);
row("logSoftmax [5]", (x) => mc.logSoftmax(x), [A([5])]);
row("logSoftmax [3,4] default axis (-1)", (x) => mc.logSoftmax(x), [A([3, 4])]);
row("logSoftmax [3,4] axis 0", (x) => mc.logSoftmax(x, 0), [A([3, 4])]);

// Larger, odd shapes: past the kernels' unrolled/SIMD blocks, with the transposed GEMM
// variants that only derivative rules produce.
row("matmul large [13,9]·[9,11]", mc.matmul, [A([13, 9]), A([9, 11])]);
row("matmul large [9,13]·[13]", mc.matmul, [A([9, 13]), A([13])]);
row("matmul large [17]·[17,6]", mc.matmul, [A([17]), A([17, 6])]);
row("transpose large [9,13]", mc.transpose, [A([9, 13])]);
row("sum axis 0 large [17,9]", (x) => mc.sum(x, 0), [A([17, 9])]);
row("sum axis 1 large [17,9]", (x) => mc.sum(x, 1), [A([17, 9])]);
row("max axis 0 large [17,9]", (x) => mc.max(x, 0), [A([17, 9], distinct)]);
row("max axis 1 large [9,17]", (x) => mc.max(x, 1), [A([9, 17], distinct)]);
row("add large [9,13]∘[13]", mc.add, [A([9, 13]), A([13])]);
row("mul large [9,13]∘[9,1]", mc.mul, [A([9, 13]), A([9, 1])]);
row("tanh large [33]", mc.tanh, [A([33])]);
row("softmax large [9,7] axis 0", (x) => mc.softmax(x, 0), [A([9, 7])]);
row("kron large [3,4]⊗[4,3]", mc.kron, [A([3, 4]), A([4, 3])]);
row("kronMatVec large [3,4],[5,2],[8]", mc.kronMatVec, [A([3, 4]), A([5, 2]), A([8])]);
row("norm 2 large [37]", (x) => mc.norm(x, 2), [A([37])]);

// One operand a constant (captured, not differentiated): the JVP rules' paths where one
// tangent is a symbolic zero and the other is broadcast to the output (`fit`), and the
// transposes that then unbroadcast only one side.
const C = (shape: number[], gen: Gen = normal, seed = 4711): Tensor => tensor(gen(shape.reduce((x, y) => x * y, 1), seed), shape);
const C34 = C([3, 4]), C31 = C([3, 1]);
const C34pos = C([3, 4], positive), C31pos = C([3, 1], positive);
const C34away = C([3, 4], awayFromZero);
const C34even = C([3, 4], evenGrid), C31even = C([3, 1], evenGrid);
row("add x[4] + C[3,4]", (x) => mc.add(x, C34), [A([4])]);
row("add C[3,1] + x[3,4]", (x) => mc.add(C31, x), [A([3, 4])]);
row("sub x[4] − C[3,4]", (x) => mc.sub(x, C34), [A([4])]);
row("sub C[3,1] − x[3,4]", (x) => mc.sub(C31, x), [A([3, 4])]);
row("mul x[4] · C[3,4]", (x) => mc.mul(x, C34), [A([4])]);
row("mul C[3,1] · x[3,4]", (x) => mc.mul(C31, x), [A([3, 4])]);
row("div x[4] / C[3,4]", (x) => mc.div(x, C34away), [A([4])]);
row("div C[3,1] / x[3,4]", (x) => mc.div(C31, x), [A([3, 4], awayFromZero)]);
row("div C[3,4] / x[4]", (x) => mc.div(C34, x), [A([4], awayFromZero)]);
row("pow x[4] ^ C[3,4]", (x) => mc.pow(x, C34), [A([4], positive)], POW); // atol: see pow above
row("pow C[3,1] ^ x[3,4]", (x) => mc.pow(C31pos, x), [A([3, 4])], POW);
row("pow C[3,4] ^ x[4]", (x) => mc.pow(C34pos, x), [A([4])], POW);
row("maximum x[4], C[3,4]", (x) => mc.maximum(x, C34even), [A([4], oddGrid)]);
row("maximum C[3,1], x[3,4]", (x) => mc.maximum(C31even, x), [A([3, 4], oddGrid)]);
row("minimum x[4], C[3,4]", (x) => mc.minimum(x, C34even), [A([4], oddGrid)]);
row("minimum C[3,1], x[3,4]", (x) => mc.minimum(C31even, x), [A([3, 4], oddGrid)]);
row("where cond[3,4] x[4] C[3,4]", (x) => mc.where(COND_34, x, C34), [A([4])]);
row("where cond[3,1] C[3,4] x[3,4]", (x) => mc.where(COND_31, C34, x), [A([3, 4])]);
row("concat [x, C] axis 1", (x) => mc.concat([x, C31], 1), [A([3, 4])]);
row("concat [C, x, C] axis 0", (x) => mc.concat([C34, x, C34], 0), [A([2, 4])]);
row("matmul C[3,4]·x[4,2]", (x) => mc.matmul(C34, x), [A([4, 2])]);
row("matmul x[2,3]·C[3,4]", (x) => mc.matmul(x, C34), [A([2, 3])]);
row("matmul x[3]·C[3,4]", (x) => mc.matmul(x, C34), [A([3])]);
row("matmul C[3,4]·x[4]", (x) => mc.matmul(C34, x), [A([4])]);
row("dot C[3,4], x[3,4]", (x) => mc.dot(C34, x), [A([3, 4])]);
row("outer x[3], C[4]", (x) => mc.outer(x, C([4])), [A([3])]);
row("kron C[3,1] ⊗ x[2,3]", (x) => mc.kron(C31, x), [A([2, 3])]);
row("kron x[2,3] ⊗ C[3,4]", (x) => mc.kron(x, C34), [A([2, 3])]);
row("kronMatVec C[2,3], C[3,2], x[6]", (x) => mc.kronMatVec(C([2, 3]), C([3, 2], normal, 9), x), [A([6])]);
row("kronMatVec x[2,3], C[3,2], C[6]", (x) => mc.kronMatVec(x, C([3, 2]), C([6], normal, 9)), [A([2, 3])]);
row("kronMatVec C[2,3], x[3,2], C[6]", (x) => mc.kronMatVec(C([2, 3]), x, C([6], normal, 9)), [A([3, 2])]);

// Rank 3 (the batching trace adds a fourth axis): broadcasting across non-trailing axes.
row("add [2,3,4]∘[3,1]", mc.add, [A([2, 3, 4]), A([3, 1])]);
row("mul [2,1,4]∘[3,1]", mc.mul, [A([2, 1, 4]), A([3, 1])]);
row("div [2,3,4]∘[2,1,1]", mc.div, [A([2, 3, 4]), A([2, 1, 1], awayFromZero)]);
row("maximum [2,3,1]∘[4]", mc.maximum, [A([2, 3, 1], oddGrid), A([4], evenGrid)]);
row("where cond[3,4] a[2,3,4] b[2,1,4]", (a, b) => mc.where(COND_34, a, b), [A([2, 3, 4]), A([2, 1, 4])]);

// Derivatives AT zero of xⁿ (integer n ≥ 0), where b·aᵇ⁻¹ meets 0⁻¹: the derivative of
// order n + 1 is 0, and JAX gets 0 (its pow JVP takes the base term as 0 where b = 0).
// Inputs contain exact zeros; central differences there are exact for polynomials.
const withZeros: Gen = (n, seed) => awayFromZero(n, seed).map((v, i) => (i % 2 === 0 ? 0 : v));
// Was a bug (fixed): pow's JVP computed b·pow(a, b − 1) with no guard for b = 0, so d/dx x⁰ at
// x = 0 was 0·0⁻¹ = NaN (should be 0). Repro: grad((x) => mc.sum(mc.pow(x, 0)))(tensor([0, 1])) → [NaN, 0].
row("pow x^0 at x = 0", (x) => mc.pow(x, 0), [A([6], withZeros)]);
// Was a bug (fixed), same cause one order up: the second derivative of x¹ at 0 is 1·0·0⁻¹ = NaN (should be 0).
// Repro: hessian((x) => mc.sum(mc.pow(x, 1)))(tensor([0, 1])) → [[NaN, 0], [NaN, 0]].
row("pow x^1 at x = 0 (second derivative)", (x) => mc.pow(x, 1), [A([6], withZeros)]);
// Was a bug (fixed): the third derivative of x² at 0 (2·1·0·0⁻¹ = NaN; should be 0).
// Repro: jacobian((x) => hessian((y) => mc.sum(mc.pow(y, 2)))(x))(tensor([0])) → [[NaN]].
row("3rd order (jvp) pow x^2 at x = 0", (x) => jvp((y: Tensor) => mc.pow(y, 2), [x], [tensor(normal(6, 4242), [6])])[1] as Tensor, [A([6], withZeros)]);
row("pow x^2 at x = 0 (first and second derivatives)", (x) => mc.pow(x, 2), [A([6], withZeros)]);
// eps 1e-6: the central difference of x³ at 0 is h²·v³, not 0; h = 1e-6 makes that 1e-12.
row("pow x^3 at x = 0", (x) => mc.pow(x, 3), [A([6], withZeros)], { eps: 1e-6 });
row("pow 0^b (derivative in b)", (b) => mc.pow(tensor(new Float64Array(6), [6]), b), [A([6], uniform(0.5, 3))]);

// Size-1 axes: broadcasting, collapsing and batch alignment at their edge.
row("sum axis 1 [3,1]", (x) => mc.sum(x, 1), [A([3, 1])]);
row("max axis 0 [1,4]", (x) => mc.max(x, 0), [A([1, 4], distinct)]);
row("matmul [1,4]·[4,1]", mc.matmul, [A([1, 4]), A([4, 1])]);
row("matmul [3,1]·[1,4] (rank-1 update)", mc.matmul, [A([3, 1]), A([1, 4])]);
row("transpose [4,1]", mc.transpose, [A([4, 1])]);
row("softmax [1,4] axis 0 (constant 1)", (x) => mc.softmax(x, 0), [A([1, 4])]);
row("concat [1,4]+[2,4] axis 0", (a, b) => mc.concat([a, b], 0), [A([1, 4]), A([2, 4])]);
row("mul [1]∘[3,1]", mc.mul, [A([1]), A([3, 1])]);
row("logsumexp axis 1 [3,1]", (x) => mc.logsumexp(x, 1), [A([3, 1])]);

// Third order: checkGrads (order 2) of a JVP or a VJP of the op checks its third derivatives
// (and the second derivatives of every rule its rules are built from).
const fixed = (shape: readonly number[], seed: number): Tensor => tensor(normal(shape.reduce((x, y) => x * y, 1), seed), shape);
const third = (name: string, f: (x: Tensor) => Tensor, arg: Arg): void => {
  row(`3rd order (jvp) ${name}`, (x) => jvp(f, [x], [fixed(x.shape, 4242)])[1] as Tensor, [arg]);
  row(`3rd order (vjp) ${name}`, (x) => {
    const [y, back] = vjp(f, x);
    return back(fixed((y as Tensor).shape, 4343))[0] as Tensor;
  }, [arg]);
};
for (const [name, f, gen] of UNARY) if (name !== "neg") third(name, f, A([5], gen));
third("pow x^2.5", (x) => mc.pow(x, 2.5), A([5], positive));
third("pow 1.7^x", (x) => mc.pow(1.7, x), A([5]));
third("div C/x", (x) => mc.div(C([5]), x), A([5], awayFromZero));
third("matmul X·Xᵀ", (x) => mc.matmul(x, mc.transpose(x)), A([3, 4]));
third("softmax axis 0", (x) => mc.softmax(x, 0), A([3, 4]));
third("logSoftmax", (x) => mc.logSoftmax(x), A([3, 4]));
third("logsumexp", (x) => mc.logsumexp(x), A([3, 4]));
third("norm 2", (x) => mc.norm(x), A([5]));
third("norm 3", (x) => mc.norm(x, 3), A([5], awayFromZero));
third("norm 'fro'", (x) => mc.norm(x, "fro"), A([3, 4]));
third("max axis 1", (x) => mc.max(x, 1), A([3, 4], distinct));
third("maximum(x, C)", (x) => mc.maximum(x, C([3, 4], evenGrid)), A([3, 4], oddGrid));
third("mul x·sin(x)", (x) => mc.mul(x, mc.sin(x)), A([3, 4]));

// Larger shapes still: past GEMM/transposition blocking and the reductions' pairwise blocks,
// and unary kernels over many lanes (the SIMD body plus a scalar tail). No full Jacobian
// (`noJacobian`): its column-by-column differences would dominate the run time. atol 1e-3:
// among thousands of tangent entries some are near 0 by cancellation while their
// differences keep the O(1e-10) error of their neighbours; they compare absolutely to 1e-9.
const BIG: Partial<Row> = { noJacobian: true, atol: 1e-3 };
row("matmul big [33,17]·[17,29]", mc.matmul, [A([33, 17]), A([17, 29])], BIG);
row("matmul big [65,9]·[9]", mc.matmul, [A([65, 9]), A([9])], BIG);
row("matmul big [9]·[9,65]", mc.matmul, [A([9]), A([9, 65])], BIG);
row("matmul big X·Xᵀ [31,18]", (x) => mc.matmul(x, mc.transpose(x)), [A([31, 18])], BIG);
row("transpose big [33,65]", mc.transpose, [A([33, 65])], BIG);
row("sum all big [65,33]", (x) => mc.sum(x), [A([65, 33])], BIG);
row("sum axis 0 big [65,33]", (x) => mc.sum(x, 0), [A([65, 33])], BIG);
row("sum axis 1 big [65,33]", (x) => mc.sum(x, 1), [A([65, 33])], BIG);
row("max axis 1 big [33,65]", (x) => mc.max(x, 1), [A([33, 65], distinct)], BIG);
row("max all big [33,65]", (x) => mc.max(x), [A([33, 65], distinct)], BIG);
row("add big [33,65]∘[65]", mc.add, [A([33, 65]), A([65])], BIG);
row("mul big [33,65]∘[33,1]", mc.mul, [A([33, 65]), A([33, 1])], BIG);
// Numerators in [-1, 1], denominators ±[1, 2], eps 4e-6 and atol 1e-2 here. Over 2145
// entries the small rows' ranges (a up to 3, b down to 0.3) always pair some second-order
// tangents (2a·v²/b³) of ≈ 1e3 with derivatives of ≈ 1e-3, and the differences' roundoff
// (ε·|f|/h) plus truncation (the third derivative is 24a·v⁴/b⁵) then exceed 1e-6 relative at
// any step. Even here tangents of ≈ 10 next to derivatives of ≈ 1e-4 leave roundoff of
// ≈ 2.5e-10, hence the atol (entries below 1e-2 compare absolutely, to 1e-8). The rule
// itself is checked on the harder ranges by the small div rows.
const mildDen: Gen = (n, seed) => awayFromZero(n, seed).map((v) => Math.sign(v) * (1 + (Math.abs(v) - 0.3) / 1.2));
row("div big [33,65]∘[65]", mc.div, [A([33, 65], uniform(-1, 1)), A([65], mildDen)], { ...BIG, eps: 4e-6, atol: 1e-2 });
row("maximum big [33,65]∘[65]", mc.maximum, [A([33, 65], oddGrid), A([65], evenGrid)], BIG);
for (const [name, f, gen] of UNARY) row(`${name} big [257]`, f, [A([257], gen)], BIG);
row("kron big [5,7]⊗[6,3]", mc.kron, [A([5, 7]), A([6, 3])], BIG);
row("softmax big [33,17] axis 0", (x) => mc.softmax(x, 0), [A([33, 17])], BIG);
row("logsumexp big axis 1 [33,17]", (x) => mc.logsumexp(x, 1), [A([33, 17])], BIG);
row("norm 2 big [1000]", (x) => mc.norm(x), [A([1000])], BIG);

// Wide argument ranges: every branch of the unary kernels (polynomial cores, argument
// reduction, saturation/clamping). checkGrads takes one step for all entries, scaled by the
// largest |x|, so these use eps 1e-7: with |x| ≤ 50 the step is ≤ 5e-6, truncation error
// ≈ h²·|f‴|/6 ≤ 1e-10 and roundoff ≈ ε·|f|/h ≤ 1e-10 for |f| ≤ 3 (measured: ≤ 4e-11 on
// entries of 1e-4); atol 1e-3 so that entries below 1e-3 (saturated tails, cos near its
// zeros) compare absolutely to 1e-9, ten times that noise.
const WIDE: Partial<Row> = { eps: 1e-7, atol: 1e-3 };
const symmetric = (lo: number, hi: number): Gen => (n, seed) => uniform(lo, hi)(n, seed).map((v, i) => (i % 2 ? -v : v));
row("tanh wide ±[0.3, 25]", mc.tanh, [A([16], symmetric(0.3, 25))], WIDE);
row("sigmoid wide ±[0.3, 40]", mc.sigmoid, [A([16], symmetric(0.3, 40))], WIDE);
row("softplus wide ±[0.3, 40]", mc.softplus, [A([16], symmetric(0.3, 40))], WIDE);
row("exp wide [-30, 30]", mc.exp, [A([16], uniform(-30, 30))], WIDE);
row("expm1 wide [-30, 30]", mc.expm1, [A([16], uniform(-30, 30))], WIDE);
row("expm1 small ±[1e-3, 0.4]", mc.expm1, [A([16], symmetric(1e-3, 0.4))], WIDE);
row("log1p small ±[1e-3, 0.4]", mc.log1p, [A([16], symmetric(1e-3, 0.4))], WIDE);
row("log1p wide [0, 40]", mc.log1p, [A([16], uniform(0, 40))], WIDE);
row("log wide [0.5, 50]", mc.log, [A([16], uniform(0.5, 50))], WIDE);
row("sqrt wide [0.5, 50]", mc.sqrt, [A([16], uniform(0.5, 50))], WIDE);
row("sin wide [-50, 50]", mc.sin, [A([16], uniform(-50, 50))], WIDE);
row("cos wide [-50, 50]", mc.cos, [A([16], uniform(-50, 50))], WIDE);
row("atan wide ±[0.3, 50]", mc.atan, [A([16], symmetric(0.3, 50))], WIDE);
row("reciprocal wide ±[0.5, 50]", mc.reciprocal, [A([16], symmetric(0.5, 50))], WIDE);
// logsumexp ≈ 30 while most of its derivatives are e⁻¹⁷-small: the differences' roundoff
// ε·30/h must stay below rtol·atol, so eps 1e-6 (h = 3e-5, roundoff ≈ 2e-10) and atol 1e-3
// (entries below 1e-3 compare absolutely, to 1e-9).
const WIDE_LSE: Partial<Row> = { eps: 1e-6, atol: 1e-3 };
row("logsumexp wide [-30, 30]", (x) => mc.logsumexp(x), [A([16], uniform(-30, 30))], WIDE_LSE);
row("softmax wide [-30, 30]", (x) => mc.softmax(x), [A([16], uniform(-30, 30))], WIDE_LSE);

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % 100000;
}

function argsFor(r: Row, seed: number): Tensor[] {
  return r.args.map((a, i) => tensor(a.gen(a.shape.reduce((x, y) => x * y, 1), seed + 7 * i + 1), a.shape));
}

const B = 3;
/**
 * Default `atol` of the checks: the floor of the relative error's denominator, so an entry
 * below it must match to rtol·atol = 1e-10 absolutely. The central difference's own roundoff
 * is ε·|f|/h ≈ 2e-16·|f|/1e-5 ≈ 2e-11·|f|, so a floor much below 1e-4 would fail correct
 * rules on entries that happen to be tiny (cancellations, saturated tails) and pass or fail
 * by the luck of the seed. A wrong rule still fails: its error is far above 1e-10.
 */
const ATOL = 1e-4;
/** Set PRIM_REPORT=1 to print every row's worst error (to see how far each is from rtol). */
const REPORT = ((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {})["PRIM_REPORT"] === "1";

/** Stacks B equal-shape tensors along a new leading axis (column-major: index b fastest). */
function stackLead(xs: readonly Tensor[]): Tensor {
  const n = xs[0]!.size;
  const out = new Float64Array(n * xs.length);
  xs.forEach((x, b) => {
    const d = x.data;
    for (let k = 0; k < n; k++) out[b + xs.length * k] = d[k]!;
  });
  return tensor(out, [xs.length, ...xs[0]!.shape], { order: "col" });
}

/**
 * Compares a vmapped result ([B, ...shape]) with a loop's results, to 1e-12 of their finite
 * scale. Non-finite entries must match exactly (NaN where the loop has NaN): vmap must agree
 * with the loop even where the op's value or derivative is not finite.
 */
function expectStacked(what: string, got: Tensor, loop: readonly Tensor[]): void {
  const ref = stackLead(loop);
  expect(got.shape, `${what}: shape`).toEqual(ref.shape);
  const g = got.data, r = ref.data;
  let scale = 1;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i]!)) scale = Math.max(scale, Math.abs(r[i]!));
  let worst = 0, at = -1;
  for (let i = 0; i < r.length; i++) {
    const e = Object.is(g[i], r[i]) || g[i] === r[i] ? 0 : Math.abs(g[i]! - r[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `${what}: entry ${at}: vmap ${g[at]} vs loop ${r[at]}`).toBeLessThanOrEqual(1e-12 * scale);
}

/** vmap(f) over a leading axis for the batched args (mask), against a loop over members. */
function checkVmap(what: string, f: (...xs: Tensor[]) => unknown, members: Tensor[][], mask: boolean[]): void {
  const batchedArgs = mask.map((m, i) => (m ? stackLead(members.map((ms) => ms[i]!)) : members[0]![i]!));
  const got = vmap(f, { inAxes: mask.map((m) => (m ? 0 : null)) })(...batchedArgs);
  const loop = members.map((ms) => f(...mask.map((m, i) => (m ? ms[i]! : members[0]![i]!))));
  const gotLeaves = Array.isArray(got) ? (got as Tensor[]) : [got as Tensor];
  const loopLeaves = loop.map((l) => (Array.isArray(l) ? (l as Tensor[]) : [l as Tensor]));
  expect(gotLeaves.length, `${what}: number of outputs`).toBe(loopLeaves[0]!.length);
  gotLeaves.forEach((g, k) => expectStacked(`${what} output ${k}`, g, loopLeaves.map((l) => l[k]!)));
}

function runVmapChecks(r: Row, seed: number): void {
  const nargs = r.args.length;
  const members = Array.from({ length: B }, (_, b) => argsFor(r, seed + 1000 * (b + 1)));
  // The op itself: all arguments batched, then each batched alone (exercises batch rules
  // that mix batched and unbatched operands).
  const masks: boolean[][] = [r.args.map(() => true)];
  if (nargs > 1) for (let i = 0; i < nargs; i++) masks.push(r.args.map((_, j) => j === i));
  for (const m of masks) checkVmap(`vmap ${r.name} inAxes ${JSON.stringify(m.map((x) => (x ? 0 : null)))}`, r.fn, members, m);
  // Its JVP: primals and tangents batched.
  const tangents = Array.from({ length: B }, (_, b) => r.args.map((a, i) => tensor(normal(a.shape.reduce((x, y) => x * y, 1), seed + 50 * b + i + 3), a.shape)));
  const jvpFn = (...xs: Tensor[]): Tensor => jvp(r.fn, xs.slice(0, nargs), xs.slice(nargs))[1] as Tensor;
  checkVmap(`vmap of the JVP of ${r.name}`, jvpFn, members.map((ms, b) => [...ms, ...tangents[b]!]), Array(2 * nargs).fill(true));
  // Its VJP: primals and output cotangents batched.
  const outShape = (r.fn(...members[0]!) as Tensor).shape;
  const cts = Array.from({ length: B }, (_, b) => tensor(normal(outShape.reduce((x, y) => x * y, 1), seed + 70 * b + 5), outShape));
  const vjpFn = (...xs: Tensor[]): Tensor[] => vjp(r.fn, ...xs.slice(0, nargs))[1](xs[nargs]) as Tensor[];
  checkVmap(`vmap of the VJP of ${r.name}`, vjpFn, members.map((ms, b) => [...ms, cts[b]!]), Array(nargs + 1).fill(true));
}

describe.each(BUILDS)("primitive table ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it("every declared primitive is run by some row (ALL_PRIMITIVES, derived from the declarations)", () => {
    // Primitives that only rules bind: the rows reach them through derivatives and batching
    // (tanh's and sigmoid's derivatives go through their slope primitives, slice's transpose
    // is pad, matmul's batch rule is bmmLeft); basisColumns makes jacobian's and hessian's seed
    // chunks (no inputs, so no rule to check: test/ad/basis.test.ts).
    const viaRules = new Set(["tanhSlope", "sigmoidSlope", "pad", "bmmLeft", "basisColumns"]);
    // The linear-algebra primitives have their own checkGrads table (test/linalg/primitives.test.ts).
    const linalgPrims = new Set(Object.values(linalg));
    // An eager top-level call of a primitive with `run1` runs that instead of impl (apply1).
    const spies = ALL_PRIMITIVES.filter((p) => !linalgPrims.has(p)).map((p) => [p, vi.spyOn(p, "impl"), p.run1 === undefined ? null : vi.spyOn(p as { run1: NonNullable<typeof p.run1> }, "run1")] as const);
    try {
      for (const r of rows) r.fn(...argsFor(r, seedOf(r.name)));
      const unrun = spies.filter(([p, spy, run1]) => spy.mock.calls.length === 0 && (run1?.mock.calls.length ?? 0) === 0 && !viaRules.has(p.name)).map(([p]) => p.name);
      expect(unrun.join(", ")).toBe("");
      expect(spies.length).toBeGreaterThan(40);
    } finally {
      for (const [, spy, run1] of spies) {
        spy.mockRestore();
        run1?.mockRestore();
      }
    }
  });

  it("the table covers every op of the brief", () => {
    const names = rows.map((r) => r.name.split(" ")[0]);
    for (const op of [
      "add", "sub", "mul", "div", "neg", "pow", "sqrt", "square", "abs", "exp", "log", "log1p", "expm1", "sin", "cos",
      "atan", "tanh", "sigmoid", "relu", "softplus", "maximum", "minimum", "sum", "mean", "max", "matmul", "transpose",
      "dot", "outer", "trace", "diag", "reshape", "vec", "kron", "kronMatVec", "concat", "slice", "permute",
      "broadcastTo", "where", "norm", "softmax", "logSoftmax", "logsumexp",
    ]) {
      expect(names, op).toContain(op);
    }
  });

  describe("checkGrads order 2, fwd and rev", () => {
    for (const r of rows) {
      const test = r.bug ? it.skip : it;
      test(r.name, () => {
        const seed = seedOf(r.name);
        const args = argsFor(r, seed);
        const rep = checkGrads(r.fn, args, {
          order: 2,
          modes: ["fwd", "rev"],
          eps: r.eps ?? 1e-5,
          rtol: r.rtol ?? 1e-6,
          atol: r.atol ?? ATOL,
          seed,
        });
        expect(rep.comparisons).toBeGreaterThan(0);
        if (REPORT) console.log(`[margin] ${rep.maxError.toExponential(2)} ${r.name} | ${rep.message}`);
        expect(rep.ok, `${r.name} (seed ${seed}): ${rep.message}`).toBe(true);
      });
    }
  });

  describe("vmap over a leading axis equals a loop (op, JVP, VJP)", () => {
    for (const r of rows) {
      const test = r.vmapBug ? it.skip : it;
      test(r.name, () => runVmapChecks(r, seedOf(r.name)));
    }
  });

  // Full Jacobians (fwd and rev, basis pushed as one batched pass) against central
  // differences column by column: exercises the batch rules of every transpose rule.
  describe("checkJacobian (fwd and rev) against central differences", () => {
    for (const r of rows) {
      if (r.noJacobian) continue;
      const test = r.jacobianBug ? it.skip : it;
      test(r.name, () => {
        const seed = seedOf(r.name);
        const args = argsFor(r, seed);
        const f = (xs: Tensor[]): Tensor => r.fn(...xs);
        const rep = mc.checkJacobian(f, args, { eps: r.eps ?? 1e-5, rtol: r.rtol ?? 1e-6, atol: r.atol ?? ATOL });
        if (REPORT) console.log(`[margin] ${rep.maxError.toExponential(2)} ${r.name} | ${rep.message}`);
        expect(rep.ok, `${r.name} (seed ${seed}): ${rep.message}`).toBe(true);
      });
    }
  });

  // Conventions where the derivative is not classically defined (JAX's choices), and values
  // at special inputs that the rules and composites must respect. Exact expectations.
  describe("conventions at kinks, ties and special values", () => {
    const g1 = (f: (x: Tensor) => Tensor, x: number[]): number[] => Array.from((mc.grad((v: Tensor) => mc.sum(f(v)))(tensor(x)) as Tensor).data);
    it("abs′(0) = 0 and relu′(0) = 0; second derivatives 0", () => {
      expect(g1(mc.abs, [0, 2, -2])).toEqual([0, 1, -1]);
      expect(g1(mc.relu, [0, 2, -2])).toEqual([0, 1, 0]);
      expect(Array.from(mc.hessian((v: Tensor) => mc.sum(mc.relu(v)))(tensor([0, 2])).data)).toEqual([0, 0, 0, 0]);
    });
    it("maximum/minimum ties share the tangent equally", () => {
      const [ga, gb] = mc.grad((a: Tensor, b: Tensor) => mc.sum(mc.maximum(a, b)), { argnums: [0, 1] })(tensor([1, 2]), tensor([1, 3])) as Tensor[];
      expect(Array.from(ga!.data)).toEqual([0.5, 0]);
      expect(Array.from(gb!.data)).toEqual([0.5, 1]);
      const [ma, mb] = mc.grad((a: Tensor, b: Tensor) => mc.sum(mc.minimum(a, b)), { argnums: [0, 1] })(tensor([1, 2]), tensor([1, 3])) as Tensor[];
      expect(Array.from(ma!.data)).toEqual([0.5, 1]);
      expect(Array.from(mb!.data)).toEqual([0.5, 0]);
    });
    it("max reductions split the tangent among tied maxima", () => {
      expect(g1((v) => mc.max(v), [1, 3, 3])).toEqual([0, 0.5, 0.5]);
      expect(Array.from((mc.grad((v: Tensor) => mc.sum(mc.max(v, 0)))(tensor([[1, 3], [1, 2]])) as Tensor).data)).toEqual([0.5, 0.5, 1, 0]);
      expect(g1((v) => mc.norm(v, Infinity), [-2, 2, 1])).toEqual([-0.5, 0.5, 0]);
    });
    it("pow: d/dx x² at 0 is 0, d/db 0ᵇ is 0 (no NaN from log 0)", () => {
      expect(g1((v) => mc.pow(v, 2), [0, 1])).toEqual([0, 2]);
      expect(Array.from((mc.grad((b: Tensor) => mc.sum(mc.pow(tensor([0, 2]), b)))(tensor([2, 2])) as Tensor).data)).toEqual([0, 4 * Math.log(2)]);
    });
    // Was a bug (fixed): pow's JVP took b·aᵇ⁻¹ even where b = 0 (0·0⁻¹ = NaN); see the "pow x^0 at x = 0"
    // rows. Repro: grad((x) => mc.sum(mc.pow(x, 0)))(tensor([0])) → [NaN], JAX gives [0].
    it("pow: d/dx x⁰ at 0 is 0 and d²/dx² x¹ at 0 is 0 (JAX's convention)", () => {
      expect(g1((v) => mc.pow(v, 0), [0, 1])).toEqual([0, 0]);
      expect(Array.from(mc.hessian((v: Tensor) => mc.sum(mc.pow(v, 1)))(tensor([0, 1])).data)).toEqual([0, 0, 0, 0]);
    });
    it("logsumexp, softmax and logSoftmax with −∞ entries (masking)", () => {
      expect(mc.logsumexp(tensor([-Infinity, 1])).item()).toBe(1);
      expect(g1((v) => mc.logsumexp(v), [-Infinity, 1])).toEqual([0, 1]);
      expect(Array.from(mc.softmax(tensor([-Infinity, 0, 0])).data)).toEqual([0, 0.5, 0.5]);
      expect(mc.logSoftmax(tensor([-Infinity, 0, 0])).data[0]).toBe(-Infinity);
    });
    // Was a bug (fixed): logsumexp shifted by stopGradient(max) without guarding a non-finite max, so
    // −∞ − (−∞) and ∞ − ∞ give NaN: logsumexp([−∞, −∞]) → NaN (should be −∞) and
    // logsumexp([∞, 1]) → NaN (should be ∞). JAX shifts by where(isfinite(max), max, 0).
    // Repro: mc.logsumexp(tensor([-Infinity, -Infinity])).item() → NaN.
    it("logsumexp of all −∞ is −∞, and with a +∞ entry is +∞", () => {
      expect(mc.logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
      expect(mc.logsumexp(tensor([Infinity, 1])).item()).toBe(Infinity);
      expect(Array.from(mc.logsumexp(tensor([[-Infinity, -Infinity], [0, 0]]), 1).data)).toEqual([-Infinity, Math.log(2)]);
    });
    it("the 2-norm's gradient is scaled: no overflow or underflow at 1e±200", () => {
      expect(g1((v) => mc.norm(v), [1e200, 1e200])).toEqual([Math.SQRT1_2, Math.SQRT1_2].map((x) => expect.closeTo(x, 15)) as unknown as number[]);
      expect(g1((v) => mc.norm(v), [1e-200, 1e-200])).toEqual([Math.SQRT1_2, Math.SQRT1_2].map((x) => expect.closeTo(x, 15)) as unknown as number[]);
    });
    it("sigmoid and softplus derivatives saturate without NaN at ±800", () => {
      expect(g1(mc.sigmoid, [800, -800])).toEqual([0, 0]);
      expect(g1(mc.softplus, [800, -800])).toEqual([1, 0]);
    });
  });

  // Was a bug (fixed): checkGrads took its step's scale as Math.max(0, ...entries) (src/transforms/check.ts, `run`):
  // spreading ≳ 125k entries into one call overflows V8's stack, so checkGrads throws a
  // RangeError ("Maximum call stack size exceeded") for any argument that large, e.g. a
  // 360×360 matrix. Repro: checkGrads((x) => mc.sum(x), [mc.randn([360, 360])], { order: 1 }).
  it("checkGrads accepts an argument with 250,000 entries", () => {
    const rep = checkGrads((x: Tensor) => mc.sum(mc.tanh(x)), [mc.randn([500, 500], { seed: 1 })], { order: 1 });
    expect(rep.ok, rep.message).toBe(true);
  });

  // The harness must be able to fail: wrong rules, each caught by the check that should.
  describe("negative controls", () => {
    const opts = { order: 2 as const, modes: ["fwd", "rev"] as ("fwd" | "rev")[], rtol: 1e-6, atol: ATOL, seed: 3 };
    const x = (): Tensor => tensor(normal(12, 99), [3, 4]);

    it("a JVP off by 1e-4 relative fails", () => {
      const p = primitive<Record<string, never>>({
        name: "sinSlightlyOff",
        shape: ([s]) => [s!],
        impl: ([v]) => [mc.sin(v!)],
        jvp: ([t], [v]) => [mc.mul(mc.mul(t!, mc.cos(v!)), 1 + 1e-4)],
      });
      const rep = checkGrads((v: Tensor) => bind1(p, [v], {}), [x()], opts);
      expect(rep.ok, rep.message).toBe(false);
    });

    it("a wrong transpose fails (reverse mode only)", () => {
      // scale2: y = 2x, JVP right, transpose 2.001·ct.
      const p: Primitive<Record<string, never>> = primitive<Record<string, never>>({
        name: "scale2BadTranspose",
        shape: ([s]) => [s!],
        impl: ([v]) => [mc.mul(v!, 2)],
        jvp: ([t]) => [bind1(p, [t!], {})],
        transpose: ([ct]) => [mc.mul(ct!, 2.001)],
      });
      const f = (v: Tensor): Tensor => bind1(p, [v], {});
      expect(checkGrads(f, [x()], { ...opts, modes: ["fwd"] }).ok).toBe(true);
      const rep = checkGrads(f, [x()], { ...opts, modes: ["rev"] });
      expect(rep.ok, rep.message).toBe(false);
    });

    it("a wrong second derivative fails at order 2 only", () => {
      // cosBad: right values, JVP of −sin·t with sin's own derivative scaled by 1.01.
      const sinBad = primitive<Record<string, never>>({
        name: "sinBad2",
        shape: ([s]) => [s!],
        impl: ([v]) => [mc.sin(v!)],
        jvp: ([t], [v]) => [mc.mul(mc.mul(t!, mc.cos(v!)), 1.01)],
      });
      const cosBad = primitive<Record<string, never>>({
        name: "cosBad2",
        shape: ([s]) => [s!],
        impl: ([v]) => [mc.cos(v!)],
        jvp: ([t], [v]) => [mc.neg(mc.mul(t!, bind1(sinBad, [v!], {})))],
      });
      const f = (v: Tensor): Tensor => bind1(cosBad, [v], {});
      expect(checkGrads(f, [x()], { ...opts, order: 1 }).ok).toBe(true);
      const rep = checkGrads(f, [x()], opts);
      expect(rep.ok, rep.message).toBe(false);
    });

    it("a wrong batch rule fails the vmap check", () => {
      const p = primitive<Record<string, never>>({
        name: "expBadBatch",
        shape: ([s]) => [s!],
        impl: ([v]) => [mc.exp(v!)],
        jvp: ([t], _x, [y]) => [mc.mul(t!, y!)],
        batch: ([v]) => [mc.exp(mc.mul(v!, 1 + 1e-9))],
      });
      const members = [0, 1, 2].map((b) => [tensor(normal(12, 5 + b), [3, 4])]);
      expect(() => checkVmap("expBadBatch", (v: Tensor) => bind1(p, [v], {}), members, [true])).toThrow();
    });
  });
});
