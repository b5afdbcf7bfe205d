/*-------------------------------------------------------------------------
 *
 * ack_lock.h
 *	  The two ends of ack_orchestration_item() without SQL (ack_lock.c):
 *	  validating the lock token before anything is written, and releasing
 *	  the instance -- its fetched batch and its lock row deleted -- after
 *	  the turn's writes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef EXPERIMENTS_ORCHESTRATION_ACK_LOCK_H
#define EXPERIMENTS_ORCHESTRATION_ACK_LOCK_H

#include "postgres.h"

typedef struct OrchAckLock
{
	bool		found;			/* the token holds a lock that has not expired */
	Datum		instance;		/* text: the instance, its lock row locked FOR UPDATE */
} OrchAckLock;

/*
 * Find the instance_locks row of token in hub schema, lock it FOR UPDATE
 * and test it: lock_token = token and locked_until > now_ms.  NULL when
 * done (out filled; the instance allocated in CurrentMemoryContext); else
 * why the hub's tables need the SQL statement, and nothing was locked.
 */
extern const char *orch_ack_lock_direct(const char *schema, Datum token, int64 now_ms,
										OrchAckLock *out);

/*
 * After a direct lock: delete the instance's messages tagged with token
 * (those that arrived meanwhile stay) and the lock row.
 */
extern void orch_ack_release_direct(const char *schema, Datum token, const OrchAckLock *lock);

/* '' after a direct ack lock, else why the last ack of this backend used SQL */
extern char orch_ack_last_fallback[128];

#endif							/* EXPERIMENTS_ORCHESTRATION_ACK_LOCK_H */
