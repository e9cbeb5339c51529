// node-util.ts: the Node platform's versions of the core's hashes, CRC-32
// and base64 encoder (see ts/util-accel.ts for when they are used).
// node:crypto and node:zlib load on the first large input (shim/builtins.ts).
import { nodeCrypto, nodeZlib } from "./builtins";
import type { UtilAccel } from "./util-accel";

type Bytes = string | Uint8Array;
type Crc32 = (d: Bytes, initial: number) => number;
const digest = (alg: string, d: Bytes): Uint8Array => new Uint8Array(nodeCrypto().createHash(alg).update(d).digest());
let zlibCrc32: Crc32 | null | undefined; // null: this zlib has none (Node < 20.15)

/** node:crypto, Buffer and (Node >= 20.15) zlib.crc32. */
export const nodeUtilAccel: UtilAccel = {
  md5: (d) => digest("md5", d),
  sha1: (d) => digest("sha1", d),
  sha256: (d) => digest("sha256", d),
  hmacSha256: (k, d) => new Uint8Array(nodeCrypto().createHmac("sha256", k).update(d).digest()),
  base64Encode: (d) => (typeof d === "string" ? Buffer.from(d, "utf8") : Buffer.from(d.buffer, d.byteOffset, d.byteLength)).toString("base64"),
  // A getter: whether zlib has crc32 is known only once zlib is loaded.
  get crc32(): Crc32 | undefined {
    if (zlibCrc32 === undefined) {
      const f = (nodeZlib() as { crc32?: (d: Bytes, initial?: number) => number }).crc32;
      zlibCrc32 = typeof f === "function" ? (d, initial) => f(d, initial) : null;
    }
    return zlibCrc32 ?? undefined;
  },
};
