// fuzz_multipart.c: http_form.c: multipart parts, credentials, variables.
//
// Input: the bytes of a multipart/form-data body. Checks: every part's
// views lie inside the body and the returned offsets move strictly forward
// (so iteration ends); the same input read as a request head gives
// credentials that fit their buffers; form and header variables decode
// into at most the encoded length. No ASan/UBSan reports.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "http_form.h"

static void inside(struct mg_str v, const char *lo, size_t len, const char *what) {
  if (v.len == 0) return;
  FUZZ_CHECK(v.buf >= lo && v.buf + v.len <= lo + len, "%s outside the body", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *) data;
  struct mg_str body = mg_str_n(buf, size);
  struct mg_http_part p;
  size_t ofs = 0, n = 0;
  for (;;) {
    size_t next = mg_http_next_multipart(body, ofs, &p);
    if (next == 0) break;
    FUZZ_CHECK(next > ofs && next <= size, "offset %zu after %zu (size %zu)", next, ofs, size);
    inside(p.name, buf, size, "name");
    inside(p.filename, buf, size, "filename");
    inside(p.body, buf, size, "body");
    ofs = next;
    FUZZ_CHECK(++n <= size, "more parts than bytes");
  }
  {
    static char out[4096];
    long v = mg_http_var(body, mg_str_n("a", 1), out, sizeof(out));
    FUZZ_CHECK(v >= -2 && v <= (long) size, "mg_http_var %ld", v);
    (void) mg_http_header_var(body, mg_str_n("name", 4));
  }
  {
    struct mg_http_message hm;
    static char user[4096], pass[4096];
    if (mg_http_parse(buf, size, &hm, 16384, MG_MAX_HTTP_HEADERS) > 0) {
      size_t ul = size < sizeof(user) ? size : sizeof(user), pl = ul;
      size_t ucap = ul, pcap = pl;
      int r = mg_http_creds(&hm, user, &ul, pass, &pl);
      FUZZ_CHECK(r >= -2 && r <= 1, "mg_http_creds %d", r);
      if (r == 1) FUZZ_CHECK(ul <= ucap && pl <= pcap, "creds overflow");
    }
  }
  return 0;
}
