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

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
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
    v = 0;
    for (k = 0; k < 4; k++) {
      int d = b64val(s[i + (size_t) k]);
      if (d < 0) return -1;
      v = v << 6 | (unsigned) d;
    }
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
