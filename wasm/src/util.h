// util.h: the core's log level and sink (host_log), its clock and random
// strings, as exported to the facade (ts/util.ts).
#ifndef MG_UTIL_H
#define MG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mgx.h"

enum { MG_LL_NONE, MG_LL_ERROR, MG_LL_INFO, MG_LL_DEBUG, MG_LL_VERBOSE };
extern int mg_log_level;
// One line to host_log when `level` <= mg_log_level (cheap check first).
#define MG_LOG(level, args)                    \
  do {                                         \
    if ((level) <= mg_log_level) mg_log args;  \
  } while (0)
void mg_log(int level, const char *fmt, ...);
// `len` random characters from [0-9A-Za-z] (no modulo bias), no NUL.
void mg_random_str(char *buf, size_t len);

MGX_EXPORT(mgx_log_set) void mgx_log_set(int level);
MGX_EXPORT(mgx_log_get) int mgx_log_get(void);
MGX_EXPORT(mgx_millis) double mgx_millis(void);
MGX_EXPORT(mgx_random) void mgx_random(void *buf, size_t len);
MGX_EXPORT(mgx_random_str) void mgx_random_str(char *buf, size_t len);

#endif
