// fs_fake.h: the host file interface (fs.h) for the native tests: an
// in-memory file set, with "symlinks" that leave the root simulated by
// marking paths as outside (host_fs_within answers 0 for them).
#ifndef MG_FS_FAKE_H
#define MG_FS_FAKE_H

#include <stddef.h>
#include <stdint.h>

void fs_fake_reset(void);
// Add a file (data is copied) or a directory (data NULL). mtime in seconds.
void fs_fake_add(const char *path, const char *data, size_t len, double mtime);
void fs_fake_dir(const char *path);
// host_fs_within answers 0 for `path`.
void fs_fake_outside(const char *path);
// Handles open now (must be 0 once everything is done).
int fs_fake_open_handles(void);
// The last host_body call: id, fd, offset, len (id 0 if none since reset).
struct fs_fake_body {
  uint32_t id, fd;
  double off, len;
  int calls;
};
extern struct fs_fake_body fs_fake_body;
// The bytes of an open handle's range (for checking a host body).
const char *fs_fake_data(uint32_t fd, size_t *len);
// Counts of host_fs_read calls (inline reads) since reset.
extern int fs_fake_reads;

#endif
