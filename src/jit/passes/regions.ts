// Memory regions of recorded programs: the arena memory a jacobian chunk used, given back
// before the next chunk runs.
//
// Run eagerly, jacobian copies each chunk's block of columns out and rewinds the arena, so a
// Hessian's working set is one chunk's values and stays in cache. A recording cannot do that
// while it records (it holds every value to the end), but its replay can: jacobian marks each
// chunk as a region (an open step before it, a close step after it), and at the close the
// replay frees everything the chunk allocated and moves its block down to where the chunk
// began. Later steps read the block through the close step's output. A region whose other
// values are still read after its close (a step that fusion or pruning moved, a result) is
// replayed without the rewind; see {@link checkRegions}.
//
// Why: with every chunk in fresh memory a Hessian's tangents stream from DRAM at each step;
// rewinding keeps them in cache (the MLP 20-20-1 Hessian, 441 × 441, on a 2 MiB L2).
import { slotOf, type Ref, type Step } from "../program.js";
import { regionClose_p, regionOpen_p, type RegionParams } from "../../ops/markers.js";

/**
 * Turns off the rewind of every region some value of which is read after its close (by a
 * later step or as a result): the replay must not free memory that is still read. Values
 * belong to the innermost region open when they are made.
 */
export function checkRegions(steps: readonly Step[], results: readonly Ref[]): void {
  if (!steps.some((s) => s.prim === regionOpen_p || s.prim === regionClose_p)) return;
  const owner = new Map<number, RegionParams>();
  const open: RegionParams[] = [];
  const closed = new Set<RegionParams>();
  const read = (r: Ref): void => {
    if (r.kind !== "slot") return;
    const p = owner.get(r.i);
    if (p !== undefined && closed.has(p)) p.rewind = false;
  };
  for (const s of steps) {
    if (s.prim === regionOpen_p) {
      open.push(s.params as RegionParams);
      continue;
    }
    s.args.forEach(read);
    if (s.prim === regionClose_p) {
      const p = s.params as RegionParams;
      const i = open.lastIndexOf(p);
      // A close without its open (or out of order) cannot rewind safely.
      if (i < 0 || i !== open.length - 1) p.rewind = false;
      if (i >= 0) open.splice(i, 1);
      closed.add(p);
    }
    // A close's output (the block) belongs to the region around it, if any.
    const region = open[open.length - 1];
    for (let j = 0; j < s.nOut; j++) if (region !== undefined) owner.set(slotOf(s, j), region);
  }
  // Still open at the end: nothing closes them, so nothing rewinds.
  for (const p of open) p.rewind = false;
  results.forEach(read);
}
