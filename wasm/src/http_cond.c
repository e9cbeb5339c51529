// http_cond.c: conditional requests (RFC 9110 section 13) for static files:
// which precondition decides, in 13.2.2's order, and whether a Range stands.
#include "http_cond.h"

#include "http_static.h"

static bool ows(char ch) {
  return ch == ' ' || ch == '\t';
}

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3)
static bool etagc(char c) {
  unsigned char ch = (unsigned char) c;
  return ch == 0x21 || (ch >= 0x23 && ch != 0x7f);
}

bool mg_http_etag_match(struct mg_str list, struct mg_str etag, bool strong) {
  const char *s = list.buf;
  size_t i = 0, n = list.len, start;
  bool found = false, weak;
  struct mg_str all = mg_str_trim(list);
  if (all.len == 1 && all.buf[0] == '*') return true;
  // Strict: one malformed member and the whole list matches nothing (a
  // tag is never guessed out of a broken list).
  while (i < n) {
    while (i < n && (ows(s[i]) || s[i] == ',')) i++;
    if (i == n) break;
    weak = n - i >= 2 && s[i] == 'W' && s[i + 1] == '/';
    if (weak) i += 2;
    if (i == n || s[i] != '"') return false;
    start = i++;
    while (i < n && etagc(s[i])) i++;
    if (i == n || s[i] != '"') return false;
    i++;
    if (!(strong && weak) && etag.len > 0 && mg_strcmp(mg_str_n(s + start, i - start), etag) == 0) {
      found = true;
    }
    while (i < n && ows(s[i])) i++;
    if (i < n && s[i] != ',') return false;
  }
  return found;
}

bool mg_http_if_range(struct mg_str v, struct mg_str etag, int64_t mtime) {
  int64_t t;
  v = mg_str_trim(v);
  // One strong tag, compared strongly: a W/ tag is never equal to it.
  if (v.len > 0 && (v.buf[0] == '"' || v.buf[0] == 'W')) {
    return etag.len > 0 && mg_strcmp(v, etag) == 0;
  }
  t = mg_http_parse_date(v);
  return t >= 0 && mtime >= 0 && t == mtime;
}

// How many `name` fields hm holds; *v gets the first one's value.
static int fields(const struct mg_http_message *hm, const char *name, struct mg_str *v) {
  uint32_t i;
  int count = 0;
  for (i = 0; i < hm->num_headers && i < MG_MAX_HTTP_HEADERS; i++) {
    if (mg_str_ieq(hm->headers[i].name, name) && count++ == 0) *v = hm->headers[i].value;
  }
  return count;
}

// Does any `name` field (a list may come in several lines) name etag?
static bool any_match(const struct mg_http_message *hm, const char *name, struct mg_str etag,
                      bool strong) {
  uint32_t i;
  for (i = 0; i < hm->num_headers && i < MG_MAX_HTTP_HEADERS; i++) {
    if (mg_str_ieq(hm->headers[i].name, name) &&
        mg_http_etag_match(hm->headers[i].value, etag, strong)) {
      return true;
    }
  }
  return false;
}

// The date of a `name` field sent once with a valid HTTP-date, else -1: the
// field is then ignored (13.1.3, 13.1.4).
static int64_t one_date(const struct mg_http_message *hm, const char *name) {
  struct mg_str v;
  return fields(hm, name, &v) == 1 ? mg_http_parse_date(v) : -1;
}

int mg_http_preconditions(const struct mg_http_message *hm, struct mg_str etag, int64_t mtime,
                          bool *use_range) {
  bool get = mg_str_ieq(hm->method, "GET"), safe = get || mg_str_ieq(hm->method, "HEAD");
  struct mg_str v;
  int64_t t;
  int n;
  *use_range = false;
  // Steps 1-2: If-Match, else If-Unmodified-Since; false -> 412.
  if (fields(hm, "If-Match", &v) > 0) {
    if (!any_match(hm, "If-Match", etag, true)) return 412;
  } else if (mtime >= 0 && (t = one_date(hm, "If-Unmodified-Since")) >= 0 && mtime > t) {
    return 412;
  }
  // Steps 3-4: If-None-Match (weak), else If-Modified-Since (GET/HEAD only).
  if (fields(hm, "If-None-Match", &v) > 0) {
    if (any_match(hm, "If-None-Match", etag, false)) return safe ? 304 : 412;
  } else if (safe && mtime >= 0 && (t = one_date(hm, "If-Modified-Since")) >= 0 && mtime <= t) {
    return 304;
  }
  // Step 5: a Range on GET stands unless an If-Range is false (then the
  // whole representation goes out). A repeated If-Range is not one
  // validator: false.
  if (get && fields(hm, "Range", &v) > 0) {
    n = fields(hm, "If-Range", &v);
    *use_range = n == 0 || (n == 1 && mg_http_if_range(v, etag, mtime));
  }
  return 0;
}
