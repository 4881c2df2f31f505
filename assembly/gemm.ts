// PLACEHOLDER (naive); replaced by the GEMM helper.
export function gemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64, a: usize, lda: i32, b: usize, ldb: i32, beta: f64, c: usize, ldc: i32): void {
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) {
    let s = 0.0;
    for (let p = 0; p < k; p++) {
      const aip = transA ? load<f64>(a + (<usize>(p + i * lda) << 3)) : load<f64>(a + (<usize>(i + p * lda) << 3));
      const bpj = transB ? load<f64>(b + (<usize>(j + p * ldb) << 3)) : load<f64>(b + (<usize>(p + j * ldb) << 3));
      s += aip * bpj;
    }
    const pc = c + (<usize>(i + j * ldc) << 3);
    store<f64>(pc, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(pc));
  }
}
