// host_fake.h: a native implementation of netif.h for the unit tests.
//
// Records what the core hands the host, per connection id: output bytes
// (optionally taking only a budget to simulate full socket buffers), close
// calls and an event log; fires timers into a log; provides a controllable
// clock. Tests bind connection pointers to ids so handlers can act on them.
#ifndef MG_HOST_FAKE_H
#define MG_HOST_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/http.h"
#include "../src/mgx.h"
#include "../src/net.h"

extern double fake_now;  // host_now()
extern double fake_wall;  // host_wall(): 0 (no clock, no Date header) after fake_reset
extern int fake_wall_calls;  // host_wall() calls since fake_reset

// Event hook: runs inside host_event for bound connections (c may be NULL
// for unbound ids).
typedef void (*fake_handler_t)(struct mg_connection *c, int ev, void *ev_data);
extern fake_handler_t fake_handler;
// Timer hook: runs inside host_timer.
extern void (*fake_timer_hook)(uint32_t timer_id);
// Log MG_EV_READ / WRITE / POLL too (default: off, so logs don't depend on
// how input was split).
extern bool fake_log_io;
// host_ws_zfree calls so far (permessage-deflate contexts dropped).
extern int fake_zfrees;

void fake_reset(void);
void fake_bind(struct mg_connection *c);
struct mg_connection *fake_conn(uint32_t id);  // NULL once closed
// Output taken by host_send so far (NUL-terminated), and its length.
const char *fake_out(uint32_t id);
size_t fake_out_len(uint32_t id);
void fake_out_clear(uint32_t id);
// Ids of the host_send calls that took bytes, in call order ("3 5 4 ").
const char *fake_send_order(void);
// host_send takes at most `bytes` more for this id ((size_t)-1 = no limit).
void fake_set_budget(uint32_t id, size_t bytes);
int fake_closes(uint32_t id);
// Event log of an id: one line per event ("OPEN", "MSG GET /a ...").
const char *fake_events(uint32_t id);
// Timer ids fired, as text: "3 3 4 ".
const char *fake_timers(void);

// Helpers: a listener, an accepted connection (bound, opened), feeding bytes
// through mgx_recv_reserve/commit then mgx_flush.
struct mg_connection *fake_listen(struct mg_mgr *mgr, int proto);
struct mg_connection *fake_accept(struct mg_mgr *mgr, struct mg_connection *lsn);
// A new manager in *mgr with an HTTP listener and one accepted connection
// whose events go to `h`; returns that connection's id.
uint32_t fake_http_server(struct mg_mgr **mgr, fake_handler_t h);
// One request on a fresh HTTP server with handler `h`: what it wrote back
// (a static copy, valid until the next call); the manager is freed.
const char *fake_http_once(fake_handler_t h, const char *req);
// The connection whose request fake_http_pending() delivered last (NULL until one is).
extern struct mg_connection *fake_http_req;
// fake_http_server() whose handler keeps the connection of each request in
// fake_http_req, then `req` delivered there and not yet answered.
uint32_t fake_http_pending(struct mg_mgr **mgr, const char *req);
// A new manager in *mgr with one HTTP client connection, bound to the fake
// host and already connected; returns it.
struct mg_connection *fake_http_client(struct mg_mgr **mgr);
// Feed `len` bytes to connection `id` in pieces of `step` bytes (0 = all at
// once), flushing after each. Returns false if the core refused bytes.
bool fake_feed(struct mg_mgr *mgr, uint32_t id, const void *buf, size_t len, size_t step);
bool fake_feeds(struct mg_mgr *mgr, uint32_t id, const char *s);

// Stock handlers.
// Replies 200 with body "<method> <uri>[?query] <body>" to every request.
void fake_echo_handler(struct mg_connection *c, int ev, void *ev_data);

#endif
