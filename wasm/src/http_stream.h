// http_stream.h: request bodies streamed to the handler (http_stream.c).
//
// A handler that calls mgx_http_stream() from MG_EV_HTTP_HDRS gets the
// request body in pieces as it arrives, de-chunked, whatever its size
// (limits.max_body_size then bounds what is buffered at once, not the
// body): one MG_EV_X_BODY per piece (ev_data: struct mg_str *, valid during
// the call), then MG_EV_HTTP_MSG with the head's views and an empty body
// once the body is complete. Without it a body over max_body_size is 413.
#ifndef MG_HTTP_STREAM_H
#define MG_HTTP_STREAM_H

#include "http.h"
#include "mgx.h"

#define MG_EV_X_BODY 1002  // host-visible, routed by the facade (ts/http-stream.ts)

// Ask for the body of the request whose MG_EV_HTTP_HDRS is being delivered
// in pieces. Returns 0 outside that event (or on a client connection).
MGX_EXPORT(mgx_http_stream) int mgx_http_stream(struct mg_connection *c);

// RFC 9112 3.2 strictness: HTTP/1.1 requests without Host, or any with
// two, are answered 400 (the facade turns it on for every manager; the
// core's default is off).
MGX_EXPORT(mgx_http_strict) void mgx_http_strict(struct mg_mgr *mgr, int on);

// ---- http_server.c's side -------------------------------------------------------
// After MG_EV_HTTP_HDRS asked for streaming: keep a copy of the head, drop
// it from c->recv. False when out of memory.
bool mg_http_stream_begin(struct mg_connection *c);
// Deliver the body bytes buffered now. 1: the body is complete (c->recv
// holds what follows it), 0: more to come, or -status.
int mg_http_stream_body(struct mg_connection *c);
// Views of the kept head (empty body) for the final MG_EV_HTTP_MSG.
bool mg_http_stream_head(struct mg_connection *c, struct mg_http_message *hm);
// Forget the stream (frees the kept head).
void mg_http_stream_free(struct mg_connection *c);
// The chunked decoder (http_server.c).
int mg_http_dechunk(struct mg_connection *c, size_t head);

#endif
