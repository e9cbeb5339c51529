// test_backpressure.c: pipelining backpressure (MG_SEND_HIGH, net.h).
//
// A peer that pipelines requests and reads nothing must not make the core
// build every answer: the next buffered request waits while the output is
// backed up (host_send came back short, or c->send is above the mark), the
// receive buffer then fills to MG_RECV_HELD and the host is told to pause,
// and everything resumes - in order, nothing lost, without new input - once
// the peer reads again (the fake host's budget plays the peer's window).
#include <stdlib.h>

#include "../src/alloc.h"
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
static unsigned s_msgs;      // MG_EV_HTTP_MSG so far
static size_t s_size;        // body size of each answer
static bool s_async;         // answer later (s_pending), not in the handler
static struct mg_connection *s_pending;

// Answers every request with s_size bytes: the URI, then '.' padding.
static void answer(struct mg_connection *c, const struct mg_http_message *hm) {
  char *body = (char *) malloc(s_size + 1);
  size_t n = hm->uri.len < s_size ? hm->uri.len : s_size;
  if (body == NULL) abort();
  memset(body, '.', s_size);
  memcpy(body, hm->uri.buf, n);
  mgx_http_reply(c, 200, NULL, 0, body, s_size);
  free(body);
}

static void handler(struct mg_connection *c, int ev, void *ev_data) {
  if (ev != MG_EV_HTTP_MSG || c == NULL) return;
  s_msgs++;
  if (s_async) {
    s_pending = c;
  } else {
    answer(c, (const struct mg_http_message *) ev_data);
  }
}

static uint32_t setup(size_t size) {
  struct mg_connection *l;
  s_mgr = mgx_mgr_new();
  l = fake_listen(s_mgr, MGX_PROTO_HTTP);
  fake_handler = handler;
  s_msgs = 0;
  s_size = size;
  s_async = false;
  s_pending = NULL;
  return fake_accept(s_mgr, l)->id;
}

// "GET /<first> HTTP/1.1\r\n[X-Pad: aaa...\r\n]\r\n" ... for `count`
// consecutive numbers, with `pad` bytes of header value (0: no header).
static char *pipeline_padded(unsigned first, unsigned count, size_t pad, size_t *len) {
  char *p = (char *) malloc((size_t) count * (40 + pad) + 1);
  size_t n = 0;
  unsigned k;
  if (p == NULL) abort();
  for (k = 0; k < count; k++) {
    n += (size_t) sprintf(p + n, "GET /%u HTTP/1.1\r\n", first + k);
    if (pad > 0) {
      memcpy(p + n, "X-Pad: ", 7);
      memset(p + n + 7, 'a', pad);
      memcpy(p + n + 7 + pad, "\r\n", 2);
      n += 9 + pad;
    }
    memcpy(p + n, "\r\n", 3);
    n += 2;
  }
  *len = n;
  return p;
}

static char *pipeline(unsigned first, unsigned count, size_t *len) {
  return pipeline_padded(first, count, 0, len);
}

// How many complete responses `out` holds, checking that response k
// answers "/k" (in order, nothing missing or doubled) with s_size bytes.
// Returns -1 on a mismatch.
static long answers_in_order(const char *out, size_t len) {
  size_t off = 0;
  long k = 0;
  while (off < len) {
    const char *end = strstr(out + off, "\r\n\r\n");
    const char *cl = strstr(out + off, "Content-Length: ");
    char want[32];
    size_t body, wl;
    if (end == NULL || cl == NULL || cl > end) return -1;
    body = (size_t) strtoul(cl + 16, NULL, 10);
    if (body != s_size) return -1;
    end += 4;
    if ((size_t) (end - out) + body > len) return -1;  // incomplete
    wl = (size_t) sprintf(want, "/%ld.", k);
    if (wl > body || memcmp(end, want, wl) != 0) return -1;
    off = (size_t) (end - out) + body;
    k++;
  }
  return k;
}

// The peer reads `bytes` more: host_send may take that much, then writable.
static void peer_reads(struct mg_connection *c, size_t bytes) {
  fake_set_budget(c->id, bytes);
  mgx_writable(c);
  mgx_flush(s_mgr);
}

// 100 pipelined requests for 64 KiB answers, the peer reading nothing:
// answering stops just past the mark, then goes on as the peer reads.
static void pipelined_answers_stop_at_the_mark(void) {
  uint32_t id = setup(64 * 1024);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(0, 100, &len);
  unsigned held;
  fake_set_budget(id, 0);
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  // Answers until c->send is above the mark: at most one answer past it.
  held = s_msgs;
  ASSERT(held >= 1 && held <= MG_SEND_HIGH / s_size + 1);
  ASSERT(c->send.len > MG_SEND_HIGH);
  ASSERT(c->send.len <= MG_SEND_HIGH + s_size + 200);
  ASSERT(c->flags & MG_F_OUT_HELD);
  ASSERT(c->flags & MG_F_BLOCKED);
  // Nothing happens on its own: polls and flushes answer nothing more.
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(s_msgs, held);
  // The peer reads part of it: still blocked, nothing more is answered.
  peer_reads(c, 100 * 1024);
  ASSERT_INT(s_msgs, held);
  ASSERT(c->flags & MG_F_BLOCKED);
  // The peer reads all that was queued (and a byte more): the next few are
  // answered, again only up to the mark.
  peer_reads(c, c->send.len + 1);
  ASSERT(s_msgs > held && s_msgs <= 2 * held + 1);
  ASSERT(c->send.len <= MG_SEND_HIGH + s_size + 200);
  // The peer reads everything: every request answered, in order.
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 100);
  ASSERT_INT(c->send.len, 0);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 100);
  ASSERT(!(c->flags & (MG_F_OUT_HELD | MG_F_PARSE_PENDING)));
  mgx_mgr_free(s_mgr);
}

// A short host_send alone (output far below the mark) holds the next request
// until mgx_writable; then it is answered with no new input arriving.
static void short_send_holds_until_writable(void) {
  uint32_t id = setup(100);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(1, 3, &len);
  fake_set_budget(id, 10);
  ASSERT(fake_feeds(s_mgr, id, "GET /0 HTTP/1.1\r\n\r\n"));
  ASSERT_INT(s_msgs, 1);
  ASSERT(c->flags & MG_F_BLOCKED);
  ASSERT(c->send.len > 0 && c->send.len < MG_SEND_HIGH);
  ASSERT_INT(fake_out_len(id), 10);
  // Pipelined requests arrive while blocked: held, however small the output.
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  ASSERT_INT(s_msgs, 1);
  mgx_flush(s_mgr);
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(s_msgs, 1);
  ASSERT(c->recv.len > 0);
  // Output drains to zero, input is buffered: parsing resumes by itself.
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 4);
  ASSERT_INT(c->recv.len, 0);
  ASSERT_INT(c->send.len, 0);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 4);
  mgx_mgr_free(s_mgr);
}

// While held, the receive buffer takes at most MG_RECV_HELD, then refuses
// (FULL: the host pauses the socket). Memory stays bounded however much the
// peer pipelines, and everything is answered once it reads.
static void held_input_fills_recv_then_refuses(void) {
  const unsigned total = 3000;
  uint32_t id = setup(8 * 1024);
  struct mg_connection *c = fake_conn(id);
  size_t len, off = 0, heap0 = mg_heap_used(), peak = 0;
  char *req = pipeline_padded(0, total, 170, &len);  // 600 KB of requests
  int rounds = 0;
  fake_set_budget(id, 0);
  // Feed 1 KiB pieces until the core refuses; the peer then reads 200 KiB
  // per round (the host retries its backlog after each flush).
  while (off < len && rounds < 100000) {
    size_t n = len - off < 1024 ? len - off : 1024;
    void *dst = mgx_recv_reserve(c, n);
    size_t used = mg_heap_used() - heap0;
    if (used > peak) peak = used;
    if (dst == NULL) {
      ASSERT(c->flags & MG_F_FULL);
      ASSERT(c->recv.len <= MG_RECV_HELD);
      ASSERT(c->flags & MG_F_OUT_HELD);
      peer_reads(c, 200 * 1024);
      rounds++;
      continue;
    }
    memcpy(dst, req + off, n);
    mgx_recv_commit(c, n);
    mgx_flush(s_mgr);
    off += n;
  }
  free(req);
  ASSERT_INT(off, len);
  ASSERT(rounds > 10);  // the core really pushed back
  // recv (MG_RECV_HELD, doubled at most once) + the mark + one answer.
  ASSERT(peak <= 2 * MG_RECV_HELD + MG_SEND_HIGH + 2 * s_size + 16384);
  while (s_msgs < total && rounds < 100000) {
    peer_reads(c, 200 * 1024);
    rounds++;
  }
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, total);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), total);
  mgx_mgr_free(s_mgr);
}

// One answer far bigger than the mark is fine: only the next request waits.
static void a_big_answer_holds_only_the_next_request(void) {
  uint32_t id = setup(MG_SEND_HIGH * 4);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(0, 3, &len);
  fake_set_budget(id, 0);
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  ASSERT_INT(s_msgs, 1);
  ASSERT(c->send.len > s_size);
  peer_reads(c, s_size);  // not quite all of the first answer
  ASSERT_INT(s_msgs, 1);
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 3);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 3);
  mgx_mgr_free(s_mgr);
}

// An answer given later (MG_F_REQ_PENDING) that is bigger than the mark:
// the request behind it still waits for the output, not just the answer.
static void async_answer_then_held(void) {
  uint32_t id = setup(MG_SEND_HIGH + 1024);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(0, 2, &len);
  s_async = true;
  fake_set_budget(id, 0);
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  ASSERT_INT(s_msgs, 1);  // the first waits for its answer
  s_async = false;
  {
    struct mg_http_message hm;
    memset(&hm, 0, sizeof(hm));
    hm.uri = mg_str_n("/0", 2);
    answer(s_pending, &hm);
  }
  mgx_flush(s_mgr);
  ASSERT_INT(s_msgs, 1);  // answered, but its output cannot leave
  ASSERT(c->flags & MG_F_PARSE_PENDING);
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 2);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 2);
  mgx_mgr_free(s_mgr);
}

// The peer pipelines and half-closes without reading: its EOF waits behind
// the held requests, which are all answered (keep-alive: they came before
// the EOF), then the connection closes.
static void eof_waits_behind_held_requests(void) {
  uint32_t id = setup(64 * 1024);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(0, 20, &len);
  fake_set_budget(id, 0);
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  ASSERT(s_msgs < 20);
  mgx_eof(c);
  mgx_flush(s_mgr);
  ASSERT(fake_conn(id) == c);
  ASSERT(!(c->flags & (MG_F_DRAINING | MG_F_CLOSING)));
  ASSERT(c->flags & MG_F_EOF_HELD);
  peer_reads(c, 300 * 1024);
  ASSERT(fake_conn(id) == c);
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 20);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 20);
  ASSERT(fake_conn(id) == NULL);  // closed once all was out
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

// EOF behind held input that ends in half a request: the complete ones are
// answered, then the connection closes (the half one never completes).
static void eof_after_held_partial_request(void) {
  uint32_t id = setup(MG_SEND_HIGH + 1);
  struct mg_connection *c = fake_conn(id);
  static const char req[] = "GET /0 HTTP/1.1\r\n\r\nGET /1 HTTP/1.1\r\n\r\nGET /2 HT";
  fake_set_budget(id, 0);
  ASSERT(fake_feeds(s_mgr, id, req));
  ASSERT_INT(s_msgs, 1);
  mgx_eof(c);
  mgx_flush(s_mgr);
  ASSERT(fake_conn(id) == c);
  peer_reads(c, (size_t) -1);
  ASSERT_INT(s_msgs, 2);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 2);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(s_mgr);
}

// Small answers never reach the mark: a pipelined burst is answered at once
// as before (no extra flush passes needed).
static void small_answers_are_not_held(void) {
  uint32_t id = setup(16);
  struct mg_connection *c = fake_conn(id);
  size_t len;
  char *req = pipeline(0, 200, &len);
  ASSERT(fake_feed(s_mgr, id, req, len, 0));
  free(req);
  ASSERT_INT(s_msgs, 200);
  ASSERT_INT(c->send.len, 0);
  ASSERT_INT(answers_in_order(fake_out(id), fake_out_len(id)), 200);
  ASSERT(!(c->flags & MG_F_OUT_HELD));
  mgx_mgr_free(s_mgr);
}

void suite_backpressure(void) {
  RUN(pipelined_answers_stop_at_the_mark);
  RUN(short_send_holds_until_writable);
  RUN(held_input_fills_recv_then_refuses);
  RUN(a_big_answer_holds_only_the_next_request);
  RUN(async_answer_then_held);
  RUN(eof_waits_behind_held_requests);
  RUN(eof_after_held_partial_request);
  RUN(small_answers_are_not_held);
}
