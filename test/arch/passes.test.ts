// The jit's passes recognise primitives by identity (`s.prim === matmul_p`) or a typed enum,
// never by name: renaming a primitive must not silently switch a pass off. (The run-time side,
// a renamed matmul still taking the symmetric-product pass, is in test/ad/jit-ir.test.ts.)
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

const files = ["src/jit/program.ts", "src/jit/pipeline.ts", "src/jit/passes/fuse.ts", "src/jit/passes/chains.ts", "src/jit/passes/fold.ts",
  "src/jit/passes/gram.ts", "src/jit/passes/regions.ts", "src/jit/passes/triangle.ts", "src/jit/jit.ts"];

it("no pass or driver file compares a primitive's name", () => {
  for (const f of files) {
    const src = readFileSync(f, "utf8");
    expect(src, f).not.toMatch(/prim\.name\s*[!=]==|\.has\([^)]*prim\.name\)|new Set\(\["/);
  }
});

it("the check catches the patterns it is for", () => {
  const bad = ['if (s.prim.name === "matmul") {}', 'EXACT.has(s.prim.name)', 'const EXACT = new Set(["reshape"]);'];
  for (const b of bad) expect(b).toMatch(/prim\.name\s*[!=]==|\.has\([^)]*prim\.name\)|new Set\(\["/);
});
