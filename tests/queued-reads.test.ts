// queued-reads.test.ts: bytes read while no one drives the manager are
// queued until the next poll(), and input a full receive buffer cannot take
// waits in a backlog; either way each connection's bytes must stay its own.
// The libuv-handle transport reads every socket into one shared buffer, so
// both have to copy (a Buffer's slice() is a view, not a copy).
import * as net from "node:net";
import { init, Manager, MG_EV_HTTP_MSG, MG_EV_READ, type Connection, type HttpMessage } from "tsmongoose";

test("requests read while the manager is not driven reach the handler with their own bytes", async () => {
  await init();
  const seen: string[] = [];
  const mgr = new Manager((c, ev, hm) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    seen.push((hm as HttpMessage).uri);
    c.reply(200, "ok");
  });
  const socks: net.Socket[] = [];
  try {
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    await Promise.all([0, 1, 2, 3].map(() => new Promise<void>((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve());
      s.on("error", reject);
      socks.push(s);
    })));
    // Accept them (poll() returns early on activity; a deadline bounds the wait).
    const end = Date.now() + 10_000;
    while (mgr.connections.filter((c) => c.isAccepted).length < 4 && Date.now() < end) await mgr.poll(20);
    expect(mgr.connections.filter((c) => c.isAccepted).length).toBe(4);
    // Not driven now: the four reads are queued, one after the other, through the shared read buffer.
    let answered = 0;
    for (const s of socks) s.once("data", () => answered++);
    socks.forEach((s, i) => s.write(`GET /client${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
    const queued = (): number => mgr.connections.filter((c) => (c as unknown as { _queuedBytes: number })._queuedBytes > 0).length;
    while (queued() < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(queued()).toBe(4);
    while (seen.length < 4 && Date.now() < end) await mgr.poll(20);
    expect(seen.sort()).toEqual(["/client0", "/client1", "/client2", "/client3"]);
    while (answered < 4 && Date.now() < end) await mgr.poll(20);
    expect(answered).toBe(4);
  } finally {
    for (const s of socks) s.destroy();
    mgr.close();
  }
});

test("input backlogged behind a full receive buffer keeps its own bytes while other sockets are read", async () => {
  await init();
  let hold = true;
  const got = new Map<number, number[]>(); // connection id -> bytes seen, by value
  const take = (c: Connection): void => {
    const seen = got.get(c.id) ?? [];
    for (const b of c.recvData()) seen[b] = (seen[b] ?? 0) + 1;
    got.set(c.id, seen);
  };
  const mgr = new Manager((c, ev) => {
    if (ev === MG_EV_READ && !hold) take(c); // held: the receive buffer fills, the rest waits in the backlog
  }, { limits: { recvBufferSize: 4096 } });
  mgr.setAutoDrive(true);
  const socks: net.Socket[] = [];
  const SIZE = 256 * 1024; // several 64 KiB reads: an empty buffer takes the first whole, the next wait
  try {
    const port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
    const open = (): Promise<net.Socket> => new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(s));
      s.on("error", reject);
      socks.push(s);
    });
    const accepted = (): Connection[] => mgr.connections.filter((c) => c.isAccepted);
    const end = Date.now() + 10_000;
    const waitFor = async (cond: () => boolean, what: string): Promise<void> => {
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const a = await open();
    await waitFor(() => accepted().length === 1, "A to be accepted");
    const ca = accepted()[0];
    a.write(Buffer.alloc(SIZE, 0x41)); // "A" x 256 KiB: most of it backlogged
    await waitFor(() => ca._backlog.length > 0, "A's input to back up");
    const b = await open();
    await waitFor(() => accepted().length === 2, "B to be accepted");
    const cb = accepted().find((c) => c !== ca)!;
    b.write(Buffer.alloc(SIZE, 0x42)); // "B": read through the same shared buffer
    await waitFor(() => cb._backlog.length > 0, "B's input to back up");
    hold = false;
    take(ca); // what A's buffer holds; the backlog follows
    take(cb);
    const total = (c: Connection): number => (got.get(c.id)?.[0x41] ?? 0) + (got.get(c.id)?.[0x42] ?? 0);
    await waitFor(() => total(ca) >= SIZE && total(cb) >= SIZE, "both inputs to be read");
    expect(got.get(ca.id)?.[0x41]).toBe(SIZE); // all of A's bytes on A, none of B's
    expect(got.get(cb.id)?.[0x42]).toBe(SIZE);
  } finally {
    for (const s of socks) s.destroy();
    mgr.close();
  }
});
