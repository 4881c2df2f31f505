// Markers: primitives that transforms put in a computation for jit's passes to act on. Run
// eagerly they do nothing (or almost: mirrorUpper mirrors), recorded they tell a pass what it
// may do. jacobian emits all of them; this module sits below both (it imports only the core
// and the kernel runtime), so the transforms never import the jit and the jit's program IR
// (program.ts) can name them.
//
// - regionOpen / regionClose: a jacobian chunk, whose arena memory the replay gives back at
//   the close (see regions.ts).
// - demandRows / mirrorUpper: a chunked Hessian computed on and below the diagonal only (see
//   triangle.ts).
import { primitive, replayPrimitive, type Primitive } from "../core/primitive.js";
import { Tensor, allocTensor, ptrOf, withShape } from "../core/tensor.js";
import { ShapeError } from "../errors.js";
import { rt } from "../wasm/module.js";
import { tapeCopy } from "../wasm/tape.js";
import { copyRun } from "../wasm/memruns.js";
import { mirrorTriangle } from "../core/exec.js";

/** Shared by a region's open and close steps: the arena mark, and whether to rewind to it. */
export interface RegionParams {
  mark: number;
  rewind: boolean;
  /**
   * Set by jit's replay for a chunk it tapes into a tape region (src/jit/jit.ts): the chunk
   * runs below the arena's top, in memory the region's last chunk gave back (Arena.retire), so
   * the close moves the top back to the mark instead of rewinding (which would release
   * everything above the mark, the caller's own chunks' blocks included).
   */
  inRegion?: boolean;
}

/** Takes the arena mark the region's close rewinds to. */
export const regionOpen_p: Primitive<RegionParams> = replayPrimitive<RegionParams>("regionOpen", (_args, p) => {
  p.mark = rt().arena.mark();
  return [];
});

/**
 * Frees everything the region allocated except its block, which moves down to the region's
 * start (a memmove within the arena: no copy out to JS and back in for the steps that read it).
 */
export const regionClose_p: Primitive<RegionParams> = replayPrimitive<RegionParams>("regionClose", ([block], p) => {
  const t = block!;
  if (!p.rewind) return [t];
  const arena = rt().arena;
  const back = (): void => (p.inRegion === true ? arena.moveTop(p.mark) : arena.rewind(p.mark));
  // JS-owned, or made before the region: the rewind leaves it valid.
  if (t._buf !== null || !arena.live(t._epoch, t._ptr) || t._ptr < p.mark) {
    back();
    return [t];
  }
  back();
  return [moveDown(t)];
});

/**
 * A copy of arena block `t` at the arena's top, which the caller has just rewound to at or
 * below `t` (so the copy lies below or on it: a memmove within the arena). A taped chunk's move
 * is a copy on its tape; `t`'s memory stays allocated until the tape runs. @internal
 */
export function moveDown(t: Tensor): Tensor {
  const src = t._ptr;
  const moved = allocTensor(t.shape, "jacobian");
  if (!tapeCopy(moved._ptr, src, t.size)) copyRun(rt().arena.f64Range(moved._ptr, src + 8 * t.size), moved._ptr / 8, src / 8, t.size);
  return moved;
}

export interface DemandParams {
  /** The first row of the block the Hessian needs (the chunk's first column). */
  first: number;
}

/**
 * Marks a Hessian chunk's block (rows × directions) as needed from row `first` down. The
 * value is the block itself; the pass below reads the mark and removes the step.
 */
export const demandRows_p: Primitive<DemandParams> = primitive<DemandParams>({
  name: "demandRows",
  marker: true,
  shape: ([s]) => [s!],
  impl: ([t]) => [withShape(t!, t!.shape)],
  jvp: () => {
    throw new Error("matcalc: internal: demandRows is only recorded by jit, never traced");
  },
});

type NoParams = Record<string, never>;

/**
 * The n × n Hessian with entry (i, j) set to entry (j, i) above the diagonal, i < j: rows above
 * a chunk's first column are what its narrowed products left unwritten, and the rest makes the
 * result exactly symmetric (as computed, the two triangles of a chunk's diagonal block differ
 * by rounding).
 */
export const mirrorUpper_p: Primitive<NoParams> = primitive<NoParams>({
  name: "mirrorUpper",
  marker: true,
  shape: ([s]) => {
    if (s!.length !== 2 || s![0] !== s![1]) throw new ShapeError("hessian", "internal: the Hessian is not square", [s!]);
    return [s!];
  },
  impl: ([h]) => {
    const t = h!;
    // The block concat made for this step alone (read by nothing else): mirrored in place.
    let out: Tensor;
    if (t._buf === null) out = withShape(t, t.shape);
    else {
      out = allocTensor(t.shape, "hessian");
      rt().arena.f64Fresh().set(t._buf, out._ptr / 8);
    }
    mirrorTriangle(ptrOf(out), t.shape[0]!, "lower");
    return [out];
  },
  jvp: () => {
    throw new Error("matcalc: internal: mirrorUpper is only recorded by jit, never traced");
  },
});

