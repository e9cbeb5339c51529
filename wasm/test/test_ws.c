// test_ws.c: WebSocket (ws.c, ws_hs.c): the accept key, UTF-8, the frame
// parser, both handshakes and the frame-level behaviour RFC 6455 asks for.
#include "../src/base64.h"
#include "../src/ws.h"
#include "host_fake.h"
#include "test.h"
#include "test_ws.h"

struct mg_mgr *s_mgr;
char s_log[8192];  // "<ev> <flags hex> <len>:<data>\n" per WS event
size_t s_log_len;
static const char *s_extra = "";

static void logf_ws(int ev, struct mg_ws_message *m) {
  int n = snprintf(s_log + s_log_len, sizeof(s_log) - s_log_len, "%s %02x %u:%.*s\n",
                   ev == MG_EV_WS_MSG ? "MSG" : "CTL", (unsigned) m->flags,
                   (unsigned) m->data.len, (int) (m->data.len > 200 ? 200 : m->data.len),
                   m->data.buf);
  if (n > 0 && s_log_len + (size_t) n < sizeof(s_log)) s_log_len += (size_t) n;
}

// Upgrades every request; echoes every message with its opcode.
void ws_echo(struct mg_connection *c, int ev, void *ev_data) {
  if (c == NULL) return;
  if (ev == MG_EV_HTTP_MSG) {
    mgx_ws_upgrade(c, (struct mg_http_message *) ev_data, s_extra, strlen(s_extra));
  } else if (ev == MG_EV_WS_MSG) {
    struct mg_ws_message *m = (struct mg_ws_message *) ev_data;
    logf_ws(ev, m);
    mgx_ws_send(c, m->data.buf, m->data.len, (int) (m->flags & 15));
  } else if (ev == MG_EV_WS_CTL) {
    logf_ws(ev, (struct mg_ws_message *) ev_data);
  }
}

static const char s_upgrade[] =
    "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

uint32_t server(void) {
  uint32_t id = fake_http_server(&s_mgr, ws_echo);
  s_log_len = 0;
  s_log[0] = '\0';
  if (!fake_feeds(s_mgr, id, s_upgrade)) return 0;
  fake_out_clear(id);
  return id;
}

// A client frame: masked with a fixed key.
size_t frame(unsigned char *out, unsigned b0, const void *data, size_t len, bool masked) {
  static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  size_t n = 2, i;
  out[0] = (unsigned char) b0;
  if (len < 126) {
    out[1] = (unsigned char) len;
  } else if (len < 65536) {
    out[1] = 126, out[2] = (unsigned char) (len >> 8), out[3] = (unsigned char) len, n = 4;
  } else {
    out[1] = 127;
    for (i = 0; i < 8; i++) out[2 + i] = (unsigned char) ((uint64_t) len >> (56 - 8 * i));
    n = 10;
  }
  if (masked) {
    out[1] |= 0x80;
    memcpy(out + n, key, 4);
    n += 4;
  }
  for (i = 0; i < len; i++) {
    out[n + i] = (unsigned char) (((const unsigned char *) data)[i] ^ (masked ? key[i & 3] : 0));
  }
  return n + len;
}

bool send_frame(uint32_t id, unsigned b0, const char *s) {
  unsigned char buf[512];
  size_t n = frame(buf, b0, s, strlen(s), true);
  return fake_feed(s_mgr, id, buf, n, 0);
}

// The first close frame in the connection's output: its code, or -1.
int close_code_out(uint32_t id) {
  const unsigned char *o = (const unsigned char *) fake_out(id);
  size_t len = fake_out_len(id), i = 0;
  while (i + 2 <= len) {
    size_t pl = o[i + 1] & 127, h = 2;
    if (pl == 126) pl = (size_t) o[i + 2] << 8 | o[i + 3], h = 4;
    if (pl == 127) return -1;
    if ((o[i] & 15) == 8) return pl >= 2 ? (o[i + h] << 8 | o[i + h + 1]) : 1005;
    i += h + pl;
  }
  return -1;
}

// SHA-1 and base64 themselves are tested in test_util.c.
static void sha1_and_base64(void) {
  char accept[29] = {0};
  mg_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);  // RFC 6455 section 1.3
  ASSERT_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void utf8(void) {
  ASSERT(mg_ws_utf8_ok((const unsigned char *) "", 0));
  ASSERT(mg_ws_utf8_ok((const unsigned char *) "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc", 15));
  ASSERT(mg_ws_utf8_ok((const unsigned char *) "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11));
  ASSERT(mg_ws_utf8_ok((const unsigned char *) "\xf4\x8f\xbf\xbf", 4));   // U+10FFFF
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\xf4\x90\x80\x80", 4));  // over U+10FFFF
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\xed\xa0\x80", 3));      // surrogate
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\xc0\xaf", 2));          // overlong
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\xe0\x80\xaf", 3));      // overlong
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "abcdefghij\xce", 11));   // truncated
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\x80", 1));
  ASSERT(!mg_ws_utf8_ok((const unsigned char *) "\xff", 1));
}

static void parse_lengths_and_errors(void) {
  static unsigned char b[80000];
  unsigned char b0;
  const unsigned char *mask;
  size_t hl;
  uint64_t pl;
  size_t n = frame(b, 0x82, b + 20000, 125, true);
  ASSERT_INT(mg_ws_parse_frame(b, n, 1 << 20, &hl, &pl, &b0, &mask), 131);
  ASSERT_INT(hl, 6);
  ASSERT(mask == b + 2);
  n = frame(b, 0x82, b + 20000, 126, false);
  ASSERT_INT(mg_ws_parse_frame(b, n, 1 << 20, &hl, &pl, &b0, &mask), 130);
  ASSERT_INT(hl, 4);
  ASSERT(mask == NULL);
  ASSERT_INT(mg_ws_parse_frame(b, n - 1, 1 << 20, &hl, &pl, &b0, &mask), 0);
  ASSERT_INT(mg_ws_parse_frame(b, 3, 1 << 20, &hl, &pl, &b0, &mask), 0);
  n = frame(b, 0x81, b + 10000, 65536, false);
  ASSERT_INT(mg_ws_parse_frame(b, n, 1 << 20, &hl, &pl, &b0, &mask), 65546);
  ASSERT_INT(pl, 65536);
  ASSERT_INT(mg_ws_parse_frame(b, n, 65535, &hl, &pl, &b0, &mask), -1009);  // before the payload
  ASSERT_INT(mg_ws_parse_frame(b, 10, 65535, &hl, &pl, &b0, &mask), -1009);
  b[2] = 0x80;  // 64-bit length with the top bit set
  ASSERT_INT(mg_ws_parse_frame(b, n, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  frame(b, 0xc1, "x", 1, true);  // RSV1 on a data frame: the connection's to judge
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), 7);
  frame(b, 0xc9, "x", 1, true);  // RSV1 on a ping: never
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  frame(b, 0xa1, "x", 1, true);  // RSV2
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  frame(b, 0x83, "x", 1, true);  // reserved data opcode
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  frame(b, 0x8b, "x", 1, true);  // reserved control opcode
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  frame(b, 0x09, "x", 1, true);  // fragmented ping
  ASSERT_INT(mg_ws_parse_frame(b, 7, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  n = frame(b, 0x89, b + 1000, 126, true);  // ping over 125
  ASSERT_INT(mg_ws_parse_frame(b, n, 1 << 20, &hl, &pl, &b0, &mask), -1002);
  n = frame(b, 0x89, b + 1000, 125, true);  // a big ping is not "too big" under a small max
  ASSERT_INT(mg_ws_parse_frame(b, n, 10, &hl, &pl, &b0, &mask), 131);
}

static void server_handshake(void) {
  uint32_t id = fake_http_server(&s_mgr, ws_echo);
  struct mg_connection *c;
  ASSERT(fake_feeds(s_mgr, id, s_upgrade));
  ASSERT_STR(fake_out(id),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  ASSERT_HAS(fake_events(id), "MSG GET /chat");
  ASSERT_HAS(fake_events(id), "WS_OPEN\n");
  c = fake_conn(id);
  ASSERT(c->flags & MG_F_WEBSOCKET);
  ASSERT(!(c->flags & MG_F_HTTP));
  ASSERT_STR(mgx_req_uri(c), "/chat");
  ASSERT_INT(mgx_ws_open_count(s_mgr), 1);
  mgx_mgr_free(s_mgr);
}

static void server_subprotocol_and_early_frames(void) {
  unsigned char buf[1024];
  size_t n = strlen(s_upgrade);
  uint32_t id = fake_http_server(&s_mgr, ws_echo);
  s_log_len = 0;
  s_extra = "Sec-WebSocket-Protocol: chat\r\n";
  memcpy(buf, s_upgrade, n);
  n += frame(buf + n, 0x81, "early", 5, true);  // in the same read as the request
  ASSERT(fake_feed(s_mgr, id, buf, n, 0));
  s_extra = "";
  ASSERT_HAS(fake_out(id), "Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x05" "early");
  ASSERT_STR(s_log, "MSG 81 5:early\n");
  mgx_mgr_free(s_mgr);
}

static void server_refuses_bad_upgrades(void) {
  static const char *bad[] = {
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",  // no key
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: short==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  };
  size_t i;
  uint32_t id;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    id = fake_http_server(&s_mgr, ws_echo);
    ASSERT(fake_feeds(s_mgr, id, bad[i]));
    ASSERT(strncmp(fake_out(id), "HTTP/1.1 400 ", 13) == 0);
    ASSERT_HAS(fake_out(id), "Connection: close\r\n");
    ASSERT_NOT_HAS(fake_events(id), "WS_OPEN");
    ASSERT_INT(fake_closes(id), 1);
    mgx_mgr_free(s_mgr);
  }
  id = fake_http_server(&s_mgr, ws_echo);
  ASSERT(fake_feeds(s_mgr, id,
                    "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"));
  ASSERT(strncmp(fake_out(id), "HTTP/1.1 426 ", 13) == 0);
  ASSERT_HAS(fake_out(id), "Sec-WebSocket-Version: 13\r\n");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void server_echo_lengths(void) {
  static unsigned char big[70000], in[70100];
  size_t sizes[] = {0, 125, 126, 65535, 65536, 70000}, i, n;
  uint32_t id = server();
  for (i = 0; i < sizeof(big); i++) big[i] = (unsigned char) ('a' + i % 26);
  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    const unsigned char *o;
    fake_out_clear(id);
    n = frame(in, 0x82, big, sizes[i], true);
    ASSERT(fake_feed(s_mgr, id, in, n, 1000));  // split in pieces
    o = (const unsigned char *) fake_out(id);
    ASSERT_INT(fake_out_len(id), n - 4);  // the same frame, unmasked
    ASSERT_INT(o[0], 0x82);
    ASSERT(memcmp(o + (n - 4 - sizes[i]), big, sizes[i]) == 0);
  }
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  mgx_mgr_free(s_mgr);
}

static void server_fragments_with_ping_between(void) {
  uint32_t id = server();
  ASSERT(send_frame(id, 0x01, "Hel"));
  ASSERT(send_frame(id, 0x89, "ping!"));
  ASSERT(send_frame(id, 0x00, "lo, "));
  ASSERT(send_frame(id, 0x80, "world"));
  ASSERT_STR(s_log, "CTL 89 5:ping!\nMSG 81 12:Hello, world\n");
  // The pong (same payload) went out before the echo of the message.
  ASSERT(memcmp(fake_out(id), "\x8a\x05ping!\x81\x0cHello, world", 21) == 0);
  mgx_mgr_free(s_mgr);
}

static void server_close_echoed(void) {
  uint32_t id = server();
  ASSERT(send_frame(id, 0x88, "\x03\xe8" "bye"));
  ASSERT_STR(s_log, "CTL 88 5:\x03\xe8" "bye\n");
  ASSERT_INT(close_code_out(id), 1000);
  ASSERT(memcmp(fake_out(id), "\x88\x05\x03\xe8" "bye", 7) == 0);  // the reason too
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void server_close_initiated(void) {
  uint32_t id = server();
  struct mg_connection *c = fake_conn(id);
  ASSERT_INT(mgx_ws_close(c, 1001, "going away", 10), 1);
  mgx_flush(s_mgr);
  ASSERT(memcmp(fake_out(id), "\x88\x0c\x03\xe9going away", 14) == 0);
  ASSERT_INT(mgx_ws_send(c, "x", 1, 1), 0);  // no data after our close
  ASSERT_INT(mgx_ws_open_count(s_mgr), 0);
  ASSERT_INT(fake_closes(id), 0);  // waits for the peer's close
  ASSERT(send_frame(id, 0x88, "\x03\xe9"));
  ASSERT_INT(fake_closes(id), 1);
  ASSERT_INT(fake_out_len(id), 14);  // not echoed twice
  mgx_mgr_free(s_mgr);
}

static void server_close_wait_times_out(void) {
  uint32_t id = server();
  fake_now = 1000;
  ASSERT_INT(mgx_ws_close(fake_conn(id), 1000, "", 0), 1);
  mgx_flush(s_mgr);
  fake_now = 1000 + 9999;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 0);
  fake_now = 1000 + 10000;
  mgx_poll(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
}

static void server_idle_frees_buffers(void) {
  uint32_t id = server();
  struct mg_connection *c = fake_conn(id);
  ASSERT(send_frame(id, 0x81, "hello"));
  ASSERT(c->send.buf != NULL || c->recv.buf != NULL);
  fake_now += 999;
  mgx_poll(s_mgr);
  ASSERT(c->send.buf != NULL || c->recv.buf != NULL);
  fake_now += 1;
  mgx_poll(s_mgr);
  ASSERT(c->recv.buf == NULL && c->send.buf == NULL);
  ASSERT(send_frame(id, 0x81, "again"));  // and they come back when needed
  ASSERT_HAS(s_log, "MSG 81 5:again\n");
  mgx_mgr_free(s_mgr);
}

struct fail_case {
  const char *frame;
  size_t len;
  bool masked;
  int code;
};

static void server_failures(void) {
  static const struct fail_case cases[] = {
      {"\x81\x02hi", 4, false, 1002},          // unmasked client frame
      {"\xc1\x02hi", 4, true, 1002},           // RSV1 without an extension
      {"\x83\x02hi", 4, true, 1002},           // reserved opcode
      {"\x80\x02hi", 4, true, 1002},           // continuation with nothing to continue
      {"\x81\x02\xce\xba", 4, true, 1000},     // valid UTF-8 (no failure: echoed)
      {"\x81\x02\xc0\xaf", 4, true, 1007},     // overlong UTF-8
      {"\x88\x01x", 3, true, 1002},            // 1-byte close payload
      {"\x88\x02\x03\xed", 4, true, 1002},     // close code 1005 on the wire
      {"\x88\x02\x03\xe7", 4, true, 1002},     // close code 999
      {"\x88\x04\x03\xe8\xc0\xaf", 6, true, 1007},  // close reason not UTF-8
      {"\x8a\x02hi", 4, true, 1000},           // unsolicited pong: ignored
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    unsigned char buf[64];
    size_t n;
    uint32_t id = server();
    n = frame(buf, (unsigned char) cases[i].frame[0], cases[i].frame + 2,
              (unsigned char) cases[i].frame[1], cases[i].masked);
    ASSERT(fake_feed(s_mgr, id, buf, n, 0));
    if (cases[i].code == 1000) {
      ASSERT_INT(close_code_out(id), -1);
      ASSERT_INT(fake_closes(id), 0);
    } else {
      if (close_code_out(id) != cases[i].code) printf("  case %u\n", (unsigned) i);
      ASSERT_INT(close_code_out(id), cases[i].code);
      ASSERT_INT(fake_closes(id), 1);
      ASSERT_HAS(fake_events(id), "ERROR WebSocket");
    }
    mgx_mgr_free(s_mgr);
  }
}

static void server_fragment_rules(void) {
  uint32_t id = server();
  ASSERT(send_frame(id, 0x01, "a"));
  ASSERT(send_frame(id, 0x81, "b"));  // a new message inside a fragmented one
  ASSERT_INT(close_code_out(id), 1002);
  mgx_mgr_free(s_mgr);
  id = server();
  ASSERT(send_frame(id, 0x01, "\xce"));  // split inside a character: fine so far
  ASSERT(send_frame(id, 0x80, "\xba"));
  ASSERT_STR(s_log, "MSG 81 2:\xce\xba\n");
  ASSERT(send_frame(id, 0x01, "ok"));
  ASSERT(send_frame(id, 0x00, "\xed\xa0"));  // surrogate: fails before the end
  ASSERT_INT(close_code_out(id), 1007);
  mgx_mgr_free(s_mgr);
}

// Text checked as it arrives, even inside a frame still incomplete.
static void server_utf8_fails_fast(void) {
  static const char text[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80 ok";
  unsigned char in[300], bad[200];
  size_t n = frame(in, 0x81, text, sizeof(text) - 1, true);
  uint32_t id = server();
  ASSERT(fake_feed(s_mgr, id, in, n, 1));  // one byte at a time: valid all along
  ASSERT_INT(close_code_out(id), -1);
  ASSERT(strstr(s_log, "MSG 81 19:") != NULL);
  mgx_mgr_free(s_mgr);
  // 200 bytes announced; the third is not UTF-8: fails before the rest.
  memset(bad, 'a', sizeof(bad));
  bad[2] = 0xff;
  n = frame(in, 0x81, bad, sizeof(bad), true);
  id = server();
  ASSERT(fake_feed(s_mgr, id, in, 8 + 2, 0));  // header (8) and two good bytes
  ASSERT_INT(close_code_out(id), -1);
  ASSERT(fake_feed(s_mgr, id, in + 10, 1, 0));  // the bad one
  ASSERT_INT(close_code_out(id), 1007);
  ASSERT_HAS(fake_events(id), "ERROR WebSocket 1007");
  ASSERT_INT(fake_closes(id), 1);
  mgx_mgr_free(s_mgr);
  // The same inside a fragmented message, in its second (incomplete) frame.
  id = server();
  ASSERT(send_frame(id, 0x01, "fine \xe2"));  // a character left open across frames
  n = frame(in, 0x80, "\x82\xac\xc3\x28 and more", 14, true);
  ASSERT(fake_feed(s_mgr, id, in, 6 + 3, 0));
  ASSERT_INT(close_code_out(id), -1);
  ASSERT(fake_feed(s_mgr, id, in + 9, 1, 0));  // not a continuation byte after \xc3
  ASSERT_INT(close_code_out(id), 1007);
  mgx_mgr_free(s_mgr);
  // A binary frame is never checked.
  n = frame(in, 0x82, bad, sizeof(bad), true);
  id = server();
  ASSERT(fake_feed(s_mgr, id, in, n, 7));
  ASSERT_INT(close_code_out(id), -1);
  ASSERT_HAS(s_log, "MSG 82 200:");
  mgx_mgr_free(s_mgr);
}

static void server_message_limit(void) {
  static unsigned char big[3000], in[3100];
  uint32_t id = server();
  size_t n;
  mgx_ws_set_limit(s_mgr, 2000);
  n = frame(in, 0x02, big, 1500, true);
  ASSERT(fake_feed(s_mgr, id, in, n, 0));
  ASSERT_INT(close_code_out(id), -1);
  n = frame(in, 0x80, big, 501, true);  // 2001 in all
  ASSERT(fake_feed(s_mgr, id, in, 8, 0));  // the header alone fails it
  ASSERT_INT(close_code_out(id), 1009);
  mgx_mgr_free(s_mgr);
  id = server();
  mgx_ws_set_limit(s_mgr, 2000);
  n = frame(in, 0x82, big, 2000, true);
  ASSERT(fake_feed(s_mgr, id, in, n, 0));
  ASSERT_HAS(s_log, "MSG 82 2000:");
  mgx_mgr_free(s_mgr);
}

static void server_backpressure_holds_input(void) {
  static unsigned char big[10000], in[10100];
  uint32_t id = server();
  size_t n = frame(in, 0x82, big, sizeof(big), true), fed = 0;
  fake_set_budget(id, 0);  // the peer reads nothing
  // Echoes pile up past the mark (MG_SEND_HIGH); then input is held
  // unparsed, and the receive buffer fills to its held cap: the host would
  // pause the socket, so the sender is paused too.
  while (fed < 200 && fake_feed(s_mgr, id, in, n, 0)) fed++;
  ASSERT(fed < 200);
  ASSERT(fake_conn(id)->flags & MG_F_OUT_HELD);
  ASSERT(fake_conn(id)->flags & MG_F_FULL);
  ASSERT(fake_conn(id)->recv.len > 0);
  fake_set_budget(id, (size_t) -1);
  mgx_writable(fake_conn(id));
  mgx_flush(s_mgr);
  mgx_flush(s_mgr);
  ASSERT_INT(fake_conn(id)->recv.len, 0);
  ASSERT_INT(fake_out_len(id), fed * (n - 4));  // every message echoed once
  mgx_mgr_free(s_mgr);
}

// ---- client ------------------------------------------------------------------

static struct mg_connection *client(void) {
  struct mg_connection *c;
  static const char head[] = "GET /ws?x=1 HTTP/1.1\r\nHost: example\r\n";
  s_mgr = mgx_mgr_new();
  c = mgx_conn_new(s_mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
  fake_bind(c);
  fake_handler = ws_echo;
  s_log_len = 0;
  s_log[0] = '\0';
  mgx_open(c);
  if (mgx_ws_connect(c, head, sizeof(head) - 1) != 1) return NULL;
  mgx_resolved(c);
  mgx_connected(c);
  mgx_flush(s_mgr);
  return c;
}

void client_answer(struct mg_connection *c, char *out) {
  char key[25] = {0}, acc[29] = {0};
  mg_base64_encode(c->ws_nonce, 16, key);
  mg_ws_accept_key(key, 24, acc);
  sprintf(out,
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: %s\r\n\r\n",
          acc);
}

static void client_handshake_and_masking(void) {
  struct mg_connection *c = client();
  uint32_t id;
  char ans[256];
  const unsigned char *o;
  ASSERT(c != NULL);
  id = c->id;
  ASSERT(strncmp(fake_out(id), "GET /ws?x=1 HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\n", 57) == 0);
  ASSERT_HAS(fake_out(id), "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ");
  ASSERT_INT(mgx_ws_send(c, "x", 1, 1), 0);  // not open yet
  client_answer(c, ans);
  strcat(ans, "\x81\x03hey");  // a frame in the same read
  fake_out_clear(id);
  ASSERT(fake_feeds(s_mgr, id, ans));
  ASSERT_HAS(fake_events(id), "WS_OPEN\n");
  ASSERT_STR(s_log, "MSG 81 3:hey\n");
  // The echo went out masked.
  o = (const unsigned char *) fake_out(id);
  ASSERT_INT(fake_out_len(id), 9);
  ASSERT_INT(o[0], 0x81);
  ASSERT_INT(o[1], 0x83);
  ASSERT_INT(o[6] ^ o[2], 'h');
  ASSERT_INT(o[8] ^ o[4], 'y');
  ASSERT_STR(mgx_req_uri(c), "/ws?x=1");
  // Two frames never share a mask key.
  fake_out_clear(id);
  ASSERT(mgx_ws_send(c, "aaaa", 4, 2) == 10 && mgx_ws_send(c, "aaaa", 4, 2) == 10);
  o = (const unsigned char *) fake_out(id);
  mgx_flush(s_mgr);
  o = (const unsigned char *) fake_out(id);
  ASSERT(memcmp(o + 2, o + 12, 4) != 0);
  // A masked frame from the server fails the connection.
  ASSERT(fake_feed(s_mgr, id, "\x81\x81\x01\x02\x03\x04x", 7, 0));
  ASSERT_HAS(fake_events(id), "ERROR WebSocket 1002: masked server frame");
  mgx_mgr_free(s_mgr);
}

static void client_rejects_bad_answers(void) {
  const char *answers[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",  // not our key
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
      "garbage\r\n\r\n",
  };
  size_t i;
  for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
    struct mg_connection *c = client();
    uint32_t id;
    ASSERT(c != NULL);
    id = c->id;
    ASSERT(fake_feeds(s_mgr, id, answers[i]));
    ASSERT_HAS(fake_events(id), "ERROR WebSocket handshake");
    ASSERT_NOT_HAS(fake_events(id), "WS_OPEN");
    ASSERT_INT(fake_closes(id), 1);
    mgx_mgr_free(s_mgr);
  }
}

void suite_ws(void) {
  RUN(sha1_and_base64);
  RUN(utf8);
  RUN(parse_lengths_and_errors);
  RUN(server_handshake);
  RUN(server_subprotocol_and_early_frames);
  RUN(server_refuses_bad_upgrades);
  RUN(server_echo_lengths);
  RUN(server_fragments_with_ping_between);
  RUN(server_close_echoed);
  RUN(server_close_initiated);
  RUN(server_close_wait_times_out);
  RUN(server_idle_frees_buffers);
  RUN(server_failures);
  RUN(server_fragment_rules);
  RUN(server_utf8_fails_fast);
  RUN(server_message_limit);
  RUN(server_backpressure_holds_input);
  RUN(client_handshake_and_masking);
  RUN(client_rejects_bad_answers);
  suite_ws_deflate();
}
