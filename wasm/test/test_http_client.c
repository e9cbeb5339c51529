// test_http_client.c: the client side: parsing responses.
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;

static uint32_t client(void) {
  struct mg_connection *c = fake_http_client(&s_mgr);
  mgx_send(c, "GET / HTTP/1.1\r\n\r\n", strlen("GET / HTTP/1.1\r\n\r\n"));
  mgx_flush(s_mgr);
  return c->id;
}

static int s_status;
static void status_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) c;
  if (ev == MG_EV_HTTP_MSG) s_status = mg_http_status((struct mg_http_message *) ev_data);
}

static void client_content_length(void) {
  uint32_t id = client();
  fake_handler = status_handler;
  ASSERT_STR(fake_out(id), "GET / HTTP/1.1\r\n\r\n");
  ASSERT(fake_feeds(s_mgr, id, "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nhel"));
  ASSERT_NOT_HAS(fake_events(id), "MSG");
  ASSERT(fake_feeds(s_mgr, id, "lo"));
  ASSERT_HAS(fake_events(id), "HDRS HTTP/1.1 404 Not Found h=1\n");
  ASSERT_HAS(fake_events(id), "MSG HTTP/1.1 404 Not Found h=1 b=5:hello\n");
  ASSERT_INT(s_status, 404);
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

static void client_chunked_and_pipelined(void) {
  uint32_t id = client();
  ASSERT(fake_feeds(s_mgr, id,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
                    "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  ASSERT_HAS(fake_events(id), "MSG HTTP/1.1 200 OK h=1 b=9:Wikipedia\n");
  ASSERT_HAS(fake_events(id), "MSG HTTP/1.1 204 No Content h=1 b=0:\n");
  ASSERT_HAS(fake_events(id), "MSG HTTP/1.1 200 OK h=1 b=2:ok\n");
  mgx_mgr_free(s_mgr);
}

static void client_body_until_eof(void) {
  uint32_t id = client();
  ASSERT(fake_feeds(s_mgr, id, "HTTP/1.0 200 OK\r\n\r\nstream"));
  ASSERT(fake_feeds(s_mgr, id, "ed body"));
  ASSERT_NOT_HAS(fake_events(id), "MSG");
  mgx_eof(fake_conn(id));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_events(id), "MSG HTTP/1.0 200 OK h=0 b=13:streamed body\nCLOSE\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void client_interim_skipped(void) {
  uint32_t id = client();
  ASSERT(fake_feeds(s_mgr, id,
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"));
  ASSERT_STR(fake_events(id),
             "OPEN\nRESOLVE\nCONNECT\nHDRS HTTP/1.1 200 OK h=1\nMSG HTTP/1.1 200 OK h=1 b=1:x\n");
  mgx_mgr_free(s_mgr);
}

static void client_bad_responses(void) {
  static const char *bad[] = {
      "GET / HTTP/1.1\r\n\r\n",
      "HTTP/1.1 200 OK\nX: y\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
  };
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint32_t id = client();
    fake_feeds(s_mgr, id, bad[i]);
    if (strstr(fake_events(id), "ERROR ") == NULL || fake_closes(id) != 1 ||
        strstr(fake_events(id), "MSG") != NULL) {
      test_fail(__FILE__, __LINE__, "case %zu: events [%s]", i, fake_events(id));
      mgx_mgr_free(s_mgr);
      return;
    }
    mgx_mgr_free(s_mgr);
  }
}

static void client_truncated_at_eof(void) {
  uint32_t id = client();
  ASSERT(fake_feeds(s_mgr, id, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  mgx_eof(fake_conn(id));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_events(id), "ERROR truncated HTTP response\n");
  ASSERT_NOT_HAS(fake_events(id), "MSG");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void client_body_limit(void) {
  uint32_t id = client();
  mgx_set_limits(s_mgr, 0, 0, 4, 0, 0, 0, 0, 0);
  fake_feeds(s_mgr, id, "HTTP/1.1 200 OK\r\n\r\n12345");
  ASSERT_HAS(fake_events(id), "ERROR HTTP response too large\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

// The answer to a HEAD has no body even with a Content-Length; requests are
// remembered in the order written, bodies (Content-Length or chunked) skipped.
static void client_head_has_no_body(void) {
  struct mg_connection *c = fake_http_client(&s_mgr);
  uint32_t id = c->id;
  mgx_send(c, "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n", strlen("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  mgx_send(c, "POST /b HTTP/1.1\r\nContent-Length: 20\r\n\r\n", strlen("POST /b HTTP/1.1\r\nContent-Length: 20\r\n\r\n"));
  mgx_send(c, "HEAD /not-a-request-", strlen("HEAD /not-a-request-"));  // the POST body
  mgx_send(c, "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHEAD \r\n0\r\n\r\n", strlen("PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHEAD \r\n0\r\n\r\n"));
  mgx_send(c, "HEAD /d HTTP/1.1\r\n\r\n", strlen("HEAD /d HTTP/1.1\r\n\r\n"));
  mgx_flush(s_mgr);
  ASSERT_INT(c->http_out.nreq, 4);
  ASSERT(fake_feeds(s_mgr, id,
                    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                    "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_STR(fake_events(id),
             "OPEN\nRESOLVE\nCONNECT\n"
             "HDRS HTTP/1.1 200 OK h=1\nMSG HTTP/1.1 200 OK h=1 b=0:\n"
             "HDRS HTTP/1.1 201 Created h=1\nMSG HTTP/1.1 201 Created h=1 b=2:ok\n"
             "HDRS HTTP/1.1 200 OK h=1\nMSG HTTP/1.1 200 OK h=1 b=1:x\n"
             "HDRS HTTP/1.1 200 OK h=1\nMSG HTTP/1.1 200 OK h=1 b=0:\n");
  ASSERT_INT(c->http_out.nreq, 0);
  ASSERT_INT(c->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

void suite_http_client(void) {
  RUN(client_head_has_no_body);
  RUN(client_content_length);
  RUN(client_chunked_and_pipelined);
  RUN(client_body_until_eof);
  RUN(client_interim_skipped);
  RUN(client_bad_responses);
  RUN(client_truncated_at_eof);
  RUN(client_body_limit);
}
