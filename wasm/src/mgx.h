// mgx.h: the host -> core half of the network-interface contract.
//
// These are the functions the host (ts/core.ts, or a native test) calls.
// In WebAssembly each is exported under its own name (MGX_EXPORT). Handles
// are linear-memory pointers (struct mg_mgr *, struct mg_connection *); the
// host must never use a connection handle after MG_EV_CLOSE was delivered for
// it (the core frees the struct right after that event returns).
//
// Threading/re-entrancy: all calls happen on one thread. While the core is
// inside host_event() the host may call any mgx_* function (handlers send,
// reply, close...). Connections are only ever *freed* inside mgx_flush() and
// mgx_mgr_free(), so a handle stays valid for the whole of any other call.
//
// Event data (the `ev_data` of host_event), per event:
//   MG_EV_ERROR        const char *   NUL-terminated message
//   MG_EV_READ         int32_t *      bytes just appended to c->recv
//   MG_EV_WRITE        int32_t *      bytes just taken by host_send
//   MG_EV_HTTP_HDRS,
//   MG_EV_HTTP_MSG     struct mg_http_message *   (layout: http.h)
//   MG_EV_WAKEUP       struct mg_str *            wakeup payload
//   MG_EV_WS_OPEN      struct mg_http_message *   upgrade request / 101 answer (ws.h)
//   MG_EV_WS_MSG,
//   MG_EV_WS_CTL       struct mg_ws_message *     (layout: ws.h)
//   anything else      NULL
#ifndef MG_MGX_H
#define MG_MGX_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define MGX_EXPORT(name) __attribute__((export_name(#name), used))
#else
#define MGX_EXPORT(name)
#endif

struct mg_mgr;
struct mg_connection;

// ---- manager ---------------------------------------------------------------
MGX_EXPORT(mgx_mgr_new) struct mg_mgr *mgx_mgr_new(void);
// Fires MG_EV_CLOSE for (and host_close()s) every connection, frees timers,
// connections and the manager itself. Called from inside a handler (or any
// other mgx_* call), the events fire at once but the memory is freed when
// the outermost mgx_* call returns; the host must not use the handle again.
MGX_EXPORT(mgx_mgr_free) void mgx_mgr_free(struct mg_mgr *mgr);
// Limits (0 = keep default). See struct mg_limits in net.h for meaning.
MGX_EXPORT(mgx_set_limits)
void mgx_set_limits(struct mg_mgr *mgr, uint32_t max_header_size,
                    uint32_t max_headers, uint32_t max_body_size,
                    uint32_t recv_buffer_size, uint32_t max_connections,
                    uint32_t idle_timeout_ms, uint32_t header_timeout_ms,
                    uint32_t request_timeout_ms);
// Graceful shutdown: from now on complete requests are answered with
// `status` + Connection: close (counted in mgr->rejected) instead of being
// delivered, and every other response carries Connection: close. 0 = off.
// MGX_SHUTDOWN_SERVE: requests are still delivered to the handler, but
// every response carries Connection: close (the connection drains after it).
#define MGX_SHUTDOWN_SERVE (-1)
MGX_EXPORT(mgx_shutdown) void mgx_shutdown(struct mg_mgr *mgr, int status);
// Idle grace during shutdown: while shutdown is on, a connection with no
// request pending and nothing buffered in either direction is drained once
// it has been quiet for `ms` (0 = at the next mgx_poll) instead of after
// limits.idle_timeout_ms. Negative (the default): limits.idle_timeout_ms.
// Responses advertise "Keep-Alive: timeout=<idle_timeout_ms / 1000>", so a
// client that honours the hint stops reusing an idle connection before a
// grace of at least idle_timeout_ms ends: it never races the close.
MGX_EXPORT(mgx_shutdown_idle) void mgx_shutdown_idle(struct mg_mgr *mgr, double ms);
// Run due timers, fire MG_EV_POLL on every connection, enforce timeouts.
// Returns the number of events fired. Does not flush: call mgx_flush after.
// A no-op (returns 0) when called from inside a handler.
MGX_EXPORT(mgx_poll) int mgx_poll(struct mg_mgr *mgr);
// Write pending output of every "dirty" connection (host_send), close
// drained/closing ones (host_close, MG_EV_CLOSE) and free them. Cheap when
// nothing is dirty: it walks only the dirty list. A no-op when called from
// inside a handler or another mgx_* call (the outer caller flushes).
MGX_EXPORT(mgx_flush) void mgx_flush(struct mg_mgr *mgr);
// Milliseconds until the next timer is due (0 if overdue), -1 if none.
MGX_EXPORT(mgx_timer_next) double mgx_timer_next(struct mg_mgr *mgr);
// Number of live connections (listeners included) / accepted ones.
MGX_EXPORT(mgx_conn_count) uint32_t mgx_conn_count(struct mg_mgr *mgr, int accepted_only);

// ---- connections: lifecycle (driven by the host) ---------------------------
// Allocate a connection. kind: MGX_KIND_LISTENER, MGX_KIND_CLIENT or
// MGX_KIND_ACCEPTED (then `parent` is the listener, whose protocol it
// inherits). proto: MGX_PROTO_RAW or MGX_PROTO_HTTP. Fires no event.
// Returns NULL when limits.max_connections accepted connections exist
// (the host then refuses the socket) or on allocation failure.
#define MGX_KIND_LISTENER 0
#define MGX_KIND_CLIENT 1
#define MGX_KIND_ACCEPTED 2
#define MGX_PROTO_RAW 0
#define MGX_PROTO_HTTP 1
MGX_EXPORT(mgx_conn_new)
struct mg_connection *mgx_conn_new(struct mg_mgr *mgr, int kind, int proto,
                                   struct mg_connection *parent);
// Fire MG_EV_OPEN, then MG_EV_ACCEPT for accepted connections.
MGX_EXPORT(mgx_open) void mgx_open(struct mg_connection *c);
// Client: name resolved (MG_EV_RESOLVE) / connected (MG_EV_CONNECT).
MGX_EXPORT(mgx_resolved) void mgx_resolved(struct mg_connection *c);
MGX_EXPORT(mgx_connected) void mgx_connected(struct mg_connection *c);
// Reserve room for `len` more received bytes at the end of c->recv and
// return where to copy them, or NULL if that would exceed the connection's
// receive limit (the host keeps the bytes, pauses the socket, and retries
// after the next mgx_flush; a smaller `len` may still fit). The limit is
// limits.recv_buffer_size for raw connections and 2 * max_header_size +
// max_body_size + 64 KiB for HTTP ones (64 KiB while an HTTP server holds
// pipelined requests back because their answers cannot leave: MG_SEND_HIGH
// in net.h); an empty buffer always takes up to 64 KiB. On a
// draining/closing connection it returns a scratch target and the commit
// discards the bytes. Never fires an event.
MGX_EXPORT(mgx_recv_reserve) void *mgx_recv_reserve(struct mg_connection *c, size_t len);
// Commit `len` bytes copied at the reserved pointer: fires MG_EV_READ and
// runs the protocol (HTTP parsing -> MG_EV_HTTP_MSG...).
MGX_EXPORT(mgx_recv_commit) void mgx_recv_commit(struct mg_connection *c, size_t len);
// The read area: a static buffer in linear memory a host may read sockets
// into (libuv reads straight into it), then hand over with
// mgx_recv_area. Its address never changes; a host that keeps a view of it
// renews the view when memory grows.
MGX_EXPORT(mgx_read_area) void *mgx_read_area(void);
MGX_EXPORT(mgx_read_area_size) size_t mgx_read_area_size(void);
// Deliver `len` bytes from the read area to `c` (reserve, copy and commit,
// in smaller pieces when the whole does not fit), then flush the manager:
// one call and one clock read for a read and its answer. Returns twice the
// bytes taken (the host keeps the rest and retries after a flush, as with
// mgx_recv_reserve), plus 1 when connections are still dirty after the
// flush (the host flushes again). Call it from the top level only (not
// from inside a handler).
MGX_EXPORT(mgx_recv_area) uint32_t mgx_recv_area(struct mg_connection *c, size_t len);
// The host can take output again after a short host_send.
MGX_EXPORT(mgx_writable) void mgx_writable(struct mg_connection *c);
// The peer closed its side (EOF/reset). Pending output is still flushed
// when possible (and a request already delivered may still be answered;
// requests received before the EOF but held back by backpressure are still
// delivered and answered), then the connection closes.
MGX_EXPORT(mgx_eof) void mgx_eof(struct mg_connection *c);
// A socket error: fires MG_EV_ERROR with `msg` and closes the connection.
MGX_EXPORT(mgx_error) void mgx_error(struct mg_connection *c, const char *msg, size_t len);

// ---- connections: user operations (Connection methods) ---------------------
MGX_EXPORT(mgx_send) int mgx_send(struct mg_connection *c, const void *buf, size_t len);
// reply(): status line, `headers` verbatim ("Name: value\r\n"...), a
// Content-Type: text/plain unless headers has one, Content-Length, and
// Connection: close when the connection will close after this response.
// HEAD requests get the headers only. Marks the request answered.
// Returns 0 (nothing sent) on an HTTP server connection with no request
// pending (answered already, or timed out with 408), on a closing one, for
// a status outside 100..999, or when a response was already started.
MGX_EXPORT(mgx_http_reply)
int mgx_http_reply(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len, const void *body, size_t body_len);
// mgx_http_reply with the core's own Content-Type line first, for a
// `headers` block without one: `type` 1 is "text/plain; charset=utf-8" (a
// string body), 2 "application/json" (replyJson), anything else none.
MGX_EXPORT(mgx_http_reply_typed)
int mgx_http_reply_typed(struct mg_connection *c, int status, int type, const char *headers,
                         size_t headers_len, const void *body, size_t body_len);
// Start a streamed (chunked) response: status line, `headers` verbatim,
// Transfer-Encoding: chunked. mgx_http_chunk/mgx_http_sse call it themselves
// (status 200; text/plain or text/event-stream) when the current request has
// no response started yet and nothing was written with mgx_send for it.
// Refused (0) for statuses without a body (1xx, 204, 304). For an HTTP/1.0
// request the stream has no chunk framing and ends by closing.
MGX_EXPORT(mgx_http_start)
int mgx_http_start(struct mg_connection *c, int status, const char *headers, size_t headers_len);
// One chunk; a zero-length chunk ends the response (marks it answered).
MGX_EXPORT(mgx_http_chunk) int mgx_http_chunk(struct mg_connection *c, const void *buf, size_t len);
// Server-sent event: "event: <type>\ndata: <data>\n\n" as one chunk.
MGX_EXPORT(mgx_http_sse)
int mgx_http_sse(struct mg_connection *c, const char *type, size_t type_len,
                 const char *data, size_t data_len);
// Stop reading, flush, then close. A delivered request still pending keeps
// the connection open until it is answered (or closed / timed out).
MGX_EXPORT(mgx_drain) void mgx_drain(struct mg_connection *c);
MGX_EXPORT(mgx_close) void mgx_close(struct mg_connection *c);
// Fire MG_EV_ERROR with `msg`, then close.
MGX_EXPORT(mgx_user_error) void mgx_user_error(struct mg_connection *c, const char *msg, size_t len);
// Remove the first `n` bytes of c->recv / c->send (recvData/sendData consume).
MGX_EXPORT(mgx_recv_consume) void mgx_recv_consume(struct mg_connection *c, size_t n);
MGX_EXPORT(mgx_send_consume) void mgx_send_consume(struct mg_connection *c, size_t n);
// Deliver MG_EV_WAKEUP with `len` bytes at `buf` to connection c.
MGX_EXPORT(mgx_wakeup) void mgx_wakeup(struct mg_connection *c, const void *buf, size_t len);
// Request start time (ms) and URI (copied, at most MG_URI_KEEP bytes) of the
// request in flight, for timeouts and shutdown reports. Returns 0/NULL if
// no request is pending.
MGX_EXPORT(mgx_req_started) double mgx_req_started(struct mg_connection *c);
MGX_EXPORT(mgx_req_uri) const char *mgx_req_uri(struct mg_connection *c);
MGX_EXPORT(mgx_last_req_uri) const char *mgx_last_req_uri(struct mg_connection *c);
MGX_EXPORT(mgx_last_req_method) const char *mgx_last_req_method(struct mg_connection *c);
MGX_EXPORT(mgx_last_req_started) double mgx_last_req_started(struct mg_connection *c);

// ---- timers -----------------------------------------------------------------
#define MGX_TIMER_REPEAT 1
#define MGX_TIMER_RUN_NOW 2
// Returns a timer id (> 0). host_timer(id) fires when due; one-shot timers
// are freed by the core right after their host_timer call returns.
MGX_EXPORT(mgx_timer_add) uint32_t mgx_timer_add(struct mg_mgr *mgr, double ms, int flags);
// Idempotent; safe from inside the timer's own callback. Returns 1 if found.
MGX_EXPORT(mgx_timer_cancel) int mgx_timer_cancel(struct mg_mgr *mgr, uint32_t id);

// ---- memory -----------------------------------------------------------------
// A core-owned scratch area of at least `len` bytes for passing arguments in;
// valid until the next mgx_scratch call. NULL on allocation failure.
MGX_EXPORT(mgx_scratch) void *mgx_scratch(size_t len);
// Bytes currently allocated by the core (for leak tests).
MGX_EXPORT(mgx_heap_used) double mgx_heap_used(void);

#endif
