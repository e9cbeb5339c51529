// http_host.c: is a Host field value valid? RFC 9112 3.2 (Host = uri-host
// [ ":" port ]) over RFC 3986 3.2.2's grammar: an IP-literal in brackets
// (IPv6address or IPvFuture), or a reg-name (which IPv4address is a subset
// of); the port is digits. An empty value is valid (a target without an
// authority, RFC 9112 3.2).
#include "http.h"

static bool digit(char ch) {
  return ch >= '0' && ch <= '9';
}

static bool hexdig(char ch) {
  return digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool unreserved(char ch) {
  return alpha(ch) || digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static bool sub_delim(char ch) {
  switch (ch) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=': return true;
    default: return false;
  }
}

// reg-name = *( unreserved / pct-encoded / sub-delims )
static bool reg_name(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] == '%') {
      if (i + 2 >= n || !hexdig(s[i + 1]) || !hexdig(s[i + 2])) return false;
      i += 2;
    } else if (!unreserved(s[i]) && !sub_delim(s[i])) {
      return false;
    }
  }
  return true;
}

// IPv4address: four dec-octets ("0".."255", no leading zero), dot-separated.
static bool ipv4(const char *s, size_t n) {
  size_t i = 0;
  int part;
  for (part = 0; part < 4; part++) {
    size_t start = i;
    unsigned v = 0;
    if (part > 0) {
      if (i >= n || s[i] != '.') return false;
      start = ++i;
    }
    while (i < n && digit(s[i]) && i - start < 3) v = v * 10 + (unsigned) (s[i++] - '0');
    if (i == start || v > 255 || (i - start > 1 && s[start] == '0')) return false;
  }
  return i == n;
}

// IPv6address: 8 pieces of 1-4 hex digits (the last two may be an IPv4
// address), one "::" standing for one or more zero pieces.
static bool ipv6(const char *s, size_t n) {
  size_t i = 0, pieces = 0;
  bool gap = false;
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    gap = true, i = 2;
  } else if (n > 0 && s[0] == ':') {
    return false;
  }
  while (i < n) {
    size_t start = i;
    while (i < n && hexdig(s[i]) && i - start < 4) i++;
    if (i < n && s[i] == '.') {  // ls32 as IPv4: ends the address
      if (!ipv4(s + start, n - start)) return false;
      pieces += 2;
      i = n;
      break;
    }
    if (i == start) return false;  // an empty piece (":::", a trailing ':')
    pieces++;
    if (i == n) break;
    if (s[i] != ':') return false;
    if (i + 1 < n && s[i + 1] == ':') {
      if (gap) return false;  // "::" at most once
      gap = true;
      i += 2;
    } else {
      i++;
      if (i == n) return false;  // "1::2:" ends in a single colon
    }
  }
  return gap ? pieces <= 7 : pieces == 8;
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
static bool ipv_future(const char *s, size_t n) {
  size_t i = 1, start;
  if (n < 4 || (s[0] != 'v' && s[0] != 'V')) return false;
  while (i < n && hexdig(s[i])) i++;
  if (i == 1 || i >= n || s[i] != '.') return false;
  start = ++i;
  for (; i < n; i++) {
    if (!unreserved(s[i]) && !sub_delim(s[i]) && s[i] != ':') return false;
  }
  return i > start;
}

bool mg_http_host_valid(struct mg_str v) {
  const char *s = v.buf;
  size_t n = v.len, end = 0, i;
  if (n == 0) return true;
  if (s[0] == '[') {  // IP-literal
    while (end < n && s[end] != ']') end++;
    if (end == n) return false;
    if (!ipv6(s + 1, end - 1) && !ipv_future(s + 1, end - 1)) return false;
    end++;
  } else {
    while (end < n && s[end] != ':') end++;
    if (!reg_name(s, end)) return false;
  }
  if (end == n) return true;
  if (s[end] != ':') return false;
  for (i = end + 1; i < n; i++) {  // port = *DIGIT
    if (!digit(s[i])) return false;
  }
  return true;
}
