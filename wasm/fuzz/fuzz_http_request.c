// fuzz_http_request.c: mg_http_parse on arbitrary request heads.
//
// The input is the raw bytes a peer sent (a status line parses too: the
// parser serves both directions). Checks, besides ASan/UBSan:
// - the result is 0, a known MG_HTTP_ERR_* or a length <= the input;
// - a complete head's views lie inside it and obey fc_check_head();
// - parsing is deterministic and prefix-stable: any shorter prefix of a
//   complete head asks for more bytes (0), never errors or completes early;
// - tighter limits only ever turn a success into TOO_LARGE / TOO_MANY.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "fuzz_host.h"
#include "http.h"

#define DEFAULT_MAX_HEAD 16384
#define DEFAULT_MAX_HEADERS MG_MAX_HTTP_HEADERS

static struct mg_http_message hm, hm2;

static int parse_copy(const uint8_t *data, size_t len, struct mg_http_message *out,
                      size_t max_head, size_t max_headers) {
  // An exact-size heap copy: any read past `len` is an ASan report.
  char *copy = (char *) malloc(len ? len : 1);
  if (len) memcpy(copy, data, len);
  int r = mg_http_parse(copy, len, out, max_head, max_headers);
  if (r > 0) fc_check_head(out, copy, copy + r, max_headers, !fc_is_response(out));
  free(copy);
  return r;
}

static void check_result(int r, size_t len) {
  FUZZ_CHECK(r == 0 || r == MG_HTTP_ERR_BAD || r == MG_HTTP_ERR_TOO_LARGE ||
                 r == MG_HTTP_ERR_TOO_MANY || (r > 0 && (size_t) r <= len),
             "mg_http_parse returned %d for %zu bytes", r, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *) data;
  memset(&hm, 0, sizeof(hm));
  int n = mg_http_parse(buf, size, &hm, DEFAULT_MAX_HEAD, DEFAULT_MAX_HEADERS);
  check_result(n, size);
  if (n > 0) {
    fc_check_head(&hm, buf, buf + n, DEFAULT_MAX_HEADERS, !fc_is_response(&hm));
    // Empty lines before the start line may be skipped: the head ends at n.
    FUZZ_CHECK(hm.head.len > 0 && hm.head.buf + hm.head.len == buf + n,
               "head [%zu, +%zu) does not end at the parsed length %d",
               (size_t) (hm.head.buf - buf), (size_t) hm.head.len, n);
    // Lookups on the parsed message must stay inside it too.
    static const char *names[] = {"Host", "content-length", "Transfer-Encoding",
                                  "Connection", "Expect", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
      struct mg_str *v = mg_http_get_header(&hm, names[i]);
      if (v != NULL) fc_str_inside(v, buf, buf + n, "mg_http_get_header");
    }
    // The Host grammar reads only inside the value (ASan), whatever it holds.
    for (uint32_t i = 0; i < hm.num_headers; i++) (void) mg_http_host_valid(hm.headers[i].value);

    // Same bytes, exactly the head: same answer.
    int again = parse_copy(data, (size_t) n, &hm2, DEFAULT_MAX_HEAD, DEFAULT_MAX_HEADERS);
    FUZZ_CHECK(again == n, "head alone parses to %d, with the rest to %d", again, n);
    FUZZ_CHECK(hm2.num_headers == hm.num_headers, "header count differs: %u vs %u",
               (unsigned) hm2.num_headers, (unsigned) hm.num_headers);

    // Strict prefixes of a complete head are incomplete, never wrong.
    size_t cuts[3] = {(size_t) n - 1, (size_t) n / 2, (size_t) n > 2 ? 2 : 1};
    for (int i = 0; i < 3; i++) {
      if (cuts[i] == 0 || cuts[i] >= (size_t) n) continue;
      int p = parse_copy(data, cuts[i], &hm2, DEFAULT_MAX_HEAD, DEFAULT_MAX_HEADERS);
      FUZZ_CHECK(p == 0, "prefix of %zu bytes of a %d-byte head gives %d", cuts[i], n, p);
    }
  }

  // Tight limits chosen by the input's last byte.
  if (size > 0) {
    unsigned char k = data[size - 1];
    size_t max_head = 16 + (size_t) (k & 0x1f) * 8;   // 16..264
    size_t max_headers = 1 + (size_t) (k >> 5);       // 1..8
    int t = parse_copy(data, size, &hm2, max_head, max_headers);
    check_result(t, size);
    if (t > 0) {
      FUZZ_CHECK(t == n, "tight limits parse %d, default limits %d", t, n);
      FUZZ_CHECK((size_t) t <= max_head + 4, "head of %d bytes accepted with max %zu", t,
                 max_head);
    }
    if (n > 0 && t != n) {
      FUZZ_CHECK(t == MG_HTTP_ERR_TOO_LARGE || t == MG_HTTP_ERR_TOO_MANY,
                 "valid head (%d) under tight limits gives %d", n, t);
    }
  }
  return 0;
}
