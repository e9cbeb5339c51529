// mqtt_conn.h: what mqtt.c (the connection handler) and mqtt_send.c (the
// packet encoders behind the mgx_mqtt_* send exports) share: the state of
// one MQTT connection and the helpers that put a packet on the wire. Not
// part of the core's interface (mqtt.h is).
#ifndef MG_MQTT_CONN_H
#define MG_MQTT_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt.h"
#include "net.h"

struct mg_mqtt_state {
  uint8_t version;        // 4 or 5 (broker side: from CONNECT)
  bool broker;            // accepted by an MQTT listener
  bool open;              // client: CONNACK accepted; broker: CONNECT received
  uint16_t keepalive;     // seconds (0: off)
  uint32_t max_packet;    // largest packet taken from the peer
  uint32_t peer_max;      // largest packet the peer takes (0: protocol maximum)
  uint64_t start_ms;      // connection set up
  uint64_t last_rx_ms;    // last packet received
  uint64_t last_tx_ms;    // last packet queued
  uint64_t ping_ms;       // PINGREQ outstanding since (0: none)
  bool lean;              // the CONNECT exchange's buffers were given back (fresh_buffers)
  char *alias[MG_MQTT_MAX_ALIASES + 1];  // topic aliases received (1-based)
  uint16_t alias_len[MG_MQTT_MAX_ALIASES + 1];
  struct mg_mqtt_ws *ws;  // MQTT over WebSocket (mqtt_ws.c); NULL: the byte stream is MQTT
};

#define MQTT_MAX_REM 268435455u  // largest remaining length a varint holds

// One piece of a packet being sent (gathered after the fixed header).
struct part {
  const void *buf;
  size_t len;
};

// The MQTT state of `c`, NULL when `c` is not an MQTT connection.
struct mg_mqtt_state *mg_mqtt_state_of(struct mg_connection *c);
// Fixed header + the parts, refused (false) when closing or when the packet
// is over the peer's Maximum Packet Size.
bool mg_mqtt_send_packet(struct mg_connection *c, uint8_t hdr, const struct part *parts, size_t n);
// Two-byte big-endian length or id into out.
void mg_mqtt_put16(uint8_t *out, size_t v);
// The properties of a v5 packet as two parts (length varint, block); none for v4.
size_t mg_mqtt_props_parts(struct mg_mqtt_state *s, uint8_t *lenbuf, const void *props, size_t plen,
                           struct part *out);
// A valid topic name (no wildcards) or, with `filter`, topic filter bytes.
bool mg_mqtt_topic_ok(const char *t, size_t n, bool filter);

#endif
