// base64.c: encoder and a strict decoder (one canonical input per output).
#include "base64.h"

static const char s_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mg_base64_encode(const unsigned char *s, size_t len, char *dst) {
  size_t i, o = 0;
  for (i = 0; i + 2 < len; i += 3) {
    unsigned v = (unsigned) s[i] << 16 | (unsigned) s[i + 1] << 8 | s[i + 2];
    dst[o++] = s_alpha[v >> 18];
    dst[o++] = s_alpha[(v >> 12) & 63];
    dst[o++] = s_alpha[(v >> 6) & 63];
    dst[o++] = s_alpha[v & 63];
  }
  if (len - i == 1) {
    unsigned v = (unsigned) s[i] << 16;
    dst[o++] = s_alpha[v >> 18];
    dst[o++] = s_alpha[(v >> 12) & 63];
    dst[o++] = '=';
    dst[o++] = '=';
  } else if (len - i == 2) {
    unsigned v = (unsigned) s[i] << 16 | (unsigned) s[i + 1] << 8;
    dst[o++] = s_alpha[v >> 18];
    dst[o++] = s_alpha[(v >> 12) & 63];
    dst[o++] = s_alpha[(v >> 6) & 63];
    dst[o++] = '=';
  }
  return o;
}

// Decoding table: 0..63, or 64 for anything outside the alphabet.
static const unsigned char s_val[256] = {
#define X64 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64
    X64, X64,
    64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 62, 64, 64, 64, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 64, 64, 64, 64, 64, 64,
    64, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 64, 64, 64, 64, 64,
    64, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 64, 64, 64, 64,
    X64, X64, X64, X64, X64, X64, X64, X64
#undef X64
};

static int b64val(char c) {
  unsigned char v = s_val[(unsigned char) c];
  return v == 64 ? -1 : v;
}

long mg_base64_decode(const char *s, size_t len, unsigned char *dst) {
  size_t i, o = 0, tail;
  unsigned v = 0;
  int k;
  if (len % 4 == 0 && len > 0 && s[len - 1] == '=') {
    len -= s[len - 2] == '=' ? 2 : 1;  // strip the padding, checked below
  } else if (len % 4 == 1) {
    return -1;
  }
  if (len % 4 == 1) return -1;  // "x===" and the like
  tail = len % 4;
  for (i = 0; i + 4 <= len; i += 4) {
    const unsigned char *q = (const unsigned char *) s + i;
    unsigned a = s_val[q[0]], b = s_val[q[1]], c = s_val[q[2]], e = s_val[q[3]];
    if ((a | b | c | e) & 64) return -1;
    v = a << 18 | b << 12 | c << 6 | e;
    dst[o++] = (unsigned char) (v >> 16);
    dst[o++] = (unsigned char) (v >> 8);
    dst[o++] = (unsigned char) v;
  }
  if (tail > 0) {
    v = 0;
    for (k = 0; k < (int) tail; k++) {
      int d = b64val(s[i + (size_t) k]);
      if (d < 0) return -1;
      v = v << 6 | (unsigned) d;
    }
    if (tail == 2) {
      if (v & 15) return -1;  // bits past the last byte
      dst[o++] = (unsigned char) (v >> 4);
    } else {
      if (v & 3) return -1;
      dst[o++] = (unsigned char) (v >> 10);
      dst[o++] = (unsigned char) (v >> 2);
    }
  }
  return (long) o;
}

size_t mgx_base64_encode(const unsigned char *s, size_t len, char *dst) {
  return mg_base64_encode(s, len, dst);
}

long mgx_base64_decode(char *s, size_t len) {
  return mg_base64_decode(s, len, (unsigned char *) s);
}
