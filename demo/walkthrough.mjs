// `npm start`: a terminal walk-through of what matcalc does, using the built package.
// It grows as capabilities land; every number printed is computed here, not typed in.
import * as mc from "../dist/index.js";
import { minimize, leastSquares } from "../dist/optim/index.js";

const { matrix, vector, grad, jacobian, hessian, hvp, vmap, randn, checkGrad } = mc;
const line = (s = "") => console.log(s);
const show = (label, t) => line(`  ${label.padEnd(34)} ${JSON.stringify(t.toArray(), (_, v) => (typeof v === "number" ? +v.toFixed(6) : v))}`);
const maxAbsDiff = (a, b) => {
  const bd = b.data; // .data is a copy: read it once
  return a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - bd[i])), 0);
};

line("matcalc: matrix calculus for JavaScript (float64, WebAssembly kernels)");
line(`kernels: ${mc.usingSimd() ? "SIMD (f64x2)" : "scalar"} build, Node ${process.version}`);
line();

line("1. Tensors: float64, written row by row, stored column-major (so vec(X) is free)");
const A = matrix([[2, 1], [1, 3]]);
show("A", A);
line(`  ${"A.data (column-major)".padEnd(34)} [${Array.from(A.data).join(", ")}]`);
show("vec(A)", mc.vec(A));
show("A.matmul([1, 2]).add(1).tanh()", A.matmul([1, 2]).add(1).tanh());
show("row vector broadcast: A + [10, 20]", A.add([10, 20]));
line();

line("2. Derivatives (checked against the seeds' closed forms)");
const x = vector([1.2, 0.8]);
const f = (x) => x.dot(A.matmul(x)); // xᵀAx
show("f(x) = xᵀAx at x = (1.2, 0.8)", f(x));
show("grad f = (A + Aᵀ)x = 2Ax", grad(f)(x));
show("closed form 2Ax", A.matmul(x).mul(2));
show("hessian f = A + Aᵀ", hessian(f)(x));
show("hvp along (1, 0)", hvp(f)(x, vector([1, 0])));
const W = matrix([[1, 2, 3], [4, 5, 6]]);
show("jacobian(x ↦ Wx) numerator (2×3)", jacobian((v) => W.matmul(v))(vector([1, 1, 1])));
show("  ...denominator layout (3×2)", jacobian((v) => W.matmul(v), { layout: "denominator" })(vector([1, 1, 1])));
const s = vector([0.5, -1, 2]);
const p = mc.softmax(s);
const Js = jacobian(mc.softmax)(s);
const closed = mc.diag(p).sub(mc.outer(p, p));
line(`  ${"softmax Jacobian vs diag(p) − ppᵀ".padEnd(34)} max |diff| = ${maxAbsDiff(Js, closed).toExponential(1)}`);
const nested = grad((x) => x.mul(grad((y) => x.add(y))(mc.scalar(2))))(mc.scalar(3));
line(`  ${"d/dx [x · d/dy (x + y)]".padEnd(34)} ${nested.item()} (no perturbation confusion)`);
const r = checkGrad((x) => x.tanh().mul(x).sum(), randn([5], { seed: 1 }));
line(`  ${"checkGrad(Σ x·tanh x)".padEnd(34)} ${r.message}`);
line();

line("3. Batching: vmap and blocked Jacobians");
const B = randn([3, 3], { seed: 2 });
const X = randn([3, 4], { seed: 3 });
const cols = vmap((x) => B.matmul(x).tanh(), { inAxes: 1, outAxes: 1 })(X);
line(`  ${"vmap(x ↦ tanh(Bx)) over 4 columns".padEnd(34)} max |diff| vs tanh(BX) = ${maxAbsDiff(cols, B.matmul(X).tanh()).toExponential(1)}`);
line();

line("4. Linear algebra with derivatives");
const S = randn([4, 4], { seed: 6 }).add(mc.eye(4).mul(4));
line(`  ${"grad log|det X| vs X⁻ᵀ".padEnd(34)} max |diff| = ${maxAbsDiff(grad((X) => mc.logdet(X))(S), mc.inv(S).T).toExponential(1)}`);
const K = mc.commutation(4, 4).toMatrix();
const Hld = hessian((X) => mc.logdet(X))(S);
line(`  ${"hessian log|det X| vs −K(X⁻ᵀ⊗X⁻¹)".padEnd(34)} max |diff| = ${maxAbsDiff(Hld, K.matmul(mc.kron(mc.inv(S).T, mc.inv(S))).neg()).toExponential(1)} (16×16)`);
line();

line("5. Optimizers driven by autodiff (matcalc/optim)");
const t = mc.tensor(Array.from({ length: 20 }, (_, i) => i / 4));
const yObs = t.mul(-0.7).exp().mul(2.5).add(0.3);
const fit = leastSquares((p) => p.a.mul(t.mul(p.k.neg()).exp()).add(p.c).sub(yObs), { a: mc.scalar(1), k: mc.scalar(0.1), c: mc.scalar(0) }, { method: "lm" });
line(`  leastSquares(LM) fit of 2.5·e^(−0.7t) + 0.3: a = ${fit.x.a.item().toFixed(6)}, k = ${fit.x.k.item().toFixed(6)}, c = ${fit.x.c.item().toFixed(6)} in ${fit.iterations} iterations`);
const n2 = 100;
const x0 = mc.tensor(Array.from({ length: n2 }, (_, i) => (i % 2 === 0 ? -1.2 : 1)));
const rosen = (x) => {
  const P = x.reshape([2, n2 / 2]);
  const odd = P.slice([0, 0], [1, n2 / 2]), even = P.slice([1, 0], [1, n2 / 2]);
  return even.sub(odd.square()).square().mul(100).add(odd.sub(1).square()).sum();
};
for (const method of ["newton-cg", "trust-ncg", "lbfgs", "bfgs"]) {
  const r = minimize(rosen, x0, { method });
  const e = r.evaluations;
  line(`  ${`extended Rosenbrock n=100, ${method}`.padEnd(40)} f = ${r.value.toExponential(2)}, ${r.iterations} iterations, f/grad ${e.f}/${e.grad}, hvp ${e.hvp}, ${r.status}`);
}
line();

line("6. Kernel speed (one quick timing; bench/ has the real measurements)");
const n = 256;
const G1 = randn([n, n], { seed: 4 }), G2 = randn([n, n], { seed: 5 });
G1.matmul(G2); // warm up
let reps = 0;
const t0 = performance.now();
while (performance.now() - t0 < 300) {
  G1.matmul(G2);
  reps++;
}
const ms = (performance.now() - t0) / reps;
const a = G1.data, b = G2.data, c = new Float64Array(n * n);
const t1 = performance.now();
for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) {
  const bkj = b[k + j * n];
  for (let i = 0; i < n; i++) c[i + j * n] += a[i + k * n] * bkj;
}
const jsMs = performance.now() - t1;
line(`  GEMM ${n}×${n}: ${ms.toFixed(2)} ms = ${((2 * n ** 3) / (ms * 1e6)).toFixed(1)} GFLOP/s (plain JS loop: ${jsMs.toFixed(1)} ms, ${(jsMs / ms).toFixed(1)}× slower)`);
line();
line("Next: `npm test` builds both wasm binaries and runs every test in Node and headless Chromium.");
