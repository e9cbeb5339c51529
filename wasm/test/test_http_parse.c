// test_http_parse.c: mg_http_parse on its own.
#include "host_fake.h"
#include "test.h"

static struct mg_http_message s_hm;

static int parse(const char *s) {
  return mg_http_parse(s, strlen(s), &s_hm, 16384, 100);
}

static bool eq(struct mg_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.buf, want, s.len) == 0;
}

static void parse_simple_get(void) {
  const char *req = "GET /path/x?a=1&b=2 HTTP/1.1\r\nHost: example\r\nX-Empty:\r\n"
                    "X-Pad: \t v a l \t \r\n\r\nBODY";
  int n = parse(req);
  ASSERT_INT(n, (int) (strstr(req, "BODY") - req));
  ASSERT(eq(s_hm.method, "GET"));
  ASSERT(eq(s_hm.uri, "/path/x"));
  ASSERT(eq(s_hm.query, "a=1&b=2"));
  ASSERT(eq(s_hm.proto, "HTTP/1.1"));
  ASSERT_INT(s_hm.num_headers, 3);
  ASSERT(eq(s_hm.headers[0].name, "Host") && eq(s_hm.headers[0].value, "example"));
  ASSERT(eq(s_hm.headers[1].name, "X-Empty") && s_hm.headers[1].value.len == 0);
  ASSERT(eq(s_hm.headers[2].value, "v a l"));
  ASSERT(s_hm.head.buf == req && s_hm.head.len == (size_t) n);
  ASSERT(s_hm.body.len == 0 && s_hm.body.buf == req + n);
  ASSERT(eq(*mg_http_get_header(&s_hm, "HOST"), "example"));
  ASSERT(mg_http_get_header(&s_hm, "Missing") == NULL);
}

static void parse_incomplete_returns_zero(void) {
  const char *req = "POST /a HTTP/1.0\r\nA: b\r\n\r\n";
  size_t i, len = strlen(req);
  for (i = 0; i < len; i++) {
    ASSERT_INT(mg_http_parse(req, i, &s_hm, 16384, 100), 0);
  }
  ASSERT_INT(mg_http_parse(req, len, &s_hm, 16384, 100), (int) len);
  ASSERT(eq(s_hm.proto, "HTTP/1.0"));
  ASSERT(s_hm.query.len == 0);
}

static void parse_leading_empty_lines(void) {
  ASSERT_INT(parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 22);
  ASSERT(eq(s_hm.method, "GET"));
  ASSERT(s_hm.head.len == 18);
  ASSERT_INT(parse("\n\nGET / HTTP/1.1\r\n\r\n"), MG_HTTP_ERR_BAD);
}

static void parse_rejects_bad_input(void) {
  static const char *bad[] = {
      "G@T / HTTP/1.1\r\n\r\n",              // method not a token
      " GET / HTTP/1.1\r\n\r\n",             // leading space
      "GET  / HTTP/1.1\r\n\r\n",             // double space
      "GET /a b HTTP/1.1\r\n\r\n",           // space in target
      "GET /\x01 HTTP/1.1\r\n\r\n",          // control in target
      "GET /\x80 HTTP/1.1\r\n\r\n",          // non-ASCII in target
      "GET  HTTP/1.1\r\n\r\n",               // empty target
      "GET / HTTP/2.0\r\n\r\n",              // version
      "GET / HTTP/1.2\r\n\r\n",
      "GET / http/1.1\r\n\r\n",
      "GET / HTTP/1.1 \r\n\r\n",             // trailing junk
      "GET / HTTP/1.1\n\r\n",                // bare LF in start line
      "GET / HTTP/1.1\r\nA: b\n\r\n",        // bare LF after a header
      "GET / HTTP/1.1\r\nA: b\r\n\n",        // bare LF as the blank line
      "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\n\tA: b\r\n\r\n",    // obs-fold on first header
      "GET / HTTP/1.1\r\nA : b\r\n\r\n",     // space before colon
      "GET / HTTP/1.1\r\n: b\r\n\r\n",       // empty name
      "GET / HTTP/1.1\r\nA b\r\n\r\n",       // no colon
      "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",  // control in value
      "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",  // DEL in value
      "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",   // lone CR
      "GET / HTTP/1.1\r\nA\x80: b\r\n\r\n",  // non-token name
      "HTTP/1.1 20 OK\r\n\r\n",              // short status
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/x.1 200 OK\r\n\r\n",
  };
  size_t i;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (parse(bad[i]) != MG_HTTP_ERR_BAD) {
      test_fail(__FILE__, __LINE__, "case %zu accepted: %s", i, bad[i]);
      return;
    }
  }
}

static void parse_nul_anywhere_is_bad(void) {
  const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
  char buf[sizeof(req)];
  size_t i, len = sizeof(req) - 1;
  for (i = 0; i < len; i++) {
    memcpy(buf, req, len);
    buf[i] = '\0';
    if (mg_http_parse(buf, len, &s_hm, 16384, 100) != MG_HTTP_ERR_BAD) {
      test_fail(__FILE__, __LINE__, "NUL at %zu accepted", i);
      return;
    }
  }
}

static void parse_limits(void) {
  char big[300];
  const char *hdrs = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  memset(big, 'a', sizeof(big));
  memcpy(big, "GET /", 5);
  // Over the size budget while still incomplete.
  ASSERT_INT(mg_http_parse(big, sizeof(big), &s_hm, 100, 100), MG_HTTP_ERR_TOO_LARGE);
  ASSERT_INT(mg_http_parse(big, 99, &s_hm, 100, 100), 0);
  ASSERT_INT(mg_http_parse(big, 100, &s_hm, 100, 100), MG_HTTP_ERR_TOO_LARGE);
  // Exactly at the limit is fine.
  ASSERT_INT(mg_http_parse(hdrs, strlen(hdrs), &s_hm, strlen(hdrs), 100), (int) strlen(hdrs));
  ASSERT_INT(mg_http_parse(hdrs, strlen(hdrs), &s_hm, strlen(hdrs) - 1, 100),
             MG_HTTP_ERR_TOO_LARGE);
  ASSERT_INT(mg_http_parse(hdrs, strlen(hdrs), &s_hm, 16384, 3), (int) strlen(hdrs));
  ASSERT_INT(mg_http_parse(hdrs, strlen(hdrs), &s_hm, 16384, 2), MG_HTTP_ERR_TOO_MANY);
  ASSERT_INT(mg_http_parse(hdrs, strlen(hdrs), &s_hm, 16384, 0), MG_HTTP_ERR_TOO_MANY);
}

static void parse_response(void) {
  ASSERT(parse("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc") > 0);
  ASSERT(eq(s_hm.method, "HTTP/1.1"));
  ASSERT(eq(s_hm.uri, "404"));
  ASSERT(eq(s_hm.proto, "Not Found"));
  ASSERT_INT(mg_http_status(&s_hm), 404);
  ASSERT(parse("HTTP/1.0 204\r\n\r\n") > 0);
  ASSERT_INT(mg_http_status(&s_hm), 204);
  ASSERT(s_hm.proto.len == 0);
  ASSERT_INT(parse("HTTP/1.1 200 OK\r\n"), 0);
  ASSERT_INT(parse("HTT"), 0);
  ASSERT(parse("HTTPX / HTTP/1.1\r\n\r\n") > 0);  // a method that looks alike
  ASSERT(eq(s_hm.method, "HTTPX"));
}

void suite_http_parse(void) {
  RUN(parse_simple_get);
  RUN(parse_incomplete_returns_zero);
  RUN(parse_leading_empty_lines);
  RUN(parse_rejects_bad_input);
  RUN(parse_nul_anywhere_is_bad);
  RUN(parse_limits);
  RUN(parse_response);
}
