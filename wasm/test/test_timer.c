// test_timer.c: one-shot, repeating, run-now, cancel (also from inside the
// callback), timer_next.
#include "host_fake.h"
#include "test.h"

static struct mg_mgr *s_mgr;
static uint32_t s_cancel_id;

static void timer_one_shot_freed_after_firing(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  uint32_t id = mgx_timer_add(mgr, 100, 0);
  double used = mgx_heap_used();
  ASSERT(id > 0);
  ASSERT(mgx_timer_next(mgr) == 100);
  ASSERT_INT(mgx_poll(mgr), 0);
  fake_now += 99;
  ASSERT_INT(mgx_poll(mgr), 0);
  ASSERT_STR(fake_timers(), "");
  fake_now += 1;
  ASSERT_INT(mgx_poll(mgr), 1);
  ASSERT(fake_timers()[0] != '\0');
  ASSERT(mgx_heap_used() < used);  // freed right after its callback
  ASSERT(mgx_timer_next(mgr) == -1);
  fake_now += 1000;
  ASSERT_INT(mgx_poll(mgr), 0);
  ASSERT_INT(mgx_timer_cancel(mgr, id), 0);  // already gone
  mgx_mgr_free(mgr);
}

static void timer_repeat_and_run_now(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  char want[64];
  uint32_t id = mgx_timer_add(mgr, 50, MGX_TIMER_REPEAT | MGX_TIMER_RUN_NOW);
  ASSERT(mgx_timer_next(mgr) == 0);
  mgx_poll(mgr);  // run-now: fires on the first poll
  fake_now += 49;
  mgx_poll(mgr);
  fake_now += 1;
  mgx_poll(mgr);
  fake_now += 50;
  mgx_poll(mgr);
  snprintf(want, sizeof(want), "%u %u %u ", id, id, id);
  ASSERT_STR(fake_timers(), want);
  ASSERT(mgx_timer_next(mgr) == 50);
  // A long stall fires once, not once per missed period.
  fake_now += 1000;
  mgx_poll(mgr);
  snprintf(want, sizeof(want), "%u %u %u %u ", id, id, id, id);
  ASSERT_STR(fake_timers(), want);
  ASSERT_INT(mgx_timer_cancel(mgr, id), 1);
  ASSERT_INT(mgx_timer_cancel(mgr, id), 0);  // idempotent
  ASSERT(mgx_timer_next(mgr) == -1);
  mgx_mgr_free(mgr);
}

static void cancel_self(uint32_t id) {
  if (id == s_cancel_id) {
    ASSERT_INT(mgx_timer_cancel(s_mgr, id), 1);
    ASSERT_INT(mgx_timer_cancel(s_mgr, id), 0);
  }
}

static void timer_cancel_inside_own_callback(void) {
  uint32_t other;
  char want[64];
  s_mgr = mgx_mgr_new();
  s_cancel_id = mgx_timer_add(s_mgr, 10, MGX_TIMER_REPEAT);
  other = mgx_timer_add(s_mgr, 10, MGX_TIMER_REPEAT);
  fake_timer_hook = cancel_self;
  fake_now += 10;
  ASSERT_INT(mgx_poll(s_mgr), 2);
  fake_now += 10;
  ASSERT_INT(mgx_poll(s_mgr), 1);  // only `other` is left
  snprintf(want, sizeof(want), "%u ", other);
  ASSERT(strstr(fake_timers(), want) != NULL);
  mgx_mgr_free(s_mgr);  // frees `other`
}

static uint32_t s_added;
static void add_from_callback(uint32_t id) {
  (void) id;
  if (s_added == 0) s_added = mgx_timer_add(s_mgr, 0, MGX_TIMER_RUN_NOW);
}

static void timer_added_in_callback_waits_for_next_poll(void) {
  char want[64];
  uint32_t first;
  s_mgr = mgx_mgr_new();
  s_added = 0;
  first = mgx_timer_add(s_mgr, 0, 0);
  fake_timer_hook = add_from_callback;
  ASSERT_INT(mgx_poll(s_mgr), 1);
  snprintf(want, sizeof(want), "%u ", first);
  ASSERT_STR(fake_timers(), want);
  ASSERT_INT(mgx_poll(s_mgr), 1);
  snprintf(want, sizeof(want), "%u %u ", first, s_added);
  ASSERT_STR(fake_timers(), want);
  mgx_mgr_free(s_mgr);
}

static void timer_next_picks_earliest(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  uint32_t a = mgx_timer_add(mgr, 300, 0), b = mgx_timer_add(mgr, 200, 0);
  ASSERT(a != b);
  ASSERT(mgx_timer_next(mgr) == 200);
  fake_now += 250;
  ASSERT(mgx_timer_next(mgr) == 0);  // overdue
  ASSERT_INT(mgx_timer_cancel(mgr, b), 1);
  ASSERT(mgx_timer_next(mgr) == 50);
  ASSERT(mgx_timer_add(mgr, -5, 0) > 0);  // negative delay = now
  ASSERT(mgx_timer_next(mgr) == 0);
  mgx_mgr_free(mgr);  // frees pending timers
}

static void timer_overdue_fire_in_deadline_order(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  uint32_t a = mgx_timer_add(mgr, 30, 0), b = mgx_timer_add(mgr, 10, 0);
  uint32_t c = mgx_timer_add(mgr, 20, 0), d = mgx_timer_add(mgr, 5, 0);
  uint32_t e = mgx_timer_add(mgr, 10, 0);  // same deadline as b: after it
  char want[64];
  fake_now += 100;  // a stall: all overdue at once
  ASSERT_INT(mgx_poll(mgr), 5);
  snprintf(want, sizeof(want), "%u %u %u %u %u ", d, b, e, c, a);
  ASSERT_STR(fake_timers(), want);
  mgx_mgr_free(mgr);
}

static void timer_zero_period_repeat_fires_once_per_poll(void) {
  struct mg_mgr *mgr = mgx_mgr_new();
  mgx_timer_add(mgr, 0, MGX_TIMER_REPEAT);
  ASSERT_INT(mgx_poll(mgr), 1);
  ASSERT_INT(mgx_poll(mgr), 1);
  mgx_mgr_free(mgr);
}

void suite_timer(void) {
  RUN(timer_one_shot_freed_after_firing);
  RUN(timer_repeat_and_run_now);
  RUN(timer_cancel_inside_own_callback);
  RUN(timer_added_in_callback_waits_for_next_poll);
  RUN(timer_next_picks_earliest);
  RUN(timer_overdue_fire_in_deadline_order);
  RUN(timer_zero_period_repeat_fires_once_per_poll);
}
