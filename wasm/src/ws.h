// ws.h: WebSocket (RFC 6455), server and client, over the core's byte stream.
//
// The core sees plaintext bytes whatever the transport (TLS lives in the
// host), so the same code serves ws:// and wss://.
//
// Server: an HTTP server connection's handler calls mgx_ws_upgrade() from
// MG_EV_HTTP_MSG. A valid upgrade is answered 101 and the connection leaves
// the HTTP protocol handler for mg_ws_ev (MG_F_WEBSOCKET); MG_EV_WS_OPEN
// fires with the request. An invalid one is answered 400 (426 with
// Sec-WebSocket-Version: 13 for another version) and drains.
// Client: mgx_ws_connect() on a fresh raw client connection queues the
// upgrade request; the answer is checked (101, Upgrade, Connection,
// Sec-WebSocket-Accept) and MG_EV_WS_OPEN fires with the response, or
// MG_EV_ERROR and the connection closes.
//
// Frames: MG_EV_WS_MSG per complete (reassembled) text/binary message,
// MG_EV_WS_CTL per ping/pong/close frame; pings are answered with pongs, a
// close is echoed then the connection drains. Violations fail the
// connection: MG_EV_ERROR ("WebSocket ..."), a close frame with 1002
// (protocol), 1007 (invalid UTF-8) or 1009 (over max message size), drain.
//
// struct mg_ws_message (MG_EV_WS_MSG / MG_EV_WS_CTL data) is read by the host
// (ts/ws.ts), wasm32 layout: data.buf @0, data.len @4, flags @8 (uint32: the
// frame's first byte, FIN bit 0x80 and opcode in the low 4 bits; for a
// reassembled message, FIN plus the first fragment's opcode).
#ifndef MG_WS_H
#define MG_WS_H

#include "http.h"
#include "mgx.h"
#include "net.h"
#include "netif.h"

#define WEBSOCKET_OP_CONTINUE 0
#define WEBSOCKET_OP_TEXT 1
#define WEBSOCKET_OP_BINARY 2
#define WEBSOCKET_OP_CLOSE 8
#define WEBSOCKET_OP_PING 9
#define WEBSOCKET_OP_PONG 10

// Default limits.max_ws_message_size (bytes of one reassembled message).
#define MG_WS_DEFAULT_MAX (1u << 20)

struct mg_ws_message {
  struct mg_str data;
  uint32_t flags;
};

// c->ws_state bits.
#define MG_WS_CLOSE_SENT 1u  // our close frame is queued: no more data frames
#define MG_WS_CLOSE_RCVD 2u  // the peer's close arrived
#define MG_WS_HANDSHAKE 4u   // client: waiting for the 101 answer
#define MG_WS_FRESH 8u       // just opened: free the handshake's buffers once empty
// The messages carry another protocol's byte stream (MQTT over WebSocket,
// mqtt_ws.c): c->pfn is that protocol's handler, and data messages and the
// client's 101 answer go to it (MG_EV_X_WS_*), never to the host. The
// host's mgx_ws_send/mgx_ws_close refuse it and mgx_ws_open_count skips it:
// it shuts down as the protocol it carries does.
#define MG_WS_CARRIER 16u

// c->ws_pmd bits: permessage-deflate (RFC 7692, ws_deflate.c).
#define MG_PMD_ALLOW 1u    // the host compresses: offer it (client) / accept an offer (server)
#define MG_PMD_ON 2u       // negotiated: RSV1 marks a compressed message
#define MG_PMD_OUT_NCT 4u  // our compressor starts every message afresh (no context takeover)
#define MG_PMD_IN_NCT 8u   // so does the peer's: our decompressor too

// The protocol handler of WebSocket connections (c->pfn).
void mg_ws_ev(struct mg_connection *c, int ev, void *ev_data);
// Queue one frame (masked with a fresh key on client connections). Returns
// the bytes queued (header + payload), 0 if refused.
size_t mg_ws_send(struct mg_connection *c, const void *buf, size_t len, int op);
// Frame parser, exposed for unit tests and the fuzz target: the frame at
// buf[0..len). Returns its total size with *hdr_len, *payload_len, *b0 and
// *mask (NULL when unmasked) filled in; 0 when more bytes are needed; or
// -1002 when the header is malformed (RSV2/RSV3, RSV1 on a control frame,
// unknown opcode, a fragmented or oversized control frame, a 64-bit length
// with the top bit set); -1009 when a data frame's payload is over `max`.
// RSV1 on a data frame is the caller's to judge (permessage-deflate).
long long mg_ws_parse_frame(const unsigned char *buf, size_t len, uint64_t max, size_t *hdr_len,
                            uint64_t *payload_len, unsigned char *b0, const unsigned char **mask);
// Whether buf[0..len) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF).
bool mg_ws_utf8_ok(const unsigned char *buf, size_t len);
// Feed a text message's bytes to the connection's UTF-8 state (c->ws_u8,
// kept across reads and frames): false once they cannot start valid UTF-8.
bool mg_ws_utf8_feed(struct mg_connection *c, const unsigned char *s, size_t len);
// The same for payload bytes still masked with `mask` from offset `pos`.
bool mg_ws_utf8_feed_masked(struct mg_connection *c, const unsigned char *s, size_t len,
                            const unsigned char *mask, size_t pos);
// Sec-WebSocket-Accept for `key` (28 characters, no NUL).
void mg_ws_accept_key(const char *key, size_t key_len, char out[28]);

// permessage-deflate negotiation (ws_deflate.c). Server: the answer to the
// offers in `hm` (a "Sec-WebSocket-Extensions: ...\r\n" line in out, "" when
// none is accepted; sets c->ws_pmd). Client: check the server's answer
// (NULL when acceptable, sets c->ws_pmd; else why not).
void mg_ws_pmd_accept(struct mg_connection *c, struct mg_http_message *hm, char *out, size_t size);
const char *mg_ws_pmd_answer(struct mg_connection *c, struct mg_http_message *hm);
// The request header a client offers with.
extern const char mg_ws_pmd_offer[];
// Inflate the compressed message p[0..len) through the host and deliver it
// (flags: FIN and the opcode). Returns 0, or the close code to fail with
// (1007 bad data or bad UTF-8, 1009 over limits.maxWsMessageSize, 1011 no memory).
int mg_ws_inflate_deliver(struct mg_connection *c, unsigned flags, const unsigned char *p, size_t len);

// Private events of a carrier connection (MG_WS_CARRIER), to c->pfn only.
#define MG_EV_X_WS_MSG 1010   // a data message (struct mg_ws_message)
#define MG_EV_X_WS_OPEN 1011  // client: the server's 101 answer (struct mg_http_message)

// Carriers (mqtt_ws.c): the header of a data frame of `len` payload bytes
// into hdr[14] (masked with a fresh key, also in key[4], when `masked`);
// returns its length. mg_ws_mask XORs p[0..len) with the key.
size_t mg_ws_frame_head(unsigned char *hdr, size_t len, int op, bool masked, unsigned char key[4]);
void mg_ws_mask(unsigned char *p, size_t len, const unsigned char key[4]);
// Queue a close frame with `code` (0: none) unless one was sent.
void mg_ws_close_frame(struct mg_connection *c, int code);
// Server, raw connection: answer the upgrade request `hm` with 101 and
// `extra` headers and make `c` a WebSocket (MG_F_WEBSOCKET, MG_WS_CARRIER).
// Returns 0, or the HTTP status the request deserves (nothing sent).
int mg_ws_accept_carrier(struct mg_connection *c, struct mg_http_message *hm, const char *extra,
                         size_t extra_len);

// Core-internal (ws.c / ws_hs.c).
uint32_t mg_ws_max(const struct mg_mgr *mgr);  // limits.maxWsMessageSize in force
void mg_ws_client_answer(struct mg_connection *c);  // client: parse the 101 in c->recv

// ---- imports (core -> host): zlib, for permessage-deflate ------------------------
// Inflate the compressed message in[0..len) of connection `id` (the 00 00 ff
// ff tail not included; `pmd` = c->ws_pmd: with MG_PMD_IN_NCT no context is
// kept from message to message). Returns the inflated size, held by the host
// until host_ws_inflate_take copies it to `dst`; -1 for bad data, -2 when the
// message inflates to more than `max` bytes.
MG_IMPORT(host_ws_inflate)
int host_ws_inflate(uint32_t id, const void *in, size_t len, uint32_t max, int pmd);
MG_IMPORT(host_ws_inflate_take) void host_ws_inflate_take(uint32_t id, void *dst);
// Connection `id` closed: drop its compression contexts.
MG_IMPORT(host_ws_zfree) void host_ws_zfree(uint32_t id);

// ---- exports (host -> core) --------------------------------------------------
// Answer the upgrade request `hm` (the pending request of an HTTP server
// connection, from MG_EV_HTTP_MSG). `extra` headers ("Name: value\r\n"...)
// are added to the 101 (subprotocols). Returns 1 when upgraded (MG_EV_WS_OPEN
// has fired), 0 when the request was refused (400/426 sent) or nothing was
// pending.
MGX_EXPORT(mgx_ws_upgrade)
int mgx_ws_upgrade(struct mg_connection *c, struct mg_http_message *hm, const char *extra,
                   size_t extra_len);
// Make the fresh raw client connection `c` a WebSocket client: `head` is the
// request line and headers up to (not including) the upgrade headers and
// the blank line ("GET /p HTTP/1.1\r\nHost: h\r\n..."). Returns 1 on success.
MGX_EXPORT(mgx_ws_connect)
int mgx_ws_connect(struct mg_connection *c, const char *head, size_t head_len);
// One frame: returns the bytes queued, 0 when refused (not a WebSocket, not
// open yet, closing, a data frame after our close, a control frame payload
// over 125 bytes). A data opcode | 0x40 sets RSV1: a payload the host
// compressed (permessage-deflate negotiated, else refused).
MGX_EXPORT(mgx_ws_send)
double mgx_ws_send(struct mg_connection *c, const void *buf, size_t len, int op);
// The same for a data frame (op 0..2) whose payload the host copies in
// itself, saving a copy of big messages: begin queues the header and
// returns where the `len` payload bytes go (NULL when refused, as
// mgx_ws_send); the host copies them there and calls end (which masks them
// on a client connection) before any other call on the connection. end
// returns the bytes queued.
MGX_EXPORT(mgx_ws_send_begin) void *mgx_ws_send_begin(struct mg_connection *c, size_t len, int op);
MGX_EXPORT(mgx_ws_send_end) double mgx_ws_send_end(struct mg_connection *c);
// Start the close handshake: a close frame with `code` (0: no code) and
// `reason` (at most 123 bytes). The connection closes once the peer's close
// arrives (or at once if it already has). Returns 1 if the frame was queued.
MGX_EXPORT(mgx_ws_close)
int mgx_ws_close(struct mg_connection *c, int code, const char *reason, size_t reason_len);
// permessage-deflate: before mgx_ws_upgrade / mgx_ws_connect, `on` lets the
// connection accept / offer it (the host has zlib).
MGX_EXPORT(mgx_ws_deflate_allow) void mgx_ws_deflate_allow(struct mg_connection *c, int on);
// What was negotiated: c->ws_pmd | window bits of our compressor << 8.
MGX_EXPORT(mgx_ws_deflate_state) uint32_t mgx_ws_deflate_state(struct mg_connection *c);
// limits.maxWsMessageSize of a manager (0 = MG_WS_DEFAULT_MAX).
MGX_EXPORT(mgx_ws_set_limit) void mgx_ws_set_limit(struct mg_mgr *mgr, uint32_t max_message);
// Number of WebSocket connections of mgr that are open (handshake done, no
// close sent or received), for graceful shutdown.
MGX_EXPORT(mgx_ws_open_count) uint32_t mgx_ws_open_count(struct mg_mgr *mgr);

#endif
