// http_stream.c: request bodies streamed to the handler in pieces, so an
// upload of any size passes through a bounded buffer (see http_stream.h).
// The head is copied aside (at most max_header_size bytes) so that the
// final MG_EV_HTTP_MSG still has the method, URI and headers.
#include "http_stream.h"

#include <string.h>

#include "alloc.h"

struct mg_http_stream {
  size_t head_len;
  char head[1];  // head_len bytes
};

int mgx_http_stream(struct mg_connection *c) {
  if ((c->flags & (MG_F_CLIENT | MG_F_LISTENING | MG_F_REQ_PENDING)) || !(c->flags & MG_F_HTTP)) {
    return 0;
  }
  if (!(c->hflags & MG_HF_HDRS) || (c->hflags & MG_HF_STREAM) || c->http_head_len == 0) return 0;
  c->hflags |= MG_HF_STREAM;
  return 1;
}

bool mg_http_stream_begin(struct mg_connection *c) {
  size_t n = c->http_head_len;
  struct mg_http_stream *s = (struct mg_http_stream *) mg_calloc(1, sizeof(*s) + n);
  if (s == NULL) return false;
  mg_http_stream_free(c);
  s->head_len = n;
  memcpy(s->head, c->recv.buf, n);
  c->http_stream = s;
  mg_iobuf_del(&c->recv, 0, n);  // not mg_recv_shrunk: the message goes on
  c->http_head_len = 0;
  c->hflags &= ~MG_HF_TOO_BIG;
  return true;
}

static void piece(struct mg_connection *c, size_t len) {
  struct mg_str p = mg_str_n((const char *) c->recv.buf, len);
  if (len == 0) return;
  mg_call(c, MG_EV_X_BODY, &p);
  mg_iobuf_del(&c->recv, 0, len);
  if (c->recv.len == 0) c->flags &= ~MG_F_READABLE;
  if (c->flags & MG_F_FULL) {  // room again: the host resumes reading
    c->flags &= ~MG_F_FULL;
    mg_mark_dirty(c);
  }
}

int mg_http_stream_body(struct mg_connection *c) {
  if (c->hflags & MG_HF_CHUNKED) {
    // Decoded bytes of complete chunks are moved to the front; hand them
    // over and drop them, so the decoder's limit applies per read.
    int r = mg_http_dechunk(c, 0);
    if (r < 0) return r;
    piece(c, c->http_skip);
    c->http_skip = 0;
    return r;
  }
  {
    size_t avail = c->recv.len;
    if ((uint64_t) avail > c->http_body_len) avail = (size_t) c->http_body_len;
    c->http_body_len -= avail;
    piece(c, avail);
  }
  return c->http_body_len == 0 ? 1 : 0;
}

bool mg_http_stream_head(struct mg_connection *c, struct mg_http_message *hm) {
  struct mg_http_stream *s = c->http_stream;
  const struct mg_limits *lim = &c->mgr->limits;
  int n;
  if (s == NULL) return false;
  n = mg_http_parse(s->head, s->head_len, hm, lim->max_header_size, lim->max_headers);
  return n > 0;
}

void mg_http_stream_free(struct mg_connection *c) {
  if (c->http_stream == NULL) return;
  mg_free(c->http_stream);
  c->http_stream = NULL;
}

void mgx_http_strict(struct mg_mgr *mgr, int on) {
  mgr->http_strict = on != 0;
}
