// fuzz_mqtt.c: the MQTT packet parser, and the same bytes through a whole
// MQTT connection (client or broker side) of the core.
//
// Input: ctl byte, then the bytes a peer sent.
//   ctl bit0: version 5 (else 3.1.1); bit1: broker side (else client);
//   bits2-4: split step for feeding the connection (0 = all at once);
//   bits5-7: max packet size = 64 << n (7: no limit).
// Checks, besides ASan/UBSan (every parse runs on an exact-size heap copy):
// - mg_mqtt_parse returns 0, a known -(reason code), or a length <= the input;
// - a parsed packet's views lie inside it, its properties are valid, and
//   stay valid without their Reason String and User Properties;
// - parsing is prefix-stable: a strict prefix of a packet asks for more (0)
//   or is too large, never parses differently;
// - a connection fed the bytes in any split ends with MG_EV_CLOSE exactly
//   once after mgx_mgr_free, and the core heap returns to where it was.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz_host.h"
#include "mgx.h"
#include "mqtt.h"
#include "net.h"

static void inside(struct mg_str s, const uint8_t *start, size_t len, const char *what) {
  if (s.buf == NULL) {
    FUZZ_CHECK(s.len == 0, "%s: NULL with length %zu", what, s.len);
    return;
  }
  FUZZ_CHECK((const uint8_t *) s.buf >= start && (const uint8_t *) s.buf + s.len <= start + len,
             "%s outside the packet", what);
  fh_touch(s.buf, s.len);
}

static int parse_copy(const uint8_t *data, size_t len, uint8_t ver, uint32_t max,
                      struct mg_mqtt_message *m) {
  uint8_t *copy = (uint8_t *) malloc(len ? len : 1);
  int r;
  if (len) memcpy(copy, data, len);
  r = mg_mqtt_parse(copy, len, ver, max, m);
  if (r > 0) {
    inside(m->topic, copy, (size_t) r, "topic");
    inside(m->data, copy, (size_t) r, "data");
    inside(m->client_id, copy, (size_t) r, "client_id");
    inside(m->user, copy, (size_t) r, "user");
    inside(m->pass, copy, (size_t) r, "pass");
    FUZZ_CHECK(m->dgram.len == (size_t) r, "dgram %zu != %d", m->dgram.len, r);
    FUZZ_CHECK((size_t) m->props_start + m->props_size <= (size_t) r, "properties outside");
    FUZZ_CHECK(mg_mqtt_props_valid(copy + m->props_start, m->props_size), "invalid properties accepted");
    FUZZ_CHECK((size_t) m->will_props_start + m->will_props_size <= (size_t) r, "will properties outside");
    if (m->props_size > 0) {  // what a too-large acknowledgement keeps: still valid, no 0x1F/0x26
      uint8_t *kept = (uint8_t *) malloc(m->props_size);
      size_t n = mg_mqtt_props_strip(copy + m->props_start, m->props_size, kept);
      struct mg_str v;
      uint32_t iv;
      FUZZ_CHECK(n <= m->props_size && mg_mqtt_props_valid(kept, n), "stripped properties invalid");
      FUZZ_CHECK(!mg_mqtt_prop_find(kept, n, 0x1f, &v, &iv) && !mg_mqtt_prop_find(kept, n, 0x26, &v, &iv),
                 "a Reason String or User Property survived the strip");
      free(kept);
    }
  }
  free(copy);
  return r;
}

static int is_code(int r) {
  return r == -MQTT_RC_MALFORMED || r == -MQTT_RC_PROTOCOL_ERROR || r == -MQTT_RC_TOPIC_INVALID ||
         r == -MQTT_RC_PACKET_TOO_LARGE || r == -MQTT_RC_UNSUPPORTED_VERSION;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct mg_mqtt_message m;
  uint8_t ctl, ver;
  uint32_t max;
  size_t step, i, len;
  const uint8_t *p;
  int r, closes = 0;
  if (size < 1) return 0;
  ctl = data[0];
  p = data + 1;
  len = size - 1;
  ver = (ctl & 1) ? 5 : 4;
  step = (ctl >> 2) & 7;
  max = ((ctl >> 5) & 7) == 7 ? 0 : 64u << ((ctl >> 5) & 7);

  // The parser alone, packet after packet.
  for (i = 0; i < len;) {
    size_t k;
    r = parse_copy(p + i, len - i, ver, max, &m);
    FUZZ_CHECK(r == 0 || is_code(r) || (r > 0 && (size_t) r <= len - i), "parse returned %d", r);
    if (r <= 0) break;
    for (k = 0; k < (size_t) r; k += 1 + (size_t) r / 8) {
      struct mg_mqtt_message m2;
      int r2 = parse_copy(p + i, k, ver, max, &m2);
      FUZZ_CHECK(r2 == 0, "prefix %zu of a %d-byte packet gave %d", k, r, r2);
    }
    i += (size_t) r;
  }

  // The whole connection path.
  {
    double heap = mgx_heap_used();
    struct mg_mgr *mgr;
    struct mg_connection *c, *l = NULL;
    uint32_t id;
    fh_reset();
    mgr = mgx_mgr_new();
    if (ctl & 2) {
      l = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_RAW, NULL);
      mgx_mqtt_init(l, ver, max ? max : 1u << 20);
      mgx_open(l);
      c = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, l);
      mgx_open(c);
    } else {
      c = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
      mgx_mqtt_init(c, ver, max ? max : 1u << 20);
      mgx_open(c);
      mgx_resolved(c);
      mgx_connected(c);
      mgx_mqtt_login(c, 1, 10, "fuzz", 4, NULL, -1, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    }
    id = c->id;
    fh_feed_steps(mgr, c, id, p, len, step);
    closes = fh_conn(id)->closes;
    mgx_mgr_free(mgr);
    FUZZ_CHECK(fh_conn(id)->closes == 1, "MG_EV_CLOSE delivered %d times (%d before free)",
               fh_conn(id)->closes, closes);
    FUZZ_CHECK(mgx_heap_used() == heap, "core heap %f -> %f", heap, mgx_heap_used());
    (void) l;
  }
  return 0;
}
