// Jacobian and Hessian chunks on workers (src/wasm/tape.ts): with threads, a chunk's kernel
// calls are taped while the caller runs its JavaScript and a worker runs them while the caller
// goes on with the next chunk. The calls and their arguments are those the caller would have
// made, so the results must be the one-thread bits for 1, 2, 3 and 4 threads; a chunk that
// cannot be taped to its end (JavaScript reads its memory) runs its tape on the caller and
// must be exact too; a tape that fails in the worker surfaces as a WorkerError, and the next
// call is right.
import { afterAll, describe, expect, test } from "vitest";
import { diag, hessian, jacobian, jit, randn, setThreads, WorkerError, type Tensor } from "../../src/index.js";
import * as mc from "../../src/index.js";
import { currentPool, rt } from "../../src/wasm/module.js";
import { tapeStats, tapeTuning, worthTaping } from "../../src/wasm/tape.js";

const sameBits = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

afterAll(() => setThreads("auto"));

/** Runs `body` with every chunk worth a worker (small problems are taped too). */
async function tapingAll<T>(body: () => Promise<T>): Promise<T> {
  const was = tapeTuning.minEntries;
  tapeTuning.minEntries = 0;
  try {
    return await body();
  } finally {
    tapeTuning.minEntries = was;
  }
}

/** Waits (blocking the test's thread) until the pool's workers have started. */
async function started(): Promise<void> {
  await rt().pool!.start();
}

/**
 * Runs `cases` at 1 thread, then at 2, 3 and 4 (twice each: recordings, then replays), and
 * checks every result bit for bit; returns the tapes posted and flushed in the threaded runs.
 */
async function invariant(cases: Record<string, () => Tensor>): Promise<{ posted: number; flushes: number }> {
  setThreads(1);
  const ref = Object.fromEntries(Object.entries(cases).map(([k, f]) => [k, f().data.slice()]));
  const p0 = tapeStats.posted, f0 = tapeStats.flushes;
  for (const t of [2, 3, 4]) {
    setThreads(t);
    await started();
    for (let round = 0; round < 2; round++) {
      for (const [k, f] of Object.entries(cases)) {
        expect(sameBits(f().data, ref[k]!), `${k}, ${t} threads, round ${round}`).toBe(true);
      }
    }
    expect(currentPool()!.tapeInFlight, "no tape left running after a call").toBe(false);
  }
  return { posted: tapeStats.posted - p0, flushes: tapeStats.flushes - f0 };
}

/**
 * `jit(H)`'s one-thread bits at `p`, and a jit of H recorded on two threads (workers started):
 * what the chunked replays there must give.
 */
async function jitOnTwoThreads<P>(H: (p: P) => Tensor, p: P): Promise<{ jref: Float64Array; jH: (p: P) => Tensor }> {
  setThreads(1);
  const jref = jit(H)(p).data.slice();
  setThreads(2);
  await started();
  const jH = jit(H);
  jH(p);
  return { jref, jH };
}

/** A jitted function recorded once (made after setThreads: recordings are per runtime). */
function jitted(f: () => Tensor): () => Tensor {
  let g: (() => Tensor) | null = null;
  let runtime: unknown = null;
  return () => {
    if (g === null || runtime !== rt().pool) {
      g = jit(f);
      g();
      runtime = rt().pool;
    }
    return g();
  };
}

function mlp() {
  const X = randn([256, 20], { seed: 5 }), Y = randn([256, 1], { seed: 6 });
  const p = {
    W1: randn([20, 20], { seed: 7 }).mul(0.3), b1: randn([20], { seed: 8 }).mul(0.1),
    W2: randn([20, 1], { seed: 9 }).mul(0.3), b2: randn([1], { seed: 10 }).mul(0.1),
  };
  const f = (q: typeof p): Tensor => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
  return { f, p };
}

describe("chunks on workers: the same bits for 1, 2, 3 and 4 threads", () => {
  test("MLP 20-20-1 Hessian (441 parameters), plain and jit, default chunks and chunks of 32", async () => {
    const { f, p } = mlp();
    const H = hessian(f), H32 = hessian(f, { chunkSize: 32 });
    const { posted, flushes } = await invariant({
      hessian: () => H(p),
      "jit hessian": jitted(() => H(p)),
      "hessian chunkSize 32": () => H32(p),
      "jit hessian chunkSize 32": jitted(() => H32(p)),
    });
    // Every other chunk is taped, and none of the MLP's chunks reads memory from JavaScript.
    expect(posted).toBeGreaterThan(3 * 2 * 4 * 4);
    expect(flushes).toBe(0);
  });

  test("logistic-regression Hessian over A 1000×100, plain and jit, in chunks of 16", async () => {
    const A = randn([1000, 100], { seed: 1 }), y = mc.sign(randn([1000], { seed: 2 })), x = randn([100], { seed: 3 }).mul(0.1);
    const f = (x: Tensor): Tensor => mc.softplus(y.mul(A.matmul(x)).neg()).sum();
    const H = hessian(f, { chunkSize: 16 });
    const { posted } = await tapingAll(() => invariant({ hessian: () => H(x), "jit hessian": jitted(() => H(x)) }));
    expect(posted).toBeGreaterThan(0);
  });

  test("Jacobian of tanh(W·x), W 1000×100, forward and reverse, plain and jit", async () => {
    const W = randn([1000, 100], { seed: 15 }).mul(0.1), x = randn([100], { seed: 16 });
    const g = (x: Tensor): Tensor => W.matmul(x).tanh();
    const fwd = jacobian(g, { mode: "fwd", chunkSize: 16 }), rev = jacobian(g, { mode: "rev" });
    const { posted } = await tapingAll(() => invariant({
      fwd: () => fwd(x),
      rev: () => rev(x),
      "jit fwd": jitted(() => fwd(x)),
      "jit rev": jitted(() => rev(x)),
    }));
    expect(posted).toBeGreaterThan(0);
  });

  test("chunks that copy boxes (slices, concatenation) on their tape", async () => {
    // Slices and concatenation of the tangents copy boxes (copyBox, addBoxInto in the
    // backward pass): taped as copies the worker makes.
    const A = randn([30, 30], { seed: 21 }).mul(0.2);
    const f = (x: Tensor): Tensor => {
      const a = x.slice([0], [20]), b = x.slice([10], [20]);
      return mc.concat([a.tanh(), A.matmul(x).slice([5], [10]), b.mul(a)], 0).square().sum();
    };
    const x = randn([30], { seed: 22 });
    const H = hessian(f, { chunkSize: 4 });
    const { posted, flushes } = await tapingAll(() => invariant({ hessian: () => H(x), "jit hessian": jitted(() => H(x)) }));
    expect(posted).toBeGreaterThan(0);
    expect(flushes).toBe(0);
  });

  test("a chunk whose tangents JavaScript reads (diag) flushes its tape and is still exact", async () => {
    const B = randn([12, 12], { seed: 31 }).mul(0.3);
    const f = (M: Tensor): Tensor => diag(M.matmul(B).matmul(M.T)).tanh().sum();
    const M = randn([12, 12], { seed: 32 }).mul(0.5);
    const H = hessian(f, { chunkSize: 16 });
    const { flushes } = await tapingAll(() => invariant({ hessian: () => H(M), "jit hessian": jitted(() => H(M)) }));
    expect(flushes).toBeGreaterThan(0);
    expect(tapeStats.reasons["memory read from JavaScript"]).toBeGreaterThan(0);
  });
});

test("tapes the worker has not started when waited for run on the caller, with the same bits", async () => {
  const { f, p } = mlp();
  const H = hessian(f);
  const jH = jit(H);
  setThreads(1);
  const ref = H(p).data.slice(), jref = jit(H)(p).data.slice();
  setThreads(2);
  await started();
  const pool = currentPool()!;
  jH(p);
  pool.holdTapes(true);
  try {
    const taken = pool.tapesTaken, posted = tapeStats.posted;
    expect(sameBits(H(p).data, ref)).toBe(true);
    expect(sameBits(jH(p).data, jref)).toBe(true);
    expect(tapeStats.posted).toBeGreaterThan(posted);
    expect(pool.tapesTaken - taken).toBe(tapeStats.posted - posted);
  } finally {
    pool.holdTapes(false);
  }
  expect(sameBits(H(p).data, ref)).toBe(true);
});

test("jit's tape regions: chunks taped into reused memory, call after call, keep the one-thread bits", async () => {
  // Worker 1's chunks go into two regions in turn (src/jit/jit.ts TapeRegions). A mistake there
  // (a region reused while a tape still reads it) shows in a few calls in a hundred, so many
  // replays run, with the regions on and off.
  const { f, p } = mlp();
  const H = hessian(f);
  const { jref, jH } = await jitOnTwoThreads(H, p);
  const was = tapeTuning.regions, scale = tapeTuning.regionScale;
  try {
    // Regions as sized, regions too small (every chunk outgrows its region: the rest of its
    // memory goes above the caller's), and no regions.
    for (const [regions, regionScale] of [[true, 1], [true, 0.3], [false, 1]] as const) {
      tapeTuning.regions = regions;
      tapeTuning.regionScale = regionScale;
      const inRegion = tapeStats.inRegion;
      let wrong = 0;
      for (let i = 0; i < 150; i++) if (!sameBits(jH(p).data, jref)) wrong++;
      expect(wrong, `regions ${regions} (scale ${regionScale}): calls with other bits`).toBe(0);
      if (regions) expect(tapeStats.inRegion - inRegion, "chunks taped into a region").toBeGreaterThan(0);
      else expect(tapeStats.inRegion).toBe(inRegion);
    }
  } finally {
    tapeTuning.regions = was;
    tapeTuning.regionScale = scale;
  }
});

describe("which chunks are taped (worthTaping)", () => {
  test("while the worker's queue, at its cost, ends before the caller's share; within maxQueued entries", () => {
    const min = tapeTuning.minEntries, max = tapeTuning.maxQueued;
    // Nothing queued: taped when the caller has at least (cost − 1)·work left after it.
    expect(worthTaping(min, 0, 0.3 * min, 1.3)).toBe(true);
    expect(worthTaping(min, 0, 0.29 * min, 1.3)).toBe(false);
    // 4 chunks queued: 1.3·5w ≤ w + after needs after ≥ 5.5w.
    expect(worthTaping(min, 4 * min, 5.5 * min, 1.3)).toBe(true);
    expect(worthTaping(min, 4 * min, 5.4 * min, 1.3)).toBe(false);
    // At cost 1 (the un-jitted chunks): queued ≤ after.
    expect(worthTaping(min, 4 * min, 4 * min, 1)).toBe(true);
    expect(worthTaping(min, 4 * min, 3.9 * min, 1)).toBe(false);
    // Too small for a worker's wake-up, or past the memory bound, whatever is left.
    expect(worthTaping(min - 1, 0, 100 * min, 1)).toBe(false);
    expect(worthTaping(min, max - min, 1e12, 1)).toBe(true);
    expect(worthTaping(min, max - min + 1, 1e12, 1)).toBe(false);
  });

  test("with maxQueued 0 no chunk is posted, plain or jit, and the bits are the one-thread bits", async () => {
    const { f, p } = mlp();
    const H = hessian(f);
    setThreads(1);
    // (The jit'd Hessian computes one triangle and mirrors it: bits of its own.)
    const ref = H(p).data.slice(), jref = jit(H)(p).data.slice();
    setThreads(2);
    await started();
    const jH = jit(H);
    jH(p);
    let posted = tapeStats.posted;
    expect(sameBits(H(p).data, ref)).toBe(true);
    expect(sameBits(jH(p).data, jref)).toBe(true);
    expect(tapeStats.posted - posted, "tapes posted with the default bound").toBeGreaterThan(1);
    const was = tapeTuning.maxQueued;
    tapeTuning.maxQueued = 0;
    try {
      posted = tapeStats.posted;
      expect(sameBits(H(p).data, ref)).toBe(true);
      expect(sameBits(jH(p).data, jref)).toBe(true);
      expect(tapeStats.posted - posted).toBe(0);
    } finally {
      tapeTuning.maxQueued = was;
    }
  });
});

describe("a tape that fails in the worker", () => {
  for (const fault of ["throw", "trap"] as const) {
    test(`(${fault}): WorkerError at the wait, then the next call is right`, async () => {
      const { f, p } = mlp();
      const H = hessian(f);
      setThreads(1);
      const ref = H(p).data.slice();
      setThreads(2);
      await started();
      const pool = currentPool()!;
      expect(sameBits(H(p).data, ref)).toBe(true);
      pool.injectTapeFault(fault);
      let caught: unknown = null;
      try {
        H(p);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(WorkerError);
      expect((caught as WorkerError).op).toBe("tape");
      expect(pool.tapeInFlight).toBe(false);
      expect(rt().arena.used).toBe(0);
      const before = tapeStats.posted;
      expect(sameBits(H(p).data, ref)).toBe(true);
      expect(tapeStats.posted).toBeGreaterThan(before);
      // jit: a replay that fails runs f un-jitted (as for any kernel error there), whose
      // result is the plain Hessian's bits; the next replay gives jit's own again.
      const { jref, jH } = await jitOnTwoThreads(H, p);
      const fails = tapeStats.posted;
      currentPool()!.injectTapeFault(fault);
      expect(sameBits(jH(p).data, ref)).toBe(true);
      expect(tapeStats.posted).toBeGreaterThan(fails);
      expect(sameBits(jH(p).data, jref)).toBe(true);
    });
  }
});
