// The random-composition generator of test/ad/property.test.ts (its header explains it),
// shared with test/ad/jit-stress.test.ts: seeded expression trees over the primitives, with
// shapes, value bounds and kink margins tracked so that every op stays in its domain.
import { mulberry32 } from "../../src/random.js";
import * as mc from "../../src/index.js";
import { tensor, type Tensor } from "../../src/index.js";

// ---------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------

export function mulberry(seed: number): () => number {
  return mulberry32((seed * 2654435761 + 0x9e3779b9) >>> 0);
}

export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------
// Expression trees
// ---------------------------------------------------------------------------------------

export type Shape = number[];

/** Records the smallest distance to a kink/singularity seen during a concrete evaluation. */
export interface Rec {
  margin: number;
  where: string;
}

export interface Node {
  shape: Shape;
  /** Upper bound on |value| (conservative). */
  ub: number;
  /** Positive lower bound on the value, when known positive. */
  lb: number | null;
  /** Depends on a differentiated input (else a constant subtree: kinks there do not matter). */
  dep: boolean;
  str: string;
  ev: (xs: readonly Tensor[], rec: Rec | null) => Tensor;
}

/**
 * Records a margin. An exact 0 is a structural tie (e.g. maximum(x, x), abs(x − x), max over
 * a broadcast): random inputs never tie by chance, and at a structural tie the function is
 * smooth and the tie convention (half each; sign(0) = 0) gives its derivative, so exact zeros
 * are skipped unless `zeroIsBad` (the norm at 0, which is singular).
 */
function note(rec: Rec | null, node: { dep: boolean; str: string }, m: number, zeroIsBad = false): void {
  if (m === 0 && !zeroIsBad) return;
  if (rec && node.dep && m < rec.margin) {
    rec.margin = m;
    rec.where = node.str;
  }
}

/** Smallest non-zero |entry| (exact zeros are structural; see `note`). */
function minAbs(t: Tensor): number {
  let m = Infinity;
  for (const v of t.data) if (v !== 0) m = Math.min(m, Math.abs(v));
  return m;
}

/**
 * Smallest gap between the largest entry of each slice reduced by `axes` (rank ≤ 2) and the
 * next smaller distinct entry (copies of the largest are structural ties).
 */
function maxGap(t: Tensor, axes: readonly number[]): number {
  const d = t.data;
  const groups = new Map<number, number[]>();
  const [m, n] = t.rank === 2 ? [t.shape[0]!, t.shape[1]!] : [t.size, 1];
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const key = t.rank === 2 ? (axes.includes(0) ? 0 : i) + (axes.includes(1) ? 0 : j) * m : 0;
      const g = groups.get(key) ?? [];
      g.push(d[i + j * m]!);
      groups.set(key, g);
    }
  }
  let gap = Infinity;
  for (const g of groups.values()) {
    const top = Math.max(...g);
    const rest = g.filter((v) => v !== top);
    if (rest.length > 0) gap = Math.min(gap, top - Math.max(...rest));
  }
  return gap;
}

const softplusNum = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoidNum = (x: number): number => 1 / (1 + Math.exp(-x));

export class Generator {
  readonly r: () => number;
  readonly vars: Shape[] = [];
  private varSize = 0;
  private nConst = 0;

  constructor(seed: number) {
    this.r = mulberry(seed);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  weighted<T>(opts: readonly [number, T][]): T {
    const total = opts.reduce((a, [w]) => a + w, 0);
    let u = this.r() * total;
    for (const [w, v] of opts) {
      if ((u -= w) < 0) return v;
    }
    return opts[opts.length - 1]![1];
  }
  dim(): number {
    return this.weighted([[0.15, 1], [0.3, 2], [0.3, 3], [0.25, 4]]);
  }
  shape(minRank = 0): Shape {
    const rank = this.weighted([[minRank <= 0 ? 0.15 : 0, 0], [minRank <= 1 ? 0.4 : 0, 1], [0.45, 2]]);
    return Array.from({ length: rank }, () => this.dim());
  }

  // ---- leaves ----

  leaf(shape: Shape): Node {
    const size = prod(shape);
    const same = this.vars.map((s, i) => [s, i] as const).filter(([s]) => s.length === shape.length && s.every((d, k) => d === shape[k]));
    const u = this.r();
    if (same.length > 0 && u < 0.5) return this.varNode(this.pick(same)[1]);
    if (u < 0.7 && this.vars.length < 3 && this.varSize + size <= 24) {
      this.vars.push(shape);
      this.varSize += size;
      return this.varNode(this.vars.length - 1);
    }
    if (same.length > 0) return this.varNode(this.pick(same)[1]);
    return this.constNode(shape);
  }

  varNode(i: number): Node {
    return { shape: this.vars[i]!, ub: 1.5, lb: null, dep: true, str: `x${i}`, ev: (xs) => xs[i]! };
  }

  constNode(shape: Shape, lo = -1, hi = 1): Node {
    const vals = Float64Array.from({ length: prod(shape) }, () => lo + (hi - lo) * this.r());
    const c = tensor(vals, shape);
    const k = this.nConst++;
    return { shape, ub: Math.max(Math.abs(lo), Math.abs(hi)), lb: lo > 0 ? lo : null, dep: false, str: `c${k}[${shape.join(",")}]`, ev: () => c };
  }

  // ---- helpers ----

  /** Rescales a node whose bound exceeds `lim` (keeps its derivative informative, unlike tanh). */
  cap(n: Node, lim: number): Node {
    if (n.ub <= lim) return n;
    const k = lim / n.ub;
    return { ...n, ub: lim, lb: n.lb === null ? null : n.lb * k, str: `(${n.str})·${k.toPrecision(3)}`, ev: (xs, rec) => mc.mul(n.ev(xs, rec), k) };
  }

  un(name: string, c: Node, f: (t: Tensor) => Tensor, ub: number, lb: number | null, kink?: (t: Tensor) => number, zeroIsBad = false): Node {
    const node: Node = {
      shape: c.shape, ub, lb, dep: c.dep, str: `${name}(${c.str})`,
      ev: (xs, rec) => {
        const t = c.ev(xs, rec);
        if (kink && rec) note(rec, node, kink(t), zeroIsBad);
        return f(t);
      },
    };
    return node;
  }

  /**
   * A positive version of c: c itself if known ≥ 0.1, else softplus (of c scaled to |c| ≤ 5,
   * so ≥ 0.0067), exp (when |c| ≤ 2.5) or c² + 1 (when |c| ≤ 4).
   */
  positive(c: Node): Node {
    if (c.lb !== null && c.lb >= 0.1) return c;
    const c5 = this.cap(c, 5);
    const opts: [number, () => Node][] = [[1, () => this.un("softplus", c5, mc.softplus, softplusNum(c5.ub), softplusNum(-c5.ub))]];
    if (c.ub <= 4) opts.push([1, () => this.un("sq1", c, (t) => mc.add(mc.square(t), 1), c.ub * c.ub + 1, 1)]);
    if (c.ub <= 2.5) opts.push([1, () => this.un("exp", c, mc.exp, Math.exp(c.ub), Math.exp(-c.ub))]);
    return this.weighted(opts)();
  }

  // ---- interior nodes ----

  node(d: number, shape: Shape): Node {
    if (d === 0) return this.leaf(shape);
    const rank = shape.length;
    const kinds: [number, string][] = [[4, "unary"], [3, "binary"], [0.4, "where"]];
    if (rank === 0) kinds.push([3, "reduceAll"], [2, "dotlike"]);
    if (rank === 1) {
      kinds.push([2, "reduceAxis"], [1.5, "matvec"], [0.5, "diagPart"], [0.5, "slice"], [0.5, "concat"], [0.5, "vec"], [0.8, "softmax"], [0.3, "broadcast"]);
      kinds.push([0.4, "kronMatVec"]);
    }
    if (rank === 2) {
      kinds.push([2, "matmul"], [1, "transpose"], [0.7, "outer"], [0.5, "slice"], [0.5, "concat"], [0.5, "reshape"], [0.7, "broadcast"], [0.8, "softmax"], [0.4, "kron"]);
      if (shape[0] === shape[1]) kinds.push([0.5, "diagEmbed"]);
      if (shape[0] === 1 || shape[1] === 1) kinds.push([0.7, "reduceKeep"]);
    }
    const kind = this.weighted(kinds);
    const sub = (): number => this.int(0, d - 1);
    const n = this.build(kind, d, shape, sub);
    // Keep every value moderate so central differences stay accurate.
    return this.cap(n, 20);
  }

  build(kind: string, d: number, shape: Shape, sub: () => number): Node {
    const [m, n] = [shape[0] ?? 1, shape[1] ?? 1];
    switch (kind) {
      case "unary": return this.unary(this.node(d - 1, shape));
      case "binary": return this.binary(d, shape, sub);
      case "where": {
        const a = this.node(d - 1, shape), b = this.node(sub(), shape);
        const cv = Float64Array.from({ length: prod(shape) }, () => (this.r() < 0.5 ? 1 : 0));
        const cond = tensor(cv, shape);
        return { shape, ub: Math.max(a.ub, b.ub), lb: a.lb !== null && b.lb !== null ? Math.min(a.lb, b.lb) : null, dep: a.dep || b.dep,
          str: `where(mask, ${a.str}, ${b.str})`, ev: (xs, rec) => mc.where(cond, a.ev(xs, rec), b.ev(xs, rec)) };
      }
      case "reduceAll": {
        const cs = this.shape(1);
        const c = this.cap(this.node(d - 1, cs), 6);
        const k = prod(cs);
        const op = this.weighted<string>([[2, "sum"], [1, "mean"], [1, "max"], [1.5, "logsumexp"], [1.5, "norm"]]);
        if (op === "sum") return this.un("sum", c, (t) => mc.sum(t), c.ub * k, c.lb === null ? null : c.lb * k);
        if (op === "mean") return this.un("mean", c, (t) => mc.mean(t), c.ub, c.lb);
        if (op === "max") return this.un("max", c, (t) => mc.max(t), c.ub, c.lb, (t) => maxGap(t, [0, 1]) * 20);
        if (op === "logsumexp") return this.un("logsumexp", c, (t) => mc.logsumexp(t), c.ub + Math.log(k), null);
        return this.un(cs.length === 2 ? "normFro" : "norm2", c, (t) => mc.norm(t), c.ub * Math.sqrt(k), null, (t) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0)) * 10, true);
      }
      case "dotlike": {
        const op = this.weighted<string>([[1, "dot"], [1, "vv"], [0.7, "trace"]]);
        if (op === "trace") {
          const k = this.dim();
          const c = this.cap(this.node(d - 1, [k, k]), 6);
          return this.un("trace", c, mc.trace, c.ub * k, null);
        }
        const s = op === "vv" ? [this.dim()] : this.shape(1);
        const a = this.cap(this.node(d - 1, s), 4), b = this.cap(this.node(sub(), s), 4);
        return this.bin(op === "vv" ? "matmul" : "dot", a, b, op === "vv" ? mc.matmul : mc.dot, [], a.ub * b.ub * prod(s), null);
      }
      case "reduceAxis": case "reduceKeep": {
        const keep = kind === "reduceKeep";
        // Target [m] (or [m,1] / [1,n] with keepdims): reduce a [m,k] along 1 or a [k,m] along 0.
        const len = keep ? (shape[1] === 1 ? m : n) : m;
        const axis = keep ? (shape[1] === 1 ? 1 : 0) : this.int(0, 1);
        const k = this.dim();
        const cs = axis === 1 ? [len, k] : [k, len];
        const c = this.cap(this.node(d - 1, cs), 6);
        const op = this.weighted<string>([[2, "sum"], [1, "mean"], [1, "max"], [1.5, "logsumexp"]]);
        const tag = `${op}[axis ${axis}${keep ? ", keep" : ""}]`;
        const node = this.un(tag, c, (t) => {
          if (op === "sum") return mc.sum(t, axis, keep);
          if (op === "mean") return mc.mean(t, axis, keep);
          if (op === "max") return mc.max(t, axis, keep);
          return mc.logsumexp(t, axis, keep);
        }, op === "sum" ? c.ub * k : op === "logsumexp" ? c.ub + Math.log(k) : c.ub, op === "sum" && c.lb !== null ? c.lb * k : op === "logsumexp" ? null : c.lb,
        op === "max" ? (t) => maxGap(t, [axis]) * 20 : undefined);
        return { ...node, shape };
      }
      case "matvec": {
        const k = this.dim();
        const left = this.r() < 0.5;
        const A = this.cap(this.node(left ? d - 1 : sub(), left ? [m, k] : [k, m]), 4);
        const x = this.cap(this.node(left ? sub() : d - 1, [k]), 4);
        return left
          ? this.bin("matmul", A, x, mc.matmul, shape, A.ub * x.ub * k, null)
          : this.bin("matmul", x, A, mc.matmul, shape, A.ub * x.ub * k, null);
      }
      case "diagPart": {
        const j = this.int(0, 1);
        const c = this.node(d - 1, this.r() < 0.5 ? [m, m + j] : [m + j, m]);
        return { ...this.un("diag", c, mc.diag, c.ub, c.lb), shape };
      }
      case "diagEmbed": {
        const c = this.node(d - 1, [m]);
        return { ...this.un("diag", c, mc.diag, c.ub, null), shape };
      }
      case "slice": {
        const big = shape.map((e) => e + this.int(0, 2));
        const start = big.map((e, i) => this.int(0, e - shape[i]!));
        const c = this.node(d - 1, big);
        return { ...this.un(`slice@[${start.join(",")}]`, c, (t) => mc.slice(t, start, shape), c.ub, c.lb), shape };
      }
      case "concat": {
        const axes = shape.map((e, i) => [e, i] as const).filter(([e]) => e >= 2).map(([, i]) => i);
        if (axes.length === 0) return this.unary(this.node(d - 1, shape));
        const axis = this.pick(axes);
        const cut = this.int(1, shape[axis]! - 1);
        const sa = shape.map((e, i) => (i === axis ? cut : e)), sb = shape.map((e, i) => (i === axis ? e - cut : e));
        const first = this.r() < 0.5;
        const a = this.node(first ? d - 1 : sub(), sa), b = this.node(first ? sub() : d - 1, sb);
        return this.bin(`concat[axis ${axis}]`, a, b, (x, y) => mc.concat([x, y], axis), shape, Math.max(a.ub, b.ub),
          a.lb !== null && b.lb !== null ? Math.min(a.lb, b.lb) : null);
      }
      case "vec": {
        const divs = [1, 2, 3, 4].filter((q) => m % q === 0);
        const a = this.pick(divs);
        const c = this.node(d - 1, [a, m / a]);
        return { ...this.un("vec", c, mc.vec, c.ub, c.lb), shape };
      }
      case "reshape": {
        const from = this.r() < 0.5 ? [n, m] : [m * n];
        const c = this.node(d - 1, from);
        return { ...this.un(`reshape[${shape.join(",")}]`, c, (t) => mc.reshape(t, shape), c.ub, c.lb), shape };
      }
      case "transpose": {
        const c = this.node(d - 1, [n, m]);
        return { ...this.un("T", c, mc.transpose, c.ub, c.lb), shape };
      }
      case "softmax": {
        const c = this.cap(this.node(d - 1, shape), 6);
        const axis = shape.length === 2 ? this.int(0, 1) : 0;
        if (this.r() < 0.5) return this.un(`softmax[${axis}]`, c, (t) => mc.softmax(t, axis), 1, null);
        return this.un(`logSoftmax[${axis}]`, c, (t) => mc.logSoftmax(t, axis), 2 * c.ub + Math.log(shape[axis]!), null);
      }
      case "broadcast": {
        const froms: Shape[] = shape.length === 1 ? [[], [1]] : [[], [n], [m, 1], [1, n]];
        const from = this.pick(froms);
        const c = this.node(d - 1, from);
        return { ...this.un(`broadcastTo[${shape.join(",")}]`, c, (t) => mc.broadcastTo(t, shape), c.ub, c.lb), shape };
      }
      case "matmul": {
        const k = this.dim();
        const first = this.r() < 0.5;
        const a = this.cap(this.node(first ? d - 1 : sub(), [m, k]), 4), b = this.cap(this.node(first ? sub() : d - 1, [k, n]), 4);
        return this.bin("matmul", a, b, mc.matmul, shape, a.ub * b.ub * k, null);
      }
      case "outer": {
        const first = this.r() < 0.5;
        const a = this.cap(this.node(first ? d - 1 : sub(), [m]), 5), b = this.cap(this.node(first ? sub() : d - 1, [n]), 5);
        return this.bin("outer", a, b, mc.outer, shape, a.ub * b.ub, a.lb !== null && b.lb !== null ? a.lb * b.lb : null);
      }
      case "kron": {
        const p = this.pick([1, 2, 3, 4].filter((q) => m % q === 0)), q = this.pick([1, 2, 3, 4].filter((z) => n % z === 0));
        const first = this.r() < 0.5;
        const a = this.cap(this.node(first ? d - 1 : sub(), [p, q]), 4), b = this.cap(this.node(first ? sub() : d - 1, [m / p, n / q]), 4);
        return this.bin("kron", a, b, mc.kron, shape, a.ub * b.ub, a.lb !== null && b.lb !== null ? a.lb * b.lb : null);
      }
      case "kronMatVec": {
        const p = this.pick([1, 2, 3, 4].filter((z) => m % z === 0));
        const q = this.dim(), s = this.dim();
        const which = this.int(0, 2);
        const A = this.cap(this.node(which === 0 ? d - 1 : sub(), [p, q]), 3);
        const Bm = this.cap(this.node(which === 1 ? d - 1 : sub(), [m / p, s]), 3);
        const x = this.cap(this.node(which === 2 ? d - 1 : sub(), [q * s]), 3);
        const node: Node = {
          shape, ub: A.ub * Bm.ub * x.ub * q * s, lb: null, dep: A.dep || Bm.dep || x.dep,
          str: `kronMatVec(${A.str}, ${Bm.str}, ${x.str})`,
          ev: (xs, rec) => mc.kronMatVec(A.ev(xs, rec), Bm.ev(xs, rec), x.ev(xs, rec)),
        };
        return node;
      }
    }
    throw new Error(`unknown kind ${kind}`);
  }

  bin(name: string, a: Node, b: Node, f: (x: Tensor, y: Tensor) => Tensor, shape: Shape, ub: number, lb: number | null, kink?: (x: Tensor, y: Tensor) => number): Node {
    const node: Node = {
      shape, ub, lb, dep: a.dep || b.dep, str: `${name}(${a.str}, ${b.str})`,
      ev: (xs, rec) => {
        const x = a.ev(xs, rec), y = b.ev(xs, rec);
        if (kink && rec) note(rec, node, kink(x, y));
        return f(x, y);
      },
    };
    return node;
  }

  unary(c: Node): Node {
    const ub = c.ub;
    const opts: [number, () => Node][] = [
      [1, () => this.un("sin", c, mc.sin, Math.min(1, ub), null)],
      [1, () => this.un("cos", c, mc.cos, 1, null)],
      [1, () => this.un("tanh", c, mc.tanh, Math.min(1, ub), null)],
      [0.7, () => this.un("atan", c, mc.atan, Math.min(Math.PI / 2, ub), null)],
      [1, () => this.un("sigmoid", c, mc.sigmoid, 1, sigmoidNum(-ub))],
      [1, () => this.un("softplus", c, mc.softplus, softplusNum(ub), softplusNum(-ub))],
      [0.5, () => this.un("neg", c, mc.neg, ub, null)],
      [0.7, () => this.un("abs", c, mc.abs, ub, null, (t) => minAbs(t) * 20)],
      [0.7, () => this.un("relu", c, mc.relu, ub, null, (t) => minAbs(t) * 20)],
      [1, () => this.onPositive("log", c, mc.log)],
      [0.8, () => this.onPositive("sqrt", c, mc.sqrt)],
      [0.5, () => this.onPositive("reciprocal", c, mc.reciprocal)],
    ];
    if (ub <= 2.5) opts.push([1, () => this.un("exp", c, mc.exp, Math.exp(ub), Math.exp(-ub))], [0.6, () => this.un("expm1", c, mc.expm1, Math.exp(ub), null)]);
    if (ub <= 4) opts.push([1, () => this.un("square", c, mc.square, ub * ub, null)], [0.5, () => this.un("pow3", c, (t) => mc.pow(t, 3), ub ** 3, null)]);
    if (c.lb !== null && c.lb >= 0.2 && ub <= 8) {
      const p = this.pick([0.5, 1.5, -1, 2.5]);
      opts.push([0.8, () => this.un(`pow${p}`, c, (t) => mc.pow(t, p), Math.max(ub ** p, c.lb! ** p), Math.min(ub ** p, c.lb! ** p))]);
    }
    if (c.lb !== null && c.lb >= 0) opts.push([0.5, () => this.un("log1p", c, mc.log1p, Math.log1p(ub), Math.log1p(c.lb!) || null)]);
    else opts.push([0.5, () => this.un("log1p", this.un("softplus", c, mc.softplus, softplusNum(ub), softplusNum(-ub)), mc.log1p, Math.log1p(softplusNum(ub)), null)]);
    return this.weighted(opts)();
  }

  /** log, sqrt or 1/x of a positive version of c, with bounds from that argument's. */
  onPositive(name: "log" | "sqrt" | "reciprocal", c: Node, f: (t: Tensor) => Tensor): Node {
    const p = this.positive(c);
    const lo = p.lb ?? 0.1, hi = Math.max(p.ub, lo);
    if (name === "log") return this.un(name, p, f, Math.max(Math.abs(Math.log(lo)), Math.abs(Math.log(hi))), lo > 1 ? Math.log(lo) : null);
    if (name === "sqrt") return this.un(name, p, f, Math.sqrt(hi), Math.sqrt(lo));
    return this.un(name, p, f, 1 / lo, 1 / hi);
  }

  binary(d: number, shape: Shape, sub: () => number): Node {
    const rank = shape.length;
    const [m, n] = [shape[0] ?? 1, shape[1] ?? 1];
    const partners: Shape[] = rank === 0 ? [[]] : rank === 1 ? [shape, shape, [1], []] : [shape, shape, [n], [m, 1], [1, n], [], [1]];
    const other = this.pick(partners);
    const swap = this.r() < 0.5;
    const a = this.node(d - 1, swap ? other : shape);
    const b = this.node(sub(), swap ? shape : other);
    const opts: [number, () => Node][] = [
      [1.5, () => this.bin("add", a, b, mc.add, shape, a.ub + b.ub, a.lb !== null && b.lb !== null ? a.lb + b.lb : null)],
      [1, () => this.bin("sub", a, b, mc.sub, shape, a.ub + b.ub, null)],
      [0.7, () => this.bin("maximum", a, b, mc.maximum, shape, Math.max(a.ub, b.ub), a.lb ?? b.lb, (x, y) => minAbs(mc.sub(x, y)) * 20)],
      [0.7, () => this.bin("minimum", a, b, mc.minimum, shape, Math.max(a.ub, b.ub), a.lb !== null && b.lb !== null ? Math.min(a.lb, b.lb) : null, (x, y) => minAbs(mc.sub(x, y)) * 20)],
    ];
    if (a.ub * b.ub <= 40) opts.push([1.5, () => this.bin("mul", a, b, mc.mul, shape, a.ub * b.ub, a.lb !== null && b.lb !== null ? a.lb * b.lb : null)]);
    // Denominators: made positive, bounded below by 0.1 at least.
    opts.push([1, () => {
      const p = this.positive(b);
      return this.bin("div", a, p, mc.div, shape, a.ub / (p.lb ?? 0.1), null);
    }]);
    // Powers: a base in [0.2, 5] (a itself, x² + 1 or exp of a scaled copy), exponent |b| ≤ 1.5.
    opts.push([0.8, () => {
      const base = a.lb !== null && a.lb >= 0.2 && a.ub <= 5 ? a
        : this.r() < 0.5 ? (() => { const a2 = this.cap(a, 2); return this.un("sq1", a2, (t) => mc.add(mc.square(t), 1), a2.ub * a2.ub + 1, 1); })()
        : (() => { const a1 = this.cap(a, 1.5); return this.un("exp", a1, mc.exp, Math.exp(a1.ub), Math.exp(-a1.ub)); })();
      const e = this.cap(b, 1.5);
      const m = Math.max(base.ub, 1 / base.lb!);
      return this.bin("pow", base, e, mc.pow, shape, m ** e.ub, m ** -e.ub);
    }]);
    return this.weighted(opts)();
  }
}

// ---------------------------------------------------------------------------------------
// A composition: tree, inputs, scalarization
// ---------------------------------------------------------------------------------------

export interface Composition {
  seed: number;
  depth: number;
  root: Node;
  vars: Shape[];
  scalarize: { str: string; f: (y: Tensor) => Tensor };
  text: string;
}

export function compose(seed: number): Composition {
  for (let attempt = 0; ; attempt++) {
    const gen = new Generator(seed * 131 + attempt);
    const depth = gen.int(2, 5);
    const root = gen.node(depth, gen.weighted([[0.3, 0], [0.3, 1], [0.4, 2]]) === 0 ? [] : gen.shape(1));
    if (gen.vars.length === 0 || !root.dep) continue;
    let scalarize: Composition["scalarize"];
    if (root.shape.length === 0) scalarize = { str: "", f: (y) => y };
    else {
      const W = gen.constNode(root.shape);
      const w = W.ev([], null);
      scalarize = gen.r() < 0.7
        ? { str: `sum(W ∘ ·)`, f: (y) => mc.sum(mc.mul(y, w)) }
        : { str: `logsumexp(·)`, f: (y) => mc.logsumexp(y) };
    }
    const text = `g = ${root.str}; f = ${scalarize.str || "g"}; inputs ${gen.vars.map((s, i) => `x${i}[${s.join(",")}]`).join(" ")}`;
    return { seed, depth, root, vars: gen.vars, scalarize, text };
  }
}

export function sampleInputs(c: Composition, attempt: number): Tensor[] {
  const r = mulberry(c.seed * 7919 + attempt * 104729 + 1);
  return c.vars.map((s) => tensor(Float64Array.from({ length: prod(s) }, () => -1.5 + 3 * r()), s));
}

/**
 * Inputs at which every kink/singularity is ≥ 0.05 away (in the units `note` was given), or
 * the closest call seen when 60 samples all came too close.
 */
export function validInputs(c: Composition): { xs: Tensor[] } | { closest: Rec } {
  const closest: Rec = { margin: -1, where: "" };
  for (let attempt = 0; attempt < 60; attempt++) {
    const xs = sampleInputs(c, attempt);
    const rec: Rec = { margin: Infinity, where: "" };
    const y = c.root.ev(xs, rec);
    if (!y.data.every(Number.isFinite)) {
      rec.margin = 0;
      rec.where = "non-finite value";
    }
    if (rec.margin >= 1) return { xs };
    if (rec.margin > closest.margin) Object.assign(closest, rec);
  }
  return { closest };
}
