// md5.c: MD5 (RFC 1321). For compatibility (ETags, digest auth), not security.
#include <string.h>

#include "hash.h"

static uint32_t rol(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

static const uint32_t s_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
static const unsigned char s_r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                      5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                      4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                      6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void block(void *ctx, const unsigned char *p) {
  struct mg_md5_ctx *c = (struct mg_md5_ctx *) ctx;
  uint32_t w[16], a = c->h[0], b = c->h[1], d3 = c->h[2], d = c->h[3];
  int i;
  for (i = 0; i < 16; i++) {
    w[i] = (uint32_t) p[i * 4] | (uint32_t) p[i * 4 + 1] << 8 | (uint32_t) p[i * 4 + 2] << 16 |
           (uint32_t) p[i * 4 + 3] << 24;
  }
  for (i = 0; i < 64; i++) {
    uint32_t f, t;
    int g;
    if (i < 16) f = (b & d3) | (~b & d), g = i;
    else if (i < 32) f = (d & b) | (~d & d3), g = (5 * i + 1) & 15;
    else if (i < 48) f = b ^ d3 ^ d, g = (3 * i + 5) & 15;
    else f = d3 ^ (b | ~d), g = (7 * i) & 15;
    t = d;
    d = d3;
    d3 = b;
    b = b + rol(a + f + s_k[i] + w[g], s_r[i]);
    a = t;
  }
  c->h[0] += a, c->h[1] += b, c->h[2] += d3, c->h[3] += d;
}

void mg_md5_init(struct mg_md5_ctx *c) {
  c->h[0] = 0x67452301, c->h[1] = 0xefcdab89, c->h[2] = 0x98badcfe, c->h[3] = 0x10325476;
  c->m.len = 0;
}

void mg_md5_update(struct mg_md5_ctx *c, const void *data, size_t len) {
  mg_md_update(c, &c->m, block, data, len);
}

void mg_md5_final(struct mg_md5_ctx *c, unsigned char out[16]) {
  int i;
  mg_md_finish(c, &c->m, block, 0);
  for (i = 0; i < 16; i++) out[i] = (unsigned char) (c->h[i / 4] >> (8 * (i % 4)));
}

void mgx_md5(const void *data, size_t len, unsigned char *out) {
  struct mg_md5_ctx c;
  mg_md5_init(&c);
  mg_md5_update(&c, data, len);
  mg_md5_final(&c, out);
}
