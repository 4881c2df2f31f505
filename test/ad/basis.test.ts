// Jacobians and Hessians whose basis chunks reach matmul directly take the gather path in
// matmul's batch rule (src/core/basis.ts). Every case is run with chunk sizes that cut the
// identity mid-column and mid-leaf, and checked against a closed form built entry by entry.
import { describe, expect, it } from "vitest";
import { concat, hessian, hvp, jacobian, jit, matrix, randn, tensor, zeros, type Tensor } from "../../src/index.js";
import { basisChunk } from "../../src/ops/structure.js";
import { basisStart } from "../../src/core/basis.js";
import { scoped } from "../../src/core/tensor.js";

function close(a: Tensor, b: Tensor, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  const ad = a.data, bd = b.data;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(ad[i]! - bd[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

/** J of X ↦ op(X) as a (rows·cols) × (rows·cols) matrix from the entrywise rule. */
function build(rows: number, cols: number, entry: (i: number, j: number) => number): Tensor {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: cols }, (_, j) => entry(i, j)));
  return matrix(out);
}
const at = (A: Tensor, i: number, j: number) => A.get(i, j);

const chunks = [1, 2, 3, 5, 7, 128];
const modes = ["fwd", "rev"] as const;

describe("basis chunks through matmul", () => {
  const A = randn([5, 4], { seed: 1 });
  const B = randn([3, 2], { seed: 2 });

  for (const mode of modes) {
    for (const chunkSize of chunks) {
      it(`A·x: J = A (${mode}, chunk ${chunkSize})`, () => {
        const x = randn([4], { seed: 3 });
        close(jacobian((x: Tensor) => A.matmul(x), { mode, chunkSize })(x), A);
      });

      it(`xᵀB: J = Bᵀ (${mode}, chunk ${chunkSize})`, () => {
        const x = randn([3], { seed: 4 });
        close(jacobian((x: Tensor) => x.matmul(B), { mode, chunkSize })(x), B.T);
      });

      it(`A·X over vec: J = I ⊗ A (${mode}, chunk ${chunkSize})`, () => {
        const X = randn([4, 3], { seed: 5 });
        // vec(AX)[i + 5c] depends on vec(X)[r + 4c'] through A[i, r]·[c = c'].
        const expected = build(15, 12, (p, q) => (Math.floor(p / 5) === Math.floor(q / 4) ? at(A, p % 5, q % 4) : 0));
        close(jacobian((X: Tensor) => A.matmul(X), { mode, chunkSize })(X), expected);
      });

      it(`X·B over vec: J = Bᵀ ⊗ I (${mode}, chunk ${chunkSize})`, () => {
        const X = randn([4, 3], { seed: 6 });
        // vec(XB)[i + 4c] depends on vec(X)[i' + 4r] through B[r, c]·[i = i'].
        const expected = build(8, 12, (p, q) => (p % 4 === q % 4 ? at(B, Math.floor(q / 4), Math.floor(p / 4)) : 0));
        close(jacobian((X: Tensor) => X.matmul(B), { mode, chunkSize })(X), expected);
      });
    }
  }

  it("tanh(Wx): J = diag(1 − tanh²(Wx))·W", () => {
    const W = randn([30, 9], { seed: 7 });
    const x = randn([9], { seed: 8 }).mul(0.3);
    const d = W.matmul(x).tanh().square().neg().add(1);
    const expected = W.mul(d.reshape([30, 1]));
    for (const chunkSize of [4, 9, 128]) close(jacobian((x: Tensor) => W.matmul(x).tanh(), { mode: "fwd", chunkSize })(x), expected);
  });

  it("a pytree Hessian (MLP) equals the stacked HVPs, for chunks that straddle leaves", () => {
    const X = randn([16, 3], { seed: 9 });
    const y = randn([16, 1], { seed: 10 });
    const p = { W1: randn([3, 4], { seed: 11 }), b1: randn([4], { seed: 12 }), W2: randn([4, 1], { seed: 13 }), b2: randn([1], { seed: 14 }) };
    const f = (q: typeof p) => X.matmul(q.W1).add(q.b1).tanh().matmul(q.W2).add(q.b2).sub(y).square().mean();
    const n = 12 + 4 + 4 + 1;
    // Reference: one HVP per basis direction (no basis chunk is ever formed).
    const cols: number[][] = [];
    // Pytree leaves are taken in the object's key order (as built: W1, b1, W2, b2).
    const leaves = ["W1", "b1", "W2", "b2"] as const;
    for (let e = 0; e < n; e++) {
      let off = 0;
      const v = {} as typeof p;
      for (const k of leaves) {
        const z = new Float64Array(p[k].size);
        if (e >= off && e < off + z.length) z[e - off] = 1;
        v[k] = tensor(z, p[k].shape, { order: "col" });
        off += z.length;
      }
      const h = hvp(f)(p, v) as typeof p;
      cols.push(leaves.flatMap((k) => Array.from(h[k].data)));
    }
    const expected = matrix(cols).T;
    for (const chunkSize of [1, 5, 12, 13, 128]) close(hessian(f, { chunkSize })(p), expected, 1e-11);
  });
});

describe("basis chunks are made in the arena (basisColumns)", () => {
  // The seeds of a Jacobian chunk are columns of the identity over vec of an input: two kernel
  // calls in the arena, not a JavaScript array copied in (ops/structure.ts, basisChunk).
  for (const shape of [[], [1], [6], [2, 3], [2, 3, 2]] as number[][]) {
    it(`jacobian of the identity over shape [${shape}] is I, every chunk size, both modes, jitted too`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = randn(shape, { seed: 20 + n });
      const eye = build(n, n, (i, j) => (i === j ? 1 : 0));
      for (const mode of modes) {
        for (const chunkSize of [1, 2, 4, 5, 7, 128]) {
          const J = jacobian((x: Tensor) => x.mul(1), { mode, chunkSize });
          const got = J(x);
          expect(got.shape).toEqual([n, n]); // over vec of the input (and of the output)
          close(got.reshape([n, n]), eye, 0);
          const Jj = jit(J);
          for (const s of [1, 2]) close((Jj(randn(shape, { seed: s })) as Tensor).reshape([n, n]), eye, 0);
        }
      }
    });
  }

  it("a chunk is arena memory holding columns start … start+count−1 of the identity", () => {
    const t = scoped(() => {
      const c = basisChunk([3, 2], 2, 3);
      expect(c._buf).toBeNull(); // arena-backed, not a JS array
      expect(basisStart(c)).toBe(2);
      return c;
    });
    expect(t.shape).toEqual([3, 2, 3]);
    const d = t.reshape([6, 3]);
    close(d, build(6, 3, (i, j) => (i === j + 2 ? 1 : 0)), 0);
  });

  it("the seeds and the Jacobian match a closed form when a chunk ends mid-input (tanh(Wx), threads of the pool or not)", () => {
    const W = randn([7, 11], { seed: 21 });
    const x = randn([11], { seed: 22 }).mul(0.3);
    const d = W.matmul(x).tanh().square().neg().add(1);
    const expected = W.mul(d.reshape([7, 1]));
    for (const chunkSize of [1, 3, 10, 11]) {
      close(jacobian((x: Tensor) => W.matmul(x).tanh(), { mode: "fwd", chunkSize })(x), expected, 1e-15);
      close(jacobian((x: Tensor) => W.matmul(x.mul(1)).tanh(), { mode: "fwd", chunkSize })(x), expected, 1e-15);
    }
  });
});

describe("chunked Jacobians assembled in the result's storage", () => {
  // At top level each chunk's block is copied straight into the result's JS storage at its
  // columns (transforms.ts, jacobianOf); chunks never straddle leaves, so even one large chunk
  // size gives several blocks here. A linear map with small integer coefficients has an exact
  // Jacobian: every chunk size, mode, layout and argnums must give the closed form bit for bit.
  const A = tensor(Array.from({ length: 7 * 7 }, (_, i) => ((i * 37) % 11) - 5), [7, 7]);
  const f = (p: { a: Tensor; b: Tensor }, s: Tensor) => {
    const v = concat([p.a, p.b.reshape([4]), s.reshape([1])], 0); // [a, vec b, s]: 8 entries
    const y = A.matmul(v.slice([0], [7])).add(v.slice([7], [1]).mul(3));
    return [y.slice([0], [4]), y.slice([4], [3]).reshape([3, 1])];
  };
  const p = { a: tensor([1, 2, 3]), b: tensor([4, 5, 6, 7], [2, 2]) }, s = tensor(2);
  /** Column q of the full 7 × 8 Jacobian over [a, vec b, s]. */
  const column = (q: number) => Array.from({ length: 7 }, (_, i) => (q < 7 ? A.get(i, q) : 3));
  const argCols = [[0, 1, 2, 3, 4, 5, 6], [7]];
  for (const mode of modes) {
    for (const layout of ["numerator", "denominator"] as const) {
      for (const argnums of [0, [0, 1], [1, 0, 0]] as const) {
        it(`${mode}, ${layout}, argnums ${JSON.stringify(argnums)}: the closed form for every chunk size`, () => {
          const cols = (Array.isArray(argnums) ? argnums : [argnums]).flatMap((k) => argCols[k]!);
          const J = build(7, cols.length, (i, j) => column(cols[j]!)[i]!);
          const expected = layout === "numerator" ? J : J.T;
          for (const chunkSize of [1, 2, 3, 5, 7, 128]) {
            const got = jacobian(f, { mode, layout, argnums, chunkSize })(p, s) as Tensor;
            expect(got.shape).toEqual(expected.shape);
            expect(Array.from(got.data)).toEqual(Array.from(expected.data));
          }
          const blk = jacobian(f, { mode, layout, argnums, chunkSize: 2, blocks: true })(p, s);
          const blkRef = jacobian(f, { mode, layout, argnums, chunkSize: 128, blocks: true })(p, s);
          expect(JSON.stringify(blk)).toEqual(JSON.stringify(blkRef));
        });
      }
    }
  }
});
