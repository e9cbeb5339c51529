// fuzz_base64.c: the strict base64 decoder (base64.c).
//
// Checks: an accepted input decodes to bytes whose encoding is the input
// (padding added when the input had none): one canonical text per value;
// decode(encode(x)) == x for the raw input bytes; decoding in place gives
// the same bytes as decoding into a separate buffer.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fuzz_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n) {
  const char *s = (const char *) in;
  unsigned char *out = (unsigned char *) malloc(n + 4);  // both decodes fit
  char *enc = (char *) malloc((n / 3 + 2) * 4);
  char *copy = (char *) malloc(n + 1);
  long d = mg_base64_decode(s, n, out);
  size_t e;
  if (d >= 0) {
    size_t padded = (n + 3) / 4 * 4;
    FUZZ_CHECK((size_t) d <= n / 4 * 3 + 2, "decoded too long");
    e = mg_base64_encode(out, (size_t) d, enc);
    FUZZ_CHECK(e == padded && memcmp(enc, s, n) == 0, "accepted a non-canonical text");
    memcpy(copy, s, n);
    FUZZ_CHECK(mg_base64_decode(copy, n, (unsigned char *) copy) == d &&
                   memcmp(copy, out, (size_t) d) == 0,
               "in-place decode differs");
  }
  e = mg_base64_encode(in, n, enc);
  d = mg_base64_decode(enc, e, out);
  FUZZ_CHECK(d == (long) n && memcmp(out, in, n) == 0, "decode(encode(x)) != x");
  free(out);
  free(enc);
  free(copy);
  return 0;
}
