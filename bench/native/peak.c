// Native ceiling for 128-bit float64 vectors on this machine: the most a wasm f64x2 kernel
// could reach. Ten independent accumulators (more than latency × ports needs), no memory
// traffic. Build and run: gcc -O2 -mfma -o /tmp/peak bench/native/peak.c && /tmp/peak
// wasm SIMD (without relaxed-simd) has no fused multiply-add, so "mul+add" is the ceiling
// for matcalc's SIMD build; "fma128" is what relaxed_madd could reach at best.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define STEP(op) c0 = op(c0); c1 = op(c1); c2 = op(c2); c3 = op(c3); c4 = op(c4); \
                 c5 = op(c5); c6 = op(c6); c7 = op(c7); c8 = op(c8); c9 = op(c9);
#define MULADD(c) _mm_add_pd(c, _mm_mul_pd(a, b))
#define FMA(c) _mm_fmadd_pd(a, b, c)

static void report(const char *name, double dt, long n, __m128d s) {
  // 10 accumulators × 2 lanes × 2 flops per iteration.
  printf("%-8s %.2f GFLOP/s (checksum %g)\n", name, n * 40.0 / dt / 1e9, _mm_cvtsd_f64(s));
}

int main(void) {
  const long n = 200000000;
  __m128d a = _mm_set1_pd(1.0000001), b = _mm_set1_pd(0.9999999);
  for (int pass = 0; pass < 2; pass++) {
    __m128d c0 = _mm_setzero_pd(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
    double t = now();
    for (long i = 0; i < n; i++) {
      if (pass == 0) { STEP(MULADD) } else { STEP(FMA) }
      __asm__ volatile("" : "+x"(a), "+x"(b)); // keep a, b opaque so nothing is hoisted
    }
    double dt = now() - t;
    __m128d s = _mm_add_pd(_mm_add_pd(_mm_add_pd(c0, c1), _mm_add_pd(c2, c3)),
                           _mm_add_pd(_mm_add_pd(c4, c5), _mm_add_pd(_mm_add_pd(c6, c7), _mm_add_pd(c8, c9))));
    report(pass == 0 ? "mul+add" : "fma128", dt, n, s);
  }
  return 0;
}
