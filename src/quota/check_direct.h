/*-------------------------------------------------------------------------
 *
 * check_direct.h
 *	  The quota check and recording creation done without SQL (see
 *	  check_direct.c); recording.c falls back to its statements when this
 *	  path declines.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_QUOTA_CHECK_DIRECT_H
#define EXPERIMENTS_QUOTA_CHECK_DIRECT_H

#include "postgres.h"
#include "utils/jsonb.h"

typedef enum QuotaCheckOutcome
{
	QCHECK_DECIDED,				/* the subscription was locked; see QuotaDecision */
	QCHECK_NO_SUBSCRIPTION,		/* the user has none (nothing locked or written) */
	QCHECK_NOT_ELIGIBLE			/* the tables are not as shipped: use SQL */
} QuotaCheckOutcome;

typedef struct QuotaDecision
{
	bool		active;			/* the cycle covers now() */
	int32		usage_count;	/* the counters as locked, before this recording */
	int32		used_seconds;
	int32		usage_limit;	/* the plan's limits */
	int32		minutes_limit;
	bool		created;		/* allowed: the recording was created and counted */
	Datum		recording_id;	/* uuid, in the caller's memory, when created */
} QuotaDecision;

/* Why the last call declined, or "" if it did not (for tests). */
extern char quota_check_last_fallback[128];

/*
 * Lock the user's subscription, read its plan's limits and, when they
 * allow, create the recording and count it.  Errors as from SQL.
 */
extern QuotaCheckOutcome quota_check_direct(Datum user_id, Datum source, Datum language,
											Jsonb *meta, QuotaDecision *d);

#endif							/* EXPERIMENTS_QUOTA_CHECK_DIRECT_H */
