// The Hock–Schittkowski problems of data/hs.json as matcalc functions. Each problem's
// objective and constraints are strings in a small Python-like expression language (x1..xn,
// + - * / **, exp log sin cos sqrt), the same strings scipy evaluated in
// data/hs_reference.py; this module parses them once into matcalc ops, so every derivative the
// optimizers use comes from autodiff.
import { readFileSync } from "node:fs";
import * as mc from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

export interface HsProblem {
  name: string;
  n: number;
  x0: number[];
  f: string;
  ineq: string[];
  eq: string[];
  lower: (number | null)[];
  upper: (number | null)[];
  xstar: number[];
  fstar: number;
  multipleMinimizers: boolean;
}

export interface ScipyOutcome {
  x: number[];
  f: number;
  violation: number;
  status: string;
  nit: number;
  nfev: number;
  njev: number;
  error?: string;
}

export interface HsData {
  source: string;
  scipy: { version: string; numpy: string; script: string };
  problems: HsProblem[];
  results: Record<string, { slsqpFD?: ScipyOutcome; slsqpExact?: ScipyOutcome; lbfgsb?: ScipyOutcome }>;
}

export const HS: HsData = JSON.parse(readFileSync(new URL("./data/hs.json", import.meta.url), "utf8")) as HsData;

type Val = number | Tensor;

const FUNS: Record<string, (a: Tensor) => Tensor> = {
  exp: (a) => mc.exp(a),
  log: (a) => mc.log(a),
  sin: (a) => mc.sin(a),
  cos: (a) => mc.cos(a),
  sqrt: (a) => mc.sqrt(a),
};
const NUMFUNS: Record<string, (a: number) => number> = { exp: Math.exp, log: Math.log, sin: Math.sin, cos: Math.cos, sqrt: Math.sqrt };

const add = (a: Val, b: Val): Val => (typeof a === "number" && typeof b === "number" ? a + b : typeof a === "number" ? (b as Tensor).add(a) : a.add(b));
const sub = (a: Val, b: Val): Val => (typeof a === "number" && typeof b === "number" ? a - b : typeof a === "number" ? mc.sub(a, b as Tensor) : a.sub(b));
const mul = (a: Val, b: Val): Val => (typeof a === "number" && typeof b === "number" ? a * b : typeof a === "number" ? (b as Tensor).mul(a) : a.mul(b));
const div = (a: Val, b: Val): Val => (typeof a === "number" && typeof b === "number" ? a / b : typeof a === "number" ? mc.div(a, b as Tensor) : a.div(b));
function pow(a: Val, b: Val): Val {
  if (typeof a === "number" && typeof b === "number") return a ** b;
  if (typeof b === "number") {
    const t = a as Tensor;
    // Integer powers by products: exact derivatives, and negative bases are fine.
    if (Number.isInteger(b) && Math.abs(b) <= 8) {
      if (b === 0) return 1;
      let r: Tensor = t;
      for (let k = 1; k < Math.abs(b); k++) r = r.mul(t);
      return b > 0 ? r : mc.div(1, r);
    }
    return mc.pow(t, b);
  }
  // A variable exponent: a^b = exp(b·log a) (a > 0).
  const la = typeof a === "number" ? Math.log(a) : mc.log(a);
  return mc.exp(mul(b, la) as Tensor);
}

/** Parses an expression into a function of the variables (scalar tensors, shape [1]). */
export function compile(src: string): (xs: readonly Tensor[]) => Val {
  const toks = src.match(/\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\*\*|[A-Za-z_]\w*|[-+*/(),]/g) ?? [];
  if (toks.join("").replace(/\s/g, "") !== src.replace(/\s/g, "")) throw new Error(`hs: cannot tokenize ${src}`);
  let i = 0;
  type Node = (xs: readonly Tensor[]) => Val;
  const peek = () => toks[i];
  const eat = (t?: string) => {
    const s = toks[i++];
    if (t !== undefined && s !== t) throw new Error(`hs: expected ${t}, got ${s} in ${src}`);
    return s!;
  };
  const expr = (): Node => {
    let l = term();
    while (peek() === "+" || peek() === "-") {
      const o = eat(), a = l, b = term();
      l = o === "+" ? (xs) => add(a(xs), b(xs)) : (xs) => sub(a(xs), b(xs));
    }
    return l;
  };
  const term = (): Node => {
    let l = unary();
    while (peek() === "*" || peek() === "/") {
      const o = eat(), a = l, b = unary();
      l = o === "*" ? (xs) => mul(a(xs), b(xs)) : (xs) => div(a(xs), b(xs));
    }
    return l;
  };
  const unary = (): Node => {
    if (peek() === "-") {
      eat();
      const a = unary();
      return (xs) => mul(-1, a(xs));
    }
    if (peek() === "+") {
      eat();
      return unary();
    }
    return power();
  };
  const power = (): Node => {
    const a = atom();
    if (peek() === "**") {
      eat();
      const b = unary(); // right-associative, binds tighter than a unary minus on its left (as Python)
      return (xs) => pow(a(xs), b(xs));
    }
    return a;
  };
  const atom = (): Node => {
    const t = eat();
    if (t === "(") {
      const e = expr();
      eat(")");
      return e;
    }
    if (/^[\d.]/.test(t)) {
      const v = Number(t);
      return () => v;
    }
    const m = /^x(\d+)$/.exec(t);
    if (m) {
      const k = Number(m[1]) - 1;
      return (xs) => xs[k]!;
    }
    if (t in FUNS) {
      eat("(");
      const a = expr();
      eat(")");
      return (xs) => {
        const v = a(xs);
        return typeof v === "number" ? NUMFUNS[t]!(v) : FUNS[t]!(v);
      };
    }
    throw new Error(`hs: unexpected ${t} in ${src}`);
  };
  const e = expr();
  if (i !== toks.length) throw new Error(`hs: trailing ${toks.slice(i).join(" ")} in ${src}`);
  return e;
}

const parts = (x: Tensor, n: number): Tensor[] => Array.from({ length: n }, (_, i) => mc.slice(x, [i], [1]));
const asTensor = (v: Val, like: Tensor): Tensor => (typeof v === "number" ? like.mul(0).add(v) : v);

export interface HsFunctions {
  f: (x: Tensor) => Tensor;
  ineq: ((x: Tensor) => Tensor) | null;
  eq: ((x: Tensor) => Tensor) | null;
  lower: number[];
  upper: number[];
}

/** The problem's objective, constraints (each kind as one vector-valued function) and bounds. */
export function hsFunctions(p: HsProblem): HsFunctions {
  const f = compile(p.f);
  const vec = (srcs: string[]) => {
    if (srcs.length === 0) return null;
    const gs = srcs.map(compile);
    return (x: Tensor) => {
      const xs = parts(x, p.n);
      return mc.concat(gs.map((g) => asTensor(g(xs), xs[0]!)));
    };
  };
  return {
    f: (x) => asTensor(f(parts(x, p.n)), mc.slice(x, [0], [1])).sum(),
    ineq: vec(p.ineq),
    eq: vec(p.eq),
    lower: p.lower.map((v) => v ?? -Infinity),
    upper: p.upper.map((v) => v ?? Infinity),
  };
}

/** Plain-number evaluation (for checking results independently of matcalc). */
export function evalAt(src: string, x: readonly number[]): number {
  const v = compile(src)(x.map((xi) => mc.vector([xi])));
  return typeof v === "number" ? v : v.data[0]!;
}

/** Largest violation of the constraints and bounds at x. */
export function violation(p: HsProblem, x: readonly number[]): number {
  let v = 0;
  for (const g of p.ineq) v = Math.max(v, -evalAt(g, x));
  for (const g of p.eq) v = Math.max(v, Math.abs(evalAt(g, x)));
  x.forEach((xi, i) => {
    if (p.lower[i] != null) v = Math.max(v, p.lower[i]! - xi);
    if (p.upper[i] != null) v = Math.max(v, xi - p.upper[i]!);
  });
  return v;
}

/**
 * Success, for every solver alike: f within 1e-6·max(1, |f*|) of f*, and the violation at most
 * 1e-6·max(1, the largest |constraint| at x0) (HS 99 and 106 have constraints of size 1e5–1e6).
 */
export function reached(p: HsProblem, f: number, viol: number): boolean {
  return Math.abs(f - p.fstar) <= 1e-6 * Math.max(1, Math.abs(p.fstar)) && viol <= 1e-6 * Math.max(1, violationScale(p));
}

function violationScale(p: HsProblem): number {
  let s = 1;
  for (const g of [...p.ineq, ...p.eq]) s = Math.max(s, Math.abs(evalAt(g, p.x0)));
  return s;
}
