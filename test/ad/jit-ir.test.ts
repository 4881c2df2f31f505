// The jit as a compiler: its IR's verifier, the pass pipeline as data, passes that match
// primitives by identity, long recordings, and fallback when the recorder or a pass fails.
import { afterEach, describe, expect, it, vi } from "vitest";
import { grad, hessian, jit, randn, scalar, vector, type Tensor } from "../../src/index.js";
import { dropPlan, ProgramError, slotOf, verifyDrops, verifyProgram, type Drops, type Ref, type Step } from "../../src/jit/program.js";
import { JIT_PASSES, LINEARIZE_PASSES, jitDebug, runPasses, type JitPass, type Staged } from "../../src/jit/pipeline.js";
import { jitLinearize, Recording } from "../../src/jit/jit.js";
import { linearize } from "../../src/transforms/transforms.js";
import { scoped } from "../../src/core/tensor.js";
import { regionClose_p, regionOpen_p, type RegionParams } from "../../src/ops/markers.js";
import { neg_p, add_p } from "../../src/ops/elementwise.js";
import { reshape_p } from "../../src/ops/structure.js";
import { matmul_p } from "../../src/ops/matmul.js";
import { gramSym_p } from "../../src/jit/passes/gram.js";
import type { Primitive } from "../../src/core/primitive.js";
import type { Shape } from "../../src/core/shape.js";

jitDebug.verify = true;
afterEach(() => vi.restoreAllMocks());

const P = (p: Primitive<never> | Primitive<any>) => p as Primitive<unknown>;
const slot = (i: number): Ref => ({ kind: "slot", i });
const input = (i: number): Ref => ({ kind: "in", i });
const st = (prim: Primitive<unknown>, args: Ref[], out: number, shape: Shape, params: unknown = {}): Step => ({
  prim, params, args, out, nOut: 1, shapes: [shape],
});
const program = (steps: Step[], outs: Ref[], slots = 8): Staged => ({ steps, outs, slots, split: steps.length });

describe("verifyProgram", () => {
  const ok = () => [
    st(P(neg_p), [input(0)], 0, [3]),
    st(P(add_p), [slot(0), input(0)], 1, [3]),
    st(P(reshape_p), [slot(1)], 2, [3, 1], { shape: [3, 1] }),
  ];

  it("accepts a well-formed program", () => {
    expect(() => verifyProgram(program(ok(), [slot(2)]), [[3]], "t")).not.toThrow();
  });

  it("names the pass and the step: a read before the write, a slot written twice, a wrong shape, a bad input, a missing result", () => {
    const cases: [Step[], Ref[], RegExp][] = [
      [[ok()[1]!, ok()[0]!], [slot(1)], /after t: step 0 \(add\): reads slot 0 before any step writes it/],
      [[...ok(), st(P(neg_p), [input(0)], 1, [3])], [slot(2)], /step 3 \(neg\): writes slot 1 a second time/],
      [[ok()[0]!, st(P(add_p), [slot(0), input(0)], 1, [4])], [slot(1)], /step 1 \(add\): output 0 recorded as \[4\] but its shape rule gives \[3\]/],
      [[st(P(neg_p), [input(2)], 0, [3])], [slot(0)], /reads input 2 of 1/],
      [ok(), [slot(5)], /reads slot 5 before any step writes it/],
    ];
    for (const [steps, outs, msg] of cases) {
      let err: unknown;
      try {
        verifyProgram(program(steps, outs), [[3]], "t");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProgramError);
      expect((err as ProgramError).pass).toBe("t");
      expect((err as Error).message).toMatch(msg);
    }
  });

  it("regions: a rewinding close must close the innermost open region", () => {
    const a: RegionParams = { mark: 0, rewind: true }, b: RegionParams = { mark: 0, rewind: true };
    const open = (p: RegionParams): Step => ({ prim: P(regionOpen_p), params: p, args: [], out: 0, nOut: 0, shapes: [] });
    const steps = (first: RegionParams): Step[] => [
      open(a), open(b),
      st(P(neg_p), [input(0)], 0, [3]),
      st(P(regionClose_p), [slot(0)], 1, [3], first),
      st(P(regionClose_p), [slot(1)], 2, [3], first === a ? b : a),
    ];
    expect(() => verifyProgram(program(steps(b), [slot(2)]), [[3]])).not.toThrow();
    expect(() => verifyProgram(program(steps(a), [slot(2)]), [[3]])).toThrow(/closes a region that is not the innermost open one/);
    a.rewind = false; // what checkRegions does to such a region: then it is fine
    b.rewind = false;
    expect(() => verifyProgram(program(steps(a), [slot(2)]), [[3]])).not.toThrow();
  });
});

describe("drops: a replay lets go of each value after its last read", () => {
  // 0 = −x; 1 = 0 + x; 2 = reshape 1; 3 = −2; 4 = 0 + 3 (results: 2 and 4).
  const steps = () => [
    st(P(neg_p), [input(0)], 0, [3]),
    st(P(add_p), [slot(0), input(0)], 1, [3]),
    st(P(reshape_p), [slot(1)], 2, [3, 1], { shape: [3, 1] }),
    st(P(neg_p), [slot(1)], 3, [3]),
    st(P(add_p), [slot(0), slot(3)], 4, [3]),
  ];
  const byStep = (d: Drops) => Array.from({ length: d.at.length - 1 }, (_, k) => Array.from(d.slots.subarray(d.at[k]!, d.at[k + 1]!)).sort());

  it("one part: each slot after its last read, results never", () => {
    const d = dropPlan(steps(), [slot(2), slot(4)]);
    expect(byStep(d)).toEqual([[], [], [], [1], [0, 3]]);
    expect(() => verifyDrops(steps(), [slot(2), slot(4)], [0, 5], d)).not.toThrow();
  });

  it("a value nothing reads goes right after its step", () => {
    const d = dropPlan(steps(), [slot(4)]);
    expect(byStep(d)).toEqual([[], [], [2], [1], [0, 3]]);
  });

  it("two parts: slots the second part reads stay; the second drops only its own", () => {
    // Part 0: steps 0–2, part 1: steps 3–4, which reads slots 0 and 1 of part 0 on every rerun.
    const d = dropPlan(steps(), [slot(2), slot(4)], [0, 3, 5]);
    expect(byStep(d)).toEqual([[], [], [], [], [3]]);
    expect(() => verifyDrops(steps(), [slot(2), slot(4)], [0, 3, 5], d)).not.toThrow();
  });

  it("verifyDrops names what a wrong plan breaks", () => {
    const plan = (lists: number[][]): Drops => {
      const at = new Int32Array(lists.length + 1);
      lists.forEach((l, k) => (at[k + 1] = at[k]! + l.length));
      return { at, slots: Int32Array.from(lists.flat()) };
    };
    const cases: [number[][], number[], RegExp][] = [
      [[[0], [], [], [1], [3]], [0, 5], /step 1 \(add\) reads slot 0 after its drop/],
      [[[], [], [], [1], [0, 3, 2]], [0, 5], /result slot 2 is dropped/],
      [[[], [], [], [1], [3]], [0, 5], /slot 0 is never dropped/],
      [[[], [], [], [1, 1], [0, 3]], [0, 5], /step 3 \(neg\) drops slot 1, which holds no value/],
      [[[], [], [], [], [0, 3]], [0, 3, 5], /step 4 \(add\) drops slot 0, which an earlier part wrote/],
    ];
    for (const [lists, bounds, msg] of cases) {
      expect(() => verifyDrops(steps(), [slot(2), slot(4)], bounds, plan(lists))).toThrow(msg);
    }
  });

  it("replays of long programs, linearizations and chunked Hessians give f's bits with drops checked (tests verify every plan)", () => {
    let calls = 0;
    const f = (x: Tensor) => {
      calls++;
      let y = x;
      for (let i = 0; i < 300; i++) y = y.mul(0.99).add(x.mul(0.01)).tanh();
      return y.mul(y).sum();
    };
    const x = vector([0.4, -0.3, 1.1]), y = vector([-1, 0.2, 0.7]);
    const jg = jit(grad(f)), jh = jit(hessian(f, { chunkSize: 1 }));
    for (const v of [x, y, x]) {
      expect(Array.from(jg(v).data)).toEqual(Array.from(grad(f)(v).data));
      expect(Array.from((jh(v) as Tensor).data)).toEqual(Array.from((hessian(f, { chunkSize: 1 })(v) as Tensor).data));
    }
    // Each replayed without running f (a replay that failed would run f again).
    calls = 0;
    jg(y);
    jh(y);
    expect(calls).toBe(0);
    const lin = jitLinearize((v) => f(v as Tensor), (g, v) => linearize(g, v) as [unknown, (t: unknown) => unknown]);
    const t1 = vector([1, 0, -1]), t2 = vector([0.5, 2, 0]);
    const want = [t1, t2, t1].map((t) => (linearize(f, x)[1](t) as Tensor).item());
    for (let k = 0; k < 3; k++) {
      // Inside a scope, as the optimizers call it (the residuals live in the arena).
      scoped(() => {
        calls = 0;
        const [out, jvpFn] = lin(x);
        // The tangent part reruns on the first part's values: twice per linearization.
        expect([t1, t2, t1].map((t) => (jvpFn(t) as Tensor).item())).toEqual(want);
        expect((out as Tensor).item()).toBe(f(x).item());
        if (k > 0) expect(calls).toBe(1); // f(x) just above: the linearization replayed
      });
    }
  });
});

describe("the pass pipeline", () => {
  it("is data: jit's passes and jitLinearize's (part-wise ones only), in order", () => {
    expect(JIT_PASSES.map((p) => p.name)).toEqual(["lowerTriangle", "foldScalings", "symmetricProducts", "productSums", "fuseRowBlocks", "fuseChains", "checkRegions"]);
    expect(LINEARIZE_PASSES.map((p) => p.name)).toEqual(["fuseRowBlocks", "fuseChains", "checkRegions"]);
  });

  it("the driver verifies after every pass and names the one that broke the program", () => {
    const breaks: JitPass = {
      name: "breaksShapes",
      run: (p) => ({ ...p, steps: p.steps.map((s, k) => (k === 0 ? { ...s, shapes: [[7]] } : s)) }),
    };
    const steps = [st(P(neg_p), [input(0)], 0, [3]), st(P(neg_p), [slot(0)], 1, [3])];
    expect(() => runPasses([breaks], program(steps, [slot(1)], 2), [[3]])).toThrow(/invalid after breaksShapes: step 0 \(neg\)/);
    // Dead steps are dropped before and after each pass.
    const dead = [st(P(neg_p), [input(0)], 0, [3]), st(P(neg_p), [input(0)], 1, [3])];
    expect(runPasses([], program(dead, [slot(1)], 2), [[3]]).steps.map((s) => slotOf(s, 0))).toEqual([1]);
  });

  // The source-level check (no `prim.name ===` in the jit) is in test/arch/passes.test.ts.
  it("passes match primitives by identity, never by name (a renamed primitive keeps its passes)", () => {
    // With matmul and reshape renamed, a least-squares Hessian AᵀA still
    // takes the symmetric-product pass.
    const A = randn([300, 24], { seed: 3 }), b = randn([300], { seed: 4 }), w = randn([24], { seed: 5 });
    const f = (q: Tensor) => A.matmul(q).sub(b).square().sum().mul(0.5);
    const renamed = [matmul_p, reshape_p] as unknown as { name: string }[];
    const saved = renamed.map((p) => p.name);
    renamed.forEach((p, i) => (p.name = `renamed${i}`));
    try {
      const jH = jit(hessian(f));
      jH(w);
      const gram = vi.spyOn(gramSym_p, "impl");
      jH(w.mul(-1));
      expect(gram).toHaveBeenCalledTimes(1);
    } finally {
      renamed.forEach((p, i) => (p.name = saved[i]!));
    }
  });
});

describe("long recordings", () => {
  // Issue 19's function, 16 667 rounds: a 10⁵-step program (3 steps a round forward and 3 back).
  const rounds = 16667;
  const f = (x: Tensor) => {
    for (let i = 0; i < rounds; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  };

  it("jit(grad(f)) records, compiles and replays a 10⁵-step program bit for bit", () => {
    // The length is what is tested here (the verifier is tested above, and costs a shape rule
    // per step after each pass).
    jitDebug.verify = false;
    const x = vector([1, 2, 3]), y = vector([0.5, -1, 2]);
    const fallbacks: string[] = [];
    const g = jit(grad(f), { onFallback: (r) => fallbacks.push(r) });
    expect(Array.from(g(x).data)).toEqual(Array.from(grad(f)(x).data));
    expect(Array.from(g(y).data)).toEqual(Array.from(grad(f)(y).data));
    expect(fallbacks).toEqual([]);
    jitDebug.verify = true;
  });

  it("a factor made by 20 000 negations: foldScalings walks back through them without recursion", () => {
    jitDebug.verify = false;
    const g = (x: Tensor) => {
      let c = scalar(-1);
      for (let i = 0; i < 20000; i++) c = c.neg();
      return x.mul(c).mul(x).sum();
    };
    const fallbacks: string[] = [];
    const jg = jit(grad(g), { onFallback: (r) => fallbacks.push(r) });
    const x = vector([1, -2, 3]);
    expect(Array.from(jg(x).data)).toEqual(Array.from(grad(g)(x).data));
    expect(Array.from(jg(x.mul(2)).data)).toEqual([-4, 8, -12]);
    expect(fallbacks).toEqual([]);
    jitDebug.verify = true;
  });
});

describe("failures inside jit fall back to the un-jitted call", () => {
  const f = (x: Tensor) => x.mul(x).tanh().sum();
  const x = vector([0.3, -0.2, 0.9]);
  const expected = () => Array.from(grad(f)(x).data);

  it("the recorder fails (every step): f's result, the reason reported, later calls un-jitted", () => {
    const spy = vi.spyOn(Recording.prototype as unknown as { record: () => void }, "record").mockImplementation(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    const reasons: string[] = [];
    const g = jit(grad(f), { onFallback: (r) => reasons.push(r) });
    expect(Array.from(g(x).data)).toEqual(expected());
    expect(reasons).toEqual(["jit failed while recording (Maximum call stack size exceeded: the recording is too long for this engine)"]);
    spy.mockRestore();
    expect(Array.from(g(x).data)).toEqual(expected()); // the signature stays un-jitted
    expect(reasons).toHaveLength(1);
  });

  it("a region marker fails while recording a Hessian: the Hessian un-jitted", () => {
    vi.spyOn(Recording.prototype as unknown as { open: () => void }, "open").mockImplementation(() => {
      throw new TypeError("boom");
    });
    const reasons: string[] = [];
    const H = jit(hessian(f, { chunkSize: 1 }), { onFallback: (r) => reasons.push(r) });
    expect(Array.from((H(x) as Tensor).data)).toEqual(Array.from((hessian(f, { chunkSize: 1 })(x) as Tensor).data));
    expect(reasons).toEqual(["jit failed while recording (TypeError: boom)"]);
  });

  for (const pass of JIT_PASSES) {
    it(`the pass ${pass.name} fails: f's result, the reason reported`, () => {
      vi.spyOn(pass, "run").mockImplementation(() => {
        throw new Error(`${pass.name} broke`);
      });
      const reasons: string[] = [];
      const g = jit(grad(f), { onFallback: (r) => reasons.push(r) });
      expect(Array.from(g(x).data)).toEqual(expected());
      expect(Array.from(g(x).data)).toEqual(expected());
      expect(reasons).toEqual([`jit failed while compiling the recording (Error: ${pass.name} broke)`]);
    });
  }

  it("a jitLinearize pass fails: plain linearize", () => {
    vi.spyOn(LINEARIZE_PASSES[0]!, "run").mockImplementation(() => {
      throw new Error("broke");
    });
    const lin = jitLinearize((v) => f(v as Tensor), (g, v) => linearize(g, v) as [unknown, (t: unknown) => unknown]);
    const t = vector([1, 0, -1]);
    const want = (linearize(f, x)[1](t) as Tensor).item();
    for (let k = 0; k < 3; k++) {
      const [out, jvpFn] = lin(x);
      expect((out as Tensor).item()).toBe(f(x).item());
      expect((jvpFn(t) as Tensor).item()).toBe(want);
    }
  });

  it("a broken invariant is loud in tests (verification on), not a fallback", () => {
    vi.spyOn(JIT_PASSES[2]!, "run").mockImplementation((p) => ({ ...p, steps: p.steps.slice(1) }));
    expect(() => jit(grad(f))(x)).toThrow(ProgramError);
    expect(scalar(1).item()).toBe(1); // and the next call works
  });
});
