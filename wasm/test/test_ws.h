// test_ws.h: what test_ws.c shares with test_ws_deflate.c: the manager
// under test, the log of WebSocket events, the echo handler and the frame
// helpers.
#ifndef MG_TEST_WS_H
#define MG_TEST_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../src/net.h"

extern struct mg_mgr *s_mgr;
extern char s_log[8192];  // "<ev> <flags hex> <len>:<data>\n" per WS event
extern size_t s_log_len;

// Upgrades every request; echoes every message with its opcode.
void ws_echo(struct mg_connection *c, int ev, void *ev_data);
// A server connection upgraded with no extension, its output cleared.
uint32_t server(void);
// A client frame (masked with a fixed key when `masked`) into out.
size_t frame(unsigned char *out, unsigned b0, const void *data, size_t len, bool masked);
bool send_frame(uint32_t id, unsigned b0, const char *s);
// The first close frame in the connection's output: its code, or -1.
int close_code_out(uint32_t id);
// The 101 answer to client connection c's upgrade request, into out.
void client_answer(struct mg_connection *c, char *out);
// The permessage-deflate cases (test_ws_deflate.c).
void suite_ws_deflate(void);

#endif
