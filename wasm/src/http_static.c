// http_static.c: mg_http_serve_dir / mg_http_serve_file over the host file
// interface (fs.h). Paths are normalised by http_path.c first, then checked
// by the host for symlinks leaving the root (host_fs_within). File bodies go
// out through mg_http_reply_src: small ones read into c->send, big ones
// written by the host itself.
#include "http_static.h"

#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "fs.h"
#include "http_cond.h"
#include "http_head.h"
#include "http_path.h"
#include "iobuf.h"

static void h_str(struct mg_head *h, const char *s) {
  mg_head_put(h, s, strlen(s));
}

static void h_line(struct mg_head *h, const char *name, struct mg_str value) {
  h_str(h, name);
  h_str(h, ": ");
  mg_head_put(h, value.buf, value.len);
  h_str(h, "\r\n");
}

static void reply_text(struct mg_connection *c, int status, const struct mg_http_serve_opts *o,
                       const char *extra, const char *body) {
  struct mg_head h;
  mg_head_init(&h);
  h_str(&h, extra);
  mg_head_put(&h, o->extra_headers.buf, o->extra_headers.len);
  if (h.ok) {
    mg_http_reply(c, status, mg_head_data(&h), mg_head_len(&h), body, strlen(body));
  } else {
    mg_http_reply(c, 500, NULL, 0, "", 0);
  }
  mg_head_free(&h);
}

static bool is_head_or_get(const struct mg_http_message *hm) {
  return mg_str_ieq(hm->method, "GET") || mg_str_ieq(hm->method, "HEAD");
}

static bool accepts_gzip(struct mg_http_message *hm) {
  struct mg_str *ae = mg_http_get_header(hm, "Accept-Encoding"), list, item;
  if (ae == NULL) return false;
  list = *ae;
  while (mg_str_split(&list, &item, ',')) {
    size_t i;
    for (i = 0; i < item.len && item.buf[i] != ';'; i++) continue;
    if (mg_str_ieq(mg_str_trim(mg_str_n(item.buf, i)), "gzip")) {
      // "gzip;q=0" refuses it.
      struct mg_str q = mg_str_trim(mg_str_n(item.buf + i, item.len - i));
      return !(q.len >= 4 && q.buf[q.len - 1] == '0' && (q.buf[q.len - 2] == '=' ||
                                                          q.buf[q.len - 2] == '.'));
    }
  }
  return false;
}

static void not_found(struct mg_connection *c, struct mg_http_message *hm,
                      const struct mg_http_serve_opts *o);

// Whether `v` may stand in a header line as it is (no CR, LF, NUL or
// other control bytes; not empty).
static bool field_ok(struct mg_str v) {
  size_t i;
  for (i = 0; i < v.len; i++) {
    if (!mg_http_field_char((unsigned char) v.buf[i])) return false;
  }
  return v.len > 0;
}

// The strong validator "<mtime hex>.<size hex>[-gz]" (quotes included).
static size_t make_etag(char *buf, uint64_t mtime, uint64_t size, bool gz) {
  size_t n = 0;
  buf[n++] = '"';
  n += mg_fmt_hex(buf + n, mtime);
  buf[n++] = '.';
  n += mg_fmt_hex(buf + n, size);
  if (gz) memcpy(buf + n, "-gz", 3), n += 3;
  buf[n++] = '"';
  return n;
}

// The IMF-fixdate of `mtime` (29 bytes). The last one is kept: a site's
// files are asked for again and again, and most share few mtimes.
static const char *last_modified(uint64_t mtime) {
  static uint64_t s_mtime;
  static char s_date[40];
  if (s_date[0] == '\0' || s_mtime != mtime) {
    mg_http_date(s_date, sizeof(s_date), (int64_t) mtime);
    s_mtime = mtime;
  }
  return s_date;
}

// Answer with the core-built lines of `h` and the user's extra headers.
static void reply_lines(struct mg_connection *c, int status, const struct mg_head *h,
                        struct mg_http_lines *lines, const struct mg_http_serve_opts *o,
                        const struct mg_body_src *src) {
  lines->buf = mg_head_data(h);
  lines->len = mg_head_len(h);
  mg_http_reply_core(c, status, lines, o->extra_headers.buf, o->extra_headers.len, src);
}

// Serve the file at path[0..len) (NUL-terminated, len < MG_PATH_MAX - 3)
// with `status` (200, or 404 for page404: no conditionals, no ranges).
// `known`: its {size, mtime} when the caller has just stat()ed it as a
// regular file (one host call less per request), else NULL.
static void serve_file(struct mg_connection *c, struct mg_http_message *hm, char *path,
                       size_t len, const struct mg_http_serve_opts *o, int status,
                       const double *known) {
  double st[2] = {0, 0};
  int fl = known != NULL ? MG_FS_READ : host_fs_stat(path, len, st);
  struct mg_str name = mg_str_n(path, len), mime = mg_http_mime(name, o->mime_types), *v;
  struct mg_body_src src;
  struct mg_http_lines lines;
  struct mg_head h;
  uint64_t size, mtime;
  bool gz = false;
  char etag[48];
  size_t etag_len;
  if (known != NULL) st[0] = known[0], st[1] = known[1];
  if (!(fl & MG_FS_READ) || (fl & MG_FS_DIR)) {
    if (status == 200) not_found(c, hm, o);
    else reply_text(c, 404, o, "", "Not found\n");
    return;
  }
  if (accepts_gzip(hm) && len + 3 < MG_PATH_MAX) {
    double gst[2] = {0, 0};
    int gfl;
    memcpy(path + len, ".gz", 4);
    gfl = host_fs_stat(path, len + 3, gst);
    if ((gfl & MG_FS_READ) && !(gfl & MG_FS_DIR)) {
      gz = true, st[0] = gst[0], st[1] = gst[1];
    } else {
      path[len] = '\0';
    }
  }
  size = st[0] > 0 ? (uint64_t) st[0] : 0;
  mtime = st[1] > 0 ? (uint64_t) st[1] : 0;
  etag_len = make_etag(etag, mtime, size, gz);
  // The file's lines are the core's own (only the MIME type comes from the
  // user's table: it is checked here); the user's extra headers follow and
  // are checked line by line when the head is written.
  mg_head_init(&h);
  lines.content_type = field_ok(mime);
  if (lines.content_type) h_line(&h, "Content-Type", mime);
  if (gz) h_str(&h, "Content-Encoding: gzip\r\n");
  h_str(&h, "Vary: Accept-Encoding\r\n");
  h_str(&h, "Last-Modified: ");
  h_str(&h, last_modified(mtime));
  h_str(&h, "\r\nEtag: ");
  mg_head_put(&h, etag, etag_len);
  mg_head_put(&h, "\r\n", 2);
  src.off = 0, src.len = size;
  if (status == 200) {
    // RFC 9110 13.2.2: 412 / 304 decided in order; If-Range may drop the Range.
    bool use_range = false;
    int pre = mg_http_preconditions(hm, mg_str_n(etag, etag_len), (int64_t) mtime, &use_range);
    if (pre != 0) {
      if (h.ok && pre == 304) reply_lines(c, 304, &h, &lines, o, NULL);
      mg_head_free(&h);
      if (!h.ok) reply_text(c, 500, o, "", "Out of memory\n");
      else if (pre == 412) reply_text(c, 412, o, "", "Precondition failed\n");
      return;
    }
    if (!gz) h_str(&h, "Accept-Ranges: bytes\r\n");
    if (!gz && use_range && (v = mg_http_get_header(hm, "Range")) != NULL) {
      uint64_t start = 0, n = 0;
      int r = mg_http_range(*v, size, &start, &n);
      char cr[80];
      if (r < 0) {
        mg_snprintf(cr, sizeof(cr), "Content-Range: bytes */%llu\r\n", (unsigned long long) size);
        h_str(&h, cr);
        if (h.ok) reply_lines(c, 416, &h, &lines, o, NULL);
        mg_head_free(&h);
        return;
      }
      if (r > 0) {
        mg_snprintf(cr, sizeof(cr), "Content-Range: bytes %llu-%llu/%llu\r\n",
                    (unsigned long long) start, (unsigned long long) (start + n - 1),
                    (unsigned long long) size);
        h_str(&h, cr);
        status = 206, src.off = start, src.len = n;
      }
    }
  }
  src.fd = h.ok ? host_fs_open(path, strlen(path), MG_FS_READ) : 0;
  if (src.fd == 0) {
    mg_head_free(&h);
    reply_text(c, h.ok ? 404 : 500, o, "", h.ok ? "Not found\n" : "Out of memory\n");
    return;
  }
  src.in_host = src.len > MG_FS_INLINE_MAX;
  reply_lines(c, status, &h, &lines, o, &src);
  mg_head_free(&h);
}

static void not_found(struct mg_connection *c, struct mg_http_message *hm,
                      const struct mg_http_serve_opts *o) {
  char path[MG_PATH_MAX];
  struct mg_str p = o->page404, root = o->root_dir;
  double st[2];
  size_t n = 0;
  // A relative page404 that is not there as given is looked up in the web
  // root ("404.html" beside the pages it stands in for), never outside it.
  if (p.len > 0 && p.buf[0] != '/' && root.len > 0 && root.len + p.len + 5 < sizeof(path) &&
      p.len + 3 < sizeof(path)) {
    memcpy(path, p.buf, p.len);
    path[p.len] = '\0';
    if (!(host_fs_stat(path, p.len, st) & MG_FS_READ)) {
      memcpy(path, root.buf, root.len), n = root.len;
      if (path[n - 1] != '/') path[n++] = '/';
      memcpy(path + n, p.buf, p.len), n += p.len;
      path[n] = '\0';
      if (!host_fs_within(root.buf, root.len, path, n)) n = 0;
    }
  }
  if (n > 0) {
    serve_file(c, hm, path, n, o, 404, NULL);
  } else if (p.len > 0 && p.len + 3 < sizeof(path)) {
    memcpy(path, p.buf, p.len);
    path[p.len] = '\0';
    serve_file(c, hm, path, p.len, o, 404, NULL);
  } else {
    reply_text(c, 404, o, "", "Not found\n");
  }
}

// Append `s` to io percent-encoded (href) or HTML-escaped (text).
static void put_escaped(struct mg_iobuf *io, struct mg_str s, bool href) {
  static const char hex[] = "0123456789ABCDEF";
  size_t i;
  for (i = 0; i < s.len; i++) {
    unsigned char ch = (unsigned char) s.buf[i];
    char tmp[8];
    size_t n = 0;
    if (href && !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || strchr("-._~/", ch) != NULL)) {
      tmp[0] = '%', tmp[1] = hex[ch >> 4], tmp[2] = hex[ch & 15], n = 3;
    } else if (!href && strchr("<>&\"'", ch) != NULL && ch != 0) {
      n = mg_snprintf(tmp, sizeof(tmp), "&#%d;", (int) ch);
    } else {
      tmp[0] = (char) ch, n = 1;
    }
    mg_iobuf_add(io, io->len, tmp, n);
  }
}

static void list_dir(struct mg_connection *c, const char *dir, size_t dir_len,
                     struct mg_str uri, const struct mg_http_serve_opts *o) {
  struct mg_iobuf names, page;
  uint32_t fd = host_fs_open(dir, dir_len, MG_FS_DIR);
  size_t i, start;
  char buf[4096];
  double off = 0;
  struct mg_head h;
  if (fd == 0) {
    reply_text(c, 404, o, "", "Not found\n");
    return;
  }
  memset(&names, 0, sizeof(names));
  memset(&page, 0, sizeof(page));
  names.align = page.align = 4096;
  for (;;) {
    size_t n = host_fs_read(fd, off, buf, sizeof(buf));
    if (n == 0 || n > sizeof(buf) || names.len + n > MG_DIRLIST_MAX) break;
    if (!mg_iobuf_add(&names, names.len, buf, n)) break;
    off += (double) n;
  }
  host_fs_close(fd);
  {
    static const char head1[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
    static const char head2[] = "</title></head>\n<body><h1>Index of ";
    static const char head3[] = "</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n";
    mg_iobuf_add(&page, page.len, head1, sizeof(head1) - 1);
    put_escaped(&page, uri, false);
    mg_iobuf_add(&page, page.len, head2, sizeof(head2) - 1);
    put_escaped(&page, uri, false);
    mg_iobuf_add(&page, page.len, head3, sizeof(head3) - 1);
  }
  for (i = start = 0; i < names.len; i++) {
    if (names.buf[i] != '\n') continue;
    if (i > start) {
      struct mg_str nm = mg_str_n((const char *) names.buf + start, i - start);
      mg_iobuf_add(&page, page.len, "<li><a href=\"", 13);
      put_escaped(&page, nm, true);
      mg_iobuf_add(&page, page.len, "\">", 2);
      put_escaped(&page, nm, false);
      mg_iobuf_add(&page, page.len, "</a></li>\n", 10);
    }
    start = i + 1;
  }
  mg_iobuf_add(&page, page.len, "</ul>\n</body></html>\n", 21);
  mg_head_init(&h);
  h_str(&h, "Content-Type: text/html; charset=utf-8\r\n");
  mg_head_put(&h, o->extra_headers.buf, o->extra_headers.len);
  if (h.ok) {
    mg_http_reply(c, 200, mg_head_data(&h), mg_head_len(&h), page.buf, page.len);
  } else {
    mg_http_reply(c, 500, NULL, 0, "", 0);
  }
  mg_head_free(&h);
  mg_iobuf_free(&names);
  mg_iobuf_free(&page);
}

void mg_http_serve_dir(struct mg_connection *c, struct mg_http_message *hm,
                       const struct mg_http_serve_opts *o) {
  char path[MG_PATH_MAX];
  struct mg_str root = o->root_dir;
  double st[2];
  int n, fl;
  if (!is_head_or_get(hm)) {
    reply_text(c, 405, o, "Allow: GET, HEAD\r\n", "Method not allowed\n");
    return;
  }
  while (root.len > 1 && root.buf[root.len - 1] == '/') root.len--;
  if (root.len == 0 || root.len + 16 >= sizeof(path)) {
    reply_text(c, 500, o, "", "Bad web root\n");
    return;
  }
  memcpy(path, root.buf, root.len);
  n = mg_http_path_normalize(hm->uri.buf, hm->uri.len, path + root.len,
                             sizeof(path) - root.len - 16);
  if (n < 0) {
    reply_text(c, 400, o, "", "Bad path\n");
    return;
  }
  if (root.len == 1 && root.buf[0] == '/') {
    memmove(path, path + 1, (size_t) n + 1), n--;  // "/" + "/a" -> "/a"
  }
  n += (int) root.len;
  fl = host_fs_stat(path, (size_t) n, st);
  if (fl == 0 || !host_fs_within(root.buf, root.len, path, (size_t) n)) {
    not_found(c, hm, o);
    return;
  }
  if (!(fl & MG_FS_DIR)) {
    serve_file(c, hm, path, (size_t) n, o, 200, (fl & MG_FS_READ) ? st : NULL);
    return;
  }
  if (path[n - 1] != '/') {  // "/dir" -> "/dir/", so relative links resolve
    struct mg_head h;
    mg_head_init(&h);
    h_str(&h, "Location: ");
    mg_head_put(&h, hm->uri.buf, hm->uri.len);
    h_str(&h, "/");
    if (hm->query.len > 0) {
      h_str(&h, "?");
      mg_head_put(&h, hm->query.buf, hm->query.len);
    }
    h_str(&h, "\r\n");
    mg_head_put(&h, o->extra_headers.buf, o->extra_headers.len);
    if (h.ok) mg_http_reply(c, 301, mg_head_data(&h), mg_head_len(&h), "", 0);
    else mg_http_reply(c, 500, NULL, 0, "", 0);
    mg_head_free(&h);
    return;
  }
  memcpy(path + n, "index.html", 11);
  fl = host_fs_stat(path, (size_t) n + 10, st);
  if ((fl & MG_FS_READ) && !(fl & MG_FS_DIR) &&
      host_fs_within(root.buf, root.len, path, (size_t) n + 10)) {
    serve_file(c, hm, path, (size_t) n + 10, o, 200, st);
    return;
  }
  path[n] = '\0';
  if (o->dir_listing) {
    // A listing has no validators: only "*" satisfies If-Match (or, in
    // If-None-Match, gives 304).
    bool use_range;
    int pre = mg_http_preconditions(hm, mg_str_n(NULL, 0), -1, &use_range);
    if (pre != 0) {
      reply_text(c, pre, o, "", pre == 412 ? "Precondition failed\n" : "");
      return;
    }
    list_dir(c, path, (size_t) n, hm->uri, o);
  } else {
    reply_text(c, 403, o, "", "Forbidden\n");
  }
}

void mg_http_serve_file(struct mg_connection *c, struct mg_http_message *hm, struct mg_str path,
                        const struct mg_http_serve_opts *o) {
  char buf[MG_PATH_MAX];
  if (!is_head_or_get(hm)) {
    reply_text(c, 405, o, "Allow: GET, HEAD\r\n", "Method not allowed\n");
    return;
  }
  if (path.len == 0 || path.len + 4 > sizeof(buf) || memchr(path.buf, 0, path.len) != NULL) {
    reply_text(c, 404, o, "", "Not found\n");
    return;
  }
  memcpy(buf, path.buf, path.len);
  buf[path.len] = '\0';
  serve_file(c, hm, buf, path.len, o, 200, NULL);
}

// ---- exports -------------------------------------------------------------------

static void enter_(struct mg_mgr *m) { m->entered++; }
static void leave_(struct mg_mgr *m) {
  if (--m->entered == 0 && m->free_pending) mg_mgr_destroy(m);
}

static bool servable(struct mg_connection *c) {
  return (c->flags & (MG_F_HTTP | MG_F_CLIENT)) == MG_F_HTTP &&
         (c->flags & (MG_F_REQ_PENDING | MG_F_RESP_STARTED)) == MG_F_REQ_PENDING &&
         !(c->flags & (MG_F_CLOSING | MG_F_FINAL | MG_F_CLOSE_SENT));
}

int mgx_http_serve_dir(struct mg_connection *c, struct mg_http_message *hm, const char *root,
                       size_t root_len, const char *extra, size_t extra_len, const char *mime,
                       size_t mime_len, const char *page404, size_t page404_len, int flags) {
  struct mg_http_serve_opts o;
  struct mg_mgr *mgr = c->mgr;
  if (!servable(c) || hm == NULL) return 0;
  o.root_dir = mg_str_n(root, root_len);
  o.extra_headers = mg_str_n(extra, extra_len);
  o.mime_types = mg_str_n(mime, mime_len);
  o.page404 = mg_str_n(page404, page404_len);
  o.dir_listing = (flags & 1) != 0;
  enter_(mgr);
  mg_http_serve_dir(c, hm, &o);
  leave_(mgr);
  return 1;
}

int mgx_http_serve_file(struct mg_connection *c, struct mg_http_message *hm, const char *path,
                        size_t path_len, const char *extra, size_t extra_len, const char *mime,
                        size_t mime_len) {
  struct mg_http_serve_opts o;
  struct mg_mgr *mgr = c->mgr;
  if (!servable(c) || hm == NULL) return 0;
  memset(&o, 0, sizeof(o));
  o.extra_headers = mg_str_n(extra, extra_len);
  o.mime_types = mg_str_n(mime, mime_len);
  enter_(mgr);
  mg_http_serve_file(c, hm, mg_str_n(path, path_len), &o);
  leave_(mgr);
  return 1;
}

int mgx_http_reply_host(struct mg_connection *c, int status, const char *headers,
                        size_t headers_len, double len, uint32_t fd) {
  struct mg_body_src src;
  src.fd = fd;
  src.off = 0;
  src.len = len > 0 ? (uint64_t) len : 0;
  src.in_host = true;
  return mg_http_reply_src(c, status, headers, headers_len, &src) ? 1 : 0;
}

int mgx_body_sent(struct mg_connection *c, double n) {
  struct mg_mgr *mgr = c->mgr;
  int32_t count = n >= 2147483647.0 ? 0x7fffffff : n > 0 ? (int32_t) n : 0;
  if (!(c->flags & MG_F_BODY_HOST) || (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT))) return 0;
  c->last_io_ms = mg_millis();
  if (count > 0) {
    enter_(mgr);
    mg_call(c, MG_EV_WRITE, &count);
    leave_(mgr);
  }
  return (c->flags & (MG_F_CLOSING | MG_F_CLOSE_SENT)) ? 0 : 1;
}

void mgx_body_done(struct mg_connection *c) {
  if (!(c->flags & MG_F_BODY_HOST)) return;
  c->flags &= ~MG_F_BODY_HOST;
  c->last_io_ms = mg_millis();
  mg_mark_dirty(c);
}
