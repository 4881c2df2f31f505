// The array-free paths of issue 19's third round keep bind's semantics bit for bit: apply1
// hands a one-output primitive to its trace's process1 (JvpTrace, LinearTrace), and the
// backward pass transposes staged mul/add/sub/neg through transpose1. Each case runs twice,
// once with those paths replaced by the general ones, and must agree in every bit.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  grad, hessian, hvp, jacobian, jit, jvp, linearize, matrix, scalar, vector, vjp, vmap, type Tensor,
} from "../../src/index.js";
import { JvpTrace, LinearTrace, Trace, type Primitive } from "../../src/core/primitive.js";
import { add_p, mul_p, neg_p, sub_p } from "../../src/ops/elementwise.js";

afterEach(() => vi.restoreAllMocks());

type Any = Primitive<unknown>;
const withT1 = [mul_p, add_p, sub_p, neg_p] as unknown as Any[];

/** Runs `fn` with the lean paths off: process1 as process, no transpose1. */
function general<R>(fn: () => R): R {
  const generic = Trace.prototype.process1;
  const p1 = vi.spyOn(JvpTrace.prototype, "process1").mockImplementation(generic);
  const p2 = vi.spyOn(LinearTrace.prototype, "process1").mockImplementation(generic);
  const saved = withT1.map((p) => p.transpose1);
  for (const p of withT1) (p as { transpose1?: unknown }).transpose1 = undefined;
  try {
    return fn();
  } finally {
    withT1.forEach((p, i) => ((p as { transpose1?: unknown }).transpose1 = saved[i]));
    p1.mockRestore();
    p2.mockRestore();
  }
}

/** Every number of a result (tensors, arrays of them), with −0 kept apart from +0. */
function bits(x: unknown): string {
  const flat: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object" && "data" in v) flat.push(...Array.from((v as Tensor).data));
    else if (typeof v === "number") flat.push(v);
  };
  walk(x);
  return flat.map((v) => (Object.is(v, -0) ? "-0" : String(v))).join(",");
}

const x0 = vector([0.3, -1.2, 0.7]), v0 = vector([1, -0.5, 2]);
const M = matrix([[1, 2, 0.5], [-1, 0.25, 3]]);
const s = scalar(1.5);

// Programs over the cases process1 and transpose1 take or hand on: literal products (held
// factors), factors that meet and disagree, both tangents live, broadcasting against scalars
// and matrices, unary ops with and without valueAndTangent, constants (no live tangent), neg.
const programs: [string, (x: Tensor) => Tensor][] = [
  ["tanh chain", (x) => {
    for (let i = 0; i < 4; i++) x = x.mul(0.999).add(0.001).tanh();
    return x.sum();
  }],
  ["factors meet", (x) => x.mul(2).add(x.mul(3)).mul(x.mul(0.5).sin()).sum()],
  ["products of live values", (x) => x.mul(x).sub(x.exp().mul(x)).div(x.mul(x).add(1)).sum()],
  ["broadcasts", (x) => M.matmul(x).mul(s).add(x.sum()).sub(s.mul(x.sum())).neg().tanh().sum()],
  ["unary ops", (x) => x.mul(x).add(1).log().sqrt().sigmoid().softplus().sub(x.neg().cos()).sum()],
  ["constants", (x) => x.mul(vector([1, 2, 3]).tanh().add(0.5)).add(s.exp()).sum()],
];

describe("apply1's lean traced paths and transpose1", () => {
  for (const [name, f] of programs) {
    it(`${name}: grad, jvp, vjp, linearize, hessian, hvp, jit(grad) as the general paths give them`, () => {
      const run = (): unknown[] => {
        const [, back] = vjp(f, x0);
        const [, lin] = linearize(f, x0);
        return [
          grad(f)(x0), jvp(f, [x0], [v0]), back(scalar(0.5)), lin(v0), hessian(f)(x0), hvp(f)(x0, v0),
          hvp(f, { mode: "rev-rev" })(x0, v0),
          grad((y: Tensor) => grad(f)(y).mul(y).sum())(x0),
          jit(grad(f))(x0), vmap(grad(f))(matrix([[0.3, -1.2, 0.7], [0.1, 0.4, -0.3]])),
          jacobian((y: Tensor) => y.mul(0.5).tanh().mul(y))(x0),
        ];
      };
      const p1 = vi.spyOn(JvpTrace.prototype, "process1");
      const t1 = vi.spyOn(mul_p as { transpose1: NonNullable<typeof mul_p.transpose1> }, "transpose1");
      const lean = run();
      // The lean paths ran (else this compares the general paths with themselves).
      expect(p1).toHaveBeenCalled();
      if (name !== "constants") expect(t1).toHaveBeenCalled();
      p1.mockRestore();
      t1.mockRestore();
      const want = general(run);
      expect(bits(lean)).toBe(bits(want));
    });
  }

  it("transpose1 is transpose's entry for the linear argument, broadcasts undone", () => {
    const shapes: [Tensor, Tensor][] = [
      [vector([0.5, -2, 3]), vector([1.25, 4, -0.75])],
      [vector([0.5, -2, 3]), scalar(-1.5)],
      [scalar(2.5), vector([1.25, 4, -0.75])],
      [M, vector([2, -3, 0.5])],
    ];
    for (const p of withT1) {
      for (const [a, b] of shapes) {
        const unary = p === (neg_p as unknown as Any);
        for (const la of unary ? [true] : [true, false]) {
          const x = la ? a : b;
          if (unary && x !== a) continue;
          const out = unary ? a : p.run1!(a, b, {});
          const ct = out.mul(-0.3).add(0.1);
          const want = p.transpose!([ct], unary ? [a] : [a, b], unary ? [true] : [la, !la], {})[la ? 0 : 1]!;
          const got = p.transpose1!(ct, a, unary ? undefined : b, la, {})!;
          expect(got.shape).toEqual(x.shape);
          expect(bits(got)).toBe(bits(want));
        }
      }
    }
  });
});
