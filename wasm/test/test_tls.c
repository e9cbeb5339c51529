// test_tls.c: the TLS flag and MG_EV_TLS_HS (tls.c).
#include "../src/tls.h"
#include "host_fake.h"
#include "test.h"

static void tls_flag_and_handshake_event(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_HTTP);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  ASSERT(!(c->flags & MG_F_TLS));
  mgx_tls_hs(c);  // no TLS started: ignored
  ASSERT_NOT_HAS(fake_events(id), "TLS_HS");
  mgx_tls_set(c, 1);
  ASSERT(c->flags & MG_F_TLS);
  ASSERT_NOT_HAS(fake_events(id), "TLS_HS");  // tlsInit fires nothing
  mgx_tls_hs(c);
  ASSERT_HAS(fake_events(id), "TLS_HS\n");
  // Plaintext still flows through the core as before.
  ASSERT(fake_feeds(mgr, id, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_HAS(fake_events(id), "MSG GET /a");
  mgx_tls_set(c, 0);
  ASSERT(!(c->flags & MG_F_TLS));
  mgx_mgr_free(mgr);
}

static void tls_ignored_on_listener_and_closing(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t lid = l->id, id = c->id;
  mgx_tls_set(l, 1);
  ASSERT(!(l->flags & MG_F_TLS));
  mgx_tls_hs(l);
  ASSERT_NOT_HAS(fake_events(lid), "TLS_HS");
  mgx_tls_set(c, 1);
  mgx_close(c);
  mgx_tls_hs(c);  // closing: no event
  ASSERT_NOT_HAS(fake_events(id), "TLS_HS");
  mgx_flush(mgr);
  ASSERT_HAS(fake_events(id), "CLOSE");
  mgx_mgr_free(mgr);
}

static void free_on_hs(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_TLS_HS) mgx_mgr_free(c->mgr);
}

static void tls_mgr_free_inside_handshake_handler(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  struct mg_connection *c = fake_accept(mgr, l);
  uint32_t id = c->id;
  mgx_tls_set(c, 1);
  fake_handler = free_on_hs;
  mgx_tls_hs(c);  // frees the manager once the handler returns (ASan checks)
  ASSERT_HAS(fake_events(id), "TLS_HS\nCLOSE");
}

// A silent TLS peer is the host's handshake timeout's to close: the idle
// timeout (5 s by default) cut it before handshakeTimeoutMs (10 s).
static void tls_handshake_is_not_idle(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l, *c;
  uint32_t id;
  mgx_set_limits(mgr, 0, 0, 0, 0, 0, 1000, 0, 0);
  l = fake_listen(mgr, MGX_PROTO_HTTP);
  c = fake_accept(mgr, l);
  id = c->id;
  mgx_tls_set(c, 1);
  fake_now += 60000;  // a minute with no ClientHello
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == c);
  mgx_tls_hs(c);  // done: idle counts from here
  fake_now += 999;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == c);
  fake_now += 1;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == NULL);
  // Shutdown's idle grace still closes a connection stuck in its handshake.
  c = fake_accept(mgr, l);
  id = c->id;
  mgx_tls_set(c, 1);
  mgx_shutdown(mgr, 503);
  mgx_shutdown_idle(mgr, 0);
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
}

void suite_tls(void) {
  RUN(tls_handshake_is_not_idle);
  RUN(tls_flag_and_handshake_event);
  RUN(tls_ignored_on_listener_and_closing);
  RUN(tls_mgr_free_inside_handshake_handler);
}
