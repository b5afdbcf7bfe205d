/*-------------------------------------------------------------------------
 *
 * quota.h
 *	  Shared pieces of the quota domain (seed 002): argument checks and the
 *	  lookups several entry points need.
 *
 * Entry points live one concern per file:
 *	  plans.c        upsert_plan
 *	  register.c     sp_register_user
 *	  recording.c    sp_check_quota_and_create_recording
 *	  complete.c     sp_complete_recording (segments decoded by segments.c)
 *	  cycles.c       sp_reset_monthly_cycles, sp_change_user_plan
 *	  stats.c        sp_get_user_stats
 *	  lookup.c       sp_find_user (not in the seed: an id by email or user name)
 *	  retention.c    sp_cleanup_old_recordings
 *	  nonatomic.c    commit/rollback inside a CALL, for sp_complete_recording
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_H
#define EXPERIMENTS_QUOTA_H

#include "postgres.h"
#include "fmgr.h"

/* Longest text argument accepted where no other limit applies (bytes). */
#define QUOTA_MAX_NAME 256

/*
 * Raise P0002 "user <id> not found" unless the user exists.  Called with SPI
 * connected, on the paths that found no subscription for the user.
 */
extern void quota_require_user(Datum user_id);

#endif							/* EXPERIMENTS_QUOTA_H */
