// test_http_reply.c: response formatting: reply, chunked streams, SSE.
#include "../src/alloc.h"
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
#define s_req fake_http_req  // the connection with the pending request

// A connection with request `req` delivered and not yet answered.
static uint32_t pending(const char *req) {
  return fake_http_pending(&s_mgr, req);
}

static void reply_user_headers(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  const char *h = "content-type: application/json\nX-A: 1\r\nContent-Length: 999\r\n"
                  "Transfer-Encoding: chunked\r\nX-Bad: a\rb\r\n\r\n Folded: x\r\n"
                  "Bad Name: x\r\n: empty\r\nnocolon\r\nKeep-Alive\r\n"
                  "Connection: keep-alive\r\nX-B: 2";
  ASSERT(s_req != NULL);
  ASSERT(mgx_http_reply(s_req, 200, h, strlen(h), "{}", 2));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nX-A: 1\r\nX-B: 2\r\n"
             "Content-Length: 2\r\n\r\n{}");
  mgx_mgr_free(s_mgr);
}

// The core's own Content-Type line (a string body, JSON) comes first, as a
// handler's line would, and is the only one.
static void reply_typed(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply_typed(s_req, 200, 1, "X-A: 1\r\n", 8, "hi", 2));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-A: 1\r\n"
             "Content-Length: 2\r\n\r\nhi");
  mgx_mgr_free(s_mgr);
  id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply_typed(s_req, 201, 2, NULL, 0, "{}", 2));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  mgx_mgr_free(s_mgr);
  id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply_typed(s_req, 200, 7, NULL, 0, "x", 1));  // unknown: the default
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx");
  mgx_mgr_free(s_mgr);
}

static void reply_status_without_body(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply(s_req, 204, NULL, 0, "ignored", 7));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 204 No Content\r\n\r\n");
  mgx_mgr_free(s_mgr);
}

static void reply_interim_then_final(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply(s_req, 103, "Link: </a>\r\n", 12, NULL, 0));
  ASSERT(s_req->flags & MG_F_REQ_PENDING);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, "ok", 2));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
  mgx_mgr_free(s_mgr);
}

static void reply_user_connection_close(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply(s_req, 500, "Connection: close\r\n", 19, "x", 1));
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_HAS(fake_out(id), "Connection: close\r\n");
  mgx_mgr_free(s_mgr);
}

static void reply_invalid_uses(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  struct mg_connection *c = s_req;
  ASSERT(!mgx_http_reply(c, 99, NULL, 0, NULL, 0));
  ASSERT(!mgx_http_reply(c, 1000, NULL, 0, NULL, 0));
  ASSERT(!mgx_http_start(c, 100, NULL, 0));  // bodiless statuses cannot stream
  ASSERT(!mgx_http_start(c, 204, NULL, 0));
  ASSERT(!mgx_http_start(c, 304, NULL, 0));
  ASSERT(mgx_http_reply(c, 200, NULL, 0, NULL, 0));
  ASSERT(!mgx_http_reply(c, 200, NULL, 0, NULL, 0));  // no request pending
  ASSERT(!mgx_http_chunk(c, "a", 1));
  ASSERT(!mgx_http_sse(c, "e", 1, "d", 1));
  ASSERT(!mgx_http_start(c, 200, NULL, 0));
  mgx_close(c);
  ASSERT(!mgx_send(c, "x", 1));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "");  // closed before the flush: output dropped
  mgx_mgr_free(s_mgr);
}

static void reply_raw_connection(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  ASSERT(mgx_http_reply(c, 200, NULL, 0, "a", 1));  // allowed on raw connections
  ASSERT(mgx_http_reply(c, 200, NULL, 0, "b", 1));
  mgx_flush(mgr);
  ASSERT_HAS(fake_out(id), "\r\n\r\nb");
  mgx_mgr_free(mgr);
}

static void chunked_response(void) {
  uint32_t id = pending("GET /s HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
  struct mg_connection *c = s_req;
  ASSERT(mgx_http_start(c, 200, "Content-Type: text/csv\r\n", 24));
  ASSERT(!mgx_http_start(c, 200, NULL, 0));
  ASSERT(mgx_http_chunk(c, "hello", 5));
  ASSERT(mgx_http_chunk(c, "0123456789abcdefg", 17));
  mgx_flush(s_mgr);
  ASSERT(c->flags & MG_F_REQ_PENDING);  // streaming: still in flight
  ASSERT(!mgx_http_reply(c, 200, NULL, 0, NULL, 0));
  ASSERT(mgx_http_chunk(c, NULL, 0));
  ASSERT(!(c->flags & MG_F_REQ_PENDING));
  mgx_flush(s_mgr);
  {
    const char *want =
        "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n11\r\n0123456789abcdefg\r\n0\r\n\r\n";
    ASSERT(strncmp(fake_out(id), want, strlen(want)) == 0);
  }
  ASSERT(s_req == c);
  ASSERT_HAS(fake_events(id), "MSG GET /next");  // the next request follows
  ASSERT_INT(s_mgr->completed, 1);
  mgx_mgr_free(s_mgr);
}

static void chunk_auto_starts(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT(mgx_http_chunk(s_req, "x", 1));
  ASSERT(mgx_http_chunk(s_req, "", 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
             "Connection: close\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void chunk_after_raw_send_refused(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_send(s_req, "HTTP/1.1 200 OK\r\n", 17));
  ASSERT(!mgx_http_chunk(s_req, "x", 1));
  ASSERT(!mgx_http_reply(s_req, 200, NULL, 0, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 200 OK\r\n");
  mgx_mgr_free(s_mgr);
}

static void chunked_http10_and_head(void) {
  uint32_t id = pending("GET / HTTP/1.0\r\n\r\n");
  ASSERT(mgx_http_chunk(s_req, "abc", 3));
  ASSERT(mgx_http_chunk(s_req, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nabc");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
  fake_reset();
  id = pending("HEAD / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_chunk(s_req, "abc", 3));
  ASSERT(mgx_http_chunk(s_req, NULL, 0));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_INT(fake_closes(id), 0);
  mgx_mgr_free(s_mgr);
}

static void sse_events(void) {
  uint32_t id = pending("GET /events HTTP/1.1\r\n\r\n");
  const char *hdr = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT(mgx_http_sse(s_req, "tick", 4, "1", 1));
  ASSERT(mgx_http_sse(s_req, "", 0, "a\r\nb", 4));
  ASSERT(mgx_http_sse(s_req, "x\ny", 3, "", 0));
  mgx_flush(s_mgr);
  ASSERT(strncmp(fake_out(id), hdr, strlen(hdr)) == 0);
  ASSERT_STR(fake_out(id) + strlen(hdr),
             "15\r\nevent: tick\ndata: 1\n\n\r\n"
             "11\r\ndata: a\ndata: b\n\n\r\n"
             "12\r\nevent: xy\ndata: \n\n\r\n");
  ASSERT(s_req->flags & MG_F_REQ_PENDING);
  mgx_mgr_free(s_mgr);
}

static void status_texts(void) {
  ASSERT_STR(mg_http_status_text(200), "OK");
  ASSERT_STR(mg_http_status_text(404), "Not Found");
  ASSERT_STR(mg_http_status_text(503), "Service Unavailable");
  ASSERT_STR(mg_http_status_text(799), "");
}

static void reply_alloc_failure_queues_nothing(void) {
  uint32_t id = pending("GET / HTTP/1.1\r\n\r\n");
  static char big[100000];
  mg_alloc_budget((size_t) mgx_heap_used() + 1000);
  ASSERT(!mgx_http_reply(s_req, 200, NULL, 0, big, sizeof(big)));
  ASSERT_INT(s_req->send.len, 0);
  ASSERT(s_req->flags & MG_F_REQ_PENDING);
  mg_alloc_budget(0);
  ASSERT(mgx_http_reply(s_req, 200, NULL, 0, "ok", 2));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "\r\n\r\nok");
  mgx_mgr_free(s_mgr);
}

// The reference's streaming pattern: a hand-written head, then chunks.
static void raw_head_handler(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_http_message *hm = (struct mg_http_message *) ev_data;
  if (ev != MG_EV_HTTP_MSG || c == NULL) return;
  if (hm->uri.len == 2 && hm->uri.buf[1] == 'c') {
    static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    mgx_send(c, head, sizeof(head) - 1);
    ASSERT(mgx_http_chunk(c, "ab", 2));
    ASSERT(mgx_http_chunk(c, "", 0));
  } else if (hm->uri.len == 2 && hm->uri.buf[1] == 's') {
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
    mgx_send(c, head, sizeof(head) - 1);
    ASSERT(mgx_http_sse(c, "t", 1, "d", 1));
    ASSERT(mgx_http_chunk(c, "", 0));
  } else if (hm->uri.len == 2 && hm->uri.buf[1] == 'l') {  // the head line by line
    mgx_send(c, "HTTP/1.1 200 OK\r\n", 17);
    mgx_send(c, "Transfer-Encoding: chunked\r\n", 28);
    ASSERT(!mgx_http_chunk(c, "early", 5));  // the head is not whole yet
    mgx_send(c, "\r\n", 2);
    ASSERT(mgx_http_chunk(c, "ab", 2));
    ASSERT(mgx_http_chunk(c, "", 0));
  } else {  // a whole raw answer in one write stays one
    static const char all[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    mgx_send(c, all, sizeof(all) - 1);
  }
}

static void reply_chunks_after_raw_head(void) {
  uint32_t id = fake_http_server(&s_mgr, raw_head_handler);
  ASSERT(fake_feeds(s_mgr, id, "GET /c HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n"));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_INT(fake_closes(id), 0);
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /l HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n"));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_INT(fake_closes(id), 0);
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "GET /s HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n"));
  // No chunked coding announced: raw event lines, the end is the close.
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: t\ndata: d\n\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

void suite_http_reply(void) {
  RUN(reply_chunks_after_raw_head);
  RUN(reply_user_headers);
  RUN(reply_typed);
  RUN(reply_status_without_body);
  RUN(reply_interim_then_final);
  RUN(reply_user_connection_close);
  RUN(reply_invalid_uses);
  RUN(reply_raw_connection);
  RUN(chunked_response);
  RUN(chunk_auto_starts);
  RUN(chunk_after_raw_send_refused);
  RUN(chunked_http10_and_head);
  RUN(sse_events);
  RUN(status_texts);
  RUN(reply_alloc_failure_queues_nothing);
}
