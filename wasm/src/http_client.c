// http_client.c: the client side's memory of what it asked.
//
// A response does not say whether it answers a HEAD (RFC 9112 6.3: then it
// has no body, whatever Content-Length says), so the client remembers the
// method of every request it wrote, in order. Requests are written by the
// user with mgx_send (Mongoose style: mg_printf on MG_EV_CONNECT); this
// module follows those bytes line by line: request line, header lines
// (Content-Length / Transfer-Encoding of the request), then skips its body.
// Bytes that are not HTTP leave the tracker harmlessly confused: nothing is
// counted and responses are framed as usual.
#include <string.h>

#include "http.h"

enum { O_START, O_HEADERS, O_BODY, O_CHUNK_SIZE, O_CHUNK_DATA, O_TRAILER };
#define OF_CHUNKED 1u
#define OF_HEAD 2u

static bool line_starts(const struct mg_http_out *o, const char *prefix) {
  size_t i, n = strlen(prefix);
  if (o->nline < n) return false;
  for (i = 0; i < n; i++) {
    char ch = o->line[i];
    if (ch >= 'A' && ch <= 'Z') ch = (char) (ch + 32);
    if (ch != prefix[i]) return false;
  }
  return true;
}

static bool line_blank(const struct mg_http_out *o) {
  return o->nline == 0 || (o->nline == 1 && o->line[0] == '\r');
}

static uint64_t line_number(const struct mg_http_out *o, size_t from, int base) {
  uint64_t v = 0;
  size_t i = from;
  while (i < o->nline && (o->line[i] == ' ' || o->line[i] == '\t')) i++;
  for (; i < o->nline; i++) {
    char ch = o->line[i];
    int d = ch >= '0' && ch <= '9' ? ch - '0'
            : base == 16 && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
            : base == 16 && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
    if (d < 0) break;
    if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) base) return UINT64_MAX;
    v = v * (uint64_t) base + (uint64_t) d;
  }
  return v;
}

// A complete outgoing line (LF seen; o->line holds its first bytes).
static void out_line(struct mg_http_out *o) {
  switch (o->state) {
    case O_START:
      if (line_blank(o)) break;  // empty lines before a request
      o->flags = line_starts(o, "head ") ? OF_HEAD : 0;
      o->cl = 0;
      if (o->nreq < 32) {
        if (o->flags & OF_HEAD) o->heads |= 1u << o->nreq;
        o->nreq++;
      }
      o->state = O_HEADERS;
      break;
    case O_HEADERS:
      if (line_blank(o)) {
        if (o->flags & OF_CHUNKED) {
          o->state = O_CHUNK_SIZE;
        } else if (o->cl > 0) {
          o->left = o->cl;
          o->state = O_BODY;
        } else {
          o->state = O_START;
        }
      } else if (line_starts(o, "content-length:")) {
        o->cl = line_number(o, 15, 10);
      } else if (line_starts(o, "transfer-encoding:")) {
        size_t i;
        for (i = 18; i + 7 <= o->nline; i++) {
          if (memcmp(o->line + i, "chunked", 7) == 0) o->flags |= OF_CHUNKED;
        }
      }
      break;
    case O_CHUNK_SIZE: {
      uint64_t n = line_number(o, 0, 16);
      if (n == 0) {
        o->state = O_TRAILER;
      } else {
        o->left = n > UINT64_MAX - 2 ? UINT64_MAX : n + 2;  // data + CRLF
        o->state = O_CHUNK_DATA;
      }
      break;
    }
    case O_TRAILER:
      if (line_blank(o)) o->state = O_START;
      break;
    default:
      break;
  }
  o->nline = 0;
}

void mg_http_client_sent(struct mg_connection *c, const void *buf, size_t len) {
  struct mg_http_out *o = &c->http_out;
  const char *p = (const char *) buf;
  size_t i = 0;
  while (i < len) {
    if (o->state == O_BODY || o->state == O_CHUNK_DATA) {
      size_t n = (uint64_t) (len - i) < o->left ? len - i : (size_t) o->left;
      o->left -= n;
      i += n;
      if (o->left == 0) o->state = o->state == O_BODY ? O_START : O_CHUNK_SIZE;
      continue;
    }
    if (p[i] == '\n') {
      out_line(o);
    } else if (o->nline < MG_OUT_LINE) {
      o->line[o->nline++] = p[i];
    }
    i++;
  }
}

bool mg_http_client_response(struct mg_connection *c, bool final) {
  struct mg_http_out *o = &c->http_out;
  bool head = o->nreq > 0 && (o->heads & 1u);
  if (final && o->nreq > 0) {
    o->heads >>= 1;
    o->nreq--;
  }
  return head;
}
