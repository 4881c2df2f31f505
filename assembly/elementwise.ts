// Elementwise kernels: unary math, broadcasting binary ops, fill and select.
// ABI and op codes: src/wasm/kernels.ts (UnaryOp, BinaryOp); the codes below must match.
//
// Dispatch. Each export switches on the op code once and then runs a loop specialized for
// that op: the per-op helpers are @inline and take the code as a literal, so Binaryen folds
// every inner `switch` away and each loop body is straight-line code for one op.
//
// SIMD. In the SIMD build the loops run two lanes at a time (f64x2) and finish an odd
// element with the scalar form of the same op. For every op the scalar and f64x2 forms give
// the same bits for the same input (see assembly/math/*.ts), so a result never depends on
// an element's position, and the two builds agree exactly. Ops with no cheap vector form
// (sin, cos, atan, atan2: table lookups or long branchy reductions) call
// AssemblyScript's NativeMath (musl ports) element by element in both builds. pow has its
// own row loop (assembly/math/pow.ts), called once per row.
//
// Aliasing. Every loop reads an element (or a pair) before writing the same position, so
// `out` may equal an input that is dense in the output's layout.
import { expCoreV, expFastV, expScalar } from "./math/exp";
import { expm1Scalar, expm1V } from "./math/expm1";
import { powRow, powScalar } from "./math/pow";
import { log1pFastV, log1pScalar, log1pV, logCoreV, logFastV, logScalar } from "./math/log";
import { reluScalar, sigmoidScalar, sigmoidV, softplusRow, tanhScalar, tanhStoreV, tanhV } from "./math/act";

// ---- op codes (src/wasm/kernels.ts) ----
const NEG = 0, ABS = 1, SIGN = 2, SQUARE = 3, SQRT = 4, RECIPROCAL = 5, EXP = 6, LOG = 7,
  LOG1P = 8, EXPM1 = 9, SIN = 10, COS = 11, TANH = 12, SIGMOID = 13, RELU = 14, SOFTPLUS = 15,
  ATAN = 16, STEP = 17, SECH2 = 18, SIGMOID_SLOPE = 19;
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, POW = 4, MAX = 5, MIN = 6, GT = 7, GE = 8, LT = 9,
  LE = 10, EQ = 11, NE = 12, ATAN2 = 13;

// f64x2 constants are loaded from memory rather than built with v128.const, which V8 11
// rematerializes from immediates inside every loop iteration (see assembly/math/exp.ts).
const VK: usize = memory.data<u64>([
  0x3FF0000000000000, 0x3FF0000000000000, // 1.0
  0x8000000000000000, 0x8000000000000000, // sign bit
  0xC000000000000000, 0xC000000000000000, // -2.0
  0x4010000000000000, 0x4010000000000000, // 4.0
], 16);
// @ts-ignore: decorator
@inline function vOne(): v128 {
  return v128.load(VK);
}
// @ts-ignore: decorator
@inline function vSign(): v128 {
  return v128.load(VK, 16);
}

// @ts-ignore: decorator
@inline function vMinus2(): v128 {
  return v128.load(VK, 32);
}
// @ts-ignore: decorator
@inline function vFour(): v128 {
  return v128.load(VK, 48);
}

// ---- unary ----

// Each unary op is a small class of @inline methods, and the loop is a generic over that class.
// AssemblyScript monomorphizes the generic, so each op's loop is compiled from that op's code
// alone. (A switch on an op code inside @inline helpers is not folded by the compiler: every
// copy of the loop carried all eighteen ops' vector code, and the SIMD build took minutes.)
// Instances are never made: the loop calls the methods on a null reference of the class.
// Each op's class holds, as @inline methods: s (the op on one entry), v (on two entries;
// equal to s lane by lane where fastV holds), fastV (whether both lanes are in the domain
// where v equals s bit for bit; the rest, such as overflow, subnormal results, NaN and
// out-of-domain arguments, go lane by lane through s), and kind, the loop it runs:
/** Cheap: unrolled to two vectors per iteration to keep loop overhead off the adds. */
const CHEAP = 0;
/** Long dependency chains: two independent pairs per iteration, checked with fastV. */
const CHAIN = 1;
/** tanh: stores each pair itself (storePairV), keeping its two regimes in one pass. */
const TANH_PAIR = 2;
/**
 * No cheap vector form (table lookups or long branchy reductions): AssemblyScript's
 * NativeMath (musl ports) element by element in both builds.
 */
const SCALAR = 3;
// The classes share no base class: an inherited method that a subclass overrides is virtual
// in AssemblyScript and would not be inlined.

// @ts-ignore: decorator
@final @unmanaged class OpNeg {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return -x; }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.neg(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpAbs {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return Math.abs(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.abs(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpSign {
  /** ±0 and NaN map to themselves. */
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 {
    // ±1 with x's sign where x is nonzero and not NaN; x itself elsewhere.
    const one = v128.or(v128.and(x, vSign()), vOne());
    return v128.bitselect(one, x, v128.and(f64x2.ne(x, f64x2.splat(0.0)), f64x2.eq(x, x)));
  }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpSquare {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return x * x; }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.mul(x, x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpSqrt {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return Math.sqrt(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.sqrt(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpReciprocal {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return 1.0 / x; }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.div(vOne(), x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpExp {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return expScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return expCoreV(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return expFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpLog {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return logScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return logCoreV(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return logFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpLog1p {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return log1pScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return log1pV(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return log1pFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpExpm1 {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return expm1Scalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return expm1V(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return expFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpSin {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return Math.sin(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return x; }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return SCALAR; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpCos {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return Math.cos(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return x; }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return SCALAR; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpAtan {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return Math.atan(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return x; }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return SCALAR; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpTanh {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return tanhScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return tanhV(x); }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void { tanhStoreV(x, p); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return TANH_PAIR; }
}

// @ts-ignore: decorator
@final @unmanaged class OpSigmoid {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return sigmoidScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return sigmoidV(x); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return expFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpRelu {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return reluScalar(x); }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 { return f64x2.max(x, f64x2.splat(0.0)); }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// @ts-ignore: decorator
@final @unmanaged class OpStep {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 { return x > 0 ? 1.0 : x != x ? x : 0.0; }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 {
    const s = v128.and(f64x2.gt(x, f64x2.splat(0.0)), vOne());
    return v128.bitselect(s, x, f64x2.eq(x, x));
  }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return true; }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHEAP; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

// tanh′ and σ′ (derivative rules of tanh and sigmoid, src/ops/elementwise.ts) in forms without
// cancellation: 1 − tanh²x and σ(1 − σ) lose every digit once tanh x or σ(x) rounds to ±1.

/** sech²x = 4e / (1 + e)² with e = exp(−2|x|). */
// @ts-ignore: decorator
@final @unmanaged class OpSech2 {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 {
    const e = expScalar(-2.0 * Math.abs(x));
    const d = 1.0 + e;
    return (e * 4.0) / (d * d);
  }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 {
    const e = expCoreV(f64x2.mul(f64x2.abs(x), vMinus2()));
    const d = f64x2.add(vOne(), e);
    return f64x2.div(f64x2.mul(e, vFour()), f64x2.mul(d, d));
  }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return expFastV(f64x2.add(x, x)); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

/** σ′(x) = e / (1 + e)² with e = exp(−|x|). */
// @ts-ignore: decorator
@final @unmanaged class OpSigmoidSlope {
  // @ts-ignore: decorator
  @inline s(x: f64): f64 {
    const e = expScalar(-Math.abs(x));
    const d = 1.0 + e;
    return e / (d * d);
  }
  // @ts-ignore: decorator
  @inline v(x: v128): v128 {
    const e = expCoreV(f64x2.neg(f64x2.abs(x)));
    const d = f64x2.add(vOne(), e);
    return f64x2.div(e, f64x2.mul(d, d));
  }
  // @ts-ignore: decorator
  @inline fastV(x: v128): bool { return expFastV(x); }
  // @ts-ignore: decorator
  @inline kind(): i32 { return CHAIN; }
  // @ts-ignore: decorator
  @inline storePairV(x: v128, p: usize): void {}
}

/** f of one pair, stored at p: the vector form where it is exact, else lane by lane. */
// @ts-ignore: decorator
@inline function storePair<Op>(v: v128, p: usize): void {
  const op = changetype<Op>(0);
  // Stores in both arms keep this a branch (see expFastV): the scalar path only runs for
  // pairs that need it.
  if (op.kind() == TANH_PAIR) {
    op.storePairV(v, p);
  } else if (op.fastV(v)) {
    v128.store(p, op.v(v));
  } else {
    store<f64>(p, op.s(f64x2.extract_lane(v, 0)));
    store<f64>(p, op.s(f64x2.extract_lane(v, 1)), 8);
  }
}

function mapUnary<Op>(n: i32, x: usize, out: usize): void {
  const op = changetype<Op>(0);
  let i = 0;
  if (ASC_FEATURE_SIMD && op.kind() != SCALAR) {
    if (op.kind() == CHEAP) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 3;
        const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
        v128.store(out + o, op.v(v0));
        v128.store(out + o, op.v(v1), 16);
      }
    }
    if (op.kind() == CHAIN) {
      // Two independent pairs per iteration: these ops are long dependency chains (exp then
      // log1p for softplus), and a second chain in the same block lets the CPU overlap them.
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 3;
        const v0 = v128.load(x + o), v1 = v128.load(x + o, 16);
        if (op.fastV(v0) && op.fastV(v1)) {
          const r0 = op.v(v0), r1 = op.v(v1);
          v128.store(out + o, r0);
          v128.store(out + o, r1, 16);
        } else {
          storePair<Op>(v0, out + o);
          storePair<Op>(v1, out + o + 16);
        }
      }
    }
    for (; i + 2 <= n; i += 2) {
      const o = <usize>i << 3;
      storePair<Op>(v128.load(x + o), out + o);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, op.s(load<f64>(x + o)));
  }
}

/** out[i] = f(x[i]) for i < n, f chosen by `op` (UnaryOp). out may equal x. */
export function unary(op: i32, n: i32, x: usize, out: usize): void {
  switch (op) {
    case NEG: mapUnary<OpNeg>(n, x, out); break;
    case ABS: mapUnary<OpAbs>(n, x, out); break;
    case SIGN: mapUnary<OpSign>(n, x, out); break;
    case SQUARE: mapUnary<OpSquare>(n, x, out); break;
    case SQRT: mapUnary<OpSqrt>(n, x, out); break;
    case RECIPROCAL: mapUnary<OpReciprocal>(n, x, out); break;
    case EXP: mapUnary<OpExp>(n, x, out); break;
    case LOG: mapUnary<OpLog>(n, x, out); break;
    case LOG1P: mapUnary<OpLog1p>(n, x, out); break;
    case EXPM1: mapUnary<OpExpm1>(n, x, out); break;
    case SIN: mapUnary<OpSin>(n, x, out); break;
    case COS: mapUnary<OpCos>(n, x, out); break;
    case TANH: mapUnary<OpTanh>(n, x, out); break;
    case SIGMOID: mapUnary<OpSigmoid>(n, x, out); break;
    case RELU: mapUnary<OpRelu>(n, x, out); break;
    case SOFTPLUS: softplusRow(n, x, out); break; // its own row loop (assembly/math/act.ts)
    case ATAN: mapUnary<OpAtan>(n, x, out); break;
    case STEP: mapUnary<OpStep>(n, x, out); break;
    case SECH2: mapUnary<OpSech2>(n, x, out); break;
    case SIGMOID_SLOPE: mapUnary<OpSigmoidSlope>(n, x, out); break;
  }
}

// ---- binary ----

// @ts-ignore: decorator
@inline function binaryS(op: i32, a: f64, b: f64): f64 {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case POW: return powScalar(a, b);
    case MAX: return Math.max(a, b); // f64.max: NaN-propagating, max(−0, +0) = +0, as JS
    case MIN: return Math.min(a, b);
    case GT: return a > b ? 1.0 : 0.0;
    case GE: return a >= b ? 1.0 : 0.0;
    case LT: return a < b ? 1.0 : 0.0;
    case LE: return a <= b ? 1.0 : 0.0;
    case EQ: return a == b ? 1.0 : 0.0;
    case NE: return a != b ? 1.0 : 0.0;
    case ATAN2: return Math.atan2(a, b);
  }
  return NaN;
}

// @ts-ignore: decorator
@inline function binaryHasV(op: i32): bool {
  return op != POW && op != ATAN2;
}

// @ts-ignore: decorator
@inline function binaryV(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f64x2.add(a, b);
    case SUB: return f64x2.sub(a, b);
    case MUL: return f64x2.mul(a, b);
    case DIV: return f64x2.div(a, b);
    case MAX: return f64x2.max(a, b); // same NaN and ±0 rules as f64.max
    case MIN: return f64x2.min(a, b);
    // Comparison masks are all-ones or zero; AND with 1.0 gives 1.0 or +0.
    case GT: return v128.and(f64x2.gt(a, b), vOne());
    case GE: return v128.and(f64x2.ge(a, b), vOne());
    case LT: return v128.and(f64x2.lt(a, b), vOne());
    case LE: return v128.and(f64x2.le(a, b), vOne());
    case EQ: return v128.and(f64x2.eq(a, b), vOne());
    case NE: return v128.and(f64x2.ne(a, b), vOne());
  }
  return a;
}

/**
 * One output row of n elements: out[i] = a[i·sa] ∘ b[i·sb]. The (1,1), (1,0) and (0,1)
 * stride patterns (same shape, b broadcast, a broadcast) get f64x2 loops; the rest is a
 * strided scalar loop.
 */
// @ts-ignore: decorator
@inline function binaryRow(op: i32, n: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize): void {
  if (op == POW) {
    powRow(n, a, sa, b, sb, out);
    return;
  }
  let i = 0;
  if (sa == 1 && sb == 1) {
    if (ASC_FEATURE_SIMD && binaryHasV(op)) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 3;
        const r0 = binaryV(op, v128.load(a + o), v128.load(b + o));
        const r1 = binaryV(op, v128.load(a + o, 16), v128.load(b + o, 16));
        v128.store(out + o, r0);
        v128.store(out + o, r1, 16);
      }
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(out + o, binaryV(op, v128.load(a + o), v128.load(b + o)));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 3;
      store<f64>(out + o, binaryS(op, load<f64>(a + o), load<f64>(b + o)));
    }
  } else if (sa == 1 && sb == 0) {
    const bs = load<f64>(b);
    if (ASC_FEATURE_SIMD && binaryHasV(op)) {
      const bv = f64x2.splat(bs);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 3;
        const r0 = binaryV(op, v128.load(a + o), bv);
        const r1 = binaryV(op, v128.load(a + o, 16), bv);
        v128.store(out + o, r0);
        v128.store(out + o, r1, 16);
      }
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(out + o, binaryV(op, v128.load(a + o), bv));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 3;
      store<f64>(out + o, binaryS(op, load<f64>(a + o), bs));
    }
  } else if (sa == 0 && sb == 1) {
    const as = load<f64>(a);
    if (ASC_FEATURE_SIMD && binaryHasV(op)) {
      const av = f64x2.splat(as);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 3;
        const r0 = binaryV(op, av, v128.load(b + o));
        const r1 = binaryV(op, av, v128.load(b + o, 16));
        v128.store(out + o, r0);
        v128.store(out + o, r1, 16);
      }
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(out + o, binaryV(op, av, v128.load(b + o)));
      }
    }
    for (; i < n; i++) {
      const o = <usize>i << 3;
      store<f64>(out + o, binaryS(op, as, load<f64>(b + o)));
    }
  } else {
    // Pointer steps are computed in i32 and wrap like wasm32 addresses, so negative
    // strides work too.
    const da = <usize>(sa << 3), db = <usize>(sb << 3);
    let pa = a, pb = b;
    for (; i < n; i++) {
      store<f64>(out + (<usize>i << 3), binaryS(op, load<f64>(pa), load<f64>(pb)));
      pa += da;
      pb += db;
    }
  }
}

/** Per-dimension counters of the outer loops (rank ≤ 8); static, below __heap_base. */
let COUNTERS_AT: usize = memory.data(32, 16);

/**
 * Walks dims 1..rank−1 like an odometer (dim 1 fastest) and runs one dim-0 row per step.
 * Each step moves the operands' pointers by one stride of the dim that advanced and rewinds
 * the dims that wrapped, so no flat index is ever decomposed into coordinates.
 */
// @ts-ignore: decorator
@inline function binaryDrive(op: i32, rank: i32, shape: usize, a: usize, sa: usize, b: usize, sb: usize, out: usize): void {
  const COUNTERS = COUNTERS_AT;
  const n0 = load<i32>(shape), sa0 = load<i32>(sa), sb0 = load<i32>(sb);
  const rowBytes = <usize>n0 << 3;
  memory.fill(COUNTERS, 0, 32);
  let pa = a, pb = b, po = out;
  while (true) {
    binaryRow(op, n0, pa, sa0, pb, sb0, po);
    po += rowBytes;
    let d = 1;
    for (; d < rank; d++) {
      const dq = <usize>d << 2;
      const ext = load<i32>(shape + dq), ad = load<i32>(sa + dq), bd = load<i32>(sb + dq);
      const c = load<i32>(COUNTERS + dq) + 1;
      if (c < ext) {
        store<i32>(COUNTERS + dq, c);
        pa += <usize>(ad << 3);
        pb += <usize>(bd << 3);
        break;
      }
      store<i32>(COUNTERS + dq, 0);
      pa -= <usize>((ad * (ext - 1)) << 3);
      pb -= <usize>((bd * (ext - 1)) << 3);
    }
    if (d >= rank) return;
  }
}

/**
 * out = a ∘ b over a broadcast index space of `rank` dims (rank ≤ 8), dim 0 fastest.
 * `shape`, `sa`, `sb` point to i32[rank]: output extents and element strides (0 where
 * broadcast). out is dense in `shape`. Rank 0 is one element; any zero extent is no work.
 */
export function binary(op: i32, rank: i32, shape: usize, a: usize, sa: usize, b: usize, sb: usize, out: usize): void {
  if (rank <= 0) {
    // One element: the shape and stride pointers are not read.
    const x = load<f64>(a), y = load<f64>(b);
    let r: f64;
    switch (op) {
      case ADD: r = binaryS(ADD, x, y); break;
      case SUB: r = binaryS(SUB, x, y); break;
      case MUL: r = binaryS(MUL, x, y); break;
      case DIV: r = binaryS(DIV, x, y); break;
      case POW: r = binaryS(POW, x, y); break;
      case MAX: r = binaryS(MAX, x, y); break;
      case MIN: r = binaryS(MIN, x, y); break;
      case GT: r = binaryS(GT, x, y); break;
      case GE: r = binaryS(GE, x, y); break;
      case LT: r = binaryS(LT, x, y); break;
      case LE: r = binaryS(LE, x, y); break;
      case EQ: r = binaryS(EQ, x, y); break;
      case NE: r = binaryS(NE, x, y); break;
      case ATAN2: r = binaryS(ATAN2, x, y); break;
      default: r = NaN;
    }
    store<f64>(out, r);
    return;
  }
  for (let d = 0; d < rank; d++) if (load<i32>(shape + (<usize>d << 2)) <= 0) return;
  switch (op) {
    case ADD: binaryDrive(ADD, rank, shape, a, sa, b, sb, out); break;
    case SUB: binaryDrive(SUB, rank, shape, a, sa, b, sb, out); break;
    case MUL: binaryDrive(MUL, rank, shape, a, sa, b, sb, out); break;
    case DIV: binaryDrive(DIV, rank, shape, a, sa, b, sb, out); break;
    case POW: binaryDrive(POW, rank, shape, a, sa, b, sb, out); break;
    case MAX: binaryDrive(MAX, rank, shape, a, sa, b, sb, out); break;
    case MIN: binaryDrive(MIN, rank, shape, a, sa, b, sb, out); break;
    case GT: binaryDrive(GT, rank, shape, a, sa, b, sb, out); break;
    case GE: binaryDrive(GE, rank, shape, a, sa, b, sb, out); break;
    case LT: binaryDrive(LT, rank, shape, a, sa, b, sb, out); break;
    case LE: binaryDrive(LE, rank, shape, a, sa, b, sb, out); break;
    case EQ: binaryDrive(EQ, rank, shape, a, sa, b, sb, out); break;
    case NE: binaryDrive(NE, rank, shape, a, sa, b, sb, out); break;
    case ATAN2: binaryDrive(ATAN2, rank, shape, a, sa, b, sb, out); break;
  }
}

// ---- fused entrywise programs ----

/** Entries of dim 0 run per op at a time: a program's temporaries stay in L1 (2 KiB each). */
const TILE: i32 = 256;
// Op codes of fused programs beyond BinaryOp's: a negation, and compound ops that keep their
// inner products in registers (one store per entry instead of two or three; each product and
// sum is rounded as the separate ops round it, so the entries are the same bits).
const FUSED_NEG = 16;
const MUL_MUL = 17; // (a·b)·c
const MUL_ADD = 18; // a·b + c
const MUL_SUB = 19; // a·b − c
const SUB_MUL = 20; // c − a·b
const MUL_ADD_MUL = 21; // a·b + c·d
const MUL_SUB_MUL = 22; // a·b − c·d
/** Per-dimension counters of fusedRows' outer loops (rank ≤ 8); static, below __heap_base. */
let FCOUNTERS_AT: usize = memory.data(32, 16);
/** Splatted copies of operands broadcast along a row (stride 0): four slots of 32 bytes. */
let SPLATS_AT: usize = memory.data(128, 16);

// @ts-ignore: decorator
@inline function negRow(n: i32, a: usize, sa: i32, out: usize): void {
  let i = 0;
  if (sa == 1) {
    if (ASC_FEATURE_SIMD) {
      for (; i + 2 <= n; i += 2) {
        const o = <usize>i << 3;
        v128.store(out + o, f64x2.neg(v128.load(a + o)));
      }
    }
    for (; i < n; i++) store<f64>(out + (<usize>i << 3), -load<f64>(a + (<usize>i << 3)));
  } else {
    const da = <usize>(sa << 3);
    let pa = a;
    for (; i < n; i++) {
      store<f64>(out + (<usize>i << 3), -load<f64>(pa));
      pa += da;
    }
  }
}

// @ts-ignore: decorator
@inline function compoundS(op: i32, a: f64, b: f64, c: f64, d: f64): f64 {
  switch (op) {
    case MUL_MUL: return (a * b) * c;
    case MUL_ADD: return a * b + c;
    case MUL_SUB: return a * b - c;
    case SUB_MUL: return c - a * b;
    case MUL_ADD_MUL: return a * b + c * d;
    case MUL_SUB_MUL: return a * b - c * d;
  }
  return NaN;
}

// @ts-ignore: decorator
@inline function compoundV(op: i32, a: v128, b: v128, c: v128, d: v128): v128 {
  switch (op) {
    case MUL_MUL: return f64x2.mul(f64x2.mul(a, b), c);
    case MUL_ADD: return f64x2.add(f64x2.mul(a, b), c);
    case MUL_SUB: return f64x2.sub(f64x2.mul(a, b), c);
    case SUB_MUL: return f64x2.sub(c, f64x2.mul(a, b));
    case MUL_ADD_MUL: return f64x2.add(f64x2.mul(a, b), f64x2.mul(c, d));
    case MUL_SUB_MUL: return f64x2.sub(f64x2.mul(a, b), f64x2.mul(c, d));
  }
  return a;
}

/**
 * The pointer the vector loop reads an operand with element stride s ∈ {0, 1} from: itself,
 * or for s = 0 a 32-byte slot holding its entry four times (so v128.load(p, 16) is valid too).
 */
// @ts-ignore: decorator
@inline function vecPtr(p: usize, s: i32, k: i32): usize {
  const SPLATS = SPLATS_AT;
  if (s != 0) return p;
  const q = SPLATS + (<usize>k << 5);
  const v = v128.load64_splat(p);
  v128.store(q, v);
  v128.store(q, v, 16);
  return q;
}

/** One row of a compound op: out[i] = op(a[i·sa], b[i·sb], c[i·sc], d[i·sd]). */
// @ts-ignore: decorator
@inline function compoundRow(op: i32, n: i32, a: usize, sa: i32, b: usize, sb: i32, c: usize, sc: i32,
  d: usize, sd: i32, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && <u32>sa <= 1 && <u32>sb <= 1 && <u32>sc <= 1 && <u32>sd <= 1) {
    // Four entries an iteration (two vectors), as binaryRow: V8 checks for interrupts once per
    // loop iteration, and a short body is dominated by that and the pointer updates.
    let pa = vecPtr(a, sa, 0), pb = vecPtr(b, sb, 1), pc = vecPtr(c, sc, 2), pd = vecPtr(d, sd, 3);
    const da = <usize>(sa << 5), db = <usize>(sb << 5), dc = <usize>(sc << 5), dd = <usize>(sd << 5);
    let po = out;
    for (; i + 4 <= n; i += 4) {
      const r0 = compoundV(op, v128.load(pa), v128.load(pb), v128.load(pc), v128.load(pd));
      const r1 = compoundV(op, v128.load(pa, 16), v128.load(pb, 16), v128.load(pc, 16), v128.load(pd, 16));
      v128.store(po, r0);
      v128.store(po, r1, 16);
      pa += da;
      pb += db;
      pc += dc;
      pd += dd;
      po += 32;
    }
  }
  for (; i < n; i++) {
    store<f64>(out + (<usize>i << 3), compoundS(op,
      load<f64>(a + <usize>((i * sa) << 3)), load<f64>(b + <usize>((i * sb) << 3)),
      load<f64>(c + <usize>((i * sc) << 3)), load<f64>(d + <usize>((i * sd) << 3))));
  }
}

/**
 * Runs a straight-line program of entrywise ops over one broadcast index space of `rank` dims
 * (rank ≤ 8, dim 0 fastest), a tile of a dim-0 row at a time: every op runs on the tile
 * before the next tile starts, so values the program makes and reads again stay in cache
 * instead of taking a pass over memory each. Each entry is computed by the same IEEE
 * operations as `binary` computes it op by op, so results are the same bits.
 *
 * `shape`: i32[rank]. Values 0 … nMem−1 live in memory: `base` i32[nMem] byte pointers and
 * `strides` i32[nMem·rank] element strides (value v's at v·rank + d; 0 where broadcast).
 * Values nMem … are temporaries: TILE entries each at `scratch` + (v − nMem)·TILE·8.
 * `ops`: i32[6·nOps], each (code, dst, a, b, c, d): dst = a ∘ b for a BinaryOp code (add,
 * sub, mul, div, max, min), dst = −a for code 16, compound codes 17–22 as above. A dst is a
 * temporary or a value dense in `shape` (stride 1 on dim 0). `cur`: i32[nMem] scratch.
 */
export function fusedRows(rank: i32, shape: usize, nMem: i32, base: usize, strides: usize, nOps: i32,
  ops: usize, scratch: usize, cur: usize): void {
  const FCOUNTERS = FCOUNTERS_AT;
  for (let d = 0; d < rank; d++) if (load<i32>(shape + (<usize>d << 2)) <= 0) return;
  const n0 = load<i32>(shape);
  const rstride = <usize>rank << 2;
  for (let v = 0; v < nMem; v++) store<i32>(cur + (<usize>v << 2), load<i32>(base + (<usize>v << 2)));
  memory.fill(FCOUNTERS, 0, 32);
  while (true) {
    for (let t0 = 0; t0 < n0; t0 += TILE) {
      const len = min(TILE, n0 - t0);
      for (let k = 0; k < nOps; k++) {
        const op = ops + <usize>k * 24;
        const code = load<i32>(op);
        const pd = operandPtr(load<i32>(op, 4), nMem, cur, strides, rstride, t0, scratch);
        const av = load<i32>(op, 8), bv = load<i32>(op, 12);
        const pa = operandPtr(av, nMem, cur, strides, rstride, t0, scratch);
        const sa = operandStride(av, nMem, strides, rstride);
        if (code == FUSED_NEG) {
          negRow(len, pa, sa, pd);
          continue;
        }
        const pb = operandPtr(bv, nMem, cur, strides, rstride, t0, scratch);
        const sb = operandStride(bv, nMem, strides, rstride);
        if (code < FUSED_NEG) {
          switch (code) {
            case ADD: binaryRow(ADD, len, pa, sa, pb, sb, pd); break;
            case SUB: binaryRow(SUB, len, pa, sa, pb, sb, pd); break;
            case MUL: binaryRow(MUL, len, pa, sa, pb, sb, pd); break;
            case DIV: binaryRow(DIV, len, pa, sa, pb, sb, pd); break;
            case MAX: binaryRow(MAX, len, pa, sa, pb, sb, pd); break;
            case MIN: binaryRow(MIN, len, pa, sa, pb, sb, pd); break;
          }
          continue;
        }
        const cv = load<i32>(op, 16), dv = load<i32>(op, 20);
        const pc = operandPtr(cv, nMem, cur, strides, rstride, t0, scratch);
        const sc = operandStride(cv, nMem, strides, rstride);
        const pe = operandPtr(dv, nMem, cur, strides, rstride, t0, scratch);
        const se = operandStride(dv, nMem, strides, rstride);
        switch (code) {
          case MUL_MUL: compoundRow(MUL_MUL, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
          case MUL_ADD: compoundRow(MUL_ADD, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
          case MUL_SUB: compoundRow(MUL_SUB, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
          case SUB_MUL: compoundRow(SUB_MUL, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
          case MUL_ADD_MUL: compoundRow(MUL_ADD_MUL, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
          case MUL_SUB_MUL: compoundRow(MUL_SUB_MUL, len, pa, sa, pb, sb, pc, sc, pe, se, pd); break;
        }
      }
    }
    // Next row: advance the odometer over dims 1 … rank−1, moving every value's pointer.
    let d = 1;
    for (; d < rank; d++) {
      const dq = <usize>d << 2;
      const ext = load<i32>(shape + dq);
      const c = load<i32>(FCOUNTERS + dq) + 1;
      if (c < ext) {
        store<i32>(FCOUNTERS + dq, c);
        for (let v = 0; v < nMem; v++) {
          const p = cur + (<usize>v << 2);
          store<i32>(p, load<i32>(p) + (load<i32>(strides + <usize>v * rstride + dq) << 3));
        }
        break;
      }
      store<i32>(FCOUNTERS + dq, 0);
      for (let v = 0; v < nMem; v++) {
        const p = cur + (<usize>v << 2);
        store<i32>(p, load<i32>(p) - ((load<i32>(strides + <usize>v * rstride + dq) * (ext - 1)) << 3));
      }
    }
    if (d >= rank) return;
  }
}

/** Where value v's entries of the current tile start (temporaries restart at every tile). */
// @ts-ignore: decorator
@inline function operandPtr(v: i32, nMem: i32, cur: usize, strides: usize, rstride: usize, t0: i32, scratch: usize): usize {
  if (v >= nMem) return scratch + <usize>((v - nMem) * TILE) * 8;
  const s = load<i32>(strides + <usize>v * rstride);
  return <usize>load<i32>(cur + (<usize>v << 2)) + <usize>((t0 * s) << 3);
}

/** Value v's element stride along a row. */
// @ts-ignore: decorator
@inline function operandStride(v: i32, nMem: i32, strides: usize, rstride: usize): i32 {
  return v >= nMem ? 1 : load<i32>(strides + <usize>v * rstride);
}

// ---- fill, select ----

/** out[i] = v for i < n. */
export function fill(n: i32, v: f64, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f64x2.splat(v);
    for (; i + 8 <= n; i += 8) {
      const p = out + (<usize>i << 3);
      v128.store(p, vv);
      v128.store(p, vv, 16);
      v128.store(p, vv, 32);
      v128.store(p, vv, 48);
    }
    for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), vv);
  }
  for (; i < n; i++) store<f64>(out + (<usize>i << 3), v);
}

/**
 * out[i] = cond[i] != 0 ? a[i] : b[i] (all dense, length n). NaN counts as true and −0 as
 * false, as `cond != 0` does in JavaScript. out may equal any input.
 */
export function select(n: i32, cond: usize, a: usize, b: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f64x2.splat(0.0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 3;
      const m0 = f64x2.ne(v128.load(cond + o), zero), m1 = f64x2.ne(v128.load(cond + o, 16), zero);
      const r0 = v128.bitselect(v128.load(a + o), v128.load(b + o), m0);
      const r1 = v128.bitselect(v128.load(a + o, 16), v128.load(b + o, 16), m1);
      v128.store(out + o, r0);
      v128.store(out + o, r1, 16);
    }
    for (; i + 2 <= n; i += 2) {
      const o = <usize>i << 3;
      v128.store(out + o, v128.bitselect(v128.load(a + o), v128.load(b + o), f64x2.ne(v128.load(cond + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, load<f64>(cond + o) != 0 ? load<f64>(a + o) : load<f64>(b + o));
  }
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placeElementwiseScratch(base: usize, set: bool): usize {
  if (set) COUNTERS_AT = base;
  base += (<usize>(32) + 15) & ~<usize>15;
  if (set) FCOUNTERS_AT = base;
  base += (<usize>(32) + 15) & ~<usize>15;
  if (set) SPLATS_AT = base;
  base += (<usize>(128) + 15) & ~<usize>15;
  return base;
}
