// leastSquares with box bounds (projected LM) on Moré–Garbow–Hillstrom problems whose minima
// the bounds cut off, against scipy's least_squares(method='trf') references generated once
// by data/scipy/mgh_bounds_ref.py (committed with its output).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as mc from "../../src/index.js";
import { scalar, vector, type Tensor } from "../../src/index.js";
import { DTypeError, OptionError } from "../../src/errors.js";
import { leastSquares } from "../../src/optim/index.js";
import { MGH } from "./problems.js";

interface Ref { name: string; x0: number[]; lower: (number | null)[]; upper: (number | null)[]; x: number[]; cost: number; active_mask: number[] }
const refs = (JSON.parse(readFileSync(fileURLToPath(new URL("./data/scipy/mgh_bounds_ref.json", import.meta.url)), "utf8")) as { problems: Ref[] }).problems;

describe("MGH problems with bounds vs scipy trf", () => {
  it.each(refs.map((r, i) => [`${r.name} #${i}`, r] as const))("%s: same cost (1e-9), x (1e-6) and active set", (_n, ref) => {
    const problem = MGH.find((p) => p.name === ref.name)!;
    const lower = vector(ref.lower.map((v) => v ?? -Infinity)), upper = vector(ref.upper.map((v) => v ?? Infinity));
    const res = leastSquares(problem.residual, vector(ref.x0), { bounds: { lower, upper } });
    expect(res.converged, res.message).toBe(true);
    const x = Array.from((res.x as Tensor).data);
    for (let j = 0; j < x.length; j++) expect(x[j]! >= lower.data[j]! && x[j]! <= upper.data[j]!).toBe(true);
    expect(Math.abs(res.cost - ref.cost)).toBeLessThanOrEqual(1e-9 * ref.cost);
    x.forEach((v, j) => expect(Math.abs(v - ref.x[j]!)).toBeLessThan(1e-6 * (1 + Math.abs(ref.x[j]!))));
    expect(res.activeMask).toEqual(ref.active_mask);
  });
});

describe("bounds", () => {
  const r = (p: Tensor) => p.sub(vector([1, 2, 3]));
  it("scalar bounds apply to every parameter; pytree bounds follow x0's structure", () => {
    const a = leastSquares(r, vector([0, 0, 0]), { bounds: { upper: 1.5 } });
    expect(Array.from((a.x as Tensor).data)).toEqual([1, 1.5, 1.5]);
    expect(a.activeMask).toEqual([0, 1, 1]);
    const f = (p: { u: Tensor; v: Tensor }) => mc.concat([mc.reshape(p.u.sub(2), [1]), p.v.add(1)]);
    const b = leastSquares(f, { u: scalar(0), v: vector([0]) }, { bounds: { lower: { u: scalar(-5), v: vector([-0.5]) }, upper: { u: scalar(1), v: vector([5]) } } });
    expect(b.x.u.item()).toBe(1);
    expect(b.x.v.data[0]).toBe(-0.5);
  });

  it("without active bounds the run is the unbounded one, bit for bit", () => {
    const p = MGH[0]!;
    const a = leastSquares(p.residual, vector(p.x0));
    const b = leastSquares(p.residual, vector(p.x0), { bounds: { lower: -100, upper: 100 } });
    expect(Array.from((b.x as Tensor).data)).toEqual(Array.from((a.x as Tensor).data));
    expect(b.iterations).toBe(a.iterations);
  });

  it("bad bounds: infeasible x0, lower ≥ upper, NaN (DTypeError); unknown keys, other methods (OptionError)", () => {
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { lower: 1 } })).toThrow(DTypeError);
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { lower: 1, upper: 1 } })).toThrow(/lower < upper/);
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { lower: NaN } })).toThrow(DTypeError);
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { min: 0 } as never })).toThrow(OptionError);
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { upper: 1 }, method: "gauss-newton" })).toThrow(OptionError);
    expect(() => leastSquares(r, vector([0, 0, 0]), { bounds: { upper: 1 }, matrixFree: true })).toThrow(OptionError);
  });
});
