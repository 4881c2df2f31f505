// An arena session spanning many evaluations of one optimization run.
//
// Every top-level matcalc call opens an arena scope, copies each JS-owned input it touches
// into the arena (for a least-squares or logistic objective, the whole data matrix) and
// copies its results back out when the scope closes. An optimizer makes hundreds of such
// calls with the same captured constants, so a run keeps one scope open across evaluations:
// inside it, the transforms run as nested calls, constants are copied in once, and results
// are read from the arena directly (the Objective copies what it needs into its own
// Float64Arrays before returning). The scope is released whenever it has grown past a budget,
// and before any user code other than f runs (the callback), so user-visible tensors are
// never arena-backed. Objects that hold arena memory across evaluations (HVP operators,
// J·v / Jᵀ·u operators) record the generation they were built in and rebuild themselves
// after a release.
import { rt } from "../wasm/module.js";
import type { Arena } from "../wasm/arena.js";

/** Bytes a session may hold before it is released (at least this, or 3× one evaluation). */
const MIN_BUDGET = 32 * 2 ** 20;

export class Session {
  private arena: Arena | null = null;
  private budget = MIN_BUDGET;
  private sized = false;
  /** Bumps at every release; arena-backed objects from older generations are invalid. */
  generation = 0;

  /**
   * Runs one evaluation inside the session. Whatever it leaves in the arena stays valid at
   * least until the next call: an over-budget session is released at the start of a call,
   * never at its end. `fn` must copy out the values it needs, except objects that check
   * {@link generation}.
   */
  run<T>(fn: () => T): T {
    if (this.arena && this.arena.used > this.budget) this.close();
    if (!this.arena) {
      const arena = rt().arena;
      // Already inside someone's scope (minimize called from a transform): no session.
      if (arena.active) return fn();
      arena.enter();
      this.arena = arena;
    }
    let ok = false;
    try {
      const out = fn();
      ok = true;
      return out;
    } finally {
      if (!ok) this.close();
      else if (!this.sized && this.arena) {
        this.sized = true;
        this.budget = Math.max(MIN_BUDGET, 3 * this.arena.used);
      }
    }
  }

  /** Releases the arena (at the end of a run, on errors, and before user callbacks). */
  close(): void {
    if (!this.arena) return;
    const arena = this.arena;
    this.arena = null;
    this.generation++;
    arena.exit();
  }
}
