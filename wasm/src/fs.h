// fs.h: the host file interface (the shape of Mongoose's mg_fs) and the
// host-side response body.
//
// The core never opens a file. Static serving (http_static.c) asks the host
// through these imports, which the Node shim implements with node:fs and the
// browser with a packed in-memory file set. Handles are host-chosen non-zero
// numbers. 64-bit sizes and offsets travel as doubles (exact below 2^53), so
// the imports need no BigInt on the JS side.
//
// Host-side bodies: a response body that lives in the host (a file range, or
// a big reply() body the host kept) is not copied through linear memory.
// The core queues the head in c->send, remembers (handle, offset, length),
// and once the head is out calls host_body(): the host then writes the range
// to the socket itself, with its own backpressure, and calls mgx_body_done()
// when it is all out. Until then the core sends nothing else on that
// connection (pipelined answers wait behind it).
#ifndef MG_FS_H
#define MG_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netif.h"

#define MG_FS_READ 1
#define MG_FS_WRITE 2
#define MG_FS_DIR 4

// stat: flags (MG_FS_READ for a readable file, MG_FS_DIR for a directory;
// 0 = does not exist). out[0] = size in bytes, out[1] = mtime in seconds.
MG_IMPORT(host_fs_stat) int host_fs_stat(const char *path, size_t len, double *out);
// open for reading: a handle, 0 on failure. With MG_FS_DIR the handle reads
// as the directory's entries, sorted, one "name\n" each ("name/\n" for a
// sub-directory); names containing a newline are left out.
MG_IMPORT(host_fs_open) uint32_t host_fs_open(const char *path, size_t len, int flags);
// Positional read of up to `len` bytes at `offset`: bytes read (0 at EOF).
MG_IMPORT(host_fs_read) size_t host_fs_read(uint32_t fd, double offset, void *buf, size_t len);
MG_IMPORT(host_fs_close) void host_fs_close(uint32_t fd);
// 1 when `path` (which exists), with symlinks resolved, still lies inside
// `root` (also resolved). A static server refuses anything else.
MG_IMPORT(host_fs_within) int host_fs_within(const char *root, size_t rlen, const char *path,
                                             size_t plen);
// Write `len` bytes of handle `fd` from `offset` to connection `id`, after
// everything host_send took. The host owns (and closes) `fd` from now on,
// also when the connection closes first; it calls mgx_body_done(c) once the
// last byte was taken by the socket.
MG_IMPORT(host_body) void host_body(uint32_t id, uint32_t fd, double offset, double len);

struct mg_connection;

// A response body held by the host: `len` bytes of handle `fd` from `off`.
// in_host: the host writes it (host_body); else the core reads it into
// c->send now (small files: one call, no second trip).
struct mg_body_src {
  uint32_t fd;
  uint64_t off, len;
  bool in_host;
};
// mg_http_reply with the body taken from `src` (fd is consumed in every
// case: queued, read and closed, or closed). False if nothing was sent.
bool mg_http_reply_src(struct mg_connection *c, int status, const char *headers,
                       size_t headers_len, const struct mg_body_src *src);
// Header lines the core built itself ("Name: value\r\n" each, nothing a
// peer controls unchecked): written as they are, not checked line by line.
struct mg_http_lines {
  const char *buf;
  size_t len;
  bool content_type;  // the lines include Content-Type
};
// mg_http_reply_src with `core` lines before the user's `headers` (which
// are checked as always); src NULL: no body (304, 416).
bool mg_http_reply_core(struct mg_connection *c, int status, const struct mg_http_lines *core,
                        const char *headers, size_t headers_len, const struct mg_body_src *src);

// Queue a host-side body for c: sent after what c->send holds now. Takes
// ownership of fd (closed by the host, or by the core if never sent).
void mg_body_queue(struct mg_connection *c, uint32_t fd, uint64_t offset, uint64_t len);

#endif
