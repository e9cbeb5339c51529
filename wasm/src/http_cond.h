// http_cond.h: conditional requests (RFC 9110 section 13): entity-tag lists,
// If-Range, and the precondition order of 13.2.2, for one representation
// described by its strong entity tag and its Last-Modified time.
#ifndef MG_HTTP_COND_H
#define MG_HTTP_COND_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

// Does the If-Match / If-None-Match value `list` ("*" or #entity-tag) name
// `etag` (a quoted strong tag; empty: the representation has none, so only
// "*" matches)? strong: strong comparison (a W/ tag never matches), else
// weak comparison. Malformed members match nothing.
bool mg_http_etag_match(struct mg_str list, struct mg_str etag, bool strong);

// Is the If-Range value `v` true for the representation (13.1.5)? A strong
// tag equal to `etag`, or an HTTP-date equal to `mtime`; a weak tag, another
// tag or date, or anything else is false.
bool mg_http_if_range(struct mg_str v, struct mg_str etag, int64_t mtime);

// Evaluate the preconditions of `hm` in RFC 9110 13.2.2's order (If-Match,
// else If-Unmodified-Since; If-None-Match, else If-Modified-Since; If-Range
// with Range) against a representation with entity tag `etag` (empty: none)
// and Last-Modified `mtime` (Unix seconds; < 0: none). Call it only where the
// answer without the preconditions would be a 2xx. Returns 412 or 304 when a
// precondition decides the answer, 0 otherwise; *use_range then says whether
// the Range header is to be honoured (GET with a Range, and If-Range absent
// or true). HEAD never gets a range: range handling is defined for GET.
int mg_http_preconditions(const struct mg_http_message *hm, struct mg_str etag, int64_t mtime,
                          bool *use_range);

#endif
