// test_mqtt.c: the MQTT parser (varints, UTF-8, every packet type, limits,
// properties), the encoders, the client's state machine (CONNACK, QoS
// answers, keepalive) and broker-side checks (second CONNECT, topic aliases).
#include "../src/mqtt.h"
#include "host_fake.h"
#include "test.h"

#define B(...) ((const uint8_t[]){__VA_ARGS__})
#define PARSE(ver, max, ...) \
  mg_mqtt_parse(B(__VA_ARGS__), sizeof((const uint8_t[]){__VA_ARGS__}), ver, max, &m)

static void mqtt_varint(void) {
  uint32_t v = 0;
  uint8_t out[4];
  ASSERT_INT(mg_mqtt_varint(B(0x00), 1, &v), 1);
  ASSERT_INT(v, 0);
  ASSERT_INT(mg_mqtt_varint(B(0xff, 0xff, 0xff, 0x7f), 4, &v), 4);
  ASSERT_INT(v, 268435455);
  ASSERT_INT(mg_mqtt_varint(B(0x80, 0x80), 2, &v), 0);               // incomplete
  ASSERT_INT(mg_mqtt_varint(B(0xff, 0xff, 0xff, 0xff, 0x01), 5, &v), -1);  // 5 bytes
  ASSERT_INT(mg_mqtt_varint_put(out, 321), 2);
  ASSERT_INT(mg_mqtt_varint(out, 2, &v), 2);
  ASSERT_INT(v, 321);
}

static void mqtt_utf8(void) {
  ASSERT(mg_mqtt_utf8_valid((const uint8_t *) "a/b", 3));
  ASSERT(mg_mqtt_utf8_valid((const uint8_t *) "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
  ASSERT(!mg_mqtt_utf8_valid(B(0x61, 0xc3, 0x28), 3));       // bad continuation
  ASSERT(!mg_mqtt_utf8_valid(B(0xc3), 1));                   // truncated
  ASSERT(!mg_mqtt_utf8_valid(B(0xc0, 0x80), 2));             // overlong NUL
  ASSERT(!mg_mqtt_utf8_valid(B(0xed, 0xa0, 0x80), 3));       // surrogate
  ASSERT(!mg_mqtt_utf8_valid(B(0x61, 0x00), 2));             // U+0000
  ASSERT(!mg_mqtt_utf8_valid(B(0xf4, 0x90, 0x80, 0x80), 4)); // > U+10FFFF
}

static void mqtt_parse_publish(void) {
  struct mg_mqtt_message m;
  const uint8_t pkt[] = {0x33, 8, 0, 3, 'a', '/', 'b', 0, 7, 'x'};  // QoS 1 retain
  size_t i;
  ASSERT_INT(mg_mqtt_parse(pkt, sizeof(pkt), 4, 0, &m), (int) sizeof(pkt));
  ASSERT_INT(m.cmd, MQTT_CMD_PUBLISH);
  ASSERT_INT(m.qos, 1);
  ASSERT_INT(m.flags & 1, 1);
  ASSERT_INT(m.id, 7);
  ASSERT_INT(m.topic.len, 3);
  ASSERT(memcmp(m.topic.buf, "a/b", 3) == 0);
  ASSERT_INT(m.data.len, 1);
  for (i = 0; i < sizeof(pkt); i++) ASSERT_INT(mg_mqtt_parse(pkt, i, 4, 0, &m), 0);
  // v5: properties after the id (payload format 1, user property k=v).
  ASSERT_INT(PARSE(5, 0, 0x30, 14, 0, 1, 't', 9, 0x01, 1, 0x26, 0, 1, 'k', 0, 1, 'v', 'p'), 16);
  ASSERT_INT(m.props_size, 9);
  ASSERT_INT(m.data.len, 1);
  ASSERT_INT(PARSE(5, 0, 0x30, 6, 0, 1, 't', 2, 0x99, 0), -MQTT_RC_MALFORMED);  // unknown property
  ASSERT_INT(PARSE(4, 0, 0x30, 5, 0, 3, 'a', '/', '+'), -MQTT_RC_TOPIC_INVALID);
  ASSERT_INT(PARSE(4, 0, 0x30, 5, 0, 3, 'a', 0xc3, 0x28), -MQTT_RC_MALFORMED);
  ASSERT_INT(PARSE(4, 0, 0x36, 5, 0, 1, 'a', 0, 1), -MQTT_RC_MALFORMED);        // QoS 3
  ASSERT_INT(PARSE(4, 0, 0x32, 5, 0, 1, 'a', 0, 0), -MQTT_RC_PROTOCOL_ERROR);   // id 0
  ASSERT_INT(PARSE(4, 0, 0x30, 2, 0, 5), -MQTT_RC_MALFORMED);                   // topic overruns
}

static void mqtt_parse_limits(void) {
  struct mg_mqtt_message m;
  ASSERT_INT(PARSE(4, 0, 0x30, 0xff, 0xff, 0xff, 0xff, 0x01), -MQTT_RC_MALFORMED);
  // Too large is known from the fixed header alone.
  ASSERT_INT(PARSE(4, 100, 0x30, 0xe8, 0x07), -MQTT_RC_PACKET_TOO_LARGE);
  ASSERT_INT(PARSE(4, 0, 0x30, 0xe8, 0x07), 0);  // no limit: just incomplete
  ASSERT_INT(PARSE(4, 0, 0x00, 0x00), -MQTT_RC_MALFORMED);  // command 0
  ASSERT_INT(PARSE(4, 0, 0x80, 6, 0, 1, 0, 1, 'a', 0), -MQTT_RC_MALFORMED);  // SUBSCRIBE flags 0
  ASSERT_INT(PARSE(4, 0, 0xc1, 0), -MQTT_RC_MALFORMED);  // PINGREQ flags 1
  ASSERT_INT(PARSE(4, 0, 0xc0, 1, 0), -MQTT_RC_MALFORMED);  // PINGREQ with a body
  ASSERT_INT(PARSE(4, 0, 0xc0, 0), 2);
}

static void mqtt_parse_control(void) {
  struct mg_mqtt_message m;
  // CONNECT v5: clean, will QoS 1 + retain, user, password, keepalive 60.
  ASSERT_INT(PARSE(5, 0, 0x10, 29, 0, 4, 'M', 'Q', 'T', 'T', 5, 0xee, 0, 60, 0, 0, 2, 'i', 'd', 0,
                   0, 1, 'w', 0, 1, 'x', 0, 1, 'u', 0, 2, 'p', 'w'),
             31);
  ASSERT_INT(m.version, 5);
  ASSERT_INT(m.keepalive, 60);
  ASSERT_INT(m.qos, 1);
  ASSERT_INT(m.client_id.len, 2);
  ASSERT_INT(m.topic.len, 1);
  ASSERT_INT(m.user.len, 1);
  ASSERT_INT(m.pass.len, 2);
  ASSERT_INT(PARSE(4, 0, 0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 9, 2, 0, 0, 0, 0),
             -MQTT_RC_UNSUPPORTED_VERSION);
  ASSERT_INT(PARSE(4, 0, 0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 3, 0, 0, 0, 0),
             -MQTT_RC_MALFORMED);  // reserved flag bit
  ASSERT_INT(PARSE(4, 0, 0x20, 2, 1, 0), 4);
  ASSERT_INT(m.connect_flags, 1);
  ASSERT_INT(PARSE(4, 0, 0x20, 2, 2, 0), -MQTT_RC_MALFORMED);
  ASSERT_INT(PARSE(4, 0, 0x82, 8, 0, 9, 0, 3, 'a', '/', '#', 1), 10);
  ASSERT_INT(m.id, 9);
  ASSERT_INT(PARSE(4, 0, 0x82, 8, 0, 9, 0, 3, 'a', '/', '#', 3), -MQTT_RC_MALFORMED);
  ASSERT_INT(PARSE(4, 0, 0x82, 2, 0, 9), -MQTT_RC_PROTOCOL_ERROR);  // no filter
  ASSERT_INT(PARSE(4, 0, 0x90, 4, 0, 9, 1, 0x80), 6);
  ASSERT_INT(m.ack, 1);
  ASSERT_INT(PARSE(5, 0, 0x40, 4, 0, 5, 0x10, 0), 6);  // PUBACK v5: reason + no properties
  ASSERT_INT(m.ack, 0x10);
  ASSERT_INT(PARSE(5, 0, 0xe0, 1, 0x8b), 3);
  ASSERT_INT(m.ack, 0x8b);
  ASSERT_INT(PARSE(4, 0, 0xe0, 1, 0x8b), -MQTT_RC_MALFORMED);  // 3.1.1 DISCONNECT has no body
}

static void mqtt_props(void) {
  const uint8_t p[] = {0x23, 0, 4, 0x27, 0, 0, 1, 0, 0x0b, 0x81, 0x01};
  struct mg_str v;
  uint32_t iv = 0;
  ASSERT(mg_mqtt_props_valid(p, sizeof(p)));
  ASSERT(mg_mqtt_prop_find(p, sizeof(p), MQTT_PROP_TOPIC_ALIAS, &v, &iv));
  ASSERT_INT(iv, 4);
  ASSERT(mg_mqtt_prop_find(p, sizeof(p), MQTT_PROP_MAX_PACKET_SIZE, &v, &iv));
  ASSERT_INT(iv, 256);
  ASSERT(mg_mqtt_prop_find(p, sizeof(p), 0x0b, &v, &iv));
  ASSERT_INT(iv, 129);
  ASSERT(!mg_mqtt_prop_find(p, sizeof(p), 0x26, &v, &iv));
  ASSERT(!mg_mqtt_props_valid(p, sizeof(p) - 1));  // truncated varint
  ASSERT(!mg_mqtt_props_valid(B(0x03, 0, 2, 0xc3, 0x28), 5));  // string not UTF-8
}

// A connected MQTT client on the fake host.
static struct mg_connection *client(struct mg_mgr **mgr, int version) {
  struct mg_connection *c;
  *mgr = mgx_mgr_new();
  c = mgx_conn_new(*mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  fake_bind(c);
  mgx_mqtt_init(c, version, 1024);
  mgx_open(c);
  mgx_resolved(c);
  mgx_connected(c);
  return c;
}

static void mqtt_client_flow(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = client(&mgr, 4);
  uint32_t id = c->id;
  const uint8_t connect[] = {0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 1, 0, 3, 'c', 'i', 'd'};
  ASSERT_INT(mgx_mqtt_login(c, 1, 1, "cid", 3, NULL, -1, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0), 1);
  mgx_flush(mgr);
  ASSERT_INT(fake_out_len(id), sizeof(connect));
  ASSERT(memcmp(fake_out(id), connect, sizeof(connect)) == 0);
  fake_out_clear(id);
  ASSERT(fake_feed(mgr, id, B(0x20, 2, 0, 0), 4, 1));
  ASSERT_STR(fake_events(id), "OPEN\nRESOLVE\nCONNECT\nMQTT_CMD\nMQTT_OPEN\n");
  // QoS 1 and 2 from the broker: PUBACK, PUBREC; its PUBREL: PUBCOMP.
  ASSERT(fake_feed(mgr, id, B(0x32, 6, 0, 1, 't', 0, 5, 'x', 0x34, 6, 0, 1, 't', 0, 6, 'y'), 16, 0));
  ASSERT(fake_feed(mgr, id, B(0x62, 2, 0, 6), 4, 0));
  ASSERT_INT(fake_out_len(id), 12);
  ASSERT(memcmp(fake_out(id), B(0x40, 2, 0, 5, 0x50, 2, 0, 6, 0x70, 2, 0, 6), 12) == 0);
  fake_out_clear(id);
  // Our QoS 2 publish: the broker's PUBREC gets our PUBREL.
  ASSERT_INT(mgx_mqtt_pub(c, "a", 1, "z", 1, 2, 9, NULL, 0), 1);
  ASSERT_INT(mgx_mqtt_pub(c, "a/#", 3, "z", 1, 0, 0, NULL, 0), 0);  // wildcard refused
  ASSERT(fake_feed(mgr, id, B(0x50, 2, 0, 9), 4, 0));
  ASSERT_INT(fake_out_len(id), 12);
  ASSERT(memcmp(fake_out(id) + 8, B(0x62, 2, 0, 9), 4) == 0);
  fake_out_clear(id);
  // Keepalive 1 s: PINGREQ after a second of silence, error a second later.
  fake_now += 1000;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT_INT(fake_out_len(id), 2);
  ASSERT(memcmp(fake_out(id), B(0xc0, 0), 2) == 0);
  fake_now += 1000;
  mgx_poll(mgr);
  mgx_flush(mgr);
  ASSERT_HAS(fake_events(id), "ERROR mqtt: keep alive timeout: the broker stopped answering\nCLOSE\n");
  mgx_mgr_free(mgr);
}

static void mqtt_client_refused(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = client(&mgr, 5);
  uint32_t id = c->id;
  ASSERT_INT(mgx_mqtt_login(c, 1, 0, "x", 1, "u", 1, "p", 1, NULL, 0, NULL, 0, NULL, 0, NULL, 0), 1);
  ASSERT(fake_feed(mgr, id, B(0x20, 3, 0, 0x86, 0), 5, 0));
  ASSERT_HAS(fake_events(id), "ERROR mqtt: connection refused: bad user name or password (0x86)\nCLOSE\n");
  ASSERT(fake_conn(id) == NULL);
  mgx_mgr_free(mgr);
}

static void mqtt_client_max_packet(void) {
  struct mg_mgr *mgr;
  struct mg_connection *c = client(&mgr, 5);
  uint32_t id = c->id;
  char big[100];
  memset(big, 'b', sizeof(big));
  mgx_mqtt_login(c, 1, 0, "x", 1, NULL, -1, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
  // CONNACK v5 with Maximum Packet Size 64.
  ASSERT(fake_feed(mgr, id, B(0x20, 8, 0, 0, 5, 0x27, 0, 0, 0, 64), 10, 0));
  ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, sizeof(big), 0, 0, NULL, 0), 0);
  ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, 10, 0, 0, NULL, 0), 1);
  // An incoming packet over our limit (1024): DISCONNECT 0x95, error, close.
  fake_out_clear(id);
  ASSERT(fake_feed(mgr, id, B(0x30, 0x80, 0x10), 3, 0));
  ASSERT_HAS(fake_events(id), "ERROR mqtt: packet too large: packet too large (0x95)\nCLOSE\n");
  ASSERT(memcmp(fake_out(id) + fake_out_len(id) - 4, B(0xe0, 2, 0x95, 0), 4) == 0);
  mgx_mgr_free(mgr);
}

static void mqtt_broker_side(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW), *c;
  uint32_t id, id2;
  const uint8_t connect[] = {0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 0, 0, 1, 'c'};
  ASSERT_INT(mgx_mqtt_init(l, 4, 256), 1);
  c = fake_accept(mgr, l);
  id = c->id;
  ASSERT(fake_feed(mgr, id, connect, sizeof(connect), 1));
  ASSERT_INT(mgx_mqtt_version(c), 5);
  // The broker's keep alive cap applies to a broker-side connection only.
  ASSERT_INT(mgx_mqtt_keepalive(c, 30), 1);
  ASSERT_INT(mgx_mqtt_keepalive(l, 30), 0);
  ASSERT_INT(mgx_mqtt_keepalive(c, 70000), 0);
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_CONNACK, 0, B(0), 1, NULL, 0), 1);
  mgx_flush(mgr);
  ASSERT(memcmp(fake_out(id), B(0x20, 3, 0, 0, 0), 5) == 0);
  fake_out_clear(id);
  // Topic alias 2 set with a topic, then used with an empty one.
  ASSERT(fake_feed(mgr, id, B(0x30, 9, 0, 2, 'a', 'b', 3, 0x23, 0, 2, 'x', 0x30, 6, 0, 0, 3, 0x23, 0, 2),
                   19, 0));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\nMQTT_CMD\nMQTT_CMD\n");
  // An alias never set: protocol error. (A fresh connection.)
  id2 = fake_accept(mgr, l)->id;
  ASSERT(fake_feed(mgr, id2, connect, sizeof(connect), 0));
  ASSERT(fake_feed(mgr, id2, B(0x30, 6, 0, 0, 3, 0x23, 0, 7), 8, 0));
  ASSERT_HAS(fake_events(id2), "ERROR mqtt: topic alias: protocol error (0x82)\nCLOSE\n");
  // A second CONNECT on the first one.
  ASSERT(fake_feed(mgr, id, connect, sizeof(connect), 0));
  ASSERT_HAS(fake_events(id), "ERROR mqtt: second CONNECT: protocol error (0x82)\nCLOSE\n");
  mgx_mgr_free(mgr);
}

// Client identifiers (MQTT-3.1.3-8): a 3.1.1 CONNECT with an empty id and
// CleanSession=0 gets CONNACK 0x02 and a close, before any handler sees
// it; with CleanSession=1, or on MQTT 5 (the broker assigns one), it passes.
static void mqtt_broker_client_id(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  uint32_t id;
  ASSERT_INT(mgx_mqtt_init(l, 4, 256), 1);
  id = fake_accept(mgr, l)->id;
  ASSERT(fake_feed(mgr, id, B(0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 30, 0, 0), 14, 0));
  ASSERT_INT(fake_out_len(id), 4);
  ASSERT(memcmp(fake_out(id), B(0x20, 2, 0, 0x02), 4) == 0);
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nERROR mqtt: CONNECT refused: empty client identifier "
                              "without clean session: identifier rejected (0x2)\nCLOSE\n");
  ASSERT(fake_conn(id) == NULL);
  id = fake_accept(mgr, l)->id;  // CleanSession=1: the handler decides
  ASSERT(fake_feed(mgr, id, B(0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 0), 14, 0));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\n");
  id = fake_accept(mgr, l)->id;  // MQTT 5, Clean Start=0: the handler assigns an id
  ASSERT(fake_feed(mgr, id, B(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x00, 0, 30, 0, 0, 0), 15, 0));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\n");
  id = fake_accept(mgr, l)->id;  // a mosquitto bridge: level 0x84 is 3.1.1 with the bridge bit
  ASSERT(fake_feed(mgr, id, B(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 0x84, 0x02, 0, 30, 0, 1, 'b'), 15, 0));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\n");
  ASSERT_INT(mgx_mqtt_version(fake_conn(id)), 4);
  {
    struct mg_mqtt_message m;
    const uint8_t *pk = B(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 0x84, 0x02, 0, 30, 0, 1, 'b');
    ASSERT_INT(mg_mqtt_parse(pk, 15, 4, 1024, &m), 15);
    ASSERT_INT(m.version, 4);
    ASSERT_INT(m.bridge, 1);
    ASSERT_INT(mg_mqtt_parse(B(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 0x85, 0x02, 0, 30, 0, 1, 'b'), 15, 4, 1024, &m), -MQTT_RC_UNSUPPORTED_VERSION);
  }
  mgx_mgr_free(mgr);
}

// The client's Maximum Packet Size (MQTT 5 CONNECT) binds the broker side:
// a PUBLISH over it is refused, an acknowledgement loses its Reason String
// and User Properties to fit, or is refused when it still does not fit.
static void mqtt_broker_max_packet(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW), *c;
  uint32_t id;
  char big[100];
  uint8_t props[70] = {0x1f, 0, 45}, aci[70] = {0x12, 0, 60};
  const uint8_t connect[] = {0x10, 19, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 5, 0x27, 0, 0, 0, 64, 0, 1, 'c'};
  memset(big, 'b', sizeof(big));
  memset(props + 3, 'r', 45);
  memcpy(props + 48, B(0x26, 0, 2, 'k', '1', 0, 2, 'v', '1', 0x17, 1), 11);  // user property, then 0x17
  memset(aci + 3, 'a', 60);
  ASSERT_INT(mgx_mqtt_init(l, 4, 256), 1);
  c = fake_accept(mgr, l);
  id = c->id;
  ASSERT(fake_feed(mgr, id, connect, sizeof(connect), 0));
  ASSERT_STR(fake_events(id), "OPEN\nACCEPT\nMQTT_CMD\n");
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_CONNACK, 0, B(0), 1, aci, 63), 0);  // 68 bytes: too large
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_CONNACK, 0, B(0), 1, NULL, 0), 1);
  ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, sizeof(big), 1, 7, NULL, 0), 0);
  ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, 58, 0, 0, NULL, 0), 1);  // exactly 64 bytes
  ASSERT_INT(mgx_mqtt_pub(c, "t", 1, big, 59, 0, 0, NULL, 0), 0);
  mgx_flush(mgr);
  ASSERT_INT(fake_out_len(id), 5 + 64);
  fake_out_clear(id);
  // PUBACK with a reason, a 45-byte Reason String, a User Property and a
  // Request Problem Information: sent with the last one only.
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_PUBACK, 3, B(0x10), 1, props, 59), 1);
  ASSERT_INT(mgx_mqtt_send(c, MQTT_CMD_PUBACK, 4, B(0x10), 1, props + 48, 11), 1);  // fits: kept
  mgx_flush(mgr);
  ASSERT_INT(fake_out_len(id), 8 + 17);
  ASSERT(memcmp(fake_out(id), B(0x40, 6, 0, 3, 0x10, 2, 0x17, 1), 8) == 0);
  ASSERT(memcmp(fake_out(id) + 8, B(0x40, 15, 0, 4, 0x10, 11, 0x26), 7) == 0);
  mgx_mgr_free(mgr);
}

// MQTT 5: Maximum Packet Size 0 in CONNECT is a protocol error (3.1.2.11.4).
static void mqtt_broker_max_packet_zero(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  struct mg_connection *l = fake_listen(mgr, MGX_PROTO_RAW);
  uint32_t id;
  const uint8_t connect[] = {0x10, 19, 0, 4, 'M', 'Q', 'T', 'T', 5, 2, 0, 0, 5, 0x27, 0, 0, 0, 0, 0, 1, 'c'};
  ASSERT_INT(mgx_mqtt_init(l, 4, 256), 1);
  id = fake_accept(mgr, l)->id;
  ASSERT(fake_feed(mgr, id, connect, sizeof(connect), 0));
  ASSERT_INT(fake_out_len(id), 5);
  ASSERT(memcmp(fake_out(id), B(0x20, 3, 0, 0x82, 0), 5) == 0);
  ASSERT_HAS(fake_events(id), "ERROR mqtt: CONNECT refused: Maximum Packet Size 0: protocol error (0x82)\nCLOSE\n");
  mgx_mgr_free(mgr);
}

void suite_mqtt(void) {
  RUN(mqtt_varint);
  RUN(mqtt_utf8);
  RUN(mqtt_parse_publish);
  RUN(mqtt_parse_limits);
  RUN(mqtt_parse_control);
  RUN(mqtt_props);
  RUN(mqtt_client_flow);
  RUN(mqtt_client_refused);
  RUN(mqtt_client_max_packet);
  RUN(mqtt_broker_side);
  RUN(mqtt_broker_client_id);
  RUN(mqtt_broker_max_packet);
  RUN(mqtt_broker_max_packet_zero);
}
