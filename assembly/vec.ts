// The optimizers' level-1 loops (src/optim/vec.ts) on unit-stride vectors.
//
// Each kernel computes exactly what its JavaScript twin in src/optim/vec.ts computes, bit for
// bit, so a run's numbers do not depend on the build, on where a vector lives, or on the size
// threshold that picks wasm over JS:
// - element-wise results are the same IEEE operations in the same order (a product, then a
//   sum: never a fused multiply-add);
// - reductions use one fixed order: eight partial sums s_k over i ≡ k (mod 8) for the whole
//   blocks of eight, combined as ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7)), then the
//   remaining n mod 8 terms added one by one. The SIMD build keeps s0…s7 in four f64x2
//   accumulators (lanes (s0, s1), (s2, s3), …), the scalar build in eight f64 locals; the
//   independent sums also hide the add latency behind the loads.
// - fused kernels that write a vector and reduce over it (axpyDot, …) store element i before
//   they load z[i], so z may be the output itself (then they return its squared norm).

// @ts-ignore: decorator
@inline function combine(a0: v128, a1: v128, a2: v128, a3: v128): f64 {
  const t = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
  return f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
}

// @ts-ignore: decorator
@inline function isNaN2(v: v128): v128 {
  return f64x2.ne(v, v);
}

/** Σ x[i]·y[i] in the fixed order above. */
export function vdot(n: i32, x: usize, y: usize): f64 {
  let i = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 8 <= n; i += 8) {
      const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(px), v128.load(py)));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(px, 16), v128.load(py, 16)));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(px, 32), v128.load(py, 32)));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(px, 48), v128.load(py, 48)));
    }
    s = combine(a0, a1, a2, a3);
  } else {
    let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    for (; i + 8 <= n; i += 8) {
      const px = x + (<usize>i << 3), py = y + (<usize>i << 3);
      s0 += load<f64>(px) * load<f64>(py);
      s1 += load<f64>(px, 8) * load<f64>(py, 8);
      s2 += load<f64>(px, 16) * load<f64>(py, 16);
      s3 += load<f64>(px, 24) * load<f64>(py, 24);
      s4 += load<f64>(px, 32) * load<f64>(py, 32);
      s5 += load<f64>(px, 40) * load<f64>(py, 40);
      s6 += load<f64>(px, 48) * load<f64>(py, 48);
      s7 += load<f64>(px, 56) * load<f64>(py, 56);
    }
    s = ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    s += load<f64>(x + o) * load<f64>(y + o);
  }
  return s;
}

/**
 * y ← c·(y + a·x), returning z·y of the updated y (fixed order). z may equal y; x must not
 * overlap y.
 */
export function axpyScaleDot(n: i32, a: f64, x: usize, c: f64, y: usize, z: usize): f64 {
  let i = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(a), vc = f64x2.splat(c);
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, py = y + o, pz = z + o;
      const u0 = f64x2.mul(vc, f64x2.add(v128.load(py), f64x2.mul(va, v128.load(px))));
      const u1 = f64x2.mul(vc, f64x2.add(v128.load(py, 16), f64x2.mul(va, v128.load(px, 16))));
      const u2 = f64x2.mul(vc, f64x2.add(v128.load(py, 32), f64x2.mul(va, v128.load(px, 32))));
      const u3 = f64x2.mul(vc, f64x2.add(v128.load(py, 48), f64x2.mul(va, v128.load(px, 48))));
      v128.store(py, u0);
      v128.store(py, u1, 16);
      v128.store(py, u2, 32);
      v128.store(py, u3, 48);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(pz), u0));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(pz, 16), u1));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(pz, 32), u2));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(pz, 48), u3));
    }
    s = combine(a0, a1, a2, a3);
  } else {
    let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, py = y + o, pz = z + o;
      const u0 = c * (load<f64>(py) + a * load<f64>(px));
      const u1 = c * (load<f64>(py, 8) + a * load<f64>(px, 8));
      const u2 = c * (load<f64>(py, 16) + a * load<f64>(px, 16));
      const u3 = c * (load<f64>(py, 24) + a * load<f64>(px, 24));
      const u4 = c * (load<f64>(py, 32) + a * load<f64>(px, 32));
      const u5 = c * (load<f64>(py, 40) + a * load<f64>(px, 40));
      const u6 = c * (load<f64>(py, 48) + a * load<f64>(px, 48));
      const u7 = c * (load<f64>(py, 56) + a * load<f64>(px, 56));
      store<f64>(py, u0);
      store<f64>(py, u1, 8);
      store<f64>(py, u2, 16);
      store<f64>(py, u3, 24);
      store<f64>(py, u4, 32);
      store<f64>(py, u5, 40);
      store<f64>(py, u6, 48);
      store<f64>(py, u7, 56);
      s0 += load<f64>(pz) * u0;
      s1 += load<f64>(pz, 8) * u1;
      s2 += load<f64>(pz, 16) * u2;
      s3 += load<f64>(pz, 24) * u3;
      s4 += load<f64>(pz, 32) * u4;
      s5 += load<f64>(pz, 40) * u5;
      s6 += load<f64>(pz, 48) * u6;
      s7 += load<f64>(pz, 56) * u7;
    }
    s = ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const u = c * (load<f64>(y + o) + a * load<f64>(x + o));
    store<f64>(y + o, u);
    s += load<f64>(z + o) * u;
  }
  return s;
}

/**
 * y ← y + a·x, returning z·y of the updated y (fixed order). z may equal y; x must not
 * overlap y. (axpyScaleDot with c = 1: the product by 1 is exact.)
 */
export function axpyDot(n: i32, a: f64, x: usize, y: usize, z: usize): f64 {
  return axpyScaleDot(n, a, x, 1.0, y, z);
}

/** out ← a·x, returning z·out (fixed order). out may equal x or z. */
export function scaleDot(n: i32, a: f64, x: usize, out: usize, z: usize): f64 {
  let i = 0;
  let s = 0.0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(a);
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, po = out + o, pz = z + o;
      const u0 = f64x2.mul(va, v128.load(px));
      const u1 = f64x2.mul(va, v128.load(px, 16));
      const u2 = f64x2.mul(va, v128.load(px, 32));
      const u3 = f64x2.mul(va, v128.load(px, 48));
      v128.store(po, u0);
      v128.store(po, u1, 16);
      v128.store(po, u2, 32);
      v128.store(po, u3, 48);
      a0 = f64x2.add(a0, f64x2.mul(v128.load(pz), u0));
      a1 = f64x2.add(a1, f64x2.mul(v128.load(pz, 16), u1));
      a2 = f64x2.add(a2, f64x2.mul(v128.load(pz, 32), u2));
      a3 = f64x2.add(a3, f64x2.mul(v128.load(pz, 48), u3));
    }
    s = combine(a0, a1, a2, a3);
  } else {
    let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, po = out + o, pz = z + o;
      const u0 = a * load<f64>(px), u1 = a * load<f64>(px, 8);
      const u2 = a * load<f64>(px, 16), u3 = a * load<f64>(px, 24);
      const u4 = a * load<f64>(px, 32), u5 = a * load<f64>(px, 40);
      const u6 = a * load<f64>(px, 48), u7 = a * load<f64>(px, 56);
      store<f64>(po, u0);
      store<f64>(po, u1, 8);
      store<f64>(po, u2, 16);
      store<f64>(po, u3, 24);
      store<f64>(po, u4, 32);
      store<f64>(po, u5, 40);
      store<f64>(po, u6, 48);
      store<f64>(po, u7, 56);
      s0 += load<f64>(pz) * u0;
      s1 += load<f64>(pz, 8) * u1;
      s2 += load<f64>(pz, 16) * u2;
      s3 += load<f64>(pz, 24) * u3;
      s4 += load<f64>(pz, 32) * u4;
      s5 += load<f64>(pz, 40) * u5;
      s6 += load<f64>(pz, 48) * u6;
      s7 += load<f64>(pz, 56) * u7;
    }
    s = ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const u = a * load<f64>(x + o);
    store<f64>(out + o, u);
    s += load<f64>(z + o) * u;
  }
  return s;
}

/** max |x[i]| (0 when n = 0); NaN if any x[i] is NaN. */
export function nrmInf(n: i32, x: usize): f64 {
  let i = 0;
  let m = 0.0;
  if (ASC_FEATURE_SIMD) {
    // |x| ≥ +0, so pmax (one maxpd) is exact; NaN is tracked on the side as in reduce.ts.
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let nan = i64x2.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 3);
      const v0 = f64x2.abs(v128.load(p)), v1 = f64x2.abs(v128.load(p, 16));
      const v2 = f64x2.abs(v128.load(p, 32)), v3 = f64x2.abs(v128.load(p, 48));
      a0 = f64x2.pmax(a0, v0);
      a1 = f64x2.pmax(a1, v1);
      a2 = f64x2.pmax(a2, v2);
      a3 = f64x2.pmax(a3, v3);
      nan = v128.or(nan, v128.or(v128.or(isNaN2(v0), isNaN2(v1)), v128.or(isNaN2(v2), isNaN2(v3))));
    }
    if (v128.any_true(nan)) return NaN;
    const t = f64x2.pmax(f64x2.pmax(a0, a1), f64x2.pmax(a2, a3));
    m = max<f64>(f64x2.extract_lane(t, 0), f64x2.extract_lane(t, 1));
  }
  for (; i < n; i++) {
    const v = abs<f64>(load<f64>(x + (<usize>i << 3)));
    if (v > m || v != v) m = v;
  }
  return m;
}

/** max |a[i] − b[i]| (0 when n = 0); NaN if any difference is NaN. */
export function diffNrmInf(n: i32, a: usize, b: usize): f64 {
  let i = 0;
  let m = 0.0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let nan = i64x2.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const pa = a + o, pb = b + o;
      const v0 = f64x2.abs(f64x2.sub(v128.load(pa), v128.load(pb)));
      const v1 = f64x2.abs(f64x2.sub(v128.load(pa, 16), v128.load(pb, 16)));
      const v2 = f64x2.abs(f64x2.sub(v128.load(pa, 32), v128.load(pb, 32)));
      const v3 = f64x2.abs(f64x2.sub(v128.load(pa, 48), v128.load(pb, 48)));
      a0 = f64x2.pmax(a0, v0);
      a1 = f64x2.pmax(a1, v1);
      a2 = f64x2.pmax(a2, v2);
      a3 = f64x2.pmax(a3, v3);
      nan = v128.or(nan, v128.or(v128.or(isNaN2(v0), isNaN2(v1)), v128.or(isNaN2(v2), isNaN2(v3))));
    }
    if (v128.any_true(nan)) return NaN;
    const t = f64x2.pmax(f64x2.pmax(a0, a1), f64x2.pmax(a2, a3));
    m = max<f64>(f64x2.extract_lane(t, 0), f64x2.extract_lane(t, 1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const v = abs<f64>(load<f64>(a + o) - load<f64>(b + o));
    if (v > m || v != v) m = v;
  }
  return m;
}

/** out ← x + a·y. out may equal x or y. */
export function addScaled(n: i32, x: usize, a: f64, y: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(a);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, py = y + o, po = out + o;
      const u0 = f64x2.add(v128.load(px), f64x2.mul(va, v128.load(py)));
      const u1 = f64x2.add(v128.load(px, 16), f64x2.mul(va, v128.load(py, 16)));
      const u2 = f64x2.add(v128.load(px, 32), f64x2.mul(va, v128.load(py, 32)));
      const u3 = f64x2.add(v128.load(px, 48), f64x2.mul(va, v128.load(py, 48)));
      v128.store(po, u0);
      v128.store(po, u1, 16);
      v128.store(po, u2, 32);
      v128.store(po, u3, 48);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, load<f64>(x + o) + a * load<f64>(y + o));
  }
}

/** y ← a·x + b·y. x must not overlap y unless it is y. */
export function axpby(n: i32, a: f64, x: usize, b: f64, y: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(a), vb = f64x2.splat(b);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, py = y + o;
      const u0 = f64x2.add(f64x2.mul(va, v128.load(px)), f64x2.mul(vb, v128.load(py)));
      const u1 = f64x2.add(f64x2.mul(va, v128.load(px, 16)), f64x2.mul(vb, v128.load(py, 16)));
      const u2 = f64x2.add(f64x2.mul(va, v128.load(px, 32)), f64x2.mul(vb, v128.load(py, 32)));
      const u3 = f64x2.add(f64x2.mul(va, v128.load(px, 48)), f64x2.mul(vb, v128.load(py, 48)));
      v128.store(py, u0);
      v128.store(py, u1, 16);
      v128.store(py, u2, 32);
      v128.store(py, u3, 48);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(y + o, a * load<f64>(x + o) + b * load<f64>(y + o));
  }
}

/** out ← a·x (a plain product: a = 0 keeps NaN and ±Inf as NaN). out may equal x. */
export function scaleTo(n: i32, a: f64, x: usize, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f64x2.splat(a);
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 3;
      const px = x + o, po = out + o;
      const u0 = f64x2.mul(va, v128.load(px)), u1 = f64x2.mul(va, v128.load(px, 16));
      const u2 = f64x2.mul(va, v128.load(px, 32)), u3 = f64x2.mul(va, v128.load(px, 48));
      v128.store(po, u0);
      v128.store(po, u1, 16);
      v128.store(po, u2, 32);
      v128.store(po, u3, 48);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, a * load<f64>(x + o));
  }
}

// ---- Packed symmetric matrices (bfgs's inverse Hessian) ----
// A symmetric n×n A is stored as its upper triangle packed by columns (BLAS uplo = 'U'),
// which is the same as its lower triangle packed by rows: A(i, j) = A(j, i), j ≤ i, at
// ap[i(i+1)/2 + j]. Row i is then contiguous, and one pass over it serves both halves.

/**
 * y ← A·x for A packed as above. Row i's dot product with x[0..i) uses the fixed order;
 * y must not overlap ap or x.
 */
export function spmv(n: i32, ap: usize, x: usize, y: usize): void {
  for (let i = 0; i < n; i++) store<f64>(y + (<usize>i << 3), 0.0);
  for (let i = 0; i < n; i++) {
    const r = ap + ((<usize>i * <usize>(i + 1)) >> 1 << 3);
    const xi = load<f64>(x + (<usize>i << 3));
    let j = 0;
    let s = 0.0;
    if (ASC_FEATURE_SIMD) {
      const vxi = f64x2.splat(xi);
      let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0;
      for (; j + 8 <= i; j += 8) {
        const o = <usize>j << 3;
        const pa = r + o, px = x + o, py = y + o;
        const e0 = v128.load(pa), e1 = v128.load(pa, 16), e2 = v128.load(pa, 32), e3 = v128.load(pa, 48);
        a0 = f64x2.add(a0, f64x2.mul(e0, v128.load(px)));
        a1 = f64x2.add(a1, f64x2.mul(e1, v128.load(px, 16)));
        a2 = f64x2.add(a2, f64x2.mul(e2, v128.load(px, 32)));
        a3 = f64x2.add(a3, f64x2.mul(e3, v128.load(px, 48)));
        v128.store(py, f64x2.add(v128.load(py), f64x2.mul(e0, vxi)));
        v128.store(py, f64x2.add(v128.load(py, 16), f64x2.mul(e1, vxi)), 16);
        v128.store(py, f64x2.add(v128.load(py, 32), f64x2.mul(e2, vxi)), 32);
        v128.store(py, f64x2.add(v128.load(py, 48), f64x2.mul(e3, vxi)), 48);
      }
      s = combine(a0, a1, a2, a3);
    } else {
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
      for (; j + 8 <= i; j += 8) {
        const o = <usize>j << 3;
        const pa = r + o, px = x + o, py = y + o;
        const e0 = load<f64>(pa), e1 = load<f64>(pa, 8), e2 = load<f64>(pa, 16), e3 = load<f64>(pa, 24);
        const e4 = load<f64>(pa, 32), e5 = load<f64>(pa, 40), e6 = load<f64>(pa, 48), e7 = load<f64>(pa, 56);
        s0 += e0 * load<f64>(px);
        s1 += e1 * load<f64>(px, 8);
        s2 += e2 * load<f64>(px, 16);
        s3 += e3 * load<f64>(px, 24);
        s4 += e4 * load<f64>(px, 32);
        s5 += e5 * load<f64>(px, 40);
        s6 += e6 * load<f64>(px, 48);
        s7 += e7 * load<f64>(px, 56);
        store<f64>(py, load<f64>(py) + e0 * xi);
        store<f64>(py, load<f64>(py, 8) + e1 * xi, 8);
        store<f64>(py, load<f64>(py, 16) + e2 * xi, 16);
        store<f64>(py, load<f64>(py, 24) + e3 * xi, 24);
        store<f64>(py, load<f64>(py, 32) + e4 * xi, 32);
        store<f64>(py, load<f64>(py, 40) + e5 * xi, 40);
        store<f64>(py, load<f64>(py, 48) + e6 * xi, 48);
        store<f64>(py, load<f64>(py, 56) + e7 * xi, 56);
      }
      s = ((s0 + s2) + (s4 + s6)) + ((s1 + s3) + (s5 + s7));
    }
    for (; j < i; j++) {
      const o = <usize>j << 3;
      const e = load<f64>(r + o);
      s += e * load<f64>(x + o);
      store<f64>(y + o, load<f64>(y + o) + e * xi);
    }
    const py = y + (<usize>i << 3);
    store<f64>(py, load<f64>(py) + (s + load<f64>(r + (<usize>i << 3)) * xi));
  }
}

/** A ← A + x·yᵀ + y·xᵀ for A packed as above (entry-wise A + (x_i·y_j + y_i·x_j)). */
export function spr2(n: i32, x: usize, y: usize, ap: usize): void {
  for (let i = 0; i < n; i++) {
    const r = ap + ((<usize>i * <usize>(i + 1)) >> 1 << 3);
    const xi = load<f64>(x + (<usize>i << 3)), yi = load<f64>(y + (<usize>i << 3));
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const vxi = f64x2.splat(xi), vyi = f64x2.splat(yi);
      for (; j + 8 <= i + 1; j += 8) {
        const o = <usize>j << 3;
        const pa = r + o, px = x + o, py = y + o;
        v128.store(pa, f64x2.add(v128.load(pa), f64x2.add(f64x2.mul(vxi, v128.load(py)), f64x2.mul(vyi, v128.load(px)))));
        v128.store(pa, f64x2.add(v128.load(pa, 16), f64x2.add(f64x2.mul(vxi, v128.load(py, 16)), f64x2.mul(vyi, v128.load(px, 16)))), 16);
        v128.store(pa, f64x2.add(v128.load(pa, 32), f64x2.add(f64x2.mul(vxi, v128.load(py, 32)), f64x2.mul(vyi, v128.load(px, 32)))), 32);
        v128.store(pa, f64x2.add(v128.load(pa, 48), f64x2.add(f64x2.mul(vxi, v128.load(py, 48)), f64x2.mul(vyi, v128.load(px, 48)))), 48);
      }
    }
    for (; j <= i; j++) {
      const o = <usize>j << 3;
      store<f64>(r + o, load<f64>(r + o) + (xi * load<f64>(y + o) + yi * load<f64>(x + o)));
    }
  }
}
