// url.h: Mongoose's URL helpers ("scheme://user:pass@host:port/uri"),
// and percent-encoding (form variables: http_form.c).
#ifndef MG_URL_H
#define MG_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgx.h"
#include "str.h"

// The parts of a URL; missing parts are empty. host keeps the brackets of
// an IPv6 literal; uri starts at the first '/' after the authority.
struct mg_url_parts {
  struct mg_str scheme, user, pass, host, port, uri;
};
void mg_url_split(struct mg_str url, struct mg_url_parts *p);
// The explicit port, else the scheme's default (http/ws 80, https/wss 443,
// mqtt 1883, mqtts 8883, udp/sntp 123 is not assumed), else 0.
unsigned mg_url_port(struct mg_str url);
// wss, https, mqtts, ssl, tls, tcps.
bool mg_url_is_ssl(struct mg_str url);

// Percent-encode: alphanumerics and "._-$,;~()/" stay, every other byte
// becomes %xx (lowercase hex). Returns the length written, or 0 with
// dst_len too small (needs up to 3 * len).
size_t mg_url_encode(const char *s, size_t len, char *dst, size_t dst_len);
// Percent-decode (`form`: '+' is a space). Returns the decoded length (at
// most len; dst may equal s), or -1 on a malformed %xx.
long mg_url_decode(const char *s, size_t len, char *dst, bool form);

// Exports for ts/util-url.ts. mgx_url_part: which = 0 scheme, 1 user, 2 pass,
// 3 host, 4 port text, 5 uri; returns the offset (length: mgx_url_part_len),
// -1 when empty.
MGX_EXPORT(mgx_url_part) long mgx_url_part(const char *url, size_t len, int which);
MGX_EXPORT(mgx_url_part_len) size_t mgx_url_part_len(void);
MGX_EXPORT(mgx_url_port) unsigned mgx_url_port(const char *url, size_t len);
MGX_EXPORT(mgx_url_is_ssl) int mgx_url_is_ssl(const char *url, size_t len);
MGX_EXPORT(mgx_url_encode) size_t mgx_url_encode(const char *s, size_t len, char *dst, size_t dst_len);
MGX_EXPORT(mgx_url_decode) long mgx_url_decode(char *s, size_t len, int form);

#endif
