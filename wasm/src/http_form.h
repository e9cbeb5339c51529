// http_form.h: credentials, form and header variables, multipart parts
// (http_form.c), and their exports to the host.
#ifndef MG_HTTP_FORM_H
#define MG_HTTP_FORM_H

#include "http.h"
#include "mgx.h"

struct mg_http_part {
  struct mg_str name;      // Content-Disposition name (view into the body)
  struct mg_str filename;  // ... filename, empty when none
  struct mg_str body;      // the part's bytes
};

// Form variable `name` of `buf` ("a=1&b=2"), URL-decoded into dst. Returns
// its length, -1 when absent, -2 when dst_len is too small (needs at most
// the encoded length).
long mg_http_var(struct mg_str buf, struct mg_str name, char *dst, size_t dst_len);
// Variable `name` in a header value shaped `a=b; c="d"` (quotes removed,
// case-insensitive name); empty when absent.
struct mg_str mg_http_header_var(struct mg_str s, struct mg_str name);
// Credentials as Mongoose reads them: Authorization: Basic (user and pass),
// Authorization: Bearer (pass), else the access_token cookie, else the
// access_token query variable (pass). *ulen / *plen hold the capacities on
// entry (pass needs room for the Authorization value's length) and the
// lengths on return. Returns 1 found, 0 none, -2 buffers too small.
int mg_http_creds(const struct mg_http_message *hm, char *user, size_t *ulen, char *pass,
                  size_t *plen);
// The part of a multipart/form-data body starting at `ofs` (at a boundary
// line). Returns the offset of the next boundary line, 0 when there is no
// further complete part. Views point into `body`.
size_t mg_http_next_multipart(struct mg_str body, size_t ofs, struct mg_http_part *part);

// ---- exports ------------------------------------------------------------------
// httpVar: out = [u32 len] then the value; returns 1 found, 0 absent, -2 out too small.
MGX_EXPORT(mgx_http_var)
int mgx_http_var(const char *buf, size_t len, const char *name, size_t name_len, char *out,
                 size_t out_len);
// msg.creds(): out = [u32 user_len][u32 pass_len] user pass; returns as mg_http_creds.
MGX_EXPORT(mgx_http_creds)
int mgx_http_creds(const struct mg_http_message *hm, char *out, size_t out_len);
// httpParseMultipart: out = 6 x u32 (name ofs, len, filename ofs, len, body ofs, len:
// offsets into buf); returns the next offset (0: no part).
MGX_EXPORT(mgx_http_multipart)
double mgx_http_multipart(const char *buf, size_t len, size_t ofs, uint32_t *out);

#endif
