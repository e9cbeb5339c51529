// http_head.c: the inline-then-heap byte builder of http_head.h, shared by
// replies (http_reply.c) and file answers (http_static.c).
#include "http_head.h"

#include <string.h>

void mg_head_init(struct mg_head *h) {
  h->io.buf = NULL;
  h->io.size = h->io.len = 0;
  h->io.align = 256;
  h->len = 0;
  h->ok = true;
}

const char *mg_head_data(const struct mg_head *h) {
  return h->io.buf != NULL ? (const char *) h->io.buf : h->small;
}

size_t mg_head_len(const struct mg_head *h) {
  return h->io.buf != NULL ? h->io.len : h->len;
}

void mg_head_free(struct mg_head *h) {
  mg_iobuf_free(&h->io);
}

void mg_head_put(struct mg_head *h, const void *buf, size_t len) {
  if (!h->ok || len == 0) return;
  if (h->io.buf == NULL) {
    if (len <= sizeof(h->small) - h->len) {
      memcpy(h->small + h->len, buf, len);
      h->len += len;
      return;
    }
    // Outgrew the inline buffer: move to the heap, in one allocation.
    if (!mg_iobuf_reserve(&h->io, h->len + len) || !mg_iobuf_add(&h->io, 0, h->small, h->len)) {
      h->ok = false;
      return;
    }
  }
  if (!mg_iobuf_add(&h->io, h->io.len, buf, len)) h->ok = false;
}
