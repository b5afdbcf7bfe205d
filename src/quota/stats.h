/*-------------------------------------------------------------------------
 *
 * stats.h
 *	  experiments.sp_get_user_stats(): a user's totals and current cycle.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_STATS_H
#define EXPERIMENTS_QUOTA_STATS_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum experiments_sp_get_user_stats(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_QUOTA_STATS_H */
