// The jit's pass pipeline, written down as data, and the one driver that runs it.
//
// Each pass takes a program and the shape of every value in it, and returns a program. The
// driver derives the shapes for each pass (when it first asks: a pass with nothing to do in a
// 10⁶-step program may never ask), drops the steps no result needs after it (a pass that
// replaces steps leaves the ones only they read unread), and, when verification is on
// (tests), checks the IR's invariants after it (verifyProgram, naming the pass).
import { liveSteps, shapeTable, bySegments, verifyProgram, append, readCounts, type Program, type Ref, type Step } from "./program.js";
import type { Shape } from "../core/shape.js";
import { fuseRowBlocks } from "./passes/fuse.js";
import { fuseChains, mayChain } from "./passes/chains.js";
import { foldScalings } from "./passes/fold.js";
import { symmetricProducts } from "./passes/gram.js";
import { productSums } from "./passes/products.js";
import { lowerTriangle } from "./passes/triangle.js";
import { checkRegions } from "./passes/regions.js";

/**
 * A program in the pipeline: `split` steps first (a linearization's primal part, run once
 * per point; the rest is its tangent part, run per J·t), or all of them. @internal
 */
export interface Staged extends Program {
  split: number;
}

/** One pass: a name (for messages and the verifier) and the rewrite. @internal */
export interface JitPass {
  readonly name: string;
  run(p: Staged, shapeOf: (r: Ref) => Shape): Staged;
}

/**
 * Applies `pass` to each run of steps that runs as a unit: between region steps (no pass
 * moves a step across a region's boundary) and on each side of the split (primal and
 * tangent parts run at different times).
 */
function partwise(p: Staged, pass: (segment: Step[]) => Step[]): Staged {
  const first = bySegments(p.steps.slice(0, p.split), pass);
  const steps = p.split === p.steps.length ? first : append(first.slice(), bySegments(p.steps.slice(p.split), pass));
  return { ...p, steps, split: first.length };
}

/** Chunked Hessians on and below the diagonal only (needs jacobian's demandRows marks). */
const lowerTrianglePass: JitPass = {
  name: "lowerTriangle",
  run: (p, shapeOf) => ({ ...p, steps: lowerTriangle(p.steps, shapeOf, p.outs) }),
};

/** Scalings by a factor folded into the products that read them. */
const foldPass: JitPass = {
  name: "foldScalings",
  run: (p, shapeOf) => {
    const f = foldScalings(p.steps, p.outs, shapeOf, p.slots);
    return { ...p, steps: f.steps, slots: f.slots };
  },
};

/** Products of a matrix with its own transpose computed as one triangle. */
const gramPass: JitPass = {
  name: "symmetricProducts",
  run: (p, shapeOf) => ({ ...p, steps: symmetricProducts(p.steps, shapeOf) }),
};

/** Sums of matrix products (a recurrent weight's cotangent over its steps) as one GEMM. */
const productSumsPass: JitPass = {
  name: "productSums",
  run: (p, shapeOf) => {
    // Counted only if some part has a candidate sum (a walk over a 10⁶-step program).
    let reads: Int32Array | null = null;
    const counts = (): Int32Array => (reads ??= readCounts(p.steps, p.outs));
    let slots = p.slots;
    const q = partwise(p, (seg) => {
      const r = productSums(seg, shapeOf, counts, slots);
      slots = r.slots;
      return r.steps;
    });
    return { ...q, slots };
  },
};

/** X·v → entrywise steps → Xᵀ·r in one pass over the rows of X. */
const rowBlocksPass: JitPass = {
  name: "fuseRowBlocks",
  run: (p, shapeOf) => partwise(p, (seg) => fuseRowBlocks(seg, shapeOf)),
};

/** Chains of entrywise steps in one loop (reads counted over the whole program). */
const chainsPass: JitPass = {
  name: "fuseChains",
  run: (p, shapeOf) => {
    if (!mayChain(p.steps, shapeOf)) return p;
    const reads = readCounts(p.steps, p.outs);
    return partwise(p, (seg) => fuseChains(seg, shapeOf, reads));
  },
};

/** Last: turns off the rewind of regions whose values are read after their close. */
const regionsPass: JitPass = {
  name: "checkRegions",
  run: (p) => {
    checkRegions(p.steps, p.outs);
    return p;
  },
};

/** What `jit` runs on a recording, in order. @internal */
export const JIT_PASSES: readonly JitPass[] = [lowerTrianglePass, foldPass, gramPass, productSumsPass, rowBlocksPass, chainsPass, regionsPass];

/**
 * What `jitLinearize` runs. Its program has two parts run at different times (the primal
 * once per point, the tangent per J·t), so only passes that work part by part apply:
 * row-block and chain fusion (run on each part), and the region check. foldScalings and
 * symmetricProducts rewrite across any distance in the program and would move work between
 * the parts; lowerTriangle acts on the marks only a chunked Hessian (jacobian) records,
 * which a linearization has none of.
 * @internal
 */
export const LINEARIZE_PASSES: readonly JitPass[] = [rowBlocksPass, chainsPass, regionsPass];

/** Verification after every pass; tests turn it on (it costs a shape rule per step). @internal */
export const jitDebug = { verify: false };

/**
 * Runs `passes` over a recorded program: dead steps out first, then each pass with the
 * shapes derived from the program it gets and dead steps dropped after it. @internal
 */
export function runPasses(passes: readonly JitPass[], program: Staged, inShapes: readonly Shape[]): Staged {
  let p = prune(program);
  if (jitDebug.verify) verifyProgram(p, inShapes, "recording");
  for (const pass of passes) {
    let table: ((r: Ref) => Shape) | null = null;
    const steps = p.steps;
    const out = pass.run(p, (r) => (table ??= shapeTable(steps, inShapes))(r));
    // A pass that changed nothing leaves nothing dead: a 10⁶-step program skips a liveness walk.
    p = unchanged(p, out) ? out : prune(out);
    if (jitDebug.verify) verifyProgram(p, inShapes, pass.name);
  }
  return p;
}

/** Whether `b` has the same steps (the same objects, in order), results and split as `a`. */
function unchanged(a: Staged, b: Staged): boolean {
  if (a.split !== b.split || a.steps.length !== b.steps.length || a.outs.length !== b.outs.length) return false;
  for (let k = 0; k < a.steps.length; k++) if (a.steps[k] !== b.steps[k]) return false;
  for (let i = 0; i < a.outs.length; i++) if (a.outs[i] !== b.outs[i]) return false;
  return true;
}

function prune(p: Staged): Staged {
  const live = liveSteps(p.steps, p.outs, p.split);
  return { ...p, steps: live.steps, split: live.split };
}
