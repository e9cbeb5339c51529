// bench_core.c: native throughput of the core's hot path (not a test).
//
// Built by `bash wasm/test/run.sh --bench` with -O2 and no sanitizers,
// against wasm/src/*.c and a minimal host of its own (host_fake.c logs too
// much to measure anything). Each case feeds bytes through
// mgx_recv_reserve/commit exactly as the Node shim does, answers in the
// host_event callback with mgx_http_reply, and calls mgx_flush per read.
// The file cases serve one 2 KiB file from memory through a file host of
// its own (host_fs_*: the cost of the core's static path, without a file
// system). Prints one line per case: requests (or uploads) per second.
//   bash wasm/test/run.sh --bench [N]      N GETs per GET case (default 2M)
//   BENCH_ONLY=upload bash wasm/test/run.sh --bench   cases matching "upload"
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include "../src/alloc.h"
#include "../src/fs.h"
#include "../src/http.h"
#include "../src/http_static.h"
#include "../src/mgx.h"
#include "../src/net.h"
#include "../src/netif.h"

#define MAX_IDS 4096

static struct mg_connection *s_conns[MAX_IDS];
static size_t s_sent;          // bytes taken by host_send
static int s_dump;             // BENCH_DUMP: echo output to stderr
static unsigned long s_msgs;   // MG_EV_HTTP_MSG delivered
static const char *s_body = "Hello, World!";
static size_t s_body_len = 13;
static const char *s_hdrs = "";
static size_t s_hdrs_len = 0;
static bool s_serve_dir;       // answer with mg_http_serve_dir (root /www) instead
static char s_file[2048];      // the file every path under /www names

// BENCH_ONLY=<text>: run only the cases whose name contains it.
static bool selected(const char *name) {
  const char *only = getenv("BENCH_ONLY");
  return only == NULL || strstr(name, only) != NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

// ---- netif.h -----------------------------------------------------------------

size_t host_send(uint32_t id, const void *buf, size_t len) {
  (void) id;
  if (s_dump) fwrite(buf, 1, len < 200 ? len : 200, stderr);
  s_sent += len;
  return len;
}

void host_close(uint32_t id) {
  if (id < MAX_IDS) s_conns[id] = NULL;
}

void host_event(uint32_t id, int ev, void *ev_data) {
  if (ev == MG_EV_HTTP_MSG && id < MAX_IDS && s_conns[id] != NULL) {
    s_msgs++;
    if (s_serve_dir) {
      struct mg_http_serve_opts o;
      memset(&o, 0, sizeof(o));
      o.root_dir = mg_str_s("/www");
      mg_http_serve_dir(s_conns[id], (struct mg_http_message *) ev_data, &o);
    } else {
      mgx_http_reply(s_conns[id], 200, s_hdrs, s_hdrs_len, s_body, s_body_len);
    }
  }
}

void host_timer(uint32_t timer_id) {
  (void) timer_id;
}

double host_now(void) {
  return now_s() * 1000.0;
}

double host_wall(void) {
  return 1.7e12 + now_s() * 1000.0;  // a clock, so the Date cost is in the numbers
}

void host_random(void *buf, size_t len) {
  memset(buf, 7, len);
}

void host_log(int level, const char *buf, size_t len) {
  (void) level, (void) buf, (void) len;
}

int host_ws_inflate(uint32_t id, const void *in, size_t len, uint32_t max, int pmd) {
  (void) id, (void) in, (void) len, (void) max, (void) pmd;
  return -1;  // never negotiated here
}
void host_ws_inflate_take(uint32_t id, void *dst) { (void) id, (void) dst; }
void host_ws_zfree(uint32_t id) { (void) id; }

// fs.h: every path is the one in-memory file; /www itself is a directory.
int host_fs_stat(const char *path, size_t len, double *out) {
  if (len == 4 && memcmp(path, "/www", 4) == 0) return MG_FS_DIR;
  out[0] = (double) sizeof(s_file), out[1] = 1.7e9;
  return MG_FS_READ;
}
uint32_t host_fs_open(const char *path, size_t len, int flags) {
  (void) path, (void) len, (void) flags;
  return 1;
}
size_t host_fs_read(uint32_t fd, double offset, void *buf, size_t len) {
  size_t off = (size_t) offset, n = off < sizeof(s_file) ? sizeof(s_file) - off : 0;
  (void) fd;
  if (n > len) n = len;
  memcpy(buf, s_file + off, n);
  return n;
}
void host_fs_close(uint32_t fd) { (void) fd; }
int host_fs_within(const char *root, size_t rlen, const char *path, size_t plen) {
  (void) root, (void) rlen, (void) path, (void) plen;
  return 1;
}
void host_body(uint32_t id, uint32_t fd, double offset, double len) {
  (void) id, (void) fd, (void) offset, (void) len;  // files here are small: never called
}

// ---- helpers -----------------------------------------------------------------

static struct mg_connection *accept_conn(struct mg_mgr *mgr, struct mg_connection *lsn) {
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, lsn);
  if (c == NULL || c->id >= MAX_IDS) {
    fprintf(stderr, "bench: accept failed\n");
    exit(1);
  }
  s_conns[c->id] = c;
  mgx_open(c);
  return c;
}

static void feed(struct mg_mgr *mgr, struct mg_connection *c, const char *buf, size_t len) {
  uint32_t id = c->id;
  void *p = mgx_recv_reserve(c, len);
  if (p == NULL) {
    fprintf(stderr, "bench: recv_reserve(%zu) refused\n", len);
    exit(1);
  }
  memcpy(p, buf, len);
  mgx_recv_commit(c, len);
  mgx_flush(mgr);
  if (s_conns[id] == NULL) {
    fprintf(stderr, "bench: connection %u closed by the core\n", (unsigned) id);
    exit(1);
  }
}

static void report(const char *name, double count, const char *unit, double secs) {
  printf("%-34s %10.0f %s/s  (%.0f in %.3f s, %.1f MB out, core heap %zu B)\n", name,
         count / secs, unit, count, secs, (double) s_sent / 1e6, mg_heap_used());
}

// ---- cases -------------------------------------------------------------------

static const char kGet[] =
    "GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n"
    "Accept: */*\r\n\r\n";

// `conns` keep-alive connections, round-robin, `depth` pipelined GETs per read.
static void case_get(const char *name, int conns, int depth, unsigned long total) {
  struct mg_mgr *mgr;
  if (!selected(name)) return;
  mgr = mgx_mgr_new();
  struct mg_connection *lsn = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_HTTP, NULL);
  struct mg_connection **cs = (struct mg_connection **) calloc((size_t) conns, sizeof(*cs));
  size_t one = sizeof(kGet) - 1, i;
  char *batch = (char *) malloc(one * (size_t) depth);
  unsigned long sent = 0;
  double t0;
  int k;
  for (k = 0; k < depth; k++) memcpy(batch + one * (size_t) k, kGet, one);
  for (k = 0; k < conns; k++) cs[k] = accept_conn(mgr, lsn);
  s_msgs = 0, s_sent = 0;
  t0 = now_s();
  for (i = 0; sent < total; i++) {
    feed(mgr, cs[i % (size_t) conns], batch, one * (size_t) depth);
    sent += (unsigned long) depth;
  }
  report(name, (double) s_msgs, "req", now_s() - t0);
  if (s_msgs != sent) fprintf(stderr, "bench: %lu of %lu answered\n", s_msgs, sent);
  mgx_mgr_free(mgr);
  free(batch);
  free(cs);
}

// POST of `body` bytes arriving in reads of `chunk` bytes, `n` times.
static void case_upload(const char *name, size_t body, size_t chunk, int n) {
  struct mg_mgr *mgr;
  struct mg_connection *lsn, *c;
  char head[128];
  size_t hl, total, off;
  char *req;
  double t0;
  int k;
  if (!selected(name)) return;
  mgr = mgx_mgr_new();
  lsn = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_HTTP, NULL);
  c = accept_conn(mgr, lsn);
  hl = (size_t) snprintf(head, sizeof(head),
                         "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", body);
  total = hl + body;
  req = (char *) malloc(total);
  memcpy(req, head, hl);
  memset(req + hl, 'u', body);
  mgx_set_limits(mgr, 0, 0, (uint32_t) body, 0, 0, 0, 0, 0);
  s_msgs = 0, s_sent = 0;
  t0 = now_s();
  for (k = 0; k < n; k++) {
    for (off = 0; off < total; off += chunk) {
      feed(mgr, c, req + off, total - off < chunk ? total - off : chunk);
    }
  }
  report(name, (double) s_msgs, "upload", now_s() - t0);
  if (s_msgs != (unsigned long) n) fprintf(stderr, "bench: %lu of %d uploads\n", s_msgs, n);
  mgx_mgr_free(mgr);
  free(req);
}

// A `head`-byte head and a `body`-byte body, `step` bytes per read.
static void case_trickle(const char *name, size_t head, size_t body, size_t step) {
  struct mg_mgr *mgr;
  struct mg_connection *lsn, *c;
  size_t total, off = 0, hl;
  char *req;
  double t0;
  if (!selected(name)) return;
  mgr = mgx_mgr_new();
  lsn = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_HTTP, NULL);
  c = accept_conn(mgr, lsn);
  req = (char *) malloc(head + body + 64);
  hl = (size_t) snprintf(req, 64, "POST / HTTP/1.1\r\nContent-Length: %zu\r\n", body);
  while (off + hl < head - 2) {  // filler headers "X: aaaa\r\n" of ~200 bytes
    size_t n = head - 2 - hl - off < 200 ? head - 2 - hl - off : 200;
    if (n < 5) break;
    memcpy(req + hl + off, "X: ", 3);
    memset(req + hl + off + 3, 'a', n - 5);
    memcpy(req + hl + off + n - 2, "\r\n", 2);
    off += n;
  }
  hl += off;
  memcpy(req + hl, "\r\n", 2);
  hl += 2;
  memset(req + hl, 'b', body);
  total = hl + body;
  mgx_set_limits(mgr, (uint32_t) head + 64, 0, (uint32_t) body, 0, 0, 0, 0, 0);
  s_msgs = 0, s_sent = 0;
  t0 = now_s();
  for (off = 0; off < total; off += step) {
    feed(mgr, c, req + off, total - off < step ? total - off : step);
  }
  report(name, (double) s_msgs, "req", now_s() - t0);
  if (s_msgs != 1) fprintf(stderr, "bench: trickled request not answered\n");
  mgx_mgr_free(mgr);
  free(req);
}

int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000000;
  char *big = (char *) malloc(102400);
  setvbuf(stdout, NULL, _IOLBF, 0);
  s_dump = getenv("BENCH_DUMP") != NULL;
  memset(big, 'z', 102400);
  case_get("GET, 1 per read, 50 conns", 50, 1, n);
  case_get("GET, 16 pipelined per read", 50, 16, n);
  s_hdrs = "Content-Type: text/plain\r\nServer: bench\r\n";
  s_hdrs_len = strlen(s_hdrs);
  case_get("GET + 2 user headers, 1 per read", 50, 1, n);
  // The file cases: serve_dir of a 2 KiB file, and reply() of the same
  // bytes with the same five lines given as a user header block.
  memset(s_file, 'x', sizeof(s_file));
  s_hdrs = "Content-Type: application/octet-stream\r\nVary: Accept-Encoding\r\n"
           "Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\nEtag: \"6553f100.800\"\r\n"
           "Accept-Ranges: bytes\r\n";
  s_hdrs_len = strlen(s_hdrs);
  s_body = s_file, s_body_len = sizeof(s_file);
  case_get("GET 2 KiB reply + 5 header lines", 50, 1, n);
  s_hdrs = "", s_hdrs_len = 0;
  case_get("GET 2 KiB reply, no header lines", 50, 1, n);
  s_serve_dir = true;
  case_get("GET 2 KiB file, serve_dir", 50, 1, n);
  s_serve_dir = false;
  s_body = big, s_body_len = 102400;
  case_get("GET -> 100 KB reply", 50, 1, n / 20);
  s_body = "ok", s_body_len = 2;
  case_upload("1 MiB upload, 64 KiB reads", 1 << 20, 65536, 1000);
  case_upload("1 MiB upload, 1460 B reads", 1 << 20, 1460, 200);
  case_trickle("16 KB head + 64 KB body, 1 B/read", 16000, 65536, 1);
  case_trickle("16 KB head + 1 MB body, 1 B/read", 16000, 1 << 20, 1);
  free(big);
  return 0;
}
