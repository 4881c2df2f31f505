// NIST StRD nonlinear regression reference problems (test/optim/data/nist/*.dat, see
// SOURCES.md there): a parser for the .dat files and the models of the problems, written from
// each file's "Model:" line.
import * as mc from "../../src/index.js";
import { vector, type Tensor } from "../../src/index.js";

export interface NistProblem {
  name: string;
  /** Parameter names (b1, b2, …), starting values, certified values and standard deviations. */
  names: string[];
  start1: number[];
  start2: number[];
  certified: number[];
  certifiedSd: number[];
  /** Certified residual sum of squares, residual standard deviation, degrees of freedom. */
  rss: number;
  residualSd: number;
  dof: number;
  /** Observations: y and the predictor columns (x, or x1 and x2 for Nelson). */
  y: number[];
  x: number[][];
  /** The model line as the file gives it. */
  modelText: string;
}

// Through vite's glob import (raw text), so the bench suite can load them in a browser too.
const FILES = import.meta.glob<string>("./data/nist/*.dat", { query: "?raw", import: "default", eager: true });

/** Reads a number as the files write it (Fortran exponents such as 1E0, leading dots). */
function num(s: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) throw new Error(`nist: not a number: ${JSON.stringify(s)}`);
  return v;
}

/** Other names of the problems (R's NISTnls package). */
const ALIASES: Record<string, string> = { Ratkowsky3: "Rat43" };

/**
 * Misprints in the files, corrected: Rat43 prints 9 degrees of freedom where 15 observations
 * and 4 parameters leave 11; √(RSS/11) is its certified residual standard deviation to all 11
 * digits (nist.test.ts checks it), √(RSS/9) is not.
 */
export const ERRATA: Record<string, { printed: number; dof: number }> = { Rat43: { printed: 9, dof: 11 } };

/** Parses one NIST StRD nonlinear regression file (comment prefixes "# " are accepted). */
export function parseNist(text: string): NistProblem {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^#\s?/, "").trim());
  const name0 = /Dataset Name:\s+(\S+)/.exec(text)?.[1];
  if (!name0) throw new Error("nist: no 'Dataset Name:' line");
  const name = name0;
  const names: string[] = [], start1: number[] = [], start2: number[] = [], certified: number[] = [], certifiedSd: number[] = [];
  for (const l of lines) {
    const m = /^(b\d+)\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/.exec(l);
    if (!m) continue;
    names.push(m[1]!);
    start1.push(num(m[2]!));
    start2.push(num(m[3]!));
    certified.push(num(m[4]!));
    certifiedSd.push(num(m[5]!));
  }
  const field = (label: string): number => {
    const l = lines.find((s) => s.startsWith(label));
    if (!l) throw new Error(`nist: ${name}: no '${label}' line`);
    return num(l.slice(label.length).trim());
  };
  const rss = field("Residual Sum of Squares:");
  const residualSd = field("Residual Standard Deviation:");
  const dofRead = field("Degrees of Freedom:");
  const nObs = field("Number of Observations:");
  // The data block: after the last "Data:" line whose columns start with y.
  let dataAt = -1;
  lines.forEach((l, i) => {
    if (/^Data:\s+y\b/.test(l)) dataAt = i;
  });
  if (dataAt < 0) throw new Error(`nist: ${name}: no data block`);
  const rows = lines.slice(dataAt + 1).filter((l) => l.length > 0).map((l) => l.split(/\s+/).map(num));
  if (rows.length !== nObs) throw new Error(`nist: ${name}: ${rows.length} data rows, the header says ${nObs}`);
  const y = rows.map((r) => r[0]!);
  const x = rows[0]!.slice(1).map((_, j) => rows.map((r) => r[j + 1]!));
  const modelLine = lines.findIndex((l) => /^(log\[y\]|y)\s*=/.test(l) && !l.startsWith("y   "));
  const modelText = lines.slice(modelLine, modelLine + 2).join(" ").replace(/\s+\+\s+e.*$/, "");
  // NISTnls names Rat43 Ratkowsky3 (the copy of Rat43.dat read here comes from there).
  const datasetName = ALIASES[name0] ?? name0;
  let dof = dofRead;
  const fix = ERRATA[datasetName];
  if (fix && dof === fix.printed) dof = fix.dof;
  if (names.length === 0 || names.length + nObs - dof !== 2 * names.length) {
    throw new Error(`nist: ${name}: ${names.length} parameters, ${nObs} observations and ${dof} degrees of freedom do not agree`);
  }
  return { name: datasetName, names, start1, start2, certified, certifiedSd, rss, residualSd, dof, y, x, modelText };
}

/** Every .dat file in the data directory, parsed. */
export function loadNist(): NistProblem[] {
  return Object.keys(FILES).sort().map((f) => parseNist(FILES[f]!));
}

const b = (p: Tensor, i: number): Tensor => mc.slice(p, [i], [1]);

/**
 * The model of each problem as a function of the parameters p (a vector) and the predictor
 * columns, giving the fitted response (for Nelson: log y, as the file's model states).
 */
export const MODELS: Record<string, (p: Tensor, x: Tensor[]) => Tensor> = {
  // y = b1*(1-exp[-b2*x])
  BoxBOD: (p, [x]) => b(p, 0).mul(mc.sub(1, x!.mul(b(p, 1)).neg().exp())),
  // y = b1*(1-exp[-b2*x])
  Misra1a: (p, [x]) => b(p, 0).mul(mc.sub(1, x!.mul(b(p, 1)).neg().exp())),
  // y = b1 * (1-(1+b2*x/2)**(-2))
  Misra1b: (p, [x]) => b(p, 0).mul(mc.sub(1, x!.mul(b(p, 1)).div(2).add(1).pow(-2))),
  // y = b1 * (1-(1+2*b2*x)**(-.5))
  Misra1c: (p, [x]) => b(p, 0).mul(mc.sub(1, x!.mul(b(p, 1)).mul(2).add(1).pow(-0.5))),
  // y = b1*b2*x*((1+b2*x)**(-1))
  Misra1d: (p, [x]) => b(p, 0).mul(b(p, 1)).mul(x!).div(x!.mul(b(p, 1)).add(1)),
  // y = exp[-b1*x]/(b2+b3*x)
  Chwirut1: (p, [x]) => x!.mul(b(p, 0)).neg().exp().div(b(p, 1).add(x!.mul(b(p, 2)))),
  Chwirut2: (p, [x]) => x!.mul(b(p, 0)).neg().exp().div(b(p, 1).add(x!.mul(b(p, 2)))),
  // y = b1*x**b2
  DanWood: (p, [x]) => b(p, 0).mul(x!.log().mul(b(p, 1)).exp()),
  // y = (b1/b2) * exp[-0.5*((x-b3)/b2)**2]
  Eckerle4: (p, [x]) => b(p, 0).div(b(p, 1)).mul(x!.sub(b(p, 2)).div(b(p, 1)).square().mul(-0.5).exp()),
  // y = b1*exp(-b2*x) + b3*exp(-(x-b4)**2/b5**2) + b6*exp(-(x-b7)**2/b8**2)
  Gauss2: (p, [x]) =>
    b(p, 0).mul(x!.mul(b(p, 1)).neg().exp())
      .add(b(p, 2).mul(x!.sub(b(p, 3)).div(b(p, 4)).square().neg().exp()))
      .add(b(p, 5).mul(x!.sub(b(p, 6)).div(b(p, 7)).square().neg().exp())),
  // y = b1*exp(-b2*x) + b3*exp(-b4*x) + b5*exp(-b6*x)
  Lanczos1: (p, [x]) => lanczos(p, x!),
  Lanczos2: (p, [x]) => lanczos(p, x!),
  Lanczos3: (p, [x]) => lanczos(p, x!),
  // y = b1*(x**2+x*b2) / (x**2+x*b3+b4)
  MGH09: (p, [x]) => b(p, 0).mul(x!.square().add(x!.mul(b(p, 1)))).div(x!.square().add(x!.mul(b(p, 2))).add(b(p, 3))),
  // y = b1 * exp[b2/(x+b3)]
  MGH10: (p, [x]) => b(p, 0).mul(b(p, 1).div(x!.add(b(p, 2))).exp()),
  // log[y] = b1 - b2*x1 * exp[-b3*x2]
  Nelson: (p, [x1, x2]) => b(p, 0).sub(b(p, 1).mul(x1!).mul(x2!.mul(b(p, 2)).neg().exp())),
  // y = b1 / ((1+exp[b2-b3*x])**(1/b4))
  Rat43: (p, [x]) => b(p, 0).div(b(p, 1).sub(x!.mul(b(p, 2))).exp().add(1).log().div(b(p, 3)).exp()),
  // y = b1 / (1+exp[b2-b3*x])
  Rat42: (p, [x]) => b(p, 0).div(b(p, 1).sub(x!.mul(b(p, 2))).exp().add(1)),
  // y = b1 - b2*x - arctan[b3/(x-b4)]/pi. The copy of the file reads "1 + b1 - …", but the
  // certified values fit the model without the 1 (with it the RSS at the certified values is
  // 25.0005 instead of 4.948e-4; fitted, b1 comes out as the certified b1 − 1 and every other
  // parameter and the RSS match), as NIST's own page for Roszman1 states the model.
  Roszman1: (p, [x]) => b(p, 0).sub(x!.mul(b(p, 1))).sub(b(p, 2).div(x!.sub(b(p, 3))).atan().div(Math.PI)),
  // y = (b1 + b2*x + b3*x**2 + b4*x**3) / (1 + b5*x + b6*x**2 + b7*x**3)
  Thurber: (p, [x]) => {
    const x2 = x!.square(), x3 = x2.mul(x!);
    const num = b(p, 0).add(x!.mul(b(p, 1))).add(x2.mul(b(p, 2))).add(x3.mul(b(p, 3)));
    const den = x!.mul(b(p, 4)).add(x2.mul(b(p, 5))).add(x3.mul(b(p, 6))).add(1);
    return num.div(den);
  },
};

function lanczos(p: Tensor, x: Tensor): Tensor {
  return b(p, 0).mul(x.mul(b(p, 1)).neg().exp())
    .add(b(p, 2).mul(x.mul(b(p, 3)).neg().exp()))
    .add(b(p, 4).mul(x.mul(b(p, 5)).neg().exp()));
}

/** The residual model(p) − y of a problem (log y for Nelson). */
export function nistResidual(p: NistProblem): (b: Tensor) => Tensor {
  const model = MODELS[p.name];
  if (!model) throw new Error(`nist: no model for ${p.name}`);
  const xs = p.x.map((c) => vector(c));
  const y = vector(p.name === "Nelson" ? p.y.map(Math.log) : p.y);
  return (bv: Tensor) => model(bv, xs).sub(y);
}

/**
 * Log relative error (LRE) as NIST and McCullough use it: −log10(|x − c| / |c|), capped at
 * the 11 digits the certified values carry; the number of correct significant digits.
 */
export function lre(x: number, c: number): number {
  if (x === c) return 11;
  const e = Math.abs(x - c) / Math.abs(c);
  return Number.isFinite(e) ? Math.min(11, -Math.log10(e)) : 0;
}
