// json.c: one pass over the document validates it (RFC 8259 grammar) and
// notes where the value at the wanted path starts and ends. The path is
// matched as the scan descends: a container is "on the path" while every
// step so far matched, so no second pass and no allocation is needed.
#include "json.h"

#include <string.h>

struct scan {
  const char *s;
  size_t n, i;
  const char *path;   // after the leading '$'
  size_t plen;
  int found_off, found_len;
  int err;            // 0, MG_JSON_INVALID or MG_JSON_TOO_DEEP
};

static void skip_ws(struct scan *x) {
  while (x->i < x->n) {
    char c = x->s[x->i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    x->i++;
  }
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A string starting at x->i (the quote); leaves x->i after the closing quote.
static bool scan_string(struct scan *x) {
  size_t i = x->i + 1;
  while (i < x->n) {
    unsigned char c = (unsigned char) x->s[i];
    if (c == '"') {
      x->i = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      char e;
      if (i + 1 >= x->n) return false;
      e = x->s[i + 1];
      if (e == 'u') {
        int k;
        if (i + 6 > x->n) return false;
        for (k = 2; k < 6; k++) {
          if (hexval(x->s[i + k]) < 0) return false;
        }
        i += 6;
        continue;
      }
      if (strchr("\"\\/bfnrt", e) == NULL || e == '\0') return false;
      i += 2;
      continue;
    }
    i++;
  }
  return false;
}

static bool scan_number(struct scan *x) {
  size_t i = x->i;
  if (i < x->n && x->s[i] == '-') i++;
  if (i >= x->n) return false;
  if (x->s[i] == '0') {
    i++;
  } else if (is_digit(x->s[i])) {
    while (i < x->n && is_digit(x->s[i])) i++;
  } else {
    return false;
  }
  if (i < x->n && x->s[i] == '.') {
    i++;
    if (i >= x->n || !is_digit(x->s[i])) return false;
    while (i < x->n && is_digit(x->s[i])) i++;
  }
  if (i < x->n && (x->s[i] == 'e' || x->s[i] == 'E')) {
    i++;
    if (i < x->n && (x->s[i] == '+' || x->s[i] == '-')) i++;
    if (i >= x->n || !is_digit(x->s[i])) return false;
    while (i < x->n && is_digit(x->s[i])) i++;
  }
  x->i = i;
  return true;
}

static bool scan_word(struct scan *x, const char *w) {
  size_t len = strlen(w);
  if (x->n - x->i < len || memcmp(x->s + x->i, w, len) != 0) return false;
  x->i += len;
  return true;
}

// The next path step at `pos` of x->path: a ".key" (kind '.') or "[n]"
// (kind '['). Returns false at the end of the path or on a malformed step
// (then *bad is set).
static bool path_step(const struct scan *x, size_t pos, char *kind, struct mg_str *key,
                      size_t *idx, size_t *next, bool *bad) {
  const char *p = x->path;
  size_t n = x->plen, i;
  *bad = false;
  if (pos >= n) return false;
  if (p[pos] == '.') {
    for (i = pos + 1; i < n && p[i] != '.' && p[i] != '['; i++) {
    }
    if (i == pos + 1) return (*bad = true), false;
    *kind = '.';
    *key = mg_str_n(p + pos + 1, i - pos - 1);
    *next = i;
    return true;
  }
  if (p[pos] == '[') {
    size_t v = 0;
    for (i = pos + 1; i < n && is_digit(p[i]); i++) {
      if (v > 100000000) return (*bad = true), false;
      v = v * 10 + (size_t) (p[i] - '0');
    }
    if (i == pos + 1 || i >= n || p[i] != ']') return (*bad = true), false;
    *kind = '[';
    *idx = v;
    *next = i + 1;
    return true;
  }
  *bad = true;
  return false;
}

// A value at x->i. `on` says whether this value is on the path so far, with
// `pos` the part of the path still to match.
static bool scan_value(struct scan *x, int depth, bool on, size_t pos) {
  size_t start;
  char c, kind = 0;
  struct mg_str key = {NULL, 0};
  size_t idx = 0, next = 0;
  bool bad = false, more = false;
  skip_ws(x);
  if (x->i >= x->n) return false;
  start = x->i;
  if (on) {
    more = path_step(x, pos, &kind, &key, &idx, &next, &bad);
    if (bad) on = false;
  }
  c = x->s[x->i];
  if (c == '{' || c == '[') {
    size_t count = 0;
    char close = c == '{' ? '}' : ']';
    if (depth >= MG_JSON_MAX_DEPTH) {
      x->err = MG_JSON_TOO_DEEP;
      return false;
    }
    x->i++;
    skip_ws(x);
    if (x->i < x->n && x->s[x->i] == close) {
      x->i++;
    } else {
      for (;;) {
        bool child_on = false;
        if (c == '{') {
          size_t k0;
          skip_ws(x);
          if (x->i >= x->n || x->s[x->i] != '"') return false;
          k0 = x->i;
          if (!scan_string(x)) return false;
          child_on = on && more && kind == '.' && x->i - k0 - 2 == key.len &&
                     memcmp(x->s + k0 + 1, key.buf, key.len) == 0;
          skip_ws(x);
          if (x->i >= x->n || x->s[x->i] != ':') return false;
          x->i++;
        } else {
          child_on = on && more && kind == '[' && idx == count;
        }
        if (!scan_value(x, depth + 1, child_on, next)) return false;
        count++;
        skip_ws(x);
        if (x->i >= x->n) return false;
        if (x->s[x->i] == ',') {
          x->i++;
          continue;
        }
        if (x->s[x->i] != close) return false;
        x->i++;
        break;
      }
    }
  } else if (c == '"') {
    if (!scan_string(x)) return false;
  } else if (c == '-' || is_digit(c)) {
    if (!scan_number(x)) return false;
  } else if (!scan_word(x, "true") && !scan_word(x, "false") && !scan_word(x, "null")) {
    return false;
  }
  if (on && !more && x->found_off < 0) {
    x->found_off = (int) start;
    x->found_len = (int) (x->i - start);
  }
  return true;
}

int mg_json_get(struct mg_str json, struct mg_str path, int *toklen) {
  struct scan x;
  bool on;
  memset(&x, 0, sizeof(x));
  x.s = json.buf;
  x.n = json.len > 0x7fffffff ? 0x7fffffff : json.len;
  x.found_off = -1;
  on = path.len > 0 && path.buf[0] == '$';
  x.path = on ? path.buf + 1 : "";
  x.plen = on ? path.len - 1 : 0;
  if (toklen != NULL) *toklen = 0;
  if (!scan_value(&x, 0, on, 0)) return x.err != 0 ? x.err : MG_JSON_INVALID;
  skip_ws(&x);
  if (x.i != x.n) return MG_JSON_INVALID;
  if (x.found_off < 0) return MG_JSON_NOT_FOUND;
  if (toklen != NULL) *toklen = x.found_len;
  return x.found_off;
}

static const double s_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Exact when the digits fit in 2^53 and the exponent in 10^22 (both sides
// exactly representable: one rounding); otherwise within a few ulps.
double mg_json_num(const char *s, size_t len) {
  size_t i = 0;
  bool neg = false;
  uint64_t mant = 0;
  long exp10 = 0, e = 0;
  int digits = 0;
  double v;
  if (i < len && s[i] == '-') neg = true, i++;
  for (; i < len && is_digit(s[i]); i++) {
    if (digits < 19) {
      mant = mant * 10 + (uint64_t) (s[i] - '0');
      if (mant != 0) digits++;
    } else {
      exp10++;
    }
  }
  if (i < len && s[i] == '.') {
    for (i++; i < len && is_digit(s[i]); i++) {
      if (digits < 19) {
        mant = mant * 10 + (uint64_t) (s[i] - '0');
        if (mant != 0) digits++;
        exp10--;
      }
    }
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    bool eneg = false;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-')) eneg = s[i] == '-', i++;
    for (; i < len && is_digit(s[i]); i++) {
      if (e < 100000) e = e * 10 + (s[i] - '0');
    }
    exp10 += eneg ? -e : e;
  }
  v = (double) mant;
  if (mant == 0) {
    v = 0;
  } else if (mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    v = exp10 < 0 ? v / s_pow10[-exp10] : v * s_pow10[exp10];
  } else {
    while (exp10 > 22) {
      v *= 1e22, exp10 -= 22;
      if (v > 1.7e308) break;
    }
    while (exp10 < -22) {
      // Keep the intermediate away from the subnormal range as long as possible.
      v /= 1e22, exp10 += 22;
      if (v == 0) break;
    }
    if (exp10 > 0 && exp10 <= 22) v *= s_pow10[exp10];
    if (exp10 < 0 && exp10 >= -22) v /= s_pow10[-exp10];
  }
  return neg ? -v : v;
}

bool mg_json_get_num(struct mg_str json, struct mg_str path, double *out) {
  int len, off = mg_json_get(json, path, &len);
  char c;
  if (off < 0) return false;
  c = json.buf[off];
  if (c != '-' && !is_digit(c)) return false;
  *out = mg_json_num(json.buf + off, (size_t) len);
  return true;
}

bool mg_json_get_bool(struct mg_str json, struct mg_str path, bool *out) {
  int len, off = mg_json_get(json, path, &len);
  if (off < 0) return false;
  if (json.buf[off] == 't') *out = true;
  else if (json.buf[off] == 'f') *out = false;
  else return false;
  return true;
}

static size_t put_utf8(char *dst, uint32_t cp) {
  unsigned char *d = (unsigned char *) dst;
  if (cp < 0x80) {
    d[0] = (unsigned char) cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (unsigned char) (0xc0 | (cp >> 6));
    d[1] = (unsigned char) (0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (unsigned char) (0xe0 | (cp >> 12));
    d[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    d[2] = (unsigned char) (0x80 | (cp & 0x3f));
    return 3;
  }
  d[0] = (unsigned char) (0xf0 | (cp >> 18));
  d[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
  d[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
  d[3] = (unsigned char) (0x80 | (cp & 0x3f));
  return 4;
}

static bool hex4(const char *s, size_t len, size_t i, uint32_t *out) {
  uint32_t v = 0;
  size_t k;
  if (i + 4 > len) return false;
  for (k = 0; k < 4; k++) {
    int h = hexval(s[i + k]);
    if (h < 0) return false;
    v = (v << 4) | (uint32_t) h;
  }
  *out = v;
  return true;
}

long mg_json_unescape(const char *s, size_t len, char *dst) {
  size_t i = 0, o = 0;
  while (i < len) {
    char c = s[i];
    uint32_t cp, lo;
    if (c != '\\') {
      dst[o++] = c;
      i++;
      continue;
    }
    if (i + 1 >= len) return -1;
    c = s[i + 1];
    i += 2;
    switch (c) {
      case '"': dst[o++] = '"'; continue;
      case '\\': dst[o++] = '\\'; continue;
      case '/': dst[o++] = '/'; continue;
      case 'b': dst[o++] = '\b'; continue;
      case 'f': dst[o++] = '\f'; continue;
      case 'n': dst[o++] = '\n'; continue;
      case 'r': dst[o++] = '\r'; continue;
      case 't': dst[o++] = '\t'; continue;
      case 'u': break;
      default: return -1;
    }
    if (!hex4(s, len, i, &cp)) return -1;
    i += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u' &&
        hex4(s, len, i + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      i += 6;
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      cp = 0xfffd;  // lone surrogate: not representable in UTF-8
    }
    // Output never overtakes input: \uXXXX (6) -> at most 3, a pair (12) -> 4.
    o += put_utf8(dst + o, cp);
  }
  return (long) o;
}

static int s_toklen;

int mgx_json_get(const char *json, size_t jlen, const char *path, size_t plen) {
  return mg_json_get(mg_str_n(json, jlen), mg_str_n(path, plen), &s_toklen);
}

int mgx_json_toklen(void) {
  return s_toklen;
}

long mgx_json_unescape(char *s, size_t len) {
  return mg_json_unescape(s, len, s);
}

double mgx_json_num(const char *s, size_t len) {
  return mg_json_num(s, len);
}
