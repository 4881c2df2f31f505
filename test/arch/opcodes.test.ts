// Kernel op codes are written in two languages: the AssemblyScript constants the kernels
// switch on (assembly/elementwise.ts) and the TypeScript enums the ops and jit passes use
// (src/wasm/kernels.ts). This reads both sources and checks they agree, name by name.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { stripComments } from "../../scripts/check-cycles.mjs";

/** Every `NAME = integer` in the top-level `const` statements of an AssemblyScript file. */
export function asConstants(src: string): Map<string, number> {
  const out = new Map<string, number>();
  const code = (stripComments as (s: string) => string)(src);
  for (const stmt of code.matchAll(/^const\s+([^;]*);/gm)) {
    for (const m of stmt[1]!.matchAll(/([A-Z][A-Z0-9_]*)\s*(?::\s*\w+\s*)?=\s*(\d+)\b/g)) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The members of `export const enum Name { … }` in a TypeScript file. */
export function tsEnum(src: string, name: string): Map<string, number> {
  const body = new RegExp(`export const enum ${name} \\{([^}]*)\\}`).exec(src)?.[1];
  if (body === undefined) throw new Error(`enum ${name} not found`);
  const out = new Map<string, number>();
  const code = (stripComments as (s: string) => string)(body);
  for (const m of code.matchAll(/(\w+)\s*=\s*(\d+)/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Log1p → LOG1P, MulAddMul → MUL_ADD_MUL. */
const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

const asm = asConstants(readFileSync("assembly/elementwise.ts", "utf8"));
const ts = readFileSync("src/wasm/kernels.ts", "utf8");

describe("kernel op codes: TypeScript enums = AssemblyScript constants", () => {
  const groups: [string, string, string[]][] = [
    // enum, AssemblyScript prefix of its constants, the first constant of its statement
    ["UnaryOp", "", ["NEG", "ABS", "SIGN", "SQUARE", "SQRT", "RECIPROCAL", "EXP", "LOG", "LOG1P", "EXPM1", "SIN", "COS", "TANH", "SIGMOID", "RELU", "SOFTPLUS", "ATAN", "STEP"]],
    ["BinaryOp", "", ["ADD", "SUB", "MUL", "DIV", "POW", "MAX", "MIN", "GT", "GE", "LT", "LE", "EQ", "NE", "ATAN2"]],
    ["FusedOp", "FUSED_", []],
  ];
  for (const [name, prefix] of groups) {
    it(`${name}: every member has the AssemblyScript constant of its name and value`, () => {
      const members = tsEnum(ts, name);
      expect(members.size).toBeGreaterThan(0);
      for (const [member, value] of members) {
        const asName = asm.has(prefix + snake(member)) ? prefix + snake(member) : snake(member);
        expect(asm.get(asName), `${name}.${member} ↔ ${asName}`).toBe(value);
      }
    });
  }

  it("every AssemblyScript unary and binary op code has its enum member (none added on one side only)", () => {
    const unary = new Set([...tsEnum(ts, "UnaryOp").keys()].map(snake));
    const binary = new Set([...tsEnum(ts, "BinaryOp").keys()].map(snake));
    const src = readFileSync("assembly/elementwise.ts", "utf8");
    const stmt = (first: string) => new RegExp(`const ${first} = 0,([^;]*);`).exec(src)![0];
    const names = (s: string) => [...s.matchAll(/([A-Z][A-Z0-9_]*)\s*=/g)].map((m) => m[1]!);
    expect(names(stmt("NEG")).sort()).toEqual([...unary].sort());
    expect(names(stmt("ADD")).sort()).toEqual([...binary].sort());
    // Codes are dense from 0 (the kernels' switch and the enums agree on the count).
    expect([...tsEnum(ts, "UnaryOp").values()].sort((a, b) => a - b)).toEqual([...Array(unary.size).keys()]);
    // Fused codes start after the binary ones and do not collide with them.
    const fused = [...tsEnum(ts, "FusedOp").values()];
    expect(Math.min(...fused)).toBeGreaterThan(Math.max(...tsEnum(ts, "BinaryOp").values()));
  });

  it("the parsers read what they claim (a synthetic pair that disagrees is caught)", () => {
    const a = asConstants("const NEG = 0, ABS = 1;\n// const X = 9;\nconst TILE: i32 = 256;\n");
    expect([...a]).toEqual([["NEG", 0], ["ABS", 1], ["TILE", 256]]);
    const e = tsEnum("export const enum UnaryOp {\n  Neg = 0, Abs = 2,\n}", "UnaryOp");
    expect(e.get("Abs")).not.toBe(a.get(snake("Abs")));
  });
});
