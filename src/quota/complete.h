/*-------------------------------------------------------------------------
 *
 * complete.h
 *	  experiments.sp_complete_recording(): finish a recording with its
 *	  duration and segments.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_COMPLETE_H
#define EXPERIMENTS_QUOTA_COMPLETE_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum experiments_sp_complete_recording(PG_FUNCTION_ARGS);

/* Seconds charged for a duration: whole seconds, rounded up (61 001 ms -> 62). */
#define QUOTA_CHARGED_SECONDS(ms) (((int64) (ms) + 999) / 1000)

#endif							/* EXPERIMENTS_QUOTA_COMPLETE_H */
