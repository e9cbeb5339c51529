// mqtt.c: MQTT connections: the protocol handler (c->pfn) of clients and
// broker-side connections, keepalive, topic aliases, and the exports that
// set a connection up (the packet encoders are mqtt_send.c).
//
// A client answers the broker's QoS flows itself (PUBACK, PUBREC, PUBREL,
// PUBCOMP) and turns CONNACK into MG_EV_MQTT_OPEN or MG_EV_ERROR; a
// broker-side connection only parses and checks, and hands every packet to
// the handler as MG_EV_MQTT_CMD, which answers with the send helpers.
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "mqtt_conn.h"


#define MQTT_CONNACK_WAIT_MS 30000u
// Buffers of a connection quiet for this long are freed (at its MG_EV_POLL).
#define MQTT_IDLE_FREE_MS 1000u

struct mg_mqtt_state *mg_mqtt_state_of(struct mg_connection *c) {
  return c->pfn == mg_mqtt_ev ? (struct mg_mqtt_state *) c->proto_data : NULL;
}

static void state_free(struct mg_connection *c) {
  struct mg_mqtt_state *s = (struct mg_mqtt_state *) c->proto_data;
  int i;
  if (s == NULL) return;
  for (i = 0; i <= MG_MQTT_MAX_ALIASES; i++) mg_free(s->alias[i]);
  mg_mqtt_ws_free(s->ws);
  mg_free(s);
  c->proto_data = NULL;
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
    mg_mqtt_send_packet(c, MQTT_CMD_CONNACK << 4, &p, 1);
  }
  if (s->ws == NULL) c->recv.len = 0;  // a carrier's input is dropped by mqtt_ws.c
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
  if (s->ws == NULL) c->recv.len = 0;
  mg_call(c, MG_EV_ERROR, msg);
  mg_drain_conn(c);
}

// What every broker must refuse in a CONNECT, whatever its policy; 0 or a
// CONNACK code. Records the client's Maximum Packet Size (MQTT 5), which
// mg_mqtt_send_packet() then enforces on everything this connection sends.
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

// Packets at the front of `in`: c->recv, or what a WebSocket carried (mqtt_ws.c).
static void process_in(struct mg_connection *c, struct mg_mqtt_state *s, struct mg_iobuf *in) {
  while (in->len > 0 && !(c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT))) {
    struct mg_mqtt_message m;
    const char *what = "malformed packet";
    uint8_t code;
    int n = mg_mqtt_parse(in->buf, in->len, s->version, s->max_packet, &m);
    if (n == 0) {
      // An incomplete packet that can never fit the receive buffer.
      if (in == &c->recv && in->len >= mg_recv_cap(c)) fail(c, s, MQTT_RC_PACKET_TOO_LARGE, "packet too large");
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
    mg_iobuf_del(in, 0, (size_t) n);
  }
  if (in == &c->recv) mg_recv_shrunk(c);
}

void mg_mqtt_input(struct mg_connection *c, struct mg_iobuf *in) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  if (s != NULL) process_in(c, s, in);
}

static void process(struct mg_connection *c, struct mg_mqtt_state *s) {
  process_in(c, s, &c->recv);
}

// Most MQTT sessions are idle most of the time (a sensor, a dashboard
// waiting for a rare topic), so as a WebSocket (ws.c) a connection gives its
// buffers back: the CONNECT exchange's as soon as they are empty, so that
// many clients connecting at once reuse the same memory, and later ones
// after MQTT_IDLE_FREE_MS of quiet. A busy connection keeps them (no
// allocation per packet).
static void fresh_buffers(struct mg_connection *c, struct mg_mqtt_state *s, bool wrote) {
  if (s->lean) return;
  if (c->recv.len == 0) mg_iobuf_free(&c->recv);
  if (c->send.len == 0) mg_iobuf_free(&c->send);
  // Over once an answer went out and nothing is left (a CONNACK may come later than CONNECT's read).
  if (wrote && c->recv.buf == NULL && c->send.buf == NULL) s->lean = true;
}

static void idle_buffers(struct mg_connection *c) {
  uint64_t now = c->mgr->now_ms;
  if (c->recv.len == 0 && c->send.len == 0 && (c->recv.buf != NULL || c->send.buf != NULL) &&
      now >= c->last_io_ms && now - c->last_io_ms >= MQTT_IDLE_FREE_MS) {
    mg_iobuf_free(&c->recv);
    mg_iobuf_free(&c->send);
  }
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
    if (ls->ws != NULL && (s->ws = mg_mqtt_ws_accepted(ls->ws)) == NULL) {
      mg_error(c, "%s", "mqtt: out of memory");
      return;
    }
  }
  if (s == NULL) return;
  if (s->ws != NULL && !(c->flags & MG_F_LISTENING)) {
    // The WebSocket layer first: it unwraps messages into MG_EV_X_WS_MSG.
    mg_mqtt_ws_ev(c, s->ws, ev, ev_data);
    if (ev == MG_EV_POLL) keepalive(c, s);
    if (ev == MG_EV_CLOSE) state_free(c);
    return;
  }
  switch (ev) {
    case MG_EV_READ:
    case MG_EV_X_RESUME:
      if (c->flags & MG_F_LISTENING) break;
      process(c, s);
      if (c->proto_data == s && s->open) fresh_buffers(c, s, false);
      break;
    case MG_EV_WRITE:
      if (s->open) fresh_buffers(c, s, true);
      break;
    case MG_EV_POLL:
      if (c->flags & MG_F_LISTENING) break;
      keepalive(c, s);
      if (c->proto_data == s) idle_buffers(c);
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

int mgx_mqtt_ws(struct mg_connection *c, const char *arg, size_t len) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  if (s == NULL || s->ws != NULL || s->open || c->send.len > 0) return 0;
  s->ws = mg_mqtt_ws_new(c, arg, len);
  return s->ws != NULL;
}

int mgx_mqtt_version(struct mg_connection *c) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  return s == NULL ? 0 : s->version;
}

int mgx_mqtt_keepalive(struct mg_connection *c, int secs) {
  struct mg_mqtt_state *s = mg_mqtt_state_of(c);
  if (s == NULL || !s->broker || !s->open || secs < 0 || secs > 65535) return 0;
  s->keepalive = (uint16_t) secs;
  return 1;
}
