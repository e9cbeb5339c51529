// fuzz_http_server.c: the whole HTTP server path through the mgx_* exports.
//
// Input layout: 4 control bytes, then the bytes a client sends.
//   ctl[0] limits: bit0 small limits (scaled by bits 4..7), bit1 timeouts
//          on and a clock that moves, bit2 max_connections = 1 (a second
//          accept must be refused), bit3 an allocation budget (the core's
//          mg_alloc_budget test hook) so allocations fail part-way
//   ctl[1] seed of the handler's choices (reply, chunked, SSE, defer,
//          drain, close, error, early reply on MG_EV_HTTP_HDRS) and of
//          occasional mgx_wakeup calls; bit0 also turns on the strict
//          Host checks (mgx_http_strict), as every TS Manager has them
//   ctl[2] split: 0 = all bytes in one mgx_recv_commit, else pieces of
//          1..ctl[2] bytes
//   ctl[3] host: bits 0..1 host_send mode (all / trickle / stall),
//          bit2 EOF after the last piece (else sometimes a socket error),
//          bit3 mgx_shutdown(503) halfway,
//          bits 4..5 clock step per piece, bits 6..7 allocation budget size
// One manager with an HTTP listener and one accepted connection gets the
// bytes, the handler answers from MG_EV_HTTP_MSG, the host flushes after
// every piece; at the end mgx_mgr_free must deliver MG_EV_CLOSE once per
// connection and leave the core's heap exactly where it was (no leaks), and
// the bytes sent must read as well-formed responses (fuzz_verify.h).
// This covers chunked decoding, pipelining, 100-continue, error answers,
// limits and timeouts.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_checks.h"
#include "fuzz_host.h"
#include "fuzz_verify.h"
#include "http.h"
#include "http_stream.h"
#include "mgx.h"
#include "net.h"

static struct mg_connection *conn;  // the accepted connection; NULL after MG_EV_CLOSE
static uint32_t conn_id;
static uint32_t rng;
static int deferred;        // a request is waiting for the handler's (late) answer
static int early_answered;  // answered from MG_EV_HTTP_HDRS: ignore its MG_EV_HTTP_MSG
static size_t max_header_size, max_headers, max_body_size;
static uint32_t msgs;

static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static const char hdrs_plain[] = "X-Fuzz: 1\r\n";
static const char hdrs_json[] = "Content-Type: application/json\r\nCache-Control: no-store\r\n";

static void answer_late(void) {
  if (!deferred || conn == NULL) return;
  deferred = 0;
  if (next_rand() & 1) {
    mgx_http_reply(conn, 200, hdrs_plain, sizeof(hdrs_plain) - 1, "late", 4);
  } else {
    mgx_http_chunk(conn, "late", 4);
    if (conn) mgx_http_chunk(conn, "", 0);
  }
}

static void check_message(const struct mg_http_message *m, int full) {
  const char *lo = (const char *) conn->recv.buf;
  const char *hi = lo + conn->recv.len;
  fc_check_head(m, lo, hi, max_headers, 1);
  FUZZ_CHECK(m->head.len <= max_header_size + 4, "head of %zu bytes delivered, max %zu",
             (size_t) m->head.len, max_header_size);
  if (full) {
    fc_str_inside(&m->message, lo, hi, "message");
    fc_str_inside(&m->body, lo, hi, "body");
    FUZZ_CHECK(m->body.len <= max_body_size, "body of %zu bytes delivered, max %zu",
               (size_t) m->body.len, max_body_size);
  }
}

static void on_msg(struct mg_http_message *m) {
  msgs++;
  FUZZ_CHECK(!deferred, "MG_EV_HTTP_MSG #%u delivered while the previous one is unanswered",
             (unsigned) msgs);
  if (early_answered) {
    early_answered = 0;
    return;
  }
  static const int statuses[] = {200, 201, 204, 301, 304, 400, 404, 413, 500, 503};
  uint32_t r = next_rand();
  switch (r % 10) {
    case 0:
    case 1:
      mgx_http_reply(conn, 200, (r & 16) ? hdrs_json : hdrs_plain,
                     (r & 16) ? sizeof(hdrs_json) - 1 : sizeof(hdrs_plain) - 1, m->body.buf,
                     m->body.len);
      break;
    case 2:
      mgx_http_reply(conn, statuses[(r >> 8) % 10], NULL, 0, NULL, 0);
      break;
    case 3:
      mgx_http_start(conn, 200, hdrs_plain, sizeof(hdrs_plain) - 1);
      if (conn) mgx_http_chunk(conn, m->body.buf, m->body.len);
      if (conn) mgx_http_chunk(conn, "", 0);
      break;
    case 4:
      mgx_http_chunk(conn, m->uri.buf, m->uri.len);
      if (conn) mgx_http_chunk(conn, "!", 1);
      if (conn) mgx_http_chunk(conn, "", 0);
      break;
    case 5:
      mgx_http_sse(conn, "msg", 3, m->body.buf, m->body.len);
      if (conn) mgx_http_chunk(conn, "", 0);
      break;
    case 6:
      deferred = 1;
      break;
    case 7:
      mgx_http_reply(conn, 200, NULL, 0, "bye", 3);
      if (conn) mgx_drain(conn);
      break;
    case 8:
      mgx_drain(conn);
      break;
    default:
      if (r & 16) {
        mgx_user_error(conn, m->body.buf, m->body.len);  // any bytes, NULs too
      } else {
        mgx_close(conn);
      }
      break;
  }
}

static void on_event(uint32_t id, int ev, void *ev_data) {
  if (conn == NULL || id != conn_id) return;
  switch (ev) {
    case MG_EV_CLOSE:
      conn = NULL;
      break;
    case MG_EV_HTTP_HDRS:
      check_message((const struct mg_http_message *) ev_data, 0);
      // Sometimes refuse the body before it arrives, as an upload limit would.
      if ((next_rand() & 15) == 0) {
        early_answered = 1;
        mgx_http_reply(conn, 413, NULL, 0, "too big", 7);
        if (conn) mgx_drain(conn);
      }
      break;
    case MG_EV_HTTP_MSG:
      check_message((const struct mg_http_message *) ev_data, 1);
      on_msg((struct mg_http_message *) ev_data);
      break;
    case MG_EV_WAKEUP: {
      const struct mg_str *w = (const struct mg_str *) ev_data;
      FUZZ_CHECK(w != NULL, "MG_EV_WAKEUP without data");
      fh_touch(w->buf, w->len);
      break;
    }
    default:
      break;
  }
}

static int has_head(const uint8_t *data, size_t size) {
  for (size_t i = 0; i + 4 <= size; i++) {
    if ((data[i] | 0x20) == 'h' && (data[i + 1] | 0x20) == 'e' && (data[i + 2] | 0x20) == 'a' &&
        (data[i + 3] | 0x20) == 'd') {
      return 1;
    }
  }
  return 0;
}

// Flush; when the last host_send was short, let the host take output again.
static void flush(struct mg_mgr *mgr) {
  mgx_flush(mgr);
  if (conn != NULL && fh_conn(conn_id)->short_send) {
    fh_conn(conn_id)->short_send = 0;
    mgx_writable(conn);
    mgx_flush(mgr);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  uint8_t ctl[4] = {data[0], data[1], data[2], data[3]};
  data += 4;
  size -= 4;

  double heap0 = mgx_heap_used();
  fh_reset();
  fh.on_event = on_event;
  fh.send_mode = (enum fh_send_mode) ((ctl[3] & 3) % 3);
  rng = 0x9e3779b9u ^ ((uint32_t) ctl[1] * 0x01000193u);
  deferred = early_answered = 0;
  msgs = 0;

  if (ctl[0] & 8) {
    size_t extra = 1024 + 512 * (size_t) (ctl[0] >> 4) + 8192 * (size_t) ((ctl[3] >> 6) & 3);
    mg_alloc_budget((size_t) heap0 + extra);
  }
  struct mg_mgr *mgr = mgx_mgr_new();
  if (mgr == NULL) {
    FUZZ_CHECK(ctl[0] & 8, "mgx_mgr_new failed without an allocation budget");
    mg_alloc_budget(0);
    FUZZ_CHECK(mgx_heap_used() == heap0, "failed mgx_mgr_new leaked");
    return 0;
  }
  max_header_size = 16384, max_headers = MG_MAX_HTTP_HEADERS, max_body_size = 1u << 20;
  mgx_http_strict(mgr, ctl[1] & 1);
  uint32_t max_conns = (ctl[0] & 4) ? 1 : 0;
  uint32_t tmo = (ctl[0] & 2) ? 50 : 0;
  if (ctl[0] & 1) {
    uint32_t scale = 1 + (ctl[0] >> 4);  // 1..16
    max_header_size = 24 * scale;
    max_headers = 1 + scale / 3;
    max_body_size = 16 * scale;
    mgx_set_limits(mgr, (uint32_t) max_header_size, (uint32_t) max_headers,
                   (uint32_t) max_body_size, 64 * scale, max_conns, tmo, tmo, tmo);
  } else if (max_conns || tmo) {
    mgx_set_limits(mgr, 0, 0, 0, 0, max_conns, tmo, tmo, tmo);
  }

  struct mg_connection *lst = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_HTTP, NULL);
  if (lst != NULL) conn = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_HTTP, lst);
  if (lst == NULL || conn == NULL) {
    FUZZ_CHECK(ctl[0] & 8, "mgx_conn_new failed without an allocation budget");
    conn = NULL;
    mgx_mgr_free(mgr);
    mg_alloc_budget(0);
    FUZZ_CHECK(mgx_heap_used() == heap0, "core heap leak after a failed mgx_conn_new: "
               "%.0f bytes before, %.0f after", heap0, mgx_heap_used());
    return 0;
  }
  uint32_t lst_id = lst->id;
  mgx_open(lst);
  conn_id = fh.capture_id = conn->id;
  fh_conn(conn_id);
  mgx_open(conn);
  if (max_conns == 1) {
    struct mg_connection *second = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_HTTP, lst);
    FUZZ_CHECK(second == NULL, "second accept allowed with max_connections = 1");
  }
  flush(mgr);

  size_t off = 0;
  int shutdown_done = 0;
  double step = (double) ((ctl[3] >> 4) & 3) * 20.0;  // 0, 20, 40 or 60 ms
  while (off < size && conn != NULL) {
    answer_late();
    if (conn == NULL) break;
    size_t n = ctl[2] == 0 ? size - off : 1 + next_rand() % ctl[2];
    if (n > size - off) n = size - off;
    void *p = mgx_recv_reserve(conn, n);
    if (p == NULL) {
      flush(mgr);  // the host retries after the next flush
      if (conn == NULL) break;
      p = mgx_recv_reserve(conn, n);
      if (p == NULL) break;  // still full: the host stays paused
    }
    memcpy(p, data + off, n);
    mgx_recv_commit(conn, n);
    // Now and then another thread wakes the connection up with the same bytes.
    if (conn != NULL && next_rand() % 16 == 0) mgx_wakeup(conn, data + off, n);
    off += n;
    if (conn != NULL) {
      FUZZ_CHECK(conn->recv.len <= 2 * max_header_size + max_body_size + 65536 + 4096,
                 "c->recv holds %zu bytes with max head %zu + body %zu",
                 (size_t) conn->recv.len, max_header_size, max_body_size);
    }
    if ((ctl[3] & 8) && !shutdown_done && off * 2 >= size) {
      mgx_shutdown(mgr, 503);
      shutdown_done = 1;
    }
    if (step > 0 || tmo) {
      fh.now += step;
      mgx_poll(mgr);
    }
    flush(mgr);
  }

  answer_late();
  if (conn != NULL && (ctl[3] & 4)) {
    mgx_eof(conn);
  } else if (conn != NULL && next_rand() % 4 == 0) {
    mgx_error(conn, "ECONNRESET", 10);  // the socket died under the request
  }
  flush(mgr);
  // Let a stalled host drain what is left, then let timeouts fire.
  fh.send_mode = FH_SEND_ALL;
  for (int i = 0; i < 4 && conn != NULL; i++) flush(mgr);
  fh.now += 100000;
  mgx_poll(mgr);
  flush(mgr);

  // What the client got is a well-formed sequence of responses (possibly cut
  // short by a close). Bodies of responses to HEAD are not sent, and only the
  // client knows which requests were HEAD: skip inputs that may contain one.
  if (!has_head(data, size)) fv_responses(fh.capture, fh.capture_len, 0, 0, 1, NULL);

  mgx_mgr_free(mgr);
  mg_alloc_budget(0);
  FUZZ_CHECK(conn == NULL, "mgx_mgr_free did not deliver MG_EV_CLOSE to the connection");
  FUZZ_CHECK(fh_conn(conn_id)->closes == 1, "connection got MG_EV_CLOSE %d times",
             fh_conn(conn_id)->closes);
  FUZZ_CHECK(fh_conn(lst_id)->closes == 1, "listener got MG_EV_CLOSE %d times",
             fh_conn(lst_id)->closes);
  // Every connection made by mgx_conn_new owns a host socket: closed once.
  FUZZ_CHECK(fh_conn(conn_id)->host_closes == 1, "host_close called %d times for the connection",
             fh_conn(conn_id)->host_closes);
  FUZZ_CHECK(fh_conn(lst_id)->host_closes == 1, "host_close called %d times for the listener",
             fh_conn(lst_id)->host_closes);
  double heap1 = mgx_heap_used();
  FUZZ_CHECK(heap1 == heap0, "core heap leak: %.0f bytes before, %.0f after", heap0, heap1);
  return 0;
}
