// test_ws_deflate.c: permessage-deflate (RFC 7692) in the core
// (ws_deflate.c and ws.c's RSV1 handling): the negotiation on both sides and
// compressed frames, with host_fake.c's stand-in for zlib (its "inflate"
// copies; the bytes themselves are tested against `ws` in
// tests/ws-deflate.test.ts). Run from suite_ws().
#include "../src/base64.h"
#include "../src/ws.h"
#include "host_fake.h"
#include "test.h"
#include "test_ws.h"

// Upgrades with permessage-deflate allowed; echoes like ws_echo.
static void ws_pmd_echo(struct mg_connection *c, int ev, void *ev_data) {
  if (c != NULL && ev == MG_EV_HTTP_MSG) mgx_ws_deflate_allow(c, 1);
  ws_echo(c, ev, ev_data);
}

// The 101 for an upgrade offering `ext` ("" for no header).
static uint32_t pmd_server(const char *ext) {
  char req[512];
  uint32_t id = fake_http_server(&s_mgr, ws_pmd_echo);
  s_log_len = 0;
  s_log[0] = '\0';
  snprintf(req, sizeof(req),
           "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
           ext);
  if (!fake_feeds(s_mgr, id, req)) return 0;
  return id;
}

static void pmd_negotiation(void) {
  static const struct {
    const char *offer, *answer;
  } cases[] = {
      {"Sec-WebSocket-Extensions: permessage-deflate\r\n", "permessage-deflate\r\n"},
      {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
       "permessage-deflate\r\n"},
      {"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
       "client_no_context_takeover; server_max_window_bits=10\r\n",
       "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
       "server_max_window_bits=10\r\n"},
      // Unknown extensions, bad or repeated parameters and a window we cannot
      // keep are declined; the next acceptable offer is taken.
      {"Sec-WebSocket-Extensions: x-webkit-deflate-frame, permessage-deflate; bogus, "
       "permessage-deflate; server_max_window_bits=8, permessage-deflate; "
       "server_max_window_bits=16, permessage-deflate; client_no_context_takeover; "
       "client_no_context_takeover, permessage-deflate; server_max_window_bits=\"9\"\r\n",
       "permessage-deflate; server_max_window_bits=9\r\n"},
      {"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits\r\n", NULL},
      {"Sec-WebSocket-Extensions: foo\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
       "permessage-deflate\r\n"},
      {"", NULL},
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint32_t id = pmd_server(cases[i].offer);
    ASSERT_HAS(fake_out(id), "HTTP/1.1 101 ");
    if (cases[i].answer == NULL) {
      ASSERT_NOT_HAS(fake_out(id), "Sec-WebSocket-Extensions");
      ASSERT_INT(mgx_ws_deflate_state(fake_conn(id)) & MG_PMD_ON, 0);
    } else {
      char want[256];
      snprintf(want, sizeof(want), "Sec-WebSocket-Extensions: %s", cases[i].answer);
      ASSERT_HAS(fake_out(id), want);
      ASSERT(mgx_ws_deflate_state(fake_conn(id)) & MG_PMD_ON);
    }
    mgx_mgr_free(s_mgr);
  }
  // Not allowed by the host (the default): every offer is declined.
  {
    uint32_t id = server();
    ASSERT_NOT_HAS(fake_out(id), "Extensions");
    mgx_mgr_free(s_mgr);
  }
  {  // what was agreed, for the host: bits 8.. = our window
    uint32_t id = pmd_server("Sec-WebSocket-Extensions: permessage-deflate; "
                             "server_no_context_takeover; server_max_window_bits=12\r\n");
    ASSERT_INT(mgx_ws_deflate_state(fake_conn(id)), MG_PMD_ON | MG_PMD_OUT_NCT | 12 << 8);
    mgx_mgr_free(s_mgr);
  }
}

// A server connection with permessage-deflate agreed, its output cleared.
static uint32_t pmd_open(void) {
  uint32_t id = pmd_server("Sec-WebSocket-Extensions: permessage-deflate\r\n");
  fake_out_clear(id);
  return id;
}

static void pmd_frames(void) {
  unsigned char in[300], big[300];
  size_t n;
  uint32_t id = pmd_open();
  int frees = fake_zfrees;
  fake_out_clear(id);
  ASSERT(send_frame(id, 0xc1, "packed"));  // RSV1: "inflated" by the host, then delivered
  ASSERT(send_frame(id, 0x41, "fr"));      // compressed, fragmented (RSV1 on the first only)
  ASSERT(send_frame(id, 0x89, "p"));
  ASSERT(send_frame(id, 0x80, "ag"));
  ASSERT(send_frame(id, 0x81, "plain"));   // uncompressed messages stay fine
  ASSERT_STR(s_log, "MSG 81 6:packed\nCTL 89 1:p\nMSG 81 4:frag\nMSG 81 5:plain\n");
  ASSERT_INT(close_code_out(id), -1);
  // The host sends compressed frames with op | 0x40; only data opcodes.
  fake_out_clear(id);
  ASSERT(mgx_ws_send(fake_conn(id), "zz", 2, 0x42) == 4);
  mgx_flush(s_mgr);
  ASSERT_INT((unsigned char) fake_out(id)[0], 0xc2);
  ASSERT_INT(mgx_ws_send(fake_conn(id), "zz", 2, 0x49), 0);
  ASSERT_INT(mgx_ws_send(fake_conn(id), "zz", 2, 0x40), 0);
  ASSERT(send_frame(id, 0x88, "\x03\xe8"));
  ASSERT_INT(fake_zfrees, frees + 1);  // contexts dropped at MG_EV_CLOSE
  mgx_mgr_free(s_mgr);
  // Failures: RSV1 on a continuation or a control frame (1002), bad data and
  // bad UTF-8 once inflated (1007), over the limit once inflated (1009).
  id = pmd_open();
  ASSERT(send_frame(id, 0x01, "a") && send_frame(id, 0xc0, "b"));
  ASSERT_INT(close_code_out(id), 1002);
  mgx_mgr_free(s_mgr);
  id = pmd_open();
  ASSERT(send_frame(id, 0xc9, "p"));
  ASSERT_INT(close_code_out(id), 1002);
  mgx_mgr_free(s_mgr);
  id = pmd_open();
  ASSERT(send_frame(id, 0xc2, "\xff bad data"));
  ASSERT_INT(close_code_out(id), 1007);
  mgx_mgr_free(s_mgr);
  id = pmd_open();
  ASSERT(send_frame(id, 0xc1, "\xc0\xaf"));  // compressed text is checked once inflated
  ASSERT_INT(close_code_out(id), 1007);
  mgx_mgr_free(s_mgr);
  id = pmd_open();
  mgx_ws_set_limit(s_mgr, 200);
  memset(big, 'a', sizeof(big));
  n = frame(in, 0xc2, big, 200, true);
  ASSERT(fake_feed(s_mgr, id, in, n, 0));
  ASSERT_HAS(s_log, "MSG 82 200:");
  ASSERT_INT(close_code_out(id), -1);
  mgx_mgr_free(s_mgr);
  id = pmd_open();
  mgx_ws_set_limit(s_mgr, 200);
  ASSERT(send_frame(id, 0x42, "0123456789") && send_frame(id, 0x80, "0123456789"));
  ASSERT_INT(close_code_out(id), -1);
  ASSERT(send_frame(id, 0x42, "BO") && send_frame(id, 0x80, "MB"));  // 4 bytes, 4096 inflated
  ASSERT_INT(close_code_out(id), 1009);
  ASSERT_HAS(fake_events(id), "ERROR WebSocket 1009: message too big once inflated");
  mgx_mgr_free(s_mgr);
}

static void pmd_client(void) {
  static const struct {
    const char *answer;
    unsigned state;  // 0: the handshake fails
  } cases[] = {
      {"", 1},  // declined: no compression, fine
      {"Sec-WebSocket-Extensions: permessage-deflate\r\n", MG_PMD_ON | 15 << 8},
      {"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
       "client_max_window_bits=10\r\n", MG_PMD_ON | MG_PMD_IN_NCT | 10 << 8},
      {"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n",
       MG_PMD_ON | MG_PMD_OUT_NCT | 15 << 8},
      {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", 0},
      {"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8\r\n", 0},
      {"Sec-WebSocket-Extensions: permessage-deflate; foo\r\n", 0},
      {"Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n", 0},
      {"Sec-WebSocket-Extensions: x-other\r\n", 0},
  };
  size_t i;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct mg_connection *c;
    static const char head[] = "GET / HTTP/1.1\r\nHost: h\r\n";
    char ans[512], *end;
    s_mgr = mgx_mgr_new();
    c = mgx_conn_new(s_mgr, MGX_KIND_CLIENT, MGX_PROTO_RAW, NULL);
    fake_bind(c);
    fake_handler = ws_echo;
    mgx_open(c);
    mgx_ws_deflate_allow(c, 1);
    ASSERT(mgx_ws_connect(c, head, sizeof(head) - 1) == 1);
    mgx_resolved(c);
    mgx_connected(c);
    mgx_flush(s_mgr);
    ASSERT_HAS(fake_out(c->id), "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    client_answer(c, ans);
    end = ans + strlen(ans) - 2;  // before the blank line
    strcpy(end, cases[i].answer);
    strcat(ans, "\r\n");
    {
      uint32_t id = c->id;
      ASSERT(fake_feeds(s_mgr, id, ans));
      if (cases[i].state == 0) {
        ASSERT_HAS(fake_events(id), "ERROR WebSocket handshake");
        ASSERT_INT(fake_closes(id), 1);
      } else {
        ASSERT_HAS(fake_events(id), "WS_OPEN");
        ASSERT_INT(mgx_ws_deflate_state(c), cases[i].state == 1 ? 0 : cases[i].state);
      }
    }
    mgx_mgr_free(s_mgr);
  }
}

void suite_ws_deflate(void) {
  RUN(pmd_negotiation);
  RUN(pmd_frames);
  RUN(pmd_client);
}
