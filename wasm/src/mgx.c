// mgx.c: the exported host API (mgx.h) over the core internals.
//
// Every call that can run handlers counts itself in mgr->entered. That is
// what makes re-entrant calls from inside a handler safe: a nested
// mgx_flush/mgx_poll does nothing (the outer caller flushes anyway), and a
// nested mgx_mgr_free closes everything at once but frees the memory only
// when the outermost call returns.
#include "mgx.h"

#include <string.h>

#include "alloc.h"
#include "http.h"
#include "net.h"
#include "timer.h"

static void enter(struct mg_mgr *mgr) {
  mgr->entered++;
  mg_clock_enter();
}

static void leave(struct mg_mgr *mgr) {
  mg_clock_leave();
  if (--mgr->entered == 0 && mgr->free_pending) mg_mgr_destroy(mgr);
}

#define WITH(c_, stmt)                \
  do {                                \
    struct mg_mgr *mgr_ = (c_)->mgr;  \
    enter(mgr_);                      \
    stmt;                             \
    leave(mgr_);                      \
  } while (0)

// ---- manager -----------------------------------------------------------------

struct mg_mgr *mgx_mgr_new(void) {
  return mg_mgr_new();
}

void mgx_mgr_free(struct mg_mgr *mgr) {
  if (mgr == NULL || mgr->free_pending) return;
  if (mgr->entered > 0) {
    mgr->free_pending = true;  // freed when the outermost call returns
    mg_mgr_close_all(mgr);
    return;
  }
  enter(mgr);
  mg_mgr_close_all(mgr);
  mg_clock_leave();
  mgr->entered--;
  mg_mgr_destroy(mgr);
}

void mgx_set_limits(struct mg_mgr *mgr, uint32_t max_header_size, uint32_t max_headers,
                    uint32_t max_body_size, uint32_t recv_buffer_size,
                    uint32_t max_connections, uint32_t idle_timeout_ms,
                    uint32_t header_timeout_ms, uint32_t request_timeout_ms) {
  struct mg_limits l;
  l.max_header_size = max_header_size;
  l.max_headers = max_headers;
  l.max_body_size = max_body_size;
  l.recv_buffer_size = recv_buffer_size;
  l.max_connections = max_connections;
  l.idle_timeout_ms = idle_timeout_ms;
  l.header_timeout_ms = header_timeout_ms;
  l.request_timeout_ms = request_timeout_ms;
  mg_set_limits(mgr, &l);
}

void mgx_shutdown(struct mg_mgr *mgr, int status) {
  mgr->shutdown_status = status < 0 ? MGX_SHUTDOWN_SERVE : status;
}

void mgx_shutdown_idle(struct mg_mgr *mgr, double ms) {
  mgr->shutdown_idle_set = ms >= 0;  // false for negative and NaN
  if (!mgr->shutdown_idle_set) return;
  mgr->shutdown_idle_ms = ms >= 4294967295.0 ? 0xffffffffu : (uint32_t) ms;
}

int mgx_poll(struct mg_mgr *mgr) {
  int n;
  if (mgr->entered > 0) return 0;  // from inside a handler: not now
  enter(mgr);
  n = mg_poll(mgr);
  leave(mgr);
  return n;
}

void mgx_flush(struct mg_mgr *mgr) {
  if (mgr->entered > 0) return;  // the outer caller flushes when done
  enter(mgr);
  mg_flush(mgr);
  leave(mgr);
}

double mgx_timer_next(struct mg_mgr *mgr) {
  return mg_timer_next(mgr, mg_millis_fresh());
}

uint32_t mgx_conn_count(struct mg_mgr *mgr, int accepted_only) {
  struct mg_connection *c;
  uint32_t n = 0;
  if (accepted_only) return mgr->num_accepted;
  for (c = mgr->conns; c != NULL; c = c->next) n++;
  return n;
}

// ---- connections: lifecycle ------------------------------------------------------

struct mg_connection *mgx_conn_new(struct mg_mgr *mgr, int kind, int proto,
                                   struct mg_connection *parent) {
  if (kind < MGX_KIND_LISTENER || kind > MGX_KIND_ACCEPTED) return NULL;
  return mg_conn_new(mgr, kind, proto, parent);
}

void mgx_open(struct mg_connection *c) {
  WITH(c, {
    mg_call(c, MG_EV_OPEN, NULL);
    if (c->flags & MG_F_ACCEPTED) mg_call(c, MG_EV_ACCEPT, NULL);
  });
}

void mgx_resolved(struct mg_connection *c) {
  WITH(c, {
    c->flags &= ~MG_F_RESOLVING;
    mg_call(c, MG_EV_RESOLVE, NULL);
  });
}

void mgx_connected(struct mg_connection *c) {
  WITH(c, {
    c->flags &= ~(MG_F_RESOLVING | MG_F_CONNECTING);
    c->flags |= MG_F_WRITABLE;
    c->last_io_ms = mg_millis();
    mg_call(c, MG_EV_CONNECT, NULL);
    mg_mark_dirty(c);  // output queued before the connection was up
  });
}

void *mgx_recv_reserve(struct mg_connection *c, size_t len) {
  return mg_recv_reserve(c, len);
}

void mgx_recv_commit(struct mg_connection *c, size_t len) {
  WITH(c, mg_recv_commit(c, len));
}

// 64 KiB: libuv's read size, so one read never needs two calls.
#define MGX_READ_AREA 65536
static unsigned char s_read_area[MGX_READ_AREA];

void *mgx_read_area(void) {
  return s_read_area;
}

size_t mgx_read_area_size(void) {
  return sizeof(s_read_area);
}

uint32_t mgx_recv_area(struct mg_connection *c, size_t len) {
  struct mg_mgr *mgr = c->mgr;
  size_t off = 0;
  bool dirty;
  if (len > sizeof(s_read_area)) len = sizeof(s_read_area);
  enter(mgr);
  while (off < len) {
    size_t n = len - off;
    void *p = mg_recv_reserve(c, n);
    while (p == NULL && n > 1024) p = mg_recv_reserve(c, n >>= 1);  // a smaller piece may fit
    if (p == NULL) break;
    memcpy(p, s_read_area + off, n);
    mg_recv_commit(c, n);  // c stays allocated until mg_flush frees it
    off += n;
  }
  if (mgr->entered == 1 && !mgr->free_pending) mg_flush(mgr);
  dirty = mgr->dirty != NULL;
  leave(mgr);
  return (uint32_t) (off * 2 + (dirty ? 1 : 0));
}

void mgx_writable(struct mg_connection *c) {
  c->flags &= ~MG_F_BLOCKED;
  if (!(c->flags & (MG_F_CONNECTING | MG_F_LISTENING))) c->flags |= MG_F_WRITABLE;
  mg_mark_dirty(c);
}

void mgx_eof(struct mg_connection *c) {
  WITH(c, mg_eof(c));
}

void mgx_error(struct mg_connection *c, const char *msg, size_t len) {
  WITH(c, mg_error_msg(c, msg, len));
}

// ---- connections: user operations ----------------------------------------------

int mgx_send(struct mg_connection *c, const void *buf, size_t len) {
  return mg_send(c, buf, len) ? 1 : 0;
}

int mgx_http_reply(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len, const void *body, size_t body_len) {
  return mg_http_reply(c, status, headers, headers_len, body, body_len) ? 1 : 0;
}

int mgx_http_reply_typed(struct mg_connection *c, int status, int type, const char *headers,
                         size_t headers_len, const void *body, size_t body_len) {
  return mg_http_reply_typed(c, status, type, headers, headers_len, body, body_len) ? 1 : 0;
}

int mgx_http_start(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len) {
  return mg_http_start(c, status, headers, headers_len) ? 1 : 0;
}

int mgx_http_chunk(struct mg_connection *c, const void *buf, size_t len) {
  return mg_http_chunk(c, buf, len) ? 1 : 0;
}

int mgx_http_sse(struct mg_connection *c, const char *type, size_t type_len,
                 const char *data, size_t data_len) {
  return mg_http_sse(c, type, type_len, data, data_len) ? 1 : 0;
}

void mgx_drain(struct mg_connection *c) {
  mg_drain_conn(c);
}

void mgx_close(struct mg_connection *c) {
  mg_close_conn(c);
}

void mgx_user_error(struct mg_connection *c, const char *msg, size_t len) {
  WITH(c, mg_error_msg(c, msg, len));
}

void mgx_recv_consume(struct mg_connection *c, size_t n) {
  mg_iobuf_del(&c->recv, 0, n);
  mg_recv_shrunk(c);
}

void mgx_send_consume(struct mg_connection *c, size_t n) {
  mg_iobuf_del(&c->send, 0, n);
}

void mgx_wakeup(struct mg_connection *c, const void *buf, size_t len) {
  struct mg_str data = mg_str_n((const char *) buf, len);
  WITH(c, mg_call(c, MG_EV_WAKEUP, &data));
}

double mgx_req_started(struct mg_connection *c) {
  return (c->flags & MG_F_REQ_PENDING) ? (double) c->req_start_ms : 0;
}

const char *mgx_req_uri(struct mg_connection *c) {
  // A WebSocket keeps the URI of its upgrade request (shutdown names it).
  return (c->flags & (MG_F_REQ_PENDING | MG_F_WEBSOCKET)) ? c->req_uri : NULL;
}

// The last request of a server HTTP connection stays known after its answer,
// so a response still flushing (a download cut by shutdown) can be named and
// timed from its request. NULL / 0 before the first request.
const char *mgx_last_req_uri(struct mg_connection *c) {
  return c->req_uri[0] != '\0' ? c->req_uri : NULL;
}

const char *mgx_last_req_method(struct mg_connection *c) {
  return c->req_uri[0] != '\0' && c->req_uri[MG_URI_MAX + 1] != '\0' ? &c->req_uri[MG_URI_MAX + 1] : NULL;
}

double mgx_last_req_started(struct mg_connection *c) {
  return c->req_uri[0] != '\0' ? (double) c->req_start_ms : 0;
}

// ---- timers ------------------------------------------------------------------------

uint32_t mgx_timer_add(struct mg_mgr *mgr, double ms, int flags) {
  uint64_t v = 0;
  if (ms > 0) v = ms > 9007199254740992.0 ? (uint64_t) 9007199254740992.0 : (uint64_t) ms;
  return mg_timer_add(mgr, mg_millis_fresh(), v, flags);  // the call's own time: a long handler must not make it early
}

int mgx_timer_cancel(struct mg_mgr *mgr, uint32_t id) {
  return mg_timer_cancel(mgr, id);
}

// ---- memory --------------------------------------------------------------------------

static struct mg_iobuf s_scratch = {NULL, 0, 0, 256};

// Above this size the scratch area is given back at the next small request,
// so one large reply body does not stay allocated for the process lifetime.
#define MG_SCRATCH_KEEP 65536

void *mgx_scratch(size_t len) {
  if (len <= MG_SCRATCH_KEEP && s_scratch.size > MG_SCRATCH_KEEP) mg_iobuf_free(&s_scratch);
  if (len < 1) len = 1;
  if (s_scratch.size < len && !mg_iobuf_resize(&s_scratch, len)) return NULL;
  return s_scratch.buf;
}

double mgx_heap_used(void) {
  return (double) mg_heap_used();
}

// Not exported: lets native leak tests return the heap to zero.
void mg_scratch_free(void) {
  mg_iobuf_free(&s_scratch);
}
