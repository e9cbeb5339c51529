// sha256.c: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
#include <string.h>

#include "hash.h"

static const uint32_t s_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

static void block(void *ctx, const unsigned char *p) {
  struct mg_sha256_ctx *c = (struct mg_sha256_ctx *) ctx;
  uint32_t w[64], v[8];
  int i;
  for (i = 0; i < 16; i++) {
    w[i] = (uint32_t) p[i * 4] << 24 | (uint32_t) p[i * 4 + 1] << 16 |
           (uint32_t) p[i * 4 + 2] << 8 | p[i * 4 + 3];
  }
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(v, c->h, sizeof(v));
  for (i = 0; i < 64; i++) {
    uint32_t s1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
    uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
    uint32_t t1 = v[7] + s1 + ch + s_k[i] + w[i];
    uint32_t s0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
    uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
    uint32_t t2 = s0 + maj;
    v[7] = v[6], v[6] = v[5], v[5] = v[4], v[4] = v[3] + t1;
    v[3] = v[2], v[2] = v[1], v[1] = v[0], v[0] = t1 + t2;
  }
  for (i = 0; i < 8; i++) c->h[i] += v[i];
}

void mg_sha256_init(struct mg_sha256_ctx *c) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, h0, sizeof(h0));
  c->m.len = 0;
}

void mg_sha256_update(struct mg_sha256_ctx *c, const void *data, size_t len) {
  mg_md_update(c, &c->m, block, data, len);
}

void mg_sha256_final(struct mg_sha256_ctx *c, unsigned char out[32]) {
  int i;
  mg_md_finish(c, &c->m, block, 1);
  for (i = 0; i < 32; i++) out[i] = (unsigned char) (c->h[i / 4] >> (24 - 8 * (i % 4)));
}

void mg_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
                    unsigned char out[32]) {
  unsigned char k[64], pad[64], inner[32];
  struct mg_sha256_ctx c;
  int i;
  memset(k, 0, sizeof(k));
  if (klen > 64) {
    mg_sha256_init(&c);
    mg_sha256_update(&c, key, klen);
    mg_sha256_final(&c, k);
  } else if (klen > 0) {
    memcpy(k, key, klen);
  }
  for (i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  mg_sha256_init(&c);
  mg_sha256_update(&c, pad, 64);
  mg_sha256_update(&c, data, len);
  mg_sha256_final(&c, inner);
  for (i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  mg_sha256_init(&c);
  mg_sha256_update(&c, pad, 64);
  mg_sha256_update(&c, inner, 32);
  mg_sha256_final(&c, out);
}

void mgx_sha256(const void *data, size_t len, unsigned char *out) {
  struct mg_sha256_ctx c;
  mg_sha256_init(&c);
  mg_sha256_update(&c, data, len);
  mg_sha256_final(&c, out);
}

void mgx_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
                     unsigned char *out) {
  mg_hmac_sha256(key, klen, data, len, out);
}
