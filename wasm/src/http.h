// http.h: HTTP/1.1 parsing and response formatting.
//
// struct mg_http_message is read by the host (ts/http-message.ts) straight
// from linear memory; its wasm32 layout is part of the contract:
//   0 method  8 uri  16 query  24 proto  32 body  40 head  48 message
//   56 num_headers (uint32)  60 headers[i] = { name @+0, value @+8 } (16 each)
// Every struct mg_str is { const char *buf @0; size_t len @4 }. For a
// response, method holds the protocol ("HTTP/1.1"), uri the status code and
// proto the reason phrase, as Mongoose does.
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include "net.h"
#include "str.h"

#define MG_MAX_HTTP_HEADERS 100  // hard cap; limits.max_headers may be lower

struct mg_http_header {
  struct mg_str name;
  struct mg_str value;
};

struct mg_http_message {
  struct mg_str method, uri, query, proto;
  struct mg_str body;     // decoded body (chunked bodies are de-chunked in place)
  struct mg_str head;     // request/status line + headers, up to the blank line
  struct mg_str message;  // head + raw body as received
  uint32_t num_headers;
  struct mg_http_header headers[MG_MAX_HTTP_HEADERS];
};

// Parse the head at buf[0..len). Returns the head length (including the
// blank line) when complete, 0 when more bytes are needed, and a negative
// MG_HTTP_ERR_* when the input is invalid or over a limit. `max_headers`
// <= MG_MAX_HTTP_HEADERS. Strict: CRLF line ends, no obs-fold, no NUL or
// control bytes, token method and header names.
#define MG_HTTP_ERR_BAD (-1)         // -> 400
#define MG_HTTP_ERR_TOO_LARGE (-2)   // head over max_header_size -> 431
#define MG_HTTP_ERR_TOO_MANY (-3)    // over max_headers -> 431
int mg_http_parse(const char *buf, size_t len, struct mg_http_message *hm,
                  size_t max_header_size, size_t max_headers);

struct mg_str *mg_http_get_header(struct mg_http_message *hm, const char *name);
int mg_http_status(const struct mg_http_message *hm);

// The protocol handler installed on HTTP connections (c->pfn).
void mg_http_ev(struct mg_connection *c, int ev, void *ev_data);

bool mg_http_reply(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len, const void *body, size_t body_len);
bool mg_http_start(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len);
bool mg_http_chunk(struct mg_connection *c, const void *buf, size_t len);
const char *mg_http_status_text(int status);

#endif
