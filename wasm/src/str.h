// str.h: counted strings (not NUL-terminated) and helpers.
#ifndef MG_STR_H
#define MG_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mg_str {
  const char *buf;
  size_t len;
};

struct mg_str mg_str_n(const char *buf, size_t len);
// From a NUL-terminated C string (NULL gives an empty string).
struct mg_str mg_str_s(const char *s);
int mg_lower(int ch);
// memcmp-like ordering; a shorter prefix sorts first.
int mg_strcmp(struct mg_str a, struct mg_str b);
int mg_strcasecmp(struct mg_str a, struct mg_str b);
// Case-insensitive equality with a C string.
bool mg_str_ieq(struct mg_str a, const char *s);
// Drop leading and trailing SP/HTAB.
struct mg_str mg_str_trim(struct mg_str s);
// Whole string is 1+ decimal digits that fit in uint64_t.
bool mg_str_to_u64(struct mg_str s, uint64_t *out);
// Split `*list` at the first `sep`: `*item` gets the trimmed part before it,
// `*list` the rest. Returns false when the list is exhausted.
bool mg_str_split(struct mg_str *list, struct mg_str *item, char sep);
// Does the comma-separated list `s` contain `token` (case-insensitive)?
bool mg_str_has_token(struct mg_str s, const char *token);

#endif
