// http_fail.c: see http_fail.h.
#include "http_fail.h"

#include "http.h"

int mgx_http_fail(struct mg_connection *c, int status) {
  uint32_t f = c->flags;
  if (!(f & MG_F_HTTP) || (f & MG_F_CLIENT)) return 0;
  if (f & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT)) return 0;
  if (!(f & MG_F_REQ_PENDING)) return 0;  // answered already (or never delivered)
  if ((f & MG_F_RESP_STARTED) || (f & MG_F_CHUNKED_OUT)) {
    mg_close_conn(c);  // a response is half written: nothing else fits
    mg_mark_dirty(c);
    return 0;
  }
  mg_http_error(c, status < 100 || status > 999 ? 500 : status);
  return 1;
}
