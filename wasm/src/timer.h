// timer.h: manager timers (struct mg_timer is in net.h).
#ifndef MG_TIMER_H
#define MG_TIMER_H

#include "net.h"

// Flag bits beside MGX_TIMER_*: cancelled or fired one-shot awaiting
// removal; not eligible in the current run (fired already, or just added).
#define MG_TIMER_DEAD 0x100
#define MG_TIMER_SKIP 0x200

uint32_t mg_timer_add(struct mg_mgr *mgr, uint64_t now, uint64_t ms, int flags);
// 1 if a live timer `id` was cancelled, 0 otherwise (idempotent).
int mg_timer_cancel(struct mg_mgr *mgr, uint32_t id);
// Fire every due timer once (host_timer), earliest deadline first;
// returns how many fired.
int mg_timers_run(struct mg_mgr *mgr, uint64_t now);
// Milliseconds until the earliest live timer (0 if overdue), -1 if none.
double mg_timer_next(struct mg_mgr *mgr, uint64_t now);
void mg_timers_free(struct mg_mgr *mgr);

#endif
