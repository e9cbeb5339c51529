// iobuf.h: growable byte buffers (receive and send queues).
#ifndef MG_IOBUF_H
#define MG_IOBUF_H

#include <stdbool.h>
#include <stddef.h>

// Layout is host-visible (16 bytes on wasm32): keep the field order.
struct mg_iobuf {
  unsigned char *buf;  // data, `size` bytes allocated
  size_t size;         // allocated bytes
  size_t len;          // used bytes
  size_t align;        // growth step (0 = exact)
};

// Resize the allocation to `new_size` rounded up to `align` (0 frees it).
// Fails (false) if new_size < len or on allocation failure. Bytes past
// `len` are not zeroed.
bool mg_iobuf_resize(struct mg_iobuf *io, size_t new_size);
// Make room for `extra` more bytes after `len`. Growth is geometric (at
// least double the current size) so that filling a buffer piece by piece
// copies each byte O(1) times; a first reservation is exact.
bool mg_iobuf_reserve(struct mg_iobuf *io, size_t extra);
// mg_iobuf_reserve, but geometric growth stops at `cap` (a reservation
// bigger than that is still made, exactly).
bool mg_iobuf_grow(struct mg_iobuf *io, size_t extra, size_t cap);
// Insert `len` bytes at offset `ofs` (<= io->len). `buf` may be NULL to
// insert zeroes. Returns false on allocation failure (io unchanged).
bool mg_iobuf_add(struct mg_iobuf *io, size_t ofs, const void *buf, size_t len);
// Remove up to `len` bytes at `ofs`; returns how many were removed.
size_t mg_iobuf_del(struct mg_iobuf *io, size_t ofs, size_t len);
void mg_iobuf_free(struct mg_iobuf *io);

#endif
