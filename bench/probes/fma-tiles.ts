// Probe kernels for bench/fma-tiles.mjs (issue 21 item 1): what a core gives f64x2 multiply-adds,
// fused or not, and GEMM micro-tiles of several shapes on packed, cache-resident panels.
// Compiled twice by the driver (SIMD; SIMD + relaxed SIMD), so the library's `madd`
// (assembly/fma.ts) is a multiply then an add in one binary and f64x2.relaxed_madd in the
// other. The tile loops are copies of assembly/gemm.ts's on purpose: the probe measures tile
// shapes apart from the library (8×2 and 10×2 are not in it).

import { madd } from "../../assembly/fma";

/** n iterations of 12 independent multiply-add chains in registers (no loads): the ceiling. */
export function peak(n: i32, p: usize): f64 {
  const a = v128.load(p), b = v128.load(p, 16);
  let c0 = f64x2.splat(0), c1 = f64x2.splat(1), c2 = f64x2.splat(2), c3 = f64x2.splat(3);
  let c4 = f64x2.splat(4), c5 = f64x2.splat(5), c6 = f64x2.splat(6), c7 = f64x2.splat(7);
  let c8 = f64x2.splat(8), c9 = f64x2.splat(9), c10 = f64x2.splat(10), c11 = f64x2.splat(11);
  for (let i = 0; i < n; i++) {
    c0 = madd(a, b, c0); c1 = madd(a, b, c1); c2 = madd(a, b, c2); c3 = madd(a, b, c3);
    c4 = madd(a, b, c4); c5 = madd(a, b, c5); c6 = madd(a, b, c6); c7 = madd(a, b, c7);
    c8 = madd(a, b, c8); c9 = madd(a, b, c9); c10 = madd(a, b, c10); c11 = madd(a, b, c11);
  }
  const s = f64x2.add(f64x2.add(f64x2.add(c0, c1), f64x2.add(c2, c3)), f64x2.add(f64x2.add(c4, c5), f64x2.add(c6, c7)));
  return f64x2.extract_lane(f64x2.add(s, f64x2.add(f64x2.add(c8, c9), f64x2.add(c10, c11))), 0);
}

// Micro-kernels C[0:mr, 0:nr] += Ap·Bp over kc steps, A packed mr rows a step, B nr columns.

// @ts-ignore: decorator
@inline function store2(p: usize, x: v128, o: usize): void {
  v128.store(p + o, f64x2.add(x, v128.load(p + o)));
}

function k4x4(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c01 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0), c03 = f64x2.splat(0), c13 = f64x2.splat(0);
  const aend = ap + <usize>kc * 32;
  do {
    const a0 = v128.load(ap), a1 = v128.load(ap, 16);
    const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8);
    const b2 = v128.load_splat<f64>(bp, 16), b3 = v128.load_splat<f64>(bp, 24);
    c00 = madd(a0, b0, c00); c10 = madd(a1, b0, c10); c01 = madd(a0, b1, c01); c11 = madd(a1, b1, c11);
    c02 = madd(a0, b2, c02); c12 = madd(a1, b2, c12); c03 = madd(a0, b3, c03); c13 = madd(a1, b3, c13);
    ap += 32; bp += 32;
  } while (ap < aend);
  store2(c, c00, 0); store2(c, c10, 16); store2(c + ldc, c01, 0); store2(c + ldc, c11, 16);
  store2(c + 2 * ldc, c02, 0); store2(c + 2 * ldc, c12, 16); store2(c + 3 * ldc, c03, 0); store2(c + 3 * ldc, c13, 16);
}

function k6x3(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c20 = f64x2.splat(0);
  let c01 = f64x2.splat(0), c11 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c02 = f64x2.splat(0), c12 = f64x2.splat(0), c22 = f64x2.splat(0);
  const aend = ap + <usize>kc * 48;
  do {
    const a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32);
    const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8), b2 = v128.load_splat<f64>(bp, 16);
    c00 = madd(a0, b0, c00); c10 = madd(a1, b0, c10); c20 = madd(a2, b0, c20);
    c01 = madd(a0, b1, c01); c11 = madd(a1, b1, c11); c21 = madd(a2, b1, c21);
    c02 = madd(a0, b2, c02); c12 = madd(a1, b2, c12); c22 = madd(a2, b2, c22);
    ap += 48; bp += 24;
  } while (ap < aend);
  store2(c, c00, 0); store2(c, c10, 16); store2(c, c20, 32);
  store2(c + ldc, c01, 0); store2(c + ldc, c11, 16); store2(c + ldc, c21, 32);
  store2(c + 2 * ldc, c02, 0); store2(c + 2 * ldc, c12, 16); store2(c + 2 * ldc, c22, 32);
}

function k8x2(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c20 = f64x2.splat(0), c30 = f64x2.splat(0);
  let c01 = f64x2.splat(0), c11 = f64x2.splat(0), c21 = f64x2.splat(0), c31 = f64x2.splat(0);
  const aend = ap + <usize>kc * 64;
  do {
    const a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
    const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8);
    c00 = madd(a0, b0, c00); c10 = madd(a1, b0, c10); c20 = madd(a2, b0, c20); c30 = madd(a3, b0, c30);
    c01 = madd(a0, b1, c01); c11 = madd(a1, b1, c11); c21 = madd(a2, b1, c21); c31 = madd(a3, b1, c31);
    ap += 64; bp += 16;
  } while (ap < aend);
  store2(c, c00, 0); store2(c, c10, 16); store2(c, c20, 32); store2(c, c30, 48);
  store2(c + ldc, c01, 0); store2(c + ldc, c11, 16); store2(c + ldc, c21, 32); store2(c + ldc, c31, 48);
}

function k10x2(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize): void {
  let c00 = f64x2.splat(0), c10 = f64x2.splat(0), c20 = f64x2.splat(0), c30 = f64x2.splat(0), c40 = f64x2.splat(0);
  let c01 = f64x2.splat(0), c11 = f64x2.splat(0), c21 = f64x2.splat(0), c31 = f64x2.splat(0), c41 = f64x2.splat(0);
  const aend = ap + <usize>kc * 80;
  do {
    const b0 = v128.load_splat<f64>(bp), b1 = v128.load_splat<f64>(bp, 8);
    let a = v128.load(ap); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load(ap, 16); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load(ap, 32); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load(ap, 48); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load(ap, 64); c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    ap += 80; bp += 16;
  } while (ap < aend);
  store2(c, c00, 0); store2(c, c10, 16); store2(c, c20, 32); store2(c, c30, 48); store2(c, c40, 64);
  store2(c + ldc, c01, 0); store2(c + ldc, c11, 16); store2(c + ldc, c21, 32); store2(c + ldc, c31, 48); store2(c + ldc, c41, 64);
}

/**
 * `reps` sweeps of the macro-kernel's loops over an mc×kc packed A block and a kc×nc packed B
 * block (B micro-panel outer, A micro-panels inner, as assembly/gemm.ts): tile 0 = 4×4,
 * 1 = 6×3, 2 = 8×2, 3 = 10×2. mc and nc must be multiples of the tile.
 */
export function run(tile: i32, mc: i32, nc: i32, kc: i32, a: usize, b: usize, c: usize, reps: i32): void {
  const ldc = <usize>mc << 3;
  for (let r = 0; r < reps; r++) {
    if (tile == 0) {
      for (let j = 0; j < nc; j += 4) for (let i = 0; i < mc; i += 4)
        k4x4(kc, a + <usize>(i * kc) * 8, b + <usize>(j * kc) * 8, c + <usize>(j * mc + i) * 8, ldc);
    } else if (tile == 1) {
      for (let j = 0; j < nc; j += 3) for (let i = 0; i < mc; i += 6)
        k6x3(kc, a + <usize>(i * kc) * 8, b + <usize>(j * kc) * 8, c + <usize>(j * mc + i) * 8, ldc);
    } else if (tile == 2) {
      for (let j = 0; j < nc; j += 2) for (let i = 0; i < mc; i += 8)
        k8x2(kc, a + <usize>(i * kc) * 8, b + <usize>(j * kc) * 8, c + <usize>(j * mc + i) * 8, ldc);
    } else {
      for (let j = 0; j < nc; j += 2) for (let i = 0; i < mc; i += 10)
        k10x2(kc, a + <usize>(i * kc) * 8, b + <usize>(j * kc) * 8, c + <usize>(j * mc + i) * 8, ldc);
    }
  }
}
