// fuzz_checks.h: invariants of a parsed struct mg_http_message, shared by the
// HTTP fuzz targets. Every check reads the bytes it validates, so a view that
// points outside its buffer is caught by ASan even when the bounds look sane.
#ifndef FUZZ_CHECKS_H
#define FUZZ_CHECKS_H

#include <stdint.h>
#include <string.h>

#include "fuzz_host.h"
#include "http.h"

// s lies inside [lo, hi) (empty strings may point anywhere, even NULL).
static inline void fc_str_inside(const struct mg_str *s, const char *lo, const char *hi,
                                 const char *what) {
  if (s->len == 0) return;
  uintptr_t b = (uintptr_t) s->buf, l = (uintptr_t) lo, h = (uintptr_t) hi;
  FUZZ_CHECK(s->buf != NULL, "%s: NULL with length %zu", what, (size_t) s->len);
  FUZZ_CHECK(b >= l && b <= h && s->len <= h - b,
             "%s: [%p, +%zu) outside [%p, %p)", what, (const void *) s->buf,
             (size_t) s->len, (const void *) lo, (const void *) hi);
  fh_touch(s->buf, s->len);
}

// No CR, LF or NUL inside a parsed element: those would let a peer smuggle
// lines into whatever the application builds from it.
static inline void fc_no_crlf_nul(const struct mg_str *s, const char *what) {
  for (size_t i = 0; i < s->len; i++) {
    unsigned char ch = (unsigned char) s->buf[i];
    FUZZ_CHECK(ch != '\r' && ch != '\n' && ch != 0, "%s: byte 0x%02x at %zu", what, ch, i);
  }
}

static inline int fc_is_tchar(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return 1;
  if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') return 1;
  return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

// A parsed status line: mg_http_parse puts the version in `method`.
static inline int fc_is_response(const struct mg_http_message *hm) {
  return hm->method.len >= 5 && memcmp(hm->method.buf, "HTTP/", 5) == 0;
}

// The head-level fields of hm (everything but body/message) lie in
// [lo, hi), are free of CR/LF/NUL, header names are non-empty tokens, and
// the header count is within max_headers.
static inline void fc_check_head(const struct mg_http_message *hm, const char *lo,
                                 const char *hi, size_t max_headers, int is_request) {
  FUZZ_CHECK(hm->num_headers <= max_headers && hm->num_headers <= MG_MAX_HTTP_HEADERS,
             "num_headers %u over max %zu", (unsigned) hm->num_headers, max_headers);
  fc_str_inside(&hm->method, lo, hi, "method");
  fc_str_inside(&hm->uri, lo, hi, "uri");
  fc_str_inside(&hm->query, lo, hi, "query");
  fc_str_inside(&hm->proto, lo, hi, "proto");
  fc_str_inside(&hm->head, lo, hi, "head");
  fc_no_crlf_nul(&hm->method, "method");
  fc_no_crlf_nul(&hm->uri, "uri");
  fc_no_crlf_nul(&hm->query, "query");
  fc_no_crlf_nul(&hm->proto, "proto");
  if (is_request) {
    FUZZ_CHECK(hm->method.len > 0, "request without a method");
    for (size_t i = 0; i < hm->method.len; i++) {
      FUZZ_CHECK(fc_is_tchar((unsigned char) hm->method.buf[i]), "method byte 0x%02x",
                 (unsigned char) hm->method.buf[i]);
    }
    // (uri may be empty: the target "?x" gives uri "" and query "x".)
    for (size_t i = 0; i < hm->uri.len; i++) {
      FUZZ_CHECK(hm->uri.buf[i] != ' ', "space inside the URI");
    }
  }
  for (uint32_t i = 0; i < hm->num_headers && i < MG_MAX_HTTP_HEADERS; i++) {
    const struct mg_http_header *h = &hm->headers[i];
    fc_str_inside(&h->name, lo, hi, "header name");
    fc_str_inside(&h->value, lo, hi, "header value");
    FUZZ_CHECK(h->name.len > 0, "header %u has an empty name", (unsigned) i);
    for (size_t j = 0; j < h->name.len; j++) {
      FUZZ_CHECK(fc_is_tchar((unsigned char) h->name.buf[j]), "header %u name byte 0x%02x",
                 (unsigned) i, (unsigned char) h->name.buf[j]);
    }
    fc_no_crlf_nul(&h->value, "header value");
  }
}

#endif
