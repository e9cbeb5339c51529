// ws_utf8.c: UTF-8 checks of WebSocket text (RFC 6455 8.1): a fast scan of
// whole buffers, and the per-connection state that lets a text message fail
// as soon as its bytes cannot start valid UTF-8, across reads and fragments.
#include <string.h>

#include "ws.h"

// Scan buf[0..len): -1 if invalid, else where a trailing incomplete (but so
// far valid) sequence starts (len when there is none).
static long utf8_scan(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i], lo = 0x80, hi = 0xbf;
    size_t n, k;
    if (c < 0x80) {
      // ASCII runs eight bytes at a time.
      uint64_t w;
      i++;
      while (i + 8 <= len) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
      }
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // over U+10FFFF
    } else {
      return -1;
    }
    for (k = 1; k <= n; k++) {
      unsigned b;
      if (i + k >= len) return (long) i;
      b = s[i + k];
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return -1;
    }
    i += n + 1;
  }
  return (long) i;
}

bool mg_ws_utf8_ok(const unsigned char *buf, size_t len) {
  return utf8_scan(buf, len) == (long) len;
}

// Feed a text message's bytes to its UTF-8 state (c->ws_u8, kept across
// reads and frames): false as soon as they cannot start valid UTF-8.
bool mg_ws_utf8_feed(struct mg_connection *c, const unsigned char *s, size_t len) {
  unsigned need = c->ws_u8[0], lo = c->ws_u8[1], hi = c->ws_u8[2];
  size_t i = 0;
  if (need == 0) {  // the fast scan, then the bytes of a trailing partial character
    long r = utf8_scan(s, len);
    if (r < 0) return false;
    i = (size_t) r;
  }
  for (; i < len; i++) {
    unsigned b = s[i];
    if (need > 0) {
      if (b < lo || b > hi) return false;
      need--, lo = 0x80, hi = 0xbf;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1, lo = 0x80, hi = 0xbf;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2, lo = b == 0xe0 ? 0xa0 : 0x80, hi = b == 0xed ? 0x9f : 0xbf;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3, lo = b == 0xf0 ? 0x90 : 0x80, hi = b == 0xf4 ? 0x8f : 0xbf;
    } else if (b >= 0x80) {
      return false;
    }
  }
  c->ws_u8[0] = (uint8_t) need, c->ws_u8[1] = (uint8_t) lo, c->ws_u8[2] = (uint8_t) hi;
  return true;
}

// The same for payload bytes still masked (a frame not complete yet: it is
// unmasked in place only once whole), through a small unmasked copy.
bool mg_ws_utf8_feed_masked(struct mg_connection *c, const unsigned char *s, size_t len,
                            const unsigned char *mask, size_t pos) {
  unsigned char tmp[256];
  while (len > 0) {
    size_t k = len < sizeof(tmp) ? len : sizeof(tmp), i;
    for (i = 0; i < k; i++) tmp[i] = (unsigned char) (s[i] ^ mask[(pos + i) & 3]);
    if (!mg_ws_utf8_feed(c, tmp, k)) return false;
    s += k, pos += k, len -= k;
  }
  return true;
}
