// http_parse.c: a strict HTTP/1.x head parser (requests and responses).
//
// One forward pass over the bytes; every decision depends only on bytes
// already seen, so feeding a head in any number of pieces gives the same
// result as feeding it whole: either "need more" (0) for a prefix, or the
// final answer.
#include <string.h>

#include "http.h"

#if defined(__wasm__)
// The host reads struct mg_http_message from linear memory (see http.h).
#define MG_LAYOUT(name, cond) typedef char mg_layout_##name[(cond) ? 1 : -1]
MG_LAYOUT(hm_body, offsetof(struct mg_http_message, body) == 32);
MG_LAYOUT(hm_message, offsetof(struct mg_http_message, message) == 48);
MG_LAYOUT(hm_num_headers, offsetof(struct mg_http_message, num_headers) == 56);
MG_LAYOUT(hm_headers, offsetof(struct mg_http_message, headers) == 60);
MG_LAYOUT(hm_header_size, sizeof(struct mg_http_header) == 16);
#endif

bool mg_http_tchar(unsigned char ch) {
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) {
    return true;
  }
  return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool is_vchar(unsigned char ch) {
  return ch > 0x20 && ch < 0x7f;
}

static bool is_digit(unsigned char ch) {
  return ch >= '0' && ch <= '9';
}

bool mg_http_field_char(unsigned char ch) {
  return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

// Scanner state: `lim` is where the bytes (or the size budget) end; running
// into it yields `more` (0, or TOO_LARGE once the budget is spent).
struct scan {
  const unsigned char *s;
  size_t i, lim;
  int more;
};

// Expect CR LF at the cursor: 1 ok, 0 out of bytes, -1 bad.
static int crlf(struct scan *sc) {
  if (sc->i >= sc->lim) return 0;
  if (sc->s[sc->i] != '\r') return -1;
  if (sc->i + 1 >= sc->lim) return 0;
  if (sc->s[sc->i + 1] != '\n') return -1;
  sc->i += 2;
  return 1;
}

#define CRLF_OR_RETURN(sc)          \
  do {                              \
    int r_ = crlf(sc);              \
    if (r_ == 0) return (sc)->more; \
    if (r_ < 0) return MG_HTTP_ERR_BAD; \
  } while (0)

static struct mg_str span(const struct scan *sc, size_t from, size_t to) {
  return mg_str_n((const char *) sc->s + from, to - from);
}

// "METHOD SP target SP HTTP/1.x CRLF"
static int request_line(struct scan *sc, struct mg_http_message *hm) {
  static const char ver[] = "HTTP/1.";
  size_t m0 = sc->i, t0, t1, q, v0;
  while (sc->i < sc->lim && mg_http_tchar(sc->s[sc->i])) sc->i++;
  if (sc->i >= sc->lim) return sc->more;
  if (sc->s[sc->i] != ' ' || sc->i == m0) return MG_HTTP_ERR_BAD;
  hm->method = span(sc, m0, sc->i);
  t0 = ++sc->i;
  while (sc->i < sc->lim && is_vchar(sc->s[sc->i])) sc->i++;
  if (sc->i >= sc->lim) return sc->more;
  if (sc->s[sc->i] != ' ' || sc->i == t0) return MG_HTTP_ERR_BAD;
  t1 = sc->i;
  for (q = t0; q < t1 && sc->s[q] != '?'; q++) continue;
  hm->uri = span(sc, t0, q);
  hm->query = q < t1 ? span(sc, q + 1, t1) : span(sc, t1, t1);
  v0 = ++sc->i;
  for (; sc->i < v0 + 8; sc->i++) {
    size_t k = sc->i - v0;
    unsigned char ch;
    if (sc->i >= sc->lim) return sc->more;
    ch = sc->s[sc->i];
    if (k < 7 ? ch != (unsigned char) ver[k] : (ch != '0' && ch != '1')) return MG_HTTP_ERR_BAD;
  }
  hm->proto = span(sc, v0, sc->i);
  CRLF_OR_RETURN(sc);
  return 1;
}

// "HTTP/d.d SP 3DIGIT [SP reason] CRLF": method = version, uri = status,
// proto = reason (as Mongoose fills them).
static int status_line(struct scan *sc, struct mg_http_message *hm) {
  size_t v0 = sc->i, s0, r0;
  for (; sc->i < v0 + 8; sc->i++) {
    size_t k = sc->i - v0;
    unsigned char ch;
    if (sc->i >= sc->lim) return sc->more;
    ch = sc->s[sc->i];
    if (k < 5 ? ch != (unsigned char) "HTTP/"[k] : k == 6 ? ch != '.' : !is_digit(ch)) {
      return MG_HTTP_ERR_BAD;
    }
  }
  hm->method = span(sc, v0, sc->i);
  if (sc->i >= sc->lim) return sc->more;
  if (sc->s[sc->i++] != ' ') return MG_HTTP_ERR_BAD;
  s0 = sc->i;
  for (; sc->i < s0 + 3; sc->i++) {
    if (sc->i >= sc->lim) return sc->more;
    if (!is_digit(sc->s[sc->i])) return MG_HTTP_ERR_BAD;
  }
  hm->uri = span(sc, s0, sc->i);
  if (sc->i >= sc->lim) return sc->more;
  if (sc->s[sc->i] == ' ') sc->i++;
  r0 = sc->i;
  while (sc->i < sc->lim && sc->s[sc->i] != '\r' && mg_http_field_char(sc->s[sc->i])) sc->i++;
  hm->proto = span(sc, r0, sc->i);
  hm->query = span(sc, r0, r0);
  CRLF_OR_RETURN(sc);
  return 1;
}

// Header lines up to and including the blank line.
static int header_lines(struct scan *sc, struct mg_http_message *hm, size_t max_headers) {
  for (;;) {
    size_t n0, n1, v0, v1;
    if (sc->i >= sc->lim) return sc->more;
    if (sc->s[sc->i] == '\r') {
      CRLF_OR_RETURN(sc);
      return 1;
    }
    // Rejects obs-fold (leading SP/HTAB), bare LF, NUL and other junk.
    if (!mg_http_tchar(sc->s[sc->i])) return MG_HTTP_ERR_BAD;
    if (hm->num_headers >= max_headers) return MG_HTTP_ERR_TOO_MANY;
    n0 = sc->i;
    while (sc->i < sc->lim && mg_http_tchar(sc->s[sc->i])) sc->i++;
    if (sc->i >= sc->lim) return sc->more;
    if (sc->s[sc->i] != ':') return MG_HTTP_ERR_BAD;  // incl. space before ':'
    n1 = sc->i++;
    while (sc->i < sc->lim && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t')) sc->i++;
    v0 = sc->i;
    while (sc->i < sc->lim && sc->s[sc->i] != '\r' && mg_http_field_char(sc->s[sc->i])) sc->i++;
    v1 = sc->i;
    while (v1 > v0 && (sc->s[v1 - 1] == ' ' || sc->s[v1 - 1] == '\t')) v1--;
    CRLF_OR_RETURN(sc);
    hm->headers[hm->num_headers].name = span(sc, n0, n1);
    hm->headers[hm->num_headers].value = span(sc, v0, v1);
    hm->num_headers++;
  }
}

int mg_http_parse(const char *buf, size_t len, struct mg_http_message *hm,
                  size_t max_header_size, size_t max_headers) {
  struct scan sc;
  size_t start, k;
  int r;
  if (max_header_size > (1u << 30)) max_header_size = 1u << 30;  // fits an int
  if (max_headers > MG_MAX_HTTP_HEADERS) max_headers = MG_MAX_HTTP_HEADERS;
  sc.s = (const unsigned char *) buf;
  sc.i = 0;
  sc.lim = len < max_header_size ? len : max_header_size;
  sc.more = len >= max_header_size ? MG_HTTP_ERR_TOO_LARGE : 0;
  memset(hm, 0, offsetof(struct mg_http_message, headers));
  // Empty lines before the start line are tolerated (RFC 9112 2.2).
  while (sc.i < sc.lim && sc.s[sc.i] == '\r') CRLF_OR_RETURN(&sc);
  start = sc.i;
  for (k = 0; k < 5 && start + k < sc.lim && sc.s[start + k] == (unsigned char) "HTTP/"[k]; k++) {
    continue;
  }
  if (k == 5) {
    r = status_line(&sc, hm);
  } else if (start + k >= sc.lim) {
    return sc.more;  // could still become either kind of start line
  } else {
    r = request_line(&sc, hm);
  }
  if (r <= 0) return r;
  r = header_lines(&sc, hm, max_headers);
  if (r <= 0) return r;
  hm->head = span(&sc, start, sc.i);
  hm->message = hm->head;
  hm->body = span(&sc, sc.i, sc.i);
  return (int) sc.i;
}

struct mg_str *mg_http_get_header(struct mg_http_message *hm, const char *name) {
  uint32_t i;
  for (i = 0; i < hm->num_headers && i < MG_MAX_HTTP_HEADERS; i++) {
    if (mg_str_ieq(hm->headers[i].name, name)) return &hm->headers[i].value;
  }
  return NULL;
}

int mg_http_status(const struct mg_http_message *hm) {
  int v = 0;
  size_t i;
  if (hm->uri.len != 3) return 0;
  for (i = 0; i < 3; i++) {
    if (!is_digit((unsigned char) hm->uri.buf[i])) return 0;
    v = v * 10 + (hm->uri.buf[i] - '0');
  }
  return v;
}
