// One module, one linear memory. Every export takes raw byte pointers into that memory,
// element counts and strides (in elements), and writes into an `out` the caller allocated:
// no kernel allocates, and no managed object exists (built with --runtime stub).
// The arena allocator lives in JavaScript (src/wasm/arena.ts); kernels that need scratch
// space use static `memory.data` blocks, which sit below __heap_base.
//
// Storage is column-major throughout: element (i, j) of an m×n matrix with leading
// dimension ld sits at ptr + 8·(i + j·ld).
export * from "./layout";
export * from "./blas";
export * from "./vec";
export * from "./gemm";
export * from "./elementwise";
export * from "./reduce";
export * from "./transpose";
export * from "./kron";
export * from "./trsm";
export * from "./lu";
export * from "./cholesky";
export * from "./eigh";
