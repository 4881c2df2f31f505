// Batched autodiff across workers (issue 21, item 2): Hessians, Jacobians and vmap push their
// directions or members through as one batch, whose large entrywise calls (binary, fused
// programs, axis reductions) the pool splits into blocks of a size fixed by the shape. The
// results must be the one-thread bits for any thread count, and each split kernel must give
// them on both sides of its threshold.
import { afterAll, describe, expect, test } from "vitest";
import {
  hessian, jacobian, jit, max, randn, setThreads, sum, transpose, vmap, type Tensor,
} from "../../src/index.js";
import { currentPool, rt } from "../../src/wasm/module.js";
import { entryBlocks, gemmUpperPart } from "../../src/wasm/pool.js";
import * as mc from "../../src/index.js";
import { scoped } from "../../src/core/tensor.js";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

afterAll(() => setThreads("auto"));

/**
 * Runs `cases` at 1 thread, then at 2, 3 and 4, and checks every result bit for bit; returns
 * the pool's jobs and worker tasks summed over the threaded runs.
 */
function invariant(cases: Record<string, () => Tensor>): { jobs: number; workerTasks: number } {
  setThreads(1);
  const ref = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, f().data.slice()]));
  let jobs = 0, workerTasks = 0;
  for (const t of [2, 3, 4]) {
    setThreads(t);
    for (const [k, f] of Object.entries(cases)) {
      const got = f().data;
      expect(sameBits(got, ref[k]!), `${k}, ${t} threads`).toBe(true);
    }
    const pool = currentPool()!;
    jobs += pool.jobs;
    workerTasks += pool.workerTasks;
  }
  return { jobs, workerTasks };
}

describe("batched autodiff: the same bits for 1, 2, 3 and 4 threads", () => {
  test("MLP 20-20-1 Hessian (441 parameters), plain and jit, default and wide chunks", () => {
    const X = randn([256, 20], { seed: 5 }), Y = randn([256, 1], { seed: 6 });
    const p = {
      W1: randn([20, 20], { seed: 7 }).mul(0.3), b1: randn([20], { seed: 8 }).mul(0.1),
      W2: randn([20, 1], { seed: 9 }).mul(0.3), b2: randn([1], { seed: 10 }).mul(0.1),
    };
    const f = (q: typeof p): Tensor => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
    // jit's recordings are per runtime: made inside each case, after setThreads.
    const { jobs } = invariant({
      "hessian": () => hessian(f)(p),
      "jit hessian": () => {
        const jH = jit(hessian(f));
        jH(p);
        return jH(p);
      },
      "hessian chunkSize 32": () => hessian(f, { chunkSize: 32 })(p),
      "jit hessian chunkSize 32": () => {
        const jH = jit(hessian(f, { chunkSize: 32 }));
        jH(p);
        return jH(p);
      },
    });
    // Chunks of ~32 directions (the default, and 32) make products of 20×620×256 and more:
    // split.
    expect(jobs).toBeGreaterThan(0);
    const H = hessian(f)(p);
    expect(H.shape).toEqual([441, 441]);
  });

  test("Jacobian of tanh(W·x), W 1000×100, forward and reverse, plain and jit", () => {
    const W = randn([1000, 100], { seed: 15 }).mul(0.1), x = randn([100], { seed: 16 });
    const g = (x: Tensor): Tensor => W.matmul(x).tanh();
    const { jobs } = invariant({
      fwd: () => jacobian(g, { mode: "fwd" })(x),
      rev: () => jacobian(g, { mode: "rev" })(x),
      "jit rev": () => {
        const j = jit(jacobian(g, { mode: "rev" }));
        j(x);
        return j(x);
      },
    });
    expect(jobs).toBeGreaterThan(0);
  });

  test("logistic-regression Hessian over A 1000×100 (one symmetric product Aᵀ·(w ∘ A)), plain and jit", () => {
    const A = randn([1000, 100], { seed: 1 }), y = mc.sign(randn([1000], { seed: 2 })), x = randn([100], { seed: 3 }).mul(0.1);
    const f = (x: Tensor): Tensor => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const { jobs } = invariant({
      hessian: () => hessian(f)(x),
      "jit hessian": () => {
        const jH = jit(hessian(f));
        jH(x);
        return jH(x);
      },
    });
    expect(jobs).toBeGreaterThan(0);
  });

  test("vmap: dot over 30000 pairs, batched 20×20 products with tanh and sums, a max per member", () => {
    const A = randn([30000, 10], { seed: 1 }), B = randn([30000, 10], { seed: 2 });
    const M = randn([600, 20, 20], { seed: 3 }), N = randn([600, 20, 20], { seed: 4 });
    const { jobs, workerTasks } = invariant({
      dot: () => vmap((a: Tensor, b: Tensor) => a.dot(b))(A, B),
      matmul: () => vmap((a: Tensor, b: Tensor) => a.matmul(b).tanh())(M, N),
      "matmul sum": () => vmap((a: Tensor, b: Tensor) => a.matmul(b).sum())(M, N),
      "max per member": () => vmap((a: Tensor) => max(a.mul(a), 0))(M),
    });
    expect(jobs).toBeGreaterThan(0);
    // Under load a worker may miss a job; over these runs some must have joined.
    expect(workerTasks).toBeGreaterThan(0);
  });
});

describe("the split kernels on both sides of their threshold", () => {
  test("entryBlocks: a fixed partition of the shape, never of the thread count", () => {
    expect(entryBlocks(1, 262143)).toBe(0); // under ENTRY_MIN: whole
    expect(entryBlocks(1, 262144)).toBe(16384); // sixteen blocks
    expect(entryBlocks(1, 262147)).toBe(16384); // and a 3-entry remainder in a seventeenth
    expect(entryBlocks(5120, 51)).toBe(0);
    expect(entryBlocks(5120, 52)).toBe(4); // thirteen blocks of 4 columns
    expect(entryBlocks(300000, 1)).toBe(0); // one row: nothing to split along
    expect(entryBlocks(270000, 2)).toBe(1);
    // At most 1024 blocks (the pool's task table); one dimension in multiples of 16384.
    expect(Math.ceil(3000000 / entryBlocks(3, 1000000))).toBeLessThanOrEqual(1024);
    expect(entryBlocks(1, 2 ** 25) % 16384).toBe(0);
  });

  /** Kernel names of the jobs the pool ran for `f` at 2 threads, after checking its bits against 1 thread. */
  function jobsBy(f: () => Tensor): string[] {
    setThreads(1);
    const ref = f().data.slice();
    setThreads(2);
    const pool = currentPool()! as unknown as { run(op: string, rows: unknown): void; jobs: number };
    const run = pool.run.bind(pool), ops: string[] = [];
    pool.run = (op, rows) => {
      ops.push(op);
      run(op, rows);
    };
    try {
      const before = pool.jobs;
      const got = f().data;
      expect(sameBits(got, ref)).toBe(true);
      // Every job counted (the pool is really used, not only asked).
      expect(pool.jobs - before).toBe(ops.length);
    } finally {
      pool.run = run;
    }
    return ops;
  }

  /** Jobs the pool ran for `f` at 2 threads, after checking its bits against 1 thread. */
  const jobsOf = (f: () => Tensor): number => jobsBy(f).length;

  test("binary: one dimension at 262143 / 262144 / 262147 entries, broadcast shapes around 262144", () => {
    for (const [n, split] of [[262143, false], [262144, true], [262147, true], [300007, true]] as [number, boolean][]) {
      const a = randn([n], { seed: n }), b = randn([n], { seed: n + 1 });
      expect(jobsOf(() => a.mul(b)) > 0, `mul n = ${n}`).toBe(split);
      expect(jobsOf(() => a.sub(b)) > 0, `sub n = ${n}`).toBe(split);
      expect(jobsOf(() => a.pow(b.abs())) > 0, `pow n = ${n}`).toBe(split);
    }
    // A column and a row broadcast to a matrix: 5120 × 51 = 261120 entries whole, × 53 split
    // (blocks of 4 columns, the last of 1).
    for (const [cols, split] of [[51, false], [53, true], [301, true]] as [number, boolean][]) {
      const col = randn([5120, 1], { seed: cols }), row = randn([1, cols], { seed: cols + 1 });
      const m = randn([5120, cols], { seed: cols + 2 });
      expect(jobsOf(() => col.add(row)) > 0, `5120×${cols} col + row`).toBe(split);
      expect(jobsOf(() => m.div(row)) > 0, `5120×${cols} m / row`).toBe(split);
    }
    // Rank 3 with stride-0 operands in the middle: [150, 7, 250] = 262500 entries.
    const x = randn([150, 1, 250], { seed: 3 }), y = randn([1, 7, 250], { seed: 4 });
    expect(jobsOf(() => x.mul(y))).toBeGreaterThan(0);
  });

  test("fused entrywise programs (jit): split from 262144 entries, whole below", () => {
    for (const [r, c, split] of [[256, 1023, false], [256, 1024, true], [301, 1031, true], [262147, 1, true]] as [number, number, boolean][]) {
      const a = randn([r, c], { seed: r }), b = randn([r, 1], { seed: c }), d = randn([1, c], { seed: r + c });
      // Eager at one thread computes op by op (binary): the fused program must give its bits.
      setThreads(1);
      const eager = a.mul(b).add(d).mul(a).sub(b).mul(d).data.slice();
      const run = (): Tensor => {
        const g = jit((a: Tensor, b: Tensor, d: Tensor) => a.mul(b).add(d).mul(a).sub(b).mul(d));
        g(a, b, d);
        return g(a, b, d);
      };
      expect(sameBits(run().data, eager), `${r}×${c} one thread`).toBe(true);
      expect(jobsOf(run) > 0, `${r}×${c}`).toBe(split);
    }
  });

  test("sum and max along an axis: split by slabs from 262144 entries", () => {
    for (const [shape, axis, split] of [
      [[512, 511], 0, false], [[512, 512], 0, true], [[20, 20, 700], 1, true], [[7, 9, 4201], 1, true],
      [[270000, 1], 0, false], // one slab: whole
      [[3, 90000], 0, true],
    ] as [number[], number, boolean][]) {
      const x = randn(shape, { seed: shape[0]! + shape.length });
      expect(jobsOf(() => sum(x, axis)) > 0, `sum ${shape} axis ${axis}`).toBe(split);
      expect(jobsOf(() => max(x, axis)) > 0, `max ${shape} axis ${axis}`).toBe(split);
    }
  });

  test("transpose: split by bands of rows from 262144 entries", () => {
    for (const [m, n, split] of [[26214, 10, false], [26215, 10, true], [2000, 400, true], [131072, 2, true], [17, 16000, true], [1, 300000, false]] as [number, number, boolean][]) {
      const x = randn([m, n], { seed: m + n });
      const t = (): Tensor => transpose(x);
      expect(jobsOf(t) > 0, `${m}×${n}`).toBe(split);
      // The transpose itself, entry by entry.
      const xd = x.data, td = t().data;
      for (const [i, j] of [[0, 0], [m - 1, n - 1], [m >> 1, n - 1], [m - 1, 0]] as [number, number][]) {
        expect(td[j + i * n]).toBe(xd[i + j * m]);
      }
    }
  });

  test("a batch of products (vmap of A·B, one per member): one job from 96³ multiply-adds in all", () => {
    // Members 64×48 times a shared 48×40 (bmmLeft): 122880 multiply-adds each, so 7 members
    // (860160) run in turn and 8 (983040) as one job; with one column (n = 1) each member is
    // gemm's matrix-vector product.
    const B = randn([48, 40], { seed: 1 }), w = randn([48, 1], { seed: 2 });
    for (const [s, split] of [[7, false], [8, true], [61, true]] as [number, boolean][]) {
      const A = randn([s, 64, 48], { seed: s });
      expect(jobsBy(() => vmap((a: Tensor) => a.matmul(B))(A)).includes("gemm"), `${s} members`).toBe(split);
    }
    // Members 256×20 times one column: 400 matrix-vector products in one job.
    const A = randn([400, 256, 20], { seed: 3 });
    expect(jobsBy(() => vmap((a: Tensor) => a.matmul(w.slice([0, 0], [20, 1])))(A))).toContain("gemm");
  });

  test("gemmUpper: split along the diagonal from 96³ multiply-adds (n ≥ 32, k ≥ 64); every entry on and above it gemm's", () => {
    expect(gemmUpperPart(45, 700)).toBe(0); // 708750 multiply-adds
    expect(gemmUpperPart(48, 800)).toBe(16); // 921600
    expect(gemmUpperPart(1000, 1000)).toBe(128);
    expect(gemmUpperPart(2000, 63)).toBe(0);
    const upper = (t: number, n: number, k: number, ta: number, tb: number): { c: Float64Array; g: Float64Array; jobs: number } => {
      setThreads(t);
      const { arena, kernels: K, pool } = rt();
      return scoped(() => {
        const a = randn([n * k], { seed: n + k }).data, b = randn([n * k], { seed: n * k }).data;
        const pa = arena.put(a), pb = arena.put(b), pc = arena.put(new Float64Array(n * n)), pg = arena.alloc(n * n);
        const lda = ta ? k : n, ldb = tb ? n : k;
        const before = pool?.jobs ?? 0;
        K.gemmUpper(ta, tb, n, k, 1, pa, lda, pb, ldb, 0, pc, n);
        const jobs = (pool?.jobs ?? 0) - before;
        K.gemm(ta, tb, n, n, k, 1, pa, lda, pb, ldb, 0, pg, n);
        return { c: arena.f64().slice(pc >>> 3, (pc >>> 3) + n * n), g: arena.f64().slice(pg >>> 3, (pg >>> 3) + n * n), jobs };
      });
    };
    for (const [n, k, split] of [[45, 700, false], [48, 800, true], [100, 1000, true], [257, 300, true], [203, 97, true]] as [number, number, boolean][]) {
      for (const [ta, tb] of [[1, 0], [0, 1], [0, 0]]) {
        const ref = upper(1, n, k, ta, tb);
        for (const t of [2, 3, 4]) {
          const got = upper(t, n, k, ta, tb);
          expect(got.jobs > 0, `${n}×${k}`).toBe(split);
          let bad = 0;
          for (let j = 0; j < n; j++) {
            for (let i = 0; i <= j; i++) {
              const e = i + j * n;
              if (!Object.is(got.c[e], ref.c[e]) || !Object.is(got.c[e], ref.g[e])) bad++;
            }
          }
          expect(bad, `${n}×${k} ta ${ta} tb ${tb}, ${t} threads`).toBe(0);
        }
      }
    }
  });
});
