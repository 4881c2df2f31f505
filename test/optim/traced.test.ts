// minimize inside a transform: a value the transform traces reaching x0 or the bounds is
// refused with a typed error (its derivative would silently be zero; f's and the constraints'
// are given by the implicit function theorem, see argmin.test.ts and argmin-kkt.test.ts);
// minimize on constants inside a transform works as outside.
import { expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { DTypeError, NotDifferentiableError, grad, vector, vmap, type Tensor } from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";
import { thrown } from "../helpers/thrown.js";

const err = thrown;

it("a traced value reaching x0, the bounds or (under vmap) f is refused with a DTypeError; one reaching a weakly active constraint, with NotDifferentiableError", () => {
  const s0 = vector([1, 2]);
  // f closing over s is differentiated through the argmin (test/optim/argmin.test.ts).
  const gs = grad((s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), vector([0, 0])).x as Tensor).sum())(s0);
  expect(gs.toArray()).toEqual([1, 1]);
  expect(err(() => grad((s: Tensor) => minimize((x: Tensor) => x.square().sum(), s).value)(s0)).message).toMatch(/x0 depends/);
  expect(err(() => grad((s: Tensor) => minimize((x: Tensor) => x.square().sum(), vector([3, 3]), { bounds: { lower: s } }).value)(s0)).message).toMatch(/bounds depends/);
  // A constraint closing over a traced value at a weakly active inequality (c = 0 and λ = 0 at
  // x* = [0, 0]): no derivative, a typed error naming it.
  const ec = err(() => grad((s: Tensor) => (minimize((x: Tensor) => x.square().sum(), vector([3, 3]), {
    gradTol: 1e-10, constraints: [{ type: "ineq", fun: (x: Tensor) => mc.dot(x, s) }],
  }).x as Tensor).sum())(s0));
  expect(ec).toBeInstanceOf(NotDifferentiableError);
  expect(ec.message).toMatch(/^minimize: inequality constraint entry 0 is weakly active/);
  expect(err(() => vmap((s: Tensor) => (minimize((x: Tensor) => x.sub(s).square().sum(), vector([0])).x as Tensor).sum())(vector([1, 2])))).toBeInstanceOf(DTypeError);
});

it("inside a transform, a minimize on constants runs as outside (its result is a constant of the transform)", () => {
  const target = vector([1, 2]);
  const g = grad((s: Tensor) => {
    const r = minimize((x: Tensor) => x.sub(target).square().sum(), vector([0, 0]), { gradTol: 1e-10 });
    return s.mul(r.x as Tensor).sum();
  })(vector([5, 5]));
  const gv = g.toArray() as number[];
  expect(gv[0]).toBeCloseTo(1, 8);
  expect(gv[1]).toBeCloseTo(2, 8);
});
