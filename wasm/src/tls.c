// tls.c: the TLS flag and handshake event (tls.h).
#include "tls.h"

#include "net.h"

void mgx_tls_set(struct mg_connection *c, int on) {
  if (c->flags & MG_F_LISTENING) return;  // a listener's TLS is the host's business
  if (on) {
    c->flags |= MG_F_TLS;
  } else {
    c->flags &= ~MG_F_TLS;
  }
  // The handshake carries no bytes the core sees: the idle timeout would
  // cut it (at 5 s by default) before TlsOpts.handshakeTimeoutMs (10 s),
  // which the host enforces. Idle counts again from MG_EV_TLS_HS.
  c->tls_hs = on != 0;
}

void mgx_tls_hs(struct mg_connection *c) {
  struct mg_mgr *mgr = c->mgr;
  if ((c->flags & (MG_F_LISTENING | MG_F_CLOSING | MG_F_CLOSE_SENT)) || !(c->flags & MG_F_TLS)) return;
  mgr->entered++;  // as every mgx_* entry that runs handlers (mgx.c)
  c->tls_hs = false;
  c->last_io_ms = mg_millis();
  mg_call(c, MG_EV_TLS_HS, NULL);
  mg_mark_dirty(c);  // output queued during the handshake goes out now
  // Leave as mgx.c does: a mgx_mgr_free from the handler completes now.
  if (--mgr->entered == 0 && mgr->free_pending) mg_mgr_destroy(mgr);
}
