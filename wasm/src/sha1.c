// sha1.c: SHA-1 (RFC 3174). WebSocket handshakes need it; not for security.
#include <string.h>

#include "hash.h"

static uint32_t rol(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

static void block(void *ctx, const unsigned char *p) {
  struct mg_sha1_ctx *c = (struct mg_sha1_ctx *) ctx;
  uint32_t w[80], a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
  int i;
  for (i = 0; i < 16; i++) {
    w[i] = (uint32_t) p[i * 4] << 24 | (uint32_t) p[i * 4 + 1] << 16 |
           (uint32_t) p[i * 4 + 2] << 8 | p[i * 4 + 3];
  }
  for (i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (i = 0; i < 80; i++) {
    uint32_t f, k, t;
    if (i < 20) f = (b & cc) | (~b & d), k = 0x5a827999;
    else if (i < 40) f = b ^ cc ^ d, k = 0x6ed9eba1;
    else if (i < 60) f = (b & cc) | (b & d) | (cc & d), k = 0x8f1bbcdc;
    else f = b ^ cc ^ d, k = 0xca62c1d6;
    t = rol(a, 5) + f + e + k + w[i];
    e = d, d = cc, cc = rol(b, 30), b = a, a = t;
  }
  c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d, c->h[4] += e;
}

void mg_sha1_init(struct mg_sha1_ctx *c) {
  c->h[0] = 0x67452301, c->h[1] = 0xefcdab89, c->h[2] = 0x98badcfe;
  c->h[3] = 0x10325476, c->h[4] = 0xc3d2e1f0;
  c->m.len = 0;
}

void mg_sha1_update(struct mg_sha1_ctx *c, const void *data, size_t len) {
  mg_md_update(c, &c->m, block, data, len);
}

void mg_sha1_final(struct mg_sha1_ctx *c, unsigned char out[20]) {
  int i;
  mg_md_finish(c, &c->m, block, 1);
  for (i = 0; i < 20; i++) out[i] = (unsigned char) (c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void mgx_sha1(const void *data, size_t len, unsigned char *out) {
  struct mg_sha1_ctx c;
  mg_sha1_init(&c);
  mg_sha1_update(&c, data, len);
  mg_sha1_final(&c, out);
}
