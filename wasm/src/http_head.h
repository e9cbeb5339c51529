// http_head.h: a response head (or SSE event, or header block) under
// construction: built in `small` while it fits, so a typical reply
// allocates nothing for it, then in `io` (the caller frees it with
// mg_head_free). Once an allocation fails `ok` is false and bytes are no
// longer taken.
#ifndef MG_HTTP_HEAD_H
#define MG_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "iobuf.h"

#define MG_HEAD_SMALL 512
struct mg_head {
  struct mg_iobuf io;  // in use once io.buf != NULL
  size_t len;          // bytes in small
  bool ok;
  char small[MG_HEAD_SMALL];
};

void mg_head_init(struct mg_head *h);
void mg_head_put(struct mg_head *h, const void *buf, size_t len);
const char *mg_head_data(const struct mg_head *h);
size_t mg_head_len(const struct mg_head *h);
void mg_head_free(struct mg_head *h);

#endif
