// iobuf.c: growable byte buffers.
#include "iobuf.h"

#include <string.h>

#include "alloc.h"

static size_t round_up(size_t n, size_t align) {
  size_t r;
  if (align <= 1) return n;
  r = n % align;
  if (r == 0) return n;
  if (n > (size_t) -1 - (align - r)) return 0;  // overflow: caller fails
  return n + (align - r);
}

bool mg_iobuf_resize(struct mg_iobuf *io, size_t new_size) {
  unsigned char *p;
  if (new_size < io->len) return false;
  if (new_size == 0) {
    mg_iobuf_free(io);
    return true;
  }
  new_size = round_up(new_size, io->align);
  if (new_size == 0) return false;
  if (new_size == io->size) return true;
  // realloc: no zeroing, and large blocks can often grow in place.
  p = (unsigned char *) mg_realloc(io->buf, new_size);
  if (p == NULL) return false;
  io->buf = p;
  io->size = new_size;
  return true;
}

bool mg_iobuf_grow(struct mg_iobuf *io, size_t extra, size_t cap) {
  size_t need, want;
  if (extra > (size_t) -1 - io->len) return false;
  need = io->len + extra;
  if (need <= io->size) return true;
  want = io->size > (size_t) -1 / 2 ? (size_t) -1 : io->size * 2;
  if (want > cap) want = cap;
  if (want < need) want = need;
  // Short of memory for the doubled size: the exact size may still fit.
  return mg_iobuf_resize(io, want) || (want > need && mg_iobuf_resize(io, need));
}

bool mg_iobuf_reserve(struct mg_iobuf *io, size_t extra) {
  return mg_iobuf_grow(io, extra, (size_t) -1);
}

bool mg_iobuf_add(struct mg_iobuf *io, size_t ofs, const void *buf, size_t len) {
  if (ofs > io->len) ofs = io->len;
  if (len == 0) return true;
  if (!mg_iobuf_reserve(io, len)) return false;
  if (ofs < io->len) memmove(io->buf + ofs + len, io->buf + ofs, io->len - ofs);
  if (buf != NULL) {
    memmove(io->buf + ofs, buf, len);
  } else {
    memset(io->buf + ofs, 0, len);
  }
  io->len += len;
  return true;
}

size_t mg_iobuf_del(struct mg_iobuf *io, size_t ofs, size_t len) {
  if (ofs >= io->len) return 0;
  if (len > io->len - ofs) len = io->len - ofs;
  if (ofs + len < io->len) {
    memmove(io->buf + ofs, io->buf + ofs + len, io->len - ofs - len);
  }
  io->len -= len;
  return len;
}

void mg_iobuf_free(struct mg_iobuf *io) {
  mg_free(io->buf);
  io->buf = NULL;
  io->size = 0;
  io->len = 0;
}
