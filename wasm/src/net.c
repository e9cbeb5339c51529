// net.c: the manager, connections, the dirty list and flushing.
//
// Connections change state from anywhere (handlers, the host, timers), but
// I/O happens in one place: mgx_flush() walks the dirty list, hands output to
// the host and closes connections that are done. That is also the only place
// (with mgx_mgr_free) where a connection is freed, so handles stay valid for
// the whole of any other call.
#include "net.h"

#include <stdarg.h>
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "fs.h"
#include "http.h"
#include "mgx.h"
#include "netif.h"
#include "timer.h"
#include "ws.h"

#if defined(__wasm__)
// The host reads these structs from linear memory: pin the wasm32 layout.
#define MG_LAYOUT(name, cond) typedef char mg_layout_##name[(cond) ? 1 : -1]
MG_LAYOUT(conn_id, offsetof(struct mg_connection, id) == 8);
MG_LAYOUT(conn_flags, offsetof(struct mg_connection, flags) == 12);
MG_LAYOUT(conn_recv, offsetof(struct mg_connection, recv) == 16);
MG_LAYOUT(conn_send, offsetof(struct mg_connection, send) == 32);
MG_LAYOUT(iobuf_size, sizeof(struct mg_iobuf) == 16);
MG_LAYOUT(mgr_limits, offsetof(struct mg_mgr, limits) == 12);
MG_LAYOUT(mgr_accepted, offsetof(struct mg_mgr, num_accepted) == 44);
MG_LAYOUT(mgr_status, offsetof(struct mg_mgr, shutdown_status) == 48);
MG_LAYOUT(mgr_drained, offsetof(struct mg_mgr, drained) == 60);
#endif

#define MG_FLUSH_ROUNDS 1000       // bound on flush passes (handler ping-pong)
#define MG_RECV_MIN_CHUNK 65536    // an empty buffer always takes this much
#define MG_DISCARD_MAX (1u << 20)  // biggest chunk a non-reading conn swallows

static uint32_t s_next_conn_id = 1;

uint64_t mg_millis_fresh(void) {
  double t = host_now();
  if (!(t > 0)) return 0;  // negative or NaN
  if (t > 9007199254740992.0) t = 9007199254740992.0;
  return (uint64_t) t;
}

// The clock is read once per host call into the core (like mg_mgr_poll's
// `now`): a request used to cross to the host for it about four times.
// Nesting is counted across managers, so one outer call reads it once.
static unsigned s_clock_depth;
static uint64_t s_clock_ms;

void mg_clock_enter(void) {
  if (s_clock_depth++ == 0) s_clock_ms = mg_millis_fresh();
}

void mg_clock_leave(void) {
  if (s_clock_depth > 0) s_clock_depth--;
}

uint64_t mg_millis(void) {
  return s_clock_depth > 0 ? s_clock_ms : mg_millis_fresh();
}

void mg_call(struct mg_connection *c, int ev, void *ev_data) {
  if (c->flags & MG_F_CLOSE_SENT) return;
  if (c->pfn != NULL) c->pfn(c, ev, ev_data);
  if (c->flags & MG_F_CLOSE_SENT) return;
  // After MG_EV_CLOSE nothing more reaches the host, even from inside it.
  if (ev == MG_EV_CLOSE) c->flags |= MG_F_CLOSE_SENT;
  host_event(c->id, ev, ev_data);
}

// First dirtied, first flushed: an answer to the peer whose input is being
// handled (a PUBACK) is queued before what that input fans out to others (a
// PUBLISH to 1,000 subscribers), so it does not wait behind their writes.
void mg_mark_dirty(struct mg_connection *c) {
  struct mg_mgr *mgr = c->mgr;
  if (c->flags & (MG_F_DIRTY | MG_F_CLOSE_SENT)) return;
  c->flags |= MG_F_DIRTY;
  c->next_dirty = NULL;
  if (mgr->dirty == NULL) mgr->dirty = c;
  else mgr->dirty_tail->next_dirty = c;
  mgr->dirty_tail = c;
}

bool mg_send(struct mg_connection *c, const void *buf, size_t len) {
  if (c->flags & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT | MG_F_LISTENING)) {
    return false;
  }
  if (len == 0) return true;
  // A host-side body (fs.h) goes out after what c->send holds now: bytes
  // added meanwhile would overtake it.
  if (c->flags & (MG_F_BODY_QUEUED | MG_F_BODY_HOST)) return false;
  if (!mg_iobuf_add(&c->send, c->send.len, buf, len)) return false;
  if ((c->flags & (MG_F_HTTP | MG_F_CLIENT)) == (MG_F_HTTP | MG_F_CLIENT)) {
    mg_http_client_sent(c, buf, len);  // remembers HEAD requests
  }
  // Any write while a request waits for its answer starts the response
  // (a handler may answer with raw bytes instead of mgx_http_reply).
  if ((c->flags & (MG_F_HTTP | MG_F_CLIENT | MG_F_REQ_PENDING)) ==
      (MG_F_HTTP | MG_F_REQ_PENDING)) {
    if (!(c->flags & MG_F_RESP_STARTED)) {
      c->hflags |= MG_HF_RAW_HEAD;
      c->raw_head_len = 0;
    } else if ((c->hflags & MG_HF_RAW_HEAD) && c->send.len < c->raw_head_len + len) {
      c->hflags &= ~MG_HF_RAW_HEAD;  // its start already left: judged as it was
    }
    // The head so far is the tail of c->send: every byte of it came through here.
    if (c->hflags & MG_HF_RAW_HEAD) {
      c->raw_head_len += len;
      mg_http_raw_head(c, c->send.buf + c->send.len - c->raw_head_len, c->raw_head_len);
    }
    c->flags |= MG_F_RESP_STARTED;
  }
  mg_mark_dirty(c);
  return true;
}

void mg_close_conn(struct mg_connection *c) {
  if (c->flags & MG_F_CLOSE_SENT) return;
  c->send.len = 0;
  c->flags |= MG_F_CLOSING;
  mg_mark_dirty(c);
}

#define MG_F_BODY (MG_F_BODY_QUEUED | MG_F_BODY_HOST)

void mg_body_queue(struct mg_connection *c, uint32_t fd, uint64_t offset, uint64_t len) {
  if (c->flags & (MG_F_BODY | MG_F_CLOSING | MG_F_CLOSE_SENT)) {
    host_fs_close(fd);  // one host body at a time (callers check); never leak the handle
    return;
  }
  c->body_fd = fd;
  c->body_off = offset;
  c->body_len = len;
  c->flags |= MG_F_BODY_QUEUED;
  if ((c->flags & (MG_F_HTTP | MG_F_CLIENT | MG_F_REQ_PENDING)) ==
      (MG_F_HTTP | MG_F_REQ_PENDING)) {
    c->flags |= MG_F_RESP_STARTED;
  }
  mg_mark_dirty(c);
}

void mg_drain_conn(struct mg_connection *c) {
  if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) return;
  // MQTT over WebSocket ends its stream with a close frame (mqtt_ws.c).
  if ((c->flags & MG_F_WEBSOCKET) && (c->ws_state & MG_WS_CARRIER)) mg_ws_close_frame(c, 1000);
  c->flags |= MG_F_DRAINING;
  mg_mark_dirty(c);
}

void mg_error(struct mg_connection *c, const char *fmt, ...) {
  char buf[200];
  va_list ap;
  va_start(ap, fmt);
  mg_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  mg_call(c, MG_EV_ERROR, buf);
  c->flags |= MG_F_CLOSING;
  mg_mark_dirty(c);
}

void mg_error_msg(struct mg_connection *c, const char *msg, size_t len) {
  char *copy = (char *) mg_calloc(1, len + 1);
  if (copy == NULL) {
    mg_error(c, "%s", "error");
    return;
  }
  if (len > 0) memcpy(copy, msg, len);
  mg_error(c, "%s", copy);  // the formatter truncates very long messages
  mg_free(copy);
}

// ---- manager -----------------------------------------------------------------

static const struct mg_limits s_default_limits = {
    16384, 100, 1048576, 1048576, 10000, 0, 0, 0};

struct mg_mgr *mg_mgr_new(void) {
  struct mg_mgr *mgr = (struct mg_mgr *) mg_calloc(1, sizeof(*mgr));
  if (mgr == NULL) return NULL;
  mgr->limits = s_default_limits;
  return mgr;
}

void mg_set_limits(struct mg_mgr *mgr, const struct mg_limits *lim) {
  const struct mg_limits *d = &s_default_limits;
  struct mg_limits *l = &mgr->limits;
  l->max_header_size = lim->max_header_size ? lim->max_header_size : d->max_header_size;
  l->max_headers = lim->max_headers ? lim->max_headers : d->max_headers;
  if (l->max_headers > MG_MAX_HTTP_HEADERS) l->max_headers = MG_MAX_HTTP_HEADERS;
  l->max_body_size = lim->max_body_size ? lim->max_body_size : d->max_body_size;
  l->recv_buffer_size = lim->recv_buffer_size ? lim->recv_buffer_size : d->recv_buffer_size;
  l->max_connections = lim->max_connections ? lim->max_connections : d->max_connections;
  l->idle_timeout_ms = lim->idle_timeout_ms;
  l->header_timeout_ms = lim->header_timeout_ms;
  l->request_timeout_ms = lim->request_timeout_ms;
}

static void conn_unlink_dirty(struct mg_connection *c) {
  struct mg_connection **pp, *prev = NULL;
  if (!(c->flags & MG_F_DIRTY)) return;
  for (pp = &c->mgr->dirty; *pp != NULL; prev = *pp, pp = &(*pp)->next_dirty) {
    if (*pp == c) {
      *pp = c->next_dirty;
      if (c->mgr->dirty_tail == c) c->mgr->dirty_tail = prev;
      break;
    }
  }
  c->flags &= ~MG_F_DIRTY;
}

// Unlink from the manager and free (no events).
static void conn_free(struct mg_connection *c) {
  struct mg_mgr *mgr = c->mgr;
  struct mg_connection **pp, *x;
  for (pp = &mgr->conns; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  conn_unlink_dirty(c);
  if (c->flags & MG_F_LISTENING) {
    for (x = mgr->conns; x != NULL; x = x->next) {
      if (x->parent == c) x->parent = NULL;
    }
  }
  if ((c->flags & MG_F_ACCEPTED) && mgr->num_accepted > 0) mgr->num_accepted--;
  if (c->flags & MG_F_BODY_QUEUED) host_fs_close(c->body_fd);  // never handed over
  mg_iobuf_free(&c->recv);
  mg_iobuf_free(&c->send);
  mg_free(c);
}

// host_close (once) and MG_EV_CLOSE, without freeing.
static void conn_close_events(struct mg_connection *c) {
  c->flags |= MG_F_CLOSING;
  if (c->flags & MG_F_HAS_SOCKET) {
    c->flags &= ~MG_F_HAS_SOCKET;
    host_close(c->id);
  }
  mg_call(c, MG_EV_CLOSE, NULL);
}

void mg_mgr_close_all(struct mg_mgr *mgr) {
  struct mg_connection *c;
  mgr->freeing = true;
  // Handlers cannot add connections now (freeing) and nothing is freed
  // during the walk, so the list stays intact.
  for (c = mgr->conns; c != NULL; c = c->next) {
    if (!(c->flags & MG_F_CLOSE_SENT)) conn_close_events(c);
  }
}

void mg_mgr_destroy(struct mg_mgr *mgr) {
  while (mgr->conns != NULL) conn_free(mgr->conns);
  mg_timers_free(mgr);
  mg_iobuf_free(&mgr->discard);
  mg_free(mgr);
}

// ---- connections ---------------------------------------------------------------

struct mg_connection *mg_conn_new(struct mg_mgr *mgr, int kind, int proto,
                                  struct mg_connection *parent) {
  struct mg_connection *c;
  if (mgr->freeing || mgr->free_pending) return NULL;
  if (kind == MGX_KIND_ACCEPTED && mgr->num_accepted >= mgr->limits.max_connections) {
    return NULL;
  }
  c = (struct mg_connection *) mg_calloc(1, sizeof(*c));
  if (c == NULL) return NULL;
  c->mgr = mgr;
  c->id = s_next_conn_id++;
  if (s_next_conn_id == 0) s_next_conn_id = 1;  // 2^32 connections later
  c->recv.align = MG_IO_ALIGN;
  c->send.align = MG_IO_SIZE;
  c->flags = MG_F_HAS_SOCKET;
  if (kind == MGX_KIND_LISTENER) {
    c->flags |= MG_F_LISTENING;
  } else if (kind == MGX_KIND_CLIENT) {
    c->flags |= MG_F_CLIENT | MG_F_RESOLVING | MG_F_CONNECTING;
  } else {
    c->flags |= MG_F_ACCEPTED | MG_F_WRITABLE;
    mgr->num_accepted++;
    if (parent != NULL) {
      c->parent = parent;
      proto = (parent->flags & MG_F_HTTP) ? MGX_PROTO_HTTP : MGX_PROTO_RAW;
    }
  }
  if (proto == MGX_PROTO_HTTP) {
    c->flags |= MG_F_HTTP;
    c->pfn = mg_http_ev;
  } else if (parent != NULL && kind == MGX_KIND_ACCEPTED) {
    c->pfn = parent->pfn;  // a protocol listener (MQTT) sets up what it accepts
  }
  c->last_io_ms = mg_millis();
  c->next = mgr->conns;
  mgr->conns = c;
  return c;
}

size_t mg_recv_cap(struct mg_connection *c) {
  const struct mg_limits *l = &c->mgr->limits;
  uint64_t cap;
  if (c->flags & MG_F_HTTP) {
    // Head + body + room for chunk framing/trailers and a pipelined head.
    cap = (uint64_t) l->max_header_size * 2 + l->max_body_size + MG_RECV_MIN_CHUNK;
  } else if (c->flags & MG_F_WEBSOCKET) {
    cap = (uint64_t) mg_ws_max(c->mgr) + MG_RECV_MIN_CHUNK;  // a whole message + the next frames
  } else {
    cap = l->recv_buffer_size;
  }
  // The protocol holds the next request back (output backed up): take a
  // little more input, then let the host pause the socket.
  if ((c->flags & MG_F_OUT_HELD) && cap > MG_RECV_HELD) cap = MG_RECV_HELD;
  return cap > (uint64_t) (size_t) -1 ? (size_t) -1 : (size_t) cap;
}

void mg_recv_shrunk(struct mg_connection *c) {
  // Whatever the HTTP parser had scanned may be gone (mgx_recv_consume).
  if (c->flags & MG_F_HTTP) mg_http_input_removed(c);
  if (c->recv.len == 0) {
    c->flags &= ~MG_F_READABLE;
    // Give back big buffers of idle connections (a WebSocket keeps its own
    // while busy: ws.c frees them after 1 s of quiet).
    if (c->recv.size > 8 * MG_IO_SIZE && !(c->flags & MG_F_WEBSOCKET)) mg_iobuf_free(&c->recv);
  } else if (c->recv.size > MG_RECV_MIN_CHUNK && c->recv.len <= c->recv.size / 4) {
    // A big request went, a little of the next one is left: don't keep
    // its buffer (realloc to a smaller size copies only what is left).
    mg_iobuf_resize(&c->recv, c->recv.len * 2);
  }
  if (c->flags & MG_F_FULL) {
    c->flags &= ~MG_F_FULL;
    mg_mark_dirty(c);  // the host retries its paused read after the flush
  }
}

void *mg_recv_reserve(struct mg_connection *c, size_t len) {
  static unsigned char s_none[1];
  size_t cap;
  if (c->flags & (MG_F_DRAINING | MG_F_CLOSING | MG_F_LISTENING | MG_F_CLOSE_SENT)) {
    // Not reading any more: give a scratch target; commit discards it.
    struct mg_iobuf *d = &c->mgr->discard;
    if (len == 0) return s_none;
    if (len > MG_DISCARD_MAX) return NULL;
    d->len = 0;
    if (d->size < len && !mg_iobuf_resize(d, len)) return NULL;
    return d->buf;
  }
  cap = mg_recv_cap(c);
  if ((c->recv.len >= cap || len > cap - c->recv.len) &&
      !(c->recv.len == 0 && len <= MG_RECV_MIN_CHUNK)) {
    c->flags |= MG_F_FULL;
    return NULL;
  }
  // Geometric growth up to the cap: a body arriving in pieces is copied
  // O(1) times per byte, and no connection holds more than its cap. The
  // first block is a power of two (from MG_IO_ALIGN), so the doubled sizes
  // stay powers of two.
  if (c->recv.size == 0) {
    size_t first = MG_IO_ALIGN;
    while (first < len && first < cap) first *= 2;
    if (first > cap) first = cap;
    if (first > len) mg_iobuf_resize(&c->recv, first);  // else grow() sizes it exactly
  }
  if (!mg_iobuf_grow(&c->recv, len, cap)) {
    c->flags |= MG_F_FULL;
    return NULL;
  }
  return c->recv.buf == NULL ? s_none : c->recv.buf + c->recv.len;
}

void mg_recv_commit(struct mg_connection *c, size_t len) {
  int32_t n;
  if (c->flags & (MG_F_DRAINING | MG_F_CLOSING | MG_F_LISTENING | MG_F_CLOSE_SENT)) {
    return;  // stopped reading: bytes are dropped
  }
  if (len > c->recv.size - c->recv.len) len = c->recv.size - c->recv.len;
  if (len == 0) return;
  c->recv.len += len;
  c->flags |= MG_F_READABLE;
  c->last_io_ms = mg_millis();
  n = len > 0x7fffffff ? 0x7fffffff : (int32_t) len;
  mg_call(c, MG_EV_READ, &n);  // the protocol handler parses first
}

void mg_eof(struct mg_connection *c) {
  if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) return;
  c->flags |= MG_F_EOF;
  // Lets an HTTP client finish a body that runs until EOF.
  if (c->pfn != NULL) c->pfn(c, MG_EV_X_EOF, NULL);
  if (c->flags & MG_F_EOF_HELD) {
    // Requests held back by backpressure come first: the protocol calls
    // mg_eof again once it has served them (the EOF is behind them).
    c->flags &= ~MG_F_EOF;
    return;
  }
  if (c->flags & MG_F_CLOSING) return;
  if (c->send.len > 0 || (c->flags & (MG_F_REQ_PENDING | MG_F_BODY))) {
    c->flags |= MG_F_DRAINING;  // finish the answer, flush it, then close
  } else {
    c->flags |= MG_F_CLOSING;
  }
  mg_mark_dirty(c);
}

// ---- poll and flush -------------------------------------------------------------

static bool idle_expired(struct mg_connection *c, uint64_t now) {
  const struct mg_mgr *mgr = c->mgr;
  uint32_t ms = mgr->limits.idle_timeout_ms;
  // WebSockets stay open while idle (pings are their keep-alive); shutdown
  // closes them with a close handshake (ts/ws.ts). MQTT over WebSocket is
  // MQTT's: idle like a TCP one until its CONNECT (then MG_F_NO_IDLE).
  if (c->flags & (MG_F_LISTENING | MG_F_RESOLVING | MG_F_CONNECTING | MG_F_REQ_PENDING |
                  MG_F_DRAINING | MG_F_CLOSING | MG_F_NO_IDLE | MG_F_UDP)) {
    return false;
  }
  if ((c->flags & MG_F_WEBSOCKET) && !(c->ws_state & MG_WS_CARRIER)) return false;
  if (mgr->shutdown_status != 0 && mgr->shutdown_idle_set) {
    // Shutdown grace: only truly idle connections (nothing half-received,
    // nothing left to send); the others finish or meet their timeouts.
    if (c->recv.len > 0 || c->send.len > 0 || (c->flags & MG_F_BODY)) return false;
    ms = mgr->shutdown_idle_ms;
  } else if (ms == 0 || c->tls_hs) {
    return false;  // a TLS handshake meets the host's handshake timeout instead (tls.c)
  }
  return now >= c->last_io_ms && now - c->last_io_ms >= ms;
}

int mg_poll(struct mg_mgr *mgr) {
  struct mg_connection *c;
  int n;
  mgr->now_ms = mg_millis();
  n = mg_timers_run(mgr, mgr->now_ms);
  // Handlers may add connections (at the list head, after this walk) or
  // close them (freed only at flush), so the walk is safe.
  for (c = mgr->conns; c != NULL; c = c->next) {
    if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) continue;
    if (idle_expired(c, mgr->now_ms)) {
      if (c->send.len > 0 || (c->flags & MG_F_BODY)) {
        mg_close_conn(c);  // the peer stopped reading: nothing will drain
      } else {
        mg_drain_conn(c);
      }
      continue;
    }
    mg_call(c, MG_EV_POLL, NULL);  // HTTP enforces its timeouts here first
    n++;
  }
  return n;
}

bool mg_send_backed_up(const struct mg_connection *c) {
  return (c->flags & (MG_F_BLOCKED | MG_F_BODY)) || c->send.len > MG_SEND_HIGH;
}

static bool can_send(const struct mg_connection *c) {
  return c->send.len > 0 && (c->flags & MG_F_HAS_SOCKET) &&
         !(c->flags & (MG_F_BLOCKED | MG_F_CLOSING | MG_F_LISTENING | MG_F_RESOLVING |
                       MG_F_CONNECTING | MG_F_BODY_HOST));
}

static bool resume_due(const struct mg_connection *c) {
  return (c->flags & MG_F_PARSE_PENDING) && c->pfn != NULL && !mg_send_backed_up(c);
}

static void flush_one(struct mg_connection *c) {
  // Requests buffered behind an answer, unless that answer is still backed
  // up (pipelining backpressure): then they wait for the send below, or for
  // mgx_writable after a short one.
  if (resume_due(c)) {
    c->flags &= ~MG_F_PARSE_PENDING;
    c->pfn(c, MG_EV_X_RESUME, NULL);
  }
  if (can_send(c)) {
    size_t offered = c->send.len;
    size_t n = host_send(c->id, c->send.buf, offered);
    if (n > offered) n = offered;
    if (n < offered) {
      c->flags |= MG_F_BLOCKED;
      c->flags &= ~MG_F_WRITABLE;
    }
    if (n > 0) {
      int32_t count = n > 0x7fffffff ? 0x7fffffff : (int32_t) n;
      mg_iobuf_del(&c->send, 0, n);
      if (c->send.len == 0 && c->send.size > 8 * MG_IO_SIZE && !(c->flags & MG_F_WEBSOCKET)) {
        mg_iobuf_free(&c->send);
      }
      c->last_io_ms = mg_millis();
      mg_call(c, MG_EV_WRITE, &count);
      // The output drained below the mark: serve the held requests in the
      // next pass (not here, so every dirty connection gets its turn).
      if (resume_due(c)) mg_mark_dirty(c);
    }
  }
  // The head is out: hand the body over to the host (fs.h).
  if ((c->flags & MG_F_BODY) == MG_F_BODY_QUEUED && c->send.len == 0 &&
      (c->flags & MG_F_HAS_SOCKET) && !(c->flags & (MG_F_BLOCKED | MG_F_CLOSING))) {
    c->flags &= ~MG_F_BODY_QUEUED;
    c->flags |= MG_F_BODY_HOST;
    host_body(c->id, c->body_fd, (double) c->body_off, (double) c->body_len);
  }
  // Draining ends once everything is out and no request awaits its answer.
  if ((c->flags & (MG_F_DRAINING | MG_F_CLOSING)) == MG_F_DRAINING && c->send.len == 0 &&
      !(c->flags & (MG_F_REQ_PENDING | MG_F_BODY))) {
    c->flags |= MG_F_CLOSING;
    c->mgr->drained++;
  }
  if (c->flags & MG_F_CLOSING) {
    if (!(c->flags & MG_F_CLOSE_SENT)) conn_close_events(c);
    conn_free(c);
  }
}

void mg_flush(struct mg_mgr *mgr) {
  int round;
  if (mgr->flushing) return;
  mgr->flushing = true;
  // Handlers run during a pass may dirty connections again; they form the
  // next pass. Connections still waiting in `list` keep MG_F_DIRTY, so they
  // are not queued twice.
  for (round = 0; round < MG_FLUSH_ROUNDS && mgr->dirty != NULL; round++) {
    struct mg_connection *list = mgr->dirty;
    mgr->dirty = mgr->dirty_tail = NULL;
    while (list != NULL) {
      struct mg_connection *c = list;
      list = c->next_dirty;
      c->next_dirty = NULL;
      c->flags &= ~MG_F_DIRTY;
      flush_one(c);
    }
  }
  mgr->flushing = false;
}
