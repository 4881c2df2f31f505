// Types of dist/wasm/kernels-embedded.js, which scripts/build-wasm.mjs writes beside the
// binaries: the SIMD kernel binary in base64 (see kernel-files.ts).
export declare const SIMD_BASE64: string;
