// http_chunked.c: the chunked transfer coding of request and response
// bodies (RFC 9112 7.1), decoded in place and resumable across reads:
// chunk sizes, extensions (checked against their grammar, then ignored) and
// trailer lines (field lines, never framing fields; checked, ignored).
#include <string.h>

#include "http.h"
#include "http_stream.h"

static int hexval(unsigned char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Where the chunked decoder stopped inside a line for lack of bytes
// (c->http_line_state), so that the next read resumes there instead of
// checking the line again: a long chunk extension or trailer section
// trickled in byte by byte costs O(length), not O(length^2).
// c->http_line_pos is relative to the first undecoded byte (the start of
// the chunk-size line, or of the trailer section once the last chunk's line
// was dropped), which is where the next call finds that line again.
#define DC_EXT 1         // inside the extensions of the chunk-size line
#define DC_TRAILER 2     // at the start of a trailer line
#define DC_TRAILER_IN 3  // inside a trailer line
#define DC_DATA 4        // size line done: pos is where the chunk's data starts
// (With DC_EXT and DC_DATA the chunk's size is kept in c->http_body_len,
// which a chunked message does not use otherwise.)

// A complete trailer line b[from, to) (RFC 9112 7.1.2: a field line): a
// token name, ':' right after it, and never a framing field (RFC 9110
// 6.5.1), which would be ignored by some and honoured by others.
static bool trailer_line_ok(const unsigned char *b, size_t from, size_t to) {
  size_t n = from;
  while (n < to && mg_http_tchar(b[n])) n++;
  if (n == from || n >= to || b[n] != ':') return false;
  return !mg_str_ieq(mg_str_n((const char *) b + from, n - from), "Content-Length") &&
         !mg_str_ieq(mg_str_n((const char *) b + from, n - from), "Transfer-Encoding");
}

// Trailer lines from *t (inside a line when *in_line) up to the blank line
// that ends the message; the trailer section starts at `i`. Returns 1 with
// *t just past the blank line, 0 with *t / *in_line where to resume, or -400.
static int trailers(const unsigned char *b, size_t len, size_t i, size_t *t, bool *in_line,
                    size_t max_trailers) {
  size_t k = *t;
  int r = 0;
  for (;;) {
    if (!*in_line) {
      if (k >= len) break;
      if (b[k] == '\r') {
        if (k + 1 >= len) break;
        if (b[k + 1] != '\n') return -400;
        k += 2;
        r = 1;
        break;
      }
      if (b[k] == ' ' || b[k] == '\t') return -400;  // obs-fold
      *in_line = true;
    }
    while (k < len && b[k] != '\r') {
      if (!mg_http_field_char(b[k]) || k - i > max_trailers) return -400;
      k++;
    }
    if (k + 1 >= len) break;
    if (b[k + 1] != '\n') return -400;
    {
      size_t from = k;  // the line is whole now: find its start, check it
      while (from > i && b[from - 1] != '\n') from--;
      if (!trailer_line_ok(b, from, k)) return -400;
    }
    k += 2;
    *in_line = false;
  }
  mg_http_scanned += k - *t;
  *t = k;
  return r;
}

static bool bws(unsigned char ch) {
  return ch == ' ' || ch == '\t';
}

// chunk-ext (RFC 9112 7.1.1) in p[0, n): *( BWS ";" BWS name [ BWS "=" BWS
// value ] ), name a token, value a token or a quoted-string.
static bool ext_ok(const unsigned char *p, size_t n) {
  size_t i = 0, j;
  while (i < n) {
    while (i < n && bws(p[i])) i++;
    if (i >= n || p[i] != ';') return false;
    for (i++; i < n && bws(p[i]); i++) continue;
    for (j = i; i < n && mg_http_tchar(p[i]); i++) continue;
    if (i == j) return false;  // empty name: "5;" or "5;;"
    for (j = i; j < n && bws(p[j]); j++) continue;
    if (j < n && p[j] == '=') {
      for (i = j + 1; i < n && bws(p[i]); i++) continue;
      if (i < n && p[i] == '"') {
        for (i++; i < n && p[i] != '"'; i++) {
          if (p[i] == '\\' && ++i >= n) return false;
        }
        if (i >= n) return false;
        i++;
      } else {
        for (j = i; i < n && mg_http_tchar(p[i]); i++) continue;
        if (i == j) return false;
      }
    }
    // Only BWS may follow before the next ';' ("5;a b" is invalid).
    for (j = i; j < n && bws(p[j]); j++) continue;
    if (j < n && p[j] != ';') return false;
    if (j == n && j > i) return false;  // trailing whitespace
    i = j;
  }
  return true;
}

// The rest of the chunk-size line at `src` from *i: chunk extensions
// (checked, ignored; `in_ext`: *i is inside them, checked up to there) and
// CRLF. Returns 1 with *i past the CRLF, 0 when more bytes are needed (the
// resume point saved), or -400.
static int size_line_end(struct mg_connection *c, const unsigned char *b, size_t len, size_t src,
                         size_t *i, bool in_ext) {
  size_t k = *i;
  if (in_ext || (k < len && (b[k] == ';' || bws(b[k])))) {
    size_t e = k;
    while (k < len && b[k] != '\r') {
      if (!mg_http_field_char(b[k]) || k - src > MG_CHUNK_LINE_MAX) return -400;
      k++;
    }
    mg_http_scanned += k - e;
    if (k >= len) {
      c->http_line_state = DC_EXT;
      c->http_line_pos = k - src;
      return 0;
    }
  }
  if (b[k] != '\r') return -400;
  {
    size_t x = src;  // the extensions follow the size's hex digits
    while (x < k && hexval(b[x]) >= 0) x++;
    if (!ext_ok(b + x, k - x)) return -400;
  }
  if (k + 1 >= len) {
    c->http_line_state = DC_EXT;  // resumes at the CR: the line is checked
    c->http_line_pos = k - src;
    return 0;
  }
  if (b[k + 1] != '\n') return -400;
  *i = k + 2;
  return 1;
}

// Decode the chunked body that follows the head (`head` bytes) in place:
// data of complete chunks is moved down so that recv[head, head+http_skip)
// is the decoded body so far, followed by the raw bytes not yet decoded.
// Returns 1 when the last chunk and trailers are in (recv[0, head+http_skip)
// is then the whole message), 0 when more bytes are needed, or -400 / -413.
int mg_http_dechunk(struct mg_connection *c, size_t head) {
  unsigned char *b = c->recv.buf;
  size_t len = c->recv.len, dst = head + c->http_skip, src = dst;
  size_t max_body = c->mgr->limits.max_body_size;
  size_t max_trailers = c->mgr->limits.max_header_size;
  // A resume point applies to the first line looked at (the one at src).
  uint32_t rstate = c->http_line_state;
  size_t rpos = c->http_line_pos;
  int result = 0, r;
  c->http_line_state = 0;
  for (;;) {
    size_t i = src, ndig = 0, t;
    uint64_t size = 0;
    bool in_line = false;
    if (rstate == DC_TRAILER || rstate == DC_TRAILER_IN) {
      t = src + rpos;  // the last chunk's line is gone: src starts the trailers
      in_line = rstate == DC_TRAILER_IN;
    } else {
      if ((rstate == DC_EXT || rstate == DC_DATA) && src + rpos <= len) {
        // Digits (and extensions up to there) were read before.
        size = c->http_body_len;
        i = src + rpos;
        r = rstate == DC_DATA ? 1 : size_line_end(c, b, len, src, &i, true);
      } else {
        while (i < len && hexval(b[i]) >= 0) {
          if (++ndig > 16) return -400;
          size = size * 16 + (uint64_t) hexval(b[i++]);
        }
        mg_http_scanned += i - src;
        if (i >= len) break;
        if (ndig == 0) return -400;
        r = size_line_end(c, b, len, src, &i, false);
      }
      if (r <= 0) {
        if (r < 0) return r;
        c->http_body_len = size;  // for the resume
        break;
      }
      rstate = 0;  // a resume point is for the line at src only
      if (size != 0) {
        // Streamed to the handler (http_stream.c): the limit is per chunk.
        if (size > max_body - ((c->hflags & MG_HF_STREAM) ? 0 : dst - head)) return -413;
        if (len - i < size + 2) {
          c->http_line_state = DC_DATA;
          c->http_line_pos = i - src;
          c->http_body_len = size;
          break;
        }
        if (b[i + size] != '\r' || b[i + size + 1] != '\n') return -400;
        memmove(b + dst, b + i, (size_t) size);
        dst += (size_t) size;
        src = i + (size_t) size + 2;
        continue;
      }
      t = i;  // the last chunk: trailer lines up to the blank line follow
    }
    r = trailers(b, len, i, &t, &in_line, max_trailers);
    if (r < 0) return r;
    if (r == 1) {
      src = t;
      result = 1;
    } else {
      // Drop the last chunk's line (the decoded body doesn't need it) so
      // that the trailer section starts at the first undecoded byte.
      c->http_line_state = in_line ? DC_TRAILER_IN : DC_TRAILER;
      c->http_line_pos = t - i;
      src = i;
    }
    break;
  }
  if (src > dst) {
    memmove(b + dst, b + src, len - src);
    c->recv.len -= src - dst;
  }
  c->http_skip = dst - head;
  return result;
}

