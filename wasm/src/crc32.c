// crc32.c: CRC-32/IEEE (reflected 0xEDB88320), slicing by four: four
// 256-entry tables (4 KiB, built once on first use), four bytes per step.
#include "hash.h"

static uint32_t s_t[4][256];
static int s_ready;

static void build(void) {
  uint32_t i, k;
  for (i = 0; i < 256; i++) {
    uint32_t c = i;
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    s_t[0][i] = c;
  }
  for (i = 0; i < 256; i++) {
    s_t[1][i] = (s_t[0][i] >> 8) ^ s_t[0][s_t[0][i] & 0xff];
    s_t[2][i] = (s_t[1][i] >> 8) ^ s_t[0][s_t[1][i] & 0xff];
    s_t[3][i] = (s_t[2][i] >> 8) ^ s_t[0][s_t[2][i] & 0xff];
  }
  s_ready = 1;
}

uint32_t mg_crc32(uint32_t crc, const void *data, size_t len) {
  const unsigned char *p = (const unsigned char *) data;
  if (!s_ready) build();
  crc = ~crc;
  for (; len >= 4; p += 4, len -= 4) {
    crc ^= (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
    crc = s_t[3][crc & 0xff] ^ s_t[2][(crc >> 8) & 0xff] ^ s_t[1][(crc >> 16) & 0xff] ^ s_t[0][crc >> 24];
  }
  while (len-- > 0) crc = (crc >> 8) ^ s_t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

double mgx_crc32(double crc, const void *data, size_t len) {
  uint32_t c = crc >= 0 && crc <= 4294967295.0 ? (uint32_t) crc : 0;
  return (double) mg_crc32(c, data, len);
}
