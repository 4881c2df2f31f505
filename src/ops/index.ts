// Registers the ops as Tensor methods, then re-exports them.
import * as api from "./api.js";
import { registerOps, type TensorOps } from "../core/tensor.js";

registerOps(api satisfies TensorOps);

export * from "./api.js";
