// alloc.h: the core's counting allocator.
//
// Every byte the core allocates goes through mg_calloc/mg_realloc/mg_free so that
// mgx_heap_used() can report live core memory (leak tests) and tests can
// simulate allocation failure with a byte budget.
#ifndef MG_ALLOC_H
#define MG_ALLOC_H

#include <stddef.h>

// Zeroed block of count*size bytes, or NULL (overflow, budget, or OOM).
void *mg_calloc(size_t count, size_t size);
// Resize a block from mg_calloc/mg_realloc (NULL: a new block) to `size`
// bytes, keeping its first min(old, size) bytes; bytes past the old size are
// NOT zeroed. Returns NULL on failure (the block is left as it was) and for
// size 0 (use mg_free).
void *mg_realloc(void *ptr, size_t size);
// Free a block from mg_calloc/mg_realloc; NULL is ignored.
void mg_free(void *ptr);
// Bytes currently allocated (payload only, headers excluded).
size_t mg_heap_used(void);
// Test hook: fail allocations that would take mg_heap_used() over `bytes`
// (0 = no budget).
void mg_alloc_budget(size_t bytes);

#endif
