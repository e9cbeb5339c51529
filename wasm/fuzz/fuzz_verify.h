// fuzz_verify.h: check what a server sent, as a strict client would read it.
//
// The output must be a sequence of responses that the core's own parser
// accepts, each framed unambiguously (at most one Content-Length or
// Transfer-Encoding: chunked; no framing only with Connection: close), with
// nothing after a Connection: close response. Interim 1xx responses carry no
// framing. When `truncated_ok`, the last response may be cut short (the
// connection was closed, dropping queued output); a malformed part is still
// an error.
#ifndef FUZZ_VERIFY_H
#define FUZZ_VERIFY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "http.h"

// Called with each final response's decoded body.
typedef void (*fv_body_fn)(int index, const unsigned char *body, size_t len, int bodiless);

static inline int fv_hex(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') return (ch | 0x20) - 'a' + 10;
  return -1;
}

// Decode a chunked body at out[*pos..len) into dec. 1 done, 0 cut short,
// -1 malformed.
static inline int fv_dechunk(const unsigned char *out, size_t len, size_t *pos,
                             unsigned char *dec, size_t *dec_len) {
  size_t i = *pos;
  *dec_len = 0;
  for (;;) {
    uint64_t size = 0;
    size_t digits = 0;
    while (i < len && fv_hex(out[i]) >= 0 && digits < 16) {
      size = size * 16 + (uint64_t) fv_hex(out[i++]);
      digits++;
    }
    if (i >= len || (out[i] == '\r' && i + 1 >= len)) return 0;
    if (digits == 0 || out[i] != '\r' || out[i + 1] != '\n') return -1;
    i += 2;
    if (size == 0) break;
    if (size > len - i || len - i - size < 2) return 0;
    memcpy(dec + *dec_len, out + i, (size_t) size);
    *dec_len += (size_t) size;
    i += (size_t) size;
    if (out[i] != '\r' || out[i + 1] != '\n') return -1;
    i += 2;
  }
  if (i + 2 > len) return 0;
  if (out[i] != '\r' || out[i + 1] != '\n') return -1;  // the core sends no trailers
  *pos = i + 2;
  return 1;
}

static inline struct mg_str fv_header(const struct mg_http_message *hm, const char *name,
                                      int *count) {
  struct mg_str v = {NULL, 0};
  *count = 0;
  for (uint32_t i = 0; i < hm->num_headers; i++) {
    if (mg_str_ieq(hm->headers[i].name, name)) v = hm->headers[i].value, (*count)++;
  }
  return v;
}

// Walk out[0..len). `head_request`: every request was HEAD (bodies are not
// sent). `http10`: chunked framing is not allowed. Returns the number of
// final (non-1xx) responses.
static inline int fv_responses(const unsigned char *out, size_t len, int head_request,
                               int http10, int truncated_ok, fv_body_fn on_body) {
  static struct mg_http_message hm;
  size_t pos = 0;
  int finals = 0;
  unsigned char *dec = (unsigned char *) malloc(len + 1);
  while (pos < len) {
    int n = mg_http_parse((const char *) out + pos, len - pos, &hm, 1u << 20,
                          MG_MAX_HTTP_HEADERS);
    if (n == 0 && truncated_ok) break;
    FUZZ_CHECK(n > 0, "response head at offset %zu does not parse (%d): \"%.*s\"", pos, n,
               (int) (len - pos < 300 ? len - pos : 300), (const char *) out + pos);
    FUZZ_CHECK(fc_is_response(&hm), "output at offset %zu is not a response", pos);
    fc_check_head(&hm, (const char *) out + pos, (const char *) out + pos + n,
                  MG_MAX_HTTP_HEADERS, 0);
    pos += (size_t) n;
    int st = mg_http_status(&hm), ncl, nte, nconn;
    struct mg_str cl = fv_header(&hm, "Content-Length", &ncl);
    struct mg_str te = fv_header(&hm, "Transfer-Encoding", &nte);
    struct mg_str cn = fv_header(&hm, "Connection", &nconn);
    FUZZ_CHECK(ncl + nte <= 1, "ambiguous framing: %d Content-Length, %d Transfer-Encoding",
               ncl, nte);
    int closes = nconn > 0 && mg_str_has_token(cn, "close");
    if (st >= 100 && st < 200 && st != 101) {
      FUZZ_CHECK(ncl + nte == 0, "interim %d response with framing headers", st);
      continue;
    }
    int bodiless = st < 200 || st == 204 || st == 304 || head_request;
    size_t got = 0;
    if (bodiless) {
      // Nothing follows but the next response.
    } else if (nte == 1) {
      FUZZ_CHECK(mg_str_ieq(te, "chunked"), "Transfer-Encoding: %.*s", (int) te.len, te.buf);
      FUZZ_CHECK(!http10, "chunked response to an HTTP/1.0 request");
      int r = fv_dechunk(out, len, &pos, dec, &got);
      FUZZ_CHECK(r >= 0, "malformed chunked body at offset %zu", pos);
      if (r == 0) {
        FUZZ_CHECK(truncated_ok, "chunked body cut short at offset %zu", pos);
        break;
      }
    } else if (ncl == 1) {
      uint64_t v = 0;
      FUZZ_CHECK(mg_str_to_u64(cl, &v), "Content-Length: %.*s", (int) cl.len, cl.buf);
      if (v > len - pos) {
        FUZZ_CHECK(truncated_ok, "Content-Length %llu, only %zu bytes follow",
                   (unsigned long long) v, len - pos);
        break;
      }
      memcpy(dec, out + pos, (size_t) v);
      got = (size_t) v;
      pos += got;
    } else {
      FUZZ_CHECK(closes, "response without framing and without Connection: close");
      got = len - pos;
      memcpy(dec, out + pos, got);
      pos = len;
    }
    if (on_body) on_body(finals, dec, got, bodiless);
    finals++;
    if (closes) FUZZ_CHECK(pos == len, "%zu bytes after a Connection: close response", len - pos);
  }
  free(dec);
  return finals;
}

#endif
