// http_form.c: what handlers read out of requests: credentials (Basic,
// Bearer, access_token), form variables, header variables and the parts of
// a multipart/form-data body. All of it reads views in place, allocates
// nothing, and never reads outside the given bytes.
#include "http_form.h"

#include <string.h>

static int b64val(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

// Decode base64 (standard or URL alphabet, padding optional) into dst
// (room for len * 3 / 4 bytes). Returns the decoded length, or -1.
static long b64_decode(const char *src, size_t len, char *dst) {
  size_t i, n = 0;
  uint32_t acc = 0;
  int bits = 0;
  while (len > 0 && src[len - 1] == '=') len--;
  for (i = 0; i < len; i++) {
    int v = b64val((unsigned char) src[i]);
    if (v < 0) return -1;
    acc = (acc << 6) | (uint32_t) v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      dst[n++] = (char) ((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return -1;  // one dangling sextet: not base64
  return (long) n;
}

static int hexval(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Form decoding (%XX and '+'). Malformed escapes stay literal. dst has room
// for len bytes.
static size_t url_decode(const char *s, size_t len, char *dst) {
  size_t i, n = 0;
  for (i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len &&
        hexval((unsigned char) s[i + 1]) >= 0 && hexval((unsigned char) s[i + 2]) >= 0) {
      dst[n++] = (char) (hexval((unsigned char) s[i + 1]) * 16 + hexval((unsigned char) s[i + 2]));
      i += 2;
    } else {
      dst[n++] = s[i] == '+' ? ' ' : s[i];
    }
  }
  return n;
}

long mg_http_var(struct mg_str buf, struct mg_str name, char *dst, size_t dst_len) {
  size_t i = 0;
  if (name.len == 0) return -1;
  while (i <= buf.len) {
    size_t j = i, eq;
    while (j < buf.len && buf.buf[j] != '&') j++;
    for (eq = i; eq < j && buf.buf[eq] != '='; eq++) continue;
    if (eq - i == name.len && memcmp(buf.buf + i, name.buf, name.len) == 0) {
      size_t vlen = eq < j ? j - eq - 1 : 0;
      if (vlen > dst_len) return -2;
      return (long) url_decode(buf.buf + eq + 1, vlen, dst);
    }
    i = j + 1;
  }
  return -1;
}

static bool is_sep(char ch) {
  return ch == ' ' || ch == '\t' || ch == ';' || ch == ',';
}

struct mg_str mg_http_header_var(struct mg_str s, struct mg_str name) {
  size_t i = 0;
  while (name.len > 0 && i + name.len < s.len) {
    if ((i == 0 || is_sep(s.buf[i - 1])) && s.buf[i + name.len] == '=' &&
        mg_strcasecmp(mg_str_n(s.buf + i, name.len), name) == 0) {
      size_t v = i + name.len + 1, e;
      if (v < s.len && s.buf[v] == '"') {
        for (e = v + 1; e < s.len && s.buf[e] != '"'; e++) continue;
        if (e >= s.len) return mg_str_n(NULL, 0);  // unterminated quote
        return mg_str_n(s.buf + v + 1, e - v - 1);
      }
      for (e = v; e < s.len && !is_sep(s.buf[e]); e++) continue;
      return mg_str_n(s.buf + v, e - v);
    }
    // Skip a quoted value so that `a="x name=y"` does not match name.
    if (s.buf[i] == '"') {
      for (i++; i < s.len && s.buf[i] != '"'; i++) continue;
    }
    i++;
  }
  return mg_str_n(NULL, 0);
}

int mg_http_creds(const struct mg_http_message *hm, char *user, size_t *ulen, char *pass,
                  size_t *plen) {
  struct mg_str *v = mg_http_get_header((struct mg_http_message *) hm, "Authorization");
  size_t ucap = *ulen, pcap = *plen;
  *ulen = *plen = 0;
  if (v != NULL && v->len > 6 && mg_str_ieq(mg_str_n(v->buf, 6), "Basic ")) {
    // Decode into pass (room: v->len), then split at the first ':'.
    long n;
    const char *colon;
    if (pcap < v->len) return -2;
    n = b64_decode(v->buf + 6, v->len - 6, pass);
    if (n < 0) return 0;
    colon = (const char *) memchr(pass, ':', (size_t) n);
    if (colon == NULL) return 0;
    *ulen = (size_t) (colon - pass);
    if (*ulen > ucap) return -2;
    memcpy(user, pass, *ulen);
    *plen = (size_t) n - *ulen - 1;
    memmove(pass, colon + 1, *plen);
    return 1;
  }
  if (v != NULL && v->len > 7 && mg_str_ieq(mg_str_n(v->buf, 7), "Bearer ")) {
    struct mg_str t = mg_str_trim(mg_str_n(v->buf + 7, v->len - 7));
    if (t.len > pcap) return -2;
    memcpy(pass, t.buf, t.len);
    *plen = t.len;
    return 1;
  }
  if ((v = mg_http_get_header((struct mg_http_message *) hm, "Cookie")) != NULL) {
    struct mg_str t = mg_http_header_var(*v, mg_str_n("access_token", 12));
    if (t.len > 0) {
      if (t.len > pcap) return -2;
      memcpy(pass, t.buf, t.len);
      *plen = t.len;
      return 1;
    }
  }
  {
    long n = mg_http_var(hm->query, mg_str_n("access_token", 12), pass, pcap);
    if (n == -2) return -2;
    if (n > 0) {
      *plen = (size_t) n;
      return 1;
    }
  }
  return 0;
}

// Case-insensitive "Content-Disposition:" at the start of s[0..len).
static bool is_disposition(const char *s, size_t len) {
  return len > 20 && s[19] == ':' && mg_str_ieq(mg_str_n(s, 19), "Content-Disposition");
}

size_t mg_http_next_multipart(struct mg_str body, size_t ofs, struct mg_http_part *part) {
  const char *s = body.buf;
  size_t max = body.len, b, h, d, blen;
  if (part != NULL) part->name = part->filename = part->body = mg_str_n(NULL, 0);
  if (ofs >= max) return 0;
  // The boundary line: "--" boundary, CRLF (RFC 2046 5.1.1: at most 70
  // characters of boundary). The closing delimiter "--boundary--" ends.
  for (b = ofs; b < max && s[b] != '\r'; b++) {
    if (b - ofs > 74) return 0;
  }
  blen = b - ofs;
  if (blen < 3 || s[ofs] != '-' || s[ofs + 1] != '-' || b + 1 >= max || s[b + 1] != '\n') return 0;
  // Part headers up to an empty line.
  h = b + 2;
  for (;;) {
    size_t e = h;
    while (e < max && s[e] != '\r') e++;
    if (e + 1 >= max || s[e + 1] != '\n') return 0;
    if (e == h) {
      h = e + 2;
      break;
    }
    if (part != NULL && is_disposition(s + h, e - h)) {
      struct mg_str v = mg_str_n(s + h + 20, e - h - 20);
      part->name = mg_http_header_var(v, mg_str_n("name", 4));
      part->filename = mg_http_header_var(v, mg_str_n("filename", 8));
    }
    h = e + 2;
  }
  // The body runs up to CRLF + the same boundary line.
  for (d = h; d + 2 + blen <= max; d++) {
    if (s[d] == '\r' && s[d + 1] == '\n' && memcmp(s + d + 2, s + ofs, blen) == 0) {
      if (part != NULL) part->body = mg_str_n(s + h, d - h);
      return d + 2;
    }
  }
  return 0;
}

// ---- exports ------------------------------------------------------------------

int mgx_http_var(const char *buf, size_t len, const char *name, size_t name_len, char *out,
                 size_t out_len) {
  long n;
  if (out_len < 4) return -2;
  n = mg_http_var(mg_str_n(buf, len), mg_str_n(name, name_len), out + 4, out_len - 4);
  if (n < 0) return n == -2 ? -2 : 0;
  {
    uint32_t v = (uint32_t) n;
    memcpy(out, &v, 4);
  }
  return 1;
}

int mgx_http_creds(const struct mg_http_message *hm, char *out, size_t out_len) {
  size_t cap, ulen, plen;
  int r;
  uint32_t v;
  if (out_len < 8) return -2;
  cap = (out_len - 8) / 2;
  ulen = plen = cap;
  r = mg_http_creds(hm, out + 8, &ulen, out + 8 + cap, &plen);
  if (r != 1) return r;
  memmove(out + 8 + ulen, out + 8 + cap, plen);
  v = (uint32_t) ulen;
  memcpy(out, &v, 4);
  v = (uint32_t) plen;
  memcpy(out + 4, &v, 4);
  return 1;
}

double mgx_http_multipart(const char *buf, size_t len, size_t ofs, uint32_t *out) {
  struct mg_http_part p;
  size_t next = mg_http_next_multipart(mg_str_n(buf, len), ofs, &p);
  if (next == 0) return 0;
  out[0] = p.name.buf == NULL ? 0 : (uint32_t) (p.name.buf - buf);
  out[1] = (uint32_t) p.name.len;
  out[2] = p.filename.buf == NULL ? 0 : (uint32_t) (p.filename.buf - buf);
  out[3] = (uint32_t) p.filename.len;
  out[4] = (uint32_t) (p.body.buf - buf);
  out[5] = (uint32_t) p.body.len;
  return (double) next;
}
