// fuzz_url.c: URL splitting and percent-decoding (url.c).
//
// Input: the whole input is the URL / encoded text; in[0] also picks the
// form flag. Checks: every part lies inside the input and the parts appear
// in order; mg_url_port is 0..65535; decoding never grows the text and
// decode(encode(x)) == x. (Form variables: fuzz target of http_form.c.)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"
#include "url.h"

static void inside(struct mg_str s, const char *lo, size_t n, const char *what) {
  if (s.len == 0) return;
  FUZZ_CHECK(s.buf >= lo && s.buf + s.len <= lo + n, "%s outside the URL", what);
  fh_touch(s.buf, s.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n) {
  const char *s = (const char *) in;
  struct mg_url_parts p;
  char *enc, *dec;
  size_t elen;
  long dlen;
  bool form = n > 0 && (in[0] & 1);
  mg_url_split(mg_str_n(s, n), &p);
  inside(p.scheme, s, n, "scheme");
  inside(p.user, s, n, "user");
  inside(p.pass, s, n, "pass");
  inside(p.host, s, n, "host");
  inside(p.port, s, n, "port");
  inside(p.uri, s, n, "uri");
  if (p.host.len && p.uri.len) FUZZ_CHECK(p.host.buf + p.host.len <= p.uri.buf, "host after uri");
  if (p.port.len && p.uri.len) FUZZ_CHECK(p.port.buf + p.port.len <= p.uri.buf, "port after uri");
  FUZZ_CHECK(mg_url_port(mg_str_n(s, n)) <= 65535, "port out of range");
  (void) mg_url_is_ssl(mg_str_n(s, n));

  dec = (char *) malloc(n + 1);
  dlen = mg_url_decode(s, n, dec, form);
  FUZZ_CHECK(dlen <= (long) n, "decoded longer than the input");
  enc = (char *) malloc(3 * n + 1);
  elen = mg_url_encode(s, n, enc, 3 * n);
  FUZZ_CHECK(n == 0 || elen >= n, "encoding lost bytes");
  dlen = mg_url_decode(enc, elen, dec, false);
  FUZZ_CHECK(dlen == (long) n && memcmp(dec, s, n) == 0, "decode(encode(x)) != x");
  free(enc);
  free(dec);
  return 0;
}
