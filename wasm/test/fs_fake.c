// fs_fake.c: fs.h over an in-memory table (see fs_fake.h).
#include "fs_fake.h"

#include <stdlib.h>
#include <string.h>

#include "../src/fs.h"

#define MAXF 64
#define MAXH 64

struct ffile {
  char path[256];
  char *data;  // NULL: directory
  size_t len;
  double mtime;
  int outside;
};
struct fhandle {
  int used;
  char *data;  // owned (listings) or borrowed (files)
  size_t len;
  int owned;
};

static struct ffile s_files[MAXF];
static int s_nfiles;
static struct fhandle s_h[MAXH];
struct fs_fake_body fs_fake_body;
int fs_fake_reads;

void fs_fake_reset(void) {
  int i;
  for (i = 0; i < s_nfiles; i++) free(s_files[i].data);
  for (i = 0; i < MAXH; i++) {
    if (s_h[i].used && s_h[i].owned) free(s_h[i].data);
  }
  memset(s_files, 0, sizeof(s_files));
  memset(s_h, 0, sizeof(s_h));
  memset(&fs_fake_body, 0, sizeof(fs_fake_body));
  s_nfiles = 0;
  fs_fake_reads = 0;
}

static struct ffile *add(const char *path) {
  struct ffile *f = &s_files[s_nfiles++];
  strncpy(f->path, path, sizeof(f->path) - 1);
  return f;
}

void fs_fake_add(const char *path, const char *data, size_t len, double mtime) {
  struct ffile *f = add(path);
  f->data = (char *) malloc(len + 1);
  memcpy(f->data, data, len);
  f->len = len;
  f->mtime = mtime;
}

void fs_fake_dir(const char *path) {
  add(path)->mtime = 1;
}

void fs_fake_outside(const char *path) {
  int i;
  for (i = 0; i < s_nfiles; i++) {
    if (strcmp(s_files[i].path, path) == 0) s_files[i].outside = 1;
  }
}

int fs_fake_open_handles(void) {
  int i, n = 0;
  for (i = 0; i < MAXH; i++) n += s_h[i].used;
  return n;
}

static struct ffile *find(const char *path, size_t len) {
  int i;
  if (len > 1 && path[len - 1] == '/') len--;  // "/dir/" names "/dir"
  for (i = 0; i < s_nfiles; i++) {
    if (strlen(s_files[i].path) == len && memcmp(s_files[i].path, path, len) == 0) {
      return &s_files[i];
    }
  }
  return NULL;
}

static uint32_t new_handle(char *data, size_t len, int owned) {
  int i;
  for (i = 0; i < MAXH; i++) {
    if (!s_h[i].used) {
      s_h[i].used = 1, s_h[i].data = data, s_h[i].len = len, s_h[i].owned = owned;
      return (uint32_t) i + 1;
    }
  }
  if (owned) free(data);
  return 0;
}

const char *fs_fake_data(uint32_t fd, size_t *len) {
  if (fd == 0 || fd > MAXH || !s_h[fd - 1].used) return NULL;
  *len = s_h[fd - 1].len;
  return s_h[fd - 1].data;
}

int host_fs_stat(const char *path, size_t len, double *out) {
  struct ffile *f = find(path, len);
  if (f == NULL) return 0;
  out[0] = (double) f->len;
  out[1] = f->mtime;
  return f->data == NULL ? MG_FS_DIR : MG_FS_READ;
}

uint32_t host_fs_open(const char *path, size_t len, int flags) {
  struct ffile *f = find(path, len);
  if (f == NULL) return 0;
  if (flags & MG_FS_DIR) {
    // Children: "<path>/<name>" with no further '/'.
    size_t cap = 4096, n = 0;
    char *out = (char *) malloc(cap);
    int i;
    for (i = 0; i < s_nfiles; i++) {
      const char *p = s_files[i].path;
      size_t pl = len > 0 && path[len - 1] == '/' ? len - 1 : len;
      if (strncmp(p, path, pl) == 0 && p[pl] == '/' && p[pl + 1] != '\0' &&
          strchr(p + pl + 1, '/') == NULL && n + strlen(p) + 3 < cap) {
        size_t k = strlen(p + pl + 1);
        memcpy(out + n, p + pl + 1, k);
        n += k;
        if (s_files[i].data == NULL) out[n++] = '/';
        out[n++] = '\n';
      }
    }
    return new_handle(out, n, 1);
  }
  if (f->data == NULL) return 0;
  return new_handle(f->data, f->len, 0);
}

size_t host_fs_read(uint32_t fd, double offset, void *buf, size_t len) {
  struct fhandle *h;
  size_t off = (size_t) offset;
  fs_fake_reads++;
  if (fd == 0 || fd > MAXH || !s_h[fd - 1].used) return 0;
  h = &s_h[fd - 1];
  if (off >= h->len) return 0;
  if (len > h->len - off) len = h->len - off;
  memcpy(buf, h->data + off, len);
  return len;
}

void host_fs_close(uint32_t fd) {
  if (fd == 0 || fd > MAXH || !s_h[fd - 1].used) abort();  // double close: a core bug
  if (s_h[fd - 1].owned) free(s_h[fd - 1].data);
  memset(&s_h[fd - 1], 0, sizeof(s_h[fd - 1]));
}

int host_fs_within(const char *root, size_t rlen, const char *path, size_t plen) {
  struct ffile *f = find(path, plen);
  if (plen < rlen || memcmp(root, path, rlen) != 0) abort();  // the core built it
  return f != NULL && !f->outside;
}

void host_body(uint32_t id, uint32_t fd, double offset, double len) {
  fs_fake_body.id = id, fs_fake_body.fd = fd, fs_fake_body.off = offset, fs_fake_body.len = len;
  fs_fake_body.calls++;
}
