// The one seeded generator behind randn and the optimizers' probe vectors (and the tests'
// data): mulberry32, small, fast and reproducible across hosts; ample for test data and random
// directions, not for cryptography or statistics.

/** Uniform [0, 1) generator (mulberry32) from a 32-bit seed. @internal */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
