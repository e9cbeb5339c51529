// ws-chat-cluster.test.ts: examples/ws-chat.ts under runCluster() (WORKERS=2):
// `ws` clients join until both workers hold some (each learns its worker's pid
// from its own message coming back, user<pid>.<id>), then every message any
// client sends reaches every client, in one order; SIGTERM closes every
// client with 1001 and the fleet exits 0.
import { join } from "node:path";
import WebSocket from "ws";
import { killAll, start, until } from "./helpers/fleet";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "ws-chat.mjs");
afterEach(killAll);

interface Client { ws: WebSocket; got: string[]; pid?: string; closed?: number }

test("a message typed in any tab reaches every tab, whichever worker holds it", async () => {
  const p = start(SCRIPT, { PORT: "0", WORKERS: "2" }, ROOT);
  const listening = await p.waitFor(/worker (\d+) listening on http:\/\/127\.0\.0\.1:(\d+)/, 2);
  const port = Number(listening[0][2]);
  expect(Number(listening[1][2])).toBe(port);
  const clients: Client[] = [];
  // Fresh connections are spread round-robin; join until both workers hold one (bounded).
  for (let i = 0; i < 12 && new Set(clients.map((c) => c.pid)).size < 2; i++) {
    const c: Client = { ws: new WebSocket(`ws://127.0.0.1:${port}/websocket`), got: [] };
    c.ws.on("message", (d) => c.got.push(d.toString()));
    c.ws.on("close", (code) => { c.closed = code; });
    await new Promise((r, j) => { c.ws.once("open", r); c.ws.once("error", j); });
    clients.push(c);
    c.ws.send(`whoami ${i}`);
    await until(() => c.got.some((m) => m.endsWith(`: whoami ${i}`)), 10_000, `client ${i}'s own message`);
    c.pid = /^user(\d+)\.\d+: whoami/.exec(c.got.find((m) => m.endsWith(`: whoami ${i}`))!)![1];
  }
  const pids = new Set(clients.map((c) => c.pid));
  expect(pids.size).toBe(2);
  clients.forEach((c, i) => c.ws.send(`round ${i}`));
  const expected = clients.map((_, i) => `round ${i}`).sort();
  const rounds = (c: Client): string[] => c.got.filter((m) => / round \d+$/.test(m));
  await until(() => clients.every((c) => rounds(c).length === clients.length), 10_000, "every round message at every client");
  for (const c of clients) expect(rounds(c).map((m) => m.replace(/^.*: /, "")).sort()).toEqual(expected);
  // One order for all: every message passed through the primary.
  for (const c of clients) expect(rounds(c)).toEqual(rounds(clients[0]));
  // A message's sender name carries the worker that holds the sender.
  for (const [i, c] of clients.entries()) expect(rounds(clients[0])).toContain(`user${c.pid}.${/user\d+\.(\d+): whoami/.exec(c.got.find((m) => m.endsWith(`: whoami ${i}`))!)![1]}: round ${i}`);

  p.child.kill("SIGTERM");
  expect(await p.exited).toEqual({ code: 0, signal: null });
  await until(() => clients.every((c) => c.closed !== undefined), 5000, "client closes");
  expect(clients.map((c) => c.closed)).toEqual(clients.map(() => 1001));
  expect(p.out()).toMatch(/cluster report: .*"lost":0/);
}, 60_000);
