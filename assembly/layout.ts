// The first byte JavaScript may hand out from its arena: everything below is static data
// (including the kernels' scratch blocks).
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** 1 in the SIMD build, 0 in the scalar build: lets tests assert which binary is loaded. */
export function simdEnabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

/** 1 in the relaxed-SIMD build (fused multiply-add), else 0. */
export function relaxedSimdEnabled(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
