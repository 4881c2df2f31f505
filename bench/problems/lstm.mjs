// The 2-layer character LSTM loss of bench/problems/loops.ts (lstmProblem), in plain JavaScript
// and written only against matcalc's functions and tensor methods, so it runs on whichever build
// `mc` is: bench/replay-ab.mjs runs it on two dist builds side by side.

/**
 * The next-character mean cross-entropy of a 2-layer LSTM (hidden H per layer, gates in
 * torch.nn.LSTM's order i, f, g, o) over the input blocks `xs` (T blocks of B one-hot rows,
 * B×V each: B sequences side by side) against `Y` (T·B one-hot rows, block t's rows at t·B),
 * as a function of p = { W1, U1, b1, W2, U2, b2, Wy, by }. Both layers advance one step at a
 * time (two B×n by n×4H products per cell); the output layer is one GEMM over the sequence.
 */
export function lstmLoss(mc, xs, Y, H) {
  const B = xs[0].shape[0], T = xs.length;
  const cell = (x, h, c, W, U, b) => {
    const g = x.matmul(W).add(h.matmul(U)).add(b);
    const i = mc.slice(g, [0, 0], [B, H]).sigmoid();
    const f = mc.slice(g, [0, H], [B, H]).sigmoid();
    const gg = mc.slice(g, [0, 2 * H], [B, H]).tanh();
    const o = mc.slice(g, [0, 3 * H], [B, H]).sigmoid();
    const c2 = f.mul(c).add(i.mul(gg));
    return [o.mul(c2.tanh()), c2];
  };
  return (p) => {
    let h1 = mc.zeros([B, H]), c1 = mc.zeros([B, H]);
    let h2 = mc.zeros([B, H]), c2 = mc.zeros([B, H]);
    const hs = [];
    for (let t = 0; t < T; t++) {
      [h1, c1] = cell(xs[t], h1, c1, p.W1, p.U1, p.b1);
      [h2, c2] = cell(h1, h2, c2, p.W2, p.U2, p.b2);
      hs.push(h2);
    }
    const logp = mc.logSoftmax(mc.concat(hs, 0).matmul(p.Wy).add(p.by), 1);
    return Y.mul(logp).sum().mul(-1 / (T * B));
  };
}
