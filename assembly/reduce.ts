// PLACEHOLDER (naive); replaced by the reductions helper.
export function sum(n: i32, x: usize): f64 { let s = 0.0; for (let i = 0; i < n; i++) s += load<f64>(x + (<usize>i << 3)); return s; }
export function asum(n: i32, x: usize): f64 { let s = 0.0; for (let i = 0; i < n; i++) s += Math.abs(load<f64>(x + (<usize>i << 3))); return s; }
export function max(n: i32, x: usize): f64 {
  let m = -Infinity;
  for (let i = 0; i < n; i++) { const v = load<f64>(x + (<usize>i << 3)); if (v != v) return v; if (v > m) m = v; }
  return m;
}
export function nrm2(n: i32, x: usize): f64 {
  let scale = 0.0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(load<f64>(x + (<usize>i << 3))));
  if (scale == 0 || !isFinite(scale)) return scale;
  let s = 0.0;
  for (let i = 0; i < n; i++) { const v = load<f64>(x + (<usize>i << 3)) / scale; s += v * v; }
  return scale * Math.sqrt(s);
}
export function sumAxis(pre: i32, len: i32, post: i32, x: usize, out: usize): void {
  for (let k = 0; k < post; k++) for (let i = 0; i < pre; i++) {
    let s = 0.0;
    for (let j = 0; j < len; j++) s += load<f64>(x + (<usize>(i + pre * (j + len * k)) << 3));
    store<f64>(out + (<usize>(i + pre * k) << 3), s);
  }
}
export function maxAxis(pre: i32, len: i32, post: i32, x: usize, out: usize): void {
  for (let k = 0; k < post; k++) for (let i = 0; i < pre; i++) {
    let m = -Infinity;
    for (let j = 0; j < len; j++) { const v = load<f64>(x + (<usize>(i + pre * (j + len * k)) << 3)); if (v != v || v > m) m = v; if (m != m) break; }
    store<f64>(out + (<usize>(i + pre * k) << 3), m);
  }
}
