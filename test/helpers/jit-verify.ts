// Every test run checks the jit's programs after every pass (verifyProgram, src/jit/pipeline.ts):
// a pass that breaks an invariant fails the test that recorded the program, naming the pass.
// Not in BENCH runs (see vitest.config.ts): it costs a shape rule per step.
import { jitDebug } from "../../src/jit/pipeline.js";

jitDebug.verify = true;
