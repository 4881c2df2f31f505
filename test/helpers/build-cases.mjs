// The relaxed-SIMD build against the SIMD build, through the public API, in any host: plain
// JavaScript (no TypeScript) so a Node child process started with
// --experimental-wasm-relaxed-simd and a plain Chromium page can import it as is.
//
// Both builds compute the same products with the same blocking and summation order; the
// relaxed one fuses each multiply-add (one rounding instead of two). So each entry of both
// obeys the same standard bound, and their difference is at most twice it:
//   matrix products and dot products (Higham, Accuracy and Stability of Numerical Algorithms,
//   2nd ed., eq. 3.13):  |fl(A·B) − A·B| ≤ γ_k·|A|·|B|,  γ_k = k·u / (1 − k·u),  u = 2⁻⁵³;
//   LU solve (Thm 9.4) and Cholesky (Thm 10.3): backward stable, so two computed solutions
//   differ by at most ~2·κ(A)·γ_3n relative to the solution's norm.
// Every case returns the largest |relaxed − simd| / bound over its entries (≤ 1 is within
// bounds), how many entries differ at all, and whether each build repeats itself bit for bit.

const U = 2 ** -53;
const gamma = (k) => (k * U) / (1 - k * U);

/** Seeded numbers in [-1, 1) (mulberry32), so every host builds the same inputs. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function randMatrix(m, n, seed) {
  const r = rng(seed);
  return Array.from({ length: m }, () => Array.from({ length: n }, r));
}

/** |A|·|B| in float64 (rows of nested arrays); its own rounding is far below the bound's slack. */
function absProduct(A, B) {
  const m = A.length, k = B.length, n = B[0].length;
  const out = Array.from({ length: m }, () => new Array(n).fill(0));
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const a = Math.abs(A[i][p]), row = B[p], o = out[i];
      for (let j = 0; j < n; j++) o[j] += a * Math.abs(row[j]);
    }
  }
  return out;
}

const flat = (x) => (Array.isArray(x) ? x.flat(Infinity) : [x]);
const normInf = (v) => v.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const matNormInf = (A) => Math.max(...A.map((row) => row.reduce((s, x) => s + Math.abs(x), 0)));
const same = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/**
 * The cases: name, the computation (given the library), and the bound on |relaxed − simd| for
 * every entry of its flattened result (computed once, from the simd result where needed).
 */
function cases(mc) {
  const A1 = randMatrix(67, 300, 1), B1 = randMatrix(300, 45, 2);
  const A2 = randMatrix(256, 256, 3), B2 = randMatrix(256, 256, 4);
  const G = randMatrix(300, 200, 5), x = randMatrix(1, 200, 6)[0];
  const d1 = randMatrix(1, 1001, 7)[0], D = randMatrix(1001, 40, 8);
  const n = 150;
  // Diagonally dominant: well conditioned, so the solve's bound is tight enough to mean something.
  const L = randMatrix(n, n, 9).map((row, i) => row.map((v, j) => (i === j ? v + n : v)));
  const b = randMatrix(1, n, 10)[0];
  const R = randMatrix(n, n, 11);
  const S = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => R.reduce((s, r) => s + r[i] * r[j], 0) + (i === j ? n : 0)));
  const productBound = (A, B, k) => flat(absProduct(A, B)).map((v) => 2 * gamma(k) * v);
  const cond = (M) => matNormInf(M) * matNormInf(mc.inv(M).toArray());
  return [
    { name: "gemm 67×300·300×45", run: () => mc.matmul(A1, B1).toArray(), bound: () => productBound(A1, B1, 300) },
    { name: "gemm 256×256·256×256", run: () => mc.matmul(A2, B2).toArray(), bound: () => productBound(A2, B2, 256) },
    {
      name: "gemv 300×200·200", run: () => mc.matmul(G, x).toArray(),
      bound: () => productBound(G, x.map((v) => [v]), 200),
    },
    {
      // A row vector times a matrix: gemv with op = T, column dot products.
      name: "gemv 1×1001·1001×40 (op = T)", run: () => mc.matmul([d1], D).toArray(),
      bound: () => productBound([d1], D, 1001),
    },
    {
      name: "solve (LU) 150", run: () => mc.solve(L, b).toArray(),
      bound: (ref) => {
        const scale = 2 * cond(L) * gamma(3 * n) * normInf(ref);
        return ref.map(() => scale);
      },
    },
    {
      name: "cholesky 150", run: () => mc.cholesky(S).toArray(),
      bound: (ref) => {
        const scale = 2 * cond(S) * gamma(n + 1) * normInf(ref);
        return ref.map(() => scale);
      },
    },
  ];
}

/**
 * Runs every case in the 'simd' and the 'relaxed-simd' build (twice each) and compares them.
 * Leaves the 'relaxed-simd' build loaded. Needs a host with relaxed SIMD.
 */
export async function compareBuilds(mc) {
  const list = cases(mc);
  const results = {};
  for (const build of ["simd", "relaxed-simd"]) {
    await mc.init({ build });
    if (mc.kernelBuild() !== build) throw new Error(`expected the ${build} build, got ${mc.kernelBuild()}`);
    results[build] = list.map((c) => {
      const first = flat(c.run()), second = flat(c.run());
      return { values: first, repeats: same(first, second) };
    });
  }
  await mc.init({ build: "simd" });
  const out = list.map((c, i) => {
    const s = results.simd[i], r = results["relaxed-simd"][i];
    const bound = c.bound(s.values);
    let worst = 0, differ = 0;
    for (let j = 0; j < s.values.length; j++) {
      const d = Math.abs(r.values[j] - s.values[j]);
      if (d !== 0) differ++;
      worst = Math.max(worst, bound[j] > 0 ? d / bound[j] : d === 0 ? 0 : Infinity);
    }
    return {
      name: c.name, entries: s.values.length, differ, worstRatio: worst,
      finite: r.values.every(Number.isFinite), repeats: s.repeats && r.repeats,
    };
  });
  await mc.init({ build: "relaxed-simd" });
  return out;
}

/**
 * The level-1 and triangular-solve kernels the public ops do not reach directly: dot, axpy
 * (unit stride) and trsm (left, lower, m = 100 > the 32-row leaf, so the leaf kernel and the
 * gemm updates both run), on fresh instances of the two builds. `mod` is the package's
 * dist/wasm/module.js (or src/wasm/module.ts): { init, rt, instantiateKernels }.
 * Bounds: dot 2·γ_n·Σ|xᵢyᵢ|; axpy 3u·(|αxᵢ| + |yᵢ|) (one rounding fused, two unfused);
 * trsm: each build's residual |α·B − L·X̂| ≤ 2·γ_{m+1}·(|L|·|X̂| + |α·B|) (Higham Thm 8.5, the
 * residual's own rounding included), and |X̂_relaxed − X̂_simd| counted.
 * Everything else is the same code in both builds: the elementwise math (all 18 unary ops,
 * UnaryOp 0–17, and pow) and the sum reduction must match bit for bit (`unfusedSame`).
 */
export async function compareKernels(mod) {
  const instances = {};
  for (const build of ["simd", "relaxed-simd"]) {
    await mod.init({ build });
    instances[build] = mod.instantiateKernels(mod.rt().module);
  }
  await mod.init({ build: "relaxed-simd" });
  const n = 1003, m = 100, nrhs = 37;
  const x = randMatrix(1, n, 21)[0], y = randMatrix(1, n, 22)[0], alpha = 0.7390851332151607;
  const Lm = randMatrix(m, m, 23).map((row, i) => row.map((v, j) => (j > i ? 0 : i === j ? 4 + v : v / 4)));
  const Bm = randMatrix(m, nrhs, 24);
  const colMajor = (A) => Float64Array.from({ length: A.length * A[0].length }, (_, t) => A[t % A.length][Math.floor(t / A.length)]);
  const run = (k) => {
    const base = k.heapBase();
    const need = base + 8 * (4 * n + m * m + m * nrhs) + 64;
    if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
    const f = () => new Float64Array(k.memory.buffer);
    const px = base, py = px + 8 * n, pa = py + 8 * n, pb = pa + 8 * m * m;
    f().set(x, px / 8);
    f().set(y, py / 8);
    const d = k.dot(n, px, 1, py, 1);
    k.axpy(n, alpha, px, 1, py, 1);
    const ax = Array.from(f().subarray(py / 8, py / 8 + n));
    f().set(colMajor(Lm), pa / 8);
    f().set(colMajor(Bm), pb / 8);
    k.trsm(0, 0, 0, 0, m, nrhs, alpha, pa, m, pb, m);
    const X = Array.from(f().subarray(pb / 8, pb / 8 + m * nrhs));
    // Unfused kernels: every unary op over wide-ranging inputs, and a long sum.
    const w = randMatrix(1, n, 25)[0].map((v, i) => v * 2 ** ((i % 61) - 30));
    const unary = [];
    for (let op = 0; op <= 17; op++) {
      f().set(w, px / 8);
      k.unary(op, n, px, py);
      unary.push(...f().subarray(py / 8, py / 8 + n));
    }
    // pow (BinaryOp 4): its own kernel, same code in both builds; bases of both signs over
    // wide magnitudes, exponents integer and not.
    const pz = pb + 8 * m * nrhs, pshape = pz + 8 * n;
    const ints = new Int32Array(k.memory.buffer, pshape, 2);
    ints[0] = n;
    ints[1] = 1;
    f().set(w, px / 8);
    f().set(y.map((v, i) => (i % 3 === 0 ? Math.round(v * 40) : v * 40)), pz / 8);
    k.binary(4, 1, pshape, px, pshape + 4, pz, pshape + 4, py);
    unary.push(...f().subarray(py / 8, py / 8 + n));
    f().set(w, px / 8);
    unary.push(k.sum(n, px));
    return { d, ax, X, unary };
  };
  const s = run(instances.simd), r = run(instances["relaxed-simd"]);
  const again = run(instances["relaxed-simd"]);
  const repeats = Object.is(again.d, r.d) && same(again.ax, r.ax) && same(again.X, r.X) && same(again.unary, r.unary);
  const dotBound = 2 * gamma(n) * x.reduce((acc, v, i) => acc + Math.abs(v * y[i]), 0);
  const axpyBound = y.map((v, i) => 3 * U * (Math.abs(alpha * x[i]) + Math.abs(v)));
  const residualRatio = (X) => {
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < nrhs; j++) {
        let lx = 0, abs = 0;
        for (let p = 0; p <= i; p++) {
          lx += Lm[i][p] * X[p + j * m];
          abs += Math.abs(Lm[i][p] * X[p + j * m]);
        }
        const rhs = alpha * Bm[i][j];
        worst = Math.max(worst, Math.abs(rhs - lx) / (2 * gamma(m + 1) * (abs + Math.abs(rhs))));
      }
    }
    return worst;
  };
  const count = (a, b) => a.reduce((c, v, i) => c + (Object.is(v, b[i]) ? 0 : 1), 0);
  return {
    repeats,
    unfusedSame: same(s.unary, r.unary) && s.unary.length === 19 * n + 1,
    dot: { differ: Object.is(s.d, r.d) ? 0 : 1, worstRatio: Math.abs(s.d - r.d) / dotBound },
    axpy: { differ: count(s.ax, r.ax), worstRatio: Math.max(...s.ax.map((v, i) => Math.abs(v - r.ax[i]) / axpyBound[i])) },
    trsm: { differ: count(s.X, r.X), worstRatio: Math.max(residualRatio(s.X), residualRatio(r.X)) },
  };
}
