// fuzz_http_path.c: the parsers of static serving (http_path.c, http_date.c).
//
// Input: in[0] selects the parser, the rest is its input.
// Checks for mg_http_path_normalize, the path-safety function:
// - an accepted result starts with '/', is NUL-terminated at the returned
//   length, and has no NUL, backslash, control byte, "//", "/./" or "/../"
//   segment, and no "." or ".." as its last segment: nothing in it can climb
//   out of a root it is appended to;
// - normalising the result again gives the result (a fixed point).
// mg_http_range: a satisfiable range lies inside the file. mg_http_parse_date:
// a date it accepts formats back to the same text.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "http_path.h"
#include "http_static.h"

static void check_path(const char *in, size_t n) {
  char out[512], again[512];
  int r = mg_http_path_normalize(in, n, out, sizeof(out));
  size_t i;
  if (r < 0) return;
  FUZZ_CHECK((size_t) r < sizeof(out) && out[r] == '\0' && out[0] == '/', "bad result shape");
  for (i = 0; i < (size_t) r; i++) {
    unsigned char ch = (unsigned char) out[i];
    FUZZ_CHECK(ch >= 0x20 && ch != 0x7f && ch != '\\', "control byte or backslash at %zu", i);
    if (ch == '/') {
      FUZZ_CHECK(out[i + 1] != '/', "empty segment in [%s]", out);
      FUZZ_CHECK(!(out[i + 1] == '.' && (out[i + 2] == '/' || out[i + 2] == '\0')),
                 "dot segment in [%s]", out);
      FUZZ_CHECK(!(out[i + 1] == '.' && out[i + 2] == '.' &&
                   (out[i + 3] == '/' || out[i + 3] == '\0')),
                 "dot-dot segment in [%s]", out);
    }
  }
  // Fixed point, unless the result holds bytes that mean something on a
  // second pass ('%' decodes again, '?' and '#' end a path).
  if (strpbrk(out, "%?#") == NULL) {
    int r2 = mg_http_path_normalize(out, (size_t) r, again, sizeof(again));
    FUZZ_CHECK(r2 == r && memcmp(out, again, (size_t) r) == 0, "not a fixed point: [%s]", out);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *) data + 1;
  size_t n;
  if (size < 1) return 0;
  n = size - 1;
  switch (data[0] % 3) {
    case 0:
      check_path(in, n);
      break;
    case 1: {
      uint64_t fsize = n > 0 ? (uint64_t) (unsigned char) in[0] * 37 : 0, start = 0, len = 0;
      int r = mg_http_range(mg_str_n(in, n), fsize, &start, &len);
      if (r == 1) FUZZ_CHECK(len > 0 && start < fsize && start + len <= fsize, "range outside");
      break;
    }
    default: {
      int64_t t = mg_http_parse_date(mg_str_n(in, n));
      if (t >= 0) {
        char buf[64];
        size_t k = mg_http_date(buf, sizeof(buf), t);
        struct mg_str trimmed = mg_str_trim(mg_str_n(in, n));
        // Day names are not checked by the parser: compare from the day on.
        FUZZ_CHECK(k == 29 && trimmed.len == 29 && memcmp(buf + 5, trimmed.buf + 5, 24) == 0,
                   "date round trip: [%s]", buf);
      }
      break;
    }
  }
  return 0;
}
