// tls.h: what the core knows of TLS. Encryption lives in the host (node:tls
// in the Node shim): the core only carries the MG_F_TLS flag, which the host
// reads as `conn.isTls`, and fires MG_EV_TLS_HS when the host reports a
// completed handshake. Bytes in c->recv and c->send are always plaintext.
#ifndef MG_TLS_H
#define MG_TLS_H

#include "mgx.h"

// tlsInit (on = 1) / tlsFree (on = 0): set or clear MG_F_TLS. Fires nothing.
// From on = 1 until mgx_tls_hs the idle timeout does not run: the host's
// handshake timeout bounds the handshake.
MGX_EXPORT(mgx_tls_set) void mgx_tls_set(struct mg_connection *c, int on);
// The host finished the TLS handshake of `c`: sets MG_F_TLS and fires
// MG_EV_TLS_HS (data NULL). Ignored on a listener, a connection without
// TLS started, and a closing one.
MGX_EXPORT(mgx_tls_hs) void mgx_tls_hs(struct mg_connection *c);

#endif
