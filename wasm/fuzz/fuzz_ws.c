// fuzz_ws.c: the WebSocket frame parser in both directions, through the
// mgx_* exports: as a server (the input follows a valid upgrade request, so
// it is what a client sends) and as a client (it follows a valid 101 answer,
// so it is what a server sends).
//
// Input layout: 3 control bytes, then the peer's bytes.
//   ctl[0] bit0 client side (else server), bit1 a small message limit
//          (64 + 16 * bits 4..7), bits 2..3 host_send mode (all/trickle/stall)
//   ctl[1] split: 0 = all bytes at once, else pieces of 1..ctl[1] bytes
//   ctl[2] seed of the handler's choices (echo, ping, close, wsClose, nothing);
//          bit1 also: permessage-deflate negotiated (RSV1 frames are
//          "inflated" by fuzz_host.c, which copies them)
// Checks: every delivered message lies inside c->recv, is within the limit,
// is valid UTF-8 when text, control payloads are at most 125 bytes; what the
// core sends parses back as well-formed frames (masked exactly on the client
// side); MG_EV_CLOSE once per connection; the core heap returns to where it
// was.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_host.h"
#include "mgx.h"
#include "net.h"
#include "ws.h"
#include "base64.h"

static struct mg_connection *conn;
static uint32_t conn_id, rng, max_msg;
static int client_side, deflate;

static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static void check_view(const struct mg_ws_message *m, int ev) {
  const char *lo = (const char *) conn->recv.buf, *hi = lo + conn->recv.len;
  // An inflated message lies in its own buffer.
  FUZZ_CHECK(m->data.len == 0 || (m->data.buf >= lo && m->data.buf + m->data.len <= hi) ||
                 (deflate && ev == MG_EV_WS_MSG),
             "WebSocket payload outside c->recv");
  fh_touch(m->data.buf, m->data.len);
  if (ev == MG_EV_WS_CTL) {
    FUZZ_CHECK(m->data.len <= 125, "control payload of %zu bytes", (size_t) m->data.len);
    FUZZ_CHECK((m->flags & 15) >= 8, "MG_EV_WS_CTL for opcode %u", (unsigned) (m->flags & 15));
  } else {
    FUZZ_CHECK(m->data.len <= max_msg, "message of %zu bytes, max %u", (size_t) m->data.len,
               (unsigned) max_msg);
    FUZZ_CHECK((m->flags & 15) == 1 || (m->flags & 15) == 2, "message opcode %u",
               (unsigned) (m->flags & 15));
    if ((m->flags & 15) == 1) {
      FUZZ_CHECK(mg_ws_utf8_ok((const unsigned char *) m->data.buf, m->data.len),
                 "invalid UTF-8 delivered as text");
    }
  }
}

static void on_event(uint32_t id, int ev, void *ev_data) {
  if (conn == NULL || id != conn_id) return;
  if (ev == MG_EV_CLOSE) {
    conn = NULL;
  } else if (ev == MG_EV_HTTP_MSG) {
    mgx_ws_deflate_allow(conn, deflate);
    FUZZ_CHECK(mgx_ws_upgrade(conn, (struct mg_http_message *) ev_data, "", 0) == 1,
               "valid upgrade refused");
  } else if (ev == MG_EV_WS_MSG || ev == MG_EV_WS_CTL) {
    const struct mg_ws_message *m = (const struct mg_ws_message *) ev_data;
    uint32_t r = next_rand();
    check_view(m, ev);
    if (ev == MG_EV_WS_CTL) return;
    switch (r % 6) {
      case 0:
      case 1:
        mgx_ws_send(conn, m->data.buf, m->data.len, (int) (m->flags & 15));
        break;
      case 2:
        mgx_ws_send(conn, m->data.buf, m->data.len > 125 ? 125 : m->data.len, WEBSOCKET_OP_PING);
        break;
      case 3:
        mgx_ws_close(conn, 1000 + (int) (r >> 8) % 4, "bye", 3);
        break;
      case 4:
        if (r & 64) mgx_close(conn);
        break;
      default:
        break;
    }
  }
}

// What the core sent after the handshake head must be well-formed frames.
static void check_output(void) {
  const unsigned char *o = fh.capture;
  size_t len = fh.capture_len, i = 0, k;
  for (k = 0; k + 3 < len; k++) {
    if (memcmp(o + k, "\r\n\r\n", 4) == 0) break;
  }
  if (k + 3 >= len) return;  // no handshake sent (or taken) yet
  i = k + 4;
  while (i < len) {
    size_t hl;
    uint64_t pl;
    unsigned char b0;
    const unsigned char *mask;
    long long r = mg_ws_parse_frame(o + i, len - i, (uint64_t) -1, &hl, &pl, &b0, &mask);
    FUZZ_CHECK(r >= 0, "the core sent a malformed frame (%lld) at %zu", r, i);
    if (r == 0) break;  // the connection closed before the rest was taken
    FUZZ_CHECK((mask != NULL) == client_side, "frame masking does not match the side");
    i += (size_t) r;
  }
}

static void check_client_output(size_t head_end) {
  const unsigned char *o = fh.capture;
  size_t len = fh.capture_len, i = head_end;
  while (i < len) {
    size_t hl;
    uint64_t pl;
    unsigned char b0;
    const unsigned char *mask;
    long long r = mg_ws_parse_frame(o + i, len - i, (uint64_t) -1, &hl, &pl, &b0, &mask);
    FUZZ_CHECK(r >= 0, "the client sent a malformed frame (%lld)", r);
    if (r == 0) break;
    FUZZ_CHECK(mask != NULL, "unmasked client frame");
    i += (size_t) r;
  }
}

static void flush(struct mg_mgr *mgr) {
  mgx_flush(mgr);
  if (conn != NULL && fh_conn(conn_id)->short_send) {
    fh_conn(conn_id)->short_send = 0;
    mgx_writable(conn);
    mgx_flush(mgr);
  }
}

static void feed(struct mg_mgr *mgr, const uint8_t *data, size_t size, size_t step) {
  size_t off = 0;
  while (off < size && conn != NULL) {
    size_t n = size - off < step ? size - off : step;
    void *dst = mgx_recv_reserve(conn, n);
    if (dst == NULL) {
      flush(mgr);
      if (conn == NULL || (dst = mgx_recv_reserve(conn, n)) == NULL) break;
    }
    memcpy(dst, data + off, n);
    mgx_recv_commit(conn, n);
    flush(mgr);
    off += n;
    if (step > 1) step = 1 + (size_t) (next_rand() % step);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char upgrade[] =
      "GET /f HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
  static const char head[] = "GET /f HTTP/1.1\r\nHost: x\r\n";
  if (size < 3) return 0;
  uint8_t ctl[3] = {data[0], data[1], data[2]};
  data += 3;
  size -= 3;
  double heap0 = mgx_heap_used();
  fh_reset();
  fh.on_event = on_event;
  fh.send_mode = (enum fh_send_mode) (((ctl[0] >> 2) & 3) % 3);
  rng = 0x9e3779b9u ^ ((uint32_t) ctl[2] * 0x01000193u);
  client_side = ctl[0] & 1;
  deflate = (ctl[2] >> 1) & 1;
  struct mg_mgr *mgr = mgx_mgr_new();
  FUZZ_CHECK(mgr != NULL, "mgx_mgr_new failed");
  max_msg = (ctl[0] & 2) ? 64 + 16 * (uint32_t) (ctl[0] >> 4) : MG_WS_DEFAULT_MAX;
  mgx_ws_set_limit(mgr, max_msg);
  size_t step = ctl[1] == 0 ? (size ? size : 1) : ctl[1];
  size_t head_end = 0;
  if (client_side) {
    char key[24], acc[28], answer[200];
    static const char ext[] = "\r\nSec-WebSocket-Extensions: permessage-deflate";
    size_t an;
    conn = mgx_conn_new(mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
    FUZZ_CHECK(conn != NULL, "setup failed");
    conn_id = fh.capture_id = conn->id;
    mgx_open(conn);
    mgx_ws_deflate_allow(conn, deflate);
    FUZZ_CHECK(mgx_ws_connect(conn, head, sizeof(head) - 1) == 1, "mgx_ws_connect failed");
    head_end = conn->send.len;
    mgx_resolved(conn);
    mgx_connected(conn);
    flush(mgr);
    mg_base64_encode(conn->ws_nonce, 16, key);
    mg_ws_accept_key(key, 24, acc);
    static const char ans[] =
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: ";
    memcpy(answer, ans, sizeof(ans) - 1);
    memcpy(answer + sizeof(ans) - 1, acc, 28);
    an = sizeof(ans) - 1 + 28;
    if (deflate) memcpy(answer + an, ext, sizeof(ext) - 1), an += sizeof(ext) - 1;
    memcpy(answer + an, "\r\n\r\n", 4);
    an += 4;
    feed(mgr, (const uint8_t *) answer, an, an);
    FUZZ_CHECK(conn != NULL && (conn->flags & MG_F_WEBSOCKET), "client handshake failed");
  } else {
    fh_http_accepted(mgr, &conn, &conn_id);
    feed(mgr, (const uint8_t *) upgrade, sizeof(upgrade) - 1, sizeof(upgrade) - 1);
    FUZZ_CHECK(conn != NULL && (conn->flags & MG_F_WEBSOCKET), "server handshake failed");
  }
  feed(mgr, data, size, step);
  if (conn != NULL && (ctl[2] & 1)) mgx_eof(conn);
  flush(mgr);
  if (client_side) check_client_output(head_end);
  else check_output();
  mgx_mgr_free(mgr);
  FUZZ_CHECK(fh_conn(conn_id)->closes == 1, "MG_EV_CLOSE delivered %d times",
             fh_conn(conn_id)->closes);
  FUZZ_CHECK(mgx_heap_used() == heap0, "core heap leak: %.0f bytes", mgx_heap_used() - heap0);
  return 0;
}
