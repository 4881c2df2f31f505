// vitest globalSetup of both projects when BENCH=1 (see vitest.config.ts). It runs in the Node
// process that drives the tests, so it can read the environment and the machine for the
// browser page too: the runner gets them with `inject("bench")` in either host.
import { execFileSync } from "node:child_process";
import os from "node:os";
import type { TestProject } from "vitest/node";
import type { BenchContext } from "./harness.js";

function commit(): string | undefined {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export default function setup(project: TestProject): void {
  const time = process.env["BENCH_TIME"] ? Number(process.env["BENCH_TIME"]) : undefined;
  if (time !== undefined && !(time > 0)) throw new Error(`BENCH_TIME must be a positive number of ms, got "${process.env["BENCH_TIME"]}"`);
  const ctx: BenchContext = {
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown CPU",
      cores: os.cpus().length,
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      os: `${os.type()} ${os.release()}`,
    },
  };
  if (process.env["BENCH_FILTER"]) ctx.filter = process.env["BENCH_FILTER"];
  if (time !== undefined) ctx.time = time;
  if (process.env["BENCH_THREADS"]) {
    const threads = Number(process.env["BENCH_THREADS"]);
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`BENCH_THREADS must be a positive integer, got "${process.env["BENCH_THREADS"]}"`);
    ctx.threads = threads;
  }
  const c = commit();
  if (c) ctx.commit = c;
  project.provide("bench", ctx);
}
