// src/wasm/malloc-thresholds.ts: in Node on Linux the first runtime drops an untouched 31 MiB
// ArrayBuffer so that glibc keeps freed result storage mapped. Measured in a fresh process (the
// thresholds are process-wide and only rise), by the page faults of calls that return large
// results: without the primer a jit'd MLP Hessian (441 × 441, 1.5 MB) faulted its result's pages
// in on every call here (~380 a call), with it a few; with a 16 MiB primer a reverse-mode
// Jacobian (1000 × 100, 0.8 MB, ~200 pages) still faulted 30–60 a call in 7 of 8 processes.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = pathToFileURL(resolve(import.meta.dirname, "../../dist/index.js")).href;

/**
 * In a fresh Node process (one thread): runs `setup`, then the call `call` `warm` times, then 5
 * rounds of `per` calls; returns the result's shape and the median round's page faults a call.
 */
function faultsPerCall(setup: string, call: string, warm: number, per: number): { shape: number[]; median: number } {
  const script = `
    const mc = await import(${JSON.stringify(dist)});
    mc.setThreads(1);
    ${setup}
    let shape;
    for (let i = 0; i < ${warm}; i++) shape = (${call}).shape;
    const rounds = [];
    for (let r = 0; r < 5; r++) {
      const f0 = process.resourceUsage().minorPageFault;
      for (let i = 0; i < ${per}; i++) ${call};
      rounds.push((process.resourceUsage().minorPageFault - f0) / ${per});
    }
    console.log(JSON.stringify({ rounds, shape }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const { rounds, shape } = JSON.parse(r.stdout.trim()) as { rounds: number[]; shape: number[] };
  return { shape, median: [...rounds].sort((a, b) => a - b)[2]! };
}

describe.runIf(process.platform === "linux")("glibc's malloc thresholds (Node on Linux)", () => {
  test("repeated reverse-mode Jacobians with a 0.8 MB result reuse their storage's pages", () => {
    const { shape, median } = faultsPerCall(`
      const W = mc.randn([1000, 100], { seed: 15 }).mul(0.1), x = mc.randn([100], { seed: 16 });
      const J = mc.jacobian((v) => W.matmul(v).tanh(), { mode: "rev" });`, "J(x)", 100, 200);
    expect(shape).toEqual([1000, 100]);
    // ~200 pages a result: a median round faulting a tenth of that means the pages went back.
    expect(median).toBeLessThan(20);
  }, 90_000);

  test("repeated calls with a 1.5 MB result reuse their storage's pages", () => {
    const { shape, median } = faultsPerCall(`
      const X = mc.randn([256, 20], { seed: 5 }), Y = mc.randn([256, 1], { seed: 6 });
      const p = { W1: mc.randn([20, 20], { seed: 7 }), b1: mc.randn([20], { seed: 8 }),
        W2: mc.randn([20, 1], { seed: 9 }), b2: mc.randn([1], { seed: 10 }) };
      const H = mc.jit(mc.hessian((q) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean()));`,
    "H(p)", 20, 20);
    expect(shape).toEqual([441, 441]);
    // 1.5 MB is 380 pages: a median round faulting a quarter of that means the pages went back.
    expect(median).toBeLessThan(100);
  }, 90_000);
});
