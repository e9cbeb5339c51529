// cluster-bus.test.ts: the cluster message bus (clusterChannel() in workers,
// clusterRelay() in a plain node:cluster primary: tests/fixtures/cluster-bus.mjs).
// JSON and binary payloads round-trip with their types, a sender gets its own
// copy only with echo, the receiver learns the sender's worker id; a worker
// that stops reading makes the primary drop its copies (at most
// maxPendingBytes wait) instead of buffering, and it gets messages again once
// it reads; outside a relaying worker clusterChannel() throws a typed error.
import { join } from "node:path";
import { clusterBusAvailable, clusterChannel, clusterRelay, MongooseError, NODE_DEFAULTS } from "tsmongoose";
import { killAll, start } from "./helpers/fleet";

const ROOT = join(__dirname, "..");
const FIXTURE = join(ROOT, "tests", "fixtures", "cluster-bus.mjs");
afterEach(killAll);

function line(out: string, tag: string): Record<string, unknown> {
  const m = new RegExp(`^${tag} (.*)$`, "m").exec(out);
  if (!m) throw new Error(`no "${tag}" line in:\n${out}`);
  return JSON.parse(m[1]);
}

test("JSON and binary payloads round-trip; echo only when asked; the sender's id comes along", async () => {
  const p = start(FIXTURE, { MODE: "basic" }, ROOT);
  await p.waitFor(/^relay /m);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  const a = line(p.out(), "a") as { ids: number[]; got: unknown[] };
  const b = line(p.out(), "b") as { ids: number[]; got: unknown[] };
  const [ida, idb] = a.ids;
  expect(b.got).toEqual([
    { ch: "t", from: ida, type: "[object Object]", d: { n: 1, s: "x", nested: [9, 8], nestedType: "Uint8Array" } },
    { ch: "t", from: ida, type: "[object Uint8Array]", d: [0, 1, 255] },
    { ch: "e", from: ida, d: "echoed" },
  ]);
  // a sees its echo on "e" (echo: true) but not its own messages on "t".
  expect(a.got).toEqual([{ ch: "e", from: ida, d: "echoed" }, { ch: "t", from: idb, type: "[object String]", d: "done" }]);
  expect(line(p.out(), "relay")).toMatchObject({ received: 4, forwarded: 5, dropped: 0 });
});

test("a worker that stops reading: the primary drops its copies (bounded), and it receives again once it reads", async () => {
  const max = 1024 * 1024;
  const p = start(FIXTURE, { MODE: "flood", RELAY_MAX_PENDING: String(max), BLOCK_MS: "2000", FLOOD_MB: "64" }, ROOT);
  await p.waitFor(/^relay /m, 1, 40_000);
  expect(await p.exited).toEqual({ code: 0, signal: null });
  const relay = line(p.out(), "relay") as { dropped: number; peakPendingBytes: number; forwarded: number };
  const a = line(p.out(), "a") as { sent: number };
  const b = line(p.out(), "b") as { received: number; last: boolean };
  expect(relay.dropped).toBeGreaterThan(0);
  expect(relay.peakPendingBytes).toBeLessThanOrEqual(max);
  expect(b.last).toBe(true); // the relay passes messages to b again
  expect(b.received).toBeLessThan(a.sent);
  expect(p.out()).toContain("CLUSTER_BUS_DROPPED");
}, 60_000);

test("outside a relaying worker: ERR_CLUSTER_BUS_UNAVAILABLE; bad arguments are coded errors", () => {
  expect(clusterBusAvailable()).toBe(false);
  let err: unknown;
  try { clusterChannel("x"); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(MongooseError);
  expect(err).toMatchObject({ code: "ERR_CLUSTER_BUS_UNAVAILABLE" });
  expect(() => clusterChannel(5 as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  expect(() => clusterChannel("")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
  expect(() => clusterChannel("x", { echo: 1 as never })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  expect(() => clusterChannel("x", { maxPendingBytes: -1 })).toThrow(expect.objectContaining({ code: "ERR_OUT_OF_RANGE" }));
  expect(() => clusterRelay({ maxPendingBytes: -1 })).toThrow(expect.objectContaining({ code: "ERR_OUT_OF_RANGE" }));
  expect(NODE_DEFAULTS.clusterRelay.maxPendingBytes).toBe(8 * 1024 * 1024);
});

describe("MQTT takeover through the primary: the new worker's store requests for the client wait for the others", () => {
  const run = async (does: string): Promise<{ ms: number; s?: { queued: unknown[]; nextId: number } }> => {
    const p = start(FIXTURE, { MODE: "handover", B_DOES: does }, ROOT);
    await p.waitFor(/^relay /m);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    return line(p.out(), "a") as { ms: number; s?: { queued: unknown[]; nextId: number } };
  };

  test("a worker that answers: the load returns the session it saved first (binary payloads intact)", async () => {
    const a = await run("answer");
    expect(a.s).toMatchObject({ nextId: 7, queued: [{ topic: "x/1", payload: [1, 2], type: "Uint8Array" }] });
  });

  test("a worker that never answers holds the load for 2 s at most; one that exits releases it at once", async () => {
    const stuck = await run("stuck");
    expect(stuck.s).toBeUndefined();
    expect(stuck.ms).toBeGreaterThanOrEqual(1900);
    expect(stuck.ms).toBeLessThan(10_000);
    const exited = await run("exit");
    expect(exited.s).toBeUndefined();
    expect(exited.ms).toBeLessThan(1900);
  });
});
