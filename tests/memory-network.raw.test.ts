// The memory network on its own, driven through the Network interface with a
// recording NetworkEvents (no WASM core): ordering, backpressure, close and
// error semantics that the Manager relies on.
import { memoryNetwork, MemoryNetwork } from "../shim/memory";
import type { Endpoint, NetworkEvents } from "../shim/network";
import { ListenError } from "../ts/core/errors";

type Rec = [string, number, ...unknown[]];

/** A NetworkEvents that records every call and accepts with ids from `nextId`. */
class Recorder implements NetworkEvents {
  log: Rec[] = [];
  bytes = new Map<number, number[]>();
  nextId = 1000;
  refuse = false;
  onData?: (id: number, chunk: Uint8Array) => void;
  constructor(private net: MemoryNetwork) {}
  accepted(listenerId: number, socket: unknown): number {
    if (this.refuse) { this.log.push(["accepted", listenerId, 0]); return 0; }
    const id = this.nextId++;
    this.net.adopt(id, socket);
    this.log.push(["accepted", listenerId, id]);
    return id;
  }
  resolved(id: number): void { this.log.push(["resolved", id]); }
  connected(id: number): void { this.log.push(["connected", id]); }
  data(id: number, chunk: Uint8Array): void {
    this.log.push(["data", id, chunk.length]);
    const got = this.bytes.get(id) ?? [];
    got.push(...chunk);
    this.bytes.set(id, got);
    this.onData?.(id, chunk);
  }
  writable(id: number): void { this.log.push(["writable", id]); }
  ended(id: number): void { this.log.push(["ended", id]); }
  error(id: number, err: Error): void { this.log.push(["error", id, (err as Error & { code?: string }).code]); }
  names(id: number): string[] { return this.log.filter((r) => r[1] === id).map((r) => r[0]); }
  text(id: number): string { return Buffer.from(this.bytes.get(id) ?? []).toString(); }
}

const ep = (scheme: string, host: string, port = 0): Endpoint => ({ scheme, host, port });
/** Lets every queued network task (and the ones they queue) run. */
const settle = async (rounds = 5): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

/** A listener (id 1) on mem://app and a connected client (id 2); the server side gets id 1000. */
async function pair(net = memoryNetwork()) {
  const server = new Recorder(net);
  const client = new Recorder(net);
  net.listen(1, ep("mem", "app"), server);
  net.connect(2, ep("mem", "app"), client);
  await settle();
  return { net, server, client };
}

test("connect: resolved, accepted, connected in that order; addresses are {name, port, family mem}", async () => {
  const { net, server, client } = await pair();
  expect(client.log).toEqual([["resolved", 2], ["connected", 2]]);
  expect(server.log).toEqual([["accepted", 1, 1000]]);
  expect(net.localAddr(1)).toEqual({ address: "app", port: 0, family: "mem" });
  expect(net.remoteAddr(2)).toEqual({ address: "app", port: 0, family: "mem" });
  const clientLocal = net.localAddr(2)!;
  expect(clientLocal.family).toBe("mem");
  expect(net.remoteAddr(1000)).toEqual(clientLocal);
});

test("bytes arrive asynchronously, in order, coalesced", async () => {
  const { net, server, client } = await pair();
  expect(net.send(2, Buffer.from("GET / HT"))).toBe(8);
  expect(net.send(2, Buffer.from("TP/1.1\r\n\r\n"))).toBe(10);
  expect(server.names(1000)).toEqual([]);          // not synchronous
  await settle();
  expect(server.text(1000)).toBe("GET / HTTP/1.1\r\n\r\n");
  expect(server.log.filter((r) => r[0] === "data")).toEqual([["data", 1000, 18]]);
  net.send(1000, Buffer.from("pong"));
  await settle();
  expect(client.text(2)).toBe("pong");
});

test("send copies the caller's buffer", async () => {
  const { net, server } = await pair();
  const buf = Buffer.from("abc");
  net.send(2, buf);
  buf.fill(0x7a);
  await settle();
  expect(server.text(1000)).toBe("abc");
});

test("backpressure: send takes up to the window, writable fires once the reader has read", async () => {
  const { net, server, client } = await pair(memoryNetwork({ windowBytes: 1000 }));
  net.pause(1000, true);
  expect(net.send(2, new Uint8Array(1500))).toBe(1000);
  expect(net.send(2, new Uint8Array(10))).toBe(0);
  await settle();
  expect(server.names(1000)).toEqual([]);           // paused: nothing delivered
  expect(client.names(2)).not.toContain("writable");
  net.pause(1000, false);
  await settle();
  expect(server.log.filter((r) => r[0] === "data")).toEqual([["data", 1000, 1000]]);
  expect(client.log.filter((r) => r[0] === "writable")).toEqual([["writable", 2]]);
  expect(net.send(2, new Uint8Array(500))).toBe(500);
  await settle();
  expect(server.bytes.get(1000)!.length).toBe(1500);
});

test("pause from inside a data callback holds the rest back until resume", async () => {
  const { net, server } = await pair();
  server.onData = (id) => net.pause(id, true);
  net.send(2, Buffer.from("one"));
  await settle();
  net.send(2, Buffer.from("two"));
  await settle();
  expect(server.text(1000)).toBe("one");
  server.onData = undefined;
  net.pause(1000, false);
  await settle();
  expect(server.text(1000)).toBe("onetwo");
});

test("a 1 MB transfer through a 64 KiB window arrives complete and in order", async () => {
  const { net, server, client } = await pair();
  const total = 1 << 20;
  const payload = new Uint8Array(total).map((_, i) => (i * 7) & 0xff);
  let sent = 0;
  const pump = () => { while (sent < total) { const n = net.send(2, payload.subarray(sent)); sent += n; if (n === 0) break; } };
  client.writable = (id: number) => { client.log.push(["writable", id]); pump(); };
  pump();
  for (let i = 0; i < 200 && (server.bytes.get(1000)?.length ?? 0) < total; i++) await settle(1);
  const got = Uint8Array.from(server.bytes.get(1000)!);
  expect(got.length).toBe(total);
  expect(Buffer.compare(Buffer.from(got), Buffer.from(payload))).toBe(0);
  expect(client.log.filter((r) => r[0] === "writable").length).toBeGreaterThanOrEqual(15);
});

test("graceful close: the peer gets the remaining bytes, then ended; nothing after close", async () => {
  const { net, server, client } = await pair();
  net.pause(2, true);
  net.send(1000, Buffer.from("last words"));
  net.close(1000, false);
  await settle();
  expect(client.names(2)).toEqual(["resolved", "connected"]);   // paused: neither data nor EOF yet
  net.pause(2, false);
  await settle();
  expect(client.text(2)).toBe("last words");
  expect(client.names(2).slice(-2)).toEqual(["data", "ended"]);
  expect(net.send(2, Buffer.from("into the void"))).toBe(13);  // discarded, not an error
  net.close(1000, false);                                      // idempotent
  await settle();
  expect(server.names(1000)).toEqual([]);
  expect(net.localAddr(1000)).toBeUndefined();
});

test("forced close: the peer gets ended at once and unread bytes are dropped", async () => {
  const { net, client } = await pair();
  net.pause(2, true);
  net.send(1000, Buffer.from("never read"));
  net.close(1000, true);
  await settle();
  expect(client.names(2)).toEqual(["resolved", "connected", "ended"]);
  expect(client.text(2)).toBe("");
});

test("closing the reader wakes a writer that was held back", async () => {
  const { net, server, client } = await pair(memoryNetwork({ windowBytes: 10 }));
  net.pause(1000, true);
  expect(net.send(2, new Uint8Array(20))).toBe(10);
  net.close(1000, false);
  await settle();
  expect(client.names(2)).toEqual(["resolved", "connected", "writable", "ended"]);
  expect(net.send(2, new Uint8Array(10))).toBe(10);
  expect(server.names(1000)).toEqual([]);
});

test("connect to a missing listener fails with ECONNREFUSED", async () => {
  const net = memoryNetwork();
  const client = new Recorder(net);
  net.connect(7, ep("mem", "nobody"), client);
  await settle();
  expect(client.log).toEqual([["resolved", 7], ["error", 7, "ECONNREFUSED"]]);
  net.close(7, true);
});

test("connect after the listener closed is refused; a refused accept ends the client", async () => {
  const net = memoryNetwork();
  const server = new Recorder(net);
  const client = new Recorder(net);
  net.listen(1, ep("mem", "app"), server);
  server.refuse = true;
  net.connect(2, ep("mem", "app"), client);
  await settle();
  expect(client.log).toEqual([["resolved", 2], ["connected", 2], ["ended", 2]]);
  net.close(1, false);
  net.connect(3, ep("mem", "app"), client);
  await settle();
  expect(client.names(3)).toEqual(["resolved", "error"]);
});

test("http/tcp endpoints use host:port; port 0 allocates; duplicates are EADDRINUSE", async () => {
  const net = memoryNetwork();
  const server = new Recorder(net);
  const client = new Recorder(net);
  expect(net.listen(1, ep("http", "App", 80), server)).toEqual({ address: "app", port: 80, family: "mem" });
  const any = net.listen(2, ep("tcp", "app", 0), server);
  expect(any.port).toBeGreaterThan(0);
  expect(any.port).not.toBe(80);
  expect(() => net.listen(3, ep("http", "app", 80), server)).toThrow(ListenError);
  expect(() => net.listen(3, ep("http", "app", 80), server)).toThrow(expect.objectContaining({ code: "EADDRINUSE", errno: undefined })); // no system numbers here
  // udp:// ports are a namespace of their own (memory-udp.ts): no clash with tcp://app:9.
  expect(net.listen(4, ep("udp", "app", 9), server)).toEqual({ address: "app", port: 9, family: "mem" });
  expect(() => net.listen(5, ep("mem", "", 0), server)).toThrow(TypeError);
  net.connect(10, ep("http", "app", 80), client);
  net.connect(11, ep("tcp", "app", any.port), client);
  net.connect(12, ep("http", "app", 81), client);
  await settle();
  expect(client.names(10)).toEqual(["resolved", "connected"]);
  expect(client.names(11)).toEqual(["resolved", "connected"]);
  expect(client.names(12)).toEqual(["resolved", "error"]);
  expect(net.listening.sort()).toEqual([`app:${any.port}`, "app:80"].sort());
});

test("two networks are separate address spaces", async () => {
  const a = memoryNetwork();
  const b = memoryNetwork();
  const server = new Recorder(a);
  const client = new Recorder(b);
  a.listen(1, ep("mem", "app"), server);
  b.connect(2, ep("mem", "app"), client);
  await settle();
  expect(client.names(2)).toEqual(["resolved", "error"]);
});

test("bad options are RangeErrors naming the value", () => {
  expect(() => memoryNetwork({ windowBytes: 0 })).toThrow(RangeError);
  expect(() => memoryNetwork({ windowBytes: 1.5 })).toThrow(/1\.5/);
});

test("adopt rejects a foreign socket", () => {
  const net = memoryNetwork();
  expect(() => net.adopt(5, {})).toThrow(TypeError);
});
