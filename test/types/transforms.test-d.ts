// Type tests of the transforms, checked by tsc (test/node/types.test.ts runs it): each
// expectTypeOf states what a call gives, and each `@ts-expect-error` is a line that must NOT
// compile (tsc fails on an unused one, so a regression that makes it compile fails the test).
import { expectTypeOf } from "vitest";
import {
  grad, hessian, hvp, jacobian, jit, jvp, linearize, matrix, scalar, valueAndGrad, vector, vjp, vmap,
  type Tensor, type TensorLike,
} from "../../src/index.js";
import { minimize } from "../../src/optim/index.js";

const x = vector([1, 2]);
const A = matrix([[1, 2], [3, 4]]);
const f = (x: Tensor) => x.dot(x);
type Params = { W: Tensor; b: Tensor };
const p: Params = { W: A, b: x };
const loss = (p: Params, X: Tensor, y: Tensor) => p.W.matmul(X).add(p.b).sub(y).square().sum();

// ---- grad ----
expectTypeOf(grad(f)).toEqualTypeOf<(x: TensorLike) => Tensor>();
expectTypeOf(grad(f)(x)).toEqualTypeOf<Tensor>();
expectTypeOf(grad(f)([1, 2])).toEqualTypeOf<Tensor>(); // a TensorLike where f takes a Tensor
expectTypeOf(grad(loss)(p, A, x)).toEqualTypeOf<{ W: Tensor; b: Tensor }>();
expectTypeOf(grad(loss)({ W: [[1, 2], [3, 4]], b: [0, 0] }, A, x).W).toEqualTypeOf<Tensor>();
expectTypeOf(grad(grad((s: Tensor) => s.pow(3)))(scalar(2))).toEqualTypeOf<Tensor>();
// @ts-expect-error a gradient is not a string
const s: string = grad(f)(x);
// @ts-expect-error wrong kind and number of arguments
grad(f)("nope", 1, 2);
// @ts-expect-error the gradient of a pytree has only the pytree's keys
grad(loss)(p, A, x).nonexistent;
const loss1 = (p: Params) => p.W.sum().add(p.b.sum());
expectTypeOf(grad(loss1)(p)).toEqualTypeOf<{ W: Tensor; b: Tensor }>();
// @ts-expect-error the issue's own example: no such key
grad(loss1)(p).nonexistent;
// @ts-expect-error a pytree argument needs all its keys
grad(loss1)({ W: A });
// @ts-expect-error a non-differentiated argument is passed to f as is: it must be a Tensor
grad(loss)(p, [[1, 2], [3, 4]], x);
// @ts-expect-error f must return a Tensor (a scalar)
grad((x: Tensor) => x.toArray());
// @ts-expect-error too few arguments
grad(loss)(p, A);

// ---- argnums ----
expectTypeOf(grad(loss, { argnums: 1 })(p, [[1, 2], [3, 4]], x)).toEqualTypeOf<Tensor>();
expectTypeOf(grad(loss, { argnums: [0, 2] })(p, A, [1, 2])).toEqualTypeOf<[{ W: Tensor; b: Tensor }, Tensor]>();
expectTypeOf(grad(loss, { argnums: [2, 0] })(p, A, x)).toEqualTypeOf<[Tensor, { W: Tensor; b: Tensor }]>();
// @ts-expect-error argnums [0, 2] gives a pair, not a pytree
grad(loss, { argnums: [0, 2] })(p, A, x).W;
// @ts-expect-error argnums 1 differentiates X only: p is passed as is and must be Params
grad(loss, { argnums: 1 })({ W: [[1]], b: [1] }, A, x);

// ---- hasAux ----
const withAux = (x: Tensor) => [x.dot(x), { y: x.mul(2), n: 3 }] as const;
expectTypeOf(grad(withAux, { hasAux: true })(x)).toEqualTypeOf<[Tensor, { readonly y: Tensor; readonly n: 3 }]>();
const [[v1, aux1], g1] = valueAndGrad((x: Tensor) => [x.dot(x), x.mul(2)], { hasAux: true })(x);
expectTypeOf(v1).toEqualTypeOf<Tensor>();
expectTypeOf(aux1).toEqualTypeOf<Tensor>();
expectTypeOf(g1).toEqualTypeOf<Tensor>();
// f declared apart returns an array, not a pair: the aux is typed as its element type.
const arrayAux = (x: Tensor, k: Tensor) => {
  const z = x.mul(k);
  return [z.sum(), { z, label: "aux" }];
};
expectTypeOf(grad(arrayAux, { hasAux: true, argnums: [0, 1] })(x, x)).toEqualTypeOf<[[Tensor, Tensor], Tensor | { z: Tensor; label: string }]>();
expectTypeOf(valueAndGrad(arrayAux, { hasAux: true })(x, x)[0][1]).toEqualTypeOf<Tensor | { z: Tensor; label: string }>();
// @ts-expect-error with hasAux, f returns [output, aux]
grad(f, { hasAux: true });
// @ts-expect-error without hasAux, f returns a Tensor, not a pair
grad(withAux);

// ---- valueAndGrad ----
expectTypeOf(valueAndGrad(loss)(p, A, x)).toEqualTypeOf<[Tensor, { W: Tensor; b: Tensor }]>();
expectTypeOf(valueAndGrad(loss, { argnums: [1, 2] })(p, A, x)).toEqualTypeOf<[Tensor, [Tensor, Tensor]]>();
// @ts-expect-error the value is a Tensor
const vs: number = valueAndGrad(f)(x)[0];

// ---- jvp / vjp / linearize ----
const [y2, dy2] = jvp((A: Tensor, x: Tensor) => A.matmul(x), [A, [1, 1]], [A, x]);
expectTypeOf(y2).toEqualTypeOf<Tensor>();
expectTypeOf(dy2).toEqualTypeOf<Tensor>();
expectTypeOf(jvp((p: Params) => ({ u: p.W.sum(), v: [p.b] }), [p], [p])[1]).toEqualTypeOf<{ u: Tensor; v: Tensor[] }>();
// @ts-expect-error one primal per parameter
jvp(f, [x, x], [x, x]);
// @ts-expect-error tangents have the primals' structure
jvp(loss, [p, A, x], [x, A, x]);
const [y3, back] = vjp((A: Tensor, x: Tensor) => A.matmul(x), A, x);
expectTypeOf(y3).toEqualTypeOf<Tensor>();
expectTypeOf(back).toEqualTypeOf<(cotangent: TensorLike) => [Tensor, Tensor]>();
expectTypeOf(vjp(loss, p, A, x)[1](1)).toEqualTypeOf<[{ W: Tensor; b: Tensor }, Tensor, Tensor]>();
// @ts-expect-error vjp's primals are f's arguments
vjp(loss, p, A);
const [y4, lin] = linearize((x: Tensor) => x.exp().sum(), x);
expectTypeOf(y4).toEqualTypeOf<Tensor>();
expectTypeOf(lin).toEqualTypeOf<(x: TensorLike) => Tensor>();
expectTypeOf(linearize(loss, p, A, x)[1]).parameters.toEqualTypeOf<[{ W: TensorLike; b: TensorLike }, TensorLike, TensorLike]>();
// @ts-expect-error linearize's tangents are f's arguments
linearize(loss, p, A, x)[1](x);

// ---- hvp / jacobian / hessian over pytrees ----
expectTypeOf(hvp(f)(x, [1, 0])).toEqualTypeOf<Tensor>();
expectTypeOf(hvp((p: Params) => p.W.sum().add(p.b.sum()))(p, p)).toEqualTypeOf<{ W: Tensor; b: Tensor }>();
// @ts-expect-error v has x's structure
hvp((p: Params) => p.W.sum())(p, x);
expectTypeOf(jacobian((p: Params) => p.W.matmul(p.b))(p)).toEqualTypeOf<Tensor>();
expectTypeOf(jacobian(loss, { argnums: [0, 2] })).parameters.toEqualTypeOf<[{ W: TensorLike; b: TensorLike }, Tensor, TensorLike]>();
expectTypeOf(hessian(loss)(p, A, x)).toEqualTypeOf<Tensor>();
expectTypeOf(hessian(loss, { argnums: 2 })).parameters.toEqualTypeOf<[Params, Tensor, TensorLike]>();
// @ts-expect-error hessian of a non-scalar f
hessian((x: Tensor) => [x, x]);
// @ts-expect-error wrong argument kinds
jacobian(f)("x");

// ---- vmap ----
expectTypeOf(vmap(f)(A)).toEqualTypeOf<Tensor>();
expectTypeOf(vmap((x: Tensor, w: Tensor) => x.dot(w), { inAxes: [0, null] })).toEqualTypeOf<(x: TensorLike, w: TensorLike) => Tensor>();
expectTypeOf(vmap((p: Params) => ({ s: p.W.sum(), t: p.b }))(p)).toEqualTypeOf<{ s: Tensor; t: Tensor }>();
expectTypeOf(vmap(grad(f))(A)).toEqualTypeOf<Tensor>();
// @ts-expect-error vmap keeps f's parameters
vmap(f)(A, A);

// ---- nesting, jit and minimize keep the types ----
expectTypeOf(jit(grad(loss))).toEqualTypeOf(grad(loss));
expectTypeOf(jacobian(grad(f))(x)).toEqualTypeOf<Tensor>();
expectTypeOf(minimize((q: { w: Tensor; b: Tensor }) => q.w.sum().add(q.b.sum()), { w: [0, 0], b: 0 }).x).toEqualTypeOf<{ w: Tensor; b: Tensor }>();

// ---- untyped lambdas stay usable ----
expectTypeOf(grad((x) => x.dot(x))(x)).toBeAny();

export { s, vs };

// ---- the helper types' own examples (src/transforms/types.ts) ----
import type { TensorsOf, TreeArg } from "../../src/index.js";
expectTypeOf<TensorsOf<{ W: Tensor; b: number[] }>>().toEqualTypeOf<{ W: Tensor; b: Tensor }>();
expectTypeOf<TreeArg<{ W: Tensor; b: Tensor }>>().toEqualTypeOf<{ W: TensorLike; b: TensorLike }>();
