// match.c: the classic wildcard matcher with one backtrack point (the last
// '*' or '#' seen): on a mismatch the run of that wildcard grows by one and
// matching resumes after it. Earlier wildcards keep their shortest run, which
// is also what fixes their captures.
#include "match.h"

#include <stdint.h>

static void set_cap(struct mg_str *caps, size_t ncaps, size_t k, const char *buf, size_t len) {
  if (caps != NULL && k < ncaps) caps[k] = mg_str_n(buf, len);
}

bool mg_match(struct mg_str s, struct mg_str p, struct mg_str *caps, size_t ncaps) {
  size_t i = 0, j = 0, k = 0;                // pattern, string, next capture
  size_t star_i = SIZE_MAX, star_j = 0, star_k = 0, star_from = 0;
  size_t n;
  for (n = 0; caps != NULL && n < ncaps; n++) caps[n] = mg_str_n(NULL, 0);
  while (i < p.len || j < s.len) {
    if (i < p.len) {
      char c = p.buf[i];
      if (c == '*' || c == '#') {
        star_i = i, star_j = j, star_k = k, star_from = j;
        set_cap(caps, ncaps, k++, s.buf + j, 0);
        i++;
        continue;
      }
      if (j < s.len && (c == '?' || c == s.buf[j])) {
        if (c == '?') set_cap(caps, ncaps, k++, s.buf + j, 1);
        i++, j++;
        continue;
      }
    }
    // Mismatch: grow the last wildcard's run by one, if it can take s[star_j].
    if (star_i != SIZE_MAX && star_j < s.len && (p.buf[star_i] == '#' || s.buf[star_j] != '/')) {
      star_j++;
      set_cap(caps, ncaps, star_k, s.buf + star_from, star_j - star_from);
      i = star_i + 1, j = star_j, k = star_k + 1;
      continue;
    }
    return false;
  }
  return true;
}

int mgx_match(const char *s, size_t slen, const char *p, size_t plen, uint32_t *out, size_t ncaps) {
  struct mg_str caps[16];
  size_t i, n = ncaps < 16 ? ncaps : 16;
  bool ok;
  // Patterns with more wildcards than this get their first 16 captures.
  ok = mg_match(mg_str_n(s, slen), mg_str_n(p, plen), caps, n);
  for (i = 0; ok && out != NULL && i < n; i++) {
    out[2 * i] = caps[i].buf == NULL ? 0 : (uint32_t) (caps[i].buf - s);
    out[2 * i + 1] = (uint32_t) caps[i].len;
  }
  return ok ? 1 : 0;
}
