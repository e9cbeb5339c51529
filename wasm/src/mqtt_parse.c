// mqtt_parse.c: the MQTT packet parser (3.1.1 and 5), properties, UTF-8
// checks and reason names. Pure functions over bytes: no connection, no
// allocation (the libFuzzer target drives mg_mqtt_parse directly).
#include <string.h>

#include "mqtt.h"

int mg_mqtt_varint(const uint8_t *buf, size_t len, uint32_t *value) {
  uint32_t v = 0;
  size_t i;
  for (i = 0; i < 4; i++) {
    if (i >= len) return 0;
    v |= (uint32_t) (buf[i] & 0x7f) << (7 * i);
    if ((buf[i] & 0x80) == 0) {
      *value = v;
      return (int) i + 1;
    }
  }
  return -1;  // a fifth length byte: malformed
}

size_t mg_mqtt_varint_put(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = (uint8_t) (v & 0x7f);
    v >>= 7;
    if (v > 0) b |= 0x80;
    out[n++] = b;
  } while (v > 0 && n < 4);
  return n;
}

bool mg_mqtt_utf8_valid(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    uint32_t cp;
    size_t n, k;
    if (c == 0) return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xe0) == 0xc0) n = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) n = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) n = 3, cp = c & 0x07;
    else return false;
    if (len - i <= n) return false;
    for (k = 1; k <= n; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    // Overlong forms, surrogates, beyond U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += n + 1;
  }
  return true;
}

// Value type of property `id`, -1 if unknown.
static int prop_type(uint8_t id) {
  switch (id) {
    case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2a:
      return MQTT_PROP_TYPE_BYTE;
    case 0x02: case 0x11: case 0x18: case 0x27:
      return MQTT_PROP_TYPE_INT;
    case 0x03: case 0x08: case 0x12: case 0x15: case 0x1a: case 0x1c: case 0x1f:
      return MQTT_PROP_TYPE_STRING;
    case 0x09: case 0x16:
      return MQTT_PROP_TYPE_BINARY_DATA;
    case 0x0b:
      return MQTT_PROP_TYPE_VARIABLE_INT;
    case 0x13: case 0x21: case 0x22: case 0x23:
      return MQTT_PROP_TYPE_SHORT;
    case 0x26:
      return MQTT_PROP_TYPE_STRING_PAIR;
    default:
      return -1;
  }
}

static uint16_t get16(const uint8_t *p) {
  return (uint16_t) ((p[0] << 8) | p[1]);
}

// A length-prefixed string/binary at p[*ofs]; false if it overruns `len`.
static bool get_lstr(const uint8_t *p, size_t len, size_t *ofs, struct mg_str *out) {
  size_t n;
  if (len - *ofs < 2 || *ofs > len) return false;
  n = get16(p + *ofs);
  if (len - *ofs - 2 < n) return false;
  out->buf = (const char *) p + *ofs + 2;
  out->len = n;
  *ofs += 2 + n;
  return true;
}

// One property at p[*ofs]: its id, value bytes and integer value.
static bool next_prop(const uint8_t *p, size_t len, size_t *ofs, uint8_t *id,
                      struct mg_str *val, uint32_t *iv) {
  size_t o = *ofs;
  struct mg_str a, b;
  int t, n;
  if (o >= len) return false;
  *id = p[o++];
  t = prop_type(*id);
  *iv = 0;
  val->buf = (const char *) p + o;
  switch (t) {
    case MQTT_PROP_TYPE_BYTE:
      if (len - o < 1) return false;
      *iv = p[o];
      o += 1;
      break;
    case MQTT_PROP_TYPE_SHORT:
      if (len - o < 2) return false;
      *iv = get16(p + o);
      o += 2;
      break;
    case MQTT_PROP_TYPE_INT:
      if (len - o < 4) return false;
      *iv = ((uint32_t) p[o] << 24) | ((uint32_t) p[o + 1] << 16) | ((uint32_t) p[o + 2] << 8) | p[o + 3];
      o += 4;
      break;
    case MQTT_PROP_TYPE_VARIABLE_INT:
      n = mg_mqtt_varint(p + o, len - o, iv);
      if (n <= 0) return false;
      o += (size_t) n;
      break;
    case MQTT_PROP_TYPE_STRING:
      if (!get_lstr(p, len, &o, &a) || !mg_mqtt_utf8_valid((const uint8_t *) a.buf, a.len)) return false;
      break;
    case MQTT_PROP_TYPE_BINARY_DATA:
      if (!get_lstr(p, len, &o, &a)) return false;
      break;
    case MQTT_PROP_TYPE_STRING_PAIR:
      if (!get_lstr(p, len, &o, &a) || !get_lstr(p, len, &o, &b)) return false;
      if (!mg_mqtt_utf8_valid((const uint8_t *) a.buf, a.len) ||
          !mg_mqtt_utf8_valid((const uint8_t *) b.buf, b.len)) {
        return false;
      }
      break;
    default:
      return false;  // unknown property id: malformed
  }
  val->len = (size_t) (p + o - (const uint8_t *) val->buf);
  *ofs = o;
  return true;
}

bool mg_mqtt_props_valid(const uint8_t *p, size_t len) {
  size_t ofs = 0;
  uint8_t id;
  struct mg_str v;
  uint32_t iv;
  while (ofs < len) {
    if (!next_prop(p, len, &ofs, &id, &v, &iv)) return false;
  }
  return true;
}

bool mg_mqtt_prop_find(const uint8_t *p, size_t len, uint8_t want, struct mg_str *val, uint32_t *iv) {
  size_t ofs = 0;
  uint8_t id;
  while (ofs < len) {
    if (!next_prop(p, len, &ofs, &id, val, iv)) return false;
    if (id == want) return true;
  }
  return false;
}

size_t mg_mqtt_props_strip(const uint8_t *p, size_t len, uint8_t *out) {
  size_t ofs = 0, start, n = 0;
  uint8_t id;
  struct mg_str v;
  uint32_t iv;
  while (ofs < len) {
    start = ofs;
    if (!next_prop(p, len, &ofs, &id, &v, &iv)) return len;  // not valid: keep as is
    if (id == 0x1f || id == 0x26) continue;
    memmove(out + n, p + start, ofs - start);
    n += ofs - start;
  }
  return n;
}

// Properties at p[*ofs] (v5): a varint length then the block.
static int get_props(const uint8_t *p, size_t len, size_t *ofs, uint32_t *start, uint32_t *size) {
  uint32_t n = 0;
  int k;
  if (*ofs >= len) return -MQTT_RC_MALFORMED;
  k = mg_mqtt_varint(p + *ofs, len - *ofs, &n);
  if (k <= 0 || len - *ofs - (size_t) k < n) return -MQTT_RC_MALFORMED;
  *ofs += (size_t) k;
  if (!mg_mqtt_props_valid(p + *ofs, n)) return -MQTT_RC_MALFORMED;
  *start = (uint32_t) *ofs;
  *size = n;
  *ofs += n;
  return 0;
}

static bool has_wildcard(struct mg_str t) {
  return memchr(t.buf, '+', t.len) != NULL || memchr(t.buf, '#', t.len) != NULL;
}

// Topic filters of SUBSCRIBE (with an options byte each) or UNSUBSCRIBE.
static int check_filters(const uint8_t *p, size_t len, size_t ofs, bool opts, uint8_t version) {
  struct mg_str t;
  if (ofs >= len) return -MQTT_RC_PROTOCOL_ERROR;  // at least one filter
  while (ofs < len) {
    if (!get_lstr(p, len, &ofs, &t)) return -MQTT_RC_MALFORMED;
    if (!mg_mqtt_utf8_valid((const uint8_t *) t.buf, t.len)) return -MQTT_RC_MALFORMED;
    if (t.len == 0) return -MQTT_RC_PROTOCOL_ERROR;
    if (opts) {
      uint8_t o;
      if (ofs >= len) return -MQTT_RC_MALFORMED;
      o = p[ofs++];
      if ((o & 3) == 3 || (version < 5 ? (o & 0xfc) : (o & 0xc0)) != 0) return -MQTT_RC_MALFORMED;
    }
  }
  return 0;
}

static int parse_connect(const uint8_t *p, size_t len, size_t ofs, struct mg_mqtt_message *m) {
  struct mg_str name;
  uint8_t f;
  int rc;
  if (!get_lstr(p, len, &ofs, &name) || len - ofs < 4) return -MQTT_RC_MALFORMED;
  m->version = p[ofs];
  // mosquitto bridges (try_private) set 0x80 on a 3.1 / 3.1.1 level: a bridge.
  if (m->version == 0x83 || m->version == 0x84) m->version &= 0x7f, m->bridge = 1;
  if (!((name.len == 4 && memcmp(name.buf, "MQTT", 4) == 0 && (m->version == 4 || m->version == 5)) ||
        (name.len == 6 && memcmp(name.buf, "MQIsdp", 6) == 0 && m->version == 3))) {
    return -MQTT_RC_UNSUPPORTED_VERSION;
  }
  if (m->version == 3) m->version = 4;  // same encoding for what we read
  f = m->connect_flags = p[ofs + 1];
  m->keepalive = get16(p + ofs + 2);
  ofs += 4;
  // Reserved bit, will qos 3, will flags without a will, password without user (3.1.1).
  if ((f & 1) || ((f >> 3) & 3) == 3 || (!(f & 4) && (f & 0x38))) return -MQTT_RC_MALFORMED;
  if (m->version == 5 && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
  if (!get_lstr(p, len, &ofs, &m->client_id) ||
      !mg_mqtt_utf8_valid((const uint8_t *) m->client_id.buf, m->client_id.len)) {
    return -MQTT_RC_MALFORMED;
  }
  if (f & 4) {
    m->qos = (uint8_t) ((f >> 3) & 3);
    if (m->version == 5 &&
        (rc = get_props(p, len, &ofs, &m->will_props_start, &m->will_props_size)) < 0) {
      return rc;
    }
    if (!get_lstr(p, len, &ofs, &m->topic) || !get_lstr(p, len, &ofs, &m->data) ||
        !mg_mqtt_utf8_valid((const uint8_t *) m->topic.buf, m->topic.len)) {
      return -MQTT_RC_MALFORMED;
    }
    if (m->topic.len == 0 || has_wildcard(m->topic)) return -MQTT_RC_TOPIC_INVALID;
  }
  if ((f & 0x80) && !get_lstr(p, len, &ofs, &m->user)) return -MQTT_RC_MALFORMED;
  if ((f & 0x40) && !get_lstr(p, len, &ofs, &m->pass)) return -MQTT_RC_MALFORMED;
  return ofs == len ? 0 : -MQTT_RC_MALFORMED;
}

static int parse_publish(const uint8_t *p, size_t len, size_t ofs, struct mg_mqtt_message *m) {
  int rc;
  m->qos = (uint8_t) ((m->flags >> 1) & 3);
  if (m->qos == 3 || (m->qos == 0 && (m->flags & 8))) return -MQTT_RC_MALFORMED;
  // Ill-formed UTF-8 makes a malformed packet (MQTT 5 1.5.4); wildcards an invalid topic name.
  if (!get_lstr(p, len, &ofs, &m->topic) ||
      !mg_mqtt_utf8_valid((const uint8_t *) m->topic.buf, m->topic.len)) {
    return -MQTT_RC_MALFORMED;
  }
  if (has_wildcard(m->topic)) return -MQTT_RC_TOPIC_INVALID;
  if (m->qos > 0) {
    if (len - ofs < 2) return -MQTT_RC_MALFORMED;
    m->id = get16(p + ofs);
    ofs += 2;
    if (m->id == 0) return -MQTT_RC_PROTOCOL_ERROR;
  }
  if (m->version == 5 && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
  // An empty topic is valid only with a topic alias (v5; checked in mqtt.c).
  if (m->topic.len == 0 && m->version < 5) return -MQTT_RC_TOPIC_INVALID;
  m->data.buf = (const char *) p + ofs;
  m->data.len = len - ofs;
  return 0;
}

// Everything after the fixed header, for command m->cmd.
static int parse_body(const uint8_t *p, size_t len, size_t ofs, struct mg_mqtt_message *m) {
  int rc;
  uint8_t cmd = m->cmd;
  bool v5 = m->version == 5;
  switch (cmd) {
    case MQTT_CMD_CONNECT:
      return parse_connect(p, len, ofs, m);
    case MQTT_CMD_PUBLISH:
      return parse_publish(p, len, ofs, m);
    case MQTT_CMD_CONNACK:
      if (len - ofs < 2 || (p[ofs] & 0xfe)) return -MQTT_RC_MALFORMED;
      m->connect_flags = p[ofs];
      m->ack = p[ofs + 1];
      ofs += 2;
      if (v5 && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
      break;
    case MQTT_CMD_PUBACK: case MQTT_CMD_PUBREC: case MQTT_CMD_PUBREL: case MQTT_CMD_PUBCOMP:
      if (len - ofs < 2) return -MQTT_RC_MALFORMED;
      m->id = get16(p + ofs);
      ofs += 2;
      if (m->id == 0) return -MQTT_RC_PROTOCOL_ERROR;
      if (v5 && ofs < len) {
        m->ack = p[ofs++];
        if (ofs < len && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
      }
      break;
    case MQTT_CMD_SUBSCRIBE: case MQTT_CMD_UNSUBSCRIBE: case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
      if (len - ofs < 2) return -MQTT_RC_MALFORMED;
      m->id = get16(p + ofs);
      ofs += 2;
      if (m->id == 0) return -MQTT_RC_PROTOCOL_ERROR;
      if (v5 && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
      m->data.buf = (const char *) p + ofs;
      m->data.len = len - ofs;
      if (cmd == MQTT_CMD_SUBSCRIBE || cmd == MQTT_CMD_UNSUBSCRIBE) {
        rc = check_filters(p, len, ofs, cmd == MQTT_CMD_SUBSCRIBE, m->version);
        if (rc < 0) return rc;
      } else if (cmd == MQTT_CMD_SUBACK && m->data.len == 0) {
        return -MQTT_RC_PROTOCOL_ERROR;
      }
      if (m->data.len > 0 && cmd != MQTT_CMD_SUBSCRIBE && cmd != MQTT_CMD_UNSUBSCRIBE) {
        m->ack = (uint8_t) m->data.buf[0];
      }
      return 0;
    case MQTT_CMD_PINGREQ: case MQTT_CMD_PINGRESP:
      if (len != ofs) return -MQTT_RC_MALFORMED;
      break;
    case MQTT_CMD_DISCONNECT: case MQTT_CMD_AUTH:
      if (!v5) {
        if (cmd == MQTT_CMD_AUTH || len != ofs) return -MQTT_RC_MALFORMED;
        break;
      }
      if (ofs < len) {
        m->ack = p[ofs++];
        if (ofs < len && (rc = get_props(p, len, &ofs, &m->props_start, &m->props_size)) < 0) return rc;
      }
      break;
    default:
      return -MQTT_RC_MALFORMED;  // command 0
  }
  return ofs == len ? 0 : -MQTT_RC_MALFORMED;
}

int mg_mqtt_parse(const uint8_t *buf, size_t len, uint8_t version, uint32_t max_size,
                  struct mg_mqtt_message *m) {
  uint32_t rem = 0;
  int n, rc;
  uint8_t flags;
  size_t total;
  memset(m, 0, sizeof(*m));
  if (len < 2) return 0;
  n = mg_mqtt_varint(buf + 1, len - 1, &rem);
  if (n < 0) return -MQTT_RC_MALFORMED;
  if (n == 0) return 0;
  total = 1 + (size_t) n + rem;
  if (max_size > 0 && total > max_size) return -MQTT_RC_PACKET_TOO_LARGE;
  if (len < total) return 0;
  m->cmd = (uint8_t) (buf[0] >> 4);
  flags = m->flags = (uint8_t) (buf[0] & 15);
  m->version = version == 5 ? 5 : 4;
  // Fixed-header flags are fixed for everything but PUBLISH.
  if (m->cmd != MQTT_CMD_PUBLISH) {
    bool two = m->cmd == MQTT_CMD_PUBREL || m->cmd == MQTT_CMD_SUBSCRIBE || m->cmd == MQTT_CMD_UNSUBSCRIBE;
    if (flags != (two ? 2 : 0)) return -MQTT_RC_MALFORMED;
  }
  m->dgram.buf = (const char *) buf;
  m->dgram.len = total;
  rc = parse_body(buf, total, 1 + (size_t) n, m);
  return rc < 0 ? rc : (int) total;
}

const char *mg_mqtt_reason(uint8_t code, uint8_t version, bool connack) {
  if (version < 5 && connack) {
    switch (code) {
      case 0: return "connection accepted";
      case 1: return "unacceptable protocol version";
      case 2: return "identifier rejected";
      case 3: return "server unavailable";
      case 4: return "bad user name or password";
      case 5: return "not authorized";
      default: return "unknown return code";
    }
  }
  switch (code) {
    case 0x00: return "success";
    case 0x80: return "unspecified error";
    case 0x81: return "malformed packet";
    case 0x82: return "protocol error";
    case 0x83: return "implementation specific error";
    case 0x84: return "unsupported protocol version";
    case 0x85: return "client identifier not valid";
    case 0x86: return "bad user name or password";
    case 0x87: return "not authorized";
    case 0x88: return "server unavailable";
    case 0x89: return "server busy";
    case 0x8a: return "banned";
    case 0x8b: return "server shutting down";
    case 0x8c: return "bad authentication method";
    case 0x8d: return "keep alive timeout";
    case 0x8e: return "session taken over";
    case 0x90: return "topic name invalid";
    case 0x94: return "topic alias invalid";
    case 0x95: return "packet too large";
    case 0x97: return "quota exceeded";
    case 0x99: return "payload format invalid";
    case 0x9a: return "retain not supported";
    case 0x9b: return "qos not supported";
    case 0x9c: return "use another server";
    case 0x9d: return "server moved";
    case 0x9f: return "connection rate exceeded";
    default: return "unknown reason code";
  }
}
