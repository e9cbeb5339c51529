// faults.ts: fault injection into the host. A FileSystem and a Network that
// fail at one named call site, around real ones (a packed file set, Node's
// loopback sockets), and a rig: a manager that also answers a bystander on
// a kept-alive connection, which must keep getting answers whatever the
// victim's host calls do, and a shutdown that must finish within its timeout.
import { Manager, nodeNetwork, MG_EV_HTTP_MSG, type Connection, type Handler, type FileStat, type FileSystem, type HttpMessage,
  type Address, type Endpoint, type ListenOptions, type Network, type NetworkEvents, type PackedFs } from "tsmongoose";
import { makeManager } from "./server";
import { RawClient, getReq, parseResponses, rawRequest, type RawResponse } from "./raw-client";

/** The error every injected fault throws (or reports), recognisable in errorHandler calls. */
export class InjectedFault extends Error {
  constructor(site: string) {
    super(`injected fault at ${site}`);
    this.name = "InjectedFault";
  }
}

/** The FileSystem methods a fault can hit. */
export type FsSite = "stat" | "open" | "read" | "close" | "list" | "within" | "view";

/**
 * A FileSystem over a PackedFs whose method `site` throws: on its first
 * call ("first"), or on every call after the first ("later": the reads of a
 * host-side body pump after the socket drained). Without `withView` reads go
 * through read() (as node:fs does), with it through view() (the packed set).
 */
export class FaultyFs implements FileSystem {
  hits = 0;
  readonly err: InjectedFault;
  view?: (fd: number, position: number, len: number) => Uint8Array | undefined;
  #calls = 0;

  constructor(readonly inner: PackedFs, readonly site: FsSite | undefined, readonly when: "first" | "later",
    withView: boolean) {
    this.err = new InjectedFault(`fs.${site}`);
    if (withView) {
      this.view = (fd, position, len) => {
        this.#trip("view");
        return inner.view(fd, position, len);
      };
    }
  }

  #trip(m: FsSite): void {
    if (m !== this.site) return;
    const n = ++this.#calls;
    if (this.when === "first" ? n === 1 : n >= 2) {
      this.hits++;
      throw this.err;
    }
  }

  stat(path: string): FileStat | undefined { this.#trip("stat"); return this.inner.stat(path); }
  open(path: string): number | undefined { this.#trip("open"); return this.inner.open(path); }
  read(fd: number, buf: Uint8Array, position: number): number { this.#trip("read"); return this.inner.read(fd, buf, position); }
  close(fd: number): void { this.#trip("close"); this.inner.close(fd); }
  list(path: string): string[] | undefined { this.#trip("list"); return this.inner.list(path); }
  within(root: string, path: string): boolean { this.#trip("within"); return this.inner.within(root, path); }
}

/** The Network calls a fault can hit. */
export type NetSite = "listen" | "adopt" | "connect" | "send" | "sendWith" | "pause" | "close" | "lookup" | "tlsInit";
// (sendWith is forwarded when the inner network has it; Node's networks as
// nodeNetwork() builds them do not offer it, so no test targets it.)

/**
 * Node's network (the transport of the jest project) with one call site that
 * fails once: "sync" throws from the call; "async" lets the call through and
 * then fails the way a socket does later (an error event on the next turn,
 * or a rejected promise for listen/lookup). Calls that carry a connection
 * id fail for the ids in `victims`; listen, adopt, connect, lookup and
 * tlsInit fail for the next call after `armed` is set.
 */
export class FaultyNetwork implements Network {
  readonly name = "faulty";
  readonly inner: Network = nodeNetwork();
  readonly err: InjectedFault;
  readonly victims = new Set<number>();
  armed = false;
  hits = 0;
  sendWith?: (id: number, len: number, fill: (buf: Uint8Array) => number) => number;
  #events: NetworkEvents | undefined;

  constructor(readonly site: NetSite, readonly mode: "sync" | "async") {
    this.err = new InjectedFault(`network.${site} (${mode})`);
    const inner = this.inner;
    if (inner.sendWith !== undefined) {
      this.sendWith = (id, len, fill) => {
        if (this.#fail("sendWith", id)) return this.#after(id, inner.sendWith!(id, len, fill));
        return inner.sendWith!(id, len, fill);
      };
    }
  }

  /** Whether this call is the one to fail; throws right here in "sync" mode. */
  #fail(site: NetSite, id: number | undefined): boolean {
    if (site !== this.site) return false;
    if (id !== undefined && this.victims.has(id)) this.victims.delete(id);
    else if (this.armed) this.armed = false;
    else return false;
    this.hits++;
    if (this.mode === "sync") throw this.err;
    return true;
  }

  /** "async": the call went through; its socket fails on the next turn. */
  #after<T>(id: number, result: T): T {
    setImmediate(() => this.#events?.error(id, this.err));
    return result;
  }

  listen(id: number, ep: Endpoint, events: NetworkEvents, opts?: ListenOptions): Address | Promise<Address> {
    this.#events = events;
    if (this.#fail("listen", undefined)) return Promise.reject(this.err);
    return this.inner.listen(id, ep, events, opts);
  }

  adopt(id: number, socket: unknown): void {
    if (this.#fail("adopt", undefined)) return this.#after(id, this.inner.adopt(id, socket));
    this.inner.adopt(id, socket);
  }

  connect(id: number, ep: Endpoint, events: NetworkEvents): void {
    this.#events = events;
    if (this.#fail("connect", undefined)) return this.#after(id, this.inner.connect(id, ep, events));
    this.inner.connect(id, ep, events);
  }

  send(id: number, data: Uint8Array, to?: Address): number {
    if (this.#fail("send", id)) return this.#after(id, this.inner.send(id, data, to));
    return this.inner.send(id, data, to);
  }

  pause(id: number, paused: boolean): void {
    if (this.#fail("pause", id)) return this.#after(id, this.inner.pause(id, paused));
    this.inner.pause(id, paused);
  }

  close(id: number, force: boolean): void {
    if (this.#fail("close", id)) return this.#after(id, this.inner.close(id, force));
    this.inner.close(id, force);
  }

  localAddr(id: number): Address | undefined { return this.inner.localAddr(id); }
  remoteAddr(id: number): Address | undefined { return this.inner.remoteAddr(id); }
  ref(on: boolean): void { this.inner.ref?.(on); }

  lookup(host: string): Promise<Address> {
    if (this.#fail("lookup", undefined)) return Promise.reject(this.err);
    return this.inner.lookup!(host);
  }

  tlsInit(id: number, tls: Parameters<NonNullable<Network["tlsInit"]>>[1], pending: readonly Uint8Array[]): void {
    if (this.#fail("tlsInit", undefined)) return this.#after(id, this.inner.tlsInit!(id, tls, pending));
    this.inner.tlsInit!(id, tls, pending);
  }

  tlsPrepare(tls: Parameters<NonNullable<Network["tlsPrepare"]>>[0]): void {
    this.inner.tlsPrepare!(tls);
  }
}

/**
 * What the rig's handler does with a request that is not the bystander's
 * /ping; or `{ handler }`: every event goes to it (a fetch adapter, which
 * then answers /ping itself).
 */
export type VictimHandler = ((conn: Connection, hm: HttpMessage) => void) |
  { handler: Handler };

/** A manager with an HTTP listener, a bystander kept alive on it, and what was reported. */
export interface Rig {
  mgr: Manager;
  port: number;
  /** Everything the errorHandler received. */
  errors: unknown[];
  /** Events per connection id, in order. */
  events: Map<number, number[]>;
  bystander: RawClient;
}

const rigs = new Set<{ mgr: Manager; clients: RawClient[] }>();

/** The bystander's answer count so far, on its kept-alive connection. */
let asked = new WeakMap<RawClient, number>();

/** Start a rig: auto-driven (as run() drives), errors collected, the bystander answered once. */
export async function startRig(victim: VictimHandler, network?: Network, managerOpts: Record<string, unknown> = {}): Promise<Rig> {
  const errors: unknown[] = [];
  const events = new Map<number, number[]>();
  const mgr = await makeManager((c, ev, data) => {
    let list = events.get(c.id);
    if (list === undefined) events.set(c.id, (list = []));
    list.push(ev);
    if (typeof victim !== "function") return (victim.handler as (c: Connection, e: number, d: unknown) => void | Promise<void>)(c, ev, data);
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.uri === "/ping") c.reply(200, "pong");
    else victim(c, hm);
  }, { ...managerOpts, errorHandler: (err: unknown) => errors.push(err), ...(network ? { network } : {}) });
  const entry = { mgr, clients: [] as RawClient[] };
  rigs.add(entry);
  const port = mgr.listen("http://127.0.0.1:0").localAddr!.port;
  (mgr as unknown as { setAutoDrive(on: boolean): void }).setAutoDrive(true);
  const bystander = await RawClient.connect(port);
  entry.clients.push(bystander);
  const rig = { mgr, port, errors, events, bystander };
  await bystanderAnswered(rig);
  return rig;
}

/** The bystander gets "pong" on its kept-alive connection and on a fresh one. */
export async function bystanderAnswered(rig: Rig): Promise<void> {
  const n = (asked.get(rig.bystander) ?? 0) + 1;
  asked.set(rig.bystander, n);
  await rig.bystander.write(getReq("/ping"));
  const all = await rig.bystander.finalResponses(n, { timeoutMs: 5000 });
  expect(all.map((r) => `${r.status} ${r.body.toString()}`)).toEqual(Array(n).fill("200 pong"));
  const [fresh] = await rawRequest(rig.port, getReq("/ping", "Connection: close\r\n"));
  expect(fresh.status).toBe(200);
}

/** What a victim's client saw: complete responses, and whether the server closed. */
export interface VictimResult {
  responses: RawResponse[];
  ended: boolean;
  bytes: string;
  client: RawClient;
}

/** Send `request` on a fresh connection; wait for one complete response or the close. */
export async function victimRequest(rig: Rig, request: string, port = rig.port): Promise<VictimResult> {
  const c = await RawClient.connect(port);
  for (const r of rigs) if (r.mgr === rig.mgr) r.clients.push(c);
  await c.write(request);
  const parsed = () => parseResponses(c.data, [], c.ended).responses.filter((r) => r.status >= 200);
  await c.waitUntil(() => parsed().length > 0 || c.ended, 5000, "the victim's answer or close");
  return { responses: parsed(), ended: c.ended, bytes: c.data.toString("latin1"), client: c };
}

/** Time a shutdown may take here; a stuck manager is forced only after it. */
export const SHUTDOWN_TIMEOUT_MS = 4000;

/** Shut down: nobody forced, done well within the timeout, the bystander closed. */
export async function shutdownPromptly(rig: Rig): Promise<void> {
  const t0 = performance.now();
  const report = await rig.mgr.shutdown({ timeoutMs: SHUTDOWN_TIMEOUT_MS, idleGraceMs: 0 });
  const took = performance.now() - t0;
  expect(report.forced).toEqual([]);
  expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  expect(rig.mgr.closed).toBe(true);
  await rig.bystander.waitEnd(5000);
}

/** afterEach: close whatever a failing test left open. */
export function stopRigs(): void {
  for (const r of rigs) {
    for (const c of r.clients) c.destroy();
    if (!r.mgr.closed) r.mgr.close();
  }
  rigs.clear();
  asked = new WeakMap();
}
