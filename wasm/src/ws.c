// ws.c: WebSocket framing (RFC 6455 section 5): the frame parser, masking,
// reassembly of fragmented messages, control frames, the close handshake,
// and the failures of section 7.1.7. The handshakes are in ws_hs.c.
//
// Receive layout: c->recv = [reassembled message so far (ws_frag_len)]
// [input not parsed yet]. A message that arrives in one frame is delivered
// in place (no copy); a fragment's payload is moved down behind the
// reassembled bytes. Bytes parsed in one pass are removed once, at its end,
// so a burst of small frames costs O(bytes), not O(bytes * frames).
#include "ws.h"

#include <string.h>

#include "fmt.h"
#include "netif.h"

#define STOP_FLAGS (MG_F_DRAINING | MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT)
// Our close frame was sent and the peer did not answer within this: close.
#define MG_WS_CLOSE_WAIT_MS 10000
// Buffers of a WebSocket quiet for this long are freed (at its MG_EV_POLL).
#define MG_WS_IDLE_FREE_MS 1000

uint32_t mg_ws_max(const struct mg_mgr *mgr) {
  return mgr->ws_max_message ? mgr->ws_max_message : MG_WS_DEFAULT_MAX;
}

// ---- frames --------------------------------------------------------------------

long long mg_ws_parse_frame(const unsigned char *buf, size_t len, uint64_t max, size_t *hdr_len,
                            uint64_t *payload_len, unsigned char *b0, const unsigned char **mask) {
  unsigned op;
  size_t n = 2;
  uint64_t pl;
  if (len < 2) return 0;
  *b0 = buf[0];
  op = buf[0] & 15u;
  if (buf[0] & 0x30) return -1002;                   // RSV2-3: no extension uses them
  if ((op > 2 && op < 8) || op > 10) return -1002;  // reserved opcodes
  if (op >= 8 && (buf[0] & 0x40)) return -1002;     // RSV1: never on a control frame
  pl = buf[1] & 127u;
  if (op >= 8 && (!(buf[0] & 0x80) || pl > 125)) return -1002;  // control frames
  if (pl == 126) {
    if (len < 4) return 0;
    pl = (uint64_t) buf[2] << 8 | buf[3];
    n = 4;
  } else if (pl == 127) {
    int i;
    if (len < 10) return 0;
    if (buf[2] & 0x80) return -1002;  // the most significant bit MUST be 0
    pl = 0;
    for (i = 2; i < 10; i++) pl = pl << 8 | buf[i];
    n = 10;
  }
  if (buf[1] & 0x80) {
    if (len < n + 4) return 0;
    *mask = buf + n;
    n += 4;
  } else {
    *mask = NULL;
  }
  if (op < 8 && pl > max) return -1009;
  *hdr_len = n;  // filled in even while the payload is incomplete
  *payload_len = pl;
  if (len - n < pl) return 0;
  return (long long) (n + pl);
}

static void unmask(unsigned char *p, size_t len, const unsigned char *key) {
  unsigned char k[4];
  uint32_t kw, w;
  size_t i = 0;
  memcpy(k, key, 4);  // the key may sit in the bytes being unmasked
  memcpy(&kw, k, 4);
  for (; i + 4 <= len; i += 4) {
    memcpy(&w, p + i, 4);
    w ^= kw;
    memcpy(p + i, &w, 4);
  }
  for (; i < len; i++) p[i] ^= k[i & 3];
}

// Four fresh random bytes for a client frame's mask, from a pool refilled
// by host_random (one host call per 64 frames).
static void mask_key(unsigned char out[4]) {
  static unsigned char pool[256];
  static size_t pos = sizeof(pool);
  if (pos + 4 > sizeof(pool)) {
    host_random(pool, sizeof(pool));
    pos = 0;
  }
  memcpy(out, pool + pos, 4);
  memset(pool + pos, 0, 4);  // never reused
  pos += 4;
}

// A frame whose payload the host copies in itself (mgx_ws_send_begin/end).
static struct {
  struct mg_connection *c;
  size_t off, hdr, len;
  unsigned char key[4];
} s_open_frame;

size_t mg_ws_frame_head(unsigned char *hdr, size_t len, int op, bool masked, unsigned char key[4]) {
  size_t n = 2;
  hdr[0] = (unsigned char) (0x80 | (op & 0x4f));  // FIN, RSV1 (compressed), opcode
  if (len < 126) {
    hdr[1] = (unsigned char) len;
  } else if (len < 65536) {
    hdr[1] = 126;
    hdr[2] = (unsigned char) (len >> 8);
    hdr[3] = (unsigned char) len;
    n = 4;
  } else {
    uint64_t v = (uint64_t) len;
    int i;
    hdr[1] = 127;
    for (i = 0; i < 8; i++) hdr[2 + i] = (unsigned char) (v >> (56 - 8 * i));
    n = 10;
  }
  if (masked) {
    hdr[1] |= 0x80;
    mask_key(key);
    memcpy(hdr + n, key, 4);
    n += 4;
  }
  return n;
}

void mg_ws_mask(unsigned char *p, size_t len, const unsigned char key[4]) {
  unmask(p, len, key);
}

size_t mg_ws_send(struct mg_connection *c, const void *buf, size_t len, int op) {
  unsigned char hdr[14], key[4];
  size_t off = c->send.len;
  size_t n = mg_ws_frame_head(hdr, len, op, (c->flags & MG_F_CLIENT) != 0, key);
  if (len > (size_t) -1 - n || !mg_iobuf_reserve(&c->send, n + len)) return 0;
  if (buf == NULL) {  // the host fills the payload in (mgx_ws_send_begin)
    if (!mg_send(c, hdr, n)) return 0;
    c->send.len += len;
    s_open_frame.c = c, s_open_frame.off = off, s_open_frame.hdr = n, s_open_frame.len = len;
    memcpy(s_open_frame.key, key, 4);
    return n + len;
  }
  if (!mg_send(c, hdr, n) || !mg_send(c, buf, len)) {
    c->send.len = off;
    return 0;
  }
  if (c->flags & MG_F_CLIENT) unmask(c->send.buf + off + n, len, key);
  return n + len;
}

static void close_frame(struct mg_connection *c, int code, const char *reason, size_t len) {
  unsigned char p[125];
  size_t n = 0;
  if (c->ws_state & MG_WS_CLOSE_SENT) return;
  if (code != 0) {
    if (len > 123) len = 123;
    p[0] = (unsigned char) (code >> 8);
    p[1] = (unsigned char) code;
    if (len > 0) memcpy(p + 2, reason, len);
    n = 2 + len;
  }
  mg_ws_send(c, p, n, WEBSOCKET_OP_CLOSE);
  c->ws_state |= MG_WS_CLOSE_SENT;
  c->req_start_ms = mg_millis();  // the close wait runs from here
}

void mg_ws_close_frame(struct mg_connection *c, int code) {
  close_frame(c, code, NULL, 0);
}

// Fail the WebSocket connection (RFC 6455 7.1.7): tell the handler, send a
// close frame with `code`, flush it and close.
static void fail(struct mg_connection *c, int code, const char *why) {
  char msg[120];
  mg_snprintf(msg, sizeof(msg), "WebSocket %d: %s", code, why);
  mg_call(c, MG_EV_ERROR, msg);
  close_frame(c, code, NULL, 0);
  c->ws_frag_len = 0;
  c->ws_frag_op = 0;
  c->ws_frag_z = 0;
  c->ws_part = 0;
  mg_drain_conn(c);
}

static bool close_code_ok(unsigned code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

static void deliver(struct mg_connection *c, int ev, unsigned flags, const unsigned char *p,
                    size_t len) {
  struct mg_ws_message m;
  m.data = mg_str_n((const char *) p, len);
  m.flags = flags;
  if (c->ws_state & MG_WS_CARRIER) {
    // The carried protocol takes the data; control frames are ours alone.
    if (ev == MG_EV_WS_MSG) c->pfn(c, MG_EV_X_WS_MSG, &m);
    return;
  }
  mg_call(c, ev, &m);
}

// A control frame (payload unmasked, at most 125 bytes).
static void control(struct mg_connection *c, unsigned b0, const unsigned char *p, size_t len) {
  unsigned op = b0 & 15u;
  if (op == WEBSOCKET_OP_CLOSE) {
    if (len == 1) {
      fail(c, 1002, "close frame with a 1-byte payload");
      return;
    }
    if (len >= 2 && !close_code_ok((unsigned) p[0] << 8 | p[1])) {
      fail(c, 1002, "invalid close code");
      return;
    }
    if (len > 2 && !mg_ws_utf8_ok(p + 2, len - 2)) {
      fail(c, 1007, "invalid UTF-8 close reason");
      return;
    }
    c->ws_state |= MG_WS_CLOSE_RCVD;
    deliver(c, MG_EV_WS_CTL, b0, p, len);
    // Echo the code and the reason (RFC 6455 5.5.1), then close once it is flushed.
    if (len >= 2) {
      close_frame(c, (int) ((unsigned) p[0] << 8 | p[1]), (const char *) p + 2, len - 2);
    } else {
      close_frame(c, 0, NULL, 0);
    }
    mg_drain_conn(c);
    return;
  }
  if (op == WEBSOCKET_OP_PING && !(c->ws_state & MG_WS_CLOSE_SENT)) {
    mg_ws_send(c, p, len, WEBSOCKET_OP_PONG);
  }
  deliver(c, MG_EV_WS_CTL, b0, p, len);
}

// A data frame of opcode `op` is (part of) a text message whose bytes the
// UTF-8 check sees as they arrive.
static const char *inflate_why(int code) {
  return code == 1009 ? "message too big once inflated"
                      : code == 1007 ? "bad compressed data or invalid UTF-8" : "out of memory";
}

// Compressed text is checked once inflated (mg_ws_inflate_deliver).
static bool is_text(const struct mg_connection *c, unsigned b0) {
  unsigned op = b0 & 15u;
  return (op == WEBSOCKET_OP_TEXT && c->ws_frag_op == 0 && !(b0 & 0x40)) ||
         (op == WEBSOCKET_OP_CONTINUE && c->ws_frag_op == WEBSOCKET_OP_TEXT && !c->ws_frag_z);
}

// Fail fast (RFC 6455 8.1): the part of a text frame received so far,
// still masked, is checked before the rest arrives. c->ws_part says how
// much of it was; the frame's bytes past it are checked once it is whole.
static bool check_partial(struct mg_connection *c, const unsigned char *buf, size_t avail,
                          size_t hl, uint64_t pl, unsigned b0, const unsigned char *mask,
                          bool server) {
  unsigned op = b0 & 15u;
  size_t have = avail - hl;
  if (hl == 0 || avail <= hl || op >= 8 || !is_text(c, b0) || server != (mask != NULL)) return true;
  if (have > pl) have = (size_t) pl;
  if (have <= c->ws_part) return true;
  if (c->ws_part == 0 && op == WEBSOCKET_OP_TEXT) c->ws_u8[0] = 0;  // a new message
  if (mask == NULL) {
    if (!mg_ws_utf8_feed(c, buf + hl + c->ws_part, have - c->ws_part)) return false;
  } else if (!mg_ws_utf8_feed_masked(c, buf + hl + c->ws_part, have - c->ws_part, mask, c->ws_part)) {
    return false;
  }
  c->ws_part = have;
  return true;
}

// The rest of a whole text frame's payload `p` (unmasked), past what
// check_partial saw; at the message's last frame no character may be left open.
static bool check_whole(struct mg_connection *c, unsigned b0, const unsigned char *p, size_t len) {
  size_t done = c->ws_part;
  c->ws_part = 0;
  if (done == 0 && (b0 & 15u) == WEBSOCKET_OP_TEXT) c->ws_u8[0] = 0;  // a new message
  if (!mg_ws_utf8_feed(c, p + done, len - done)) return false;
  return !(b0 & 0x80) || c->ws_u8[0] == 0;
}

// Parse and deliver what c->recv holds.
static void frames(struct mg_connection *c) {
  bool server = !(c->flags & MG_F_CLIENT);
  uint64_t max = mg_ws_max(c->mgr);
  size_t off = c->ws_frag_len;  // first byte not parsed yet
  for (;;) {
    unsigned char *buf = c->recv.buf, b0 = 0;
    const unsigned char *mask = NULL;
    size_t hl = 0, len = c->recv.len, fl = c->ws_frag_len;
    uint64_t pl = 0;
    long long r;
    unsigned op;
    if (c->flags & STOP_FLAGS) break;
    if (mg_send_backed_up(c)) {
      // The peer does not read what we send: stop reading what it sends
      // (the host pauses the socket once c->recv is at its held cap).
      c->flags |= MG_F_OUT_HELD | MG_F_PARSE_PENDING;
      break;
    }
    c->flags &= ~MG_F_OUT_HELD;
    r = mg_ws_parse_frame(buf + off, len - off, max - fl, &hl, &pl, &b0, &mask);
    if (r == 0) {
      if (!check_partial(c, buf + off, len - off, hl, pl, b0, mask, server)) {
        fail(c, 1007, "invalid UTF-8 in a text message");
      }
      break;
    }
    if (r < 0) {
      fail(c, (int) -r, r == -1009 ? "message too big" : "malformed frame header");
      break;
    }
    op = b0 & 15u;
    if (server && mask == NULL) {
      fail(c, 1002, "unmasked client frame");
      break;
    }
    if (!server && mask != NULL) {
      fail(c, 1002, "masked server frame");
      break;
    }
    if ((b0 & 0x40) && (!(c->ws_pmd & MG_PMD_ON) || op == WEBSOCKET_OP_CONTINUE)) {
      fail(c, 1002, op == WEBSOCKET_OP_CONTINUE ? "RSV1 on a continuation frame"
                                                : "RSV1 without permessage-deflate");
      break;
    }
    if (mask != NULL) unmask(buf + off + hl, (size_t) pl, mask);
    if (op >= 8) {
      control(c, b0, buf + off + hl, (size_t) pl);
    } else if (op == WEBSOCKET_OP_CONTINUE && c->ws_frag_op == 0) {
      fail(c, 1002, "continuation frame without a message");
      break;
    } else if (op != WEBSOCKET_OP_CONTINUE && c->ws_frag_op != 0) {
      fail(c, 1002, "new message inside a fragmented one");
      break;
    } else if (is_text(c, b0) && !check_whole(c, b0, buf + off + hl, (size_t) pl)) {
      fail(c, 1007, "invalid UTF-8 in a text message");
      break;
    } else if ((b0 & 0x80) && op != WEBSOCKET_OP_CONTINUE) {
      // A whole message in one frame: delivered where it lies (or inflated).
      int code = (b0 & 0x40) ? mg_ws_inflate_deliver(c, 0x80u | op, buf + off + hl, (size_t) pl)
                             : (deliver(c, MG_EV_WS_MSG, b0, buf + off + hl, (size_t) pl), 0);
      if (code != 0) {
        fail(c, code, inflate_why(code));
        break;
      }
    } else {
      memmove(buf + fl, buf + off + hl, (size_t) pl);
      c->ws_frag_len = fl += (size_t) pl;
      if (op != WEBSOCKET_OP_CONTINUE) c->ws_frag_op = (uint8_t) op, c->ws_frag_z = b0 & 0x40;
      if (b0 & 0x80) {
        unsigned flags = 0x80u | c->ws_frag_op;
        bool z = c->ws_frag_z != 0;
        int code = 0;
        c->ws_frag_len = 0;
        c->ws_frag_op = 0;
        c->ws_frag_z = 0;
        // A compressed message is reassembled compressed, then inflated whole.
        if (z) {
          code = mg_ws_inflate_deliver(c, flags, buf, fl);
        } else {
          deliver(c, MG_EV_WS_MSG, flags, buf, fl);
        }
        fl = 0;
        if (code != 0) {
          fail(c, code, inflate_why(code));
          break;
        }
      }
    }
    off += (size_t) r;
    if (c->recv.buf != buf || c->recv.len != len) {
      // The handler consumed input itself (recvData): start over on what is left.
      c->ws_frag_len = 0;
      c->ws_frag_op = 0;
      c->ws_frag_z = 0;
      c->ws_part = 0;
      return;
    }
  }
  if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) return;
  if (off > c->ws_frag_len && off <= c->recv.len) {
    mg_iobuf_del(&c->recv, c->ws_frag_len, off - c->ws_frag_len);
    mg_recv_shrunk(c);
  }
}

static void run(struct mg_connection *c) {
  if (c->flags & MG_F_IN_PROTO) {  // re-entered from a handler: at the flush
    c->flags |= MG_F_PARSE_PENDING;
    mg_mark_dirty(c);
    return;
  }
  c->flags |= MG_F_IN_PROTO;
  if (c->ws_state & MG_WS_HANDSHAKE) mg_ws_client_answer(c);
  if ((c->flags & MG_F_WEBSOCKET) && c->recv.len > 0) frames(c);
  c->flags &= ~MG_F_IN_PROTO;
}

// The handshake's buffers go as soon as they are empty, so that many
// connections opening at once reuse the same memory (idle WebSockets cost
// their struct); after that a WebSocket keeps its buffers while busy.
static void fresh_buffers(struct mg_connection *c) {
  if (!(c->ws_state & MG_WS_FRESH) || (c->flags & MG_F_IN_PROTO)) return;
  if (c->recv.len == 0) mg_iobuf_free(&c->recv);
  if (c->send.len == 0) mg_iobuf_free(&c->send);
  if (c->recv.buf == NULL && c->send.buf == NULL) c->ws_state &= (uint8_t) ~MG_WS_FRESH;
}

void mg_ws_ev(struct mg_connection *c, int ev, void *ev_data) {
  (void) ev_data;
  if (ev == MG_EV_READ || ev == MG_EV_X_RESUME) {
    run(c);
    fresh_buffers(c);
  } else if (ev == MG_EV_WRITE) {
    fresh_buffers(c);
  } else if (ev == MG_EV_CLOSE) {
    if (c->ws_pmd & MG_PMD_ON) host_ws_zfree(c->id);
  } else if (ev == MG_EV_X_EOF) {
    if (c->ws_state & MG_WS_HANDSHAKE) mg_error(c, "%s", "WebSocket handshake: connection closed");
  } else if (ev == MG_EV_POLL) {
    uint64_t now = c->mgr->now_ms;
    // An idle WebSocket gives its buffers back: thousands of quiet
    // connections then cost little more than their struct.
    if (c->recv.len == 0 && c->send.len == 0 && (c->recv.buf != NULL || c->send.buf != NULL) &&
        now >= c->last_io_ms && now - c->last_io_ms >= MG_WS_IDLE_FREE_MS) {
      mg_iobuf_free(&c->recv);
      mg_iobuf_free(&c->send);
    }
    if ((c->ws_state & (MG_WS_CLOSE_SENT | MG_WS_CLOSE_RCVD)) == MG_WS_CLOSE_SENT &&
        !(c->flags & STOP_FLAGS) && now >= c->req_start_ms &&
        now - c->req_start_ms >= MG_WS_CLOSE_WAIT_MS) {
      mg_close_conn(c);  // the peer never answered our close
    }
  }
}

// ---- exports -------------------------------------------------------------------

// A data opcode with RSV1 (0x41, 0x42; 0x40 for a continuation would break
// RFC 7692 6.1) is allowed once permessage-deflate is negotiated.
static int strip_rsv1(const struct mg_connection *c, int op) {
  if ((op & 0x40) && (c->ws_pmd & MG_PMD_ON) && (op == 0x41 || op == 0x42)) return op & 15;
  return op;
}

// A carrier's stream belongs to the protocol it carries (MQTT over
// WebSocket): the host's WebSocket calls leave it alone, shutdown included.
static bool host_may(const struct mg_connection *c) {
  return (c->flags & MG_F_WEBSOCKET) && !(c->ws_state & MG_WS_CARRIER);
}

double mgx_ws_send(struct mg_connection *c, const void *buf, size_t len, int op) {
  bool control = op >= 8;
  if (!host_may(c)) return 0;
  if (strip_rsv1(c, op) != op) {
    if (!(c->flags & MG_F_WEBSOCKET) || (c->flags & STOP_FLAGS)) return 0;
    if (c->ws_state & MG_WS_CLOSE_SENT) return 0;
    return (double) mg_ws_send(c, buf, len, op);
  }
  if (!(c->flags & MG_F_WEBSOCKET) || (c->flags & STOP_FLAGS)) return 0;
  if (!(op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10)) return 0;
  if (control && len > 125) return 0;
  if (c->ws_state & MG_WS_CLOSE_SENT) return 0;
  if (op == WEBSOCKET_OP_CLOSE) {
    size_t n = mg_ws_send(c, buf, len, op);
    if (n > 0) c->ws_state |= MG_WS_CLOSE_SENT, c->req_start_ms = mg_millis();
    return (double) n;
  }
  return (double) mg_ws_send(c, buf, len, op);
}

void *mgx_ws_send_begin(struct mg_connection *c, size_t len, int op) {
  s_open_frame.c = NULL;
  if (!host_may(c) || strip_rsv1(c, op) < 0 || strip_rsv1(c, op) > 2 || !(c->flags & MG_F_WEBSOCKET) || (c->flags & STOP_FLAGS) ||
      (c->ws_state & MG_WS_CLOSE_SENT) || mg_ws_send(c, NULL, len, op) == 0) {
    return NULL;
  }
  return c->send.buf + s_open_frame.off + s_open_frame.hdr;
}

double mgx_ws_send_end(struct mg_connection *c) {
  size_t n;
  if (s_open_frame.c != c) return 0;
  s_open_frame.c = NULL;
  if (c->flags & MG_F_CLIENT) {
    unmask(c->send.buf + s_open_frame.off + s_open_frame.hdr, s_open_frame.len, s_open_frame.key);
  }
  n = s_open_frame.hdr + s_open_frame.len;
  return (double) n;
}

int mgx_ws_close(struct mg_connection *c, int code, const char *reason, size_t reason_len) {
  if (!host_may(c) || (c->flags & STOP_FLAGS)) return 0;
  if (c->ws_state & MG_WS_CLOSE_SENT) return 0;
  close_frame(c, code, reason, reason_len);
  if (c->ws_state & MG_WS_CLOSE_RCVD) mg_drain_conn(c);
  return 1;
}

void mgx_ws_set_limit(struct mg_mgr *mgr, uint32_t max_message) {
  mgr->ws_max_message = max_message;
}

uint32_t mgx_ws_open_count(struct mg_mgr *mgr) {
  struct mg_connection *c;
  uint32_t n = 0;
  for (c = mgr->conns; c != NULL; c = c->next) {
    if (host_may(c) && !(c->flags & STOP_FLAGS) &&
        !(c->ws_state & (MG_WS_CLOSE_SENT | MG_WS_CLOSE_RCVD))) {
      n++;
    }
  }
  return n;
}
