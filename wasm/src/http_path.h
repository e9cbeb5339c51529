// http_path.h: request path -> a safe path under a web root.
#ifndef MG_HTTP_PATH_H
#define MG_HTTP_PATH_H

#include <stddef.h>

// Percent-decode the origin-form path `uri[0..len)` (it ends at '?' or '#')
// and normalise it: "." and empty segments go, ".." removes the previous
// segment. The result (written NUL-terminated to out) starts with '/' and
// ends with '/' when the request named a directory ("/a/", "/a/.").
// Returns its length, or -1 when the path is refused: it does not start
// with '/', a bad %-escape, a NUL, control byte or backslash (raw or
// encoded), an encoded '/', a ".." that would climb above the root, or a
// result that does not fit in outsz bytes. Nothing refused can name a file
// outside the root; what is accepted never contains "/../" or "/./".
int mg_http_path_normalize(const char *uri, size_t len, char *out, size_t outsz);

#endif
