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
// mg_http_parse, resumable: continues from `st` (all zero to start) over
// buf[0..len), where the bytes before st->pos are the ones seen before, and
// gives the same answer mg_http_parse would give for buf[0..len). Each byte
// is examined once however the head is split. `hm` (may be NULL) is filled
// only when the scan started at st->pos == 0; otherwise call mg_http_parse
// once on the complete head for the views. After a non-zero result, zero
// `st` before scanning the next message.
// The request-target must be origin-form ("/path"), absolute-form
// ("scheme://..."), authority-form ("host:port", CONNECT only, which
// needs it) or "*" (OPTIONS only); a status below 100 is invalid.
int mg_http_scan(const char *buf, size_t len, struct mg_http_scan *st,
                 struct mg_http_message *hm, size_t max_header_size, size_t max_headers);
// Bytes examined by the head scanner and the chunked decoder since start
// (wraps; a test hook for "no byte is scanned twice").
extern size_t mg_http_scanned;

struct mg_str *mg_http_get_header(struct mg_http_message *hm, const char *name);
int mg_http_status(const struct mg_http_message *hm);

// The protocol handler installed on HTTP connections (c->pfn).
void mg_http_ev(struct mg_connection *c, int ev, void *ev_data);

bool mg_http_reply(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len, const void *body, size_t body_len);
// mg_http_reply with a Content-Type line of the core's own first (trusted,
// not checked again): MG_HTTP_TYPE_UTF8 "text/plain; charset=utf-8",
// MG_HTTP_TYPE_JSON "application/json"; other values: none.
enum { MG_HTTP_TYPE_NONE, MG_HTTP_TYPE_UTF8, MG_HTTP_TYPE_JSON };
bool mg_http_reply_typed(struct mg_connection *c, int status, int type, const char *headers,
                         size_t headers_len, const void *body, size_t body_len);
bool mg_http_start(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len);
bool mg_http_chunk(struct mg_connection *c, const void *buf, size_t len);
const char *mg_http_status_text(int status);

// ---- core-internal (http_*.c) ------------------------------------------------
// HTTP state of a connection (c->hflags).
#define MG_HF_HDRS 1u         // current message's head parsed, HDRS fired
#define MG_HF_CHUNKED 2u      // its body is chunked (decoded count: c->http_skip)
#define MG_HF_UNTIL_EOF 4u    // response body delimited by EOF (client)
#define MG_HF_EXPECT 8u       // request sent Expect: 100-continue
#define MG_HF_CONTINUE 16u    // 100 Continue already sent
#define MG_HF_HTTP10 32u      // pending request is HTTP/1.0
#define MG_HF_KEEPALIVE 64u   // ... and asked for keep-alive
#define MG_HF_RAW_OUT 128u    // hand-written streaming head without chunked coding
#define MG_HF_STREAM 256u     // request body streamed to the handler (http_stream.c)
#define MG_HF_TOO_BIG 512u    // ... over max_body_size: 413 unless streamed
// A hand-written response head still arriving in pieces (c->raw_head_len
// bytes at the end of c->send); a high bit, clear of the parser's.
#define MG_HF_RAW_HEAD 0x100000u
#define MG_RAW_HEAD_MAX 16384u  // a longer unfinished "head" is a raw answer

#define MG_CHUNK_LINE_MAX 4096  // chunk-size line incl. extensions

// Byte classes (http_parse.c): inline, since header checks call them per byte.
extern const unsigned char mg_http_cls[256];
// Field-value byte: HTAB, SP, VCHAR or obs-text.
static inline bool mg_http_field_char(unsigned char ch) {
  return (mg_http_cls[ch] & 4) != 0;
}
// Token byte (method, header name).
static inline bool mg_http_tchar(unsigned char ch) {
  return (mg_http_cls[ch] & 1) != 0;
}
// A Host field value against RFC 9112 3.2 / RFC 3986 3.2.2 (http_host.c):
// reg-name, IPv4, [IPv6] or [IPvFuture], then an optional ":" port.
bool mg_http_host_valid(struct mg_str v);
// The core's own final reply (400, 408, 413, 431, 501, shutdown status):
// Connection: close, then drain. Any pending request is dropped unanswered.
void mg_http_error(struct mg_connection *c, int status);
// Someone other than the parser removed bytes from the front of c->recv
// (mgx_recv_consume): forget the message being received; what is left is
// parsed from scratch.
void mg_http_input_removed(struct mg_connection *c);
// The pending request's response is complete (counts mgr->completed).
// Closes (drains) when `close`, else resumes parsing buffered requests.
void mg_http_finish(struct mg_connection *c, bool close);
// Server-sent event as one chunk (starts a text/event-stream response).
bool mg_http_sse(struct mg_connection *c, const char *type, size_t type_len,
                 const char *data, size_t data_len);

// A handler's raw mgx_send starts the response of the pending request with
// these bytes: a hand-written head that announces a stream (chunked, or no
// Content-Length) lets httpChunk/httpSse continue it (the reference's
// streaming pattern) instead of counting as the whole response. `buf` is
// every raw byte of the response so far: a head sent line by line is judged
// when its blank line arrives (MG_HF_RAW_HEAD until then).
void mg_http_raw_head(struct mg_connection *c, const void *buf, size_t len);

// ---- client (http_client.c) -------------------------------------------------
// Outgoing bytes of a client HTTP connection (called by mg_send).
void mg_http_client_sent(struct mg_connection *c, const void *buf, size_t len);
// A response head arrived: whether it answers a HEAD request. `final`
// (status >= 200 or 101) retires that request.
bool mg_http_client_response(struct mg_connection *c, bool final);

#endif
