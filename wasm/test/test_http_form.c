// test_http_form.c: credentials, form/header variables, multipart parts.
#include "../src/http_form.h"
#include "../src/http_stream.h"
#include "host_fake.h"
#include "test.h"

static struct mg_http_message s_hm;

static int parse(const char *req) {
  return mg_http_parse(req, strlen(req), &s_hm, 16384, 100);
}

// user/pass as "user|pass", or "none" / "small".
static const char *creds(const char *req, size_t cap) {
  static char out[300];
  char user[256], pass[256];
  size_t ul = cap, pl = cap;
  int r;
  if (parse(req) <= 0) return "unparsed";
  r = mg_http_creds(&s_hm, user, &ul, pass, &pl);
  if (r == 0) return "none";
  if (r == -2) return "small";
  snprintf(out, sizeof(out), "%.*s|%.*s", (int) ul, user, (int) pl, pass);
  return out;
}

static void form_creds(void) {
  // "alice:s3:cret" and "bob:" in base64.
  ASSERT_STR(creds("GET / HTTP/1.1\r\nAuthorization: Basic YWxpY2U6czM6Y3JldA==\r\n\r\n", 200), "alice|s3:cret");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nauthorization: basic Ym9iOg\r\n\r\n", 200), "bob|");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nAuthorization: Basic bm9jb2xvbg==\r\n\r\n", 200), "none");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nAuthorization: Basic !!!\r\n\r\n", 200), "none");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nAuthorization: Bearer tok.en-1\r\n\r\n", 200), "|tok.en-1");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nCookie: a=1; access_token=\"ck\"; b=2\r\n\r\n", 200), "|ck");
  ASSERT_STR(creds("GET /?x=1&access_token=q%20t HTTP/1.1\r\n\r\n", 200), "|q t");
  ASSERT_STR(creds("GET /?my_access_token=q HTTP/1.1\r\nCookie: my_access_token=x\r\n\r\n", 200), "none");
  ASSERT_STR(creds("GET / HTTP/1.1\r\n\r\n", 200), "none");
  ASSERT_STR(creds("GET / HTTP/1.1\r\nAuthorization: Bearer 0123456789\r\n\r\n", 4), "small");
}

static const char *var(const char *buf, const char *name, size_t cap) {
  static char out[256];
  long n = mg_http_var(mg_str_s(buf), mg_str_s(name), out, cap);
  if (n == -1) return "absent";
  if (n == -2) return "small";
  out[n] = '\0';
  return out;
}

static void form_vars(void) {
  ASSERT_STR(var("a=1&b=two+words&c=%41%zz%4", "b", 100), "two words");
  ASSERT_STR(var("a=1&b=two+words&c=%41%zz%4", "c", 100), "A%zz%4");
  ASSERT_STR(var("a=1&a=2", "a", 100), "1");
  ASSERT_STR(var("ab=1&a", "a", 100), "");
  ASSERT_STR(var("ab=1", "a", 100), "absent");
  ASSERT_STR(var("", "a", 100), "absent");
  ASSERT_STR(var("a=1", "", 100), "absent");
  ASSERT_STR(var("a=12345", "a", 3), "small");
  {
    struct mg_str v = mg_http_header_var(mg_str_s("form-data; name=\"f\"; filename=\"a b.txt\""), mg_str_s("filename"));
    ASSERT_INT(v.len, 7);
    v = mg_http_header_var(mg_str_s("form-data; filename=\"x name=y\""), mg_str_s("name"));
    ASSERT_INT(v.len, 0);
    v = mg_http_header_var(mg_str_s("a=\"unterminated"), mg_str_s("a"));
    ASSERT(v.buf == NULL);
    v = mg_http_header_var(mg_str_s("X=tok;y=2"), mg_str_s("x"));
    ASSERT_INT(v.len, 3);
  }
}

static void form_multipart(void) {
  static const char body[] =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"field\"\r\n\r\n"
      "value\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "line1\r\n--XyNotTheBoundary\r\n\r\n"
      "--XyZ--\r\n";
  struct mg_str b = mg_str_n(body, sizeof(body) - 1);
  struct mg_http_part p;
  size_t ofs = mg_http_next_multipart(b, 0, &p);
  ASSERT(ofs > 0);
  ASSERT(p.name.len == 5 && memcmp(p.name.buf, "field", 5) == 0);
  ASSERT_INT(p.filename.len, 0);
  ASSERT(p.body.len == 5 && memcmp(p.body.buf, "value", 5) == 0);
  ofs = mg_http_next_multipart(b, ofs, &p);
  ASSERT(ofs > 0);
  ASSERT(p.filename.len == 5 && memcmp(p.filename.buf, "a.txt", 5) == 0);
  ASSERT(p.body.len == 27 && memcmp(p.body.buf, "line1\r\n--XyNotTheBoundary\r\n", 27) == 0);
  ASSERT_INT(mg_http_next_multipart(b, ofs, &p), 0);
  // Truncated bodies and junk give no part.
  ASSERT_INT(mg_http_next_multipart(mg_str_n(body, 60), 0, &p), 0);
  ASSERT_INT(mg_http_next_multipart(mg_str_s("no boundary"), 0, &p), 0);
  ASSERT_INT(mg_http_next_multipart(mg_str_s("--b\r\nX: y\r\n\r\nbody"), 0, NULL), 0);
  ASSERT_INT(mg_http_next_multipart(b, sizeof(body) + 5, &p), 0);
}

void suite_http_form(void) {
  RUN(form_creds);
  RUN(form_vars);
  RUN(form_multipart);
}

// ---- streamed request bodies (http_stream.c) ------------------------------------

static struct mg_mgr *s_mgr;
static char s_got[4096];
static size_t s_got_len;
static int s_pieces;

// Streams every body of a request to /up; echoes the rest.
static void stream_handler(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_http_message *hm = (struct mg_http_message *) ev_data;
  if (c == NULL) return;
  if (ev == MG_EV_HTTP_HDRS && hm->uri.len == 3 && memcmp(hm->uri.buf, "/up", 3) == 0) {
    ASSERT_INT(mgx_http_stream(c), 1);
    ASSERT_INT(mgx_http_stream(c), 0);  // once
  } else if (ev == MG_EV_X_BODY) {
    struct mg_str *p = (struct mg_str *) ev_data;
    if (s_got_len + p->len <= sizeof(s_got)) memcpy(s_got + s_got_len, p->buf, p->len);
    s_got_len += p->len;
    s_pieces++;
  } else if (ev == MG_EV_HTTP_MSG && hm->uri.len == 3 && memcmp(hm->uri.buf, "/up", 3) == 0) {
    char body[64];
    int n = snprintf(body, sizeof(body), "got %zu in %d, body %zu, x=%.*s", s_got_len, s_pieces,
                     hm->body.len, (int) (mg_http_get_header(hm, "X") ? mg_http_get_header(hm, "X")->len : 0),
                     mg_http_get_header(hm, "X") ? mg_http_get_header(hm, "X")->buf : "");
    mgx_http_reply(c, 200, NULL, 0, body, (size_t) n);
  } else {
    fake_echo_handler(c, ev, ev_data);
  }
}

static void stream_content_length_over_limit(void) {
  uint32_t id = fake_http_server(&s_mgr, stream_handler);
  s_got_len = 0, s_pieces = 0;
  mgx_set_limits(s_mgr, 0, 0, 8, 0, 0, 0, 0, 0);
  ASSERT(fake_feeds(s_mgr, id, "POST /up HTTP/1.1\r\nX: yes\r\nContent-Length: 26\r\n\r\nabcdef"));
  ASSERT(fake_feeds(s_mgr, id, "ghijklmnopqrstu"));
  ASSERT_INT(s_got_len, 21);
  ASSERT(fake_feeds(s_mgr, id, "vwxyzGET /next HTTP/1.1\r\n\r\n"));
  ASSERT(memcmp(s_got, "abcdefghijklmnopqrstuvwxyz", 26) == 0);
  ASSERT_INT(s_pieces, 3);
  ASSERT_HAS(fake_out(id), "got 26 in 3, body 0, x=yes");
  ASSERT_HAS(fake_out(id), "GET /next ");
  ASSERT_INT(fake_closes(id), 0);
  // Not streamed: 413 as before (after MG_EV_HTTP_HDRS).
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, "POST /other HTTP/1.1\r\nContent-Length: 26\r\n\r\n"));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 413 ", 13) == 0);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void stream_chunked_split(void) {
  static const char req[] =
      "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n1\r\n!\r\n0\r\nT: v\r\n\r\n"
      "GET /after HTTP/1.1\r\n\r\n";
  size_t step;
  for (step = 0; step < 8; step++) {
    uint32_t id = fake_http_server(&s_mgr, stream_handler);
    s_got_len = 0, s_pieces = 0;
    mgx_set_limits(s_mgr, 0, 0, 8, 0, 0, 0, 0, 0);  // below the body: fine streamed
    ASSERT(fake_feed(s_mgr, id, req, sizeof(req) - 1, step));
    ASSERT_INT(s_got_len, 12);
    ASSERT(memcmp(s_got, "hello world!", 12) == 0);
    ASSERT_HAS(fake_out(id), "got 12 in ");
    ASSERT_HAS(fake_out(id), "GET /after ");
    mgx_mgr_free(s_mgr);
  }
}

static void stream_closed_midway_frees(void) {
  uint32_t id = fake_http_server(&s_mgr, stream_handler);
  s_got_len = 0, s_pieces = 0;
  ASSERT(fake_feeds(s_mgr, id, "POST /up HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"));
  ASSERT_INT(s_got_len, 3);
  ASSERT(fake_conn(id)->http_stream != NULL);
  mgx_eof(fake_conn(id));
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);  // the heap check after the test catches a leaked head copy
}

static void stream_refused_outside_hdrs(void) {
  uint32_t id = fake_http_server(&s_mgr, fake_echo_handler);
  ASSERT_INT(mgx_http_stream(fake_conn(id)), 0);
  ASSERT(fake_feeds(s_mgr, id, "GET /a HTTP/1.1\r\n\r\n"));
  ASSERT_INT(mgx_http_stream(fake_conn(id)), 0);
  mgx_mgr_free(s_mgr);
}

void suite_http_stream(void) {
  RUN(stream_content_length_over_limit);
  RUN(stream_chunked_split);
  RUN(stream_closed_midway_frees);
  RUN(stream_refused_outside_hdrs);
}
