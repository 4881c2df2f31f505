// PLACEHOLDER (naive); replaced by the elementwise helper. Op codes match src/wasm/kernels.ts.
function un(op: i32, x: f64): f64 {
  switch (op) {
    case 0: return -x;
    case 1: return Math.abs(x);
    case 2: return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
    case 3: return x * x;
    case 4: return Math.sqrt(x);
    case 5: return 1.0 / x;
    case 6: return Math.exp(x);
    case 7: return Math.log(x);
    case 8: return Math.log1p(x);
    case 9: return Math.expm1(x);
    case 10: return Math.sin(x);
    case 11: return Math.cos(x);
    case 12: return Math.tanh(x);
    case 13: return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    case 14: return x > 0 ? x : (x != x ? x : 0.0);
    case 15: return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    case 16: return Math.atan(x);
    case 17: return x > 0 ? 1.0 : (x != x ? x : 0.0);
  }
  return NaN;
}
function bin(op: i32, a: f64, b: f64): f64 {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return Math.pow(a, b);
    case 5: return a != a || b != b ? NaN : Math.max(a, b);
    case 6: return a != a || b != b ? NaN : Math.min(a, b);
    case 7: return a > b ? 1.0 : 0.0;
    case 8: return a >= b ? 1.0 : 0.0;
    case 9: return a < b ? 1.0 : 0.0;
    case 10: return a <= b ? 1.0 : 0.0;
    case 11: return a == b ? 1.0 : 0.0;
    case 12: return a != b ? 1.0 : 0.0;
    case 13: return Math.atan2(a, b);
  }
  return NaN;
}
export function unary(op: i32, n: i32, x: usize, out: usize): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), un(op, load<f64>(x + (<usize>i << 3))));
}
export function binary(op: i32, rank: i32, shape: usize, a: usize, sa: usize, b: usize, sb: usize, out: usize): void {
  let total = 1;
  for (let d = 0; d < rank; d++) total *= load<i32>(shape + (<usize>d << 2));
  for (let idx = 0; idx < total; idx++) {
    let rem = idx, ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      const ext = load<i32>(shape + (<usize>d << 2));
      const i = rem % ext; rem = rem / ext;
      ia += i * load<i32>(sa + (<usize>d << 2));
      ib += i * load<i32>(sb + (<usize>d << 2));
    }
    store<f64>(out + (<usize>idx << 3), bin(op, load<f64>(a + (<usize>ia << 3)), load<f64>(b + (<usize>ib << 3))));
  }
}
export function fill(n: i32, v: f64, out: usize): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), v);
}
export function select(n: i32, cond: usize, a: usize, b: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, load<f64>(cond + o) != 0 ? load<f64>(a + o) : load<f64>(b + o));
  }
}
