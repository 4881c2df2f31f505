export { init, simdSupported, usingSimd, type InitOptions } from "./wasm/module.js";
export * from "./errors.js";
