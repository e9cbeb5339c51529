// args.ts: the argument checks every public function uses, so that a bad
// argument always throws the way Node's own APIs do: a TypeError or RangeError
// with Node's `code` and a message naming the argument and the value received
// (`connect: The "timeoutMs" option must be >= 0. Received -5`).
//   ERR_INVALID_ARG_TYPE   TypeError   the wrong kind of value ("x" for a function)
//   ERR_INVALID_ARG_VALUE  TypeError   the right kind, unusable (a wildcard publish topic),
//                          RangeError  or a non-number where a number in a range belongs
//   ERR_OUT_OF_RANGE       RangeError  a number outside its range (-5 for a timeout)
import { TypeError, RangeError, describe } from "./errors";

/** `"timeoutMs"` -> `The "timeoutMs" argument`; `"opts.timeoutMs"` or `"tls.cert"` -> `The "..." option`. */
function label(name: string): string {
  if (name.startsWith("opts.")) return `The "${name.slice(5)}" option`;
  return name.includes(".") ? `The "${name}" option` : `The "${name}" argument`;
}

function text(op: string, name: string, must: string, value: unknown): string {
  return `${op ? op + ": " : ""}${label(name)} ${must}. Received ${describe(value)}`;
}

/** A TypeError (ERR_INVALID_ARG_TYPE): `name` must be `expected` ("a function", "an object"...). */
export function argTypeError(op: string, name: string, expected: string, value: unknown): Error {
  return new TypeError(text(op, name, `must be ${expected}`, value), { code: "ERR_INVALID_ARG_TYPE" });
}

/** A TypeError (ERR_INVALID_ARG_VALUE): `name` has the right type but `reason` ("must be ws:// or wss://"). */
export function argValueError(op: string, name: string, reason: string, value: unknown): Error {
  return new TypeError(text(op, name, reason, value), { code: "ERR_INVALID_ARG_VALUE" });
}

/** A RangeError (ERR_OUT_OF_RANGE): the number `name` must be `range` (">= 0", "an integer in 0..65535"). */
export function outOfRangeError(op: string, name: string, range: string, value: unknown): Error {
  return new RangeError(text(op, name, `must be ${range}`, value), { code: "ERR_OUT_OF_RANGE" });
}

/** Throw ERR_INVALID_ARG_TYPE unless `v` is a function. */
export function checkFunction(op: string, name: string, v: unknown): void {
  if (typeof v !== "function") throw argTypeError(op, name, "a function", v);
}

/** Throw ERR_INVALID_ARG_TYPE unless `v` is a non-null object. */
export function checkObject(op: string, name: string, v: unknown): void {
  if (v === null || typeof v !== "object") throw argTypeError(op, name, "an object", v);
}

/** Throw ERR_INVALID_ARG_TYPE unless `v` is a boolean (or undefined when optional). */
export function checkBoolean(op: string, name: string, v: unknown, optional = true): void {
  if (!(optional && v === undefined) && typeof v !== "boolean") throw argTypeError(op, name, "a boolean", v);
}

/**
 * Throw unless `v` is a number in [min, max] (an integer when `integer`):
 * a non-number is a RangeError ERR_INVALID_ARG_VALUE (the class these
 * checks always threw), a number outside the range ERR_OUT_OF_RANGE.
 */
export function checkNumber(op: string, name: string, v: unknown, min: number, max = Infinity, integer = false): number {
  const kind = integer ? "an integer" : "a finite number";
  const range = max === Infinity ? `${kind} >= ${min}` : `${kind} in ${min}..${max}`;
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new RangeError(text(op, name, `must be ${range}`, v), { code: "ERR_INVALID_ARG_VALUE" });
  }
  if (!(v >= min && v <= max) || (integer ? !Number.isInteger(v) : !Number.isFinite(v))) throw outOfRangeError(op, name, range, v);
  return v;
}
