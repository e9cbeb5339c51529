// mqtt_send.c: the MQTT packet encoders: the shared send path (one packet
// gathered from parts, checked against the peer's Maximum Packet Size, over
// TCP or as one WebSocket message) and the mgx_mqtt_* exports that build
// CONNECT, PUBLISH, SUBSCRIBE/UNSUBSCRIBE and the acks. The connection
// handler (receiving, keepalive) is mqtt.c.
#include <string.h>

#include "alloc.h"
#include "mqtt_conn.h"

bool mg_mqtt_send_packet(struct mg_connection *c, uint8_t hdr, const struct part *parts, size_t n) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t head[5];
  size_t i, rem = 0, hl;
  for (i = 0; i < n; i++) rem += parts[i].len;
  if (rem > MQTT_MAX_REM) return false;
  head[0] = hdr;
  hl = 1 + mg_mqtt_varint_put(head + 1, (uint32_t) rem);
  if (s != NULL && s->peer_max > 0 && hl + rem > s->peer_max) return false;
  if (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT | MG_F_LISTENING)) return false;
  if (s != NULL && s->ws != NULL) {
    // One binary WebSocket message per packet, gathered into its frame.
    uint8_t *p = mg_mqtt_ws_begin(c, s->ws, hl + rem);
    if (p == NULL) return false;
    memcpy(p, head, hl);
    for (i = 0, p += hl; i < n; p += parts[i].len, i++) {
      if (parts[i].len > 0) memcpy(p, parts[i].buf, parts[i].len);
    }
    mg_mqtt_ws_end(c, s->ws);
    s->last_tx_ms = mg_millis();
    return true;
  }
  if (!mg_iobuf_reserve(&c->send, hl + rem)) return false;
  if (!mg_send(c, head, hl)) return false;
  for (i = 0; i < n; i++) {
    if (!mg_send(c, parts[i].buf, parts[i].len)) return false;
  }
  if (s != NULL) s->last_tx_ms = mg_millis();
  return true;
}

void mg_mqtt_put16(uint8_t *out, size_t v) {
  out[0] = (uint8_t) (v >> 8);
  out[1] = (uint8_t) v;
}

size_t mg_mqtt_props_parts(struct mg_mqtt_state *s, uint8_t *lenbuf, const void *props,
                          size_t plen, struct part *out) {
  if (s == NULL || s->version != 5) return 0;
  out[0].buf = lenbuf;
  out[0].len = mg_mqtt_varint_put(lenbuf, (uint32_t) plen);
  out[1].buf = props;
  out[1].len = plen;
  return 2;
}

bool mg_mqtt_topic_ok(const char *t, size_t n, bool filter) {
  if (n == 0 || n > 65535 || !mg_mqtt_utf8_valid((const uint8_t *) t, n)) return false;
  return filter || (memchr(t, '+', n) == NULL && memchr(t, '#', n) == NULL);
}

int mgx_mqtt_login(struct mg_connection *c, int flags, int keepalive, const char *cid, size_t cid_len,
                   const char *user, int user_len, const char *pass, int pass_len,
                   const char *will_topic, size_t wt_len, const void *will_msg, size_t wm_len,
                   const void *props, size_t props_len, const void *will_props, size_t wp_len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t vh[10], l_cid[2], l_wt[2], l_wm[2], l_user[2], l_pass[2], pl[4], wpl[4];
  struct part p[16];
  size_t n = 0;
  bool will = (flags & 16) != 0;
  if (s == NULL || s->broker || cid_len > 65535 || wt_len > 65535 || wm_len > 65535 ||
      user_len > 65535 || pass_len > 65535 || (will && !mg_mqtt_topic_ok(will_topic, wt_len, false))) {
    return 0;
  }
  memcpy(vh, "\x00\x04MQTT", 6);
  vh[6] = s->version;
  vh[7] = (uint8_t) ((flags & 1 ? 2 : 0) | (will ? 4 | ((flags >> 1) & 3) << 3 | (flags & 8 ? 0x20 : 0) : 0) |
                     (user_len >= 0 ? 0x80 : 0) | (pass_len >= 0 ? 0x40 : 0));
  mg_mqtt_put16(vh + 8, (size_t) keepalive & 0xffff);
  s->keepalive = (uint16_t) keepalive;
  p[n].buf = vh, p[n++].len = 10;
  n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
  mg_mqtt_put16(l_cid, cid_len);
  p[n].buf = l_cid, p[n++].len = 2;
  p[n].buf = cid, p[n++].len = cid_len;
  if (will) {
    n += mg_mqtt_props_parts(s, wpl, will_props, wp_len, p + n);
    mg_mqtt_put16(l_wt, wt_len);
    mg_mqtt_put16(l_wm, wm_len);
    p[n].buf = l_wt, p[n++].len = 2;
    p[n].buf = will_topic, p[n++].len = wt_len;
    p[n].buf = l_wm, p[n++].len = 2;
    p[n].buf = will_msg, p[n++].len = wm_len;
  }
  if (user_len >= 0) {
    mg_mqtt_put16(l_user, (size_t) user_len);
    p[n].buf = l_user, p[n++].len = 2;
    p[n].buf = user, p[n++].len = (size_t) user_len;
  }
  if (pass_len >= 0) {
    mg_mqtt_put16(l_pass, (size_t) pass_len);
    p[n].buf = l_pass, p[n++].len = 2;
    p[n].buf = pass, p[n++].len = (size_t) pass_len;
  }
  s->start_ms = mg_millis();
  return mg_mqtt_send_packet(c, MQTT_CMD_CONNECT << 4, p, n) ? 1 : 0;
}

int mgx_mqtt_pub(struct mg_connection *c, const char *topic, size_t topic_len, const void *data,
                 size_t data_len, int flags, int id, const void *props, size_t props_len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t lt[2], pid[2], pl[4];
  struct part p[6];
  size_t n = 0;
  int qos = flags & 3;
  if (s == NULL || qos == 3 || (qos > 0 && (id <= 0 || id > 65535))) return 0;
  // v5 allows an empty topic with a Topic Alias property.
  if (!(topic_len == 0 && s->version == 5 && props_len > 0) && !mg_mqtt_topic_ok(topic, topic_len, false)) {
    return 0;
  }
  mg_mqtt_put16(lt, topic_len);
  p[n].buf = lt, p[n++].len = 2;
  p[n].buf = topic, p[n++].len = topic_len;
  if (qos > 0) {
    mg_mqtt_put16(pid, (size_t) id);
    p[n].buf = pid, p[n++].len = 2;
  }
  n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
  p[n].buf = data, p[n++].len = data_len;
  return mg_mqtt_send_packet(c, (uint8_t) (MQTT_CMD_PUBLISH << 4 | qos << 1 | (flags & 4 ? 1 : 0) | (flags & 8)),
                     p, n) ? 1 : 0;
}

int mgx_mqtt_sub(struct mg_connection *c, int unsub, int id, const char *topic, size_t topic_len,
                 int opts, const void *props, size_t props_len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t pid[2], lt[2], pl[4], o = (uint8_t) opts;
  struct part p[6];
  size_t n = 0;
  if (s == NULL || id <= 0 || id > 65535 || !mg_mqtt_topic_ok(topic, topic_len, true)) return 0;
  mg_mqtt_put16(pid, (size_t) id);
  p[n].buf = pid, p[n++].len = 2;
  n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
  mg_mqtt_put16(lt, topic_len);
  p[n].buf = lt, p[n++].len = 2;
  p[n].buf = topic, p[n++].len = topic_len;
  if (!unsub) p[n].buf = &o, p[n++].len = 1;
  return mg_mqtt_send_packet(c, unsub ? (MQTT_CMD_UNSUBSCRIBE << 4 | 2) : (MQTT_CMD_SUBSCRIBE << 4 | 2), p, n) ? 1 : 0;
}

static int send_other(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                      const void *props, size_t props_len);

int mgx_mqtt_send(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                  const void *props, size_t props_len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t *kept;
  size_t n;
  int ok = send_other(c, cmd, id, codes, ncodes, props, props_len);
  if (ok || s == NULL || s->version != 5 || s->peer_max == 0 || props_len == 0) return ok;
  // Over the peer's Maximum Packet Size: MQTT 5 says to leave out the Reason
  // String and the User Properties rather than exceed it (3.2.2-19, 3.4.2-2 ...).
  kept = (uint8_t *) mg_calloc(1, props_len);
  if (kept == NULL) return 0;
  n = mg_mqtt_props_strip((const uint8_t *) props, props_len, kept);
  if (n < props_len) ok = send_other(c, cmd, id, codes, ncodes, kept, n);
  mg_free(kept);
  return ok;
}

static int send_other(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                      const void *props, size_t props_len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  uint8_t pid[2], pl[4], hdr = (uint8_t) (cmd << 4), ack[2];
  struct part p[6];
  size_t n = 0;
  bool v5 = s != NULL && s->version == 5;
  uint8_t code = ncodes > 0 ? codes[0] : 0;
  if (s == NULL || cmd < MQTT_CMD_CONNACK || cmd > MQTT_CMD_AUTH || cmd == MQTT_CMD_PUBLISH ||
      cmd == MQTT_CMD_SUBSCRIBE || cmd == MQTT_CMD_UNSUBSCRIBE || id < 0 || id > 65535) {
    return 0;
  }
  mg_mqtt_put16(pid, (size_t) id);
  switch (cmd) {
    case MQTT_CMD_CONNACK:
      ack[0] = (uint8_t) (id & 1), ack[1] = code;
      p[n].buf = ack, p[n++].len = 2;
      n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
      break;
    case MQTT_CMD_PUBACK: case MQTT_CMD_PUBREC: case MQTT_CMD_PUBREL: case MQTT_CMD_PUBCOMP:
      if (id == 0) return 0;
      if (cmd == MQTT_CMD_PUBREL) hdr |= 2;
      p[n].buf = pid, p[n++].len = 2;
      if (v5 && (code != 0 || props_len > 0)) {
        p[n].buf = codes, p[n++].len = 1;
        n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
      }
      break;
    case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
      if (id == 0 || (ncodes == 0 && (v5 || cmd == MQTT_CMD_SUBACK))) return 0;
      p[n].buf = pid, p[n++].len = 2;
      n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
      if (v5 || cmd == MQTT_CMD_SUBACK) p[n].buf = codes, p[n++].len = ncodes;
      break;
    case MQTT_CMD_DISCONNECT: case MQTT_CMD_AUTH:
      if (!v5 && cmd == MQTT_CMD_AUTH) return 0;
      if (v5 && (code != 0 || props_len > 0)) {
        p[n].buf = codes, p[n++].len = 1;
        n += mg_mqtt_props_parts(s, pl, props, props_len, p + n);
      }
      break;
    default:  // PINGREQ, PINGRESP
      break;
  }
  return mg_mqtt_send_packet(c, hdr, p, n) ? 1 : 0;
}
