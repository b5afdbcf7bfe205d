/*-------------------------------------------------------------------------
 *
 * cycles.h
 *	  The subscription's cycle and plan: sp_reset_monthly_cycles() and
 *	  sp_change_user_plan().
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_CYCLES_H
#define EXPERIMENTS_QUOTA_CYCLES_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum experiments_sp_reset_monthly_cycles(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum experiments_sp_change_user_plan(PG_FUNCTION_ARGS);

#endif							/* EXPERIMENTS_QUOTA_CYCLES_H */
