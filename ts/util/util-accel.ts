// util-accel.ts: where the platform computes the same result faster. In
// Node, node:crypto, zlib and Buffer use native (SIMD) code, which beats the
// core's portable C once an input is more than a few hundred bytes; below
// that, the cost of creating a hash object makes the core faster. So the
// Node entry installs its functions here (shim/node-util.ts) and the facade
// uses them for inputs of at least ACCEL_MIN bytes. The results are
// identical (tests/util.test.ts checks both paths); the browser, which has
// no synchronous hashing, always uses the core. TSMONGOOSE_UTIL_ACCEL=0
// keeps everything in the core.
import type { Bytes } from "../core/core";
import type { UtilAccel } from "../../shim/util-accel";
export type { UtilAccel };

/** Inputs from this many bytes (string length for strings) go to the platform. */
export const ACCEL_MIN = 512;

let installed: UtilAccel | undefined;

/** The installed accelerator, if any. */
export function accel(): UtilAccel | undefined {
  return installed;
}

/** Install (or remove) the platform functions. */
export function setUtilAccel(a: UtilAccel | undefined): void {
  installed = a;
}

/** Whether `d` is big enough for the platform's version to pay off. */
export function large(d: Bytes): boolean {
  return (typeof d === "string" ? d.length : d.byteLength) >= ACCEL_MIN;
}
