// adversarial-flood.test.ts: thousands of half-open connections against
// limits.maxConnections, over real sockets (issue 5, part 2).
//
// Over the limit the core refuses the connection (mgx_conn_new returns
// NULL) and the Node network destroys the socket at once: the client sees
// the connection accepted by the kernel and then closed, with no byte of
// response. Connections already in (the bystander) keep being served; once
// the flood goes away (or the timeouts reap it) new clients are served again.
// Bounded: 2000 client sockets at most (ulimit -n is checked first).
import * as net from "node:net";
import { execSync } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  Bystander, coreAccepted, eventually, expectBystanderFine, expectStillServed, liveAccepted, startAdversaryServer,
  type AdversaryServer,
} from "./helpers/adversary";
import type { Manager } from "tsmongoose";
import { RawClient } from "./helpers/raw-client";
import { sleep, stopAllServers } from "./helpers/server";

/** One flood socket and when things happened to it. */
interface FloodSocket {
  socket: net.Socket;
  connectedAt: number;
  /** When the server closed it (end/close/reset), 0 while open. */
  closedAt: number;
  /** Bytes the server sent on it (must stay 0 for refused ones). */
  received: number;
  error?: string;
}

const FLOOD = 2000;

function fdLimit(): number {
  try {
    return Number(execSync("ulimit -n", { shell: "/bin/bash", encoding: "utf8" }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

/** Deadline for the server to deal with `n` sockets: proportional to the work, not fixed (a busy machine is slow). */
const deadlineFor = (n: number): number => 3000 + 10 * n;

/**
 * Open `n` sockets in batches; `payload(i)` is written right after connecting
 * ("" = nothing). Before each next batch, wait until `mgr` has dealt with
 * every socket opened so far (accepted: more live connections than
 * `baseline`; refused: the client saw the close). Without that, a server
 * slowed down by a busy machine lets the kernel's accept queue (backlog 511)
 * overflow, and the kernel, not the server, delays those connections by
 * SYN-ACK retransmits of 1, 3, 7 s: refusals then "took" 7 s.
 */
async function flood(port: number, n: number, payload: (i: number) => string, mgr: Manager, baseline: number,
  batch = 200): Promise<FloodSocket[]> {
  const out: FloodSocket[] = [];
  for (let start = 0; start < n; start += batch) {
    if (start > 0) {
      await eventually(() => liveAccepted(mgr) - baseline + out.filter((s) => s.closedAt).length >= start,
        deadlineFor(batch), () => `the server to accept or refuse the first ${start} sockets ` +
        `(${liveAccepted(mgr) - baseline} accepted, ${out.filter((s) => s.closedAt).length} closed)`);
    }
    const group = await Promise.all(Array.from({ length: Math.min(batch, n - start) }, (_, k) =>
      new Promise<FloodSocket>((resolve) => {
        const socket = net.connect({ port, host: "127.0.0.1" });
        const fs: FloodSocket = { socket, connectedAt: 0, closedAt: 0, received: 0 };
        const closed = () => { if (!fs.closedAt) fs.closedAt = Date.now(); };
        socket.on("data", (d: Buffer) => { fs.received += d.length; });
        socket.on("end", closed);
        socket.on("close", closed);
        socket.on("error", (e) => { fs.error ??= (e as NodeJS.ErrnoException).code ?? e.message; closed(); });
        socket.once("connect", () => {
          fs.connectedAt = Date.now();
          const p = payload(start + k);
          if (p) socket.write(p);
          resolve(fs);
        });
        socket.once("error", () => resolve(fs));
      })));
    out.push(...group);
  }
  return out;
}

function destroyAll(socks: FloodSocket[]): void {
  for (const s of socks) s.socket.destroy();
}

const partialHead = (i: number) => (i % 2 === 0 ? "" : `GET /flood${i} HTTP/1.1\r\nHo`);

afterEach(() => stopAllServers());

test("the machine allows the flood (ulimit -n well above 2 x 2000 sockets)", () => {
  expect(fdLimit()).toBeGreaterThan(2 * FLOOD + 500);
});

describe("maxConnections 500, 2000 half-open sockets", () => {
  const MAX = 500;
  let adv: AdversaryServer;
  let by: Bystander;

  beforeEach(async () => {
    // Timeouts off: only the limit closes connections here, however long a
    // busy machine takes (the default 5 s idle timeout reaped the first
    // accepted flood sockets mid-test: 1534 closed, not 1501). The reaping
    // has its own test below.
    adv = await startAdversaryServer({ managerOpts: { limits: { maxConnections: MAX, idleTimeoutMs: 0, headerTimeoutMs: 0 } } });
    by = await Bystander.start(adv.port);
  });

  test("the excess is refused at once, the bystander keeps being served, and the server accepts again afterwards", async () => {
    // A refusal takes a few turns of this process's event loop (the server
    // and the clients share it): its bound below grows with the slowest turn.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const socks = await flood(adv.port, FLOOD, partialHead, adv.srv.mgr, 1);
    try {
      expect(socks.every((s) => s.connectedAt > 0)).toBe(true); // the kernel accepted them all
      // Exactly MAX - 1 flood sockets fit beside the bystander; all others are closed by the server.
      await eventually(() => socks.filter((s) => s.closedAt).length >= FLOOD - (MAX - 1), deadlineFor(FLOOD),
        () => `the excess to be closed (${socks.filter((s) => s.closedAt).length} closed)`);
      lag.disable();
      await sleep(200); // a grace for a wrong extra close to show (nothing times out: none may come)
      const refused = socks.filter((s) => s.closedAt);
      expect(refused.length).toBe(FLOOD - (MAX - 1));
      expect(liveAccepted(adv.srv.mgr)).toBe(MAX);
      expect(coreAccepted(adv.srv.mgr)).toBe(MAX);
      // Refused cleanly: not a byte of response, and closed right away.
      expect(refused.filter((s) => s.received > 0)).toEqual([]);
      const delays = refused.map((s) => s.closedAt - s.connectedAt).sort((a, b) => a - b);
      // Not held for seconds (beside CPU hogs a p99 of 2.3 s was seen against a fixed 2 s).
      expect(delays[Math.floor(delays.length * 0.99)]).toBeLessThan(2000 + 3 * lag.max / 1e6);
      await expectStillServed(by, 5);

      // Saturated: a newcomer is refused too, without a response.
      const late = await RawClient.connect(adv.port);
      await late.write("GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
      await late.waitEnd(10_000);
      expect(late.received).toBe(0);
      late.destroy();
      expect(adv.count("/late")).toBe(0);
    } finally {
      destroyAll(socks);
    }
    // The flood goes away: the server forgets it and accepts again.
    await eventually(() => liveAccepted(adv.srv.mgr) === 1, deadlineFor(MAX),
      () => `the flood connections to be closed (${liveAccepted(adv.srv.mgr)} live)`);
    expect(coreAccepted(adv.srv.mgr)).toBe(1);
    const c = await RawClient.connect(adv.port);
    await c.write("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    const [res] = await c.finalResponses(1);
    expect([res.status, res.body.toString()]).toEqual([200, "ok:/after:0"]);
    c.destroy();
    expect(adv.seen).toEqual(["GET /after 0"]);
    expectBystanderFine(await by.stop(), 10);
  }, 60_000);
});

describe("maxConnections 200 with header and idle timeouts: the flood is reaped without the clients leaving", () => {
  const MAX = 200;
  test("partial heads get 408, silent sockets are idle-closed, then new clients are served", async () => {
    const adv = await startAdversaryServer({
      managerOpts: { limits: { maxConnections: MAX, headerTimeoutMs: 400, idleTimeoutMs: 600 } },
    });
    const by = await Bystander.start(adv.port, { gapMs: 20 });
    const socks = await flood(adv.port, 1000, partialHead, adv.srv.mgr, 1);
    try {
      await eventually(() => socks.every((s) => s.closedAt), deadlineFor(1000),
        () => `every flood socket to be closed by the server (${socks.filter((s) => !s.closedAt).length} open)`);
      // Accepted partial heads were answered 408 (a response, then close); silent ones got nothing.
      const answered = socks.filter((s) => s.received > 0);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((s, _i) => s.received < 200)).toBe(true);
      expect(socks.filter((s, i) => i % 2 === 0 && s.received > 0)).toEqual([]);
      await eventually(() => liveAccepted(adv.srv.mgr) === 1, deadlineFor(MAX),
        () => `only the bystander to remain (${liveAccepted(adv.srv.mgr)} live; bystander: ${by.failureList.join("; ") || "fine"})`);
      await expectStillServed(by, 5);
      const c = await RawClient.connect(adv.port);
      await c.write("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
      const [res] = await c.finalResponses(1);
      expect(res.status).toBe(200);
      c.destroy();
      expect(adv.seen.filter((s) => s.includes("/flood"))).toEqual([]);
    } finally {
      destroyAll(socks);
    }
    expectBystanderFine(await by.stop(), 10);
  }, 60_000);
});
