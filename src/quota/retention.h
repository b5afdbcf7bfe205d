/*-------------------------------------------------------------------------
 *
 * retention.h
 *	  experiments.sp_cleanup_old_recordings(): the retention policy.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_RETENTION_H
#define EXPERIMENTS_QUOTA_RETENTION_H

#include "postgres.h"
#include "fmgr.h"

#define QUOTA_MAX_RETENTION_DAYS 36500
#define QUOTA_MAX_CLEANUP_BATCH 100000

extern PGDLLEXPORT Datum experiments_sp_cleanup_old_recordings(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_QUOTA_RETENTION_H */
