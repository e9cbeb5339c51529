// adversarial-backpressure.test.ts: clients that never read, over real
// sockets (issue 5, part 2).
//
// What "bounded" means here. A response the handler hands over whole
// (reply() with a 32 MB body) must exist once on its way out: either in the
// core's send buffer or in the Node socket's write queue, not both, not
// twice (the handler's own buffer is prebuilt and excluded). A response
// produced step by step (httpChunk on MG_EV_WRITE) must stop being produced
// when the peer stops reading: what is in flight is bounded by the socket
// buffers (the shim's 256 KiB high-water mark plus the kernel's buffers),
// not by the response size. Pipelined requests must not be answered ahead
// without limit while the answers cannot leave. In every case other
// connections keep being served promptly, and once the client reads,
// every byte arrives intact (nothing lost).
import { MG_EV_WRITE, type Connection } from "tsmongoose";
import {
  Bystander, coreHeapUsed, eventually, expectBystanderFine, expectStillServed, liveAccepted, liveArrayBuffers,
  startAdversaryServer, type AdversaryServer,
} from "./helpers/adversary";
import { RawClient, parseResponses, type RawResponse } from "./helpers/raw-client";
import { patternBytes, sha256 } from "./helpers/http";
import { sleep, stopAllServers } from "./helpers/server";
import { LagProbe } from "./helpers/lag-probe";

const MB = 1 << 20;
const BLOB = patternBytes(32 * MB, 3);
const BLOB_SHA = sha256(BLOB);
const STREAM_CHUNK = 64 * 1024;
/**
 * Bystander responses must stay fast while a peer is stalled (a blocked
 * event loop fails this): 1 s, plus twice what a separate process's timers
 * were late meanwhile (a busy machine delays everyone; only our own blocking
 * is the server's fault). The probe sleeps between ticks, so the scheduler
 * favours it over the busy test process: under the full suite on 2 cores the
 * bystander saw 614 ms while the probe saw 8 ms, hence 1 s and not 500 ms.
 */
const bystanderMaxLatency = (): number => 1000 + 2 * lag.maxMs;
let lag: LagProbe;

let adv: AdversaryServer;
let by: Bystander;
/** Bytes produced so far by the /stream route. */
let produced = 0;
/** Highest core heap seen by a handler call (reset by tests). */
let peakCoreHeap = 0;
/** Core heap once the /blob test is over (its scratch high-water included, see A2). */
let warmHeap = 0;

/** /stream: BLOB as 64 KiB chunks, the next one only on MG_EV_WRITE (the output went out). */
function startStream(c: Connection): void {
  produced = 0;
  const pump = (): void => {
    if (produced < BLOB.length) {
      c.httpChunk(BLOB.subarray(produced, produced + STREAM_CHUNK));
      produced += STREAM_CHUNK;
    } else if (produced === BLOB.length) {
      produced++; // ended
      c.httpChunk("");
      c.setHandler(undefined);
    }
  };
  c.setHandler((conn, ev) => {
    if (ev === MG_EV_WRITE) pump();
  });
  pump();
}

beforeAll(async () => {
  lag = await LagProbe.start();
  adv = await startAdversaryServer({
    route: (c, uri) => {
      peakCoreHeap = Math.max(peakCoreHeap, coreHeapUsed());
      if (uri === "/blob") {
        c.reply(200, BLOB, { "Content-Type": "application/octet-stream" });
        return true;
      }
      if (uri === "/stream") {
        startStream(c);
        return true;
      }
      return false;
    },
  });
  by = await Bystander.start(adv.port, { gapMs: 10 });
});
afterAll(async () => {
  await lag?.stop();
  const report = await by.stop();
  await stopAllServers();
  expectBystanderFine(report, 10);
});

/** A client that stops reading right after connecting. */
async function nonReader(): Promise<RawClient> {
  const c = await RawClient.connect(adv.port);
  c.socket.pause();
  return c;
}

/** Resume reading and wait for `n` complete responses (at least `minBytes` in total). */
async function readAll(c: RawClient, n: number, minBytes: number, timeoutMs = 15_000): Promise<RawResponse[]> {
  c.socket.resume();
  await c.waitUntil(() => c.received >= minBytes, timeoutMs, `${minBytes} bytes`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    const all = parseResponses(c.data).responses;
    if (all.length >= n || Date.now() > end) return all;
    await sleep(20);
  }
}

const arrayBuffers = liveArrayBuffers;

// First in the file, while the core is fresh: nothing big has passed through it yet.
test("after a 16 MB reply is delivered and its connection closed, the core's heap is back at its baseline", async () => {
  const heap0 = coreHeapUsed();
  const c = await RawClient.connect(adv.port);
  await c.write(`GET /big?n=${16 * MB} HTTP/1.1\r\nHost: x\r\n\r\n`);
  await c.waitUntil(() => c.received >= 16 * MB, 10_000, "the body");
  c.destroy();
  await eventually(() => liveAccepted(adv.srv.mgr) === 1, 3000, "the connection to close");
  // Fails today by exactly 16 MiB: mgx_scratch keeps its largest size forever (reported as A2).
  expect(coreHeapUsed() - heap0).toBeLessThanOrEqual(64 * 1024);
});

test("a 32 MB reply to a client that never reads is held once; others are served; then it all arrives intact", async () => {
  // Warm-up: one /blob fetched by a reading client grows the core's scratch
  // area to 32 MiB (kept forever: A2, asserted above), so what is measured
  // below is the send path only.
  const w = await RawClient.connect(adv.port);
  await w.write("GET /blob HTTP/1.1\r\nHost: x\r\n\r\n");
  await w.waitUntil(() => w.received >= BLOB.length, 10_000, "the warm-up body");
  w.destroy();
  await eventually(() => liveAccepted(adv.srv.mgr) === 1, 3000, "the warm-up connection to close");
  adv.calls.clear();
  const heap0 = coreHeapUsed();
  const ab0 = arrayBuffers();
  const c = await nonReader();
  try {
    by.resetLatency();
    lag.reset();
    await c.write("GET /blob HTTP/1.1\r\nHost: x\r\n\r\n");
    await eventually(() => adv.count("/blob") === 1, 3000, "the request");
    let peak = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(60);
      peak = Math.max(peak, coreHeapUsed() - heap0 + arrayBuffers() - ab0);
    }
    // One copy of the body (32 MiB) on its way out (core send buffer or socket queue), plus small change.
    expect(peak).toBeLessThan(32 * MB + 4 * MB);
    await expectStillServed(by, 5);
    expect(by.maxLatencyMs).toBeLessThan(bystanderMaxLatency());
    const [res] = await readAll(c, 1, BLOB.length);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(BLOB.length);
    expect(sha256(res.body)).toBe(BLOB_SHA);
  } finally {
    c.destroy();
  }
  await eventually(() => liveAccepted(adv.srv.mgr) === 1, 3000, "the connection to close");
  warmHeap = coreHeapUsed();
  expect(warmHeap - heap0).toBeLessThanOrEqual(64 * 1024);
});

test("a streamed 32 MB response stops being produced while the client does not read, then completes intact", async () => {
  const c = await nonReader();
  try {
    const heap0 = coreHeapUsed();
    by.resetLatency();
    lag.reset();
    await c.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    await eventually(() => produced > 0, 3000, "the stream to start");
    // Let it fill every buffer on the way, then check it is stuck well short of the end.
    let last = -1;
    for (let i = 0; i < 40 && produced !== last; i++) {
      last = produced;
      await sleep(50);
    }
    const stalledAt = produced;
    await sleep(300);
    expect(produced).toBe(stalledAt); // no progress while nobody reads
    expect(stalledAt).toBeLessThan(16 * MB); // socket buffers, not the response size
    expect(coreHeapUsed() - heap0).toBeLessThan(1 * MB);
    await expectStillServed(by, 5);
    expect(by.maxLatencyMs).toBeLessThan(bystanderMaxLatency());
    const [res] = await readAll(c, 1, BLOB.length);
    expect(res.status).toBe(200);
    expect(res.chunked).toBe(true);
    expect(res.body.length).toBe(BLOB.length);
    expect(sha256(res.body)).toBe(BLOB_SHA);
  } finally {
    c.destroy();
  }
});

test("pipelined requests from a client that never reads are not answered ahead without limit", async () => {
  const N = 400;
  const SIZE = 64 * 1024;
  const heap0 = coreHeapUsed();
  const c = await nonReader();
  try {
    adv.calls.clear();
    peakCoreHeap = 0;
    by.resetLatency();
    lag.reset();
    await c.write(`GET /big?n=${SIZE} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(N));
    await sleep(500);
    const answered = adv.count("/big");
    // With backpressure, answering pauses once the output backs up (the
    // socket buffers hold about 4 MiB here, see the stream test). Today all
    // 400 answers (25 MiB) are built at once in the core's send buffer, with
    // quadratic copying, then handed to the socket in one write (A3). The
    // core heap is sampled in the handler, at every answer.
    expect(peakCoreHeap - heap0).toBeLessThan(4 * MB);
    expect(answered).toBeLessThan(N);
    await expectStillServed(by, 5);
    expect(by.maxLatencyMs).toBeLessThan(bystanderMaxLatency());
  } finally {
    // Nothing lost: every pipelined request gets its full answer once the client reads.
    const all = await readAll(c, N, N * SIZE, 20_000);
    expect(all.length).toBe(N);
    expect(all.every((r) => r.status === 200 && r.body.length === SIZE)).toBe(true);
    c.destroy();
  }
}, 30_000);

test("after the stalled clients are gone only the bystander remains and the heap is back at the baseline", async () => {
  await eventually(() => liveAccepted(adv.srv.mgr) === 1, 3000, "the stalled connections to close");
  // Compared with the heap after the /blob test, whose scratch high-water (A2) is already in it.
  expect(warmHeap).toBeGreaterThan(0);
  expect(coreHeapUsed() - warmHeap).toBeLessThanOrEqual(64 * 1024);
  await expectStillServed(by);
});
