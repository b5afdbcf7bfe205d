/*-------------------------------------------------------------------------
 *
 * plans.h
 *	  experiments.upsert_plan(): add or change a subscription plan.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_PLANS_H
#define EXPERIMENTS_QUOTA_PLANS_H

#include "postgres.h"
#include "fmgr.h"

/* Longest plan code; codes are upper-case letters, digits and '_'. */
#define QUOTA_MAX_PLAN_CODE 64

/* Largest monthly_minutes: minutes * 60 must fit an int4 of seconds. */
#define QUOTA_MAX_MONTHLY_MINUTES (PG_INT32_MAX / 60)

extern PGDLLEXPORT Datum experiments_upsert_plan(PG_FUNCTION_ARGS);

/* 22023 unless code is a well-formed plan code (argument name for messages). */
extern void quota_check_plan_code(const char *code, const char *name);

#endif							/* EXPERIMENTS_QUOTA_PLANS_H */
