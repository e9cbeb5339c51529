// ws_sha1.c: SHA-1 (FIPS 180-4) and base64 encoding for the WebSocket
// handshake. SHA-1 is used here only for the RFC 6455 accept key, never for
// security.
#include "ws_sha1.h"

#include <string.h>

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void block(uint32_t h[5], const unsigned char *p) {
  uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
  int i;
  for (i = 0; i < 16; i++) {
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
           (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
  }
  for (i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d), k = 0x5a827999u;
    } else if (i < 40) {
      f = b ^ c ^ d, k = 0x6ed9eba1u;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdcu;
    } else {
      f = b ^ c ^ d, k = 0xca62c1d6u;
    }
    t = ROL(a, 5) + f + e + k + w[i];
    e = d, d = c, c = ROL(b, 30), b = a, a = t;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void mg_ws_sha1_init(struct mg_ws_sha1 *s) {
  static const uint32_t iv[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};
  memcpy(s->h, iv, sizeof(iv));
  s->total = 0;
}

void mg_ws_sha1_update(struct mg_ws_sha1 *s, const void *data, size_t len) {
  const unsigned char *p = (const unsigned char *) data;
  size_t have = (size_t) (s->total & 63);
  s->total += len;
  while (len > 0) {
    size_t n = 64 - have < len ? 64 - have : len;
    memcpy(s->blk + have, p, n);
    have += n, p += n, len -= n;
    if (have == 64) {
      block(s->h, s->blk);
      have = 0;
    }
  }
}

void mg_ws_sha1_final(struct mg_ws_sha1 *s, unsigned char out[20]) {
  uint64_t bits = s->total * 8;
  unsigned char pad[72];
  size_t have = (size_t) (s->total & 63), n = (have < 56 ? 56 : 120) - have;
  int i;
  memset(pad, 0, sizeof(pad));
  pad[0] = 0x80;
  for (i = 0; i < 8; i++) pad[n + (size_t) i] = (unsigned char) (bits >> (56 - 8 * i));
  mg_ws_sha1_update(s, pad, n + 8);
  for (i = 0; i < 20; i++) out[i] = (unsigned char) (s->h[i / 4] >> (24 - 8 * (i % 4)));
}

size_t mg_ws_base64(const unsigned char *buf, size_t len, char *out) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i, n = 0;
  for (i = 0; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t) buf[i] << 16 | (uint32_t) buf[i + 1] << 8 | buf[i + 2];
    out[n++] = tab[v >> 18], out[n++] = tab[(v >> 12) & 63];
    out[n++] = tab[(v >> 6) & 63], out[n++] = tab[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t) buf[i] << 16 | (i + 1 < len ? (uint32_t) buf[i + 1] << 8 : 0);
    out[n++] = tab[v >> 18], out[n++] = tab[(v >> 12) & 63];
    out[n++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
    out[n++] = '=';
  }
  return n;
}
