// http_static.h: serving files (Mongoose's mg_http_serve_dir/serve_file)
// over the host file interface (fs.h), and big reply bodies kept in the host.
#ifndef MG_HTTP_STATIC_H
#define MG_HTTP_STATIC_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "mgx.h"

// File bodies up to this size are read into c->send in one host call;
// bigger ones are written by the host (host_body).
#ifndef MG_FS_INLINE_MAX
#define MG_FS_INLINE_MAX (64u * 1024u)
#endif
#define MG_PATH_MAX 4096  // root + request path, bytes
#define MG_DIRLIST_MAX (1024u * 1024u)  // listing page cap (longer: cut)

struct mg_http_serve_opts {
  struct mg_str root_dir;       // serve_dir: the web root
  struct mg_str extra_headers;  // "Name: value\r\n" lines added to answers
  struct mg_str mime_types;     // "ext=type,ext2=type2" overrides
  struct mg_str page404;        // file sent with 404 when nothing matches
  bool dir_listing;             // list directories without index.html
};

void mg_http_serve_dir(struct mg_connection *c, struct mg_http_message *hm,
                       const struct mg_http_serve_opts *opts);
void mg_http_serve_file(struct mg_connection *c, struct mg_http_message *hm, struct mg_str path,
                        const struct mg_http_serve_opts *opts);
// MIME type for a file name (overrides first, then built-ins; default
// application/octet-stream).
struct mg_str mg_http_mime(struct mg_str name, struct mg_str overrides);
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") <-> Unix seconds. Parse
// returns -1 for anything else.
size_t mg_http_date(char *buf, size_t size, int64_t t);
int64_t mg_http_parse_date(struct mg_str s);
// One byte range of a `size`-byte file from a Range value. Returns 1 (a
// satisfiable single range: [*start, *start + *len)), 0 (ignore the header:
// not "bytes=", several ranges, bad syntax) or -1 (unsatisfiable: 416).
int mg_http_range(struct mg_str value, uint64_t size, uint64_t *start, uint64_t *len);

// Exports. Strings are (pointer, length); hm is the message of the
// MG_EV_HTTP_MSG being handled. flags bit 0: directory listing.
MGX_EXPORT(mgx_http_serve_dir)
int mgx_http_serve_dir(struct mg_connection *c, struct mg_http_message *hm, const char *root,
                       size_t root_len, const char *extra, size_t extra_len, const char *mime,
                       size_t mime_len, const char *page404, size_t page404_len, int flags);
MGX_EXPORT(mgx_http_serve_file)
int mgx_http_serve_file(struct mg_connection *c, struct mg_http_message *hm, const char *path,
                        size_t path_len, const char *extra, size_t extra_len, const char *mime,
                        size_t mime_len);
// reply() whose `len`-byte body the host keeps under handle `fd` (consumed
// in every case); the core formats the head only.
MGX_EXPORT(mgx_http_reply_host)
int mgx_http_reply_host(struct mg_connection *c, int status, const char *headers,
                        size_t headers_len, double len, uint32_t fd);
// The host's socket took `n` more bytes of the host_body() range: fires
// MG_EV_WRITE (as host_send would) and counts as I/O for idle timeouts.
// Returns 0 when the connection no longer wants the body (closing): the
// host stops writing it (host_close follows).
MGX_EXPORT(mgx_body_sent) int mgx_body_sent(struct mg_connection *c, double n);
// The host wrote the whole body of host_body() (or gave up on it).
MGX_EXPORT(mgx_body_done) void mgx_body_done(struct mg_connection *c);

#endif
