// test_http_cond.c: conditional requests (RFC 9110 13): entity-tag lists,
// If-Range, each step of 13.2.2's precondition order, and what serve_dir /
// serve_file answer for them (412, 304, 206 or the whole file, HEAD + Range).
#include "../src/http_cond.h"
#include "../src/http_static.h"
#include "fs_fake.h"
#include "host_fake.h"
#include "test.h"

#define TAG "\"2ebc98a1.b\""                    // the tag of /www/a.txt below
#define MTIME 784111777                         // its mtime
#define AT "Sun, 06 Nov 1994 08:49:37 GMT"      // == MTIME
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"  // one second older
#define AFTER "Sun, 06 Nov 1994 08:49:38 GMT"   // one second newer

static void etag_lists(void) {
  struct mg_str tag = mg_str_s(TAG), none = mg_str_n(NULL, 0);
  ASSERT(mg_http_etag_match(mg_str_s(TAG), tag, true));
  ASSERT(mg_http_etag_match(mg_str_s("\"a\", " TAG), tag, true));
  ASSERT(mg_http_etag_match(mg_str_s(" ,\"a\" ,\t" TAG " ,"), tag, true));  // empty members
  ASSERT(mg_http_etag_match(mg_str_s(" * "), tag, true));
  ASSERT(mg_http_etag_match(mg_str_s("*"), none, true));  // any representation
  // A weak tag: equal under weak comparison only.
  ASSERT(mg_http_etag_match(mg_str_s("W/" TAG), tag, false));
  ASSERT(!mg_http_etag_match(mg_str_s("W/" TAG), tag, true));
  ASSERT(!mg_http_etag_match(mg_str_s("\"a\", W/" TAG), tag, true));
  ASSERT(!mg_http_etag_match(mg_str_s("\"2ebc98a1.B\""), tag, false));  // case matters
  ASSERT(!mg_http_etag_match(mg_str_s("2ebc98a1.b"), tag, false));      // unquoted
  ASSERT(!mg_http_etag_match(mg_str_s(TAG), none, false));  // no tag: nothing but "*"
  // Commas may sit inside a tag; a tag is never cut out of a broken list.
  ASSERT(mg_http_etag_match(mg_str_s("\"a,b\"," TAG), tag, true));
  ASSERT(!mg_http_etag_match(mg_str_s("\"a," TAG), tag, false));
  ASSERT(!mg_http_etag_match(mg_str_s("x, " TAG), tag, false));
  ASSERT(!mg_http_etag_match(mg_str_s(TAG " x"), tag, false));
  ASSERT(!mg_http_etag_match(mg_str_s("*, " TAG ", *"), none, false));
  ASSERT(!mg_http_etag_match(mg_str_s("\"a b\", " TAG), tag, false));  // SP is not etagc
  ASSERT(!mg_http_etag_match(mg_str_s(""), tag, false));
}

static void if_range_values(void) {
  struct mg_str tag = mg_str_s(TAG);
  ASSERT(mg_http_if_range(mg_str_s(TAG), tag, MTIME));
  ASSERT(mg_http_if_range(mg_str_s(" " TAG " "), tag, MTIME));
  ASSERT(!mg_http_if_range(mg_str_s("W/" TAG), tag, MTIME));  // weak: never
  ASSERT(!mg_http_if_range(mg_str_s("\"x\""), tag, MTIME));
  ASSERT(!mg_http_if_range(mg_str_s(TAG ", " TAG), tag, MTIME));  // one validator only
  ASSERT(mg_http_if_range(mg_str_s(AT), tag, MTIME));             // exact date
  ASSERT(!mg_http_if_range(mg_str_s(BEFORE), tag, MTIME));
  ASSERT(!mg_http_if_range(mg_str_s(AFTER), tag, MTIME));  // not "not modified since"
  ASSERT(!mg_http_if_range(mg_str_s(AT), tag, -1));       // no Last-Modified
  ASSERT(!mg_http_if_range(mg_str_s("yesterday"), tag, MTIME));
  ASSERT(!mg_http_if_range(mg_str_s(""), tag, MTIME));
}

// Parse `req` and evaluate its preconditions against (TAG, MTIME).
// Returns the status (0: serve), *range whether a Range stands; -1 when the
// request does not parse.
static int pre(const char *req, bool *range) {
  static struct mg_http_message hm;
  bool r = false;
  int st;
  if (mg_http_parse(req, strlen(req), &hm, 8192, MG_MAX_HTTP_HEADERS) <= 0) return -1;
  st = mg_http_preconditions(&hm, mg_str_s(TAG), MTIME, &r);
  if (range != NULL) *range = r;
  return st;
}

#define REQ(m, h) m " /a.txt HTTP/1.1\r\nHost: x\r\n" h "\r\n"

// Steps 1 and 2: If-Match (strong), else If-Unmodified-Since; false -> 412.
static void step1_2_if_match_and_ius(void) {
  ASSERT_INT(pre(REQ("GET", "If-Match: " TAG "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Match: \"x\", " TAG "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Match: \"x\"\r\nIf-Match: " TAG "\r\n"), NULL), 0);  // 2 lines
  ASSERT_INT(pre(REQ("GET", "If-Match: *\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Match: \"x\"\r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("HEAD", "If-Match: \"x\"\r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("GET", "If-Match: W/" TAG "\r\n"), NULL), 412);  // strong comparison
  ASSERT_INT(pre(REQ("GET", "If-Match: \r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: " BEFORE "\r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: " AT "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: " AFTER "\r\n"), NULL), 0);
  // Ignored: not a valid date, sent twice, or beside an If-Match.
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: 1994-11-06\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: " BEFORE "\r\nIf-Unmodified-Since: " BEFORE "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Match: " TAG "\r\nIf-Unmodified-Since: " BEFORE "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Match: \"x\"\r\nIf-Unmodified-Since: " AFTER "\r\n"), NULL), 412);
}

// Steps 3 and 4, after 1-2: If-None-Match (weak), else If-Modified-Since.
static void step3_4_inm_and_ims(void) {
  ASSERT_INT(pre(REQ("GET", "If-None-Match: " TAG "\r\n"), NULL), 304);
  ASSERT_INT(pre(REQ("HEAD", "If-None-Match: " TAG "\r\n"), NULL), 304);
  ASSERT_INT(pre(REQ("GET", "If-None-Match: W/" TAG "\r\n"), NULL), 304);  // weak comparison
  ASSERT_INT(pre(REQ("GET", "If-None-Match: *\r\n"), NULL), 304);
  ASSERT_INT(pre(REQ("GET", "If-None-Match: \"x\"\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("DELETE", "If-None-Match: " TAG "\r\n"), NULL), 412);  // not GET/HEAD
  ASSERT_INT(pre(REQ("GET", "If-Modified-Since: " AT "\r\n"), NULL), 304);
  ASSERT_INT(pre(REQ("GET", "If-Modified-Since: " AFTER "\r\n"), NULL), 304);
  ASSERT_INT(pre(REQ("GET", "If-Modified-Since: " BEFORE "\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("GET", "If-Modified-Since: junk\r\n"), NULL), 0);
  ASSERT_INT(pre(REQ("DELETE", "If-Modified-Since: " AT "\r\n"), NULL), 0);  // GET/HEAD only
  // If-None-Match present: If-Modified-Since is not looked at.
  ASSERT_INT(pre(REQ("GET", "If-None-Match: \"x\"\r\nIf-Modified-Since: " AT "\r\n"), NULL), 0);
  // Steps 1-2 come first: their 412 beats a 304.
  ASSERT_INT(pre(REQ("GET", "If-Match: \"x\"\r\nIf-None-Match: " TAG "\r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("GET", "If-Unmodified-Since: " BEFORE "\r\nIf-Modified-Since: " AT "\r\n"), NULL), 412);
  ASSERT_INT(pre(REQ("GET", "If-Match: " TAG "\r\nIf-None-Match: " TAG "\r\n"), NULL), 304);
}

// Step 5, after 1-4: a Range on GET stands unless If-Range is false.
static void step5_if_range(void) {
  bool r = true;
  ASSERT_INT(pre(REQ("GET", ""), &r), 0);
  ASSERT(!r);  // no Range at all
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\n"), &r), 0);
  ASSERT(r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " TAG "\r\n"), &r), 0);
  ASSERT(r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " AT "\r\n"), &r), 0);
  ASSERT(r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: \"x\"\r\n"), &r), 0);
  ASSERT(!r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: W/" TAG "\r\n"), &r), 0);
  ASSERT(!r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " BEFORE "\r\n"), &r), 0);
  ASSERT(!r);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " TAG "\r\nIf-Range: " TAG "\r\n"), &r), 0);
  ASSERT(!r);
  ASSERT_INT(pre(REQ("GET", "If-Range: " TAG "\r\n"), &r), 0);  // no Range: nothing to keep
  ASSERT(!r);
  ASSERT_INT(pre(REQ("HEAD", "Range: bytes=0-4\r\n"), &r), 0);  // ranges are for GET
  ASSERT(!r);
  // Steps 1-4 come first.
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " TAG "\r\nIf-None-Match: " TAG "\r\n"), &r), 304);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " TAG "\r\nIf-Match: \"x\"\r\n"), &r), 412);
  ASSERT_INT(pre(REQ("GET", "Range: bytes=0-4\r\nIf-Match: " TAG "\r\nIf-Range: " TAG "\r\n"), &r), 0);
  ASSERT(r);
}

// ---- through serve_dir / serve_file ----------------------------------------------

static struct mg_http_serve_opts s_opts;

static void handler(struct mg_connection *c, int ev, void *ev_data) {
  if (ev == MG_EV_HTTP_MSG) mg_http_serve_dir(c, (struct mg_http_message *) ev_data, &s_opts);
}

static const char *get(const char *req) {
  return fake_http_once(handler, req);
}

static void setup(void) {
  fs_fake_reset();
  memset(&s_opts, 0, sizeof(s_opts));
  s_opts.root_dir = mg_str_s("/www");
  fs_fake_dir("/www");
  fs_fake_add("/www/a.txt", "hello world", 11, MTIME);
  fs_fake_dir("/www/list");
  fs_fake_add("/www/list/b.txt", "b", 1, 100);
}

static void serve_412_304(void) {
  const char *out;
  setup();
  out = get(REQ("GET", "If-Match: \"x\"\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 412 Precondition Failed\r\n");
  ASSERT_NOT_HAS(out, "hello");
  out = get(REQ("GET", "If-Unmodified-Since: " BEFORE "\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 412 ");
  out = get(REQ("HEAD", "If-Match: \"x\"\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 412 ");
  ASSERT_NOT_HAS(out, "Precondition failed\n");  // no body on HEAD
  out = get(REQ("GET", "If-Match: " TAG "\r\nIf-Unmodified-Since: " AT "\r\n"));
  ASSERT_HAS(out, "200 OK");
  ASSERT_HAS(out, "hello world");
  out = get(REQ("GET", "If-Match: \"x\"\r\nIf-None-Match: " TAG "\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 412 ");
  // A listing has no tag: If-Match with one fails, "*" passes.
  s_opts.dir_listing = true;
  out = get("GET /list/ HTTP/1.1\r\nIf-Match: " TAG "\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 412 ");
  out = get("GET /list/ HTTP/1.1\r\nIf-Match: *\r\n\r\n");
  ASSERT_HAS(out, "b.txt");
  out = get("GET /list/ HTTP/1.1\r\nIf-None-Match: *\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 304 ");
  ASSERT_NOT_HAS(out, "b.txt");
  // Not a 2xx without the preconditions: they are not evaluated.
  out = get("GET /missing HTTP/1.1\r\nIf-Match: \"x\"\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 404 ");
  out = get("POST /a.txt HTTP/1.1\r\nContent-Length: 0\r\nIf-Match: \"x\"\r\n\r\n");
  ASSERT_HAS(out, "HTTP/1.1 405 ");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

static void serve_if_range_and_head(void) {
  static const char *const stale[] = {"\"x\"", "W/" TAG, BEFORE, AFTER, "junk"};
  const char *out;
  size_t i;
  setup();
  out = get(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " TAG "\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 206 Partial Content\r\n");
  ASSERT_HAS(out, "Content-Length: 5\r\n\r\nhello");
  out = get(REQ("GET", "Range: bytes=0-4\r\nIf-Range: " AT "\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 206 ");
  for (i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
    char req[256];
    snprintf(req, sizeof(req), REQ("GET", "Range: bytes=0-4\r\nIf-Range: %s\r\n"), stale[i]);
    out = get(req);
    if (strstr(out, "HTTP/1.1 200 OK\r\n") == NULL || strstr(out, "Content-Range") != NULL ||
        strstr(out, "Content-Length: 11\r\n\r\nhello world") == NULL) {
      test_fail(__FILE__, __LINE__, "If-Range: %s -> %s", stale[i], out);
      return;
    }
  }
  // A false If-Range drops an unsatisfiable Range too: 200, not 416.
  out = get(REQ("GET", "Range: bytes=50-\r\nIf-Range: \"x\"\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 200 OK\r\n");
  // HEAD with a Range: the head of the whole GET, 200.
  out = get(REQ("HEAD", "Range: bytes=0-4\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 200 OK\r\n");
  ASSERT_HAS(out, "Accept-Ranges: bytes\r\n");
  ASSERT_HAS(out, "Content-Length: 11\r\n\r\n");
  ASSERT_NOT_HAS(out, "Content-Range");
  ASSERT_NOT_HAS(out, "hello");
  out = get(REQ("HEAD", "Range: bytes=50-\r\n"));
  ASSERT_HAS(out, "HTTP/1.1 200 OK\r\n");
  ASSERT_INT(fs_fake_open_handles(), 0);
  fs_fake_reset();
}

// Run from suite_http_static (no main.c/test.h entry of its own).
void suite_http_cond(void);
void suite_http_cond(void) {
  RUN(etag_lists);
  RUN(if_range_values);
  RUN(step1_2_if_match_and_ius);
  RUN(step3_4_inm_and_ims);
  RUN(step5_if_range);
  RUN(serve_412_304);
  RUN(serve_if_range_and_head);
}
