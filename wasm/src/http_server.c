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
#include "http_stream.h"

// Framing of a message whose head was just parsed. Returns 0 or the HTTP
// status to answer (400, 413, 501); `status` is 0 for a request, else the
// response's. Sets MG_HF_CHUNKED / http_body_len.
static int framing(struct mg_connection *c, struct mg_http_message *hm, int status) {
  struct mg_str *cl = NULL, *te = NULL;
  uint32_t i, ncl = 0, nte = 0;
  uint64_t n = 0;
  c->http_body_len = 0;
  c->http_skip = 0;
  c->hflags &= ~(MG_HF_CHUNKED | MG_HF_UNTIL_EOF | MG_HF_TOO_BIG);
  for (i = 0; i < hm->num_headers; i++) {
    struct mg_str name = hm->headers[i].name;  // (length first: cheap misses)
    if (name.len == 14 && mg_str_ieq(name, "Content-Length")) cl = &hm->headers[i].value, ncl++;
    if (name.len == 17 && mg_str_ieq(name, "Transfer-Encoding")) te = &hm->headers[i].value, nte++;
  }
  // Responses without a body, whatever they announce.
  if ((status >= 100 && status < 200) || status == 204 || status == 304) return 0;
  if ((ncl > 0 && nte > 0) || ncl > 1 || nte > 1) return 400;  // smuggling
  if (te != NULL) {
    // A list (RFC 9110 5.6.1: empty elements ignored); chunked, once, is
    // the only coding we decode.
    struct mg_str list = *te, item;
    uint32_t nchunked = 0, nother = 0;
    bool last_chunked = false;
    while (mg_str_split(&list, &item, ',')) {
      if (item.len == 0) continue;
      last_chunked = mg_str_ieq(item, "chunked");
      if (last_chunked) nchunked++;
      else nother++;
    }
    // A request whose codings do not end in chunked (once) has no knowable
    // length: 400 and close (RFC 9112 6.3 item 4, 6.1). One that does, but
    // with a coding we do not implement before it: 501 (RFC 9112 6.1).
    if (status == 0 && (!last_chunked || nchunked != 1)) return 400;
    if (nother > 0) return 501;
    if (nchunked != 1) return 400;
    c->hflags |= MG_HF_CHUNKED;
  } else if (cl != NULL) {
    if (!mg_str_to_u64(*cl, &n)) return 400;
    if (n > c->mgr->limits.max_body_size) {
      if (status != 0) return 413;
      c->hflags |= MG_HF_TOO_BIG;  // a request: 413 unless its handler streams it
    }
    c->http_body_len = n;
  } else if (status != 0) {
    c->hflags |= MG_HF_UNTIL_EOF;  // a response without framing
  }
  return 0;
}

// RFC 9112 3.2: an HTTP/1.1 request has exactly one Host; none has two,
// nor an invalid one (400 for each).
static int host_check(const struct mg_http_message *hm) {
  uint32_t i, n = 0;
  const struct mg_str *host = NULL;
  for (i = 0; i < hm->num_headers; i++) {
    if (hm->headers[i].name.len == 4 && mg_str_ieq(hm->headers[i].name, "Host")) {
      host = &hm->headers[i].value, n++;
    }
  }
  if (n > 1 || (n == 0 && hm->proto.buf[7] == '1')) return 400;
  return host != NULL && !mg_http_host_valid(*host) ? 400 : 0;
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
    // RFC 9112 6.1: a 1.0 message with Transfer-Encoding may have been
    // framed wrongly by an intermediary: never reuse the connection.
    if (c->hflags & MG_HF_CHUNKED) close = true;
    c->hflags |= MG_HF_HTTP10;
    if (keep && !close) c->hflags |= MG_HF_KEEPALIVE;
    if (!keep) close = true;
  }
  if (close) c->flags |= MG_F_RESP_CLOSE;
  if (mg_str_ieq(hm->method, "HEAD")) c->flags |= MG_F_HEAD;
  for (i = 0; i < hm->uri.len && n < MG_URI_MAX; i++) c->req_uri[n++] = hm->uri.buf[i];
  if (hm->query.len > 0 && n < MG_URI_MAX) c->req_uri[n++] = '?';
  for (i = 0; i < hm->query.len && n < MG_URI_MAX; i++) c->req_uri[n++] = hm->query.buf[i];
  c->req_uri[n] = '\0';
  // The method goes in the buffer's tail (MG_URI_MAX), so reports can name it.
  for (i = 0; i < hm->method.len && i < MG_URI_KEEP - MG_URI_MAX - 2; i++) c->req_uri[MG_URI_MAX + 1 + i] = hm->method.buf[i];
  c->req_uri[MG_URI_MAX + 1 + i] = '\0';
}

// Forget the message being received (not the request pending, if any).
static void message_reset(struct mg_connection *c) {
  c->hflags &= ~(MG_HF_HDRS | MG_HF_CHUNKED | MG_HF_UNTIL_EOF | MG_HF_EXPECT | MG_HF_CONTINUE |
                 MG_HF_STREAM | MG_HF_TOO_BIG);
  mg_http_stream_free(c);
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
    int r = mg_http_dechunk(c, head);
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

// The complete request: MG_EV_HTTP_MSG (or the shutdown status), then its
// `total` bytes leave c->recv.
static void deliver(struct mg_connection *c, struct mg_http_message *hm, size_t total) {
  request_begin(c, hm);
  if (c->mgr->shutdown_status > 0) {
    c->mgr->rejected++;
    mg_http_error(c, c->mgr->shutdown_status);
  } else {
    mg_call(c, MG_EV_HTTP_MSG, hm);
  }
  message_end(c, total);
  // Answered with raw mgx_send during the handler: that was the response.
  if ((c->flags & (MG_F_REQ_PENDING | MG_F_RESP_STARTED | MG_F_CHUNKED_OUT)) ==
      (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) {
    mg_http_finish(c, false);
  }
}

// A body streamed to the handler (http_stream.c): 1 to go on serving, 0 to stop.
static bool serve_stream(struct mg_connection *c) {
  struct mg_http_message hm;
  int r = mg_http_stream_body(c);
  if (c->flags & STOP_FLAGS) return false;
  if (r < 0) {
    mg_http_error(c, -r);
    return false;
  }
  if (r == 0) {
    maybe_continue(c);
    input_done(c);
    return false;
  }
  if (!mg_http_stream_head(c, &hm)) {
    mg_http_error(c, 400);
    return false;
  }
  deliver(c, &hm, 0);  // the body's bytes are gone already
  return true;
}

static void serve(struct mg_connection *c) {
  struct mg_http_message hm;
  for (;;) {
    int n, r;
    size_t total = 0;
    bool have_views = false;
    if (c->flags & (STOP_FLAGS | MG_F_REQ_PENDING)) return;
    if (c->pfn != mg_http_ev) return;  // upgraded (WebSocket): the new handler takes the rest
    if (c->hflags & MG_HF_STREAM) {
      if (!serve_stream(c)) return;
      continue;
    }
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
      status = c->mgr->http_strict ? host_check(&hm) : 0;
      if (status == 0) status = framing(c, &hm, 0);
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
        if (c->hflags & MG_HF_STREAM) {  // the handler takes the body in pieces
          if (!mg_http_stream_begin(c)) {
            mg_http_error(c, 500);
            return;
          }
          continue;
        }
        if (c->hflags & MG_HF_TOO_BIG) {
          mg_http_error(c, 413);
          return;
        }
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
    deliver(c, &hm, total);
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
      // The answer to a HEAD has no body, whatever it announces (RFC 9112 6.3).
      if (mg_http_client_response(c, status >= 200 || status == 101) && status >= 200) {
        status = 204;
      }
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
  } else if (ev == MG_EV_CLOSE) {
    mg_http_stream_free(c);
  }
}
