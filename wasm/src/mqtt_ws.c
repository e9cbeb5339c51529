// mqtt_ws.c: MQTT over WebSocket (MQTT 5 section 6, 3.1.1 section 6): the
// packets of an MQTT connection travel in binary WebSocket messages,
// subprotocol "mqtt". A packet may span several messages and a message may
// hold several packets, so the messages are one byte stream to the MQTT
// parser, exactly as TCP is.
//
// The connection keeps mg_mqtt_ev as its protocol handler; ws.c does the
// framing underneath (MG_WS_CARRIER): every event passes through
// mg_mqtt_ws_ev, which runs the WebSocket layer (mg_ws_ev), and that hands
// each data message back as MG_EV_X_WS_MSG, never to the host. So the host
// sees the events of a plain MQTT connection. Each packet we send is one
// binary message, framed (and masked on a client) in place in c->send.
//
// Server: an MQTT listener marked with mgx_mqtt_ws accepts raw
// connections; their first bytes must be an HTTP upgrade request offering
// "mqtt" (to the listener's path, if it has one), answered 101 with
// "Sec-WebSocket-Protocol: mqtt", or refused with an HTTP status and closed.
// Client: the upgrade request goes first; packets queued before the 101
// (CONNECT) wait in `held`, since a client may not send frames until then.
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "http.h"
#include "mqtt.h"
#include "ws.h"

enum { PHASE_HEAD, PHASE_HANDSHAKE, PHASE_UP };

struct mg_mqtt_ws {
  struct mg_iobuf in;    // MQTT bytes unwrapped from messages, not parsed yet
  struct mg_iobuf held;  // client: packets framed before the 101 arrived
  char *path;            // listener / accepted before the upgrade: the only path (NULL: any)
  size_t open_off;       // the packet being written (begin/end): its offset and length
  size_t open_len;
  unsigned char key[4];  // ... and its mask key (client)
  uint8_t phase;         // PHASE_*: server waiting for the upgrade request, client for the 101, open
};

static const char s_proto[] = "Sec-WebSocket-Protocol: mqtt\r\n";

static char *copy_path(const char *p, size_t len) {
  char *s;
  if (p == NULL || len == 0 || (len == 1 && p[0] == '/')) return NULL;  // any path
  s = (char *) mg_calloc(1, len + 1);
  if (s != NULL) memcpy(s, p, len);
  return s;
}

struct mg_mqtt_ws *mg_mqtt_ws_new(struct mg_connection *c, const char *arg, size_t len) {
  struct mg_mqtt_ws *w = (struct mg_mqtt_ws *) mg_calloc(1, sizeof(*w));
  if (w == NULL) return NULL;
  if (c->flags & MG_F_LISTENING) {
    w->path = copy_path(arg, len);
    if (w->path == NULL && !(len == 0 || (len == 1 && arg[0] == '/'))) {
      mg_free(w);
      return NULL;
    }
  } else if (c->flags & MG_F_CLIENT) {
    // ws.c writes the upgrade request (mgx_ws_connect wants a bare connection).
    char *head = (char *) mg_calloc(1, len + sizeof(s_proto));
    mg_event_handler_t pfn = c->pfn;
    int ok;
    if (head == NULL) {
      mg_free(w);
      return NULL;
    }
    memcpy(head, arg, len);
    memcpy(head + len, s_proto, sizeof(s_proto) - 1);
    c->pfn = NULL;
    ok = mgx_ws_connect(c, head, len + sizeof(s_proto) - 1);
    c->pfn = pfn;
    mg_free(head);
    if (!ok) {
      mg_free(w);
      return NULL;
    }
    c->ws_state |= MG_WS_CARRIER;
    w->phase = PHASE_HANDSHAKE;
  } else {
    mg_free(w);
    return NULL;
  }
  return w;
}

struct mg_mqtt_ws *mg_mqtt_ws_accepted(const struct mg_mqtt_ws *listener) {
  struct mg_mqtt_ws *w = (struct mg_mqtt_ws *) mg_calloc(1, sizeof(*w));
  if (w == NULL) return NULL;
  w->phase = PHASE_HEAD;
  if (listener->path != NULL) {
    w->path = copy_path(listener->path, strlen(listener->path));
    if (w->path == NULL) {
      mg_free(w);
      return NULL;
    }
  }
  return w;
}

void mg_mqtt_ws_free(struct mg_mqtt_ws *w) {
  if (w == NULL) return;
  mg_iobuf_free(&w->in);
  mg_iobuf_free(&w->held);
  mg_free(w->path);
  mg_free(w);
}

// ---- the opening handshake ------------------------------------------------------

static bool offers_mqtt(const struct mg_http_message *hm) {
  uint32_t i;
  for (i = 0; i < hm->num_headers; i++) {
    if (mg_str_ieq(hm->headers[i].name, "Sec-WebSocket-Protocol") &&
        mg_str_has_token(hm->headers[i].value, "mqtt")) {
      return true;
    }
  }
  return false;
}

// Answer a request that is not an MQTT upgrade with `status`, then close.
static void refuse(struct mg_connection *c, int status, const char *why) {
  char buf[320], msg[160];
  size_t n;
  n = mg_snprintf(buf, sizeof(buf),
                  "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %u\r\n"
                  "Connection: close\r\n%s\r\n%s\n",
                  status, mg_http_status_text(status), (unsigned) strlen(why) + 1,
                  status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "", why);
  mg_send(c, buf, n < sizeof(buf) ? n : sizeof(buf) - 1);
  mg_snprintf(msg, sizeof(msg), "mqtt: WebSocket upgrade refused: %d %s", status, why);
  c->recv.len = 0;
  mg_recv_shrunk(c);
  mg_call(c, MG_EV_ERROR, msg);
  mg_drain_conn(c);
}

// Server: the upgrade request at the front of c->recv. True once upgraded.
static bool upgrade(struct mg_connection *c, struct mg_mqtt_ws *w) {
  const struct mg_limits *lim = &c->mgr->limits;
  struct mg_http_message hm;
  int status, n = mg_http_parse((const char *) c->recv.buf, c->recv.len, &hm,
                                lim->max_header_size, lim->max_headers);
  if (n == 0) return false;
  if (n < 0) {
    refuse(c, n == MG_HTTP_ERR_BAD ? 400 : 431, "not a WebSocket upgrade request");
  } else if (w->path != NULL && (hm.uri.len != strlen(w->path) ||
                                 memcmp(hm.uri.buf, w->path, hm.uri.len) != 0)) {
    refuse(c, 404, "no MQTT over WebSocket at this path");
  } else if (!offers_mqtt(&hm)) {
    refuse(c, 400, "WebSocket subprotocol mqtt required (Sec-WebSocket-Protocol: mqtt)");
  } else if ((status = mg_ws_accept_carrier(c, &hm, s_proto, sizeof(s_proto) - 1)) != 0) {
    refuse(c, status, status == 426 ? "WebSocket version 13 required"
                      : status == 503 ? "shutting down" : "bad WebSocket upgrade request");
  } else {
    mg_iobuf_del(&c->recv, 0, (size_t) n);
    mg_recv_shrunk(c);
    mg_free(w->path);
    w->path = NULL;
    w->phase = PHASE_UP;
    return true;
  }
  return false;
}

// Client: the server's 101 (ws.c checked the WebSocket part).
static void opened(struct mg_connection *c, struct mg_mqtt_ws *w, struct mg_http_message *hm) {
  if (!offers_mqtt(hm)) {
    mg_error(c, "%s", "mqtt: the WebSocket server did not accept subprotocol mqtt");
    return;
  }
  w->phase = PHASE_UP;
  if (w->held.len > 0 && !mg_send(c, w->held.buf, w->held.len)) {
    mg_error(c, "%s", "mqtt: out of memory");
  }
  mg_iobuf_free(&w->held);
}

// ---- data -------------------------------------------------------------------------

static bool stopped(const struct mg_connection *c) {
  return (c->flags & (MG_F_CLOSING | MG_F_DRAINING | MG_F_CLOSE_SENT)) != 0;
}

// A data message: more of the MQTT byte stream. Packets that lie whole in
// it are parsed where they are; only a partial one is copied aside.
static void message(struct mg_connection *c, struct mg_mqtt_ws *w, const struct mg_ws_message *m) {
  const unsigned char *p = (const unsigned char *) m->data.buf;
  size_t n = m->data.len;
  if ((m->flags & 15u) != WEBSOCKET_OP_BINARY) {
    // MQTT-6.0.0-1: any other data frame closes the connection.
    mg_call(c, MG_EV_ERROR, "mqtt: a text WebSocket message (MQTT packets travel in binary ones)");
    mg_ws_close_frame(c, 1003);
    mg_drain_conn(c);
    return;
  }
  if (w->in.len == 0) {
    struct mg_iobuf here;
    here.buf = (unsigned char *) p, here.size = here.len = n, here.align = 0;
    mg_mqtt_input(c, &here);
    p = here.buf, n = here.len;  // what is left of a packet the next message continues
  }
  if (n == 0 || stopped(c)) return;
  if (!mg_iobuf_add(&w->in, w->in.len, p, n)) {
    mg_error(c, "%s", "mqtt: out of memory");
    return;
  }
  mg_mqtt_input(c, &w->in);
  if (w->in.len == 0) mg_iobuf_free(&w->in);
}

void mg_mqtt_ws_ev(struct mg_connection *c, struct mg_mqtt_ws *w, int ev, void *ev_data) {
  switch (ev) {
    case MG_EV_READ:
    case MG_EV_X_RESUME:
      if (w->phase == PHASE_HEAD && !upgrade(c, w)) break;
      mg_ws_ev(c, ev, ev_data);  // the client's 101, then frames
      break;
    case MG_EV_X_WS_OPEN:
      opened(c, w, (struct mg_http_message *) ev_data);
      break;
    case MG_EV_X_WS_MSG:
      message(c, w, (const struct mg_ws_message *) ev_data);
      break;
    case MG_EV_POLL:
    case MG_EV_WRITE:
    case MG_EV_CLOSE:
    case MG_EV_X_EOF:
      mg_ws_ev(c, ev, ev_data);
      break;
    default:
      break;
  }
}

// ---- sending ----------------------------------------------------------------------

uint8_t *mg_mqtt_ws_begin(struct mg_connection *c, struct mg_mqtt_ws *w, size_t len) {
  struct mg_iobuf *out = w->phase == PHASE_HANDSHAKE ? &w->held : &c->send;
  unsigned char hdr[14];
  size_t hl;
  // Nothing before the upgrade (server), nothing after our close frame.
  if (w->phase == PHASE_HEAD || (c->ws_state & MG_WS_CLOSE_SENT)) return NULL;
  hl = mg_ws_frame_head(hdr, len, WEBSOCKET_OP_BINARY, (c->flags & MG_F_CLIENT) != 0, w->key);
  if (!mg_iobuf_reserve(out, hl + len)) return NULL;
  if (out == &c->send ? !mg_send(c, hdr, hl) : !mg_iobuf_add(out, out->len, hdr, hl)) return NULL;
  w->open_off = out->len;
  w->open_len = len;
  out->len += len;
  return out->buf + w->open_off;
}

void mg_mqtt_ws_end(struct mg_connection *c, struct mg_mqtt_ws *w) {
  struct mg_iobuf *out = w->phase == PHASE_HANDSHAKE ? &w->held : &c->send;
  if (c->flags & MG_F_CLIENT) mg_ws_mask(out->buf + w->open_off, w->open_len, w->key);
}
