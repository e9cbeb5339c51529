// test_http_fail.c: mgx_http_fail, the answer to a request whose handler
// failed (500 + Connection: close, or a close when a response was started).
#include "../src/http_fail.h"
#include "host_fake.h"
#include "test.h"

static struct mg_connection *s_req;

static void keep_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG) s_req = c;
}

static void fail_pending_gets_500_close(void) {
  struct mg_mgr *mgr;
  uint32_t id = fake_http_server(&mgr, keep_handler);
  s_req = NULL;
  fake_feeds(mgr, id, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT(s_req != NULL);
  ASSERT_INT(mgx_http_fail(s_req, 500), 1);
  mgx_flush(mgr);
  ASSERT_HAS(fake_out(id), "HTTP/1.1 500 Internal Server Error\r\n");
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  ASSERT_NOT_HAS(fake_out(id), "/b");  // the pipelined request is not served
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(mgr);
}

static void fail_after_answer_is_noop(void) {
  struct mg_mgr *mgr;
  uint32_t id = fake_http_server(&mgr, keep_handler);
  s_req = NULL;
  fake_feeds(mgr, id, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT(s_req != NULL);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, "ok", 2));
  ASSERT_INT(mgx_http_fail(s_req, 500), 0);
  mgx_flush(mgr);
  ASSERT_NOT_HAS(fake_out(id), " 500 ");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(mgr);
}

static void fail_started_stream_closes(void) {
  struct mg_mgr *mgr;
  uint32_t id = fake_http_server(&mgr, keep_handler);
  s_req = NULL;
  fake_feeds(mgr, id, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT(s_req != NULL);
  ASSERT(mgx_http_start(s_req, 200, NULL, 0));
  ASSERT_INT(mgx_http_fail(s_req, 500), 0);
  mgx_flush(mgr);
  ASSERT_NOT_HAS(fake_out(id), " 500 ");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(mgr);
}

void suite_http_fail(void) {
  RUN(fail_pending_gets_500_close);
  RUN(fail_after_answer_is_noop);
  RUN(fail_started_stream_closes);
}
