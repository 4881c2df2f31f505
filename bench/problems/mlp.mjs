// The MLP 20-20-1 problem of bench/suites/autodiff.ts (tanh, 256 samples, 441 parameters), made
// with whichever build of matcalc `mc` is, so the A/B scripts (batched-ab, malloc-ab, tape-ab)
// run it on dist builds side by side.

/** Its data (seeds 5–10), the mean squared error f of the parameters, and the point p. */
export function mlpProblem(mc) {
  const { randn } = mc;
  const X = randn([256, 20], { seed: 5 }), Y = randn([256, 1], { seed: 6 });
  const p = {
    W1: randn([20, 20], { seed: 7 }).mul(0.3), b1: randn([20], { seed: 8 }).mul(0.1),
    W2: randn([20, 1], { seed: 9 }).mul(0.3), b2: randn([1], { seed: 10 }).mul(0.1),
  };
  const f = (q) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(Y).square().mean();
  return { f, p };
}
