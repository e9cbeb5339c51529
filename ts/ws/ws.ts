// ws.ts: WebSocket in the facade (API.md "WebSocket"): the WsMessage view,
// and the bodies of conn.wsUpgrade / wsSend / wsClose and mgr.wsConnect
// (Connection and Manager keep one-line delegates). The protocol itself is
// the C core's (wasm/src/ws.c, ws_hs.c): this file checks arguments and
// moves bytes.
import { core, u8, u32 } from "../core/loader";
import { copyBytes, readUtf8, toBytes, toScratch, latin1Bytes, sendBuf, connFlags, F_WEBSOCKET, F_CLOSING } from "../core/core";
import { ConnectionClosedError, MongooseError, describe, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes
import { argValueError } from "../core/args";
import { MessageView } from "../core/message-view";
import { formatHeaders, type HeadersInit } from "../http/headers";
import { HttpMessage } from "../http/http-message";
import type { Connection, Handler } from "../core/connection";
import type { Manager } from "../core/manager";
import type { TlsOpts } from "../tls/tls";
import { WS_DEFLATE_THRESHOLD, wsCompress, wsDeflateAvailable } from "./deflate";

/** The core's WebSocket exports (wasm/src/ws.h). */
interface WsExports {
  mgx_ws_upgrade(c: number, hm: number, extra: number, extraLen: number): number;
  mgx_ws_connect(c: number, head: number, headLen: number): number;
  mgx_ws_send(c: number, buf: number, len: number, op: number): number;
  mgx_ws_send_begin(c: number, len: number, op: number): number;
  mgx_ws_send_end(c: number): number;
  mgx_ws_close(c: number, code: number, reason: number, reasonLen: number): number;
  mgx_ws_set_limit(mgr: number, maxMessage: number): void;
  mgx_ws_deflate_allow(c: number, on: number): void;
  mgx_ws_deflate_state(c: number): number;
  mgx_ws_open_count(mgr: number): number;
}

const ws = (): WsExports => core() as unknown as WsExports;

// struct mg_ws_message (wasm32): data.buf @0, data.len @4, flags @8.
const OFF_FLAGS = 8;

/** net.h MG_SEND_HIGH: output above this is "backed up" (isFull on a WebSocket). */
export const WS_SEND_HIGH = 256 * 1024;

/**
 * A WebSocket message (MG_EV_WS_MSG) or control frame (MG_EV_WS_CTL), valid
 * only during the handler call. A fragmented message arrives once,
 * reassembled.
 */
export class WsMessage extends MessageView {
  #data: Uint8Array | undefined = undefined;
  #text: string | undefined = undefined;

  /** @internal Created by the Manager for MG_EV_WS_MSG / MG_EV_WS_CTL. */
  constructor(ptr: number) {
    super(ptr, "WsMessage");
  }



  #at(): number {
    return this._pointer >>> 2;
  }

  /** The frame's first byte: FIN (0x80) and the opcode (low 4 bits). */
  get flags(): number {
    return u32()[this.#at() + OFF_FLAGS / 4] & 0xff;
  }

  /** WEBSOCKET_OP_TEXT, _BINARY, _CLOSE, _PING or _PONG. */
  get opcode(): number {
    return this.flags & 15;
  }

  /** The payload bytes (a copy; binary-safe, NULs included). */
  get data(): Uint8Array {
    if (this.#data === undefined) {
      const i = this.#at();
      const w = u32();
      this.#data = copyBytes(w[i], w[i + 1]);
    }
    return this.#data;
  }

  /** The payload decoded as UTF-8 (text messages are valid UTF-8: the core checked). */
  get text(): string {
    if (this.#text === undefined) {
      const i = this.#at();
      const w = u32();
      this.#text = readUtf8(w[i], w[i + 1]);
    }
    return this.#text;
  }

  /** Close frames: the status code (1005 when the frame had none); undefined for other frames. */
  get closeCode(): number | undefined {
    if (this.opcode !== 8) return undefined;
    const d = this.data;
    return d.length >= 2 ? (d[0] << 8) | d[1] : 1005;
  }

  /** Close frames: the reason text ("" when none); undefined for other frames. */
  get closeReason(): string | undefined {
    if (this.opcode !== 8) return undefined;
    return new TextDecoder().decode(this.data.subarray(2));
  }

  /** `WsMessage(op=1, 5 bytes)`. */
  override toString(): string {
    if (this._ptr === 0) return "WsMessage(expired)";
    return `WsMessage(op=${this.opcode}, ${u32()[this.#at() + 1]} bytes)`;
  }
}

/** Options of `mgr.wsConnect(url, opts)`. */
export interface WsConnectOptions {
  /** Handler for the connection (default: the manager's). */
  handler?: Handler;
  /** Extra request headers (Sec-WebSocket-Protocol, Origin, Authorization...). */
  headers?: HeadersInit;
  /** TLS for wss:// (ca, name, client cert, skipVerification); wss:// alone verifies against Node's root store. */
  tls?: TlsOpts;
  /** Offer permessage-deflate (RFC 7692); default true where the platform has zlib (Node), never offered in the browser. */
  deflate?: boolean;
}

/** Options of `conn.wsUpgrade(msg, extraHeaders, opts)`. */
export interface WsUpgradeOptions {
  /** Accept the client's permessage-deflate offer (RFC 7692); default false (each compressing connection costs CPU and a 32 KiB window per direction). Never in the browser. */
  deflate?: boolean;
}

function checkDeflate(op: string, v: unknown): boolean | undefined {
  if (v !== undefined && typeof v !== "boolean") throw new TypeError(`${op}: The "deflate" option must be a boolean, got ${describe(v)}`, { code: "ERR_INVALID_ARG_TYPE" });
  return v;
}

function live(conn: Connection, op: string): number {
  if (conn._ptr === 0) throw new ConnectionClosedError(conn.id, op);
  return conn._ptr;
}

function notWebsocket(conn: Connection, op: string): MongooseError {
  return new MongooseError("ERR_NOT_WEBSOCKET", `${op}: connection ${conn.id} is not an open WebSocket`);
}

/** conn.wsUpgrade(msg, extraHeaders?): answer an upgrade request from MG_EV_HTTP_MSG. */
export function wsUpgrade(conn: Connection, msg: HttpMessage, extraHeaders?: HeadersInit, opts: WsUpgradeOptions = {}): boolean {
  const c = live(conn, "wsUpgrade");
  if (!(msg instanceof HttpMessage)) throw new TypeError(`wsUpgrade: msg must be the HttpMessage of MG_EV_HTTP_MSG, got ${describe(msg)}`);
  if (opts === null || typeof opts !== "object") throw new TypeError(`wsUpgrade: options must be an object, got ${describe(opts)}`, { code: "ERR_INVALID_ARG_TYPE" });
  const deflate = (checkDeflate("wsUpgrade", opts.deflate) ?? false) && wsDeflateAvailable();
  const hm = msg._pointer; // throws MessageExpiredError once the handler returned
  const block = formatHeaders(extraHeaders);
  const m = conn.manager;
  m._enter();
  try {
    const [p, n] = toScratch(latin1Bytes(block));
    ws().mgx_ws_deflate_allow(c, deflate ? 1 : 0);
    return ws().mgx_ws_upgrade(c, hm, p, n) !== 0;
  } finally {
    m._leave(true);
  }
}

const OPS = new Set([0, 1, 2, 8, 9, 10]);
/** Payloads above this many bytes are copied straight into the send buffer. */
const DIRECT_SEND = 16 * 1024;

/** conn.wsSend(data, op): one frame; returns the bytes queued (header included). */
export function wsSend(conn: Connection, data: string | Uint8Array | WsMessage, op: number): number {
  const c = live(conn, "wsSend");
  if (!OPS.has(op)) throw new RangeError(`wsSend: The "op" argument must be a WEBSOCKET_OP_* opcode. Received ${describe(op)}`, { code: "ERR_INVALID_ARG_VALUE" });
  if (data instanceof WsMessage) return forward(conn, c, data, op);
  let bytes = typeof data === "string" || data instanceof Uint8Array ? data : toBytes("wsSend", data);
  const m = conn.manager;
  m._enter();
  try {
    if (op === 1 || op === 2) {
      const z = compressed(conn, c, bytes);
      if (z !== undefined) [bytes, op] = [z, op | 0x40]; // RSV1: a compressed message
    }
    if (typeof bytes !== "string" && bytes.length > DIRECT_SEND && (op & 15) < 8) {
      // Big payloads go straight into the frame in the send buffer (no scratch copy).
      const p = ws().mgx_ws_send_begin(c, bytes.length, op);
      if (p === 0) {
        if ((connFlags(c) & F_WEBSOCKET) === 0) throw notWebsocket(conn, "wsSend");
        return 0;
      }
      u8().set(bytes, p);
      return ws().mgx_ws_send_end(c);
    }
    const [p, n] = toScratch(bytes);
    if ((op & 15) >= 8 && n > 125) throw new RangeError(`wsSend: a control frame carries at most 125 bytes, got ${n}`);
    const r = ws().mgx_ws_send(c, p, n, op);
    if (r === 0 && (connFlags(c) & F_WEBSOCKET) === 0) throw notWebsocket(conn, "wsSend");
    return r;
  } finally {
    m._leave(true);
  }
}

/**
 * wsSend(msg, op) with a received WsMessage: the frame is built from the
 * payload where the core holds it, so echoing or broadcasting a message
 * never copies it out to JavaScript (for a 1 MiB message, that copy into
 * fresh memory is most of the work).
 */
function forward(conn: Connection, c: number, msg: WsMessage, op: number): number {
  const w = u32(), i = msg._pointer >>> 2; // MessageExpiredError once its handler returned
  const p = w[i], n = w[i + 1];
  // A compressed connection sends a compressed copy (the payload is copied out).
  if ((op === 1 || op === 2) && n >= WS_DEFLATE_THRESHOLD && (ws().mgx_ws_deflate_state(c) & 2) !== 0) return wsSend(conn, msg.data, op);
  if (op >= 8 && n > 125) throw new RangeError(`wsSend: a control frame carries at most 125 bytes, got ${n}`);
  const m = conn.manager;
  m._enter();
  try {
    const r = ws().mgx_ws_send(c, p, n, op);
    if (r === 0 && (connFlags(c) & F_WEBSOCKET) === 0) throw notWebsocket(conn, "wsSend");
    return r;
  } finally {
    m._leave(true);
  }
}

const textEncoder = new TextEncoder();

/** The compressed payload for a data message, or undefined to send it as it is. */
function compressed(conn: Connection, c: number, data: string | Uint8Array): Uint8Array | undefined {
  if (data.length < WS_DEFLATE_THRESHOLD / 4) return undefined; // too short even as UTF-8
  const state = ws().mgx_ws_deflate_state(c);
  if ((state & 2) === 0) return undefined;
  return wsCompress(conn.id, state, typeof data === "string" ? textEncoder.encode(data) : data);
}

/** Close codes an endpoint may send (RFC 6455 7.4, IANA registry). */
function checkCloseCode(code: unknown): number {
  if (typeof code !== "number" || !Number.isInteger(code) ||
      !((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999))) {
    throw new RangeError(`wsClose: code must be 1000-1003, 1007-1014 or 3000-4999, got ${describe(code)}`);
  }
  return code;
}

const encoder = new TextEncoder();

/** conn.wsClose(code, reason): start the close handshake. */
export function wsClose(conn: Connection, code = 1000, reason = ""): boolean {
  const c = live(conn, "wsClose");
  checkCloseCode(code);
  if (typeof reason !== "string") throw new TypeError(`wsClose: reason must be a string, got ${describe(reason)}`);
  const bytes = encoder.encode(reason);
  if (bytes.length > 123) throw new RangeError(`wsClose: reason is ${bytes.length} bytes of UTF-8, at most 123 fit`);
  if ((connFlags(c) & F_WEBSOCKET) === 0) throw notWebsocket(conn, "wsClose");
  const m = conn.manager;
  m._enter();
  try {
    const [p, n] = toScratch(bytes);
    return ws().mgx_ws_close(c, code, p, n) !== 0;
  } finally {
    m._leave(true);
  }
}

/** mgr.wsConnect(url, opts): a WebSocket client connection. */
export function wsConnect(mgr: Manager, url: string, opts: WsConnectOptions = {}): Connection {
  if (typeof url !== "string") throw new TypeError(`wsConnect: url must be a string, got ${describe(url)}`);
  if (opts === null || typeof opts !== "object") throw new TypeError(`wsConnect: options must be an object, got ${describe(opts)}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`wsConnect: invalid URL ${JSON.stringify(url)}`, { code: "ERR_INVALID_URL" });
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") {
    throw argValueError("wsConnect", "url", "must be a ws:// or wss:// URL", url);
  }
  const deflate = (checkDeflate("wsConnect", opts.deflate) ?? true) && wsDeflateAvailable();
  const block = formatHeaders(opts.headers);
  const head = `GET ${u.pathname || "/"}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${block}`;
  // The core speaks WebSocket over the byte stream: ws:// is a TCP
  // connection to the host, wss:// a tls:// one (TLS is the host's).
  const target = u.protocol === "ws:" ? `tcp://${u.hostname}:${u.port || 80}` : `tls://${u.hostname}:${u.port || 443}`;
  const conn = mgr.connect(target, { handler: opts.handler, http: false, tls: opts.tls });
  if (conn.isClosing) return conn; // failed at once: MG_EV_ERROR (+ MG_EV_CLOSE) delivered
  mgr._enter();
  try {
    const [p, n] = toScratch(latin1Bytes(head));
    ws().mgx_ws_deflate_allow(conn._ptr, deflate ? 1 : 0);
    if (ws().mgx_ws_connect(conn._ptr, p, n) === 0) {
      conn.error("wsConnect: the core could not queue the upgrade request");
    }
  } finally {
    mgr._leave(true);
  }
  return conn;
}

/** @internal limits.maxWsMessageSize into the core. */
export function wsSetLimit(mgrPtr: number, maxMessage: number): void {
  ws().mgx_ws_set_limit(mgrPtr, maxMessage);
}

/** @internal Connection.isFull on a WebSocket: output backed up past the mark. */
export function wsOutputFull(c: number): boolean {
  return c !== 0 && (connFlags(c) & F_WEBSOCKET) !== 0 && sendBuf(c)[2] > WS_SEND_HIGH;
}

/**
 * @internal Graceful shutdown: close 1001 ("going away") to every open
 * WebSocket of `mgr`; each closes once its peer answers (counted as
 * drained), or is forced at the deadline. Call inside a core entry.
 */
export function wsShutdown(mgr: Manager): void {
  if (mgr._ptr === 0 || ws().mgx_ws_open_count(mgr._ptr) === 0) return;
  const reason = encoder.encode("going away");
  for (const conn of mgr.connections) {
    const c = conn._ptr;
    if (c === 0 || (connFlags(c) & (F_WEBSOCKET | F_CLOSING)) !== F_WEBSOCKET) continue;
    const [p, n] = toScratch(reason);
    ws().mgx_ws_close(c, 1001, p, n);
  }
}
