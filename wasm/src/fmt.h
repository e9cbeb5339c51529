// fmt.h: a small formatter (no libc stdio in the core).
#ifndef MG_FMT_H
#define MG_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

// Decimal / lowercase hex digits of v into buf (room for 20 / 16 bytes),
// no NUL. Returns the number of digits written.
size_t mg_fmt_u64(char *buf, uint64_t v);
size_t mg_fmt_hex(char *buf, uint64_t v);

// snprintf subset: %s %.*s %c %d %u %x with optional l, ll or z, and %%.
// Always NUL-terminates when size > 0; returns the untruncated length.
size_t mg_snprintf(char *buf, size_t size, const char *fmt, ...);
size_t mg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
