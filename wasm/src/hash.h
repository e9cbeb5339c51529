// hash.h: MD5 (md5.c), SHA-1 (sha1.c), SHA-256 and HMAC-SHA256 (sha256.c),
// CRC-32 (crc32.c). Streaming contexts, no allocation.
#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "mgx.h"

// Bytes hashed so far and the partial block (hash_md.c).
struct mg_md_buf {
  uint64_t len;
  unsigned char buf[64];
};
// A compression function: one 64-byte block into the context's state.
typedef void (*mg_md_block_fn)(void *ctx, const unsigned char *block);
void mg_md_update(void *ctx, struct mg_md_buf *m, mg_md_block_fn block, const void *data, size_t len);
// Append the padding and the bit length (big- or little-endian).
void mg_md_finish(void *ctx, struct mg_md_buf *m, mg_md_block_fn block, int big_endian);

struct mg_md5_ctx {
  uint32_t h[4];
  struct mg_md_buf m;
};
void mg_md5_init(struct mg_md5_ctx *c);
void mg_md5_update(struct mg_md5_ctx *c, const void *data, size_t len);
void mg_md5_final(struct mg_md5_ctx *c, unsigned char out[16]);

struct mg_sha1_ctx {
  uint32_t h[5];
  struct mg_md_buf m;
};
void mg_sha1_init(struct mg_sha1_ctx *c);
void mg_sha1_update(struct mg_sha1_ctx *c, const void *data, size_t len);
void mg_sha1_final(struct mg_sha1_ctx *c, unsigned char out[20]);

struct mg_sha256_ctx {
  uint32_t h[8];
  struct mg_md_buf m;
};
void mg_sha256_init(struct mg_sha256_ctx *c);
void mg_sha256_update(struct mg_sha256_ctx *c, const void *data, size_t len);
void mg_sha256_final(struct mg_sha256_ctx *c, unsigned char out[32]);
void mg_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
                    unsigned char out[32]);

// CRC-32 (IEEE, as zlib): chain with crc = mg_crc32(crc, next, n); start at 0.
uint32_t mg_crc32(uint32_t crc, const void *data, size_t len);

MGX_EXPORT(mgx_md5) void mgx_md5(const void *data, size_t len, unsigned char *out);
MGX_EXPORT(mgx_sha1) void mgx_sha1(const void *data, size_t len, unsigned char *out);
MGX_EXPORT(mgx_sha256) void mgx_sha256(const void *data, size_t len, unsigned char *out);
MGX_EXPORT(mgx_hmac_sha256)
void mgx_hmac_sha256(const void *key, size_t klen, const void *data, size_t len, unsigned char *out);
MGX_EXPORT(mgx_crc32) double mgx_crc32(double crc, const void *data, size_t len);

#endif
