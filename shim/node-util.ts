// node-util.ts: the Node platform's versions of the core's hashes, CRC-32
// and base64 encoder (see ts/util-accel.ts for when they are used).
import { createHash, createHmac } from "node:crypto";
import * as zlib from "node:zlib";
import type { UtilAccel } from "./util-accel";

type Bytes = string | Uint8Array;
const digest = (alg: string, d: Bytes): Uint8Array => new Uint8Array(createHash(alg).update(d).digest());
const zlibCrc32 = (zlib as { crc32?: (d: Bytes, initial?: number) => number }).crc32;

/** node:crypto, Buffer and (Node >= 20.15) zlib.crc32. */
export const nodeUtilAccel: UtilAccel = {
  md5: (d) => digest("md5", d),
  sha1: (d) => digest("sha1", d),
  sha256: (d) => digest("sha256", d),
  hmacSha256: (k, d) => new Uint8Array(createHmac("sha256", k).update(d).digest()),
  base64Encode: (d) => (typeof d === "string" ? Buffer.from(d, "utf8") : Buffer.from(d.buffer, d.byteOffset, d.byteLength)).toString("base64"),
  crc32: typeof zlibCrc32 === "function" ? (d, initial) => zlibCrc32(d, initial) : undefined,
};
