// test_http_datehdr.c: the Date header of responses (RFC 9110 6.6.1):
// on every final response once the host has a clock, formatted once per
// wall-clock second per manager, never when the handler sent its own.
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
#define s_req fake_http_req  // the connection with the pending request

// A fresh manager with one HTTP connection whose request `req` is pending.
static uint32_t pending(const char *req) {
  return fake_http_pending(&s_mgr, req);
}

// Another pending request on the same manager (a new connection).
static uint32_t again(const char *req) {
  struct mg_connection *l = fake_listen(s_mgr, MGX_PROTO_HTTP);
  uint32_t id = fake_accept(s_mgr, l)->id;
  s_req = NULL;
  fake_feeds(s_mgr, id, req);
  return id;
}

#define GET "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
#define D1 "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define D2 "Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"

static void date_on_every_final_response(void) {
  uint32_t id;
  fake_wall = 784111777000.0 + 250;  // Sun, 06 Nov 1994 08:49:37.250 GMT
  id = pending(GET);
  ASSERT(mgx_http_reply(s_req, 103, "Link: </a>\r\n", 12, NULL, 0));
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, "ok", 2));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"  // interim: none (MAY)
             "HTTP/1.1 200 OK\r\n" D1 "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
  id = again(GET);
  ASSERT(mgx_http_reply(s_req, 304, NULL, 0, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 304 Not Modified\r\n" D1 "\r\n");
  id = again(GET);
  ASSERT(mgx_http_start(s_req, 200, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 200 OK\r\n" D1 "Transfer-Encoding: chunked\r\n\r\n");
  // The core's own errors (a bad request) carry it too.
  id = again("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n");
  mgx_flush(s_mgr);
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 400 Bad Request\r\n" D1, 26 + 37) == 0);
  mgx_mgr_free(s_mgr);
}

static void date_formatted_once_per_second(void) {
  uint32_t id;
  int i;
  fake_wall = 784111777000.0 + 250;
  id = pending(GET);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
  ASSERT_INT(fake_wall_calls, 1);
  for (i = 0; i < 5; i++) {  // to 08:49:37.995, the same second: the cached line
    fake_now += 149, fake_wall += 149;
    id = again(GET);
    ASSERT(mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
    mgx_flush(s_mgr);
    ASSERT_HAS(fake_out(id), D1);
  }
  ASSERT_INT(fake_wall_calls, 1);
  fake_now += 4, fake_wall += 4;  // 08:49:37.999: still cached
  id = again(GET);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), D1);
  fake_now += 1, fake_wall += 1;  // 08:49:38.000: the next second, formatted once
  id = again(GET);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), D2);
  ASSERT_INT(fake_wall_calls, 2);
  mgx_mgr_free(s_mgr);
}

static void date_not_doubled_nor_invented(void) {
  uint32_t id;
  const char *own = "date: Mon, 07 Nov 1994 00:00:00 GMT\r\n";
  fake_wall = 784111777000.0;
  id = pending(GET);
  ASSERT(mgx_http_reply(s_req, 200, own, strlen(own), NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 200 OK\r\ndate: Mon, 07 Nov 1994 00:00:00 GMT\r\n"
                           "Content-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
  mgx_mgr_free(s_mgr);
  fake_wall = 0;  // a host without a clock sends none (RFC 9110 6.6.1)
  id = pending(GET);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_NOT_HAS(fake_out(id), "Date:");
  mgx_mgr_free(s_mgr);
}

void suite_http_datehdr(void) {
  RUN(date_on_every_final_response);
  RUN(date_formatted_once_per_second);
  RUN(date_not_doubled_nor_invented);
}
