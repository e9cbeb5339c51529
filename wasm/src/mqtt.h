// mqtt.h: MQTT 3.1.1 (protocol level 4) and 5: packet parser, encoders and
// the per-connection state of clients and broker-side connections.
//
// The core sees plain bytes (TLS, when there is any, is the host's business),
// so everything here works the same over mqtt:// and mqtts://.
#ifndef MG_MQTT_H
#define MG_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgx.h"
#include "str.h"

struct mg_connection;

#define MQTT_CMD_CONNECT 1
#define MQTT_CMD_CONNACK 2
#define MQTT_CMD_PUBLISH 3
#define MQTT_CMD_PUBACK 4
#define MQTT_CMD_PUBREC 5
#define MQTT_CMD_PUBREL 6
#define MQTT_CMD_PUBCOMP 7
#define MQTT_CMD_SUBSCRIBE 8
#define MQTT_CMD_SUBACK 9
#define MQTT_CMD_UNSUBSCRIBE 10
#define MQTT_CMD_UNSUBACK 11
#define MQTT_CMD_PINGREQ 12
#define MQTT_CMD_PINGRESP 13
#define MQTT_CMD_DISCONNECT 14
#define MQTT_CMD_AUTH 15

// Property value types (MQTT_PROP_TYPE_* in the facade).
#define MQTT_PROP_TYPE_BYTE 0
#define MQTT_PROP_TYPE_STRING 1
#define MQTT_PROP_TYPE_STRING_PAIR 2
#define MQTT_PROP_TYPE_BINARY_DATA 3
#define MQTT_PROP_TYPE_VARIABLE_INT 4
#define MQTT_PROP_TYPE_INT 5
#define MQTT_PROP_TYPE_SHORT 6

#define MQTT_PROP_MAX_PACKET_SIZE 0x27
#define MQTT_PROP_TOPIC_ALIAS_MAXIMUM 0x22
#define MQTT_PROP_TOPIC_ALIAS 0x23

// Reason codes the core itself produces.
#define MQTT_RC_MALFORMED 0x81
#define MQTT_RC_PROTOCOL_ERROR 0x82
#define MQTT_RC_KEEPALIVE_TIMEOUT 0x8D
#define MQTT_RC_TOPIC_INVALID 0x90
#define MQTT_RC_TOPIC_ALIAS_INVALID 0x94
#define MQTT_RC_PACKET_TOO_LARGE 0x95
#define MQTT_RC_UNSUPPORTED_VERSION 0x84

// Topic aliases a connection accepts from its peer (advertised as Topic
// Alias Maximum in CONNECT / expected in the broker's CONNACK).
#define MG_MQTT_MAX_ALIASES 16

// A parsed packet: the ev_data of MG_EV_MQTT_CMD and MG_EV_MQTT_MSG. Every
// mg_str points into the receive buffer (valid during the event only). The
// host reads it from linear memory (wasm32 offsets on the right).
struct mg_mqtt_message {
  struct mg_str topic;    //  0 PUBLISH topic (alias resolved); CONNECT: will topic
  struct mg_str data;     //  8 PUBLISH payload; CONNECT: will message;
                          //    SUBSCRIBE/UNSUBSCRIBE: the topic list; SUBACK/UNSUBACK: reason codes
  struct mg_str dgram;    // 16 the whole packet
  uint16_t id;            // 24 packet id (0: none)
  uint8_t cmd;            // 26 MQTT_CMD_*
  uint8_t qos;            // 27 PUBLISH qos; CONNECT: will qos
  uint8_t ack;            // 28 CONNACK return/reason code; acks and DISCONNECT: reason code
  uint8_t flags;          // 29 low 4 bits of the first byte (PUBLISH: dup<<3, qos<<1, retain)
  uint8_t version;        // 30 4 or 5
  uint8_t connect_flags;  // 31 CONNECT flags byte; CONNACK: acknowledge flags (session present)
  uint32_t props_start;   // 32 offset of the properties (after their length) in dgram
  uint32_t props_size;    // 36 0: none
  struct mg_str client_id;  // 40 CONNECT
  struct mg_str user;       // 48 CONNECT (buf NULL: absent)
  struct mg_str pass;       // 56 CONNECT (buf NULL: absent)
  uint16_t keepalive;       // 64 CONNECT
  uint8_t bridge;           // 66 CONNECT: protocol level with 0x80 (a mosquitto bridge, try_private)
  uint8_t pad;
  uint32_t will_props_start;  // 68 CONNECT v5: will properties
  uint32_t will_props_size;   // 72
};

// Parse the packet at the front of `buf`. Returns its length (> 0), 0 when
// more bytes are needed, or -(reason code) for a malformed packet:
// MQTT_RC_MALFORMED (bad remaining length, a 5-byte length, bad flags,
// truncated fields, bad properties, ill-formed UTF-8), MQTT_RC_PACKET_TOO_LARGE
// (over `max_size`), MQTT_RC_TOPIC_INVALID (wildcards in a PUBLISH topic),
// MQTT_RC_PROTOCOL_ERROR. `version` is the connection's (a CONNECT
// packet carries its own). Resolves nothing (topic aliases: mqtt.c).
int mg_mqtt_parse(const uint8_t *buf, size_t len, uint8_t version, uint32_t max_size,
                  struct mg_mqtt_message *m);
// Validate a property block; returns false if malformed.
bool mg_mqtt_props_valid(const uint8_t *p, size_t len);
// Find property `id` in a valid block; its value bytes in *val. Integer
// properties also in *iv.
bool mg_mqtt_prop_find(const uint8_t *p, size_t len, uint8_t id, struct mg_str *val, uint32_t *iv);
// Copy a valid property block into out[len] without its Reason String and
// User Properties (what MQTT 5 drops to stay within a Maximum Packet Size);
// returns the new length (len: nothing dropped, or not a valid block).
size_t mg_mqtt_props_strip(const uint8_t *p, size_t len, uint8_t *out);
// Valid MQTT UTF-8 string: well-formed, no U+0000, no surrogates.
bool mg_mqtt_utf8_valid(const uint8_t *s, size_t len);
// MQTT variable byte integer at buf (at most 4 bytes): returns bytes used,
// 0 if incomplete, -1 if malformed.
int mg_mqtt_varint(const uint8_t *buf, size_t len, uint32_t *value);
// Encode `v` (< 2^28) as a variable byte integer into out[4]; returns bytes.
size_t mg_mqtt_varint_put(uint8_t *out, uint32_t v);
// Human-readable name of a reason code / 3.1.1 CONNACK return code.
const char *mg_mqtt_reason(uint8_t code, uint8_t version, bool connack);

// ---- per-connection state and the exports -----------------------------------
// Set up an MQTT connection: a client (after mgx_conn_new(KIND_CLIENT)) or a
// listener (its accepted connections inherit the setup). version: 4 or 5;
// max_packet: largest packet accepted from the peer (limits.maxMqttPacketSize).
MGX_EXPORT(mgx_mqtt_init) int mgx_mqtt_init(struct mg_connection *c, int version, uint32_t max_packet);
// Client: queue CONNECT. `flags` bit0 clean session, bits1-2 will qos,
// bit3 will retain, bit4 has will. Returns 1, or 0 when refused.
MGX_EXPORT(mgx_mqtt_login)
int mgx_mqtt_login(struct mg_connection *c, int flags, int keepalive,
                   const char *cid, size_t cid_len, const char *user, int user_len,
                   const char *pass, int pass_len, const char *will_topic, size_t wt_len,
                   const void *will_msg, size_t wm_len, const void *props, size_t props_len,
                   const void *will_props, size_t wp_len);
// PUBLISH. flags: bits0-1 qos, bit2 retain, bit3 dup. id: packet id for
// qos > 0. Returns 1, or 0 when refused (closing, over the peer's Maximum
// Packet Size: the broker's CONNACK on a client, the client's CONNECT on
// the broker side; every packet a connection sends is held to it).
MGX_EXPORT(mgx_mqtt_pub)
int mgx_mqtt_pub(struct mg_connection *c, const char *topic, size_t topic_len,
                 const void *data, size_t data_len, int flags, int id,
                 const void *props, size_t props_len);
// SUBSCRIBE / UNSUBSCRIBE with one topic filter; `opts` is the SUBSCRIBE
// options byte (qos in bits 0-1; v5 no-local, retain-as-published, ...).
MGX_EXPORT(mgx_mqtt_sub)
int mgx_mqtt_sub(struct mg_connection *c, int unsub, int id, const char *topic, size_t topic_len,
                 int opts, const void *props, size_t props_len);
// Any other packet: CONNACK (id = acknowledge flags, codes[0] = code),
// PUBACK/PUBREC/PUBREL/PUBCOMP (id, codes[0] = reason), SUBACK/UNSUBACK
// (id, codes = one per topic), PINGREQ, PINGRESP, DISCONNECT and AUTH
// (codes[0] = reason). Properties are dropped for version 4; on version 5
// a packet over the peer's Maximum Packet Size is sent without its Reason
// String and User Properties, or refused (0) if still too large.
MGX_EXPORT(mgx_mqtt_send)
int mgx_mqtt_send(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                  const void *props, size_t props_len);
// The protocol version of the connection (0: not MQTT / not known yet).
MGX_EXPORT(mgx_mqtt_version) int mgx_mqtt_version(struct mg_connection *c);
// Broker side, after CONNECT: hold the client to `secs` of keep alive instead
// of what it asked (a broker's cap, MQTT 5 Server Keep Alive); 0 = none.
// 0 on a connection that is not a broker-side MQTT one.
MGX_EXPORT(mgx_mqtt_keepalive) int mgx_mqtt_keepalive(struct mg_connection *c, int secs);

// The protocol handler (c->pfn) of MQTT connections.
void mg_mqtt_ev(struct mg_connection *c, int ev, void *ev_data);

#endif
