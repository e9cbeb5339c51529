// deflate-node.ts: node:zlib for permessage-deflate (ts/ws/deflate.ts),
// installed by the Node entry only: the browser entry offers no compression.
// node:zlib loads with the first compressed message (shim/builtins.ts).
import { nodeZlib } from "../../shim/builtins";
import { setWsZlib } from "./deflate";

const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);

setWsZlib({
  deflate(data, windowBits, dict) {
    // A sync flush ends the message on a byte boundary with 00 00 ff ff
    // (RFC 7692 7.2.1), which the wire format leaves out.
    const z = nodeZlib();
    const out = z.deflateRawSync(data, { windowBits, finishFlush: z.constants.Z_SYNC_FLUSH, ...(dict?.length ? { dictionary: dict } : {}) });
    return out.subarray(0, out.length - 4);
  },
  inflate(data, dict, max) {
    const input = new Uint8Array(data.length + 4);
    input.set(data);
    input.set(TAIL, data.length);
    // maxOutputLength stops a zip bomb inside zlib, before the memory is used.
    const z = nodeZlib();
    return z.inflateRawSync(input, { finishFlush: z.constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, max), ...(dict?.length ? { dictionary: dict } : {}) });
  },
});
