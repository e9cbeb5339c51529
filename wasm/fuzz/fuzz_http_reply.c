// fuzz_http_reply.c: the response writers (mgx_http_reply / start / chunk /
// sse) with arbitrary status, header block and body from the user, checked
// by parsing what the core sent back with the core's own strict parser.
//
// Input layout:
//   in[0]      which canned request the client sends (GET, HEAD, HTTP/1.0,
//              HTTP/1.0 keep-alive, Connection: close, answer from
//              MG_EV_HTTP_HDRS, Expect: 100-continue, two pipelined GETs)
//   in[1]      what the handler does (reply, start + chunks, chunks, SSE,
//              interim 1xx then reply)
//   in[2..3]   status, big-endian, modulo 1100 (so invalid ones occur)
//   in[4]      length of the header block that follows
//   rest       the body; 0xFE bytes split it into chunks / SSE fields
// Checks: the output is a sequence of well-formed responses, one per
// answered request; framing is unambiguous (at most one of Content-Length /
// Transfer-Encoding, never a user-supplied one); the body the client reads is
// exactly what the handler gave; nothing follows a Connection: close
// response; invalid statuses are refused with nothing sent; no leaks.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "fuzz_host.h"
#include "fuzz_verify.h"
#include "http.h"
#include "mgx.h"
#include "net.h"

static const char *const requests[8] = {
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /a HTTP/1.0\r\n\r\n",
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    "PUT /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
};
enum { REQ_HEAD = 1, REQ_HTTP10 = 2, REQ_HTTP10_KA = 3, REQ_FROM_HDRS = 5, REQ_EXPECT = 6 };
enum { OP_REPLY, OP_START, OP_CHUNKS, OP_SSE, OP_INTERIM, OP_COUNT };

static struct mg_connection *conn;
static uint32_t conn_id;
static int req_kind, op, status;
static const char *hdrs;
static size_t hdrs_len;
static const uint8_t *body;
static size_t body_len;
static int answers;      // handler invocations that answered
static int refused;      // the first call of an answer returned 0
static unsigned char *expect_body;  // what a client should read as the body
static size_t expect_len;

static int valid_status(int s) { return s >= 100 && s <= 999; }

// Each piece of the body between 0xFE bytes, empty ones skipped (a
// zero-length chunk would end the stream).
static int next_piece(size_t *pos, const uint8_t **p, size_t *n) {
  while (*pos < body_len) {
    size_t i = *pos, j = i;
    while (j < body_len && body[j] != 0xFE) j++;
    *pos = j + 1;
    if (j > i) {
      *p = body + i;
      *n = j - i;
      return 1;
    }
  }
  return 0;
}

static void answer(void) {
  const uint8_t *p;
  size_t pos = 0, n;
  int ok = 1;
  expect_len = 0;
  switch (op) {
    case OP_REPLY:
      ok = mgx_http_reply(conn, status, hdrs, hdrs_len, body, body_len);
      memcpy(expect_body, body, body_len);
      expect_len = body_len;
      break;
    case OP_START:
    case OP_CHUNKS:
      if (op == OP_START) ok = mgx_http_start(conn, status, hdrs, hdrs_len);
      while (ok && next_piece(&pos, &p, &n)) {
        // The first chunk of OP_CHUNKS starts the response: it may be refused.
        int r = mgx_http_chunk(conn, p, n);
        if (!r && op == OP_CHUNKS && expect_len == 0) {
          ok = 0;
          break;
        }
        FUZZ_CHECK(r, "mgx_http_chunk(%zu bytes) failed", n);
        memcpy(expect_body + expect_len, p, n);
        expect_len += n;
      }
      if (ok) {
        int r = mgx_http_chunk(conn, "", 0);
        if (!r && op == OP_CHUNKS && expect_len == 0) ok = 0;
        FUZZ_CHECK(r || !ok, "ending the stream failed");
      }
      break;
    case OP_SSE: {
      const uint8_t *type = (const uint8_t *) "", *data;
      size_t type_len = 0, data_len;
      int first = 1;
      if (next_piece(&pos, &type, &type_len) == 0) type_len = 0;
      while (ok && next_piece(&pos, &data, &data_len)) {
        int r = mgx_http_sse(conn, (const char *) type, type_len, (const char *) data, data_len);
        if (!r && first) ok = 0;
        FUZZ_CHECK(r || !ok, "mgx_http_sse failed");
        first = 0;
      }
      if (ok) {
        int r = mgx_http_chunk(conn, "", 0);
        if (!r && first) ok = 0;
        FUZZ_CHECK(r || !ok, "ending the SSE stream failed");
      }
      expect_len = (size_t) -1;  // not compared
      break;
    }
    default:
      ok = mgx_http_reply(conn, 100 + (status & 1) * 3, hdrs, hdrs_len, NULL, 0);
      FUZZ_CHECK(ok, "interim reply refused");
      ok = mgx_http_reply(conn, status, hdrs, hdrs_len, body, body_len);
      memcpy(expect_body, body, body_len);
      expect_len = body_len;
      break;
  }
  // Streams the core starts itself use 200; they need a delivered request
  // (not an answer from MG_EV_HTTP_HDRS).
  // A stream needs a status that allows a body.
  int implicit = op == OP_CHUNKS || op == OP_SSE;
  int eff = implicit ? 200 : status;
  int valid = valid_status(eff);
  if (op == OP_START) valid = valid && eff >= 200 && eff != 204 && eff != 304;
  if (!ok) {
    FUZZ_CHECK(!valid || (implicit && req_kind == REQ_FROM_HDRS), "op %d with status %d refused",
               op, eff);
    refused = 1;
  } else {
    FUZZ_CHECK(valid, "op %d with status %d accepted", op, status);
  }
  answers++;
}

static void on_event(uint32_t id, int ev, void *ev_data) {
  if (conn == NULL || id != conn_id) return;
  if (ev == MG_EV_CLOSE) conn = NULL;
  if (ev == MG_EV_HTTP_HDRS && req_kind == REQ_FROM_HDRS && answers == 0) answer();
  if (ev == MG_EV_HTTP_MSG && !refused) answer();
}

// The client must read exactly the body the handler gave, every time.
static void check_body(int index, const unsigned char *got, size_t len, int bodiless) {
  if (bodiless || expect_len == (size_t) -1) return;
  FUZZ_CHECK(len == expect_len && memcmp(got, expect_body, len) == 0,
             "response %d: the client reads a %zu-byte body, the handler sent %zu bytes", index,
             len, expect_len);
}

static void verify_output(void) {
  int finals = fv_responses(fh.capture, fh.capture_len, req_kind == REQ_HEAD,
                            req_kind == REQ_HTTP10 || req_kind == REQ_HTTP10_KA, 0, check_body);
  FUZZ_CHECK(finals <= answers, "%d final responses for %d answers", finals, answers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5) return 0;
  req_kind = data[0] & 7;
  op = data[1] % OP_COUNT;
  status = ((data[2] << 8) | data[3]) % 1100;
  hdrs_len = data[4];
  if (hdrs_len > size - 5) hdrs_len = size - 5;
  hdrs = (const char *) data + 5;
  body = data + 5 + hdrs_len;
  body_len = size - 5 - hdrs_len;
  answers = refused = 0;
  expect_body = (unsigned char *) malloc(body_len + 1);

  double heap0 = mgx_heap_used();
  fh_reset();
  fh.on_event = on_event;
  struct mg_mgr *mgr = mgx_mgr_new();
  fh_http_accepted(mgr, &conn, &conn_id);

  const char *req = requests[req_kind];
  size_t req_len = strlen(req);
  void *p = mgx_recv_reserve(conn, req_len);
  FUZZ_CHECK(p != NULL, "cannot receive %zu bytes", req_len);
  memcpy(p, req, req_len);
  mgx_recv_commit(conn, req_len);
  mgx_flush(mgr);
  if (req_kind == REQ_EXPECT && conn != NULL) {
    FUZZ_CHECK(fh.capture_len > 0, "no 100 Continue for Expect: 100-continue");
    p = mgx_recv_reserve(conn, 3);
    FUZZ_CHECK(p != NULL, "cannot receive the body");
    memcpy(p, "xyz", 3);
    mgx_recv_commit(conn, 3);
  }
  for (int i = 0; i < 4; i++) mgx_flush(mgr);
  verify_output();
  mgx_mgr_free(mgr);
  free(expect_body);
  FUZZ_CHECK(conn == NULL, "no MG_EV_CLOSE for the connection");
  FUZZ_CHECK(mgx_heap_used() == heap0, "core heap leak: %.0f bytes before, %.0f after", heap0,
             mgx_heap_used());
  return 0;
}
