// http_parse.c: a strict HTTP/1.x head parser (requests and responses).
//
// One forward pass over the bytes, written as a resumable state machine
// (struct mg_http_scan): every decision depends only on bytes already seen,
// so feeding a head in any number of pieces gives the same result as
// feeding it whole, either "need more" (0) for a prefix or the final answer,
// and a connection whose head trickles in resumes where the last read
// stopped instead of scanning the head again (O(head), not O(head^2)).
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

// Byte classes, one table lookup per byte in the scanning loops.
#define C_TCHAR 1  // token: method, header name
#define C_VCHAR 2  // visible: request-target
#define C_FIELD 4  // field value: HTAB, SP, VCHAR, obs-text (never CR, LF, NUL)
#define IS_ALNUM(c) (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') || \
                     ((c) >= 'A' && (c) <= 'Z'))
#define IS_TSYM(c) ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || \
                    (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||  \
                    (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define CLS(c)                                                      \
  ((IS_ALNUM(c) || IS_TSYM(c) ? C_TCHAR : 0) |                      \
   ((c) > 0x20 && (c) < 0x7f ? C_VCHAR : 0) |                       \
   ((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f) ? C_FIELD : 0))
#define R4(c) CLS(c), CLS((c) + 1), CLS((c) + 2), CLS((c) + 3)
#define R16(c) R4(c), R4((c) + 4), R4((c) + 8), R4((c) + 12)
const unsigned char mg_http_cls[256] = {
    R16(0),   R16(16),  R16(32),  R16(48),  R16(64),  R16(80),  R16(96),  R16(112),
    R16(128), R16(144), R16(160), R16(176), R16(192), R16(208), R16(224), R16(240)};

#define TCHAR(ch) ((mg_http_cls[(ch)] & C_TCHAR) != 0)
#define VCHAR(ch) ((mg_http_cls[(ch)] & C_VCHAR) != 0)
#define FIELD(ch) ((mg_http_cls[(ch)] & C_FIELD) != 0)

static bool is_digit(unsigned char ch) {
  return ch >= '0' && ch <= '9';
}

static bool is_alpha(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

size_t mg_http_scanned;

static bool method_is(const unsigned char *m, size_t n, const char *name) {
  return strlen(name) == n && memcmp(m, name, n) == 0;
}

// RFC 9112 3.2: the four forms of request-target, each for its methods.
// The method is s[m0, m1), the (non-empty) target s[m1 + 1, t1).
static bool target_ok(const unsigned char *s, size_t m0, size_t m1, size_t t1) {
  const unsigned char *t = s + m1 + 1;
  size_t n = t1 - m1 - 1, i, colon = 0;
  if (method_is(s + m0, m1 - m0, "CONNECT")) {  // authority-form: host ":" port
    for (i = 0; i < n; i++) {
      if (t[i] == '/' || t[i] == '?' || t[i] == '#' || t[i] == '@') return false;
      if (t[i] == ':') colon = i;
    }
    if (colon == 0 || colon + 1 >= n) return false;
    for (i = colon + 1; i < n; i++) {
      if (!is_digit(t[i])) return false;
    }
    return true;
  }
  if (t[0] == '/') return true;                                              // origin-form
  if (n == 1 && t[0] == '*') return method_is(s + m0, m1 - m0, "OPTIONS");  // asterisk-form
  // absolute-form: scheme "://" something
  if (!is_alpha(t[0])) return false;
  for (i = 1; i < n && (is_alpha(t[i]) || is_digit(t[i]) || t[i] == '+' || t[i] == '-' ||
                        t[i] == '.');
       i++) {
    continue;
  }
  return n - i > 3 && t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/';
}

// Scanner states: the grammar position at st->pos.
enum {
  S_LEAD,          // before the start line (empty lines are tolerated, RFC 9112 2.2)
  S_LEAD_LF,       // LF of such an empty line
  S_AMBIG,         // matching "HTTP/": a status line, else a request line
  S_METHOD,        // request line: method token
  S_TARGET,        // request-target
  S_VERSION,       // "HTTP/1.0" or "HTTP/1.1" (k = index)
  S_STATUS_VER,    // status line: the "d.d" after "HTTP/" (k = index)
  S_STATUS_SP,     // SP after the version
  S_STATUS_CODE,   // three digits (k = index)
  S_STATUS_OPT_SP, // the SP before the reason (optional)
  S_REASON,        // reason phrase
  S_START_CR,      // end of the start line
  S_START_LF,
  S_HDR,           // start of a header line, or the blank line
  S_NAME,          // header name token
  S_OWS,           // whitespace after ':'
  S_VALUE,         // header value, up to its CR
  S_HDR_LF,        // LF ending a header line
  S_END_LF         // LF of the blank line: the head is complete
};

static struct mg_str span(const unsigned char *s, size_t from, size_t to) {
  return mg_str_n((const char *) s + from, to - from);
}

int mg_http_scan(const char *buf, size_t len, struct mg_http_scan *st,
                 struct mg_http_message *hm, size_t max_header_size, size_t max_headers) {
  const unsigned char *s = (const unsigned char *) buf;
  size_t i = st->pos, lim;
  int more, r;
  if (max_header_size > (1u << 30)) max_header_size = 1u << 30;  // fits an int
  if (max_headers > MG_MAX_HTTP_HEADERS) max_headers = MG_MAX_HTTP_HEADERS;
  // Only the first max_header_size bytes count; running out of them is 431.
  lim = len < max_header_size ? len : max_header_size;
  more = len >= max_header_size ? MG_HTTP_ERR_TOO_LARGE : 0;
  if (hm != NULL && i == 0) memset(hm, 0, offsetof(struct mg_http_message, headers));
  if (hm != NULL && i != 0) hm = NULL;  // views only from a scan of the whole head
#define NEED()                 \
  do {                         \
    if (i >= lim) goto out;    \
  } while (0)
#define FAIL(code)             \
  do {                         \
    r = (code);                \
    goto done;                 \
  } while (0)
  for (;;) {
    switch (st->state) {
      case S_LEAD:
        NEED();
        if (s[i] == '\r') {
          i++;
          st->state = S_LEAD_LF;
        } else {
          st->start = i;
          st->k = 0;
          st->state = S_AMBIG;
        }
        break;
      case S_LEAD_LF:
        NEED();
        if (s[i] != '\n') FAIL(MG_HTTP_ERR_BAD);
        i++;
        st->state = S_LEAD;
        break;
      case S_AMBIG:
        while (st->k < 5 && i < lim && s[i] == (unsigned char) "HTTP/"[st->k]) i++, st->k++;
        if (st->k == 5) {
          st->state = S_STATUS_VER;
          break;
        }
        NEED();
        st->state = S_METHOD;  // the bytes so far ("H", "HT"...) are method bytes
        break;
      case S_METHOD:
        while (i < lim && TCHAR(s[i])) i++;
        NEED();
        if (s[i] != ' ' || i == st->start) FAIL(MG_HTTP_ERR_BAD);
        st->m1 = i++;
        st->state = S_TARGET;
        break;
      case S_TARGET:
        while (i < lim && VCHAR(s[i])) i++;
        NEED();
        if (s[i] != ' ' || i == st->m1 + 1) FAIL(MG_HTTP_ERR_BAD);
        if (!target_ok(s, st->start, st->m1, i)) FAIL(MG_HTTP_ERR_BAD);
        st->aux = i++;
        st->k = 0;
        st->state = S_VERSION;
        break;
      case S_VERSION:
        for (; st->k < 8; i++, st->k++) {
          unsigned char ch;
          NEED();
          ch = s[i];
          if (st->k < 7 ? ch != (unsigned char) "HTTP/1."[st->k] : (ch != '0' && ch != '1')) {
            FAIL(MG_HTTP_ERR_BAD);
          }
        }
        if (hm != NULL) {
          size_t t0 = st->m1 + 1, q;
          for (q = t0; q < st->aux && s[q] != '?'; q++) continue;
          hm->method = span(s, st->start, st->m1);
          hm->uri = span(s, t0, q);
          hm->query = q < st->aux ? span(s, q + 1, st->aux) : span(s, st->aux, st->aux);
          hm->proto = span(s, st->aux + 1, i);
        }
        st->state = S_START_CR;
        break;
      case S_STATUS_VER:
        for (; st->k < 8; i++, st->k++) {
          NEED();
          if (st->k == 6 ? s[i] != '.' : !is_digit(s[i])) FAIL(MG_HTTP_ERR_BAD);
        }
        st->state = S_STATUS_SP;
        break;
      case S_STATUS_SP:
        NEED();
        if (s[i] != ' ') FAIL(MG_HTTP_ERR_BAD);
        i++;
        st->k = 0;
        st->state = S_STATUS_CODE;
        break;
      case S_STATUS_CODE:
        for (; st->k < 3; i++, st->k++) {
          NEED();
          // No status below 100 ("000" would read as 0 to mg_http_status).
          if (!is_digit(s[i]) || (st->k == 0 && s[i] == '0')) FAIL(MG_HTTP_ERR_BAD);
        }
        st->state = S_STATUS_OPT_SP;
        break;
      case S_STATUS_OPT_SP:
        NEED();
        if (s[i] == ' ') i++;
        st->mark = i;
        st->state = S_REASON;
        break;
      case S_REASON:
        while (i < lim && FIELD(s[i])) i++;  // stops at CR
        NEED();
        if (hm != NULL) {  // method = version, uri = status, proto = reason
          hm->method = span(s, st->start, st->start + 8);
          hm->uri = span(s, st->start + 9, st->start + 12);
          hm->proto = span(s, st->mark, i);
          hm->query = span(s, st->mark, st->mark);
        }
        st->state = S_START_CR;
        break;
      case S_START_CR:
        NEED();
        if (s[i] != '\r') FAIL(MG_HTTP_ERR_BAD);
        i++;
        st->state = S_START_LF;
        break;
      case S_START_LF:
      case S_HDR_LF:
        NEED();
        if (s[i] != '\n') FAIL(MG_HTTP_ERR_BAD);
        i++;
        if (st->state == S_HDR_LF) st->nhdr++;
        st->state = S_HDR;
        break;
      case S_HDR:
        NEED();
        if (s[i] == '\r') {
          i++;
          st->state = S_END_LF;
          break;
        }
        // Rejects obs-fold (leading SP/HTAB), bare LF, NUL and other junk.
        if (!TCHAR(s[i])) FAIL(MG_HTTP_ERR_BAD);
        if (st->nhdr >= max_headers) FAIL(MG_HTTP_ERR_TOO_MANY);
        st->line = i;
        st->state = S_NAME;
        break;
      case S_NAME:
        while (i < lim && TCHAR(s[i])) i++;
        NEED();
        if (s[i] != ':') FAIL(MG_HTTP_ERR_BAD);  // incl. space before ':'
        st->aux = i++;
        st->state = S_OWS;
        break;
      case S_OWS:
        while (i < lim && (s[i] == ' ' || s[i] == '\t')) i++;
        NEED();
        st->mark = i;
        st->state = S_VALUE;
        break;
      case S_VALUE:
        while (i < lim && FIELD(s[i])) i++;  // stops at CR
        NEED();
        if (s[i] != '\r') FAIL(MG_HTTP_ERR_BAD);
        if (hm != NULL) {
          size_t v1 = i;
          while (v1 > st->mark && (s[v1 - 1] == ' ' || s[v1 - 1] == '\t')) v1--;
          hm->headers[st->nhdr].name = span(s, st->line, st->aux);
          hm->headers[st->nhdr].value = span(s, st->mark, v1);
          hm->num_headers = st->nhdr + 1;
        }
        i++;
        st->state = S_HDR_LF;
        break;
      case S_END_LF:
        NEED();
        if (s[i] != '\n') FAIL(MG_HTTP_ERR_BAD);
        i++;
        if (hm != NULL) {
          hm->num_headers = st->nhdr;
          hm->head = span(s, st->start, i);
          hm->message = hm->head;
          hm->body = span(s, i, i);
        }
        FAIL((int) i);
      default:  // a corrupted state
        FAIL(MG_HTTP_ERR_BAD);
    }
  }
#undef NEED
#undef FAIL
out:
  r = more;
done:
  mg_http_scanned += i - st->pos;
  st->pos = i;
  return r;
}

int mg_http_parse(const char *buf, size_t len, struct mg_http_message *hm,
                  size_t max_header_size, size_t max_headers) {
  struct mg_http_scan st;
  memset(&st, 0, sizeof(st));
  return mg_http_scan(buf, len, &st, hm, max_header_size, max_headers);
}

struct mg_str *mg_http_get_header(struct mg_http_message *hm, const char *name) {
  uint32_t i;
  size_t n = strlen(name);
  for (i = 0; i < hm->num_headers && i < MG_MAX_HTTP_HEADERS; i++) {
    if (hm->headers[i].name.len == n && mg_str_ieq(hm->headers[i].name, name)) {
      return &hm->headers[i].value;
    }
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
