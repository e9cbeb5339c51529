// test_core.c: str, iobuf, fmt and the counting allocator.
#include "../src/alloc.h"
#include "../src/fmt.h"
#include "../src/iobuf.h"
#include "../src/mgx.h"
#include "../src/str.h"
#include "test.h"

static void str_compare(void) {
  struct mg_str a = mg_str_s("Content-Length"), b = mg_str_s("content-length");
  ASSERT(mg_strcmp(a, b) != 0);
  ASSERT(mg_strcasecmp(a, b) == 0);
  ASSERT(mg_str_ieq(a, "CONTENT-LENGTH"));
  ASSERT(!mg_str_ieq(a, "Content-Lengt"));
  ASSERT(mg_strcmp(mg_str_s("ab"), mg_str_s("abc")) < 0);
  ASSERT(mg_strcmp(mg_str_s("b"), mg_str_s("abc")) > 0);
  ASSERT(mg_str_s(NULL).len == 0);
  ASSERT(mg_strcmp(mg_str_n("x", 0), mg_str_s("")) == 0);
}

static void str_trim_split_tokens(void) {
  struct mg_str s = mg_str_trim(mg_str_s(" \t hi there \t"));
  struct mg_str list = mg_str_s("a, b ,,c"), item;
  ASSERT(s.len == 8 && memcmp(s.buf, "hi there", 8) == 0);
  ASSERT(mg_str_split(&list, &item, ','));
  ASSERT(mg_str_ieq(item, "a"));
  ASSERT(mg_str_split(&list, &item, ','));
  ASSERT(mg_str_ieq(item, "b"));
  ASSERT(mg_str_split(&list, &item, ','));
  ASSERT(item.len == 0);
  ASSERT(mg_str_split(&list, &item, ','));
  ASSERT(mg_str_ieq(item, "c"));
  ASSERT(!mg_str_split(&list, &item, ','));
  ASSERT(mg_str_has_token(mg_str_s("keep-alive, Close"), "close"));
  ASSERT(!mg_str_has_token(mg_str_s("closed, x-close"), "close"));
}

static void str_to_u64(void) {
  uint64_t v = 0;
  ASSERT(mg_str_to_u64(mg_str_s("0"), &v) && v == 0);
  ASSERT(mg_str_to_u64(mg_str_s("18446744073709551615"), &v) && v == UINT64_MAX);
  ASSERT(!mg_str_to_u64(mg_str_s("18446744073709551616"), &v));
  ASSERT(!mg_str_to_u64(mg_str_s(""), &v));
  ASSERT(!mg_str_to_u64(mg_str_s("+5"), &v));
  ASSERT(!mg_str_to_u64(mg_str_s("5 "), &v));
  ASSERT(!mg_str_to_u64(mg_str_s("0x10"), &v));
}

static void iobuf_grow_and_delete(void) {
  struct mg_iobuf io = {NULL, 0, 0, 16};
  ASSERT(mg_iobuf_add(&io, 0, "hello", 5));
  ASSERT_INT(io.size, 16);
  ASSERT_INT(io.len, 5);
  ASSERT(mg_iobuf_add(&io, 5, " world, how are you", 19));
  ASSERT_INT(io.size, 32);
  ASSERT(memcmp(io.buf, "hello world, how are you", 24) == 0);
  ASSERT(mg_iobuf_add(&io, 0, ">>", 2));  // insert at the front
  ASSERT(memcmp(io.buf, ">>hello", 7) == 0);
  ASSERT_INT(mg_iobuf_del(&io, 0, 2), 2);
  ASSERT_INT(mg_iobuf_del(&io, 5, 6), 6);
  ASSERT(io.len == 18 && memcmp(io.buf, "hello, how are you", 18) == 0);
  ASSERT_INT(mg_iobuf_del(&io, 10, 1000), 8);
  ASSERT_INT(mg_iobuf_del(&io, 99, 1), 0);
  ASSERT(!mg_iobuf_resize(&io, 5));  // below len
  ASSERT(mg_iobuf_resize(&io, 10));
  ASSERT_INT(io.size, 16);
  ASSERT(mg_iobuf_add(&io, io.len, NULL, 3));  // zero fill
  ASSERT(io.buf[10] == 0 && io.buf[12] == 0);
  mg_iobuf_free(&io);
  ASSERT(io.buf == NULL && io.size == 0 && io.len == 0);
  ASSERT_INT(mgx_heap_used(), 0);
}

static void iobuf_alloc_failure_keeps_data(void) {
  struct mg_iobuf io = {NULL, 0, 0, 0};
  ASSERT(mg_iobuf_add(&io, 0, "abc", 3));
  mg_alloc_budget(100);
  ASSERT(!mg_iobuf_add(&io, 3, NULL, 200));
  ASSERT(io.len == 3 && memcmp(io.buf, "abc", 3) == 0);
  mg_alloc_budget(0);
  mg_iobuf_free(&io);
}

static void alloc_counts(void) {
  void *a = mg_calloc(3, 10), *b = mg_calloc(1, 7);
  ASSERT(a != NULL && b != NULL);
  ASSERT_INT(mg_heap_used(), 37);
  mg_free(a);
  ASSERT_INT(mg_heap_used(), 7);
  mg_free(b);
  mg_free(NULL);
  ASSERT_INT(mg_heap_used(), 0);
  ASSERT(mg_calloc((size_t) -1, 16) == NULL);  // overflow
  ASSERT(mgx_scratch(100) != NULL);
  ASSERT(mgx_heap_used() >= 100);
}

static void fmt_numbers(void) {
  char buf[64];
  ASSERT_INT(mg_fmt_u64(buf, 0), 1);
  ASSERT(buf[0] == '0');
  ASSERT_INT(mg_fmt_u64(buf, UINT64_MAX), 20);
  ASSERT(memcmp(buf, "18446744073709551615", 20) == 0);
  ASSERT_INT(mg_fmt_hex(buf, 0xbeef1), 5);
  ASSERT(memcmp(buf, "beef1", 5) == 0);
  mg_snprintf(buf, sizeof(buf), "%d|%u|%x|%s|%.*s|%c|%%|%zu|%lld", -42, 7u, 255u, "str", 2,
              "abc", 'z', (size_t) 9, -1234567890123LL);
  ASSERT_STR(buf, "-42|7|ff|str|ab|z|%|9|-1234567890123");
  ASSERT_INT(mg_snprintf(buf, 4, "%s", "abcdef"), 6);  // truncated, still counted
  ASSERT_STR(buf, "abc");
  mg_snprintf(buf, sizeof(buf), "%d %s", -2147483647 - 1, (const char *) NULL);
  ASSERT_STR(buf, "-2147483648 (null)");
}

void suite_core(void) {
  RUN(str_compare);
  RUN(str_trim_split_tokens);
  RUN(str_to_u64);
  RUN(iobuf_grow_and_delete);
  RUN(iobuf_alloc_failure_keeps_data);
  RUN(alloc_counts);
  RUN(fmt_numbers);
}
