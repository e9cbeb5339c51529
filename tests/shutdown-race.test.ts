// shutdown-race.test.ts: the keep-alive race, measured.
//
// A pooled keep-alive client (an undici Agent, 50 connections, requests back
// to back from 50 loops, each pausing 0-5 ms at random between requests so
// that pooled connections sit idle now and then, as they do in real
// traffic) loads a server; SIGTERM comes mid-load. Three rounds per server. Each loop
// keeps going until its requests are refused (ECONNREFUSED: the listener is
// closed, expected) or a deadline. Client-visible errors other than that -
// resets, "socket hang up", "other side closed" - are the race: a request
// sent on a keep-alive connection the server closed at the same moment.
//   (a) our server (examples/graceful-server, mgr.run()): must be 0;
//   (b) node:http stopped with server.close() + server.closeIdleConnections(),
//   (c) node:http stopped by http-terminator's terminate():
//       measurements, printed, not asserted.
import { existsSync } from "node:fs";
import { Agent, request } from "undici";
import { exampleScript, fixture, killAll, sleep, startChild, waitExit, type ChildServer } from "./fixtures/child";

const CONNECTIONS = 50;
const LOAD_BEFORE_SIGNAL_MS = 700;
const AFTER_SIGNAL_MS = 2500;
const MAX_THINK_MS = 5;
const ROUNDS = 3;

beforeAll(() => {
  if (!existsSync(exampleScript)) throw new Error(`${exampleScript} is missing: build first (npm run build)`);
});
afterEach(killAll);

interface Counts {
  requests: number;
  ok: number;
  rejected: number;
  refused: number;
  /** Resets, hang-ups, "other side closed" on a request sent over a pooled connection. */
  race: number;
  /** A new connection reset during its handshake (it sat in the accept queue when the listener closed). */
  connectReset: number;
  other: number;
  samples: string[];
}

/** Error codes (ours, the cause's) and message, flattened. */
function describeError(err: unknown): { codes: string[]; text: string } {
  const codes: string[] = [];
  const parts: string[] = [];
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e.code) codes.push(e.code);
    if (e.message) parts.push(e.message);
  }
  return { codes, text: parts.join(" <- ") };
}

const RACE = /ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|socket hang up|other side closed/i;

async function measure(srv: ChildServer): Promise<Counts> {
  const c: Counts = { requests: 0, ok: 0, rejected: 0, refused: 0, race: 0, connectReset: 0, other: 0, samples: [] };
  const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
  const origin = `http://127.0.0.1:${srv.port}`;
  let signalAt = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      if (signalAt && Date.now() > signalAt + AFTER_SIGNAL_MS) return;
      c.requests++;
      try {
        const res = await request(`${origin}/`, { dispatcher: agent });
        const body = await res.body.text();
        if (res.statusCode === 200 && body === "Hello, World!") c.ok++;
        else if (res.statusCode === 503) c.rejected++;
        else {
          c.other++;
          c.samples.push(`unexpected ${res.statusCode} ${JSON.stringify(body.slice(0, 60))}`);
        }
      } catch (err) {
        const { codes, text } = describeError(err);
        if (codes.includes("ECONNREFUSED")) {
          c.refused++;
          return; // the listener is closed: this client is done
        }
        if (/^connect /.test(text) && codes.includes("ECONNRESET")) c.connectReset++;
        else if (RACE.test(codes.join(" ") + " " + text)) c.race++;
        else c.other++;
        if (c.samples.length < 5) c.samples.push(`${codes.join("/")}: ${text}`);
        if (!signalAt) throw err; // nothing may fail before the signal
      }
      await sleep(Math.random() * MAX_THINK_MS);
    }
  };
  const loops = Array.from({ length: CONNECTIONS }, loop);
  await sleep(LOAD_BEFORE_SIGNAL_MS);
  signalAt = Date.now();
  srv.child.kill("SIGTERM");
  await Promise.all(loops);
  await agent.close();
  return c;
}

function add(sum: Counts, c: Counts): void {
  sum.requests += c.requests; sum.ok += c.ok; sum.rejected += c.rejected; sum.refused += c.refused;
  sum.race += c.race; sum.connectReset += c.connectReset; sum.other += c.other; sum.samples.push(...c.samples.slice(0, 5 - sum.samples.length));
}

/** One line of the printed summary. */
function summary(name: string, c: Counts): string {
  return `  ${name} ${c.race} race errors, ${c.connectReset} resets while connecting, ${c.other} other errors; ` +
    `${c.requests} requests, ${c.ok} x 200, ${c.rejected} x 503, ${c.refused} refused after close` +
    (c.samples.length && name !== "tsmongoose:" ? `\n    samples: ${c.samples.join(" | ")}` : "");
}

test("keep-alive race on SIGTERM: our server 0 client errors; node:http close()+closeIdleConnections() and http-terminator measured", async () => {
  const a: Counts = { requests: 0, ok: 0, rejected: 0, refused: 0, race: 0, connectReset: 0, other: 0, samples: [] };
  const b: Counts = { ...a, samples: [] };
  const c: Counts = { ...a, samples: [] };
  const exits = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ours = await startChild(exampleScript, { SHUTDOWN_TIMEOUT_MS: "10000" });
    add(a, await measure(ours));
    exits.push(await waitExit(ours, 10_000));

    const node = await startChild(fixture("node-http-server.mjs"));
    add(b, await measure(node));
    if (node.child.exitCode === null) node.child.kill("SIGKILL"); // its keep-alive sockets may keep it up

    const terminator = await startChild(fixture("http-terminator-server.mjs"));
    add(c, await measure(terminator));
    if (terminator.child.exitCode === null) terminator.child.kill("SIGKILL");
  }

  console.log(`keep-alive race (undici Agent, ${CONNECTIONS} connections, SIGTERM mid-load, ${ROUNDS} rounds each):\n` +
    [summary("tsmongoose:", a), summary("node:http:", b), summary("http-terminator:", c)].join("\n"));

  expect(a.samples).toEqual([]);
  expect(a.race).toBe(0);
  expect(a.connectReset).toBe(0);
  expect(a.other).toBe(0);
  expect(a.ok).toBeGreaterThan(ROUNDS * CONNECTIONS);
  expect(a.refused).toBe(ROUNDS * CONNECTIONS); // every loop ended on a refused connection, not on the deadline
  for (const e of exits) expect(e).toMatchObject({ code: 0, signal: null });
  expect(b.ok).toBeGreaterThan(ROUNDS * CONNECTIONS); // the baselines really ran
  expect(c.ok).toBeGreaterThan(ROUNDS * CONNECTIONS);
}, 120_000);
