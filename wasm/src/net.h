// net.h: manager, connections and their flags.
//
// The first fields of struct mg_connection form a fixed header that the host
// reads directly from linear memory (ts/core.ts), so it needs no call per
// property. Offsets below are for wasm32 (4-byte pointers and size_t) and
// are checked at compile time when building for wasm.
#ifndef MG_NET_H
#define MG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iobuf.h"
#include "str.h"

struct mg_connection;
typedef void (*mg_event_handler_t)(struct mg_connection *, int ev, void *ev_data);

// Events, numbered as in the public API.
enum {
  MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE, MG_EV_CONNECT,
  MG_EV_ACCEPT, MG_EV_TLS_HS, MG_EV_READ, MG_EV_WRITE, MG_EV_CLOSE,
  MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_WS_OPEN, MG_EV_WS_MSG, MG_EV_WS_CTL,
  MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MG_EV_SNTP_TIME,
  MG_EV_WAKEUP, MG_EV_USER
};

// Connection flags (c->flags). The host reads these bits.
#define MG_F_LISTENING (1u << 0)
#define MG_F_CLIENT (1u << 1)
#define MG_F_ACCEPTED (1u << 2)
#define MG_F_UDP (1u << 3)
#define MG_F_WEBSOCKET (1u << 4)
#define MG_F_TLS (1u << 5)
#define MG_F_READABLE (1u << 6)    // unprocessed bytes in c->recv
#define MG_F_WRITABLE (1u << 7)    // connected and the host takes output
#define MG_F_FULL (1u << 8)        // c->recv at its limit: host pauses reading
#define MG_F_DRAINING (1u << 9)    // no more reads; close once output is flushed
#define MG_F_CLOSING (1u << 10)    // closes (and is freed) at the next flush
#define MG_F_RESOLVING (1u << 11)
#define MG_F_CONNECTING (1u << 12)
#define MG_F_HTTP (1u << 13)       // speaks HTTP
#define MG_F_REQ_PENDING (1u << 14)  // a request was delivered, not yet answered
#define MG_F_RESP_STARTED (1u << 15) // response head for that request written
// Internal bits (host ignores).
#define MG_F_BLOCKED (1u << 16)    // host_send took less than offered
#define MG_F_DIRTY (1u << 17)      // on mgr->dirty
#define MG_F_RESP_CLOSE (1u << 18) // close after the current response
#define MG_F_HEAD (1u << 19)       // current request is HEAD
#define MG_F_CHUNKED_OUT (1u << 20)  // current response is chunked
#define MG_F_HAS_SOCKET (1u << 21)   // host owns a socket for it (host_close due)
#define MG_F_EOF (1u << 22)          // peer closed its side
// Core-private bits (not part of the host contract).
#define MG_F_CLOSE_SENT (1u << 23)   // MG_EV_CLOSE delivered: no more events
#define MG_F_PARSE_PENDING (1u << 24) // buffered input to process at flush
#define MG_F_FINAL (1u << 25)        // core wrote a final reply: no more output
#define MG_F_IN_PROTO (1u << 26)     // protocol handler busy (no re-entry)
#define MG_F_OUT_HELD (1u << 27)     // next buffered request held: output backed up
#define MG_F_EOF_HELD (1u << 28)     // peer's EOF waits behind the held input
#define MG_F_NO_IDLE (1u << 29)      // protocol keeps its own liveness (MQTT keepalive)
#define MG_F_BODY_QUEUED (1u << 30)  // a host-side body waits behind c->send (fs.h)
#define MG_F_BODY_HOST (1u << 31)    // the host is writing that body: send nothing

// Pipelining backpressure. An HTTP server connection does not start on the
// next buffered request while its output is backed up: host_send came back
// short (MG_F_BLOCKED, until mgx_writable) or c->send holds more than
// MG_SEND_HIGH bytes. It resumes from mgx_flush once the output went out.
// Meanwhile its receive cap drops to MG_RECV_HELD, so the host pauses the
// socket soon (mg_recv_reserve fails, MG_F_FULL), and a peer's EOF waits
// behind the held requests (they are still answered). A connection whose
// peer never reads thus holds at most MG_RECV_HELD of input + MG_SEND_HIGH
// + one response, whatever it pipelines. A single response bigger than the
// mark is fine: only the request after it waits.
#ifndef MG_SEND_HIGH
#define MG_SEND_HIGH (256u * 1024u)
#endif
#define MG_RECV_HELD (64u * 1024u)

// Explicit limits with safe defaults (mgx_set_limits; 0 keeps the default).
struct mg_limits {
  uint32_t max_header_size;    // request line + headers; over -> 431 (16384)
  uint32_t max_headers;        // header count; over -> 431 (100)
  uint32_t max_body_size;      // decoded body; over -> 413 (1 MiB)
  uint32_t recv_buffer_size;   // raw (non-HTTP) receive buffer cap (1 MiB)
  uint32_t max_connections;    // accepted connections at once (10000)
  uint32_t idle_timeout_ms;    // keep-alive idle before close (0 = off)
  uint32_t header_timeout_ms;  // request head must arrive within (0 = off)
  uint32_t request_timeout_ms; // from the complete head, body + answer start within, else 408 (0 = off)
};

#define MG_URI_KEEP 256  // bytes of request URI kept for reports: the URI, then the method
#define MG_URI_MAX (MG_URI_KEEP - 10)  // URI bytes kept; the tail holds the method (8 bytes + NUL)

struct mg_mgr;

// Progress of the resumable HTTP head scanner (mg_http_scan, http_parse.c)
// over the message at the front of c->recv: bytes it has checked are never
// looked at again while the head trickles in. All zero = nothing scanned.
struct mg_http_scan {
  size_t pos;          // bytes checked so far
  size_t start;        // offset of the start line (after leading CRLFs)
  size_t line;         // start of the current header line
  size_t mark;         // start of the current value / reason / version
  size_t m1, aux;      // end of the method; end of the target / header name
  uint32_t nhdr;       // complete header lines so far
  unsigned char state; // where in the grammar `pos` is
  unsigned char k;     // index inside a fixed-length element
};

// What an HTTP client connection has written (http_client.c): the requests
// whose responses are still due, so that the answer to a HEAD is read
// without a body. Scans outgoing bytes line by line (a short line buffer:
// only the start of each line matters) and skips request bodies.
#define MG_OUT_LINE 40
struct mg_http_out {
  uint64_t left;       // raw bytes of a body / chunk (+CRLF) still to skip
  uint64_t cl;         // Content-Length of the request being written
  uint32_t heads;      // bit i: the i-th outstanding request is a HEAD
  uint8_t nreq;        // outstanding requests (at most 32 tracked)
  uint8_t state;       // where in the outgoing request
  uint8_t nline;       // bytes kept of the current line
  uint8_t flags;       // this request: chunked body / is HEAD
  char line[MG_OUT_LINE];
};
struct mg_http_stream;

struct mg_connection {
  // ---- host-visible header (wasm32 offsets) ----
  struct mg_connection *next;  // 0   all connections of the manager
  struct mg_mgr *mgr;          // 4
  uint32_t id;                 // 8   unique across all managers, never reused
  uint32_t flags;              // 12  MG_F_*
  struct mg_iobuf recv;        // 16  buf, size, len, align
  struct mg_iobuf send;        // 32
  // ---- private ----
  struct mg_connection *next_dirty;
  struct mg_connection *parent;   // listener of an accepted connection
  mg_event_handler_t pfn;         // protocol handler (HTTP), called before the host
  uint64_t last_io_ms;            // last byte in or out
  bool tls_hs;                    // TLS handshake under way: its own timeout rules, not idle (tls.c)
  uint64_t head_start_ms;         // first byte of the current request head
  uint64_t req_start_ms;          // when the pending request was delivered
  size_t http_skip;               // chunked body bytes decoded so far
  char req_uri[MG_URI_KEEP];      // URI then method of the last request, kept while its response flushes
  uint32_t hflags;                // HTTP parser/response state (MG_HF_*)
  uint64_t http_body_len;         // Content-Length of the current message
  size_t http_head_len;           // head bytes of the current message (MG_HF_HDRS)
  struct mg_http_scan http_scan;  // head scan progress (before MG_HF_HDRS)
  size_t http_line_pos;           // chunked decoder: resume point in its current
  uint32_t http_line_state;       //   size/trailer line (http_server.c dechunk)
  struct {                        // SNTP client state (sntp.c)
    uint64_t sent_ms;             // when the request went out (mg_millis)
    unsigned char tx[8];          // its transmit timestamp: a nonce the reply echoes
    unsigned char state;          // MG_SNTP_*
  } sntp;
  uint32_t body_fd;               // host-side body (fs.h): handle, range
  uint64_t body_off, body_len;
  struct mg_http_out http_out;    // HTTP client: requests written (http_client.c)
  struct mg_http_stream *http_stream;  // streamed request body (http_stream.c), or NULL
  size_t raw_head_len;            // bytes of a hand-written response head so far (MG_HF_RAW_HEAD)
  void *proto_data;               // state of a non-HTTP protocol (mqtt.c); pfn frees it on MG_EV_CLOSE
  // WebSocket (ws.c, ws_hs.c).
  size_t ws_frag_len;             // reassembled bytes of a fragmented message (front of recv)
  size_t ws_part;                 // payload bytes of the frame in progress checked as UTF-8
  uint8_t ws_u8[3];               // UTF-8 state of a text message: bytes owed, next one's bounds
  uint8_t ws_frag_op;             // its opcode; 0 = no fragmented message in progress
  uint8_t ws_frag_z;              // ... and it is compressed (permessage-deflate, RSV1)
  uint8_t ws_pmd;                 // permessage-deflate: MG_PMD_* (ws.h)
  uint8_t ws_pmd_bits;            // ... our compressor's window bits (9..15)
  uint8_t ws_state;               // MG_WS_* (ws.h)
  unsigned char ws_nonce[16];     // client: Sec-WebSocket-Key bytes, for the answer
};

struct mg_timer {
  struct mg_timer *next;
  uint32_t id;
  int flags;              // MGX_TIMER_*
  uint64_t period_ms;
  uint64_t expire_ms;
};

// The counters below are host-readable too (wasm32 offsets): limits @12,
// num_accepted @44, shutdown_status @48, completed @52, rejected @56,
// drained @60. mgx_shutdown() sets shutdown_status.
struct mg_mgr {
  struct mg_connection *conns;
  struct mg_connection *dirty;
  struct mg_timer *timers;
  struct mg_limits limits;
  uint32_t num_accepted;
  int shutdown_status;    // non-zero: shutting down; > 0: answer new requests with it
  uint32_t completed;     // counters for the shutdown report
  uint32_t rejected;
  uint32_t drained;
  // ---- private ----
  int entered;            // mgx_* calls in progress on this manager
  struct mg_connection *dirty_tail;  // last of `dirty`: flushed in the order they were dirtied
  bool flushing;          // inside mgx_flush (no nesting)
  bool freeing;           // closing down: no new connections
  bool free_pending;      // mgx_mgr_free was called from inside a call
  uint64_t now_ms;        // clock sampled at the start of mgx_poll
  struct mg_iobuf discard;  // reserve target for connections that stopped reading
  bool shutdown_idle_set;   // mgx_shutdown_idle gave a grace: use it in shutdown
  uint32_t shutdown_idle_ms;
  bool http_strict;         // HTTP/1.1 requests need exactly one Host (mgx_http_strict)
  uint32_t ws_max_message;  // limits.maxWsMessageSize (0: MG_WS_DEFAULT_MAX, ws.h)
  // The Date line of responses (http_reply.c): formatted once per second.
  uint64_t date_next_ms;    // mg_millis() at which the cached line is stale
  size_t date_len;          // 0: none yet, or the host has no clock
  char date[40];            // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
};

// Manager and connection internals behind the mgx_* exports (mgx.c).
struct mg_mgr *mg_mgr_new(void);
void mg_mgr_destroy(struct mg_mgr *mgr);    // frees without events
void mg_mgr_close_all(struct mg_mgr *mgr);  // host_close + MG_EV_CLOSE for all
void mg_set_limits(struct mg_mgr *mgr, const struct mg_limits *lim);
int mg_poll(struct mg_mgr *mgr);
void mg_flush(struct mg_mgr *mgr);
struct mg_connection *mg_conn_new(struct mg_mgr *mgr, int kind, int proto,
                                  struct mg_connection *parent);
void *mg_recv_reserve(struct mg_connection *c, size_t len);
void mg_recv_commit(struct mg_connection *c, size_t len);
void mg_eof(struct mg_connection *c);
void mg_error_msg(struct mg_connection *c, const char *msg, size_t len);
void mg_scratch_free(void);  // mgx_scratch's buffer (native leak tests)

// Core-internal API used by protocol modules.
uint64_t mg_millis(void);        // the time of the current host call (see mg_clock_enter)
uint64_t mg_millis_fresh(void);  // asks the host now
void mg_clock_enter(void);       // outermost entry reads the clock once
void mg_clock_leave(void);
void mg_call(struct mg_connection *c, int ev, void *ev_data);
void mg_mark_dirty(struct mg_connection *c);
bool mg_send(struct mg_connection *c, const void *buf, size_t len);
void mg_close_conn(struct mg_connection *c);   // immediate: drops output
void mg_drain_conn(struct mg_connection *c);   // flush output, then close
void mg_error(struct mg_connection *c, const char *fmt, ...);
// Output backed up: MG_F_BLOCKED, or c->send above MG_SEND_HIGH.
bool mg_send_backed_up(const struct mg_connection *c);

// Private protocol events: delivered to c->pfn only, never to the host.
#define MG_EV_X_RESUME 1000  // process input left buffered (from mgx_flush)
#define MG_EV_X_EOF 1001     // the peer closed its side

// Default buffer growth step.
#define MG_IO_SIZE 2048
// Receive buffers start at this (then double): a small request takes 256
// bytes, not 2 KiB. Linear memory never shrinks, so every byte a burst of
// connections touches stays resident.
#define MG_IO_ALIGN 256
// Receive-buffer cap of a connection (HTTP limits or recv_buffer_size;
// MG_RECV_HELD at most while MG_F_OUT_HELD).
size_t mg_recv_cap(struct mg_connection *c);
// Call after removing bytes from c->recv: updates READABLE, lifts FULL.
void mg_recv_shrunk(struct mg_connection *c);

#endif
