// base64.h: RFC 4648 base64 (standard alphabet), binary-safe.
#ifndef MG_BASE64_H
#define MG_BASE64_H

#include <stddef.h>

#include "mgx.h"

// Encode `len` bytes with '=' padding; dst needs 4 * ceil(len / 3) bytes.
// Returns the length written.
size_t mg_base64_encode(const unsigned char *s, size_t len, char *dst);
// Decode; padding is optional, but when present must be correct. Rejects
// (returns -1) characters outside the alphabet, whitespace, '=' inside, a
// length of 4k+1, and non-zero bits after the last byte. dst needs
// 3 * ceil(len / 4) bytes and may equal s. Returns the decoded length.
long mg_base64_decode(const char *s, size_t len, unsigned char *dst);

MGX_EXPORT(mgx_base64_encode) size_t mgx_base64_encode(const unsigned char *s, size_t len, char *dst);
MGX_EXPORT(mgx_base64_decode) long mgx_base64_decode(char *s, size_t len);

#endif
