// match.h: Mongoose's glob patterns. '?' matches one character, '*' any run
// of characters except '/', '#' any run including '/'. Each wildcard is a
// capture, in pattern order.
#ifndef MG_MATCH_H
#define MG_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "mgx.h"
#include "str.h"

// Whole-string match. `caps` (may be NULL) receives up to `ncaps` captures.
// Time O(len(s) * len(p)), no recursion, no allocation.
bool mg_match(struct mg_str s, struct mg_str p, struct mg_str *caps, size_t ncaps);

// Export: captures go to `out` as (offset, length) uint32 pairs, at most
// `ncaps` of them. Returns 1 on a match.
MGX_EXPORT(mgx_match)
int mgx_match(const char *s, size_t slen, const char *p, size_t plen, uint32_t *out, size_t ncaps);

#endif
