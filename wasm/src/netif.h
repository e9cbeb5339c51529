// netif.h: the core -> host half of the network-interface contract.
//
// The core never touches a socket, a clock or an entropy source. Everything it
// needs from the outside world goes through these functions. In WebAssembly
// they are imports from module "env" (implemented by ts/loader.ts, which
// routes them to the Manager and its Network). Natively they are plain extern
// functions; wasm/test/host_fake.c implements them for the C unit tests.
#ifndef MG_NETIF_H
#define MG_NETIF_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define MG_IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#else
#define MG_IMPORT(name)
#endif

// Hand up to `len` bytes of connection `id`'s output to the host. Returns how
// many bytes the host took (it copies them). Fewer than `len` (0 included)
// means "my buffers are full": the core keeps the rest and sends nothing more
// on this connection until the host calls mgx_writable().
MG_IMPORT(host_send) size_t host_send(uint32_t id, const void *buf, size_t len);

// Close the host socket of connection `id`. Everything previously taken by
// host_send must still reach the peer (graceful end). Called exactly once per
// connection that has a host socket, right before MG_EV_CLOSE is fired.
MG_IMPORT(host_close) void host_close(uint32_t id);

// Deliver event `ev` of connection `id` to the user's handler. `ev_data`
// points into linear memory and is valid only for the duration of the call;
// its type depends on `ev` (see mgx.h, "Event data").
MG_IMPORT(host_event) void host_event(uint32_t id, int ev, void *ev_data);

// Timer `timer_id` is due: run its callback.
MG_IMPORT(host_timer) void host_timer(uint32_t timer_id);

// Monotonic milliseconds.
MG_IMPORT(host_now) double host_now(void);

// Wall clock: milliseconds since the Unix epoch, for the Date header of
// responses (read at most once a second per manager). <= 0: no clock.
MG_IMPORT(host_wall) double host_wall(void);

// Fill `buf` with `len` cryptographically random bytes.
MG_IMPORT(host_random) void host_random(void *buf, size_t len);

// One log line at `level` (MG_LL_*), not NUL-terminated.
MG_IMPORT(host_log) void host_log(int level, const char *buf, size_t len);

#endif
