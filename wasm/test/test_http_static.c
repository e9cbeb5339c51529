// test_http_static.c: path normalisation, serve_dir/serve_file semantics over
// the fake file set (fs_fake.c), and host-side bodies.
#include <stdlib.h>

#include "../src/fs.h"
#include "../src/http_path.h"
#include "../src/http_static.h"
#include "fs_fake.h"
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
static struct mg_http_serve_opts s_opts;
static int s_file_mode;  // serve_file("/www/a.txt") instead of serve_dir

static void serve_handler(struct mg_connection *c, int ev, void *ev_data) {
  if (ev != MG_EV_HTTP_MSG) return;
  if (s_file_mode) {
    mg_http_serve_file(c, (struct mg_http_message *) ev_data, mg_str_s("/www/a.txt"), &s_opts);
  } else {
    mg_http_serve_dir(c, (struct mg_http_message *) ev_data, &s_opts);
  }
}

static char s_big[200000];

static void setup(void) {
  size_t i;
  fs_fake_reset();
  memset(&s_opts, 0, sizeof(s_opts));
  s_file_mode = 0;
  s_opts.root_dir = mg_str_s("/www");
  fs_fake_dir("/www");
  fs_fake_add("/www/a.txt", "hello world", 11, 784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  fs_fake_add("/www/app.js", "let x", 5, 100);
  fs_fake_add("/www/app.js.gz", "GZDATA", 6, 100);
  fs_fake_dir("/www/sub");
  fs_fake_add("/www/sub/index.html", "<p>i</p>", 8, 100);
  fs_fake_dir("/www/list");
  fs_fake_add("/www/list/b<&>.txt", "b", 1, 100);
  fs_fake_dir("/www/list/d");
  fs_fake_add("/www/link", "SECRET", 6, 100);  // a symlink to outside the root
  fs_fake_outside("/www/link");
  fs_fake_add("/www/404.html", "custom 404", 10, 100);
  fs_fake_add("/secret", "SECRET", 6, 100);
  for (i = 0; i < sizeof(s_big); i++) s_big[i] = (char) ('a' + i % 26);
  fs_fake_add("/www/big.bin", s_big, sizeof(s_big), 100);
}

static const char *get(const char *req) {
  return fake_http_once(serve_handler, req);
}

static void path_normalize(void) {
  static const struct {
    const char *in, *want;  // want NULL: refused
  } cases[] = {
      {"/", "/"}, {"/a/b", "/a/b"}, {"/a/b/", "/a/b/"}, {"/a/./b", "/a/b"},
      {"/a/../b", "/b"}, {"/a/b/..", "/a/"}, {"/a/.", "/a/"}, {"//a//b", "/a/b"},
      {"/a%20b", "/a b"}, {"/%41", "/A"}, {"/a?x=/../..", "/a"}, {"/..", NULL},
      {"/../etc/passwd", NULL}, {"/a/../../b", NULL}, {"/%2e%2e/x", NULL},
      {"/%2E%2e/x", NULL}, {"/.%2e/x", NULL}, {"/a%2fb", NULL}, {"/a%2F..%2F..", NULL},
      {"/a\\b", NULL}, {"/a%5cb", NULL}, {"/a%00b", NULL}, {"/a%0ab", NULL},
      {"/a%zz", NULL}, {"/a%4", NULL}, {"a/b", NULL}, {"http://x/a", NULL}, {"", NULL},
      {"/...", "/..."}, {"/a/..b", "/a/..b"},
  };
  char out[64];
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int r = mg_http_path_normalize(cases[i].in, strlen(cases[i].in), out, sizeof(out));
    if (cases[i].want == NULL) {
      if (r >= 0) test_fail(__FILE__, __LINE__, "accepted %s -> %s", cases[i].in, out);
    } else if (r < 0 || strcmp(out, cases[i].want) != 0) {
      test_fail(__FILE__, __LINE__, "%s -> %s (r=%d), want %s", cases[i].in, r < 0 ? "" : out,
                r, cases[i].want);
    }
  }
  ASSERT_INT(mg_http_path_normalize("/abcdefgh", 9, out, 8), -1);  // does not fit
}

static void dates_ranges_mime(void) {
  char buf[40];
  uint64_t s = 0, n = 0;
  mg_http_date(buf, sizeof(buf), 784111777);
  ASSERT_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
  mg_http_date(buf, sizeof(buf), 0);
  ASSERT_STR(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
  mg_http_date(buf, sizeof(buf), 951782400);
  ASSERT_STR(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
  ASSERT_INT(mg_http_parse_date(mg_str_s("Sun, 06 Nov 1994 08:49:37 GMT")), 784111777);
  ASSERT_INT(mg_http_parse_date(mg_str_s("Sunday, 06-Nov-94 08:49:37 GMT")), -1);
  ASSERT_INT(mg_http_parse_date(mg_str_s("Tue, 30 Feb 2000 00:00:00 GMT")), -1);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=0-4"), 10, &s, &n), 1);
  ASSERT(s == 0 && n == 5);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=5-"), 10, &s, &n), 1);
  ASSERT(s == 5 && n == 5);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=-3"), 10, &s, &n), 1);
  ASSERT(s == 7 && n == 3);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=-30"), 10, &s, &n), 1);
  ASSERT(s == 0 && n == 10);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=8-100"), 10, &s, &n), 1);
  ASSERT(s == 8 && n == 2);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=10-"), 10, &s, &n), -1);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=-0"), 10, &s, &n), -1);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=0-1,3-4"), 10, &s, &n), 0);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=5-2"), 10, &s, &n), 0);
  ASSERT_INT(mg_http_range(mg_str_s("items=0-1"), 10, &s, &n), 0);
  ASSERT_INT(mg_http_range(mg_str_s("bytes=x-1"), 10, &s, &n), 0);
  ASSERT_STR(mg_http_mime(mg_str_s("/a/b.HTML"), mg_str_s("")).buf, "text/html; charset=utf-8");
  ASSERT_STR(mg_http_mime(mg_str_s("/a.xyz"), mg_str_s("")).buf, "application/octet-stream");
  ASSERT(mg_str_ieq(mg_http_mime(mg_str_s("/a.xyz"), mg_str_s("foo=a/b, xyz=c/d")), "c/d"));
  ASSERT(mg_str_ieq(mg_http_mime(mg_str_s("/a.js"), mg_str_s("js=x/y")), "x/y"));
  ASSERT_STR(mg_http_mime(mg_str_s("/a.d/b"), mg_str_s("")).buf, "application/octet-stream");
}

static void serves_file_with_validators(void) {
  const char *out;
  setup();
  out = get("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 200 OK\r\n");
  ASSERT_HAS(out, "Content-Type: text/plain; charset=utf-8\r\n");
  ASSERT_HAS(out, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
  ASSERT_HAS(out, "Etag: \"2ebc98a1.b\"\r\n");
  ASSERT_HAS(out, "Accept-Ranges: bytes\r\n");
  ASSERT_HAS(out, "Content-Length: 11\r\n\r\nhello world");
  out = get("GET /a.txt HTTP/1.1\r\nIf-None-Match: \"x\", W/\"2ebc98a1.b\"\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 304 Not Modified\r\n");
  ASSERT_NOT_HAS(out, "hello");
  ASSERT_NOT_HAS(out, "Content-Length");
  out = get("GET /a.txt HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n");
  ASSERT_HAS(out, "200 OK");
  out = get("GET /a.txt HTTP/1.1\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 304 Not Modified\r\n");
  out = get("GET /a.txt HTTP/1.1\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n\r\n");
  ASSERT_HAS(out, "200 OK");
  out = get("HEAD /a.txt HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "Content-Length: 11\r\n\r\n");
  ASSERT_NOT_HAS(out, "hello");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

static void serves_ranges(void) {
  const char *out;
  setup();
  out = get("GET /a.txt HTTP/1.1\r\nRange: bytes=6-\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 206 Partial Content\r\n");
  ASSERT_HAS(out, "Content-Range: bytes 6-10/11\r\n");
  ASSERT_HAS(out, "Content-Length: 5\r\n\r\nworld");
  out = get("GET /a.txt HTTP/1.1\r\nRange: bytes=-5\r\n\r\n");
  ASSERT_HAS(out, "Content-Length: 5\r\n\r\nworld");
  out = get("GET /a.txt HTTP/1.1\r\nRange: bytes=11-\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 416 Range Not Satisfiable\r\n");
  ASSERT_HAS(out, "Content-Range: bytes */11\r\n");
  out = get("GET /a.txt HTTP/1.1\r\nRange: bytes=0-1,3-4\r\n\r\n");
  ASSERT_HAS(out, "200 OK");
  ASSERT_HAS(out, "hello world");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

static void serves_gzip_and_mime_overrides(void) {
  const char *out;
  setup();
  out = get("GET /app.js HTTP/1.1\r\nAccept-Encoding: br, gzip\r\n\r\n");
  ASSERT_HAS(out, "Content-Type: text/javascript; charset=utf-8\r\nContent-Encoding: gzip\r\n");
  ASSERT_HAS(out, "Vary: Accept-Encoding\r\n");
  ASSERT_HAS(out, "\r\n\r\nGZDATA");
  out = get("GET /app.js HTTP/1.1\r\nAccept-Encoding: gzip;q=0\r\n\r\n");
  ASSERT_NOT_HAS(out, "Content-Encoding");
  ASSERT_HAS(out, "\r\n\r\nlet x");
  out = get("GET /app.js HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "\r\n\r\nlet x");
  s_opts.mime_types = mg_str_s("js=application/x-test");
  s_opts.extra_headers = mg_str_s("X-Extra: 1\r\n");
  out = get("GET /app.js HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "Content-Type: application/x-test\r\n");
  ASSERT_HAS(out, "X-Extra: 1\r\n");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

// The file's own lines are written without a per-line check: what a user
// gave (a MIME override, extra headers) must still be checked, on every
// answer a file gets (200, 206, 304, 416).
static void serve_checks_user_lines(void) {
  static char mime[600];
  const char *out;
  size_t n;
  setup();
  s_opts.mime_types = mg_str_s("txt=x/y\r\nSet-Cookie: a=b");
  s_opts.extra_headers = mg_str_s("X-Bad: a\rb\r\nContent-Length: 5\r\nX-Good: 1\nConnection: x\r\n");
  out = get("GET /a.txt HTTP/1.1\r\n\r\n");
  ASSERT_NOT_HAS(out, "Set-Cookie");
  ASSERT_NOT_HAS(out, "x/y");
  ASSERT_NOT_HAS(out, "X-Bad");
  ASSERT_NOT_HAS(out, "Content-Length: 5");
  ASSERT_NOT_HAS(out, "Connection: x");
  ASSERT_HAS(out, "Content-Type: text/plain\r\n");  // the core's default instead
  ASSERT_HAS(out, "Etag: \"2ebc98a1.b\"\r\nAccept-Ranges: bytes\r\nX-Good: 1\r\n");
  ASSERT_HAS(out, "Content-Length: 11\r\n\r\nhello world");
  out = get("GET /a.txt HTTP/1.1\r\nIf-None-Match: \"2ebc98a1.b\"\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 304 Not Modified\r\n");
  ASSERT_HAS(out, "X-Good: 1\r\n");
  ASSERT_NOT_HAS(out, "Set-Cookie");
  out = get("GET /a.txt HTTP/1.1\r\nRange: bytes=20-\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 416 Range Not Satisfiable\r\n");
  ASSERT_HAS(out, "Content-Range: bytes */11\r\nX-Good: 1\r\n");
  ASSERT_NOT_HAS(out, "Set-Cookie");
  // A long (valid) MIME type outgrows the inline header buffer: kept whole.
  memcpy(mime, "txt=a/", 6);
  for (n = 6; n < sizeof(mime) - 1; n++) mime[n] = 'b';
  mime[n] = '\0';
  s_opts.mime_types = mg_str_s(mime);
  out = get("GET /a.txt HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, mime + 4);
  ASSERT_HAS(out, "Content-Length: 11\r\n\r\nhello world");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

static void serves_directories(void) {
  const char *out;
  setup();
  out = get("GET /sub HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 301 Moved Permanently\r\nLocation: /sub/\r\n");
  out = get("GET /sub?q=1 HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "Location: /sub/?q=1\r\n");
  out = get("GET /sub/ HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "Content-Type: text/html; charset=utf-8\r\n");
  ASSERT_HAS(out, "<p>i</p>");
  out = get("GET /list/ HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 403 Forbidden\r\n");
  s_opts.dir_listing = true;
  out = get("GET /list/ HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "200 OK");
  ASSERT_HAS(out, "<li><a href=\"b%3C%26%3E.txt\">b&#60;&#38;&#62;.txt</a></li>");
  ASSERT_HAS(out, "<li><a href=\"d/\">d/</a></li>");
  out = get("POST /a.txt HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

static void refuses_escapes(void) {
  static const char *const bad[] = {
      "GET /../secret HTTP/1.1\r\n\r\n", "GET /%2e%2e/secret HTTP/1.1\r\n\r\n",
      "GET /sub/..%2f..%2fsecret HTTP/1.1\r\n\r\n", "GET /..\\secret HTTP/1.1\r\n\r\n",
      "GET /a.txt%00.png HTTP/1.1\r\n\r\n", "GET /sub/../../secret HTTP/1.1\r\n\r\n",
      "GET //secret/.. HTTP/1.1\r\n\r\n"};
  size_t i;
  const char *out;
  setup();
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    out = get(bad[i]);
    ASSERT_NOT_HAS(out, "SECRET");
    if (strstr(out, "HTTP/1.1 400 ") == NULL && strstr(out, "HTTP/1.1 404 ") == NULL &&
        strstr(out, "HTTP/1.1 403 ") == NULL) {  // 403: "//secret/.." is the root
      test_fail(__FILE__, __LINE__, "%s -> %s", bad[i], out);
      return;
    }
  }
  out = get("GET /link HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 404 Not Found\r\n");
  ASSERT_NOT_HAS(out, "SECRET");
  out = get("GET //secret HTTP/1.1\r\n\r\n");  // "/www" + "/secret": not there
  ASSERT_HAS(out, "HTTP/1.1 404 ");
  s_opts.page404 = mg_str_s("/www/404.html");
  out = get("GET /nothing HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\n");
  ASSERT_HAS(out, "custom 404");
  s_file_mode = 1;
  out = get("GET /anything HTTP/1.1\r\n\r\n");
  ASSERT_HAS(out, "hello world");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

// A big file goes out as head + host_body; pipelined requests wait for it.
static void big_file_is_a_host_body(void) {
  uint32_t id;
  size_t len = 0;
  const char *data;
  struct mg_connection *c;
  setup();
  id = fake_http_server(&s_mgr, serve_handler);
  fake_feeds(s_mgr, id, "GET /big.bin HTTP/1.1\r\nRange: bytes=100-\r\n\r\nGET /a.txt HTTP/1.1\r\n\r\n");
  ASSERT_HAS(fake_out(id), "Content-Length: 199900\r\n\r\n");
  ASSERT_NOT_HAS(fake_out(id), "hello world");  // held behind the body
  ASSERT_INT(fs_fake_body.calls, 1);
  ASSERT_INT(fs_fake_body.id, id);
  ASSERT(fs_fake_body.off == 100 && fs_fake_body.len == 199900);
  data = fs_fake_data(fs_fake_body.fd, &len);
  ASSERT(data != NULL && len == sizeof(s_big));
  c = fake_conn(id);
  ASSERT(c != NULL && (c->flags & MG_F_BODY_HOST));
  ASSERT_INT(mgx_send(c, "x", 1), 0);  // would overtake the body
  // The host wrote it: closes its handle, tells the core.
  host_fs_close(fs_fake_body.fd);
  mgx_body_done(c);
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "hello world");
  ASSERT_INT(fs_fake_open_handles(), 0);
  mgx_mgr_free(s_mgr);
  fs_fake_reset();
}

// Closed before the head went out: the core closes the never-sent handle.
static void queued_body_closed_with_connection(void) {
  uint32_t id;
  setup();
  id = fake_http_server(&s_mgr, serve_handler);
  fake_set_budget(id, 10);
  fake_feeds(s_mgr, id, "GET /big.bin HTTP/1.1\r\n\r\n");
  ASSERT_INT(fs_fake_body.calls, 0);
  ASSERT_INT(fs_fake_open_handles(), 1);
  mgx_eof(fake_conn(id));
  mgx_close(fake_conn(id));
  mgx_flush(s_mgr);
  ASSERT_INT(fs_fake_open_handles(), 0);
  mgx_mgr_free(s_mgr);
  fs_fake_reset();
}

static struct mg_connection *s_pending;
static void keep_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG) s_pending = c;
}

// reply() bodies kept by the host: head only in linear memory.
static void reply_host_body(void) {
  uint32_t id, fd;
  fs_fake_reset();
  fs_fake_add("/blob", "0123456789", 10, 1);
  fd = host_fs_open("/blob", 5, MG_FS_READ);
  id = fake_http_server(&s_mgr, keep_handler);
  fake_feeds(s_mgr, id, "GET / HTTP/1.1\r\n\r\n");
  ASSERT(s_pending != NULL);
  ASSERT(mgx_http_reply_host(s_pending, 200, "X-A: 1\r\n", 8, 10, fd));
  mgx_flush(s_mgr);
  ASSERT_STR(fake_out(id), "HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Type: text/plain\r\n"
                           "Content-Length: 10\r\n\r\n");
  ASSERT_INT(fs_fake_body.calls, 1);
  ASSERT_INT(fs_fake_body.fd, fd);
  // A second reply while the body is out: refused, its handle closed.
  ASSERT(!mgx_http_reply_host(s_pending, 200, "", 0, 10, host_fs_open("/blob", 5, MG_FS_READ)));
  host_fs_close(fd);
  mgx_body_done(s_pending);
  mgx_flush(s_mgr);
  // HEAD: the body is never sent, the handle is closed at once.
  fake_out_clear(id);
  fake_feeds(s_mgr, id, "HEAD / HTTP/1.1\r\n\r\n");
  ASSERT(mgx_http_reply_host(s_pending, 200, "", 0, 10, host_fs_open("/blob", 5, MG_FS_READ)));
  mgx_flush(s_mgr);
  ASSERT_HAS(fake_out(id), "Content-Length: 10\r\n\r\n");
  ASSERT_INT(fs_fake_body.calls, 1);
  ASSERT_INT(fs_fake_open_handles(), 0);
  mgx_mgr_free(s_mgr);
  fs_fake_reset();
}

// Progress from the host counts as I/O; a peer that stops reading meets the
// idle timeout and is closed (not drained: the body would never finish).
static void host_body_progress_and_idle(void) {
  uint32_t id;
  struct mg_connection *c;
  setup();
  id = fake_http_server(&s_mgr, serve_handler);
  mgx_set_limits(s_mgr, 0, 0, 0, 0, 0, 1000, 0, 0);
  fake_feeds(s_mgr, id, "GET /big.bin HTTP/1.1\r\n\r\n");
  c = fake_conn(id);
  ASSERT(c != NULL && (c->flags & MG_F_BODY_HOST));
  fake_now += 900;
  ASSERT_INT(mgx_body_sent(c, 65536), 1);
  fake_now += 900;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 0);  // 900 ms since the last progress
  fake_now += 200;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 1);  // closed with the body still out
  host_fs_close(fs_fake_body.fd);   // the host's pump drops it on host_close
  ASSERT_INT(fs_fake_open_handles(), 0);
  mgx_mgr_free(s_mgr);
  fs_fake_reset();
}

void suite_http_cond(void);  // test_http_cond.c: conditional requests

void suite_http_static(void) {
  RUN(host_body_progress_and_idle);
  RUN(path_normalize);
  RUN(dates_ranges_mime);
  RUN(serves_file_with_validators);
  RUN(serves_ranges);
  RUN(serves_gzip_and_mime_overrides);
  RUN(serve_checks_user_lines);
  RUN(serves_directories);
  RUN(refuses_escapes);
  RUN(big_file_is_a_host_body);
  RUN(queued_body_closed_with_connection);
  RUN(reply_host_body);
  suite_http_cond();
}
