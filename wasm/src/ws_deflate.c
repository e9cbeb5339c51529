// ws_deflate.c: permessage-deflate (RFC 7692) in the core: the negotiation
// (offers, answers and their parameters, section 7.1) and the delivery of
// compressed messages. The compression itself is the host's zlib
// (host_ws_inflate here; the host compresses what it sends): the core only
// moves bytes, keeps RSV1 right (ws.c) and enforces the message limit on
// the inflated size.
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "ws.h"

const char mg_ws_pmd_offer[] =
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

// One extension offer or answer, parsed.
struct pmd {
  bool snct, cnct;  // server_ / client_no_context_takeover
  int smwb;         // server_max_window_bits: 0 absent, else 8..15
  int cmwb;         // client_max_window_bits: -1 absent, 0 without a value, else 8..15
};

// The next element of the comma-separated list *s (a ',' inside a quoted
// string does not end it); false at the end of the list.
static bool next_item(struct mg_str *s, char sep, struct mg_str *item) {
  size_t i = 0;
  bool quoted = false;
  if (s->len == 0) return false;
  while (i < s->len && (quoted || s->buf[i] != sep)) {
    if (s->buf[i] == '"') quoted = !quoted;
    i++;
  }
  *item = mg_str_trim(mg_str_n(s->buf, i));
  s->buf += i < s->len ? i + 1 : i;
  s->len -= i < s->len ? i + 1 : i;
  return true;
}

// A window-bits value: 8..15, possibly quoted.
static int window_bits(struct mg_str v) {
  if (v.len >= 2 && v.buf[0] == '"' && v.buf[v.len - 1] == '"') v = mg_str_n(v.buf + 1, v.len - 2);
  if (v.len == 1 && v.buf[0] >= '8' && v.buf[0] <= '9') return v.buf[0] - '0';
  if (v.len == 2 && v.buf[0] == '1' && v.buf[1] >= '0' && v.buf[1] <= '5') return 10 + v.buf[1] - '0';
  return -1;
}

// Parse one element "permessage-deflate; param[=value]; ...": false when it
// names another extension or breaks section 7.1 (unknown or repeated
// parameter, bad value).
static bool parse(struct mg_str el, struct pmd *p) {
  struct mg_str name, part;
  bool seen_s = false, seen_c = false;
  p->snct = p->cnct = false, p->smwb = 0, p->cmwb = -1;
  if (!next_item(&el, ';', &name) || !mg_str_ieq(name, "permessage-deflate")) return false;
  while (next_item(&el, ';', &part)) {
    const char *eq = memchr(part.buf, '=', part.len);
    struct mg_str k = mg_str_trim(mg_str_n(part.buf, eq ? (size_t) (eq - part.buf) : part.len));
    struct mg_str v = eq ? mg_str_trim(mg_str_n(eq + 1, part.len - (size_t) (eq + 1 - part.buf)))
                         : mg_str_n(NULL, 0);
    if (mg_str_ieq(k, "server_no_context_takeover") && !eq && !p->snct) {
      p->snct = true;
    } else if (mg_str_ieq(k, "client_no_context_takeover") && !eq && !p->cnct) {
      p->cnct = true;
    } else if (mg_str_ieq(k, "server_max_window_bits") && eq && !seen_s) {
      seen_s = true;
      if ((p->smwb = window_bits(v)) < 0) return false;
    } else if (mg_str_ieq(k, "client_max_window_bits") && !seen_c) {
      seen_c = true;
      p->cmwb = eq ? window_bits(v) : 0;
      if (p->cmwb < 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

void mg_ws_pmd_accept(struct mg_connection *c, struct mg_http_message *hm, char *out, size_t size) {
  uint32_t i;
  bool allowed = (c->ws_pmd & MG_PMD_ALLOW) != 0;
  out[0] = '\0';
  c->ws_pmd = 0;
  if (!allowed) return;
  for (i = 0; i < hm->num_headers; i++) {
    struct mg_str list = hm->headers[i].value, el;
    struct pmd p;
    char bits[40];
    if (!mg_str_ieq(hm->headers[i].name, "Sec-WebSocket-Extensions")) continue;
    while (next_item(&list, ',', &el)) {
      // The first offer we can honour wins. zlib's raw deflate has no
      // 256-byte window: an offer that asks ours to be that small is declined.
      if (!parse(el, &p) || p.smwb == 8) continue;
      bits[0] = '\0';
      if (p.smwb) mg_snprintf(bits, sizeof(bits), "; server_max_window_bits=%d", p.smwb);
      mg_snprintf(out, size, "Sec-WebSocket-Extensions: permessage-deflate%s%s%s\r\n",
                  p.snct ? "; server_no_context_takeover" : "",
                  p.cnct ? "; client_no_context_takeover" : "", bits);
      c->ws_pmd = (uint8_t) (MG_PMD_ON | (p.snct ? MG_PMD_OUT_NCT : 0) | (p.cnct ? MG_PMD_IN_NCT : 0));
      c->ws_pmd_bits = (uint8_t) (p.smwb ? p.smwb : 15);
      return;
    }
  }
}

const char *mg_ws_pmd_answer(struct mg_connection *c, struct mg_http_message *hm) {
  uint32_t i, n = 0;
  struct mg_str v = mg_str_n(NULL, 0), el;
  struct pmd p;
  bool offered = (c->ws_pmd & MG_PMD_ALLOW) != 0;
  c->ws_pmd = 0;
  for (i = 0; i < hm->num_headers; i++) {
    if (mg_str_ieq(hm->headers[i].name, "Sec-WebSocket-Extensions")) v = hm->headers[i].value, n++;
  }
  if (n == 0) return NULL;  // declined: no compression
  if (!offered) return "extension not offered";
  if (n > 1 || !next_item(&v, ',', &el) || v.len != 0 || !parse(el, &p) || p.cmwb == 0) {
    return "bad permessage-deflate answer";
  }
  // client_max_window_bits=8: zlib's raw deflate cannot keep to 256 bytes.
  if (p.cmwb == 8) return "permessage-deflate: client_max_window_bits=8 is not supported";
  c->ws_pmd = (uint8_t) (MG_PMD_ON | (p.cnct ? MG_PMD_OUT_NCT : 0) | (p.snct ? MG_PMD_IN_NCT : 0));
  c->ws_pmd_bits = (uint8_t) (p.cmwb > 0 ? p.cmwb : 15);
  return NULL;
}

int mg_ws_inflate_deliver(struct mg_connection *c, unsigned flags, const unsigned char *p, size_t len) {
  struct mg_ws_message m;
  unsigned char *out;
  int n = host_ws_inflate(c->id, p, len, mg_ws_max(c->mgr), c->ws_pmd);
  if (n == -2) return 1009;
  if (n < 0) return 1007;
  if ((out = (unsigned char *) mg_calloc(1, (size_t) n + 1)) == NULL) return 1011;
  host_ws_inflate_take(c->id, out);
  if ((flags & 15u) == WEBSOCKET_OP_TEXT && !mg_ws_utf8_ok(out, (size_t) n)) {
    mg_free(out);
    return 1007;
  }
  m.data = mg_str_n((const char *) out, (size_t) n);
  m.flags = flags;
  mg_call(c, MG_EV_WS_MSG, &m);
  mg_free(out);
  return 0;
}

void mgx_ws_deflate_allow(struct mg_connection *c, int on) {
  if (c->flags & MG_F_WEBSOCKET) return;  // decided at the handshake
  c->ws_pmd = on ? MG_PMD_ALLOW : 0;
}

uint32_t mgx_ws_deflate_state(struct mg_connection *c) {
  return (c->flags & MG_F_WEBSOCKET) ? (uint32_t) c->ws_pmd | (uint32_t) c->ws_pmd_bits << 8 : 0;
}
