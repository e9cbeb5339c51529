// queued-reads.test.ts: bytes read while no one drives the manager are
// queued until the next poll(); each connection's queued bytes must stay
// its own. The libuv-handle transport reads every socket into one shared
// buffer, so the queue has to copy (a Buffer's slice() is a view, not a copy).
import * as net from "node:net";
import { init, Manager, MG_EV_HTTP_MSG, type HttpMessage } from "tsmongoose";

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
