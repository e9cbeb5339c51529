// host_fake.c: netif.h implemented natively for the unit tests.
#include "host_fake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/netif.h"

struct buf {
  char *p;
  size_t len, cap;
};

struct fake {
  uint32_t id;
  struct mg_connection *c;
  struct buf out, events;
  size_t budget;
  int closes;
};

double fake_now = 1000;
double fake_wall = 0;  // no clock unless a test sets one: no Date header
int fake_wall_calls;
fake_handler_t fake_handler;
void (*fake_timer_hook)(uint32_t);
bool fake_log_io;

static struct fake *s_fakes;
static size_t s_nfakes, s_capfakes;
static struct buf s_timers, s_log, s_sends;
static uint32_t s_rand = 12345;

static void buf_add(struct buf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->len + n + 1) * 2;
    char *q = (char *) realloc(b->p, cap);
    if (q == NULL) abort();
    b->p = q, b->cap = cap;
  }
  if (n > 0) memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void buf_fmt(struct buf *b, const char *fmt, ...) {
  char tmp[4096];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t) n >= sizeof(tmp)) n = sizeof(tmp) - 1;
  buf_add(b, tmp, (size_t) n);
}

static void buf_free(struct buf *b) {
  free(b->p);
  b->p = NULL, b->len = b->cap = 0;
}

static struct fake *get(uint32_t id) {
  size_t i;
  for (i = 0; i < s_nfakes; i++) {
    if (s_fakes[i].id == id) return &s_fakes[i];
  }
  if (s_nfakes == s_capfakes) {
    size_t cap = s_capfakes ? s_capfakes * 2 : 64;
    struct fake *f = (struct fake *) realloc(s_fakes, cap * sizeof(*f));
    if (f == NULL) abort();
    s_fakes = f, s_capfakes = cap;
  }
  memset(&s_fakes[s_nfakes], 0, sizeof(s_fakes[0]));
  s_fakes[s_nfakes].id = id;
  s_fakes[s_nfakes].budget = (size_t) -1;
  buf_add(&s_fakes[s_nfakes].out, "", 0);
  buf_add(&s_fakes[s_nfakes].events, "", 0);
  return &s_fakes[s_nfakes++];
}

void fake_reset(void) {
  size_t i;
  for (i = 0; i < s_nfakes; i++) {
    buf_free(&s_fakes[i].out);
    buf_free(&s_fakes[i].events);
  }
  free(s_fakes);
  s_fakes = NULL, s_nfakes = s_capfakes = 0;
  buf_free(&s_timers);
  buf_free(&s_log);
  buf_free(&s_sends);
  fake_now = 1000;
  fake_wall = 0;
  fake_wall_calls = 0;
  fake_handler = NULL;
  fake_timer_hook = NULL;
  fake_log_io = false;
}

void fake_bind(struct mg_connection *c) {
  get(c->id)->c = c;
}

struct mg_connection *fake_conn(uint32_t id) {
  return get(id)->c;
}

const char *fake_out(uint32_t id) {
  return get(id)->out.p;
}

size_t fake_out_len(uint32_t id) {
  return get(id)->out.len;
}

void fake_out_clear(uint32_t id) {
  struct fake *f = get(id);
  f->out.len = 0;
  f->out.p[0] = '\0';
}

void fake_set_budget(uint32_t id, size_t bytes) {
  get(id)->budget = bytes;
}

int fake_closes(uint32_t id) {
  return get(id)->closes;
}

const char *fake_events(uint32_t id) {
  return get(id)->events.p;
}

const char *fake_timers(void) {
  return s_timers.p == NULL ? "" : s_timers.p;
}

// ---- netif.h ---------------------------------------------------------------

size_t host_send(uint32_t id, const void *buf, size_t len) {
  struct fake *f = get(id);
  size_t n = len < f->budget ? len : f->budget;
  buf_add(&f->out, buf, n);
  if (f->budget != (size_t) -1) f->budget -= n;
  if (n > 0) buf_fmt(&s_sends, "%u ", (unsigned) id);
  return n;
}

const char *fake_send_order(void) {
  return s_sends.len > 0 ? s_sends.p : "";
}

void host_close(uint32_t id) {
  get(id)->closes++;
}

static const char *ev_name(int ev) {
  static const char *names[] = {"ERROR", "OPEN", "POLL", "RESOLVE", "CONNECT", "ACCEPT",
                                "TLS_HS", "READ", "WRITE", "CLOSE", "HDRS", "MSG",
                                "WS_OPEN", "WS_MSG", "WS_CTL", "MQTT_CMD", "MQTT_MSG",
                                "MQTT_OPEN", "SNTP_TIME", "WAKEUP", "USER"};
  return ev >= 0 && ev <= MG_EV_USER ? names[ev] : "?";
}

static void log_event(struct fake *f, int ev, void *ev_data) {
  struct buf *b = &f->events;
  if (!fake_log_io && (ev == MG_EV_READ || ev == MG_EV_WRITE || ev == MG_EV_POLL)) return;
  buf_fmt(b, "%s", ev_name(ev));
  if (ev == MG_EV_ERROR) buf_fmt(b, " %s", (const char *) ev_data);
  if (ev == MG_EV_READ || ev == MG_EV_WRITE) buf_fmt(b, " %d", (int) *(int32_t *) ev_data);
  if (ev == MG_EV_WAKEUP) {
    struct mg_str *s = (struct mg_str *) ev_data;
    buf_fmt(b, " %.*s", (int) s->len, s->buf);
  }
  if (ev == MG_EV_HTTP_HDRS || ev == MG_EV_HTTP_MSG) {
    struct mg_http_message *hm = (struct mg_http_message *) ev_data;
    buf_fmt(b, " %.*s %.*s", (int) hm->method.len, hm->method.buf, (int) hm->uri.len,
            hm->uri.buf);
    if (hm->query.len > 0) buf_fmt(b, "?%.*s", (int) hm->query.len, hm->query.buf);
    buf_fmt(b, " %.*s h=%u", (int) hm->proto.len, hm->proto.buf, (unsigned) hm->num_headers);
    if (ev == MG_EV_HTTP_MSG) {
      buf_fmt(b, " b=%u:", (unsigned) hm->body.len);
      buf_add(b, hm->body.buf, hm->body.len);
    }
  }
  buf_add(b, "\n", 1);
}

void host_event(uint32_t id, int ev, void *ev_data) {
  struct fake *f = get(id);
  struct mg_connection *c = f->c;
  log_event(f, ev, ev_data);
  if (ev == MG_EV_CLOSE) f->c = NULL;  // invalid once the event returns
  if (fake_handler != NULL) fake_handler(c, ev, ev_data);
}

void host_timer(uint32_t timer_id) {
  buf_fmt(&s_timers, "%u ", (unsigned) timer_id);
  if (fake_timer_hook != NULL) fake_timer_hook(timer_id);
}

double host_now(void) {
  return fake_now;
}

double host_wall(void) {
  fake_wall_calls++;
  return fake_wall;
}

void host_random(void *buf, size_t len) {
  unsigned char *p = (unsigned char *) buf;
  size_t i;
  for (i = 0; i < len; i++) {
    s_rand = s_rand * 1103515245u + 12345u;
    p[i] = (unsigned char) (s_rand >> 16);
  }
}

void host_log(int level, const char *buf, size_t len) {
  buf_fmt(&s_log, "%d %.*s\n", level, (int) len, buf);
}

// permessage-deflate (ws.h): a stand-in for zlib whose "inflate" copies its
// input (the core only moves the bytes); input starting 0xff is "bad data",
// "BOMB" inflates to 4096 bytes.
static unsigned char s_inflated[1 << 16];
static size_t s_inflated_len;
int fake_zfrees;

int host_ws_inflate(uint32_t id, const void *in, size_t len, uint32_t max, int pmd) {
  (void) id, (void) pmd;
  if (len > 0 && ((const unsigned char *) in)[0] == 0xff) return -1;
  if (len >= 4 && memcmp(in, "BOMB", 4) == 0) {
    if (4096 > max) return -2;
    memset(s_inflated, 'z', 4096);
    s_inflated_len = 4096;
    return 4096;
  }
  if (len > max) return -2;
  if (len > sizeof(s_inflated)) return -1;
  memcpy(s_inflated, in, len);
  s_inflated_len = len;
  return (int) len;
}

void host_ws_inflate_take(uint32_t id, void *dst) {
  (void) id;
  memcpy(dst, s_inflated, s_inflated_len);
}

void host_ws_zfree(uint32_t id) {
  (void) id;
  fake_zfrees++;
}

// ---- helpers ------------------------------------------------------------------

struct mg_connection *fake_listen(struct mg_mgr *mgr, int proto) {
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_LISTENER, proto, NULL);
  if (c != NULL) fake_bind(c), mgx_open(c);
  return c;
}

struct mg_connection *fake_accept(struct mg_mgr *mgr, struct mg_connection *lsn) {
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, lsn);
  if (c != NULL) fake_bind(c), mgx_open(c);
  return c;
}

uint32_t fake_http_server(struct mg_mgr **mgr, fake_handler_t h) {
  *mgr = mgx_mgr_new();
  fake_handler = h;
  return fake_accept(*mgr, fake_listen(*mgr, MGX_PROTO_HTTP))->id;
}

const char *fake_http_once(fake_handler_t h, const char *req) {
  static char out[8192];
  struct mg_mgr *mgr;
  uint32_t id = fake_http_server(&mgr, h);
  fake_feeds(mgr, id, req);
  snprintf(out, sizeof(out), "%s", fake_out(id));
  mgx_mgr_free(mgr);
  return out;
}

struct mg_connection *fake_http_req;

static void keep_request(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_HTTP_MSG) fake_http_req = c;
}

uint32_t fake_http_pending(struct mg_mgr **mgr, const char *req) {
  uint32_t id = fake_http_server(mgr, keep_request);
  fake_http_req = NULL;
  fake_feeds(*mgr, id, req);
  return id;
}

struct mg_connection *fake_http_client(struct mg_mgr **mgr) {
  struct mg_connection *c;
  *mgr = mgx_mgr_new();
  c = mgx_conn_new(*mgr, MGX_KIND_CLIENT, MGX_PROTO_HTTP, NULL);
  fake_bind(c);
  mgx_open(c);
  mgx_resolved(c);
  mgx_connected(c);
  return c;
}

bool fake_feed(struct mg_mgr *mgr, uint32_t id, const void *buf, size_t len, size_t step) {
  const char *p = (const char *) buf;
  size_t off = 0;
  if (step == 0) step = len == 0 ? 1 : len;
  while (off < len) {
    struct mg_connection *c = fake_conn(id);
    size_t n = len - off < step ? len - off : step;
    void *dst;
    if (c == NULL) return false;
    dst = mgx_recv_reserve(c, n);
    if (dst == NULL) return false;
    memcpy(dst, p + off, n);
    mgx_recv_commit(c, n);
    mgx_flush(mgr);
    off += n;
  }
  return true;
}

bool fake_feeds(struct mg_mgr *mgr, uint32_t id, const char *s) {
  return fake_feed(mgr, id, s, strlen(s), 0);
}

void fake_echo_handler(struct mg_connection *c, int ev, void *ev_data) {
  if (ev == MG_EV_HTTP_MSG && c != NULL) {
    struct mg_http_message *hm = (struct mg_http_message *) ev_data;
    char body[8192];
    int n = snprintf(body, sizeof(body), "%.*s %.*s%s%.*s %.*s", (int) hm->method.len,
                     hm->method.buf, (int) hm->uri.len, hm->uri.buf, hm->query.len ? "?" : "",
                     (int) hm->query.len, hm->query.buf, (int) hm->body.len, hm->body.buf);
    if (n < 0) n = 0;
    if ((size_t) n >= sizeof(body)) n = sizeof(body) - 1;
    mgx_http_reply(c, 200, NULL, 0, body, (size_t) n);
  }
}
