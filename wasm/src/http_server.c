// http_server.c: the HTTP protocol handler (c->pfn) for both directions.
//
// Server side: parse requests from c->recv, validate their framing, decode
// chunked bodies in place, deliver MG_EV_HTTP_HDRS / MG_EV_HTTP_MSG one at a
// time (the next pipelined request waits until the current one is
// answered, and until that answer's output is no longer backed up: see
// MG_SEND_HIGH in net.h), and enforce header/request timeouts. Client side: parse
// responses, bodies by Content-Length, chunked, or until EOF.
#include <string.h>

#include "http.h"

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
    k += 2;
    *in_line = false;
  }
  mg_http_scanned += k - *t;
  *t = k;
  return r;
}

// The rest of the chunk-size line at `src` from *i: chunk extensions
// (checked, ignored; `in_ext`: *i is inside them, checked up to there) and
// CRLF. Returns 1 with *i past the CRLF, 0 when more bytes are needed (the
// resume point saved), or -400.
static int size_line_end(struct mg_connection *c, const unsigned char *b, size_t len, size_t src,
                         size_t *i, bool in_ext) {
  size_t k = *i;
  if (in_ext || (k < len && b[k] == ';')) {
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
static int dechunk(struct mg_connection *c, size_t head) {
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
        if (size > max_body - (dst - head)) return -413;
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

// Framing of a message whose head was just parsed. Returns 0 or the HTTP
// status to answer (400, 413, 501). Sets MG_HF_CHUNKED / http_body_len.
static int framing(struct mg_connection *c, struct mg_http_message *hm, int status) {
  struct mg_str *cl = NULL, *te = NULL;
  uint32_t i, ncl = 0, nte = 0;
  uint64_t n = 0;
  c->http_body_len = 0;
  c->http_skip = 0;
  c->hflags &= ~(MG_HF_CHUNKED | MG_HF_UNTIL_EOF);
  for (i = 0; i < hm->num_headers; i++) {
    struct mg_str name = hm->headers[i].name;  // (length first: cheap misses)
    if (name.len == 14 && mg_str_ieq(name, "Content-Length")) cl = &hm->headers[i].value, ncl++;
    if (name.len == 17 && mg_str_ieq(name, "Transfer-Encoding")) te = &hm->headers[i].value, nte++;
  }
  // Responses without a body, whatever they announce.
  if ((status >= 100 && status < 200) || status == 204 || status == 304) return 0;
  if ((ncl > 0 && nte > 0) || ncl > 1 || nte > 1) return 400;  // smuggling
  if (te != NULL) {
    if (!mg_str_ieq(*te, "chunked")) return 501;
    c->hflags |= MG_HF_CHUNKED;
  } else if (cl != NULL) {
    if (!mg_str_to_u64(*cl, &n)) return 400;
    if (n > c->mgr->limits.max_body_size) return 413;
    c->http_body_len = n;
  } else if (status != 0) {
    c->hflags |= MG_HF_UNTIL_EOF;  // a response without framing
  }
  return 0;
}

static bool is_response(const struct mg_http_message *hm) {
  return hm->method.len > 5 && memcmp(hm->method.buf, "HTTP/", 5) == 0;
}

static void maybe_continue(struct mg_connection *c) {
  static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if ((c->hflags & (MG_HF_EXPECT | MG_HF_CONTINUE)) != MG_HF_EXPECT) return;
  c->hflags |= MG_HF_CONTINUE;
  mg_send(c, msg, sizeof(msg) - 1);
}

// Per-request state once the whole request is in.
static void request_begin(struct mg_connection *c, struct mg_http_message *hm) {
  bool close = false, keep = false;
  uint32_t i;
  size_t n = 0;
  c->flags |= MG_F_REQ_PENDING;
  c->flags &= ~(MG_F_RESP_STARTED | MG_F_CHUNKED_OUT | MG_F_HEAD | MG_F_RESP_CLOSE);
  c->hflags &= ~(MG_HF_HTTP10 | MG_HF_KEEPALIVE);
  // c->req_start_ms was set when the head was complete (serve()).
  for (i = 0; i < hm->num_headers; i++) {
    if (hm->headers[i].name.len != 10 || !mg_str_ieq(hm->headers[i].name, "Connection")) continue;
    if (mg_str_has_token(hm->headers[i].value, "close")) close = true;
    if (mg_str_has_token(hm->headers[i].value, "keep-alive")) keep = true;
  }
  if (hm->proto.buf[7] == '0') {
    c->hflags |= MG_HF_HTTP10;
    if (keep && !close) c->hflags |= MG_HF_KEEPALIVE;
    if (!keep) close = true;
  }
  if (close) c->flags |= MG_F_RESP_CLOSE;
  if (mg_str_ieq(hm->method, "HEAD")) c->flags |= MG_F_HEAD;
  for (i = 0; i < hm->uri.len && n < MG_URI_KEEP - 1; i++) c->req_uri[n++] = hm->uri.buf[i];
  if (hm->query.len > 0 && n < MG_URI_KEEP - 1) c->req_uri[n++] = '?';
  for (i = 0; i < hm->query.len && n < MG_URI_KEEP - 1; i++) c->req_uri[n++] = hm->query.buf[i];
  c->req_uri[n] = '\0';
}

// Forget the message being received (not the request pending, if any).
static void message_reset(struct mg_connection *c) {
  c->hflags &= ~(MG_HF_HDRS | MG_HF_CHUNKED | MG_HF_UNTIL_EOF | MG_HF_EXPECT | MG_HF_CONTINUE);
  c->http_skip = 0;
  c->http_body_len = 0;
  c->http_head_len = 0;
  c->http_line_state = 0;
  memset(&c->http_scan, 0, sizeof(c->http_scan));
}

void mg_http_input_removed(struct mg_connection *c) {
  message_reset(c);
}

// Drop the delivered message's bytes; the next message starts fresh.
static void message_end(struct mg_connection *c, size_t total) {
  message_reset(c);
  mg_iobuf_del(&c->recv, 0, total);
  mg_recv_shrunk(c);
}

// The head of the message at the front of c->recv: its length (views in
// *hm), 0 while incomplete, or an MG_HTTP_ERR_*. The scan resumes where the
// previous read stopped, so a trickled head is scanned once; a head that
// arrives in one read is scanned and viewed in the same single pass.
static int head_parse(struct mg_connection *c, struct mg_http_message *hm) {
  const struct mg_limits *lim = &c->mgr->limits;
  const char *buf = (const char *) c->recv.buf;
  bool fresh = c->http_scan.pos == 0;
  int n = mg_http_scan(buf, c->recv.len, &c->http_scan, fresh ? hm : NULL,
                       lim->max_header_size, lim->max_headers);
  if (n > 0 && !fresh) {
    n = mg_http_parse(buf, (size_t) n, hm, lim->max_header_size, lim->max_headers);
  }
  if (n != 0) memset(&c->http_scan, 0, sizeof(c->http_scan));
  return n;
}

// The views of a head parsed before (MG_HF_HDRS): built again once, when
// the body is complete, rather than kept across reads.
static bool head_views(struct mg_connection *c, struct mg_http_message *hm) {
  const struct mg_limits *lim = &c->mgr->limits;
  int n = mg_http_parse((const char *) c->recv.buf, c->http_head_len, hm, lim->max_header_size,
                        lim->max_headers);
  return n > 0 && (size_t) n == c->http_head_len;
}

#define STOP_FLAGS (MG_F_DRAINING | MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT)

// Body of the current message: 1 complete (*total = message bytes),
// 0 need more, or -status on error.
static int body_ready(struct mg_connection *c, size_t head, bool eof, size_t *total) {
  if (c->hflags & MG_HF_CHUNKED) {
    int r = dechunk(c, head);
    *total = head + c->http_skip;
    return r;
  }
  if (c->hflags & MG_HF_UNTIL_EOF) {
    if (c->recv.len - head > c->mgr->limits.max_body_size) return -413;
    *total = c->recv.len;
    return eof ? 1 : 0;
  }
  if (c->recv.len - head < c->http_body_len) return 0;
  *total = head + (size_t) c->http_body_len;
  return 1;
}

// serve() stops for lack of input: a peer's EOF held behind the requests
// it had pipelined (MG_F_EOF_HELD) takes effect now.
static void input_done(struct mg_connection *c) {
  if (!(c->flags & MG_F_EOF_HELD)) return;
  c->flags &= ~MG_F_EOF_HELD;
  mg_eof(c);
}

static void serve(struct mg_connection *c) {
  struct mg_http_message hm;
  for (;;) {
    int n, r;
    size_t total = 0;
    bool have_views = false;
    if (c->flags & (STOP_FLAGS | MG_F_REQ_PENDING)) return;
    if (c->recv.len == 0) {
      c->head_start_ms = 0;
      input_done(c);
      return;
    }
    if (!(c->hflags & MG_HF_HDRS)) {
      int status;
      struct mg_str *expect;
      if (mg_send_backed_up(c)) {
        // Pipelining backpressure: answers the peer does not read must not
        // pile up. mgx_flush resumes once the output went out (net.c).
        c->flags |= MG_F_OUT_HELD | MG_F_PARSE_PENDING;
        return;
      }
      c->flags &= ~MG_F_OUT_HELD;
      n = head_parse(c, &hm);
      if (n < 0) {
        mg_http_error(c, n == MG_HTTP_ERR_BAD ? 400 : 431);
        return;
      }
      if (n == 0) {
        if (c->head_start_ms == 0) c->head_start_ms = mg_millis();
        input_done(c);
        return;
      }
      if (is_response(&hm)) {
        mg_http_error(c, 400);
        return;
      }
      c->head_start_ms = 0;
      status = framing(c, &hm, 0);
      if (status != 0) {
        mg_http_error(c, status);
        return;
      }
      c->hflags |= MG_HF_HDRS;
      c->http_head_len = (size_t) n;
      // The request timeout runs from here: receiving the body counts too.
      c->req_start_ms = mg_millis();
      expect = mg_http_get_header(&hm, "Expect");
      if (expect != NULL && mg_str_ieq(*expect, "100-continue") && hm.proto.buf[7] == '1') {
        c->hflags |= MG_HF_EXPECT;
      }
      {
        const unsigned char *buf = c->recv.buf;
        size_t len = c->recv.len;
        mg_call(c, MG_EV_HTTP_HDRS, &hm);
        // The handler may have answered, closed, or consumed c->recv (which
        // forgot this message: what is left is parsed afresh).
        if ((c->flags & STOP_FLAGS) || !(c->hflags & MG_HF_HDRS)) continue;
        have_views = c->recv.buf == buf && c->recv.len >= len;
      }
    }
    // The body phase never parses the head again (that made a body read
    // cost O(head)): framing state and the head length are kept instead.
    n = (int) c->http_head_len;
    r = body_ready(c, (size_t) n, false, &total);
    if (r < 0) {
      mg_http_error(c, -r);
      return;
    }
    if (r == 0) {
      maybe_continue(c);
      input_done(c);
      return;
    }
    if (!have_views && !head_views(c, &hm)) {
      mg_http_error(c, 400);  // cannot happen: the same bytes parsed before
      return;
    }
    hm.body = mg_str_n((const char *) c->recv.buf + n, total - (size_t) n);
    hm.message = mg_str_n(hm.head.buf, (size_t) ((const char *) c->recv.buf + total - hm.head.buf));
    request_begin(c, &hm);
    if (c->mgr->shutdown_status > 0) {
      c->mgr->rejected++;
      mg_http_error(c, c->mgr->shutdown_status);
    } else {
      mg_call(c, MG_EV_HTTP_MSG, &hm);
    }
    message_end(c, total);
    if (c->pfn != mg_http_ev) return;  // upgraded (WebSocket): the new handler takes the rest
    // Answered with raw mgx_send during the handler: that was the response.
    if ((c->flags & (MG_F_REQ_PENDING | MG_F_RESP_STARTED | MG_F_CHUNKED_OUT)) ==
        (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) {
      mg_http_finish(c, false);
    }
  }
}

static void client(struct mg_connection *c, bool eof) {
  struct mg_http_message hm;
  for (;;) {
    int n, r, status;
    size_t total = 0;
    bool have_views = false;
    if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) return;
    if (c->recv.len == 0) return;
    if (!(c->hflags & MG_HF_HDRS)) {
      n = head_parse(c, &hm);
      if (n < 0 || (n > 0 && !is_response(&hm))) {
        mg_error(c, "bad HTTP response");
        return;
      }
      if (n == 0) {
        if (eof) mg_error(c, "truncated HTTP response");
        return;
      }
      status = mg_http_status(&hm);
      if (framing(c, &hm, status) != 0) {
        mg_error(c, "bad HTTP response framing");
        return;
      }
      c->hflags |= MG_HF_HDRS;
      c->http_head_len = (size_t) n;
      have_views = true;
      if (status >= 200 || status == 101) {
        const unsigned char *buf = c->recv.buf;
        size_t len = c->recv.len;
        mg_call(c, MG_EV_HTTP_HDRS, &hm);
        if ((c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) || !(c->hflags & MG_HF_HDRS)) continue;
        have_views = c->recv.buf == buf && c->recv.len >= len;
      }
    }
    n = (int) c->http_head_len;
    r = body_ready(c, (size_t) n, eof, &total);
    if (r < 0) {
      mg_error(c, r == -413 ? "HTTP response too large" : "bad chunked body");
      return;
    }
    if (r == 0) {
      if (eof) mg_error(c, "truncated HTTP response");
      return;
    }
    if (!have_views && !head_views(c, &hm)) {
      mg_error(c, "bad HTTP response");
      return;
    }
    status = mg_http_status(&hm);
    hm.body = mg_str_n((const char *) c->recv.buf + n, total - (size_t) n);
    hm.message = mg_str_n(hm.head.buf, (size_t) ((const char *) c->recv.buf + total - hm.head.buf));
    if (status >= 200 || status == 101) mg_call(c, MG_EV_HTTP_MSG, &hm);
    message_end(c, total);  // interim 1xx responses are skipped silently
    if (status == 101) {
      c->pfn = NULL;  // the stream now speaks another protocol
      return;
    }
  }
}

// Whether the request timeout runs: from the complete head, while the body
// arrives and while the handler has not started its answer.
static bool awaiting_answer(const struct mg_connection *c) {
  if (c->flags & MG_F_REQ_PENDING) return !(c->flags & MG_F_RESP_STARTED);
  return (c->hflags & MG_HF_HDRS) != 0;  // the body is still arriving
}

// Header and request timeouts, checked on every MG_EV_POLL.
static void timeouts(struct mg_connection *c) {
  const struct mg_limits *lim = &c->mgr->limits;
  uint64_t now = c->mgr->now_ms;
  if (c->flags & (MG_F_CLIENT | MG_F_LISTENING | STOP_FLAGS)) return;
  if (lim->header_timeout_ms != 0 && c->head_start_ms != 0 &&
      !(c->flags & MG_F_REQ_PENDING) && now >= c->head_start_ms &&
      now - c->head_start_ms >= lim->header_timeout_ms) {
    mg_http_error(c, 408);
  } else if (lim->request_timeout_ms != 0 && awaiting_answer(c) && now >= c->req_start_ms &&
             now - c->req_start_ms >= lim->request_timeout_ms) {
    mg_http_error(c, 408);
  }
}

static void run(struct mg_connection *c, bool eof) {
  if (c->flags & MG_F_IN_PROTO) {  // re-entered from a handler: later
    c->flags |= MG_F_PARSE_PENDING;
    mg_mark_dirty(c);
    return;
  }
  c->flags |= MG_F_IN_PROTO;
  if (c->flags & MG_F_CLIENT) {
    client(c, eof);
  } else if (!(c->flags & MG_F_LISTENING)) {
    serve(c);
  }
  c->flags &= ~MG_F_IN_PROTO;
}

void mg_http_ev(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_READ || ev == MG_EV_X_RESUME) {
    run(c, false);
  } else if (ev == MG_EV_X_EOF) {
    if (c->flags & MG_F_CLIENT) {
      run(c, true);
    } else if ((c->flags & MG_F_OUT_HELD) && c->recv.len > 0 && !(c->flags & STOP_FLAGS)) {
      c->flags |= MG_F_EOF_HELD;  // serve the held requests first (input_done)
    }
  } else if (ev == MG_EV_POLL) {
    timeouts(c);
  }
}
