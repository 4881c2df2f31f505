// How column strides meet the L1 data cache, for the kernels that read several columns of a
// column-major matrix in step (gemm's in-place A, trsm's right-side leaves, gemv's tiles).
// This machine's L1d: 64 sets of 64-byte lines, 12 ways; x86 cores of the last years have
// 32–48 KiB, 8–12 ways, and the same 64 sets (4 KiB a way). Columns a multiple of 4 KiB apart
// all fall into one set; 2 KiB apart, into two. Imported only (not a wasm export).

/** Ways of each L1 set. */
const L1_WAYS = 12;

/**
 * How many of the L1's 64 sets columns `ld` entries apart fall into: 64 / gcd(ld / 8, 64) lines
 * apart; 64 (all) when they are not whole lines apart (the pieces spread over the sets).
 */
// @ts-ignore: decorator
@inline function l1SetsReached(ld: i32): i32 {
  if ((ld & 7) != 0) return 64;
  let g = 64; // gcd(ld / 8, 64): a power of two
  while (((ld >> 3) & (g - 1)) != 0) g >>= 1;
  return 64 / g;
}

/**
 * Whether columns `ld` entries apart land in at most 2 of the L1's sets: ld a multiple of 256,
 * a stride of 2 KiB or a multiple of it. A few dozen such columns read in step evict each other
 * before the next tile reads the rest of their lines (bench/NOTES.md, session 25).
 */
// @ts-ignore: decorator
@inline export function fewL1Sets(ld: i32): bool {
  return l1SetsReached(ld) <= 2;
}

/**
 * Whether `cols` column pieces lda·8 bytes apart crowd into so few L1 sets that a panel's pieces
 * evict each other before the next tile reads the rest of their lines. A stride of 2 KiB
 * reaches only 2 sets: then gemv's streaming sweep is faster, unless A is well inside L2
 * (bench/NOTES.md, "gemv kernels, register tiles").
 */
// @ts-ignore: decorator
@inline export function l1Aliased(lda: i32, cols: i32): bool {
  return l1SetsReached(lda) * L1_WAYS < cols;
}
