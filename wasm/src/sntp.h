// sntp.h: SNTP client (RFC 4330) over a UDP connection. MG_EV_SNTP_TIME's
// ev_data is a double *: milliseconds since the Unix epoch, the server's
// transmit time corrected by half the round-trip delay.
#ifndef MG_SNTP_H
#define MG_SNTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgx.h"

struct mg_connection;

#define MG_SNTP_IDLE 0
#define MG_SNTP_WANT 1  // a request waits for the connection to come up
#define MG_SNTP_SENT 2  // a request is out; replies are checked against it

// Check a server reply to the request whose transmit timestamp was `tx`,
// sent at `sent_ms` and received at `now_ms` (monotonic). On success stores
// the time (ms since the epoch) and returns NULL; otherwise returns why
// (short, wrong mode, kiss-of-death, unsynchronized, not our request...).
const char *mg_sntp_parse(const unsigned char *buf, size_t len, const unsigned char tx[8],
                          uint64_t sent_ms, uint64_t now_ms, double *ms);
// Build a client request with transmit timestamp `tx` into pkt[48].
void mg_sntp_build(unsigned char pkt[48], const unsigned char tx[8]);

// Make UDP client `c` an SNTP client: it sends a request once connected,
// and turns each reply into MG_EV_SNTP_TIME or MG_EV_ERROR (then closes).
MGX_EXPORT(mgx_sntp_init) void mgx_sntp_init(struct mg_connection *c);
// Send a request now (or once connected). Returns 0 if `c` is no SNTP
// connection or is closing.
MGX_EXPORT(mgx_sntp_request) int mgx_sntp_request(struct mg_connection *c);

#endif
