// fuzz_chunked.c: chunked request bodies (the core decodes them in place,
// in http_server.c, which exposes no separate decoder).
//
// Input: in[0] split (0 = the whole body in one piece, else pieces of
// 1..in[0] bytes), in[1] limits (bit0: max_body_size 64, else 1 MiB), rest =
// the bytes that follow "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".
// Checks:
// - split-invariance: delivering the bytes in pieces gives exactly the same
//   messages, bodies and output as delivering them at once;
// - against a small reference decoder: a well-formed body (within limits, no
//   edge-of-limit extensions or trailers) is delivered byte for byte, and
//   a malformed one is never delivered as a message;
// - no leaks, no ASan/UBSan reports.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "fuzz_host.h"
#include "http.h"
#include "mgx.h"
#include "net.h"

static const char head[] = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

#define MAX_MSGS 8
struct outcome {
  int msgs;
  size_t body_len[MAX_MSGS];
  unsigned char *body[MAX_MSGS];
  unsigned char *out;
  size_t out_len;
};

static struct mg_connection *conn;
static uint32_t conn_id;
static struct outcome *cur;

static void on_event(uint32_t id, int ev, void *ev_data) {
  if (conn == NULL || id != conn_id) return;
  if (ev == MG_EV_CLOSE) conn = NULL;
  if (ev == MG_EV_HTTP_MSG) {
    struct mg_http_message *m = (struct mg_http_message *) ev_data;
    const char *lo = (const char *) conn->recv.buf, *hi = lo + conn->recv.len;
    fc_str_inside(&m->body, lo, hi, "body");
    fc_str_inside(&m->message, lo, hi, "message");
    if (cur->msgs < MAX_MSGS) {
      unsigned char *copy = (unsigned char *) malloc(m->body.len + 1);
      if (m->body.len) memcpy(copy, m->body.buf, m->body.len);
      cur->body[cur->msgs] = copy;
      cur->body_len[cur->msgs] = m->body.len;
    }
    cur->msgs++;
    mgx_http_reply(conn, 200, NULL, 0, "ok", 2);
  }
}

static void run(const uint8_t *data, size_t size, size_t split, int small, struct outcome *o) {
  uint32_t rng = 0x12345678u ^ (uint32_t) size;
  double heap0 = mgx_heap_used();
  memset(o, 0, sizeof(*o));
  cur = o;
  fh_reset();
  fh.on_event = on_event;
  struct mg_mgr *mgr = mgx_mgr_new();
  if (small) mgx_set_limits(mgr, 0, 0, 64, 0, 0, 0, 0, 0);
  fh_http_accepted(mgr, &conn, &conn_id);
  void *p = mgx_recv_reserve(conn, sizeof(head) - 1);
  memcpy(p, head, sizeof(head) - 1);
  mgx_recv_commit(conn, sizeof(head) - 1);
  mgx_flush(mgr);
  size_t off = 0;
  while (off < size && conn != NULL) {
    size_t n = size - off;
    if (split) {
      rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
      n = 1 + rng % split;
      if (n > size - off) n = size - off;
    }
    p = mgx_recv_reserve(conn, n);
    if (p == NULL) break;
    memcpy(p, data + off, n);
    mgx_recv_commit(conn, n);
    off += n;
    mgx_flush(mgr);
  }
  mgx_flush(mgr);
  o->out = fh.capture;
  o->out_len = fh.capture_len;
  fh.capture = NULL;  // keep it past fh_reset
  mgx_mgr_free(mgr);
  FUZZ_CHECK(mgx_heap_used() == heap0, "core heap leak: %.0f bytes before, %.0f after", heap0,
             mgx_heap_used());
}

static void outcome_free(struct outcome *o) {
  for (int i = 0; i < o->msgs && i < MAX_MSGS; i++) free(o->body[i]);
  free(o->out);
}

static int hexval(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') return (ch | 0x20) - 'a' + 10;
  return -1;
}

// Reference decoder for the first body: 1 valid (dec holds it), 0 malformed
// or over the limit, -1 incomplete or too close to a limit to judge.
static int reference(const uint8_t *b, size_t len, size_t max_body, unsigned char *dec,
                     size_t *dec_len) {
  size_t i = 0;
  *dec_len = 0;
  for (;;) {
    uint64_t size = 0;
    size_t digits = 0;
    while (i < len && hexval(b[i]) >= 0) {
      if (++digits > 16) return 0;
      size = size * 16 + (uint64_t) hexval(b[i++]);
    }
    if (i >= len) return -1;
    if (digits == 0) return 0;
    // Extensions, and the whitespace RFC 9112 allows before one (BWS): not judged here.
    if (b[i] == ';' || b[i] == ' ' || b[i] == '\t') return -1;
    if (b[i] != '\r') return 0;
    if (i + 1 >= len) return -1;
    if (b[i + 1] != '\n') return 0;
    i += 2;
    if (size == 0) break;
    if (size > max_body - *dec_len) return 0;
    if (len - i < size + 2) return -1;
    if (b[i + size] != '\r' || b[i + size + 1] != '\n') return 0;
    memcpy(dec + *dec_len, b + i, (size_t) size);
    *dec_len += (size_t) size;
    i += (size_t) size + 2;
  }
  if (i >= len) return -1;
  if (b[i] != '\r') return -1;  // trailers: not judged here
  if (i + 1 >= len) return -1;
  return b[i + 1] == '\n' ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t split = data[0];
  int small = data[1] & 1;
  data += 2;
  size -= 2;
  struct outcome whole, pieces;
  run(data, size, 0, small, &whole);
  if (split != 0) {
    run(data, size, split, small, &pieces);
    FUZZ_CHECK(whole.msgs == pieces.msgs, "%d messages whole, %d in pieces of <= %zu",
               whole.msgs, pieces.msgs, split);
    for (int i = 0; i < whole.msgs && i < MAX_MSGS; i++) {
      FUZZ_CHECK(whole.body_len[i] == pieces.body_len[i] &&
                     memcmp(whole.body[i], pieces.body[i], whole.body_len[i]) == 0,
                 "message %d: body of %zu bytes whole, %zu in pieces", i, whole.body_len[i],
                 pieces.body_len[i]);
    }
    FUZZ_CHECK(whole.out_len == pieces.out_len &&
                   (whole.out_len == 0 || memcmp(whole.out, pieces.out, whole.out_len) == 0),
               "different output whole (%zu bytes) and in pieces (%zu bytes)", whole.out_len,
               pieces.out_len);
    outcome_free(&pieces);
  }
  unsigned char *dec = (unsigned char *) malloc(size + 1);
  size_t dec_len = 0;
  int ref = reference(data, size, small ? 64 : 1u << 20, dec, &dec_len);
  if (ref == 1) {
    FUZZ_CHECK(whole.msgs >= 1, "valid chunked body (%zu bytes decoded) not delivered", dec_len);
    FUZZ_CHECK(whole.body_len[0] == dec_len && memcmp(whole.body[0], dec, dec_len) == 0,
               "delivered body (%zu bytes) differs from the reference (%zu bytes)",
               whole.body_len[0], dec_len);
  } else if (ref == 0) {
    FUZZ_CHECK(whole.msgs == 0, "malformed chunked body delivered as a message");
  }
  free(dec);
  outcome_free(&whole);
  return 0;
}
