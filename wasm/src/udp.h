// udp.h: datagram connections. A UDP connection is an ordinary connection
// with MG_F_UDP: the host commits one datagram per mgx_recv_commit (one
// MG_EV_READ each, the sender known to the host), and every send is one
// datagram handed straight to host_send (never merged in c->send). A UDP
// "listener" is bound but not MG_F_LISTENING: it reads and writes itself;
// the host sends its datagrams to the sender of the last one delivered.
#ifndef MG_UDP_H
#define MG_UDP_H

#include <stdbool.h>
#include <stddef.h>

#include "mgx.h"

struct mg_connection;
struct mg_mgr;

// Send one datagram now. False when the connection is closing, not yet
// connected, or the host did not take it.
bool mg_udp_send(struct mg_connection *c, const void *buf, size_t len);

// A UDP connection: `listening` 1 for a bound server socket (writable at
// once), 0 for a client (then mgx_resolved/mgx_connected as for TCP). Fires
// no event; NULL on allocation failure.
MGX_EXPORT(mgx_udp_new) struct mg_connection *mgx_udp_new(struct mg_mgr *mgr, int listening);
// mg_udp_send for the facade: 1 if the datagram went to the host.
MGX_EXPORT(mgx_udp_send) int mgx_udp_send(struct mg_connection *c, const void *buf, size_t len);

#endif
