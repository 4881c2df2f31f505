// Random-composition property test. A small seeded expression generator builds trees of
// depth 2–5 over unary, binary (broadcasting), reduction, matmul and structural ops, keeping
// track of shapes and of bounds on the values so every op stays in its domain: log, sqrt,
// pow bases, reciprocals and denominators only see values made positive (softplus, exp,
// x² + 1, or nodes with a known positive lower bound); exp only sees bounded values; kinks
// (abs, relu, maximum/minimum, max reductions) and the norm's singularity at 0 are checked at
// the sampled point and the inputs resampled if any is within reach of the finite
// differences.
//
// For each composition g (any shape) and its scalarization f:
//   - grad(f) against 4-point central differences, coordinate by coordinate;
//   - jvp(g) against 4-point central differences along a random direction;
//   - vjp(g) through ⟨Jᵀu, v⟩ = ⟨u, J v⟩ with J v from those differences;
//   - hessian(f)·v (mostly chunked: chunks of 1–7 basis directions) against both hvp modes
//     and against central differences of grad(f) along v; and hessian(f) symmetric;
//   - vmap(g) over a batch of 2 against a loop.
// Every failure names the composition's seed and expression; rerun just that one with
//   PROP_SEED=<seed> npx vitest run test/ad/property.test.ts --project node
import { beforeAll, describe, expect, it } from "vitest";
import { grad, hessian, hvp, jvp, tensor, vjp, vmap, type Tensor } from "../../src/index.js";
import { BUILDS, useBuild } from "../helpers/builds.js";
import { type Composition, type Shape, compose, mulberry, prod, validInputs } from "../helpers/compositions.js";

/** How many compositions per build (the brief asks for ≥ 300 in all). */
const COUNT = 300;
const BASE_SEED = 20240;

// ---------------------------------------------------------------------------------------
// Finite differences and comparisons
// ---------------------------------------------------------------------------------------

function flat(xs: readonly Tensor[]): Float64Array {
  const n = xs.reduce((a, t) => a + t.size, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const t of xs) {
    out.set(t.data, o);
    o += t.size;
  }
  return out;
}

function unflat(v: Float64Array, shapes: readonly Shape[]): Tensor[] {
  let o = 0;
  return shapes.map((s) => {
    const k = prod(s);
    const t = tensor(v.slice(o, o + k), s, { order: "col" });
    o += k;
    return t;
  });
}

const H = 1e-4;

/** 4-point central difference of F (flat vector out) at x along dir: error O(h⁴). */
function fd(F: (xs: Tensor[]) => Float64Array, x: Float64Array, dir: Float64Array, shapes: readonly Shape[]): Float64Array {
  let vmax = 0;
  for (const d of dir) vmax = Math.max(vmax, Math.abs(d));
  const h = H / Math.max(vmax, 1e-300);
  const at = (s: number): Float64Array => F(unflat(x.map((xi, i) => xi + s * h * dir[i]!), shapes));
  const p1 = at(1), m1 = at(-1), p2 = at(2), m2 = at(-2);
  return p1.map((_, i) => (8 * (p1[i]! - m1[i]!) - (p2[i]! - m2[i]!)) / (12 * h));
}

interface Cmp {
  /** Worst error as a multiple of the tolerance (≤ 1 passes). */
  worst: number;
  what: string;
}

/**
 * Entry by entry: |adᵢ − refᵢ| ≤ rtol·(max(|adᵢ|, |refᵢ|) + 1e-3·‖ref‖∞) + abs. Entries far
 * below the vector's scale thus compare to 1e-3 of it, and `abs` admits the reference's own
 * error (the finite differences' roundoff, or AD roundoff where the exact value is 0).
 */
function compare(cmp: Cmp, what: string, ad: Float64Array, ref: Float64Array, rtol: number, abs: number): void {
  if (ad.length !== ref.length) {
    cmp.worst = Infinity;
    cmp.what = `${what}: length ${ad.length} vs ${ref.length}`;
    return;
  }
  let scale = 0;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < ad.length; i++) {
    const a = ad[i]!, b = ref[i]!;
    const tol = rtol * (Math.max(Math.abs(a), Math.abs(b)) + 1e-3 * scale) + abs;
    let e = a === b ? 0 : Math.abs(a - b) / tol;
    if (Number.isNaN(e)) e = Infinity;
    if (e > cmp.worst) {
      cmp.worst = e;
      cmp.what = `${what}[${i}]: ad ${a} vs ref ${b} (|diff| ${Math.abs(a - b).toExponential(2)}, tolerance ${tol.toExponential(2)})`;
    }
  }
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function randVec(n: number, seed: number): Float64Array {
  const r = mulberry(seed);
  return Float64Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return z;
  });
}

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

// ---------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------

/** Relative tolerance of AD against finite differences (4-point, h = 1e-4: error O(h⁴)). */
const RTOL_FD = 1e-7;
/**
 * Absolute roundoff of those differences per unit of the differenced function's scale:
 * ≈ 1.5·ε/h ≈ 3e-12 for exact evaluations; a depth-5 composition loses some more digits.
 */
const FD_NOISE = 1e-10;
/** Relative tolerance of AD against AD computed another way (hvp modes vs H·v, vmap vs loop). */
const RTOL_AD = 1e-10;
/** Absolute AD roundoff per unit of scale (where the exact value is 0 but sums cancel). */
const AD_NOISE = 1e-13;

interface Outcome {
  fd: Cmp;
  ad: Cmp;
}

const maxAbs = (v: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
};

function checkComposition(c: Composition, xs0: Tensor[]): Outcome {
  const shapes = c.vars;
  const x = flat(xs0);
  const n = x.length;
  const g = (xs: Tensor[]): Tensor => c.root.ev(xs, null);
  const f = (xs: Tensor[]): Tensor => c.scalarize.f(g(xs));
  const out: Outcome = { fd: { worst: 0, what: "none" }, ad: { worst: 0, what: "none" } };
  const fval = f(xs0).item();
  const gval = g(xs0);
  const fScale = Math.max(1, Math.abs(fval));
  const gScale = Math.max(1, maxAbs(gval.data));

  // grad(f) vs central differences, coordinate by coordinate.
  const gr = flat(grad(f)(xs0) as Tensor[]);
  const fdGrad = new Float64Array(n);
  const F = (xs: Tensor[]): Float64Array => Float64Array.of(f(xs).item());
  for (let i = 0; i < n; i++) {
    const e = new Float64Array(n);
    e[i] = 1;
    fdGrad[i] = fd(F, x, e, shapes)[0]!;
  }
  compare(out.fd, "grad", gr, fdGrad, RTOL_FD, FD_NOISE * fScale);

  // jvp(g) along v vs central differences; vjp(g) through ⟨Jᵀu, v⟩ = ⟨u, J v⟩.
  const v = randVec(n, c.seed * 3 + 11);
  const vs = unflat(v, shapes);
  const vScale = maxAbs(v);
  const G = (xs: Tensor[]): Float64Array => g(xs).data.slice();
  const fdJv = fd(G, x, v, shapes);
  const [y, jv] = jvp(g, [xs0], [vs]) as [Tensor, Tensor];
  compare(out.ad, "jvp primal vs g", y.data, gval.data, RTOL_AD, AD_NOISE * gScale);
  compare(out.fd, "jvp", jv.data, fdJv, RTOL_FD, FD_NOISE * gScale * vScale);
  const u = randVec(gval.size, c.seed * 5 + 13);
  const [, back] = vjp(g, xs0);
  const ct = flat(back(tensor(u, gval.shape, { order: "col" }))[0] as Tensor[]);
  let uJvAbs = 0, uAbs = 0;
  for (let i = 0; i < u.length; i++) {
    uJvAbs += Math.abs(u[i]! * fdJv[i]!);
    uAbs += Math.abs(u[i]!);
  }
  // Relative to Σ|uᵢ (Jv)ᵢ| too, so cancellation in the inner product cannot hide an error
  // nor invent one.
  compare(out.fd, "⟨Jᵀu, v⟩ vs ⟨u, Jv⟩", Float64Array.of(dotv(ct, v)), Float64Array.of(dotv(u, fdJv)), RTOL_FD,
    RTOL_FD * 1e-3 * uJvAbs + FD_NOISE * gScale * vScale * uAbs);

  // Hessian, both HVP modes, and central differences of the gradient along v.
  // Chunked for most seeds (chunks straddle the pytree's leaf boundaries), whole for the rest.
  const chunkSize = [undefined, 1, 2, 3, 5, 7][c.seed % 6];
  const Hm = hessian(f, chunkSize === undefined ? {} : { chunkSize })(xs0);
  expect(Hm.shape).toEqual([n, n]);
  const hd = Hm.data;
  const Hv = new Float64Array(n);
  let HvAbs = 0;
  for (let i = 0; i < n; i++) {
    let a = 0;
    for (let j = 0; j < n; j++) {
      Hv[i] += hd[i + j * n]! * v[j]!;
      a += Math.abs(hd[i + j * n]! * v[j]!);
    }
    HvAbs = Math.max(HvAbs, a);
  }
  const HT = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) HT[i + j * n] = hd[j + i * n]!;
  compare(out.ad, "hessian symmetry", hd, HT, RTOL_AD, AD_NOISE * Math.max(1, maxAbs(hd)));
  const hv1 = flat(hvp(f)(xs0, vs) as Tensor[]);
  const hv2 = flat(hvp(f, { mode: "rev-rev" })(xs0, vs) as Tensor[]);
  compare(out.ad, "hvp (fwd-rev) vs H·v", hv1, Hv, RTOL_AD, AD_NOISE * Math.max(1, HvAbs));
  compare(out.ad, "hvp (rev-rev) vs H·v", hv2, Hv, RTOL_AD, AD_NOISE * Math.max(1, HvAbs));
  const GR = (xs: Tensor[]): Float64Array => flat(grad(f)(xs) as Tensor[]);
  compare(out.fd, "H·v vs differences of grad", Hv, fd(GR, x, v, shapes), RTOL_FD, FD_NOISE * Math.max(fScale, maxAbs(gr)) * vScale);

  // vmap(g) over a batch of 2 against a loop.
  const xs1 = unflat(x.map((xi, i) => xi + 0.01 * v[i]!), shapes);
  const members = [xs0, xs1];
  const batched = xs0.map((_, k) => stackLead(members.map((m) => m[k]!)));
  const vm = vmap(g)(batched) as Tensor;
  const loop = stackLead(members.map((m) => g(m)));
  expect(vm.shape).toEqual(loop.shape);
  compare(out.ad, "vmap(g) vs loop", vm.data, loop.data, RTOL_AD, AD_NOISE * gScale);
  return out;
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
const ONLY = env["PROP_SEED"] !== undefined ? Number(env["PROP_SEED"]) : null;
const seeds = ONLY !== null ? [ONLY] : Array.from({ length: COUNT }, (_, i) => BASE_SEED + i);
const compositions = seeds.map(compose);

/** Ops the generator must exercise; the coverage test counts them in the expressions. */
const OPS = [
  "sin", "cos", "tanh", "atan", "sigmoid", "softplus", "neg", "abs", "relu", "log", "sqrt", "reciprocal", "exp", "expm1",
  "square", "pow3", "log1p", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "where", "sum", "mean", "max",
  "logsumexp", "norm2", "normFro", "trace", "dot", "matmul", "diag", "slice@", "concat", "vec", "reshape", "T", "softmax",
  "logSoftmax", "broadcastTo", "outer", "kron", "kronMatVec",
];

describe("the generator", () => {
  it.runIf(ONLY === null)("is deterministic, spans depths 2–5 and exercises every op", () => {
    expect(compose(BASE_SEED + 7).text).toBe(compositions[7]!.text);
    const depths = new Set(compositions.map((c) => c.depth));
    expect([...depths].sort()).toEqual([2, 3, 4, 5]);
    const counts = Object.fromEntries(OPS.map((op) => {
      const re = new RegExp(`(^|[^A-Za-z0-9])${op.replace(/[@]/g, "")}${op.endsWith("@") ? "@" : "[\\[(]"}`);
      return [op, compositions.filter((c) => re.test(c.root.str)).length];
    }));
    console.log(`[property] compositions using each op: ${JSON.stringify(counts)}`);
    for (const op of OPS) expect(counts[op], `compositions using ${op} (all counts: ${JSON.stringify(counts)})`).toBeGreaterThanOrEqual(3);
  });
});

describe.each(BUILDS)("random compositions ($name)", ({ simd }) => {
  beforeAll(async () => {
    await useBuild(simd);
  });

  it(`${compositions.length} compositions: grad, jvp, vjp, hvp, hessian and vmap agree with finite differences`, () => {
    const failures: string[] = [];
    const stats = { fdWorst: 0, adWorst: 0, skipped: 0 };
    const skippedSeeds: string[] = [];
    for (const c of compositions) {
      const ok = validInputs(c);
      if (!("xs" in ok)) {
        // Kinks everywhere we looked: no valid point; counted, and bounded below.
        stats.skipped++;
        skippedSeeds.push(`${c.seed} (closest: ${ok.closest.where.slice(0, 80)} at ${ok.closest.margin.toPrecision(2)})`);
        continue;
      }
      let o: Outcome;
      try {
        o = checkComposition(c, ok.xs);
      } catch (e) {
        failures.push(`seed ${c.seed}: threw ${(e as Error).message}\n    ${c.text}`);
        continue;
      }
      stats.fdWorst = Math.max(stats.fdWorst, o.fd.worst);
      stats.adWorst = Math.max(stats.adWorst, o.ad.worst);
      if (!(o.fd.worst <= 1) || !(o.ad.worst <= 1)) {
        const bad = !(o.fd.worst <= 1) ? `AD vs finite differences: ${o.fd.what}` : `AD vs AD: ${o.ad.what}`;
        failures.push(`seed ${c.seed} (rerun: PROP_SEED=${c.seed}): ${bad}\n    ${c.text}`);
      }
    }
    console.log(`[property ${simd ? "simd" : "scalar"}] ${compositions.length} compositions, ${stats.skipped} without a kink-free point${skippedSeeds.length ? ` (seeds ${skippedSeeds.join(", ")})` : ""}; worst error/tolerance: ${stats.fdWorst.toExponential(2)} against finite differences, ${stats.adWorst.toExponential(2)} AD against AD`);
    expect(stats.skipped, "compositions with no kink-free sample point").toBeLessThanOrEqual(Math.ceil(compositions.length * 0.03));
    expect(failures, failures.join("\n")).toEqual([]);
  });
});
