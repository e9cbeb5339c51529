// test_shutdown.c: the core's part of graceful shutdown: the Keep-Alive
// hint, the serve-new-requests mode, and the idle grace that closes idle
// keep-alive connections without racing a client's next request. Also the
// request timeout's cover of a body that trickles in (slow clients).
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
static struct mg_connection *s_lsn;

// An HTTP manager with a listener, idle timeout `idle_ms`.
static void setup(fake_handler_t h, uint32_t idle_ms) {
  s_mgr = mgx_mgr_new();
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, idle_ms, 0, 0);
  s_lsn = fake_listen(s_mgr, MGX_PROTO_HTTP);
  fake_handler = h;
}

static uint32_t accept_one(void) {
  return fake_accept(s_mgr, s_lsn)->id;
}

// Leaves requests to /wait unanswered; echoes everything else.
static void lazy_handler(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_http_message *hm = (struct mg_http_message *) ev_data;
  if (ev == MG_EV_HTTP_MSG && c != NULL && hm->uri.len == 5 && memcmp(hm->uri.buf, "/wait", 5) == 0) {
    return;
  }
  fake_echo_handler(c, ev, ev_data);
}

// Streams: a chunked response started for every request.
static void stream_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG && c != NULL) mgx_http_chunk(c, "part", 4);
}

// Answers with an interim 103 first.
static void early_hints_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG && c != NULL) {
    mgx_http_reply(c, 103, "Link: </a>\r\n", 12, NULL, 0);
    mgx_http_reply(c, 200, NULL, 0, "ok", 2);
  }
}

static void tick(double ms) {
  fake_now += ms;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
}

static void keep_alive_hint_advertises_idle_timeout(void) {
  uint32_t id;
  setup(fake_echo_handler, 5000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET /a HTTP/1.1\r\n\r\n"));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n"
             "Keep-Alive: timeout=5\r\n\r\nGET /a ");
  // A response that closes says so instead.
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /b HTTP/1.1\r\nConnection: close\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_NOT_HAS(fake_out(id), "Keep-Alive");
  mgx_mgr_free(s_mgr);
}

static void keep_alive_hint_rounds_down_and_is_off_without_timeout(void) {
  uint32_t id;
  setup(fake_echo_handler, 1999);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Keep-Alive: timeout=1\r\n");
  mgx_mgr_free(s_mgr);
  setup(fake_echo_handler, 0);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  ASSERT_NOT_HAS(fake_out(id), "Keep-Alive");
  mgx_mgr_free(s_mgr);
}

static void keep_alive_hint_http10_stream_and_interim(void) {
  uint32_t id;
  setup(fake_echo_handler, 3000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Connection: keep-alive\r\nKeep-Alive: timeout=3\r\n\r\n");
  mgx_mgr_free(s_mgr);

  setup(stream_handler, 3000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "Transfer-Encoding: chunked\r\nKeep-Alive: timeout=3\r\n\r\n");
  mgx_mgr_free(s_mgr);

  setup(early_hints_handler, 3000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_out(id), "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n");
  {
    // Exactly one hint: on the final response.
    const char *out = fake_out(id), *first = strstr(out, "Keep-Alive");
    ASSERT(first != NULL && first > strstr(out, "200 OK"));
    ASSERT(strstr(first + 1, "Keep-Alive") == NULL);
  }
  mgx_mgr_free(s_mgr);
}

static void shutdown_serve_mode_delivers_with_close(void) {
  uint32_t id;
  setup(fake_echo_handler, 5000);
  id = accept_one();
  mgx_shutdown(s_mgr, MGX_SHUTDOWN_SERVE);
  ASSERT_INT(s_mgr->shutdown_status, MGX_SHUTDOWN_SERVE);
  ASSERT(fake_feeds(s_mgr, id, "GET /late HTTP/1.1\r\n\r\n"));
  ASSERT_HAS(fake_events(id), "MSG GET /late");
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 200 OK\r\n", 17) == 0);
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_NOT_HAS(fake_out(id), "Keep-Alive");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_INT(s_mgr->completed, 1);
  ASSERT_INT(s_mgr->rejected, 0);
  ASSERT_INT(s_mgr->drained, 1);
  mgx_mgr_free(s_mgr);
}

static void shutdown_rejects_with_chosen_status(void) {
  uint32_t a, b;
  setup(fake_echo_handler, 5000);
  a = accept_one();
  b = accept_one();
  ASSERT(fake_feeds(s_mgr, a, "GET /before HTTP/1.1\r\n\r\n"));  // served, keep-alive
  ASSERT_HAS(fake_out(a), "Keep-Alive: timeout=5");
  mgx_shutdown(s_mgr, 429);
  fake_out_clear(a);
  ASSERT(fake_feeds(s_mgr, a, "GET /after HTTP/1.1\r\n\r\n"));
  ASSERT(strncmp(fake_out(a), "HTTP/1.1 429 Too Many Requests\r\n", 32) == 0);
  ASSERT_HAS(fake_out(a), "Connection: close\r\n");
  ASSERT(fake_feeds(s_mgr, b, "POST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"));
  ASSERT(strncmp(fake_out(b), "HTTP/1.1 429 ", 13) == 0);
  ASSERT_NOT_HAS(fake_events(a), "MSG GET /after");
  ASSERT_INT(s_mgr->completed, 1);
  ASSERT_INT(s_mgr->rejected, 2);
  ASSERT_INT(fake_closes(a), 1);
  ASSERT_INT(fake_closes(b), 1);
  // Any negative status means "serve".
  mgx_shutdown(s_mgr, -7);
  ASSERT_INT(s_mgr->shutdown_status, MGX_SHUTDOWN_SERVE);
  mgx_mgr_free(s_mgr);
}

// Idle keep-alive connections are closed only after the grace; busy ones,
// and ones with half a request or unsent output, are left alone.
static void shutdown_idle_grace(void) {
  uint32_t idle, busy, partial;
  struct mg_connection *bc;
  setup(lazy_handler, 0);  // no idle timeout of its own
  idle = accept_one();
  busy = accept_one();
  partial = accept_one();
  bc = fake_conn(busy);
  ASSERT(fake_feeds(s_mgr, idle, "GET /x HTTP/1.1\r\n\r\n"));
  ASSERT(fake_feeds(s_mgr, busy, "GET /wait HTTP/1.1\r\n\r\n"));
  ASSERT(fake_feeds(s_mgr, partial, "GET /half HTTP/1.1\r\nHo"));
  mgx_shutdown(s_mgr, 503);
  mgx_shutdown_idle(s_mgr, 1000);
  tick(999);
  ASSERT(fake_conn(idle) != NULL);
  tick(1);
  ASSERT(fake_conn(idle) == NULL);
  ASSERT_INT(fake_closes(idle), 1);
  ASSERT_INT(s_mgr->drained, 1);
  tick(60000);
  ASSERT(fake_conn(busy) == bc);
  ASSERT(fake_conn(partial) != NULL);
  // The busy one closes after its answer, which says so.
  ASSERT(mgx_http_reply(bc, 200, NULL, 0, "done", 4));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(busy), "Connection: close\r\n");
  ASSERT(fake_conn(busy) == NULL);
  // The half request completes and is rejected.
  ASSERT(fake_feeds(s_mgr, partial, "st: h\r\n\r\n"));
  ASSERT(strncmp(fake_out(partial), "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
  ASSERT(fake_conn(partial) == NULL);
  ASSERT_INT(s_mgr->completed, 2);
  ASSERT_INT(s_mgr->rejected, 1);
  ASSERT_INT(s_mgr->drained, 3);
  mgx_mgr_free(s_mgr);
}

static void shutdown_idle_grace_counts_from_last_io(void) {
  uint32_t id;
  setup(fake_echo_handler, 5000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n"));
  tick(4000);  // idle for 4 s before the shutdown starts
  ASSERT(fake_conn(id) != NULL);
  mgx_shutdown(s_mgr, 503);
  mgx_shutdown_idle(s_mgr, -1);  // the default: the idle timeout (5 s)
  tick(999);
  ASSERT(fake_conn(id) != NULL);
  tick(1);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(s_mgr);
}

static void shutdown_idle_grace_zero_and_not_before_shutdown(void) {
  uint32_t a, b;
  setup(fake_echo_handler, 0);
  a = accept_one();
  b = accept_one();
  mgx_shutdown_idle(s_mgr, 0);  // no effect until shutdown starts
  tick(10);
  ASSERT(fake_conn(a) != NULL);
  ASSERT(fake_feeds(s_mgr, b, "GET / HTTP/1.1\r\n\r\n"));
  mgx_shutdown(s_mgr, 503);
  tick(0);
  ASSERT(fake_conn(a) == NULL);  // never sent anything: idle since accept
  ASSERT(fake_conn(b) == NULL);
  ASSERT_INT(fake_closes(a), 1);
  ASSERT_INT(s_mgr->drained, 2);
  mgx_shutdown_idle(s_mgr, -1);
  ASSERT(!s_mgr->shutdown_idle_set);
  mgx_mgr_free(s_mgr);
}

// A big response still going out when shutdown starts is sent whole; the
// connection then idles out after the grace.
static void shutdown_output_in_flight_finishes(void) {
  static char big[100000];
  uint32_t id;
  struct mg_connection *c;
  setup(lazy_handler, 5000);
  id = accept_one();
  c = fake_conn(id);
  memset(big, 'b', sizeof(big));
  fake_set_budget(id, 1000);
  ASSERT(fake_feeds(s_mgr, id, "GET /wait HTTP/1.1\r\n\r\n"));
  ASSERT(mgx_http_reply(c, 200, NULL, 0, big, sizeof(big)));
  mgx_flush(s_mgr);
  ASSERT(c->send.len > 0);
  mgx_shutdown(s_mgr, 503);
  mgx_shutdown_idle(s_mgr, 100);
  tick(1000);
  ASSERT(fake_conn(id) == c);  // still sending: not idle
  fake_set_budget(id, (size_t) -1);
  mgx_writable(c);
  mgx_flush(s_mgr);
  ASSERT_INT(c->send.len, 0);
  ASSERT_INT(fake_out_len(id), strstr(fake_out(id), "\r\n\r\n") - fake_out(id) + 4 + sizeof(big));
  ASSERT_NOT_HAS(fake_out(id), "Connection: close");  // answered before the shutdown
  tick(99);
  ASSERT(fake_conn(id) == c);
  tick(1);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(s_mgr);
}

// The request timeout runs from the complete head: a body trickled in byte
// by byte (each byte resets the idle clock) is cut off with a 408.
static void request_timeout_covers_slow_body(void) {
  uint32_t id;
  int i;
  setup(fake_echo_handler, 700);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 700, 0, 1000);
  id = accept_one();
  ASSERT(fake_feeds(s_mgr, id, "POST /trickle HTTP/1.1\r\nContent-Length: 40\r\n\r\n"));
  for (i = 0; i < 9; i++) {
    tick(100);
    ASSERT(fake_feeds(s_mgr, id, "b"));
  }
  tick(99);
  ASSERT_STR(fake_out(id), "");
  tick(1);
  ASSERT_REFUSED(id, "HTTP/1.1 408 Request Timeout\r\n");
  mgx_mgr_free(s_mgr);
}

// A body that arrives in time leaves the handler the rest of the budget.
static void request_timeout_counts_from_head(void) {
  uint32_t id;
  struct mg_connection *c;
  setup(lazy_handler, 0);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 0, 0, 1000);
  id = accept_one();
  c = fake_conn(id);
  ASSERT(fake_feeds(s_mgr, id, "POST /wait HTTP/1.1\r\nContent-Length: 2\r\n\r\n"));
  tick(400);
  ASSERT(fake_feeds(s_mgr, id, "ok"));
  ASSERT_HAS(fake_events(id), "MSG POST /wait");
  ASSERT(mgx_req_started(c) == 1000);  // the head's arrival
  tick(599);
  ASSERT_STR(fake_out(id), "");
  tick(1);
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 408 ", 13) == 0);
  mgx_mgr_free(s_mgr);
}

// Requests pipelined behind one in flight when shutdown starts are answered:
// the in-flight one finishes without closing, the next gets the shutdown
// status (or is served, in serve mode) with Connection: close.
static void shutdown_answers_pipelined(void) {
  static const int modes[] = {503, MGX_SHUTDOWN_SERVE};
  size_t m;
  for (m = 0; m < 2; m++) {
    uint32_t a;
    struct mg_connection *c;
    setup(lazy_handler, 5000);
    a = accept_one();
    ASSERT(fake_feeds(s_mgr, a, "GET /wait HTTP/1.1\r\n\r\nGET /p1 HTTP/1.1\r\n\r\nGET /p2 HTTP/1.1\r\n\r\n"));
    mgx_shutdown(s_mgr, modes[m]);
    c = fake_conn(a);
    ASSERT(c != NULL);
    ASSERT(mgx_http_reply(c, 200, NULL, 0, "done", 4));
    mgx_flush(s_mgr);
    ASSERT(strncmp(fake_out(a), "HTTP/1.1 200 OK\r\n", 17) == 0);
    ASSERT_HAS(fake_out(a), "done");
    if (modes[m] == 503) {
      ASSERT_HAS(fake_out(a), "doneHTTP/1.1 503 Service Unavailable\r\n");
      ASSERT_INT(s_mgr->rejected, 1);
    } else {
      ASSERT_HAS(fake_out(a), "GET /p1 ");
      ASSERT_HAS(fake_out(a), "GET /p2 ");
      ASSERT_INT(s_mgr->completed, 3);
    }
    ASSERT_HAS(fake_out(a), "Connection: close\r\n");
    ASSERT_INT(fake_closes(a), 1);
    mgx_mgr_free(s_mgr);
  }
}

void suite_shutdown(void) {
  RUN(shutdown_answers_pipelined);
  RUN(keep_alive_hint_advertises_idle_timeout);
  RUN(keep_alive_hint_rounds_down_and_is_off_without_timeout);
  RUN(keep_alive_hint_http10_stream_and_interim);
  RUN(shutdown_serve_mode_delivers_with_close);
  RUN(shutdown_rejects_with_chosen_status);
  RUN(shutdown_idle_grace);
  RUN(shutdown_idle_grace_counts_from_last_io);
  RUN(shutdown_idle_grace_zero_and_not_before_shutdown);
  RUN(shutdown_output_in_flight_finishes);
  RUN(request_timeout_covers_slow_body);
  RUN(request_timeout_counts_from_head);
}
