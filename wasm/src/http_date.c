// http_date.c: what static serving parses besides paths: IMF-fixdate
// (Last-Modified / If-Modified-Since), Range values, MIME types.
#include <string.h>

#include "fmt.h"
#include "http_static.h"

static const char s_days[] = "SunMonTueWedThuFriSat";
static const char s_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  int64_t era;
  unsigned yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = (unsigned) (y - era * 400);
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t) doe - 719468;
}

size_t mg_http_date(char *buf, size_t size, int64_t t) {
  int64_t z, era, days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
  unsigned doe, yoe, doy, mp, d, m;
  int64_t y;
  int wd = (int) ((days % 7 + 11) % 7);  // 1970-01-01 was a Thursday
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (unsigned) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = (int64_t) yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  return mg_snprintf(buf, size, "%.*s, %c%c %.*s %lld %c%c:%c%c:%c%c GMT", 3, s_days + wd * 3,
                     '0' + (int) (d / 10), '0' + (int) (d % 10), 3, s_months + (m - 1) * 3,
                     (long long) y, '0' + (int) (secs / 36000), '0' + (int) (secs / 3600 % 10),
                     '0' + (int) (secs % 3600 / 600), '0' + (int) (secs % 600 / 60),
                     '0' + (int) (secs % 60 / 10), '0' + (int) (secs % 10));
}

static int num(const char *s, size_t n) {
  int v = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static int mdays(int y, int m) {
  static const unsigned char d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : d[(m - 1) % 12];
}

int64_t mg_http_parse_date(struct mg_str s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions, 29 bytes.
  const char *p = s.buf;
  int day, year, hh, mm, ss, mon = -1, i;
  s = mg_str_trim(s);
  p = s.buf;
  if (s.len != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' ||
      p[16] != ' ' || p[19] != ':' || p[22] != ':' || p[25] != ' ' || memcmp(p + 26, "GMT", 3) != 0) {
    return -1;
  }
  for (i = 0; i < 12; i++) {
    if (memcmp(p + 8, s_months + i * 3, 3) == 0) mon = i + 1;
  }
  day = num(p + 5, 2), year = num(p + 12, 4), hh = num(p + 17, 2), mm = num(p + 20, 2),
  ss = num(p + 23, 2);
  if (mon < 0 || day < 1 || day > mdays(year, mon) || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
      ss < 0 || ss > 59) {
    return -1;
  }
  return days_from_civil(year, (unsigned) mon, (unsigned) day) * 86400 + hh * 3600 + mm * 60 + ss;
}

int mg_http_range(struct mg_str v, uint64_t size, uint64_t *start, uint64_t *len) {
  struct mg_str a, b;
  size_t i;
  uint64_t x = 0, y = 0;
  v = mg_str_trim(v);
  if (v.len < 7 || !mg_str_ieq(mg_str_n(v.buf, 6), "bytes=")) return 0;
  v = mg_str_trim(mg_str_n(v.buf + 6, v.len - 6));
  for (i = 0; i < v.len && v.buf[i] != '-'; i++) {
    if (v.buf[i] == ',') return 0;
  }
  if (i == v.len) return 0;
  a = mg_str_trim(mg_str_n(v.buf, i));
  b = mg_str_trim(mg_str_n(v.buf + i + 1, v.len - i - 1));
  for (i = 0; i < b.len; i++) {
    if (b.buf[i] == ',') return 0;  // several ranges: answer the whole file
  }
  if ((a.len > 0 && !mg_str_to_u64(a, &x)) || (b.len > 0 && !mg_str_to_u64(b, &y))) return 0;
  if (a.len == 0) {  // suffix: the last y bytes
    if (b.len == 0) return 0;
    if (y == 0 || size == 0) return -1;
    if (y > size) y = size;
    *start = size - y, *len = y;
    return 1;
  }
  if (b.len > 0 && y < x) return 0;  // invalid: ignored (RFC 9110 14.2)
  if (x >= size) return -1;
  if (b.len == 0 || y >= size) y = size - 1;
  *start = x, *len = y - x + 1;
  return 1;
}

// Built-in types (Mongoose's list, trimmed to what a web root holds).
static const char *const s_mime[] = {
    "html", "text/html; charset=utf-8", "htm", "text/html; charset=utf-8",
    "css", "text/css; charset=utf-8", "js", "text/javascript; charset=utf-8",
    "mjs", "text/javascript; charset=utf-8", "json", "application/json",
    "map", "application/json", "txt", "text/plain; charset=utf-8",
    "md", "text/markdown; charset=utf-8", "csv", "text/csv",
    "xml", "application/xml", "svg", "image/svg+xml", "png", "image/png",
    "jpg", "image/jpeg", "jpeg", "image/jpeg", "gif", "image/gif",
    "webp", "image/webp", "avif", "image/avif", "ico", "image/x-icon",
    "bmp", "image/bmp", "woff", "font/woff", "woff2", "font/woff2",
    "ttf", "font/ttf", "otf", "font/otf", "wasm", "application/wasm",
    "pdf", "application/pdf", "zip", "application/zip", "gz", "application/gzip",
    "tar", "application/x-tar", "mp3", "audio/mpeg", "wav", "audio/wav",
    "ogg", "audio/ogg", "mp4", "video/mp4", "webm", "video/webm",
    "webmanifest", "application/manifest+json", "bin", "application/octet-stream",
    NULL, NULL};

struct mg_str mg_http_mime(struct mg_str name, struct mg_str overrides) {
  struct mg_str ext = mg_str_n(NULL, 0), item;
  size_t i;
  for (i = name.len; i > 0; i--) {
    if (name.buf[i - 1] == '.') {
      ext = mg_str_n(name.buf + i, name.len - i);
      break;
    }
    if (name.buf[i - 1] == '/') break;
  }
  if (ext.len == 0) return mg_str_s("application/octet-stream");
  while (mg_str_split(&overrides, &item, ',')) {
    size_t eq;
    for (eq = 0; eq < item.len && item.buf[eq] != '='; eq++) continue;
    if (eq < item.len && mg_strcasecmp(mg_str_trim(mg_str_n(item.buf, eq)), ext) == 0) {
      return mg_str_trim(mg_str_n(item.buf + eq + 1, item.len - eq - 1));
    }
  }
  for (i = 0; s_mime[i] != NULL; i += 2) {
    if (mg_strcasecmp(mg_str_s(s_mime[i]), ext) == 0) return mg_str_s(s_mime[i + 1]);
  }
  return mg_str_s("application/octet-stream");
}
