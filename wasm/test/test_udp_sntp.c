// test_udp_sntp.c: datagram connections (udp.c) and the SNTP client
// (sntp.c): request format, replies turned into MG_EV_SNTP_TIME, and every
// malformed reply turned into MG_EV_ERROR + close.
#include "../src/sntp.h"
#include "../src/udp.h"
#include "../src/util.h"
#include "host_fake.h"
#include "test.h"

static double s_time;
static int s_times;

static void on_sntp(struct mg_connection *c, int ev, void *ev_data) {
  (void) c;
  if (ev == MG_EV_SNTP_TIME) s_time = *(double *) ev_data, s_times++;
}

// A connected SNTP client whose first request went out (48 bytes in fake_out).
static struct mg_connection *sntp_client(struct mg_mgr **mgr) {
  struct mg_connection *c;
  *mgr = mgx_mgr_new();
  c = mgx_udp_new(*mgr, 0);
  fake_bind(c);
  mgx_sntp_init(c);
  mgx_open(c);
  mgx_resolved(c);
  mgx_connected(c);
  mgx_flush(*mgr);
  return c;
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char) (v >> 24), p[1] = (unsigned char) (v >> 16);
  p[2] = (unsigned char) (v >> 8), p[3] = (unsigned char) v;
}

// A valid server reply to the request in `req`: transmit time `secs` (NTP era 0).
static void reply_to(const unsigned char *req, unsigned char *r, uint32_t secs) {
  memset(r, 0, 48);
  r[0] = (0 << 6) | (4 << 3) | 4;
  r[1] = 2;
  memcpy(r + 24, req + 40, 8);
  put32(r + 32, secs), put32(r + 36, 0x80000000u);  // received and sent at once
  put32(r + 40, secs), put32(r + 44, 0x80000000u);  // + 500 ms
}

static void sntp_request_and_reply(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c;
  unsigned char req[48], r[48];
  uint32_t id;
  fake_now = 1000;
  fake_handler = on_sntp;
  s_times = 0;
  c = sntp_client(&mgr);
  id = c->id;
  ASSERT(c->flags & MG_F_UDP);
  ASSERT_INT(fake_out_len(id), 48);
  memcpy(req, fake_out(id), 48);
  ASSERT_INT(req[0], 0x23);  // LI 0, version 4, mode 3 (client)
  fake_now = 1040;           // 40 ms round trip, none of it at the server
  reply_to(req, r, 3913056000u);  // 2024-01-01T00:00:00Z
  ASSERT(fake_feed(mgr, id, r, 48, 0));
  ASSERT_INT(s_times, 1);
  ASSERT(s_time == 1704067200000.0 + 500 + 20);
  ASSERT_NOT_HAS(fake_events(id), "ERROR");
  // A second request gets a new nonce; the old reply no longer matches.
  fake_out_clear(id);
  ASSERT_INT(mgx_sntp_request(c), 1);
  ASSERT_INT(fake_out_len(id), 48);
  ASSERT(memcmp(fake_out(id) + 40, req + 40, 8) != 0);
  ASSERT(fake_feed(mgr, id, r, 48, 0));
  ASSERT_HAS(fake_events(id), "ERROR SNTP reply is not for our request");
  ASSERT_INT(s_times, 1);
  mgx_mgr_free(mgr);
}

// Era 1 (after 2036-02-07): seconds with the top bit clear.
static void sntp_era_rollover(void) {
  unsigned char tx[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[48];
  double ms = 0;
  reply_to((const unsigned char *) "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\2\3\4\5\6\7\10",
           r, 1000);
  r[44] = r[45] = r[46] = r[47] = 0;
  ASSERT(mg_sntp_parse(r, 48, tx, 0, 0, &ms) == NULL);
  ASSERT(ms == (4294967296.0 + 1000 - 2208988800.0) * 1000);
}

static void sntp_rejects(void) {
  static const struct {
    int off, val;
    const char *why;
  } cases[] = {{0, 0x23, "wrong mode"}, {0, 0x25, "wrong mode"},   {0, 0x04, "bad version"},
               {1, 0, "kiss-of-death"},  {1, 16, "bad stratum"}, {0, 0xe4 | 0x20, "unsynchronized"},
               {24, 0x55, "not for our request"}, {-1, 0, "too short"}};
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct mg_mgr *mgr;
    struct mg_connection *c;
    unsigned char r[48];
    uint32_t id;
    fake_reset();
    fake_handler = on_sntp;
    s_times = 0;
    c = sntp_client(&mgr);
    id = c->id;
    reply_to((const unsigned char *) fake_out(id), r, 3913056000u);
    if (cases[i].off >= 0) r[cases[i].off] = (unsigned char) cases[i].val;
    ASSERT(fake_feed(mgr, id, r, cases[i].off < 0 ? 47 : 48, 0));
    if (strstr(fake_events(id), cases[i].why) == NULL || s_times != 0 || fake_closes(id) != 1) {
      test_fail(__FILE__, __LINE__, "case %u (%s): events [%s]", (unsigned) i, cases[i].why,
                fake_events(id));
      mgx_mgr_free(mgr);
      return;
    }
    mgx_mgr_free(mgr);
  }
}

static void udp_send_is_immediate_and_per_datagram(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *c = mgx_udp_new(mgr, 1), *cl = mgx_udp_new(mgr, 0);
  uint32_t id = c->id;
  fake_bind(c), fake_bind(cl);
  mgx_open(c), mgx_open(cl);
  ASSERT(!(c->flags & MG_F_LISTENING) && (c->flags & MG_F_WRITABLE));
  ASSERT(mgx_udp_send(c, "one", 3));
  ASSERT_INT(fake_out_len(id), 3);  // not waiting for a flush
  ASSERT(mgx_udp_send(c, "two", 3));
  ASSERT_STR(fake_out(id), "onetwo");
  ASSERT(!mgx_udp_send(cl, "x", 1));  // a client before MG_EV_CONNECT
  ASSERT(!mg_send_backed_up(c));
  fake_log_io = true;
  ASSERT(fake_feeds(mgr, id, "d1"));
  ASSERT(fake_feeds(mgr, id, "d2"));
  ASSERT_HAS(fake_events(id), "READ 2\nREAD 2\n");
  mgx_close(c);
  mgx_flush(mgr);
  ASSERT(!mgx_udp_send(c == NULL ? cl : cl, "x", 1));
  fake_log_io = false;
  mgx_mgr_free(mgr);
}

void suite_udp_sntp(void) {
  RUN(sntp_request_and_reply);
  RUN(sntp_era_rollover);
  RUN(sntp_rejects);
  RUN(udp_send_is_immediate_and_per_datagram);
}
