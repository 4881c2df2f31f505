// The residual r(x) of leastSquares over flat vectors: evaluation with counting and budgets,
// its dense Jacobian (AD, recorded once by jit), and the J·v / Jᵀ·u operators of the
// matrix-free path. Pytrees are walked by the one pytree module (core/pytree.ts).
import { DTypeError, ShapeError } from "../../errors.js";
import { Tensor } from "../../core/tensor.js";
import { jit } from "../../jit/jit.js";
import { jacobian, linearize, vjp } from "../../transforms/transforms.js";
import { flatten, flattenAny, unflatten, type PyTree, type TreeDef } from "../../core/pytree.js";
import type { Layout } from "../flat.js";
import { type Guard, describeValue } from "../objective.js";
import type { Session } from "../session.js";
import { dot } from "../vec.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (x: any) => any;

interface LsCounts {
  jacobian: number;
  jvp: number;
  vjp: number;
}

/** True if every leaf of a residual's output is a Tensor (numbers would not be differentiated). */
export function tensorLeaves(y: unknown, op: string): boolean {
  const [leaves] = flattenAny(y, op);
  return leaves.length > 0 && leaves.every((l) => l instanceof Tensor);
}

/** The residual over flat vectors, with counting and budgets. @internal */
export class Residual {
  readonly r: Fn;
  m = -1;
  outDef: TreeDef | null = null;
  outShapes: (readonly number[])[] = [];
  readonly extra: LsCounts = { jacobian: 0, jvp: 0, vjp: 0 };

  /** r and its dense Jacobian, recorded once and replayed (see jit) unless jit is off. */
  private readonly rEval: Fn;
  private readonly jac: Fn;

  constructor(userR: Fn, readonly layout: Layout, readonly guard: Guard, readonly session: Session, readonly op: string, useJit = true) {
    this.r = (x: unknown) => {
      const y = userR(x);
      if (!tensorLeaves(y, op)) {
        throw new DTypeError(op, `the residual must return a Tensor (or a pytree of Tensors) computed from x with matcalc ops, got ${describeValue(y)}`);
      }
      return y;
    };
    const J = jacobian(this.r, { mode: "auto" });
    this.rEval = useJit ? jit(this.r) : this.r;
    this.jac = useJit ? jit(J) : J;
  }

  /** Flat residual (fresh array) and the tree the function returned. */
  private read(y: unknown): Float64Array {
    const [leaves, def] = flatten(y, this.op);
    const m = leaves.reduce((a, l) => a + l.size, 0);
    if (this.m < 0) {
      if (m === 0) throw new ShapeError(this.op, "the residual has no entries", leaves.map((l) => l.shape));
      this.m = m;
      this.outDef = def;
      this.outShapes = leaves.map((l) => l.shape);
    } else if (m !== this.m) {
      throw new ShapeError(this.op, `the residual changed size from ${this.m} to ${m} entries`, leaves.map((l) => l.shape));
    }
    const out = new Float64Array(m);
    let off = 0;
    for (const l of leaves) {
      out.set(l.data, off);
      off += l.size;
    }
    return out;
  }

  /** r(x) as a fresh flat vector. */
  eval(x: Float64Array): Float64Array {
    this.guard.check(true);
    this.guard.counts.f++;
    const xt = this.layout.toTree(x);
    return this.session.run(() => this.read(this.rEval(xt)));
  }

  /** A flat residual as a tree shaped like r's output (JS-owned tensors). */
  toTree(r: Float64Array): PyTree {
    let off = 0;
    return unflatten(
      this.outDef!,
      this.outShapes.map((s) => {
        const size = s.reduce((a, b) => a * b, 1);
        const t = new Tensor(s, r.slice(off, off + size));
        off += size;
        return t;
      }),
    );
  }

  /** J (m × n, column-major: J[i + j·m]), a fresh array. */
  jacobian(x: Float64Array): Float64Array {
    this.guard.check(false);
    this.extra.jacobian++;
    const xt = this.layout.toTree(x);
    return this.session.run(() => (this.jac(xt) as Tensor).data.slice());
  }

  /** The gradient Jᵀr from a dense Jacobian (m × n, column-major) into g: counted in `grad`. */
  gradient(J: Float64Array, r: Float64Array, g: Float64Array): void {
    this.guard.counts.grad++;
    const m = this.m;
    for (let j = 0; j < g.length; j++) g[j] = dot(J.subarray(j * m, (j + 1) * m), r);
  }

  /**
   * r(x) with J·v (forward mode, linearize) and Jᵀ·u (reverse mode, vjp) operators at x, and
   * the gradient Jᵀr (one Jᵀ·u product with u = r). The operators live in the session's arena
   * and rebuild themselves after a release (re-evaluating r at x, which counts in `f`).
   *
   * Counts: `jv` one `jvp`; `jtv` one `vjp`; `gradient` one `vjp` and one `grad`.
   */
  operators(x: Float64Array): {
    r: Float64Array;
    jv: (v: Float64Array, out: Float64Array) => void;
    jtv: (u: Float64Array, out: Float64Array) => void;
    gradient: (out: Float64Array) => void;
  } {
    this.guard.check(true);
    this.guard.counts.f++;
    const xc = x.slice();
    const m = this.m;
    let gen = -1;
    let back!: (ct: unknown) => unknown[];
    let fwd!: (t: unknown) => unknown;
    let r!: Float64Array;
    /** Builds the operators at x; runs inside a session run (a nested run could release it). */
    const build = (): void => {
      const xt = this.layout.toTree(xc);
      const [out, b] = vjp(this.r, xt) as [unknown, (ct: unknown) => unknown[]];
      r = this.read(out);
      back = b;
      fwd = (linearize(this.r, xt) as [unknown, (t: unknown) => unknown])[1];
      gen = this.session.generation;
    };
    this.session.run(build);
    /**
     * Rebuilds the operators if the session was released since; called inside a run, since
     * starting one may release an over-budget session (and the operators with it).
     */
    const ensure = (): void => {
      if (gen !== this.session.generation) {
        this.guard.counts.f++;
        build();
      }
    };
    const jtv = (u: Float64Array, out: Float64Array): void => {
      this.guard.check(false);
      this.extra.vjp++;
      const ct = this.toTree(u);
      this.session.run(() => {
        ensure();
        const [g] = back(ct);
        this.layout.read(g, out, this.op);
      });
    };
    return {
      r,
      jv: (v, out) => {
        this.guard.check(false);
        this.extra.jvp++;
        const vt = this.layout.toTree(v);
        this.session.run(() => {
          ensure();
          const [leaves] = flatten(fwd(vt), this.op);
          let off = 0;
          for (const l of leaves) {
            out.set(l.data, off);
            off += l.size;
          }
          if (off !== m) throw new ShapeError(this.op, "internal: JVP size mismatch");
        });
      },
      jtv,
      gradient: (out) => {
        jtv(r, out);
        this.guard.counts.grad++;
      },
    };
  }
}
