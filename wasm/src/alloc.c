// alloc.c: counting wrappers around calloc/realloc/free.
#include "alloc.h"

#include <stdlib.h>

// A header in front of every block remembers its size; 16 bytes keeps the
// payload aligned for any scalar type on wasm32 and 64-bit hosts.
#define MG_ALLOC_HDR 16

static size_t s_used;
static size_t s_budget;

void *mg_calloc(size_t count, size_t size) {
  size_t n;
  unsigned char *p;
  if (size != 0 && count > ((size_t) -1 - MG_ALLOC_HDR) / size) return NULL;
  n = count * size;
  if (s_budget != 0 && (n > s_budget || s_used > s_budget - n)) return NULL;
  p = (unsigned char *) calloc(1, n + MG_ALLOC_HDR);
  if (p == NULL) return NULL;
  *(size_t *) (void *) p = n;
  s_used += n;
  return p + MG_ALLOC_HDR;
}

void *mg_realloc(void *ptr, size_t size) {
  unsigned char *p = ptr == NULL ? NULL : (unsigned char *) ptr - MG_ALLOC_HDR;
  size_t old = p == NULL ? 0 : *(size_t *) (void *) p;
  if (size == 0 || size > (size_t) -1 - MG_ALLOC_HDR) return NULL;
  if (s_budget != 0 && size > old && (size - old > s_budget || s_used > s_budget - (size - old))) {
    return NULL;
  }
  p = (unsigned char *) realloc(p, size + MG_ALLOC_HDR);
  if (p == NULL) return NULL;
  *(size_t *) (void *) p = size;
  s_used = s_used - old + size;
  return p + MG_ALLOC_HDR;
}

void mg_free(void *ptr) {
  unsigned char *p;
  if (ptr == NULL) return;
  p = (unsigned char *) ptr - MG_ALLOC_HDR;
  s_used -= *(size_t *) (void *) p;
  free(p);
}

size_t mg_heap_used(void) {
  return s_used;
}

void mg_alloc_budget(size_t bytes) {
  s_budget = bytes;
}
