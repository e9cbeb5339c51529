// http_reply.c: responses: full replies, chunked streams, server-sent events.
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "fs.h"
#include "http.h"
#include "http_head.h"
#include "http_static.h"
#include "netif.h"

const char *mg_http_status_text(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

static void puts_(struct mg_head *h, const char *s) {
  mg_head_put(h, s, strlen(s));
}

static void put_u64(struct mg_head *h, uint64_t v) {
  char num[20];
  mg_head_put(h, num, mg_fmt_u64(num, v));
}

static void status_line(struct mg_head *h, int status) {
  if (status == 200) {  // the common case, preformatted
    mg_head_put(h, "HTTP/1.1 200 OK\r\n", 17);
    return;
  }
  puts_(h, "HTTP/1.1 ");
  put_u64(h, (uint64_t) status);
  puts_(h, " ");
  puts_(h, mg_http_status_text(status));
  puts_(h, "\r\n");
}

// RFC 9110 6.6.1: a server with a clock sends Date in its final answers.
// The line changes once a second, so it is formatted then and reused by
// every response of that second (one host_wall() call a second).
static void date_line(struct mg_head *h, struct mg_mgr *mgr) {
  uint64_t now = mg_millis();
  if (mgr->date_len == 0 || now >= mgr->date_next_ms) {
    double wall = host_wall();
    int64_t ms = wall >= 1000.0 && wall < 1e15 ? (int64_t) wall : 0;  // ~33,000 years
    size_t n = 0;
    if (ms > 0) {
      memcpy(mgr->date, "Date: ", 6);
      n = 6 + mg_http_date(mgr->date + 6, sizeof(mgr->date) - 8, ms / 1000);
      if (n + 2 < sizeof(mgr->date)) memcpy(mgr->date + n, "\r\n", 2), n += 2;
      else n = 0;
    }
    mgr->date_len = n;
    // Stale at the next wall-clock second (or, without a clock, ask again then).
    mgr->date_next_ms = now + (uint64_t) (1000 - (ms > 0 ? ms % 1000 : 0));
  }
  mg_head_put(h, mgr->date, mgr->date_len);
}

// What the user's header block says about the response.
struct user_hdrs {
  bool content_type, close, date;
};

// Kept lines are copied as runs (one copy for a clean block); a line that
// is dropped or needs its line end fixed ends the run.
static void flush_run(struct mg_head *h, const char *hdrs, size_t from, size_t to) {
  if (to > from) mg_head_put(h, hdrs + from, to - from);
}

// Copy the user's "Name: value" lines, normalising line ends to CRLF. Lines
// with control bytes (header injection) or a name that is not a token are
// dropped, and so are
// Content-Length / Transfer-Encoding / Connection: the core frames the body
// and decides about the connection itself ("Connection: close" is honoured).
// One pass over the bytes; names are compared only when their length is
// that of a name the core cares about.
static void user_headers(struct mg_head *h, const char *hdrs, size_t len, struct user_hdrs *u) {
  const unsigned char *s = (const unsigned char *) hdrs;
  size_t i = 0, run = 0;  // [run, i): whole CRLF lines kept as they are
  u->content_type = u->close = u->date = false;
  while (i < len) {
    size_t start = i, colon = i, end, next, k;
    bool ok;
    while (colon < len && mg_http_tchar(s[colon])) colon++;
    ok = colon > start && colon < len && s[colon] == ':';
    for (k = colon; k < len && s[k] != '\n'; k++) continue;
    next = k < len ? k + 1 : k;
    end = k > start && s[k - 1] == '\r' ? k - 1 : k;  // the line is [start, end)
    if (ok && colon >= end) ok = false;
    for (k = colon + 1; ok && k < end; k++) ok = mg_http_field_char(s[k]);
    i = next;
    if (ok) {
      struct mg_str name = mg_str_n(hdrs + start, colon - start);
      switch (name.len) {
        case 4:
          if (mg_str_ieq(name, "Date")) u->date = true;  // the handler's own Date wins
          break;
        case 10:
          if (mg_str_ieq(name, "Connection")) {  // the core writes its own
            struct mg_str value = mg_str_trim(mg_str_n(hdrs + colon + 1, end - colon - 1));
            if (mg_str_has_token(value, "close")) u->close = true;
            ok = false;
          }
          break;
        case 12:
          if (mg_str_ieq(name, "Content-Type")) u->content_type = true;
          break;
        case 14:
          if (mg_str_ieq(name, "Content-Length")) ok = false;
          break;
        case 17:
          if (mg_str_ieq(name, "Transfer-Encoding")) ok = false;
          break;
        default:
          break;
      }
    }
    if (ok && next == end + 2) continue;  // ends in CRLF: stays in the run
    flush_run(h, hdrs, run, start);
    run = next;
    if (ok) {  // a bare LF or no line end: written with CRLF
      mg_head_put(h, hdrs + start, end - start);
      mg_head_put(h, "\r\n", 2);
    }
  }
  flush_run(h, hdrs, run, len);
}

// A response that keeps the connection open says how long it stays open
// when idle. Clients that honour the hint (undici/fetch, curl) stop reusing
// an idle connection before that, so they never send a request on a
// connection the server is closing (see mgx_shutdown_idle).
static void keep_alive_hint(struct mg_head *h, const struct mg_connection *c) {
  uint32_t ms = c->mgr->limits.idle_timeout_ms;
  if (ms == 0) return;
  puts_(h, "Keep-Alive: timeout=");
  put_u64(h, ms / 1000);
  puts_(h, "\r\n");
}

// Requests the peer pipelined behind the pending one (bytes past the
// current message). During shutdown they are still answered (with the
// shutdown status, or served), so the current answer keeps the connection.
static bool pipelined(const struct mg_connection *c) {
  size_t cur = 0;
  if (!(c->flags & MG_F_REQ_PENDING)) return false;
  if (c->hflags & MG_HF_HDRS) {  // the current request is still in c->recv
    uint64_t body = (c->hflags & MG_HF_CHUNKED) ? c->http_skip : c->http_body_len;
    cur = c->http_head_len + (size_t) body;
  }
  return c->recv.len > cur;
}

// Must the connection close after the response being written now?
static bool will_close(const struct mg_connection *c) {
  if (c->flags & (MG_F_RESP_CLOSE | MG_F_EOF | MG_F_DRAINING)) return true;
  if (c->mgr->shutdown_status != 0 && !pipelined(c)) return true;
  // Replying before the request body was read: its bytes can't be skipped.
  return !(c->flags & MG_F_REQ_PENDING) && (c->hflags & MG_HF_HDRS);
}

// Queue head + body atomically (all or nothing).
static bool queue(struct mg_connection *c, struct mg_head *h, const void *body, size_t body_len) {
  bool ok = h->ok && mg_iobuf_reserve(&c->send, mg_head_len(h) + body_len) &&
            mg_send(c, mg_head_data(h), mg_head_len(h)) && mg_send(c, body, body_len);
  mg_head_free(h);
  return ok;
}

// queue() for a head the core wrote: marked started first, so mg_send does
// not scan it as a handler's raw answer (MG_HF_RAW_HEAD), a wasted pass.
static bool queue_own(struct mg_connection *c, struct mg_head *h, const void *body,
                      size_t body_len) {
  bool was = (c->flags & MG_F_RESP_STARTED) != 0, ok;
  if (c->flags & MG_F_REQ_PENDING) c->flags |= MG_F_RESP_STARTED;
  ok = queue(c, h, body, body_len);
  if (!ok && !was) c->flags &= ~MG_F_RESP_STARTED;
  return ok;
}

static bool usable(const struct mg_connection *c, int status) {
  if (status < 100 || status > 999) return false;
  if (c->flags & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT | MG_F_LISTENING)) return false;
  if (c->flags & MG_F_REQ_PENDING) return !(c->flags & MG_F_RESP_STARTED);
  if (c->flags & (MG_F_DRAINING | MG_F_CHUNKED_OUT)) return false;
  // A server answers requests only: a second answer, or a late one after a
  // 408, is refused. Exception: an early answer while the request body is
  // still arriving (from MG_EV_HTTP_HDRS), which then closes.
  if ((c->flags & (MG_F_HTTP | MG_F_CLIENT)) == MG_F_HTTP) return (c->hflags & MG_HF_HDRS) != 0;
  return true;
}

void mg_http_finish(struct mg_connection *c, bool close) {
  if (c->flags & MG_F_REQ_PENDING) c->mgr->completed++;
  c->flags &= ~(MG_F_REQ_PENDING | MG_F_RESP_STARTED | MG_F_CHUNKED_OUT | MG_F_HEAD |
                MG_F_RESP_CLOSE);
  c->hflags &= ~(MG_HF_HTTP10 | MG_HF_KEEPALIVE | MG_HF_RAW_OUT | MG_HF_RAW_HEAD);
  // req_uri and req_start_ms stay: a forced shutdown names a response still flushing.
  if (close) {
    c->flags |= MG_F_FINAL;
    mg_drain_conn(c);
  } else {
    c->flags |= MG_F_PARSE_PENDING;  // the next pipelined request, at flush
    mg_mark_dirty(c);
  }
}

// Read a host body into c->send (the head is queued already). False if the
// file came up short: the response is then cut and the connection closes.
static bool read_body(struct mg_connection *c, const struct mg_body_src *src) {
  uint64_t done = 0;
  if (!mg_iobuf_reserve(&c->send, (size_t) src->len)) return false;
  while (done < src->len) {
    size_t want = (size_t) (src->len - done);
    size_t n = host_fs_read(src->fd, (double) (src->off + done), c->send.buf + c->send.len, want);
    if (n == 0 || n > want) return false;
    c->send.len += n;
    done += n;
  }
  mg_mark_dirty(c);
  return true;
}

static int respond_src(struct mg_connection *c, int status, const struct mg_http_lines *core,
                       const char *hdrs, size_t hdrs_len, const void *body, size_t body_len,
                       bool close, const struct mg_body_src *src);

// Build a complete response. Returns -1 (nothing queued), 0 or 1 (queued;
// 1 = the response says Connection: close).
static int respond(struct mg_connection *c, int status, const char *hdrs, size_t hdrs_len,
                   const void *body, size_t body_len, bool close) {
  return respond_src(c, status, NULL, hdrs, hdrs_len, body, body_len, close, NULL);
}

// `core`: lines the core built itself (trusted, copied as they are), before
// the user's `hdrs` (checked line by line).
static int respond_src(struct mg_connection *c, int status, const struct mg_http_lines *core,
                       const char *hdrs, size_t hdrs_len, const void *body, size_t body_len,
                       bool close, const struct mg_body_src *src) {
  struct mg_head h;
  struct user_hdrs u;
  bool bodiless = status < 200 || status == 204 || status == 304;
  uint64_t clen = src != NULL ? src->len : body_len;
  mg_head_init(&h);
  status_line(&h, status);
  if (core != NULL) mg_head_put(&h, core->buf, core->len);
  user_headers(&h, hdrs, hdrs_len, &u);
  if (core != NULL && core->content_type) u.content_type = true;
  close = close || u.close;
  if (status >= 200 && !u.date) date_line(&h, c->mgr);
  if (!bodiless) {
    if (!u.content_type) puts_(&h, "Content-Type: text/plain\r\n");
    puts_(&h, "Content-Length: ");
    put_u64(&h, clen);
    puts_(&h, "\r\n");
  }
  if (status < 200 && status != 101) {
    // Interim: the connection header belongs to the final response.
  } else if (close) {
    puts_(&h, "Connection: close\r\n");
  } else if (status != 101) {
    if (c->hflags & MG_HF_KEEPALIVE) puts_(&h, "Connection: keep-alive\r\n");  // HTTP/1.0 echo
    keep_alive_hint(&h, c);
  }
  puts_(&h, "\r\n");
  if (bodiless || (c->flags & MG_F_HEAD)) body_len = 0;
  if (src != NULL) {
    bool with_body = !bodiless && !(c->flags & MG_F_HEAD) && src->len > 0;
    bool ok = queue_own(c, &h, NULL, 0);
    if (ok && with_body && src->in_host) {
      mg_body_queue(c, src->fd, src->off, src->len);  // takes the handle
      return close ? 1 : 0;
    }
    if (ok && with_body && !read_body(c, src)) close = true;  // cut short: can't reuse
    host_fs_close(src->fd);
    return ok ? (close ? 1 : 0) : -1;
  }
  return queue_own(c, &h, body, body_len) ? (close ? 1 : 0) : -1;
}

static bool reply_src(struct mg_connection *c, int status, const struct mg_http_lines *core,
                      const char *headers, size_t headers_len, const void *body,
                      size_t body_len, const struct mg_body_src *src);

bool mg_http_reply(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len, const void *body, size_t body_len) {
  return reply_src(c, status, NULL, headers, headers_len, body, body_len, NULL);
}

bool mg_http_reply_typed(struct mg_connection *c, int status, int type, const char *headers,
                         size_t headers_len, const void *body, size_t body_len) {
  static const struct mg_http_lines s_types[] = {
      {"Content-Type: text/plain; charset=utf-8\r\n", 41, true},
      {"Content-Type: application/json\r\n", 32, true},
  };
  const struct mg_http_lines *core =
      type == MG_HTTP_TYPE_UTF8 ? &s_types[0] : type == MG_HTTP_TYPE_JSON ? &s_types[1] : NULL;
  return reply_src(c, status, core, headers, headers_len, body, body_len, NULL);
}

bool mg_http_reply_src(struct mg_connection *c, int status, const char *headers,
                       size_t headers_len, const struct mg_body_src *src) {
  return reply_src(c, status, NULL, headers, headers_len, NULL, 0, src);
}

bool mg_http_reply_core(struct mg_connection *c, int status, const struct mg_http_lines *core,
                        const char *headers, size_t headers_len, const struct mg_body_src *src) {
  return reply_src(c, status, core, headers, headers_len, NULL, 0, src);
}

static bool reply_src(struct mg_connection *c, int status, const struct mg_http_lines *core,
                      const char *headers, size_t headers_len, const void *body,
                      size_t body_len, const struct mg_body_src *src) {
  int r;
  bool started = (c->flags & MG_F_RESP_STARTED) != 0;
  if (!usable(c, status) || (src != NULL && (c->flags & (MG_F_BODY_QUEUED | MG_F_BODY_HOST)))) {
    if (src != NULL) host_fs_close(src->fd);
    return false;
  }
  r = respond_src(c, status, core, headers, headers_len, body, body_len, will_close(c), src);
  if (r < 0) return false;
  // An interim 1xx answer does not start the final response.
  if (status < 200 && status != 101 && !started) c->flags &= ~MG_F_RESP_STARTED;
  if (status >= 200 || status == 101) {
    if (c->flags & MG_F_REQ_PENDING) {
      mg_http_finish(c, r == 1);
    } else if (r == 1) {
      c->flags |= MG_F_FINAL;
      mg_drain_conn(c);
    }
  }
  return true;
}

void mg_http_error(struct mg_connection *c, int status) {
  char body[64];
  size_t n;
  if (c->flags & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT)) return;
  if ((c->flags & (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) ==
      (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) {
    mg_close_conn(c);  // a response is half written: nothing else fits
    return;
  }
  c->flags &= ~(MG_F_REQ_PENDING | MG_F_RESP_CLOSE | MG_F_RESP_STARTED);
  c->hflags &= ~MG_HF_KEEPALIVE;
  c->req_uri[0] = '\0';
  n = mg_snprintf(body, sizeof(body), "%d %s\n", status, mg_http_status_text(status));
  if (n >= sizeof(body)) n = sizeof(body) - 1;
  respond(c, status, NULL, 0, body, n, true);
  c->flags &= ~MG_F_HEAD;
  c->flags |= MG_F_FINAL;
  mg_drain_conn(c);
}

bool mg_http_start(struct mg_connection *c, int status, const char *headers,
                   size_t headers_len) {
  struct mg_head h;
  struct user_hdrs u;
  bool close, http10 = (c->hflags & MG_HF_HTTP10) != 0;
  if (!usable(c, status)) return false;
  if (status < 200 || status == 204 || status == 304) return false;  // no body to stream
  mg_head_init(&h);
  status_line(&h, status);
  user_headers(&h, headers, headers_len, &u);
  // HTTP/1.0 has no chunked coding: the body then ends at close.
  close = will_close(c) || u.close || http10;
  if (!u.date) date_line(&h, c->mgr);
  if (!http10) puts_(&h, "Transfer-Encoding: chunked\r\n");
  if (close) {
    puts_(&h, "Connection: close\r\n");
  } else {
    keep_alive_hint(&h, c);
  }
  puts_(&h, "\r\n");
  if (!queue(c, &h, NULL, 0)) return false;
  c->flags |= MG_F_RESP_STARTED | MG_F_CHUNKED_OUT;
  if (close) c->flags |= MG_F_RESP_CLOSE;
  return true;
}

// One chunk of the response in progress (framing omitted for HTTP/1.0,
// data dropped for HEAD); zero length ends it.
static bool chunk(struct mg_connection *c, const void *buf, size_t len) {
  bool raw = (c->hflags & (MG_HF_HTTP10 | MG_HF_RAW_OUT)) != 0;
  bool head = (c->flags & MG_F_HEAD) != 0;
  if (len == 0) {
    bool ok = raw || head || mg_send(c, "0\r\n\r\n", 5);
    bool close = (c->flags & MG_F_RESP_CLOSE) || will_close(c);
    if (!ok) return false;
    c->flags &= ~MG_F_CHUNKED_OUT;
    if (c->flags & MG_F_REQ_PENDING) {
      mg_http_finish(c, close);
    } else if (close) {
      c->flags |= MG_F_FINAL;
      mg_drain_conn(c);
    }
    return true;
  }
  if (head) return true;
  if (raw) return mg_send(c, buf, len);
  {
    struct mg_head h;
    char num[16];
    mg_head_init(&h);
    mg_head_put(&h, num, mg_fmt_hex(num, len));
    puts_(&h, "\r\n");
    // Reserve everything first so the chunk is queued whole or not at all.
    if (!h.ok || !mg_iobuf_reserve(&c->send, mg_head_len(&h) + len + 2)) {
      mg_head_free(&h);
      return false;
    }
    return queue(c, &h, buf, len) && mg_send(c, "\r\n", 2);
  }
}

// Start the default streamed response if the pending request has none yet.
static bool ensure_stream(struct mg_connection *c, const char *hdrs) {
  if (c->flags & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT)) return false;
  if (c->flags & MG_F_CHUNKED_OUT) return true;
  if ((c->flags & (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) != MG_F_REQ_PENDING) return false;
  return mg_http_start(c, 200, hdrs, strlen(hdrs));
}

bool mg_http_chunk(struct mg_connection *c, const void *buf, size_t len) {
  if (!ensure_stream(c, "Content-Type: text/plain\r\n")) return false;
  return chunk(c, buf, len);
}

bool mg_http_sse(struct mg_connection *c, const char *type, size_t type_len,
                 const char *data, size_t data_len) {
  struct mg_head h;
  size_t i;
  bool ok;
  if (!ensure_stream(c, "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n")) {
    return false;
  }
  mg_head_init(&h);
  if (type == NULL) type = "", type_len = 0;
  if (data == NULL) data = "", data_len = 0;
  if (type_len > 0) {
    puts_(&h, "event: ");
    for (i = 0; i < type_len; i++) {
      if (type[i] != '\r' && type[i] != '\n') mg_head_put(&h, &type[i], 1);
    }
    puts_(&h, "\n");
  }
  // Every line of data gets its own "data:" field.
  for (i = 0;;) {
    size_t j = i, end;
    while (j < data_len && data[j] != '\n') j++;
    end = (j > i && data[j - 1] == '\r') ? j - 1 : j;
    puts_(&h, "data: ");
    mg_head_put(&h, data + i, end - i);
    puts_(&h, "\n");
    if (j >= data_len) break;
    i = j + 1;
  }
  puts_(&h, "\n");
  ok = h.ok && chunk(c, mg_head_data(&h), mg_head_len(&h));
  mg_head_free(&h);
  return ok;
}

// The value of header `name` in the head at buf[0..len) (lines end with
// CRLF; the head ends at the blank line), or an empty view.
static bool raw_header(const char *buf, size_t len, const char *name, struct mg_str *value) {
  size_t i = 0, n = strlen(name);
  while (i < len) {
    size_t j = i;
    while (j < len && buf[j] != '\n') j++;
    if (j >= len) return false;           // incomplete line
    if (j == i || (j == i + 1 && buf[i] == '\r')) return false;  // end of head
    if (j - i > n && buf[i + n] == ':' && mg_str_ieq(mg_str_n(buf + i, n), name)) {
      size_t e = j > i && buf[j - 1] == '\r' ? j - 1 : j;
      *value = mg_str_trim(mg_str_n(buf + i + n + 1, e - i - n - 1));
      return true;
    }
    i = j + 1;
  }
  return false;
}

void mg_http_raw_head(struct mg_connection *c, const void *buf, size_t len) {
  const char *s = (const char *) buf;
  struct mg_str v;
  size_t i;
  bool complete = false;
  // Heads written in several sends are judged once they are whole: until
  // then (a prefix of "HTTP/1.x NNN ...\r\n...") MG_HF_RAW_HEAD stays set.
  if (memcmp(s, "HTTP/1.", len < 7 ? len : 7) != 0) goto decided;  // not a head: a full raw answer
  if (len < 12) return;
  if (s[9] == '1' || (s[9] == '2' && s[10] == '0' && s[11] == '4') ||
      (s[9] == '3' && s[10] == '0' && s[11] == '4')) {
    goto decided;  // 1xx, 204, 304: no body to stream
  }
  // Only a head alone (no body bytes after it) announces a stream to come.
  for (i = 3; i < len && !complete; i++) {
    if (s[i] == '\n' && s[i - 1] == '\r' && s[i - 2] == '\n' && s[i - 3] == '\r') {
      complete = i + 1 == len;
      if (!complete) goto decided;
    }
  }
  if (!complete) {
    if (len > MG_RAW_HEAD_MAX) goto decided;  // never a head: stop rescanning
    return;
  }
  c->hflags &= ~MG_HF_RAW_HEAD;
  if (raw_header(s, len, "Content-Length", &v)) return;
  c->flags |= MG_F_CHUNKED_OUT;
  if (raw_header(s, len, "Transfer-Encoding", &v) && mg_str_has_token(v, "chunked") &&
      !(c->hflags & MG_HF_HTTP10)) {
    return;  // chunk framing, as the head says
  }
  // Body delimited by the end of the connection (an SSE head, HTTP/1.0).
  c->hflags |= MG_HF_RAW_OUT;
  c->flags |= MG_F_RESP_CLOSE;
  return;
decided:
  c->hflags &= ~MG_HF_RAW_HEAD;
}
