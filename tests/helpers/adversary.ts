// adversary.ts: shared machinery of the adversarial suites (issue 5, part 2).
//
// - A core probe: the WASM core's own exports (mgx_heap_used, mgx_conn_count)
//   are not part of the public API, so the probe captures the instance as it
//   is created (WebAssembly.instantiate / new WebAssembly.Instance are
//   wrapped, pass-through) to read the core's heap counter. Import this
//   module before the first `init()` of a test file.
// - A server whose handler counts every request it sees by URI (so a test
//   can prove a smuggled request was never executed) and serves a few fixed
//   routes.
// - A "bystander": a keep-alive client that makes sequential requests for
//   the whole test and records anything that is not exactly the expected
//   response, so each attack also proves other connections are unaffected.
import * as net from "node:net";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { MG_EV_HTTP_MSG, type Connection, type Manager } from "tsmongoose";
import { parseResponses, RawClient, type RawResponse } from "./raw-client";
import { sleep, startServer, stopAllServers, type Handler, type StartOptions, type TestServer } from "./server";
import { asHttp, patternBytes } from "./http";

// ---- core probe ---------------------------------------------------------------

/** The core exports the probe uses (wasm/src/mgx.h). */
interface ProbeExports {
  mgx_heap_used(): number;
  mgx_conn_count(mgr: number, acceptedOnly: number): number;
  memory: WebAssembly.Memory;
}

const ORIGINALS = Symbol.for("tsmongoose.test.adversary.originals");
let probed: ProbeExports | undefined;

function remember(inst: unknown): void {
  const ex = (inst as WebAssembly.Instance | undefined)?.exports as Partial<ProbeExports> | undefined;
  if (ex && typeof ex.mgx_heap_used === "function" && typeof ex.mgx_conn_count === "function") {
    probed = ex as ProbeExports;
  }
}

/** Wrap WebAssembly.instantiate and WebAssembly.Instance (once per realm) to capture the core. */
function installProbe(): void {
  const wa = WebAssembly as unknown as Record<symbol, unknown> & {
    instantiate: (...a: unknown[]) => Promise<unknown>;
    Instance: unknown;
  };
  type Orig = {
    instantiate: (...a: unknown[]) => Promise<unknown>;
    Instance: new (...a: unknown[]) => WebAssembly.Instance;
    hook: (i: unknown) => void;
  };
  const existing = wa[ORIGINALS] as Orig | undefined;
  if (existing) {
    existing.hook = remember; // this module instance records from now on
    return;
  }
  const orig: Orig = {
    instantiate: wa.instantiate.bind(WebAssembly) as Orig["instantiate"],
    Instance: wa.Instance as Orig["Instance"],
    hook: remember,
  };
  wa[ORIGINALS] = orig;
  wa.instantiate = async (...args: unknown[]) => {
    const r = await orig.instantiate(...args);
    orig.hook(r instanceof orig.Instance ? r : (r as { instance?: unknown }).instance);
    return r;
  };
  wa.Instance = new Proxy(orig.Instance, {
    construct(target, args, newTarget) {
      const inst = Reflect.construct(target, args, newTarget) as WebAssembly.Instance;
      orig.hook(inst);
      return inst;
    },
  });
}
installProbe();

/** The captured core exports; throws if the core was instantiated before this module loaded. */
function probe(): ProbeExports {
  if (!probed) throw new Error("adversary: the core was not captured: import helpers/adversary before init()");
  return probed;
}

/** Bytes the C core currently has allocated (mgx_heap_used). */
export function coreHeapUsed(): number {
  return probe().mgx_heap_used();
}

/** Size of the core's linear memory, bytes (it only ever grows). */
export function coreMemorySize(): number {
  return probe().memory.buffer.byteLength;
}

/** Accepted connections the core holds for `mgr` (mgx_conn_count(mgr, 1)). */
export function coreAccepted(mgr: Manager): number {
  const ptr = (mgr as unknown as { _ptr: number })._ptr;
  return ptr ? probe().mgx_conn_count(ptr, 1) : 0;
}

/** Accepted connections the facade knows for `mgr`. */
export function liveAccepted(mgr: Manager): number {
  return mgr.connections.filter((c) => c.isAccepted).length;
}

let gcFn: (() => void) | undefined;

/** Run a full garbage collection (enables --expose-gc at run time the first time). */
export function forceGc(): void {
  if (!gcFn) {
    v8.setFlagsFromString("--expose-gc");
    gcFn = vm.runInNewContext("gc") as () => void;
  }
  gcFn();
}

/** Bytes of ArrayBuffers (Buffers included) alive in this process after a full GC. */
export function liveArrayBuffers(): number {
  forceGc();
  return process.memoryUsage().arrayBuffers;
}

// ---- the server under attack ----------------------------------------------------

/** A test server plus what its handler saw. */
export interface AdversaryServer {
  srv: TestServer;
  port: number;
  /** MG_EV_HTTP_MSG deliveries per URI (query excluded). */
  calls: Map<string, number>;
  /** Number of deliveries of `uri`. */
  count(uri: string): number;
  /** Every delivered request as "METHOD uri bodyLength", in order, bystander requests excluded. */
  seen: string[];
}

/** Routes of the adversary server, tried before the default ones. Return true when handled. */
export type Route = (conn: Connection, uri: string, query: string, body: Uint8Array) => boolean;

/**
 * Start a server whose handler counts requests by URI and answers:
 * /bystander/N -> 200 "by:N"; /big?n=BYTES -> 200 with patternBytes(n);
 * anything else -> 200 "ok:<uri>:<body length>". `route` may answer first.
 */
export async function startAdversaryServer(opts: StartOptions & { route?: Route } = {}): Promise<AdversaryServer> {
  const calls = new Map<string, number>();
  const seen: string[] = [];
  const handler: Handler = (c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(d);
    const uri = hm.uri;
    calls.set(uri, (calls.get(uri) ?? 0) + 1);
    const body = hm.body;
    if (uri.startsWith("/bystander/")) {
      c.reply(200, `by:${uri.slice(11)}`);
      return;
    }
    seen.push(`${hm.method} ${uri} ${body.length}`);
    if (opts.route?.(c, uri, hm.query, body)) return;
    if (uri === "/big") {
      const n = Number(/(?:^|&)n=(\d+)/.exec(hm.query)?.[1] ?? 1024);
      c.reply(200, patternBytes(n, 7), { "Content-Type": "application/octet-stream" });
      return;
    }
    c.reply(200, `ok:${uri}:${body.length}`);
  };
  const srv = await startServer(handler, opts);
  return { srv, port: srv.port, calls, seen, count: (uri) => calls.get(uri) ?? 0 };
}

// ---- the bystander -----------------------------------------------------------------

/** What a bystander saw. */
export interface BystanderReport {
  /** Requests sent. */
  sent: number;
  /** Responses that were exactly right. */
  ok: number;
  /** Everything that went wrong, described. */
  failures: string[];
}

/**
 * A keep-alive client that sends `GET /bystander/N` one at a time (waiting
 * `gapMs` between a response and the next request) until stopped, and
 * checks that every response is `200 by:N` on the same open connection.
 */
export class Bystander {
  private sent = 0;
  private ok = 0;
  private readonly failures: string[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  private constructor(private readonly socket: net.Socket, private readonly gapMs: number,
    private readonly timeoutMs: number) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    socket.on("end", () => {
      if (!this.stopped) this.failures.push(`server ended the connection after ${this.ok} responses`);
      this.wake?.();
    });
    socket.on("error", (e) => { if (!this.stopped) this.failures.push(`socket error: ${e.message}`); this.wake?.(); });
    socket.on("close", () => this.wake?.());
    this.loop = this.run();
  }

  /** Connect to 127.0.0.1:port and start requesting. */
  static async start(port: number, opts: { gapMs?: number; timeoutMs?: number } = {}): Promise<Bystander> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1", noDelay: true });
      s.once("connect", () => { s.off("error", reject); resolve(s); });
      s.once("error", reject);
    });
    const b = new Bystander(socket, opts.gapMs ?? 5, opts.timeoutMs ?? 5000);
    await b.waitFor(1);
    return b;
  }

  /** Number of correct responses so far. */
  get count(): number { return this.ok; }

  /** Slowest response so far, ms from request written to response parsed. */
  maxLatencyMs = 0;

  /** Forget the slowest response so far (start a new latency window). */
  resetLatency(): void { this.maxLatencyMs = 0; }

  /** Failures recorded so far (empty while all is well). */
  get failureList(): readonly string[] { return this.failures; }

  /** Resolve once `n` correct responses arrived (or the bystander failed). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.ok < n && this.failures.length === 0 && Date.now() < end) await sleep(5);
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.socket.destroyed && this.failures.length === 0) {
      const n = ++this.sent;
      const t0 = Date.now();
      this.socket.write(`GET /bystander/${n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const res = await this.next();
      this.maxLatencyMs = Math.max(this.maxLatencyMs, Date.now() - t0);
      if (!res) {
        if (!this.stopped) this.failures.push(`request ${n}: no response within ${this.timeoutMs} ms`);
        return;
      }
      const body = res.body.toString("latin1");
      if (res.status !== 200 || body !== `by:${n}` || /close/i.test(res.headers.connection ?? "")) {
        this.failures.push(`request ${n}: got ${res.status} ${JSON.stringify(body)} connection=${res.headers.connection}`);
        return;
      }
      this.ok++;
      if (this.gapMs > 0) await sleep(this.gapMs);
    }
  }

  /** The next complete response, or undefined on timeout / close. */
  private async next(): Promise<RawResponse | undefined> {
    const end = Date.now() + this.timeoutMs;
    for (;;) {
      const { responses, rest } = parseResponses(this.buf);
      if (responses.length > 0) {
        this.buf = Buffer.from(rest);
        if (responses.length > 1) this.failures.push(`unexpected extra response(s): ${responses.length}`);
        return responses[0];
      }
      if (this.socket.destroyed || this.stopped || Date.now() >= end) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.wake = () => { clearTimeout(t); this.wake = undefined; r(); };
      });
    }
  }

  /** Stop after the request in flight, close the socket, and report. */
  async stop(): Promise<BystanderReport> {
    // Let the request in flight finish so `sent` and `ok` can be compared.
    const end = Date.now() + this.timeoutMs;
    while (this.ok < this.sent && this.failures.length === 0 && Date.now() < end) await sleep(2);
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.socket.destroy();
    return { sent: this.sent, ok: this.ok, failures: [...this.failures] };
  }
}

/** Assert a bystander report: at least `min` requests, every one answered correctly. */
export function expectBystanderFine(r: BystanderReport, min = 1): void {
  expect(r.failures).toEqual([]);
  expect(r.ok).toBe(r.sent);
  expect(r.ok).toBeGreaterThanOrEqual(min);
}

/**
 * Assert the bystander is still being served right now: `more` further
 * correct responses arrive (within 5 s) and nothing went wrong so far.
 */
export async function expectStillServed(by: Bystander, more = 2): Promise<void> {
  const before = by.count;
  await by.waitFor(before + more, 5000);
  expect(by.failureList).toEqual([]);
  expect(by.count).toBeGreaterThanOrEqual(before + more);
}

// ---- attack helpers ------------------------------------------------------------------

/**
 * Send `input` (pieces written in order), expect exactly one response with
 * `status` and then the server closing the connection. Returns the response.
 */
export async function expectRejected(port: number, input: string | Buffer | (string | Buffer)[], status: number | number[],
  timeoutMs = 5000): Promise<RawResponse> {
  const c = await RawClient.connect(port);
  try {
    for (const piece of Array.isArray(input) ? input : [input]) await c.write(piece);
    await c.waitEnd(timeoutMs);
    const all = parseResponses(c.data, [], true).responses;
    const finals = all.filter((r) => r.status >= 200);
    if (finals.length !== 1) {
      const got = JSON.stringify(c.data.subarray(0, 400).toString("latin1"));
      throw new Error(`wanted one final response, got ${finals.length}: ${got}`);
    }
    const statuses = Array.isArray(status) ? status : [status];
    expect(statuses).toContain(finals[0].status);
    expect(finals[0].headers.connection).toBe("close");
    return finals[0];
  } finally {
    c.destroy();
  }
}

/**
 * Wait until `cond()` holds, polling every 10 ms; throws with `what` after
 * `timeoutMs` (a function is called then, so the message can tell the state).
 */
export async function eventually(cond: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "function" ? what() : what}`);
    }
    await sleep(10);
  }
}

/** Connect a raw socket (no data handling beyond recording end/close); resolves on connect or error. */
export function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => { s.off("error", reject); s.on("error", () => undefined); resolve(s); });
    s.once("error", reject);
  });
}

/**
 * An attacked server with a keep-alive bystander for the enclosing describe
 * block (or file): started before its tests, its request log cleared before
 * each, and stopped after them, checking the bystander was served throughout.
 */
export function useAttackedServer(opts: Parameters<typeof startAdversaryServer>[0]): { adv: AdversaryServer; by: Bystander } {
  const ctx = {} as { adv: AdversaryServer; by: Bystander };
  beforeAll(async () => {
    ctx.adv = await startAdversaryServer(opts);
    ctx.by = await Bystander.start(ctx.adv.port);
  });
  afterAll(async () => {
    const report = await ctx.by.stop();
    await stopAllServers();
    expectBystanderFine(report, 3);
  });
  beforeEach(() => {
    ctx.adv.calls.clear();
    ctx.adv.seen.length = 0;
  });
  return ctx;
}
