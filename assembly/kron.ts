// PLACEHOLDER (naive); replaced by the transpose/kron helper.
export function kron(ma: i32, na: i32, a: usize, mb: i32, nb: i32, b: usize, out: usize): void {
  const mo = ma * mb;
  for (let ja = 0; ja < na; ja++) for (let ia = 0; ia < ma; ia++) {
    const aij = load<f64>(a + (<usize>(ia + ja * ma) << 3));
    for (let jb = 0; jb < nb; jb++) for (let ib = 0; ib < mb; ib++)
      store<f64>(out + (<usize>((ia * mb + ib) + (ja * nb + jb) * mo) << 3), aij * load<f64>(b + (<usize>(ib + jb * mb) << 3)));
  }
}
