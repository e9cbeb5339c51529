// test_http_split.c: the same input split anywhere gives the same result.
//
// Each input is fed whole, one byte at a time, and in two pieces at every
// split point; the output bytes, the event log and the close count must be
// identical every time.
#include <stdlib.h>

#include "host_fake.h"
#include "test.h"

struct result {
  char *out, *events;
  int closes;
};

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = (char *) malloc(n);
  if (p != NULL) memcpy(p, s, n);
  return p;
}

// step > 0: pieces of `step` bytes; step == 0: two pieces split at `k`.
static void feed_run(const char *in, size_t len, size_t k, size_t step, struct result *r) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_HTTP);
  uint32_t id = fake_accept(mgr, l)->id;
  if (step > 0) {
    fake_feed(mgr, id, in, len, step);
  } else {
    fake_feed(mgr, id, in, k, 0);
    fake_feed(mgr, id, in + k, len - k, 0);
  }
  r->out = dup_str(fake_out(id));
  r->events = dup_str(fake_events(id));
  r->closes = fake_closes(id);
  mgx_mgr_free(mgr);
}

static void result_free(struct result *r) {
  free(r->out);
  free(r->events);
}

static bool same(const struct result *a, const struct result *b) {
  return a->out != NULL && b->out != NULL && strcmp(a->out, b->out) == 0 &&
         strcmp(a->events, b->events) == 0 && a->closes == b->closes;
}

// Returns false (after reporting) on the first mismatch.
static bool check_splits(const char *in, size_t len, const char *must_have) {
  struct result ref, r;
  size_t k;
  bool ok = true;
  fake_handler = fake_echo_handler;
  feed_run(in, len, len, 0, &ref);
  if (must_have != NULL && strstr(ref.out, must_have) == NULL) {
    test_fail(__FILE__, __LINE__, "reference output lacks [%s]: [%s]", must_have, ref.out);
    result_free(&ref);
    return false;
  }
  for (k = 0; ok && k <= len + 1; k++) {
    if (k <= len) {
      feed_run(in, len, k, 0, &r);
    } else {
      feed_run(in, len, 0, 1, &r);  // one byte at a time
    }
    if (!same(&ref, &r)) {
      test_fail(__FILE__, __LINE__, "split %zu differs\n  want out: [%s]\n  got out:  [%s]\n"
                "  want ev: [%s]\n  got ev:  [%s]", k, ref.out, r.out, ref.events, r.events);
      ok = false;
    }
    result_free(&r);
    fake_reset();
    fake_handler = fake_echo_handler;
  }
  result_free(&ref);
  return ok;
}

static const char s_mixed[] =
    "GET /a?x=1&y=2 HTTP/1.1\r\nHost: h\r\nX-Long:   aaaaaaaaaa  \r\n\r\n"
    "POST /cl HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789"
    "\r\n"
    "PUT /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    "3;ext=v\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
    "HEAD /h HTTP/1.1\r\n\r\n"
    "GET /h10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"
    "GET /never HTTP/1.1\r\n\r\n";

static void split_mixed_pipeline(void) {
  check_splits(s_mixed, sizeof(s_mixed) - 1, "PUT /ch abc0123456789abcdef");
}

static void split_bad_chunk_after_good(void) {
  static const char in[] =
      "GET /ok HTTP/1.1\r\n\r\n"
      "POST /bad HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n5x\r\n";
  check_splits(in, sizeof(in) - 1, "400 Bad Request");
}

static void split_bad_header_line(void) {
  static const char in[] = "GET /ok HTTP/1.1\r\nGood: yes\r\nBad header\r\n\r\n";
  check_splits(in, sizeof(in) - 1, "400 Bad Request");
}

static void split_chunk_trailer_and_tiny_chunks(void) {
  static const char in[] =
      "POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\na\r\n1\r\nb\r\n1;q\r\nc\r\n0\r\nA: b\r\nC: d\r\n\r\n"
      "POST /u HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
  check_splits(in, sizeof(in) - 1, "POST /t abc");
}

void suite_http_split(void) {
  RUN(split_mixed_pipeline);
  RUN(split_bad_chunk_after_good);
  RUN(split_bad_header_line);
  RUN(split_chunk_trailer_and_tiny_chunks);
}
