// smoke.test.ts: a quick end-to-end pass over the facade, the loader and the
// node:net shim (the full suites live in the other tests/*.test.ts files).
import * as net from "node:net";
import {
  init, Manager, ManagerClosedError, ConnectionClosedError, HttpMessage, eventName,
  MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_OPEN,
} from "tsmongoose";
import type { Connection, Handler, ManagerOptions } from "tsmongoose";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const open: Manager[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function manager(handler?: (c: Connection, ev: number, data: any) => unknown, opts?: ManagerOptions): Manager {
  const m = new Manager(handler as Handler, opts);
  open.push(m);
  return m;
}

beforeAll(() => init());

test("HTTP through the seed poll loop: GET with query and headers, POST echoed", async () => {
  const seen: string[] = [];
  const mgr = manager((c, ev, data) => {
    seen.push(eventName(ev));
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.method === "POST") c.reply(201, hm.body, { "Content-Type": "application/octet-stream" });
    else c.replyJson({ uri: hm.uri, q: hm.queryVar("q"), h: hm.header("x-test"), missing: hm.header("nope") ?? null });
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  const port = listener.localAddr!.port;
  expect(port).toBeGreaterThan(0);
  let stop = false;
  const loop = (async () => {
    const deadline = Date.now() + 10_000;
    while (!stop && Date.now() < deadline) await mgr.poll(100);
  })();
  try {
    const get = await fetch(`http://127.0.0.1:${port}/path/x?q=a%20b&z=1`, { headers: { "X-Test": "yes" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("content-type")).toBe("application/json");
    expect(await get.json()).toEqual({ uri: "/path/x", q: "a b", h: "yes", missing: null });
    const post = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", body: "payload \u00e9" });
    expect(post.status).toBe(201);
    expect(await post.text()).toBe("payload \u00e9");
  } finally {
    stop = true;
    await loop;
  }
  expect(seen.slice(0, 3)).toEqual(["MG_EV_OPEN", "MG_EV_OPEN", "MG_EV_ACCEPT"]);
});

test("auto-drive serves without poll(); a timer fires on time", async () => {
  const mgr = manager((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "auto"); });
  const port = mgr.listen("http://[::1]:0").localAddr!.port;
  mgr.setAutoDrive(true);
  const res = await fetch(`http://[::1]:${port}/`);
  expect(await res.text()).toBe("auto");
  const t0 = Date.now();
  const fired = await new Promise<number>((resolve) => mgr.timerAdd(30, () => resolve(Date.now() - t0)));
  expect(fired).toBeGreaterThanOrEqual(25);
  expect(fired).toBeLessThan(200);
});

test("a timer with repeat fires until cancelled inside its callback", async () => {
  const mgr = manager();
  let n = 0;
  const t = mgr.timerAdd(5, () => { if (++n === 3) t.cancel(); }, { repeat: true });
  for (let i = 0; i < 100 && t.active; i++) await mgr.poll(20);
  expect(n).toBe(3);
  expect(t.active).toBe(false);
});

test("raw tcp:// echo with net.connect; the same Connection object for every event", async () => {
  const conns = new Set<Connection>();
  const mgr = manager((c, ev) => {
    if (!c.isAccepted) return;
    conns.add(c);
    if (ev === MG_EV_READ) c.send(c.recvData());
  });
  const port = mgr.listen("tcp://127.0.0.1:0").localAddr!.port;
  mgr.setAutoDrive(true);
  const sock = net.connect(port, "127.0.0.1");
  const echoed = await new Promise<string>((resolve, reject) => {
    let got = "";
    sock.on("error", reject);
    sock.on("data", (d) => { got += d; if (got.length >= 10) resolve(got); });
    sock.write("hello");
    setTimeout(() => sock.write("world"), 10);
  });
  expect(echoed).toBe("helloworld");
  sock.end();
  await new Promise((r) => sock.on("close", r));
  // A deadline, not 100 rounds of 5 ms: a busy machine can take longer.
  for (const until = Date.now() + 10_000; mgr.connections.length > 1 && Date.now() < until;) await sleep(5);
  expect(conns.size).toBe(1);
  const [c] = conns;
  expect(c.closed).toBe(true);
  expect(() => c.send("x")).toThrow(ConnectionClosedError);
});

test("close(): MG_EV_CLOSE for every connection, idempotent, later calls throw", async () => {
  const events: [number, number][] = [];
  const mgr = manager((c, ev) => { if (ev === MG_EV_OPEN || ev === MG_EV_ACCEPT || ev === MG_EV_CLOSE) events.push([c.id, ev]); });
  const l = mgr.listen("tcp://127.0.0.1:0");
  mgr.setAutoDrive(true);
  const sock = net.connect(l.localAddr!.port, "127.0.0.1");
  await new Promise((r) => sock.on("connect", r));
  for (const until = Date.now() + 10_000; mgr.connections.length < 2 && Date.now() < until;) await sleep(5);
  expect(mgr.connections).toHaveLength(2);
  const ended = new Promise((r) => sock.on("close", r));
  sock.on("error", () => undefined);
  mgr.close();
  mgr.close();
  await ended;
  expect(mgr.connections).toHaveLength(0);
  expect(events.filter(([, ev]) => ev === MG_EV_CLOSE).map(([id]) => id).sort()).toEqual(
    events.filter(([, ev]) => ev === MG_EV_OPEN).map(([id]) => id).sort());
  expect(() => mgr.listen("http://127.0.0.1:0")).toThrow(ManagerClosedError);
  expect(() => mgr.timerAdd(1, () => undefined)).toThrow(ManagerClosedError);
});
