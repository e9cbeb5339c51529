// sntp.test.ts: mgr.sntpConnect against our own SNTP responder on loopback
// (node:dgram; no internet here). A good reply gives MG_EV_SNTP_TIME with
// milliseconds since the epoch; short, wrong-mode, kiss-of-death,
// unsynchronized and foreign replies give MG_EV_ERROR and close.
import { createSocket, type Socket } from "node:dgram";
import {
  logSet, Manager, memoryNetwork, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_SNTP_TIME, MG_LL_DEBUG, MG_LL_ERROR,
  ConnectionClosedError, MongooseError,
} from "tsmongoose";
import { backgroundPoll, makeManager, waitFor } from "./helpers/server";

const NTP_UNIX = 2208988800;
const sockets: Socket[] = [];
const managers: Manager[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
  for (const m of managers.splice(0)) m.close();
});

type Mangle = (reply: Buffer, request: Buffer) => Buffer;

/** An SNTP server on 127.0.0.1 answering with `unixMs`, its reply passed through `mangle`. */
async function responder(unixMs: number, mangle: Mangle = (r) => r): Promise<{ port: number; requests: Buffer[] }> {
  const sock = createSocket("udp4");
  sockets.push(sock);
  const requests: Buffer[] = [];
  sock.on("message", (req, rinfo) => {
    requests.push(req);
    const r = Buffer.alloc(48);
    r[0] = (0 << 6) | (4 << 3) | 4; // no warning, v4, server
    r[1] = 1;                       // stratum 1
    req.copy(r, 24, 40, 48);        // originate = the client's transmit timestamp
    const secs = Math.floor(unixMs / 1000) + NTP_UNIX;
    const frac = Math.round(((unixMs % 1000) / 1000) * 2 ** 32);
    for (const off of [32, 40]) {
      r.writeUInt32BE(secs >>> 0, off);
      r.writeUInt32BE(frac >>> 0, off + 4);
    }
    sock.send(mangle(r, req), rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
  return { port: sock.address().port, requests };
}

/** sntpConnect to `port`; collects times, errors and whether it closed. */
async function client(port: number) {
  const times: number[] = [];
  const errors: string[] = [];
  let closed = false;
  const mgr = await makeManager();
  managers.push(mgr);
  const conn = mgr.sntpConnect(`udp://127.0.0.1:${port}`, {
    handler: (_c, ev, data) => {
      if (ev === MG_EV_SNTP_TIME) times.push(data as number);
      if (ev === MG_EV_ERROR) errors.push(String(data)); // a ConnectionError; String() is its message
      if (ev === MG_EV_CLOSE) closed = true;
    },
  });
  return { mgr, conn, times, errors, closed: () => closed };
}

test("a request goes out on connect; the reply is MG_EV_SNTP_TIME in ms since the epoch; sntpRequest asks again", async () => {
  const when = Date.UTC(2031, 4, 6, 7, 8, 9, 250);
  const srv = await responder(when);
  const c = await client(srv.port);
  expect(c.conn.isUdp).toBe(true);
  const loop = backgroundPoll(c.mgr, 5);
  try {
    await waitFor(() => c.times.length === 1, 5000, "first time");
    expect(srv.requests[0]).toHaveLength(48);
    expect(srv.requests[0][0]).toBe(0x23); // v4, client
    // The server's time plus half the round trip (loopback: a few ms).
    expect(c.times[0]).toBeGreaterThanOrEqual(when);
    expect(c.times[0]).toBeLessThan(when + 1000);
    c.conn.sntpRequest();
    await waitFor(() => c.times.length === 2, 5000, "second time");
    expect(srv.requests[1].subarray(40).equals(srv.requests[0].subarray(40))).toBe(false); // fresh nonce
  } finally {
    await loop.stop();
  }
  expect(c.errors).toEqual([]);
});

const bad: [string, Mangle, RegExp][] = [
  ["a short reply", (r) => r.subarray(0, 40), /too short/],
  ["client mode", (r) => ((r[0] = 0x23), r), /wrong mode/],
  ["broadcast mode", (r) => ((r[0] = 0x25), r), /wrong mode/],
  ["kiss-of-death (RATE)", (r) => ((r[1] = 0), r.write("RATE", 12, "latin1"), r), /kiss-of-death/],
  ["an unsynchronized server", (r) => ((r[0] |= 0xc0), r), /unsynchronized/],
  ["a reply to someone else's request", (r) => ((r[24] ^= 0xff), r), /not for our request/],
  ["a zero transmit time", (r) => (r.fill(0, 40, 48), r), /no timestamps/],
  ["garbage", () => Buffer.from("not an ntp packet at all, but long enough to pass 48 bytes....."), /wrong mode|version|stratum/],
];

test.each(bad)("%s is MG_EV_ERROR, then the connection closes", async (_name, mangle, why) => {
  const srv = await responder(Date.now(), mangle);
  const lines: string[] = [];
  logSet(MG_LL_DEBUG, (_level, line) => lines.push(line));
  try {
    const c = await client(srv.port);
    const loop = backgroundPoll(c.mgr, 5);
    try {
      await waitFor(() => c.closed(), 5000, "close after the error");
    } finally {
      await loop.stop();
    }
    expect(c.times).toEqual([]);
    expect(c.errors).toHaveLength(1);
    expect(c.errors[0]).toMatch(why);
    expect(lines.some((l) => why.test(l))).toBe(true); // the core logged it at MG_LL_DEBUG
    expect(() => c.conn.sntpRequest()).toThrow(ConnectionClosedError);
  } finally {
    logSet(MG_LL_ERROR, null);
  }
});

test("sntpRequest on a non-SNTP connection is a MongooseError; sntpConnect wants udp://", async () => {
  const mgr = await makeManager(undefined, { network: memoryNetwork() });
  managers.push(mgr);
  const sock = mgr.listen("udp://x:1");
  expect(() => sock.sntpRequest()).toThrow(MongooseError);
  expect(() => mgr.sntpConnect("http://x:123")).toThrow(TypeError);
  expect(() => mgr.sntpConnect("udp://x:123", { handler: 5 as never })).toThrow(TypeError);
});
