// test_http_rfc9112.c: request framing held to RFC 9112 where a lenient
// server would disagree with other parsers (request smuggling): trailer
// lines, chunk extensions, Transfer-Encoding lists, Host, HTTP/1.0 + TE.
#include "../src/http_stream.h"
#include "host_fake.h"
#include "test.h"

#include <stdlib.h>

static struct mg_mgr *s_mgr;

// Feed one request stream to a fresh strict server; returns its output's
// status line code (0 when nothing was answered) and whether it closed.
static int answer(const char *req, int *closed) {
  static char out[64];
  uint32_t id = fake_http_server(&s_mgr, fake_echo_handler);
  int status = 0;
  mgx_http_strict(s_mgr, 1);
  fake_feeds(s_mgr, id, req);
  snprintf(out, sizeof(out), "%s", fake_out(id));
  if (strncmp(out, "HTTP/1.1 ", 9) == 0) status = atoi(out + 9);
  if (closed != NULL) *closed = fake_closes(id);
  mgx_mgr_free(s_mgr);
  return status;
}

#define POST_CHUNKED "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"

static void rfc_trailers_are_field_lines(void) {
  ASSERT_INT(answer(POST_CHUNKED "1\r\nx\r\n0\r\nGood: v\r\nX-2:\r\n\r\n", NULL), 200);
  ASSERT_INT(answer(POST_CHUNKED "1\r\nx\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "0\r\nno colon\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "0\r\nName : v\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "0\r\n: v\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "0\r\nContent-Length: 5\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "0\r\ntransfer-encoding: chunked\r\n\r\n", NULL), 400);
}

static void rfc_chunk_extensions(void) {
  ASSERT_INT(answer(POST_CHUNKED "1;a\r\nx\r\n0\r\n\r\n", NULL), 200);
  ASSERT_INT(answer(POST_CHUNKED "1 ; a = b ;c=\"q \\\" s\"\r\nx\r\n0;z\r\n\r\n", NULL), 200);
  ASSERT_INT(answer(POST_CHUNKED "1;\r\nx\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "1;;\r\nx\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "1;a b\r\nx\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "1;a=\r\nx\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "1;a=\"open\r\nx\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer(POST_CHUNKED "1 \r\nx\r\n0\r\n\r\n", NULL), 400);
}

static void rfc_transfer_encoding_lists(void) {
  ASSERT_INT(answer("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", NULL), 200);
  ASSERT_INT(answer("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, \r\n\r\n0\r\n\r\n", NULL), 200);
  ASSERT_INT(answer("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", NULL), 400);
  ASSERT_INT(answer("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n", NULL), 400);
  ASSERT_INT(answer("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", NULL), 501);
}

static void rfc_host(void) {
  int closed = 0;
  ASSERT_INT(answer("GET / HTTP/1.1\r\n\r\n", &closed), 400);
  ASSERT_INT(closed, 1);
  ASSERT_INT(answer("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", NULL), 400);
  ASSERT_INT(answer("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", NULL), 400);
  ASSERT_INT(answer("GET / HTTP/1.0\r\n\r\n", NULL), 200);
  ASSERT_INT(answer("GET / HTTP/1.1\r\nHost:\r\n\r\n", NULL), 200);  // empty: allowed (3.2)
  {
    // The core's default (native users, these tests) does not check.
    uint32_t id = fake_http_server(&s_mgr, fake_echo_handler);
    fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n");
    ASSERT(strncmp(fake_out(id), "HTTP/1.1 200", 12) == 0);
    mgx_mgr_free(s_mgr);
  }
}

static void rfc_http10_with_te_closes(void) {
  int closed = 0;
  ASSERT_INT(answer("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &closed), 200);
  ASSERT_INT(closed, 1);
  ASSERT_INT(answer("POST / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", &closed), 200);
  ASSERT_INT(closed, 0);
}

void suite_http_rfc9112(void) {
  RUN(rfc_trailers_are_field_lines);
  RUN(rfc_chunk_extensions);
  RUN(rfc_transfer_encoding_lists);
  RUN(rfc_host);
  RUN(rfc_http10_with_te_closes);
}
