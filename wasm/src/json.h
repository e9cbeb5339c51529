// json.h: a validating JSON scanner with Mongoose's path syntax ("$.a.b[2]").
// Nothing is allocated: values are found in place, strings unescaped into a
// caller's buffer.
#ifndef MG_JSON_H
#define MG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgx.h"
#include "str.h"

// Errors returned by mg_json_get (offsets are >= 0).
#define MG_JSON_INVALID (-1)    // the document is not valid JSON
#define MG_JSON_TOO_DEEP (-2)   // nesting deeper than MG_JSON_MAX_DEPTH
#define MG_JSON_NOT_FOUND (-4)  // valid, but nothing at that path (or a bad path)
#ifndef MG_JSON_MAX_DEPTH
#define MG_JSON_MAX_DEPTH 128
#endif

// Validate the whole of `json` and find the value at `path` ("$" is the
// root, ".key" an object member, "[n]" an array element). Returns the value's
// offset and sets *toklen to its length (strings keep their quotes), or a
// negative MG_JSON_* code. Keys compare byte for byte with the raw key text;
// the first of duplicate keys wins.
int mg_json_get(struct mg_str json, struct mg_str path, int *toklen);
// The number at `path` / the boolean at `path`; false when absent or another type.
bool mg_json_get_num(struct mg_str json, struct mg_str path, double *out);
bool mg_json_get_bool(struct mg_str json, struct mg_str path, bool *out);
// Parse a JSON number token (grammar already checked) into a double.
double mg_json_num(const char *s, size_t len);
// Decode the body of a JSON string (between the quotes, already validated)
// into `dst` as UTF-8 (\uXXXX pairs joined; a lone surrogate becomes U+FFFD).
// Writes at most `len` bytes; `dst` may equal `s` (in place). Returns the
// decoded length, or -1 on a bad escape.
long mg_json_unescape(const char *s, size_t len, char *dst);

// Exports for the facade (ts/util-json.ts). mgx_json_get: as mg_json_get; the
// token length is then mgx_json_toklen().
MGX_EXPORT(mgx_json_get) int mgx_json_get(const char *json, size_t jlen, const char *path, size_t plen);
MGX_EXPORT(mgx_json_toklen) int mgx_json_toklen(void);
MGX_EXPORT(mgx_json_unescape) long mgx_json_unescape(char *s, size_t len);
MGX_EXPORT(mgx_json_num) double mgx_json_num(const char *s, size_t len);

#endif
