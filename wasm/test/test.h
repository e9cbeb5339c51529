// test.h: a tiny test framework for the native core tests.
//
// A test is a `static void name(void)`; ASSERT* return from it on the first
// failure. Each suite_*() runs its tests with RUN(). After every test the
// runner checks that the core heap is back where it started (leaks).
#ifndef MG_TEST_H
#define MG_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

void test_fail(const char *file, int line, const char *fmt, ...);
void test_run(const char *name, void (*fn)(void));
int test_failed(void);  // has the running test failed yet?

#define RUN(fn) test_run(#fn, fn)

#define ASSERT(cond)                                    \
  do {                                                  \
    if (!(cond)) {                                      \
      test_fail(__FILE__, __LINE__, "%s", #cond);       \
      return;                                           \
    }                                                   \
  } while (0)

#define ASSERT_INT(a, b)                                                         \
  do {                                                                           \
    long long a_ = (long long) (a), b_ = (long long) (b);                        \
    if (a_ != b_) {                                                              \
      test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_);  \
      return;                                                                    \
    }                                                                            \
  } while (0)

#define ASSERT_STR(a, b)                                                             \
  do {                                                                               \
    const char *a_ = (a), *b_ = (b);                                                 \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                           \
      test_fail(__FILE__, __LINE__, "%s == %s\n  got:  [%s]\n  want: [%s]", #a, #b, \
                a_ ? a_ : "(null)", b_ ? b_ : "(null)");                              \
      return;                                                                        \
    }                                                                                \
  } while (0)

// Substring check.
#define ASSERT_HAS(hay, needle)                                                      \
  do {                                                                               \
    const char *h_ = (hay), *n_ = (needle);                                          \
    if (h_ == NULL || strstr(h_, n_) == NULL) {                                      \
      test_fail(__FILE__, __LINE__, "%s contains %s\n  got: [%s]", #hay, #needle,   \
                h_ ? h_ : "(null)");                                                 \
      return;                                                                        \
    }                                                                                \
  } while (0)

#define ASSERT_NOT_HAS(hay, needle)                                                  \
  do {                                                                               \
    const char *h_ = (hay), *n_ = (needle);                                          \
    if (h_ != NULL && strstr(h_, n_) != NULL) {                                      \
      test_fail(__FILE__, __LINE__, "%s lacks %s\n  got: [%s]", #hay, #needle, h_); \
      return;                                                                        \
    }                                                                                \
  } while (0)

// Connection `id` of the fake host was answered with `status_line` (a
// prefix of its output) and Connection: close, its request never reached the
// handler, and it closed once: the core refused the request by itself.
#define ASSERT_REFUSED(id, status_line)                                              \
  do {                                                                               \
    ASSERT(strncmp(fake_out(id), (status_line), strlen(status_line)) == 0);          \
    ASSERT_HAS(fake_out(id), "Connection: close\r\n");                              \
    ASSERT_NOT_HAS(fake_events(id), "MSG");                                          \
    ASSERT_INT(fake_closes(id), 1);                                                  \
  } while (0)

// Suites (one per test_*.c file).
void suite_core(void);
void suite_timer(void);
void suite_net(void);
void suite_http_parse(void);
void suite_http_server(void);
void suite_http_reply(void);
void suite_http_split(void);
void suite_http_client(void);
void suite_shutdown(void);
void suite_hardening(void);
void suite_backpressure(void);
void suite_util(void);
void suite_udp_sntp(void);
void suite_tls(void);
void suite_http_static(void);
void suite_http_fail(void);
void suite_http_form(void);    // http_form.c: creds, vars, multipart
void suite_http_stream(void);  // http_stream.c: streamed request bodies
void suite_http_rfc9112(void); // request framing held to RFC 9112
void suite_http_datehdr(void); // the Date header of responses (RFC 9110 6.6.1)
void suite_mqtt(void);
void suite_mqtt_ws(void);
void suite_ws(void);

#endif
