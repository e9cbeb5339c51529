// tls.ts: shared setup of the TLS suites: a Manager whose handler records
// every event per connection, openssl s_client runs, undici Agents.
import { execFile, spawn } from "node:child_process";
import { eventName, MG_EV_ERROR, MG_EV_HTTP_MSG, type Connection, type Manager } from "tsmongoose";
import { backgroundPoll, makeManager, ready, waitFor } from "./server";
import { asHttp } from "./http";
import { makeCerts, type Certs } from "./certs";

/** What tlsSuite() gives a test file. */
export interface TlsSuite {
  /** The certificates, made in beforeAll (helpers/certs.ts). */
  certs: Certs;
  /** Run after each test, last first: stop what the test started. */
  cleanups: (() => Promise<void> | void)[];
  /** A Manager polled in the background, closed after the test. */
  polled(handler?: (c: Connection, ev: number, data: unknown) => void): Promise<Manager>;
}

/**
 * The set-up every TLS suite shares; call at the top level of the file. It
 * registers the beforeAll/afterAll/afterEach hooks.
 */
export function tlsSuite(): TlsSuite {
  const suite: TlsSuite = {
    certs: undefined as unknown as Certs,
    cleanups: [],
    async polled(handler) {
      const mgr = await makeManager(handler);
      const loop = backgroundPoll(mgr, 5);
      suite.cleanups.push(async () => {
        const done = loop.stop();
        mgr.close();
        await done;
      });
      return mgr;
    },
  };
  beforeAll(async () => {
    suite.certs = makeCerts();
    await ready();
  });
  afterAll(() => suite.certs?.cleanup());
  afterEach(async () => {
    for (const fn of suite.cleanups.splice(0).reverse()) await fn();
  });
  return suite;
}

/** Events seen per connection id, as names ("MG_EV_TLS_HS"...), and the error messages. */
export class EventLog {
  readonly events = new Map<number, string[]>();
  readonly errors = new Map<number, string[]>();

  record(conn: Connection, ev: number, data: unknown): void {
    let list = this.events.get(conn.id);
    if (list === undefined) this.events.set(conn.id, (list = []));
    list.push(eventName(ev));
    if (ev === MG_EV_ERROR) {
      const e = this.errors.get(conn.id) ?? [];
      e.push(String(data));
      this.errors.set(conn.id, e);
    }
  }

  /** Ids of accepted/client connections that saw `name`. */
  idsWith(name: string): number[] {
    return [...this.events].filter(([, l]) => l.includes(name)).map(([id]) => id);
  }

  /** Every error message so far. */
  allErrors(): string[] {
    return [...this.errors.values()].flat();
  }
}

/** A manager driven by a background poll loop, with an EventLog; `answer` replies to HTTP requests. */
export async function loggedManager(answer?: (conn: Connection, uri: string) => void): Promise<{
  mgr: Manager; log: EventLog; stop(): Promise<void>;
}> {
  const log = new EventLog();
  const mgr = await makeManager((conn, ev, data) => {
    log.record(conn, ev, data);
    if (ev === MG_EV_HTTP_MSG) {
      const uri = asHttp(data).uri;
      if (answer) answer(conn, uri);
      else conn.reply(200, `hello ${uri} tls=${conn.isTls}`);
    }
  });
  const loop = backgroundPoll(mgr, 10);
  return {
    mgr, log,
    stop: async () => {
      const done = loop.stop();
      mgr.close();
      await done;
    },
  };
}

/** Wait until connection `id` has seen MG_EV_CLOSE. */
export function waitClosed(log: EventLog, id: number, timeoutMs = 5000): Promise<void> {
  return waitFor(() => log.events.get(id)?.includes("MG_EV_CLOSE") === true, timeoutMs, `MG_EV_CLOSE of connection ${id}`);
}

/** What an openssl run printed. */
export interface OpensslResult {
  code: number;
  out: string;
}

/** Run `openssl s_client` against 127.0.0.1:port with `args`, writing `input` then closing stdin. */
export function sClient(port: number, args: string[], input = "", timeoutMs = 10_000): Promise<OpensslResult> {
  return new Promise((resolve) => {
    const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString("latin1"); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString("latin1"); });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** Run a command; resolves with exit code and combined output (never rejects). */
export function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "latin1", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
