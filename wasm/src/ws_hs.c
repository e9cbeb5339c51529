// ws_hs.c: the WebSocket opening handshake (RFC 6455 section 4), both sides.
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "fmt.h"
#include "hash.h"
#include "netif.h"
#include "ws.h"

static const char s_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void mg_ws_accept_key(const char *key, size_t key_len, char out[28]) {
  struct mg_sha1_ctx s;
  unsigned char d[20];
  mg_sha1_init(&s);
  mg_sha1_update(&s, key, key_len);
  mg_sha1_update(&s, s_guid, sizeof(s_guid) - 1);
  mg_sha1_final(&s, d);
  mg_base64_encode(d, sizeof(d), out);
}

// Header `name`: its value in *out when it appears exactly once.
static int header_once(struct mg_http_message *hm, const char *name, struct mg_str *out) {
  uint32_t i;
  int n = 0;
  for (i = 0; i < hm->num_headers; i++) {
    if (mg_str_ieq(hm->headers[i].name, name)) *out = hm->headers[i].value, n++;
  }
  return n;
}

// Some header `name` lists `token` (comma-separated, any case).
static bool has_token(struct mg_http_message *hm, const char *name, const char *token) {
  uint32_t i;
  for (i = 0; i < hm->num_headers; i++) {
    if (mg_str_ieq(hm->headers[i].name, name) && mg_str_has_token(hm->headers[i].value, token)) {
      return true;
    }
  }
  return false;
}

// A Sec-WebSocket-Key: base64 of 16 bytes, i.e. 22 base64 characters + "==".
static bool key_ok(struct mg_str k) {
  size_t i;
  if (k.len != 24 || k.buf[22] != '=' || k.buf[23] != '=') return false;
  for (i = 0; i < 22; i++) {
    char ch = k.buf[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          ch == '+' || ch == '/')) {
      return false;
    }
  }
  return true;
}

// 0 when `hm` is a valid upgrade request (key in *key), else the status.
static int check_request(struct mg_http_message *hm, struct mg_str *key) {
  struct mg_str v;
  if (!mg_str_ieq(hm->method, "GET") || !mg_str_ieq(hm->proto, "HTTP/1.1")) return 400;
  if (!has_token(hm, "Upgrade", "websocket") || !has_token(hm, "Connection", "upgrade")) {
    return 400;
  }
  if (header_once(hm, "Sec-WebSocket-Version", &v) != 1 || !mg_str_ieq(mg_str_trim(v), "13")) {
    return 426;
  }
  if (header_once(hm, "Sec-WebSocket-Key", key) != 1) return 400;
  *key = mg_str_trim(*key);
  return key_ok(*key) ? 0 : 400;
}

static void refuse(struct mg_connection *c, int status) {
  static const char v13[] = "Sec-WebSocket-Version: 13\r\n";
  char body[48];
  size_t n = mg_snprintf(body, sizeof(body), "%s\n",
                         status == 426 ? "WebSocket version 13 required"
                                       : status == 400 ? "Bad WebSocket upgrade request"
                                                       : mg_http_status_text(status));
  c->flags |= MG_F_RESP_CLOSE;  // never a half-open socket: answer, then close
  mg_http_reply(c, status, status == 426 ? v13 : "", status == 426 ? sizeof(v13) - 1 : 0, body, n);
}

// 0 (and the key) when `hm` may be upgraded now, else the refusal status
// (400, 426; 503 while the manager shuts down).
static int upgrade_status(struct mg_connection *c, struct mg_http_message *hm, struct mg_str *key) {
  int status = check_request(hm, key);
  if (status == 0 && c->mgr->shutdown_status != 0) status = 503;
  return status;
}

// Queue the 101 answer for `key` with the header lines `ext` and `extra`;
// false when out of memory.
static bool send_101(struct mg_connection *c, struct mg_str key, const char *ext, size_t ext_len,
                     const char *extra, size_t extra_len) {
  static const char head[] =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  char accept[28];
  mg_ws_accept_key(key.buf, key.len, accept);
  return mg_iobuf_reserve(&c->send, sizeof(head) + 32 + ext_len + extra_len) &&
         mg_send(c, head, sizeof(head) - 1) && mg_send(c, accept, sizeof(accept)) &&
         mg_send(c, "\r\n", 2) && mg_send(c, ext, ext_len) && mg_send(c, extra, extra_len) &&
         mg_send(c, "\r\n", 2);
}

int mgx_ws_upgrade(struct mg_connection *c, struct mg_http_message *hm, const char *extra,
                   size_t extra_len) {
  struct mg_str key;
  char ext[160];
  int status;
  if ((c->flags & (MG_F_CLIENT | MG_F_CLOSING | MG_F_DRAINING | MG_F_FINAL | MG_F_CLOSE_SENT |
                   MG_F_RESP_STARTED)) ||
      (c->flags & (MG_F_HTTP | MG_F_REQ_PENDING)) != (MG_F_HTTP | MG_F_REQ_PENDING) || hm == NULL) {
    return 0;
  }
  status = upgrade_status(c, hm, &key);
  if (status != 0) {
    refuse(c, status);
    return 0;
  }
  mg_ws_pmd_accept(c, hm, ext, sizeof(ext));
  if (!send_101(c, key, ext, strlen(ext), extra, extra_len)) {
    mg_close_conn(c);
    return 0;
  }
  // The request was answered; from here on the stream speaks WebSocket.
  // req_uri is kept: shutdown reports name the WebSocket by it.
  c->mgr->completed++;
  c->flags &= ~(MG_F_HTTP | MG_F_REQ_PENDING | MG_F_RESP_STARTED | MG_F_CHUNKED_OUT | MG_F_HEAD |
                MG_F_RESP_CLOSE);
  c->hflags = 0;
  c->flags |= MG_F_WEBSOCKET | MG_F_PARSE_PENDING;  // frames behind the request: at the flush
  c->pfn = mg_ws_ev;
  c->ws_state = MG_WS_FRESH;
  c->ws_frag_len = 0;
  c->ws_frag_op = 0;
  c->ws_frag_z = 0;
  mg_mark_dirty(c);
  mg_call(c, MG_EV_WS_OPEN, hm);
  return 1;
}

int mg_ws_accept_carrier(struct mg_connection *c, struct mg_http_message *hm, const char *extra,
                         size_t extra_len) {
  struct mg_str key;
  int status = upgrade_status(c, hm, &key);
  if (status != 0) return status;
  if (!send_101(c, key, "", 0, extra, extra_len)) return 503;
  // The request target names the connection in shutdown reports.
  {
    size_t n = hm->uri.len < MG_URI_MAX ? hm->uri.len : MG_URI_MAX;
    memcpy(c->req_uri, hm->uri.buf, n);
    c->req_uri[n] = '\0';
  }
  c->flags |= MG_F_WEBSOCKET;
  c->ws_state = MG_WS_FRESH | MG_WS_CARRIER;
  c->ws_frag_len = 0;
  c->ws_frag_op = 0;
  c->ws_frag_z = 0;
  return 0;
}

int mgx_ws_connect(struct mg_connection *c, const char *head, size_t head_len) {
  static const char up[] =
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ";
  char key[24];
  size_t i, n = 0, offer = (c->ws_pmd & MG_PMD_ALLOW) ? strlen(mg_ws_pmd_offer) : 0;
  if (!(c->flags & MG_F_CLIENT) || (c->flags & (MG_F_HTTP | MG_F_WEBSOCKET)) || c->pfn != NULL ||
      c->ws_state != 0) {
    return 0;
  }
  host_random(c->ws_nonce, sizeof(c->ws_nonce));
  mg_base64_encode(c->ws_nonce, sizeof(c->ws_nonce), key);
  if (!mg_iobuf_reserve(&c->send, head_len + sizeof(up) + 32 + offer) || !mg_send(c, head, head_len) ||
      !mg_send(c, mg_ws_pmd_offer, offer) || !mg_send(c, up, sizeof(up) - 1) ||
      !mg_send(c, key, sizeof(key)) || !mg_send(c, "\r\n\r\n", 4)) {
    return 0;
  }
  // The request target, for shutdown reports ("GET <target> HTTP/1.1").
  for (i = 4; i < head_len && head[i] != ' ' && n < MG_URI_MAX; i++) c->req_uri[n++] = head[i];
  c->req_uri[n] = '\0';
  c->pfn = mg_ws_ev;
  c->ws_state = MG_WS_HANDSHAKE;
  return 1;
}

// Client: the server's answer to the upgrade, at the front of c->recv.
void mg_ws_client_answer(struct mg_connection *c) {
  const struct mg_limits *lim = &c->mgr->limits;
  struct mg_http_message hm;
  struct mg_str v;
  const char *why;
  char key[24], want[28];
  int n = mg_http_parse((const char *) c->recv.buf, c->recv.len, &hm, lim->max_header_size,
                        lim->max_headers);
  if (n == 0) return;
  if (n < 0 || hm.method.len < 5 || memcmp(hm.method.buf, "HTTP/", 5) != 0) {
    mg_error(c, "%s", "WebSocket handshake: bad HTTP response");
    return;
  }
  if (mg_http_status(&hm) != 101) {
    mg_error(c, "WebSocket handshake: HTTP %d instead of 101", mg_http_status(&hm));
    return;
  }
  mg_base64_encode(c->ws_nonce, sizeof(c->ws_nonce), key);
  mg_ws_accept_key(key, sizeof(key), want);
  if (!has_token(&hm, "Upgrade", "websocket") || !has_token(&hm, "Connection", "upgrade")) {
    mg_error(c, "%s", "WebSocket handshake: no Upgrade: websocket / Connection: Upgrade");
    return;
  }
  if (header_once(&hm, "Sec-WebSocket-Accept", &v) != 1 || mg_str_trim(v).len != 28 ||
      memcmp(mg_str_trim(v).buf, want, 28) != 0) {
    mg_error(c, "%s", "WebSocket handshake: wrong Sec-WebSocket-Accept");
    return;
  }
  if ((why = mg_ws_pmd_answer(c, &hm)) != NULL) {
    mg_error(c, "WebSocket handshake: %s", why);
    return;
  }
  c->ws_state = (uint8_t) (MG_WS_FRESH | (c->ws_state & MG_WS_CARRIER));
  c->flags |= MG_F_WEBSOCKET;
  if (c->ws_state & MG_WS_CARRIER) {
    c->pfn(c, MG_EV_X_WS_OPEN, &hm);  // the carried protocol checks the answer, the host sees nothing
  } else {
    mg_call(c, MG_EV_WS_OPEN, &hm);
  }
  if (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) return;
  mg_iobuf_del(&c->recv, 0, (size_t) n);
  mg_recv_shrunk(c);
}
