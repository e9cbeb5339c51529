// udp.c: datagram connections on top of the ordinary connection machinery.
#include "udp.h"

#include "mgx.h"
#include "net.h"
#include "netif.h"

bool mg_udp_send(struct mg_connection *c, const void *buf, size_t len) {
  size_t n;
  if (!(c->flags & MG_F_UDP) || !(c->flags & MG_F_HAS_SOCKET) ||
      (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT | MG_F_CONNECTING))) {
    return false;
  }
  n = host_send(c->id, buf, len);
  c->last_io_ms = mg_millis();
  return n == len;
}

struct mg_connection *mgx_udp_new(struct mg_mgr *mgr, int listening) {
  struct mg_connection *c = mg_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  if (c == NULL) return NULL;
  c->flags |= MG_F_UDP;
  if (listening) {
    c->flags &= ~(MG_F_CLIENT | MG_F_RESOLVING | MG_F_CONNECTING);
    c->flags |= MG_F_WRITABLE;
  }
  return c;
}

int mgx_udp_send(struct mg_connection *c, const void *buf, size_t len) {
  return mg_udp_send(c, buf, len) ? 1 : 0;
}
