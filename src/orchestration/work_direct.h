/*-------------------------------------------------------------------------
 *
 * work_direct.h
 *	  fetch_work_item()'s claim (for a caller without owner) and
 *	  ack_worker()'s delete done without SQL (work_direct.c), with the
 *	  outcome of the statements of worker.c they replace.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_WORK_DIRECT_H
#define EXPERIMENTS_ORCHESTRATION_WORK_DIRECT_H

#include "postgres.h"
#include "datatype/timestamp.h"

/* p_tag_mode, 'none' excepted (it takes nothing) */
typedef enum WorkTagMode
{
	WORK_TAGS_DEFAULT_ONLY,		/* items without tag */
	WORK_TAGS_LISTED,			/* items whose tag is listed */
	WORK_TAGS_DEFAULT_AND,		/* either */
	WORK_TAGS_ANY				/* every item */
} WorkTagMode;

typedef struct OrchWorkClaimArgs
{
	TimestampTz now;			/* items visible at or before it */
	int64		now_ms;			/* the same instant, for the lock columns */
	int64		lock_ms;		/* lock timeout */
	Datum		token_base;		/* text: the item's token is this, '.', its id */
	WorkTagMode mode;
	const Datum *tags;			/* text: the listed tags (NULLs left out) */
	int			ntags;
} OrchWorkClaimArgs;

typedef struct OrchWorkClaim
{
	bool		found;
	Datum		item;			/* text: the work item */
	Datum		token;			/* text: its lock token */
	int32		attempt;		/* its attempt count, this one included */
} OrchWorkClaim;

/*
 * Lock the first item in id order that is visible, unlocked (or expired),
 * without session and passing the tag filter, FOR UPDATE SKIP LOCKED, and
 * mark it with its token.  NULL when done (out filled, in
 * CurrentMemoryContext); else why the hub's worker_queue must be written
 * by SQL, and nothing was read or written.
 */
extern const char *orch_work_claim_direct(const char *schema, const OrchWorkClaimArgs *args,
										  OrchWorkClaim *out);

typedef struct OrchWorkAck
{
	bool		deleted;		/* the item was found, unexpired, and deleted */
	bool		has_session;
	Datum		session;		/* text: its session, if it had one */
} OrchWorkAck;

/*
 * Delete the item id if it carries token and, when check_expiry, its lock
 * has not expired at now_ms, as DELETE does.  NULL when done; else why
 * worker_queue must be written by SQL (nothing was written).
 */
extern const char *orch_work_ack_direct(const char *schema, Datum token, int64 id,
										bool check_expiry, int64 now_ms, OrchWorkAck *out);

/* '' after a direct claim or ack, else why the last one of this backend used SQL */
extern char orch_work_last_fallback[128];

#endif							/* EXPERIMENTS_ORCHESTRATION_WORK_DIRECT_H */
