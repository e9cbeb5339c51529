// test_mqtt_ws.c: MQTT over WebSocket (mqtt_ws.c): the listener's upgrade
// (subprotocol, path, refusals), packets split across messages and several
// packets in one message, framing and masking of what we send, the close
// frame on drain, text messages refused, and the client's held CONNECT.
#include <stdio.h>
#include <string.h>

#include "../src/base64.h"
#include "../src/mqtt.h"
#include "../src/ws.h"
#include "host_fake.h"
#include "test.h"
#include "test_ws.h"

#define B(...) ((const uint8_t[]){__VA_ARGS__})

static const char s_req[] =
    "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
static const uint8_t s_connect[] = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 0, 0, 1, 'c'};

// An MQTT-over-WebSocket listener on path `path` and one accepted connection.
static struct mg_connection *ws_broker(struct mg_mgr **mgr, const char *path) {
  struct mg_connection *l;
  *mgr = mgx_mgr_new();
  l = fake_listen(*mgr, MGX_PROTO_RAW);
  // Checked by the callers: the accepted connection is an upgraded one.
  if (!mgx_mqtt_init(l, 4, 4096) || !mgx_mqtt_ws(l, path, strlen(path))) return NULL;
  return fake_accept(*mgr, l);
}

// Feed masked binary messages, one per (data, len) pair.
static bool feed_msg(struct mg_mgr *mgr, uint32_t id, const void *data, size_t len, unsigned b0) {
  unsigned char buf[2048];
  size_t n = frame(buf, b0, data, len, true);
  return fake_feed(mgr, id, buf, n, 0);
}

static void upgrade_and_packets(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = ws_broker(&mgr, "/mqtt");
  uint32_t id = c->id;
  char req[512];
  uint8_t two[8 + 4];
  const char *o;
  snprintf(req, sizeof(req), "%sSec-WebSocket-Protocol: mqtt\r\n\r\n", s_req);
  ASSERT(fake_feeds(mgr, id, req));
  o = fake_out(id);
  ASSERT(strncmp(o, "HTTP/1.1 101 ", 13) == 0);
  ASSERT_HAS(o, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
  ASSERT_HAS(o, "Sec-WebSocket-Protocol: mqtt\r\n");
  ASSERT(c->flags & MG_F_WEBSOCKET);
  fake_out_clear(id);
  // CONNECT split over two messages, the second one fed a byte at a time.
  ASSERT(feed_msg(mgr, id, s_connect, 5, 0x82));
  {
    unsigned char buf[64];
    size_t n = frame(buf, 0x82, s_connect + 5, sizeof(s_connect) - 5, true);
    ASSERT(fake_feed(mgr, id, buf, n, 1));
  }
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\n");
  ASSERT_INT(mgx_mqtt_version(c), 4);
  // Our CONNACK: one unmasked binary frame.
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_CONNACK, 0, B(0), 1, NULL, 0), 1);
  mgx_flush(mgr);
  ASSERT_INT(fake_out_len(id), 6);
  ASSERT(memcmp(fake_out(id), B(0x82, 4, 0x20, 2, 0, 0), 6) == 0);
  fake_out_clear(id);
  // PINGREQ, a PUBLISH and the first half of another PUBLISH in one
  // message; the rest in a fragmented message (continuation frames).
  memcpy(two, B(0xc0, 0, 0x30, 4, 0, 1, 't', 'x', 0x30, 4, 0, 1), 12);
  ASSERT(feed_msg(mgr, id, two, 12, 0x82));
  ASSERT(feed_msg(mgr, id, "t", 1, 0x02));
  ASSERT(feed_msg(mgr, id, "y", 1, 0x80));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\nMQTT_CMD\nMQTT_CMD\nMQTT_CMD\n");
  // A 3000-byte PUBLISH in one message, answered with a 3000-byte one
  // (16-bit frame length).
  {
    static uint8_t big[3005];
    memset(big, 'p', sizeof(big));
    memcpy(big, B(0x30, 0xba, 0x17, 0, 1, 't'), 6);  // remaining length 3002
    {
      static unsigned char buf[3100];
      size_t n = frame(buf, 0x82, big, sizeof(big), true);
      ASSERT(fake_feed(mgr, id, buf, n, 700));
    }
    ASSERT_HAS(fake_events(id), "MQTT_CMD\nMQTT_CMD\nMQTT_CMD\nMQTT_CMD\nMQTT_CMD\n");
    ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, 2995, 0, 0, NULL, 0), 1);
    mgx_flush(mgr);
    ASSERT_INT(fake_out_len(id), 4 + 3 + 3 + 2995);
    ASSERT(memcmp(fake_out(id), B(0x82, 126, 0x0b, 0xb9, 0x30), 5) == 0);
    fake_out_clear(id);
  }
  // The stream is MQTT's: the host's WebSocket calls are refused, and
  // shutdown does not count it among the WebSockets to close with 1001.
  ASSERT(mgx_ws_send(c, "x", 1, WEBSOCKET_OP_BINARY) == 0);
  ASSERT_INT(mgx_ws_close(c, 1001, NULL, 0), 0);
  ASSERT_INT(mgx_ws_open_count(mgr), 0);
  // Draining says goodbye with a close frame.
  mgx_drain(c);
  mgx_flush(mgr);
  ASSERT_INT(close_code_out(id), 1000);
  ASSERT_HAS(fake_events(id), "CLOSE\n");
  mgx_mgr_free(mgr);
}

static void refusals(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c;
  uint32_t id;
  char req[512];
  // No subprotocol: 400, an error, closed.
  c = ws_broker(&mgr, "");
  id = c->id;
  snprintf(req, sizeof(req), "%s\r\n", s_req);
  ASSERT(fake_feeds(mgr, id, req));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 400 ", 13) == 0);
  ASSERT_HAS(fake_out(id), "subprotocol mqtt required");
  ASSERT_HAS(fake_events(id), "ERROR mqtt: WebSocket upgrade refused: 400 ");
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
  // Another path than the listener's: 404.
  c = ws_broker(&mgr, "/other");
  id = c->id;
  snprintf(req, sizeof(req), "%sSec-WebSocket-Protocol: mqttv3.1, mqtt\r\n\r\n", s_req);
  ASSERT(fake_feeds(mgr, id, req));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 404 ", 13) == 0);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
  // Any path ("" or "/"): served; a text message then fails with 1003.
  c = ws_broker(&mgr, "/");
  id = c->id;
  ASSERT(fake_feeds(mgr, id, req));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 101 ", 13) == 0);
  fake_out_clear(id);
  ASSERT(feed_msg(mgr, id, "hi", 2, 0x81));
  ASSERT_HAS(fake_events(id), "ERROR mqtt: a text WebSocket message");
  ASSERT_INT(close_code_out(id), 1003);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
  // Not HTTP at all (an MQTT client on the WebSocket port): 400.
  c = ws_broker(&mgr, "");
  id = c->id;
  ASSERT(fake_feed(mgr, id, s_connect, sizeof(s_connect), 0));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 400 ", 13) == 0);
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
}

// limits.idleTimeoutMs closes an upgraded connection that never sends its
// CONNECT, as it does a TCP one; after CONNECT MQTT's keep alive rules.
static void idle_before_connect(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = ws_broker(&mgr, "");
  uint32_t id = c->id, id2;
  char req[512];
  mgx_set_limits(mgr, 0, 0, 0, 0, 0, 1000, 0, 0);
  snprintf(req, sizeof(req), "%sSec-WebSocket-Protocol: mqtt\r\n\r\n", s_req);
  ASSERT(fake_feeds(mgr, id, req));
  fake_out_clear(id);
  id2 = fake_accept(mgr, c->parent)->id;
  ASSERT(fake_feeds(mgr, id2, req));
  ASSERT(feed_msg(mgr, id2, s_connect, sizeof(s_connect), 0x82));
  fake_now += 1001;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT(fake_conn(id) == NULL);
  ASSERT_INT(close_code_out(id), 1000);  // drained: with a close frame
  ASSERT(fake_conn(id2) != NULL);         // keep alive 0 after CONNECT: stays
  mgx_mgr_free(mgr);
}

// A broker-side protocol error: DISCONNECT (v5) in a frame, then the close frame.
static void protocol_error(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = ws_broker(&mgr, "");
  uint32_t id = c->id;
  char req[512];
  const uint8_t v5[] = {0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 0, 0, 1, 'c'};
  snprintf(req, sizeof(req), "%sSec-WebSocket-Protocol: mqtt\r\n\r\n", s_req);
  ASSERT(fake_feeds(mgr, id, req));
  fake_out_clear(id);
  ASSERT(feed_msg(mgr, id, v5, sizeof(v5), 0x82));
  ASSERT(feed_msg(mgr, id, v5, sizeof(v5), 0x82));  // a second CONNECT
  ASSERT_HAS(fake_events(id), "ERROR mqtt: second CONNECT: protocol error (0x82)\nCLOSE\n");
  ASSERT(memcmp(fake_out(id), B(0x82, 4, 0xe0, 2, 0x82, 0), 6) == 0);
  ASSERT_INT(close_code_out(id), 1000);
  mgx_mgr_free(mgr);
}

static void client_held_connect(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  static const char head[] = "GET /mqtt HTTP/1.1\r\nHost: h\r\n";
  char ans[512];
  unsigned char key[4], got[64];
  const unsigned char *o;
  uint32_t id = c->id;
  size_t i;
  fake_bind(c);
  fake_handler = NULL;
  ASSERT_INT(mgx_mqtt_init(c, 4, 1024), 1);
  ASSERT_INT(mgx_mqtt_ws(c, head, sizeof(head) - 1), 1);
  ASSERT_INT(mgx_mqtt_login(c, 1, 30, "c", 1, NULL, -1, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0), 1);
  mgx_open(c);
  mgx_resolved(c);
  mgx_connected(c);
  mgx_flush(mgr);
  // Only the upgrade request: CONNECT waits for the 101.
  ASSERT(strncmp(fake_out(id), "GET /mqtt HTTP/1.1\r\n", 20) == 0);
  ASSERT_HAS(fake_out(id), "Sec-WebSocket-Protocol: mqtt\r\n");
  ASSERT(strcmp(fake_out(id) + fake_out_len(id) - 4, "\r\n\r\n") == 0);
  fake_out_clear(id);
  client_answer(c, ans);
  ans[strlen(ans) - 2] = '\0';
  strcat(ans, "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
  // The 101 and the CONNACK frame in one read.
  {
    char all[600];
    size_t n = strlen(ans);
    memcpy(all, ans, n);
    memcpy(all + n, B(0x82, 4, 0x20, 2, 0, 0), 6);
    ASSERT(fake_feed(mgr, id, all, n + 6, 0));
  }
  ASSERT_STR(fake_events(id), "OPEN\nRESOLVE\nCONNECT\nMQTT_CMD\nMQTT_OPEN\n");
  // The CONNECT went out once the 101 arrived: one masked binary frame.
  o = (const unsigned char *) fake_out(id);
  ASSERT_INT(fake_out_len(id), 6 + sizeof(s_connect));
  ASSERT_INT(o[0], 0x82);
  ASSERT_INT(o[1], 0x80 | sizeof(s_connect));
  memcpy(key, o + 2, 4);
  for (i = 0; i < sizeof(s_connect); i++) got[i] = (unsigned char) (o[6 + i] ^ key[i & 3]);
  {
    uint8_t want[sizeof(s_connect)];
    memcpy(want, s_connect, sizeof(want));
    want[11] = 30;  // keepalive
    ASSERT(memcmp(got, want, sizeof(want)) == 0);
  }
  mgx_mgr_free(mgr);
}

static void client_needs_subprotocol(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *c = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  static const char head[] = "GET / HTTP/1.1\r\nHost: h\r\n";
  char ans[512];
  uint32_t id = c->id;
  fake_bind(c);
  fake_handler = NULL;
  ASSERT_INT(mgx_mqtt_init(c, 5, 1024), 1);
  ASSERT_INT(mgx_mqtt_ws(c, head, sizeof(head) - 1), 1);
  ASSERT_INT(mgx_mqtt_ws(c, head, sizeof(head) - 1), 0);  // once
  mgx_open(c);
  mgx_resolved(c);
  mgx_connected(c);
  client_answer(c, ans);
  ASSERT(fake_feeds(mgr, id, ans));
  ASSERT_HAS(fake_events(id), "ERROR mqtt: the WebSocket server did not accept subprotocol mqtt\nCLOSE\n");
  mgx_mgr_free(mgr);
}

void suite_mqtt_ws(void) {
  RUN(upgrade_and_packets);
  RUN(refusals);
  RUN(protocol_error);
  RUN(idle_before_connect);
  RUN(client_held_connect);
  RUN(client_needs_subprotocol);
}
