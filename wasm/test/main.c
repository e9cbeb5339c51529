// main.c: runs every suite and prints "N passed, N failed" last.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../src/alloc.h"
#include "../src/net.h"
#include "host_fake.h"
#include "test.h"

static int s_passed, s_failed, s_cur_failed;
static const char *s_cur;

void test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  if (s_cur_failed) return;  // report the first failure of a test only
  s_cur_failed = 1;
  printf("FAIL %s\n  %s:%d: ", s_cur, file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

int test_failed(void) {
  return s_cur_failed;
}

void test_run(const char *name, void (*fn)(void)) {
  size_t before;
  s_cur = name;
  s_cur_failed = 0;
  fake_reset();
  before = mg_heap_used();
  fn();
  mg_scratch_free();
  mg_alloc_budget(0);
  if (!s_cur_failed && mg_heap_used() != before) {
    test_fail(__FILE__, __LINE__, "core heap leak: %zu bytes live after the test",
              mg_heap_used() - before);
  }
  if (s_cur_failed) {
    s_failed++;
  } else {
    s_passed++;
    printf("ok %s\n", name);
  }
  fflush(stdout);
}

int main(void) {
  suite_core();
  suite_timer();
  suite_net();
  suite_http_parse();
  suite_http_server();
  suite_http_reply();
  suite_http_split();
  suite_http_client();
  suite_shutdown();
  suite_http_static();
  suite_hardening();
  suite_backpressure();
  suite_util();
  suite_udp_sntp();
  suite_tls();
  suite_http_fail();
  suite_http_form();
  suite_http_stream();
  suite_http_rfc9112();
  suite_http_datehdr();
  suite_mqtt();
  suite_mqtt_ws();
  suite_ws();
  fake_reset();
  printf("%d passed, %d failed\n", s_passed, s_failed);
  return s_failed == 0 ? 0 : 1;
}
