// leastSquares(): minimize ½‖r(x)‖² for a residual r: Rⁿ → Rᵐ (x and r may be pytrees;
// both are taken through vec, leaves concatenated, as matcalc's jacobian does).
//
// Dense path (the Jacobian is formed by AD, `jacobian(r, { mode: 'auto' })`: forward mode
// when n < m, reverse otherwise):
//   'lm'           Levenberg–Marquardt as in Moré, "The Levenberg–Marquardt algorithm:
//                  implementation and theory" (Numerical Analysis, LNM 630, 1978) and
//                  MINPACK's lmder: a trust region ‖D p‖ ≤ Δ on the scaled step, D the running
//                  maximum of J's column norms (Moré's scaling, §6), λ found by Moré's
//                  safeguarded Newton iteration on ‖D p(λ)‖ = Δ (§5, also N&W Algorithm 4.3),
//                  Δ and λ updated from the ratio of actual to predicted reduction (§7).
//                  The damped systems (JᵀJ + λD²) p = −Jᵀr are solved by Cholesky (dense.ts).
//   'gauss-newton' JᵀJ p = −Jᵀr by Cholesky (shifted if JᵀJ is singular, N&W Alg. 3.3), then
//                  Armijo backtracking on the cost (N&W §10.3, "line search Gauss–Newton").
// Matrix-free path (large n): J·v by forward mode (linearize) and Jᵀ·u by reverse mode (vjp),
// CG on JᵀJ:
//   'lm'           Gauss–Newton model in a trust region solved by Steihaug–Toint CG (N&W §10.3:
//                  Levenberg–Marquardt is the trust-region Gauss–Newton method; Alg. 7.2, 4.1).
//   'gauss-newton' truncated CG on JᵀJ p = −Jᵀr (forcing term as in N&W Alg. 7.1) + backtracking.
import { DTypeError, ShapeError } from "../errors.js";
import { Tensor, scoped } from "../tensor.js";
import { jit } from "../ad/jit.js";
import { jacobian, linearize, vjp } from "../ad/transforms.js";
import { flatten, type PyTree, type TreeDef } from "../ad/pytree.js";
// Through the ops index, which also registers the Tensor methods user code calls.
import { matmul, transpose } from "../ops/index.js";
import { Layout, assertFiniteVec } from "./flat.js";
import { Guard, StopRun, describeValue } from "./objective.js";
import { CONVERGED, MESSAGES, Run, type Limits } from "./driver.js";
import { commonLimits, numOpt } from "./minimize.js";
import { cholesky, choleskySolve, forwardSolve, shiftedCholesky, symv } from "./dense.js";
import { backtracking } from "./line-search.js";
import { Session } from "./session.js";
import type { CommonOptions, LeastSquaresOptions, LeastSquaresResult, Status, TensorTree } from "./types.js";
import { addScaled, allFinite, axpby, axpy, axpyDot, dot, negate, norm2, normInf, sub } from "./vec.js";
import { Workspace, vectorFloats, type VecSource } from "./workspace.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (x: any) => any;

interface LsCounts {
  jacobian: number;
  jvp: number;
  vjp: number;
}

/** True if every leaf of a residual's output is a Tensor (numbers would not be differentiated). */
function tensorLeaves(y: unknown): boolean {
  if (y instanceof Tensor) return true;
  if (Array.isArray(y)) return y.length > 0 && y.every(tensorLeaves);
  if (y !== null && typeof y === "object" && Object.getPrototypeOf(y) === Object.prototype) {
    const v = Object.values(y);
    return v.length > 0 && v.every(tensorLeaves);
  }
  return false;
}

/** The residual over flat vectors, with counting and budgets. @internal */
class Residual {
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
      if (!tensorLeaves(y)) {
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
    return rebuild(
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

function rebuild(def: TreeDef, leaves: Tensor[]): PyTree {
  let i = 0;
  const build = (d: TreeDef): PyTree => {
    if (d.kind === "leaf") return leaves[i++]!;
    if (d.kind === "array") return d.children.map(build);
    const o: Record<string, PyTree> = {};
    d.keys.forEach((k, j) => (o[k] = build(d.children[j]!)));
    return o;
  };
  return build(def);
}

/** JᵀJ (n×n) for a column-major m×n J (the gradient Jᵀr is Residual.gradient). */
function normalMatrix(J: Float64Array, m: number, n: number, A: Float64Array): void {
  if (m * n * n > 2e6) {
    // Large: one GEMM in the kernels.
    const Jt = new Tensor([m, n], J);
    const JtJ = scoped(() => matmul(transpose(Jt), Jt));
    A.set(JtJ.data);
    return;
  }
  for (let a = 0; a < n; a++) {
    const ca = J.subarray(a * m, (a + 1) * m);
    for (let b = 0; b <= a; b++) {
      const v = dot(ca, J.subarray(b * m, (b + 1) * m));
      A[a * n + b] = v;
      A[b * n + a] = v;
    }
  }
}

function colNorms(J: Float64Array, m: number, n: number, out: Float64Array): void {
  for (let j = 0; j < n; j++) out[j] = norm2(J.subarray(j * m, (j + 1) * m));
}

interface LsState {
  res: Residual;
  run: Run;
  m: number;
  n: number;
  /** Stopping rules LM applies itself (MINPACK's ftol/xtol semantics). */
  stepTol: number;
  valueTol: number;
  diag: Float64Array | null;
  factor: number;
  cgMax: number;
  /** Residual and Jacobian at run.x, kept current by the methods. */
  r: Float64Array;
  J: Float64Array | null;
  /** Where the matrix-free methods' vectors come from (the run's workspace). */
  ws: VecSource;
}

/**
 * Moré's λ iteration: p solving (A + λD²) p = −g with ‖Dp‖ ≈ Δ (within 10%), or the
 * Gauss–Newton step (λ = 0) when that is inside the region. A = JᵀJ. Returns λ.
 */
function lmpar(A: Float64Array, g: Float64Array, D: Float64Array, n: number, delta: number, lambda0: number, p: Float64Array, L: Float64Array, M: Float64Array, q: Float64Array): number {
  const dwarf = 2.2250738585072014e-308;
  const dnorm = (): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (D[i]! * p[i]!) ** 2;
    return Math.sqrt(s);
  };
  const factor = (lam: number): boolean => {
    for (let i = 0; i < n * n; i++) M[i] = A[i]!;
    for (let i = 0; i < n; i++) M[i * n + i]! += lam * D[i]! * D[i]!;
    return cholesky(M, n, L) < 0;
  };
  const solveP = (): void => {
    for (let i = 0; i < n; i++) p[i] = -g[i]!;
    choleskySolve(L, n, p, p);
  };
  /** ‖L⁻¹ (D² p / ‖Dp‖)‖² : −φ'(λ)·‖Dp‖ (Moré 1978 eq. 5.5). */
  const dphi = (dx: number): number => {
    for (let i = 0; i < n; i++) q[i] = (D[i]! * D[i]! * p[i]!) / dx;
    forwardSolve(L, n, q, q);
    return dot(q, q);
  };
  // Gauss–Newton step, if JᵀJ is nonsingular (to working precision).
  let parl = 0;
  let dxnorm = Infinity;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, A[i * n + i]!);
  if (factor(0)) {
    let minPivot = Infinity;
    for (let i = 0; i < n; i++) minPivot = Math.min(minPivot, L[i * n + i]! * L[i * n + i]!);
    if (minPivot > 1e-14 * maxDiag) {
      solveP();
      dxnorm = dnorm();
      const fp = dxnorm - delta;
      if (fp <= 0.1 * delta) return 0;
      parl = fp / delta / dphi(dxnorm);
    }
  }
  // Upper bound ‖D⁻¹g‖/Δ.
  let gnorm = 0;
  for (let i = 0; i < n; i++) gnorm += (g[i]! / D[i]!) ** 2;
  gnorm = Math.sqrt(gnorm);
  let paru = gnorm / delta;
  if (paru === 0) paru = dwarf / Math.min(delta, 0.1);
  let lam = Math.min(Math.max(lambda0, parl), paru);
  if (lam === 0) lam = Number.isFinite(dxnorm) ? gnorm / dxnorm : gnorm / delta;
  let prevFp = Infinity;
  for (let iter = 1; ; iter++) {
    if (lam === 0) lam = Math.max(dwarf, 0.001 * paru);
    if (!factor(lam)) {
      // Not positive definite only through rounding: raise λ.
      parl = Math.max(parl, lam);
      lam = Math.max(lam * 10, Math.sqrt(Math.max(parl, dwarf) * paru));
      if (iter >= 30) throw new Error("leastSquares: internal: damped normal equations failed to factor");
      continue;
    }
    solveP();
    dxnorm = dnorm();
    const fp = dxnorm - delta;
    if (Math.abs(fp) <= 0.1 * delta || (parl === 0 && fp <= prevFp && prevFp < 0) || iter >= 10) return lam;
    const parc = fp / delta / dphi(dxnorm);
    if (fp > 0) parl = Math.max(parl, lam);
    if (fp < 0) paru = Math.min(paru, lam);
    lam = Math.max(parl, lam + parc);
    prevFp = fp;
  }
}

/** Dense Levenberg–Marquardt (Moré 1978; MINPACK lmder). */
function lmDense(s: LsState): Status {
  const { res, run, m, n } = s;
  const A = new Float64Array(n * n), L = new Float64Array(n * n), M = new Float64Array(n * n);
  const g = new Float64Array(n), p = new Float64Array(n), q = new Float64Array(n), Ap = new Float64Array(n);
  const xT = new Float64Array(n), D = new Float64Array(n), cn = new Float64Array(n);
  let J = s.J!;
  // Moré's scaling: D_j = max over iterations of ‖J e_j‖ (1 where a column is zero).
  const scaleD = (): void => {
    if (s.diag) return;
    colNorms(J, m, n, cn);
    for (let j = 0; j < n; j++) D[j] = Math.max(D[j]!, cn[j]!);
  };
  if (s.diag) D.set(s.diag);
  else {
    colNorms(J, m, n, cn);
    for (let j = 0; j < n; j++) D[j] = cn[j]! > 0 ? cn[j]! : 1;
  }
  const dxNorm = (v: Float64Array): number => {
    let t = 0;
    for (let j = 0; j < n; j++) t += (D[j]! * v[j]!) ** 2;
    return Math.sqrt(t);
  };
  let delta = s.factor * dxNorm(run.x);
  if (delta === 0) delta = s.factor;
  let lambda = 0;
  let fnorm = norm2(s.r);
  // Jᵀr at x0 was formed (and counted) by leastSquares: it is run.g.
  normalMatrix(J, m, n, A);
  g.set(run.g);
  let st = run.initial();
  let first = true;
  while (!st) {
    lambda = lmpar(A, g, D, n, delta, lambda, p, L, M, q);
    const pnorm = dxNorm(p);
    if (first) delta = Math.min(delta, pnorm);
    first = false;
    addScaled(run.x, 1, p, xT);
    const rT = res.eval(xT);
    const fnormT = norm2(rT);
    const finite = Number.isFinite(fnormT);
    // Reductions scaled by ‖r‖² (MINPACK's form, safe from overflow).
    const ared = finite && 0.1 * fnormT < fnorm ? 1 - (fnormT / fnorm) ** 2 : -1;
    symv(A, n, p, Ap);
    const t1 = Math.sqrt(Math.max(0, dot(p, Ap))) / fnorm;
    const t2 = (Math.sqrt(lambda) * pnorm) / fnorm;
    const prered = t1 * t1 + 2 * t2 * t2;
    const dirder = -(t1 * t1 + t2 * t2);
    const ratio = prered !== 0 ? ared / prered : 0;
    if (ratio <= 0.25) {
      let temp = ared >= 0 ? 0.5 : (0.5 * dirder) / (dirder + 0.5 * ared);
      if (!finite || 0.1 * fnormT >= fnorm || !(temp >= 0.1)) temp = 0.1;
      delta = temp * Math.min(delta, pnorm / 0.1);
      lambda /= temp;
    } else if (lambda === 0 || ratio >= 0.75) {
      delta = pnorm / 0.5;
      lambda *= 0.5;
    }
    run.radius = delta;
    run.lambda = lambda;
    const Jt = ratio >= 1e-4 && finite ? res.jacobian(xT) : null;
    if (Jt && !allFinite(Jt)) {
      // r is finite at the trial point but its Jacobian is not: treat the step as a failure.
      delta *= 0.1;
      lambda *= 10;
    } else if (Jt) {
      J = Jt;
      s.J = J;
      s.r = rT;
      fnorm = fnormT;
      normalMatrix(J, m, n, A);
      res.gradient(J, s.r, g);
      scaleD();
      st = run.accept(xT, 0.5 * fnormT * fnormT, g);
      if (st) break;
    }
    // MINPACK's convergence tests (ftol, xtol) after every trial.
    if (Math.abs(ared) <= s.valueTol && prered <= s.valueTol && 0.5 * ratio <= 1) return "valueTol";
    if (delta <= s.stepTol * dxNorm(run.x)) return "stepTol";
    if (fnorm === 0) return "gradTol";
  }
  return st;
}

/** Dense Gauss–Newton with Armijo backtracking (N&W §10.3). */
function gaussNewtonDense(s: LsState): Status {
  const { res, run, m, n } = s;
  const A = new Float64Array(n * n), L = new Float64Array(n * n);
  const g = new Float64Array(n), p = new Float64Array(n), xT = new Float64Array(n);
  // Jᵀr at x0 was formed (and counted) by leastSquares: it is run.g.
  normalMatrix(s.J!, m, n, A);
  g.set(run.g);
  let st = run.initial();
  while (!st) {
    const tau = shiftedCholesky(A, n, L);
    for (let i = 0; i < n; i++) p[i] = -g[i]!;
    choleskySolve(L, n, p, p);
    let slope = dot(g, p);
    if (!(slope < 0)) {
      for (let i = 0; i < n; i++) p[i] = -g[i]!;
      slope = dot(g, p);
    }
    // The Gauss–Newton model predicts a reduction of −½gᵀp: below valueTol·cost (MINPACK's
    // ftol test), the cost can no longer be lowered measurably.
    if (-0.5 * slope <= s.valueTol * run.f) return "valueTol";
    let last: Float64Array | null = null;
    const ls = backtracking(
      (a) => {
        addScaled(run.x, a, p, xT);
        last = res.eval(xT);
        const nr = norm2(last);
        return 0.5 * nr * nr;
      },
      run.f,
      slope,
      1,
      { c1: 1e-4, maxEvals: 40 },
    );
    if (!ls.ok || !last) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    const fPrev = run.f;
    const Jt = res.jacobian(xT);
    if (!allFinite(Jt)) return "nonFinite";
    s.J = Jt;
    s.r = last;
    normalMatrix(s.J, m, n, A);
    res.gradient(s.J, s.r, g);
    run.radius = ls.alpha;
    run.lambda = tau;
    st = run.accept(xT, ls.f, g);
    if (st) break;
    if (fPrev - ls.f <= s.valueTol * Math.max(fPrev, 1e-300)) return "valueTol";
  }
  return st;
}

/** Matrix-free trust-region Gauss–Newton (LM) with Steihaug–Toint CG on JᵀJ. */
function lmMatrixFree(s: LsState): Status {
  const { res, run, n, m, ws } = s;
  const g = ws.vec(n), z = ws.vec(n), r = ws.vec(n), d = ws.vec(n);
  const Hd = ws.vec(n), p = ws.vec(n), Hp = ws.vec(n), xT = ws.vec(n);
  const Jd = ws.vec(m);
  let ops = res.operators(run.x);
  ops.gradient(g);
  s.r = ops.r;
  run.g.set(g);
  run.gradNorm = normInf(g);
  const gn = (v: Float64Array, out: Float64Array): void => {
    ops.jv(v, Jd);
    ops.jtv(Jd, out);
    res.guard.counts.hvp++;
  };
  let radius = s.factor * norm2(run.x) || s.factor;
  let st = run.initial();
  let first = true;
  while (!st) {
    const gnorm = norm2(g);
    const tol = Math.min(0.5, Math.sqrt(gnorm)) * gnorm;
    z.fill(0);
    r.set(g);
    negate(g, d);
    let rr = gnorm * gnorm;
    let boundary = false;
    let tau = 0;
    for (let j = 0; j < s.cgMax; j++) {
      gn(d, Hd);
      const dHd = dot(d, Hd);
      const alpha = rr / dHd;
      const zz = dot(z, z), zd = dot(z, d), dd = dot(d, d);
      if (!(dHd > 0) || zz + 2 * alpha * zd + alpha * alpha * dd >= radius * radius) {
        const disc = Math.sqrt(Math.max(0, zd * zd - dd * (zz - radius * radius)));
        tau = (-zd + disc) / dd;
        boundary = true;
        break;
      }
      axpy(alpha, d, z);
      const rrNew = axpyDot(alpha, Hd, r, r);
      if (Math.sqrt(rrNew) <= tol) break;
      const beta = rrNew / rr;
      axpby(-1, r, beta, d);
      rr = rrNew;
    }
    // p = z (+ τd on the boundary) and H p = r − g (+ τ·Hd).
    sub(r, g, Hp);
    if (boundary) {
      addScaled(z, tau, d, p);
      axpy(tau, Hd, Hp);
    } else {
      p.set(z);
    }
    const pnorm = norm2(p);
    if (first) radius = Math.min(radius, pnorm);
    first = false;
    const pred = -(dot(g, p) + 0.5 * dot(p, Hp));
    addScaled(run.x, 1, p, xT);
    const nrT = norm2(res.eval(xT));
    const fT = 0.5 * nrT * nrT;
    const ared = run.f - fT;
    const rho = pred > 0 && Number.isFinite(fT) ? ared / pred : -Infinity;
    if (!(rho >= 0.25)) radius = 0.25 * Math.min(radius, pnorm);
    else if (rho > 0.75 && pnorm >= 0.99 * radius) radius = 2 * radius;
    run.radius = radius;
    if (rho > 1e-4) {
      ops = res.operators(xT);
      ops.gradient(g);
      s.r = ops.r;
      const fPrev = run.f;
      st = run.accept(xT, fT, g);
      if (st) break;
      if (fPrev - fT <= s.valueTol * Math.max(fPrev, 1e-300) && pred <= s.valueTol * Math.max(fPrev, 1e-300)) return "valueTol";
    }
    if (radius <= s.stepTol * (1 + norm2(run.x))) return "stepTol";
  }
  return st;
}

/** Matrix-free Gauss–Newton: truncated CG on JᵀJ p = −Jᵀr, then backtracking. */
function gaussNewtonMatrixFree(s: LsState): Status {
  const { res, run, n, m, ws } = s;
  const g = ws.vec(n), z = ws.vec(n), r = ws.vec(n), d = ws.vec(n);
  const Hd = ws.vec(n), xT = ws.vec(n), Jd = ws.vec(m);
  let ops = res.operators(run.x);
  ops.gradient(g);
  s.r = ops.r;
  run.g.set(g);
  run.gradNorm = normInf(g);
  let st = run.initial();
  while (!st) {
    const gnorm = norm2(g);
    const tol = Math.min(0.5, Math.sqrt(gnorm)) * gnorm;
    z.fill(0);
    r.set(g);
    negate(g, d);
    let rr = gnorm * gnorm;
    for (let j = 0; j < s.cgMax; j++) {
      ops.jv(d, Jd);
      ops.jtv(Jd, Hd);
      res.guard.counts.hvp++;
      const dHd = dot(d, Hd);
      if (!(dHd > 0)) {
        if (j === 0) negate(g, z);
        break;
      }
      const alpha = rr / dHd;
      axpy(alpha, d, z);
      const rrNew = axpyDot(alpha, Hd, r, r);
      if (Math.sqrt(rrNew) <= tol) break;
      const beta = rrNew / rr;
      axpby(-1, r, beta, d);
      rr = rrNew;
    }
    const slope = dot(g, z);
    if (!(slope < 0)) return "lineSearchFailed";
    if (-0.5 * slope <= s.valueTol * run.f) return "valueTol";
    const ls = backtracking(
      (a) => {
        addScaled(run.x, a, z, xT);
        const nr = norm2(res.eval(xT));
        return 0.5 * nr * nr;
      },
      run.f,
      slope,
      1,
      { c1: 1e-4, maxEvals: 40 },
    );
    if (!ls.ok) return ls.nonFinite ? "nonFinite" : "lineSearchFailed";
    addScaled(run.x, ls.alpha, z, xT);
    ops = res.operators(xT);
    ops.gradient(g);
    s.r = ops.r;
    const fPrev = run.f;
    run.radius = ls.alpha;
    st = run.accept(xT, ls.f, g);
    if (st) break;
    if (fPrev - ls.f <= s.valueTol * Math.max(fPrev, 1e-300)) return "valueTol";
  }
  return st;
}

/**
 * Nonlinear least squares: minimizes ½‖r(x)‖² over x (a tensor or a pytree of tensors) for
 * a residual function r returning a tensor (any shape) or a pytree of tensors, with the
 * Jacobian from matcalc's autodiff.
 *
 * - `method: 'lm'` (default): Levenberg–Marquardt with Moré's scaling and trust-region
 *   update of λ (Moré 1978, as in MINPACK's lmder).
 * - `method: 'gauss-newton'`: Gauss–Newton steps with an Armijo line search.
 * - `matrixFree` (default `'auto'`: when n > 1000 or m·n > 4·10⁶): never forms J; uses
 *   J·v (forward mode) and Jᵀ·u (reverse mode) with CG on JᵀJ. `lm` becomes a Steihaug-CG
 *   trust region on the Gauss–Newton model (unscaled).
 *
 * Returns {@link minimize}'s fields (`value` is the cost, `grad` is Jᵀr) plus `residual`,
 * `cost` = ½‖r‖², and `jacobian` when `returnJacobian` is set. For `lm`, `stepTol` and
 * `valueTol` have MINPACK's meaning (xtol: Δ ≤ stepTol·‖D x‖; ftol: actual and predicted
 * relative reductions of ‖r‖² both ≤ valueTol); defaults stepTol 1e-12, valueTol 1e-14.
 * Stopping, the callback and the AbortSignal work as in {@link minimize}.
 *
 * Bad input throws: a non-finite x0, r(x0) or J(x0) (DTypeError), a residual that returns
 * something other than tensors (DTypeError) or no entries (ShapeError), a `diag` whose
 * structure differs from x0's (ShapeError) or that is not positive (DTypeError).
 *
 * @example
 * ```ts
 * import * as mc from "matcalc";
 * import { vector, type Tensor } from "matcalc";
 * import { leastSquares } from "matcalc/optim";
 *
 * // Fit y ≈ a·exp(−k·t) + c to data (t, y); p = [a, k, c].
 * const ts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ys = ts.map((t) => 2 * Math.exp(-0.5 * t) + 1);
 * const t = vector(ts), y = vector(ys);
 * const model = (p: Tensor) =>
 *   mc.slice(p, [0], [1]).mul(t.mul(mc.slice(p, [1], [1]).neg()).exp()).add(mc.slice(p, [2], [1]));
 * const res = leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), {
 *   method: "lm",
 *   returnJacobian: true,
 * });
 * res.x.toArray();   // [a, k, c] ≈ [2, 0.5, 1]
 * res.cost;          // ½‖r‖² at the solution (≈ 0 here: the data are exact)
 * res.residual;      // r(x), shaped as the residual function returns it
 * res.jacobian;      // J(x), m × 3  (here [10, 3])
 *
 * // Large problems go matrix-free automatically (J·v and Jᵀu, CG on JᵀJ); or force it:
 * leastSquares((p: Tensor) => model(p).sub(y), vector([1, 1, 0]), { method: "gauss-newton", matrixFree: true });
 * ```
 */
export function leastSquares<T extends PyTree>(
  residual: (x: TensorTree<T>) => PyTree,
  x0: T,
  options: LeastSquaresOptions<TensorTree<T>> = {},
): LeastSquaresResult<TensorTree<T>> {
  const op = "leastSquares";
  if (typeof residual !== "function") throw new DTypeError(op, `residual must be a function, got ${residual === null ? "null" : typeof residual}`);
  if (options === null || typeof options !== "object") throw new DTypeError(op, `options must be an object, got ${options === null ? "null" : typeof options}`);
  const method = options.method ?? "lm";
  if (method !== "lm" && method !== "gauss-newton") {
    throw new DTypeError(op, `unknown method ${JSON.stringify(method)}; expected 'lm' or 'gauss-newton'`);
  }
  const mf = options.matrixFree ?? "auto";
  if (mf !== "auto" && typeof mf !== "boolean") throw new DTypeError(op, `option matrixFree must be true, false or 'auto', got ${String(mf)}`);
  const { layout, vec: x0flat } = Layout.of(x0, op);
  assertFiniteVec(op, "x0", x0flat, layout);
  const n = layout.n;
  const { limits, guard } = commonLimits(op, options as unknown as CommonOptions<never>, { maxIterations: 1000, valueTol: 1e-14 });
  let diag: Float64Array | null = null;
  if (options.diag !== undefined) {
    diag = layout.readMatching(options.diag, op, "option diag");
    for (let i = 0; i < n; i++) if (!(diag[i]! > 0 && Number.isFinite(diag[i]!))) throw new DTypeError(op, `option diag must be positive and finite, got ${diag[i]} at flat index ${i}`);
  }
  const factor = numOpt(op, options, "initialStepBound", 100, Number.MIN_VALUE);
  const session = new Session();
  const res = new Residual(residual as unknown as (x: unknown) => PyTree, layout, guard, session, op, options.jit ?? true);
  let ws: Workspace | null = null;
  try {
    // x0: residual, then the Jacobian (dense path).
    const r0 = res.eval(x0flat);
    const m = res.m;
    for (let i = 0; i < m; i++) {
      if (!Number.isFinite(r0[i]!)) throw new DTypeError(op, `the residual at x0 is ${r0[i]} at flat index ${i}; it must be finite`);
    }
    const matrixFree = mf === "auto" ? n > 1000 || m * n > 4e6 : mf;
    const cgMax = numOpt(op, options, "cgMaxIterations", Math.max(20, Math.min(2 * n, 500)), 1, true);
    let J: Float64Array | null = null;
    // The run's x and g and the matrix-free methods' vectors (with J·v, m entries) live in a
    // workspace; the dense methods' matrices and their O(n²)–O(mn²) loops stay in JS.
    ws = Workspace.acquire(vectorFloats(3, n) + (matrixFree ? vectorFloats(8, n) + vectorFloats(1, m) : 0));
    const g0 = ws.vec(n);
    if (!matrixFree) {
      J = res.jacobian(x0flat);
      if (!allFinite(J)) throw new DTypeError(op, "the Jacobian of the residual at x0 is not finite");
      res.gradient(J, r0, g0);
    }
    const nr0 = norm2(r0);
    guard.started = true;
    // LM and the matrix-free methods apply stepTol/valueTol themselves (MINPACK semantics).
    const runLimits: Limits = { ...limits, stepTol: -1, valueTol: 0 };
    const run = new Run(layout, guard, runLimits, x0flat, 0.5 * nr0 * nr0, g0, ws);
    run.beforeUserCode = () => session.close();
    const state: LsState = {
      res, run, m, n, stepTol: limits.stepTol, valueTol: limits.valueTol, diag, factor, cgMax, r: r0, J, ws,
    };
    let status: Status;
    try {
      status = matrixFree
        ? method === "lm" ? lmMatrixFree(state) : gaussNewtonMatrixFree(state)
        : method === "lm" ? lmDense(state) : gaussNewtonDense(state);
    } catch (e) {
      if (e instanceof StopRun) status = e.status;
      else throw e;
    }
    let jacobianAtX: Tensor | undefined;
    if (options.returnJacobian) {
      // Part of the result, not of the run: the run's budgets (time, AbortSignal) no longer
      // apply, so a run they stopped still returns (instead of throwing StopRun here).
      guard.started = false;
      const Jf = state.J && !matrixFree ? state.J : res.jacobian(run.x);
      jacobianAtX = new Tensor([m, n], Jf.slice());
    }
    // state.r always belongs to run.x: methods update both together on acceptance.
    const result: LeastSquaresResult<TensorTree<T>> = {
      x: layout.toTree(run.x) as unknown as TensorTree<T>,
      value: run.f,
      grad: layout.toTree(run.g) as unknown as TensorTree<T>,
      gradNorm: run.gradNorm,
      iterations: run.iterations,
      // After the Jacobian above, which counts when it is formed (matrix-free path).
      evaluations: { ...guard.counts, ...res.extra },
      converged: CONVERGED.has(status),
      status,
      message: `${method}${matrixFree ? " (matrix-free)" : ""}: ${MESSAGES[status]} after ${run.iterations} iteration(s); cost = ${run.f}, ‖Jᵀr‖∞ = ${run.gradNorm.toExponential(3)}`,
      residual: res.toTree(state.r),
      cost: run.f,
    };
    if (jacobianAtX) result.jacobian = jacobianAtX;
    return result;
  } finally {
    session.close();
    ws?.release();
  }
}
