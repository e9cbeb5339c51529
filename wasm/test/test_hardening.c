// test_hardening.c: work bounds and limits under hostile input pacing.
//
// - a head or body trickled in 1 byte per read is scanned once, not once per
//   read (mg_http_scanned counts the bytes the parser and chunked decoder
//   look at, so the bound is checked by count, not by wall time);
// - the resumable scanner gives mg_http_parse's answer for every split;
// - receive buffers grow geometrically, stay under their cap, and shrink
//   back once a big request is gone;
// - request-target forms (RFC 9112 3.2) and statuses below 100;
// - the request timeout cuts off a body that trickles in (fake clock).
#include <stdlib.h>

#include "../src/alloc.h"
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;

static uint32_t setup(fake_handler_t h) {
  return fake_http_server(&s_mgr, h);
}

static void tick(double ms) {
  fake_now += ms;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
}

// Body bytes of the last MG_EV_HTTP_MSG, checked in the handler.
static size_t s_body_len;
static bool s_body_ok;
static void body_handler(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_http_message *hm = (struct mg_http_message *) ev_data;
  size_t i;
  if (ev != MG_EV_HTTP_MSG || c == NULL) return;
  s_body_len = hm->body.len;
  s_body_ok = true;
  for (i = 0; i < hm->body.len; i++) {
    if (hm->body.buf[i] != (char) ('a' + i % 26)) s_body_ok = false;
  }
  mgx_http_reply(c, 200, NULL, 0, "ok", 2);
}

// "POST / ...Content-Length: <body>" plus filler headers up to `head`
// bytes, then `body` bytes of 'a'..'z'. Returns the total length.
static char *make_request(size_t head, size_t body, const char *te, size_t *total) {
  char *req = (char *) malloc(head + body + 256);
  size_t n, i;
  if (te != NULL) {
    n = (size_t) snprintf(req, 256, "POST /up HTTP/1.1\r\nTransfer-Encoding: %s\r\n", te);
  } else {
    n = (size_t) snprintf(req, 256, "POST /up HTTP/1.1\r\nContent-Length: %zu\r\n", body);
  }
  while (n + 2 < head) {  // "X-Pad: aaaa\r\n" lines of at most 200 bytes
    size_t line = head - 2 - n < 200 ? head - 2 - n : 200;
    if (line < 10) line = 10;
    memcpy(req + n, "X-Pad: ", 7);
    memset(req + n + 7, 'p', line - 9);
    memcpy(req + n + line - 2, "\r\n", 2);
    n += line;
  }
  memcpy(req + n, "\r\n", 2);
  n += 2;
  for (i = 0; i < body; i++) req[n + i] = (char) ('a' + i % 26);
  *total = n + body;
  return req;
}

// ---- F3: no byte is scanned over and over --------------------------------------

static void trickled_head_and_body_are_scanned_once(void) {
  size_t total, scanned0, head = 16 * 1024, body = 1024 * 1024;
  char *req = make_request(head, body, NULL, &total);
  uint32_t id = setup(body_handler);
  mgx_set_limits(s_mgr, (uint32_t) head + 100, 0, (uint32_t) body, 0, 0, 0, 0, 0);
  scanned0 = mg_http_scanned;
  s_body_len = 0;
  ASSERT(fake_feed(s_mgr, id, req, total, 1));
  free(req);
  ASSERT_INT(s_body_len, body);
  ASSERT(s_body_ok);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK\r\n");
  // Once while it trickles in, once for the views of MG_EV_HTTP_HDRS, once
  // for those of MG_EV_HTTP_MSG; the body (framed by Content-Length) is not
  // scanned at all. Before the fix: ~head^2/2 + head * body = 17 G bytes.
  ASSERT(mg_http_scanned - scanned0 <= 3 * head + 64);
  mgx_mgr_free(s_mgr);
}

// Chunks with long extensions and a long trailer section, 1 byte per read.
static void trickled_chunk_lines_are_scanned_once(void) {
  static const char head[] = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  size_t cap = 64 * 1024, n = 0, i, k, scanned0, trailers;
  char *req = (char *) malloc(cap);
  uint32_t id = setup(body_handler);
  memcpy(req, head, sizeof(head) - 1);
  n = sizeof(head) - 1;
  for (k = 0; k < 8; k++) {  // "1a;x=eee...\r\n" + 26 bytes + CRLF
    n += (size_t) sprintf(req + n, "1a;x=");
    memset(req + n, 'e', 3000);
    n += 3000;
    memcpy(req + n, "\r\n", 2);
    n += 2;
    for (i = 0; i < 26; i++) req[n++] = (char) ('a' + i);
    memcpy(req + n, "\r\n", 2);
    n += 2;
  }
  n += (size_t) sprintf(req + n, "0;last\r\n");
  trailers = n;
  for (k = 0; k < 40; k++) {  // 40 trailer lines of 250 bytes
    memcpy(req + n, "T: ", 3);
    memset(req + n + 3, 't', 245);
    memcpy(req + n + 248, "\r\n", 2);
    n += 250;
  }
  trailers = n - trailers;
  memcpy(req + n, "\r\n", 2);
  n += 2;
  scanned0 = mg_http_scanned;
  s_body_len = 0;
  ASSERT(fake_feed(s_mgr, id, req, n, 1));
  free(req);
  ASSERT_INT(s_body_len, 8 * 26);
  ASSERT(s_body_ok);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK\r\n");
  // Each framing byte once (the head thrice); rescanning would be ~100 MB.
  ASSERT(mg_http_scanned - scanned0 <= n + 2 * sizeof(head) + 64);
  ASSERT(trailers > 8000);
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

static void trickled_response_head_is_scanned_once(void) {
  struct mg_connection *c;
  size_t n, scanned0;
  char *resp = (char *) malloc(16384);
  c = fake_http_client(&s_mgr);
  n = (size_t) sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
  while (n < 12000) {
    memcpy(resp + n, "X-Pad: ", 7);
    memset(resp + n + 7, 'r', 191);
    memcpy(resp + n + 198, "\r\n", 2);
    n += 200;
  }
  memcpy(resp + n, "\r\nok", 4);
  n += 4;
  scanned0 = mg_http_scanned;
  ASSERT(fake_feed(s_mgr, c->id, resp, n, 1));
  free(resp);
  ASSERT_HAS(fake_events(c->id), "MSG HTTP/1.1 200 OK h=61 b=2:ok\n");
  ASSERT(mg_http_scanned - scanned0 <= 3 * n + 64);
  mgx_mgr_free(s_mgr);
}

// One run of `in` fed in pieces of `step` bytes (0: two pieces split at k);
// returns output + event log (malloc'ed).
static char *chunked_run(const char *in, size_t len, size_t step, size_t k) {
  uint32_t id = setup(fake_echo_handler);
  const char *out, *ev;
  char *r;
  if (step > 0) {
    fake_feed(s_mgr, id, in, len, step);
  } else {
    fake_feed(s_mgr, id, in, k, 0);
    fake_feed(s_mgr, id, in + k, len - k, 0);
  }
  out = fake_out(id), ev = fake_events(id);
  r = (char *) malloc(strlen(out) + strlen(ev) + 8);
  sprintf(r, "%s\n--\n%s%d", out, ev, fake_closes(id));
  mgx_mgr_free(s_mgr);
  return r;
}

// The chunked decoder's resume points give the same result for any split.
static void chunked_resume_points_agree_at_every_split(void) {
  static const char *const ins[] = {
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;a=b;c\r\nabc\r\n10;ext=\"q\"\r\n0123456789abcdef\r\n0;z\r\n"
      "T1: x\r\nT2: yy\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
      "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1;e\r\nx\r\n0\r\n\r\n",
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2;e\x01\r\nxx\r\n0\r\n\r\n",  // control byte in an extension
      "POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\nT: a\r\n b\r\n\r\n",  // obs-fold in a trailer
      "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\nT: a\x7f\r\n\r\n",  // DEL in a trailer
      "POST /f HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nabcdX\n0\r\n\r\n",  // bad chunk end
  };
  size_t i, step, k;
  fake_handler = fake_echo_handler;
  for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
    size_t len = strlen(ins[i]);
    char *ref = chunked_run(ins[i], len, len, 0);
    if (i == 0) ASSERT_HAS(ref, "b=19:abc0123456789abcdef\nHDRS GET /next");
    if (i >= 2) ASSERT_HAS(ref, "HTTP/1.1 400 Bad Request");
    for (step = 1; step < 12; step++) {
      char *r = chunked_run(ins[i], len, step, 0);
      bool same = strcmp(r, ref) == 0;
      free(r);
      if (!same) free(ref);
      ASSERT(same);
    }
    for (k = 1; k < len; k++) {
      char *r = chunked_run(ins[i], len, 0, k);
      bool same = strcmp(r, ref) == 0;
      free(r);
      if (!same) free(ref);
      ASSERT(same);
    }
    free(ref);
  }
}

// ---- the resumable scanner agrees with mg_http_parse ---------------------------

static const char *const kHeads[] = {
    "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-E:\r\nX-W: \t v \t\r\n\r\nBODY",
    "\r\n\r\nPOST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.1 204 No Content\r\nA: b\r\n\r\n",
    "HTTP/1.0 200\r\n\r\n",
    "HTTP/1.1 200 \r\n\r\n",
    "OPTIONS * HTTP/1.1\r\n\r\n",
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "GET http://example.com/x?y HTTP/1.1\r\n\r\n",
    "HTTPX / HTTP/1.1\r\n\r\n",
    "HTT / HTTP/1.1\r\n\r\n",
    // invalid
    "GET / HTTP/1.1\nHost: x\n\n",
    "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
    "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    "GET / HTTP/1.2\r\n\r\n",
    "GET ? HTTP/1.1\r\n\r\n",
    "GET abc HTTP/1.1\r\n\r\n",
    "GET * HTTP/1.1\r\n\r\n",
    "CONNECT /x HTTP/1.1\r\n\r\n",
    "GET host:80 HTTP/1.1\r\n\r\n",
    "HTTP/1.1 000 Zero\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.x 200 OK\r\n\r\n",
    "\r\nX",
    " GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
    "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",  // over max_headers 3
    "GET /long/enough/to/pass/the/limit HTTP/1.1\r\nH: v\r\n\r\n",
};

// Scan `s` fed in pieces of `step` bytes; every intermediate answer must be
// mg_http_parse's answer for that prefix.
static bool scan_agrees(const char *s, size_t step, size_t max_size, size_t max_hdrs) {
  struct mg_http_scan st;
  struct mg_http_message hm;
  size_t len = strlen(s), have = 0;
  memset(&st, 0, sizeof(st));
  while (have < len) {
    int a, b;
    have = have + step < len ? have + step : len;
    a = mg_http_scan(s, have, &st, NULL, max_size, max_hdrs);
    b = mg_http_parse(s, have, &hm, max_size, max_hdrs);
    if (a != b) {
      test_fail(__FILE__, __LINE__, "[%s] step %zu prefix %zu: scan %d, parse %d", s, step,
                have, a, b);
      return false;
    }
    if (a != 0) return true;
  }
  return true;
}

static void scanner_agrees_with_parser_at_every_split(void) {
  size_t i, step;
  for (i = 0; i < sizeof(kHeads) / sizeof(kHeads[0]); i++) {
    for (step = 1; step <= strlen(kHeads[i]); step++) {
      if (!scan_agrees(kHeads[i], step, 16384, 3)) return;
      if (!scan_agrees(kHeads[i], step, 40, 100)) return;  // 431 paths
    }
  }
}

// ---- N1 / N2: request-target forms, statuses below 100 -----------------------

static int parse(const char *s, struct mg_http_message *hm) {
  return mg_http_parse(s, strlen(s), hm, 16384, 100);
}

static void request_target_forms(void) {
  struct mg_http_message hm;
  ASSERT(parse("GET /x?q HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("GET //x HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("GET http://h:8/p?q=1 HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(hm.uri.len == 12 && memcmp(hm.uri.buf, "http://h:8/p", 12) == 0);
  ASSERT(parse("POST coap+tcp://h HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("OPTIONS * HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("OPTIONS /x HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("CONNECT h.example:443 HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT(parse("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n", &hm) > 0);
  ASSERT_INT(parse("GET ? HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET ?a=1 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET abc HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET * HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET h:443 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET mailto:a@b HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET 1http://h/ HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("GET http:// HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT /x HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT h HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT h: HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT :80 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT u@h:80 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("CONNECT http://h:80 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("connect h:80 HTTP/1.1\r\n\r\n", &hm), MG_HTTP_ERR_BAD);  // case matters
}

static void bad_target_gets_400(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET abc HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_REFUSED(id, "HTTP/1.1 400 Bad Request\r\n");
  mgx_mgr_free(s_mgr);
}

static void status_below_100_is_invalid(void) {
  struct mg_http_message hm;
  ASSERT_INT(parse("HTTP/1.1 000 X\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT_INT(parse("HTTP/1.1 099 X\r\n\r\n", &hm), MG_HTTP_ERR_BAD);
  ASSERT(parse("HTTP/1.1 100 Continue\r\n\r\n", &hm) > 0);
  ASSERT_INT(mg_http_status(&hm), 100);
  ASSERT(parse("HTTP/1.1 999 Odd\r\n\r\n", &hm) > 0);
}

// ---- P1: buffer growth and shrinking ---------------------------------------------

static void recv_buffer_grows_geometrically(void) {
  size_t total, off, sizes = 0, last = 0, copied = 0, body = 1 << 20;
  char *req = make_request(200, body, NULL, &total);
  uint32_t id = setup(body_handler);
  struct mg_connection *c = fake_conn(id);
  size_t cap;
  mgx_set_limits(s_mgr, 0, 0, (uint32_t) body, 0, 0, 0, 0, 0);
  cap = mg_recv_cap(c);
  s_body_len = 0;
  for (off = 0; off + 1460 < total; off += 1460) {  // all but the last piece
    ASSERT(fake_feed(s_mgr, id, req + off, 1460, 0));
    ASSERT(c->recv.size <= cap);
    if (c->recv.size != last) {
      sizes++;
      copied += last;  // a resize copies at most the old contents
      last = c->recv.size;
    }
  }
  ASSERT(fake_feed(s_mgr, id, req + off, total - off, 0));
  free(req);
  ASSERT_INT(s_body_len, body);
  // 2 KiB doubling to 1 MiB: about 10 sizes, and less copying than one
  // more pass over the body (linear growth: ~700 sizes, ~380 MB copied).
  ASSERT(sizes <= 12);
  ASSERT(copied <= total);
  // Answered and empty: the big buffer is given back.
  ASSERT_INT(c->recv.len, 0);
  ASSERT_INT(c->recv.size, 0);
  mgx_mgr_free(s_mgr);
}

static void recv_buffer_shrinks_when_a_little_is_left(void) {
  size_t total, body = 512 * 1024;
  char *req = make_request(200, body, NULL, &total);
  char *both = (char *) malloc(total + 10);
  uint32_t id = setup(body_handler);
  struct mg_connection *c = fake_conn(id);
  memcpy(both, req, total);
  memcpy(both + total, "GET /next ", 10);  // the next request's first bytes
  ASSERT(fake_feed(s_mgr, id, both, total + 10, 65536));
  free(req);
  free(both);
  ASSERT_INT(s_body_len, body);
  ASSERT_INT(c->recv.len, 10);
  ASSERT(c->recv.size <= 65536);
  ASSERT(fake_feeds(s_mgr, id, "HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK");
  ASSERT_INT(c->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

// 20 keep-alive connections after a 256 KiB upload each keep no buffer.
static void idle_connections_keep_no_big_buffers(void) {
  struct mg_connection *l, *cs[20];
  size_t total, heap_idle, k, body = 256 * 1024;
  char *req = make_request(300, body, NULL, &total);
  s_mgr = mgx_mgr_new();
  l = fake_listen(s_mgr, MGX_PROTO_HTTP);
  fake_handler = body_handler;
  for (k = 0; k < 20; k++) cs[k] = fake_accept(s_mgr, l);
  heap_idle = mg_heap_used();
  for (k = 0; k < 20; k++) ASSERT(fake_feed(s_mgr, cs[k]->id, req, total, 16384));
  free(req);
  for (k = 0; k < 20; k++) {
    ASSERT(fake_conn(cs[k]->id) != NULL);
    ASSERT_INT(cs[k]->recv.size, 0);
    ASSERT_INT(cs[k]->send.size <= 16384, 1);
  }
  // Nothing left but what small replies keep (send buffers of 2 KiB).
  ASSERT(mg_heap_used() <= heap_idle + 20 * 4096);
  mgx_mgr_free(s_mgr);
}

// An 8 MB reply reserves exactly (not twice) its size in c->send.
static void big_reply_reserves_exactly(void) {
  static const size_t kBody = 8 * 1000 * 1000;
  uint32_t id = setup(NULL);
  struct mg_connection *c = fake_conn(id);
  char *body = (char *) calloc(1, kBody);
  ASSERT(fake_feeds(s_mgr, id, "GET /big HTTP/1.1\r\n\r\n"));
  fake_set_budget(id, 0);  // the peer reads nothing yet
  ASSERT(mgx_http_reply(c, 200, NULL, 0, body, kBody));
  free(body);
  mgx_flush(s_mgr);
  ASSERT(c->send.len > kBody && c->send.len < kBody + 200);
  ASSERT(c->send.size < c->send.len + MG_IO_SIZE);
  fake_set_budget(id, (size_t) -1);
  mgx_writable(c);
  mgx_flush(s_mgr);
  ASSERT_INT(c->send.len, 0);
  ASSERT_INT(c->send.size, 0);
  ASSERT(fake_out_len(id) > kBody && fake_out_len(id) < kBody + 200);
  mgx_mgr_free(s_mgr);
}

// A response head bigger than the inline buffer (user headers of 3 KB) and
// an SSE event bigger than it arrive whole.
static void big_head_and_event_spill_to_the_heap(void) {
  uint32_t id = setup(NULL);
  struct mg_connection *c = fake_conn(id);
  char hdrs[3100], data[2000];
  size_t n = 0, k;
  for (k = 0; k < 30; k++) n += (size_t) sprintf(hdrs + n, "X-H%02u: %090u\r\n", (unsigned) k, 7u);
  memset(data, 'd', sizeof(data) - 1);
  data[sizeof(data) - 1] = '\0';
  ASSERT(fake_feeds(s_mgr, id, "GET /a HTTP/1.1\r\n\r\n"));
  ASSERT(mgx_http_reply(c, 201, hdrs, n, "body", 4));
  mgx_flush(s_mgr);
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 201 Created\r\nX-H00: 000", 32) == 0);
  ASSERT_HAS(fake_out(id), "X-H29: 0000");
  ASSERT_HAS(fake_out(id), "000007\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody");
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /sse HTTP/1.1\r\n\r\n"));
  ASSERT(mgx_http_sse(c, "tick", 4, data, strlen(data)));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "\r\n7e3\r\nevent: tick\ndata: dddd");  // 2019 bytes
  ASSERT_HAS(fake_out(id), "dddd\n\n\r\n");
  mgx_mgr_free(s_mgr);
}

// ---- A1: the request timeout covers a slow body ------------------------------------

static void request_timeout_cuts_chunked_trickle(void) {
  uint32_t id = setup(body_handler);
  int i;
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 300, 200, 1000);
  ASSERT(fake_feeds(s_mgr, id, "POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (i = 0; i < 9; i++) {  // a 1-byte chunk every 100 ms: never idle
    tick(100);
    ASSERT(fake_feeds(s_mgr, id, "1\r\nx\r\n"));
  }
  tick(99);
  ASSERT_STR(fake_out(id), "");
  tick(1);
  ASSERT_REFUSED(id, "HTTP/1.1 408 Request Timeout\r\n");
  mgx_mgr_free(s_mgr);
}

// The header timeout is for the head only: a slow body outlives it.
static void header_timeout_spares_the_body(void) {
  uint32_t id = setup(body_handler);
  int i;
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 150, 0);
  ASSERT(fake_feeds(s_mgr, id, "POST /t HTTP/1.1\r\nContent-Length: 10\r\n\r\n"));
  for (i = 0; i < 10; i++) {
    tick(100);
    ASSERT(fake_feeds(s_mgr, id, "a"));
  }
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK\r\n");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

// The head trickling in byte by byte meets the header timeout from its
// first byte, however steady the trickle.
static void header_timeout_cuts_head_trickle(void) {
  static const char head[] = "GET /slow HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  uint32_t id = setup(body_handler);
  size_t i;
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 1000, 0);
  for (i = 0; i < 40; i++) {  // 25 ms a byte: 1 s for 40 bytes
    ASSERT(fake_feed(s_mgr, id, head + i, 1, 0));
    tick(25);
  }
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

// ---- input taken away by the application ------------------------------------------

static void take_head_in_hdrs(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_http_message *hm = (struct mg_http_message *) ev_data;
  if (ev == MG_EV_HTTP_HDRS && c != NULL && hm->uri.len == 2 && hm->uri.buf[1] == 'a') {
    mgx_recv_consume(c, hm->head.len);  // the application took the head
  }
  fake_echo_handler(c, ev, ev_data);
}

static void consuming_in_hdrs_restarts_parsing(void) {
  uint32_t id = setup(take_head_in_hdrs);
  ASSERT(fake_feeds(s_mgr, id, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"));
  ASSERT_NOT_HAS(fake_events(id), "MSG GET /a");
  ASSERT_HAS(fake_events(id), "MSG GET /b HTTP/1.1 h=0 b=0:\n");
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

// Consuming part of a trickling head: the scanner must not resume inside
// bytes that moved.
static void consuming_mid_head_rescans(void) {
  uint32_t id = setup(fake_echo_handler);
  struct mg_connection *c = fake_conn(id);
  ASSERT(fake_feeds(s_mgr, id, "XXXXGET /a HT"));
  mgx_recv_consume(c, 4);
  ASSERT(fake_feeds(s_mgr, id, "TP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_events(id), "MSG GET /a HTTP/1.1 h=0 b=0:\n");
  mgx_mgr_free(s_mgr);
}

void suite_hardening(void) {
  RUN(trickled_head_and_body_are_scanned_once);
  RUN(trickled_chunk_lines_are_scanned_once);
  RUN(trickled_response_head_is_scanned_once);
  RUN(chunked_resume_points_agree_at_every_split);
  RUN(scanner_agrees_with_parser_at_every_split);
  RUN(request_target_forms);
  RUN(bad_target_gets_400);
  RUN(status_below_100_is_invalid);
  RUN(recv_buffer_grows_geometrically);
  RUN(recv_buffer_shrinks_when_a_little_is_left);
  RUN(idle_connections_keep_no_big_buffers);
  RUN(big_reply_reserves_exactly);
  RUN(big_head_and_event_spill_to_the_heap);
  RUN(request_timeout_cuts_chunked_trickle);
  RUN(header_timeout_spares_the_body);
  RUN(header_timeout_cuts_head_trickle);
  RUN(consuming_in_hdrs_restarts_parsing);
  RUN(consuming_mid_head_rescans);
}
