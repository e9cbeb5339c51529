// crc32.c: CRC-32/IEEE (reflected 0xEDB88320), four bits at a time: a
// 16-entry table instead of 1 KiB, fast enough for checksumming payloads.
#include "hash.h"

uint32_t mg_crc32(uint32_t crc, const void *data, size_t len) {
  static const uint32_t t[16] = {
      0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
      0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
      0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};
  const unsigned char *p = (const unsigned char *) data;
  crc = ~crc;
  while (len-- > 0) {
    crc ^= *p++;
    crc = (crc >> 4) ^ t[crc & 15];
    crc = (crc >> 4) ^ t[crc & 15];
  }
  return ~crc;
}

double mgx_crc32(double crc, const void *data, size_t len) {
  uint32_t c = crc >= 0 && crc <= 4294967295.0 ? (uint32_t) crc : 0;
  return (double) mg_crc32(c, data, len);
}
