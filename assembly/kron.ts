// out = A ⊗ B, A ma×na, B mb×nb, out (ma·mb)×(na·nb), all dense column-major.
//
// Column (ja·nb + jb) of out is the stack, over ia, of a[ia, ja] · b[:, jb]; it is contiguous
// in out, so each output column is written once, front to back, as ma scaled copies of one
// column of B (which stays in L1 while the column is written).

/** dst[i] = s · src[i] for i < n. */
// @ts-ignore: decorator
@inline function scaledCopy(n: i32, s: f64, src: usize, dst: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f64x2.splat(s);
    for (; i + 8 <= n; i += 8) {
      const p = src + (<usize>i << 3), q = dst + (<usize>i << 3);
      v128.store(q, f64x2.mul(vs, v128.load(p)));
      v128.store(q, f64x2.mul(vs, v128.load(p, 16)), 16);
      v128.store(q, f64x2.mul(vs, v128.load(p, 32)), 32);
      v128.store(q, f64x2.mul(vs, v128.load(p, 48)), 48);
    }
    for (; i + 2 <= n; i += 2) {
      v128.store(dst + (<usize>i << 3), f64x2.mul(vs, v128.load(src + (<usize>i << 3))));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const p = src + (<usize>i << 3), q = dst + (<usize>i << 3);
      store<f64>(q, s * load<f64>(p));
      store<f64>(q, s * load<f64>(p, 8), 8);
      store<f64>(q, s * load<f64>(p, 16), 16);
      store<f64>(q, s * load<f64>(p, 24), 24);
    }
  }
  for (; i < n; i++) store<f64>(dst + (<usize>i << 3), s * load<f64>(src + (<usize>i << 3)));
}

export function kron(ma: i32, na: i32, a: usize, mb: i32, nb: i32, b: usize, out: usize): void {
  if (ma <= 0 || na <= 0 || mb <= 0 || nb <= 0) return;
  const mo = <usize>ma * <usize>mb;
  let col = out;
  if (mb == 1) {
    // B is a row: output column (ja, jb) is column ja of A scaled by b[jb], one long copy
    // instead of ma copies of length 1.
    for (let ja = 0; ja < na; ja++) {
      const acol = a + <usize>ja * <usize>ma * 8;
      for (let jb = 0; jb < nb; jb++) {
        scaledCopy(ma, load<f64>(b + (<usize>jb << 3)), acol, col);
        col += mo << 3;
      }
    }
    return;
  }
  const bstep = <usize>mb << 3;
  for (let ja = 0; ja < na; ja++) {
    const acol = a + <usize>ja * <usize>ma * 8;
    for (let jb = 0; jb < nb; jb++) {
      const bcol = b + <usize>jb * bstep;
      let dst = col;
      for (let ia = 0; ia < ma; ia++) {
        scaledCopy(mb, load<f64>(acol + (<usize>ia << 3)), bcol, dst);
        dst += bstep;
      }
      col += mo << 3;
    }
  }
}
