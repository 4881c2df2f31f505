// jit under stress: every replay must equal running f (bit for bit, on several inputs after the
// recording), f's JavaScript must run only when a signature is recorded (or when jit falls back),
// and every way f can depend on values jit cannot replay must make it fall back instead of
// replaying a stale path. Each `it` below names the bug it guards against where there was one.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { lowerMirrored } from "../helpers/hessian.js";
import {
  DTypeError, NotPositiveDefiniteError, SingularMatrixError, Tensor, grad, hessian, hvp, jacobian, jit, matrix, randn,
  scalar, stopGradient, valueAndGrad, vector, vmap, zeros,
} from "../../src/index.js";
import { minimize, leastSquares } from "../../src/optim/index.js";
import { jitLinearize } from "../../src/jit/jit.js";
import { recording } from "../../src/core/primitive.js";
import { linearize } from "../../src/transforms/transforms.js";
import { readHook, scoped } from "../../src/core/tensor.js";
import { rt } from "../../src/wasm/module.js";
import { compose, sampleInputs } from "../helpers/compositions.js";
import { jitDebug } from "../../src/jit/pipeline.js";

// Every pass's output is checked against the IR's invariants (verifyProgram).
jitDebug.verify = true;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/** Where two results differ (tensors entry by entry with Object.is: NaN = NaN, 0 ≠ −0), or null. */
function diff(a: unknown, b: unknown, path = "result"): string | null {
  if (a instanceof Tensor || b instanceof Tensor) {
    if (!(a instanceof Tensor && b instanceof Tensor)) return `${path}: ${typeof a} vs ${typeof b}`;
    if (a.shape.join() !== b.shape.join()) return `${path}: shape [${a.shape}] vs [${b.shape}]`;
    const da = a.data, db = b.data;
    for (let i = 0; i < da.length; i++) if (!Object.is(da[i], db[i])) return `${path}[${i}]: ${da[i]} vs ${db[i]}`;
    return null;
  }
  if (a instanceof Float64Array || b instanceof Float64Array) {
    if (!(a instanceof Float64Array && b instanceof Float64Array)) return `${path}: Float64Array vs ${typeof b}`;
    return a.length === b.length && a.every((v, i) => Object.is(v, b[i])) ? null : `${path}: Float64Arrays differ`;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return `${path}: array vs ${JSON.stringify(b)}`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return `${path}: keys ${ka} vs ${kb}`;
    for (const k of ka) {
      const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
}

const same = (a: unknown, b: unknown): void => expect(diff(a, b)).toBeNull();

/** f with a counter of how often its JavaScript body runs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function counted<F extends (...a: any[]) => any>(f: F): { f: F; runs: () => number } {
  let n = 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { f: ((...a: any[]) => (n++, f(...a))) as F, runs: () => n };
}

const vec = (...v: number[]) => vector(v);

/** Stacks equal-shape tensors along a new leading axis (column-major: the member index fastest). */
function stackLead(xs: readonly Tensor[]): Tensor {
  const n = xs[0]!.size;
  const out = new Float64Array(n * xs.length);
  xs.forEach((x, b) => x.data.forEach((v, k) => (out[b + xs.length * k] = v)));
  return mc.tensor(out, [xs.length, ...xs[0]!.shape], { order: "col" });
}
const spd = (seed: number, n = 4) => {
  const M = randn([n, n], { seed });
  return M.matmul(M.T).add(mc.eye(n));
};

// ---------------------------------------------------------------------------------------
// Random compositions
// ---------------------------------------------------------------------------------------

describe("random compositions (the property test's generator)", () => {
  it("240 compositions: jit(grad), jit(hvp), jit(jacobian) replay bit for bit at 3 points, f recorded once each", () => {
    const COUNT = 240;
    const failures: string[] = [];
    for (let k = 0; k < COUNT; k++) {
      const c = compose(31000 + k);
      const G = (xs: Tensor[]) => c.root.ev(xs, null);
      const F = (xs: Tensor[]) => c.scalarize.f(G(xs));
      const cg = counted(F), ch = counted(F), cj = counted(G);
      const chunkSize = [undefined, 1, 2, 3][k % 4];
      const jg = jit(grad(cg.f)), jh = jit(hvp(ch.f));
      const jj = jit(jacobian(cj.f, chunkSize === undefined ? {} : { chunkSize }));
      const J = jacobian(G, chunkSize === undefined ? {} : { chunkSize });
      try {
        for (let p = 0; p < 3; p++) {
          const xs = sampleInputs(c, p);
          const vs = sampleInputs(c, p + 10);
          const d = diff(jg(xs), grad(F)(xs), "grad") ?? diff(jh(xs, vs), hvp(F)(xs, vs), "hvp") ?? diff(jj(xs), J(xs), "jacobian");
          if (d) failures.push(`seed ${c.seed} point ${p}: ${d}\n    ${c.text}`);
        }
        const runs = [cg.runs(), ch.runs(), cj.runs()];
        if (runs.some((r) => r !== 1)) failures.push(`seed ${c.seed}: f ran ${runs} times (grad, hvp, jacobian)\n    ${c.text}`);
      } catch (e) {
        failures.push(`seed ${c.seed}: threw ${(e as Error).message}\n    ${c.text}`);
      }
    }
    expect(failures, failures.join("\n")).toEqual([]);
  });

  it("40 compositions under jit(vmap(g)) and vmap(jit(g)) (the latter passes through to f)", () => {
    for (let k = 0; k < 40; k++) {
      const c = compose(32000 + k);
      const g = (xs: Tensor[]) => c.root.ev(xs, null);
      const cg = counted(g);
      const jv = jit(vmap(cg.f));
      for (let p = 0; p < 3; p++) {
        // A batch of 3 members along axis 0 of each leaf.
        const members = [0, 1, 2].map((m) => sampleInputs(c, 3 * p + m));
        const batched = members[0]!.map((_, i) => stackLead(members.map((xs) => xs[i]!)));
        same(jv(batched), vmap(g)(batched));
        same(vmap(jit(g))(batched), vmap(g)(batched));
      }
      expect(cg.runs()).toBe(1);
    }
  });
});

// ---------------------------------------------------------------------------------------
// Arguments and results
// ---------------------------------------------------------------------------------------

describe("arguments and results", () => {
  const A = matrix([[2, 1, 0], [1, 3, -1], [0, -1, 4]]);

  it("hasAux with tensor and non-tensor aux; argnums with a number among the arguments", () => {
    const f = (x: Tensor, k: Tensor | number, y: Tensor) => {
      const z = x.mul(y).mul(k);
      return [z.sum(), { z, label: "aux", n: 3, list: [1, 2], none: null, f64: new Float64Array([7]) }];
    };
    const c = counted(f);
    const g = jit(grad(c.f, { argnums: [0, 2], hasAux: true }));
    const ref = grad(f, { argnums: [0, 2], hasAux: true });
    const cases = [[vec(1, 2), 3, vec(4, 5)], [vec(-1, 0.5), 5, vec(2, 2)], [vec(0, 7), -2, vec(1, -1)]] as const;
    // A number is static: each value records once, and a repeated value replays.
    for (const [x, k, y] of cases) same(g(x, k, y), ref(x, k, y));
    expect(c.runs()).toBe(3);
    same(g(vec(9, 9), 3, vec(1, 1)), ref(vec(9, 9), 3, vec(1, 1)));
    expect(c.runs()).toBe(3);
    // scalar(k) is traced: one recording for every value.
    const c2 = counted(f);
    const g2 = jit(grad(c2.f, { argnums: [0, 2], hasAux: true }));
    for (const [x, k, y] of cases) same(g2(x, scalar(k), y), ref(x, scalar(k), y));
    expect(c2.runs()).toBe(1);
  });

  it("pytrees with numbers, nested arrays and Float64Array leaves: static, keyed by value, given to f as they are", () => {
    const kinds: string[] = [];
    const f = (p: { a: Tensor; b: number[][]; c: number; d: Float64Array }) => {
      kinds.push(`${Array.isArray(p.b)} ${typeof p.c} ${p.d instanceof Float64Array}`);
      return p.a.mul(p.c).add(mc.sum(p.b)).add(mc.matmul(mc.tensor(p.d, [1, 2]), p.a).mul(2));
    };
    const c = counted(f);
    const j = jit(c.f);
    const arg = (s: number) => ({ a: vec(s, 2 * s), b: [[s, 1], [2, s]], c: s + 1, d: new Float64Array([s, -s]) });
    for (const s of [1, 2.5, -3, 1, 2.5]) same(j(arg(s)), f(arg(s)));
    expect(c.runs()).toBe(3); // one recording per distinct static value, replays for the repeats
    expect(new Set(kinds)).toEqual(new Set(["true number true"]));
  });

  it("results that are an input, a constant, a captured tensor, zeros of an unused argument, plain values", () => {
    const C = vec(10, 20);
    const f = (x: Tensor, unused: Tensor) => [x, C, scalar(4), x.mul(C), "tag", 3, [1, [2, 3]], null, undefined, true, new Float64Array([1, 2]), { k: x.sum() }];
    const c = counted(f);
    const j = jit(c.f);
    for (const s of [1, 2, 3]) same(j(vec(s, -s), vec(1, 2, 3)), f(vec(s, -s), vec(1, 2, 3)));
    const gz = jit(grad((x: Tensor, y: Tensor) => x.square().sum(), { argnums: [0, 1] }));
    for (const s of [1, 2]) same(gz(vec(s, 1), vec(1, 2, 3)), [vec(2 * s, 2), zeros([3])]);
    expect(c.runs()).toBe(1);
  });

  it("functions returning a number, a string or nothing; constant results are the caller's to modify", () => {
    // Bug: a replay turned number results (and numeric arrays, Float64Arrays) into tensors.
    const jn = jit((x: Tensor) => [x.sum(), 3, [1, 2], new Float64Array([5])]);
    for (let i = 0; i < 3; i++) same(jn(vec(1, i)), [scalar(1 + i), 3, [1, 2], new Float64Array([5])]);
    const js = jit((_x: Tensor) => "hello");
    for (let i = 0; i < 3; i++) expect(js(vec(i))).toBe("hello");
    const ju = jit((_x: Tensor) => undefined);
    for (let i = 0; i < 3; i++) expect(ju(vec(i))).toBeUndefined();
    // Bug: a constant result (here the zero gradient of an argument f ignores) was one object
    // shared by every replay, so writing into one result changed all later ones.
    const g = jit(grad((x: Tensor, _y: Tensor) => x.sum(), { argnums: [0, 1] }));
    for (let i = 0; i < 3; i++) {
      const [gx, gy] = g(vec(i), vec(1, 2)) as [Tensor, Tensor];
      same(gx, vec(1));
      same(gy, vec(0, 0));
      gy.data[0] = 99;
      gx.data[0] = 99;
    }
  });

  it("zero-size tensors, empty arrays and scalar shapes", () => {
    // Bug: an empty array argument was a leaf for the recording but no leaf for the fast key,
    // so the third call replayed with an input missing (a TypeError).
    const f = (x: Tensor, e: Tensor) => x.sum().add(mc.sum(e)).add(mc.sum(e.mul(2)));
    const c = counted(f);
    const j = jit(c.f);
    for (const s of [1, 2, 3]) {
      same(j(vec(s, 2), mc.tensor([])), f(vec(s, 2), mc.tensor([])));
      same(j(vec(s, 2), zeros([0])), f(vec(s, 2), zeros([0])));
      same(j(vec(s, 2), zeros([1, 0])), f(vec(s, 2), zeros([1, 0])));
    }
    expect(c.runs()).toBe(2); // two signatures: [0] from tensor([]) and zeros([0]) alike, and [1, 0]
    // An empty array is an empty node, given to f as it is (static, as every non-tensor).
    const je = jit((x: Tensor, e: unknown[]) => x.sum().add(e.length));
    for (const s of [1, 2]) same(je(vec(s, 2), []), scalar(s + 2));
    const gz = jit(grad((x: Tensor) => x.square().sum()));
    for (let i = 0; i < 3; i++) same(gz(zeros([0])), zeros([0]));
    const jz = jit(jacobian((x: Tensor) => x.mul(2)));
    for (let i = 0; i < 3; i++) same(jz(zeros([0])), zeros([0, 0]));
    const gs = jit(grad(grad((x: Tensor) => x.mul(x).sin())));
    for (const s of [0.5, 2, -1]) {
      same(gs(scalar(s)), grad(grad((x: Tensor) => x.mul(x).sin()))(scalar(s)));
      same(gs(s), grad(grad((x: Tensor) => x.mul(x).sin()))(s));
    }
  });

  it("object keys are quoted in the signature: keys with ':' or ';' cannot collide with structure", () => {
    // Bug: { "x:[1];y": t[3] } and { x: t[1], y: t[3] } had the same fast key, so the second
    // replayed the first's program (with the wrong inputs).
    const f = (p: Record<string, Tensor>) => (p["x"] !== undefined ? p["x"].sum().add(p["y"]!.sum()) : p["x:[1];y"]!.sum());
    const j = jit(f);
    const odd = { "x:[1];y": vec(1, 2, 3) };
    same(j(odd), scalar(6));
    same(j(odd), scalar(6));
    same(j({ x: vec(10), y: vec(1, 2, 3) }), scalar(16));
    same(j({ x: vec(20), y: vec(1, 2, 3) }), scalar(26));
  });

  it("strings, booleans, null and undefined are static arguments; functions make jit run f", () => {
    // Bug: any string argument made jit throw DTypeError, though f accepts it.
    const f = (x: Tensor, mode: string, twice: boolean, opt?: null) => {
      const y = mode === "sq" ? x.square() : x.exp();
      return (twice ? y.mul(2) : y).sum().add(opt === null ? 1 : 0);
    };
    const c = counted(f);
    const j = jit(c.f);
    for (const x of [vec(1, 2), vec(-1, 3), vec(0.5, 0.25)]) {
      for (const mode of ["sq", "exp"]) for (const twice of [true, false]) same(j(x, mode, twice, null), f(x, mode, twice, null));
      same(j(x, "sq", true), f(x, "sq", true));
    }
    expect(c.runs()).toBe(5); // one recording per distinct static combination
    const h = counted((x: Tensor, fn: (t: Tensor) => Tensor) => fn(x).sum());
    const jh = jit(h.f);
    for (const k of [2, 3]) same(jh(vec(1, 2), (t: Tensor) => t.mul(k)), scalar(3 * k));
    expect(h.runs()).toBe(2);
  });

  it("more signatures than the cache keeps: evicted ones record again, all stay right", () => {
    const c = counted((x: Tensor) => x.square().sum());
    const j = jit(grad(c.f));
    for (let round = 0; round < 2; round++) {
      for (let n = 1; n <= 20; n++) same(j(randn([n], { seed: n + round })), randn([n], { seed: n + round }).mul(2));
    }
    expect(c.runs()).toBe(40);
    for (let i = 0; i < 3; i++) same(j(vec(1, 2, 3)), vec(2, 4, 6));
  });

  it("an argument f also captures, and one tensor passed twice, are told apart from each other", () => {
    const c = counted((x: Tensor, y: Tensor) => x.mul(A.matmul(y)).add(A.diag()));
    const j = jit(c.f);
    const d = A.diag();
    same(j(d, d), c.f(d, d));
    for (const s of [1, 2]) same(j(vec(s, 1, 0), vec(0, s, 1)), c.f(vec(s, 1, 0), vec(0, s, 1)));
    same(j(d, d), c.f(d, d));
    expect(c.runs()).toBe(1 + 4);
  });
});

// ---------------------------------------------------------------------------------------
// Data-dependent control flow
// ---------------------------------------------------------------------------------------

describe("data-dependent control flow falls back; reads of constants do not", () => {
  const W = matrix([[1, -2], [0.5, 1]]);
  type Read = (t: Tensor) => number;
  const reads: [string, Read][] = [
    ["item", (t) => t.sum().item()],
    ["data", (t) => t.data[0]!],
    ["toArray", (t) => (t.toArray() as number[])[0]!],
    ["get", (t) => t.get(0)],
    // The first entry of the display's first row (line 2; line 1 is "Tensor [shape]").
    ["toString", (t) => Number(/(-?[\d.]+(?:e[-+]?\d+)?)/.exec(String(t).split("\n")[1]!)![1])],
    ["template literal", (t) => (`${t}`.includes("-") ? -1 : 1)],
    ["JS comparison", (t) => ((t as unknown as number) > 0 ? 1 : -1)],
  ];

  for (const [name, read] of reads) {
    it(`${name} of an intermediate computed from x, inside grad`, () => {
      const f = (x: Tensor) => {
        const y = W.matmul(x).tanh(); // depends on x
        return read(y) > 0 ? y.square().sum() : y.mul(x).sum().mul(3);
      };
      const reasons: string[] = [];
      const c = counted(f);
      const g = jit(grad(c.f), { onFallback: (r) => reasons.push(r) });
      const xs = [vec(1, 0.2), vec(-1, -0.3), vec(2, 0.1), vec(-0.5, -2)];
      for (const x of xs) same(g(x), grad(f)(x));
      // Once per call, and once more for the first call's dry recording, which the read stopped.
      expect(c.runs()).toBe(xs.length + 1);
      expect(reasons).toEqual(["f reads the entries of a value computed from its inputs"]);
    });
  }

  it("a number argument read as a number: the first call gives f's result too", () => {
    // Bug: f was recorded with a tensor in place of the number, so `k * 2` was NaN on the
    // first call (later calls fell back and were right).
    const f = (x: Tensor, k: number) => x.mul(k * 2);
    const j = jit(f);
    for (const k of [3, 4, 3]) same(j(vec(1, 2), k), vec(2 * k, 4 * k));
    const g = (x: Tensor, n: number[]) => x.mul(n.length);
    const jg = jit(g);
    for (let i = 0; i < 3; i++) same(jg(vec(1, 2), [5, 6, 7]), vec(3, 6));
  });

  it("reads of captured constants and of values computed from constants alone do not fall back", () => {
    const C = vec(1, 2, 3);
    const f = (x: Tensor) => {
      const k = C.sum().item() + C.get(1) + C.data[2]! + (C.mul(2).toArray() as number[])[0]! + stopGradient(C).get(0);
      const scale = mc.norm(W).item() > 2 ? 2 : 1;
      return x.mul(k).mul(scale).square().sum();
    };
    const reasons: string[] = [];
    const c = counted(f);
    const g = jit(grad(c.f), { onFallback: (r) => reasons.push(r) });
    for (const s of [1, -2, 3]) same(g(vec(s, 1, 2)), grad(f)(vec(s, 1, 2)));
    expect(reasons).toEqual([]);
    expect(c.runs()).toBe(1);
  });

  it("slogdet's JS-owned outputs: replayed with the input's sign; reading the sign falls back", () => {
    const s = counted((X: Tensor) => mc.slogdet(X));
    const j = jit(s.f);
    const Xs = [matrix([[1, 2], [3, 4]]), matrix([[2, 0], [0, 3]]), matrix([[0, 1], [1, 0]]), matrix([[1, 2], [2, 4]])];
    for (const X of Xs) same(j(X), mc.slogdet(X));
    // A dry recording stops at the first step that can raise; f then records for real.
    expect(s.runs()).toBe(2);
    const f = (X: Tensor) => {
      const [sign, ld] = mc.slogdet(X);
      return sign.item() > 0 ? ld : ld.neg();
    };
    const c = counted(f);
    const jf = jit(grad(c.f));
    for (const X of Xs.slice(0, 3)) same(jf(X), grad(f)(X));
    expect(c.runs()).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------
// Kernel errors, NaN, linear algebra
// ---------------------------------------------------------------------------------------

describe("errors, NaN and linear algebra", () => {
  it("a singular or indefinite matrix on replay raises f's typed error, and the next call replays", () => {
    const c = counted((X: Tensor) => mc.inv(X));
    const inv = jit(c.f);
    same(inv(matrix([[2, 0], [0, 4]])), matrix([[0.5, 0], [0, 0.25]]));
    expect(() => inv(matrix([[1, 2], [2, 4]]))).toThrow(SingularMatrixError);
    same(inv(matrix([[4, 0], [0, 2]])), matrix([[0.25, 0], [0, 0.5]]));
    const l = counted((X: Tensor) => mc.logdet(X, { spd: true }));
    const ld = jit(grad(l.f));
    same(ld(spd(1)), grad((X: Tensor) => mc.logdet(X, { spd: true }))(spd(1)));
    expect(() => ld(matrix([[1, 2], [2, 1]]))).toThrow(NotPositiveDefiniteError);
    expect(() => ld(matrix([[1, NaN], [NaN, 1]]))).toThrow(DTypeError);
    same(ld(spd(2)), grad((X: Tensor) => mc.logdet(X, { spd: true }))(spd(2)));
    expect(rt().arena.active).toBe(false);
    // A replay that fails runs f, which raises the error: f ran for the recording (twice: dry,
    // stopped by the factorization, then for real) and each failure.
    expect(c.runs()).toBe(3);
    expect(l.runs()).toBe(4);
  });

  it("f that catches a kernel error: recorded on either branch, every call follows f", () => {
    // Bug: recorded at a PD matrix, a replay at an indefinite one threw instead of taking
    // f's catch branch; recorded at an indefinite one, later calls replayed the catch branch
    // at PD matrices (a silently wrong result).
    const f = (X: Tensor) => {
      try {
        return mc.cholesky(X).sum();
      } catch {
        return X.sum().neg();
      }
    };
    const pd = matrix([[4, 0], [0, 9]]), pd2 = matrix([[9, 1], [1, 4]]), bad = matrix([[1, 2], [2, 1]]);
    for (const order of [[pd, bad, pd2, bad], [bad, pd, bad, pd2, pd]]) {
      const reasons: string[] = [];
      const c = counted(f);
      const j = jit(c.f, { onFallback: (r) => reasons.push(r) });
      for (const X of order) same(j(X), f(X));
      // f runs to record (twice: a dry recording stops at the Cholesky), and for each call at
      // an indefinite matrix (where it catches). A recording that met the error is not kept,
      // so the first PD call records.
      expect(c.runs()).toBe(order.filter((X) => X === bad).length + 2);
      expect(reasons).toEqual(order[0] === bad ? ["cholesky raised an error while f was recorded"] : []);
    }
  });

  it("NaN and Infinity inputs replay as f computes them", () => {
    const c = counted((x: Tensor) => x.log().add(x.sqrt()).sum());
    const g = jit(grad(c.f));
    for (const x of [vec(1, 2), vec(-1, 0), vec(NaN, Infinity), vec(0, -0)]) same(g(x), grad((x: Tensor) => x.log().add(x.sqrt()).sum())(x));
    expect(c.runs()).toBe(1);
  });

  it("hessians whose basis directions take the low-rank path (logdet, tr(X⁻¹A), AXB) replay exactly", () => {
    const A = randn([4, 4], { seed: 5 }), B = randn([4, 3], { seed: 6 });
    const fs: [string, (X: Tensor) => Tensor][] = [
      ["logdet", (X) => mc.logdet(X)],
      ["tr(X⁻¹A)", (X) => mc.trace(mc.inv(X).matmul(A))],
      ["‖AXB‖²", (X) => A.matmul(X).matmul(B).square().sum()],
      ["eigh", (X) => mc.eigh(X)[0].square().sum()],
    ];
    for (const [name, f] of fs) {
      const c = counted(f);
      const jh = jit(hessian(c.f, { chunkSize: 5 }));
      // In chunks: the un-jitted lower triangle, mirrored (triangle.ts).
      for (const s of [1, 2, 3]) same(jh(spd(s)), lowerMirrored(hessian(f, { chunkSize: 5 })(spd(s))));
      // Recorded dry (no kernel of x's run) where no step can raise; else dry, stopped, then for real.
      expect(c.runs()).toBe(name === "‖AXB‖²" ? 1 : 2);
    }
    const jj = jit(jacobian((X: Tensor) => A.matmul(X).matmul(B)));
    for (const s of [1, 2]) same(jj(randn([4, 4], { seed: s })), jacobian((X: Tensor) => A.matmul(X).matmul(B))(randn([4, 4], { seed: s })));
  });
});

// ---------------------------------------------------------------------------------------
// Transforms around and inside jit; reentrancy; errors while recording
// ---------------------------------------------------------------------------------------

describe("nesting", () => {
  const A = matrix([[2, 1, 0.5], [1, 3, -1], [0.5, -1, 4]]);
  const f = (x: Tensor) => x.dot(A.matmul(x)).mul(x.sin().sum()).add(x.exp().sum());

  it("hessian of hessian, jacobian of hessian, grad of grad under jit", () => {
    const hh = (x: Tensor) => hessian((y: Tensor) => hessian(f)(y).sum())(x);
    const jh = (x: Tensor) => jacobian(hessian(f))(x);
    for (const F of [hh, jh, grad((x: Tensor) => grad(f)(x).square().sum())]) {
      const c = counted(F);
      const j = jit(c.f);
      for (const s of [1, 2, 3]) same(j(randn([3], { seed: s })), F(randn([3], { seed: s })));
      expect(c.runs()).toBe(1);
    }
  });

  it("jit inside grad passes through on traced arguments and replays on constant ones", () => {
    const C = vec(0.5, -1, 2);
    const h = counted((y: Tensor) => y.mul(C).exp());
    const inner = jit(h.f);
    const F = (x: Tensor) => inner(x).sum().mul(inner(C).sum()).add(x.square().sum());
    const G = (x: Tensor) => h.f(x).sum().mul(h.f(C).sum()).add(x.square().sum());
    const before = h.runs();
    for (const s of [1, 2, 3]) same(grad(F)(randn([3], { seed: s })), grad(G)(randn([3], { seed: s })));
    // Per grad call: one pass-through with the tracer; inner(C) recorded once, then replayed.
    // (G runs h twice per call.)
    expect(h.runs() - before).toBe(3 * 1 + 1 + 3 * 2);
  });

  it("a jitted function that closes over a tracer of an enclosing transform is not replayed", () => {
    // Bug: the tracer's primal was recorded as a constant and the output lost its tangent,
    // so the second grad call returned [3, 3] instead of [16, 16].
    const state: { x: Tensor | null } = { x: null };
    const reasons: string[] = [];
    const inner = jit((c: Tensor) => c.mul(state.x!).sum(), { onFallback: (r) => reasons.push(r) });
    const one = vec(1, 1);
    const g = grad((x: Tensor) => {
      state.x = x;
      return inner(one).mul(x.sum());
    });
    for (const x of [vec(1, 2), vec(3, 5), vec(-1, 0)]) {
      const s = x.sum().item();
      same(g(x), vec(2 * s, 2 * s));
    }
    expect(reasons[0]).toMatch(/tracer/);
    const leak = jit((c: Tensor) => [c.sum(), state.x!]);
    const g2 = grad((x: Tensor) => {
      state.x = x;
      return (leak(one) as Tensor[])[1]!.square().sum();
    });
    for (const x of [vec(1, 2), vec(3, 5)]) same(g2(x), x.mul(2));
  });

  it("jit of jit, a jitted function called inside another's recording (recorded or not)", () => {
    const h = counted((x: Tensor) => x.mul(A.matmul(x)));
    const inner = jit(h.f);
    const outer = jit((x: Tensor) => inner(x).sum().mul(2));
    const ref = (x: Tensor) => x.mul(A.matmul(x)).sum().mul(2);
    same(inner(vec(1, 2, 3)), vec(1, 2, 3).mul(A.matmul(vec(1, 2, 3)))); // inner recorded
    for (const s of [1, 2, 3]) same(outer(randn([3], { seed: s })), ref(randn([3], { seed: s })));
    expect(h.runs()).toBe(2); // inner's recording, and once inside outer's recording
    const h2 = counted((x: Tensor) => x.exp());
    const inner2 = jit(h2.f);
    const outer2 = jit(jit((x: Tensor) => inner2(x).sum()));
    for (const s of [1, 2, 3]) same(outer2(vec(s, 1)), vec(s, 1).exp().sum());
    expect(h2.runs()).toBe(1); // only inside outer2's recording: inner2 never recorded itself
    same(inner2(vec(4, 5)), vec(4, 5).exp());
    same(inner2(vec(6, 7)), vec(6, 7).exp());
    expect(h2.runs()).toBe(2);
  });

  it("a jitted function calling itself (recursion over shapes) records each signature whole", () => {
    const c = counted((x: Tensor): Tensor => (x.size > 1 ? (j(mc.slice(x, [1])) as Tensor).mul(2).add(mc.slice(x, [0], [1]).sum()) : x.sum()));
    const j = jit(c.f);
    const ref = (x: Tensor): Tensor => (x.size > 1 ? ref(mc.slice(x, [1])).mul(2).add(mc.slice(x, [0], [1]).sum()) : x.sum());
    for (const s of [1, 2, 3]) same(j(vec(s, 2, 3, 4)), ref(vec(s, 2, 3, 4)));
    expect(c.runs()).toBe(4); // the recording of [4] runs f for [4], [3], [2], [1] inline
    for (const s of [1, 2]) same(j(vec(s, 5)), ref(vec(s, 5)));
    expect(c.runs()).toBe(6);
  });

  it("onFallback runs outside the recording's arena scope: tensors it makes stay valid", () => {
    let kept: Tensor | null = null;
    const j = jit((x: Tensor) => (x.sum().item() > 0 ? x : x.neg()), { onFallback: () => (kept = vec(1, 2).mul(3)) });
    same(j(vec(1, 2)), vec(1, 2));
    same(kept!, vec(3, 6));
  });

  it("an error thrown by f while recording resets the recorder and read hook; the next call records", () => {
    let n = 0;
    const j = jit(grad((x: Tensor) => {
      // The first call runs f twice (a dry recording, which the read stops, then for real).
      if (n++ < 2) {
        x.sum().item();
        throw new RangeError("boom");
      }
      return x.square().sum();
    }));
    expect(() => j(vec(1, 2))).toThrow(RangeError);
    expect(recording.current).toBeNull();
    expect(readHook.onRead).toBeNull();
    expect(rt().arena.active).toBe(false);
    for (const s of [1, 2, 3]) same(j(vec(s, 2)), vec(2 * s, 4));
    expect(n).toBe(3);
  });

  it("a linearization's first J·t inside another jit's recording does not take that recording over", () => {
    // Bug: the recorder restored `null`, not the recording it interrupted, when it finished.
    const vg = valueAndGrad((x: Tensor) => x.square().sum().mul(x.sum()));
    const jl = jitLinearize(vg as (x: unknown) => unknown, (fn, x) => linearize(fn, x) as [unknown, (t: unknown) => unknown]);
    scoped(() => {
      const [, jv] = jl(vec(1, 2)) as [unknown, (t: unknown) => [Tensor, Tensor]];
      const outer = jit((y: Tensor) => {
        const a = y.mul(3);
        const hv = jv(y)[1];
        return mc.slogdet(mc.diag(a.add(hv)))[1];
      });
      const ref = (y: Tensor) => mc.slogdet(mc.diag(y.mul(3).add(hessian((x: Tensor) => x.square().sum().mul(x.sum()))(vec(1, 2)).matmul(y))))[1];
      for (const s of [1, 2, 3]) expect(Math.abs((outer(vec(s, 1)) as Tensor).item() - ref(vec(s, 1)).item())).toBeLessThan(1e-12);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Memory and captured constants
// ---------------------------------------------------------------------------------------

describe("memory and constants", () => {
  it("many replays reach a high-water mark; results are JS-owned and stay valid", () => {
    const X = randn([20, 6], { seed: 3 });
    const f = (w: Tensor) => X.matmul(w).tanh().square().sum();
    const jh = jit(hessian(f)), jg = jit(valueAndGrad(f));
    const w = randn([6], { seed: 4 });
    const kept = [jh(w) as Tensor, ...(jg(w) as Tensor[])];
    const copies = kept.map((t) => t.data.slice());
    for (let i = 0; i < 3; i++) {
      jh(w);
      jg(w);
    }
    const bytes = rt().kernels.memory.buffer.byteLength;
    for (let i = 0; i < 300; i++) {
      jh(randn([6], { seed: i }));
      jg(randn([6], { seed: i }));
    }
    expect(rt().kernels.memory.buffer.byteLength).toBe(bytes);
    expect(rt().arena.used).toBe(0);
    kept.forEach((t, i) => {
      expect(t._buf).not.toBeNull();
      expect(Array.from(t.data)).toEqual(Array.from(copies[i]!));
    });
  });

  it("a new tensor assigned to a captured variable: the recording keeps the old one (as jax.jit)", () => {
    let C = vec(1, 2);
    const j = jit((x: Tensor) => x.mul(C));
    same(j(vec(1, 1)), vec(1, 2));
    C = vec(10, 20);
    same(j(vec(1, 1)), vec(1, 2)); // replayed with the recorded constant
    same(jit((x: Tensor) => x.mul(C))(vec(1, 1)), vec(10, 20)); // a new jit records the new one
  });
});

// ---------------------------------------------------------------------------------------
// jitLinearize and the optimizers
// ---------------------------------------------------------------------------------------

describe("jitLinearize and optimizers", () => {
  const A = matrix([[3, 1, 0.5], [1, 4, -1], [0.5, -1, 5]]);
  const f = (x: Tensor) => x.dot(A.matmul(x)).mul(0.5).add(x.sin().sum()).add(x.square().square().sum().mul(0.1));
  const lin = (fn: (x: unknown) => unknown, x: unknown) => linearize(fn, x) as [unknown, (t: unknown) => unknown];

  it("HVPs at several points: bit for bit with linearize, close to hessian(f)·v", () => {
    const vg = valueAndGrad(f);
    const c = counted(vg);
    const jl = jitLinearize(c.f as (x: unknown) => unknown, lin);
    for (let s = 0; s < 4; s++) {
      const x = randn([3], { seed: s });
      scoped(() => {
        const [out, jv] = jl(x) as [[Tensor, Tensor], (t: unknown) => [Tensor, Tensor]];
        const [out0, jv0] = lin(vg, x) as [[Tensor, Tensor], (t: unknown) => [Tensor, Tensor]];
        same(out, out0);
        const H = hessian(f)(x);
        for (let k = 0; k < 3; k++) {
          const v = randn([3], { seed: 100 * s + k });
          const hv = jv(v)[1];
          same(hv, jv0(v)[1]);
          const ref = H.matmul(v).data;
          hv.data.forEach((e, i) => expect(Math.abs(e - ref[i]!)).toBeLessThan(1e-11 * (1 + Math.abs(ref[i]!))));
        }
      });
    }
    expect(c.runs()).toBe(1);
  });

  it("a linearization that fails on replay (singular matrix) gives linearize's error", () => {
    const g = (X: Tensor) => mc.logdet(X);
    const vg = valueAndGrad(g);
    const jl = jitLinearize(vg as (x: unknown) => unknown, lin);
    scoped(() => {
      const [, jv] = jl(spd(1, 2)) as [unknown, (t: unknown) => [Tensor, Tensor]];
      jv(mc.eye(2));
      expect(() => jl(matrix([[1, 2], [2, 4]]))).toThrow(SingularMatrixError);
      const [out] = jl(spd(2, 2)) as [[Tensor, Tensor]];
      same(out, vg(spd(2, 2)));
    });
  });

  const rosen = (x: Tensor) => {
    const n = x.size;
    const a = mc.slice(x, [0], [n - 1]), b = mc.slice(x, [1], [n - 1]);
    return b.sub(a.square()).square().mul(100).add(mc.sub(1, a).square()).sum();
  };

  it("minimize: jit on and off give identical runs for every method, with a pytree x0 too", () => {
    const x0 = vec(-1.2, 1, -0.5, 0.8);
    for (const method of ["lbfgs", "bfgs", "newton", "newton-cg", "trust-ncg", "gd"] as const) {
      const opts = { method, maxIterations: method === "gd" ? 50 : 200 };
      const a = minimize(rosen, x0, opts), b = minimize(rosen, x0, { ...opts, jit: false });
      expect([method, a.iterations, a.status, a.evaluations]).toEqual([method, b.iterations, b.status, b.evaluations]);
      expect(a.value).toBe(b.value);
      same(a.x, b.x);
    }
    const p0 = { w: vec(0.5, -0.5), b: scalar(0.1), extra: [vec(1), vec(2, 3)] };
    const F = (p: typeof p0) => rosen(mc.concat([p.w, mc.reshape(p.b, [1]), ...p.extra])).add(p.b.square());
    for (const method of ["lbfgs", "newton-cg", "trust-ncg", "newton"] as const) {
      const a = minimize(F, p0, { method }), b = minimize(F, p0, { method, jit: false });
      expect([method, a.iterations, a.evaluations]).toEqual([method, b.iterations, b.evaluations]);
      same(a.x, b.x);
    }
  });

  it("minimize with an objective that branches on x (falls back) or catches a kernel error", () => {
    const branchy = (x: Tensor) => (x.get(0) > 0 ? rosen(x) : rosen(x).add(x.square().sum()));
    // −log det [[a, 0.3], [0.3, b]] + 3‖x‖² where the matrix is positive definite, a penalty
    // pulling towards (2, 2) where it is not. Bug: recorded on one branch, a run replayed it
    // on the other: from (2, 2) a NotPositiveDefiniteError escaped minimize; from (−1, 0.5)
    // the recorded penalty branch "converged" (gradTol) to f = 50 at (2, 2), not to 3.33.
    const guarded = (x: Tensor) => {
      const a = mc.slice(x, [0], [1]), b = mc.slice(x, [1], [1]);
      const A = mc.concat([mc.concat([a, vec(0.3)]).reshape([2, 1]), mc.concat([vec(0.3), b]).reshape([2, 1])], 1);
      try {
        return mc.logdet(A, { spd: true }).neg().add(x.square().sum().mul(3));
      } catch {
        return x.sub(vec(2, 2)).square().sum().add(50);
      }
    };
    const runs: [(x: Tensor) => Tensor, Tensor][] = [[branchy, vec(-1.2, 1)], [guarded, vec(2, 2)], [guarded, vec(-1, 0.5)]];
    for (const [F, x0] of runs) {
      for (const method of ["lbfgs", "bfgs", "newton", "newton-cg", "trust-ncg"] as const) {
        const a = minimize(F, x0, { method, maxIterations: 60 }), b = minimize(F, x0, { method, maxIterations: 60, jit: false });
        expect([method, a.iterations, a.status, a.value]).toEqual([method, b.iterations, b.status, b.value]);
        same(a.x, b.x);
        if (F === guarded) expect(a.value).toBeCloseTo(3.3317594692, 8);
      }
    }
  });

  it("leastSquares 'lm' and 'gauss-newton': jit on and off give identical iterates (pytree parameters)", () => {
    const t = vector(Array.from({ length: 12 }, (_, i) => (4 * i) / 11));
    const y = t.mul(-0.7).exp().mul(2.5).add(0.3).add(randn([12], { seed: 9 }).mul(0.01));
    const r = (p: { a: Tensor; k: Tensor; c: Tensor }) => p.a.mul(t.mul(p.k.neg()).exp()).add(p.c).sub(y);
    const p0 = { a: scalar(1), k: scalar(0.1), c: scalar(0) };
    for (const method of ["lm", "gauss-newton"] as const) {
      const a = leastSquares(r, p0, { method }), b = leastSquares(r, p0, { method, jit: false });
      expect([method, a.iterations, a.status, a.evaluations]).toEqual([method, b.iterations, b.status, b.evaluations]);
      expect(a.cost).toBe(b.cost);
      same(a.x, b.x);
      same(a.residual, b.residual);
    }
  });
});
