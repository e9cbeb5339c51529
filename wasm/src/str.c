// str.c: counted-string helpers.
#include "str.h"

#include <string.h>

struct mg_str mg_str_n(const char *buf, size_t len) {
  struct mg_str s;
  s.buf = buf;
  s.len = len;
  return s;
}

struct mg_str mg_str_s(const char *s) {
  return mg_str_n(s, s == NULL ? 0 : strlen(s));
}

int mg_lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

static int cmp(struct mg_str a, struct mg_str b, bool fold) {
  size_t i;
  for (i = 0; i < a.len && i < b.len; i++) {
    int x = (unsigned char) a.buf[i], y = (unsigned char) b.buf[i];
    if (fold) x = mg_lower(x), y = mg_lower(y);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.len == b.len) return 0;
  return a.len < b.len ? -1 : 1;
}

int mg_strcmp(struct mg_str a, struct mg_str b) {
  return cmp(a, b, false);
}

int mg_strcasecmp(struct mg_str a, struct mg_str b) {
  return cmp(a, b, true);
}

bool mg_str_ieq(struct mg_str a, const char *s) {
  size_t i;
  // Stops at the first difference: most header names differ early.
  for (i = 0; i < a.len; i++) {
    if (s[i] == '\0' || mg_lower((unsigned char) a.buf[i]) != mg_lower((unsigned char) s[i])) {
      return false;
    }
  }
  return s[i] == '\0';
}

static bool is_ows(char ch) {
  return ch == ' ' || ch == '\t';
}

struct mg_str mg_str_trim(struct mg_str s) {
  while (s.len > 0 && is_ows(s.buf[0])) s.buf++, s.len--;
  while (s.len > 0 && is_ows(s.buf[s.len - 1])) s.len--;
  return s;
}

bool mg_str_to_u64(struct mg_str s, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (s.len == 0) return false;
  for (i = 0; i < s.len; i++) {
    unsigned d = (unsigned) (unsigned char) s.buf[i] - '0';
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool mg_str_split(struct mg_str *list, struct mg_str *item, char sep) {
  size_t i = 0;
  if (list->buf == NULL || list->len == 0) return false;
  while (i < list->len && list->buf[i] != sep) i++;
  *item = mg_str_trim(mg_str_n(list->buf, i));
  if (i < list->len) i++;  // skip the separator
  list->buf += i;
  list->len -= i;
  return true;
}

bool mg_str_has_token(struct mg_str s, const char *token) {
  struct mg_str item;
  while (mg_str_split(&s, &item, ',')) {
    if (mg_str_ieq(item, token)) return true;
  }
  return false;
}
