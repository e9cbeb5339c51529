// fuzz_http_cond.c: conditional requests (http_cond.c) over any request head.
//
// Input: a request head (parsed by mg_http_parse; others are dropped), whose
// preconditions are evaluated against a fixed strong tag and mtime.
// Checks: the answer is 0, 304 or 412; a Range stands only on a GET that
// has one and no decided status; a strong match of a list implies a weak
// one; If-Range is never true for a weak tag.
#include <stdint.h>
#include <string.h>

#include "fuzz_checks.h"
#include "http_cond.h"

#define TAG "\"2ebc98a1.b\""
#define MTIME 784111777

static struct mg_http_message s_hm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mg_str tag = mg_str_s(TAG);
  bool range = true;
  uint32_t i;
  int st;
  if (mg_http_parse((const char *) data, size, &s_hm, 8192, MG_MAX_HTTP_HEADERS) <= 0) return 0;
  st = mg_http_preconditions(&s_hm, tag, MTIME, &range);
  FUZZ_CHECK(st == 0 || st == 304 || st == 412, "status %d", st);
  FUZZ_CHECK(!range || (st == 0 && mg_str_ieq(s_hm.method, "GET")), "range with status %d", st);
  for (i = 0; i < s_hm.num_headers; i++) {
    struct mg_str v = s_hm.headers[i].value, t = mg_str_trim(v);
    FUZZ_CHECK(!mg_http_etag_match(v, tag, true) || mg_http_etag_match(v, tag, false),
               "strong match without a weak one");
    FUZZ_CHECK(!(t.len >= 2 && t.buf[0] == 'W' && t.buf[1] == '/') ||
                   !mg_http_if_range(v, tag, MTIME),
               "If-Range true for a weak tag");
    FUZZ_CHECK(!mg_http_etag_match(v, mg_str_n(NULL, 0), false) || t.len == 1,
               "a list matched no tag without being *");
  }
  return 0;
}
