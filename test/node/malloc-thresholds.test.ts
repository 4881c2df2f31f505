// src/wasm/malloc-thresholds.ts: in Node on Linux the first runtime drops an untouched 16 MiB
// ArrayBuffer so that glibc keeps freed result storage mapped. Measured in a fresh process (the
// thresholds are process-wide and only rise), by the page faults of a call that returns a
// 1.5 MB result: without the primer a jit'd MLP Hessian (441 × 441) faulted its result's pages
// in on every call here (~380 a call), with it a few.
import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = pathToFileURL(resolve(import.meta.dirname, "../../dist/index.js")).href;

describe.runIf(process.platform === "linux")("glibc's malloc thresholds (Node on Linux)", () => {
  test("repeated calls with a 1.5 MB result reuse their storage's pages", () => {
    const script = `
      const mc = await import(${JSON.stringify(dist)});
      mc.setThreads(1);
      const X = mc.randn([256, 20], { seed: 5 }), Y = mc.randn([256, 1], { seed: 6 });
      const p = { W1: mc.randn([20, 20], { seed: 7 }), b1: mc.randn([20], { seed: 8 }),
        W2: mc.randn([20, 1], { seed: 9 }), b2: mc.randn([1], { seed: 10 }) };
      const H = mc.jit(mc.hessian((q) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean()));
      let shape;
      for (let i = 0; i < 20; i++) shape = H(p).shape;
      const rounds = [];
      for (let r = 0; r < 5; r++) {
        const f0 = process.resourceUsage().minorPageFault;
        for (let i = 0; i < 20; i++) H(p);
        rounds.push((process.resourceUsage().minorPageFault - f0) / 20);
      }
      console.log(JSON.stringify({ rounds, shape }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const { rounds, shape } = JSON.parse(r.stdout.trim()) as { rounds: number[]; shape: number[] };
    expect(shape).toEqual([441, 441]);
    // 1.5 MB is 380 pages: a median round faulting a quarter of that means the pages went back.
    const median = [...rounds].sort((a, b) => a - b)[2]!;
    expect(median).toBeLessThan(100);
  }, 90_000);
});
