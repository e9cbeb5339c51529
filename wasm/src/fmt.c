// fmt.c: a small formatter (no libc stdio in the core).
#include "fmt.h"

#include <string.h>

size_t mg_fmt_u64(char *buf, uint64_t v) {
  char tmp[20];
  size_t n = 0, i;
  do {
    tmp[n++] = (char) ('0' + (int) (v % 10));
    v /= 10;
  } while (v != 0);
  for (i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

size_t mg_fmt_hex(char *buf, uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0, i;
  do {
    tmp[n++] = digits[v & 15];
    v >>= 4;
  } while (v != 0);
  for (i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  return n;
}

struct out {
  char *buf;
  size_t size, len;
};

static void put(struct out *o, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++, o->len++) {
    if (o->len + 1 < o->size) o->buf[o->len] = s[i];
  }
}

size_t mg_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
  struct out o;
  o.buf = buf, o.size = size, o.len = 0;
  while (*fmt != '\0') {
    char num[24];
    int lng = 0, zsz = 0, prec = -1;
    if (*fmt != '%') {
      put(&o, fmt++, 1);
      continue;
    }
    fmt++;
    if (fmt[0] == '.' && fmt[1] == '*') prec = va_arg(ap, int), fmt += 2;
    while (*fmt == 'l') lng++, fmt++;
    if (*fmt == 'z') zsz = 1, fmt++;
    switch (*fmt) {
      case 's': {
        const char *s = va_arg(ap, const char *);
        size_t n;
        if (s == NULL) s = "(null)";
        if (prec >= 0) {
          for (n = 0; n < (size_t) prec && s[n] != '\0'; n++) continue;
        } else {
          n = strlen(s);
        }
        put(&o, s, n);
        break;
      }
      case 'c': {
        char ch = (char) va_arg(ap, int);
        put(&o, &ch, 1);
        break;
      }
      case 'd': {
        int64_t v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : zsz ? (int64_t) va_arg(ap, size_t) : va_arg(ap, int);
        uint64_t u = v < 0 ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;
        if (v < 0) put(&o, "-", 1);
        put(&o, num, mg_fmt_u64(num, u));
        break;
      }
      case 'u':
      case 'x': {
        uint64_t v = lng >= 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : zsz ? va_arg(ap, size_t) : va_arg(ap, unsigned);
        put(&o, num, *fmt == 'u' ? mg_fmt_u64(num, v) : mg_fmt_hex(num, v));
        break;
      }
      case '%':
        put(&o, "%", 1);
        break;
      case '\0':
        fmt--;  // lone trailing '%': stop
        break;
      default:  // unknown conversion: emit verbatim
        put(&o, fmt - 1, 2);
        break;
    }
    fmt++;
  }
  if (size > 0) buf[o.len < size ? o.len : size - 1] = '\0';
  return o.len;
}

size_t mg_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  size_t n;
  va_start(ap, fmt);
  n = mg_vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
