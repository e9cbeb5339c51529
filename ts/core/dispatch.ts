// dispatch.ts: events to handlers. host_event (registry.ts) lands here: the
// event's data view, the protocol's bookkeeping hook, then the handler; a
// returned promise is tracked until it settles (shutdown waits for it), a
// throw or rejection goes to the errorHandler and fails the request it was
// answering. Message views expire when the handler returns.
import type { Connection } from "./connection";
import type { Engine } from "./engine";
import type { HttpMessage } from "../http/http-message";
import { eventData, isMessageEvent, isThenable } from "./event-data";
import { EV_HTTP_BODY, beforeEvent, endBody, handlerFailed, routeBody } from "./engine-steps";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG } from "./constants";
import { now } from "./driver";

type AnyHandler = (c: Connection, e: number, d: unknown) => unknown;

/** host_event: deliver `ev` (data at `evData` in linear memory) to the connection's handler. */
export function dispatchEvent(m: Engine, conn: Connection, ev: number, evData: number): void {
  if (ev === EV_HTTP_BODY) return routeBody(conn, evData, (e, c) => m._reportError(e, c));
  if (ev === MG_EV_HTTP_MSG || ev === MG_EV_CLOSE) endBody(conn);
  m._eventCount++;
  const handler = conn._handler ?? m.handler;
  const hook = conn._protoHook;
  if (handler !== undefined || hook !== undefined) {
    const data = eventData(ev, evData, conn);
    beforeEvent(conn, ev, data);
    const seq = conn._reqSeq;
    m._depth++;
    try {
      if (hook !== undefined) (hook as AnyHandler)(conn, ev, data); // protocol bookkeeping (MQTT session) first
      const r = handler === undefined ? undefined : (handler as AnyHandler)(conn, ev, data);
      if (r !== undefined && isThenable(r)) track(m, conn, r, ev, seq);
    } catch (err) {
      m._reportError(err, conn);
      handlerFailed(conn, ev, seq, err);
    } finally {
      m._depth--;
      if (isMessageEvent(ev)) (data as HttpMessage)._expire();
    }
  } else {
    beforeEvent(conn, ev, undefined);
  }
  if (ev === MG_EV_CLOSE) m._forget(conn);
}

/** Count a handler's promise as pending until it settles; a rejection fails request `seq`. */
function track(m: Engine, conn: Connection, p: PromiseLike<unknown>, ev: number, seq: number): void {
  if (conn._pendingHandlers++ === 0) conn._busySince = now();
  m._pendingHandlers++;
  const done = (): void => {
    conn._pendingHandlers--;
    if (conn._pendingHandlers === 0) conn._busySince = 0;
    m._pendingHandlers--;
    m._handlerSettled(conn);
  };
  Promise.resolve(p).then(done, (err: unknown) => {
    m._reportError(err, conn);
    if (!m.closed) handlerFailed(conn, ev, seq, err);
    done();
  });
}
