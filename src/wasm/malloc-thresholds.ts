// Large results' storage and glibc's heap trimming (Node on Linux).
//
// Every result the user keeps gets fresh JavaScript storage (an ArrayBuffer from the C heap; see
// jsStorage in core/tensor.ts). glibc serves blocks of at least M_MMAP_THRESHOLD (128 KiB at
// start) by mmap and unmaps them when freed; smaller ones come from the heap, whose top goes back
// to the kernel once more than M_TRIM_THRESHOLD (twice the former) lies free there. So a call
// that returns a result of a few MB, repeated, gets fresh pages each time V8's collector has
// freed the earlier results: the jit of an MLP Hessian (a 1.5 MB result) took 360–390 page faults
// a call, ~10 µs each on a Firecracker guest, about a third of its time (bench/NOTES.md,
// "Session 26").
//
// glibc raises both thresholds by itself when it frees an mmapped block larger than the current
// threshold (mallopt(3), "dynamic mmap threshold"): to that block's size and twice that, for
// blocks up to 32 MiB on 64-bit hosts. Which results a process happens to free first then
// decides whether its repeated calls fault. Allocating one untouched 31 MiB block and dropping
// it sets the thresholds once, at the first runtime: results up to 31 MiB come from the heap and
// up to 62 MiB of free heap stays mapped for the next ones (V8 frees results in batches, after
// tens of MB of them; with 16 MiB, and so 32 MiB kept, a Jacobian with a 0.8 MB result still
// faulted its pages in most processes). Elsewhere (other C libraries, other systems) it is a
// short-lived allocation of memory nothing touches.

/**
 * The block dropped to raise the thresholds: just under glibc's 32 MiB cap on the dynamic
 * threshold (the mapped block, its header included, must not exceed the cap).
 */
const PRIMER_BYTES = 31 << 20;

let primed = false;

/**
 * Once per process, in Node on Linux: allocates and drops a 31 MiB ArrayBuffer, so that
 * glibc's dynamic mmap and trim thresholds rise when the collector frees it. @internal
 */
export function raiseMallocThresholds(): void {
  if (primed) return;
  primed = true;
  const proc = (globalThis as { process?: { platform?: string; versions?: { node?: string } } }).process;
  if (proc?.platform !== "linux" || proc.versions?.node === undefined) return;
  try {
    // Never written: calloc's mmapped block stays untouched (no page is faulted in).
    void new ArrayBuffer(PRIMER_BYTES);
  } catch {
    // A host that refuses 31 MiB (a memory limit) only loses the speed-up.
  }
}
