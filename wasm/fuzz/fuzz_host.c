// fuzz_host.c: the netif.h imports for the fuzz targets (see fuzz_host.h).
#include "fuzz_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgx.h"
#include "net.h"

struct fh_state fh;

void fh_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "\n==FUZZ CHECK FAILED== %s:%d: %s: ", file, line, cond);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  abort();
}

void fh_reset(void) {
  void (*keep)(uint32_t, int, void *) = fh.on_event;
  free(fh.capture);
  memset(&fh, 0, sizeof(fh));
  fh.now = 1000.0;
  fh.trickle = 7;
  fh.on_event = keep;
}

struct fh_conn *fh_conn(uint32_t id) {
  for (int i = 0; i < fh.num_conns; i++) {
    if (fh.conns[i].id == id) return &fh.conns[i];
  }
  FUZZ_CHECK(fh.num_conns < FH_MAX_CONNS, "more than %d connections", FH_MAX_CONNS);
  struct fh_conn *fc = &fh.conns[fh.num_conns++];
  memset(fc, 0, sizeof(*fc));
  fc->id = id;
  return fc;
}

void fh_touch(const void *buf, size_t len) {
  const unsigned char *p = (const unsigned char *) buf;
  uint64_t sum = fh.checksum;
  for (size_t i = 0; i < len; i++) sum = sum * 31 + p[i];
  fh.checksum = sum;
}

void fh_http_accepted(struct mg_mgr *mgr, struct mg_connection **conn, uint32_t *id) {
  struct mg_connection *lst = mgr ? mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_HTTP, NULL) : NULL;
  *conn = lst ? mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_HTTP, lst) : NULL;
  FUZZ_CHECK(lst && *conn, "setup failed");
  *id = fh.capture_id = (*conn)->id;
  mgx_open(lst);
  mgx_open(*conn);
}

size_t host_send(uint32_t id, const void *buf, size_t len) {
  struct fh_conn *fc = fh_conn(id);
  FUZZ_CHECK(fc->host_closes == 0, "host_send on connection %u after host_close", id);
  FUZZ_CHECK(fc->closes == 0, "host_send on connection %u after MG_EV_CLOSE", id);
  size_t take = len;
  fh.send_calls++;
  if (fh.send_mode == FH_SEND_TRICKLE && take > fh.trickle) take = fh.trickle;
  if (fh.send_mode == FH_SEND_STALL && (fh.send_calls & 1)) take = 0;
  fh_touch(buf, take);
  fc->sent += take;
  if (id == fh.capture_id && take > 0) {
    if (fh.capture_len + take > fh.capture_size) {
      size_t size = 2 * (fh.capture_len + take);
      unsigned char *p = (unsigned char *) realloc(fh.capture, size);
      FUZZ_CHECK(p != NULL, "out of memory capturing %zu bytes", size);
      fh.capture = p;
      fh.capture_size = size;
    }
    memcpy(fh.capture + fh.capture_len, buf, take);
    fh.capture_len += take;
  }
  if (take < len) fc->short_send = 1;
  return take;
}

void host_close(uint32_t id) {
  struct fh_conn *fc = fh_conn(id);
  FUZZ_CHECK(fc->host_closes == 0, "host_close called twice for connection %u", id);
  FUZZ_CHECK(fc->closes == 0, "host_close for connection %u after MG_EV_CLOSE", id);
  fc->host_closes++;
}

void host_event(uint32_t id, int ev, void *ev_data) {
  struct fh_conn *fc = fh_conn(id);
  FUZZ_CHECK(fc->closes == 0, "event %d on connection %u after MG_EV_CLOSE", ev, id);
  FUZZ_CHECK(ev >= MG_EV_ERROR && ev <= MG_EV_USER, "unknown event %d", ev);
  fc->events++;
  if (ev == MG_EV_CLOSE) fc->closes++;
  if (ev == MG_EV_ERROR) {
    FUZZ_CHECK(ev_data != NULL, "MG_EV_ERROR without a message on %u", id);
    fh_touch(ev_data, strlen((const char *) ev_data));
  }
  if (fh.on_event) fh.on_event(id, ev, ev_data);
}

void host_timer(uint32_t timer_id) { (void) timer_id; }

double host_now(void) { return fh.now; }

double host_wall(void) { return 784111777000.0 + fh.now; }  // a clock: Date lines are built

void host_random(void *buf, size_t len) {
  unsigned char *p = (unsigned char *) buf;
  for (size_t i = 0; i < len; i++) p[i] = (unsigned char) (i * 131 + 7);
}

void host_log(int level, const char *buf, size_t len) {
  (void) level;
  fh_touch(buf, len);
}

// permessage-deflate (ws.h): "inflating" copies the input, so the core's
// side of compressed messages is fuzzed (0xff first: bad data).
static unsigned char fh_inflated[1 << 16];
static size_t fh_inflated_len;

int host_ws_inflate(uint32_t id, const void *in, size_t len, uint32_t max, int pmd) {
  (void) id, (void) pmd;
  fh_touch(in, len);
  if (len > 0 && ((const unsigned char *) in)[0] == 0xff) return -1;
  if (len > max) return -2;
  if (len > sizeof(fh_inflated)) return -1;
  memcpy(fh_inflated, in, len);
  fh_inflated_len = len;
  return (int) len;
}

void host_ws_inflate_take(uint32_t id, void *dst) {
  (void) id;
  memcpy(dst, fh_inflated, fh_inflated_len);
}

void host_ws_zfree(uint32_t id) { (void) id; }

// fs.h: no files (the static-serving parsers have their own target).
int host_fs_stat(const char *path, size_t len, double *out) {
  fh_touch(path, len);
  (void) out;
  return 0;
}
uint32_t host_fs_open(const char *path, size_t len, int flags) {
  fh_touch(path, len);
  (void) flags;
  return 0;
}
size_t host_fs_read(uint32_t fd, double offset, void *buf, size_t len) {
  (void) fd, (void) offset, (void) buf, (void) len;
  return 0;
}
void host_fs_close(uint32_t fd) { (void) fd; }
int host_fs_within(const char *root, size_t rlen, const char *path, size_t plen) {
  fh_touch(root, rlen);
  fh_touch(path, plen);
  return 0;
}
void host_body(uint32_t id, uint32_t fd, double offset, double len) {
  (void) id, (void) fd, (void) offset, (void) len;
}

void fh_feed(struct mg_mgr *mgr, struct mg_connection *c, uint32_t id, const uint8_t *p, size_t n) {
  void *dst;
  if (fh_conn(id)->closes != 0) return;
  dst = mgx_recv_reserve(c, n);
  if (dst == NULL) return;
  memcpy(dst, p, n);
  mgx_recv_commit(c, n);
  mgx_flush(mgr);
}

void fh_feed_steps(struct mg_mgr *mgr, struct mg_connection *c, uint32_t id, const uint8_t *p,
                   size_t len, size_t step) {
  size_t i = 0;
  while (i < len && fh_conn(id)->closes == 0) {
    size_t n = step == 0 ? len - i : (step < len - i ? step : len - i);
    fh_feed(mgr, c, id, p + i, n);
    i += n;
    fh.now += 1000;
    if (fh_conn(id)->closes == 0) {
      mgx_poll(mgr);
      mgx_flush(mgr);
    }
  }
}
