// hash_md.c: the 64-byte-block buffering and length padding that MD5,
// SHA-1 and SHA-256 share (Merkle-Damgard); each brings its compression
// function and the byte order of the length.
#include <string.h>

#include "hash.h"

void mg_md_update(void *ctx, struct mg_md_buf *m, mg_md_block_fn block, const void *data, size_t len) {
  const unsigned char *p = (const unsigned char *) data;
  size_t have = (size_t) (m->len & 63);
  m->len += len;
  if (have > 0) {
    size_t take = 64 - have < len ? 64 - have : len;
    memcpy(m->buf + have, p, take);
    p += take, len -= take, have += take;
    if (have < 64) return;
    block(ctx, m->buf);
  }
  for (; len >= 64; p += 64, len -= 64) block(ctx, p);
  if (len > 0) memcpy(m->buf, p, len);
}

void mg_md_finish(void *ctx, struct mg_md_buf *m, mg_md_block_fn block, int big_endian) {
  static const unsigned char pad[64] = {0x80};
  uint64_t bits = m->len * 8;
  unsigned char lenb[8];
  size_t have = (size_t) (m->len & 63);
  int i;
  for (i = 0; i < 8; i++) lenb[i] = (unsigned char) (bits >> (big_endian ? 56 - 8 * i : 8 * i));
  mg_md_update(ctx, m, block, pad, have < 56 ? 56 - have : 120 - have);
  mg_md_update(ctx, m, block, lenb, 8);
}
