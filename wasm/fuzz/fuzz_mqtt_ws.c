// fuzz_mqtt_ws.c: MQTT over WebSocket (mqtt_ws.c): the bytes a peer sends
// to a carrier connection, as a broker-side connection of an MQTT ws
// listener (the input is the client's: an upgrade request, then frames) or
// as a client (the input follows a valid 101: the server's frames).
//
// Input: ctl byte, then the peer's bytes.
//   ctl bit0: client side (else server); bit1: MQTT 5 (else 3.1.1);
//   bits2-4: split step for feeding (0 = all at once);
//   bit5: server side: prefix a valid upgrade request offering mqtt (else
//         the input is the request too); client side: unused;
//   bits6-7: the handler: 0 nothing, 1 answers (CONNACK, SUBACK, echo,
//            a publish once open), 2 drains, 3 closes, at the first packet.
// Checks, besides ASan/UBSan: the host never sees a WebSocket event (the
// messages belong to MQTT); every MQTT packet delivered lies in readable
// memory; what the core sends after the handshake parses as WebSocket
// frames (masked exactly on the client side), binary ones each holding
// exactly one whole MQTT packet, then at most a close frame; MG_EV_CLOSE
// once; the core heap returns to where it was.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "fuzz_host.h"
#include "mgx.h"
#include "mqtt.h"
#include "net.h"
#include "ws.h"

static struct mg_connection *s_conn;
static uint32_t s_id;
static int s_action, s_acted;

static void on_event(uint32_t id, int ev, void *ev_data) {
  struct mg_connection *c = s_conn;
  FUZZ_CHECK(ev != MG_EV_WS_OPEN && ev != MG_EV_WS_MSG && ev != MG_EV_WS_CTL,
             "WebSocket event %d reached the host of a carrier", ev);
  if (id != s_id || c == NULL) return;
  if (ev == MG_EV_CLOSE) {
    s_conn = NULL;
    return;
  }
  if (ev == MG_EV_MQTT_CMD || ev == MG_EV_MQTT_MSG) {
    const struct mg_mqtt_message *m = (const struct mg_mqtt_message *) ev_data;
    fh_touch(m->dgram.buf, m->dgram.len);
    fh_touch(m->topic.buf, m->topic.len);
    fh_touch(m->data.buf, m->data.len);
    if (s_acted || ev != MG_EV_MQTT_CMD) return;
    if (s_action == 2) s_acted = 1, mgx_drain(c);
    if (s_action == 3) s_acted = 1, mgx_close(c);
    if (s_action == 1) {
      static const uint8_t ok[2] = {0, 0};
      if (m->cmd == MQTT_CMD_CONNECT) mgx_mqtt_send(c, MQTT_CMD_CONNACK, 0, ok, 1, NULL, 0);
      if (m->cmd == MQTT_CMD_SUBSCRIBE) mgx_mqtt_send(c, MQTT_CMD_SUBACK, m->id, ok, 1, NULL, 0);
      if (m->cmd == MQTT_CMD_PUBLISH) {
        mgx_mqtt_pub(c, m->topic.buf, m->topic.len, m->data.buf, m->data.len, m->qos, m->qos ? 9 : 0, NULL, 0);
      }
    }
  }
  if (ev == MG_EV_MQTT_OPEN && s_action == 1) mgx_mqtt_pub(c, "t", 1, "hello", 5, 1, 3, NULL, 0);
}

// What the core sent after its handshake bytes: frames only.
static void check_output(const unsigned char *out, size_t len, int client) {
  size_t i = 0;
  while (i + 4 <= len && memcmp(out + i, "\r\n\r\n", 4) != 0) i++;
  if (i + 4 > len) return;  // refused, or no answer yet: no frames either
  if (!client && (len < 12 || memcmp(out, "HTTP/1.1 101", 12) != 0)) return;  // refused
  i += 4;
  while (i < len) {
    size_t hl = 0, k;
    uint64_t pl = 0;
    unsigned char b0 = 0;
    const unsigned char *mask = NULL;
    long long r = mg_ws_parse_frame(out + i, len - i, (uint64_t) -1, &hl, &pl, &b0, &mask);
    FUZZ_CHECK(r > 0, "output frame at %zu does not parse (%lld)", i, r);
    FUZZ_CHECK((mask != NULL) == (client != 0), "masking %d on the %s side", mask != NULL,
               client ? "client" : "server");
    FUZZ_CHECK((b0 & 15) == WEBSOCKET_OP_BINARY || (b0 & 15) == WEBSOCKET_OP_CLOSE ||
                   (b0 & 15) == WEBSOCKET_OP_PONG,
               "opcode %d sent", b0 & 15);
    if ((b0 & 15) == WEBSOCKET_OP_BINARY) {
      struct mg_mqtt_message m;
      uint8_t *p = (uint8_t *) malloc(pl ? (size_t) pl : 1);
      int n;
      for (k = 0; k < pl; k++) p[k] = (uint8_t) (out[i + hl + k] ^ (mask ? mask[k & 3] : 0));
      n = mg_mqtt_parse(p, (size_t) pl, 5, 0, &m);
      if (n <= 0) n = mg_mqtt_parse(p, (size_t) pl, 4, 0, &m);
      FUZZ_CHECK(n == (int) pl, "a binary frame of %llu bytes holds a %d-byte packet", (unsigned long long) pl, n);
      free(p);
    }
    i += (size_t) r;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char req[] =
      "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
  double heap = mgx_heap_used();
  struct mg_mgr *mgr;
  struct mg_connection *c, *l;
  uint8_t ctl;
  int client, ver, closes;
  size_t step, len;
  const uint8_t *p;
  if (size < 1) return 0;
  ctl = data[0];
  p = data + 1;
  len = size - 1;
  client = ctl & 1;
  ver = (ctl & 2) ? 5 : 4;
  step = (ctl >> 2) & 7;
  s_action = (ctl >> 6) & 3;
  s_acted = 0;
  fh_reset();
  fh.on_event = on_event;
  mgr = mgx_mgr_new();
  if (client) {
    static const char head[] = "GET /mqtt HTTP/1.1\r\nHost: x\r\n";
    char key[24], acc[28], ans[200];
    size_t n;
    c = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
    s_conn = c, s_id = fh.capture_id = c->id;
    mgx_mqtt_init(c, ver, 4096);
    mgx_mqtt_ws(c, head, sizeof(head) - 1);
    mgx_mqtt_login(c, 1, 10, "fuzz", 4, NULL, -1, NULL, -1, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
    mgx_open(c);
    mgx_resolved(c);
    mgx_connected(c);
    mgx_flush(mgr);
    mg_base64_encode(c->ws_nonce, 16, key);
    mg_ws_accept_key(key, 24, acc);
    n = (size_t) snprintf(ans, sizeof(ans),
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                          "Upgrade\r\nSec-WebSocket-Accept: %.28s\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
                          acc);
    fh_feed(mgr, c, s_id, (const uint8_t *) ans, n);
  } else {
    l = mgx_conn_new(mgr, MGX_KIND_LISTENER, MGX_PROTO_RAW, NULL);
    mgx_mqtt_init(l, ver, 4096);
    mgx_mqtt_ws(l, (ctl & 0x20) ? "/mqtt" : "", (ctl & 0x20) ? 5 : 0);
    mgx_open(l);
    c = mgx_conn_new(mgr, MGX_KIND_ACCEPTED, MGX_PROTO_RAW, l);
    s_conn = c, s_id = fh.capture_id = c->id;
    mgx_open(c);
    if (ctl & 0x20) fh_feed(mgr, c, s_id, (const uint8_t *) req, sizeof(req) - 1);
  }
  fh_feed_steps(mgr, c, s_id, p, len, step);
  check_output(fh.capture, fh.capture_len, client);
  closes = fh_conn(s_id)->closes;
  mgx_mgr_free(mgr);
  s_conn = NULL;
  FUZZ_CHECK(fh_conn(s_id)->closes == 1, "MG_EV_CLOSE delivered %d times (%d before free)",
             fh_conn(s_id)->closes, closes);
  FUZZ_CHECK(mgx_heap_used() == heap, "core heap %f -> %f", heap, mgx_heap_used());
  return 0;
}
