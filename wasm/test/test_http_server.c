// test_http_server.c: the server side of the HTTP handler.
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
static struct mg_connection *s_pending;  // last request left unanswered

// An HTTP listener and one accepted connection; returns its id.
static uint32_t setup(fake_handler_t h) {
  return fake_http_server(&s_mgr, h);
}

static void lazy_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG) s_pending = c;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  const char *p = hay;
  while ((p = strstr(p, needle)) != NULL) n++, p++;
  return n;
}

static void http_get_keep_alive(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
             "GET /a?x=1 ");
  ASSERT_STR(fake_events(id),
             "OPEN\nACCEPT\nHDRS GET /a?x=1 HTTP/1.1 h=1\nMSG GET /a?x=1 HTTP/1.1 h=1 b=0:\n");
  ASSERT(fake_conn(id) != NULL);
  ASSERT(!(fake_conn(id)->flags & MG_F_REQ_PENDING));
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /b HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "GET /b ");
  ASSERT_INT(s_mgr->completed, 2);
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void http10_closes_by_default(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.0\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(s_mgr);
}

static void http10_keep_alive(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Connection: keep-alive\r\n");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void http11_connection_close(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\nConnection: upgrade, CLOSE\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void http_pipelined_sync(void) {
  uint32_t id = setup(fake_echo_handler);
  const char *out;
  ASSERT(fake_feeds(s_mgr, id,
                    "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"));
  out = fake_out(id);
  ASSERT_INT(count(out, "HTTP/1.1 200"), 3);
  ASSERT(strstr(out, "GET /1") < strstr(out, "GET /2"));
  ASSERT(strstr(out, "GET /2") < strstr(out, "GET /3"));
  mgx_mgr_free(s_mgr);
}

static void http_pipelined_answered_late_in_order(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  s_pending = NULL;
  ASSERT(fake_feeds(s_mgr, id,
                    "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"));
  ASSERT_INT(count(fake_events(id), "MSG"), 1);  // the rest waits
  ASSERT(s_pending == c);
  ASSERT(c->flags & MG_F_REQ_PENDING);
  ASSERT_STR(mgx_req_uri(c), "/1");
  ASSERT_STR(mgx_last_req_method(c), "GET");
  ASSERT(mgx_req_started(c) == 1000);
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(count(fake_events(id), "MSG"), 1);
  ASSERT(mgx_http_reply(c, 200, NULL, 0, "one", 3));
  ASSERT(!mgx_http_reply(c, 200, NULL, 0, "dup", 3));  // answered already
  mgx_flush(s_mgr);
  ASSERT_INT(count(fake_events(id), "MSG"), 2);
  ASSERT_STR(mgx_req_uri(c), "/2");
  ASSERT(mgx_http_reply(c, 201, NULL, 0, "two", 3));
  mgx_flush(s_mgr);
  ASSERT(mgx_http_reply(c, 202, NULL, 0, "three", 5));
  mgx_flush(s_mgr);
  ASSERT_INT(count(fake_events(id), "MSG"), 3);
  ASSERT(strstr(fake_out(id), "one") < strstr(fake_out(id), "HTTP/1.1 201"));
  ASSERT(strstr(fake_out(id), "two") < strstr(fake_out(id), "HTTP/1.1 202"));
  ASSERT(mgx_req_uri(c) == NULL);
  ASSERT(mgx_req_started(c) == 0);
  ASSERT_STR(mgx_last_req_uri(c), "/3");  // answered, still known for shutdown reports
  ASSERT_STR(mgx_last_req_method(c), "GET");
  ASSERT(mgx_last_req_started(c) == 1000);
  mgx_mgr_free(s_mgr);
}

static void http_content_length_body(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "POST /p HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello"));
  ASSERT_STR(fake_out(id), "");
  ASSERT(fake_feeds(s_mgr, id, " worldGET /n HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "POST /p hello world");
  ASSERT_HAS(fake_out(id), "GET /n ");
  ASSERT_HAS(fake_events(id), "MSG POST /p HTTP/1.1 h=1 b=11:hello world\n");
  mgx_mgr_free(s_mgr);
}

static void http_chunked_body(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id,
                    "POST /c HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    "5;name=val;x\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n"
                    "0\r\nX-Trailer: yes\r\nOther: 1\r\n\r\nGET /after HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_events(id), "b=21:hello world0123456789\n");
  ASSERT_HAS(fake_out(id), "POST /c hello world0123456789");
  ASSERT_HAS(fake_out(id), "GET /after ");
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

static void http_expect_100_continue(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id,
                    "PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  ASSERT_STR(fake_out(id), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT(fake_feeds(s_mgr, id, "ab"));
  ASSERT(fake_feeds(s_mgr, id, "cd"));
  ASSERT_INT(count(fake_out(id), "100 Continue"), 1);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK");
  ASSERT_HAS(fake_out(id), "PUT /u abcd");
  // Body sent along with the head: no 100.
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id,
                    "PUT /v HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz"));
  ASSERT_NOT_HAS(fake_out(id), "100 Continue");
  // Too big: 413 instead of 100.
  fake_out_clear(id);
  mgx_set_limits(s_mgr, 0, 0, 10, 0, 0, 0, 0, 0);
  ASSERT(fake_feeds(s_mgr, id,
                    "PUT /w HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"));
  ASSERT_NOT_HAS(fake_out(id), "100 Continue");
  ASSERT_HAS(fake_out(id), "HTTP/1.1 413 Payload Too Large");
  mgx_mgr_free(s_mgr);
}

static void http_head_has_no_body(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n"));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nGET /g ");
  mgx_mgr_free(s_mgr);
}

// Each bad request on a fresh connection: the expected status line, then
// Connection: close, then the connection closes; MG_EV_HTTP_MSG never fires.
static void http_error_paths(void) {
  static const struct {
    const char *req, *status;
    uint32_t max_head, max_headers, max_body;
  } cases[] = {
      {"G(T / HTTP/1.1\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"GET /\x7f HTTP/1.1\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"GET / HTTP/1.2\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"GET / HTTP/1.1\r\nA: \0\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"HTTP/1.1 200 OK\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501 Not Implemented",
       0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400 Bad Request", 0,
       0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
       "400 Bad Request", 0, 0, 0},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded: t\r\n\r\n",
       "400 Bad Request", 0, 0, 0},
      {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n",
       "431 Request Header Fields Too Large", 40, 0, 0},
      {"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", "431 Request Header Fields Too Large",
       0, 2, 0},
      {"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", "413 Payload Too Large", 0, 0, 100},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n", "413 Payload Too Large",
       0, 0, 60},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
       "20\r\n01234567890123456789012345678901\r\n"
       "20\r\n01234567890123456789012345678901\r\n",
       "413 Payload Too Large", 0, 0, 60},
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint32_t id = setup(fake_echo_handler);
    const char *req = cases[i].req;
    size_t len = strlen(req);
    char want[80];
    if (i == 5) len = 24;  // the NUL case: the literal holds a NUL byte
    mgx_set_limits(s_mgr, cases[i].max_head, cases[i].max_headers, cases[i].max_body, 0, 0, 0,
                   0, 0);
    fake_feed(s_mgr, id, req, len, 0);
    snprintf(want, sizeof(want), "HTTP/1.1 %s\r\n", cases[i].status);
    if (strncmp(fake_out(id), want, strlen(want)) != 0 ||
        strstr(fake_out(id), "Connection: close\r\n") == NULL || fake_closes(id) != 1 ||
        strstr(fake_events(id), "MSG") != NULL) {
      test_fail(__FILE__, __LINE__, "case %zu: [%s]\n  got: [%s]\n  events: [%s]", i, req,
                fake_out(id), fake_events(id));
      mgx_mgr_free(s_mgr);
      return;
    }
    mgx_mgr_free(s_mgr);
  }
}

static void http_error_after_good_request(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET /ok HTTP/1.1\r\n\r\nBAD REQUEST\r\n\r\nGET /x HTTP/1.1\r\n\r\n"));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 200 OK", 15) == 0);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 400 Bad Request");
  ASSERT_NOT_HAS(fake_out(id), "GET /x");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void http_leading_crlf_between_requests(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id,
                    "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi\r\nGET /b HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "POST /a hi");
  ASSERT_HAS(fake_out(id), "GET /b ");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void http_body_exactly_at_limit(void) {
  uint32_t id = setup(fake_echo_handler);
  mgx_set_limits(s_mgr, 0, 0, 5, 0, 0, 0, 0, 0);
  ASSERT(fake_feeds(s_mgr, id,
                    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
                    "0\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nvwxyz"));
  ASSERT_HAS(fake_out(id), "POST / abcde");
  ASSERT_HAS(fake_out(id), "POST / vwxyz");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void http_shutdown_rejects_new_requests(void) {
  uint32_t id = setup(fake_echo_handler);
  mgx_shutdown(s_mgr, 503);
  ASSERT(fake_feeds(s_mgr, id, "GET /late HTTP/1.1\r\n\r\n"));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_NOT_HAS(fake_events(id), "MSG");
  ASSERT_INT(s_mgr->rejected, 1);
  ASSERT_INT(s_mgr->completed, 0);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void http_shutdown_lets_in_flight_finish(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /slow HTTP/1.1\r\n\r\n"));
  mgx_shutdown(s_mgr, 503);
  mgx_drain(c);  // shutdown drains busy connections too: the answer still goes out
  mgx_flush(s_mgr);
  ASSERT(fake_conn(id) == c);
  ASSERT(mgx_http_reply(c, 200, NULL, 0, "done", 4));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK");
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_INT(s_mgr->completed, 1);
  ASSERT_INT(s_mgr->drained, 1);
  mgx_mgr_free(s_mgr);
}

static void http_header_timeout(void) {
  uint32_t id = setup(fake_echo_handler);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 500, 0);
  ASSERT(fake_feeds(s_mgr, id, "GET / HT"));
  fake_now += 300;
  ASSERT(fake_feeds(s_mgr, id, "TP/1.1\r\nHost"));  // still the same head
  fake_now += 199;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "");
  fake_now += 1;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void http_header_timeout_not_for_idle_keepalive(void) {
  uint32_t id = setup(fake_echo_handler);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 500, 0);
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  fake_now += 10000;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void http_request_timeout_then_late_reply(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 0, 1000);
  ASSERT(fake_feeds(s_mgr, id, "GET /busy HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n"));
  fake_now += 999;
  mgx_poll(s_mgr);
  ASSERT_STR(fake_out(id), "");
  fake_now += 1;
  mgx_poll(s_mgr);
  ASSERT(!(c->flags & MG_F_REQ_PENDING));
  ASSERT(!mgx_http_reply(c, 200, NULL, 0, "late", 4));  // dropped safely
  ASSERT(!mgx_send(c, "raw", 3));
  ASSERT(!mgx_http_chunk(c, "x", 1));
  mgx_flush(s_mgr);
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
  ASSERT_NOT_HAS(fake_out(id), "late");
  ASSERT_INT(count(fake_events(id), "MSG"), 1);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void raw_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG) {
    mgx_send(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw", 41);
  }
}

static void http_raw_send_answers_request(void) {
  uint32_t id = setup(raw_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"));
  ASSERT_INT(count(fake_out(id), "raw"), 2);
  ASSERT_INT(count(fake_events(id), "MSG"), 2);
  ASSERT_INT(s_mgr->completed, 2);
  ASSERT(!(fake_conn(id)->flags & MG_F_REQ_PENDING));
  mgx_mgr_free(s_mgr);
}

static void http_eof_with_pending_request(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /x HTTP/1.1\r\n\r\n"));
  mgx_eof(c);
  ASSERT(c->flags & MG_F_DRAINING);
  mgx_flush(s_mgr);
  ASSERT(fake_conn(id) == c);  // waits for the answer
  ASSERT(mgx_http_reply(c, 200, NULL, 0, "ok", 2));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void http_eof_mid_request_closes(void) {
  uint32_t id = setup(fake_echo_handler);
  ASSERT(fake_feeds(s_mgr, id, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));
  mgx_eof(fake_conn(id));
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_STR(fake_out(id), "");
  mgx_mgr_free(s_mgr);
}

static void early_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_HDRS) mgx_http_reply(c, 401, NULL, 0, "no", 2);
}

static void http_reply_from_headers_event(void) {
  uint32_t id = setup(early_handler);
  ASSERT(fake_feeds(s_mgr, id, "POST /up HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial"));
  ASSERT_REFUSED(id, "HTTP/1.1 401 Unauthorized\r\n");
  mgx_mgr_free(s_mgr);
}

static void http_recv_cap(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  size_t cap;
  mgx_set_limits(s_mgr, 1000, 0, 1000, 0, 0, 0, 0, 0);
  cap = 1000 * 2 + 1000 + 65536;
  ASSERT(fake_feeds(s_mgr, id, "GET /1 HTTP/1.1\r\n\r\n"));
  ASSERT(mgx_recv_reserve(c, cap) != NULL);  // buffer empty: fits exactly
  ASSERT(mgx_recv_reserve(c, cap + 1) == NULL);
  ASSERT(c->flags & MG_F_FULL);
  mgx_mgr_free(s_mgr);
}

static void http_request_timeout_spares_streams(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 0, 100);
  ASSERT(fake_feeds(s_mgr, id, "GET /stream HTTP/1.1\r\n\r\n"));
  ASSERT(mgx_http_chunk(c, "tick", 4));
  fake_now += 1000;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT(fake_conn(id) == c);
  ASSERT_NOT_HAS(fake_out(id), "408");
  ASSERT(mgx_http_chunk(c, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_INT(s_mgr->completed, 1);
  mgx_mgr_free(s_mgr);
}

static void http_req_uri_is_truncated(void) {
  uint32_t id = setup(lazy_handler);
  struct mg_connection *c = fake_conn(id);
  char req[700];
  memset(req, 'p', sizeof(req));
  memcpy(req, "GET /", 5);
  memcpy(req + 500, "?q=1 HTTP/1.1\r\n\r\n", 17);
  ASSERT(fake_feed(s_mgr, id, req, 517, 0));
  ASSERT(mgx_req_uri(c) != NULL);
  ASSERT_INT(strlen(mgx_req_uri(c)), MG_URI_MAX);
  ASSERT(mgx_req_uri(c)[0] == '/' && mgx_req_uri(c)[1] == 'p');
  ASSERT(mgx_req_started(c) == 1000);
  mgx_mgr_free(s_mgr);
}

static void consume_in_hdrs(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_HDRS) mgx_close(c);
}

static void http_close_from_headers_event(void) {
  uint32_t id = setup(consume_in_hdrs);
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  ASSERT_NOT_HAS(fake_events(id), "MSG");
  ASSERT_STR(fake_out(id), "");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

void suite_http_server(void) {
  RUN(http_get_keep_alive);
  RUN(http10_closes_by_default);
  RUN(http10_keep_alive);
  RUN(http11_connection_close);
  RUN(http_pipelined_sync);
  RUN(http_pipelined_answered_late_in_order);
  RUN(http_content_length_body);
  RUN(http_chunked_body);
  RUN(http_expect_100_continue);
  RUN(http_head_has_no_body);
  RUN(http_error_paths);
  RUN(http_error_after_good_request);
  RUN(http_leading_crlf_between_requests);
  RUN(http_body_exactly_at_limit);
  RUN(http_shutdown_rejects_new_requests);
  RUN(http_shutdown_lets_in_flight_finish);
  RUN(http_header_timeout);
  RUN(http_header_timeout_not_for_idle_keepalive);
  RUN(http_request_timeout_then_late_reply);
  RUN(http_raw_send_answers_request);
  RUN(http_eof_with_pending_request);
  RUN(http_eof_mid_request_closes);
  RUN(http_reply_from_headers_event);
  RUN(http_recv_cap);
  RUN(http_request_timeout_spares_streams);
  RUN(http_req_uri_is_truncated);
  RUN(http_close_from_headers_event);
}
