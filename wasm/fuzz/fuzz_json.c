// fuzz_json.c: the JSON scanner (json.c).
//
// Input: in[0] % 48 = length of the path, taken from the bytes after in[0]
// (prefixed with "$" when it lacks one); the rest is the document.
// Checks: a found value lies inside the document and is itself valid JSON
// (scanning just the token at "$" finds all of it); validity does not
// depend on the path; unescaping a string token fits its body and is
// idempotent on escape-free text; mg_json_num never traps.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n) {
  char path[64];
  size_t plen, dlen;
  const char *doc;
  int len = 0, off, root;
  if (n < 1) return 0;
  plen = in[0] % 48;
  if (plen > n - 1) plen = n - 1;
  path[0] = '$';
  memcpy(path + 1, in + 1, plen);
  doc = (const char *) in + 1 + plen;
  dlen = n - 1 - plen;
  off = mg_json_get(mg_str_n(doc, dlen), mg_str_n(path, plen + 1), &len);
  root = mg_json_get(mg_str_n(doc, dlen), mg_str_n("$", 1), NULL);
  // The path never changes whether the document is valid.
  FUZZ_CHECK((off == MG_JSON_INVALID || off == MG_JSON_TOO_DEEP) == (root < 0),
             "validity depends on the path: %d vs %d", off, root);
  if (off >= 0) {
    int l2 = 0;
    FUZZ_CHECK(len > 0 && (size_t) off + (size_t) len <= dlen, "token %d+%d outside %zu", off, len, dlen);
    fh_touch(doc + off, (size_t) len);
    FUZZ_CHECK(mg_json_get(mg_str_n(doc + off, (size_t) len), mg_str_n("$", 1), &l2) == 0 && l2 == len,
               "token at %d is not a whole JSON value", off);
    if (doc[off] == '"') {
      char *buf = (char *) malloc((size_t) len);
      long u = mg_json_unescape(doc + off + 1, (size_t) len - 2, buf);
      FUZZ_CHECK(u >= 0 && u <= len - 2, "unescape of a valid string gave %ld", u);
      if (memchr(doc + off, '\\', (size_t) len) == NULL) {
        FUZZ_CHECK(u == len - 2 && memcmp(buf, doc + off + 1, (size_t) u) == 0, "escape-free text changed");
      }
      free(buf);
    } else if (doc[off] == '-' || (doc[off] >= '0' && doc[off] <= '9')) {
      double d = mg_json_num(doc + off, (size_t) len);
      FUZZ_CHECK(d == d, "number token gave NaN");
    }
  }
  return 0;
}
