/*-------------------------------------------------------------------------
 *
 * claim.h
 *	  The first step of fetch_orchestration_item() -- pick the next ready
 *	  instance, take its instance lock, tag its messages -- done without
 *	  SQL (claim.c), with the same outcome as the pick-and-claim statement
 *	  of fetch_orch.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_CLAIM_H
#define EXPERIMENTS_ORCHESTRATION_CLAIM_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

typedef struct OrchClaimArgs
{
	TimestampTz now;			/* messages visible at or before it */
	int64		now_ms;			/* the same instant, for the lock columns */
	bool		in_range;		/* filter by the pinned version */
	int64		min_packed;		/* the range, both ends included */
	int64		max_packed;
	Datum		token;			/* text: the new lock token */
	int64		lock_ms;		/* lock timeout */
	const Datum *skipped;		/* text: instances not to pick */
	int			nskipped;
} OrchClaimArgs;

typedef struct OrchClaim
{
	bool		found;			/* a candidate was picked */
	Datum		instance;		/* text: its instance id */
	bool		claimed;		/* its instance lock was taken */
	int64		tagged;			/* messages tagged with the token */
	Jsonb	   *messages;		/* their work items in id order; NULL if none */
	int32		attempt;		/* their highest attempt count */
} OrchClaim;

/*
 * Pick and claim in hub schema.  NULL when done (out filled, the results
 * allocated in CurrentMemoryContext); else why the hub's tables must be
 * written by SQL, and nothing was read or written.
 */
extern const char *orch_claim_direct(const char *schema, const OrchClaimArgs *args,
									 OrchClaim *out);

/* '' after a direct claim, else why the last claim of this backend used SQL */
extern char orch_claim_last_fallback[128];

#endif							/* EXPERIMENTS_ORCHESTRATION_CLAIM_H */
