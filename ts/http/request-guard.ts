// request-guard.ts: one response per request, and an answer for every
// request. A handler that throws (or whose promise rejects) while its request
// is unanswered gets the client a 500 + Connection: close at once (a close
// when the response was already started), as node:http frameworks do; a
// second reply() for one request throws ERR_HTTP_HEADERS_SENT and sends
// nothing; a reply the core cannot take throws ERR_REPLY_TOO_LARGE and the
// client gets 500 + close. Engine and Connection call in here.
import { core } from "../core/loader";
import { MG_EV_CLOSE, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_OPEN } from "../core/constants";
import { HeadersSentError, ReplyTooLargeError } from "../core/errors";
import { publishConnection, publishRequestError, publishRequestFinish, publishRequestStart } from "../lifecycle/diagnostics";
import type { Connection } from "../core/connection";
import type { HttpMessage } from "./http-message";

/** Before the handler sees `ev`: count requests, publish diagnostics. */
export function beforeEvent(conn: Connection, ev: number, data: unknown): void {
  if (ev === MG_EV_HTTP_MSG || ev === MG_EV_HTTP_HDRS) {
    if (ev === MG_EV_HTTP_MSG) {
      conn._reqSeq++;
      publishRequestStart(conn, data as HttpMessage);
    }
    conn._answered = false;
  } else if (ev === MG_EV_OPEN) {
    publishConnection(true, conn);
  } else if (ev === MG_EV_CLOSE) {
    publishConnection(false, conn);
  }
}

/**
 * The handler for `ev` failed (threw, or its promise rejected) while request
 * number `seq` of the connection was current: answer it 500 + close (or
 * close a started response). Nothing happens when it was answered already.
 */
export function handlerFailed(conn: Connection, ev: number, seq: number, err: unknown): void {
  if (ev !== MG_EV_HTTP_MSG || conn._ptr === 0 || conn._reqSeq !== seq) return;
  if (!conn._requestPending) return;
  publishRequestError(conn, err);
  const m = conn.manager;
  m._enter();
  try {
    core().mgx_http_fail(conn._ptr, 500);
  } finally {
    m._leave(true);
  }
}

/** A server-side HTTP connection (one response per request applies). */
function serving(conn: Connection): boolean {
  return conn._http && conn._role === "accepted";
}

/** Throws HeadersSentError when a final response for the current request exists already. */
export function checkNotAnswered(conn: Connection, op: string, status: number): void {
  if (!serving(conn) || (status < 200 && status !== 101)) return;
  if (conn._requestPending ? conn._responseStarted : conn._answered) throw new HeadersSentError(conn.id, op);
}

/**
 * Queue a reply through `send` (the core call). Over limits.maxReplySize, or
 * when the core cannot take a body for a pending request (out of linear
 * memory), the client gets 500 + close and ReplyTooLargeError is thrown.
 */
export function guardedReply(conn: Connection, status: number, size: number, send: () => boolean): boolean {
  const limit = conn.manager.limits.maxReplySize;
  if (size > limit) tooLarge(conn, size, `over limits.maxReplySize (${limit})`);
  const pending = serving(conn) && conn._requestPending && !conn._responseStarted;
  let ok: boolean;
  try {
    ok = send();
  } catch (err) {
    if (!(err instanceof RangeError) || !pending) throw err;
    tooLarge(conn, size, "the core could not allocate it");
  }
  if (ok) {
    if (status >= 200 || status === 101) {
      conn._answered = true;
      if (serving(conn)) publishRequestFinish(conn, status);
    }
    return true;
  }
  if (pending && conn._requestPending && !conn.isClosing) tooLarge(conn, size, "the core could not take it");
  return false;
}

function tooLarge(conn: Connection, size: number, why: string): never {
  const err = new ReplyTooLargeError(size, why);
  if (serving(conn) && conn._ptr !== 0 && conn._requestPending) handlerFailed(conn, MG_EV_HTTP_MSG, conn._reqSeq, err);
  throw err;
}
