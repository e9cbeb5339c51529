// http_fail.h: answering a request whose handler failed (facade: a handler
// that throws or whose promise rejects, a reply the core cannot take).
#ifndef MG_HTTP_FAIL_H
#define MG_HTTP_FAIL_H

#include "mgx.h"

// The handler of the pending request failed: answer `status` (500) with
// Connection: close and drain, or, when a response is already half
// written, close at once. Returns 1 if a status answer was queued, 0 if the
// connection was only closed or is left alone (no request pending: an
// answered one, a closing connection, a non-HTTP one).
MGX_EXPORT(mgx_http_fail) int mgx_http_fail(struct mg_connection *c, int status);

#endif
