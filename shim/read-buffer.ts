// read-buffer.ts: where the libuv-handle transport reads (useUserBuffer).
// Every handle reads into one shared buffer, one read at a time, and the
// bytes are handed on before the next read. By default that buffer is the
// transport's own 64 KiB; once a Manager offers the core's read area
// (Network.readArea), sockets read straight into linear memory and the
// core takes the bytes from there: no view and no copy in JavaScript.
import type { TcpHandle } from "./uv";

/** Size of the transport's own read buffer (as libuv's default read size). */
const READ_SIZE = 64 * 1024;

/** The buffer handles read into, and a plain view of it (builtin subarray(), not Buffer's JS). */
export let readBuffer: Buffer | undefined;
export let readView: Uint8Array;
/** Reads land in the core's read area: report them with events.dataAt. */
export let readsInCore = false;
/** Handles reading into readBuffer: renewed when it changes. */
const readers = new Set<TcpHandle>();

/** Make `handle` read into the shared buffer (created on first use). */
export function readIntoShared(handle: TcpHandle): void {
  if (readBuffer === undefined) {
    readBuffer = Buffer.allocUnsafeSlow(READ_SIZE);
    readView = new Uint8Array(readBuffer.buffer, readBuffer.byteOffset, READ_SIZE);
  }
  handle.useUserBuffer(readBuffer);
  readers.add(handle);
}

/** `handle` is closed (or handed to node:tls for a handshake): not renewed any more. */
export function forgetReader(handle: TcpHandle): void {
  readers.delete(handle);
}

/**
 * Read into `area` from now on (the core's read area, a view of linear
 * memory; given again, as a fresh view, whenever memory grows: the memory
 * may have moved, so every live handle is pointed at it again).
 */
export function setReadArea(area: Uint8Array): void {
  if (readView === area) return;
  readBuffer = Buffer.from(area.buffer, area.byteOffset, area.byteLength);
  readView = area;
  readsInCore = true;
  for (const h of readers) h.useUserBuffer(readBuffer);
}
