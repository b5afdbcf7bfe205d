/*-------------------------------------------------------------------------
 *
 * recording.h
 *	  experiments.sp_check_quota_and_create_recording(): the race-free
 *	  quota check.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_RECORDING_H
#define EXPERIMENTS_QUOTA_RECORDING_H

#include "postgres.h"
#include "fmgr.h"

/* Longest language tag (BCP 47 tags in practice stay under 35). */
#define QUOTA_MAX_LANGUAGE 35

extern PGDLLEXPORT Datum experiments_sp_check_quota_and_create_recording(PG_FUNCTION_ARGS);

/* The valid recording sources, NULL-terminated, for arg_one_of. */
extern const char *const quota_sources[];

#endif							/* EXPERIMENTS_QUOTA_RECORDING_H */
