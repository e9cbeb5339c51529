// mqtt.c: MQTT connections: the protocol handler (c->pfn) of clients and
// broker-side connections, keepalive, topic aliases, and the encoders
// behind the mgx_mqtt_* exports.
//
// A client answers the broker's QoS flows itself (PUBACK, PUBREC, PUBREL,
// PUBCOMP) and turns CONNACK into MG_EV_MQTT_OPEN or MG_EV_ERROR; a
// broker-side connection only parses and checks, and hands every packet to
// the handler as MG_EV_MQTT_CMD, which answers with the send helpers.
#include <string.h>

#include "alloc.h"
#include "fmt.h"
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
  char *alias[MG_MQTT_MAX_ALIASES + 1];  // topic aliases received (1-based)
  uint16_t alias_len[MG_MQTT_MAX_ALIASES + 1];
};

#define MQTT_MAX_REM 268435455u  // largest remaining length a varint holds
#define MQTT_CONNACK_WAIT_MS 30000u

static struct mg_mqtt_state *state(struct mg_connection *c) {
  return c->pfn == mg_mqtt_ev ? (struct mg_mqtt_state *) c->proto_data : NULL;
}

static void state_free(struct mg_connection *c) {
  struct mg_mqtt_state *s = (struct mg_mqtt_state *) c->proto_data;
  int i;
  if (s == NULL) return;
  for (i = 0; i <= MG_MQTT_MAX_ALIASES; i++) mg_free(s->alias[i]);
  mg_free(s);
  c->proto_data = NULL;
}

// ---- encoding -------------------------------------------------------------

struct part {
  const void *buf;
  size_t len;
};

// Fixed header + the parts, refused (false) when closing or when the packet
// is over the peer's Maximum Packet Size.
static bool send_packet(struct mg_connection *c, uint8_t hdr, const struct part *parts, size_t n) {
  struct mg_mqtt_state *s = state(c);
  uint8_t head[5];
  size_t i, rem = 0, hl;
  for (i = 0; i < n; i++) rem += parts[i].len;
  if (rem > MQTT_MAX_REM) return false;
  head[0] = hdr;
  hl = 1 + mg_mqtt_varint_put(head + 1, (uint32_t) rem);
  if (s != NULL && s->peer_max > 0 && hl + rem > s->peer_max) return false;
  if (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT | MG_F_LISTENING)) return false;
  if (!mg_iobuf_reserve(&c->send, hl + rem)) return false;
  if (!mg_send(c, head, hl)) return false;
  for (i = 0; i < n; i++) {
    if (!mg_send(c, parts[i].buf, parts[i].len)) return false;
  }
  if (s != NULL) s->last_tx_ms = mg_millis();
  return true;
}

// Two-byte big-endian length or id into out.
static void put16(uint8_t *out, size_t v) {
  out[0] = (uint8_t) (v >> 8);
  out[1] = (uint8_t) v;
}

// The properties of a v5 packet as two parts (length varint, block); none for v4.
static size_t props_parts(struct mg_mqtt_state *s, uint8_t *lenbuf, const void *props,
                          size_t plen, struct part *out) {
  if (s == NULL || s->version != 5) return 0;
  out[0].buf = lenbuf;
  out[0].len = mg_mqtt_varint_put(lenbuf, (uint32_t) plen);
  out[1].buf = props;
  out[1].len = plen;
  return 2;
}

static bool topic_ok(const char *t, size_t n, bool filter) {
  if (n == 0 || n > 65535 || !mg_mqtt_utf8_valid((const uint8_t *) t, n)) return false;
  return filter || (memchr(t, '+', n) == NULL && memchr(t, '#', n) == NULL);
}

static bool send_cmd(struct mg_connection *c, uint8_t cmd, uint16_t id, uint8_t code) {
  return mgx_mqtt_send(c, cmd, id, &code, 1, NULL, 0) != 0;
}

// ---- errors and keepalive ---------------------------------------------------

// Report `code` (MG_EV_ERROR "mqtt: <what>: <reason> (0x..)"), tell a v5
// peer with DISCONNECT, and close once that is out. Input is dropped.
static void fail(struct mg_connection *c, struct mg_mqtt_state *s, uint8_t code, const char *what) {
  char msg[160];
  mg_snprintf(msg, sizeof(msg), "mqtt: %s: %s (0x%x)", what, mg_mqtt_reason(code, 5, false),
              (unsigned) code);
  if (s->version == 5 && (s->open || !s->broker)) {
    send_cmd(c, MQTT_CMD_DISCONNECT, 0, code);
  } else if (s->broker && !s->open && code == MQTT_RC_UNSUPPORTED_VERSION) {
    uint8_t ack[2] = {0, 1};  // 3.1.1 CONNACK: unacceptable protocol version
    struct part p = {ack, 2};
    send_packet(c, MQTT_CMD_CONNACK << 4, &p, 1);
  }
  c->recv.len = 0;
  mg_call(c, MG_EV_ERROR, msg);
  mg_drain_conn(c);
}

// Refuse a CONNECT with a CONNACK carrying `code` in the client's own
// version, report it and close once it is out; the handler never sees it.
static void refuse_connect(struct mg_connection *c, struct mg_mqtt_state *s, uint8_t version,
                           uint8_t code, const char *what) {
  char msg[160];
  s->version = version;
  send_cmd(c, MQTT_CMD_CONNACK, 0, code);
  mg_snprintf(msg, sizeof(msg), "mqtt: CONNECT refused: %s: %s (0x%x)", what,
              mg_mqtt_reason(code, version, true), (unsigned) code);
  c->recv.len = 0;
  mg_call(c, MG_EV_ERROR, msg);
  mg_drain_conn(c);
}

// What every broker must refuse in a CONNECT, whatever its policy; 0 or a
// CONNACK code. Records the client's Maximum Packet Size (MQTT 5), which
// send_packet() then enforces on everything this connection sends.
static uint8_t check_connect(struct mg_mqtt_state *s, const struct mg_mqtt_message *m, const char **what) {
  struct mg_str v;
  uint32_t iv = 0;
  const uint8_t *props = (const uint8_t *) m->dgram.buf + m->props_start;
  // 3.1.1 has no assigned identifiers: an empty one needs CleanSession=1 (MQTT-3.1.3-8).
  if (m->version == 4 && m->client_id.len == 0 && !(m->connect_flags & 2)) {
    return *what = "empty client identifier without clean session", 0x02;
  }
  if (m->version == 5 && mg_mqtt_prop_find(props, m->props_size, MQTT_PROP_MAX_PACKET_SIZE, &v, &iv)) {
    if (iv == 0) return *what = "Maximum Packet Size 0", MQTT_RC_PROTOCOL_ERROR;
    s->peer_max = iv;
  }
  return 0;
}

static void keepalive(struct mg_connection *c, struct mg_mqtt_state *s) {
  uint64_t now = mg_millis(), ka = (uint64_t) s->keepalive * 1000u;
  if (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CONNECTING | MG_F_RESOLVING)) return;
  if (s->broker) {
    // 1.5 times the client's keepalive without a packet: the client is gone.
    if (s->open && ka > 0 && now - s->last_rx_ms >= ka + ka / 2) {
      mg_call(c, MG_EV_ERROR, "mqtt: keep alive timeout: the client stopped sending");
      mg_close_conn(c);
    }
    return;
  }
  if (!s->open) {
    uint64_t wait = ka > 0 && ka < MQTT_CONNACK_WAIT_MS ? ka : MQTT_CONNACK_WAIT_MS;
    if (now - s->start_ms >= wait) {
      mg_call(c, MG_EV_ERROR, "mqtt: no CONNACK from the broker");
      mg_close_conn(c);
    }
    return;
  }
  if (ka == 0) return;
  if (s->ping_ms > 0 && now - s->ping_ms >= ka) {
    mg_call(c, MG_EV_ERROR, "mqtt: keep alive timeout: the broker stopped answering");
    mg_close_conn(c);
  } else if (s->ping_ms == 0 && now - s->last_tx_ms >= ka) {
    if (send_cmd(c, MQTT_CMD_PINGREQ, 0, 0)) s->ping_ms = now;
  }
}

// ---- receiving ------------------------------------------------------------

// Resolve / record a v5 topic alias. Returns 0 or a reason code.
static uint8_t topic_alias(struct mg_mqtt_state *s, struct mg_mqtt_message *m) {
  struct mg_str v;
  uint32_t alias = 0;
  const uint8_t *props = (const uint8_t *) m->dgram.buf + m->props_start;
  if (s->version != 5) return 0;
  if (!mg_mqtt_prop_find(props, m->props_size, MQTT_PROP_TOPIC_ALIAS, &v, &alias)) {
    return m->topic.len == 0 ? MQTT_RC_PROTOCOL_ERROR : 0;
  }
  if (alias == 0 || alias > MG_MQTT_MAX_ALIASES) return MQTT_RC_TOPIC_ALIAS_INVALID;
  if (m->topic.len > 0) {
    char *copy = (char *) mg_realloc(s->alias[alias], m->topic.len);
    if (copy == NULL) return 0x97;  // quota exceeded
    memcpy(copy, m->topic.buf, m->topic.len);
    s->alias[alias] = copy;
    s->alias_len[alias] = (uint16_t) m->topic.len;
  } else if (s->alias[alias] == NULL) {
    return MQTT_RC_PROTOCOL_ERROR;  // an alias never set
  } else {
    m->topic = mg_str_n(s->alias[alias], s->alias_len[alias]);
  }
  return 0;
}

static void client_packet(struct mg_connection *c, struct mg_mqtt_state *s, struct mg_mqtt_message *m) {
  struct mg_str v;
  uint32_t iv;
  const uint8_t *props = (const uint8_t *) m->dgram.buf + m->props_start;
  switch (m->cmd) {
    case MQTT_CMD_CONNACK:
      if (m->ack == 0) {
        int32_t code = 0;
        s->open = true;
        if (s->version == 5) {
          if (mg_mqtt_prop_find(props, m->props_size, MQTT_PROP_MAX_PACKET_SIZE, &v, &iv)) s->peer_max = iv;
          if (mg_mqtt_prop_find(props, m->props_size, 0x13, &v, &iv)) s->keepalive = (uint16_t) iv;
        }
        mg_call(c, MG_EV_MQTT_OPEN, &code);
      } else {
        char msg[120];
        mg_snprintf(msg, sizeof(msg), "mqtt: connection refused: %s (0x%x)",
                    mg_mqtt_reason(m->ack, s->version, true), (unsigned) m->ack);
        mg_call(c, MG_EV_ERROR, msg);
        mg_drain_conn(c);
      }
      break;
    case MQTT_CMD_PUBLISH:
      if (m->qos == 1) send_cmd(c, MQTT_CMD_PUBACK, m->id, 0);
      if (m->qos == 2) send_cmd(c, MQTT_CMD_PUBREC, m->id, 0);
      mg_call(c, MG_EV_MQTT_MSG, m);
      break;
    case MQTT_CMD_PUBREC:
      if (m->ack < 0x80) send_cmd(c, MQTT_CMD_PUBREL, m->id, 0);
      break;
    case MQTT_CMD_PUBREL:
      send_cmd(c, MQTT_CMD_PUBCOMP, m->id, 0);
      break;
    case MQTT_CMD_DISCONNECT:
      // v5: the broker says why before it closes.
      if (m->ack != 0) {
        char msg[120];
        mg_snprintf(msg, sizeof(msg), "mqtt: disconnected by the broker: %s (0x%x)",
                    mg_mqtt_reason(m->ack, 5, false), (unsigned) m->ack);
        mg_call(c, MG_EV_ERROR, msg);
      }
      mg_drain_conn(c);
      break;
    default:
      break;
  }
}

// Checks that depend on the connection state; 0 or a reason code.
static uint8_t check_state(struct mg_mqtt_state *s, const struct mg_mqtt_message *m, const char **what) {
  uint8_t cmd = m->cmd;
  if (s->broker) {
    if (!s->open && cmd != MQTT_CMD_CONNECT) return *what = "first packet is not CONNECT", MQTT_RC_PROTOCOL_ERROR;
    if (s->open && cmd == MQTT_CMD_CONNECT) return *what = "second CONNECT", MQTT_RC_PROTOCOL_ERROR;
    if (cmd == MQTT_CMD_CONNACK || cmd == MQTT_CMD_SUBACK || cmd == MQTT_CMD_UNSUBACK ||
        cmd == MQTT_CMD_PINGRESP) {
      return *what = "unexpected packet from a client", MQTT_RC_PROTOCOL_ERROR;
    }
  } else {
    if (cmd == MQTT_CMD_CONNECT || cmd == MQTT_CMD_SUBSCRIBE || cmd == MQTT_CMD_UNSUBSCRIBE ||
        cmd == MQTT_CMD_PINGREQ) {
      return *what = "unexpected packet from a broker", MQTT_RC_PROTOCOL_ERROR;
    }
    if (!s->open && cmd != MQTT_CMD_CONNACK && cmd != MQTT_CMD_DISCONNECT && cmd != MQTT_CMD_AUTH) {
      return *what = "packet before CONNACK", MQTT_RC_PROTOCOL_ERROR;
    }
    if (s->open && cmd == MQTT_CMD_CONNACK) return *what = "second CONNACK", MQTT_RC_PROTOCOL_ERROR;
  }
  return 0;
}

static void process(struct mg_connection *c, struct mg_mqtt_state *s) {
  while (c->recv.len > 0 && !(c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT))) {
    struct mg_mqtt_message m;
    const char *what = "malformed packet";
    uint8_t code;
    int n = mg_mqtt_parse(c->recv.buf, c->recv.len, s->version, s->max_packet, &m);
    if (n == 0) {
      // An incomplete packet that can never fit the receive buffer.
      if (c->recv.len >= mg_recv_cap(c)) fail(c, s, MQTT_RC_PACKET_TOO_LARGE, "packet too large");
      break;
    }
    if (n < 0) {
      code = (uint8_t) -n;
      if (code == MQTT_RC_PACKET_TOO_LARGE) what = "packet too large";
      if (code == MQTT_RC_TOPIC_INVALID) what = "invalid topic";
      if (code == MQTT_RC_UNSUPPORTED_VERSION) what = "CONNECT";
      fail(c, s, code, what);
      break;
    }
    if ((code = check_state(s, &m, &what)) != 0) {
      fail(c, s, code, what);
      break;
    }
    if (m.cmd == MQTT_CMD_PUBLISH && (code = topic_alias(s, &m)) != 0) {
      fail(c, s, code, "topic alias");
      break;
    }
    s->last_rx_ms = mg_millis();
    s->ping_ms = 0;  // any packet shows the peer is alive
    if (m.cmd == MQTT_CMD_CONNECT && (code = check_connect(s, &m, &what)) != 0) {
      refuse_connect(c, s, m.version, code, what);
      break;
    }
    if (m.cmd == MQTT_CMD_CONNECT) {
      s->open = true;
      s->version = m.version;
      s->keepalive = m.keepalive;
      c->flags |= MG_F_NO_IDLE;  // from now on the client's keepalive rules
    }
    mg_call(c, MG_EV_MQTT_CMD, &m);
    if (!s->broker && !(c->flags & MG_F_CLOSE_SENT)) client_packet(c, s, &m);
    if (c->flags & MG_F_CLOSE_SENT) return;
    mg_iobuf_del(&c->recv, 0, (size_t) n);
  }
  mg_recv_shrunk(c);
}

void mg_mqtt_ev(struct mg_connection *c, int ev, void *ev_data) {
  struct mg_mqtt_state *s = (struct mg_mqtt_state *) c->proto_data;
  (void) ev_data;
  if (ev == MG_EV_OPEN && s == NULL && c->parent != NULL && c->parent->proto_data != NULL) {
    // Accepted by an MQTT listener: a broker-side connection.
    const struct mg_mqtt_state *ls = (const struct mg_mqtt_state *) c->parent->proto_data;
    s = (struct mg_mqtt_state *) mg_calloc(1, sizeof(*s));
    if (s == NULL) {
      mg_error(c, "%s", "mqtt: out of memory");
      return;
    }
    s->version = ls->version;
    s->max_packet = ls->max_packet;
    s->broker = true;
    s->start_ms = s->last_rx_ms = s->last_tx_ms = mg_millis();
    c->proto_data = s;
  }
  if (s == NULL) return;
  switch (ev) {
    case MG_EV_READ:
    case MG_EV_X_RESUME:
      if (!(c->flags & MG_F_LISTENING)) process(c, s);
      break;
    case MG_EV_POLL:
      if (!(c->flags & MG_F_LISTENING)) keepalive(c, s);
      break;
    case MG_EV_CLOSE:
      state_free(c);
      break;
    default:
      break;
  }
}

// ---- exports ----------------------------------------------------------------

int mgx_mqtt_init(struct mg_connection *c, int version, uint32_t max_packet) {
  struct mg_mqtt_state *s;
  if (c->proto_data != NULL || (c->flags & MG_F_HTTP)) return 0;
  s = (struct mg_mqtt_state *) mg_calloc(1, sizeof(*s));
  if (s == NULL) return 0;
  s->version = version == 5 ? 5 : 4;
  s->max_packet = max_packet;
  s->start_ms = s->last_rx_ms = s->last_tx_ms = mg_millis();
  c->proto_data = s;
  c->pfn = mg_mqtt_ev;
  // MQTT has its own keepalive: the raw idle timeout does not apply.
  c->flags |= MG_F_NO_IDLE;
  return 1;
}

int mgx_mqtt_version(struct mg_connection *c) {
  struct mg_mqtt_state *s = state(c);
  return s == NULL ? 0 : s->version;
}

int mgx_mqtt_keepalive(struct mg_connection *c, int secs) {
  struct mg_mqtt_state *s = state(c);
  if (s == NULL || !s->broker || !s->open || secs < 0 || secs > 65535) return 0;
  s->keepalive = (uint16_t) secs;
  return 1;
}

int mgx_mqtt_login(struct mg_connection *c, int flags, int keepalive, const char *cid, size_t cid_len,
                   const char *user, int user_len, const char *pass, int pass_len,
                   const char *will_topic, size_t wt_len, const void *will_msg, size_t wm_len,
                   const void *props, size_t props_len, const void *will_props, size_t wp_len) {
  struct mg_mqtt_state *s = state(c);
  uint8_t vh[10], l_cid[2], l_wt[2], l_wm[2], l_user[2], l_pass[2], pl[4], wpl[4];
  struct part p[16];
  size_t n = 0;
  bool will = (flags & 16) != 0;
  if (s == NULL || s->broker || cid_len > 65535 || wt_len > 65535 || wm_len > 65535 ||
      user_len > 65535 || pass_len > 65535 || (will && !topic_ok(will_topic, wt_len, false))) {
    return 0;
  }
  memcpy(vh, "\x00\x04MQTT", 6);
  vh[6] = s->version;
  vh[7] = (uint8_t) ((flags & 1 ? 2 : 0) | (will ? 4 | ((flags >> 1) & 3) << 3 | (flags & 8 ? 0x20 : 0) : 0) |
                     (user_len >= 0 ? 0x80 : 0) | (pass_len >= 0 ? 0x40 : 0));
  put16(vh + 8, (size_t) keepalive & 0xffff);
  s->keepalive = (uint16_t) keepalive;
  p[n].buf = vh, p[n++].len = 10;
  n += props_parts(s, pl, props, props_len, p + n);
  put16(l_cid, cid_len);
  p[n].buf = l_cid, p[n++].len = 2;
  p[n].buf = cid, p[n++].len = cid_len;
  if (will) {
    n += props_parts(s, wpl, will_props, wp_len, p + n);
    put16(l_wt, wt_len);
    put16(l_wm, wm_len);
    p[n].buf = l_wt, p[n++].len = 2;
    p[n].buf = will_topic, p[n++].len = wt_len;
    p[n].buf = l_wm, p[n++].len = 2;
    p[n].buf = will_msg, p[n++].len = wm_len;
  }
  if (user_len >= 0) {
    put16(l_user, (size_t) user_len);
    p[n].buf = l_user, p[n++].len = 2;
    p[n].buf = user, p[n++].len = (size_t) user_len;
  }
  if (pass_len >= 0) {
    put16(l_pass, (size_t) pass_len);
    p[n].buf = l_pass, p[n++].len = 2;
    p[n].buf = pass, p[n++].len = (size_t) pass_len;
  }
  s->start_ms = mg_millis();
  return send_packet(c, MQTT_CMD_CONNECT << 4, p, n) ? 1 : 0;
}

int mgx_mqtt_pub(struct mg_connection *c, const char *topic, size_t topic_len, const void *data,
                 size_t data_len, int flags, int id, const void *props, size_t props_len) {
  struct mg_mqtt_state *s = state(c);
  uint8_t lt[2], pid[2], pl[4];
  struct part p[6];
  size_t n = 0;
  int qos = flags & 3;
  if (s == NULL || qos == 3 || (qos > 0 && (id <= 0 || id > 65535))) return 0;
  // v5 allows an empty topic with a Topic Alias property.
  if (!(topic_len == 0 && s->version == 5 && props_len > 0) && !topic_ok(topic, topic_len, false)) {
    return 0;
  }
  put16(lt, topic_len);
  p[n].buf = lt, p[n++].len = 2;
  p[n].buf = topic, p[n++].len = topic_len;
  if (qos > 0) {
    put16(pid, (size_t) id);
    p[n].buf = pid, p[n++].len = 2;
  }
  n += props_parts(s, pl, props, props_len, p + n);
  p[n].buf = data, p[n++].len = data_len;
  return send_packet(c, (uint8_t) (MQTT_CMD_PUBLISH << 4 | qos << 1 | (flags & 4 ? 1 : 0) | (flags & 8)),
                     p, n) ? 1 : 0;
}

int mgx_mqtt_sub(struct mg_connection *c, int unsub, int id, const char *topic, size_t topic_len,
                 int opts, const void *props, size_t props_len) {
  struct mg_mqtt_state *s = state(c);
  uint8_t pid[2], lt[2], pl[4], o = (uint8_t) opts;
  struct part p[6];
  size_t n = 0;
  if (s == NULL || id <= 0 || id > 65535 || !topic_ok(topic, topic_len, true)) return 0;
  put16(pid, (size_t) id);
  p[n].buf = pid, p[n++].len = 2;
  n += props_parts(s, pl, props, props_len, p + n);
  put16(lt, topic_len);
  p[n].buf = lt, p[n++].len = 2;
  p[n].buf = topic, p[n++].len = topic_len;
  if (!unsub) p[n].buf = &o, p[n++].len = 1;
  return send_packet(c, unsub ? (MQTT_CMD_UNSUBSCRIBE << 4 | 2) : (MQTT_CMD_SUBSCRIBE << 4 | 2), p, n) ? 1 : 0;
}

static int send_other(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                      const void *props, size_t props_len);

int mgx_mqtt_send(struct mg_connection *c, int cmd, int id, const uint8_t *codes, size_t ncodes,
                  const void *props, size_t props_len) {
  struct mg_mqtt_state *s = state(c);
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
  struct mg_mqtt_state *s = state(c);
  uint8_t pid[2], pl[4], hdr = (uint8_t) (cmd << 4), ack[2];
  struct part p[6];
  size_t n = 0;
  bool v5 = s != NULL && s->version == 5;
  uint8_t code = ncodes > 0 ? codes[0] : 0;
  if (s == NULL || cmd < MQTT_CMD_CONNACK || cmd > MQTT_CMD_AUTH || cmd == MQTT_CMD_PUBLISH ||
      cmd == MQTT_CMD_SUBSCRIBE || cmd == MQTT_CMD_UNSUBSCRIBE || id < 0 || id > 65535) {
    return 0;
  }
  put16(pid, (size_t) id);
  switch (cmd) {
    case MQTT_CMD_CONNACK:
      ack[0] = (uint8_t) (id & 1), ack[1] = code;
      p[n].buf = ack, p[n++].len = 2;
      n += props_parts(s, pl, props, props_len, p + n);
      break;
    case MQTT_CMD_PUBACK: case MQTT_CMD_PUBREC: case MQTT_CMD_PUBREL: case MQTT_CMD_PUBCOMP:
      if (id == 0) return 0;
      if (cmd == MQTT_CMD_PUBREL) hdr |= 2;
      p[n].buf = pid, p[n++].len = 2;
      if (v5 && (code != 0 || props_len > 0)) {
        p[n].buf = codes, p[n++].len = 1;
        n += props_parts(s, pl, props, props_len, p + n);
      }
      break;
    case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
      if (id == 0 || (ncodes == 0 && (v5 || cmd == MQTT_CMD_SUBACK))) return 0;
      p[n].buf = pid, p[n++].len = 2;
      n += props_parts(s, pl, props, props_len, p + n);
      if (v5 || cmd == MQTT_CMD_SUBACK) p[n].buf = codes, p[n++].len = ncodes;
      break;
    case MQTT_CMD_DISCONNECT: case MQTT_CMD_AUTH:
      if (!v5 && cmd == MQTT_CMD_AUTH) return 0;
      if (v5 && (code != 0 || props_len > 0)) {
        p[n].buf = codes, p[n++].len = 1;
        n += props_parts(s, pl, props, props_len, p + n);
      }
      break;
    default:  // PINGREQ, PINGRESP
      break;
  }
  return send_packet(c, hdr, p, n) ? 1 : 0;
}
