// Multiply-add on f64x2, fused in the relaxed-SIMD build (f64x2.relaxed_madd/nmadd) and
// mul + add in the plain SIMD build, so one source serves both: the plain build's results
// stay exactly what they were, and the relaxed build rounds once instead of twice (within the
// same error bounds, |fl(a·b + c) − (a·b + c)| ≤ u·|a·b + c| instead of ≤ 2u·(|a·b| + |c|)).
// Relaxed SIMD lets the engine pick fused or unfused per host, never per call: a given
// build on a given machine is bit-reproducible.

/** a·b + c. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/** c − a·b. */
// @ts-ignore: decorator
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_nmadd(a, b, c);
  return f64x2.sub(c, f64x2.mul(a, b));
}
