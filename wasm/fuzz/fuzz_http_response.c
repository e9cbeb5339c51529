// fuzz_http_response.c: HTTP responses, as a client receives them.
//
// The input is the raw bytes a server sent. Two passes:
// 1. mg_http_parse on the whole input: status-line views inside the head,
//    a three-digit status for a complete "HTTP/" head, header views
//    obey fc_check_head();
// 2. the client path through the mgx_* exports: an HTTP client connection
//    sends a GET, then gets the input in pieces (split points derived from
//    the input), the handler checks every MG_EV_HTTP_MSG against c->recv,
//    then EOF, mgx_mgr_free, and the core's heap must be back where it was.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "fuzz_host.h"
#include "http.h"
#include "mgx.h"
#include "net.h"

static struct mg_http_message hm;
static struct mg_connection *client;  // NULL once MG_EV_CLOSE was delivered
static uint32_t client_id;
static int close_after_msg;

static void on_event(uint32_t id, int ev, void *ev_data) {
  if (client == NULL || id != client_id) return;
  if (ev == MG_EV_CLOSE) {
    client = NULL;
    return;
  }
  if (ev == MG_EV_HTTP_HDRS || ev == MG_EV_HTTP_MSG) {
    const struct mg_http_message *m = (const struct mg_http_message *) ev_data;
    const char *lo = (const char *) client->recv.buf;
    const char *hi = lo + client->recv.len;
    fc_check_head(m, lo, hi, MG_MAX_HTTP_HEADERS, 0);
    (void) mg_http_status(m);
    if (ev == MG_EV_HTTP_MSG) {
      fc_str_inside(&m->message, lo, hi, "message");
      fc_str_inside(&m->body, lo, hi, "body");
      if (close_after_msg) mgx_close(client);
    }
  }
}

static uint32_t hash(const uint8_t *data, size_t size) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  return h;
}

static void parse_pass(const uint8_t *data, size_t size) {
  const char *buf = (const char *) data;
  memset(&hm, 0, sizeof(hm));
  int n = mg_http_parse(buf, size, &hm, 16384, MG_MAX_HTTP_HEADERS);
  FUZZ_CHECK(n >= MG_HTTP_ERR_TOO_MANY && (n <= 0 || (size_t) n <= size),
             "mg_http_parse returned %d for %zu bytes", n, size);
  if (n <= 0) return;
  int is_response = fc_is_response(&hm);
  fc_check_head(&hm, buf, buf + n, MG_MAX_HTTP_HEADERS, !is_response);
  if (is_response) {
    int status = mg_http_status(&hm);
    // The status is exactly three digits (a code like "000" is the
    // application's problem, not the parser's).
    FUZZ_CHECK(hm.uri.len == 3 && status >= 0 && status <= 999, "status %d from \"%.*s\"",
               status, (int) hm.uri.len, hm.uri.buf);
  }
}

static void client_pass(const uint8_t *data, size_t size) {
  double heap0 = mgx_heap_used();
  uint32_t h = hash(data, size);
  fh_reset();
  fh.on_event = on_event;
  close_after_msg = (h >> 30) == 3;
  struct mg_mgr *mgr = mgx_mgr_new();
  FUZZ_CHECK(mgr != NULL, "mgx_mgr_new failed");
  if (h & 1) mgx_set_limits(mgr, 128, 4, 256, 512, 0, 0, 0, 0);
  client = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_HTTP, NULL);
  FUZZ_CHECK(client != NULL, "mgx_conn_new(client) failed");
  client_id = client->id;
  mgx_open(client);
  if (client) mgx_resolved(client);
  if (client) mgx_connected(client);
  static const char req[] = "GET /x HTTP/1.1\r\nHost: fuzz\r\n\r\n";
  static const char head_req[] = "HEAD /x HTTP/1.1\r\nHost: fuzz\r\n\r\n";
  // The request tracker (http_client.c) sees a HEAD, or arbitrary bytes
  // (the input's start) as what the client wrote.
  if (client) {
    if (h & 4) mgx_send(client, head_req, sizeof(head_req) - 1);
    else mgx_send(client, req, sizeof(req) - 1);
    if (h & 8) mgx_send(client, data, size < 96 ? size : 96);
  }
  mgx_flush(mgr);

  size_t off = 0, max_piece = 1 + ((h >> 1) & 63);
  uint32_t rng = h | 1;
  while (off < size && client != NULL) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    size_t n = (h & 2) ? size - off : 1 + rng % max_piece;
    if (n > size - off) n = size - off;
    void *p = mgx_recv_reserve(client, n);
    if (p == NULL) break;  // over the receive limit: the host stays paused
    memcpy(p, data + off, n);
    off += n;
    mgx_recv_commit(client, n);
    mgx_flush(mgr);
  }
  if (client != NULL) {
    mgx_eof(client);
    mgx_flush(mgr);
  }
  mgx_mgr_free(mgr);
  FUZZ_CHECK(client == NULL, "mgx_mgr_free did not deliver MG_EV_CLOSE to the client");
  FUZZ_CHECK(fh_conn(client_id)->closes == 1, "MG_EV_CLOSE delivered %d times",
             fh_conn(client_id)->closes);
  double heap1 = mgx_heap_used();
  FUZZ_CHECK(heap1 == heap0, "core heap leak: %.0f bytes before, %.0f after", heap0, heap1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_pass(data, size);
  client_pass(data, size);
  return 0;
}
