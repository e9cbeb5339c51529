// Shared by the bench servers: the payloads every server answers with, and
// the IPC protocol run.mjs speaks to each server child process.
//
// A server child is started with fork(); once listening it sends
// { type: "ready", port }. It answers { type: "mem" } with its memory use
// (after two GCs when started with --expose-gc) and exits on { type: "stop" }
// or when the parent goes away.

/** Body of the hello-world case. */
export const HELLO = Buffer.from("Hello, World!");
/** Body of the large-response case (100 KiB of printable bytes). */
export const BIG = Buffer.alloc(100 * 1024, "0123456789abcdef");
/** Body answered to an upload once it has been received completely. */
export const UPLOADED = Buffer.from("ok");

/** Reports readiness (with a note for the report) and serves memory/stop requests. */
export function serveIpc(port, stop, note = "") {
  const send = (msg) => { if (process.connected) process.send(msg); };
  process.on("message", async (msg) => {
    if (msg?.type === "mem") {
      if (typeof globalThis.gc === "function") { globalThis.gc(); globalThis.gc(); }
      const m = process.memoryUsage();
      send({ type: "mem", rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
    } else if (msg?.type === "stop") {
      await stop();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", port, note });
}
