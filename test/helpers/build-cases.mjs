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
