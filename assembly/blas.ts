// PLACEHOLDER (naive); replaced by the level-1/2 BLAS helper.
export function dot(n: i32, x: usize, incx: i32, y: usize, incy: i32): f64 {
  let s = 0.0;
  for (let i = 0; i < n; i++) s += load<f64>(x + (<usize>(i * incx) << 3)) * load<f64>(y + (<usize>(i * incy) << 3));
  return s;
}
export function axpy(n: i32, alpha: f64, x: usize, incx: i32, y: usize, incy: i32): void {
  for (let i = 0; i < n; i++) {
    const py = y + (<usize>(i * incy) << 3);
    store<f64>(py, load<f64>(py) + alpha * load<f64>(x + (<usize>(i * incx) << 3)));
  }
}
export function scal(n: i32, alpha: f64, x: usize, incx: i32): void {
  for (let i = 0; i < n; i++) { const p = x + (<usize>(i * incx) << 3); store<f64>(p, alpha * load<f64>(p)); }
}
export function gemv(trans: i32, m: i32, n: i32, alpha: f64, a: usize, lda: i32, x: usize, incx: i32, beta: f64, y: usize, incy: i32): void {
  const ylen = trans ? n : m, xlen = trans ? m : n;
  for (let i = 0; i < ylen; i++) {
    let s = 0.0;
    for (let j = 0; j < xlen; j++) {
      const aij = trans ? load<f64>(a + (<usize>(j + i * lda) << 3)) : load<f64>(a + (<usize>(i + j * lda) << 3));
      s += aij * load<f64>(x + (<usize>(j * incx) << 3));
    }
    const py = y + (<usize>(i * incy) << 3);
    store<f64>(py, beta == 0 ? alpha * s : alpha * s + beta * load<f64>(py));
  }
}
