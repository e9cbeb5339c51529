// uv.ts: typed access to the libuv TCP bindings that node:net is built on.
//
// process.binding('tcp_wrap') and ('stream_wrap') are the same objects
// node:net uses internally. They are not a public API, so everything is
// checked once and tcpBindings() answers undefined when the shape differs:
// the caller then falls back to node:net.
import { getSystemErrorMap, getSystemErrorName } from "node:util";
import { ListenError } from "./errors";
import type { Address } from "./network";

/** getsockname()/getpeername() fill this in. */
export interface SockName {
  address?: string;
  family?: string;
  port?: number;
}

/** A request object whose completion libuv reports through `oncomplete`. */
export interface UvReq {
  oncomplete: (...args: never[]) => void;
  handle?: unknown;
  [key: string]: unknown;
}

/** A libuv TCP handle (TCPWrap). Methods answer 0 or a negative errno. */
export interface TcpHandle {
  /** Called on the handle with (ArrayBuffer | undefined); the result is in streamBaseState. */
  onread: unknown;
  onconnection: ((status: number, client?: TcpHandle) => void) | null;
  readonly writeQueueSize: number;
  bind(host: string, port: number): number;
  bind6(host: string, port: number, flags: number): number;
  listen(backlog: number): number;
  connect(req: UvReq, host: string, port: number): number;
  connect6(req: UvReq, host: string, port: number): number;
  getsockname(out: SockName): number;
  getpeername(out: SockName): number;
  setNoDelay(on: boolean): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  writeBuffer(req: UvReq, buf: Uint8Array): number;
  shutdown(req: UvReq): number;
  close(cb?: () => void): void;
  ref(): void;
  unref(): void;
}

/** What node-handle.ts needs from Node's internals. */
export interface TcpBindings {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => UvReq;
  WriteWrap: new () => UvReq;
  ShutdownWrap: new () => UvReq;
  /** TCP constructor types. */
  SOCKET: number;
  SERVER: number;
  /** Shared with the C++ side: read/write results of the last call. */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
  /** libuv's end-of-stream errno. */
  UV_EOF: number;
}

let cached: TcpBindings | null | undefined;

/** The libuv TCP bindings, or undefined where this Node does not offer them as expected. */
export function tcpBindings(): TcpBindings | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  // Deno offers tcp_wrap with all of this shape, but a server handle never
  // gets an accepted connection (tests/portability/smoke.mjs under Deno):
  // its node:net sockets work, so the socket transport is used there.
  if ((process.versions as Record<string, string | undefined>).deno !== undefined) return undefined;
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding;
    if (typeof binding !== "function") return undefined;
    const tcp = binding("tcp_wrap");
    const stream = binding("stream_wrap");
    const uv = binding("uv");
    const TCP = tcp.TCP as TcpBindings["TCP"];
    const constants = tcp.constants as { SOCKET?: number; SERVER?: number };
    const proto = (TCP as unknown as { prototype: Record<string, unknown> }).prototype;
    const methods = ["bind", "bind6", "listen", "connect", "connect6", "getsockname", "getpeername", "setNoDelay",
      "readStart", "readStop", "useUserBuffer", "writeBuffer", "shutdown", "close", "ref", "unref"];
    if (typeof TCP !== "function" || typeof tcp.TCPConnectWrap !== "function" ||
        typeof stream.WriteWrap !== "function" || typeof stream.ShutdownWrap !== "function" ||
        // Not instanceof: under a vm context (jest) Int32Array is another realm's.
        Object.prototype.toString.call(stream.streamBaseState) !== "[object Int32Array]" || typeof stream.kReadBytesOrError !== "number" ||
        typeof stream.kLastWriteWasAsync !== "number" || typeof constants?.SOCKET !== "number" ||
        typeof constants.SERVER !== "number" || methods.some((m) => typeof proto[m] !== "function")) {
      return undefined;
    }
    cached = {
      TCP,
      TCPConnectWrap: tcp.TCPConnectWrap as TcpBindings["TCPConnectWrap"],
      WriteWrap: stream.WriteWrap as TcpBindings["WriteWrap"],
      ShutdownWrap: stream.ShutdownWrap as TcpBindings["ShutdownWrap"],
      SOCKET: constants.SOCKET,
      SERVER: constants.SERVER,
      streamBaseState: stream.streamBaseState as Int32Array,
      kReadBytesOrError: stream.kReadBytesOrError,
      kLastWriteWasAsync: stream.kLastWriteWasAsync,
      UV_EOF: typeof uv.UV_EOF === "number" ? uv.UV_EOF : -4095,
    };
    return cached;
  } catch {
    return undefined;
  }
}

/** The errno name ("ECONNRESET") of a negative libuv status. */
export function errnoName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return "EUNKNOWN";
  }
}

/** An Error shaped like node:net's (message "connect ECONNREFUSED 127.0.0.1:80", code, errno, syscall). */
export function uvError(status: number, syscall: string, address?: string, port?: number): Error {
  const code = errnoName(status);
  const where = address === undefined ? "" : port === undefined ? ` ${address}` : ` ${address}:${port}`;
  return Object.assign(new Error(`${syscall} ${code}${where}`), { errno: status, code, syscall, address, port });
}

/** What a failed listen means, for ListenError messages. */
const LISTEN_ERROR_DESCRIPTIONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available",
};

let errnoByName: Map<string, number> | undefined;

/** Node's (libuv's) negative number for an errno name, as in err.errno; undefined if unknown. */
export function errnoNumber(code: string): number | undefined {
  errnoByName ??= new Map([...getSystemErrorMap()].map(([n, [name]]) => [name, n]));
  return errnoByName.get(code);
}

/** The ListenError for a bind/listen of `url` (host:port) that failed with errno name `code`. */
export function listenError(url: string, host: string, port: number, code: string): ListenError {
  const what = LISTEN_ERROR_DESCRIPTIONS[code];
  const cause = Object.assign(new Error(`listen ${code}${what ? `: ${what}` : ""} ${host}:${port}`),
    { code, errno: errnoNumber(code), syscall: "listen", address: host, port });
  return new ListenError(url, code, cause);
}

/**
 * Bind and listen a TCP server handle: the handle, or the negative errno
 * (the handle is then closed). `family` is 4 or 6.
 */
export function bindListen(b: TcpBindings, host: string, port: number, family: number, backlog: number): TcpHandle | number {
  const handle = new b.TCP(b.SERVER);
  let err = family === 6 ? handle.bind6(host, port, 0) : handle.bind(host, port);
  if (err === 0) err = handle.listen(backlog);
  if (err === 0) return handle;
  handle.close();
  return err;
}

/** A TCP handle's own (or, with `peer`, its peer's) address; undefined when it has none. */
export function sockName(handle: TcpHandle, peer: boolean): Address | undefined {
  const out: SockName = {};
  const err = peer ? handle.getpeername(out) : handle.getsockname(out);
  if (err !== 0 || out.address === undefined || out.port === undefined) return undefined;
  return { address: out.address, port: out.port, family: out.family === "IPv6" ? "IPv6" : "IPv4" };
}
