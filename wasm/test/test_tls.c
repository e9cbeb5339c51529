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

void suite_tls(void) {
  RUN(tls_flag_and_handshake_event);
  RUN(tls_ignored_on_listener_and_closing);
  RUN(tls_mgr_free_inside_handshake_handler);
}
