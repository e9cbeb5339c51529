// fuzz_host.h: a minimal, deterministic host for the libFuzzer targets.
//
// It implements the imports of wasm/src/netif.h natively, like the unit
// tests' host_fake.c, but lets each fuzz input decide how the "sockets"
// behave (how much host_send takes, what the user handler does) and checks
// the host side of the contract: host_close at most once per connection,
// MG_EV_CLOSE exactly once, no event after MG_EV_CLOSE. Any violation aborts,
// which libFuzzer reports as a crash with the input that caused it.
#ifndef FUZZ_HOST_H
#define FUZZ_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "netif.h"

// Abort with a message: libFuzzer saves the input as a crash artifact.
#define FUZZ_CHECK(cond, ...)                       \
  do {                                              \
    if (!(cond)) fh_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)
void fh_fail(const char *file, int line, const char *cond, const char *fmt, ...);

// How host_send treats offered bytes.
enum fh_send_mode {
  FH_SEND_ALL,      // take everything
  FH_SEND_TRICKLE,  // take at most fh_trickle bytes per call
  FH_SEND_STALL,    // take nothing every other call
};

// Per-connection bookkeeping, keyed by connection id.
struct fh_conn {
  uint32_t id;
  int events;        // events delivered
  int closes;        // MG_EV_CLOSE delivered
  int host_closes;   // host_close calls
  int short_send;    // host_send took less than offered: mgx_writable due
  size_t sent;       // bytes taken by host_send
};

#define FH_MAX_CONNS 64

struct fh_state {
  double now;                    // host_now(), milliseconds
  enum fh_send_mode send_mode;
  size_t trickle;
  unsigned send_calls;
  uint64_t checksum;             // sink for bytes read, so reads are not elided
  struct fh_conn conns[FH_MAX_CONNS];
  int num_conns;
  // When capture_id != 0, the bytes host_send takes for that connection are
  // appended to capture (malloc'ed, freed by fh_reset).
  uint32_t capture_id;
  unsigned char *capture;
  size_t capture_len, capture_size;
  // The user handler (runs after the bookkeeping). May call mgx_* functions.
  void (*on_event)(uint32_t id, int ev, void *ev_data);
};

extern struct fh_state fh;

// Forget everything of the previous input.
void fh_reset(void);
// The record of connection `id`, created on first use.
struct fh_conn *fh_conn(uint32_t id);
// Read every byte of buf[0..len) (lets ASan see out-of-bounds views).
void fh_touch(const void *buf, size_t len);

struct mg_mgr;
struct mg_connection;
// A listener and one accepted HTTP connection on mgr, both opened. *conn and
// *id are set, and the connection's output captured, before the open events
// run, so the target's handler sees them too.
void fh_http_accepted(struct mg_mgr *mgr, struct mg_connection **conn, uint32_t *id);
// Deliver p[0..n) to connection c (id `id`) as one read, then flush; nothing
// once it closed (c is then freed).
void fh_feed(struct mg_mgr *mgr, struct mg_connection *c, uint32_t id, const uint8_t *p, size_t n);
// p[0..len) as reads of `step` bytes (0: one read), each followed by a
// second of clock (keepalive paths), mgx_poll and mgx_flush, until it closes.
void fh_feed_steps(struct mg_mgr *mgr, struct mg_connection *c, uint32_t id, const uint8_t *p,
                   size_t len, size_t step);

#endif
