// PLACEHOLDER (naive); replaced by the transpose/kron helper.
export function transpose(m: i32, n: i32, a: usize, out: usize): void {
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++)
    store<f64>(out + (<usize>(j + i * n) << 3), load<f64>(a + (<usize>(i + j * m) << 3)));
}
