// test_net.c: connections, the dirty list, backpressure, drain/close/eof,
// limits, re-entrancy.
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;

static void net_ids_unique_across_managers(void) {
  struct mg_mgr *a = mgx_mgr_new(), *b = mgx_mgr_new();
  struct mg_connection *c1 = mgx_conn_new(a, MGX_KIND_LISTENER, MGX_PROTO_RAW, NULL);
  struct mg_connection *c2 = mgx_conn_new(b, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  struct mg_connection *c3 = mgx_conn_new(a, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, c1);
  uint32_t id1 = c1->id, id3 = c3->id;
  ASSERT(c1->id > 0 && c2->id > c1->id && c3->id > c2->id);
  ASSERT(c1->flags & MG_F_LISTENING);
  ASSERT(c2->flags & MG_F_CLIENT);
  ASSERT(c3->flags & MG_F_ACCEPTED);
  ASSERT(c3->parent == c1);
  ASSERT_INT(mgx_conn_count(a, 0), 2);
  ASSERT_INT(mgx_conn_count(a, 1), 1);
  mgx_close(c3);
  mgx_flush(a);
  ASSERT_INT(mgx_conn_count(a, 0), 1);
  c3 = mgx_conn_new(a, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, c1);
  ASSERT(c3->id != id3 && c3->id != id1);  // never reused
  mgx_mgr_free(a);
  mgx_mgr_free(b);
  ASSERT_INT(fake_closes(id1), 1);
}

static void net_send_flushes_only_dirty(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l), *d = fake_accept(mgr, l);
  ASSERT(mgx_send(c, "hello", 5));
  ASSERT(mgx_send(c, " world", 6));
  ASSERT(c->flags & MG_F_DIRTY);
  ASSERT(!(d->flags & MG_F_DIRTY));
  ASSERT(mgr->dirty == c && c->next_dirty == NULL);  // queued once
  fake_log_io = true;
  mgx_flush(mgr);
  ASSERT_STR(fake_out(c->id), "hello world");
  ASSERT_INT(c->send.len, 0);
  ASSERT(!(c->flags & MG_F_DIRTY));
  ASSERT(mgr->dirty == NULL);
  ASSERT_HAS(fake_events(c->id), "WRITE 11\n");
  ASSERT_STR(fake_out(d->id), "");
  mgx_mgr_free(mgr);
}

// Connections are flushed in the order they were dirtied: a broker's PUBACK
// to the publisher (queued first) is not written after its forwards to every
// subscriber (queued next), and the last to get output is not served first.
static void net_flush_in_dirty_order(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *a = fake_accept(mgr, l), *b = fake_accept(mgr, l), *c = fake_accept(mgr, l);
  char want[64];
  mgx_send(b, "ack", 3);
  mgx_send(c, "fwd", 3);
  mgx_send(a, "fwd", 3);
  mgx_send(b, "ack", 3);  // already queued: keeps its place
  ASSERT(mgr->dirty == b && mgr->dirty_tail == a);
  mgx_flush(mgr);
  snprintf(want, sizeof(want), "%u %u %u ", (unsigned) b->id, (unsigned) c->id, (unsigned) a->id);
  ASSERT_STR(fake_send_order(), want);
  ASSERT(mgr->dirty == NULL && mgr->dirty_tail == NULL);
  mgx_send(a, "x", 1);  // the list starts over empty
  mgx_flush(mgr);
  snprintf(want + strlen(want), sizeof(want) - strlen(want), "%u ", (unsigned) a->id);
  ASSERT_STR(fake_send_order(), want);
  mgx_mgr_free(mgr);
}

static void net_backpressure(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  fake_set_budget(id, 4);
  mgx_send(c, "0123456789", 10);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "0123");
  ASSERT(c->flags & MG_F_BLOCKED);
  ASSERT(!(c->flags & MG_F_WRITABLE));
  ASSERT_INT(c->send.len, 6);
  mgx_send(c, "ab", 2);
  fake_set_budget(id, 100);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "0123");  // blocked until mgx_writable
  mgx_writable(c);
  ASSERT(c->flags & MG_F_WRITABLE);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "0123456789ab");
  ASSERT(!(c->flags & MG_F_BLOCKED));
  // Zero taken also blocks.
  fake_set_budget(id, 0);
  mgx_send(c, "x", 1);
  mgx_flush(mgr);
  ASSERT(c->flags & MG_F_BLOCKED);
  mgx_mgr_free(mgr);
}

static void net_drain_flushes_then_closes(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  fake_set_budget(id, 3);
  mgx_send(c, "abcdef", 6);
  mgx_drain(c);
  ASSERT(c->flags & MG_F_DRAINING);
  mgx_flush(mgr);
  ASSERT_INT(fake_closes(id), 0);  // output still pending
  ASSERT(fake_conn(id) == c);
  // Input after drain is discarded (reserve still gives a target).
  {
    void *p = mgx_recv_reserve(c, 3);
    ASSERT(p != NULL);
    memcpy(p, "xyz", 3);
    mgx_recv_commit(c, 3);
    ASSERT_INT(c->recv.len, 0);
  }
  fake_set_budget(id, (size_t) -1);
  mgx_writable(c);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "abcdef");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT(fake_conn(id) == NULL);
  ASSERT_HAS(fake_events(id), "CLOSE\n");
  ASSERT_INT(mgr->drained, 1);
  ASSERT_INT(mgx_conn_count(mgr, 1), 0);
  mgx_mgr_free(mgr);
  ASSERT_INT(fake_closes(id), 1);  // exactly once
}

static void net_close_drops_output(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  mgx_send(c, "lost", 4);
  mgx_close(c);
  ASSERT(!mgx_send(c, "more", 4));
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nCLOSE\n");
  mgx_mgr_free(mgr);
}

static void net_eof_with_pending_output(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l), *d = fake_accept(mgr, l);
  uint32_t id = c->id, id2 = d->id;
  fake_set_budget(id, 2);
  mgx_send(c, "bye!", 4);
  mgx_flush(mgr);
  mgx_eof(c);
  ASSERT(c->flags & MG_F_EOF);
  ASSERT(c->flags & MG_F_DRAINING);
  fake_set_budget(id, (size_t) -1);
  mgx_writable(c);
  mgx_eof(d);  // nothing pending: closes at the next flush
  ASSERT(d->flags & MG_F_CLOSING);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "bye!");
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_INT(fake_closes(id2), 1);
  mgx_mgr_free(mgr);
}

static void net_error_event_then_close(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l), *d = fake_accept(mgr, l);
  uint32_t id = c->id, id2 = d->id;
  mgx_error(c, "ECONNRESET here", 10);
  mgx_user_error(d, "custom", 6);
  mgx_flush(mgr);
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nERROR ECONNRESET\nCLOSE\n");
  ASSERT_STR(fake_events(id2), "OPEN\nACCEPT\nERROR custom\nCLOSE\n");
  mgx_mgr_free(mgr);
}

static void net_recv_cap_and_full(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l, *c;
  void *p;
  mgx_set_limits(mgr, 0, 0, 0, 100000, 0, 0, 0, 0);
  l = fake_listen(mgr, MGX_PROTO_RAW);
  c = fake_accept(mgr, l);
  p = mgx_recv_reserve(c, 60000);
  ASSERT(p != NULL);
  memset(p, 'a', 60000);
  mgx_recv_commit(c, 60000);
  ASSERT(c->flags & MG_F_READABLE);
  ASSERT(mgx_recv_reserve(c, 50000) == NULL);
  ASSERT(c->flags & MG_F_FULL);
  ASSERT(mgx_recv_reserve(c, 40000) != NULL);  // fits
  mgx_recv_consume(c, 30000);
  ASSERT(!(c->flags & MG_F_FULL));
  ASSERT(c->flags & MG_F_DIRTY);  // host retries after the flush
  ASSERT(mgx_recv_reserve(c, 50000) != NULL);
  mgx_recv_consume(c, 1000000);
  ASSERT(!(c->flags & MG_F_READABLE));
  // An empty buffer always takes one host-sized chunk, even over the cap.
  mgx_set_limits(mgr, 0, 0, 0, 10, 0, 0, 0, 0);
  ASSERT(mgx_recv_reserve(c, 65537) == NULL);
  p = mgx_recv_reserve(c, 4096);
  ASSERT(p != NULL);
  memset(p, 'b', 4096);
  mgx_recv_commit(c, 4096);
  ASSERT(mgx_recv_reserve(c, 1) == NULL);  // over the cap now: nothing more
  mgx_send(c, "x", 1);
  mgx_send_consume(c, 1);
  ASSERT_INT(c->send.len, 0);
  mgx_mgr_free(mgr);
}

// The read area: a read handed over in one call is delivered, answered and
// flushed; what does not fit under the cap is left to the host.
static void net_recv_area(void) {
  struct mg_mgr *mgr;
  uint32_t id = fake_http_server(&mgr, fake_echo_handler);
  struct mg_connection *c = fake_conn(id), *l;
  const char *req = "GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n";
  uint32_t r;
  ASSERT(mgx_read_area() != NULL && mgx_read_area_size() == 65536);
  memcpy(mgx_read_area(), req, strlen(req));
  r = mgx_recv_area(c, strlen(req));
  ASSERT_INT(r, strlen(req) * 2);  // all taken, nothing left dirty
  ASSERT_HAS(fake_out(id), "HTTP/1.1 200 OK\r\n");  // answered and flushed in the same call
  ASSERT_HAS(fake_out(id), "GET /a?b ");
  ASSERT_INT(c->recv.len, 0);
  mgx_mgr_free(mgr);

  // Over the cap: the host keeps the rest (the connection is marked full).
  mgr = mgx_mgr_new();
  mgx_set_limits(mgr, 0, 0, 0, 5000, 0, 0, 0, 0);
  l = fake_listen(mgr, MGX_PROTO_RAW);
  c = fake_accept(mgr, l);
  memset(mgx_read_area(), 'a', 20000);
  ASSERT_INT(mgx_recv_area(c, 4000), 8000);
  r = mgx_recv_area(c, 20000);  // 20000, 10000, ... tried: what fits under the cap goes in
  ASSERT(r / 2 > 0 && r / 2 <= 1000);
  ASSERT_INT(c->recv.len, 4000 + r / 2);
  ASSERT(c->flags & MG_F_FULL);
  mgx_close(c);
  r = mgx_recv_area(c, 100);  // closing: read and dropped
  ASSERT_INT(r / 2, 100);
  mgx_mgr_free(mgr);
}

static void net_max_connections(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l, *a, *b;
  mgx_set_limits(mgr, 0, 0, 0, 0, 2, 0, 0, 0);
  l = fake_listen(mgr, MGX_PROTO_HTTP);
  a = fake_accept(mgr, l);
  b = fake_accept(mgr, l);
  ASSERT(a != NULL && b != NULL);
  ASSERT(a->flags & MG_F_HTTP);  // inherited from the listener
  ASSERT(mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, l) == NULL);
  ASSERT(mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL) != NULL);  // not counted
  mgx_close(a);
  mgx_flush(mgr);
  ASSERT(mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, l) != NULL);
  ASSERT(mgx_conn_new(mgr, 7, MGX_PROTO_RAW, l) == NULL);
  mgx_mgr_free(mgr);
}

static void net_client_lifecycle(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  uint32_t id = c->id;
  fake_bind(c);
  mgx_open(c);
  ASSERT(c->flags & MG_F_RESOLVING);
  mgx_send(c, "early", 5);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "");  // not connected yet
  mgx_resolved(c);
  ASSERT(!(c->flags & MG_F_RESOLVING));
  mgx_connected(c);
  ASSERT(c->flags & MG_F_WRITABLE);
  mgx_flush(mgr);
  ASSERT_STR(fake_out(id), "early");
  ASSERT_STR(fake_events(id), "OPEN\nRESOLVE\nCONNECT\n");
  mgx_wakeup(c, "ping", 4);
  ASSERT_HAS(fake_events(id), "WAKEUP ping\n");
  mgx_mgr_free(mgr);
  ASSERT_HAS(fake_events(id), "CLOSE\n");
  ASSERT_INT(fake_closes(id), 1);
}

static void net_poll_and_idle_timeout(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l, *c;
  uint32_t id;
  mgx_set_limits(mgr, 0, 0, 0, 0, 0, 1000, 0, 0);
  l = fake_listen(mgr, MGX_PROTO_RAW);
  c = fake_accept(mgr, l);
  id = c->id;
  fake_log_io = true;
  ASSERT_INT(mgx_poll(mgr), 2);  // POLL to listener and connection
  ASSERT_HAS(fake_events(id), "POLL\n");
  fake_now += 999;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) != NULL);
  ASSERT(fake_feeds(mgr, id, "x"));  // activity resets the idle clock
  fake_now += 999;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) != NULL);
  fake_now += 1;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == NULL);
  ASSERT(fake_conn(l->id) == l);  // listeners never idle out
  mgx_mgr_free(mgr);
}

// ---- re-entrancy ----------------------------------------------------------------

static void flush_in_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_READ && c != NULL) {
    mgx_send(c, "echo", 4);
    mgx_close(c);
    mgx_flush(s_mgr);  // must not free c under the caller's feet
    ASSERT(c->flags & MG_F_CLOSING);
    ASSERT(mgx_poll(s_mgr) == 0);
  }
}

static void net_flush_inside_handler_is_deferred(void) {
  struct mg_connection *l, *c;
  uint32_t id;
  s_mgr = mgx_mgr_new();
  l = fake_listen(s_mgr, MGX_PROTO_RAW);
  c = fake_accept(s_mgr, l);
  id = c->id;
  fake_handler = flush_in_handler;
  ASSERT(fake_feeds(s_mgr, id, "hi"));
  ASSERT(fake_conn(id) == NULL);  // closed by the outer flush
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void free_in_handler(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_READ && c != NULL) {
    mgx_mgr_free(s_mgr);
    ASSERT(!mgx_send(c, "x", 1));
  }
}

static void net_mgr_free_inside_handler(void) {
  struct mg_connection *l, *c, *d;
  uint32_t id, id2;
  void *p;
  s_mgr = mgx_mgr_new();
  l = fake_listen(s_mgr, MGX_PROTO_HTTP);
  c = fake_accept(s_mgr, l);
  d = fake_accept(s_mgr, l);
  id = c->id, id2 = d->id;
  fake_handler = free_in_handler;
  fake_log_io = true;
  p = mgx_recv_reserve(c, 18);
  memcpy(p, "GET / HTTP/1.1\r\n\r\n", 18);
  mgx_recv_commit(c, 18);  // the manager is freed when this returns
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_INT(fake_closes(id2), 1);
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nHDRS GET / HTTP/1.1 h=0\nMSG GET / HTTP/1.1 h=0 b=0:\nREAD 18\nCLOSE\n");
  ASSERT_INT(mgx_heap_used(), 0);
}

static void net_mgr_free_closes_everything(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t lid = l->id, cid = c->id;
  mgx_send(c, "pending", 7);
  mgx_timer_add(mgr, 10, MGX_TIMER_REPEAT);
  mgx_mgr_free(mgr);
  ASSERT_INT(fake_closes(lid), 1);
  ASSERT_INT(fake_closes(cid), 1);
  ASSERT_HAS(fake_events(lid), "CLOSE\n");
  ASSERT_HAS(fake_events(cid), "CLOSE\n");
  ASSERT_INT(mgx_heap_used(), 0);
}

static void net_no_events_after_close(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  mgx_close(c);
  mgx_flush(mgr);
  mgx_mgr_free(mgr);
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nCLOSE\n");
}

void suite_net(void) {
  RUN(net_ids_unique_across_managers);
  RUN(net_send_flushes_only_dirty);
  RUN(net_flush_in_dirty_order);
  RUN(net_backpressure);
  RUN(net_drain_flushes_then_closes);
  RUN(net_close_drops_output);
  RUN(net_eof_with_pending_output);
  RUN(net_error_event_then_close);
  RUN(net_recv_cap_and_full);
  RUN(net_recv_area);
  RUN(net_max_connections);
  RUN(net_client_lifecycle);
  RUN(net_poll_and_idle_timeout);
  RUN(net_flush_inside_handler_is_deferred);
  RUN(net_mgr_free_inside_handler);
  RUN(net_mgr_free_closes_everything);
  RUN(net_no_events_after_close);
}
