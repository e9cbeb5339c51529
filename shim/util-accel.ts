// util-accel.ts: the contract of a platform's faster utilities (Node's are
// shim/node-util.ts; ts/util/util-accel.ts decides when to use them).

/** Bytes or a string (UTF-8), as the utilities take them. */
type Bytes = string | Uint8Array;

/** Platform implementations with the same results as the core's. */
export interface UtilAccel {
  md5(d: Bytes): Uint8Array;
  sha1(d: Bytes): Uint8Array;
  sha256(d: Bytes): Uint8Array;
  hmacSha256(key: Bytes, d: Bytes): Uint8Array;
  base64Encode(d: Bytes): string;
  crc32?(d: Bytes, initial: number): number;
}
