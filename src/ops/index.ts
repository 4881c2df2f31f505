// Registers the ops as Tensor methods, then re-exports them.
import * as api from "./api.js";
import { registerOps } from "../tensor.js";

registerOps(api);

export * from "./api.js";
