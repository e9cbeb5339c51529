// url.c: URL splitting and percent-encoding.
#include "url.h"

#include <string.h>

static size_t find(struct mg_str s, size_t from, const char *set) {
  size_t i;
  for (i = from; i < s.len; i++) {
    if (strchr(set, s.buf[i]) != NULL && s.buf[i] != '\0') return i;
  }
  return s.len;
}

void mg_url_split(struct mg_str url, struct mg_url_parts *p) {
  size_t a = 0, end, at, i, h0, h1;
  memset(p, 0, sizeof(*p));
  p->scheme = p->user = p->pass = p->host = p->port = p->uri = mg_str_n(url.buf, 0);
  for (i = 0; i + 2 < url.len; i++) {
    if (url.buf[i] == '/' || url.buf[i] == '?' || url.buf[i] == '@') break;
    if (url.buf[i] == ':' && url.buf[i + 1] == '/' && url.buf[i + 2] == '/') {
      p->scheme = mg_str_n(url.buf, i);
      a = i + 3;
      break;
    }
  }
  end = find(url, a, "/?#");  // authority ends here
  if (end < url.len) p->uri = mg_str_n(url.buf + end, url.len - end);
  at = end;
  for (i = end; i > a; i--) {  // userinfo: up to the last '@'
    if (url.buf[i - 1] == '@') {
      at = i - 1;
      break;
    }
  }
  h0 = a;
  if (at < end) {
    size_t colon = find(mg_str_n(url.buf, at), a, ":");
    p->user = mg_str_n(url.buf + a, colon - a);
    if (colon < at) p->pass = mg_str_n(url.buf + colon + 1, at - colon - 1);
    h0 = at + 1;
  }
  h1 = h0;
  if (h0 < end && url.buf[h0] == '[') {
    while (h1 < end && url.buf[h1] != ']') h1++;
    if (h1 < end) h1++;
  } else {
    while (h1 < end && url.buf[h1] != ':') h1++;
  }
  p->host = mg_str_n(url.buf + h0, h1 - h0);
  if (h1 < end && url.buf[h1] == ':') p->port = mg_str_n(url.buf + h1 + 1, end - h1 - 1);
}

static bool scheme_is(struct mg_str s, const char *name) {
  return mg_str_ieq(s, name);
}

unsigned mg_url_port(struct mg_str url) {
  struct mg_url_parts p;
  uint64_t v;
  mg_url_split(url, &p);
  if (p.port.len > 0) return mg_str_to_u64(p.port, &v) && v <= 65535 ? (unsigned) v : 0;
  if (scheme_is(p.scheme, "http") || scheme_is(p.scheme, "ws")) return 80;
  if (scheme_is(p.scheme, "https") || scheme_is(p.scheme, "wss")) return 443;
  if (scheme_is(p.scheme, "mqtt")) return 1883;
  if (scheme_is(p.scheme, "mqtts")) return 8883;
  return 0;
}

bool mg_url_is_ssl(struct mg_str url) {
  static const char *const ssl[] = {"wss", "https", "mqtts", "ssl", "tls", "tcps"};
  struct mg_url_parts p;
  size_t i;
  mg_url_split(url, &p);
  for (i = 0; i < sizeof(ssl) / sizeof(ssl[0]); i++) {
    if (scheme_is(p.scheme, ssl[i])) return true;
  }
  return false;
}

// RFC 3986 unreserved characters only, as the reference encodes: "$", "/"
// and the other sub-delims are percent-encoded too.
static bool url_safe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

size_t mg_url_encode(const char *s, size_t len, char *dst, size_t dst_len) {
  static const char hex[] = "0123456789abcdef";
  size_t i, o = 0;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char) s[i];
    if (url_safe(c)) {
      if (o + 1 > dst_len) return 0;
      dst[o++] = (char) c;
    } else {
      if (o + 3 > dst_len) return 0;
      dst[o++] = '%';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    }
  }
  return o;
}

static int hexdig(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long mg_url_decode(const char *s, size_t len, char *dst, bool form) {
  size_t i, o = 0;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= len) return -1;
      hi = hexdig(s[i + 1]);
      lo = hexdig(s[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      dst[o++] = (char) (hi << 4 | lo);
      i += 2;
    } else if (c == '+' && form) {
      dst[o++] = ' ';
    } else {
      dst[o++] = c;
    }
  }
  return (long) o;
}

static size_t s_part_len;

long mgx_url_part(const char *url, size_t len, int which) {
  struct mg_url_parts p;
  struct mg_str s;
  mg_url_split(mg_str_n(url, len), &p);
  switch (which) {
    case 0: s = p.scheme; break;
    case 1: s = p.user; break;
    case 2: s = p.pass; break;
    case 3: s = p.host; break;
    case 4: s = p.port; break;
    default: s = p.uri; break;
  }
  s_part_len = s.len;
  return s.len == 0 ? -1 : (long) (s.buf - url);
}

size_t mgx_url_part_len(void) {
  return s_part_len;
}

unsigned mgx_url_port(const char *url, size_t len) {
  return mg_url_port(mg_str_n(url, len));
}

int mgx_url_is_ssl(const char *url, size_t len) {
  return mg_url_is_ssl(mg_str_n(url, len)) ? 1 : 0;
}

size_t mgx_url_encode(const char *s, size_t len, char *dst, size_t dst_len) {
  return mg_url_encode(s, len, dst, dst_len);
}

long mgx_url_decode(char *s, size_t len, int form) {
  return mg_url_decode(s, len, s, form != 0);
}
