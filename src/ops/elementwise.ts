// Elementwise primitives: forward kernel → JVP → transpose, side by side.
// Nonlinear unary primitives need only a JVP (reverse mode transposes the JVP's linear ops).
// Binary primitives broadcast (NumPy rules); their transposes undo broadcasting through the
// single helper `unbroadcast`.
import { Tracer, apply1, bind1, primitive, type Lin, type Primitive } from "../core/primitive.js";
import { allocTensor, asTensor, checkSize, literalScalar, ptrOf, type Tensor, type TensorLike } from "../core/tensor.js";
import { broadcastShapes, sameShape, type Shape } from "../core/shape.js";
import { BinaryOp, UnaryOp } from "../wasm/kernels.js";
import { binaryK, kernels, markRowScaled, unaryK } from "../core/exec.js";
import { unbroadcast, broadcastTo } from "./reduce.js";
import { alignBatched } from "./batched.js";
import type { LowRank, LowRankRule } from "../core/primitive.js";
import { basisScale, basisStart, markBasis } from "../core/basis.js";
import { concat, reshape } from "./structure.js";

type NoParams = Record<string, never>;
const NONE: NoParams = {};

/** Optional rules a factory-made primitive may carry (see {@link Primitive}). */
type Extra = Pick<Primitive<NoParams>, "lowRank" | "nullSafeJvp" | "linearScale"> & {
  /**
   * The tangent is t ∘ s with s this kernel of x (or the output itself, "y"): the rule is
   * `mul(t, that)`, and forward mode on plain tensors runs both in one call (valueAndTangent).
   */
  slope?: UnaryOp | "y";
};

// ---- unary ----

function unaryPrim(
  name: string,
  op: UnaryOp,
  jvp: (t: Tensor, x: Tensor, y: Tensor) => Tensor | null,
  transpose?: (ct: Tensor) => Tensor,
  extra: Extra = {},
): Primitive<NoParams> {
  const { slope, ...rules } = extra;
  const run1 = (x: Tensor): Tensor => {
    const out = unaryK(op, x, name);
    if (op === UnaryOp.Neg) markRowScaled(out, x, null); // −X scales every row by −1
    return out;
  };
  const p: Primitive<NoParams> = {
    ...rules,
    name,
    shape: (s) => [s[0]!],
    impl: (args) => [run1(args[0]!)],
    run1,
    implChecksShapes: true,
    elementwise: { unary: op },
    jvp: (ts, xs, ys) => [jvp(ts[0]!, xs[0]!, ys[0]!)],
    // Elementwise, so the batch axis is just more elements.
    batch: ([x]) => [bind1(p, [x!], NONE)],
  };
  if (transpose) {
    p.transpose = (cts) => [cts[0] === null ? null : transpose(cts[0]!)];
    p.transpose1 = (ct) => transpose(ct);
  }
  if (slope !== undefined) {
    p.valueAndTangent = (x, t) => {
      const y = p.run1!(x, undefined, NONE); // through the property, as apply1 runs it
      const s = slope === "y" ? y : unaryK(slope, x, name);
      // A traced tangent (grad's staged one, a batch) takes the product through its trace.
      return [y, t._trace !== null ? apply1(mul_p, t, s, NONE) : binaryK(BinaryOp.Mul, t, s, t.shape, name)];
    };
  }
  return primitive(p);
}

const un = (p: Primitive<NoParams>) => (x: TensorLike): Tensor => apply1(p, asTensor(x, p.name), undefined, NONE);

// Low-rank batches (src/core/basis.ts): −UVᵀ = (−U)Vᵀ.
export const neg_p = unaryPrim("neg", UnaryOp.Neg, (t) => neg(t), (ct) => neg(ct), {
  lowRank: (_v, [x]) => (x === undefined ? undefined : { u: neg(x.u), v: x.v }),
  linearScale: () => -1,
});
export const exp_p = unaryPrim("exp", UnaryOp.Exp, (t, _x, y) => mul(t, y), undefined, { slope: "y" });
export const log_p = unaryPrim("log", UnaryOp.Log, (t, x) => div(t, x));
export const log1p_p = unaryPrim("log1p", UnaryOp.Log1p, (t, x) => div(t, add(x, 1)));
export const expm1_p = unaryPrim("expm1", UnaryOp.Expm1, (t, _x, y) => mul(t, add(y, 1)));
export const sqrt_p = unaryPrim("sqrt", UnaryOp.Sqrt, (t, _x, y) => div(t, mul(y, 2)));
export const square_p = unaryPrim("square", UnaryOp.Square, (t, x) => mul(t, mul(x, 2)));
export const reciprocal_p = unaryPrim("reciprocal", UnaryOp.Reciprocal, (t, _x, y) => neg(mul(t, square(y))));
export const sin_p = unaryPrim("sin", UnaryOp.Sin, (t, x) => mul(t, cos(x)), undefined, { slope: UnaryOp.Cos });
export const cos_p = unaryPrim("cos", UnaryOp.Cos, (t, x) => neg(mul(t, sin(x))));
export const atan_p = unaryPrim("atan", UnaryOp.Atan, (t, x) => div(t, add(square(x), 1)));
/**
 * tanh′ and σ′ from the input x, by kernels in forms without cancellation (assembly/
 * elementwise.ts): sech²x = 4e/(1 + e)² with e = exp(−2|x|), and σ′(x) = e/(1 + e)² with
 * e = exp(−|x|). The output forms 1 − tanh²x and σ(1 − σ) lose every digit once tanh x or σ(x)
 * rounds to ±1 (|x| ≳ 19 and 37: 30 % error at 37, 100 % beyond), which is also what JAX
 * computes. One primitive each, so their own derivative is ONE product of the tangent with an
 * unbatched factor: (sech²)′ = −2 tanh(x)·sech²x and σ″ = −tanh(x/2)·σ′ (not σ′(1 − 2σ), which
 * cancels near 0).
 */
const tanhSlope_p: Primitive<NoParams> = primitive<NoParams>({
  name: "tanhSlope",
  shape: (s) => [s[0]!],
  impl: (args) => [unaryK(UnaryOp.Sech2, args[0]!, "tanhSlope")],
  implChecksShapes: true,
  // The kernel reads x only; y = tanh(x) rides along so that (sech²)′ reuses tanh's output
  // instead of computing tanh again (a third exp-based pass in every HVP through tanh).
  elementwise: { unary: UnaryOp.Sech2 },
  // y is a function of x: the whole derivative flows through x's tangent.
  jvp: ([t], [, y], [s]) => [t === null ? null : mul(t!, mul(mul(y!, s!), -2))],
  batch: (args, batched) => [bind1(tanhSlope_p, alignAll(args, batched), NONE)],
});
const sigmoidSlope_p = unaryPrim("sigmoidSlope", UnaryOp.SigmoidSlope, (t, x, y) => mul(t, neg(mul(tanh(mul(x, 0.5)), y))));

// Forward mode on plain tensors runs y and t·sech²x in one call (valueAndTangent).
export const tanh_p = unaryPrim("tanh", UnaryOp.Tanh, (t, x, y) => mul(t, bind1(tanhSlope_p, [x, y], NONE)), undefined, { slope: UnaryOp.Sech2 });
// Fused rather than composed from exp: the kernel is stable for |x| ≫ 1 where exp overflows.
export const sigmoid_p = unaryPrim("sigmoid", UnaryOp.Sigmoid, (t, x) => mul(t, bind1(sigmoidSlope_p, [x], NONE)), undefined, { slope: UnaryOp.SigmoidSlope });
// Fused for stability: log(1 + eˣ) overflows for x > 709 when composed.
export const softplus_p = unaryPrim("softplus", UnaryOp.Softplus, (t, x) => mul(t, sigmoid(x)), undefined, { slope: UnaryOp.Sigmoid });
export const abs_p = unaryPrim("abs", UnaryOp.Abs, (t, x) => mul(t, sign(x)));
export const relu_p = unaryPrim("relu", UnaryOp.Relu, (t, x) => mul(t, step(x)));
// Piecewise constant: derivative zero (almost everywhere), as in JAX.
export const sign_p = unaryPrim("sign", UnaryOp.Sign, () => null);
export const step_p = unaryPrim("step", UnaryOp.Step, () => null);

/**
 * −x.
 * @example
 * ```ts
 * neg([1, -2]).toArray();   // [-1, 2]
 * ```
 * @category Elementwise
 */
export const neg = un(neg_p);
/**
 * eˣ.
 * @example
 * ```ts
 * exp([0, 1]).toArray();   // [1, 2.718281828459045]
 * ```
 * @category Elementwise
 */
export const exp = un(exp_p);
/**
 * Natural logarithm.
 * @example
 * ```ts
 * log([1, Math.E]).toArray();   // [0, 1]
 * ```
 * @category Elementwise
 */
export const log = un(log_p);
/**
 * log(1 + x), accurate for small x.
 * @example
 * ```ts
 * log1p(1e-20).item();   // 1e-20  (Math.log(1 + 1e-20) gives 0)
 * ```
 * @category Elementwise
 */
export const log1p = un(log1p_p);
/**
 * eˣ − 1, accurate for small x.
 * @example
 * ```ts
 * expm1(1e-20).item();   // 1e-20  (Math.exp(1e-20) − 1 gives 0)
 * ```
 * @category Elementwise
 */
export const expm1 = un(expm1_p);
/**
 * √x.
 * @example
 * ```ts
 * sqrt([4, 9]).toArray();   // [2, 3]
 * ```
 * @category Elementwise
 */
export const sqrt = un(sqrt_p);
/**
 * x².
 * @example
 * ```ts
 * square([-3, 2]).toArray();   // [9, 4]
 * ```
 * @category Elementwise
 */
export const square = un(square_p);
/**
 * 1 / x.
 * @example
 * ```ts
 * reciprocal([2, 4]).toArray();   // [0.5, 0.25]
 * ```
 * @category Elementwise
 */
export const reciprocal = un(reciprocal_p);
/**
 * sin x.
 * @example
 * ```ts
 * sin([0, Math.PI / 2]).toArray();   // [0, 1]
 * ```
 * @category Elementwise
 */
export const sin = un(sin_p);
/**
 * cos x.
 * @example
 * ```ts
 * cos([0, Math.PI]).toArray();   // [1, -1]
 * ```
 * @category Elementwise
 */
export const cos = un(cos_p);
/**
 * arctan x.
 * @example
 * ```ts
 * atan([0, 1]).toArray();   // [0, 0.7853981633974483]  (π/4)
 * ```
 * @category Elementwise
 */
export const atan = un(atan_p);
/**
 * tanh x.
 * @example
 * ```ts
 * tanh([0, 1000, -1000]).toArray();   // [0, 1, -1]
 * ```
 * @category Elementwise
 */
export const tanh = un(tanh_p);
/**
 * 1 / (1 + e⁻ˣ), stable for large |x|.
 * @example
 * ```ts
 * sigmoid([0, 800, -800]).toArray();   // [0.5, 1, 0]  (no overflow)
 * ```
 * @category Elementwise
 */
export const sigmoid = un(sigmoid_p);
/**
 * log(1 + eˣ), stable for large |x|.
 * @example
 * ```ts
 * softplus([0, 1000]).toArray();   // [0.6931471805599453, 1000]  (log 2; no overflow)
 * ```
 * @category Elementwise
 */
export const softplus = un(softplus_p);
/**
 * |x|. Its derivative at 0 is taken as 0 (sign(0)).
 * @example
 * ```ts
 * abs([-2, 0, 3]).toArray();                                      // [2, 0, 3]
 * grad((x: Tensor) => abs(x).sum())(vector([-2, 0, 3])).toArray(); // [-1, 0, 1]
 * ```
 * @category Elementwise
 */
export const abs = un(abs_p);
/**
 * max(x, 0). Its derivative at 0 is taken as 0.
 * @example
 * ```ts
 * relu([-1, 0, 2]).toArray();                                      // [0, 0, 2]
 * grad((x: Tensor) => relu(x).sum())(vector([-1, 0, 2])).toArray(); // [0, 0, 1]
 * ```
 * @category Elementwise
 */
export const relu = un(relu_p);
/**
 * −1, 0 or 1 (NaN for NaN); derivative zero.
 * @example
 * ```ts
 * sign([-2, 0, 5]).toArray();   // [-1, 0, 1]
 * ```
 * @category Elementwise
 */
export const sign = un(sign_p);
/** 1 where x > 0, else 0; derivative zero. @internal */
export const step = un(step_p);

// ---- binary ----

/**
 * A basis chunk times a fixed factor of the member's shape (d ∘ eⱼ = dⱼ·eⱼ: a reverse pass's
 * output seeds after an elementwise step) stays a basis chunk, scaled (basis.ts), so a matrix
 * product meeting it next gathers instead of multiplying. A scaled chunk times another factor
 * carries the product of the two (its one nonzero per member is that product, rounded once).
 */
function markScaledBasis(out: Tensor, args: readonly Tensor[], batched: readonly boolean[]): void {
  if (batched[0] === batched[1] || out._trace !== null) return;
  const e = batched[0] ? args[0]! : args[1]!, d = batched[0] ? args[1]! : args[0]!;
  const s = basisStart(e);
  if (s === undefined || d._trace !== null || !sameShape(d.shape, e.shape.slice(0, -1))) return;
  const prev = basisScale(e), dv = reshape(d, [d.size]);
  markBasis(out, s, prev === undefined ? dv : mul(prev, dv));
}

/** Lines up elementwise operands so broadcasting pairs their batch axes. */
function alignAll(args: readonly Tensor[], batched: readonly boolean[]): Tensor[] {
  const rank = Math.max(...args.map((a, i) => a.rank - (batched[i] ? 1 : 0)));
  return args.map((a, i) => alignBatched(a, batched[i]!, rank));
}

function binaryShape(name: string) {
  return (s: readonly Shape[]): Shape[] => [broadcastShapes(name, s[0]!, s[1]!)];
}

/**
 * A broadcasting binary primitive. Its `jvp` may give a tangent of either argument's shape
 * (a·db has b's shape when a is a scalar): the factory broadcasts it to the output's shape,
 * as every tangent must have, here once for all binary rules.
 */
function binaryPrim(
  name: string,
  op: BinaryOp,
  jvp: Primitive<NoParams>["jvp"],
  transpose?: Primitive<NoParams>["transpose"],
  extra: Extra & Pick<Primitive<NoParams>, "transpose1"> = {},
): Primitive<NoParams> {
  const shape = binaryShape(name);
  const run1 = (a: Tensor, b: Tensor | undefined): Tensor => {
    const out = binaryK(op, a, b!, broadcastShapes(name, a.shape, b!.shape), name);
    // Row scalings of a matrix (see markRowScaled): w ∘ X, X ∘ w, X / w.
    if (op === BinaryOp.Mul) {
      markRowScaled(out, a, b!);
      if (out._rowScaled === null) markRowScaled(out, b!, a);
    } else if (op === BinaryOp.Div) {
      markRowScaled(out, a, b!);
    }
    return out;
  };
  const p: Primitive<NoParams> = {
    ...extra,
    name,
    shape,
    // Indexing, not destructuring: this runs for every elementwise kernel call.
    impl: (args) => [run1(args[0]!, args[1]!)],
    run1,
    implChecksShapes: true,
    elementwise: { binary: op },
    jvp: (ts, xs, ys, params) => {
      const r = jvp(ts, xs, ys, params); // the rule's own fresh array
      r[0] = fit(r[0]!, ys[0]!.shape);
      return r;
    },
    batch: (args, batched) => {
      const out = bind1(p, alignAll(args, batched), NONE);
      if (op === BinaryOp.Mul) markScaledBasis(out, args, batched);
      return [out];
    },
  };
  if (transpose) p.transpose = transpose;
  return primitive(p);
}

/** A tangent broadcast to the output's shape (tangents must match their output exactly). */
function fit(t: Lin, shape: Shape): Lin {
  return t === null || sameShape(t.shape, shape) ? t : broadcastTo(t, shape);
}

/** The sum of two tangents, either of which may be a symbolic zero. */
function plus(da: Lin, db: Lin): Lin {
  return da === null ? db : db === null ? da : add(da, db);
}

// Low-rank batches (src/core/basis.ts): U₁V₁ᵀ ± U₂V₂ᵀ = [U₁, ±U₂][V₁, V₂]ᵀ (the ranks add).
function sumLowRank(sign: 1 | -1): LowRankRule<NoParams> {
  return (_v, [x, y]) => {
    if (x === undefined || y === undefined || x.u.shape[0] !== y.u.shape[0] || x.v.shape[0] !== y.v.shape[0]) return undefined;
    return { u: concat([x.u, sign > 0 ? y.u : neg(y.u)], 1), v: concat([x.v, y.v], 1) };
  };
}

// add and sub: their JVP rules read only the output's shape (nullSafeJvp, see core.ts).
export const add_p: Primitive<NoParams> = binaryPrim(
  "add",
  BinaryOp.Add,
  (ts) => [plus(ts[0]!, ts[1]!)],
  (cts, args, linear) => {
    const ct = cts[0]!;
    return [linear[0] ? unbroadcast(ct, args[0]!.shape) : null, linear[1] ? unbroadcast(ct, args[1]!.shape) : null];
  },
  {
    nullSafeJvp: true, lowRank: sumLowRank(1), linearScale: (a, b, la, lb) => sumScale(a, b!, la, lb, 1),
    transpose1: (ct, a, b, la) => unbroadcast(ct, (la ? a : b!).shape),
  },
);

export const sub_p: Primitive<NoParams> = binaryPrim(
  "sub",
  BinaryOp.Sub,
  ([ta, tb]) => [ta === null ? (tb === null ? null : neg(tb)) : tb === null ? ta : sub(ta, tb)],
  ([ct], [a, b], [la, lb]) => [la ? unbroadcast(ct!, a!.shape) : null, lb ? unbroadcast(neg(ct!), b!.shape) : null],
  {
    nullSafeJvp: true, lowRank: sumLowRank(-1), linearScale: (a, b, la, lb) => sumScale(a, b!, la, lb, -1),
    transpose1: (ct, a, b, la) => (la ? unbroadcast(ct, a.shape) : unbroadcast(neg(ct), b!.shape)),
  },
);

/**
 * x + b and x − b (b − x) in x alone: x's tangent passes through as is (negated), when the
 * result has x's shape (b a single entry or shaped as x). Never staged with one linear
 * argument (that would be affine), so only forward mode meets this case.
 */
function sumScale(a: Tensor, b: Tensor, la: boolean, lb: boolean, second: 1 | -1): number {
  if (la === lb) return 0;
  const x = la ? a : b, c = la ? b : a;
  if (!(c.size === 1 && c.rank <= x.rank) && !sameShape(c.shape, x.shape)) return 0;
  return la ? 1 : second;
}

export const mul_p = binaryPrim(
  "mul",
  BinaryOp.Mul,
  // Indexed, not destructured: mul's rules run for most staged equations.
  (ts, xs) => {
    const ta = ts[0]!, tb = ts[1]!;
    return [plus(ta === null ? null : mul(ta, xs[1]!), tb === null ? null : mul(xs[0]!, tb))];
  },
  (cts, args, linear) => {
    const ct = cts[0]!, a = args[0]!, b = args[1]!, la = linear[0], lb = linear[1];
    if (la && lb) throw new Error("matcalc: internal: mul of two linear values is not linear");
    return [la ? unbroadcast(mul(ct, b), a.shape) : null, lb ? unbroadcast(mul(a, ct), b.shape) : null];
  },
  {
    // The staged product of most reverse-mode chains (t·f′(x)): its transpose takes no arrays.
    transpose1: (ct, a, b, la) => (la ? unbroadcast(mul(ct, b!), a.shape) : unbroadcast(mul(a, ct), b!.shape)),
    // s·UVᵀ = (sU)Vᵀ for a scalar s (one per member or shared).
    lowRank: (vals, [x, y], batched) => scaleLowRank(x, vals[1], batched[1]!, false) ?? scaleLowRank(y, vals[0], batched[0]!, false),
    // x·0.999 with x linear: the backward pass holds the factor instead of running a product.
    linearScale: (a, b, la, lb) => {
      if (la === lb) return 0;
      const c = la ? b! : a;
      return c.shape.length === 0 ? literalScalar(c) : 0;
    },
  },
);

export const div_p = binaryPrim(
  "div",
  BinaryOp.Div,
  // d(a/b) = (da − (a/b)·db) / b: reuses the quotient, one division.
  ([ta, tb], [_a, b], [y]) => {
    const num = tb === null ? ta! : ta === null ? neg(mul(y!, tb)) : sub(ta, mul(y!, tb));
    return [div(num, b!)];
  },
  ([ct], [a, b], [la, lb]) => {
    if (lb) throw new Error("matcalc: internal: div is linear only in its numerator");
    return [la ? unbroadcast(div(ct!, b!), a!.shape) : null, null];
  },
  { lowRank: (vals, [x], batched) => scaleLowRank(x, vals[1], batched[1]!, true) },
);

/** (s·U)Vᵀ or (U/s)Vᵀ when `s` is a scalar per member (batched) or a shared one. */
function scaleLowRank(lr: LowRank | undefined, s: Tensor | undefined, batched: boolean, divide: boolean): LowRank | undefined {
  if (lr === undefined || s === undefined) return undefined;
  const c = lr.u.shape[2]!;
  if (s.size !== (batched ? c : 1)) return undefined;
  const k = reshape(s, batched ? [1, 1, c] : []);
  return { u: divide ? div(lr.u, k) : mul(lr.u, k), v: lr.v };
}

export const pow_p = binaryPrim("pow", BinaryOp.Pow, ([ta, tb], [a, b], [y]) => {
  // d(aᵇ) = b·aᵇ⁻¹·da + log(a)·aᵇ·db; the log term is taken as 0 where a = 0 (as JAX does),
  // so x² at x = 0 has derivative 0 rather than NaN.
  // b·aᵇ⁻¹ is taken as 0 where b = 0 (else 0·0⁻¹ = NaN at a = 0), as JAX does. The base is
  // replaced by 1 there rather than the result masked, so no 0·∞ appears at higher orders either.
  const safeA = where(eq(b!, 0), 1, a!);
  const da = ta === null ? null : mul(ta, mul(b!, pow(safeA, sub(b!, 1))));
  const db = tb === null ? null : mul(tb, mul(y!, where(eq(a!, 0), 0, log(where(eq(a!, 0), 1, a!)))));
  return [plus(da, db)];
});

/** Ties give each side half the tangent, so the derivative is symmetric (JAX's convention). */
function maxMinJvp(pick: (a: Tensor, b: Tensor) => Tensor): Primitive<NoParams>["jvp"] {
  return ([ta, tb], [a, b], [y]) => {
    const wa = add(pick(a!, b!), mul(eq(a!, b!), 0.5));
    const da = ta === null ? null : mul(ta, wa);
    const db = tb === null ? null : mul(tb, sub(1, wa));
    return [plus(da, db)];
  };
}
export const max_p = binaryPrim("maximum", BinaryOp.Max, maxMinJvp((a, b) => gt(a, b)));
export const min_p = binaryPrim("minimum", BinaryOp.Min, maxMinJvp((a, b) => lt(a, b)));

const compare = (name: string, op: BinaryOp) => binaryPrim(name, op, () => [null]);
export const gt_p = compare("gt", BinaryOp.Gt);
export const ge_p = compare("ge", BinaryOp.Ge);
export const lt_p = compare("lt", BinaryOp.Lt);
export const le_p = compare("le", BinaryOp.Le);
export const eq_p = compare("eq", BinaryOp.Eq);
export const ne_p = compare("ne", BinaryOp.Ne);

const bin = (p: Primitive<NoParams>) => (a: TensorLike, b: TensorLike): Tensor =>
  apply1(p, asTensor(a, p.name), asTensor(b, p.name), NONE);

/**
 * a + b (broadcasting).
 * @example
 * ```ts
 * add([[1, 2], [3, 4]], [10, 20]).toArray();   // [[11, 22], [13, 24]]  (the [2] row added to every row)
 * ```
 * @category Elementwise
 */
export const add = bin(add_p);
/**
 * a − b (broadcasting).
 * @example
 * ```ts
 * sub([5, 7], 1).toArray();   // [4, 6]
 * ```
 * @category Elementwise
 */
export const sub = bin(sub_p);
/**
 * a · b elementwise (broadcasting).
 * @example
 * ```ts
 * mul([1, 2, 3], 2).toArray();   // [2, 4, 6]
 * ```
 * @category Elementwise
 */
export const mul = bin(mul_p);
/**
 * a / b elementwise (broadcasting).
 * @example
 * ```ts
 * div([1, 2], [4, 8]).toArray();   // [0.25, 0.25]
 * ```
 * @category Elementwise
 */
export const div = bin(div_p);
/**
 * aᵇ elementwise (broadcasting). The derivative in the exponent is taken as 0 where a = 0,
 * so x² has derivative 0 (not NaN) at 0. An integer exponent with 1 ≤ |b| ≤ 4 is computed by
 * multiplying (as JAX's `integer_pow`): within |b| − 1 ulp (|b| − ½ for b < 0), correctly
 * rounded for b = 2 and −1; every other exponent, and a power outside [2⁻¹⁰²², 2¹⁰²²], takes
 * a log/exp route within 0.52 ulp.
 * @example
 * ```ts
 * pow([2, 3], 2).toArray();                                        // [4, 9]
 * grad((x: Tensor) => pow(x, 2).sum())(vector([0, 3])).toArray();  // [0, 6]
 * ```
 * @category Elementwise
 */
export const pow = (a: TensorLike, b: TensorLike): Tensor => {
  // A constant exponent of 2 or −1 (x.pow(2), the common case) as the one correctly rounded
  // operation it is, with that primitive's cheaper derivative rules. The kernel multiplies for
  // the other small integers itself (assembly/math/pow.ts), whichever way b arrives.
  if (b === 2) return apply1(square_p, asTensor(a, "pow"), undefined, NONE);
  if (b === -1) return apply1(reciprocal_p, asTensor(a, "pow"), undefined, NONE);
  return apply1(pow_p, asTensor(a, "pow"), asTensor(b, "pow"), NONE);
};
/**
 * Elementwise maximum (NaN-propagating). At a tie each side gets half the derivative.
 * @example
 * ```ts
 * maximum([1, 5], [3, 2]).toArray();                                        // [3, 5]
 * grad((x: Tensor) => maximum(x, 1).sum())(vector([1, 2, 0])).toArray();    // [0.5, 1, 0]
 * ```
 * @category Elementwise
 */
export const maximum = bin(max_p);
/**
 * Elementwise minimum (NaN-propagating). At a tie each side gets half the derivative.
 * @example
 * ```ts
 * minimum([1, 5], 3).toArray();   // [1, 3]
 * ```
 * @category Elementwise
 */
export const minimum = bin(min_p);
/**
 * 1 where a > b else 0; not differentiable (zero derivative).
 * @example
 * ```ts
 * gt([1, 2, 3], 2).toArray();   // [0, 0, 1]
 * ```
 * @category Elementwise
 */
export const gt = bin(gt_p);
/**
 * 1 where a ≥ b else 0.
 * @example
 * ```ts
 * ge([1, 2, 3], 2).toArray();   // [0, 1, 1]
 * ```
 * @category Elementwise
 */
export const ge = bin(ge_p);
/**
 * 1 where a < b else 0.
 * @example
 * ```ts
 * lt([1, 2, 3], 2).toArray();   // [1, 0, 0]
 * ```
 * @category Elementwise
 */
export const lt = bin(lt_p);
/**
 * 1 where a ≤ b else 0.
 * @example
 * ```ts
 * le([1, 2, 3], 2).toArray();   // [1, 1, 0]
 * ```
 * @category Elementwise
 */
export const le = bin(le_p);
/**
 * 1 where a = b else 0.
 * @example
 * ```ts
 * eq([1, 2, 3], 2).toArray();   // [0, 1, 0]
 * ```
 * @category Elementwise
 */
export const eq = bin(eq_p);
/**
 * 1 where a ≠ b else 0.
 * @example
 * ```ts
 * ne([1, 2, 3], 2).toArray();   // [1, 0, 1]
 * ```
 * @category Elementwise
 */
export const ne = bin(ne_p);

// ---- selection ----

export const where_p: Primitive<NoParams> = primitive<NoParams>({
  name: "where",
  shape: ([c, a, b]) => [broadcastShapes("where", broadcastShapes("where", c!, a!), b!)],
  impl: ([c, a, b]) => {
    const shape = broadcastShapes("where", broadcastShapes("where", c!.shape, a!.shape), b!.shape);
    // select(c, a, b) = a where c ≠ 0: mask arithmetic would turn Inf·0 into NaN, so select.
    const [cc, aa, bb] = [c!, a!, b!].map((x) => broadcastTo(x, shape));
    return [selectK(cc!, aa!, bb!)];
  },
  jvp: ([, ta, tb], [c], [y]) => {
    if (ta === null && tb === null) return [null];
    return [where(c!, ta ?? zerosLike(y!), tb ?? zerosLike(y!))];
  },
  transpose: ([ct], [c, a, b], [lc, la, lb]) => {
    if (lc) throw new Error("matcalc: internal: where's condition cannot be linear");
    const z = zerosLike(ct!);
    return [null, la ? unbroadcast(where(c!, ct!, z), a!.shape) : null, lb ? unbroadcast(where(c!, z, ct!), b!.shape) : null];
  },
  batch: (args, batched) => [bind1(where_p, alignAll(args, batched), NONE)],
});

function selectK(c: Tensor, a: Tensor, b: Tensor): Tensor {
  const pc = ptrOf(c), pa = ptrOf(a), pb = ptrOf(b);
  const out = allocTensor(a.shape, "where");
  kernels().select(out.size, pc, pa, pb, out._ptr);
  return out;
}

/**
 * `a` where `cond` ≠ 0, else `b` (broadcasting); differentiable in a and b.
 * @example
 * ```ts
 * where([1, 0, 1], [1, 2, 3], [-1, -2, -3]).toArray();   // [1, -2, 3]
 * const x = vector([-1, 2]);
 * where(gt(x, 0), x, 0).toArray();                       // [0, 2]
 * ```
 * @category Elementwise
 */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const args = [asTensor(cond, "where"), asTensor(a, "where"), asTensor(b, "where")];
  checkSize("where", broadcastShapes("where", broadcastShapes("where", args[0]!.shape, args[1]!.shape), args[2]!.shape));
  return bind1(where_p, args, NONE);
}

/**
 * Zeros shaped like `x` (a constant: no derivative flows through it).
 * @example
 * ```ts
 * zerosLike(matrix([[1, 2], [3, 4]])).toArray();   // [[0, 0], [0, 0]]
 * ```
 * @category Elementwise
 */
export function zerosLike(x: Tensor): Tensor {
  return broadcastTo(asTensor(0), asTensor(x, "zerosLike").shape);
}

export const stopGradient_p = primitive<NoParams>({
  name: "stopGradient",
  shape: ([s]) => [s!],
  impl: ([x]) => [x!],
  jvp: () => [null],
  batch: ([x]) => [stopGradient(x!)],
});

/**
 * The value of `x`, treated as a constant by every derivative.
 * @example
 * ```ts
 * grad((x: Tensor) => x.mul(stopGradient(x)).sum())(vector([3])).toArray();   // [3]  (not 6)
 * ```
 * @category Elementwise
 */
export function stopGradient(x: TensorLike): Tensor {
  return bind1(stopGradient_p, [asTensor(x, "stopGradient")], NONE);
}
