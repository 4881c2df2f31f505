// The bad-input corpus: every public op, transform and option fed wrong shapes, ranks, kinds of
// values, empty or huge inputs, and pytrees with cycles, `__proto__` keys, getters and Symbol
// keys. Each case must raise a typed error (src/errors.ts) whose message names the function the
// user called, and the next ordinary call must still give the right answer. A case marked
// `works` may instead succeed, but then its result is checked.
//
// CORPUS_REPORT=1 prints the counts by outcome instead of failing (used to measure before/after).
// On 0926240 (before these guards) the 1507 inputs gave: 1172 typed errors naming the op, 66
// typed errors naming another op (max, jvp, jacobian, valueAndGrad, matmul, broadcastTo, …),
// 90 untyped errors (stack overflows on cycles, "shape is not iterable", "f is not a
// function"), 171 accepted silently (unknown options, bad option values, non-functions, Symbol
// keys, getters), 2 wrong results (__proto__ keys) and 6 right results. After: 1496 typed
// errors naming the op, 11 right results, nothing else.
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import * as api from "../../src/ops/api.js";
import {
  DTypeError, MemoryLimitError, NotPositiveDefiniteError, OptionError, ReleasedTensorError, ShapeError, SingularMatrixError,
  Tensor, checkGrad, checkGrads, checkHessian, checkJacobian, grad, hessian, hvp, init, jacobian, jit, jvp, linearize,
  matrix, scalar, valueAndGrad, vector, vjp, vmap,
} from "../../src/index.js";

type Outcome = "typed" | "typed-wrong-op" | "untyped" | "accepted" | "works" | "wrong-result" | "next-call-broken";

interface Case {
  name: string;
  /** The public function the message must name. */
  op: string;
  run: () => unknown;
  /** When given, success is allowed if this returns true for the result. */
  works?: (r: unknown) => boolean;
}

const TYPED = [ShapeError, DTypeError, OptionError, MemoryLimitError, SingularMatrixError, NotPositiveDefiniteError];

const cases: Case[] = [];
const add = (op: string, name: string, run: () => unknown, works?: (r: unknown) => boolean): void => {
  cases.push({ op, name: `${op}: ${name}`, run, ...(works ? { works } : {}) });
};

// ---- values of the wrong kind ----
const cyclic: unknown[] = [1];
cyclic.push(cyclic);
const BAD_VALUES: [string, () => unknown][] = [
  ["a string", () => "abc"],
  ["null", () => null],
  ["undefined", () => undefined],
  ["a boolean", () => true],
  ["a plain object", () => ({ a: 1 })],
  ["a Symbol", () => Symbol("s")],
  ["a bigint", () => 1n],
  ["a function", () => () => 1],
  ["a ragged array", () => [[1, 2], [3]]],
  ["an array holding a string", () => [1, "a"]],
  ["a cyclic array", () => cyclic],
];

const UNARY = [
  "abs", "atan", "cos", "exp", "expm1", "log", "log1p", "neg", "reciprocal", "relu", "sigmoid", "sign", "sin", "softplus",
  "sqrt", "square", "stopGradient", "tanh", "sum", "mean", "max", "vec", "transpose", "diag", "trace", "norm", "softmax",
  "logSoftmax", "logsumexp", "sumSquares", "inv", "det", "logdet", "slogdet", "cholesky", "eigh",
] as const;
const BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne", "matmul", "dot", "outer", "kron", "solve"] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const OPS = mc as unknown as Record<string, (...a: any[]) => any>;

for (const op of UNARY) {
  for (const [what, v] of BAD_VALUES) add(op, what, () => OPS[op]!(v()));
}
for (const op of BINARY) {
  for (const [what, v] of BAD_VALUES.slice(0, 6)) {
    add(op, `${what} first`, () => OPS[op]!(v(), [1, 2]));
    add(op, `${what} second`, () => OPS[op]!([[1, 2], [3, 4]], v()));
  }
}

// Every function of the public op namespace (src/ops/api.ts), each argument position in turn
// given a value of the wrong kind, the others valid.
const VALID: Record<string, unknown[]> = {
  concat: [[[1, 2], [3]]], commutation: [2, 3], kronMatVec: [[[1, 0], [0, 1]], [[1]], [1, 2]],
  slice: [[1, 2, 3], [0], [2]], reshape: [[1, 2, 3, 4], [2, 2]], broadcastTo: [[1, 2], [3, 2]], where: [[1, 0], [1, 2], [3, 4]],
  zerosLike: [vector([1, 2])],
};
for (const [name, fn] of Object.entries(api)) {
  if (typeof fn !== "function") continue;
  const args = VALID[name] ?? (fn.length >= 2 ? [[[2, 1], [1, 2]], [[1, 0], [0, 1]]] : [[[2, 1], [1, 2]]]);
  args.forEach((_, pos) => {
    for (const [what, v] of [["a string", "x"], ["null", null], ["a Symbol", Symbol("s")], ["an object", { a: 1 }]] as const) {
      add(name, `argument ${pos} ${what}`, () => (fn as (...a: unknown[]) => unknown)(...args.map((a, i) => (i === pos ? v : a))));
    }
  });
}

// ---- wrong shapes and ranks ----
for (const op of ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"]) {
  add(op, "[3] with [2]", () => OPS[op]!([1, 2, 3], [1, 2]));
  add(op, "[2, 3] with [2]", () => OPS[op]!([[1, 2, 3], [4, 5, 6]], [1, 2]));
}
for (const op of ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "gt", "ge", "lt", "le", "eq", "ne"]) {
  add(op, "a broadcast too big for memory", () => OPS[op]!(mc.zeros([1e5, 1]), mc.zeros([1, 1e5])));
}
add("matmul", "a product too big for memory", () => mc.matmul(mc.zeros([1e5, 1]), mc.zeros([1, 1e5])));
add("where", "a broadcast too big for memory", () => mc.where(mc.zeros([1e5, 1]), mc.zeros([1, 1e5]), 0));
add("broadcastTo", "a shape too big for memory", () => mc.broadcastTo([1], [1e5, 1e5]));
add("where", "[3] with [2]", () => mc.where([1, 0, 1], [1, 2], [3, 4]));
add("where", "a string condition", () => mc.where("x" as never, [1, 2], [3, 4]));
add("matmul", "inner dimensions", () => mc.matmul([[1, 2, 3]], [[1, 2]]));
add("matmul", "a scalar", () => mc.matmul(2, [1, 2]));
add("dot", "lengths", () => mc.dot([1, 2, 3], [1, 2]));
add("outer", "a matrix", () => mc.outer([[1, 2]], [1, 2]));
add("kronMatVec", "wrong x", () => mc.kronMatVec([[1, 2], [3, 4]], [[1]], [1, 2, 3]));
add("solve", "non-square", () => mc.solve([[1, 2, 3], [4, 5, 6]], [1, 2]));
add("solve", "wrong rhs", () => mc.solve([[1, 0], [0, 1]], [1, 2, 3]));
add("solve", "a vector as matrix", () => mc.solve([1, 2], [1, 2]));
add("solve", "NaN", () => mc.solve([[NaN, 0], [0, 1]], [1, 1]));
add("solve", "Infinity", () => mc.solve([[Infinity, 0], [0, 1]], [1, 1]));
add("solve", "singular", () => mc.solve([[1, 2], [2, 4]], [1, 1]));
for (const op of ["inv", "det", "logdet", "slogdet", "cholesky", "eigh", "trace"]) {
  add(op, "non-square", () => OPS[op]!([[1, 2, 3], [4, 5, 6]]));
  add(op, "a vector", () => OPS[op]!([1, 2]));
  add(op, "a scalar", () => OPS[op]!(3));
  if (op !== "trace") {
    add(op, "NaN", () => OPS[op]!([[NaN, 0], [0, 1]]));
    add(op, "Infinity", () => OPS[op]!([[1, 0], [0, -Infinity]]));
  }
}
add("inv", "singular", () => mc.inv([[1, 2], [2, 4]]));
add("cholesky", "indefinite", () => mc.cholesky([[1, 2], [2, 1]]));
add("logdet", "indefinite spd", () => mc.logdet([[1, 2], [2, 1]], { spd: true }));
add("triangularSolve", "non-square", () => mc.triangularSolve([[1, 2, 3]], [1]));
add("triangularSolve", "wrong rhs", () => mc.triangularSolve([[1, 0], [2, 1]], [1, 2, 3]));
add("triangularSolve", "NaN", () => mc.triangularSolve([[NaN, 0], [2, 1]], [1, 2]));
for (const op of ["softmax", "logsumexp", "logSoftmax", "max"]) {
  add(op, "an empty vector", () => OPS[op]!([]));
  add(op, "an empty axis", () => OPS[op]!(mc.zeros([0, 3]), 0));
}
for (const op of ["sum", "mean", "max", "logsumexp", "softmax", "logSoftmax"]) {
  add(op, "axis 2 of a matrix", () => OPS[op]!([[1, 2]], 2));
  add(op, "axis 1.5", () => OPS[op]!([[1, 2]], 1.5));
  add(op, "axis NaN", () => OPS[op]!([[1, 2]], NaN));
  add(op, "axis '0'", () => OPS[op]!([[1, 2]], "0"));
}
add("norm", "ord 0.5", () => mc.norm([1, 2], 0.5));
add("norm", "ord 'nuc'", () => mc.norm([1, 2], "nuc" as never));
add("norm", "ord NaN", () => mc.norm([1, 2], NaN));
add("norm", "ord 2 of a matrix", () => mc.norm([[1, 2], [3, 4]], 2));
add("norm", "ord 3 of a matrix", () => mc.norm([[1, 2], [3, 4]], 3));
add("reshape", "wrong size", () => mc.reshape([1, 2, 3], [2, 2]));
add("reshape", "negative extent", () => mc.reshape([1, 2], [-2, -1]));
add("reshape", "fractional extent", () => mc.reshape([1, 2], [0.5, 4]));
add("reshape", "a number shape", () => mc.reshape([1, 2], 2 as never));
add("reshape", "null shape", () => mc.reshape([1, 2], null as never));
add("slice", "out of range", () => mc.slice([1, 2, 3], [2], [5]));
add("slice", "wrong rank", () => mc.slice([1, 2, 3], [0, 0], [1, 1]));
add("slice", "negative start", () => mc.slice([1, 2, 3], [-5]));
add("slice", "fractional", () => mc.slice([1, 2, 3], [0.5]));
add("concat", "mismatched", () => mc.concat([[[1, 2]], [[1, 2, 3]]], 0));
add("concat", "axis out of range", () => mc.concat([[1, 2], [3]], 3));
add("concat", "empty list", () => mc.concat([]));
add("concat", "not an array", () => mc.concat(vector([1, 2]) as never));
add("concat", "a string entry", () => mc.concat([[1], "x" as never]));
add("broadcastTo", "incompatible", () => mc.broadcastTo([1, 2, 3], [2, 2]));
add("broadcastTo", "bad shape", () => mc.broadcastTo([1, 2], null as never));
add("diag", "rank 3", () => mc.diag(mc.zeros([2, 2, 2])));
add("kron", "rank 3", () => mc.kron(mc.zeros([2, 2, 2]), [[1]]));

// ---- constructors ----
for (const op of ["zeros", "ones", "randn"]) {
  add(op, "a number", () => OPS[op]!(3));
  add(op, "null", () => OPS[op]!(null));
  add(op, "undefined", () => OPS[op]!(undefined));
  add(op, "a string", () => OPS[op]!("3"));
  add(op, "negative", () => OPS[op]!([-1]));
  add(op, "NaN", () => OPS[op]!([NaN]));
  add(op, "fractional", () => OPS[op]!([1.5]));
  add(op, "huge", () => OPS[op]!([1e5, 1e5]));
}
add("full", "a number shape", () => mc.full(3 as never, 1));
add("full", "a string value", () => mc.full([2], "x" as never));
add("eye", "negative", () => mc.eye(-1));
add("eye", "a string", () => mc.eye("2" as never));
add("eye", "huge", () => mc.eye(1e5));
add("tensor", "a string", () => mc.tensor("x" as never));
add("tensor", "null", () => mc.tensor(null as never));
add("tensor", "a ragged array", () => mc.tensor([[1, 2], [3]]));
add("tensor", "wrong size", () => mc.tensor(new Float64Array(3), [2, 2]));
add("tensor", "bad order", () => mc.tensor([1, 2, 3, 4], [2, 2], { order: "rows" as never }));
add("tensor", "an unknown option", () => mc.tensor([1, 2, 3, 4], [2, 2], { ordr: "row" } as never));
add("matrix", "a vector", () => mc.matrix([1, 2] as never));
add("vector", "a string", () => mc.vector("ab" as never));
add("vector", "null", () => mc.vector(null as never));
add("scalar", "a string", () => mc.scalar("1" as never));
add("scalar", "an array", () => mc.scalar([1, 2] as never));
add("randn", "bad seed", () => mc.randn([2], { seed: "x" } as never));
add("randn", "unknown option", () => mc.randn([2], { sed: 1 } as never));
add("outer", "huge", () => mc.outer(mc.zeros([40000]), mc.zeros([40000])));
add("kron", "huge", () => mc.kron(mc.zeros([200, 200]), mc.zeros([200, 200])));

// ---- options of ops ----
add("logdet", "unknown option", () => mc.logdet([[1, 0], [0, 1]], { sdp: true } as never));
add("logdet", "spd 'yes'", () => mc.logdet([[1, 0], [0, 1]], { spd: "yes" } as never));
add("logdet", "options a number", () => mc.logdet([[1, 0], [0, 1]], 1 as never));
add("triangularSolve", "unknown option", () => mc.triangularSolve([[1, 0], [0, 1]], [1, 1], { upper: true } as never));
add("triangularSolve", "lower 1", () => mc.triangularSolve([[1, 0], [0, 1]], [1, 1], { lower: 1 } as never));
add("triangularSolve", "transA 'T'", () => mc.triangularSolve([[1, 0], [0, 1]], [1, 1], { transA: "T" } as never));
add("init", "dtype float32", () => init({ dtype: "float32" } as never));
add("init", "simd 'yes'", () => init({ simd: "yes" } as never));
add("init", "unknown option", () => init({ smid: true } as never));
add("init", "url a number", () => init({ url: 5 } as never));

// ---- transforms ----
const f = (x: Tensor) => x.mul(x).sum();
const f2 = (x: Tensor, y: Tensor) => x.mul(y).sum();
const x2 = () => vector([1, 2]);
const TRANSFORMS: [string, (fn: never, opts?: never) => (...a: unknown[]) => unknown][] = [
  ["grad", grad as never],
  ["valueAndGrad", valueAndGrad as never],
  ["jacobian", jacobian as never],
  ["hessian", hessian as never],
  ["hvp", hvp as never],
  ["vmap", vmap as never],
  ["jit", jit as never],
];
for (const [name, T] of TRANSFORMS) {
  for (const [what, v] of [["a string", "x"], ["a number", 5], ["null", null], ["an object", {}], ["undefined", undefined]] as const) {
    add(name, `f is ${what}`, () => T(v as never));
  }
  add(name, "unknown option", () => T(f as never, { foo: 1 } as never));
  add(name, "options a number", () => T(f as never, 3 as never));
  add(name, "options an array", () => T(f as never, [] as never));
  add(name, "options a string", () => T(f as never, "fwd" as never));
  add(name, "a Symbol-keyed option", () => T(f as never, { [Symbol("k")]: 1 } as never));
}
for (const [name, T] of TRANSFORMS.filter(([n]) => ["grad", "valueAndGrad", "jacobian", "hessian"].includes(n))) {
  for (const a of [5, -1, 1.5, NaN, "0", [0, 7], null, true]) {
    add(name, `argnums ${JSON.stringify(a)}`, () => T(f2 as never, { argnums: a } as never)(x2(), x2()));
  }
}
for (const [name, T] of TRANSFORMS.filter(([n]) => ["grad", "valueAndGrad"].includes(n))) {
  add(name, "hasAux 'yes'", () => T(f as never, { hasAux: "yes" } as never));
  add(name, "hasAux with a plain output", () => T(f as never, { hasAux: true } as never)(x2()));
}
for (const v of [0, -1, 1.5, NaN, -Infinity, "4", null]) {
  add("jacobian", `chunkSize ${String(v)}`, () => jacobian(f, { chunkSize: v } as never));
  add("hessian", `chunkSize ${String(v)}`, () => hessian(f, { chunkSize: v } as never));
}
add("jacobian", "layout 'foo'", () => jacobian(f, { layout: "foo" } as never));
add("jacobian", "layot typo", () => jacobian(f, { layot: "denominator" } as never));
add("jacobian", "mode 'bar'", () => jacobian(f, { mode: "bar" } as never));
add("jacobian", "mode typo", () => jacobian(f, { mdoe: "fwd" } as never));
add("hessian", "layout (not a hessian option)", () => hessian(f, { layout: "denominator" } as never));
add("hessian", "mode (not a hessian option)", () => hessian(f, { mode: "rev" } as never));
add("hvp", "mode 'bar'", () => hvp(f, { mode: "bar" } as never));
add("hvp", "v of the wrong shape", () => hvp(f)(x2(), vector([1, 2, 3])));
add("hvp", "v a string", () => hvp(f)(x2(), "v"));
add("hvp", "v missing", () => (hvp(f) as (x: unknown) => unknown)(x2()));
add("hvp", "rev-rev v of the wrong shape", () => hvp(f, { mode: "rev-rev" })(x2(), vector([1, 2, 3])));
add("vmap", "inAxes 'x'", () => vmap(f, { inAxes: "x" } as never));
add("vmap", "inAxes 1.5", () => vmap(f, { inAxes: 1.5 } as never));
add("vmap", "outAxes NaN", () => vmap(f, { outAxes: NaN } as never));
add("vmap", "inAxes typo", () => vmap(f, { in_axes: 0 } as never));
add("vmap", "axis out of range", () => vmap(f, { inAxes: 3 })(x2()));
add("vmap", "different sizes", () => vmap(f2, { inAxes: [0, 0] })(x2(), vector([1, 2, 3])));
add("jit", "onFallback a string", () => jit(f, { onFallback: "x" } as never));
add("jit", "unknown option", () => jit(f, { static: [0] } as never));
add("grad", "non-scalar output", () => grad((x: Tensor) => x.mul(2))(x2()));
add("grad", "f returns a string", () => grad(() => "x")(x2()));
add("grad", "f returns null", () => grad(() => null)(x2()));
add("jvp", "f not a function", () => jvp("f" as never, [x2()], [x2()]));
add("jvp", "primals not an array", () => jvp(f, x2() as never, [x2()]));
add("jvp", "tangent shape", () => jvp(f, [x2()], [vector([1, 2, 3])]));
add("jvp", "count mismatch", () => jvp(f, [x2()], []));
add("vjp", "f not a function", () => vjp(5 as never, x2()));
add("vjp", "cotangent shape", () => vjp((x: Tensor) => x.mul(2), x2())[1](vector([1, 2, 3])));
add("vjp", "cotangent a string", () => vjp((x: Tensor) => x.mul(2), x2())[1]("c"));
add("linearize", "f not a function", () => linearize(null as never, x2()));
add("linearize", "tangent shape", () => linearize((x: Tensor) => x.mul(2), x2())[1](vector([1, 2, 3])));

// ---- pytrees: cycles, __proto__, getters, Symbols ----
const cyc = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: vector([1, 2]) };
  o.self = o;
  return o;
};
const protoTree = (): Record<string, unknown> => {
  const o = JSON.parse('{"__proto__": [1, 2], "b": [3]}') as Record<string, unknown>;
  return o;
};
const getterTree = (): Record<string, unknown> => ({ get a() { return vector([1, 2]); }, b: vector([3]) });
const symbolTree = (): Record<string | symbol, unknown> => ({ a: vector([1, 2]), [Symbol("w")]: vector([3]) });
const treeF = (p: Record<string, Tensor>) => {
  let s: Tensor = scalar(0);
  for (const k of Object.keys(p)) s = s.add(mc.sumSquares(p[k]!));
  return s;
};
// Each tree's gradient, when the transform accepts it, must be 2x at every leaf.
const gradOk = (r: unknown): boolean => {
  if (r === null || typeof r !== "object") return false;
  const o = r as Record<string, Tensor>;
  const keys = Object.keys(o);
  if (keys.length !== 2) return false;
  const want: Record<string, number[]> = { ["__proto__"]: [2, 4], a: [2, 4], b: [6] };
  return keys.every((k) => {
    const g = Object.getOwnPropertyDescriptor(o, k)?.value as Tensor | undefined;
    return g instanceof Tensor && JSON.stringify(g.toArray()) === JSON.stringify(want[k]);
  });
};
/** Every tensor in a result can be read (none was released with its call). */
const readable = (r: unknown, seen = new Set<unknown>()): boolean => {
  if (r instanceof Tensor) return r.toArray() !== undefined;
  if (r === null || typeof r !== "object" || seen.has(r)) return true;
  seen.add(r);
  return Reflect.ownKeys(r).every((k) => readable(Object.getOwnPropertyDescriptor(r, k)?.value, seen));
};
const TREE_TRANSFORMS: [string, (tree: unknown) => unknown][] = [
  ["grad", (t) => grad(treeF)(t)],
  ["valueAndGrad", (t) => (valueAndGrad(treeF)(t) as unknown[])[1]],
  ["jacobian", (t) => jacobian(treeF)(t)],
  ["hessian", (t) => hessian(treeF)(t)],
  ["hvp", (t) => hvp(treeF)(t, t)],
  ["vmap", (t) => vmap(treeF)(t)],
  ["jit", (t) => jit(treeF)(t)],
  ["jvp", (t) => jvp(treeF, [t], [t])],
  ["vjp", (t) => vjp(treeF, t)],
  ["linearize", (t) => linearize(treeF, t)],
  ["checkGrad", (t) => checkGrad(treeF, t)],
  ["checkGrads", (t) => checkGrads(treeF, [t], { order: 1 })],
];
for (const [name, run] of TREE_TRANSFORMS) {
  add(name, "a cyclic pytree", () => run(cyc()));
  add(name, "a cyclic array pytree", () => run([vector([1]), cyclic]));
  add(name, "a Symbol-keyed pytree", () => run(symbolTree()));
  add(name, "a getter in the pytree", () => run(getterTree()));
  const works = name === "grad" || name === "valueAndGrad" ? gradOk : readable;
  add(name, "a __proto__ own key", () => run(protoTree()), works);
  // jit passes non-tensor leaves to f unchanged (static, as jax.jit's static_argnums): f decides.
  if (name === "jit") continue;
  add(name, "a Map as pytree", () => run(new Map([["a", vector([1])]])));
  add(name, "a class instance as pytree", () => run(new (class P { a = vector([1]); })()));
  add(name, "a string leaf", () => run({ a: vector([1]), b: "x" }));
  add(name, "a null leaf", () => run({ a: vector([1]), b: null }));
  add(name, "an undefined leaf", () => run({ a: vector([1]), b: undefined }));
  add(name, "a Date leaf", () => run({ a: vector([1]), b: new Date() }));
}

// ---- checks ----
const CHECKS: [string, (fn: never, x: unknown, opts?: never) => unknown][] = [
  ["checkGrad", checkGrad as never],
  ["checkJacobian", checkJacobian as never],
  ["checkHessian", checkHessian as never],
];
for (const [name, C] of CHECKS) {
  add(name, "unknown option", () => C(f as never, x2(), { tol: 1 } as never));
  add(name, "eps 0", () => C(f as never, x2(), { eps: 0 } as never));
  add(name, "eps -1", () => C(f as never, x2(), { eps: -1 } as never));
  add(name, "eps NaN", () => C(f as never, x2(), { eps: NaN } as never));
  add(name, "rtol 'x'", () => C(f as never, x2(), { rtol: "x" } as never));
  add(name, "atol -1", () => C(f as never, x2(), { atol: -1 } as never));
  add(name, "f not a function", () => C("f" as never, x2()));
  add(name, "x a string", () => C(f as never, "x"));
}
add("checkGrads", "unknown option", () => checkGrads(f, [x2()], { tol: 1 } as never));
add("checkGrads", "order 3", () => checkGrads(f, [x2()], { order: 3 } as never));
add("checkGrads", "modes ['up']", () => checkGrads(f, [x2()], { modes: ["up"] } as never));
add("checkGrads", "modes 'fwd'", () => checkGrads(f, [x2()], { modes: "fwd" } as never));
add("checkGrads", "seed 'x'", () => checkGrads(f, [x2()], { seed: "x" } as never));
add("checkGrads", "args not an array", () => checkGrads(f, x2() as never));
add("checkGrads", "f not a function", () => checkGrads(3 as never, [x2()]));

// ---- running the corpus ----
async function classify(c: Case): Promise<{ outcome: Outcome; detail: string }> {
  let result: unknown;
  try {
    // init returns a promise: its rejection is classified as a throw.
    result = await c.run();
    // A lazily failing result (e.g. released tensors) shows when read.
    mc.tensor(0);
  } catch (e) {
    if (TYPED.some((T) => e instanceof T)) {
      const msg = (e as Error).message;
      const named = msg.startsWith(`${c.op}:`) || (e as { op?: string }).op === c.op;
      return { outcome: named ? "typed" : "typed-wrong-op", detail: `${(e as Error).name}: ${msg}` };
    }
    return { outcome: "untyped", detail: `${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 160)}` };
  }
  if (c.works) {
    try {
      return c.works(result) ? { outcome: "works", detail: "" } : { outcome: "wrong-result", detail: "result is wrong" };
    } catch (e) {
      return { outcome: "wrong-result", detail: `reading the result threw ${(e as Error).name}` };
    }
  }
  return { outcome: "accepted", detail: "no error" };
}

/** An ordinary call after each case must still be right. */
function nextCallRight(): boolean {
  const g = grad((x: Tensor) => x.mul(x).sum())(vector([1, 2])) as Tensor;
  const A = matrix([[2, 1], [1, 3]]);
  const s = mc.solve(A, [3, 5]).toArray() as number[];
  return JSON.stringify(g.toArray()) === "[2,4]" && Math.abs(s[0]! - 0.8) < 1e-15 && Math.abs(s[1]! - 1.4) < 1e-15;
}

describe("bad-input corpus", () => {
  it(`has at least 400 inputs (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(400);
  });

  const results = cases.map((c) => ({ c, r: null as null | { outcome: Outcome; detail: string } }));

  it("every input gives a typed error naming the op (or a right result), and the next call works", async () => {
    const counts: Record<string, number> = {};
    const bad: string[] = [];
    for (const entry of results) {
      let r = await classify(entry.c);
      if (!nextCallRight()) r = { outcome: "next-call-broken", detail: r.detail };
      entry.r = r;
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if (r.outcome !== "typed" && r.outcome !== "works") bad.push(`[${r.outcome}] ${entry.c.name} — ${r.detail}`);
    }
    if (typeof process !== "undefined" && process.env?.CORPUS_REPORT) {
      console.log(`corpus: ${cases.length} inputs`, JSON.stringify(counts));
      console.log(bad.join("\n"));
      return;
    }
    expect(bad).toEqual([]);
  });
});

// Outcomes that are not errors: a ReleasedTensorError from a result is a defect.
void ReleasedTensorError;
