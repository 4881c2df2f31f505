// Options are never ignored: every public function that takes an options object checks it
// here, so an unknown key (a typo, an option of another function) or a bad value is an
// OptionError naming the function, the key and the valid keys.
import { DTypeError, OptionError } from "./errors.js";

/** Checks one option's value; returns a description of what was expected when it is bad. */
export type OptionCheck = (value: unknown) => string | undefined;

/** The checks of every option a function takes, by key (a key mapped to `any` takes any value). */
export type OptionSpec = Readonly<Record<string, OptionCheck>>;

/**
 * Throws an OptionError when `opts` has a key that `spec` does not list, or a value that the
 * key's check refuses. `undefined` values pass (as an absent key). `opts` itself may be
 * undefined; anything else that is not a plain object is refused.
 */
export function checkOptions(op: string, opts: unknown, spec: OptionSpec): void {
  if (opts === undefined) return;
  const valid = Object.keys(spec).sort();
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new OptionError(op, "", `options must be an object, got ${describe(opts)}`, valid);
  }
  for (const key of Reflect.ownKeys(opts)) {
    const name = String(key);
    if (typeof key !== "string" || !Object.hasOwn(spec, key)) {
      throw new OptionError(op, name, `unknown option "${name}" (valid: ${valid.join(", ")})`, valid);
    }
    const value = (opts as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const expected = spec[key]!(value);
    if (expected !== undefined) {
      throw new OptionError(op, name, `option "${name}" must be ${expected}, got ${describe(value)}`, valid);
    }
  }
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "symbol") return value.toString();
  if (typeof value === "bigint") return `${value}n`;
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

// ---- checks ----

/** Any value. */
export const any: OptionCheck = () => undefined;
/** One of the given strings. */
export const oneOf = (...values: readonly string[]): OptionCheck => (v) =>
  typeof v === "string" && values.includes(v) ? undefined : `one of ${values.map((s) => `"${s}"`).join(", ")}`;
/** A boolean. */
export const bool: OptionCheck = (v) => (typeof v === "boolean" ? undefined : "a boolean");
/** A function. */
export const fn: OptionCheck = (v) => (typeof v === "function" ? undefined : "a function");
/** A finite number in [min, max] (ends included). */
export const finite = (min = -Infinity, max = Infinity): OptionCheck => (v) =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max
    ? undefined
    : `a finite number${range(min, max)}`;
/** A number ≥ 0 (Infinity allowed), as tolerances are. */
export const nonNegative: OptionCheck = (v) =>
  typeof v === "number" && v >= 0 ? undefined : "a number ≥ 0";
/** A positive integer (Infinity allowed when `infinite`), as iteration limits are. */
export const positiveInt = (infinite = false): OptionCheck => (v) =>
  typeof v === "number" && ((Number.isInteger(v) && v >= 1) || (infinite && v === Infinity))
    ? undefined
    : `a positive integer${infinite ? " or Infinity" : ""}`;
/** An integer ≥ 0 (Infinity allowed when `infinite`). */
export const nonNegativeInt = (infinite = false): OptionCheck => (v) =>
  typeof v === "number" && ((Number.isInteger(v) && v >= 0) || (infinite && v === Infinity))
    ? undefined
    : `an integer ≥ 0${infinite ? " or Infinity" : ""}`;
/** An AbortSignal (anything with a boolean `aborted` and `addEventListener`). */
export const signal: OptionCheck = (v) =>
  typeof v === "object" && v !== null && typeof (v as { aborted?: unknown }).aborted === "boolean"
    ? undefined
    : "an AbortSignal";
/** Passes when any of the checks passes. */
export const either = (...checks: readonly OptionCheck[]): OptionCheck => (v) => {
  const why: string[] = [];
  for (const c of checks) {
    const r = c(v);
    if (r === undefined) return undefined;
    why.push(r);
  }
  return why.join(" or ");
};

function range(min: number, max: number): string {
  if (min === -Infinity && max === Infinity) return "";
  if (max === Infinity) return ` ≥ ${min}`;
  if (min === -Infinity) return ` ≤ ${max}`;
  return ` in [${min}, ${max}]`;
}

/** Argument indices: an integer ≥ 0 or a non-empty array of them (`argnums`). */
export const argnums: OptionCheck = (v) =>
  (typeof v === "number" && Number.isInteger(v) && v >= 0) ||
  (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === "number" && Number.isInteger(a) && a >= 0))
    ? undefined
    : "an integer ≥ 0 or a non-empty array of them";

/**
 * Throws a DTypeError naming `op` unless `f` is a function: a transform given something else
 * fails when it is made, not later when the result is called.
 */
export function checkFunction(op: string, f: unknown, what = "f"): void {
  if (typeof f !== "function") throw new DTypeError(op, `${what} must be a function, got ${describe(f)}`);
}
