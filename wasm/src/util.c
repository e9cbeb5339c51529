// util.c: logging, clock and randomness for the core and the facade.
#include "util.h"

#include <stdarg.h>

#include "fmt.h"
#include "net.h"
#include "netif.h"

int mg_log_level = MG_LL_ERROR;

void mg_log(int level, const char *fmt, ...) {
  char buf[256];
  size_t n;
  va_list ap;
  if (level > mg_log_level) return;
  va_start(ap, fmt);
  n = mg_vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  host_log(level, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
}

void mg_random_str(char *buf, size_t len) {
  static const char alpha[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char r[64];
  size_t o = 0;
  while (o < len) {
    size_t i, want = len - o < sizeof(r) ? len - o : sizeof(r);
    host_random(r, want);
    for (i = 0; i < want && o < len; i++) {
      if (r[i] < 248) buf[o++] = alpha[r[i] % 62];  // 248 = 4 * 62: unbiased
    }
  }
}

void mgx_log_set(int level) {
  mg_log_level = level < MG_LL_NONE ? MG_LL_NONE : level > MG_LL_VERBOSE ? MG_LL_VERBOSE : level;
}

int mgx_log_get(void) {
  return mg_log_level;
}

double mgx_millis(void) {
  return (double) mg_millis_fresh();
}

void mgx_random(void *buf, size_t len) {
  host_random(buf, len);
}

void mgx_random_str(char *buf, size_t len) {
  mg_random_str(buf, len);
}
