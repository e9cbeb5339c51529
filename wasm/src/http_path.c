// http_path.c: decoding and normalising request paths for static serving.
// The whole safety argument is here: every byte of the result comes from a
// decoded segment that is neither "." nor "..", and ".." can only remove a
// segment this function itself wrote.
#include "http_path.h"

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

int mg_http_path_normalize(const char *uri, size_t len, char *out, size_t outsz) {
  size_t i = 0, o = 0, seg;  // seg: where the current segment starts in out
  if (outsz < 2 || len == 0 || uri[0] != '/') return -1;
  out[o++] = '/';
  seg = o;
  while (i < len && uri[i] != '?' && uri[i] != '#') {
    unsigned char ch = (unsigned char) uri[i];
    int slash = 0;
    if (ch == '%') {
      int hi, lo;
      if (i + 2 >= len) return -1;
      hi = hexval(uri[i + 1]);
      lo = hexval(uri[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      ch = (unsigned char) (hi * 16 + lo);
      if (ch == '/') return -1;  // an encoded slash is never a separator
      i += 3;
    } else {
      slash = ch == '/';
      i++;
    }
    if (ch < 0x20 || ch == 0x7f || ch == '\\') return -1;
    if (!slash) {
      if (o + 1 >= outsz) return -1;
      out[o++] = (char) ch;
      continue;
    }
    // End of a segment out[seg..o).
    if (o == seg || (o - seg == 1 && out[seg] == '.')) {
      o = seg;  // empty or "."
    } else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
      if (seg == 1) return -1;  // above the root
      o = seg - 1;               // drop "/.." and the segment before it
      while (out[o - 1] != '/') o--;
      seg = o;
    } else {
      if (o + 1 >= outsz) return -1;
      out[o++] = '/';
      seg = o;
    }
  }
  // The last segment (no slash after it).
  if (o - seg == 1 && out[seg] == '.') {
    o = seg;
  } else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
    if (seg == 1) return -1;
    o = seg - 1;
    while (out[o - 1] != '/') o--;
  }
  out[o] = '\0';
  return (int) o;
}
