// timer.c: one-shot and repeating timers, fired through host_timer().
//
// Callbacks may add and cancel timers (their own included). Cancelling while
// timers run only marks the timer dead; dead timers are unlinked after the
// run, so the walk never touches freed memory.
#include "timer.h"

#include "alloc.h"
#include "mgx.h"
#include "netif.h"

static uint32_t s_next_timer_id = 1;
static int s_running;  // mg_timers_run depth (callbacks can poll others)

uint32_t mg_timer_add(struct mg_mgr *mgr, uint64_t now, uint64_t ms, int flags) {
  struct mg_timer *t = (struct mg_timer *) mg_calloc(1, sizeof(*t));
  if (t == NULL) return 0;
  t->id = s_next_timer_id++;
  if (s_next_timer_id == 0) s_next_timer_id = 1;
  t->flags = flags & (MGX_TIMER_REPEAT | MGX_TIMER_RUN_NOW);
  t->period_ms = ms;
  t->expire_ms = (flags & MGX_TIMER_RUN_NOW) ? now : now + ms;
  if (s_running > 0) t->flags |= MG_TIMER_SKIP;  // added by a callback: next run
  t->next = mgr->timers;
  mgr->timers = t;
  return t->id;
}

static void sweep(struct mg_mgr *mgr) {
  struct mg_timer **pp = &mgr->timers;
  while (*pp != NULL) {
    struct mg_timer *t = *pp;
    if (t->flags & MG_TIMER_DEAD) {
      *pp = t->next;
      mg_free(t);
    } else {
      pp = &t->next;
    }
  }
}


int mg_timer_cancel(struct mg_mgr *mgr, uint32_t id) {
  struct mg_timer *t;
  for (t = mgr->timers; t != NULL; t = t->next) {
    if (t->id == id && !(t->flags & MG_TIMER_DEAD)) {
      t->flags |= MG_TIMER_DEAD;
      if (s_running == 0) sweep(mgr);
      return 1;
    }
  }
  return 0;
}

int mg_timers_run(struct mg_mgr *mgr, uint64_t now) {
  int fired = 0;
  s_running++;
  // Earliest deadline first (ties: the older timer), like Node's timers,
  // even when a stall made several due at once. Each fires at most once per
  // run; timers added by callbacks wait for the next run (MG_TIMER_SKIP).
  for (;;) {
    struct mg_timer *t, *best = NULL;
    for (t = mgr->timers; t != NULL; t = t->next) {
      if ((t->flags & (MG_TIMER_DEAD | MG_TIMER_SKIP)) || t->expire_ms > now) continue;
      if (best == NULL || t->expire_ms < best->expire_ms ||
          (t->expire_ms == best->expire_ms && t->id < best->id)) {
        best = t;
      }
    }
    if (best == NULL) break;
    t = best;
    t->flags |= MG_TIMER_SKIP;
    if (t->flags & MGX_TIMER_REPEAT) {
      // Next due time; after a long stall skip missed periods, don't burst.
      t->expire_ms = t->expire_ms + t->period_ms > now ? t->expire_ms + t->period_ms
                                                       : now + t->period_ms;
    }
    host_timer(t->id);
    // A one-shot is freed once its callback returned (it could cancel
    // itself inside, which is then a no-op here).
    if (!(t->flags & MGX_TIMER_REPEAT)) t->flags |= MG_TIMER_DEAD;
    fired++;
  }
  if (--s_running == 0) {
    struct mg_timer *t;
    for (t = mgr->timers; t != NULL; t = t->next) t->flags &= ~MG_TIMER_SKIP;
    sweep(mgr);
  }
  return fired;
}

double mg_timer_next(struct mg_mgr *mgr, uint64_t now) {
  struct mg_timer *t;
  double best = -1;
  for (t = mgr->timers; t != NULL; t = t->next) {
    double d;
    if (t->flags & MG_TIMER_DEAD) continue;
    d = t->expire_ms > now ? (double) (t->expire_ms - now) : 0;
    if (best < 0 || d < best) best = d;
  }
  return best;
}

void mg_timers_free(struct mg_mgr *mgr) {
  while (mgr->timers != NULL) {
    struct mg_timer *t = mgr->timers;
    mgr->timers = t->next;
    mg_free(t);
  }
}
