// The core's caller-supplied derivatives (core/custom.ts) and the closed-over-value hooks in
// bind (closedOverTracers, withReplacements): a black-box implementation with a JVP rule, a
// linear solve whose JVP and transpose come from the solve itself, in every transform.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { checkGrads, grad, jacobian, jit, jvp, matrix, tensor, vector, vjp, vmap } from "../../src/index.js";
import { customJvp, linearSolve, type LinearSolveParams } from "../../src/core/custom.js";
import { JvpTracer, LinearVar, closedOverTracers, traceDepth, withReplacements } from "../../src/core/primitive.js";
import { Tensor, storage } from "../../src/core/tensor.js";

const arr = (t: Tensor): number[] => Array.from(t.toArray() as number[]);
const close = (a: number[], b: number[], tol = 1e-12): void => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!), `entry ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i]!))));
};

/** x ↦ x³ computed in JavaScript (no primitives), with its JVP rule 3x²·ẋ written with ops. */
const cube = (x: Tensor): Tensor =>
  customJvp(
    {
      name: "cube",
      shapes: [x.shape],
      impl: ([v]) => [new Tensor(v!.shape, storage(v!).map((a) => a * a * a))],
      jvp: ([t], [v]) => [t === null ? null : mc.mul(t!, mc.mul(v!.square(), 3))],
    },
    [x],
  )[0]!;

// A non-symmetric A, solved in JavaScript (Cramer's rule on 2 × 2), with Aᵀ for the transpose.
const A = [[2, 1], [-1, 3]];
const solve2 = (M: number[][]) => (b: Tensor): Tensor => {
  const [p, q] = storage(b);
  const det = M[0]![0]! * M[1]![1]! - M[0]![1]! * M[1]![0]!;
  return vector([(M[1]![1]! * p! - M[0]![1]! * q!) / det, (M[0]![0]! * q! - M[1]![0]! * p!) / det]);
};
const At = [[2, -1], [1, 3]];
const SOLVE: LinearSolveParams = { name: "test", solve: solve2(A), solveT: solve2(At) };

describe("custom_p: a caller's implementation and JVP rule", () => {
  it("grad, jvp, jacobian (both modes), vjp and vmap follow the rule", () => {
    const x = vector([0.5, -1.2, 2]);
    close(arr(cube(x)), [0.125, -1.728, 8]);
    close(arr(grad((v: Tensor) => cube(v).sum())(x)), [0.75, 4.32, 12]);
    close(arr(jvp(cube, [x], [vector([1, 2, 3])])[1] as Tensor), [0.75, 8.64, 36]);
    for (const mode of ["fwd", "rev"] as const) close((jacobian(cube, { mode })(x).toArray() as number[][]).flat(), [0.75, 0, 0, 0, 4.32, 0, 0, 0, 12]);
    close(arr(vjp(cube, x)[1](vector([1, 0, -1]))[0] as Tensor), [0.75, 0, -12]);
    close((vmap(cube)(matrix([[1, 2], [3, 4]])).toArray() as number[][]).flat(), [1, 8, 27, 64]);
    // The rule is made of primitives, so it differentiates again: second order against central differences.
    const rep = checkGrads((v: Tensor) => cube(v).mul(v).sum(), [x], { order: 2, modes: ["fwd", "rev"] });
    expect(rep.ok, rep.message).toBe(true);
  });

  it("an implementation returning the wrong shape is a ShapeError naming the op", () => {
    const bad = (x: Tensor) => customJvp({ name: "bad", shapes: [[3]], impl: () => [vector([1, 2])], jvp: () => [null] }, [x])[0]!;
    expect(() => bad(vector([1, 2, 3]))).toThrow(/^bad: implementation returned \[2\], declared \[3\]/);
  });
});

describe("linearSolve_p: u = A⁻¹b, transposed by the solve with Aᵀ", () => {
  const b = vector([1, 2]);
  const Ainv = [[3 / 7, -1 / 7], [1 / 7, 2 / 7]];
  it("the solve, its JVP (A⁻¹ḃ) and its transpose (A⁻ᵀ w) in grad, vjp and jacobian", () => {
    close(arr(linearSolve(b, SOLVE)), [1 / 7, 5 / 7]);
    close(arr(jvp((v: Tensor) => linearSolve(v, SOLVE), [b], [vector([1, 0])])[1] as Tensor), [3 / 7, 1 / 7]);
    // grad of w·A⁻¹b in b is A⁻ᵀw: the transpose rule, not the solve with A.
    const w = vector([1, 0]);
    close(arr(grad((v: Tensor) => mc.dot(w, linearSolve(v, SOLVE)))(b)), [3 / 7, -1 / 7]);
    for (const mode of ["fwd", "rev"] as const) close((jacobian((v: Tensor) => linearSolve(v, SOLVE), { mode })(b).toArray() as number[][]).flat(), Ainv.flat());
    // Staged under a JVP of a JVP rule and transposed (what minimize's implicit rule does).
    const f = (v: Tensor) => linearSolve(v.square(), SOLVE).mul(v).sum();
    const rep = checkGrads(f, [b], { order: 2, modes: ["fwd", "rev"] });
    expect(rep.ok, rep.message).toBe(true);
  });
  it("without solveT, A is taken as symmetric: the transpose is the same solve", () => {
    const S = [[2, 1], [1, 3]];
    const sym: LinearSolveParams = { name: "sym", solve: solve2(S) };
    const w = vector([1, 0]);
    close(arr(grad((v: Tensor) => mc.dot(w, linearSolve(v, sym)))(b)), [3 / 5, -1 / 5]);
  });
  it("inside jit the call runs un-jitted (the solve belongs to one call)", () => {
    const why: string[] = [];
    const g = jit((v: Tensor) => linearSolve(v, SOLVE), { onFallback: (r) => why.push(r) });
    close(arr(g(b)), [1 / 7, 5 / 7]);
    close(arr(g(vector([7, 0]))), [3, 1]);
    expect(why.join(" ")).toMatch(/linearSolve holds values of this call/);
  });
});

describe("bind's hooks for values a function closes over", () => {
  it("closedOverTracers reports the traced values f uses (not the rules' tangents), in first-use order", () => {
    const s = vector([1, 2]), t = tensor(3);
    grad((sv: Tensor, tv: Tensor) => {
      const f = () => vector([1, 1]).mul(tv).add(sv).sum();
      const { result, tracers } = closedOverTracers(traceDepth(), f);
      expect(tracers).toEqual([tv, sv]);
      expect(tracers.every((x) => x instanceof JvpTracer && !(x instanceof LinearVar))).toBe(true);
      // Run with constants in their place: a constant of the transform (no derivative).
      const c = withReplacements(new Map([[sv, vector([10, 20])], [tv, tensor(0)]]), f);
      expect(c instanceof JvpTracer).toBe(false);
      expect(c.item()).toBe(30);
      return result;
    }, { argnums: [0, 1] })(s, t);
    // Outside any transform there is nothing to find.
    expect(closedOverTracers(traceDepth(), () => vector([1]).add(1)).tracers).toEqual([]);
  });
});
