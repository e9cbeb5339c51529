// ws_sha1.h: the SHA-1 and base64 the WebSocket handshake needs
// (Sec-WebSocket-Accept = base64(SHA-1(key + GUID))). Internal to ws.c and
// kept apart so that general hash/base64 utilities can absorb it later.
#ifndef MG_WS_SHA1_H
#define MG_WS_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct mg_ws_sha1 {
  uint32_t h[5];
  uint64_t total;         // bytes hashed so far
  unsigned char blk[64];  // partial block
};

void mg_ws_sha1_init(struct mg_ws_sha1 *s);
void mg_ws_sha1_update(struct mg_ws_sha1 *s, const void *data, size_t len);
void mg_ws_sha1_final(struct mg_ws_sha1 *s, unsigned char out[20]);
// Base64 (RFC 4648, padded) of buf[0..len) into out; returns the length
// written (4 * ceil(len / 3)). No NUL is added.
size_t mg_ws_base64(const unsigned char *buf, size_t len, char *out);

#endif
