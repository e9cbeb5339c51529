// host-faults-net.test.ts: a network call that fails is that connection's
// error, never the manager's. Node's network (this project's transport)
// fails at one call site at a time: the call throws ("sync"), or goes through
// and its socket fails on the next turn / its promise rejects ("async").
// Each time the victim's connection gets MG_EV_ERROR and closes (or, for a
// failed close, the socket is freed and the failure reported), a TLS
// listener never answers in plaintext, a bystander on a kept-alive
// connection keeps getting answers, and shutdown finishes within its timeout.
import { createSocket } from "node:dgram";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_READ, type Connection, type HttpMessage } from "tsmongoose";
import { FaultyNetwork, bystanderAnswered, shutdownPromptly, startRig, stopRigs, victimRequest,
  type NetSite, type Rig } from "./helpers/faults";
import { getReq } from "./helpers/raw-client";
import { waitFor } from "./helpers/server";
import { makeCerts, type Certs } from "./helpers/certs";

let certs: Certs;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs?.cleanup());
afterEach(() => stopRigs());

const MODES = ["sync", "async"] as const;

/** A rig whose victim handler arms `net` for the request's connection first. */
async function netRig(net: FaultyNetwork, answer: (c: Connection, hm: HttpMessage) => void,
  managerOpts?: Record<string, unknown>): Promise<{ rig: Rig; victims: number[] }> {
  const victims: number[] = [];
  const rig = await startRig((c, hm) => {
    victims.push(c.id);
    net.victims.add(c.id);
    answer(c, hm);
  }, net, managerOpts);
  return { rig, victims };
}

/** Connection `id` got MG_EV_ERROR, then MG_EV_CLOSE. */
async function erroredAndClosed(rig: Rig, id: number): Promise<void> {
  await waitFor(() => rig.events.get(id)?.includes(MG_EV_CLOSE) === true, 5000, `the close of connection ${id}`);
  const evs = rig.events.get(id)!;
  expect(evs).toContain(MG_EV_ERROR);
  expect(evs.indexOf(MG_EV_ERROR)).toBeLessThan(evs.indexOf(MG_EV_CLOSE));
}

/** The ids of connections that saw MG_EV_ERROR. */
function errored(rig: Rig): number[] {
  return [...rig.events].filter(([, evs]) => evs.includes(MG_EV_ERROR)).map(([id]) => id);
}

async function finish(rig: Rig, net: FaultyNetwork): Promise<void> {
  expect(net.hits).toBe(1);
  await bystanderAnswered(rig);
  await shutdownPromptly(rig);
}

describe.each(MODES)("the write path fails (%s)", (mode) => {
  test("send: the response's connection errors and closes", async () => {
    const net = new FaultyNetwork("send", mode);
    const { rig, victims } = await netRig(net, (c) => c.reply(200, "victim"));
    const r = await victimRequest(rig, getReq("/victim"));
    await r.client.waitEnd(5000);
    if (mode === "sync") expect(r.responses).toEqual([]); // the write was refused: nothing went out
    await erroredAndClosed(rig, victims[0]);
    await finish(rig, net);
  });

  test("pause: a connection whose input is held back errors and closes", async () => {
    const net = new FaultyNetwork("pause", mode);
    const { rig } = await netRig(net, () => undefined, { limits: { recvBufferSize: 64 * 1024 } });
    // A tcp:// connection whose handler never consumes its input: once the
    // core's receive buffer is full the socket is paused.
    const tcpPort = rig.mgr.listen("tcp://127.0.0.1:0").localAddr!.port;
    net.armed = true;
    const r = await victimRequest(rig, "x".repeat(1024 * 1024), tcpPort);
    await r.client.waitEnd(5000);
    await waitFor(() => errored(rig).length === 1, 5000, "MG_EV_ERROR on the paused connection");
    await erroredAndClosed(rig, errored(rig)[0]);
    await finish(rig, net);
  });

  test("close: the socket is still freed; a failed graceful close is reported", async () => {
    const net = new FaultyNetwork("close", mode);
    const { rig } = await netRig(net, (c) => c.reply(200, "bye", "Connection: close\r\n"));
    const r = await victimRequest(rig, getReq("/victim"));
    expect(r.responses[0]?.body.toString()).toBe("bye");
    await r.client.waitEnd(5000);
    if (mode === "sync") expect(rig.errors).toContain(net.err);
    await finish(rig, net);
  });
});

describe.each(MODES)("opening a connection fails (%s)", (mode) => {
  test("adopt: the accepted socket is closed, its connection errors", async () => {
    const net = new FaultyNetwork("adopt", mode);
    const { rig } = await netRig(net, (c) => c.reply(200, "should not be reached in sync mode"));
    net.armed = true;
    const r = await victimRequest(rig, getReq("/victim"));
    await r.client.waitEnd(5000);
    if (mode === "sync") expect(r.responses).toEqual([]);
    await waitFor(() => errored(rig).length === 1, 5000, "MG_EV_ERROR on the accepted connection");
    await erroredAndClosed(rig, errored(rig)[0]);
    await finish(rig, net);
  });

  test("connect: the client connection errors and closes", async () => {
    const net = new FaultyNetwork("connect", mode);
    const { rig } = await netRig(net, (c) => c.reply(200, "x"));
    net.armed = true;
    const client = rig.mgr.connect(`http://127.0.0.1:${rig.port}/`);
    await erroredAndClosed(rig, client.id);
    await finish(rig, net);
  });

  test("lookup: the resolving connection errors and closes", async () => {
    const net = new FaultyNetwork("lookup", mode);
    const { rig, victims } = await netRig(net, (c) => {
      net.armed = true;
      c.resolve("tcp://localhost:9");
    });
    const r = await victimRequest(rig, getReq("/victim"));
    await r.client.waitEnd(5000);
    await erroredAndClosed(rig, victims[0]);
    await finish(rig, net);
  });

  test("listen: the listener fails (a throw from listen(), or MG_EV_ERROR); the first listener serves on", async () => {
    const net = new FaultyNetwork("listen", mode);
    const { rig } = await netRig(net, (c) => c.reply(200, "x"));
    net.armed = true;
    if (mode === "sync") {
      expect(() => rig.mgr.listen("http://127.0.0.1:0")).toThrow(net.err);
    } else {
      const l = rig.mgr.listen("http://127.0.0.1:0");
      await expect(l.listening()).rejects.toBe(net.err);
      await erroredAndClosed(rig, l.id);
    }
    await finish(rig, net);
  });

  test("tlsInit: a TLS listener's connection errors and closes, never answering in plaintext", async () => {
    const net = new FaultyNetwork("tlsInit", mode);
    const { rig, victims } = await netRig(net, (c) => c.reply(200, "plaintext leak"));
    const tlsPort = rig.mgr.listen("https://127.0.0.1:0", { tls: { cert: certs.server.cert, key: certs.server.key } })
      .localAddr!.port;
    net.armed = true;
    const r = await victimRequest(rig, getReq("/victim"), tlsPort);
    await r.client.waitEnd(5000);
    expect(r.bytes).not.toContain("HTTP/1.1");
    expect(victims).toEqual([]);
    await waitFor(() => errored(rig).length === 1, 5000, "MG_EV_ERROR on the TLS connection");
    await erroredAndClosed(rig, errored(rig)[0]);
    await finish(rig, net);
  });
});

test("a datagram whose send throws is lost; the udp:// listener keeps answering (reported)", async () => {
  const net = new FaultyNetwork("send", "sync");
  const { rig } = await netRig(net, (c) => c.reply(200, "x"));
  const udp = rig.mgr.listen("udp://127.0.0.1:0", {
    handler: (c: Connection, ev: number) => {
      if (ev === MG_EV_READ) c.send(`echo:${Buffer.from(c.recvData()).toString()}`);
    },
  });
  net.victims.add(udp.id);
  const peer = createSocket("udp4");
  try {
    const got: string[] = [];
    peer.on("message", (m) => got.push(m.toString()));
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
    const port = udp.localAddr!.port;
    peer.send("lost", port, "127.0.0.1");
    await waitFor(() => rig.errors.includes(net.err), 5000, "the failed send to be reported");
    peer.send("kept", port, "127.0.0.1");
    await waitFor(() => got.length > 0, 5000, "the echo of the second datagram");
    expect(got).toEqual(["echo:kept"]);
    expect(udp.closed).toBe(false);
    await finish(rig, net);
  } finally {
    peer.close();
  }
});
