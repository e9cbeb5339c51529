// udp.test.ts: udp:// over node:dgram (both transports) and over the memory
// network: one MG_EV_READ per datagram with its sender in remoteAddr, one
// datagram per send(), IPv4 and IPv6, a real peer (node:dgram) on the other
// side; loss and reordering on the memory network; the udp-echo example.
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import {
  ConnectionClosedError, ListenError, Manager, memoryNetwork, MG_EV_CONNECT, MG_EV_READ, MG_EV_RESOLVE, eventName,
} from "tsmongoose";
import type { Address, Connection } from "tsmongoose";
import { backgroundPoll, makeManager, waitFor } from "./helpers/server";

const sockets: Socket[] = [];
const managers: Manager[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const m of managers.splice(0)) m.close();
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

/** A node:dgram peer bound on loopback that records what it receives. */
async function peer(family: 4 | 6): Promise<{ sock: Socket; port: number; got: { data: string; from: number }[] }> {
  const sock = createSocket(family === 6 ? "udp6" : "udp4");
  sockets.push(sock);
  const got: { data: string; from: number }[] = [];
  sock.on("message", (msg, rinfo) => got.push({ data: msg.toString(), from: rinfo.port }));
  await new Promise<void>((r) => sock.bind(0, family === 6 ? "::1" : "127.0.0.1", r));
  return { sock, port: sock.address().port, got };
}

/** An echo server: every datagram back to its sender, tagged; records (data, sender) per MG_EV_READ. */
async function echoServer(url: string, network?: ReturnType<typeof memoryNetwork>) {
  const reads: { data: string; from: Address }[] = [];
  const mgr = await makeManager((conn: Connection, ev: number) => {
    if (ev !== MG_EV_READ) return;
    const d = Buffer.from(conn.recvData()).toString();
    reads.push({ data: d, from: { ...conn.remoteAddr } });
    conn.send(`echo:${d}`);
  }, network ? { network } : undefined);
  managers.push(mgr);
  const sock = mgr.listen(url);
  return { mgr, sock, reads };
}

describe.each([["IPv4", 4, "127.0.0.1"], ["IPv6", 6, "[::1]"]] as const)("udp:// over node:dgram, %s", (_name, family, host) => {
  test("listen: isUdp, a real port, one MG_EV_READ per datagram with its sender, send() answers it", async () => {
    const { mgr, sock, reads } = await echoServer(`udp://${host}:0`);
    expect(sock.isUdp).toBe(true);
    expect(sock.isListening).toBe(true);
    expect(sock.localAddr.port).toBeGreaterThan(0);
    expect(sock.localAddr.family).toBe(family === 6 ? "IPv6" : "IPv4");
    const a = await peer(family), b = await peer(family);
    const loop = backgroundPoll(mgr, 5);
    try {
      // Two senders interleaved, sizes 1..1400: boundaries and senders must survive.
      for (let i = 1; i <= 20; i++) {
        const p = i % 2 ? a : b;
        p.sock.send(`${i}:`.padEnd(i * 70, "x"), sock.localAddr.port, family === 6 ? "::1" : "127.0.0.1");
      }
      await waitFor(() => a.got.length + b.got.length === 20, 5000, "20 echoes");
    } finally {
      await loop.stop();
    }
    expect(reads).toHaveLength(20);
    for (const r of reads) {
      const i = Number(r.data.split(":")[0]);
      expect(r.data).toHaveLength(i * 70);
      expect(r.from.port).toBe((i % 2 ? a : b).port);
    }
    for (const p of [a, b]) for (const g of p.got) expect(g.data.startsWith("echo:")).toBe(true);
    expect(a.got).toHaveLength(10);
    expect(b.got).toHaveLength(10);
  });

  test("connect: MG_EV_RESOLVE then MG_EV_CONNECT, send() is one datagram each, replies are MG_EV_READ", async () => {
    const p = await peer(family);
    p.sock.on("message", (msg, rinfo) => p.sock.send(`re:${msg.toString()}`, rinfo.port, rinfo.address));
    const events: string[] = [];
    const replies: string[] = [];
    const mgr = await makeManager();
    managers.push(mgr);
    const conn = mgr.connect(`udp://${host}:${p.port}`, {
      handler: (c, ev) => {
        if (ev === MG_EV_RESOLVE || ev === MG_EV_CONNECT) events.push(eventName(ev));
        if (ev === MG_EV_CONNECT) {
          c.send("one");
          c.send("two"); // two datagrams, never merged
        }
        if (ev === MG_EV_READ) replies.push(Buffer.from(c.recvData()).toString());
      },
    });
    expect(conn.isUdp).toBe(true);
    expect(conn.isClient).toBe(true);
    const loop = backgroundPoll(mgr, 5);
    try {
      await waitFor(() => replies.length === 2, 5000, "2 replies");
    } finally {
      await loop.stop();
    }
    expect(events).toEqual(["MG_EV_RESOLVE", "MG_EV_CONNECT"]);
    expect(p.got.map((g) => g.data)).toEqual(["one", "two"]);
    expect(replies).toEqual(["re:one", "re:two"]);
    expect(conn.remoteAddr.port).toBe(p.port);
  });
});

test("datagrams queued while the manager is not driven still arrive one MG_EV_READ each", async () => {
  const { mgr, sock, reads } = await echoServer("udp://127.0.0.1:0");
  const a = await peer(4);
  for (let i = 0; i < 5; i++) a.sock.send(`d${i}`, sock.localAddr.port, "127.0.0.1");
  // Give the datagrams time to land in the queue (nobody polls yet).
  await waitFor(() => (mgr as unknown as { _queuedItems: number })._queuedItems === 5, 5000, "5 queued datagrams");
  await mgr.poll(0);
  expect(reads.map((r) => r.data)).toEqual(["d0", "d1", "d2", "d3", "d4"]);
  expect(new Set(reads.map((r) => r.from.port))).toEqual(new Set([a.port]));
});

test("a busy port is a ListenError with errno EADDRINUSE; a closed connection throws on send", async () => {
  const a = await peer(4);
  const mgr = await makeManager();
  managers.push(mgr);
  expect(() => mgr.listen(`udp://127.0.0.1:${a.port}`)).toThrow(ListenError);
  expect(() => mgr.listen(`udp://127.0.0.1:${a.port}`)).toThrow(expect.objectContaining({ code: "EADDRINUSE", errno: -osConstants.errno.EADDRINUSE }));
  expect(() => mgr.listen("udp://example.com:0")).toThrow(TypeError);
  const sock = mgr.listen("udp://127.0.0.1:0");
  sock.close();
  await mgr.poll(0);
  expect(() => sock.send("x")).toThrow(ConnectionClosedError);
});

describe("udp:// on the memory network", () => {
  test("echo, with senders, as on a real network; ports apart from tcp://", async () => {
    const net = memoryNetwork();
    const { mgr, sock, reads } = await echoServer("udp://app:53", net);
    mgr.listen("tcp://app:53"); // same number, other namespace
    const got: string[] = [];
    const client = await makeManager(undefined, { network: net });
    managers.push(client);
    client.connect("udp://app:53", {
      handler: (c, ev) => {
        if (ev === MG_EV_CONNECT) for (let i = 0; i < 3; i++) c.send(`m${i}`);
        if (ev === MG_EV_READ) got.push(Buffer.from(c.recvData()).toString());
      },
    });
    const l1 = backgroundPoll(mgr, 5), l2 = backgroundPoll(client, 5);
    try {
      await waitFor(() => got.length === 3, 5000, "3 echoes");
    } finally {
      await Promise.all([l1.stop(), l2.stop()]);
    }
    expect(got).toEqual(["echo:m0", "echo:m1", "echo:m2"]);
    expect(reads.every((r) => r.from.address === "app" && r.from.port > 0)).toBe(true);
    expect(sock.localAddr).toEqual({ address: "app", port: 53, family: "mem" });
  });

  test("loss and reordering are switchable", async () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const net = memoryNetwork({ datagrams: { reorder: true, random } });
    const { mgr, reads } = await echoServer("udp://srv:9", net);
    const client = await makeManager(undefined, { network: net });
    managers.push(client);
    const conn = client.connect("udp://srv:9");
    const l1 = backgroundPoll(mgr, 5), l2 = backgroundPoll(client, 5);
    try {
      await waitFor(() => conn.isWritable, 5000, "client connected");
      for (let i = 0; i < 20; i++) conn.send(String(i));
      await waitFor(() => reads.length === 20, 5000, "20 datagrams");
      const order = reads.map((r) => Number(r.data));
      expect([...order].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
      expect(order).not.toEqual([...Array(20).keys()]); // shuffled by the seeded source
      net.datagrams.reorder = false;
      net.datagrams.loss = 1;
      const dropped = net.datagrams.dropped;
      for (let i = 0; i < 10; i++) conn.send("lost");
      await waitFor(() => net.datagrams.dropped === dropped + 10, 5000, "10 drops");
      net.datagrams.loss = 0;
      conn.send("after");
      await waitFor(() => reads.length === 21, 5000, "delivery again");
      expect(reads[20].data).toBe("after");
    } finally {
      await Promise.all([l1.stop(), l2.stop()]);
    }
  });
});

test("examples/udp-echo.ts answers a real dgram client and stops on SIGINT", async () => {
  const child = spawn(process.execPath, [join(__dirname, "..", "build", "examples", "udp-echo.mjs")],
    { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await waitFor(() => /Press Ctrl\+C/.test(out), 10_000, "the example to start");
  const port = Number(/udp:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const p = await peer(4);
  for (const msg of ["hello", "world"]) p.sock.send(msg, port, "127.0.0.1");
  await waitFor(() => p.got.length === 2, 5000, "2 echoes");
  expect(p.got.map((g) => g.data).sort()).toEqual(["hello", "world"]);
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  expect(out).toContain("Server stopped cleanly");
});
