// sntp.c: SNTP requests and strict reply checks.
#include "sntp.h"

#include <string.h>

#include "iobuf.h"
#include "net.h"
#include "netif.h"
#include "udp.h"
#include "util.h"

#define NTP_UNIX_OFFSET 2208988800.0  // seconds from 1900 to 1970

static uint32_t be32(const unsigned char *p) {
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

// NTP timestamp -> ms since 1900. Era 0 ends in 2036: a seconds value with
// the top bit clear is taken as era 1 (RFC 4330, section 3).
static double ntp_ms(const unsigned char *p) {
  double secs = (double) be32(p), frac = (double) be32(p + 4);
  if (secs < 2147483648.0) secs += 4294967296.0;
  return secs * 1000.0 + frac * 1000.0 / 4294967296.0;
}

void mg_sntp_build(unsigned char pkt[48], const unsigned char tx[8]) {
  memset(pkt, 0, 48);
  pkt[0] = (0 << 6) | (4 << 3) | 3;  // no leap warning, version 4, client
  memcpy(pkt + 40, tx, 8);
}

const char *mg_sntp_parse(const unsigned char *buf, size_t len, const unsigned char tx[8],
                          uint64_t sent_ms, uint64_t now_ms, double *ms) {
  int li, vn, mode;
  double t2, t3, rtt;
  static const unsigned char zero[8];
  if (len < 48) return "SNTP reply too short";
  li = buf[0] >> 6, vn = (buf[0] >> 3) & 7, mode = buf[0] & 7;
  if (mode != 4) return "SNTP reply has the wrong mode";
  if (vn < 1 || vn > 4) return "SNTP reply has a bad version";
  if (buf[1] == 0) return "SNTP kiss-of-death";
  if (buf[1] > 15) return "SNTP reply has a bad stratum";
  if (li == 3) return "SNTP server is unsynchronized";
  if (memcmp(buf + 24, tx, 8) != 0) return "SNTP reply is not for our request";
  if (memcmp(buf + 40, zero, 8) == 0 || memcmp(buf + 32, zero, 8) == 0) {
    return "SNTP reply has no timestamps";
  }
  t2 = ntp_ms(buf + 32), t3 = ntp_ms(buf + 40);
  rtt = (double) (now_ms >= sent_ms ? now_ms - sent_ms : 0) - (t3 >= t2 ? t3 - t2 : 0);
  if (rtt < 0) rtt = 0;
  *ms = t3 - NTP_UNIX_OFFSET * 1000.0 + rtt / 2;
  return NULL;
}

static void send_request(struct mg_connection *c) {
  unsigned char pkt[48];
  host_random(c->sntp.tx, sizeof(c->sntp.tx));
  mg_sntp_build(pkt, c->sntp.tx);
  c->sntp.sent_ms = mg_millis();
  c->sntp.state = MG_SNTP_SENT;
  if (!mg_udp_send(c, pkt, sizeof(pkt))) MG_LOG(MG_LL_DEBUG, (MG_LL_DEBUG, "%u SNTP send failed", c->id));
}

static void sntp_ev(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_CONNECT) {
    send_request(c);  // the first request goes out as soon as the socket is up
  } else if (ev == MG_EV_READ) {
    double ms = 0;
    const char *why;
    if (c->sntp.state != MG_SNTP_SENT) {
      why = "SNTP reply without a request";
    } else {
      why = mg_sntp_parse(c->recv.buf, c->recv.len, c->sntp.tx, c->sntp.sent_ms, mg_millis(), &ms);
    }
    c->recv.len = 0;  // one datagram per read: it is consumed either way
    mg_recv_shrunk(c);
    if (why != NULL) {
      MG_LOG(MG_LL_DEBUG, (MG_LL_DEBUG, "%u %s", c->id, why));
      mg_error(c, "%s", why);
      return;
    }
    c->sntp.state = MG_SNTP_IDLE;
    mg_call(c, MG_EV_SNTP_TIME, &ms);
  }
}

void mgx_sntp_init(struct mg_connection *c) {
  c->pfn = sntp_ev;
}

int mgx_sntp_request(struct mg_connection *c) {
  if (c->pfn != sntp_ev || (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT))) return 0;
  if (c->flags & MG_F_CONNECTING) {
    c->sntp.state = MG_SNTP_WANT;  // MG_EV_CONNECT sends it
    return 1;
  }
  send_request(c);
  return 1;
}
